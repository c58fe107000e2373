"""Running a batch: tasks solved in this process, a local process pool or any Executor.

Tasks run in this process, in a local process pool, or on any `concurrent.futures.Executor`
(Dask's `Client.get_executor()` for a cluster). Every item finishes as a row — an
infeasible or failing one with its reason — and the others go on; a journal, when
given, receives each finished item so an interrupted run can be resumed.
"""

from __future__ import annotations

import atexit
import contextlib
import math
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future, as_completed
from pathlib import Path

import numpy as np

from ..errors import SarcoformError
from ..model.result import Result
from ..solving.backends import SolverName
from ..solving.basis_library import one_blas_thread
from ..solving.fastpath import NotAffine, PricedBrief, known_patterns, priced, result_of
from ..solving.lp import Solved
from .journal import BatchJournal
from .planning import BatchPlan, Task
from .rejournal import trusted_items
from .result import BatchResult, Item, Rows

# -- running tasks ------------------------------------------------------------------------


def run_task(task: Task) -> Rows:
    """Solve one task (in whatever process it lands); never raises for a single item."""
    # The fast path re-prices one LP; chance constraints need their cutting planes.
    if task.solver == "highs" and not task.brief.is_practical and not task.brief.asks_probability:
        with one_blas_thread():
            return _fast(task)
    return _of_items(task, _regular(task, range(len(task.scenarios)), task.solver))


def _of_items(task: Task, items: list[Item]) -> Rows:
    return Rows.of_items(items, len(task.foods), len(task.nutrients))


def _fast(task: Task) -> Rows:
    out = Rows(task.product, task.scenarios, len(task.foods), len(task.nutrients))
    values = _nutrient_values(task)
    costs = np.nan_to_num(task.prices / 1000.0)  # currency per g, as compile's cost vector
    for key, rows in known_patterns(task.prices).items():
        known = np.frombuffer(key, dtype=bool)
        try:
            brief = PricedBrief(task.foods, task.brief, known, task.time_limit, task.compiled.get(key))
        except NotAffine:
            for k, item in zip(rows.tolist(), _regular(task, rows, "highs"), strict=True):
                out.put_item(k, item)
            continue
        except Exception as err:  # a whole group fails the same way: record it per item
            for k in rows.tolist():
                out.put_item(k, _failed(task, k, err))
            continue
        answers = brief.solve_all(task.prices[rows])
        # The scenarios the library proved, column by column: the table's numbers of every
        # blend at once (cost, objective, grams, nutrients per serving), no object per item.
        at = answers.proved
        x = answers.x[at]
        k = rows[at]
        cost = np.einsum("ij,ij->i", x, costs[k])
        verified = answers.verified[at]
        out.put_solved(
            k,
            answers,
            at,
            status=np.where(verified, "optimal", "unverified"),
            objective_value=cost if brief.min_cost else x @ brief.compiled.objective,
            cost_per_serving=cost,
            serving_g=x.sum(axis=1),
            verified=verified,
            max_violation=answers.worst[at],
            solver="highs",
            seconds=answers.seconds[at],
            grams=x,
            nutrients=_per_serving(x, values),
        )
        for t in np.flatnonzero(~verified).tolist():  # rare: name the bounds the blend fails
            out.reason[k[t]] = _failed_bounds(task, int(k[t]), answers[int(at[t])])
        # The others one by one: HiGHS's answers, and what raised.
        for t, solved in answers.ran.items():
            row = int(rows[t])
            try:
                if isinstance(solved, Exception):
                    raise solved
                out.put_item(row, _fast_item(task, row, solved, brief, costs[row], values))
            except Exception as err:
                out.put_item(row, _failed(task, row, err))
    return out


def _failed_bounds(task: Task, k: int, solved: Solved) -> str:
    """Why a fast-path blend failed its check, naming the bounds (rare: the full Result)."""
    result = result_of(task.foods, task.brief, task.prices[k], solved)
    failures = result.verification.failures if result.verification is not None else []
    return f"verification failed: {'; '.join(failures[:3])}" if failures else "verification failed"


def _fast_item(
    task: Task,
    k: int,
    solved: Solved,
    brief: PricedBrief,
    costs: np.ndarray,
    values: tuple[np.ndarray, np.ndarray],
) -> Item:
    """One item from HiGHS's answer: its blend's cost, objective, grams and nutrients."""
    if solved.x is None:
        assert solved.result is not None
        return _result_item(task, k, solved.result)
    x = solved.x
    cost = float(x @ costs)
    objective = cost if brief.min_cost else float(x @ brief.compiled.objective)
    failed = "" if solved.verified else _failed_bounds(task, k, solved)
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
        _per_serving(x[None, :], values)[0],
        (solved.first, solved.final, solved.notes),
    )


def _nutrient_values(task: Task) -> tuple[np.ndarray, np.ndarray]:
    """(values with blanks as 0, blank mask) per food × nutrient column, per 100 g."""
    from ..model.columns import ColumnError, ColumnSet

    columns = ColumnSet(task.foods, {name: d.expr for name, d in task.brief.derived.items()})
    n = len(task.foods)
    table = np.full((n, len(task.nutrients)), np.nan)
    for q, name in enumerate(task.nutrients):
        with contextlib.suppress(ColumnError):  # a column another product's brief derives: unknown here
            table[:, q] = columns.get(name).values
    blank = np.isnan(table)
    if task.brief.blank_values == "zero":
        blank = np.zeros_like(blank)
    return np.nan_to_num(table), blank


def _per_serving(x: np.ndarray, values: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    table, blank = values
    amounts: np.ndarray = x @ table / 100.0
    if not blank.any():
        return amounts
    unknown = (x > 0).astype(float) @ blank.astype(float) > 0  # (a float product: BLAS)
    return np.where(unknown, np.nan, amounts)


def _regular(task: Task, rows: Iterable[int], solver: SolverName) -> list[Item]:
    from ..solving.engine import solve

    out = []
    for k in rows:
        try:
            result = solve(
                priced(task.foods, task.prices[k]), task.brief, solver=solver, time_limit=task.time_limit
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


def _run(tasks: list[Task], workers: int | None, executor: Executor | None) -> Iterator[Rows]:
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


def _gather(executor: Executor, tasks: list[Task]) -> Iterator[Rows]:
    futures: dict[Future[Rows], Task] = {executor.submit(run_task, t): t for t in tasks}
    try:
        for future in as_completed(futures):
            task = futures[future]
            try:
                rows = future.result()
            except Exception as err:  # the worker died, or could not run the task at all
                rows = _of_items(task, [_failed(task, k, err) for k in range(len(task.scenarios))])
            yield rows
    finally:
        for future in futures:
            future.cancel()


# -- a whole run -----------------------------------------------------------------------


def run_batch(
    plan: BatchPlan,
    *,
    workers: int | None = None,
    executor: Executor | None = None,
    journal: str | Path | None = None,
    resume: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> BatchResult:
    """Solve every item of a plan (see `sarcoform.batch.entry.solve_batch` for the arguments)."""
    started = time.perf_counter()
    finished: list[Rows] = []
    done: set[tuple[str, str]] = set()  # journaled items kept
    book = None
    n, q = len(plan.foods), len(plan.nutrients)
    if journal is not None:
        book, records = BatchJournal.start(journal, plan.fingerprint, resume=resume)
        wanted = {(p.name, s) for p in plan.products for s in plan.scenarios}
        journaled: dict[tuple[str, str], Item] = {}
        for item in map(Item.from_record, records):
            if item.key in wanted:
                journaled[item.key] = item  # the last line of an item counts
        kept = trusted_items(plan, journaled.values())
        by_product: dict[str, list[Item]] = {}
        for item in kept:
            by_product.setdefault(item.product, []).append(item)
        finished += [Rows.of_items(items, n, q) for items in by_product.values()]
        done.update(item.key for item in kept)
    total, count = len(plan.products) * len(plan.scenarios), len(done)
    if progress is not None:
        progress(count, total)
    try:
        for rows in _run(plan.tasks(done), workers, executor):
            finished.append(rows)
            count += len(rows)
            if book is not None:
                book.append(item.to_record() for item in rows.items())
            if progress is not None:
                progress(count, total)
    finally:
        if book is not None:
            book.close()
    return BatchResult(plan, finished, time.perf_counter() - started)
