"""The outcome of a batch run: one Item per product × scenario, gathered in a BatchResult."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import SarcoformError, UsageError
from ..model.result import Result
from ..solving.fastpath import result_of
from ..solving.lp import LPSolution, Solved
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


# -- a task's items, column by column ------------------------------------------------------


class Rows:
    """The items of one product (one task, or the journaled items of a resumed run), held
    column by column: the table reads the columns, and an `Item` is built only when one
    is asked for (`item(t)`). A fast-path task's proved scenarios are never objects: their
    columns come from the basis library's arrays, and `Item.solved` from `answers`."""

    def __init__(self, product: str, scenarios: tuple[str, ...], foods: int, nutrients: int) -> None:
        S = len(scenarios)
        self.product, self.scenarios = product, scenarios
        self.status = np.full(S, "error", dtype=object)
        self.objective_value = np.full(S, math.nan)
        self.cost_per_serving = np.full(S, math.nan)
        self.serving_g = np.full(S, math.nan)
        self.verified = np.full(S, None, dtype=object)  # True, False or None (not checked)
        self.max_violation = np.full(S, math.nan)
        self.reason = np.full(S, "", dtype=object)
        self.solver = np.full(S, "", dtype=object)
        self.seconds = np.zeros(S)
        self.grams = np.full((S, foods), math.nan)
        self.nutrients = np.full((S, nutrients), math.nan)
        self.blended = np.zeros(S, dtype=bool)  # grams and nutrients known (else None)
        self._items: dict[int, Item] = {}  # items built (or given) as objects
        self._answers: list[Any] = []  # solved scenarios as sequences of Solved (fast path)
        self._source = np.full((S, 2), -1)  # per row: (which of _answers, position in it)

    @classmethod
    def of_items(cls, items: list[Item], foods: int, nutrients: int) -> Rows:
        """Items of one product, given as objects."""
        rows = cls(items[0].product if items else "", tuple(i.scenario for i in items), foods, nutrients)
        for t, item in enumerate(items):
            rows.put_item(t, item)
        return rows

    def put_item(self, t: int, item: Item) -> None:
        """Row t is this item."""
        self._items[t] = item
        self.status[t], self.reason[t], self.solver[t] = item.status, item.reason, item.solver
        self.verified[t], self.seconds[t] = item.verified, item.seconds
        for name in ("objective_value", "cost_per_serving", "serving_g", "max_violation"):
            value = getattr(item, name)
            getattr(self, name)[t] = math.nan if value is None else value
        self.blended[t] = item.grams is not None
        if item.grams is not None:
            self.grams[t] = item.grams
        if item.nutrients is not None:
            self.nutrients[t] = item.nutrients

    def put_solved(self, rows: np.ndarray, answers: Any, at: np.ndarray, **columns: Any) -> None:
        """Rows `rows` are the answers `answers[at]` (Solved, built when an item is asked
        for); `columns`: their values by column name (arrays aligned with `rows`)."""
        self._source[rows, 0], self._source[rows, 1] = len(self._answers), at
        self._answers.append(answers)
        for name, values in columns.items():
            getattr(self, name)[rows] = values
        self.blended[rows] = True

    def __len__(self) -> int:
        return len(self.scenarios)

    @property
    def product_name(self) -> np.ndarray:
        return np.full(len(self), self.product, dtype=object)

    @property
    def scenario_name(self) -> np.ndarray:
        return np.array(self.scenarios, dtype=object)

    def item(self, t: int) -> Item:
        if t not in self._items:
            which, at = self._source[t].tolist()
            solved = None
            if which >= 0:
                answer = self._answers[which][at]
                solved = (answer.first, answer.final, answer.notes)
            self._items[t] = Item(
                self.product,
                self.scenarios[t],
                str(self.status[t]),
                _number(self.objective_value[t]),
                _number(self.cost_per_serving[t]),
                _number(self.serving_g[t]),
                self.verified[t],
                _number(self.max_violation[t]),
                str(self.reason[t]),
                str(self.solver[t]),
                float(self.seconds[t]),
                self.grams[t].copy() if self.blended[t] else None,
                self.nutrients[t].copy() if self.blended[t] else None,
                solved,
            )
        return self._items[t]

    def items(self) -> Iterator[Item]:
        return (self.item(t) for t in range(len(self)))


def _number(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


# -- the result ---------------------------------------------------------------------------


class BatchResult:
    """Every product × scenario: `.table` (one tidy row each) and `.result(p, s)` (the full Result)."""

    def __init__(self, plan: BatchPlan, rows: Iterable[Rows], seconds: float = 0.0) -> None:
        self.plan = plan
        self.seconds = seconds
        self._rows = [r for r in rows if len(r)]
        self._results: dict[tuple[str, str], Result] = {}
        self._scenario_row = {s: k for k, s in enumerate(plan.scenarios)}

    @cached_property
    def _where(self) -> dict[tuple[str, str], tuple[Rows, int]]:
        """Each finished item's rows and its position there."""
        return {(r.product, s): (r, t) for r in self._rows for t, s in enumerate(r.scenarios)}

    @cached_property
    def _order(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every finished item in table order (products in input order, then scenarios in
        input order), one entry each: (which of _rows, its position there, its position
        in the _rows' columns one after another)."""
        product = {p: k for k, p in enumerate(self.products)}
        sizes = [len(r) for r in self._rows]
        rank = [
            product[r.product] * len(self.scenarios) + np.array([self._scenario_row[s] for s in r.scenarios])
            for r in self._rows
        ]
        if not rank:
            empty = np.zeros(0, dtype=int)
            return empty, empty, empty
        flat = np.argsort(np.concatenate(rank), kind="stable")
        which = np.repeat(np.arange(len(sizes)), sizes)[flat]
        at = flat - np.cumsum([0, *sizes])[which]
        return which, at, flat

    def _column(self, name: str, width: int | None = None) -> np.ndarray:
        """One column of every finished item, in table order; `width`: a column of rows
        (grams, nutrients), NaN rows for items without a blend."""
        flat = self._order[2]
        in_order = bool(np.all(flat[1:] > flat[:-1]))  # (the usual case: nothing to reorder)
        if width is not None:
            parts = [
                getattr(r, name)
                if r.blended.all()
                else np.where(r.blended[:, None], getattr(r, name), math.nan)
                for r in self._rows
            ]
            out: np.ndarray = np.vstack(parts) if parts else np.zeros((0, width))
        else:
            out = np.concatenate([getattr(r, name) for r in self._rows]) if self._rows else flat
        return out if in_order else out[flat]

    @property
    def products(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.plan.products)

    @property
    def scenarios(self) -> tuple[str, ...]:
        return self.plan.scenarios

    def __len__(self) -> int:
        return sum(len(r) for r in self._rows)

    @property
    def complete(self) -> bool:
        return len(self) == len(self.products) * len(self.scenarios)

    @property
    def items(self) -> list[Item]:
        """Every finished item, products in input order, then scenarios in input order."""
        which, at, _ = self._order
        return [self._rows[b].item(t) for b, t in zip(which.tolist(), at.tolist(), strict=True)]

    def item(self, product: str, scenario: str) -> Item:
        try:
            rows, t = self._where[(product, scenario)]
        except KeyError:
            raise UsageError(f"no item for product {product!r} and scenario {scenario!r}") from None
        return rows.item(t)

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
        for r in self._rows:
            names, numbers = np.unique(r.status.astype(str), return_counts=True)
            for name, number in zip(names.tolist(), numbers.tolist(), strict=True):
                out[name] = out.get(name, 0) + number
        return out

    @property
    def exit_code(self) -> int:
        """0 all optimal · 1 some items without an answer · 3 some items failed."""
        counts = self.counts
        if counts.get("error") or counts.get("unverified"):
            return 3
        return 0 if counts.get("optimal", 0) == len(self) else 1

    @cached_property
    def table(self) -> pd.DataFrame:
        """One row per product × scenario: status, objective, cost, grams of every food, nutrients."""
        import pandas as pd

        info = {p.name: p for p in self.plan.products}
        foods = self.plan.foods
        column = self._column
        product = column("product_name")
        names = list(info)
        code = np.array([names.index(r.product) for r in self._rows], dtype=int)[self._order[0]]

        def per_product(values: list[str]) -> np.ndarray:
            out: np.ndarray = np.array(values, dtype=object)[code]
            return out

        data: dict[str, Any] = {
            "product": product,
            "scenario": column("scenario_name"),
            "status": column("status"),
            "objective": per_product([info[p].brief.objective for p in names]),
            "objective_value": column("objective_value"),
            "objective_unit": per_product([info[p].objective_unit for p in names]),
            "cost_per_serving": column("cost_per_serving"),
            "currency": per_product([info[p].brief.currency for p in names]),
            "serving_g": column("serving_g"),
            "verified": pd.array(column("verified").tolist(), dtype="boolean"),
            "max_violation": column("max_violation"),
            "reason": column("reason"),
            "solver": column("solver"),
            "seconds": column("seconds"),
        }
        grams = column("grams", len(foods))
        per = column("nutrients", len(self.plan.nutrients))
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
