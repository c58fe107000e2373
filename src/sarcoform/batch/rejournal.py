"""Journaled batch items are re-checked before a resumed run trusts them.

A journal is a plain file: it may have been edited, truncated or written by a run that
verified differently. An item that claims `optimal` is kept only if its blend meets its
product's brief under its scenario's prices (the independent Checker) and its cost and
objective are what the blend gives; otherwise it is solved again.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np

from ..model.columns import ColumnSet
from ..solving.compile import compile_brief
from ..solving.fastpath import priced
from ..solving.verify import TOLERANCE, Checker

if TYPE_CHECKING:
    from .planning import BatchPlan
    from .result import Item


def trusted_items(plan: BatchPlan, items: Iterable[Item]) -> list[Item]:
    """The journaled items a resumed run may keep (the others are solved again)."""
    checkers: dict[str, tuple[Checker, np.ndarray | None]] = {}
    rows = {s: k for k, s in enumerate(plan.scenarios)}
    out = []
    for item in items:
        if item.status != "optimal" or _holds(plan, item, rows[item.scenario], checkers):
            out.append(item)
    return out


def _holds(
    plan: BatchPlan, item: Item, row: int, checkers: dict[str, tuple[Checker, np.ndarray | None]]
) -> bool:
    info = next((p for p in plan.products if p.name == item.product), None)
    x = item.grams
    foods = plan.foods
    if info is None or x is None or x.shape != (len(foods),) or not np.isfinite(x).all():
        return False
    brief = info.brief
    if info.name not in checkers:
        columns = ColumnSet(foods, {name: d.expr for name, d in brief.derived.items()})
        objective = None
        if brief.objective_kind != "min_cost":
            compiled = compile_brief(priced(foods, plan.prices[row]), brief)
            objective = np.zeros(len(foods))
            for j, food_id in enumerate(compiled.foods.ids):
                objective[foods.position(food_id) or 0] = compiled.objective[j]
        checkers[info.name] = (Checker(foods, brief, columns), objective)
    checker, objective = checkers[info.name]
    prices = plan.prices[row]
    grams = {foods.ids[i]: float(x[i]) for i in np.flatnonzero(x)}
    try:
        checks = checker.checks(grams, prices)
    except (KeyError, ValueError, ArithmeticError):
        return False
    if any(c.violation > TOLERANCE for c in checks):
        return False
    unknown = bool(np.isnan(prices[x != 0]).any())
    cost = None if unknown else float(np.nansum(prices * x)) / 1000.0
    claims: list[tuple[float | None, float | None]] = [(item.cost_per_serving, cost)]
    if objective is not None:
        claims.append((item.objective_value, float(objective @ x)))
    if item.result is not None:
        claims += [(item.result.cost_per_serving, cost), (item.result.objective_value, claims[-1][1])]
    return all(_same(claimed, actual) for claimed, actual in claims)


def _same(claimed: float | None, actual: float | None) -> bool:
    if claimed is None or actual is None:
        return claimed is None and actual is None
    return math.isclose(claimed, actual, rel_tol=TOLERANCE, abs_tol=1e-9)
