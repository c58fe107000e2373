"""Processing and shelf life in the result: nutrients in the finished product, at
manufacture and at the end of shelf life, overages, the time point of each constraint,
and the mass balance of processing. (Compiling puts both time points in one LP:
`compile._Compiler.nutrient`; `recheck` verifies the end-of-shelf-life minimums.)"""

from __future__ import annotations

import numpy as np

from ..errors import Problem
from ..model.companions import companion_of
from ..model.result import NutrientLine, OverageLine, Processing, Result, ShelfLife
from ..model.trusted import trusted, updated
from .compile import Compiled
from .variability import finished_per_raw, process_retention, retention


def processed(compiled: Compiled, result: Result) -> Result:
    """Nutrients of the finished product: what processing keeps of each, per finished
    serving mass (the blend's grams are raw materials)."""
    brief = compiled.brief
    process = brief.processing
    if process is None or result.serving_g is None or not result.nutrient_lines:
        return result
    raw = result.serving_g
    finished = raw * finished_per_raw(brief)
    kept = {n.nutrient: process_retention(compiled.columns, brief, n.nutrient) for n in result.nutrient_lines}
    energy = next((n for n in result.nutrient_lines if n.nutrient == "energy_kcal"), None)
    energy_kcal = None
    if energy is not None and energy.per_serving is not None:
        energy_kcal = energy.per_serving * kept["energy_kcal"]
    lines: list[NutrientLine] = []
    for n in result.nutrient_lines:
        amount = None if n.per_serving is None else n.per_serving * kept[n.nutrient]
        lines.append(
            n.model_copy(
                update={
                    "per_serving": amount,
                    "per_day": None if amount is None else amount * result.servings_per_day,
                    "per_100g": None if amount is None or finished <= 0 else amount / finished * 100,
                    "per_100kcal": None if amount is None or not energy_kcal else amount / energy_kcal * 100,
                }
            )
        )
    info = Processing(
        moisture_change_percent=process.moisture_change_percent,
        raw_g_per_serving=raw,
        finished_g_per_serving=finished,
        retention={k: v for k, v in kept.items() if v != 1.0},
    )
    cost_per_kg = None if result.cost_per_serving is None else result.cost_per_serving / finished * 1000
    return result.model_copy(
        update={
            "nutrient_lines": lines,
            "serving_g": finished,
            "cost_per_kg": cost_per_kg,
            "processing": info,
        }
    )


def report(compiled: Compiled, result: Result) -> Result:
    brief = compiled.brief
    life = brief.shelf_life
    if life is None:
        return result
    at = {b.name: b.at for b in compiled.bounds}
    # A copy per line: `updated`, not pydantic's model_copy (a tenth of a solve's time).
    constraints = [updated(c, at=at.get(c.name) or "manufacture") for c in result.constraint_lines]
    x = np.zeros(len(compiled.foods))
    for blend_line in result.blend_lines:
        i = compiled.foods.position(blend_line.id)
        if i is not None:
            x[i] = blend_line.grams
    nutrients = []
    overages = []
    for line in result.nutrient_lines:
        kept = retention(compiled.columns, brief, line.nutrient)
        if not isinstance(kept, np.ndarray) or line.per_serving is None:
            nutrients.append(updated(line, per_serving_end=line.per_serving))
            continue
        values = np.nan_to_num(compiled.columns.get(line.nutrient).values)
        end = float(values * kept @ x) / 100 * process_retention(compiled.columns, brief, line.nutrient)
        nutrients.append(updated(line, per_serving_end=end))
        share = end / line.per_serving if line.per_serving > 0 else None
        overages.append(
            trusted(OverageLine)(
                nutrient=line.nutrient,
                unit=line.unit,
                per_serving=line.per_serving,
                per_serving_end=end,
                retention=share,
                overage_percent=None if not share else (1 / share - 1) * 100,
            )
        )
    notes = [
        *result.notes,
        f"shelf life {life.months:g} months: minimums hold at its end, maximums at manufacture;"
        " nutrients without a retention figure are taken as stable",
    ]
    return updated(
        result,
        constraint_lines=constraints,
        nutrient_lines=nutrients,
        shelf_life=ShelfLife(months=life.months, overages=overages, source=life.source),
        notes=notes,
    )


def idle_retention_columns(compiled: Compiled) -> list[Problem]:
    """A warning for each `<column>_retention` column of the food table that does not
    constrain this brief's formula: the brief has no `[shelf_life]`, or holds no minimum
    on that column at the end of shelf life (the only bounds that read it)."""
    foods, brief = compiled.foods, compiled.brief
    held = {b.name.partition(" ")[0] for b in compiled.bounds if b.at == "end_of_shelf_life"}
    out = []
    for name in foods.columns:
        found = companion_of(name)
        if found is None or found[1] != "retention" or found[0] in held:
            continue
        why = (
            "it has no [shelf_life]"
            if brief.shelf_life is None
            else f"it holds no minimum on {found[0]} at the end of shelf life"
        )
        message = f"warning: {name} does not constrain the formula of brief {brief.name!r}: {why}"
        out.append(Problem(message, foods.origin, foods.sheet, 1, name))
    return out
