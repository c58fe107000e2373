"""Plausibility checks on a food table: figures no ingredient can have, and figures that
look wrong for what the row says it is.

Errors (the table is not used): per 100 g of ingredient,
- the proximate sum (protein, fat, carbohydrate, fibre, free leucine, CaHMB) above
  100 g + `PROXIMATE_TOLERANCE_G`;
- an amino acid above protein (+ `AMINO_ACID_TOLERANCE_G`), leucine counted as intact
  leucine (total minus free L-leucine), so intact leucine above protein is one of them.

Warnings (the table is used, the user is told):
- stated energy more than `ENERGY_TOLERANCE` off the energy the brief's factors give;
- a figure far outside the range of the row's ingredient class (`CLASS_RANGES`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

import numpy as np

from ..errors import InputError, Problem
from .brief import Brief
from .foods import FoodTable

# Rounding of figures given to 0.1 g, crystal-hydrate and carrier conventions, and
# carbohydrate "by difference" tables: 2 g per 100 g is more than any of these explains.
PROXIMATE_TOLERANCE_G = 2.0
PROXIMATE_COLUMNS = ("protein_g", "fat_g", "carbohydrate_g", "fibre_g", "free_leucine_g", "cahmb_g")
# Composition databases report traces of amino acids for foods with 0.0 g protein (USDA SR28
# has leucine 0.094 g at protein 0 for one food): 0.1 g is the rounding step of protein.
AMINO_ACID_TOLERANCE_G = 0.1
AMINO_ACIDS = (
    "histidine_g",
    "isoleucine_g",
    "leucine_g",
    "lysine_g",
    "methionine_g",
    "cystine_g",
    "phenylalanine_g",
    "tyrosine_g",
    "threonine_g",
    "tryptophan_g",
    "valine_g",
)

# GB 29922-2025 energy factors, kJ per g (reference_values.md §5): what the presets use.
DEFAULT_KJ_PER_G: dict[str, float] = {
    "protein_g": 17.0,
    "fat_g": 37.0,
    "carbohydrate_g": 17.0,
    "fibre_g": 8.0,
}
KJ_PER_KCAL = 4.184
ENERGY_TOLERANCE = 0.15
# Below this the relative difference says nothing (an oil's carrier traces, a premix).
ENERGY_FLOOR_KJ = 80.0

# [E] engineering ranges per 100 g for the classes of foods/ingredients.csv (`group`),
# wide enough for every commercial grade we know of; a value outside is worth a second look.
CLASS_RANGES: dict[str, dict[str, tuple[float, float]]] = {
    "protein": {"protein_g": (30.0, 95.0), "carbohydrate_g": (0.0, 40.0)},
    "dairy": {"protein_g": (8.0, 40.0), "carbohydrate_g": (30.0, 80.0), "calcium_mg": (300.0, 2500.0)},
    "carbohydrate": {"protein_g": (0.0, 2.0), "carbohydrate_g": (75.0, 100.0)},
    "fibre": {"protein_g": (0.0, 2.0), "fibre_g": (50.0, 100.0)},
    "lipid": {"protein_g": (0.0, 10.0), "fat_g": (40.0, 100.0)},
    "cereal": {"protein_g": (4.0, 25.0), "carbohydrate_g": (35.0, 85.0)},
    "mineral": {"protein_g": (0.0, 1.0), "fat_g": (0.0, 1.0)},
    "amino_acid": {"protein_g": (0.0, 1.0), "fat_g": (0.0, 1.0)},
}
# Any class: no food has more of these per 100 g (pure salt has 39 g sodium).
ANY_CLASS_MAX: dict[str, float] = {"energy_kcal": 900.0, "sodium_mg": 39_400.0}


def checked(foods: FoodTable) -> FoodTable:
    """The table itself when no figure is impossible; else InputError naming each cell."""
    problems = plausibility_errors(foods)
    if problems:
        raise InputError(problems)
    return foods


def plausibility_errors(foods: FoodTable) -> list[Problem]:
    """Figures no ingredient can have, each at its row and column."""
    problems: list[Problem] = []
    present = [c for c in PROXIMATE_COLUMNS if c in foods.numbers]
    if present:
        total = np.nansum(np.vstack([foods.numbers[c] for c in present]), axis=0)
        for i in map(int, np.flatnonzero(total > 100.0 + PROXIMATE_TOLERANCE_G)):
            biggest = max(present, key=lambda c: _value(foods, c, i))
            parts = " + ".join(f"{c} {_value(foods, c, i):g}" for c in present if _value(foods, c, i) > 0)
            problems.append(
                foods.problem(
                    i,
                    biggest,
                    f"{parts} = {total[i]:g} g per 100 g, more than 100 g"
                    f" (tolerance {PROXIMATE_TOLERANCE_G:g} g): a value is wrong",
                )
            )
    if "protein_g" not in foods.numbers:
        return problems
    protein = foods.numbers["protein_g"]
    free = foods.numbers.get("free_leucine_g")
    for column in (c for c in AMINO_ACIDS if c in foods.numbers):
        amount = foods.numbers[column]
        intact = column == "leucine_g" and free is not None
        if free is not None and intact:
            amount = amount - np.nan_to_num(free)
        with np.errstate(invalid="ignore"):
            over = amount > protein + AMINO_ACID_TOLERANCE_G
        for i in map(int, np.flatnonzero(over)):
            what = column
            if intact:
                leucine, free_i = _value(foods, column, i), _value(foods, "free_leucine_g", i)
                what = f"intact leucine (leucine_g {leucine:g} - free_leucine_g {free_i:g})"
            problems.append(
                foods.problem(
                    i,
                    column,
                    f"{what} = {amount[i]:g} g is more than protein_g {protein[i]:g} g: an amino acid"
                    " of protein cannot exceed the protein",
                )
            )
    return problems


def energy_factors(derived: Mapping[str, str]) -> dict[str, float]:
    """kJ per g for each macronutrient, from a brief's derived columns of the form
    `<name>_kj = <factor> * <macronutrient column>` (or `_kcal`); GB 29922 factors for the rest."""
    factors = dict(DEFAULT_KJ_PER_G)
    for name, expr in derived.items():
        match = re.fullmatch(r"\s*([0-9.]+)\s*\*\s*([a-z_]+_g)\s*", expr)
        unit = name.rsplit("_", 1)[-1]
        if match and match.group(2) in factors and unit in ("kj", "kcal"):
            factor = float(match.group(1))
            factors[match.group(2)] = factor * (KJ_PER_KCAL if unit == "kcal" else 1.0)
    return factors


def plausibility_warnings(foods: FoodTable, kj_per_g: Mapping[str, float] | None = None) -> list[Problem]:
    """Figures that look wrong for the row: energy off its macronutrients, and values
    far outside the row's ingredient class."""
    factors = dict(kj_per_g or DEFAULT_KJ_PER_G)
    return _energy_warnings(foods, factors) + _class_warnings(foods)


def _energy_warnings(foods: FoodTable, factors: Mapping[str, float]) -> list[Problem]:
    macros = [c for c in factors if c in foods.numbers]
    if "protein_g" not in macros or "fat_g" not in macros:
        return []
    computed = sum((np.nan_to_num(foods.numbers[c]) * factors[c] for c in macros), np.zeros(len(foods)))
    if "free_leucine_g" in foods.numbers:  # free amino acids count at the protein factor
        computed = computed + np.nan_to_num(foods.numbers["free_leucine_g"]) * factors["protein_g"]
    macros_known = ~np.isnan(foods.numbers["protein_g"]) & ~np.isnan(foods.numbers["fat_g"])
    factor_text = ", ".join(f"{c.removesuffix('_g')} {factors[c]:g}" for c in macros)
    problems: list[Problem] = []
    for column, unit, per_kj in (("energy_kj", "kJ", 1.0), ("energy_kcal", "kcal", 1 / KJ_PER_KCAL)):
        if column not in foods.numbers:
            continue
        stated = foods.numbers[column] / per_kj
        with np.errstate(invalid="ignore", divide="ignore"):
            off = np.abs(stated - computed) / np.maximum(computed, stated)
            rows = ~np.isnan(stated) & macros_known & (np.maximum(computed, stated) >= ENERGY_FLOOR_KJ)
            rows &= off > ENERGY_TOLERANCE
        problems += [
            foods.problem(
                int(i),
                column,
                f"warning: energy {stated[i] * per_kj:.0f} {unit} is {off[i]:.0%} off the"
                f" {computed[i] * per_kj:.0f} {unit} its macronutrients give (kJ/g: {factor_text})",
            )
            for i in np.flatnonzero(rows)
        ]
    return problems


def _class_warnings(foods: FoodTable) -> list[Problem]:
    groups = foods.texts.get("group")
    problems: list[Problem] = []
    for i in range(len(foods)):
        group = groups[i].strip().lower() if groups else ""
        ranges = dict(CLASS_RANGES.get(group, {}))
        ranges.update({c: (0.0, hi) for c, hi in ANY_CLASS_MAX.items()})
        for column, (lo, hi) in ranges.items():
            value = _value(foods, column, i)
            if column not in foods.numbers or math.isnan(value) or lo <= value <= hi:
                continue
            kind = f"a {group} ingredient" if column in CLASS_RANGES.get(group, {}) else "any food"
            problems.append(
                foods.problem(
                    i,
                    column,
                    f"warning: {value:g} per 100 g is far outside {lo:g}-{hi:g}, the range for {kind}",
                )
            )
    return problems


def _value(foods: FoodTable, column: str, i: int) -> float:
    values = foods.numbers.get(column)
    return float(values[i]) if values is not None else math.nan


def brief_warnings(foods: FoodTable, brief: Brief) -> list[Problem]:
    """The warnings for a table as a brief sees it (energy with the brief's factors)."""
    return plausibility_warnings(foods, energy_factors({k: d.expr for k, d in brief.derived.items()}))


def warning_lines(warnings: list[Problem], limit: int = 5) -> list[str]:
    """The first `limit` warnings, one line each, and how many more there are."""
    lines = [str(w) for w in warnings[:limit]]
    if len(warnings) > limit:
        lines.append(f"warning: … and {len(warnings) - limit} more (`sarcoform check` lists them all)")
    return lines
