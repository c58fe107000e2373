"""Regulatory rule packs (`include = [...]`): the figures against the clauses, and what
including a pack does to a brief, its result, `check` and the files it is written to."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from tests.conftest import ROOT, run_main

import sarcoform as sf
from sarcoform.io.brief_toml import brief_to_toml, parse_brief_toml
from sarcoform.io.packs import load_pack, pack_paths, packs

KCAL_IN_KJ = 4.184

# The limits as the clauses state them, typed from the texts cited in each pack
# (GB 29922 and EU 2016/128 per 100 kJ; GB 14880 per kg of product, here per 100 g).
CLAUSES = [
    # pack, nutrient, basis, unit, min, max
    ("gb29922_10plus_full", "protein", "per_100kj", "g", 0.7, None),  # ≥ 0.7 g/100 kJ
    ("gb29922_10plus_full", "sodium", "per_100kj", "mg", 20, None),  # 2013 Table 1: 20 / N.S.
    ("gb29922_10plus_full", "energy_kj", "per_100ml", "kj", 295, None),  # ≥ 295 kJ per 100 mL
    ("gb14880_formulated_milk_powder", "vitamin_d", "per_100g", "ug", 63 / 10, 125 / 10),  # µg/kg
    ("cahmb_cn_nhc", "cahmb", "day", "g", None, 3.0),
    ("cahmb_ca_health_canada", "cahmb", "serving", "g", None, 1.5),
    ("cahmb_ca_health_canada", "cahmb", "day", "g", None, 6.0),
]


@pytest.mark.parametrize(("pack", "nutrient", "basis", "unit", "lo", "hi"), CLAUSES)
def test_verified_pack_bounds_are_the_clause_values(
    pack: str, nutrient: str, basis: str, unit: str, lo: float | None, hi: float | None
) -> None:
    (bound,) = [b for b in load_pack(pack).bounds if b.nutrient == nutrient and b.basis == basis]
    assert (bound.unit, bound.status) == (unit, "verified")
    assert bound.min == (None if lo is None else pytest.approx(lo))
    assert bound.max == (None if hi is None else pytest.approx(hi))


def test_every_figure_has_its_clause_and_its_kcal_column_agrees() -> None:
    """Each bound names its clause and how sure it is; where the clause also states the limit
    per 100 kcal, the two columns agree (×4.184, within the tables' own rounding of 10 %)."""
    assert {p.name for p in packs()} >= {
        "gb29922_10plus_full",
        "eu2016_128_complete",
        "eu2016_128_incomplete",
        "gb14880_formulated_milk_powder",
        "cahmb_cn_nhc",
        "cahmb_ca_health_canada",
    }
    readme = (ROOT / "regulations" / "README.md").read_text()
    for pack in packs():
        assert pack.name in readme and pack.standard and pack.source
        for b in pack.bounds:
            assert b.clause and b.status in ("verified", "[R] recalled, unverified")
            if b.basis == "per_100kj" and b.per_100kcal is not None:
                for kj, kcal in zip((b.min, b.max), b.per_100kcal, strict=True):
                    assert (kj is None) == (kcal is None), (pack.name, b.nutrient)
                    if kj is not None and kcal is not None:
                        assert kj * KCAL_IN_KJ == pytest.approx(kcal, rel=0.10), (pack.name, b.nutrient)


def test_incomplete_fsmp_pack_has_maxima_only() -> None:
    """2016/128 Annex I Part B point 3: incomplete FSMP are held to the Table 2 maxima only,
    the same maxima as the complete ones."""
    complete = {b.nutrient: b for b in load_pack("eu2016_128_complete").bounds}
    for b in load_pack("eu2016_128_incomplete").bounds:
        assert b.min is None and b.max == complete[b.nutrient].max


def _brief(text: str) -> sf.Brief:
    return parse_brief_toml(text, "brief.toml")  # reading a brief takes on its packs


BASE = """
name = "t"
blank_values = "exclude"
include = [{packs}]
[serving]
serving_g = 50
servings_per_day = 2
[[nutrient]]
name = "energy_kcal"
min = 180
max = 300
[[nutrient]]
name = "protein"
min = 20
"""


def _line(result: sf.Result, label_start: str) -> sf.ConstraintLine:
    (line,) = [c for c in result.constraint_lines if c.label.startswith(label_start)]
    return line


@pytest.mark.parametrize(("brief_min", "expected", "winner"), [(0.6, 0.7, "pack"), (0.8, 0.8, "brief")])
def test_pack_and_brief_on_one_bound_take_the_tighter(
    foods: sf.FoodTable, brief_min: float, expected: float, winner: str
) -> None:
    brief = _brief(
        BASE.format(packs='"gb29922_10plus_full"')
        + f'[[nutrient]]\nname = "protein"\nbasis = "per_100kj"\nmin = {brief_min}\nsource = "mine"\n'
    )
    result = sf.solve(foods, brief, solver="highs")
    assert result.ok
    (line,) = [c for c in result.constraint_lines if c.basis == "per_100kj" and c.label.startswith("protein")]
    assert line.min == pytest.approx(expected)
    assert line.value is not None and line.value >= expected - 1e-9
    who = "pack gb29922_10plus_full" if winner == "pack" else "the brief"
    assert f"min {expected:g} g from {who}" in (line.note or "")
    assert "the tighter of the two applies" in (line.note or "")
    assert "mine" in (line.source or "") and "GB 29922" in (line.source or "")
    assert any(
        n.startswith("the brief and pack gb29922_10plus_full both bound protein") for n in result.notes
    )
    # One bound, not two (checked above): the pack's protein-per-100-kJ bound merged into the
    # brief's; the pack's other bound (sodium) is there on its own.
    assert _line(result, "sodium ≥ 20 mg per 100 kJ").source


def test_tighter_across_units_and_packs(foods: sf.FoodTable) -> None:
    """The brief in mg, two packs in g: the brief's unit stays, the tightest max wins."""
    brief = _brief(
        BASE.format(packs='"cahmb_ca_health_canada", "cahmb_cn_nhc"')
        + '[[nutrient]]\nname = "cahmb"\nbasis = "day"\nunit = "mg"\nmin = 1500\nmax = 3500\n'
    )
    result = sf.solve(foods, brief, solver="highs")
    line = _line(result, "1500 ≤ cahmb")
    assert (line.min, line.max, line.unit) == (1500, pytest.approx(3000), "mg")
    assert "pack cahmb_cn_nhc" in (line.note or "") and "6000" in (line.note or "")
    serving = _line(result, "cahmb ≤ 1.5 g per serving")  # Health Canada's own, not merged
    assert serving.source and "Health Canada" in serving.source
    cahmb = next(n for n in result.nutrient_lines if n.nutrient == "cahmb_g")
    assert cahmb.per_day is not None and 1.5 - 1e-6 <= cahmb.per_day <= 3.0 + 1e-6


def test_a_pack_bound_holds_in_the_verified_result(foods: sf.FoodTable) -> None:
    """The milk beverage preset under GB 14880: vitamin D per 100 g of powder within 6.3–12.5 µg,
    recomputed here from the blend and the food table."""
    brief = sf.with_packs(sf.load_brief("milk_beverage_powder"), ["gb14880_formulated_milk_powder"])
    result = sf.solve(foods, brief, solver="cbc")
    assert result.ok and result.verification is not None and result.verification.ok
    vit_d = foods.to_frame().set_index("id")["vitamin_d_ug"]
    grams = {line.id: line.grams for line in result.blend_lines}
    per_100g = 100 * sum(g / 100 * (0 if math.isnan(vit_d[i]) else vit_d[i]) for i, g in grams.items()) / 30
    assert 6.3 - 1e-6 <= per_100g <= 12.5 + 1e-6
    line = _line(result, "6.3 ≤ vitamin_d ≤ 12.5 µg per 100 g")
    assert "GB 14880-2012 Table A.1" in (line.source or "")


def test_a_pack_the_brief_contradicts_is_an_infeasible_diagnosis_naming_both(foods: sf.FoodTable) -> None:
    brief = _brief(
        BASE.format(packs='"gb14880_formulated_milk_powder"')
        + '[[nutrient]]\nname = "vitamin_d"\nbasis = "per_100g"\nmin = 13\n'
    )
    result = sf.solve(foods, brief, solver="highs")
    assert result.status == "infeasible" and result.diagnosis is not None
    said = " ".join(result.diagnosis.explanation)
    assert "vitamin_d ≥ 13" in said and "12.5" in said


def test_pack_bound_on_a_nutrient_the_table_lacks_is_said_not_checked() -> None:
    table = sf.FoodTable.from_records(
        ["id", "name", "price_per_kg", "energy_kcal", "protein_g", "cahmb_g"],
        [["a", "A", "2", "400", "80", "0"], ["b", "B", "1", "350", "5", "0"]],
        origin="small",
    )
    brief = _brief(BASE.format(packs='"gb29922_10plus_full"'))
    result = sf.solve(table, brief, solver="highs")
    assert result.ok
    assert any(n.startswith("pack gb29922_10plus_full: sodium not checked") for n in result.notes)


def test_energy_per_100_ml_binds_per_serving_once_the_volume_is_known(foods: sf.FoodTable) -> None:
    """GB 29922: ≥ 295 kJ per 100 mL as drunk. 250 mL per serving: ≥ 737.5 kJ per serving."""
    text = BASE.format(packs='"gb29922_10plus_full"').replace(
        "servings_per_day = 2", "servings_per_day = 2\nreconstitution_ml = 250"
    )
    brief = _brief(text.replace("min = 180", "min = 100"))
    result = sf.solve(foods, brief, solver="highs")
    assert result.ok
    line = _line(result, "energy ≥ 737.5 kJ per serving")
    assert "295 kJ (70 kcal) per 100 mL" in (line.source or "") and "250 mL" in (line.note or "")
    energy = next(n for n in result.nutrient_lines if n.nutrient == "energy_kj")
    assert energy.per_serving is not None and 100 * energy.per_serving / 250 >= 295 - 1e-6
    without = _brief(BASE.format(packs='"gb29922_10plus_full"'))
    assert not [e for e in without.nutrients if e.name == "energy_kj"]  # said by check instead


def test_unknown_pack_is_a_located_input_error() -> None:
    with pytest.raises(sf.InputError) as err:
        _brief('name = "t"\ninclude = ["gb29922_10plus_ful"]\n')
    (problem,) = err.value.problems
    assert problem.file == "brief.toml" and "gb29922_10plus_full" in problem.message
    assert "unknown rule pack" in problem.message


def test_included_brief_round_trips_through_toml_and_workbook(tmp_path: Path, foods: sf.FoodTable) -> None:
    brief = _brief(BASE.format(packs='"gb29922_10plus_full", "cahmb_cn_nhc"'))
    text = brief_to_toml(brief)
    assert 'include = ["gb29922_10plus_full", "cahmb_cn_nhc"]' in text
    assert "pack" not in text.split("include")[0] and "[[nutrient]]" in text
    assert _brief(text) == brief  # the pack bounds come back from include, once
    from sarcoform.io.workbook_write import write_workbook

    book = tmp_path / "brief.xlsx"
    write_workbook(foods, brief, book)
    again = sf.load_brief(book)
    assert again.include == brief.include
    assert [e for e in again.nutrients if e.pack] == [e for e in brief.nutrients if e.pack]


def test_check_says_which_pack_each_bound_came_from(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    brief = tmp_path / "brief.toml"
    brief.write_text(
        BASE.format(packs='"gb29922_10plus_full"')
        + '[[nutrient]]\nname = "protein"\nbasis = "per_100kj"\nmin = 0.6\n'
    )
    done = run_main(capsys, "check", str(brief))
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "pack gb29922_10plus_full: GB 29922" in out
    assert "protein ≥ 0.7 g per 100 kJ" in out and "tighter than the brief's 0.6" in out
    assert "sodium ≥ 20 mg per 100 kJ" in out and "GB 29922-2013 Table 1" in out
    assert "not checked: energy_kj ≥ 295 kJ per 100 mL" in out and "reconstitution_ml" in out
    assert "not enforced: high-quality protein" in out


def test_pack_files_ship_in_the_wheel_config() -> None:
    text = (ROOT / "pyproject.toml").read_text()
    assert '"regulations" = "sarcoform/_data/regulations"' in text
    assert set(pack_paths()) >= {"gb29922_10plus_full", "cahmb_cn_nhc"}


def test_spec_sheet_states_the_packs_the_blend_meets(foods: sf.FoodTable) -> None:
    from sarcoform.report.spec_sheet import spec_sheet

    brief = sf.with_packs(sf.load_brief(), ["gb29922_10plus_full", "cahmb_cn_nhc"])
    result = sf.solve(foods, brief, solver="highs")
    sheet = spec_sheet(result, brief=brief)
    facts = dict(sheet.facts)
    # gb29922: protein per 100 kJ (merged with the preset's own) and sodium; cahmb_cn_nhc: per day.
    assert (
        facts["Rule packs"] == "gb29922_10plus_full (2 bounds), cahmb_cn_nhc (1 bound): all met, re-checked"
    )
    assert sheet.compliance is not None
    rows = {row[0]: row for row in sheet.compliance.rows}
    cahmb = next(c.label for c in result.constraint_lines if c.name == "cahmb_g per day")
    assert set(rows) == {
        "protein ≥ 0.7 g per 100 kJ",
        "sodium ≥ 20 mg per 100 kJ",
        cahmb,
    }
    assert all(row[2] == "met" for row in rows.values())
    sodium = next(n for n in result.nutrient_lines if n.nutrient == "sodium_mg")
    energy = next(n for n in result.nutrient_lines if n.nutrient == "energy_kj")
    assert sodium.per_serving is not None and energy.per_serving is not None
    assert rows["sodium ≥ 20 mg per 100 kJ"][1].value == pytest.approx(
        100 * sodium.per_serving / energy.per_serving, rel=5e-3
    )
