"""The production sheet: what one batch weighs out, rounded to the scales, re-checked.

- Every ingredient's kg per batch from the optimal blend, rounded to the batch scale's
  resolution; micro-ingredients (below a share of the batch) go into a premix with a
  carrier and are weighed on the premix scale.
- The rounding is chosen, not truncated: a small integer program over whole scale
  steps near each exact amount keeps every linear bound of the brief (and the tangent
  of each chance constraint at the optimum), the batch within 1 % of the size asked and
  each weighing as close as it can to its exact share. The rounded formula is then
  verified like any blend.
- Order of addition follows the ingredient groups (the brief's `[production] order`).
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import InputError
from ..model.args import renamed_keyword
from ..model.brief import DEFAULT_BATCH_KG, Brief, Production
from ..model.foods import FoodTable
from ..model.result import ProductionPlan, Result, WeighLine
from . import chance
from .backends import SolverName, solve_lp
from .compile import Compiled, compile_brief
from .engine import verify
from .lp import MatrixLP
from .recheck import recheck

# Steps each weighing may move from its exact amount: a vertex of the LP can sit in a
# thin cone of binding bounds, which the nearest lattice points miss.
REACH = 5
BATCH_GIVE = 0.01  # [E] the batch may differ from the size asked by 1 % (a mixer takes that)
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


@renamed_keyword("spec", "brief")  # keep: old spelling
def production_plan(
    result: Result,
    foods: FoodTable,
    brief: Brief,
    *,
    batch_kg: float | None = None,
    solver: SolverName = "cbc",
) -> ProductionPlan:
    """The production sheet of an optimal result (InputError if it has no blend)."""
    if not result.ok or not result.blend_lines:
        raise InputError(f"no production sheet: the result is {result.status}, not an optimal blend")
    settings = brief.production or Production()
    batch = batch_kg or settings.batch_kg or brief.batch_size_kg or DEFAULT_BATCH_KG
    if not (batch > 0 and math.isfinite(batch)):
        raise InputError(f"--batch-kg must be a number > 0, got {batch}")
    compiled = compile_brief(foods, brief)
    n = len(foods)
    x = np.zeros(n)
    for line in result.blend_lines:
        i = foods.position(line.id)
        if i is None:
            raise InputError(f"{line.id!r} of the result is not in {foods.origin}")
        x[i] = line.grams
    moisture = brief.processing.moisture_change_percent if brief.processing is not None else 0.0
    factor = 1 + moisture / 100
    # Grams of raw materials per serving: the brief's own figure when the serving is fixed
    # (the solver's grams add up to it only to its output precision; CBC writes 8 digits).
    fixed = brief.serving.serving_g
    raw_serving = fixed / factor if fixed is not None else float(x.sum())
    raw_batch = batch / factor
    used = np.flatnonzero(x > 0)
    share = 100 * x / float(x.sum())
    micro = [int(i) for i in used if share[i] < settings.premix_below_percent]
    notes: list[str] = []
    carrier = _carrier(foods, settings, x, micro, notes)
    step_kg = np.where(
        np.isin(np.arange(n), micro), settings.premix_scale_resolution_g, settings.scale_resolution_g
    )
    step_kg = step_kg / 1000
    if raw_batch * 1000 < settings.scale_resolution_g:
        raise InputError(
            f"--batch-kg {batch:g}: smaller than one step of the batch scale"
            f" ({settings.scale_resolution_g:g} g, [production] scale_resolution_g): nothing can be weighed"
        )
    # The carrier's part in the premix is weighed on the premix scale; it aims at its share
    # of the premix and may move ±50 % so that the premix steps can close the sums.
    aim_kg = None
    if micro and carrier is not None:
        p = settings.premix_carrier_percent
        aim = float(x[np.array(micro, dtype=int)].sum()) * p / (100 - p)
        if aim > x[carrier]:
            notes.append(
                f"premix carrier {foods.ids[carrier]}: only {x[carrier] / raw_serving * raw_batch:.3f} kg in"
                f" the batch, all of it goes into the premix ({p:g} % wanted)"
            )
            aim = float(x[carrier])
        aim_kg = aim / raw_serving * raw_batch
    kg, in_premix = _rounding(
        compiled,
        x,
        raw_serving,
        raw_batch,
        step_kg,
        carrier,
        aim_kg,
        settings.premix_scale_resolution_g / 1000,
        solver,
        notes,
    )
    raw_kg = float(kg.sum())
    rounded = raw_serving * kg / raw_kg  # grams per serving, as weighed
    if abs(raw_kg - raw_batch) > 1e-9 * raw_batch:
        notes.insert(
            0,
            f"batch {raw_kg * factor:.4f} kg (asked {batch:g} kg): the nearest size whose weighings, in whole"
            " scale steps, keep every bound",
        )
    batch = raw_kg * factor
    servings = raw_kg * 1000 / raw_serving
    offset = np.zeros(n)
    if carrier is not None:
        offset[carrier] = in_premix / raw_kg * raw_serving
    verification = recheck(compiled, rounded, verify(compiled, rounded))
    if not verification.ok:
        notes.append("the rounded formula breaks a bound (see verification): use a finer scale")
    grams = {foods.ids[i]: float(rounded[i]) for i in np.flatnonzero(rounded > 0)}
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
    raw_serving: float,
    raw_batch: float,
    step_kg: np.ndarray,
    carrier: int | None,
    aim_kg: float | None,
    premix_step_kg: float,
    solver: SolverName,
    notes: list[str],
) -> tuple[np.ndarray, float]:
    """kg of each food in whole scale steps, and the carrier's kg in the premix.

    A serving is the batch scaled down: x = S·kg/K with S the raw grams per serving and
    K = Σ kg the batch. Every row lo ≤ a·x ≤ hi of the brief is then homogeneous in the
    steps k (kg = step·k): (S·a − lo)·(step∘k) ≥ 0 and (S·a − hi)·(step∘k) ≤ 0, so one
    integer program over k keeps them all; the batch may move by BATCH_GIVE to let the
    steps meet fixed inclusions (1 g per 60 g is a batch in multiples of 60 steps).
    """
    n = len(x)
    lp = compiled.lp
    foods_only = ~np.any(lp.A[:, n:] != 0, axis=1) if lp.shape[1] > n else np.ones(lp.shape[0], dtype=bool)
    rows = [(lp.A[r, :n], float(lp.row_lo[r]), float(lp.row_hi[r])) for r in np.flatnonzero(foods_only)]
    for s in chance.sides(compiled):  # the tangent of each chance constraint at the optimum
        rows.append((s.cut(x), s.rhs, math.inf) if s.side == "min" else (s.cut(x), -math.inf, s.rhs))
    for i in range(n):  # ingredient bounds in grams are column bounds of the LP
        least, most = float(lp.col_lo[i]), float(lp.col_hi[i])
        if least > 0 or (math.isfinite(most) and x[i] > 0):
            unit = np.zeros(n)
            unit[i] = 1.0
            rows.append((unit, least if least > 0 else -math.inf, most))
    target = x / raw_serving * raw_batch  # kg
    steps = step_kg.copy()
    owner = list(range(n))  # food of each column
    extra: tuple[float, float] | None = None
    if carrier is not None and aim_kg is not None and aim_kg > 0:
        target[carrier] -= aim_kg
        steps = np.append(steps, premix_step_kg)
        owner.append(carrier)
        extra = (math.floor(0.5 * aim_kg / premix_step_kg), math.ceil(1.5 * aim_kg / premix_step_kg))
    exact = target / step_kg
    lo = np.where(x > 0, np.maximum(np.floor(exact * (1 - BATCH_GIVE)) - REACH, 0), 0)
    hi = np.where(x > 0, np.ceil(exact * (1 + BATCH_GIVE)) + REACH, 0)
    if extra is not None:
        lo, hi = np.append(lo, extra[0]), np.append(hi, extra[1])
    m = len(steps)
    A: list[np.ndarray] = []
    row_lo: list[float] = []
    row_hi: list[float] = []
    for a, low, high in rows:
        served = raw_serving * a[owner] * steps
        if math.isfinite(low) and low == high:
            A.append(served - low * steps)
            row_lo.append(0.0)
            row_hi.append(0.0)
            continue
        if math.isfinite(low):
            A.append(served - low * steps)
            row_lo.append(0.0)
            row_hi.append(math.inf)
        if math.isfinite(high):
            A.append(served - high * steps)
            row_lo.append(-math.inf)
            row_hi.append(0.0)
    # Columns after the steps: t ≥ |K − batch|, then d_i ≥ |kg_i − share_i·K| for each food
    # used (share_i = x_i / S, its exact share of the batch). The objective keeps the batch
    # as close to the size asked as the steps allow first, then each weighing as close to
    # its exact share of that batch (the exact blend is the least-cost one).
    used = [int(i) for i in np.flatnonzero(x > 0)]
    extra_cols = 1 + len(used)
    A = [np.append(a, np.zeros(extra_cols)) for a in A]
    batch_row = np.append(steps, np.zeros(extra_cols))
    t_col = np.zeros(extra_cols)
    t_col[0] = 1.0
    A += [batch_row, batch_row - np.append(np.zeros(m), t_col), batch_row + np.append(np.zeros(m), t_col)]
    row_lo += [raw_batch * (1 - BATCH_GIVE), -math.inf, raw_batch]
    row_hi += [raw_batch * (1 + BATCH_GIVE), raw_batch, math.inf]
    for j, i in enumerate(used):
        mine = np.array([steps[c] if owner[c] == i else 0.0 for c in range(m)])
        gap = mine - (x[i] / raw_serving) * steps  # kg_i − share_i·K
        d = np.zeros(extra_cols)
        d[1 + j] = 1.0
        A += [np.append(gap, -d), np.append(gap, d)]  # gap − d ≤ 0, gap + d ≥ 0
        row_lo += [-math.inf, 0.0]
        row_hi += [0.0, math.inf]
    c = np.concatenate([np.zeros(m), [1000.0], np.ones(len(used))])
    mip = MatrixLP(
        c=c,
        A=np.vstack(A),
        row_lo=np.array(row_lo),
        row_hi=np.array(row_hi),
        col_lo=np.concatenate([lo, np.zeros(extra_cols)]),
        col_hi=np.concatenate([hi, [raw_batch * BATCH_GIVE], np.full(len(used), raw_batch)]),
        col_names=(*(f"k{j}" for j in range(m)), "t", *(f"d{i}" for i in used)),
        row_names=tuple(f"r{k}" for k in range(len(A))),
        integer=np.concatenate([x > 0, np.ones(m - n, dtype=bool), np.zeros(extra_cols, dtype=bool)]),
    )
    sol = solve_lp(mip, solver)
    if sol.status == "optimal" and sol.x is not None:
        k = np.round(sol.x[:m])
    else:
        notes.append(
            f"no rounding to whole scale steps keeps every bound ({sol.status}): nearest rounding shown"
        )
        k = np.clip(
            np.round(np.append(exact, [] if extra is None else [(aim_kg or 0.0) / premix_step_kg])), lo, hi
        )
    kg = steps[:n] * k[:n]
    in_premix = 0.0
    if m > n and carrier is not None:
        in_premix = float(premix_step_kg * k[n])
        kg[carrier] += in_premix
    return kg, in_premix


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
