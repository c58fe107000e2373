"""The brief (what the product must deliver): serving, bounds, objective.

Frozen pydantic models mirroring the TOML format one-to-one: `[[nutrient]]` is
`Brief.nutrients`, and so on. Names are resolved against a food table only
when compiling, so one set works with any table that has the columns it uses.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    StrictBool,
    StrictFloat,
    StrictInt,
    ValidationError,
    model_validator,
)

from ..errors import InputError, Place, Problem
from .label import ClaimRule

Basis = Literal["serving", "meal", "day", "kg_bw_day", "per_100g", "per_100kcal", "per_100kj"]
BASES: tuple[str, ...] = Basis.__args__  # type: ignore[attr-defined]
BlankPolicy = Literal["error", "zero", "exclude"]

BASIS_PHRASES = {
    "serving": "per serving",
    "meal": "per meal",
    "day": "per day",
    "kg_bw_day": "per kg body weight per day",
    "per_100g": "per 100 g",
    "per_100kcal": "per 100 kcal",
    "per_100kj": "per 100 kJ",
}

DEFAULT_BATCH_KG = 1000.0  # batch size of templates, results and production sheets when the brief gives none

_OBJECTIVE = re.compile(r"^(min_cost|(max|min):([A-Za-z0-9_]+))$")


# From 1e20 on, numbers are "infinite" to the solvers (HiGHS option infinite_bound): a
# bound or table value that large is refused rather than silently read as no bound.
MAX_MAGNITUDE = 1e19


def _finite(value: float | None) -> float | None:
    if value is not None and not math.isfinite(value):
        raise ValueError(f"must be finite, got {value}")
    if value is not None and abs(value) > MAX_MAGNITUDE:
        raise ValueError(f"out of range: must be within ±{MAX_MAGNITUDE:g}, got {value:g}")
    return value


def _positive(value: float | None) -> float | None:
    if value is not None and (not math.isfinite(value) or value <= 0):
        raise ValueError(f"must be a finite number > 0, got {value}")
    return _finite(value)


def _objective(value: str) -> str:
    value = value.strip()
    if not _OBJECTIVE.match(value):
        raise ValueError(
            f"unknown objective {value!r}: use min_cost, max:<nutrient> or min:<nutrient> (e.g. max:leucine)"
        )
    return value


def _probability(value: float | None) -> float | None:
    if value is not None and not 0.5 <= value < 1:
        raise ValueError(f"must be a probability in [0.5, 1), e.g. 0.95, got {value}")
    return value


# Strict: "50" (a string) or true in a brief is an error, not 50 or 1.
Finite = Annotated[StrictFloat | None, AfterValidator(_finite)]
Positive = Annotated[StrictFloat | None, AfterValidator(_positive)]
PositiveNumber = Annotated[StrictFloat, AfterValidator(_positive)]
Objective = Annotated[str, AfterValidator(_objective)]
Probability = Annotated[StrictFloat | None, AfterValidator(_probability)]


class Entry(BaseModel):
    """Anything in a brief: carries where it came from and why."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True, defer_build=True)

    source: str | None = None
    note: str | None = None
    # Where the entry was read (file and line or sheet and row), for error messages.
    _where: Place | None = PrivateAttr(default=None)

    def __eq__(self, other: object) -> bool:
        # Equal briefs are equal wherever they were read from (file, line, sheet).
        if not isinstance(other, BaseModel):
            return NotImplemented
        return type(self) is type(other) and self.__dict__ == other.__dict__

    __hash__ = BaseModel.__hash__

    def located(self, where: Place | None) -> Self:
        self._where = where
        return self

    def problem(self, message: str, column: str | None = None) -> Problem:
        return (self._where or Place()).at(message, column or None)


class Bounded(Entry):
    min: Finite = None
    max: Finite = None

    @model_validator(mode="after")
    def _min_not_above_max(self) -> Self:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min:g}) is greater than max ({self.max:g})")
        return self


class NutrientBound(Bounded):
    """A bound on a nutrient column (or derived column) on one basis."""

    name: str
    basis: Basis = "serving"
    unit: str | None = None  # unit the bounds are written in, when not the column's own
    label: str | None = None
    pack: str | None = None  # the rule pack this bound came from (include = [...]), if any
    # Chance constraint: the bound holds with this probability over ingredient lots
    # (the food table's `<column>_sd`); None = the brief's top-level `probability`.
    probability: Probability = None


class RatioBound(Bounded):
    """numerator / denominator within [min, max], both amounts on one basis."""

    name: str
    numerator: str
    denominator: str
    basis: Literal["serving", "meal", "day"] = "serving"
    unit: Literal["ratio", "%", "mg/g"] = "ratio"


class IngredientBound(Bounded):
    """Inclusion of one ingredient, in g per serving or % w/w of the serving."""

    id: str
    unit: Literal["g", "%"] = "g"


class GroupBound(Bounded):
    """Sum of several ingredients: listed ids, every food of a `group`, or every food
    carrying a `tag` (the food table's `tags` column, e.g. "plant;pea;allergen:soy")."""

    name: str
    members: tuple[str, ...] | None = None
    group: str | None = None
    tag: str | None = None
    unit: Literal["g", "%"] = "g"

    @model_validator(mode="after")
    def _members_or_group(self) -> Self:
        if [self.members, self.group, self.tag].count(None) != 2:
            raise ValueError("give exactly one of members = [...], group = '<group>' or tag = '<tag>'")
        return self


class CostBound(Bounded):
    """Cost cap (or floor), per serving, per day or per kg of product."""

    basis: Literal["serving", "day", "kg"] = "serving"


class AminoAcidPattern(Entry):
    """Every listed amino acid ≥ reference (mg per g) × intact protein."""

    name: str = "amino acid pattern"
    protein: str = "protein_g"
    min_mg_per_g: dict[str, StrictFloat]

    @model_validator(mode="after")
    def _values(self) -> Self:
        for column, value in self.min_mg_per_g.items():
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"{column}: must be a finite number ≥ 0, got {value}")
        return self


class DerivedColumn(Entry):
    """A column computed per food row, e.g. `protein_kj = "17 * protein_g"`."""

    expr: str


class Serving(Entry):
    """The serving and how it is eaten. No serving_g (nor min/max) = free mass."""

    serving_g: Positive = None
    min_g: Finite = None
    max_g: Positive = None
    servings_per_day: PositiveNumber = 1.0
    servings_per_meal: PositiveNumber = 1.0
    body_weight_kg: Positive = None
    # Volume (mL) one serving is made up to, for the label's per-100 mL column.
    reconstitution_ml: Positive = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.serving_g is not None and (self.min_g is not None or self.max_g is not None):
            raise ValueError("give serving_g (fixed) or min_g/max_g (a range), not both")
        if self.min_g is not None and self.min_g < 0:
            raise ValueError(f"min_g must be ≥ 0, got {self.min_g}")
        if self.min_g is not None and self.max_g is not None and self.min_g > self.max_g:
            raise ValueError(f"min_g ({self.min_g:g}) is greater than max_g ({self.max_g:g})")
        return self

    @property
    def fixed(self) -> bool:
        return self.serving_g is not None


class Background(Entry):
    """Intake from the rest of the diet, per nutrient column (column units)."""

    per_meal: dict[str, StrictFloat] = Field(default_factory=dict)
    per_day: dict[str, StrictFloat] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _values(self) -> Self:
        for table in (self.per_meal, self.per_day):
            for column, value in table.items():
                if not math.isfinite(value) or value < 0:
                    raise ValueError(f"{column}: must be a finite number ≥ 0, got {value}")
        return self


class RequiredClaim(Entry):
    """A nutrient-content claim the blend must qualify for, e.g. `cn:high_protein`.

    `rule` is filled from regulations/claims/ when the brief is read (io); the solver
    turns its primary condition into a nutrient bound (solving/claims.py).
    """

    id: str
    # Not written out: a brief names its claims, the rules come from regulations/ on reading.
    rule: ClaimRule | None = Field(default=None, exclude=True)


class Variability(Entry):
    """Ingredient lots: the Monte Carlo check, the cutting-plane tolerance, worst case."""

    lots: Annotated[StrictInt, Field(ge=0, le=10_000_000)] = 10_000  # simulated lots; 0 = none
    seed: StrictInt = 0
    # Relative violation (of max(1, |bound|)) the chance constraints may keep at the end;
    # not below 1e-8, as the LP solvers' own feasibility tolerance is 1e-7 absolute.
    tolerance: Annotated[StrictFloat, Field(ge=1e-8, le=1e-3)] = 1e-7
    # Formulate for the worst lot within the certificates' limits (`<column>_min`/`_max`).
    worst_case: StrictBool = False


def _fractions(values: dict[str, StrictFloat]) -> dict[str, StrictFloat]:
    for column, value in values.items():
        if not math.isfinite(value) or not 0 < value <= 1:
            raise ValueError(f"{column}: a fraction retained must be in (0, 1], got {value}")
    return values


# Strict: a TOML string "0.8" is a mistake to show (exit 2), never a number to coerce.
Fractions = Annotated[dict[str, StrictFloat], AfterValidator(_fractions)]


class ShelfLife(Entry):
    """Fraction of each nutrient left at the end of shelf life (per nutrient column)."""

    months: PositiveNumber
    retention: Fractions = Field(default_factory=dict)


class Processing(Entry):
    """What processing does between weighing and the finished product."""

    # Moisture change in % of the raw-material mass: -2 = 2 % lost (drying,
    # agglomeration), +3 = 3 % gained. The serving is finished product.
    moisture_change_percent: Annotated[StrictFloat, Field(gt=-50, lt=50)] = 0.0
    retention: Fractions = Field(default_factory=dict)


class Production(Entry):
    """How a batch is weighed out (the production sheet)."""

    batch_kg: Positive = None  # default: batch_size_kg, else 500
    scale_resolution_g: PositiveNumber = 10.0  # the batch scale's step
    premix_scale_resolution_g: PositiveNumber = 0.1
    premix_below_percent: Annotated[StrictFloat, Field(ge=0, lt=100)] = 0.2  # % of the batch; 0 = no premix
    premix_carrier: str | None = None  # ingredient id that carries the premix
    premix_carrier_percent: Annotated[StrictFloat, Field(gt=0, lt=100)] = 50.0  # % of the premix
    order: tuple[str, ...] | None = None  # groups in order of addition


class Brief(Entry):
    """A nutrition brief: what one serving of the product must deliver."""

    name: str
    title: str | None = None
    objective: Objective = "min_cost"
    currency: str = "USD"
    blank_values: BlankPolicy = "error"
    # Production batch (kg of product) for the "kg per batch" column of results workbooks.
    batch_size_kg: Positive = None
    # Regulatory rule packs whose bounds the brief takes on (regulations/packs/<name>.toml).
    include: tuple[str, ...] = ()
    serving: Serving = Field(default_factory=Serving)
    background: Background = Field(default_factory=Background)
    derived: dict[str, DerivedColumn] = Field(default_factory=dict)
    amino_acid_pattern: AminoAcidPattern | None = None
    nutrients: tuple[NutrientBound, ...] = Field(default=(), alias="nutrient")
    ratios: tuple[RatioBound, ...] = Field(default=(), alias="ratio")
    ingredients: tuple[IngredientBound, ...] = Field(default=(), alias="ingredient")
    groups: tuple[GroupBound, ...] = Field(default=(), alias="group")
    cost: CostBound | None = None
    # Practical formulas (mixed-integer): at most N ingredients in the blend, and
    # any ingredient that is used at least min_inclusion_g g per serving.
    max_ingredients: Annotated[StrictInt, Field(ge=1)] | None = None
    min_inclusion_g: Positive = None
    claims: tuple[RequiredClaim, ...] = Field(default=(), alias="claims")
    # Production realism (model/production.py): every nutrient bound whose column has an
    # `_sd` column holds with this probability; lots, shelf life, processing, batch.
    probability: Probability = None
    variability: Variability | None = None
    shelf_life: ShelfLife | None = None
    processing: Processing | None = None
    production: Production | None = None

    @model_validator(mode="before")
    @classmethod
    def _derived_shorthand(cls, data: Any) -> Any:
        # `[derived] protein_kj = "17 * protein_g"` is short for `{ expr = "..." }`.
        if isinstance(data, dict) and isinstance(data.get("derived"), dict):
            data = dict(data)
            data["derived"] = {
                k: {"expr": v} if isinstance(v, str) else v for k, v in data["derived"].items()
            }
        # `claims = ["cn:high_protein"]` is short for `[{ id = "cn:high_protein" }]`.
        if isinstance(data, dict) and isinstance(data.get("claims"), list | tuple):
            data = dict(data)
            data["claims"] = [{"id": c} if isinstance(c, str) else c for c in data["claims"]]
        return data

    @property
    def is_practical(self) -> bool:
        """True when the brief needs integer decisions (ingredient count, minimum inclusion)."""
        return self.max_ingredients is not None or self.min_inclusion_g is not None

    @property
    def asks_probability(self) -> bool:
        """True when a bound must hold with a probability over ingredient lots."""
        return self.probability is not None or any(e.probability is not None for e in self.nutrients)

    def on_mean_values(self) -> Brief:
        """The brief with every bound on mean compositions: no probability over lots."""
        plain = tuple(e.model_copy(update={"probability": None}) for e in self.nutrients)
        return self.model_copy(update={"probability": None, "nutrients": plain})

    @property
    def objective_kind(self) -> Literal["min_cost", "max", "min"]:
        if self.objective == "min_cost":
            return "min_cost"
        return "max" if self.objective.startswith("max:") else "min"

    @property
    def objective_nutrient(self) -> str | None:
        return None if self.objective == "min_cost" else self.objective.split(":", 1)[1]

    def with_changes(self, **changes: Any) -> Brief:
        """A copy with top-level fields replaced and validated (e.g. objective=...).

        Untouched entries keep their file locations for later error messages.
        """
        try:
            validated = type(self).model_validate({**self.model_dump(exclude_none=True), **changes})
        except ValidationError as err:
            raise InvalidChange(err) from None
        return self.model_copy(update={k: getattr(validated, k) for k in changes})


class InvalidChange(InputError):
    """A change to a brief that does not validate; `details` are pydantic's errors."""

    def __init__(self, err: ValidationError) -> None:
        self.details = err.errors()
        super().__init__([Problem(_plain(e)) for e in self.details])


def _plain(error: Any) -> str:
    where = ".".join(str(p) for p in error["loc"] if not str(p).startswith("function-"))
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message
