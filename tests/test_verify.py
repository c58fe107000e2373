"""The independent check catches wrong blends and disagreements with the LP."""

from __future__ import annotations

import numpy as np

import sarcoform as sf
from sarcoform.solving.compile import compile_brief
from sarcoform.solving.engine import verify


def _x(result: sf.Result, foods: sf.FoodTable) -> np.ndarray:
    return np.array([result.grams.get(i, 0.0) for i in foods.ids])


def test_optimal_blend_passes(foods: sf.FoodTable, brief: sf.Brief) -> None:
    result = sf.solve(foods, brief, solver="highs")
    check = verify(compile_brief(foods, brief), _x(result, foods))
    # A rule-pack bound merged into the brief's own is one constraint line but two checks;
    # the end-of-shelf-life minimums are re-checked apart (solving/recheck.py), not here.
    merged = sum("the tighter of the two applies" in n for n in result.notes)
    end = sum(c.at == "end_of_shelf_life" for c in result.constraint_lines)
    assert end > 0  # the default brief has a shelf life
    lines = len(result.constraint_lines)
    assert check.ok and check.max_violation < 1e-6 and check.checked == lines - end + merged


def test_a_wrong_blend_fails_and_says_where(foods: sf.FoodTable, brief: sf.Brief) -> None:
    result = sf.solve(foods, brief, solver="highs")
    x = _x(result, foods)
    x[foods.position("l_leucine")] = 0.0  # leucine per meal drops below 2.5 g
    check = verify(compile_brief(foods, brief), x)
    assert not check.ok
    assert any(f.startswith("leucine_g per meal") for f in check.failures)


def test_negative_grams_are_caught(foods: sf.FoodTable, brief: sf.Brief) -> None:
    result = sf.solve(foods, brief, solver="highs")
    x = _x(result, foods)
    x[foods.position("sucrose")] = -1.0
    x[foods.position("smp")] += 1.0
    check = verify(compile_brief(foods, brief), x)
    assert not check.ok
    # The negative amount itself is named, whatever else the perturbation breaks.
    assert any(f.startswith("ingredient sucrose ≥ 0") for f in check.failures), check.failures


def test_check_and_lp_disagreement_is_reported(foods: sf.FoodTable, brief: sf.Brief) -> None:
    """If compiling and checking ever meant different things, verification would say so."""
    import dataclasses

    compiled = compile_brief(foods, brief)
    k = next(i for i, b in enumerate(compiled.bounds) if b.name == "protein_g per meal")
    broken = dataclasses.replace(compiled.bounds[k], num=compiled.bounds[k].num * 1.1)
    compiled = dataclasses.replace(compiled, bounds=(*compiled.bounds[:k], broken, *compiled.bounds[k + 1 :]))
    result = sf.solve(foods, brief, solver="highs")
    check = verify(compiled, _x(result, foods))
    assert any("the LP computes" in f for f in check.failures)


def test_blanks_zero_and_exclude_policies(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from sarcoform.io.brief_toml import parse_brief_toml

    table = tmp_path / "foods.csv"
    table.write_text(
        "id,name,price_per_kg,protein_g,leucine_g\n"
        "cheap,Cheap protein,1,80,\n"
        "whey,Whey,10,80,10\n"
        "malto,Malto,0.5,0,0\n",
        encoding="utf-8",
    )
    foods = sf.load_foods(table)
    body = '[serving]\nserving_g = 30\n[[nutrient]]\nname = "protein"\nmin = 20\n'
    body += '[[nutrient]]\nname = "leucine"\nmin = 1\n'
    # error (default): the blank leucine of 'cheap' is reported at its cell
    try:
        sf.solve(foods, parse_brief_toml('name = "b"\n' + body, "b.toml"))
        raise AssertionError("expected an InputError")
    except sf.InputError as err:
        assert (err.problems[0].row, err.problems[0].column) == (2, "leucine_g")
    # exclude: 'cheap' is left out and the note says so; whey carries the protein
    excluded = sf.solve(foods, parse_brief_toml('name = "b"\nblank_values = "exclude"\n' + body, "b.toml"))
    assert excluded.grams.get("cheap", 0.0) == 0.0
    assert any("cheap" in n for n in excluded.notes)
    # zero: 'cheap' counts as 0 g leucine, so it supplies protein and whey the leucine
    zero = sf.solve(foods, parse_brief_toml('name = "b"\nblank_values = "zero"\n' + body, "b.toml"))
    assert zero.grams["whey"] == __import__("pytest").approx(10.0)
    assert zero.cost_per_serving < excluded.cost_per_serving


def test_unknown_prices_give_no_cost_not_zero(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from sarcoform.io.brief_toml import parse_brief_toml

    table = tmp_path / "composition.csv"
    table.write_text("id,name,protein_g\na,A,80\nb,B,20\n", encoding="utf-8")  # no prices at all
    brief = parse_brief_toml('name = "b"\nobjective = "max:protein"\n[serving]\nserving_g = 10\n', "b.toml")
    result = sf.solve(sf.load_foods(table), brief)
    assert result.status == "optimal" and result.objective_value == __import__("pytest").approx(8.0)
    assert result.cost_per_serving is None and result.cost_per_kg is None and result.cost_per_day is None
    assert all(line.cost is None for line in result.blend_lines)
    assert any("tie-break by cost skipped" in n for n in result.notes)


def test_result_json_round_trip_and_api_errors(foods: sf.FoodTable, brief: sf.Brief) -> None:
    import pytest

    result = sf.solve(foods, brief, solver="highs")
    assert sf.Result.from_dict(result.to_dict()).to_dict() == result.to_dict()
    with pytest.raises(sf.InputError, match="not a sarcoform result"):
        sf.Result.from_dict({"status": "optimal"})
    with pytest.raises(sf.InputError, match="unknown objective"):
        brief.with_changes(objective="most leucine")
