"""Re-check a blend against the brief from the raw food table, without the LP.

This is deliberately a second implementation of the brief's meaning: it reads the
table row by row and applies each basis with plain arithmetic, never the compiled
matrices. If compiling and checking disagree, the result says so.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from ..model import sections
from ..model.brief import (
    BASIS_PHRASES,
    AminoAcidPattern,
    Brief,
    CostBound,
    GroupBound,
    IngredientBound,
    NutrientBound,
    RatioBound,
    RequiredClaim,
)
from ..model.columns import ColumnSet
from ..model.foods import FoodTable
from ..model.units import conversion
from .claims import claim_bound

TOLERANCE = 1e-6  # relative to max(1, |bound|)


@dataclass(frozen=True)
class Check:
    name: str
    value: float | None
    min: float | None
    max: float | None
    violation: float  # ≥ 0, relative to max(1, |bound|)


Part = Literal["all", "blend", "prices"]  # which checks (`Checker.checks`)


class Checker:
    """Evaluates each entry of a brief for a blend given as {food id: grams}."""

    def __init__(self, foods: FoodTable, brief: Brief, columns: ColumnSet) -> None:
        self.foods = foods
        self.brief = brief
        self.columns = columns
        # What does not depend on the blend, worked out once (a batch checks thousands).
        bg = brief.background
        self.meal = {columns.resolve(k): v for k, v in bg.per_meal.items()}
        self.day = {columns.resolve(k): v for k, v in bg.per_day.items()}
        self.names = set(columns.names())
        # Processing: the share of each nutrient it leaves, and finished g per raw g.
        process = brief.processing
        self.kept = {columns.resolve(k): v for k, v in process.retention.items()} if process else {}
        self.finished = 1.0 + (process.moisture_change_percent / 100 if process else 0.0)

    def amount(self, x: np.ndarray, name: str, blank_zero: bool, nonzero: np.ndarray | None = None) -> float:
        """Amount of a column in one serving (x: grams per food, table order), column units.

        NaN when an ingredient in the blend has an unknown (blank) value, unless the
        brief treats blanks as zero. (x foods × blends: one amount per blend.) `nonzero`:
        x != 0, when the caller has it already.
        """
        values, blank = self.columns.blanks_as_zero(name)  # made once per food table
        if x.ndim == 2:
            amounts = values @ x / 100.0
            return amounts if blank_zero else np.where(blank @ (x != 0), math.nan, amounts)  # type: ignore[return-value]
        if not blank_zero and bool((blank & (x != 0 if nonzero is None else nonzero)).any()):
            return math.nan
        return float(values @ x) / 100.0 * self.kept.get(name, 1.0)

    def worst(self, x: np.ndarray, prices: np.ndarray | None = None, part: Part = "all") -> np.ndarray:
        """The largest violation of each blend at once (x blends × foods; `prices` one row
        per blend, or None): what `checks` gives blend by blend, in one pass (`part`: of
        those checks only, see `checks`)."""
        if self.brief.is_practical:  # counts and smallest inclusions: blend by blend
            return np.array(
                [
                    max(
                        (c.violation for c in self.checks(_grams(self.foods, row), p, part=part)), default=0.0
                    )
                    for row, p in zip(x, [None] * len(x) if prices is None else prices, strict=True)
                ]
            )
        used = np.flatnonzero(np.any(x != 0, axis=0))
        grams = {self.foods.ids[i]: x[:, i] for i in used}
        worst = np.zeros(x.shape[0])
        for c in self.checks(grams, prices, blends=x.shape[0], part=part):  # type: ignore[arg-type]
            worst = np.maximum(worst, c.violation)
        return worst

    def checks(
        self,
        grams: Mapping[str, float],
        prices: np.ndarray | None = None,
        blends: int | None = None,
        part: Part = "all",
    ) -> list[Check]:
        """Every bound of the brief for this blend; `prices` (per kg, table order) replace
        the table's for a price scenario. (`blends`: grams are arrays over that many blends,
        and so are the checks' values, see `worst`.) `part`: "blend", every check that reads
        no price; "prices", the cost bounds alone (which do); "all", both."""
        brief = self.brief
        s = brief.serving
        blend = Blend(self, grams, prices, blends)
        out: list[Check] = []
        mass = blend.mass
        if part == "prices":
            for entry in _PRICED.entries(brief):
                out += CHECKS[_PRICED.toml](blend, entry)
            return _numbered(out)
        if s.fixed:
            out.append(_check("serving mass", mass, s.serving_g, s.serving_g))
        elif s.min_g is not None or s.max_g is not None:
            out.append(_check("serving mass", mass, s.min_g, s.max_g))
        for section in sections.BOUNDS:  # one check per bound kind, in the compiler's order
            if part == "blend" and section is _PRICED:
                continue
            check = CHECKS[section.toml]
            for entry in section.entries(brief):
                out += check(blend, entry)
        # Practical briefs: what counts as used (checked blend by blend, see `worst`).
        used = [g for g in grams.values() if g > 1e-9] if blends is None else []
        if brief.max_ingredients is not None:
            out.append(_check("ingredients used", float(len(used)), None, float(brief.max_ingredients)))
        if brief.min_inclusion_g is not None:
            smallest = min(used, default=brief.min_inclusion_g)  # nothing used: nothing to check
            out.append(_check("minimum inclusion", smallest, brief.min_inclusion_g, None))
        for food_id, g in grams.items():
            if np.any(g < 0):
                out.append(_check(f"ingredient {food_id} ≥ 0", g, 0.0, None))
        return _numbered(out)


class Blend:
    """One blend being checked: its grams, and its amounts read from the table row by row."""

    def __init__(
        self,
        checker: Checker,
        grams: Mapping[str, float],
        prices: np.ndarray | None,
        blends: int | None = None,
    ) -> None:
        self.checker = checker
        self.brief = checker.brief
        self.foods = checker.foods
        self.columns = checker.columns
        self.grams = grams
        self.prices = prices
        self.raw = sum(grams.values())  # what is weighed: shares of the formula (% bounds)
        self.mass = self.raw * checker.finished  # the serving, as finished product
        self.blank_zero = self.brief.blank_values != "error"
        self.blends = blends  # grams as arrays over this many blends (Checker.worst)
        self.x = np.zeros(len(self.foods) if blends is None else (len(self.foods), blends))
        for food_id, g in grams.items():
            i = self.foods.position(food_id)
            if i is None:
                raise KeyError(f"{food_id!r} is not in {self.foods.origin}")
            self.x[i] = g
        self._amounts: dict[str, float] = {}
        self._nonzero = self.x != 0 if blends is None else None  # read by every amount

    def amount(self, name: str) -> float:
        """Amount of a column in one serving, column units (NaN: unknown)."""
        if name not in self._amounts:
            self._amounts[name] = self.checker.amount(self.x, name, self.blank_zero, self._nonzero)
        return self._amounts[name]

    def on_basis(self, name: str, basis: str) -> float:
        """Amount per serving, meal (with background), day or kg body weight per day."""
        s = self.brief.serving
        n = self.amount(name)
        column = self.columns.resolve(name)
        if basis == "meal":
            return n * s.servings_per_meal + self.checker.meal.get(column, 0.0)
        if basis in ("day", "kg_bw_day"):
            total = n * s.servings_per_day + self.checker.day.get(column, 0.0)
            return total / s.body_weight_kg if basis == "kg_bw_day" and s.body_weight_kg else total
        return n

    def energy(self, unit: str) -> float:
        if f"energy_{unit}" in self.checker.names:
            return self.amount(f"energy_{unit}")
        other = "kj" if unit == "kcal" else "kcal"
        factor = conversion(other, unit)
        assert factor is not None
        return self.amount(f"energy_{other}") * factor


# -- one check per bound kind (model/sections.py), a second reading of each bound's meaning --


def _nutrient(b: Blend, e: NutrientBound) -> list[Check]:
    if e.pack is not None and not b.columns.known(e.name):
        return []  # a rule-pack bound the table cannot check: the result notes say so
    column = b.columns.resolve(e.name)
    f = conversion(b.columns.get(column).unit, e.unit or b.columns.get(column).unit)
    assert f is not None
    value: float | Quotient
    if e.basis in ("serving", "meal", "day", "kg_bw_day"):
        value = f * b.on_basis(column, e.basis)
    elif e.basis == "per_100g":
        value = Quotient(100 * f * b.amount(column), b.mass)
    else:
        value = Quotient(100 * f * b.amount(column), b.energy(e.basis.removeprefix("per_100")))
    return [_check(f"{column} {BASIS_PHRASES[e.basis]}", value, e.min, e.max)]


def _claim(b: Blend, e: RequiredClaim) -> list[Check]:
    """A required claim is checked as the nutrient bound of its primary condition."""
    return _nutrient(b, claim_bound(e))


def _ratio(b: Blend, r: RatioBound) -> list[Check]:
    top, bottom = b.columns.resolve(r.numerator), b.columns.resolve(r.denominator)
    # Each amount in its kind's base unit (g or kcal), so that like is divided by like.
    u, v = _in_base_unit(b.columns.get(top).unit), _in_base_unit(b.columns.get(bottom).unit)
    scale = {"ratio": 1.0, "%": 100.0, "mg/g": 1000.0}[r.unit]
    value = Quotient(scale * u * b.on_basis(top, r.basis), v * b.on_basis(bottom, r.basis))
    return [_check(r.name, value, r.min, r.max)]


def _pattern(b: Blend, p: AminoAcidPattern) -> list[Check]:
    protein = b.columns.resolve(p.protein)
    to_g = conversion(b.columns.get(protein).unit, "g")
    assert to_g is not None
    out = []
    for name, ref in p.min_mg_per_g.items():
        aa = b.columns.resolve(name)
        to_mg = conversion(b.columns.get(aa).unit, "mg")
        assert to_mg is not None
        value = Quotient(to_mg * b.amount(aa), to_g * b.amount(protein))
        out.append(_check(f"{p.name}: {aa}", value, ref, None))
    return out


def _ingredient(b: Blend, ib: IngredientBound) -> list[Check]:
    g = b.grams.get(ib.id, 0.0)
    value = g if ib.unit == "g" else Quotient(100 * g, b.raw)
    suffix = "" if ib.unit == "g" else " %"
    return [_check(f"ingredient {ib.id}{suffix}", value, ib.min, ib.max)]


def _group(b: Blend, gb: GroupBound) -> list[Check]:
    if gb.tag is not None:  # read from the tags cells here, not through the compiler's mask
        want = gb.tag.strip().lower()
        tags = b.foods.texts.get("tags", ("",) * len(b.foods))
        ids = tuple(
            fid
            for fid, cell in zip(b.foods.ids, tags, strict=True)
            if want in (t.strip().lower() for t in cell.split(";"))
        )
    else:
        groups = b.foods.texts.get("group", ())
        same = (fid for fid, grp in zip(b.foods.ids, groups, strict=True) if grp == gb.group)
        ids = gb.members or tuple(same)
    total = sum(b.grams.get(fid, 0.0) for fid in ids)
    value = total if gb.unit == "g" else Quotient(100 * total, b.raw)
    suffix = "" if gb.unit == "g" else " %"
    return [_check(f"group {gb.name}{suffix}", value, gb.min, gb.max)]


def _cost(b: Blend, c: CostBound) -> list[Check]:
    price = b.foods.price_per_kg if b.prices is None else b.prices
    spent: Any = sum(
        np.where(g != 0, np.asarray(price)[..., b.foods.position(fid) or 0] * g / 1000, 0.0)
        for fid, g in b.grams.items()
    )
    per_serving = spent if b.blends is not None else float(spent)
    value = {
        "serving": per_serving,
        "day": per_serving * b.brief.serving.servings_per_day,
        "kg": Quotient(1000 * per_serving, b.mass),
    }[c.basis]
    return [_check(f"cost per {c.basis}", value, c.min, c.max)]


_PRICED = sections.BY_TOML["cost"]  # the one bound kind that reads prices

# Bound kind (TOML name) → its check; tests/test_sections.py: every bound kind has one.
CHECKS: dict[str, Callable[[Blend, Any], list[Check]]] = {
    "nutrient": _nutrient,
    "claims": _claim,
    "ratio": _ratio,
    "amino_acid_pattern": _pattern,
    "ingredient": _ingredient,
    "group": _group,
    "cost": _cost,
}


def _grams(foods: FoodTable, x: np.ndarray) -> dict[str, float]:
    return {foods.ids[i]: float(x[i]) for i in np.flatnonzero(x)}


def _numbered(checks: list[Check]) -> list[Check]:
    """Repeated names get ' #2', ' #3' (the brief may bound one thing twice)."""
    seen: set[str] = set()
    number: dict[str, int] = {}  # next number per name: a brief may repeat one name 1,000s of times
    out = []
    for c in checks:
        name, k = c.name, number.get(c.name, 2)
        while name in seen:
            name, k = f"{c.name} #{k}", k + 1
        number[c.name] = k
        seen.add(name)
        out.append(c if name == c.name else Check(name, c.value, c.min, c.max, c.violation))
    return out


def _in_base_unit(unit: str) -> float:
    """Factor to grams (mass units) or kcal (energy units); 1 for anything else."""
    return conversion(unit, "g") or conversion(unit, "kcal") or 1.0


@dataclass(frozen=True)
class Quotient:
    """top / bottom, kept apart so that an empty denominator can still be judged."""

    top: float
    bottom: float


def _check(name: str, value: float | Quotient | None, lo: float | None, hi: float | None) -> Check:
    if isinstance(value, np.ndarray):
        return _check_many(name, value, lo, hi)
    if isinstance(value, Quotient):
        if isinstance(value.top, np.ndarray) or isinstance(value.bottom, np.ndarray):
            return _check_many(name, value, lo, hi)
        if value.bottom <= 1e-12:
            # Nothing in the denominator (e.g. an empty blend): the bound's linear form
            # top − bound·0 ⋛ 0 is what the blend must meet.
            worst = max(-value.top if lo is not None else 0.0, value.top if hi is not None else 0.0, 0.0)
            return Check(name, None, lo, hi, worst)
        value = value.top / value.bottom
    if value is None or math.isnan(value):
        return Check(name, None, lo, hi, math.inf)  # an unknown amount never satisfies
    worst = 0.0
    if lo is not None:
        worst = max(worst, (lo - value) / max(1.0, abs(lo)))
    if hi is not None:
        worst = max(worst, (value - hi) / max(1.0, abs(hi)))
    return Check(name, value, lo, hi, max(0.0, worst))


def _check_many(name: str, value: Any, lo: float | None, hi: float | None) -> Check:
    """`_check` for arrays of values (one per blend): violations as an array."""
    empty = None
    if isinstance(value, Quotient):
        top, bottom = np.asarray(value.top, dtype=float), np.asarray(value.bottom, dtype=float)
        empty = bottom <= 1e-12
        below, above = (-top if lo is not None else 0.0), (top if hi is not None else 0.0)
        on_empty = np.maximum(np.maximum(below, above), 0.0)
        value = top / np.where(empty, 1.0, bottom)
    v = np.asarray(value, dtype=float)
    worst = np.zeros_like(v)
    if lo is not None:
        worst = np.maximum(worst, (lo - v) / max(1.0, abs(lo)))
    if hi is not None:
        worst = np.maximum(worst, (v - hi) / max(1.0, abs(hi)))
    worst = np.where(np.isnan(v), math.inf, worst)
    if empty is not None:
        worst = np.where(empty, on_empty, worst)
    return Check(name, v, lo, hi, worst)  # type: ignore[arg-type]
