"""The result of a solve: blend, nutrients, every constraint, checks and diagnosis.

One frozen model that serialises to the Result JSON of PRODUCT §4 (`to_dict`) and
back (`from_dict`); tables come out as pandas DataFrames on demand.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError, field_serializer

from ..errors import InputError, Problem

if TYPE_CHECKING:
    import pandas as pd

# unverified: the solver says optimal, but the independent check of the blend against
# the raw table fails (e.g. a value so large the solver's tolerances swallow it).
Status = Literal["optimal", "infeasible", "unbounded", "time_limit", "error", "unverified"]
EXIT_CODES: dict[str, int] = {
    "optimal": 0,
    "unverified": 3,
    "infeasible": 1,
    "unbounded": 1,
    "time_limit": 1,
    "error": 3,
}


class Line(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    @field_serializer("*", when_used="json")
    def _finite(self, value: Any) -> Any:
        # JSON has no NaN/inf: unknown or unbounded numbers are null.
        if isinstance(value, float) and not math.isfinite(value):
            return None
        return value


class BlendLine(Line):
    id: str
    name: str
    grams: float  # per serving
    percent: float  # of the serving mass
    cost: float | None  # per serving, in the brief's currency; None when the price is unknown
    price_per_kg: float | None
    group: str = ""
    # Price range (per kg) over which this blend stays optimal; None = open end.
    # None as a whole: not computed (mixed-integer brief, or no ranging available).
    price_range: tuple[float | None, float | None] | None = None


class NutrientLine(Line):
    nutrient: str  # column, e.g. leucine_g
    unit: str
    per_serving: float | None  # None = unknown (a blank value in a used ingredient)
    per_day: float | None  # product only, without background intake
    per_100g: float | None
    per_100kcal: float | None
    derived_from: str | None = None
    # With a shelf life: per serving at its end (per_serving is at manufacture).
    per_serving_end: float | None = None


class ConstraintLine(Line):
    name: str  # unique within the result
    kind: str  # nutrient | ratio | amino_acid | ingredient | group | cost | serving
    basis: str | None
    label: str  # in the brief's words: "leucine ≥ 2.5 g per meal"
    unit: str
    value: float | None
    min: float | None
    max: float | None
    slack: float | None  # distance to the nearest bound, ≥ 0 when met
    binding: bool
    active: Literal["min", "max"] | None = None  # which bound binds
    shadow_price: float | None  # ∂objective/∂(active bound), objective units per unit
    # Range of the active bound (bound units) over which the same constraints stay
    # binding, so the shadow price holds (exactly for linear bounds); None = open end.
    shadow_price_range: tuple[float | None, float | None] | None = None
    source: str | None = None
    note: str | None = None
    # Chance constraints: the probability the bound holds over ingredient lots (both
    # sides together, normal lots), the target each side was solved for, and the value
    # that holds with that target (mean − z·σ for a minimum, mean + z·σ for a maximum).
    probability: float | None = None
    probability_target: float | None = None
    value_assured: float | None = None
    sd: float | None = None
    # Shelf life: the time point the bound is checked at.
    at: Literal["manufacture", "end_of_shelf_life"] | None = None
    # Meal/day bases: the part of `value` from the rest of the diet (background intake).
    background: float | None = None


class IngredientLine(Line):
    """Every ingredient with its price and reduced cost (used or not)."""

    id: str
    name: str
    grams: float
    price_per_kg: float | None
    reduced_cost: float | None  # ∂objective/∂(g per serving) at the optimum
    at_bound: Literal["min", "max"] | None = None


class UnusedLine(Line):
    """An ingredient left out of the blend, and the price at which it would enter."""

    id: str
    name: str
    price_per_kg: float | None
    entry_price: float | None  # per kg; None = no price makes it enter (or not computed)
    reduced_cost: float | None  # objective units per g, as in IngredientLine
    note: str | None = None


class Verification(Line):
    ok: bool
    max_violation: float | None  # None: a value could not be computed (unknown), see failures
    checked: int
    failures: list[str] = Field(default_factory=list)


class Diagnosis(Line):
    reason: str
    conflict: list[str] = Field(default_factory=list)  # constraint names
    explanation: list[str] = Field(default_factory=list)  # the same, in the brief's words
    relaxation: list[dict[str, Any]] = Field(default_factory=list)
    hints: list[str] = Field(default_factory=list)


class MonteCarloLine(Line):
    """Simulated lots: the share of lots in which one bound (or all) holds."""

    constraint: str  # a constraint name, or "all" (every chance-constrained bound at once)
    side: Literal["min", "max", "both"]
    target: float | None
    pass_rate: float
    standard_error: float


class OverageLine(Line):
    """A nutrient that degrades: what is added at manufacture for what is left at the end."""

    nutrient: str  # column
    unit: str
    per_serving: float | None  # at manufacture
    per_serving_end: float | None  # at the end of shelf life
    retention: float | None  # of the blend: per_serving_end / per_serving
    overage_percent: float | None  # (per_serving / per_serving_end − 1) × 100


class Processing(Line):
    """Mass balance of processing: raw materials weighed in, finished product out."""

    moisture_change_percent: float
    raw_g_per_serving: float
    finished_g_per_serving: float
    retention: dict[str, float] = Field(default_factory=dict)  # per nutrient column


class ShelfLife(Line):
    months: float
    overages: list[OverageLine] = Field(default_factory=list)
    source: str | None = None


class WeighLine(Line):
    """One weighing of the production sheet, in order of addition."""

    step: int
    id: str  # an ingredient id, or "premix"
    name: str
    group: str
    kg_exact: float  # from the optimal blend
    kg: float  # to weigh, rounded to the scale
    percent: float  # of the batch, as weighed
    into: Literal["batch", "premix"]


class ProductionPlan(Line):
    """What production weighs out for one batch, and the rounded formula re-checked."""

    batch_kg: float  # finished product
    raw_kg: float  # raw materials weighed (differs by the moisture change)
    moisture_change_percent: float
    servings: float  # per batch
    scale_resolution_g: float
    premix_scale_resolution_g: float
    premix_below_percent: float
    premix_carrier: str | None = None
    premix_kg: float = 0.0
    lines: list[WeighLine] = Field(default_factory=list)
    premix: list[WeighLine] = Field(default_factory=list)
    # Nutrients per 100 g of premix (column units), its own composition sheet.
    premix_composition: dict[str, float] = Field(default_factory=dict)
    rounded_grams: dict[str, float] = Field(default_factory=dict)  # per serving, as weighed
    rounded_cost_per_serving: float | None = None
    verification: Verification | None = None
    notes: list[str] = Field(default_factory=list)


class Variability(Line):
    """How a chance-constrained brief was solved and what assurance costs."""

    iterations: int  # LP solves of the cutting-plane loop
    cuts: int
    tolerance: float
    max_violation: float  # relative, of the chance constraints at the answer
    objective_value: float | None  # at the target probabilities (the answer)
    mean_value_objective: float | None  # the brief on mean compositions
    safety_margin_objective: float | None  # mean − z·σ per ingredient (flat margins)
    safety_margin_status: str
    cost_of_assurance: float | None  # objective − mean-value objective
    saving_vs_safety_margin: float | None  # safety-margin objective − objective
    objective_unit: str
    lots: int
    seed: int
    monte_carlo_seconds: float | None = None
    monte_carlo: list[MonteCarloLine] = Field(default_factory=list)


class Result(BaseModel):
    """What `sarcoform.solve` returns. `to_dict()` is the Result JSON."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True, defer_build=True)

    status: Status
    objective: str  # min_cost | max:<nutrient> | min:<nutrient>
    objective_value: float | None
    objective_unit: str
    cost_per_serving: float | None
    cost_per_kg: float | None
    cost_per_day: float | None
    currency: str
    serving_g: float | None
    servings_per_day: float
    solver: str
    solve_seconds: float
    # The brief's name. Result JSON written before "brief" was the one name says
    # `spec_name`: that still reads.  (keep: old spelling)
    brief_name: str = Field(
        validation_alias=AliasChoices("brief_name", "spec_name"),  # keep: old spelling
        serialization_alias="brief_name",
    )
    foods_origin: str
    blend_lines: list[BlendLine] = Field(default_factory=list, alias="blend")
    nutrient_lines: list[NutrientLine] = Field(default_factory=list, alias="nutrients")
    constraint_lines: list[ConstraintLine] = Field(default_factory=list, alias="constraints")
    ingredient_lines: list[IngredientLine] = Field(default_factory=list, alias="ingredients")
    unused: list[UnusedLine] = Field(default_factory=list)
    verification: Verification | None = None
    diagnosis: Diagnosis | None = None
    gap: float | None = None
    # Practical (mixed-integer) briefs: the optimum without the count / minimum-inclusion limits.
    lp_objective_value: float | None = None
    notes: list[str] = Field(default_factory=list)
    variability: Variability | None = None
    shelf_life: ShelfLife | None = None
    production: ProductionPlan | None = None
    processing: Processing | None = None

    @property
    def spec_name(self) -> str:
        """The brief's name under its old attribute name (`brief_name`)."""
        return self.brief_name

    @property
    def ok(self) -> bool:
        return self.status == "optimal"

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.status]

    @property
    def grams(self) -> dict[str, float]:
        return {line.id: line.grams for line in self.blend_lines}

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Result:
        """The Result of a Result JSON; InputError naming the first bad field if it is not one."""
        try:
            return cls.model_validate(data)
        except ValidationError as err:
            first = err.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise InputError(Problem(f"not a sarcoform result: {where}: {first['msg']}")) from None

    def _frame(self, lines: list[Any], columns: list[str]) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame([line.model_dump() for line in lines], columns=columns)

    @property
    def blend(self) -> pd.DataFrame:
        return self._frame(self.blend_lines, list(BlendLine.model_fields))

    @property
    def nutrients(self) -> pd.DataFrame:
        return self._frame(self.nutrient_lines, list(NutrientLine.model_fields))

    @property
    def constraints(self) -> pd.DataFrame:
        return self._frame(self.constraint_lines, list(ConstraintLine.model_fields))

    @property
    def ingredients(self) -> pd.DataFrame:
        return self._frame(self.ingredient_lines, list(IngredientLine.model_fields))
