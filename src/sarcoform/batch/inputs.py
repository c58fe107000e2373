"""Product lines, price scenarios and availability: the typed inputs of a batch run.

A product is a brief (a Brief, or the name of an embedded preset) with a few
overrides a costing team changes per product: serving size, servings per
day, objective, a cost cap and ingredient limits. Price scenarios replace ingredient
prices by scenario; ingredients a scenario does not name keep the table's price.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import InputError, Place, Problem, UsageError
from ..io import load_brief
from ..model.brief import Brief, IngredientBound, InvalidChange
from ..model.foods import FoodTable, is_number, is_price

BASE_SCENARIO = "base"  # the name of the one scenario when none are given: the table's prices
PRODUCT_SOURCE = "product line override"


@dataclass(frozen=True)
class Product:
    """One product of a line: a brief plus overrides (None = keep the brief's value).

    `cost_max` is per serving in the brief's currency; `ingredients` replace the brief's
    own limits for those ids (g per serving); `volume_kg` is the production volume used
    by multi-blend runs. `where` locates the product's row for error messages.
    """

    name: str
    brief: Brief | str | None = None  # a brief, a preset name, or None: the default brief
    serving_g: float | None = None
    servings_per_day: float | None = None
    objective: str | None = None
    cost_max: float | None = None
    ingredients: tuple[IngredientBound, ...] = ()
    volume_kg: float | None = None
    where: Place | None = field(default=None, compare=False)

    def place(self, column: str | None = None) -> Place:
        """The product's row (in `column` when given)."""
        return (self.where or Place()).in_column(column)

    def problem(self, message: str, column: str | None = None) -> Problem:
        return self.place().at(f"product {self.name!r}: {message}", column)

    def load_brief(self) -> Brief:
        """The brief this product starts from (before its overrides): given, or a preset."""
        if isinstance(self.brief, Brief):
            return self.brief
        return load_brief(self.brief)

    def number_problems(self) -> list[Problem]:
        """Overrides that are not numbers in range (serving_g > 0, cost_max ≥ 0, …)."""
        problems: list[Problem] = []
        for column in ("serving_g", "servings_per_day", "cost_max", "volume_kg"):
            value = getattr(self, column)
            least = "≥ 0" if column == "cost_max" else "> 0"
            if value is not None and (not is_number(value) or value < 0 or (value == 0 and least == "> 0")):
                problems.append(
                    self.problem(f"{column} must be a finite number {least}, got {value!r}", column)
                )
        return problems

    def customise(self, brief: Brief) -> Brief:
        """The brief with this product's overrides applied and validated; named after the product."""
        problems = self.number_problems()
        if problems:
            raise InputError(problems)
        changes: dict[str, Any] = {"name": self.name}
        if self.objective is not None:
            changes["objective"] = self.objective
        if self.serving_g is not None or self.servings_per_day is not None:
            serving = brief.serving.model_dump(exclude_none=True)
            if self.serving_g is not None:
                serving = {k: v for k, v in serving.items() if k not in ("min_g", "max_g")}
                serving["serving_g"] = self.serving_g
            if self.servings_per_day is not None:
                serving["servings_per_day"] = self.servings_per_day
            changes["serving"] = serving
        if self.cost_max is not None:
            changes["cost"] = self._cost(brief)
        if self.ingredients:
            replaced = {limit.id for limit in self.ingredients}
            kept = [e for e in brief.ingredients if e.id not in replaced]
            changes["ingredients"] = (*kept, *self.ingredients)
        try:
            out = brief.with_changes(**changes)
        except InvalidChange as err:
            raise InputError([self.problem(_message(e), _column(e)) for e in err.details]) from None
        return self._locate(out)

    def _cost(self, brief: Brief) -> dict[str, Any]:
        """The brief's cost bound with this product's cap per serving as its max.

        A brief's floor per serving is kept; a bound on another basis (per kg, per day)
        cannot be kept beside a cap per serving (a brief holds one cost bound), and
        dropping it silently would lose a limit, so that is refused.
        """
        cost = brief.cost
        if cost is not None and cost.basis != "serving":
            raise InputError(
                self.problem(
                    f"cost_max is per serving, but brief {brief.name!r} already bounds cost per"
                    f" {cost.basis}: a brief holds one cost bound; drop cost_max or the brief's [cost]",
                    "cost_max",
                )
            )
        kept = {"min": cost.min, "note": cost.note} if cost is not None else {}
        return {**kept, "basis": "serving", "max": self.cost_max, "source": PRODUCT_SOURCE}

    def _locate(self, brief: Brief) -> Brief:
        # Entries this product introduced point at its row, not at the brief's file.
        if self.serving_g is not None or self.servings_per_day is not None:
            column = "serving_g" if self.serving_g is not None else "servings_per_day"
            brief.serving.located(self.place(column))
        if self.cost_max is not None and brief.cost is not None:
            brief.cost.located(self.place("cost_max"))
        ours = {id(e) for e in self.ingredients}
        for entry in brief.ingredients:
            if id(entry) in ours:
                entry.located(self.place("ingredients"))
        if self.objective is not None:
            brief.located(self.place("objective"))
        return brief


def _message(error: Any) -> str:
    return str(error["msg"]).removeprefix("Value error, ")


def _column(error: Any) -> str | None:
    loc = [str(p) for p in error.get("loc", ())]
    head = loc[0] if loc else None
    return {"serving": "serving_g", "cost": "cost_max", "ingredient": "ingredients"}.get(head or "", head)


def ingredient_limit(food_id: str, lo: float | None, hi: float | None) -> IngredientBound:
    """An ingredient limit in g per serving from a product line (raises ValidationError)."""
    return IngredientBound(id=food_id, min=lo, max=hi, unit="g", source=PRODUCT_SOURCE)


@dataclass(frozen=True)
class PriceScenarios:
    """Ingredient prices by scenario: scenario → {ingredient id: price per kg}.

    `where[(scenario, id)]` locates each price for messages. Ingredients a scenario does
    not name keep the food table's price.
    """

    prices: Mapping[str, Mapping[str, float]]
    origin: str = "scenarios"
    where: Mapping[tuple[str, str], Place] = field(default_factory=dict, compare=False)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.prices)

    def __len__(self) -> int:
        return len(self.prices)

    def matrix(self, foods: FoodTable) -> np.ndarray:
        """Price per kg of every food (columns) in every scenario (rows); NaN = unknown."""
        problems: list[Problem] = []
        out = np.tile(np.asarray(foods.price_per_kg, dtype=float), (len(self.prices), 1))
        for k, (scenario, prices) in enumerate(self.prices.items()):
            # At once when every id is known and every price a float in [0, inf) (a NaN
            # fails the test and goes to the checks below, one by one).
            at = foods.positions(prices)
            values = list(prices.values())
            if None not in at and all(type(v) is float for v in values):
                row = np.array(values)
                if np.all((row >= 0) & (row < math.inf)):
                    out[k, np.array(at, dtype=int)] = row
                    continue
            for food_id, price in prices.items():
                i = foods.position(food_id)
                if i is not None and ((type(price) is float and 0 <= price < math.inf) or is_price(price)):
                    out[k, i] = price
                    continue
                where = self.where.get((scenario, food_id)) or Place(self.origin)
                if i is None:
                    problems.append(
                        where.at(
                            f"scenario {scenario!r}: unknown ingredient id {food_id!r}"
                            f" (not in {foods.origin})",
                            where.column or "id",
                        )
                    )
                else:
                    problems.append(
                        where.at(
                            f"scenario {scenario!r}: price_per_kg of {food_id!r} must be"
                            f" a finite number ≥ 0, got {price!r}",
                            where.column or "price_per_kg",
                        )
                    )
        if problems:
            raise InputError(problems)
        return out

    @classmethod
    def base(cls) -> PriceScenarios:
        """The one scenario of the food table's own prices."""
        return cls({BASE_SCENARIO: {}}, origin="food table prices")

    @classmethod
    def from_mapping(
        cls, data: Mapping[str, Mapping[str, float]], origin: str = "scenarios"
    ) -> PriceScenarios:
        if not isinstance(data, Mapping) or not all(isinstance(v, Mapping) for v in data.values()):
            raise UsageError("scenarios: expected a mapping scenario → {id: price per kg}")
        problems = [
            Problem(f"scenario name must be non-empty text, got {name!r}", origin)
            for name in data
            if not isinstance(name, str) or not name.strip()
        ]
        if problems:
            raise InputError(problems)
        return cls({str(k): dict(v) for k, v in data.items()}, origin=origin)


@dataclass(frozen=True)
class Availability:
    """Ingredient availability for a multi-blend run: id → kg on hand (others unlimited)."""

    kg: Mapping[str, float]
    origin: str = "availability"
    where: Mapping[str, Place] = field(default_factory=dict, compare=False)

    def positions(self, foods: FoodTable) -> list[tuple[int, float]]:
        """(food position, kg) per limited ingredient; InputError for unknown ids or bad numbers."""
        problems: list[Problem] = []
        out: list[tuple[int, float]] = []
        for food_id, kg in self.kg.items():
            where = self.where.get(food_id) or Place(self.origin)
            i = foods.position(food_id)
            if i is None:
                problems.append(
                    where.at(
                        f"unknown ingredient id {food_id!r} (not in {foods.origin})", where.column or "id"
                    )
                )
            elif not is_price(kg):
                problems.append(
                    where.at(
                        f"available_kg of {food_id!r} must be a finite number ≥ 0, got {kg!r}",
                        where.column or "available_kg",
                    )
                )
            else:
                out.append((i, float(kg)))
        if problems:
            raise InputError(problems)
        return out


def name_problems(products: Sequence[Product]) -> list[Problem]:
    """Blank or repeated product names, each at the row of the product."""
    problems: list[Problem] = []
    seen: set[str] = set()
    for product in products:
        if not product.name.strip():
            problems.append(product.place().at("product name is blank", "name"))
        elif product.name in seen:
            problems.append(product.problem("the name appears twice (names must be unique)", "name"))
        seen.add(product.name)
    return problems
