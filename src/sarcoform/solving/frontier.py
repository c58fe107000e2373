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
from ..model import args
from ..model.args import renamed_keyword
from ..model.brief import BASES, Brief, NutrientBound
from ..model.columns import ColumnError, ColumnSet
from ..model.foods import FoodTable
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


@renamed_keyword("spec", "brief")  # keep: old spelling
def frontier(
    foods: FoodTable,
    brief: Brief,
    nutrient: str = "leucine",
    *,
    points: int = 11,
    basis: str | None = None,
    levels: Sequence[float] | None = None,
    start: float | None = None,
    stop: float | None = None,
    step: float | None = None,
    solver: SolverName = "highs",
) -> pd.DataFrame:
    """Least cost per serving against the level of `nutrient` (in the brief's unit, on
    `basis`: by default the basis of the brief's first bound on it, else per serving).

    Columns: level, cost_per_serving (currency), marginal_cost_per_0.1 (currency per
    0.1 unit more), blend ("id g, …"), status. `attrs` name the nutrient, unit,
    basis, currency and brief. An infeasible brief gives an empty frame whose
    attrs["status"] says so.

    Levels: `levels` as given, else `start`..`stop` (default: the least-cost blend's level
    and the most the brief allows) in steps of `step`, or in `points` even steps. Levels
    no blend reaches are left out, never shown as nan rows: attrs["notes"] says so.
    attrs["steps"] lists (level, marginal cost per 0.1, cost) where the marginal cost
    changes, found exactly on a linear brief (the breakpoints of the curve), for drawing.

    The default solver is HiGHS, not CBC as for `sarcoform.solve`: a sweep is many
    solves of one LP, and HiGHS takes a fraction of CBC's time on each (bench_solve).
    """
    import pandas as pd

    args.expect(foods, FoodTable, "frontier(foods)")
    args.expect(brief, Brief, "frontier(brief)")
    args.text(nutrient, "frontier(nutrient)")
    args.count(points, "frontier(points)", 2 if levels is None else 1)
    if points < 2 and levels is None:
        raise UsageError(f"--points must be at least 2, got {points}")
    on_means = brief.asks_probability
    if on_means:
        brief = brief.on_mean_values()
    compiled, k = _swept_brief(foods, brief, nutrient, basis)
    b = compiled.bounds[k]
    attrs = {
        "nutrient": b.subject,
        "unit": b.unit,
        "basis": b.basis,
        "currency": brief.currency,
        "brief": brief.name,
        "step": STEP,
        "status": "optimal",
    }
    notes: list[str] = [f"the curve is {chance.ON_MEAN_VALUES}"] if on_means else []
    top = math.inf
    if levels is None:
        span = _span(compiled, k)
        if span is None:
            frame = pd.DataFrame(columns=list(COLUMNS))
            frame.attrs = {**attrs, "status": "infeasible"}
            return frame
        levels, top = _levels(span, start, stop, step, points, f"{b.subject} ({b.unit or ''})", notes)
    rows = [_point(compiled, k, float(level), solver) for level in levels]
    if compiled.lp.is_mip:
        _finite_differences(rows)
    failed = [r for r in rows if r["status"] != "optimal"]
    if failed:
        shown = ", ".join(f"{float(r['level']):.4g} ({r['status']})" for r in failed[:5])  # type: ignore[arg-type]
        notes.append(f"{len(failed)} level(s) left out, no blend found: {shown}")
        rows = [r for r in rows if r["status"] == "optimal"]
    if compiled.lp.is_mip:
        steps = _mip_steps(rows)
    else:
        steps = _steps(compiled, k, solver, rows, top)
        _right_slopes(rows, steps)
    for row in rows:
        if float(row["level"]) >= top:  # type: ignore[arg-type]
            row["marginal_cost_per_0.1"] = math.nan  # the most the brief allows: no more at any cost
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    frame.attrs = {**attrs, "notes": notes, "steps": steps, "top": top}
    return frame


def _levels(
    span: tuple[float, float],
    start: float | None,
    stop: float | None,
    step: float | None,
    points: int,
    what: str,
    notes: list[str],
) -> tuple[list[float], float]:
    """The levels to solve at, and the top one (the most the brief allows, else inf)."""
    low, high = span
    first = low if start is None else start
    last = high if stop is None else stop
    if step is not None and step <= 0:
        raise UsageError(f"--step must be > 0, got {step:g}")
    if last < first:
        raise UsageError(f"--to {last:g} is below --from {first:g}")
    if last > high * (1 + 1e-9) + 1e-12:
        notes.append(f"{what} above {high:.4g} is out of reach under this brief: the curve stops there")
        last = high
    if first > last:
        raise UsageError(f"--from {first:g}: the brief allows at most {high:.4g}")
    if step is None:
        levels = list(dict.fromkeys(np.linspace(first, last, points).tolist()))  # --from = --to: one level
    else:
        count = math.floor((last - first) / step + 1e-9)
        if count > 1000:
            raise UsageError(f"--step {step:g} gives {count + 1} levels: at most 1001")
        levels = [first + i * step for i in range(count + 1)]
        if last - levels[-1] > 1e-9 * max(1.0, abs(last)):
            levels.append(last)
    return levels, (high if levels[-1] >= high * (1 - 1e-12) else math.inf)


def _swept_brief(foods: FoodTable, brief: Brief, nutrient: str, basis: str | None) -> tuple[Compiled, int]:
    """The brief at least cost with its floor on the nutrient replaced by a movable one."""
    columns = ColumnSet(foods, {name: d.expr for name, d in brief.derived.items()})
    try:
        column = columns.resolve(nutrient)
    except ColumnError as err:
        raise UsageError(f"--nutrient: {err}") from None
    same = [e for e in brief.nutrients if _resolves(columns, e.name) == column]
    if basis is None:
        basis = same[0].basis if same else "serving"
    if basis not in BASES:
        raise UsageError(f"--basis {basis!r}: use one of {', '.join(BASES)}")
    unit = next((e.unit for e in same if e.basis == basis and e.unit), None)
    kept: list[NutrientBound] = []
    for e in brief.nutrients:
        if e in same and e.basis == basis and e.min is not None:
            if e.max is None:
                continue
            e = e.model_copy(update={"min": None})
        kept.append(e)
    sweep = NutrientBound(name=column, basis=basis, unit=unit, min=0.0, source=SWEEP)  # type: ignore[arg-type]
    swept = brief.model_copy(update={"objective": "min_cost", "nutrients": (*kept, sweep)})
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


def _steps(
    compiled: Compiled, k: int, solver: SolverName, rows: list[dict[str, object]], top: float
) -> list[tuple[float, float, float]]:
    """(level, marginal cost per 0.1, cost) at each level where the marginal cost changes.

    The curve is convex and piecewise linear. Between two solved levels whose slopes
    differ, the tangents meet at x; if the cost at x lies on them, x is the breakpoint
    (convexity puts the curve between chord and tangents), else both halves are searched.
    """
    points = [_curve_point(r) for r in rows]
    points = [p for p in points if math.isfinite(p[2])]
    if not points:
        return []
    scale = max(1.0, max(abs(p[1]) for p in points))
    found: list[tuple[float, float, float]] = []

    def search(a: tuple[float, float, float], b: tuple[float, float, float], depth: int) -> None:
        (la, ca, sa), (lb, cb, sb) = a, b
        if abs(sb - sa) * (lb - la) <= 1e-9 * scale or depth > 12:
            return
        x = (cb - ca + sa * la - sb * lb) / (sa - sb)
        if x <= la + 1e-9 * max(1.0, abs(la)):  # the kink is at a itself: sa was its left slope
            found.append((la, sb, ca))
            return
        if x >= lb:
            return
        row = _point(compiled, k, x, solver)
        if row["status"] != "optimal":
            return
        cx = float(row["cost_per_serving"])  # type: ignore[arg-type]
        if abs(cx - (ca + sa * (x - la))) <= 1e-7 * scale:
            found.append((x, sb, cx))
            return
        mid = _curve_point(row)
        search(a, mid, depth + 1)
        search(mid, b, depth + 1)

    for a, b in itertools.pairwise(points):
        search(a, b, 0)
    # Each solved level's own slope, unless a kink sits at that level: then the right slope.
    at_level = {lv: (lv, sl, c) for lv, c, sl in points}
    kinks = {lv: (lv, sl, c) for lv, sl, c in found}
    steps: list[tuple[float, float, float]] = []
    for level, slope, cost in sorted({**at_level, **kinks}.values()):
        if not steps or abs(slope - steps[-1][1]) > 1e-9 * scale:
            steps.append((level, slope, cost))
    return [(level, slope * STEP, cost) for level, slope, cost in steps if level < top]


def _right_slopes(rows: list[dict[str, object]], steps: list[tuple[float, float, float]]) -> None:
    """A level at a kink of the curve gets the slope just above it (what +0.1 costs)."""
    starts = {lv: m for lv, m, _ in steps}
    for row in rows:
        level = float(row["level"])  # type: ignore[arg-type]
        if level in starts:
            row["marginal_cost_per_0.1"] = starts[level]


def _curve_point(row: dict[str, object]) -> tuple[float, float, float]:
    """(level, cost, slope per unit) of a solved row."""
    values = (row["level"], row["cost_per_serving"], row["marginal_cost_per_0.1"])
    level, cost, marginal = (float(v) for v in values)  # type: ignore[arg-type]
    return level, cost, marginal / STEP


def _mip_steps(rows: list[dict[str, object]]) -> list[tuple[float, float, float]]:
    """A practical brief: the slope from each level to the next, drawn from that level."""
    out: list[tuple[float, float, float]] = []
    for before, after in itertools.pairwise(rows):
        level, cost, _ = _curve_point(before)
        marginal = float(after["marginal_cost_per_0.1"])  # type: ignore[arg-type]
        if math.isfinite(marginal) and not (
            out and math.isclose(marginal, out[-1][1], rel_tol=1e-6, abs_tol=1e-12)
        ):
            out.append((level, marginal, cost))
    return out


def _finite_differences(rows: list[dict[str, object]]) -> None:
    """Marginal cost from the previous level (mixed-integer briefs have no duals)."""
    for before, after in itertools.pairwise(rows):
        dx = float(after["level"]) - float(before["level"])  # type: ignore[arg-type]
        dc = float(after["cost_per_serving"]) - float(before["cost_per_serving"])  # type: ignore[arg-type]
        if dx > 0 and math.isfinite(dc):
            after["marginal_cost_per_0.1"] = dc / dx * STEP
