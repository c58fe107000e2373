"""Fast path: one brief compiled once, re-solved for many price vectors with HiGHS hot starts.

Prices enter a compiled brief in three places only — the min-cost objective (`lp.c`),
the rows of a cost cap, and the tie-break cost of max/min objectives — and each
coefficient is affine in the price of its own ingredient. The compile at prices P0 says
every coefficient's slope itself (`Compiled.price_slopes`, next to the code that puts
prices there; tests/test_compile_assembly.py holds it to a second compile at P0 + 1),
so a new price vector updates just what moves (`changeColsCost`, `changeCoeff`) without
this module re-deriving how `compile` uses prices. Each scenario starts from the basis
of the base solve, so an item's answer does not depend on which other scenarios share
its task (same inputs, same answer, however the batch is split across workers).

The full `Result` of an item is built by `engine.build_result` from the stored LP
solutions over the brief compiled at that scenario's prices — the same object the
regular path returns. The batch table needs less, so it is computed from arrays here,
and the blend is re-checked with the independent `Checker` (on each distinct blend;
briefs with a cost bound are checked per scenario, since the check reads the prices).
"""

from __future__ import annotations

import math
import time
from dataclasses import replace
from typing import Any

import numpy as np

from ..model.brief import Brief
from ..model.foods import FoodTable
from ..model.result import Result
from .backends import highs_status, load_highs, read_highs
from .basis_library import Answers, Counts, solve_scenarios
from .compile import Compiled, compile_brief
from .engine import ZERO, build_result, gated_status, tie_break_cap, tie_break_lp, with_shelf_life
from .lp import LPSolution, MatrixLP, Solved
from .verify import TOLERANCE, Checker

BLEND_KEY_DECIMALS = 9  # blends equal to 1e-9 g share one verification


class NotAffine(Exception):
    """A brief the fast path does not re-price (mixed-integer): use the regular path."""


def priced(foods: FoodTable, prices: np.ndarray) -> FoodTable:
    """The table with these prices per kg (NaN = unknown), as `FoodTable.with_prices` would give."""
    changed = {
        food_id: float(p)
        for food_id, p, old in zip(foods.ids, prices, foods.price_per_kg, strict=True)
        if not math.isnan(p) and p != old
    }
    return foods.with_prices(changed) if changed else foods


def result_of(foods: FoodTable, brief: Brief, prices: np.ndarray, solved: Solved) -> Result:
    """The full Result of a fast-path item, as the regular path builds it."""
    if solved.result is not None:
        return solved.result
    compiled = compile_brief(priced(foods, prices), brief)
    result = build_result(compiled, solved.first, solved.final, solved.seconds, list(solved.notes))
    return with_shelf_life(compiled, result)


def base_prices(foods: FoodTable, known: np.ndarray) -> np.ndarray:
    """Canonical base prices for a pattern of known prices: the table's own, and 0 where
    only the scenarios give one (NaN where unknown). Any base does; this one is the same in
    every task, and the plan's compile is made at it."""
    return np.where(known, np.nan_to_num(np.asarray(foods.price_per_kg, dtype=float)), np.nan)


class PricedBrief:
    """A brief compiled over a food table whose known prices are `known`, ready for re-solves.
    `compiled`: the brief already compiled at `base_prices(foods, known)` (the plan's)."""

    def __init__(
        self,
        foods: FoodTable,
        brief: Brief,
        known: np.ndarray,
        time_limit: float | None = None,
        compiled: Compiled | None = None,
    ) -> None:
        self.foods = foods
        self.brief = brief
        self.known = known
        self.time_limit = time_limit
        base = base_prices(foods, known)
        self.p0 = base
        self.compiled = compile_brief(priced(foods, base), brief) if compiled is None else compiled
        if self.compiled.lp.is_mip:
            raise NotAffine("mixed-integer brief")
        self._slopes(self.compiled)
        lp = self.compiled.lp
        self.h1 = load_highs(lp, time_limit)
        self.h1.run()
        self.basis1 = _valid(self.h1.getBasis())
        self.min_cost = brief.objective_kind == "min_cost"
        self.two_stage = not self.min_cost and self.compiled.prices_known
        self.h2: Any = None
        self.basis2: Any = None
        self.tie_lp: MatrixLP | None = None
        if self.two_stage:
            first = read_highs(self.h1, lp, 0.0)
            objective = first.objective if first.status == "optimal" else None
            # Without a base optimum the row stays open until a scenario sets it.
            tie = tie_break_lp(self.compiled, math.inf if objective is None else objective)
            self.tie_lp = tie
            self.h2 = load_highs(tie, time_limit)
            self.objective_row = lp.shape[0]
            if objective is not None:
                self.h2.run()
                self.basis2 = _valid(self.h2.getBasis())
        self.checker = Checker(self.foods, brief, self.compiled.columns)
        self.checker_cache: dict[bytes, tuple[bool, float]] = {}

    @property
    def lp(self) -> MatrixLP:
        return self.compiled.lp

    def _slopes(self, a: Compiled) -> None:
        la = a.lp
        self.dc, self.dcost, d_a = a.price_slopes()
        self.price_rows = np.flatnonzero(np.any(d_a != 0, axis=1))
        self.d_rows = d_a[self.price_rows]
        self.a_rows = la.A[self.price_rows]
        self.cols = np.arange(la.shape[1], dtype=np.int32)
        self.moves_c = bool(np.any(self.dc != 0))

    def _set_rows(self, h: Any, delta: np.ndarray) -> None:
        rows = self.a_rows + self.d_rows * delta
        for k, r in enumerate(self.price_rows):
            row = rows[k]
            for j in np.flatnonzero(self.d_rows[k]):
                h.changeCoeff(int(r), int(j), float(row[j]))

    def solve(self, prices: np.ndarray, verify: bool = True, start: Any = None) -> Solved:
        """Solve at these prices per kg (NaN exactly where this brief's prices are unknown);
        verify=False leaves the check of the blend to the caller (`verify_many`); `start`:
        a basis to start from instead of the base solve's."""
        started = time.perf_counter()
        first = self.first_stage(prices, start)
        return self.finish(prices, first, None, started, verify)

    def first_stage(self, prices: np.ndarray, start: Any = None) -> LPSolution:
        """The LP (a two-stage brief's first stage) at these prices, by HiGHS from `start`
        (None: the base solve's basis)."""
        started = time.perf_counter()
        delta = np.where(self.known, prices - self.p0, 0.0)
        lp = self.compiled.lp
        c = lp.c + self.dc * delta if self.moves_c else lp.c
        view = lp.with_objective(c, lp.offset) if self.moves_c else lp
        h1 = self.h1
        if self.moves_c:
            h1.changeColsCost(len(c), self.cols, c)
        self._set_rows(h1, delta)
        _start(h1, self.basis1 if start is None else start)
        _run(h1)
        return read_highs(h1, view, time.perf_counter() - started)

    def solve_all(self, prices: np.ndarray, counts: Counts | None = None) -> Answers:
        """`solve` for each row of `prices`, proving optimal bases where it can (basis_library):
        a sequence of Solved (or the exception a scenario raised), the proved ones also as arrays."""
        return solve_scenarios(self, prices, counts)

    def finish(
        self,
        prices: np.ndarray,
        first: LPSolution,
        final: LPSolution | None,
        started: float | None = None,
        verify: bool = True,
        checked: tuple[bool, float] | None = None,
        start2: Any = None,
        blend: np.ndarray | None = None,
    ) -> Solved:
        """The scenario's answer from its first optimum (and the tie-break's, run here when
        None); `blend`: the final optimum's x with |x| < ZERO set to 0, when already made."""
        started = time.perf_counter() - first.seconds if started is None else started
        notes = list(self.compiled.notes)
        if first.status == "optimal" and not self.min_cost:
            notes = self.notes_of_optimum
            if not self.two_stage:
                final = first
            elif final is None:
                delta = np.where(self.known, prices - self.p0, 0.0)
                final, note = self._tie_break(first, delta, start2)
                if note:
                    notes.append(note)
        final = first if final is None else final
        seconds = time.perf_counter() - started
        if final.x is None:
            solved = Solved(first.status, first, final, notes, seconds, None)
            return replace(solved, result=result_of(self.foods, self.brief, prices, solved))
        x = np.where(np.abs(final.x) < ZERO, 0.0, final.x) if blend is None else blend
        if not verify:
            return Solved(final.status, first, final, notes, seconds, x)
        ok, worst = self._verify(prices, x) if checked is None else checked
        return Solved(gated_status(final.status, ok), first, final, notes, seconds, x, ok, worst)

    @property
    def notes_of_optimum(self) -> list[str]:
        """The notes of an answer whose first stage is optimal (before a tie-break's own)."""
        notes = list(self.compiled.notes)
        if not self.min_cost and not self.two_stage:
            notes.append("tie-break by cost skipped: some ingredients that may enter have no price")
        return notes

    def _tie_break(
        self, first: LPSolution, delta: np.ndarray, start: Any = None
    ) -> tuple[LPSolution, str | None]:
        assert first.objective is not None
        h2 = self.h2
        cost = self.compiled.cost + self.dcost * delta
        h2.changeColsCost(len(cost), self.cols, cost)
        self._set_rows(h2, delta)
        h2.changeRowBounds(self.objective_row, -math.inf, tie_break_cap(first.objective))
        _start(h2, self.basis2 if start is None else start)
        started = time.perf_counter()
        _run(h2)
        tie_lp = replace(self.compiled.lp, c=cost, offset=0.0)
        second = read_highs(h2, tie_lp, time.perf_counter() - started)
        if second.status != "optimal":
            return first, f"tie-break by cost failed ({second.status}); first optimum kept"
        # The tie-break LP has one more row (the objective): its duals are not reported.
        return second, None

    def _verify(self, prices: np.ndarray, x: np.ndarray) -> tuple[bool, float]:
        cacheable = self.brief.cost is None  # otherwise the check reads this scenario's prices
        key = np.round(x, BLEND_KEY_DECIMALS).tobytes() if cacheable else b""
        if cacheable and key in self.checker_cache:
            return self.checker_cache[key]
        grams = {self.foods.ids[i]: float(x[i]) for i in np.flatnonzero(x)}
        checks = self.checker.checks(grams, None if cacheable else prices)
        worst = max((c.violation for c in checks), default=0.0)
        out = (worst <= TOLERANCE, worst)
        if cacheable:
            self.checker_cache[key] = out
        return out

    def verify_many(self, prices: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(verified, max violation) of many blends (rows of x) at their scenarios' prices,
        checked at once: each distinct blend once for every check that reads no price, and
        the cost bounds, which do, scenario by scenario."""
        seen: dict[bytes, int] = {}  # a blend (to BLEND_KEY_DECIMALS, −0 as 0) → its number
        keys = np.round(x, BLEND_KEY_DECIMALS) + 0.0
        inverse = np.array([seen.setdefault(row.tobytes(), len(seen)) for row in keys], dtype=int)
        first = np.unique(inverse, return_index=True)[1]  # (a hash, not np.unique's row sort)
        if self.brief.cost is None:
            worst = self.checker.worst(x[first])[inverse]
        else:
            by_blend = self.checker.worst(x[first], part="blend")[inverse]
            worst = np.maximum(by_blend, self.checker.worst(x, prices, part="prices"))
        return worst <= TOLERANCE, worst


def _run(h: Any) -> None:
    """Run HiGHS from the basis set; should it end with no verdict ("Unknown", seen on an
    infeasible scenario started from another's basis), run it again from scratch, as the
    regular path would."""
    h.run()
    if highs_status(h) == "error":
        h.clearSolver()
        h.run()


def _valid(basis: Any) -> Any:
    return basis if basis.valid else None


def _start(h: Any, basis: Any) -> None:
    """Start from the base solve's basis, or cold when the base had none: never from the
    previous scenario, so an item's answer does not depend on the items before it."""
    if basis is not None:
        h.setBasis(basis)
    else:
        h.clearSolver()


def known_patterns(prices: np.ndarray) -> dict[bytes, np.ndarray]:
    """Scenario rows grouped by which prices are known (one compile per pattern)."""
    groups: dict[bytes, list[int]] = {}
    known = ~np.isnan(prices)
    if len(known) and bool((known == known[0]).all()):  # (the usual case: one pattern)
        return {known[0].tobytes(): np.arange(len(known))}
    for k in range(prices.shape[0]):
        groups.setdefault(known[k].tobytes(), []).append(k)
    return {key: np.array(rows) for key, rows in groups.items()}
