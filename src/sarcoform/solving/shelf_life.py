"""Shelf life in the result: nutrients at manufacture and at the end, overages, and the
time point of each constraint. (Compiling puts both time points in one LP:
`compile._Compiler.nutrient`; `recheck` verifies the end-of-shelf-life minimums.)"""

from __future__ import annotations

import numpy as np

from ..model.result import OverageLine, Result, ShelfLife
from .compile import Compiled
from .variability import retention


def report(compiled: Compiled, result: Result) -> Result:
    spec = compiled.spec
    life = spec.shelf_life
    if life is None:
        return result
    at = {b.name: b.at for b in compiled.bounds}
    constraints = [
        c.model_copy(update={"at": at.get(c.name) or "manufacture"}) for c in result.constraint_lines
    ]
    x = np.zeros(len(compiled.foods))
    for blend_line in result.blend_lines:
        i = compiled.foods.position(blend_line.id)
        if i is not None:
            x[i] = blend_line.grams
    nutrients = []
    overages = []
    for line in result.nutrient_lines:
        kept = retention(compiled.columns, spec, line.nutrient)
        if not isinstance(kept, np.ndarray) or line.per_serving is None:
            nutrients.append(line.model_copy(update={"per_serving_end": line.per_serving}))
            continue
        values = np.nan_to_num(compiled.columns.get(line.nutrient).values)
        end = float(values * kept @ x) / 100
        nutrients.append(line.model_copy(update={"per_serving_end": end}))
        share = end / line.per_serving if line.per_serving > 0 else None
        overages.append(
            OverageLine(
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
    return result.model_copy(
        update={
            "constraint_lines": constraints,
            "nutrient_lines": nutrients,
            "shelf_life": ShelfLife(months=life.months, overages=overages, source=life.source),
            "notes": notes,
        }
    )
