"""The production sheet: what one batch weighs out, rounded to the scales, re-checked.

- Every ingredient's kg per batch from the optimal blend, rounded to the batch scale's
  resolution; micro-ingredients (below a share of the batch) go into a premix with a
  carrier and are weighed on the premix scale.
- The rounding is chosen, not truncated: a small integer program over whole scale
  steps (each ingredient within one step of its exact amount) keeps every linear bound
  of the brief (and the tangent of each chance constraint at the optimum), at least
  cost. The rounded formula is then verified like any blend.
- Order of addition follows the ingredient groups (the brief's `[production] order`).
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import InputError
from ..model.foods import FoodTable
from ..model.result import ProductionPlan, Result, WeighLine
from ..model.spec import DEFAULT_BATCH_KG, ConstraintSet, Production
from . import chance
from .backends import solve_lp
from .compile import Compiled, compile_brief
from .engine import verify
from .lp import MatrixLP
from .recheck import recheck

# Steps each weighing may move from its exact amount: a vertex of the LP can sit in a
# thin cone of binding bounds, which the nearest lattice points miss.
REACH = 5
# [E] Dry blending: bulk carbohydrate and proteins first, then minor powders, the premix,
# flavours last; liquid oils sprayed on at the end.
DEFAULT_ORDER = (
    "carbohydrate",
    "protein",
    "dairy",
    "cereal",
    "fibre",
    "amino_acid",
    "active",
    "mineral",
    "premix",
    "vitamin",
    "flavour",
    "lipid",
)


def production_plan(
    result: Result,
    foods: FoodTable,
    spec: ConstraintSet,
    *,
    batch_kg: float | None = None,
    solver: str = "cbc",
) -> ProductionPlan:
    """The production sheet of an optimal result (InputError if it has no blend)."""
    if not result.ok or not result.blend_lines:
        raise InputError(f"no production sheet: the result is {result.status}, not an optimal blend")
    settings = spec.production or Production()
    batch = batch_kg or settings.batch_kg or spec.batch_size_kg or DEFAULT_BATCH_KG
    if not (batch > 0 and math.isfinite(batch)):
        raise InputError(f"--batch-kg must be a number > 0, got {batch}")
    compiled = compile_brief(foods, spec)
    n = len(foods)
    x = np.zeros(n)
    for line in result.blend_lines:
        i = foods.position(line.id)
        if i is None:
            raise InputError(f"{line.id!r} of the result is not in {foods.origin}")
        x[i] = line.grams
    moisture = spec.processing.moisture_change_percent if spec.processing is not None else 0.0
    # A fixed serving is the brief's own figure: the solver's grams add up to it only
    # to its output precision (CBC writes 8 digits), which whole steps could not meet.
    fixed = spec.serving.serving_g
    finished_serving = fixed if fixed is not None else float(x.sum()) * (1 + moisture / 100)
    # Raw materials in whole steps of the batch scale, so that the weighings can add up
    # to them exactly; the finished batch follows (by the moisture change).
    factor = 1 + moisture / 100
    step_kg = settings.scale_resolution_g / 1000
    raw_target = max(step_kg, round(batch / factor / step_kg) * step_kg)
    if abs(raw_target * factor - batch) > 1e-9 * batch:
        notes_first = [
            f"{batch:g} kg of finished product asked: {raw_target:g} kg of raw materials (whole scale"
            f" steps) give {raw_target * factor:.4f} kg"
        ]
        batch = raw_target * factor
    else:
        notes_first = []
    servings = batch * 1000 / finished_serving
    used = np.flatnonzero(x > 0)
    share = 100 * x / float(x.sum())
    micro = [int(i) for i in used if share[i] < settings.premix_below_percent]
    notes: list[str] = notes_first
    carrier = _carrier(foods, settings, x, micro, notes)
    # Steps per serving: one scale step spread over the batch's servings.
    step_batch = settings.scale_resolution_g / servings
    step_premix = settings.premix_scale_resolution_g / servings
    # The carrier's part in the premix is weighed on the premix scale: one more column,
    # free within ±50 % of its aim so that the premix steps can close the batch's sums.
    premix_g = float(x[np.array(micro, dtype=int)].sum())
    aim = None
    if micro and carrier is not None:
        p = settings.premix_carrier_percent
        aim = premix_g * p / (100 - p)
        if aim > x[carrier]:
            notes.append(
                f"premix carrier {foods.ids[carrier]}: only {x[carrier] * servings / 1000:.3f} kg in the"
                f" batch, all of it goes into the premix ({p:g} % wanted)"
            )
            aim = float(x[carrier])
    step = np.where(np.isin(np.arange(n), micro), step_premix, step_batch)
    k, in_premix = _rounding(compiled, x, step, carrier, aim, step_premix, solver, notes)
    rounded = step * k
    offset = np.zeros(n)
    if carrier is not None:
        offset[carrier] = in_premix
    verification = recheck(compiled, rounded, verify(compiled, rounded))
    if not verification.ok:
        notes.append("the rounded formula breaks a bound (see verification): use a finer scale")
    grams = {foods.ids[i]: float(rounded[i]) for i in np.flatnonzero(rounded > 0)}
    raw_kg = float(rounded.sum()) * servings / 1000
    lines, premix = _weighings(foods, settings, rounded, x, offset, micro, carrier, servings, raw_kg)
    premix_kg = sum(line.kg for line in premix)
    prices = foods.price_per_kg
    cost = float(np.nansum(prices * rounded) / 1000) if not np.isnan(prices[rounded > 0]).any() else None
    return ProductionPlan(
        batch_kg=batch,
        raw_kg=raw_kg,
        moisture_change_percent=moisture,
        servings=servings,
        scale_resolution_g=settings.scale_resolution_g,
        premix_scale_resolution_g=settings.premix_scale_resolution_g,
        premix_below_percent=settings.premix_below_percent,
        premix_carrier=None if carrier is None or not micro else foods.ids[carrier],
        premix_kg=premix_kg,
        lines=lines,
        premix=premix,
        premix_composition=_composition(foods, premix) if premix else {},
        rounded_grams=grams,
        rounded_cost_per_serving=cost,
        verification=verification,
        notes=notes,
    )


def _carrier(
    foods: FoodTable, settings: Production, x: np.ndarray, micro: list[int], notes: list[str]
) -> int | None:
    """The premix carrier: the brief's, or the largest carbohydrate (else largest) ingredient."""
    if not micro:
        return None
    if settings.premix_carrier is not None:
        i = foods.position(settings.premix_carrier)
        if i is not None and x[i] > 0 and i not in micro:
            return i
        notes.append(f"premix carrier {settings.premix_carrier!r} is not a major ingredient of the blend")
    major = [int(i) for i in np.flatnonzero(x > 0) if int(i) not in micro]
    if not major:
        return None
    carbs = [i for i in major if foods.text("group", i) == "carbohydrate"]
    chosen = max(carbs or major, key=lambda i: (x[i], -i))
    notes.append(
        f"premix carrier: {foods.ids[chosen]} (the largest {'carbohydrate ' if carbs else ''}ingredient)"
    )
    return chosen


def _rounding(
    compiled: Compiled,
    x: np.ndarray,
    step: np.ndarray,
    carrier: int | None,
    aim: float | None,
    step_premix: float,
    solver: str,
    notes: list[str],
) -> tuple[np.ndarray, float]:
    """Whole scale steps per ingredient (x ≈ step·k) that keep the brief's rows, and the
    carrier's grams in the premix (per serving; part of its x)."""
    n = len(x)
    lp = compiled.lp
    foods_only = ~np.any(lp.A[:, n:] != 0, axis=1) if lp.shape[1] > n else np.ones(lp.shape[0], dtype=bool)
    A = lp.A[foods_only, :n]
    row_lo, row_hi = lp.row_lo[foods_only], lp.row_hi[foods_only]
    for s in chance.sides(compiled):
        A = np.vstack([A, s.cut(x)[None, :]])
        row_lo = np.append(row_lo, s.rhs if s.side == "min" else -math.inf)
        row_hi = np.append(row_hi, s.rhs if s.side == "max" else math.inf)
    # Columns: steps of each food on its scale, then (with a premix) the carrier's
    # premix steps, which count toward the carrier's x.
    steps = step.copy()
    target = x.copy()
    lo_g, hi_g = lp.col_lo[:n].copy(), lp.col_hi[:n].copy()
    extra_lo = extra_hi = 0.0
    if carrier is not None and aim is not None and aim > 0:
        target[carrier] = x[carrier] - aim
        extra_lo, extra_hi = math.floor(0.5 * aim / step_premix), math.ceil(1.5 * aim / step_premix)
        A = np.hstack([A, A[:, [carrier]]])
        steps = np.append(steps, step_premix)
    exact = target / step
    lo = np.where(x > 0, np.maximum(np.floor(exact) - REACH, 0), 0)
    hi = np.where(x > 0, np.ceil(exact) + REACH, 0)
    lo = np.maximum(lo, np.ceil(lo_g / step - 1e-9))
    hi = np.maximum(lo, np.minimum(hi, np.floor(np.where(np.isfinite(hi_g), hi_g, 1e18) / step + 1e-9)))
    col_lo, col_hi = lo, hi
    cost = compiled.cost.copy()
    if len(steps) > n:
        col_lo, col_hi = np.append(lo, extra_lo), np.append(hi, extra_hi)
        cost = np.append(cost, compiled.cost[carrier])
    mip = MatrixLP(
        c=cost * steps,
        A=A * steps[None, :],
        row_lo=row_lo,
        row_hi=row_hi,
        col_lo=col_lo,
        col_hi=col_hi,
        col_names=tuple(f"k{j}" for j in range(len(steps))),
        row_names=tuple(f"r{k}" for k in range(A.shape[0])),
        integer=np.concatenate([x > 0, np.ones(len(steps) - n, dtype=bool)]),
    )
    sol = solve_lp(mip, solver)
    if sol.status == "optimal" and sol.x is not None:
        k = np.round(sol.x)
    else:
        notes.append(
            f"no rounding to whole scale steps keeps every bound ({sol.status}): nearest rounding shown"
        )
        k = np.append(
            np.clip(np.round(exact), lo, hi), [round((aim or 0.0) / step_premix)] * (len(steps) - n)
        )
    grams = step * k[:n]
    in_premix = 0.0
    if len(steps) > n and carrier is not None:
        in_premix = float(step_premix * k[n])
        grams[carrier] += in_premix
    return grams / step, in_premix


def _weighings(
    foods: FoodTable,
    settings: Production,
    rounded: np.ndarray,
    exact: np.ndarray,
    offset: np.ndarray,
    micro: list[int],
    carrier: int | None,
    servings: float,
    raw_kg: float,
) -> tuple[list[WeighLine], list[WeighLine]]:
    kg = np.round(rounded * servings / 1000, 7)  # whole scale steps, without float crumbs
    kg_exact = exact * servings / 1000
    premix: list[WeighLine] = []
    for i in [
        *sorted(micro, key=lambda i: (-kg[i], foods.ids[i])),
        *([carrier] if micro and carrier is not None else []),
    ]:
        amount = round(offset[i] * servings / 1000, 7) if i == carrier else float(kg[i])
        premix.append(
            WeighLine(
                step=len(premix) + 1,
                id=foods.ids[i],
                name=foods.names[i],
                group=foods.text("group", i),
                kg_exact=kg_exact[i] if i != carrier else amount,
                kg=amount,
                percent=100 * amount / raw_kg,
                into="premix",
            )
        )
    order = list(settings.order or DEFAULT_ORDER)
    if "premix" not in order:
        order.append("premix")

    def rank(group: str) -> int:
        return order.index(group) if group in order else len(order)

    items: list[tuple[int, float, str, WeighLine]] = []
    for i in (int(j) for j in np.flatnonzero(kg > 0)):
        if i in micro:
            continue
        amount = round(float(kg[i]) - (offset[i] * servings / 1000 if i == carrier else 0.0), 7)
        if amount <= 0:
            continue
        group = foods.text("group", i)
        line = WeighLine(
            step=0,
            id=foods.ids[i],
            name=foods.names[i],
            group=group,
            kg_exact=kg_exact[i] - (kg[i] - amount),
            kg=amount,
            percent=100 * amount / raw_kg,
            into="batch",
        )
        items.append((rank(group), -amount, foods.ids[i], line))
    if premix:
        total = round(sum(p.kg for p in premix), 7)
        line = WeighLine(
            step=0,
            id="premix",
            name=f"premix: {_count(len(premix) - (carrier is not None), 'micro-ingredient')} + carrier",
            group="premix",
            kg_exact=sum(p.kg_exact for p in premix),
            kg=total,
            percent=100 * total / raw_kg,
            into="batch",
        )
        items.append((rank("premix"), -total, "premix", line))
    items.sort(key=lambda t: t[:3])
    lines = [t[3].model_copy(update={"step": k}) for k, t in enumerate(items, start=1)]
    return lines, premix


def _composition(foods: FoodTable, premix: list[WeighLine]) -> dict[str, float]:
    """Nutrients per 100 g of premix, for every nutrient column known for all its parts."""
    total = sum(p.kg for p in premix)
    out: dict[str, float] = {}
    if total <= 0:
        return out
    for column in foods.nutrient_columns:
        values = foods.numbers[column]
        parts = [(values[foods.position(p.id) or 0], p.kg) for p in premix]
        if any(math.isnan(v) for v, _ in parts):
            continue
        amount = sum(v * w for v, w in parts) / total
        if amount:
            out[column] = amount
    return out


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' * (n != 1)}"
