"""Nutrient column names (`<nutrient>_<unit>`) and unit conversions."""

from __future__ import annotations

import re
from functools import lru_cache

# Units a nutrient column may carry, per 100 g of ingredient as used.
UNITS = ("g", "mg", "ug", "kcal", "kj", "iu")

MASS_IN_G = {"g": 1.0, "mg": 1e-3, "ug": 1e-6}
ENERGY_IN_KCAL = {"kcal": 1.0, "kj": 1 / 4.184}  # thermochemical calorie

UNIT_LABELS = {"g": "g", "mg": "mg", "ug": "µg", "kcal": "kcal", "kj": "kJ", "iu": "IU"}

_COLUMN = re.compile(r"^([a-z][a-z0-9_]*?)_(g|mg|ug|kcal|kj|iu)$")


@lru_cache(maxsize=8192)  # the same few names, thousands of times per solve
def split_column(column: str) -> tuple[str, str] | None:
    """`"leucine_g"` → `("leucine", "g")`; None when the name carries no unit."""
    match = _COLUMN.match(column)
    return (match.group(1), match.group(2)) if match else None


def conversion(from_unit: str, to_unit: str) -> float | None:
    """Factor that turns an amount in `from_unit` into `to_unit`; None if incompatible."""
    if from_unit == to_unit:
        return 1.0
    for table in (MASS_IN_G, ENERGY_IN_KCAL):
        if from_unit in table and to_unit in table:
            return table[from_unit] / table[to_unit]
    return None


def label(unit: str) -> str:
    return UNIT_LABELS.get(unit, unit)
