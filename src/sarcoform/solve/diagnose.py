"""Why a brief has no answer: the constraints in conflict, named as the brief names them.

An element is one side of one bound of the brief (`leucine ≥ 2.5 g per meal` and
`leucine ≤ 6 g per meal` are two). HiGHS's IIS proposes a small conflicting set; a
deletion filter over the brief's elements then makes it irreducible in the brief's own
terms: every element listed is needed, and dropping any one makes the rest feasible.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from ..model.result import Diagnosis
from .backends import load_highs
from .compile import Compiled
from .lp import MatrixLP

Element = tuple[int, Literal["min", "max"]]  # (bound index, side)


@dataclass(frozen=True)
class _Switch:
    """How to remove one element from the LP: which row/column bound to open up."""

    rows: tuple[tuple[int, Literal["lo", "hi"]], ...] = ()
    cols: tuple[tuple[int, Literal["lo", "hi"]], ...] = ()
    inclusion: bool = False  # the minimum inclusion of a practical brief (in lp.links)


def elements(compiled: Compiled) -> dict[Element, _Switch]:
    """Every removable element of the brief and the LP bounds that implement it."""
    out: dict[Element, _Switch] = {}
    for r, (k, side) in enumerate(compiled.row_of):
        b = compiled.bounds[k]
        if side in ("min", "both") and b.min is not None:
            out[(k, "min")] = _merge(out.get((k, "min")), _Switch(rows=((r, "lo"),)))
        if side in ("max", "both") and b.max is not None:
            out[(k, "max")] = _merge(out.get((k, "max")), _Switch(rows=((r, "hi"),)))
    for j, k in compiled.col_lo_owner.items():
        out[(k, "min")] = _merge(out.get((k, "min")), _Switch(cols=((j, "lo"),)))
    for j, k in compiled.col_hi_owner.items():
        out[(k, "max")] = _merge(out.get((k, "max")), _Switch(cols=((j, "hi"),)))
    for k, b in enumerate(compiled.bounds):
        if b.kind == "inclusion":
            out[(k, "min")] = _Switch(inclusion=True)
    return out


def _merge(a: _Switch | None, b: _Switch) -> _Switch:
    return b if a is None else _Switch(a.rows + b.rows, a.cols + b.cols, a.inclusion or b.inclusion)


def without(lp: MatrixLP, switches: Iterable[_Switch]) -> MatrixLP:
    """The LP with the given elements removed (their bounds opened to ±inf / 0)."""
    row_lo, row_hi = lp.row_lo.copy(), lp.row_hi.copy()
    col_lo, col_hi = lp.col_lo.copy(), lp.col_hi.copy()
    links = lp.links
    for s in switches:
        if s.inclusion and links is not None:
            links = replace(links, lower=np.zeros_like(links.lower))
        for r, end in s.rows:
            (row_lo if end == "lo" else row_hi)[r] = -math.inf if end == "lo" else math.inf
        for j, end in s.cols:
            if end == "lo":
                col_lo[j] = 0.0  # ingredients never go negative
            else:
                col_hi[j] = math.inf
    return replace(lp, row_lo=row_lo, row_hi=row_hi, col_lo=col_lo, col_hi=col_hi, links=links)


def feasible(compiled: Compiled, lp: MatrixLP) -> bool:
    """Is `lp` (the brief's LP, some elements removed or moved) feasible?

    Practical briefs get their big-M links recomputed first: a removed mass limit
    must not survive as a hidden cap inside x_i ≤ U_i·y_i.
    """
    from .practical import relinked

    return is_feasible(relinked(lp, len(compiled.foods)))


MIP_CHECK_SECONDS = 10.0  # a MIP feasibility check that takes longer counts as feasible


def is_feasible(lp: MatrixLP) -> bool:
    """Feasible? For a MIP, an infeasible LP relaxation settles it fast; a MIP check
    that hits MIP_CHECK_SECONDS counts as feasible, so that a conflict reported is
    always proven infeasible (if perhaps not irreducible)."""
    import highspy

    if lp.is_mip and not is_feasible(replace(lp, integer=None)):
        return False
    h = load_highs(lp.with_objective(np.zeros(lp.shape[1])), MIP_CHECK_SECONDS if lp.is_mip else None)
    h.run()
    status = h.getModelStatus()
    if status == highspy.HighsModelStatus.kTimeLimit:
        return True
    return bool(status == highspy.HighsModelStatus.kOptimal)


def conflict(compiled: Compiled) -> list[Element]:
    """An irreducible set of the brief's elements that cannot hold together."""
    every = elements(compiled)

    def infeasible_with(kept: set[Element]) -> bool:
        return not feasible(compiled, without(compiled.lp, [s for e, s in every.items() if e not in kept]))

    keep = _iis_candidates(compiled, every)
    if not keep or not infeasible_with(set(keep)):
        keep = list(every)
        if not infeasible_with(set(keep)):
            return []
    return sorted(_deletion_filter(keep, infeasible_with))


def _deletion_filter(keep: list[Element], infeasible_with: Callable[[set[Element]], bool]) -> list[Element]:
    """Drop elements for good while the rest stays infeasible, a block at a time.

    Proving infeasibility is the expensive check (a MIP can take a second), and most
    elements of a brief are not in the conflict: dropping them in blocks that grow
    after a success and shrink after a failure needs far fewer proofs than one
    element at a time, and ends with the same guarantee (each element kept was
    needed when tried alone).
    """
    block, i = max(1, len(keep) // 4), 0
    while i < len(keep):
        size = min(block, len(keep) - i)
        trial = keep[:i] + keep[i + size :]
        if trial and infeasible_with(set(trial)):
            keep, block = trial, block * 2
        elif size > 1:
            block = max(1, size // 2)
        else:
            i += 1
    return keep


def _iis_candidates(compiled: Compiled, all_elements: dict[Element, _Switch]) -> list[Element]:
    """Elements HiGHS's IIS points at (may be empty if HiGHS finds none)."""
    import highspy

    lp = compiled.lp
    h = load_highs(lp.with_objective(np.zeros(lp.shape[1])))
    h.setOptionValue("iis_strategy", highspy.IisStrategy.kIisStrategyIrreducible)
    h.run()
    try:
        status, iis = h.getIis()
    except Exception:  # pragma: no cover - older highspy
        return []
    if status != highspy.HighsStatus.kOk or not iis.valid_:
        return []
    rows = set(iis.row_index_)
    cols = set(iis.col_index_)
    picked = []
    for e, s in all_elements.items():
        if any(r in rows for r, _ in s.rows) or any(j in cols for j, _ in s.cols):
            picked.append(e)
    return picked


def infeasible(compiled: Compiled) -> Diagnosis:
    found = conflict(compiled)
    names = []
    words = []
    for k, side in found:
        b = compiled.bounds[k]
        names.append(b.name)
        words.append(b.describe(None if b.min == b.max else side))
    hints = [f"ingredient {i} is excluded: its {c} is blank" for i, c in compiled.excluded]
    if not found:
        reason = "no blend meets the brief, and no single set of its constraints explains why"
    else:
        reason = "these constraints cannot all hold: " + "; ".join(words)
    from .relax import relaxation

    return Diagnosis(
        reason=reason,
        conflict=names,
        explanation=words,
        relaxation=relaxation(compiled, found) if found else [],
        hints=hints,
    )


def unbounded(compiled: Compiled) -> Diagnosis:
    what = compiled.spec.objective
    ray = growth_direction(compiled)
    growing = [] if ray is None else [compiled.foods.ids[j] for j in np.flatnonzero(ray > 1e-9)]
    grow = f" by adding {', '.join(growing)} without limit" if growing else ""
    return Diagnosis(
        reason=f"{what} can improve forever{grow}: nothing caps the serving",
        hints=["fix serving_g or give max_g", "add a cost cap", "bound the ingredients that grow"],
        conflict=[],
    )


def growth_direction(compiled: Compiled) -> np.ndarray | None:
    """Grams per food along which the objective improves without end, or None.

    A ray d of the feasible set keeps every bound when added any number of times: rows
    with a finite lower bound need A·d ≥ 0, upper A·d ≤ 0, and d ≥ 0 (capped foods
    cannot grow). Normalised by Σd ≤ 1, the ray that improves c·d the most is an LP.
    Solved here, whichever solver found the brief unbounded (solvers may prove
    unboundedness without handing back a ray).
    """
    lp = compiled.lp
    m, n = lp.shape
    foods = len(compiled.foods)
    zero_rows = np.zeros(m)
    cone = replace(
        lp,
        row_lo=np.where(np.isfinite(lp.row_lo), zero_rows, -math.inf),
        row_hi=np.where(np.isfinite(lp.row_hi), zero_rows, math.inf),
        col_lo=np.zeros(n),
        col_hi=np.where(np.isfinite(lp.col_hi), 0.0, 1.0),
        integer=None,
        links=None,
    ).with_row("normalise", np.r_[np.ones(foods), np.zeros(n - foods)], -math.inf, 1.0)
    h = load_highs(cone)
    h.run()
    solution = h.getSolution()
    d = np.array(solution.col_value)[:foods]
    improving = float(lp.c[:foods] @ d) < -1e-9
    return d if improving else None
