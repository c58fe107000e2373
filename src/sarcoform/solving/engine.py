"""solve(): compile the brief, run the solver, explain and check the answer."""

from __future__ import annotations

import math
import re
import time
from typing import Any, overload

import numpy as np

from ..model import args
from ..model.args import renamed_keyword
from ..model.brief import Brief
from ..model.foods import FoodTable
from ..model.result import (
    BlendLine,
    ConstraintLine,
    Diagnosis,
    IngredientLine,
    NutrientLine,
    Result,
    Verification,
)
from ..model.trusted import trusted
from ..model.units import label, split_column
from . import chance, diagnose, practical, practical_cost, shelf_life
from . import sensitivity as ranges
from .backends import SolverName
from .compile import Bound, Compiled, compile_brief
from .lp import LPSolution, MatrixLP
from .recheck import recheck
from .verify import TOLERANCE, Checker

ZERO = 1e-9  # grams below this are reported as 0
TIE_TOLERANCE = 1e-7  # relative give on the optimum when breaking ties by cost


@renamed_keyword("spec", "brief")  # keep: old spelling
def solve(
    foods: FoodTable,
    brief: Brief,
    *,
    solver: SolverName = "cbc",
    time_limit: float | None = None,
    sensitivity: bool = True,
) -> Result:
    """The best blend for the brief. Infeasible or unbounded briefs are results too.

    sensitivity=False skips the ranges (shadow-price ranges, price ranges, entry
    prices), for many quick re-solves.
    """
    started = time.perf_counter()
    check_solve_args(foods, brief, solver, time_limit, sensitivity)
    compiled = compile_brief(foods, brief)
    return solve_compiled(
        compiled, solver=solver, time_limit=time_limit, started=started, sensitivity=sensitivity
    )


def check_solve_args(foods: Any, brief: Any, solver: Any, time_limit: Any, sensitivity: Any) -> None:
    """InputError for arguments of the wrong kind (the API's edge)."""
    args.expect(foods, FoodTable, "solve(foods)")
    args.expect(brief, Brief, "solve(brief)")
    args.text(solver, "solver")
    args.time_limit(time_limit)
    args.flag(sensitivity, "sensitivity")


def solve_compiled(
    compiled: Compiled,
    *,
    solver: SolverName = "cbc",
    time_limit: float | None = None,
    started: float | None = None,
    sensitivity: bool = True,
) -> Result:
    started = time.perf_counter() if started is None else started
    plain, outer, asked = compiled, None, sensitivity
    if chance.has_chance(compiled):
        outer = chance.outer_approximation(compiled, solver, time_limit)
        compiled, first = outer.compiled, outer.solution
        sensitivity = False  # ranges of the cuts' linearisation would mislead
    else:
        first = practical.solve(compiled.lp, solver, time_limit, len(compiled.foods))
    notes = list(compiled.notes)
    final = first
    if first.status == "optimal" and compiled.brief.objective_kind != "min_cost":
        final, note = _cheapest_among_optimal(compiled, first, solver, time_limit)
        if outer is not None and final is not first and not chance.holds(outer, final):
            final, note = (
                first,
                "tie-break by cost skipped: it leaves a chance constraint; first optimum kept",
            )
        if note:
            notes.append(note)
    seconds = time.perf_counter() - started
    left = None if time_limit is None else max(0.0, time_limit - seconds)
    result = build_result(compiled, first, final, seconds, notes, sensitivity=sensitivity, time_left=left)
    if outer is not None:
        result = chance.report(plain, outer, result, solver, time_limit, ranges_asked=asked)
    if compiled.lp.is_mip and result.ok:
        result = _practical_insight(compiled, result, solver, sensitivity)
    return with_shelf_life(compiled, result)


def with_shelf_life(compiled: Compiled, result: Result) -> Result:
    """A result with its brief's processing and shelf-life report (the last step of every
    solve, the batch's items included)."""
    return shelf_life.report(compiled, shelf_life.processed(compiled, result))


def _practical_insight(compiled: Compiled, mip: Result, solver: SolverName, sensitivity: bool) -> Result:
    """A practical brief's LP optimum and fixed-choice sensitivity (see practical_cost)."""
    plain = practical_cost.without_limits(compiled)
    free = solve_compiled(plain, solver=solver, sensitivity=False)
    x = np.array([mip.grams.get(i, 0.0) for i in compiled.foods.ids])
    fixed_brief = practical_cost.with_choice_fixed(plain, x, compiled.brief.min_inclusion_g)
    fixed = solve_compiled(fixed_brief, solver=solver, sensitivity=sensitivity)
    return practical_cost.attach(mip, free, fixed)


def _cheapest_among_optimal(
    compiled: Compiled, first: LPSolution, solver: SolverName, time_limit: float | None
) -> tuple[LPSolution, str | None]:
    """Deterministic tie-break: the cheapest of the blends that reach the optimum."""
    if not compiled.prices_known:
        return first, "tie-break by cost skipped: some ingredients that may enter have no price"
    assert first.objective is not None
    second = practical.solve(tie_break_lp(compiled, first.objective), solver, time_limit, len(compiled.foods))
    if second.status != "optimal":
        return first, f"tie-break by cost failed ({second.status}); first optimum kept"
    return second, None


def tie_break_lp(compiled: Compiled, objective: float) -> MatrixLP:
    """Least cost among the blends within TIE_TOLERANCE of the first optimum `objective`
    (c·x of the LP as posed): the LP, its objective as one more row (the last), and cost."""
    lp = compiled.lp.with_row("objective", compiled.lp.c, -math.inf, tie_break_cap(objective))
    cost = np.zeros(lp.shape[1])
    cost[: len(compiled.cost)] = compiled.cost  # practical briefs: use indicators cost nothing
    return lp.with_objective(cost)


@overload
def tie_break_cap(objective: float) -> float: ...
@overload
def tie_break_cap(objective: np.ndarray) -> np.ndarray: ...
def tie_break_cap(objective: float | np.ndarray) -> float | np.ndarray:
    """The tie-break LP's bound on c·x: the first optimum and a relative give of
    TIE_TOLERANCE (of each optimum, for an array of them)."""
    if isinstance(objective, np.ndarray):
        return objective + TIE_TOLERANCE * np.maximum(1.0, np.abs(objective))
    return objective + TIE_TOLERANCE * max(1.0, abs(objective))


def build_result(
    compiled: Compiled,
    first: LPSolution,
    final: LPSolution,
    seconds: float,
    notes: list[str],
    *,
    sensitivity: bool = True,
    time_left: float | None = None,
) -> Result:
    """The Result of a solve (see solve_compiled). `time_left`: seconds the explanation of
    a brief without an answer may take (None: no limit)."""
    brief = compiled.brief
    foods = compiled.foods
    common = {
        "objective": brief.objective,
        "objective_unit": compiled.objective_unit,
        "currency": brief.currency,
        "servings_per_day": brief.serving.servings_per_day,
        "solver": first.solver,
        "solve_seconds": seconds,
        "brief_name": brief.name,
        "foods_origin": foods.origin,
        "notes": notes,
    }
    if final.x is None:
        return Result(
            status=first.status,  # type: ignore[arg-type]
            objective_value=None,
            cost_per_serving=None,
            cost_per_kg=None,
            cost_per_day=None,
            serving_g=brief.serving.serving_g,
            diagnosis=_why_not(compiled, first, time_left),
            **common,  # type: ignore[arg-type]
        )
    x = final.x[: len(foods)]  # practical briefs: use indicators follow the foods
    x = np.where(np.abs(x) < ZERO, 0.0, x)
    x.flags.writeable = False  # read by every line, range and check: Bound.value keeps its values
    mip = "mixed-integer brief (ingredient count, minimum inclusion): no shadow prices"
    more = [mip] if compiled.lp.is_mip else []
    mass = float(x.sum())
    # Unknown prices (a composition table, a max-nutrient brief) give no cost, not zero.
    cost = float(compiled.cost @ x) if compiled.prices_known else None
    sign = compiled.sense  # turns minimisation duals into the user's objective sense
    objective_value = cost if brief.objective_kind == "min_cost" else float(compiled.objective @ x)
    # The duals belong to the first optimum; the tie-break may move a hair off its
    # bounds (within the objective's give), so which bound binds is read there too.
    x_dual = x if first.x is None else np.where(np.abs(first.x) < ZERO, 0.0, first.x)[: len(foods)]
    same = x_dual is x or np.array_equal(x_dual, x)  # then each bound's value is read once
    constraint_lines = [
        _constraint_line(compiled, k, b, x, x if same else x_dual, first)
        for k, b in enumerate(compiled.bounds)
    ]
    tie_break = (
        tie_break_lp(compiled, first.objective)
        if final is not first and first.objective is not None
        else None
    )
    # first: no ranges around a blend that fails the brief (chance, worst-lot and end-of-shelf-life
    # bounds re-checked too)
    checked = recheck(compiled, x, verify(compiled, x))
    constraint_lines, blend_lines, unused, said = ranges.attach(
        compiled,
        first,
        final,
        x,
        constraint_lines,
        _blend_lines(compiled, x, mass),
        tie_break,
        sensitivity and checked.ok,
    )
    common["notes"] = [*notes, *more, *said]
    status = gated_status(final.status, checked.ok)
    diagnosis = _why_not(compiled, final, time_left) if final.status != "optimal" else None
    if status == "unverified":
        diagnosis = unverified_diagnosis(checked.failures)
    return trusted(Result)(
        status=status,  # type: ignore[arg-type]
        objective_value=objective_value,
        cost_per_serving=cost,
        cost_per_kg=cost / mass * 1000 if cost is not None and mass > 0 else None,
        cost_per_day=cost * brief.serving.servings_per_day if cost is not None else None,
        serving_g=mass,
        blend=blend_lines,
        unused=unused,
        nutrients=_nutrient_lines(compiled, x, mass),
        constraints=constraint_lines,
        ingredients=_ingredient_lines(compiled, x, first, sign),
        verification=checked,
        diagnosis=diagnosis,
        gap=final.gap,
        **common,  # type: ignore[arg-type]
    )


def gated_status(status: str, verified: bool | None) -> str:
    """The solver's status, unless it claims an optimum the independent check rejects."""
    return "unverified" if status == "optimal" and verified is False else status


def unverified_diagnosis(failures: list[str]) -> Diagnosis:
    return Diagnosis(
        reason="the solver reports an optimum, but the blend fails the independent check of the brief"
        " against the food table: " + "; ".join(failures[:5]),
        conflict=[re.split(r": (?=\S+ outside \[|the LP computes)", f, maxsplit=1)[0] for f in failures],
        hints=[
            "look for extreme values in the food table (e.g. a value in mg written in a g column)",
            "try the other solver (--solver highs / cbc)",
        ],
    )


def _why_not(compiled: Compiled, sol: LPSolution, time_left: float | None) -> Diagnosis:
    if sol.status == "infeasible":
        return diagnose.infeasible(compiled, time_left)
    if sol.status == "unbounded":
        return diagnose.unbounded(compiled)
    if sol.status == "time_limit":
        found = "the best blend found so far is reported" if sol.has_solution else "no blend found"
        gap = f" (gap {sol.gap:.2%})" if sol.gap is not None else ""
        return Diagnosis(reason=f"stopped at the time limit{gap}: {found}", hints=["raise --time-limit"])
    from .magnitude import too_large

    return too_large(compiled) or Diagnosis(reason=f"the solver failed: {sol.message}")


def _blend_lines(compiled: Compiled, x: np.ndarray, mass: float) -> list[BlendLine]:
    foods = compiled.foods
    lines = []
    for i in np.flatnonzero(x > 0):
        price = float(foods.price_per_kg[i])
        lines.append(
            trusted(BlendLine)(
                id=foods.ids[i],
                name=foods.names[i],
                grams=float(x[i]),
                percent=100 * float(x[i]) / mass,
                cost=float(compiled.cost[i] * x[i]) if not math.isnan(price) else None,
                price_per_kg=None if math.isnan(price) else price,
                group=foods.text("group", int(i)),
            )
        )
    return sorted(lines, key=lambda line: (-line.grams, line.id))


def _nutrient_lines(compiled: Compiled, x: np.ndarray, mass: float) -> list[NutrientLine]:
    columns = compiled.columns
    used = x > 0
    blank_zero = compiled.brief.blank_values == "zero"
    names = [name for name in columns.names() if split_column(name)]
    # Blanks and NaN → 0 over all columns at once; each amount stays its own dot product
    # (one matrix product sums in another order, and the last digits would change).
    table = columns.stacked(tuple(names))  # made once per food table
    unknown = np.zeros(len(names), dtype=bool) if blank_zero else np.isnan(table[:, used]).any(axis=1)
    known = np.nan_to_num(table)
    per_serving: dict[str, float | None] = {
        name: None if unknown[i] else float(known[i] @ x / 100) for i, name in enumerate(names)
    }
    energy = per_serving.get("energy_kcal")
    if energy is None and per_serving.get("energy_kj") is not None:
        energy = per_serving["energy_kj"] / 4.184  # type: ignore[operator]
    spd = compiled.brief.serving.servings_per_day
    lines = []
    for name, amount in per_serving.items():
        column = columns.get(name)
        lines.append(
            trusted(NutrientLine)(
                nutrient=name,
                unit=label(column.unit),
                per_serving=amount,
                per_day=None if amount is None else amount * spd,
                per_100g=None if amount is None or mass <= 0 else amount / mass * 100,
                per_100kcal=None if amount is None or not energy else amount / energy * 100,
                derived_from=column.derived_from,
            )
        )
    return lines


def _constraint_line(
    compiled: Compiled, k: int, b: Bound, x: np.ndarray, x_dual: np.ndarray, sol: LPSolution
) -> ConstraintLine:
    value = b.value(x)
    # Binding at the reported blend; or at the first optimum with a price there (the
    # tie-break may move a hair off such a bound). A bound met only by the first stage's
    # vertex, with no price, does not bind the blend (ranges and the fast path read it so).
    active = b.active_side(value)
    at_first = active if x_dual is x else b.active_side(b.value(x_dual))
    if active is None and at_first is not None and _shadow_price(compiled, k, x_dual, sol, at_first):
        active = at_first
    slack = _slack(b, value)
    price = _shadow_price(compiled, k, x_dual, sol, active)
    return trusted(ConstraintLine)(
        name=b.name,
        kind=b.kind,
        basis=b.basis,
        label=b.describe(),
        unit=b.unit,
        value=value,
        min=b.min,
        max=b.max,
        slack=slack,
        binding=active is not None,
        active=active,
        shadow_price=price,
        source=b.source,
        note=b.note,
        background=b.num0 if b.kind == "nutrient" and b.den is None and b.num0 else None,
    )


def _slack(b: Bound, value: float | None) -> float | None:
    if value is None:
        return None
    gaps = [value - b.min] if b.min is not None else []
    gaps += [b.max - value] if b.max is not None else []
    return min(gaps) if gaps else None


def _shadow_price(
    compiled: Compiled, k: int, x: np.ndarray, sol: LPSolution, active: str | None
) -> float | None:
    """∂objective/∂bound (Compiled.shadow_price), None without duals (a MIP)."""
    if sol.row_duals is None or sol.col_duals is None:
        return None
    return _clean(compiled.shadow_price(k, x, sol.row_duals, sol.col_duals, active))


def _clean(v: float) -> float:
    return 0.0 if abs(v) < 1e-12 else v


def _ingredient_lines(compiled: Compiled, x: np.ndarray, sol: LPSolution, sign: int) -> list[IngredientLine]:
    foods = compiled.foods
    lp = compiled.lp
    lines = []
    for j, food_id in enumerate(foods.ids):
        price = float(foods.price_per_kg[j])
        at = None
        if x[j] <= lp.col_lo[j] + ZERO and lp.col_lo[j] > 0:
            at = "min"
        elif math.isfinite(lp.col_hi[j]) and x[j] >= lp.col_hi[j] - ZERO:
            at = "max"
        lines.append(
            trusted(IngredientLine)(
                id=food_id,
                name=foods.names[j],
                grams=float(x[j]),
                price_per_kg=None if math.isnan(price) else price,
                reduced_cost=None if sol.col_duals is None else _clean(sign * float(sol.col_duals[j])),
                at_bound=at,  # type: ignore[arg-type]
            )
        )
    return lines


def verify(compiled: Compiled, x: np.ndarray) -> Verification:
    """Independent check of every bound from the raw table, plus agreement with the LP."""
    grams = {food_id: float(g) for food_id, g in zip(compiled.foods.ids, x, strict=True)}
    checks = Checker(compiled.foods, compiled.brief, compiled.columns).checks(grams)
    failures = [
        f"{c.name}: {_fmt(c.value)} outside [{_fmt(c.min)}, {_fmt(c.max)}]"
        for c in checks
        if c.violation > TOLERANCE
    ]
    by_name = {b.name: b for b in compiled.bounds}
    for c in checks:
        b = by_name.get(c.name)
        compiled_value = None if b is None else b.value(x)
        if b is None or compiled_value is None or c.value is None:
            continue
        if abs(compiled_value - c.value) > TOLERANCE * max(1.0, abs(c.value)):
            failures.append(f"{c.name}: the LP computes {compiled_value:.9g}, the check {c.value:.9g}")
    worst = max((c.violation for c in checks), default=0.0)
    return trusted(Verification)(
        ok=not failures,
        max_violation=worst if math.isfinite(worst) else None,  # None: a value is unknown
        checked=len(checks),
        failures=failures,
    )


def _fmt(v: float | None) -> str:
    return "–" if v is None else f"{v:.6g}"
