"""Batch solving: every product of a line under every price scenario.

The unit of work sent to a worker is a *task*: one product with a slice of its
scenarios (specs, tables and price arrays — never PuLP models), so the fast path can
compile the brief once and hot-start HiGHS from scenario to scenario. Tasks run in
this process, in a local process pool, or on any `concurrent.futures.Executor`
(Dask's `Client.get_executor()` for a cluster). Every item finishes as a row — an
infeasible or failing one with its reason — and the others go on; a journal, when
given, receives each finished item so an interrupted run can be resumed.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import hashlib
import json
import math
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Executor, Future, as_completed
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import InputError, Problem, SarcoformError, UsageError
from ..model.batch import PriceScenarios, Product, Products, as_products
from ..model.foods import FoodTable
from ..model.result import Result
from ..model.spec import ConstraintSet
from .compile import compile_brief
from .fastpath import NotAffine, PricedBrief, Solved, known_patterns, priced, result_of
from .lp import LPSolution

if TYPE_CHECKING:
    import pandas as pd

SOLVERS = ("highs", "cbc")  # highs: the fast path; cbc: the regular path, item by item
FAST_CHUNK = 500  # scenarios per task on the fast path: compile once, hot-start the rest
REGULAR_CHUNK = 8  # per task on the regular path (each item is a full solve)

Scenarios = PriceScenarios | Mapping[str, Mapping[str, float]] | str | Path | Any


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
        if f.name == "basis":  # an in-memory HiGHS object: a journal cannot hold it
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


# -- the plan: validated products and scenarios ---------------------------------------------


@dataclass(frozen=True, eq=False)
class ProductInfo:
    name: str
    spec: ConstraintSet
    objective_unit: str


@dataclass(frozen=True, eq=False)
class Task:
    """One product and some of its scenarios: what a worker receives."""

    product: str
    spec: ConstraintSet
    foods: FoodTable
    scenarios: tuple[str, ...]
    prices: np.ndarray  # (scenarios × foods) price per kg, NaN = unknown
    nutrients: tuple[str, ...]
    solver: str
    time_limit: float | None


@dataclass(frozen=True, eq=False)
class BatchPlan:
    """Products (briefs with overrides applied) × scenarios (price vectors) over one food table."""

    foods: FoodTable
    products: tuple[ProductInfo, ...]
    scenarios: tuple[str, ...]
    prices: np.ndarray  # (scenarios × foods)
    nutrients: tuple[str, ...]  # constrained nutrient columns of any product, for the table
    solver: str
    time_limit: float | None

    @cached_property
    def fingerprint(self) -> str:
        """A hash of every input that decides the answers (to match a journal to its run)."""
        h = hashlib.sha256()
        foods = self.foods
        h.update(json.dumps([foods.ids, self.solver, self.time_limit, self.scenarios]).encode())
        h.update(np.ascontiguousarray(self.prices).tobytes())
        for column in sorted(foods.numbers):
            h.update(column.encode())
            h.update(np.ascontiguousarray(foods.numbers[column]).tobytes())
        h.update(json.dumps({c: list(v) for c, v in sorted(foods.texts.items())}).encode())
        for p in self.products:
            h.update(p.spec.model_dump_json(by_alias=True).encode())
        return h.hexdigest()

    def tasks(self, done: Iterable[tuple[str, str]] = ()) -> list[Task]:
        finished = set(done)
        chunk = FAST_CHUNK if self.solver == "highs" else REGULAR_CHUNK
        out = []
        for p in self.products:
            todo = [k for k, s in enumerate(self.scenarios) if (p.name, s) not in finished]
            if not todo:
                continue
            parts = math.ceil(len(todo) / chunk)
            for rows in np.array_split(np.array(todo), parts):
                out.append(
                    Task(
                        p.name,
                        p.spec,
                        self.foods,
                        tuple(self.scenarios[k] for k in rows),
                        self.prices[rows],
                        self.nutrients,
                        self.solver,
                        self.time_limit,
                    )
                )
        return out


def plan_batch(
    foods: FoodTable,
    products: Products,
    scenarios: Scenarios = None,
    *,
    solver: str = "highs",
    time_limit: float | None = None,
) -> BatchPlan:
    """Validate everything up front: a bad product or price is an InputError before any solve."""
    if solver not in SOLVERS:
        raise UsageError(f"unknown batch solver {solver!r}: use highs (fast path) or cbc (regular path)")
    items = as_products(products)
    table = _scenarios(scenarios)
    prices = table.matrix(foods)
    if not items or not len(table):
        raise UsageError("a batch needs at least one product and one price scenario")
    patterns = known_patterns(prices).values()
    problems: list[Problem] = []
    infos: list[ProductInfo] = []
    nutrients: dict[str, None] = {}
    for product in items:
        try:
            spec = product.customise(product.load_brief())
            info = None
            for rows in patterns:
                compiled = compile_brief(priced(foods, prices[rows[0]]), spec)
                info = info or ProductInfo(product.name, spec, compiled.objective_unit)
                for name in _constrained(compiled):
                    nutrients.setdefault(name)
        except InputError as err:
            problems += [_with_product(p, product) for p in err.problems]
            continue
        assert info is not None
        infos.append(info)
    if problems:
        raise InputError(list(dict.fromkeys(problems)))
    return BatchPlan(foods, tuple(infos), table.names, prices, tuple(nutrients), solver, time_limit)


def _with_product(p: Problem, product: Product) -> Problem:
    """A problem found in a product's brief, named after the product (and at its row when the
    problem has no place of its own)."""
    if p.file is None and product.where is not None:
        return product.problem(p.message, p.column)
    return p if p.message.startswith("product ") else p.at(f"product {product.name!r}: {p.message}")


def _constrained(compiled: Any) -> list[str]:
    """Nutrient columns the brief bounds or optimises."""
    spec = compiled.spec
    names = [e.name for e in spec.nutrients]
    if spec.objective_nutrient is not None:
        names.append(spec.objective_nutrient)
    return list(dict.fromkeys(compiled.columns.resolve(n) for n in names))


def _scenarios(scenarios: Scenarios) -> PriceScenarios:
    if scenarios is None:
        return PriceScenarios.base()
    if isinstance(scenarios, PriceScenarios):
        return scenarios
    if isinstance(scenarios, (str, Path)):
        from ..io.batch_files import read_scenarios

        return read_scenarios(scenarios)
    if hasattr(scenarios, "columns") and hasattr(scenarios, "itertuples"):  # a pandas DataFrame
        from ..io.batch_files import scenarios_from_records
        from ..model.foods import _from_pandas

        header = [str(c) for c in scenarios.columns]
        rows = [[_from_pandas(v) for v in row] for row in scenarios.itertuples(index=False)]
        return scenarios_from_records(header, rows, "scenarios DataFrame")  # type: ignore[arg-type]
    if isinstance(scenarios, Mapping):
        return PriceScenarios.from_mapping(scenarios)
    raise UsageError("scenarios: give a DataFrame (scenario, id, price_per_kg), a mapping or a file")


# -- running tasks ------------------------------------------------------------------------


def run_task(task: Task) -> list[Item]:
    """Solve one task (in whatever process it lands); never raises for a single item."""
    # The fast path re-prices one LP; chance constraints need their cutting planes.
    if task.solver == "highs" and not task.spec.is_practical and not task.spec.asks_probability:
        return _fast(task)
    return _regular(task, range(len(task.scenarios)), task.solver)


def _fast(task: Task) -> list[Item]:
    items: dict[int, Item] = {}
    values = _nutrient_values(task)
    costs = np.nan_to_num(task.prices / 1000.0)  # currency per g, as compile's cost vector
    for key, rows in known_patterns(task.prices).items():
        known = np.frombuffer(key, dtype=bool)
        try:
            brief = PricedBrief(task.foods, task.spec, known, task.time_limit)
        except NotAffine:
            items.update(zip((int(k) for k in rows), _regular(task, rows, "highs"), strict=True))
            continue
        except Exception as err:  # a whole group fails the same way: record it per item
            items.update({int(k): _failed(task, int(k), err) for k in rows})
            continue
        for k in rows:
            try:
                solved = brief.solve(task.prices[k])
                items[int(k)] = _fast_item(task, int(k), solved, brief, costs[k], values)
            except Exception as err:
                items[int(k)] = _failed(task, int(k), err)
    return [items[k] for k in range(len(task.scenarios))]


def _fast_item(
    task: Task,
    k: int,
    solved: Solved,
    brief: PricedBrief,
    cost_per_g: np.ndarray,
    values: tuple[np.ndarray, np.ndarray],
) -> Item:
    if solved.x is None:
        assert solved.result is not None
        return _result_item(task, k, solved.result)
    x = solved.x
    compiled = brief.compiled
    cost = float(cost_per_g @ x)
    objective = cost if task.spec.objective_kind == "min_cost" else float(compiled.objective @ x)
    failed = "" if solved.verified else f"verification failed (max violation {solved.max_violation:.3g})"
    return Item(
        task.product,
        task.scenarios[k],
        solved.status,
        objective,
        cost,
        float(x.sum()),
        solved.verified,
        solved.max_violation,
        failed,
        "highs",
        solved.seconds,
        x,
        _per_serving(x, values),
        (solved.first, solved.final, solved.notes),
    )


def _nutrient_values(task: Task) -> tuple[np.ndarray, np.ndarray]:
    """(values with blanks as 0, blank mask) per food × nutrient column, per 100 g."""
    from ..model.columns import ColumnError, ColumnSet

    columns = ColumnSet(task.foods, {name: d.expr for name, d in task.spec.derived.items()})
    n = len(task.foods)
    table = np.full((n, len(task.nutrients)), np.nan)
    for q, name in enumerate(task.nutrients):
        with contextlib.suppress(ColumnError):  # a column another product's brief derives: unknown here
            table[:, q] = columns.get(name).values
    blank = np.isnan(table)
    if task.spec.blank_values == "zero":
        blank = np.zeros_like(blank)
    return np.nan_to_num(table), blank


def _per_serving(x: np.ndarray, values: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    table, blank = values
    amounts = x @ table / 100.0
    unknown = (x > 0) @ blank
    return np.where(unknown, np.nan, amounts)


def _regular(task: Task, rows: Iterable[int], solver: str) -> list[Item]:
    from .engine import solve

    out = []
    for k in rows:
        try:
            result = solve(
                priced(task.foods, task.prices[k]), task.spec, solver=solver, time_limit=task.time_limit
            )
            out.append(_result_item(task, int(k), result))
        except Exception as err:
            out.append(_failed(task, int(k), err))
    return out


def _result_item(task: Task, k: int, result: Result) -> Item:
    grams = nutrients = None
    if result.ingredient_lines:
        by_id = {line.id: line.grams for line in result.ingredient_lines}
        grams = np.array([by_id.get(i, 0.0) for i in task.foods.ids])
        per = {line.nutrient: line.per_serving for line in result.nutrient_lines}
        nutrients = np.array(
            [math.nan if per.get(n) is None else per[n] for n in task.nutrients], dtype=float
        )
    v = result.verification
    reason = ""
    if result.diagnosis is not None:
        reason = result.diagnosis.reason
    elif v is not None and not v.ok:
        reason = f"verification failed: {'; '.join(v.failures[:2])}"
    return Item(
        task.product,
        task.scenarios[k],
        result.status,
        result.objective_value,
        result.cost_per_serving,
        result.serving_g if grams is not None else None,
        None if v is None else v.ok,
        None if v is None else v.max_violation,
        reason,
        result.solver,
        result.solve_seconds,
        grams,
        nutrients,
        None,
        result,
    )


def _failed(task: Task, k: int, err: BaseException) -> Item:
    reason = str(err) if isinstance(err, SarcoformError) else f"{type(err).__name__}: {err}"
    return Item(
        task.product,
        task.scenarios[k],
        "error",
        None,
        None,
        None,
        None,
        None,
        reason,
        task.solver,
        0.0,
        None,
        None,
    )


def _worker_init() -> None:
    """Each pool worker gets its own temp folder (CBC writes model files there)."""
    folder = tempfile.mkdtemp(prefix="sarcoform-worker-")
    os.environ["TMPDIR"] = os.environ["TMP"] = folder
    tempfile.tempdir = folder
    atexit.register(shutil.rmtree, folder, True)


def _run(tasks: list[Task], workers: int | None, executor: Executor | None) -> Iterator[list[Item]]:
    """Finished tasks' items, in the order they finish."""
    if executor is None and (workers is None or workers == 1 or len(tasks) <= 1):
        for task in tasks:
            yield run_task(task)
        return
    if executor is not None:
        yield from _gather(executor, tasks)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    count = (os.cpu_count() or 1) if workers == 0 else workers
    # spawn, not fork: forking a process whose HiGHS threads are running can deadlock.
    pool = ProcessPoolExecutor(
        max_workers=min(count or 1, len(tasks)),
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_worker_init,
    )
    try:
        yield from _gather(pool, tasks)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _gather(executor: Executor, tasks: list[Task]) -> Iterator[list[Item]]:
    futures: dict[Future[list[Item]], Task] = {executor.submit(run_task, t): t for t in tasks}
    try:
        for future in as_completed(futures):
            task = futures[future]
            try:
                items = future.result()
            except Exception as err:  # the worker died, or could not run the task at all
                items = [_failed(task, k, err) for k in range(len(task.scenarios))]
            yield items
    finally:
        for future in futures:
            future.cancel()


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
                self._results[key] = result_of(self.plan.foods, info.spec, prices, solved)
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
        if counts.get("error"):
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
            "objective": [info[i.product].spec.objective for i in items],
            "objective_value": _column(i.objective_value for i in items),
            "objective_unit": [info[i.product].objective_unit for i in items],
            "cost_per_serving": _column(i.cost_per_serving for i in items),
            "currency": [info[i.product].spec.currency for i in items],
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


# -- the entry point ---------------------------------------------------------------------


def solve_batch(
    foods: FoodTable,
    products: Products,
    scenarios: Scenarios = None,
    *,
    solver: str = "highs",
    workers: int | None = None,
    executor: Executor | None = None,
    time_limit: float | None = None,
    journal: str | Path | None = None,
    resume: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> BatchResult:
    """Solve every product under every price scenario.

    - `products`: Products, ConstraintSets or brief names (preset or .toml path) — a list,
      or a mapping product name → one of those — or a products file (.csv/.toml/.xlsx).
    - `scenarios`: None (the table's own prices, scenario "base"), a long DataFrame
      (`scenario`, `id`, `price_per_kg`), a mapping scenario → {id: price per kg}, or a file.
    - `solver`: "highs" (fast path: each brief compiled once, HiGHS hot starts) or "cbc"
      (the regular path of `sarcoform.solve`, item by item).
    - `workers`: None or 1 = in this process; N = a pool of N processes; 0 = one per CPU.
      `executor`: any `concurrent.futures.Executor` instead (e.g. Dask `client.get_executor()`).
    - `journal`: a JSON-lines file receiving every finished item; with `resume=True` the
      items already in it are kept and only the rest are solved.
    - `progress(done, total)` is called as items finish.
    """
    started = time.perf_counter()
    plan = plan_batch(foods, products, scenarios, solver=solver, time_limit=time_limit)
    finished: dict[tuple[str, str], Item] = {}
    book = None
    if journal is not None:
        from ..io.batch_files import BatchJournal

        book, records = BatchJournal.start(journal, plan.fingerprint, resume=resume)
        wanted = {(p.name, s) for p in plan.products for s in plan.scenarios}
        for record in records:
            item = Item.from_record(record)
            if item.key in wanted:
                finished[item.key] = item
    total = len(plan.products) * len(plan.scenarios)
    if progress is not None:
        progress(len(finished), total)
    try:
        for items in _run(plan.tasks(finished), workers, executor):
            for item in items:
                finished[item.key] = item
            if book is not None:
                book.append(item.to_record() for item in items)
            if progress is not None:
                progress(len(finished), total)
    finally:
        if book is not None:
            book.close()
    return BatchResult(plan, finished, time.perf_counter() - started)
