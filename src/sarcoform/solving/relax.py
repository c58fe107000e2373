"""The cheapest way out of an infeasible brief: how far each conflicting bound must move.

For each element of an irreducible conflict (one side of one bound), the brief with
that element removed is feasible; over that reduced brief the bound's value(x) has
a largest (for a minimum) or smallest (for a maximum) attainable value, and that is
exactly where the bound must move to, the rest of the brief unchanged. These are the
"or" alternatives: any one of them alone makes the brief feasible.

- linear bounds (den = None), ingredient g-bounds, the ingredient count: one LP
  (a MIP for practical briefs) optimising the bound's own row;
- bounds with a denominator (ratios, per 100 g/kcal, %): the Charnes–Cooper
  transform turns max (num·x+num0)/(den·x+den0) into one LP (y = t·x, t > 0);
  on a MIP, and for the minimum inclusion (a coefficient), bisection on the bound.

Every value is checked by re-solving the brief with the bound moved there; if no
single bound can repair the brief (it has several independent conflicts), a joint
minimal relaxation from HiGHS's feasibilityRelaxation moves several together.

Within a time budget (`elements.Budget`), a relaxation whose solves or checks were cut
short is dropped and named as not computed: its value would not be trustworthy.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import replace
from typing import Any, Literal

import numpy as np

from .backends import Optimum, highs_optimum, load_highs
from .compile import Bound, Compiled
from .elements import Budget, Element, elements, feasible, in_words, is_equality, with_bound, without
from .lp import MatrixLP
from .practical import relinked

Scope = Literal["alone", "together"]
TOLERANCE = 1e-7  # relative precision of a bisection; nudges when checking a moved bound


def relaxation(
    compiled: Compiled, conflict: list[Element], budget: Budget | None = None
) -> tuple[list[dict[str, Any]], list[str]]:
    """Relaxation entries for the Diagnosis (each bound alone, else several together), and
    the ones not computed within the budget, in the brief's words."""
    budget = budget or Budget()
    out: list[dict[str, Any]] = []
    skipped: list[str] = []
    for k, side in conflict:
        entry, done = _attempt(budget, functools.partial(_alone, compiled, (k, side), budget))
        if not done:
            skipped.append(in_words(compiled.bounds[k], side))
        elif entry is not None:
            out.append(entry)
    if out:
        return out, skipped
    together, done = _attempt(budget, lambda: _together(compiled, budget))
    return (together or [], skipped if done else [*skipped, "several bounds moved together"])


def _attempt[T](budget: Budget, compute: Callable[[], T]) -> tuple[T | None, bool]:
    """compute(), and whether every solve and check in it finished: a value found with
    one cut short by the budget is not to be trusted, so it is dropped (None, False)."""
    if budget.spent:
        return None, False
    budget.cut = False
    out = compute()
    return (None, False) if budget.cut else (out, True)


# -- one bound alone ------------------------------------------------------------------


def extreme(
    compiled: Compiled, lp: MatrixLP, k: int, want: Literal["max", "min"], budget: Budget | None = None
) -> float | None:
    """The largest or smallest value of bound k attainable over `lp`.

    None when `lp` is infeasible, the value is unbounded, or the extreme is only
    approached (never reached) — or a solve ran out of `budget` (then `budget.cut`).
    """
    budget = budget or Budget()
    b = compiled.bounds[k]
    lp = relinked(lp, len(compiled.foods))
    if b.kind == "inclusion":
        return _bisect_extreme(compiled, lp, k, want, budget)
    if b.den is not None:
        return _dinkelbach(lp, b, want, budget) if lp.is_mip else _charnes_cooper(lp, b, want, budget)
    coef = np.zeros(lp.shape[1])
    const = 0.0
    if b.column is not None:
        coef[b.column] = 1.0
    elif b.kind == "count":
        coef[len(b.num) :] = 1.0
    else:
        coef[: len(b.num)] = b.num
        const = b.num0
    sign = -1.0 if want == "max" else 1.0
    best = _optimum(replace(lp, c=sign * coef, offset=0.0), budget)
    return None if best is None or best.objective is None else sign * best.objective + const


def _optimum(lp: MatrixLP, budget: Budget) -> Optimum | None:
    """min c·x over lp (LP or MIP) with HiGHS within the budget; None unless optimal."""
    if budget.spent:
        budget.cut = True
        return None
    best = highs_optimum(lp, budget.seconds())
    if best.status == "time_limit":
        budget.cut = True
    return best if best.optimal else None


def _charnes_cooper(lp: MatrixLP, b: Bound, want: str, budget: Budget) -> float | None:
    """max/min (num·x+num0)/(den·x+den0) over lp as one LP in (y, t) = (t·x, t).

    y = t·x with t = 1/(den·x+den0) > 0 turns every row lo ≤ a·x ≤ hi into
    a·y − lo·t ≥ 0 and a·y − hi·t ≤ 0 (column bounds likewise), and the ratio into
    the linear num·y + num0·t under den·y + den0·t = 1.
    """
    m, n = lp.shape
    foods = len(b.num)
    rows: list[np.ndarray] = []
    lo: list[float] = []
    hi: list[float] = []

    def add(a: np.ndarray, scale_t: float, sense: str) -> None:
        rows.append(np.append(a, -scale_t))
        lo.append(0.0 if sense in (">=", "==") else -math.inf)
        hi.append(0.0 if sense in ("<=", "==") else math.inf)

    for r in range(m):
        a = lp.A[r]
        rlo, rhi = float(lp.row_lo[r]), float(lp.row_hi[r])
        if math.isfinite(rlo) and rlo == rhi:
            add(a, rlo, "==")
            continue
        if math.isfinite(rlo):
            add(a, rlo, ">=")
        if math.isfinite(rhi):
            add(a, rhi, "<=")
    for j in range(n):
        unit = np.zeros(n)
        unit[j] = 1.0
        if lp.col_lo[j] > 0:
            add(unit, float(lp.col_lo[j]), ">=")
        if math.isfinite(lp.col_hi[j]):
            add(unit, float(lp.col_hi[j]), "<=")
    den = np.zeros(n + 1)
    den[:foods], den[n] = b.den, b.den0
    rows.append(den)
    lo.append(1.0)
    hi.append(1.0)
    num = np.zeros(n + 1)
    num[:foods], num[n] = b.num, b.num0
    sign = -1.0 if want == "max" else 1.0
    cc = MatrixLP(
        c=sign * num,
        A=np.vstack(rows),
        row_lo=np.array(lo),
        row_hi=np.array(hi),
        col_lo=np.zeros(n + 1),
        col_hi=np.full(n + 1, math.inf),
        col_names=(*lp.col_names, "t"),
        row_names=tuple(f"cc{i}" for i in range(len(rows))),
    )
    best = _optimum(cc, budget)
    if best is None or best.x is None or best.objective is None:
        return None
    if best.x[n] <= 1e-12:  # t = 0: the extreme lies at infinity, approached, never reached
        return None
    return sign * best.objective


def _dinkelbach(lp: MatrixLP, b: Bound, want: str, budget: Budget) -> float | None:
    """max/min of a ratio over a MIP: Dinkelbach's iteration, one MIP per step.

    At t = value(x_k), optimise num·x + num0 − t·(den·x + den0); its optimum is 0
    exactly when t is the extreme, and otherwise the optimiser has a better ratio.
    The values increase strictly, over finitely many integer choices.
    """
    foods = len(b.num)
    x = _any_point(lp, budget)
    if x is None:
        return None
    t = b.value(x[:foods])
    sign = -1.0 if want == "max" else 1.0
    for _ in range(50):
        if t is None:
            return None
        c = np.zeros(lp.shape[1])
        c[:foods] = sign * (b.num - t * b.den)  # type: ignore[operator]
        best = _optimum(replace(lp, c=c, offset=0.0), budget)
        if best is None or best.x is None:
            return None
        x = best.x
        gap = sign * float(c @ x) + b.num0 - t * b.den0
        if sign * -gap <= TOLERANCE * max(1.0, abs(t)) * max(1.0, b.denominator(x[:foods])):
            return t
        t = b.value(x[:foods])
    return t


def _bisect_extreme(compiled: Compiled, lp: MatrixLP, k: int, want: str, budget: Budget) -> float | None:
    """The extreme by bisection on the bound: is "value ≥ t" (or ≤ t) feasible?"""
    b = compiled.bounds[k]
    start = _any_point(lp, budget)
    if start is None:
        return None
    good = b.value(start[: len(compiled.foods)])
    if good is None:
        return None
    side = "min" if want == "max" else "max"
    step = 1 if want == "max" else -1

    def ok(t: float) -> bool:
        if b.kind == "inclusion" and t <= 0:
            return True
        return feasible(compiled, with_bound(compiled, lp, k, side, t), budget)

    scale = max(1.0, abs(good))
    jump = 1e-3 * scale
    bad = None
    for _ in range(60):
        if budget.spent:
            budget.cut = True
            return None
        trial = good + step * jump
        if not ok(trial):
            bad = trial
            break
        good, jump = trial, jump * 2
    if bad is None:
        return None  # still feasible far out: unbounded
    while abs(bad - good) > TOLERANCE * max(1.0, abs(good)):
        if budget.spent:
            budget.cut = True
            return None
        mid = (good + bad) / 2
        if ok(mid):
            good = mid
        else:
            bad = mid
    return good


def _any_point(lp: MatrixLP, budget: Budget) -> np.ndarray | None:
    best = _optimum(lp.with_objective(np.zeros(lp.shape[1])), budget)
    return None if best is None else best.x


def _alone(compiled: Compiled, element: Element, budget: Budget) -> dict[str, Any] | None:
    k, side = element
    b = compiled.bounds[k]
    current = b.min if side == "min" else b.max
    if current is None:
        return None
    every = elements(compiled)
    opened = [every[(k, s)] for s in ("min", "max") if (k, s) in every and (s == side or is_equality(b))]
    want: Literal["max", "min"] = "max" if side == "min" else "min"
    t = extreme(compiled, without(compiled.lp, opened), k, want, budget)
    if t is None or (t >= current if side == "min" else t <= current):
        return None
    if b.kind == "count":
        t = float(math.ceil(t - 1e-6))
    to = _checked(compiled, [(k, side, t)], budget)
    if to is None:
        return None
    return _entry(b, side, current, to[0], "alone")


def _checked(compiled: Compiled, moves: list[tuple[int, str, float]], budget: Budget) -> list[float] | None:
    """The moved values, nudged outward (by ≤ 1e-6 relative) until the brief is feasible."""
    for nudge in (0.0, 1e-9, 1e-8, 1e-7, 1e-6):
        values = []
        lp = compiled.lp
        for k, side, t in moves:
            step = nudge * max(1.0, abs(t))
            moved = t - step if side == "min" else t + step
            values.append(moved)
            lp = with_bound(compiled, lp, k, side, moved)
        if feasible(compiled, lp, budget):
            return values
    return None


# -- several together --------------------------------------------------------------------


def _together(compiled: Compiled, budget: Budget) -> list[dict[str, Any]]:
    """A joint minimal relaxation: HiGHS feasibilityRelaxation over the brief's elements,
    each unit of violation weighted by 1/max(1, |bound|) in the bound's own units."""
    lp = relinked(compiled.lp, len(compiled.foods))
    every = elements(compiled)
    x = _relaxed_point(compiled, lp, every, None, budget)
    if x is None:
        return []
    x = _relaxed_point(compiled, lp, every, x, budget)  # second pass: per-unit weights at this point
    if x is None:
        return []
    moves: list[tuple[int, str, float]] = []
    foods = len(compiled.foods)
    for k, side in every:
        b = compiled.bounds[k]
        value = b.value(x[:foods])
        bound = b.min if side == "min" else b.max
        if value is None or bound is None:
            continue
        gap = TOLERANCE * max(1.0, abs(bound))
        if (side == "min" and value < bound - gap) or (side == "max" and value > bound + gap):
            moves.append((k, side, value))
    values = _checked(compiled, moves, budget) if moves else None
    if values is None:
        return []
    out = []
    for (k, moved_side, _), to in zip(moves, values, strict=True):
        b = compiled.bounds[k]
        current = b.min if moved_side == "min" else b.max
        assert current is not None
        out.append(_entry(b, moved_side, current, to, "together"))
    return out


def _relaxed_point(
    compiled: Compiled, lp: MatrixLP, every: dict[Element, Any], at: np.ndarray | None, budget: Budget
) -> np.ndarray | None:
    import highspy

    if budget.spent:
        budget.cut = True
        return None
    limit = budget.seconds()
    h = load_highs(lp, limit)
    m, n = h.getNumRow(), lp.shape[1]  # with a practical brief's link rows after A's
    rows = np.full(m, -1.0)  # negative penalty: HiGHS may not relax it
    lower = np.full(n, -1.0)
    upper = np.full(n, -1.0)
    for (k, side), switch in every.items():
        b = compiled.bounds[k]
        bound = b.min if side == "min" else b.max
        weight = 1.0 / max(1.0, abs(bound or 0.0))
        if at is not None and b.den is not None:
            # A row num·x − b·den·x ≥ … is violated in units of num·x: per unit of the
            # bound that is den·x + den0 times more.
            weight /= max(b.denominator(at[: len(b.num)]), 1e-9)
        for r, _end in switch.rows:
            rows[r] = weight if rows[r] < 0 else min(rows[r], weight)
        for j, end in switch.cols:
            (lower if end == "lo" else upper)[j] = weight
    status = h.feasibilityRelaxation(-1.0, -1.0, -1.0, lower, upper, rows)
    if status != highspy.HighsStatus.kOk and limit is not None:
        budget.cut = True  # HiGHS says only "error" when it runs out of time
    solution = h.getSolution()
    if not solution.value_valid:
        return None
    return np.array(solution.col_value)


# -- in words -------------------------------------------------------------------------------


def _equality(b: Bound) -> bool:
    return b.min is not None and b.min == b.max


def _entry(b: Bound, side: str, current: float, to: float, scope: Scope) -> dict[str, Any]:
    return {
        "constraint": b.name,
        "bound": side,
        "from": current,
        "to": to,
        "change": to - current,
        "scope": scope,
        "label": b.describe(None if is_equality(b) else side),  # type: ignore[arg-type]
        "text": _text(b, side, current, to),
    }


def _what(b: Bound) -> str:
    from ..model.brief import BASIS_PHRASES

    if b.kind == "cost":
        return f"cost per {b.basis}"
    if b.kind == "count":
        return "number of ingredients"
    if b.kind == "inclusion":
        return "minimum inclusion"
    if b.kind in ("ingredient", "group"):
        return b.name.removesuffix(" %")
    phrase = f" {BASIS_PHRASES[b.basis]}" if b.basis in BASIS_PHRASES else ""
    return f"{b.subject}{phrase}"


def _text(b: Bound, side: str, current: float, to: float) -> str:
    """'lower the leucine per meal minimum from 2.5 to 2.31 g (by 0.19 g)'."""
    shown = round_outward(to, "down" if side == "min" else "up")
    if b.kind == "count":
        shown = to
    unit = f" {b.unit}" if b.unit else ""
    by = f"{abs(shown - current):.3g}{unit}"
    if is_equality(b):
        return f"change {_what(b)} from {current:g} to {shown:g}{unit} (by {by})"
    verb, end = ("lower", "minimum") if side == "min" else ("raise", "cap")
    if b.kind == "inclusion":
        return f"lower the minimum inclusion from {current:g} to {shown:g}{unit} (by {by})"
    return f"{verb} the {_what(b)} {end} from {current:g} to {shown:g}{unit} (by {by})"


def round_outward(value: float, direction: Literal["down", "up"], digits: int = 3) -> float:
    """`value` to `digits` significant digits, rounded so that the shown bound still works."""
    if value == 0 or not math.isfinite(value):
        return value
    scale = 10 ** (math.floor(math.log10(abs(value))) - digits + 1)
    q = value / scale
    q = math.floor(q + 1e-9) if direction == "down" else math.ceil(q - 1e-9)
    return float(f"{q * scale:.{digits + 2}g}")
