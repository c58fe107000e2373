"""Density bounds no ingredient can reach, reported on their own.

A bound on a density (per 100 g, per 100 kcal, a ratio, a share in %, cost per kg) is a
weighted average of the ingredients' own densities: a blend can never be richer than its
richest ingredient, nor leaner than its leanest. When the bound lies beyond every
ingredient that may enter, that alone is why the brief fails, whatever else it says,
and the user is told so in one line ("protein ≥ 25 g per 100 g: ... the highest, in
Soy flour (soy), is 20"), instead of a conflict with some unrelated bound.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from ..model.brief import BASIS_PHRASES
from ..model.result import Diagnosis
from .compile import Compiled

EPS = 1e-9


def unreachable(compiled: Compiled) -> Diagnosis | None:
    """A Diagnosis naming every density bound beyond all ingredients, or None."""
    foods = compiled.foods
    n = len(foods)
    may_enter = compiled.lp.col_hi[:n] > 0
    names: list[str] = []
    words: list[str] = []
    for b in compiled.bounds:
        if b.den is None or b.num0 != 0 or b.den0 != 0 or b.column is not None:
            continue  # not a pure density (background intake, or a plain amount)
        num, den = b.num[:n], b.den[:n]
        counted = may_enter & (den > EPS)
        if not counted.any() or (may_enter & (den <= EPS) & (np.abs(num) > EPS)).any():
            continue  # an ingredient with nothing in the denominator: no sure answer
        ratio = np.full(n, np.nan)
        ratio[counted] = num[counted] / den[counted]
        sides: tuple[tuple[Literal["min", "max"], float | None], ...] = (("min", b.min), ("max", b.max))
        for side, bound in sides:
            if bound is None:
                continue
            j = int(np.nanargmax(ratio) if side == "min" else np.nanargmin(ratio))
            best = float(ratio[j])
            tolerance = 1e-9 * max(1.0, abs(bound))
            if (side == "min" and best < bound - tolerance) or (side == "max" and best > bound + tolerance):
                which = "highest" if side == "min" else "lowest"
                unit = f" {b.unit}" if b.unit and not b.unit.startswith("%") else b.unit
                unit += f" {BASIS_PHRASES[b.basis]}" if b.basis in BASIS_PHRASES else ""
                names.append(b.name)
                words.append(
                    f"{b.describe(side)}: no ingredient reaches it; the {which}, in"
                    f" {foods.names[j]} ({foods.ids[j]}), is {best:.4g}{unit}"
                )
    if not names:
        return None
    return Diagnosis(
        reason="; ".join(words),
        conflict=list(dict.fromkeys(names)),
        explanation=words,
        hints=[
            "a blend is never richer than its richest ingredient: add one that reaches it, or move the bound"
        ],
    )
