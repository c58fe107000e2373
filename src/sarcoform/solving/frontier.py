"""Trade-off curves: the least cost of each level of one nutrient (ε-constraint).

The brief's own floor on that nutrient (on the swept basis) is replaced by
`nutrient ≥ level`, the objective becomes least cost, and every other constraint
stays. Levels run from what the least-cost blend already delivers (below that the
curve is flat) up to the most the brief allows. The curve is the LP value function
of the level: non-decreasing and convex (piecewise linear).

The marginal cost at each level is the shadow price of the level constraint (the
right slope of the curve there), per extra 0.1 unit of the nutrient; for a
practical (mixed-integer) brief, which has no shadow prices, it is the slope from
the previous level.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from ..errors import UsageError
from ..model.columns import ColumnError, ColumnSet
from ..model.foods import FoodTable
from ..model.spec import BASES, ConstraintSet, NutrientBound
from . import chance, practical
from .backends import SolverName
from .compile import Compiled, compile_brief
from .elements import elements, with_bound, without
from .relax import extreme

if TYPE_CHECKING:
    import pandas as pd

STEP = 0.1  # the marginal cost is stated per this much more of the nutrient
ROUNDING = 1e-9  # a marginal cost below 0 by at most this × max(1, cost) is rounding: shown as 0
SWEEP = "sarcoform frontier"  # marks the ε-constraint among the brief's bounds
COLUMNS = ("level", "cost_per_serving", "marginal_cost_per_0.1", "blend", "status")


def frontier(
    foods: FoodTable,
    spec: ConstraintSet,
    nutrient: str = "leucine",
    *,
    points: int = 11,
    basis: str | None = None,
    levels: Sequence[float] | None = None,
    solver: SolverName = "highs",
) -> pd.DataFrame:
    """Least cost per serving against the level of `nutrient` (in the brief's unit, on
    `basis`: by default the basis of the brief's first bound on it, else per serving).

    Columns: level, cost_per_serving (currency), marginal_cost_per_0.1 (currency per
    0.1 unit more), blend ("id g, …"), status. `attrs` name the nutrient, unit,
    basis, currency and brief. An infeasible brief gives an empty frame whose
    attrs["status"] says so.

    The default solver is HiGHS, not CBC as for `sarcoform.solve`: a sweep is many
    solves of one LP, and HiGHS takes a fraction of CBC's time on each (bench_solve).
    """
    import pandas as pd

    if points < 2 and levels is None:
        raise UsageError(f"--points must be at least 2, got {points}")
    compiled, k = _swept_brief(foods, spec, nutrient, basis)
    b = compiled.bounds[k]
    attrs = {
        "nutrient": b.subject,
        "unit": b.unit,
        "basis": b.basis,
        "currency": spec.currency,
        "brief": spec.name,
        "step": STEP,
        "status": "optimal",
    }
    if levels is None:
        span = _span(compiled, k)
        if span is None:
            frame = pd.DataFrame(columns=list(COLUMNS))
            frame.attrs = {**attrs, "status": "infeasible"}
            return frame
        levels = np.linspace(span[0], span[1], points).tolist()
        top = levels[-1]
    else:
        top = math.inf
    rows = [_point(compiled, k, float(level), solver) for level in levels]
    if compiled.lp.is_mip:
        _finite_differences(rows)
    for row in rows:
        if float(row["level"]) >= top:  # type: ignore[arg-type]
            row["marginal_cost_per_0.1"] = math.nan  # the most the brief allows: no more at any cost
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    frame.attrs = attrs
    return frame


def _swept_brief(
    foods: FoodTable, spec: ConstraintSet, nutrient: str, basis: str | None
) -> tuple[Compiled, int]:
    """The brief at least cost with its floor on the nutrient replaced by a movable one."""
    columns = ColumnSet(foods, {name: d.expr for name, d in spec.derived.items()})
    try:
        column = columns.resolve(nutrient)
    except ColumnError as err:
        raise UsageError(f"--nutrient: {err}") from None
    same = [e for e in spec.nutrients if _resolves(columns, e.name) == column]
    if basis is None:
        basis = same[0].basis if same else "serving"
    if basis not in BASES:
        raise UsageError(f"--basis {basis!r}: use one of {', '.join(BASES)}")
    unit = next((e.unit for e in same if e.basis == basis and e.unit), None)
    kept: list[NutrientBound] = []
    for e in spec.nutrients:
        if e in same and e.basis == basis and e.min is not None:
            if e.max is None:
                continue
            e = e.model_copy(update={"min": None})
        kept.append(e)
    sweep = NutrientBound(name=column, basis=basis, unit=unit, min=0.0, source=SWEEP)  # type: ignore[arg-type]
    swept = spec.model_copy(update={"objective": "min_cost", "nutrients": (*kept, sweep)})
    compiled = compile_brief(foods, swept)
    chance.refuse(compiled, "the frontier")
    k = max(i for i, b in enumerate(compiled.bounds) if b.kind == "nutrient" and b.source == SWEEP)
    return compiled, k


def _resolves(columns: ColumnSet, name: str) -> str | None:
    try:
        return columns.resolve(name)
    except ColumnError:
        return None


def _span(compiled: Compiled, k: int) -> tuple[float, float] | None:
    """(level of the least-cost blend without the floor, most the brief allows)."""
    free = without(compiled.lp, [elements(compiled)[(k, "min")]])
    cheapest = practical.solve(free, "highs", None, len(compiled.foods))
    if cheapest.x is None:
        return None
    b = compiled.bounds[k]
    low = b.value(cheapest.x[: len(compiled.foods)])
    high = extreme(compiled, free, k, "max")
    if low is None:
        return None
    if high is None:
        raise UsageError(
            f"{b.subject} {b.basis or ''} has no upper limit under this brief (a free serving?):"
            " give the levels explicitly"
        )
    return low, max(low, high)


def _point(compiled: Compiled, k: int, level: float, solver: SolverName) -> dict[str, object]:
    lp = with_bound(compiled, compiled.lp, k, "min", level)
    sol = practical.solve(lp, solver, None, len(compiled.foods))
    row: dict[str, object] = {
        "level": level,
        "cost_per_serving": math.nan,
        "marginal_cost_per_0.1": math.nan,
        "blend": "",
        "status": sol.status,
    }
    if sol.x is None:
        return row
    x = sol.x[: len(compiled.foods)]
    cost = float(compiled.cost @ x)
    row["cost_per_serving"] = cost
    if sol.row_duals is not None:
        # A floor's shadow price on a least-cost brief is ≥ 0: anything clearly below 0
        # is a fault and is shown as it is, only rounding noise is shown as 0.
        marginal = compiled.shadow_price(k, x, sol.row_duals, sol.col_duals, "min") * STEP
        if -ROUNDING * max(1.0, abs(cost)) <= marginal < 0:
            marginal = 0.0
        row["marginal_cost_per_0.1"] = marginal
    order = np.argsort(-x, kind="stable")
    row["blend"] = ", ".join(f"{compiled.foods.ids[i]} {x[i]:.3g} g" for i in order if x[i] > 1e-9)
    return row


def _finite_differences(rows: list[dict[str, object]]) -> None:
    """Marginal cost from the previous level (mixed-integer briefs have no duals)."""
    for before, after in itertools.pairwise(rows):
        dx = float(after["level"]) - float(before["level"])  # type: ignore[arg-type]
        dc = float(after["cost_per_serving"]) - float(before["cost_per_serving"])  # type: ignore[arg-type]
        if dx > 0 and math.isfinite(dc):
            after["marginal_cost_per_0.1"] = dc / dx * STEP
