"""Shadow prices mean the same on both solvers and for min and max objectives:
the change of the objective per unit of the bound, in the objective's units.

Checked against finite differences: move one bound of the brief a little each way,
re-solve, and the reported shadow price must lie between the two one-sided slopes
(it is a subgradient of the optimal value; at degenerate points the slopes differ and
any value between them is a valid dual). Non-binding constraints must price at zero.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

import sarcoform as sf
from sarcoform.model.spec import ConstraintSet
from sarcoform.solving.compile import compile_brief


def _entries(spec: ConstraintSet) -> list[tuple[str, Any]]:
    """The brief's bounds in the order compile_brief makes them (documented there)."""
    out: list[tuple[str, Any]] = []
    s = spec.serving
    if s.serving_g is not None or s.min_g is not None or s.max_g is not None:
        out.append(("serving", None))
    seen: set[tuple[str, str]] = set()
    plain = re.compile(r"_(g|mg|ug|kcal|kj|iu)$")
    labile = {plain.sub("", c) for c in spec.shelf_life.retention} if spec.shelf_life else set()
    for i, e in enumerate(spec.nutrients):  # a rule-pack bound on a bound of the brief merges into it
        key = (plain.sub("", e.name), e.basis)
        if e.pack is None or key not in seen:
            out.append(("nutrient", i))
            if e.min is not None and key[0] in labile:  # its minimum again, at the end of shelf life
                out.append(("nutrient", i))
        seen.add(key)
    out += [("claim", i) for i in range(len(spec.claims))]  # each a bound after the nutrients
    out += [("ratio", i) for i in range(len(spec.ratios))]
    if spec.amino_acid_pattern is not None:
        out += [("pattern", k) for k in spec.amino_acid_pattern.min_mg_per_g]
    out += [("ingredient", i) for i in range(len(spec.ingredients))]
    out += [("group", i) for i in range(len(spec.groups))]
    if spec.cost is not None:
        out.append(("cost", None))
    return out


def _moved(spec: ConstraintSet, entry: tuple[str, Any], side: str, delta: float) -> ConstraintSet:
    kind, key = entry
    if kind == "serving":
        s = spec.serving
        if s.serving_g is not None:
            return spec.with_changes(serving=s.model_copy(update={"serving_g": s.serving_g + delta}))
        field = "min_g" if side == "min" else "max_g"
        return spec.with_changes(serving=s.model_copy(update={field: getattr(s, field) + delta}))
    if kind == "pattern":
        p = spec.amino_acid_pattern
        assert p is not None
        table = dict(p.min_mg_per_g)
        table[key] += delta
        return spec.with_changes(amino_acid_pattern=p.model_copy(update={"min_mg_per_g": table}))
    if kind == "cost":
        assert spec.cost is not None
        return spec.with_changes(cost=spec.cost.model_copy(update={side: getattr(spec.cost, side) + delta}))
    if kind == "claim":  # move the threshold of the claim's primary condition
        claims = list(spec.claims)
        rule = claims[key].rule
        assert rule is not None
        first, *rest = rule.conditions
        moved = first.model_copy(update={side: getattr(first, side) + delta})
        claims[key] = claims[key].model_copy(
            update={"rule": rule.model_copy(update={"conditions": (moved, *rest)})}
        )
        return spec.model_copy(update={"claims": tuple(claims)})
    field = {"nutrient": "nutrients", "ratio": "ratios", "ingredient": "ingredients", "group": "groups"}[kind]
    items = list(getattr(spec, field))
    item = items[key]
    update = {side: getattr(item, side) + delta}
    if item.min is not None and item.min == item.max:  # an equality moves as one
        update = {"min": item.min + delta, "max": item.max + delta}
    items[key] = item.model_copy(update=update)
    return spec.with_changes(**{field: items})


@pytest.mark.parametrize(
    ("preset", "objective"),
    [
        ("ons_powder", None),
        ("ons_max_leucine", None),
        ("milk_beverage_powder", None),
        ("ons_max_leucine", "max:protein"),
    ],  # the tie-break leaves the budget a hair off its cap
)
@pytest.mark.parametrize("solver", ["cbc", "highs"])
def test_shadow_prices_are_slopes_of_the_optimum(
    solver: str, preset: str, objective: str | None, foods: sf.FoodTable
) -> None:
    # On mean compositions: ons_powder's chance constraints are priced by their cuts (test_chance)
    spec = sf.load_spec(preset).on_mean_values()
    if objective is not None:
        spec = spec.with_changes(objective=objective)
    result = sf.solve(foods, spec, solver=solver)
    assert result.status == "optimal" and result.objective_value is not None
    bounds = compile_brief(foods, spec).bounds
    entries = _entries(spec)
    assert [b.name for b in bounds] == [c.name for c in result.constraint_lines]
    assert len(entries) == len(bounds)
    # Finite differences on one solver: the moved briefs and the unmoved one all on HiGHS
    # (CBC's objective carries ~8 significant digits, too few for a 1e-4 step).
    reference = sf.solve(foods, spec, solver="highs", sensitivity=False).objective_value
    assert reference is not None
    checked = 0
    for line, entry in zip(result.constraint_lines, entries, strict=True):
        if not line.binding:
            assert line.shadow_price == 0.0, line.name
            continue
        side = line.active
        assert side is not None
        bound = line.min if side == "min" else line.max
        assert bound is not None
        delta = 1e-4 * max(1.0, abs(bound))
        slopes = []
        for step in (delta, -delta):
            moved = sf.solve(foods, _moved(spec, entry, side, step), solver="highs", sensitivity=False)
            if moved.status != "optimal":
                continue  # moving this way leaves the feasible region: one-sided only
            assert moved.objective_value is not None
            slopes.append((moved.objective_value - reference) / step)
        assert slopes, line.name
        tol = 2e-3 * max(1.0, *(abs(s) for s in slopes)) + 1e-9
        assert line.shadow_price is not None
        assert min(slopes) - tol <= line.shadow_price <= max(slopes) + tol, (line.name, slopes)
        checked += 1
    assert checked >= 3


@pytest.mark.parametrize("solver", ["cbc", "highs"])
def test_signs_follow_the_objective(solver: str, foods: sf.FoodTable) -> None:
    """Raising a binding minimum can only cost more (min_cost) or give less (max:...)."""
    for preset, worse in (("ons_powder", 1), ("ons_max_leucine", -1)):
        result = sf.solve(foods, sf.load_spec(preset), solver=solver)
        checked = 0
        for line in result.constraint_lines:
            if line.binding and line.active == "min" and line.min != line.max:
                assert line.shadow_price is not None
                assert worse * line.shadow_price >= -1e-9, (preset, line.name)
                checked += 1
        assert checked >= 1, f"{preset}: no binding minimum was checked"  # the loop did run
