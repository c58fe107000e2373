"""Re-check what the plain verification cannot see, from the raw table's columns:
chance constraints (the `_sd` columns), worst lots (`_min`/`_max`) and end-of-shelf-life
minimums (the retention figures of the brief and the `_retention` columns).

Like `verify`, this reads the table and the brief, not the compiled vectors: the
nutrient column, its companions and the brief's serving and retention settings, and
applies each basis with plain arithmetic.
"""

from __future__ import annotations

import math

import numpy as np

from ..model.result import Verification
from ..model.trusted import updated
from ..model.units import UNIT_LABELS, conversion
from .chance import sides_of
from .compile import Bound, Compiled
from .variability import z_of
from .verify import TOLERANCE

_UNIT_CODES = {v: k for k, v in UNIT_LABELS.items()}


def recheck(compiled: Compiled, x: np.ndarray, verification: Verification) -> Verification:
    """`verification` with the chance, worst-lot and end-of-shelf-life bounds added."""
    failures = list(verification.failures)
    worst = verification.max_violation
    checked = verification.checked
    for b in compiled.bounds:
        if b.probability is None and b.spec_column is None and b.at != "end_of_shelf_life":
            continue
        for side, bound, held in _held(compiled, b, x):
            miss = (bound - held if side == "min" else held - bound) / max(1.0, abs(bound))
            checked += 1
            if worst is not None:
                worst = max(worst, miss, 0.0) if math.isfinite(miss) else math.inf
            if not miss <= TOLERANCE:
                sign = "≥" if side == "min" else "≤"
                failures.append(f"{b.name}{_how(b)}: {held:.6g}, not {sign} {bound:g}")
    return updated(
        verification,
        ok=not failures,
        failures=failures,
        max_violation=worst if worst is None or math.isfinite(worst) else None,
        checked=checked,
    )


def _how(b: Bound) -> str:
    return f" at p = {b.probability:g}" if b.probability is not None else ""


def _held(compiled: Compiled, b: Bound, x: np.ndarray) -> list[tuple[str, float, float]]:
    """(side, bound, value that must meet it) for each side of b."""
    foods = compiled.foods
    brief = compiled.brief
    s = brief.serving
    column = b.name.split(" ", 1)[0]  # "<column> per serving …"
    values = foods.numbers.get(column)
    if values is None:
        values = compiled.columns.get(column).values  # a derived column
    unit = compiled.columns.get(column).unit
    f = conversion(unit, _UNIT_CODES.get(b.unit, b.unit)) or 1.0
    process = brief.processing
    if process is not None:
        for name, kept_in_process in process.retention.items():
            if compiled.columns.resolve(name) == column:
                f *= kept_in_process
    mass = float(x.sum()) * (1 + (process.moisture_change_percent / 100 if process else 0.0))
    per = f * {
        "serving": 1.0,
        "meal": s.servings_per_meal,
        "day": s.servings_per_day,
        "kg_bw_day": s.servings_per_day / (s.body_weight_kg or 1.0),
        "per_100g": 100.0 / mass if mass > 0 else math.nan,
    }.get(b.basis or "serving", math.nan)
    if b.basis in ("per_100kcal", "per_100kj"):
        per = f * 100.0 / _energy(compiled, x, b.basis.removeprefix("per_100"))
    if b.spec_column is not None:
        values = foods.numbers[b.spec_column]
    kept = np.ones(len(foods))
    if b.at == "end_of_shelf_life" and brief.shelf_life is not None:
        for name, r in brief.shelf_life.retention.items():
            if compiled.columns.resolve(name) == column:
                kept[:] = r
        override = foods.numbers.get(f"{column}_retention")
        if override is not None:
            kept = np.where(np.isnan(override), kept, override)
    per_g = np.nan_to_num(values) * kept / 100
    value = per * float(per_g @ x) + b.num0  # background intake: not the product's, kept whole
    spread = 0.0
    if b.probability is not None and b.sd_column is not None:
        sds = np.nan_to_num(foods.numbers[b.sd_column]) * kept / 100
        spread = z_of(b.probability) * per * math.sqrt(float(np.sum((sds * x) ** 2)))
    return [(side, bound, value - spread if side == "min" else value + spread) for side, bound in sides_of(b)]


def _energy(compiled: Compiled, x: np.ndarray, unit: str) -> float:
    numbers = compiled.foods.numbers
    if f"energy_{unit}" in numbers:
        return float(np.nan_to_num(numbers[f"energy_{unit}"]) @ x) / 100
    other = "kj" if unit == "kcal" else "kcal"
    return float(np.nan_to_num(numbers[f"energy_{other}"]) @ x) / 100 * (conversion(other, unit) or 1.0)
