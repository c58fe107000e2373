"""The plan of a batch run: products (briefs with overrides) × price scenarios, validated up
front and cut into tasks a worker can run (briefs, tables and price arrays, never PuLP models)."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from ..errors import InputError, Problem, UsageError
from ..model.brief import Brief
from ..model.foods import FoodTable
from ..solving.backends import SolverName
from ..solving.compile import Compiled, compile_brief
from ..solving.fastpath import base_prices, known_patterns, priced
from .inputs import PriceScenarios, Product, name_problems

BatchSolver = SolverName  # highs: the fast path (the default); cbc: the regular path
SOLVERS: tuple[BatchSolver, ...] = (
    "highs",
    "cbc",
)  # highs: the fast path; cbc: the regular path, item by item
FAST_CHUNK = 1000  # scenarios per task on the fast path: compile once, one basis library
REGULAR_CHUNK = 8  # per task on the regular path (each item is a full solve)


# -- the plan: validated products and scenarios ---------------------------------------------


class _CompiledStays:
    """Pickles without its `compiled` (briefs compiled in this process: a worker, or a
    pickled plan or result, compiles again when it needs one)."""

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "compiled": {}}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)


@dataclass(frozen=True, eq=False)
class ProductInfo(_CompiledStays):
    name: str
    brief: Brief
    objective_unit: str
    # The brief compiled while planning, per pattern of known prices (fastpath.known_patterns)
    # at that pattern's base prices (fastpath.base_prices): the fast path's own base compile.
    compiled: dict[bytes, Compiled] = field(default_factory=dict, repr=False)


@dataclass(frozen=True, eq=False)
class Task(_CompiledStays):
    """One product and some of its scenarios: what a worker receives."""

    product: str
    brief: Brief
    foods: FoodTable
    scenarios: tuple[str, ...]
    prices: np.ndarray  # (scenarios × foods) price per kg, NaN = unknown
    nutrients: tuple[str, ...]
    solver: BatchSolver
    time_limit: float | None
    # The brief compiled at base prices, per pattern of known prices (ProductInfo.compiled).
    compiled: dict[bytes, Compiled] = field(default_factory=dict, repr=False)


@dataclass(frozen=True, eq=False)
class BatchPlan:
    """Products (briefs with overrides applied) × scenarios (price vectors) over one food table."""

    foods: FoodTable
    products: tuple[ProductInfo, ...]
    scenarios: tuple[str, ...]
    prices: np.ndarray  # (scenarios × foods)
    nutrients: tuple[str, ...]  # constrained nutrient columns of any product, for the table
    solver: BatchSolver
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
            h.update(p.brief.model_dump_json(by_alias=True).encode())
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
                        p.brief,
                        self.foods,
                        tuple(self.scenarios[k] for k in rows),
                        self.prices[rows],
                        self.nutrients,
                        self.solver,
                        self.time_limit,
                        p.compiled,
                    )
                )
        return out


def plan_batch(
    foods: FoodTable,
    products: Sequence[Product],
    scenarios: PriceScenarios | None = None,
    *,
    solver: BatchSolver = "highs",
    time_limit: float | None = None,
) -> BatchPlan:
    """Validate everything up front: a bad product or price is an InputError before any solve.

    Typed inputs only; `sarcoform.batch.entry` turns files, DataFrames and mappings into these.
    """
    if solver not in SOLVERS:
        raise UsageError(f"unknown batch solver {solver!r}: use highs (fast path) or cbc (regular path)")
    items = list(products)
    problems = name_problems(items)
    if problems:
        raise InputError(problems)
    table = PriceScenarios.base() if scenarios is None else scenarios
    prices = table.matrix(foods)
    if not items or not len(table):
        raise UsageError("a batch needs at least one product and one price scenario")
    patterns = list(known_patterns(prices))
    problems = []
    infos: list[ProductInfo] = []
    nutrients: dict[str, None] = {}
    for product in items:
        try:
            brief = product.customise(product.load_brief())
            info = None
            for key in patterns:
                base = base_prices(foods, np.frombuffer(key, dtype=bool))
                compiled = compile_brief(priced(foods, base), brief)
                info = info or ProductInfo(product.name, brief, compiled.objective_unit)
                info.compiled[key] = compiled
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
    brief = compiled.brief
    names = [e.name for e in brief.nutrients]
    if brief.objective_nutrient is not None:
        names.append(brief.objective_nutrient)
    return list(dict.fromkeys(compiled.columns.resolve(n) for n in names))
