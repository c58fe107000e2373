"""What a practical (mixed-integer) brief's limits cost, and its sensitivity.

A MIP has no shadow prices. Two plain LPs give back the insight:

- the brief without its practical limits (ingredient count, minimum inclusion): its
  optimum against the MIP's is the price of practicality;
- the brief with the chosen ingredients fixed (the others at 0, each chosen one at
  least the minimum inclusion): its optimum is the MIP's, and its shadow prices and
  ranges say what a bound is worth *given these ingredients*. They are labelled so.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..model.result import Result
from .compile import Compiled, compile_brief

FIXED_NOTE = (
    "mixed-integer brief (ingredient count, minimum inclusion): shadow prices and ranges are those"
    " of the LP with the chosen ingredients fixed"
)


def without_limits(compiled: Compiled) -> Compiled:
    """The brief compiled without max_ingredients and min_inclusion_g (a plain LP)."""
    brief = compiled.brief.model_copy(update={"max_ingredients": None, "min_inclusion_g": None})
    return compile_brief(compiled.foods, brief)


def with_choice_fixed(plain: Compiled, grams: np.ndarray, minimum: float | None) -> Compiled:
    """The plain LP over only the ingredients used (`grams` > 0), each at least `minimum` g.

    Column bounds moved here no longer belong to a bound of the brief, so their owners
    are dropped: their duals are not attributed to an ingredient line.
    """
    lp = plain.lp
    used = grams > 0
    col_lo, col_hi = lp.col_lo.copy(), lp.col_hi.copy()
    n = len(used)
    col_hi[:n] = np.where(used, col_hi[:n], 0.0)
    col_lo[:n] = np.where(used, np.maximum(col_lo[:n], minimum or 0.0), 0.0)
    moved_lo = {j for j in range(n) if col_lo[j] != lp.col_lo[j]}
    moved_hi = {j for j in range(n) if col_hi[j] != lp.col_hi[j]}
    return replace(
        plain,
        lp=replace(lp, col_lo=col_lo, col_hi=col_hi),
        col_lo_owner={j: k for j, k in plain.col_lo_owner.items() if j not in moved_lo},
        col_hi_owner={j: k for j, k in plain.col_hi_owner.items() if j not in moved_hi},
    )


def attach(mip: Result, free: Result, fixed: Result) -> Result:
    """The MIP result with the LP optimum (`free`) and the fixed-choice LP's sensitivity."""
    lines = {c.name: c for c in fixed.constraint_lines}
    constraints = [
        c.model_copy(
            update={
                "shadow_price": lines[c.name].shadow_price,
                "shadow_price_range": lines[c.name].shadow_price_range,
            }
        )
        if c.name in lines and fixed.ok
        else c
        for c in mip.constraint_lines
    ]
    ranges = {b.id: b.price_range for b in fixed.blend_lines}
    blend = [
        b.model_copy(update={"price_range": ranges.get(b.id)}) if fixed.ok else b for b in mip.blend_lines
    ]
    notes = [FIXED_NOTE if n.startswith("mixed-integer brief") else n for n in mip.notes]
    if not fixed.ok:
        notes.append(
            f"the LP with the chosen ingredients fixed did not solve ({fixed.status}): no shadow prices"
        )
    return mip.model_copy(
        update={
            "constraint_lines": constraints,
            "blend_lines": blend,
            "notes": notes,
            "lp_objective_value": free.objective_value if free.ok else None,
        }
    )
