"""Nutrition declaration, claims and allergens, against the regulation texts.

Expected values come from the texts (the clause is named beside each case) or from hand
arithmetic on the raw food table, never from the label code itself.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

import sarcoform as sf
from conftest import food_table
from sarcoform.io.regulations import load_claim_rules, load_label_standard, with_claims
from sarcoform.model.label import RoundingBand, round_value

# -- rounding tables, boundaries included ---------------------------------------------


def _declared(standard: str, key: str, value: float, percent: bool = False) -> tuple[float, bool]:
    rule = next(r for r in load_label_standard(standard).nutrients if r.key == key)
    bands: tuple[RoundingBand, ...] = rule.rounding
    if percent:
        bands = rule.percent_rounding or load_label_standard(standard).percent_rounding
    got = round_value(value, bands)
    return got.value, got.less_than


ROUNDING_CASES = [
    # GB 28050-2011 Table 1: interval 1 kJ, '0' when <= 17 kJ; protein 0.1 g, '0' when <= 0.5 g;
    # sodium 1 mg, '0' when <= 5 mg; calcium 1 mg, '0' when <= 8 mg.
    ("cn", "energy_kj", 17.0, 0.0, False),
    ("cn", "energy_kj", 17.6, 18.0, False),
    ("cn", "protein", 0.5, 0.0, False),
    ("cn", "protein", 0.51, 0.5, False),
    ("cn", "protein", 12.35, 12.4, False),  # halves go up (GB/T 8170 style), not to even
    ("cn", "sodium", 5.0, 0.0, False),
    ("cn", "sodium", 5.5, 6.0, False),
    ("cn", "calcium", 8.0, 0.0, False),
    ("cn", "calcium", 8.4, 8.0, False),
    # EC guidance on tolerances (Dec 2012) §4: fat/carbohydrate/sugars/protein <= 0.5 g '0',
    # < 10 g to 0.1 g, >= 10 g to 1 g; saturates <= 0.1 g '0'; salt <= 0.0125 g '0',
    # < 1 g to 0.01 g, >= 1 g to 0.1 g; energy to 1 kJ/kcal; vitamin D 2 and calcium 3
    # significant figures.
    ("eu", "fat", 0.5, 0.0, False),
    ("eu", "fat", 0.55, 0.6, False),
    ("eu", "fat", 9.94, 9.9, False),
    ("eu", "fat", 10.0, 10.0, False),
    ("eu", "fat", 10.5, 11.0, False),
    ("eu", "saturated_fat", 0.1, 0.0, False),
    ("eu", "saturated_fat", 0.15, 0.2, False),
    ("eu", "salt", 0.0125, 0.0, False),
    ("eu", "salt", 0.013, 0.01, False),
    ("eu", "salt", 0.994, 0.99, False),
    ("eu", "salt", 1.0, 1.0, False),
    ("eu", "salt", 1.05, 1.1, False),
    ("eu", "energy_kcal", 441.5, 442.0, False),
    ("eu", "vitamin_d", 0.754, 0.75, False),
    ("eu", "calcium", 957.4, 957.0, False),
    ("eu", "calcium", 1234.0, 1230.0, False),
    # 21 CFR 101.9(c): calories < 5 '0', <= 50 to 5, > 50 to 10 (FDA: 47 cal is 45);
    # fat < 0.5 g '0', < 5 g to 0.5 g, >= 5 g to 1 g; cholesterol < 2 mg '0', 2-5 mg
    # 'less than 5 mg'; sodium < 5 mg '0', 5-140 mg to 5 mg, > 140 mg to 10 mg;
    # protein/carbohydrate < 0.5 g '0', < 1 g 'less than 1 g', else to 1 g.
    ("us", "calories", 4.9, 0.0, False),
    ("us", "calories", 5.0, 5.0, False),
    ("us", "calories", 47.0, 45.0, False),
    ("us", "calories", 50.0, 50.0, False),
    ("us", "calories", 54.0, 50.0, False),
    ("us", "calories", 55.0, 60.0, False),
    ("us", "total_fat", 0.49, 0.0, False),
    ("us", "total_fat", 0.5, 0.5, False),
    ("us", "total_fat", 0.74, 0.5, False),
    ("us", "total_fat", 4.9, 5.0, False),
    ("us", "total_fat", 5.5, 6.0, False),
    ("us", "cholesterol", 1.9, 0.0, False),
    ("us", "cholesterol", 2.0, 5.0, True),
    ("us", "cholesterol", 5.0, 5.0, True),
    ("us", "cholesterol", 7.5, 10.0, False),
    ("us", "sodium", 4.9, 0.0, False),
    ("us", "sodium", 140.0, 140.0, False),
    ("us", "sodium", 142.0, 140.0, False),
    ("us", "sodium", 145.0, 150.0, False),
    ("us", "protein", 0.49, 0.0, False),
    ("us", "protein", 0.5, 1.0, True),
    ("us", "protein", 0.99, 1.0, True),
    ("us", "protein", 1.5, 2.0, False),
]


@pytest.mark.parametrize(("standard", "key", "value", "declared", "less_than"), ROUNDING_CASES)
def test_rounding_follows_the_standard(
    standard: str, key: str, value: float, declared: float, less_than: bool
) -> None:
    got, is_less_than = _declared(standard, key, value)
    assert got == pytest.approx(declared) and is_less_than is less_than


# 21 CFR 101.9(c)(8)(iii): % DV of vitamins and minerals to 2 % up to 10 %, to 5 % up to
# 50 %, to 10 % above; less than 2 % may be declared 0.
@pytest.mark.parametrize(
    ("percent", "declared"),
    [
        (1.9, 0.0),
        (2.0, 2.0),
        (3.0, 4.0),
        (10.0, 10.0),
        (11.0, 10.0),
        (12.5, 15.0),
        (50.0, 50.0),
        (55.0, 60.0),
    ],
)
def test_us_vitamin_percent_increments(percent: float, declared: float) -> None:
    assert _declared("us", "calcium", percent, percent=True)[0] == pytest.approx(declared)


# -- the default blend: %NRV by hand, declared values re-derived from the verified result --


@pytest.fixture(scope="module")
def default_result(foods: sf.FoodTable, brief: sf.Brief) -> sf.Result:
    result = sf.solve(foods, brief, sensitivity=False)
    assert result.ok and result.verification is not None and result.verification.ok
    return result


def _by_hand(foods: sf.FoodTable, result: sf.Result, column: str) -> float:
    """Amount per 100 g of the blend, from the raw food table and the blend's grams."""
    total = 0.0
    for line in result.blend_lines:
        i = foods.position(line.id)
        assert i is not None
        total += line.grams * float(foods.numbers[column][i]) / 100
    return total / sum(line.grams for line in result.blend_lines) * 100


def test_cn_percent_nrv_of_the_default_blend_by_hand(foods: sf.FoodTable, default_result: sf.Result) -> None:
    lab = sf.label(default_result, "cn", foods=foods)
    # GB 28050-2011 Table A.1 NRVs; %NRV to whole percent; per 100 g (the declared basis).
    nrv = {"energy_kj": ("energy_kj", 8400), "protein": ("protein_g", 60), "fat": ("fat_g", 60),
           "carbohydrate": ("carbohydrate_g", 300), "sodium": ("sodium_mg", 2000)}  # fmt: skip
    # Energy and the 4 core nutrients (§4.1), in Table 1 order (optional rows may sit between).
    assert [r.nutrient for r in lab.rows if r.nutrient in nrv] == list(nrv)
    for key, (column, reference) in nrv.items():
        row = lab.row(key)
        amount = _by_hand(foods, default_result, column)
        assert row.exact.per_100g == pytest.approx(amount, rel=1e-9)
        assert row.percent_reference == math.floor(amount / reference * 100 + 0.5)
        assert row.exact.per_serving == pytest.approx(amount * lab.serving_g / 100, rel=1e-9)  # type: ignore[operator]


@pytest.mark.parametrize("standard", ["cn", "eu", "us"])
def test_declared_values_are_the_rounded_amounts_of_the_raw_table(
    standard: str, foods: sf.FoodTable, brief: sf.Brief, default_result: sf.Result
) -> None:
    """Declared at the end of shelf life: a labile vitamin at the brief's retention figure."""
    assert brief.shelf_life is not None
    kept = brief.shelf_life.retention
    lab = sf.label(default_result, standard, foods=foods)
    for rule in load_label_standard(standard).nutrients:
        rows = [r for r in lab.rows if r.nutrient == rule.key]
        if not rows or rows[0].status == "unknown":
            continue
        row = rows[0]
        column = rule.column if rule.column in foods.numbers else rule.alt_column
        assert column is not None
        factor = rule.factor * (1.0 if column == rule.column else rule.alt_factor)
        per_100g = factor * sum(
            _by_hand(foods, default_result, c) * kept.get(c, 1.0) for c in (column, *rule.extra_columns)
        )
        serving = per_100g * default_result.serving_g / 100  # type: ignore[operator]
        assert row.per_100g == round_value(per_100g, rule.rounding).value, rule.key
        # GB 28050 Q&A: per serving, '0' only when the amount per 100 g is '0' too.
        zero_ok = not load_label_standard(standard).zero_needs_per_100g or row.per_100g == 0
        assert row.per_serving == round_value(serving, rule.rounding, zero_allowed=zero_ok).value, rule.key


def test_us_label_is_per_serving_with_dv(foods: sf.FoodTable, default_result: sf.Result) -> None:
    lab = sf.label(default_result, "us", foods=foods)
    calcium = _by_hand(foods, default_result, "calcium_mg") * default_result.serving_g / 100  # type: ignore[operator]
    # 21 CFR 101.9(c)(8)(iv): calcium RDI 1300 mg; % DV per serving.
    expected = round_value(
        calcium / 1300 * 100, load_label_standard("us").nutrients[-3].percent_rounding or ()
    )
    assert lab.row("calcium").percent_reference == expected.value
    assert lab.percent_basis == "per_serving"


def test_per_100ml_when_reconstituted(foods: sf.FoodTable, default_result: sf.Result) -> None:
    lab = sf.label(default_result, "eu", foods=foods, reconstitution_ml=250)
    protein = lab.row("protein")
    assert protein.exact.per_100ml == pytest.approx(protein.exact.per_serving / 2.5)  # type: ignore[operator]
    assert sf.label(default_result, "eu", foods=foods).row("protein").per_100ml is None


def test_label_json_shape(foods: sf.FoodTable, default_result: sf.Result) -> None:
    data = json.loads(json.dumps(sf.label(default_result, "eu", foods=foods).to_dict()))
    assert {"standard", "serving_g", "rows", "claims", "allergens"} <= set(data)
    row = data["rows"][0]
    assert {"nutrient", "unit", "per_100g", "per_serving", "per_100ml", "percent_reference", "exact"} <= set(
        row
    )


# -- unknown is never zero -------------------------------------------------------------

SMALL = (
    "id,name,price_per_kg,energy_kcal,energy_kj,protein_g,fat_g,carbohydrate_g,fibre_g,sodium_mg,"
    "allergen_milk\n"
    """wpc,Whey protein,10,380,1600,80,5,8,0,200,1
dex,Dextrin,1,380,1615,0,0,95,0,10,0
oil,Sunflower oil,3,900,3700,0,100,0,0,0,
"""
)


def _fixed(table: sf.FoodTable, grams: dict[str, float], **fields: object) -> sf.Result:
    """Solve a brief that fixes every ingredient's grams (a real CBC solve)."""
    brief = sf.Brief.model_validate(
        {
            "name": "fixed",
            "blank_values": "zero",
            "serving": {"serving_g": sum(grams.values())},
            "ingredient": [{"id": k, "min": v, "max": v} for k, v in grams.items()],
            **fields,
        }
    )
    result = sf.solve(table, brief, sensitivity=False)
    assert result.ok, result.diagnosis
    return result


def test_mandatory_nutrient_missing_from_the_table_is_unknown_not_zero() -> None:
    table = food_table(SMALL)
    lab = sf.label(_fixed(table, {"wpc": 30, "dex": 60, "oil": 10}), "eu", foods=table)
    sugars = lab.row("sugars")
    assert sugars.status == "unknown" and sugars.per_100g is None and sugars.percent_reference is None
    assert "sugars_g" in (sugars.note or "")
    assert any("of which sugars" in n for n in lab.notes)


def test_blank_value_in_the_blend_is_unknown_and_named() -> None:
    table = food_table(
        SMALL.replace("oil,Sunflower oil,3,900,3700,0,100,0,0,0,", "oil,Sunflower oil,3,900,3700,0,100,0,0,,")
    )
    result = _fixed(
        table, {"wpc": 30, "dex": 60, "oil": 10}
    )  # blank_values = zero solves, the label does not
    sodium = sf.label(result, "cn", foods=table).row("sodium")
    assert sodium.status == "unknown" and sodium.per_100g is None
    assert "oil" in (sodium.note or "")


# -- allergens ------------------------------------------------------------------------


def test_allergens_roll_up_and_unknown_is_reported() -> None:
    table = food_table(SMALL)
    lab = sf.label(_fixed(table, {"wpc": 30, "dex": 60, "oil": 10}), "cn", foods=table)
    milk = next(a for a in lab.allergens if a.allergen == "milk")
    assert milk.status == "contains" and milk.ingredients == ["wpc"] and milk.unknown == ["oil"]
    soy = next(a for a in lab.allergens if a.allergen == "soy")  # no column at all
    assert soy.status == "unknown" and set(soy.unknown) == {"wpc", "dex", "oil"}
    assert lab.allergen_statement.startswith("Contains: milk")
    assert "soy" in lab.allergen_statement


def test_allergen_free_only_when_every_ingredient_says_so() -> None:
    table = food_table(SMALL)
    lab = sf.label(_fixed(table, {"dex": 50}), "cn", foods=table)
    milk = next(a for a in lab.allergens if a.allergen == "milk")
    assert milk.status == "free" and not milk.unknown


# -- claims: just above and just below the thresholds of the texts ----------------------

PROTEIN = (
    "id,name,price_per_kg,energy_kcal,energy_kj,protein_g,fat_g,carbohydrate_g,fibre_g,sugars_g,"
    "calcium_mg,vitamin_d_ug,sodium_mg\n"
    """p,Protein,10,400,1700,100,0,0,0,0,0,0,0
c,Carbohydrate,1,400,1700,0,0,100,0,0,0,0,0
s,Sugar,1,400,1700,0,0,100,0,100,0,0,0
f,Fibre,1,200,800,0,0,0,100,0,0,0,0
ca,Calcium,1,0,0,0,0,0,0,0,40000,0,0
d,Vitamin D,1,0,0,0,0,0,0,0,0,10000,0
"""
)


def _claim(result: sf.Result, standard: str, claim: str) -> bool | None:
    lab = sf.label(result, standard, foods=food_table(PROTEIN))
    line = next(c for c in [*lab.claims, *lab.claims_not_met] if c.claim == claim)
    return line.qualifies


@pytest.mark.parametrize(
    ("standard", "claim", "grams", "qualifies"),
    [
        # GB 28050 Table C.1: high protein >= 20 % NRV (60 g) = 12 g per 100 g.
        ("cn", "cn:high_protein", {"p": 12.0, "c": 88.0}, True),
        ("cn", "cn:high_protein", {"p": 11.9, "c": 88.1}, False),
        # source of protein >= 10 % NRV = 6 g per 100 g.
        ("cn", "cn:source_of_protein", {"p": 6.0, "c": 94.0}, True),
        ("cn", "cn:source_of_protein", {"p": 5.9, "c": 94.1}, False),
        # Table C.1: calcium source >= 15 % NRV (800 mg) per 100 g = 120 mg.
        ("cn", "cn:source_of_calcium", {"ca": 0.3, "c": 99.7}, True),
        ("cn", "cn:source_of_calcium", {"ca": 0.29, "c": 99.71}, False),
        # low sugar <= 5 g per 100 g.
        ("cn", "cn:low_sugar", {"s": 5.0, "c": 95.0}, True),
        ("cn", "cn:low_sugar", {"s": 5.1, "c": 94.9}, False),
        # Reg. 1924/2006 Annex: high protein >= 20 % of energy from protein (4 kcal/g).
        # p and c both 400 kcal/100 g: protein energy share = p share of the mass.
        ("eu", "eu:high_protein", {"p": 20.0, "c": 80.0}, True),
        ("eu", "eu:high_protein", {"p": 19.9, "c": 80.1}, False),
        ("eu", "eu:source_of_protein", {"p": 12.0, "c": 88.0}, True),
        ("eu", "eu:source_of_protein", {"p": 11.9, "c": 88.1}, False),
        # source of fibre: >= 3 g per 100 g OR >= 1.5 g per 100 kcal.
        ("eu", "eu:source_of_fibre", {"f": 3.0, "c": 97.0}, True),
        ("eu", "eu:source_of_fibre", {"f": 2.9, "c": 97.1}, False),
        # Annex XIII: source of vitamin D = 15 % of 5 µg = 0.75 µg per 100 g.
        ("eu", "eu:source_of_vitamin_d", {"d": 0.0075, "c": 99.9925}, True),
        ("eu", "eu:source_of_vitamin_d", {"d": 0.0074, "c": 99.9926}, False),
        # 21 CFR 101.54: high >= 20 % DV per serving (protein DV 50 g: 10 g; serving 50 g).
        ("us", "us:high_protein", {"p": 10.0, "c": 40.0}, True),
        ("us", "us:high_protein", {"p": 9.9, "c": 40.1}, False),
        # 21 CFR 101.60(c)(1): sugar free is LESS than 0.5 g per serving.
        ("us", "us:sugar_free", {"s": 0.49, "c": 49.51}, True),
        ("us", "us:sugar_free", {"s": 0.5, "c": 49.5}, False),
    ],
)
def test_claim_thresholds(standard: str, claim: str, grams: dict[str, float], qualifies: bool) -> None:
    assert _claim(_fixed(food_table(PROTEIN), grams), standard, claim) is qualifies


def test_claim_margin_is_the_distance_to_the_threshold() -> None:
    result = _fixed(food_table(PROTEIN), {"p": 15.0, "c": 85.0})
    line = next(
        c for c in sf.label(result, "cn", foods=food_table(PROTEIN)).claims if c.claim == "cn:high_protein"
    )
    assert line.value == pytest.approx(15.0) and line.threshold == 12.0 and line.margin == pytest.approx(3.0)


def test_claim_on_a_missing_column_is_unknown_not_met() -> None:
    table = food_table(SMALL)
    lab = sf.label(_fixed(table, {"wpc": 30, "dex": 70}), "eu", foods=table)
    line = next(c for c in lab.claims_not_met if c.claim == "eu:low_sugar")
    assert line.qualifies is None and line.value is None


# -- required claims compile to bounds and are re-verified -----------------------------

BRIEF = """
name = "claimed"
claims = ["cn:high_protein", "cn:source_of_vitamin_d"]
[serving]
serving_g = 50
[[nutrient]]
name = "energy_kcal"
basis = "serving"
min = 150
"""


def test_required_claims_hold_in_the_blend_and_are_verified(tmp_path: Path) -> None:
    path = tmp_path / "brief.toml"
    path.write_text(BRIEF, encoding="utf-8")
    table = food_table(PROTEIN)
    brief = sf.load_brief(path)
    result = sf.solve(table, brief, sensitivity=False)
    assert result.ok and result.verification is not None and result.verification.ok
    assert result.verification.checked == 4  # serving, energy and the two claims
    lab = sf.label(result, "cn", foods=table)
    assert {"cn:high_protein", "cn:source_of_vitamin_d"} <= {c.claim for c in lab.claims}
    labels = [c.label for c in result.constraint_lines]
    assert any("claim cn:high_protein" in text and "≥ 12 g per 100 g" in text for text in labels)


def test_an_unreachable_claim_is_an_infeasible_diagnosis_naming_it() -> None:
    table = food_table(PROTEIN)
    brief = with_claims(
        sf.Brief.model_validate({"name": "x", "serving": {"serving_g": 50}}), ["cn:high_protein"]
    )
    brief = brief.with_changes(ingredients=[{"id": "p", "max": 5}])  # 5 g in 50 g = 10 g/100 g < 12
    result = sf.solve(table, brief, sensitivity=False)
    assert result.status == "infeasible" and result.diagnosis is not None
    assert any("cn:high_protein" in text for text in result.diagnosis.explanation)


def test_unknown_claim_is_located_input_error(tmp_path: Path) -> None:
    path = tmp_path / "brief.toml"
    path.write_text('name = "x"\nclaims = ["cn:high_leucine"]\n', encoding="utf-8")
    with pytest.raises(sf.InputError, match="unknown claim 'cn:high_leucine'"):
        sf.load_brief(path)


def test_claims_rules_match_the_label_references() -> None:
    """'x % NRV' thresholds are x % of the standard's own reference value (one source of truth)."""
    cn = {r.column: r.reference for r in load_label_standard("cn").nutrients}
    for rule in load_claim_rules("cn"):
        c = rule.primary
        if "% NRV per 100 g" in c.text:
            percent = float(c.text.split(">= ")[1].split(" %")[0])
            assert c.min == pytest.approx(percent / 100 * cn[c.column]), rule.id  # type: ignore[operator]


def test_every_regulatory_figure_cites_its_text() -> None:
    texts = {"cn": "GB 28050", "eu": "1169/2011", "us": "21 CFR"}
    for standard, name in texts.items():
        for rule in load_label_standard(standard).nutrients:
            assert name in rule.source, rule.key
        for claim in load_claim_rules(standard):
            assert claim.source and any(t in claim.source for t in ("GB 28050", "1924/2006", "21 CFR")), (
                claim.id
            )


# -- command line ---------------------------------------------------------------------


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """`sarcoform ARGS` in this process (the console-script entry point)."""
    from sarcoform.cli import main

    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_label_from_a_result_json(
    tmp_path: Path, default_result: sf.Result, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "result.json"
    path.write_text(json.dumps(default_result.to_dict()), encoding="utf-8")
    code, out, err = _cli(
        capsys, "label", str(path), "--standard", "eu", "--json", "-o", str(tmp_path / "l.json")
    )
    assert code == 0, err
    data = json.loads(out)
    assert data["standard"] == "eu" and [r["nutrient"] for r in data["rows"]][:2] == [
        "energy_kj",
        "energy_kcal",
    ]
    assert json.loads((tmp_path / "l.json").read_text(encoding="utf-8")) == data


def test_cli_label_prints_the_declaration(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    brief = tmp_path / "brief.toml"
    brief.write_text(BRIEF.replace("[serving]", "[serving]\nreconstitution_ml = 200"), encoding="utf-8")
    foods = tmp_path / "foods.csv"
    foods.write_text(PROTEIN, encoding="utf-8")
    code, out, err = _cli(capsys, "label", "-f", str(foods), "-c", str(brief), "-s", "cn")
    assert code == 0, err
    assert "per 100 mL" in out and "蛋白质 Protein" in out and "cn:high_protein" in out
    assert "allergen status unknown" in out  # the table has no allergen columns


def test_cli_label_of_an_infeasible_brief_is_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    brief = tmp_path / "brief.toml"
    brief.write_text(BRIEF + '[[ingredient]]\nid = "p"\nmax = 1\n', encoding="utf-8")
    foods = tmp_path / "foods.csv"
    foods.write_text(PROTEIN, encoding="utf-8")
    code, _, err = _cli(capsys, "label", "-f", str(foods), "-c", str(brief))
    assert code == 1 and "no blend to label" in err


@pytest.mark.parametrize(("args", "message"), [(("--standard", "jp"), "jp"), (("-o", "label.txt"), ".json")])
def test_cli_label_usage_errors_are_exit_2(
    args: tuple[str, ...], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _cli(capsys, "label", *args)
    assert code == 2 and message in err and "Traceback" not in err


def test_required_claims_survive_toml_and_workbook_round_trips(tmp_path: Path, foods: sf.FoodTable) -> None:
    from sarcoform.io.brief_toml import brief_to_toml, parse_brief_toml

    brief = with_claims(sf.load_brief(), ["cn:high_protein", "eu:source_of_fibre"])
    again = parse_brief_toml(brief_to_toml(brief), "again.toml")
    assert [c.id for c in again.claims] == ["cn:high_protein", "eu:source_of_fibre"]
    assert all(c.rule is not None for c in again.claims)
    book = tmp_path / "brief.xlsx"
    sf.write_workbook(foods, brief, book)
    from_book = sf.load_brief(book)
    assert [c.id for c in from_book.claims] == ["cn:high_protein", "eu:source_of_fibre"]
    assert from_book.claims[0].rule == brief.claims[0].rule


VITAMIN_C = (
    "id,name,price_per_kg,energy_kcal,energy_kj,protein_g,fat_g,carbohydrate_g,fibre_g,sugars_g,"
    "saturated_fat_g,sodium_mg,vitamin_c_mg\n"
    """c,Carbohydrate,1,400,1700,0,0,100,0,0,0,0,0
vc,Vitamin C,1,0,0,0,0,0,0,0,0,0,1000
"""
)


@pytest.mark.parametrize(("grams", "declared"), [(2.0, True), (1.0, False)])
def test_vitamins_declared_at_a_significant_amount(grams: float, declared: bool) -> None:
    """Reg. 1169/2011 Annex XIII: significant = 15 % of the RI (vitamin C 80 mg) per 100 g.
    2 g of a 1000 mg/100 g source in 100 g: 20 mg = 25 % RI; 1 g: 10 mg = 12.5 %."""
    table = food_table(VITAMIN_C)
    lab = sf.label(_fixed(table, {"vc": grams, "c": 100 - grams}), "eu", foods=table)
    rows = [r for r in lab.rows if r.nutrient == "vitamin_c"]
    assert bool(rows) is declared
    if declared:
        assert rows[0].per_100g == 20.0 and rows[0].percent_reference == 25.0 and rows[0].text() == "20 mg"


def test_without_the_food_table_the_label_says_so(default_result: sf.Result) -> None:
    moved = default_result.model_copy(update={"foods_origin": "/nowhere/foods.csv"})
    lab = sf.label(moved, "cn")
    assert all(a.status == "unknown" for a in lab.allergens)
    assert any("not available" in n for n in lab.notes)
    assert lab.row("protein").exact.per_100g == pytest.approx(
        sf.label(default_result, "cn").row("protein").exact.per_100g
    )


def test_a_claim_holds_by_any_of_its_conditions() -> None:
    """GB 28050 Table C.1 high protein: >= 12 g per 100 g OR >= 10 % NRV (6 g) per 420 kJ.
    10 g protein (170 kJ) in 100 g of an energy-free base: per 100 g it misses (10 < 12), per
    420 kJ it holds (10 / 170 x 420 = 24.7 g)."""
    table = food_table(PROTEIN + "w,Water,0,0,0,0,0,0,0,0,0,0,0\n")
    result = _fixed(table, {"p": 10.0, "w": 90.0})
    line = next(c for c in sf.label(result, "cn", foods=table).claims if c.claim == "cn:high_protein")
    assert line.basis == "per 100 kJ" and line.value == pytest.approx(10 / 170 * 100)
    assert line.margin == pytest.approx(10 / 170 * 100 - 6 / 4.2)


def test_a_binding_claim_has_the_shadow_price_of_its_threshold() -> None:
    """50 g of protein (USD 10/kg) and carbohydrate (USD 1/kg) for cn:high_protein: the cheapest
    blend sits on 12 g per 100 g; one more g per 100 g is 0.5 g of protein in place of 0.5 g
    of carbohydrate, USD 0.5 x (10 - 1) / 1000 = 0.0045 per serving."""
    table = food_table(PROTEIN)
    brief = with_claims(
        sf.Brief.model_validate({"name": "x", "serving": {"serving_g": 50}}), ["cn:high_protein"]
    )
    brief = brief.with_changes(ingredients=[{"id": i, "max": 0} for i in ("s", "f", "ca", "d")])
    result = sf.solve(table, brief)
    line = next(c for c in result.constraint_lines if "claim cn:high_protein" in c.label)
    assert line.binding and line.value == pytest.approx(12.0)
    assert line.shadow_price == pytest.approx(0.5 * (10 - 1) / 1000)


@pytest.mark.parametrize(("oil", "per_100g", "per_serving"), [(0.39, 1.3, 0.4), (0.12, 0.0, 0.0)])
def test_cn_per_serving_zero_only_when_per_100g_is_zero(
    oil: float, per_100g: float, per_serving: float
) -> None:
    """GB 28050 Q&A (Q8): a per-serving amount is '0' only when it also meets the '0' limit per
    100 g. Fat 1.3 g/100 g in a 30 g serving is 0.39 g: declared 0.4 g, not 0 (the limit is
    0.5 g); at 0.4 g/100 g both are 0. EU rounding has no such rule: 0.39 g is '0' there."""
    table = food_table(SMALL)
    result = _fixed(table, {"oil": oil, "dex": 30 - oil})
    fat = sf.label(result, "cn", foods=table).row("fat")
    assert (fat.per_100g, fat.per_serving) == (pytest.approx(per_100g), pytest.approx(per_serving))
    assert sf.label(result, "eu", foods=table).row("fat").per_serving == 0.0


def test_gb28050_appendix_a_worked_example() -> None:
    """GB 28050-2011 Appendix A's example (a biscuit, per 100 g, as quoted at cloudzoo.cn):
    energy 1823 kJ 22 %, protein 9.0 g 15 %, fat 12.7 g 21 %, carbohydrate 70.6 g 24 %,
    sodium 204 mg 10 %, vitamin A 72 µg RE 9 %, vitamin B1 0.09 mg 6 % NRV."""
    table = food_table(
        "id,name,price_per_kg,energy_kj,protein_g,fat_g,carbohydrate_g,sodium_mg,vitamin_a_ug,vitamin_b1_mg\n"
        "b,Biscuit,1,1823,9.0,12.7,70.6,204,72,0.09\n"
    )
    lab = sf.label(_fixed(table, {"b": 100.0}), "cn", foods=table)
    expected = {
        "energy_kj": ("1823", 22), "protein": ("9.0", 15), "fat": ("12.7", 21), "carbohydrate": ("70.6", 24),
        "sodium": ("204", 10), "vitamin_a": ("72", 9), "vitamin_b1": ("0.09", 6),
    }  # fmt: skip
    got = {r.nutrient: (r.printed["per_100g"], r.percent_reference) for r in lab.rows}
    assert got == {k: (v, float(p)) for k, (v, p) in expected.items()}


def test_cli_label_from_a_results_workbook(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A results workbook carries its inputs: the label re-solves them (reconstitution from the brief)."""
    from sarcoform.report.workbook import write_result_workbook

    table = food_table(PROTEIN)
    brief_path = tmp_path / "brief.toml"
    brief_path.write_text(BRIEF.replace("[serving]", "[serving]\nreconstitution_ml = 250"), encoding="utf-8")
    brief = sf.load_brief(brief_path)
    book = tmp_path / "result.xlsx"
    write_result_workbook(sf.solve(table, brief, sensitivity=False), book, foods=table, brief=brief)
    code, out, err = _cli(capsys, "label", str(book), "-s", "us", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["reconstitution_ml"] == 250 and data["serving_g"] == pytest.approx(50)
    assert "us:source_of_protein" in [c["claim"] for c in data["claims"]]  # 12 g/100 g x 50 g = 6 g >= 5 g


def test_a_claim_added_without_its_rule_is_an_input_error() -> None:
    brief = sf.load_brief().with_changes(claims=["cn:high_protein"])  # not read from a file
    with pytest.raises(sf.InputError, match="claim 'cn:high_protein' has no rule"):
        sf.solve(sf.load_foods(), brief)
    assert sf.solve(sf.load_foods(), sf.with_claims(sf.load_brief(), ["cn:high_protein"])).ok


def test_the_batch_fast_path_keeps_and_checks_required_claims(foods: sf.FoodTable) -> None:
    """milk_beverage_powder requires cn:high_calcium (>= 240 mg per 100 g): every scenario's
    blend holds it, verified, also when the prices make calcium sources dear."""
    dear = {"caco3": 50.0, "calcium_citrate": 50.0, "tricalcium_phosphate": 50.0}
    run = sf.solve_batch(foods, ["milk_beverage_powder"], {"base": {}, "dear_calcium": dear})
    calcium = foods.numbers["calcium_mg"]
    for item in run.items:
        assert item.status == "optimal" and item.verified and item.grams is not None, item.reason
        used = item.grams > 0  # blank values of unused foods are left out (blank_values = exclude)
        per_100g = float(item.grams[used] @ calcium[used]) / float(item.grams.sum())  # mg per 100 g
        assert per_100g >= 240 * (1 - 1e-6), item.scenario


def test_a_half_is_a_half_whatever_the_float_noise() -> None:
    """7.55 µg to 0.1 µg is 7.6 (halves up), also when the sum arrives as 7.549999999999999."""
    bands = (RoundingBand(step=0.1),)
    assert round_value(7.549999999999999, bands).value == 7.6
    assert round_value(7.550000000000001, bands).value == 7.6
    assert round_value(7.54999, bands).value == 7.5
