"""Issue 9 item 9: the diagnosis keeps the serving as context, and a density bound that no
ingredient can reach is reported on its own. Expected answers worked out by hand below."""

from __future__ import annotations

import pytest

import sarcoform as sf
from conftest import food_table
from sarcoform.io.brief_toml import parse_brief_toml

FOODS = (
    "id,name,price_per_kg,energy_kcal,protein_g,fat_g\n"
    "soy,Soy flour,2,400,20,5\nwhey,Whey,10,400,80,0\nmalto,Maltodextrin,1,400,0,0\n"
)
HEAD = 'name = "d"\n[serving]\nserving_g = 50\n[[nutrient]]\nname = "energy_kcal"\nmin = 180\n'
DENSITY = '[[nutrient]]\nname = "protein"\nbasis = "per_100g"\nmin = 25\n'


@pytest.mark.parametrize("solver", ["cbc", "highs"])
def test_a_capped_rich_ingredient_conflicts_with_the_serving_not_with_energy(solver: str) -> None:
    """Whey ≤ 2 g in a 50 g serving gives at most (2·80 + 48·20)/50 = 22.4 g protein per
    100 g < 25: serving, density floor and whey cap conflict. Energy ≥ 180 kcal is beside
    the point (any 50 g blend has 200 kcal); without the serving held fixed, the empty
    blend met the density and the filter kept energy in the serving's place."""
    brief = HEAD + DENSITY + '[[ingredient]]\nid = "whey"\nmax = 2\n'
    r = sf.solve(food_table(FOODS), parse_brief_toml(brief, "d.toml"), solver=solver)
    assert r.status == "infeasible" and r.diagnosis is not None
    assert set(r.diagnosis.conflict) == {"serving mass", "protein_g per 100 g", "ingredient whey"}


@pytest.mark.parametrize("solver", ["cbc", "highs"])
def test_an_unreachable_density_is_reported_on_its_own(solver: str) -> None:
    """Without whey the richest ingredient has 20 g protein per 100 g: 25 is out of reach."""
    foods = food_table(FOODS).subset([0, 2])  # soy flour and maltodextrin
    r = sf.solve(foods, parse_brief_toml(HEAD + DENSITY, "d.toml"), solver=solver)
    assert r.status == "infeasible" and r.diagnosis is not None
    assert r.diagnosis.conflict == ["protein_g per 100 g"]
    assert r.diagnosis.reason == (
        "protein ≥ 25 g per 100 g: no ingredient reaches it;"
        " the highest, in Soy flour (soy), is 20 g per 100 g"
    )


def test_a_ceiling_below_every_ingredient_names_the_leanest() -> None:
    """Fat ≤ 1 g per 100 g when every ingredient that may enter has more (soy 5)."""
    foods = food_table(FOODS + "lard,Lard,1,900,0,99\n").subset([0, 3])
    brief = HEAD + '[[nutrient]]\nname = "fat"\nbasis = "per_100g"\nmax = 1\n'
    r = sf.solve(foods, parse_brief_toml(brief, "d.toml"), solver="highs")
    assert r.diagnosis is not None and r.diagnosis.conflict == ["fat_g per 100 g"]
    assert "the lowest, in Soy flour (soy), is 5 g per 100 g" in r.diagnosis.reason


def test_an_ingredient_kept_out_by_the_brief_does_not_count_as_reaching() -> None:
    """Whey could reach 25 g per 100 g, but the brief sets it to 0 g."""
    brief = HEAD + DENSITY + '[[ingredient]]\nid = "whey"\nmax = 0\n'
    r = sf.solve(food_table(FOODS), parse_brief_toml(brief, "d.toml"), solver="highs")
    assert r.diagnosis is not None and r.diagnosis.conflict == ["protein_g per 100 g"]
    assert "Soy flour (soy), is 20" in r.diagnosis.reason


def test_a_reachable_density_goes_through_the_usual_diagnosis() -> None:
    """Whey reaches the density; the serving (50 g) and a protein cap of 11 g (22 per 100 g)
    conflict with it: a conflict of three, not the density alone."""
    brief = HEAD + DENSITY + '[[nutrient]]\nname = "protein"\nmax = 11\n'
    r = sf.solve(food_table(FOODS), parse_brief_toml(brief, "d.toml"), solver="highs")
    assert r.diagnosis is not None
    assert set(r.diagnosis.conflict) == {"serving mass", "protein_g per serving", "protein_g per 100 g"}
