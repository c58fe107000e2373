"""Why a brief has no answer: the constraints in conflict, named as the brief names them.

An element is one side of one bound of the brief (`leucine ≥ 2.5 g per meal` and
`leucine ≤ 6 g per meal` are two). HiGHS's IIS proposes a small conflicting set; a
deletion filter over the brief's elements then makes it irreducible in the brief's own
terms: every element listed is needed, and dropping any one makes the rest feasible.

On a mixed-integer brief each check is a MIP, and the filter and the relaxations run
dozens of them: the caller's time limit (`Budget`) bounds the whole explanation. A
check cut short counts as feasible, so a conflict reported is always proven
infeasible; the Diagnosis says when it may not be irreducible and which
relaxations were not computed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from ..model.result import Diagnosis
from .backends import highs_optimum, load_highs
from .compile import Compiled
from .elements import Budget, Element, Switch, elements, feasible, in_words, without
from .relax import relaxation


def conflict(compiled: Compiled, budget: Budget | None = None) -> list[Element]:
    """A set of the brief's elements that cannot hold together: irreducible, unless the
    budget ran out (then `budget.cut`), and proven infeasible either way."""
    budget = budget or Budget()
    every = elements(compiled)
    # The serving is the frame of every other bound: it stays in every check, so that
    # the filter never trades it for an unrelated bound that merely keeps the blend from
    # being empty. It joins the conflict if the rest conflicts only with it in place.
    serving = {e for e in every if compiled.bounds[e[0]].kind == "serving"}

    def infeasible_with(kept: set[Element]) -> bool:
        lp = without(compiled.lp, [s for e, s in every.items() if e not in kept | serving])
        return not feasible(compiled, lp, budget)

    keep = [e for e in _iis_candidates(compiled, every, budget) if e not in serving]
    if not keep or not infeasible_with(set(keep)):
        keep = [e for e in every if e not in serving]
        cut, budget.cut = budget.cut, False
        if not infeasible_with(set(keep)) and not budget.cut:
            return []  # HiGHS finds the whole brief feasible: nothing explains the solver's answer
        # Unchecked (out of time), the whole brief stands: the solver found it infeasible.
        budget.cut = budget.cut or cut
    found = _deletion_filter(keep, infeasible_with) if keep else []
    if serving:
        lp = without(compiled.lp, [s for e, s in every.items() if e not in found])
        if not found or feasible(compiled, lp, budget):
            found += sorted(serving)  # needed: the rest alone could be met (e.g. by no blend)
    return sorted(found)


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


def _iis_candidates(compiled: Compiled, all_elements: dict[Element, Switch], budget: Budget) -> list[Element]:
    """Elements HiGHS's IIS points at (may be empty if HiGHS finds none)."""
    import highspy

    lp = compiled.lp
    limit = budget.seconds()
    if limit is not None and limit <= 0:
        return []
    h = load_highs(lp.with_objective(np.zeros(lp.shape[1])), limit)
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


def infeasible(compiled: Compiled, time_limit: float | None = None) -> Diagnosis:
    """The conflict and the ways out, found within `time_limit` seconds (None: no limit)."""
    from .density import unreachable

    beyond = unreachable(compiled)
    if beyond is not None:
        return beyond
    budget = Budget(time_limit)
    found = conflict(compiled, budget)
    minimal = not budget.cut
    # Both sides of an equality bound are one constraint to the reader.
    said = {(compiled.bounds[k].name, in_words(compiled.bounds[k], side)): None for k, side in found}
    names = [name for name, _ in said]
    words = [text for _, text in said]
    # One line, however many: the exclusions are context, not the conflict.
    left_out = [f"{i} ({c})" for i, c in compiled.excluded]
    hints = [f"left out for blank values: {', '.join(left_out)}"] if left_out else []
    if not found:
        reason = "no blend meets the brief, and no single set of its constraints explains why"
    else:
        reason = "these constraints cannot all hold: " + "; ".join(words)
    ways_out, skipped = relaxation(compiled, found, budget) if found else ([], [])
    if found and not minimal:
        hints.append(
            "explaining stopped at the time limit: these constraints are proven to conflict,"
            " but fewer of them may be enough (raise --time-limit for the smallest set)"
        )
    if skipped:
        what = "any of them" if set(words) <= set(skipped) else "; ".join(dict.fromkeys(skipped))
        hints.append(f"time limit reached before working out how far to move {what}")
    return Diagnosis(reason=reason, conflict=names, explanation=words, relaxation=ways_out, hints=hints)


def unbounded(compiled: Compiled) -> Diagnosis:
    what = compiled.brief.objective
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
    best = highs_optimum(cone)
    if best.x is None:
        return None
    d = best.x[:foods]
    improving = float(lp.c[:foods] @ d) < -1e-9
    return d if improving else None
