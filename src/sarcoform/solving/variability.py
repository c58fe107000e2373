"""What a nutrient bound knows about ingredient lots: its standard deviations (chance
constraints) or its specification limits (worst case).

Compiling asks `lot_variation` once per `[[nutrient]]` entry; the answer is plain data
(per-gram vectors in the column's unit), which `compile` scales to the bound's basis
like the mean values.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from ..errors import Problem
from ..model.brief import Brief, NutrientBound, Serving
from ..model.columns import ColumnSet
from ..model.companions import companion


def z_of(probability: float) -> float:
    """The standard normal quantile: P(Z ≤ z) = probability."""
    return NormalDist().inv_cdf(probability)


def normal_cdf(value: float) -> float:
    return NormalDist().cdf(value)


@dataclass(frozen=True)
class LotVariation:
    """A bound's chance part: per-gram SDs (column units per g) and the probability,
    or worst-case per-gram amounts for its min and max sides."""

    sd: np.ndarray | None = None
    probability: float | None = None
    sd_column: str | None = None
    worst_low: np.ndarray | None = None  # the column's `_min` per g (worst lot for a minimum)
    worst_high: np.ndarray | None = None
    uses: tuple[str, ...] = ()
    note: str | None = None


NONE = LotVariation()  # exact values (made once: compiling asks for every nutrient bound)


def basis_scale(basis: str, factor: float, serving: Serving) -> float:
    """The multiple of a per-gram amount that gives the bound's value (linear bases;
    per_100g is per 100 g of a serving whose mass is the denominator)."""
    if basis == "meal":
        return factor * serving.servings_per_meal
    if basis in ("day", "kg_bw_day"):
        k = factor * serving.servings_per_day
        return k / serving.body_weight_kg if basis == "kg_bw_day" and serving.body_weight_kg else k
    if basis in ("per_100g", "per_100kcal", "per_100kj"):
        return 100 * factor
    return factor


def lot_variation(columns: ColumnSet, brief: Brief, e: NutrientBound, column: str) -> LotVariation | str:
    """The lot variation of bound `e` on `column`; a message when the brief asks for what
    the table cannot give."""
    foods = columns.foods
    probability = e.probability if e.probability is not None else brief.probability
    explicit = e.probability is not None
    own = column in foods.numbers
    sd_name = companion(column, "sd")
    worst = brief.variability is not None and brief.variability.worst_case
    if worst:
        low, high = companion(column, "min"), companion(column, "max")
        have = [c for c in (low, high) if c in foods.numbers]
        if have:
            if probability is not None and explicit:
                return "give probability or worst_case for a bound, not both"
            kept = process_retention(columns, brief, column)
            return LotVariation(
                worst_low=foods.numbers[low] / 100.0 * kept if low in foods.numbers else None,
                worst_high=foods.numbers[high] / 100.0 * kept if high in foods.numbers else None,
                uses=tuple(have),
            )
    if probability is None:
        return NONE
    if sd_name not in foods.numbers:
        varying = [c for c in columns.inputs(column) if companion(c, "sd") in foods.numbers]
        if not own and varying:
            # A derived column varies with its inputs, which are not independent of each
            # other in general: the table must say how it varies.
            message = (
                f"{column} is derived from {', '.join(varying)}, which vary; give a {sd_name}"
                " column in the food table"
            )
            if explicit:
                return message
            return LotVariation(note=f"{column}: not chance-constrained ({message})")
        if explicit:
            note = f"{column}: no {sd_name} column, its values are exact: the bound holds with certainty"
            return LotVariation(note=note)
        return NONE
    if e.basis in ("per_100kcal", "per_100kj"):
        if not explicit:
            return LotVariation(note=f"{column} {e.basis}: not chance-constrained (energy varies too)")
        return f"probability applies to bases serving, meal, day, kg_bw_day and per_100g, not {e.basis}"
    return LotVariation(
        sd=foods.numbers[sd_name] / 100.0 * process_retention(columns, brief, column),
        probability=probability,
        sd_column=sd_name,
        uses=(sd_name,),
    )


def retention(columns: ColumnSet, brief: Brief, column: str) -> np.ndarray | Problem | None:
    """The fraction of `column` left at the end of shelf life, per food: the table's
    `<column>_retention` where given, else the brief's `[shelf_life] retention`, else 1.
    None when nothing is lost; the problem when a value is out of (0, 1]."""
    life = brief.shelf_life
    if life is None:
        return None
    foods = columns.foods
    from_brief = columns.by_column(life.retention).get(column)  # bad names: retention_problems
    override = foods.numbers.get(companion(column, "retention"))
    if from_brief is None and override is None:
        return None
    r = np.full(len(foods), 1.0 if from_brief is None else from_brief)
    if override is not None:
        bad = np.flatnonzero(~np.isnan(override) & ((override <= 0) | (override > 1)))
        if bad.size:
            i = int(bad[0])
            name = companion(column, "retention")
            return foods.problem(i, name, f"a fraction retained must be in (0, 1], got {override[i]:g}")
        r = np.where(np.isnan(override), r, override)
    return r


def retention_problems(columns: ColumnSet, brief: Brief) -> list[Problem]:
    """Names in `[shelf_life]` or `[processing]` retention that are not columns, or that
    name a column another name of the same table already names (`vitamin_c` and
    `vitamin_c_mg`: which figure would hold?)."""
    out = []
    for section, entry in (("shelf_life", brief.shelf_life), ("processing", brief.processing)):
        named: dict[str, str] = {}  # column → the first name given for it
        for name in entry.retention if entry is not None else ():
            assert entry is not None
            try:
                column = columns.resolve(name)
            except ValueError as err:
                out.append(entry.problem(f"[{section}] retention: {err}"))
                continue
            if column in named:
                first = named[column]
                out.append(
                    entry.problem(
                        f"[{section}] retention: {first!r} and {name!r} both name the column {column!r};"
                        " give its retention once"
                    )
                )
            named.setdefault(column, name)
    return out


def finished_per_raw(brief: Brief) -> float:
    """Grams of finished product per gram of raw materials (moisture lost or gained)."""
    return 1.0 + (brief.processing.moisture_change_percent / 100 if brief.processing is not None else 0.0)


def process_retention(columns: ColumnSet, brief: Brief, column: str) -> float:
    """The fraction of `column` that survives processing (1 when the brief gives none)."""
    if brief.processing is None:
        return 1.0
    for name, value in brief.processing.retention.items():
        try:
            if columns.resolve(name) == column:
                return value
        except ValueError:
            continue  # reported by retention_problems
    return 1.0
