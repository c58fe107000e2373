"""solve(): compile the brief, run the solver, explain and check the answer."""

from __future__ import annotations

import math
import time
from typing import Literal

import numpy as np

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
from ..model.spec import ConstraintSet
from ..model.units import label, split_column
from . import diagnose, practical
from . import sensitivity as ranges
from .compile import Bound, Compiled, compile_brief
from .lp import LPSolution, MatrixLP
from .verify import TOLERANCE, Checker

ZERO = 1e-9  # grams below this are reported as 0
BINDING = 1e-6  # relative distance to a bound that counts as binding
TIE_TOLERANCE = 1e-7  # relative give on the optimum when breaking ties by cost


def solve(
    foods: FoodTable,
    spec: ConstraintSet,
    *,
    solver: str = "cbc",
    time_limit: float | None = None,
    sensitivity: bool = True,
) -> Result:
    """The best blend for the brief. Infeasible or unbounded briefs are results too.

    sensitivity=False skips the ranges (shadow-price ranges, price ranges, entry
    prices), for many quick re-solves.
    """
    started = time.perf_counter()
    compiled = compile_brief(foods, spec)
    return solve_compiled(
        compiled, solver=solver, time_limit=time_limit, started=started, sensitivity=sensitivity
    )


def solve_compiled(
    compiled: Compiled,
    *,
    solver: str = "cbc",
    time_limit: float | None = None,
    started: float | None = None,
    sensitivity: bool = True,
) -> Result:
    started = time.perf_counter() if started is None else started
    first = practical.solve(compiled.lp, solver, time_limit, len(compiled.foods))
    notes = list(compiled.notes)
    final = first
    if first.status == "optimal" and compiled.spec.objective_kind != "min_cost":
        final, note = _cheapest_among_optimal(compiled, first, solver, time_limit)
        if note:
            notes.append(note)
    return build_result(compiled, first, final, time.perf_counter() - started, notes, sensitivity=sensitivity)


def _cheapest_among_optimal(
    compiled: Compiled, first: LPSolution, solver: str, time_limit: float | None
) -> tuple[LPSolution, str | None]:
    """Deterministic tie-break: the cheapest of the blends that reach the optimum."""
    if not compiled.prices_known:
        return first, "tie-break by cost skipped: some ingredients that may enter have no price"
    second = practical.solve(tie_break_lp(compiled, first), solver, time_limit, len(compiled.foods))
    if second.status != "optimal":
        return first, f"tie-break by cost failed ({second.status}); first optimum kept"
    return second, None


def tie_break_lp(compiled: Compiled, first: LPSolution) -> MatrixLP:
    """Least cost among the blends within TIE_TOLERANCE of the first optimum."""
    assert first.objective is not None
    give = TIE_TOLERANCE * max(1.0, abs(first.objective))
    lp = compiled.lp.with_row("objective", compiled.lp.c, -math.inf, first.objective + give)
    cost = np.zeros(lp.shape[1])
    cost[: len(compiled.cost)] = compiled.cost  # practical briefs: use indicators cost nothing
    return lp.with_objective(cost)


def build_result(
    compiled: Compiled,
    first: LPSolution,
    final: LPSolution,
    seconds: float,
    notes: list[str],
    *,
    sensitivity: bool = True,
) -> Result:
    spec = compiled.spec
    foods = compiled.foods
    common = {
        "objective": spec.objective,
        "objective_unit": compiled.objective_unit,
        "currency": spec.currency,
        "servings_per_day": spec.serving.servings_per_day,
        "solver": first.solver,
        "solve_seconds": seconds,
        "spec_name": spec.name,
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
            serving_g=spec.serving.serving_g,
            diagnosis=_why_not(compiled, first),
            **common,  # type: ignore[arg-type]
        )
    x = final.x[: len(foods)]  # practical briefs: use indicators follow the foods
    x = np.where(np.abs(x) < ZERO, 0.0, x)
    mip = "mixed-integer brief (ingredient count, minimum inclusion): no shadow prices"
    more = [mip] if compiled.lp.is_mip else []
    mass = float(x.sum())
    cost = float(compiled.cost @ x)
    sign = compiled.sense  # turns minimisation duals into the user's objective sense
    objective_value = cost if spec.objective_kind == "min_cost" else float(compiled.objective @ x)
    constraint_lines = [
        _constraint_line(compiled, k, b, x, first, sign) for k, b in enumerate(compiled.bounds)
    ]
    tie_break = tie_break_lp(compiled, first) if final is not first else None
    constraint_lines, blend_lines, unused, said = ranges.attach(
        compiled, first, final, x, constraint_lines, _blend_lines(compiled, x, mass), tie_break, sensitivity
    )
    common["notes"] = [*notes, *more, *said]
    return Result(
        status=final.status,  # type: ignore[arg-type]
        objective_value=objective_value,
        cost_per_serving=cost,
        cost_per_kg=cost / mass * 1000 if mass > 0 else None,
        cost_per_day=cost * spec.serving.servings_per_day,
        serving_g=mass,
        blend=blend_lines,
        unused=unused,
        nutrients=_nutrient_lines(compiled, x, mass),
        constraints=constraint_lines,
        ingredients=_ingredient_lines(compiled, x, first, sign),
        verification=verify(compiled, x),
        diagnosis=_why_not(compiled, final) if final.status != "optimal" else None,
        gap=final.gap,
        **common,  # type: ignore[arg-type]
    )


def _why_not(compiled: Compiled, sol: LPSolution) -> Diagnosis:
    if sol.status == "infeasible":
        return diagnose.infeasible(compiled)
    if sol.status == "unbounded":
        return diagnose.unbounded(compiled)
    if sol.status == "time_limit":
        found = "the best blend found so far is reported" if sol.has_solution else "no blend found"
        gap = f" (gap {sol.gap:.2%})" if sol.gap is not None else ""
        return Diagnosis(reason=f"stopped at the time limit{gap}: {found}", hints=["raise --time-limit"])
    return Diagnosis(reason=f"the solver failed: {sol.message}")


def _blend_lines(compiled: Compiled, x: np.ndarray, mass: float) -> list[BlendLine]:
    foods = compiled.foods
    lines = []
    for i in np.flatnonzero(x > 0):
        price = float(foods.price_per_kg[i])
        lines.append(
            BlendLine(
                id=foods.ids[i],
                name=foods.names[i],
                grams=float(x[i]),
                percent=100 * float(x[i]) / mass,
                cost=float(compiled.cost[i] * x[i]),
                price_per_kg=None if math.isnan(price) else price,
                group=foods.text("group", int(i)),
            )
        )
    return sorted(lines, key=lambda line: (-line.grams, line.id))


def _nutrient_lines(compiled: Compiled, x: np.ndarray, mass: float) -> list[NutrientLine]:
    columns = compiled.columns
    used = x > 0
    blank_zero = compiled.spec.blank_values == "zero"
    per_serving: dict[str, float | None] = {}
    for name in columns.names():
        if not split_column(name):
            continue
        values = columns.get(name).values
        if blank_zero:
            values = np.nan_to_num(values, nan=0.0)
        unknown = bool(np.isnan(values[used]).any())
        per_serving[name] = None if unknown else float(np.nan_to_num(values) @ x / 100)
    energy = per_serving.get("energy_kcal")
    if energy is None and per_serving.get("energy_kj") is not None:
        energy = per_serving["energy_kj"] / 4.184  # type: ignore[operator]
    spd = compiled.spec.serving.servings_per_day
    lines = []
    for name, amount in per_serving.items():
        column = columns.get(name)
        lines.append(
            NutrientLine(
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
    compiled: Compiled, k: int, b: Bound, x: np.ndarray, sol: LPSolution, sign: int
) -> ConstraintLine:
    value = b.value(x)
    active = _active_side(b, value)
    slack = _slack(b, value)
    return ConstraintLine(
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
        shadow_price=_shadow_price(compiled, k, b, x, sol, sign, active),
        source=b.source,
        note=b.note,
    )


def _active_side(b: Bound, value: float | None) -> Literal["min", "max"] | None:
    if value is None:
        return None
    side: Literal["min", "max"]
    for side, bound in (("min", b.min), ("max", b.max)):
        if bound is not None and abs(value - bound) <= BINDING * max(1.0, abs(bound)):
            return side
    return None


def _slack(b: Bound, value: float | None) -> float | None:
    if value is None:
        return None
    gaps = [value - b.min] if b.min is not None else []
    gaps += [b.max - value] if b.max is not None else []
    return min(gaps) if gaps else None


def _shadow_price(
    compiled: Compiled,
    k: int,
    b: Bound,
    x: np.ndarray,
    sol: LPSolution,
    sign: int,
    active: str | None,
) -> float | None:
    """∂objective/∂bound in the objective's units per unit of the bound.

    For a row num·x − bound·(den·x + den0) ⋛ −num0 the envelope theorem gives
    ∂obj/∂bound = dual × (den·x + den0): the dual of the row times the denominator.
    """
    if sol.row_duals is None or sol.col_duals is None:
        return None
    if b.column is not None:
        # An ingredient bound in grams is a column bound: its price is the reduced
        # cost, but only when the column sits on *this* bound (not on x ≥ 0).
        j = b.column
        owner = {"min": compiled.col_lo_owner, "max": compiled.col_hi_owner}.get(active or "")
        return _clean(sign * float(sol.col_duals[j])) if owner and owner.get(j) == k else 0.0
    total = 0.0
    for r, (bound_index, _side) in enumerate(compiled.row_of):
        if bound_index == k:
            total += float(sol.row_duals[r]) * b.denominator(x)
    return _clean(sign * total)


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
            IngredientLine(
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
    checks = Checker(compiled.foods, compiled.spec, compiled.columns).checks(grams)
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
    return Verification(ok=not failures, max_violation=worst, checked=len(checks), failures=failures)


def _fmt(v: float | None) -> str:
    return "–" if v is None else f"{v:.6g}"
