"""Multi-blend: several products share scarce raw materials; one joint LP, least total cost.

Each product p (a brief with a fixed serving of S_p g, produced at V_p kg) keeps its
own constraints on its blend x_p (g per serving). It makes V_p·1000/S_p servings, so
it uses V_p·x_pi/S_p kg of ingredient i and costs (V_p·1000/S_p)·cost·x_p in total.
The joint LP minimises the total cost of all products subject to

    Σ_p V_p·x_pi / S_p ≤ available_i        (kg, for every limited ingredient i)

The dual of that row is the value of one more kg of ingredient i. A product *gave way*
when its cost per serving in the joint plan is above what it would cost on its own.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import InputError, Problem
from ..model.foods import FoodTable
from ..solving import chance
from ..solving.backends import solve_highs
from ..solving.compile import Compiled, compile_brief
from ..solving.lp import MatrixLP
from .inputs import Availability, Product

if TYPE_CHECKING:
    import pandas as pd

GAVE_WAY = 1e-7  # relative rise of cost per serving that counts as giving way
SCARCE = 1e-7  # relative distance to the availability that counts as used up


@dataclass(frozen=True)
class ProductAllocation:
    """One product in the joint plan, beside its stand-alone optimum."""

    product: str
    volume_kg: float
    serving_g: float
    servings: float
    cost_per_serving: float | None
    standalone_cost_per_serving: float | None
    extra_cost: float | None  # total, in the currency: what giving way costs this product
    gave_way: bool
    grams: dict[str, float]  # joint plan, g per serving (used ingredients)
    standalone_grams: dict[str, float]
    verified: bool | None


@dataclass(frozen=True)
class IngredientUse:
    """One limited ingredient: what is available, what the plan uses, what one more kg is worth."""

    id: str
    name: str
    available_kg: float
    used_kg: float | None
    standalone_kg: float  # what the products would use on their own
    scarce: bool
    value_per_kg: float | None  # total cost saved by one more kg (currency per kg)


@dataclass(frozen=True)
class MultiBlendResult:
    status: str  # optimal | infeasible | unbounded | time_limit | error (as the solver said)
    currency: str
    total_cost: float | None
    standalone_total_cost: float | None
    products: tuple[ProductAllocation, ...]
    ingredients: tuple[IngredientUse, ...]
    reason: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """0 a plan · 1 no plan (infeasible, unbounded, out of time) · 3 the solver failed."""
        return {"optimal": 0, "error": 3, "unverified": 3}.get(self.status, 1)

    @property
    def gave_way(self) -> list[str]:
        return [p.product for p in self.products if p.gave_way]

    @property
    def products_table(self) -> pd.DataFrame:
        import pandas as pd

        rows = [
            {k: v for k, v in p.__dict__.items() if k not in ("grams", "standalone_grams")}
            for p in self.products
        ]
        return pd.DataFrame(
            rows, columns=[k for k in ProductAllocation.__dataclass_fields__ if "grams" not in k]
        )

    @property
    def ingredients_table(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(
            [i.__dict__ for i in self.ingredients], columns=list(IngredientUse.__dataclass_fields__)
        )

    @property
    def blends(self) -> pd.DataFrame:
        """g per serving of every used ingredient (rows) in every product (columns), joint plan."""
        import pandas as pd

        return pd.DataFrame({p.product: p.grams for p in self.products}).fillna(0.0)

    def to_dict(self) -> dict[str, Any]:
        def clean(v: Any) -> Any:
            return None if isinstance(v, float) and not math.isfinite(v) else v

        return {
            "status": self.status,
            "currency": self.currency,
            "total_cost": self.total_cost,
            "standalone_total_cost": self.standalone_total_cost,
            "gave_way": self.gave_way,
            "products": [{k: clean(v) for k, v in p.__dict__.items()} for p in self.products],
            "ingredients": [{k: clean(v) for k, v in i.__dict__.items()} for i in self.ingredients],
            "reason": self.reason,
            "notes": self.notes,
        }


@dataclass(frozen=True, eq=False)
class _Part:
    product: Product
    compiled: Compiled
    volume_kg: float
    serving_g: float

    @property
    def servings(self) -> float:
        return self.volume_kg * 1000.0 / self.serving_g


def blend_jointly(
    foods: FoodTable,
    products: Sequence[Product],
    availability: Availability,
    *,
    volumes: Mapping[str, float] | None = None,
    prices: Mapping[str, float] | None = None,
) -> MultiBlendResult:
    """Allocate scarce ingredients across products at least total cost (HiGHS), typed inputs
    (see `sarcoform.batch.entry.solve_multiblend` for the arguments)."""
    if prices:
        foods = foods.with_prices(prices)
    limits = availability.positions(foods)
    parts: list[_Part] = []
    problems: list[Problem] = []
    notes: list[str] = []
    for product in products:
        try:
            brief = product.customise(product.load_brief())
        except InputError as err:
            problems += err.problems
            continue
        volume = (volumes or {}).get(product.name, product.volume_kg)
        if volume is None or not volume > 0 or not math.isfinite(volume):
            problems.append(
                product.problem(f"needs a production volume > 0 kg (volume_kg), got {volume!r}", "volume_kg")
            )
            continue
        serving_g = brief.serving.serving_g
        if serving_g is None:
            problems.append(
                product.problem(
                    "needs a fixed serving_g: the share of each ingredient in the"
                    " product is grams / serving_g",
                    "serving_g",
                )
            )
            continue
        if brief.objective_kind != "min_cost":
            notes.append(
                f"{product.name}: objective {brief.objective} set aside; the joint plan minimises total cost"
            )
            brief = brief.with_changes(objective="min_cost")
        if brief.asks_probability:
            notes.append(f"{product.name}: planned {chance.ON_MEAN_VALUES}")
            brief = brief.on_mean_values()
        try:
            compiled = compile_brief(foods, brief)
            chance.refuse(compiled, "multiblend")
        except InputError as err:
            problems += err.problems
            continue
        if compiled.lp.is_mip:
            problems.append(
                product.problem(
                    "mixed-integer briefs (max_ingredients, min_inclusion_g) are not"
                    " supported in a multi-blend",
                    "brief",
                )
            )
            continue
        parts.append(_Part(product, compiled, float(volume), float(serving_g)))
    if problems:
        raise InputError(problems)
    if not parts:
        raise InputError(Problem("no products to plan"))
    currency = parts[0].compiled.brief.currency
    others = [
        p.product.problem(
            f"its brief prices in {p.compiled.brief.currency}, {parts[0].product.name!r} in {currency}:"
            " one plan adds the costs of every product, so all must use one currency",
            "brief",
        )
        for p in parts
        if p.compiled.brief.currency != currency
    ]
    if others:
        raise InputError(others)
    return _Planner(foods, parts, limits, currency, notes).run()


class _Planner:
    def __init__(
        self,
        foods: FoodTable,
        parts: list[_Part],
        limits: list[tuple[int, float]],
        currency: str,
        notes: list[str],
    ) -> None:
        self.foods = foods
        self.parts = parts
        self.limits = limits
        self.currency = currency
        self.notes = notes
        self.n = len(foods)

    def run(self) -> MultiBlendResult:
        alone = []
        for part in self.parts:
            sol = solve_highs(part.compiled.lp)
            if sol.status != "optimal" or sol.x is None:
                from ..solving import diagnose

                why = diagnose.infeasible(part.compiled).reason if sol.status == "infeasible" else sol.message
                return self._failed(
                    sol.status, f"product {part.product.name!r} has no blend on its own ({sol.status}): {why}"
                )
            alone.append(np.where(np.abs(sol.x) < 1e-9, 0.0, sol.x))
        joint = self.joint_lp()
        sol = solve_highs(joint)
        if sol.status != "optimal" or sol.x is None:
            why = self._why_infeasible() if sol.status == "infeasible" else f"{sol.status}: {sol.message}"
            return self._failed(sol.status, why)
        x = np.where(np.abs(sol.x) < 1e-9, 0.0, sol.x)
        assert sol.row_duals is not None
        m = sum(p.compiled.lp.shape[0] for p in self.parts)
        return self._result(x, alone, -sol.row_duals[m:])

    def joint_lp(self, objective: np.ndarray | None = None, with_limits: bool = True) -> MatrixLP:
        """Products side by side (block-diagonal), plus one availability row per limited ingredient."""
        n, parts = self.n, self.parts
        cols = n * len(parts)
        blocks, lo, hi, names = [], [], [], []
        for k, part in enumerate(parts):
            lp = part.compiled.lp
            block = np.zeros((lp.shape[0], cols))
            block[:, k * n : (k + 1) * n] = lp.A
            blocks.append(block)
            lo.append(lp.row_lo)
            hi.append(lp.row_hi)
            names += [f"{part.product.name}: {r}" for r in lp.row_names]
        if with_limits:
            for i, kg in self.limits:
                row = np.zeros(cols)
                for k, part in enumerate(parts):
                    row[k * n + i] = part.volume_kg / part.serving_g  # kg of ingredient per g per serving
                blocks.append(row[None, :])
                lo.append(np.array([-math.inf]))
                hi.append(np.array([kg]))
                names.append(f"available {self.foods.ids[i]}")
        if objective is None:
            objective = np.concatenate([p.servings * p.compiled.cost for p in parts])
        return MatrixLP(
            c=objective,
            A=np.vstack(blocks),
            row_lo=np.concatenate(lo),
            row_hi=np.concatenate(hi),
            col_lo=np.concatenate([p.compiled.lp.col_lo for p in parts]),
            col_hi=np.concatenate([p.compiled.lp.col_hi for p in parts]),
            col_names=tuple(f"{p.product.name}:{i}" for p in parts for i in self.foods.ids),
            row_names=tuple(names),
        )

    def _why_infeasible(self) -> str:
        """Name the ingredients the products cannot do without, in kg."""
        short = []
        for i, kg in self.limits:
            use = np.zeros(self.n * len(self.parts))
            for k, part in enumerate(self.parts):
                use[k * self.n + i] = part.volume_kg / part.serving_g
            least = solve_highs(self.joint_lp(use, with_limits=False))
            if least.objective is not None and least.objective > kg * (1 + SCARCE) + 1e-9:
                short.append(
                    f"{self.foods.ids[i]}: at least {least.objective:.6g} kg needed, {kg:g} kg available"
                )
        if short:
            return "not enough raw material: " + "; ".join(short)
        return "the availabilities cannot all be met together (each alone could be)"

    def _failed(self, status: str, reason: str) -> MultiBlendResult:
        # A solution without x is no plan whatever the status says.
        status = "error" if status == "optimal" else status
        return MultiBlendResult(status, self.currency, None, None, (), (), reason, self.notes)

    def _result(self, x: np.ndarray, alone: list[np.ndarray], values: np.ndarray) -> MultiBlendResult:
        from ..solving.engine import verify

        n, ids = self.n, self.foods.ids
        allocations = []
        total = standalone_total = 0.0
        for k, part in enumerate(self.parts):
            xk = x[k * n : (k + 1) * n]
            cost, cost_alone = float(part.compiled.cost @ xk), float(part.compiled.cost @ alone[k])
            total += cost * part.servings
            standalone_total += cost_alone * part.servings
            allocations.append(
                ProductAllocation(
                    product=part.product.name,
                    volume_kg=part.volume_kg,
                    serving_g=part.serving_g,
                    servings=part.servings,
                    cost_per_serving=cost,
                    standalone_cost_per_serving=cost_alone,
                    extra_cost=(cost - cost_alone) * part.servings,
                    gave_way=cost > cost_alone + GAVE_WAY * max(1.0, abs(cost_alone)),
                    grams={ids[i]: float(xk[i]) for i in np.flatnonzero(xk)},
                    standalone_grams={ids[i]: float(alone[k][i]) for i in np.flatnonzero(alone[k])},
                    verified=verify(part.compiled, xk).ok,
                )
            )
        uses = []
        for (i, kg), value in zip(self.limits, values, strict=True):
            used = sum(p.volume_kg * float(x[k * n + i]) / p.serving_g for k, p in enumerate(self.parts))
            need = sum(p.volume_kg * float(alone[k][i]) / p.serving_g for k, p in enumerate(self.parts))
            value = 0.0 if abs(value) < 1e-12 else float(value)
            uses.append(
                IngredientUse(
                    id=ids[i],
                    name=self.foods.names[i],
                    available_kg=kg,
                    used_kg=used,
                    standalone_kg=need,
                    scarce=used >= kg - SCARCE * max(1.0, kg) and value > 0,
                    value_per_kg=value,
                )
            )
        failed = [a.product for a in allocations if not a.verified]  # never "optimal" unverified
        return MultiBlendResult(
            "unverified" if failed else "optimal",
            self.currency,
            total,
            standalone_total,
            tuple(allocations),
            tuple(uses),
            f"the blends of {', '.join(failed)} fail the independent check of their briefs" if failed else "",
            self.notes,
        )
