"""Coefficients too large for the solvers, traced back to the food and bound they come from.

HiGHS refuses a matrix entry beyond 1e15 (its option `large_matrix_value`) and then says
only "error"; CBC may accept it and return a blend its tolerances cannot judge (the
verification catches that). A value within the food table's range (±1e19) can still get
there once scaled by a bound (17 kJ per g protein, 100 per 100 g): the Diagnosis says which
ingredient and which bound, so the user can fix the cell.
"""

from __future__ import annotations

import numpy as np

from ..model.result import Diagnosis
from .compile import Compiled

LARGE = 1e15  # HiGHS large_matrix_value (default)


def too_large(compiled: Compiled) -> Diagnosis | None:
    """A Diagnosis naming the largest coefficient beyond LARGE, or None."""
    n = len(compiled.foods)
    worst: tuple[float, int, int] | None = None  # (size, bound, food)
    for k, b in enumerate(compiled.bounds):
        for vector in (b.num, b.den):
            if vector is None:
                continue
            values = np.abs(np.nan_to_num(vector[:n]))
            j = int(np.argmax(values)) if values.size else 0
            if values.size and values[j] > LARGE and (worst is None or values[j] > worst[0]):
                worst = (float(values[j]), k, j)
    if worst is None:
        return None
    size, k, j = worst
    b = compiled.bounds[k]
    food = f"{compiled.foods.names[j]} ({compiled.foods.ids[j]})"
    what = b.describe()
    return Diagnosis(
        reason=f"the solver cannot take the brief: {food} gives {what} a coefficient of {size:.3g},"
        f" beyond the {LARGE:g} a solver can handle; check that ingredient's values",
        conflict=[b.name],
        hints=["a value in mg or µg written in a g column makes coefficients a thousand times too large"],
    )
