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
from sarcoform.model.brief import Brief
from sarcoform.solving.compile import compile_brief


def _entries(brief: Brief) -> list[tuple[str, Any]]:
    """The brief's bounds in the order compile_brief makes them (documented there)."""
    out: list[tuple[str, Any]] = []
    s = brief.serving
    if s.serving_g is not None or s.min_g is not None or s.max_g is not None:
        out.append(("serving", None))
    seen: set[tuple[str, str]] = set()
    plain = re.compile(r"_(g|mg|ug|kcal|kj|iu)$")
    labile = {plain.sub("", c) for c in brief.shelf_life.retention} if brief.shelf_life else set()
    for i, e in enumerate(brief.nutrients):  # a rule-pack bound on a bound of the brief merges into it
        key = (plain.sub("", e.name), e.basis)
        if e.pack is None or key not in seen:
            out.append(("nutrient", i))
            if e.min is not None and key[0] in labile:  # its minimum again, at the end of shelf life
                out.append(("nutrient", i))
        seen.add(key)
    out += [("claim", i) for i in range(len(brief.claims))]  # each a bound after the nutrients
    out += [("ratio", i) for i in range(len(brief.ratios))]
    if brief.amino_acid_pattern is not None:
        out += [("pattern", k) for k in brief.amino_acid_pattern.min_mg_per_g]
    out += [("ingredient", i) for i in range(len(brief.ingredients))]
    out += [("group", i) for i in range(len(brief.groups))]
    if brief.cost is not None:
        out.append(("cost", None))
    return out


def _moved(brief: Brief, entry: tuple[str, Any], side: str, delta: float) -> Brief:
    kind, key = entry
    if kind == "serving":
        s = brief.serving
        if s.serving_g is not None:
            return brief.with_changes(serving=s.model_copy(update={"serving_g": s.serving_g + delta}))
        field = "min_g" if side == "min" else "max_g"
        return brief.with_changes(serving=s.model_copy(update={field: getattr(s, field) + delta}))
    if kind == "pattern":
        p = brief.amino_acid_pattern
        assert p is not None
        table = dict(p.min_mg_per_g)
        table[key] += delta
        return brief.with_changes(amino_acid_pattern=p.model_copy(update={"min_mg_per_g": table}))
    if kind == "cost":
        assert brief.cost is not None
        return brief.with_changes(
            cost=brief.cost.model_copy(update={side: getattr(brief.cost, side) + delta})
        )
    if kind == "claim":  # move the threshold of the claim's primary condition
        claims = list(brief.claims)
        rule = claims[key].rule
        assert rule is not None
        first, *rest = rule.conditions
        moved = first.model_copy(update={side: getattr(first, side) + delta})
        claims[key] = claims[key].model_copy(
            update={"rule": rule.model_copy(update={"conditions": (moved, *rest)})}
        )
        return brief.model_copy(update={"claims": tuple(claims)})
    field = {"nutrient": "nutrients", "ratio": "ratios", "ingredient": "ingredients", "group": "groups"}[kind]
    items = list(getattr(brief, field))
    item = items[key]
    update = {side: getattr(item, side) + delta}
    if item.min is not None and item.min == item.max:  # an equality moves as one
        update = {"min": item.min + delta, "max": item.max + delta}
    items[key] = item.model_copy(update=update)
    return brief.with_changes(**{field: items})


@pytest.mark.parametrize(
    ("preset", "objective"),
    [
        ("ons_powder", None),
        ("ons_max_leucine", None),
        ("milk_beverage_powder", None),
        ("ons_max_leucine", "max:protein"),
    ],  # the tie-break leaves the budget a hair off its cap
)
def test_shadow_prices_are_slopes_of_the_optimum(
    preset: str, objective: str | None, foods: sf.FoodTable
) -> None:
    """Both solvers' shadow prices against the same finite differences: the moved briefs are
    solved once (HiGHS, no sensitivity) and each solver's answer is checked against them."""
    # On mean compositions: ons_powder's chance constraints are priced by their cuts (test_chance)
    brief = sf.load_brief(preset).on_mean_values()
    if objective is not None:
        brief = brief.with_changes(objective=objective)
    bounds = compile_brief(foods, brief).bounds
    entries = _entries(brief)
    assert len(entries) == len(bounds)
    # Finite differences on one solver: the moved briefs and the unmoved one all on HiGHS
    # (CBC's objective carries ~8 significant digits, too few for a 1e-4 step).
    reference = sf.solve(foods, brief, solver="highs", sensitivity=False).objective_value
    assert reference is not None
    slopes_of: dict[tuple[int, str], list[float]] = {}  # (bound, side) → one-sided slopes

    def slopes(k: int, side: str, bound: float) -> list[float]:
        if (k, side) not in slopes_of:
            delta = 1e-4 * max(1.0, abs(bound))
            slopes_of[k, side] = []
            for step in (delta, -delta):
                moved = sf.solve(
                    foods, _moved(brief, entries[k], side, step), solver="highs", sensitivity=False
                )
                if moved.status != "optimal":
                    continue  # moving this way leaves the feasible region: one-sided only
                assert moved.objective_value is not None
                slopes_of[k, side].append((moved.objective_value - reference) / step)
        return slopes_of[k, side]

    for solver in ("cbc", "highs"):
        result = sf.solve(foods, brief, solver=solver)
        assert result.status == "optimal" and result.objective_value is not None, solver
        assert [b.name for b in bounds] == [c.name for c in result.constraint_lines]
        checked = 0
        for k, line in enumerate(result.constraint_lines):
            if not line.binding:
                assert line.shadow_price == 0.0, (solver, line.name)
                continue
            side = line.active
            assert side is not None
            bound = line.min if side == "min" else line.max
            assert bound is not None
            found = slopes(k, side, bound)
            assert found, (solver, line.name)
            tol = 2e-3 * max(1.0, *(abs(s) for s in found)) + 1e-9
            assert line.shadow_price is not None
            assert min(found) - tol <= line.shadow_price <= max(found) + tol, (solver, line.name, found)
            checked += 1
        assert checked >= 3, solver


@pytest.mark.parametrize("solver", ["cbc", "highs"])
def test_signs_follow_the_objective(solver: str, foods: sf.FoodTable) -> None:
    """Raising a binding minimum can only cost more (min_cost) or give less (max:...)."""
    for preset, worse in (("ons_powder", 1), ("ons_max_leucine", -1)):
        result = sf.solve(foods, sf.load_brief(preset), solver=solver)
        checked = 0
        for line in result.constraint_lines:
            if line.binding and line.active == "min" and line.min != line.max:
                assert line.shadow_price is not None
                assert worse * line.shadow_price >= -1e-9, (preset, line.name)
                checked += 1
        assert checked >= 1, f"{preset}: no binding minimum was checked"  # the loop did run
