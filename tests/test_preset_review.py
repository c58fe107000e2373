"""A formulator's review of each preset (issue 10 item 6), solved with CBC and with HiGHS.

Each blend is read back against the raw food table (csv module, not sarcoform), and the
figures are compared with what the sources say, not with solver output:
- CaHMB: 3 g/day, the China NHC 2017 No.7 cap, as 1.5 g per serving (Health Canada per-serving
  cap; the review's commercial example); 1 g CaHMB = 0.808 g HMB (IUPAC atomic weights).
- Protein: PROT-AGE 25 g per meal; leucine 2.5 g per meal (PROT-AGE); free leucine at most a
  third of leucine; leucine from the product 1.2-6 g/day (the review, citing Francisco et al.).
- Energy: ESPEN >= 400 kcal/day from an ONS.
- Vitamin D: Chinese RNI 15 ug/day at 65+ from the ONS, UL 50 ug/day with the diet's 3 ug;
  GB 14880 formulated milk powder 63-125 ug/kg for the milk beverage.
- Manufacturing: liquid oil <= 3 % of a dry blend; every weighed ingredient outside the premix
  at least 0.1 % of the serving ([E] the smallest addition a production mixer takes directly);
  lactose <= 6 g per ONS serving (half the ~12 g most maldigesters tolerate [R]).
- Allergens: the dairy-free ONS uses only ingredients flagged allergen_milk = 0 (blank = unknown
  is not free).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass

import pytest

import sarcoform as sf
from conftest import ROOT

CAHMB_CAP_G_DAY = 3.0
HMB_PER_CAHMB = 2 * 118.13 / 292.34  # HMB free acid per CaHMB monohydrate
PROT_AGE_PROTEIN_G = 25.0
PROT_AGE_LEUCINE_G = 2.5
REVIEW_LEUCINE_G_DAY = (1.2, 6.0)
ESPEN_KCAL_DAY = 400.0
VITAMIN_D_RNI_UG = 15.0
VITAMIN_D_UL_UG = 50.0
WEIGHABLE_SHARE = 0.001
LIQUID_OIL_SHARE = 0.03


def _raw_table() -> dict[str, dict[str, str]]:
    with (ROOT / "foods" / "ingredients.csv").open(encoding="utf-8") as fh:
        return {row["id"]: row for row in csv.DictReader(fh)}


RAW = _raw_table()


@dataclass
class Blend:
    grams: dict[str, float]
    serving_g: float
    servings_per_day: float

    def amount(self, column: str) -> float:
        """Per serving, from the raw table (per 100 g)."""
        return sum(g * float(RAW[i][column]) / 100 for i, g in self.grams.items())

    def used(self) -> dict[str, float]:
        return {i: g for i, g in self.grams.items() if g > 1e-9}

    def liquid_oil_g(self) -> float:
        """Grams of pure liquid oil (a lipid row with >= 99 g fat; fat powders are not)."""
        return sum(
            g for i, g in self.used().items() if RAW[i]["group"] == "lipid" and float(RAW[i]["fat_g"]) >= 99
        )

    def too_small_to_weigh(self) -> dict[str, float]:
        """Ingredients outside the premix used at less than a weighable share of the serving."""
        least = WEIGHABLE_SHARE * self.serving_g
        return {i: g for i, g in self.used().items() if i != "vitamin_mineral_premix" and g < least}


def _solve(preset: str, solver: str) -> Blend:
    spec = sf.load_spec(preset)
    result = sf.solve(sf.load_foods(), spec, solver=solver)
    assert result.status == "optimal", result.to_dict().get("diagnosis")
    assert result.to_dict()["verification"]["ok"]
    blend = result.blend
    grams = {str(i): float(g) for i, g in zip(blend["id"], blend["grams"], strict=True)}
    return Blend(grams, float(sum(grams.values())), spec.serving.servings_per_day)


ONS = ["ons_powder", "ons_max_leucine", "ons_dairy_free"]
SOLVERS = ["cbc", "highs"]


@pytest.fixture(scope="module", params=[(p, s) for p in ONS for s in SOLVERS], ids=lambda c: f"{c[0]}-{c[1]}")
def ons(request: pytest.FixtureRequest) -> tuple[str, Blend]:
    preset, solver = request.param
    return preset, _solve(preset, solver)


def test_ons_hmb_is_the_daily_cap_split_over_the_servings(ons: tuple[str, Blend]) -> None:
    _, blend = ons
    per_day = blend.grams.get("cahmb", 0.0) * blend.servings_per_day
    assert per_day == pytest.approx(CAHMB_CAP_G_DAY, abs=1e-6)
    assert blend.grams["cahmb"] == pytest.approx(1.5, abs=1e-6)
    assert blend.amount("cahmb_g") * blend.servings_per_day * HMB_PER_CAHMB == pytest.approx(2.42, abs=0.005)


def test_ons_protein_and_leucine_per_meal(ons: tuple[str, Blend]) -> None:
    _, blend = ons  # one serving is the meal; nothing counted from the meal itself
    assert blend.amount("protein_g") >= PROT_AGE_PROTEIN_G - 1e-6
    leucine = blend.amount("leucine_g")
    assert leucine >= PROT_AGE_LEUCINE_G - 1e-6
    assert blend.amount("free_leucine_g") <= leucine / 3 + 1e-6
    low, high = REVIEW_LEUCINE_G_DAY
    assert low - 1e-6 <= leucine * blend.servings_per_day <= high + 1e-6


def test_ons_energy_and_vitamin_d_per_day(ons: tuple[str, Blend]) -> None:
    _, blend = ons
    assert blend.amount("energy_kcal") * blend.servings_per_day >= ESPEN_KCAL_DAY - 1e-6
    vitamin_d = blend.amount("vitamin_d_ug") * blend.servings_per_day
    assert vitamin_d >= VITAMIN_D_RNI_UG - 1e-6
    assert vitamin_d + 3.0 <= VITAMIN_D_UL_UG


def test_ons_is_a_manufacturable_dry_blend(ons: tuple[str, Blend]) -> None:
    preset, blend = ons
    used = blend.used()
    assert blend.liquid_oil_g() <= LIQUID_OIL_SHARE * blend.serving_g + 1e-6
    assert blend.too_small_to_weigh() == {}
    assert used.get("vitamin_mineral_premix", 0) > 0
    assert used.get("vanilla_flavour", 0) > 0 and used.get("sucralose_1pct", 0) > 0  # flavour + sweetener
    assert blend.amount("lactose_g") <= (0.0 if preset == "ons_dairy_free" else 6.0) + 1e-6


def test_dairy_free_ons_uses_only_ingredients_known_to_be_milk_free(ons: tuple[str, Blend]) -> None:
    preset, blend = ons
    flags = {i: RAW[i]["allergen_milk"] for i in blend.used()}
    if preset == "ons_dairy_free":
        assert set(flags.values()) == {"0"}, flags
    else:
        assert "1" in flags.values()  # the dairy presets do use milk: the flag is read, not assumed


@pytest.mark.parametrize("solver", SOLVERS)
def test_milk_beverage_counts_breakfast_once_and_meets_gb_14880(solver: str) -> None:
    spec = sf.load_spec("milk_beverage_powder")
    assert spec.serving.servings_per_day == spec.serving.servings_per_meal == 1  # one cup, one meal
    blend = _solve("milk_beverage_powder", solver)
    breakfast_leucine = 1.2  # ~15 g breakfast protein at ~8 % leucine (reference_values.md §1)
    assert blend.amount("leucine_g") + breakfast_leucine >= PROT_AGE_LEUCINE_G - 1e-6
    assert blend.amount("free_leucine_g") <= blend.amount("leucine_g") / 3 + 1e-6
    vitamin_d_per_kg = blend.amount("vitamin_d_ug") / blend.serving_g * 1000
    assert 63 - 1e-6 <= vitamin_d_per_kg <= 125 + 1e-6  # GB 14880-2012 formulated milk powder
    assert 1.5 - 1e-6 <= blend.amount("cahmb_g") <= CAHMB_CAP_G_DAY
    assert blend.liquid_oil_g() <= LIQUID_OIL_SHARE * blend.serving_g + 1e-6
    assert blend.too_small_to_weigh() == {}
