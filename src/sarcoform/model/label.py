"""Nutrition labelling: the rules of a standard (read from regulations/) and the label.

Rule types (`LabelStandard`, `NutrientRule`, `RoundingBand`, `ClaimRule`) are what the
data files in `regulations/labelling/` and `regulations/claims/` say, clause by clause.
`Label` is what `sarcoform.label(result, standard=...)` returns; `to_dict()` is its JSON.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .result import Line

Standard = Literal["cn", "eu", "us"]
STANDARDS: tuple[str, ...] = Standard.__args__  # type: ignore[attr-defined]
ClaimBasis = Literal["serving", "per_100g", "per_100kcal", "per_100kj"]
# Serving: the labelled serving (for 21 CFR 101.54, the serving is taken as the RACC).

CLAIM_BASIS_PHRASES = {
    "serving": "per serving",
    "per_100g": "per 100 g",
    "per_100kcal": "per 100 kcal",
    "per_100kj": "per 100 kJ",
}


class _Rule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class RoundingBand(_Rule):
    """One line of a rounding table: applies to values below `below` (or up to and
    including `upto`); the last band has neither and takes the rest.

    Exactly one action: `zero` (declare 0), `less_than` (declare "< X"), `step`
    (nearest multiple, halves up) or `significant` (significant figures).
    """

    below: float | None = None
    upto: float | None = None
    zero: bool = False
    less_than: float | None = None
    step: float | None = None
    significant: int | None = None

    @model_validator(mode="after")
    def _one_action(self) -> RoundingBand:
        actions = [self.zero, self.less_than is not None, self.step is not None, self.significant is not None]
        if sum(actions) != 1:
            raise ValueError("give exactly one of zero, less_than, step, significant")
        if self.below is not None and self.upto is not None:
            raise ValueError("give below or upto, not both")
        return self

    def applies(self, value: float) -> bool:
        if self.below is not None:
            return value < self.below
        if self.upto is not None:
            return value <= self.upto
        return True


class Rounded(BaseModel):
    """A declared value: `value` as printed, `less_than` for "< value"."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    value: float
    less_than: bool = False
    decimals: int = 0  # digits after the point, as printed

    @property
    def printed(self) -> str:
        """'12.3', '10.0', '<1', '0'."""
        return f"{'<' if self.less_than else ''}{self.value:.{self.decimals}f}"


def round_value(value: float, bands: tuple[RoundingBand, ...], *, zero_allowed: bool = True) -> Rounded:
    """The declared value of `value` under a rounding table (first band that applies).

    zero_allowed=False skips the '0' bands (GB 28050: a per-serving amount is '0' only
    when the amount per 100 g is too).
    """
    v = abs(value)
    for band in bands:
        if band.zero and not zero_allowed:
            continue
        if band.applies(v):
            if band.zero:
                return Rounded(value=0.0)
            if band.less_than is not None:
                return Rounded(value=band.less_than, less_than=True, decimals=_decimals(band.less_than))
            if band.step is not None:
                return Rounded(value=_to_step(value, band.step), decimals=_decimals(band.step))
            assert band.significant is not None
            rounded = _significant(value, band.significant)
            shown = 0 if rounded == 0 else band.significant - 1 - math.floor(math.log10(abs(rounded)))
            return Rounded(value=rounded, decimals=max(0, shown))
    return Rounded(value=value, decimals=6)


def _decimals(step: float) -> int:
    exponent = Decimal(repr(step)).normalize().as_tuple().exponent
    return max(0, -int(exponent))


def _digits(value: float) -> Decimal:
    # 12 significant digits: a sum that lands on a half (7.55 as 7.549999999999999) is that
    # half, and halves go up (0.25 to 0.1 is 0.3), whatever order the floats were added in.
    return Decimal(f"{value:.12g}")


def _to_step(value: float, step: float) -> float:
    q = (_digits(value) / Decimal(repr(step))).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return float(q * Decimal(repr(step)))


def _significant(value: float, digits: int) -> float:
    if value == 0:
        return 0.0
    exponent = math.floor(math.log10(abs(value))) - digits + 1
    step = Decimal(1).scaleb(exponent)
    return float(_digits(value).quantize(step, rounding=ROUND_HALF_UP))


Declare = Literal["always", "if_in_table", "significant"]


class NutrientRule(_Rule):
    """One line of a standard's nutrition declaration."""

    key: str  # label nutrient id, e.g. energy_kj, protein, salt
    name: str  # as printed
    column: str  # food-table column it comes from
    extra_columns: tuple[str, ...] = ()  # added to `column` (US total carbohydrate + fibre)
    factor: float = 1.0  # label unit per column unit (salt = sodium mg x 2.5 / 1000)
    alt_column: str | None = None  # used when `column` is not in the table
    alt_factor: float = 1.0
    unit: str
    declare: Declare = "always"
    reference: float | None = None  # NRV / RI / DV in `unit`; None = no percentage
    rounding: tuple[RoundingBand, ...] = ()
    percent_rounding: tuple[RoundingBand, ...] | None = None  # None: the standard's default
    source: str  # clause(s) for the line, the reference value and the rounding
    note: str | None = None


class LabelStandard(_Rule):
    """A labelling standard: its declaration rows in order, and how % are shown."""

    standard: Standard
    title: str
    reference_name: str  # NRV | RI | DV
    percent_basis: Literal["per_100g", "per_serving"]
    percent_rounding: tuple[RoundingBand, ...]
    # Vitamins/minerals: declared when >= this % of the reference; None: whenever the amount
    # is above its '0' limit (declares as more than 0).
    significant_percent: float | None = None
    significant_basis: Literal["per_100g", "per_serving"]
    significant_source: str
    # A per-serving (or per-100 mL) amount is declared '0' only when the per-100 g amount
    # is '0' as well.
    zero_needs_per_100g: bool = False
    zero_source: str | None = None
    source: str
    nutrients: tuple[NutrientRule, ...] = Field(alias="nutrient")

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True, defer_build=True)


class ClaimCondition(_Rule):
    """A linear condition: the column's amount on `basis` at least `min` / at most `max`.

    `strict`: the text says "less than" / "more than"; the check is strict, a
    compiled bound cannot be (it is the closed bound).
    """

    column: str
    basis: ClaimBasis
    min: float | None = None
    max: float | None = None
    strict: bool = False
    unit: str
    text: str  # the condition in the regulation's words, with its arithmetic

    @model_validator(mode="after")
    def _one_side(self) -> ClaimCondition:
        if (self.min is None) == (self.max is None):
            raise ValueError("give exactly one of min or max")
        return self


class ClaimRule(_Rule):
    """A nutrient-content claim: met when any one of its conditions holds.

    A brief that requires the claim gets the first condition (the primary one) as a bound.
    """

    id: str  # "<standard>:<name>", e.g. cn:high_protein
    name: str
    conditions: tuple[ClaimCondition, ...]
    source: str
    note: str | None = None

    @property
    def primary(self) -> ClaimCondition:
        return self.conditions[0]


# -- the label --------------------------------------------------------------------------


class Amounts(Line):
    """Unrounded amounts beside the declared ones (None = unknown / not applicable)."""

    per_100g: float | None
    per_serving: float | None
    per_100ml: float | None
    percent_reference: float | None


class LabelRow(Line):
    """One declared nutrient. Amounts are the declared (rounded) values."""

    nutrient: str
    name: str
    unit: str
    per_100g: float | None
    per_serving: float | None
    per_100ml: float | None
    percent_reference: float | None
    less_than: bool = False  # declared as "< value" (e.g. 21 CFR 101.9 "less than 1 g")
    printed: dict[str, str] = Field(default_factory=dict)  # basis -> as printed: '10.0', '<1'
    status: Literal["declared", "unknown"] = "declared"
    exact: Amounts
    mandatory: bool
    source: str
    note: str | None = None

    def text(self, basis: Literal["per_100g", "per_serving", "per_100ml"] = "per_100g") -> str:
        """The printed amount, e.g. '12.3 g', '<1 g', 'unknown'."""
        value = getattr(self, basis)
        if value is None:
            return "unknown" if self.status == "unknown" else "–"
        shown = self.printed.get(basis, f"{value:g}")
        return f"{shown} {self.unit}"


class ClaimLine(Line):
    """A claim checked against the blend: the condition that decides it and its margin."""

    claim: str  # cn:high_protein
    name: str
    qualifies: bool | None  # None: a value it needs is unknown
    condition: str  # in the regulation's words
    basis: str
    unit: str
    value: float | None
    threshold: float
    margin: float | None  # how far inside (+) or outside (-) the threshold, in `unit`
    source: str
    note: str | None = None


class AllergenLine(Line):
    """One allergen over the blend's ingredients."""

    allergen: str  # milk, soy, egg, peanut, gluten
    status: Literal["contains", "free", "unknown"]
    ingredients: list[str] = Field(default_factory=list)  # ids that contain it
    unknown: list[str] = Field(default_factory=list)  # ids with no status for it
    note: str | None = None


class Label(Line):
    """A nutrition declaration under one standard, with claims and allergens."""

    standard: Standard
    title: str
    reference_name: str
    percent_basis: str
    serving_g: float | None
    reconstitution_ml: float | None = None
    rows: list[LabelRow]
    claims: list[ClaimLine]  # the claims the blend qualifies for
    claims_not_met: list[ClaimLine] = Field(default_factory=list)  # not met or unknown
    allergens: list[AllergenLine]
    brief_name: str = ""
    # Set when the brief has a shelf life: amounts are declared at its end (what is left).
    shelf_life_months: float | None = None
    notes: list[str] = Field(default_factory=list)

    @property
    def contains(self) -> list[str]:
        return [a.allergen for a in self.allergens if a.status == "contains"]

    @property
    def allergen_statement(self) -> str:
        """'Contains: milk, soy', and the allergens whose status is unknown (never assumed free)."""
        unknown = [a.allergen for a in self.allergens if a.status == "unknown"]
        parts = [f"Contains: {', '.join(self.contains)}"] if self.contains else []
        if unknown:
            parts.append(f"allergen status unknown: {', '.join(unknown)}")
        if not parts:
            parts.append(f"Contains none of: {', '.join(a.allergen for a in self.allergens)}")
        return "; ".join(parts)

    def row(self, nutrient: str) -> LabelRow:
        for r in self.rows:
            if r.nutrient == nutrient:
                return r
        raise KeyError(nutrient)

    def to_dict(self) -> dict[str, Any]:
        data = self.model_dump(mode="json")
        data["allergen_statement"] = self.allergen_statement
        return data
