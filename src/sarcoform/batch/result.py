"""The outcome of a batch run: one Item per product × scenario, gathered in a BatchResult."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import SarcoformError, UsageError
from ..model.result import Result
from ..solving.fastpath import Solved, result_of
from ..solving.lp import LPSolution
from .planning import BatchPlan

if TYPE_CHECKING:
    import pandas as pd


# -- items --------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Item:
    """One product × scenario: the row of the table and what rebuilds the full Result."""

    product: str
    scenario: str
    status: str
    objective_value: float | None
    cost_per_serving: float | None
    serving_g: float | None
    verified: bool | None
    max_violation: float | None
    reason: str
    solver: str
    seconds: float
    grams: np.ndarray | None  # per food, g per serving
    nutrients: np.ndarray | None  # per serving, aligned with BatchPlan.nutrients (NaN = unknown)
    solved: tuple[LPSolution, LPSolution, list[str]] | None = None  # fast path: (first, final, notes)
    result: Result | None = None  # regular path, and items without a blend

    @property
    def key(self) -> tuple[str, str]:
        return (self.product, self.scenario)

    def to_record(self) -> dict[str, Any]:
        """The item as JSON-able data (a journal line)."""
        record: dict[str, Any] = {name: getattr(self, name) for name in _SCALARS}
        record["grams"] = _floats(self.grams)
        record["nutrients"] = _floats(self.nutrients)
        if self.solved is not None:
            first, final, notes = self.solved
            record["solved"] = {
                "first": _solution(first),
                "final": None if final is first else _solution(final),  # min_cost: one solve
                "notes": notes,
            }
        if self.result is not None:
            record["result"] = self.result.to_dict()
        return record

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Item:
        solved = record.get("solved")
        result = record.get("result")
        return cls(
            **{name: record[name] for name in _SCALARS},
            grams=_array(record["grams"]),
            nutrients=_array(record["nutrients"]),
            solved=None if solved is None else _unsolved(solved),
            result=None if result is None else Result.from_dict(result),
        )


_SCALARS = (
    "product",
    "scenario",
    "status",
    "objective_value",
    "cost_per_serving",
    "serving_g",
    "verified",
    "max_violation",
    "reason",
    "solver",
    "seconds",
)


def _unsolved(data: dict[str, Any]) -> tuple[LPSolution, LPSolution, list[str]]:
    first = _unsolution(data["first"])
    final = first if data["final"] is None else _unsolution(data["final"])
    return first, final, list(data["notes"])


def _floats(values: np.ndarray | None) -> list[float | None] | None:
    if values is None:
        return None
    return [None if math.isnan(v) else float(v) for v in values.tolist()]


def _array(values: list[float | None] | None) -> np.ndarray | None:
    if values is None:
        return None
    return np.array([math.nan if v is None else v for v in values], dtype=float)


def _solution(sol: LPSolution) -> dict[str, Any]:
    """An LPSolution as JSON-able data (for the journal), field by field."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(LPSolution):
        if f.name in ("basis", "highs"):  # in-memory HiGHS objects: a journal cannot hold them
            continue
        value = getattr(sol, f.name)
        out[f.name] = _floats(value) if isinstance(value, np.ndarray) else value
    return out


def _unsolution(data: dict[str, Any]) -> LPSolution:
    known = {f.name for f in dataclasses.fields(LPSolution)}
    arrays = {"x", "row_duals", "col_duals"}
    fields: dict[str, Any] = {
        name: _array(value) if name in arrays else value
        for name, value in data.items()
        if name in known  # a journal from an older version may carry more
    }
    return LPSolution(**fields)


# -- the result ---------------------------------------------------------------------------


class BatchResult:
    """Every product × scenario: `.table` (one tidy row each) and `.result(p, s)` (the full Result)."""

    def __init__(self, plan: BatchPlan, items: Mapping[tuple[str, str], Item], seconds: float = 0.0) -> None:
        self.plan = plan
        self.seconds = seconds
        self._items = items
        self._results: dict[tuple[str, str], Result] = {}
        self._scenario_row = {s: k for k, s in enumerate(plan.scenarios)}

    @property
    def products(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.plan.products)

    @property
    def scenarios(self) -> tuple[str, ...]:
        return self.plan.scenarios

    def __len__(self) -> int:
        return len(self._items)

    @property
    def complete(self) -> bool:
        return len(self._items) == len(self.products) * len(self.scenarios)

    @property
    def items(self) -> list[Item]:
        """Every finished item, products in input order, then scenarios in input order."""
        return [self._items[(p, s)] for p in self.products for s in self.scenarios if (p, s) in self._items]

    def item(self, product: str, scenario: str) -> Item:
        try:
            return self._items[(product, scenario)]
        except KeyError:
            raise UsageError(f"no item for product {product!r} and scenario {scenario!r}") from None

    def result(self, product: str, scenario: str) -> Result:
        """The full Result of one item (built on first use, then kept)."""
        key = (product, scenario)
        if key not in self._results:
            item = self.item(product, scenario)
            if item.result is not None:
                self._results[key] = item.result
            elif item.solved is not None:
                info = next(p for p in self.plan.products if p.name == product)
                first, final, notes = item.solved
                x = final.x
                solved = Solved(item.status, first, final, notes, item.seconds, x)
                prices = self.plan.prices[self._scenario_row[scenario]]
                self._results[key] = result_of(self.plan.foods, info.brief, prices, solved)
            else:
                raise SarcoformError(f"{product} × {scenario} failed: {item.reason}")
        return self._results[key]

    def results(self) -> Iterator[tuple[str, str, Result]]:
        """(product, scenario, Result) for every item that has one."""
        for item in self.items:
            if item.result is not None or item.solved is not None:
                yield item.product, item.scenario, self.result(item.product, item.scenario)

    @property
    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for item in self._items.values():
            out[item.status] = out.get(item.status, 0) + 1
        return out

    @property
    def exit_code(self) -> int:
        """0 all optimal · 1 some items without an answer · 3 some items failed."""
        counts = self.counts
        if counts.get("error") or counts.get("unverified"):
            return 3
        return 0 if counts.get("optimal", 0) == len(self._items) else 1

    @cached_property
    def table(self) -> pd.DataFrame:
        """One row per product × scenario: status, objective, cost, grams of every food, nutrients."""
        import pandas as pd

        items = self.items
        info = {p.name: p for p in self.plan.products}
        foods = self.plan.foods
        data: dict[str, Any] = {
            "product": [i.product for i in items],
            "scenario": [i.scenario for i in items],
            "status": [i.status for i in items],
            "objective": [info[i.product].brief.objective for i in items],
            "objective_value": _column(i.objective_value for i in items),
            "objective_unit": [info[i.product].objective_unit for i in items],
            "cost_per_serving": _column(i.cost_per_serving for i in items),
            "currency": [info[i.product].brief.currency for i in items],
            "serving_g": _column(i.serving_g for i in items),
            "verified": pd.array([i.verified for i in items], dtype="boolean"),
            "max_violation": _column(i.max_violation for i in items),
            "reason": [i.reason for i in items],
            "solver": [i.solver for i in items],
            "seconds": _column(i.seconds for i in items),
        }
        n, q = len(foods), len(self.plan.nutrients)
        grams = np.vstack(
            [i.grams if i.grams is not None else np.full(n, np.nan) for i in items] or [np.zeros((0, n))]
        )
        per = np.vstack(
            [i.nutrients if i.nutrients is not None else np.full(q, np.nan) for i in items]
            or [np.zeros((0, q))]
        )
        for j, food_id in enumerate(foods.ids):
            data[f"grams.{food_id}"] = grams[:, j]
        for j, name in enumerate(self.plan.nutrients):
            data[f"per_serving.{name}"] = per[:, j]
        return pd.DataFrame(data)

    def pivot(self, value: str = "cost_per_serving") -> pd.DataFrame:
        """Products (rows) × scenarios (columns) of one table column; blank where no answer."""
        table = self.table
        out = table.pivot(index="product", columns="scenario", values=value)
        return out.reindex(index=list(self.products), columns=list(self.scenarios))

    def summary(self) -> pd.DataFrame:
        """Per product: items by status and cost per serving (min, median, max) over scenarios."""
        import pandas as pd

        rows = []
        table = self.table
        for product in self.products:
            part = table[table["product"] == product]
            costs = part.loc[part["status"] == "optimal", "cost_per_serving"]
            rows.append(
                {
                    "product": product,
                    "items": len(part),
                    "optimal": int((part["status"] == "optimal").sum()),
                    "not_optimal": int((part["status"] != "optimal").sum()),
                    "cost_min": costs.min() if len(costs) else math.nan,
                    "cost_median": costs.median() if len(costs) else math.nan,
                    "cost_max": costs.max() if len(costs) else math.nan,
                    "currency": part["currency"].iloc[0] if len(part) else "",
                }
            )
        return pd.DataFrame(rows)


def _column(values: Iterable[float | None]) -> np.ndarray:
    return np.array([math.nan if v is None else v for v in values], dtype=float)
