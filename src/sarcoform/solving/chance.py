"""Chance constraints over ingredient lots, by LP outer approximation (Kelley cuts).

A bound with a probability p must hold for independent, normally distributed lots:

    minimum:  μ·x − z·‖σ∘x‖ ≥ b          maximum:  μ·x + z·‖σ∘x‖ ≤ b       (z = Φ⁻¹(p))

(μ, σ: per-gram means and SDs on the bound's basis; for per-100 g bounds the serving
mass is the deterministic denominator, folded into μ as μ − b·1.) These are second-order
cone constraints. Since ‖σ∘x‖ ≥ (σ²∘x̄)·x / ‖σ∘x̄‖ for any x̄, the tangent

    μ·x − z·(σ²∘x̄)·x / ‖σ∘x̄‖ ≥ b

holds on the whole feasible set: a valid cut. Each round solves the LP on the same
backend (CBC or HiGHS), adds one cut per violated side at its optimum, and stops when
no side is violated by more than the tolerance. The LP with its cuts is then an
ordinary compiled brief: ties, duals and verification work on it unchanged.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from ..errors import InputError
from ..model.result import ConstraintLine, MonteCarloLine, Result, Variability
from . import practical
from .backends import SolverName, import_pulp, load_highs, read_highs
from .compile import BINDING, Bound, Compiled
from .lp import LPSolution, MatrixLP
from .variability import normal_cdf, z_of

MAX_ROUNDS = 400
# What the frontier and multi-blend plans say when they take a chance-constrained brief
# on its mean values (they solve plain LPs).
ON_MEAN_VALUES = (
    "on mean compositions: the brief's probabilities over ingredient lots (chance constraints)"
    " are not applied here, so its minimums hold in about half the lots; `sarcoform solve`"
    " gives the blend at its probabilities"
)
DEFAULT_TOLERANCE = 1e-7


@dataclass(frozen=True, eq=False)
class Side:
    """One side of a chance-constrained bound, as LP data over the foods."""

    k: int  # bound index in Compiled.bounds
    side: Literal["min", "max"]
    z: float
    a: np.ndarray  # mean coefficients: a·x ≥ rhs (min) or ≤ rhs (max)
    rhs: float
    sd: np.ndarray
    scale: float  # max(1, |bound|): violations are relative to it

    def slack(self, x: np.ndarray) -> float:
        """≥ 0 when the side holds at its probability (LP units)."""
        spread = self.z * float(np.linalg.norm(self.sd * x))
        if self.side == "min":
            return float(self.a @ x) - spread - self.rhs
        return self.rhs - float(self.a @ x) - spread

    def cut(self, x: np.ndarray) -> np.ndarray:
        """The tangent cut's coefficients at x (same sense as the side)."""
        spread = self.sd * x
        norm = float(np.linalg.norm(spread))
        tangent = self.z * self.sd * spread / norm if norm > 0 else np.zeros(len(self.a))
        out: np.ndarray = self.a - tangent if self.side == "min" else self.a + tangent
        return out


def sides_of(b: Bound) -> list[tuple[Literal["min", "max"], float]]:
    """The bound's sides that are set: ("min", 2.5), ("max", 6.0)."""
    out: list[tuple[Literal["min", "max"], float]] = []
    if b.min is not None:
        out.append(("min", b.min))
    if b.max is not None:
        out.append(("max", b.max))
    return out


def has_chance(compiled: Compiled) -> bool:
    return any(b.probability is not None and b.sd is not None for b in compiled.bounds)


def refuse(compiled: Compiled, what: str) -> None:
    """InputError for a chance-constrained brief where only plain LPs are solved."""
    if has_chance(compiled):
        raise InputError(
            compiled.brief.problem(
                f"{what} does not solve chance constraints (probability): solve the brief itself"
            )
        )


def sides(compiled: Compiled) -> list[Side]:
    out = []
    for k, b in enumerate(compiled.bounds):
        if b.probability is None or b.sd is None:
            continue
        for side, bound in sides_of(b):
            if b.den is None:
                a, rhs = b.num, bound - b.num0
            else:
                a, rhs = b.num - bound * b.den, bound * b.den0 - b.num0
            out.append(Side(k, side, z_of(b.probability), a, rhs, b.sd, max(1.0, abs(bound))))
    return out


@dataclass(frozen=True, eq=False)
class Outer:
    """The outcome of the cutting-plane loop."""

    compiled: Compiled  # the brief's LP with every cut (row_of extended)
    solution: LPSolution
    rounds: int
    cuts: int
    max_violation: float  # relative, at the last LP optimum
    converged: bool
    tolerance: float
    # The first round solves the brief's LP before any cut: the mean-value brief.
    mean_status: str = "not solved"
    mean_objective: float | None = None
    # The safety-margin LP's (status, objective), solved alongside the rounds (CBC: its
    # own process, on a thread that waits for it); None: solved when reported (HiGHS).
    safety_margin: Callable[[], tuple[str, float | None]] | None = None


def _padded(row: np.ndarray, width: int) -> np.ndarray:
    out = np.zeros(width)
    out[: len(row)] = row
    return out


def violation(s: Side, b: Bound, x: np.ndarray) -> float:
    """Relative violation of a side, in the bound's units (≥ 0)."""
    return max(0.0, -s.slack(x)) / (b.denominator(x) * s.scale)


def holds(outer: Outer, sol: LPSolution) -> bool:
    """Whether a solution of the LP with the cuts meets every chance constraint (within the
    loop's tolerance): a second stage (the tie-break by cost) may move off the cuts."""
    if sol.x is None:
        return False
    compiled = outer.compiled
    x = sol.x[: len(compiled.foods)]
    return all(violation(s, compiled.bounds[s.k], x) <= outer.tolerance for s in sides(compiled))


def outer_approximation(compiled: Compiled, solver: SolverName, time_limit: float | None) -> Outer:
    """Solve the chance-constrained brief with LP solves and tangent cuts."""
    brief = compiled.brief
    tolerance = brief.variability.tolerance if brief.variability is not None else DEFAULT_TOLERANCE
    chance = sides(compiled)
    n = len(compiled.foods)
    lp, row_of = compiled.lp, list(compiled.row_of)
    started = time.perf_counter()
    cuts = rounds = 0
    worst = math.inf
    mean: tuple[str, float | None] = ("not solved", None)
    # HiGHS keeps its model between rounds: each cut is one more row, and the next solve
    # starts from the last optimal basis (dual simplex, a few pivots).
    highs = load_highs(lp, time_limit) if solver == "highs" and not lp.is_mip else None
    # With CBC, the safety-margin LP (reported with the answer) solves in its own process
    # while the rounds wait for theirs, on a second core if there is one.
    margin = None
    if solver == "cbc":
        import_pulp()  # here, not on both threads at once
        margin = _in_background(lambda: _objective(compiled, safety_margin_lp(compiled), solver, time_limit))
    while True:
        left = None if time_limit is None else max(0.0, time_limit - (time.perf_counter() - started))
        if highs is not None:
            solving = time.perf_counter()
            highs.run()
            sol = read_highs(highs, lp, time.perf_counter() - solving)
        else:
            sol = practical.solve(lp, solver, left, n)
        rounds += 1
        if rounds == 1:
            mean = (sol.status, None if sol.x is None else objective_of(compiled, sol.x))
        if sol.status != "optimal" or sol.x is None:
            worst = math.inf if sol.x is None else worst
            break
        x = sol.x[:n]
        worst = 0.0
        added = []
        for s in chance:
            v = violation(s, compiled.bounds[s.k], x)
            worst = max(worst, v)
            if v > tolerance:
                added.append(s)
        if not added or rounds >= MAX_ROUNDS:
            break
        for s in added:
            lo, hi = (s.rhs, math.inf) if s.side == "min" else (-math.inf, s.rhs)
            name = f"{compiled.bounds[s.k].name} ({s.side}, p cut {cuts + 1})"
            row = _padded(s.cut(x), lp.shape[1])
            lp = lp.with_row(name, row, lo, hi)
            row_of.append((s.k, s.side))
            cuts += 1
            if highs is not None:
                nz = np.flatnonzero(row)
                highs.addRow(lo, hi, len(nz), nz.astype(np.int32), row[nz])
    return Outer(
        compiled=replace(compiled, lp=lp, row_of=tuple(row_of)),
        solution=sol,
        rounds=rounds,
        cuts=cuts,
        max_violation=worst,
        converged=worst <= tolerance,
        tolerance=tolerance,
        mean_status=mean[0],
        mean_objective=mean[1] if mean[0] == "optimal" else None,
        safety_margin=margin,
    )


# -- what assurance costs ------------------------------------------------------------


def objective_of(compiled: Compiled, x: np.ndarray) -> float:
    """The objective in the user's terms (cost for min_cost, else the nutrient)."""
    n = len(compiled.foods)
    target = compiled.cost if compiled.brief.objective_kind == "min_cost" else compiled.objective
    return float(target @ x[:n])


def safety_margin_lp(compiled: Compiled) -> MatrixLP:
    """The mean-value LP with flat margins: every ingredient at mean − z·σ (minimums) or
    mean + z·σ (maximums), as feed formulators' safety margins do."""
    lp = compiled.lp
    for s in sides(compiled):
        a = s.a - s.z * s.sd if s.side == "min" else s.a + s.z * s.sd
        lo, hi = (s.rhs, math.inf) if s.side == "min" else (-math.inf, s.rhs)
        lp = lp.with_row(f"{compiled.bounds[s.k].name} ({s.side}, margin)", _padded(a, lp.shape[1]), lo, hi)
    return lp


def _objective(
    compiled: Compiled, lp: MatrixLP, solver: SolverName, time_limit: float | None
) -> tuple[str, float | None]:
    sol = practical.solve(lp, solver, time_limit, len(compiled.foods))
    if sol.status != "optimal" or sol.x is None:
        return sol.status, None
    return sol.status, objective_of(compiled, sol.x)


# -- the result ------------------------------------------------------------------------


def report(
    plain: Compiled,
    outer: Outer,
    result: Result,
    solver: SolverName,
    time_limit: float | None,
    *,
    ranges_asked: bool = True,
) -> Result:
    """`result` (solved with the cuts) with probabilities, costs of assurance, the Monte
    Carlo of lots and the chance constraints re-checked from the raw table."""
    compiled = outer.compiled
    brief = compiled.brief
    if not outer.converged and outer.solution.status == "optimal":
        message = (
            f"chance constraints not met within {MAX_ROUNDS} rounds of cuts"
            f" (violation {outer.max_violation:.2e} > tolerance {outer.tolerance:.0e})"
        )
        return result.model_copy(update={"status": "error", "notes": [*result.notes, message]})
    if result.status == "infeasible" and outer.cuts:
        note = (
            f"infeasible at the target probabilities after {outer.cuts} cut{'s' * (outer.cuts != 1)};"
            " the conflict and way out"
            " are worked out on the cuts (tangents of the chance constraints), so check a way out by"
            " solving again"
        )
        return result.model_copy(update={"notes": [*result.notes, note]})
    if not result.ok or not result.blend_lines:
        return result
    x = np.zeros(len(compiled.foods))
    for line in result.blend_lines:
        i = compiled.foods.position(line.id)
        assert i is not None
        x[i] = line.grams
    lines = [_line(compiled, k, line, x) for k, line in enumerate(result.constraint_lines)]
    mean_status, mean = outer.mean_status, outer.mean_objective  # its first round, before any cut
    if outer.safety_margin is not None:
        margin_status, margin = outer.safety_margin()
    else:
        margin_status, margin = _objective(plain, safety_margin_lp(plain), solver, time_limit)
    value = objective_of(compiled, x)
    sense = -1 if brief.objective_kind == "max" else 1
    lots = brief.variability.lots if brief.variability is not None else 10_000
    seed = brief.variability.seed if brief.variability is not None else 0
    started = time.perf_counter()
    simulated = monte_carlo(compiled, x, lots, seed) if lots else []
    info = Variability(
        iterations=outer.rounds,
        cuts=outer.cuts,
        tolerance=outer.tolerance,
        max_violation=outer.max_violation,
        objective_value=value,
        mean_value_objective=mean,
        safety_margin_objective=margin,
        safety_margin_status=margin_status,
        cost_of_assurance=None if mean is None else sense * (value - mean),
        saving_vs_safety_margin=None if margin is None else sense * (margin - value),
        objective_unit=result.objective_unit,
        lots=lots,
        seed=seed,
        monte_carlo_seconds=time.perf_counter() - started if lots else None,
        monte_carlo=simulated,
    )
    notes = list(result.notes)
    if ranges_asked:  # say why none came (not when --no-sensitivity asked for none)
        notes.append(
            "no shadow-price or price ranges for chance-constrained briefs: they would be the ranges"
            " of the cuts' linearisation, not of the brief"
        )
    if mean_status != "optimal":
        notes.append(f"the mean-value brief is {mean_status}")
    return result.model_copy(
        update={
            "constraint_lines": lines,
            "variability": info,
            "notes": notes,
        }
    )


def _in_background[T](work: Callable[[], T]) -> Callable[[], T]:
    """`work` started on a thread; called, its outcome (or its exception) once it ends.

    For a CBC solve: the thread spends it waiting for the CBC process, with Python's lock
    released, while the main thread waits for its own CBC process (the rounds of cuts).
    Not a daemon: a process ending meanwhile waits for it (no CBC process left behind).
    """
    outcome: list[T] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            outcome.append(work())
        except BaseException as err:  # handed to the caller, raised there
            failure.append(err)

    thread = threading.Thread(target=run, name="sarcoform-safety-margin")
    thread.start()

    def result() -> T:
        thread.join()
        if failure:
            raise failure[0]
        return outcome[0]

    return result


def _line(compiled: Compiled, k: int, line: ConstraintLine, x: np.ndarray) -> ConstraintLine:
    b = compiled.bounds[k]
    if b.probability is None or b.sd is None:
        return line
    value = b.value(x)
    den = b.denominator(x)
    sd = float(np.linalg.norm(b.sd * x)) / den
    if value is None:
        return line
    z = z_of(b.probability)
    assured: list[tuple[Literal["min", "max"], float, float]] = []  # side, bound, value at p
    probability = 1.0
    for side, bound in sides_of(b):
        gap = value - bound if side == "min" else bound - value
        assured.append((side, bound, value - z * sd if side == "min" else value + z * sd))
        probability -= 1.0 - (normal_cdf(gap / sd) if sd > 0 else float(gap >= 0))
    active = None
    for side, bound, v in assured:
        if abs(v - bound) <= BINDING * max(1.0, abs(bound)):
            active = side
    return line.model_copy(
        update={
            "probability": max(0.0, probability),
            "probability_target": b.probability,
            "value_assured": assured[0][2] if len(assured) == 1 else None,
            "sd": sd,
            "binding": active is not None or line.binding,
            "active": active or line.active,
        }
    )


def monte_carlo(compiled: Compiled, x: np.ndarray, lots: int, seed: int) -> list[MonteCarloLine]:
    """Simulate `lots` lots of every used ingredient (independent normal values per
    ingredient and varying column, seeded) and count how often each bound holds."""
    rng = np.random.default_rng(seed)
    used = np.flatnonzero(x > 0)
    chance = [(k, b) for k, b in enumerate(compiled.bounds) if b.probability is not None and b.sd is not None]
    draws: dict[str, np.ndarray] = {}
    for column in sorted({b.sd_column or "" for _, b in chance}):
        draws[column] = rng.standard_normal((lots, len(used)))
    out: list[MonteCarloLine] = []
    every = np.ones(lots, dtype=bool)
    for _, b in chance:
        eps = draws[b.sd_column or ""]
        mean = b.value(x)
        assert mean is not None
        values = mean + (eps * (b.sd[used] * x[used])).sum(axis=1) / b.denominator(x)  # type: ignore[index]
        for side, bound in sides_of(b):
            ok = values >= bound if side == "min" else values <= bound
            every &= ok
            rate = float(ok.mean())
            p = b.probability or rate
            out.append(
                MonteCarloLine(
                    constraint=b.name,
                    side=side,
                    target=b.probability,
                    pass_rate=rate,
                    standard_error=math.sqrt(p * (1 - p) / lots),
                )
            )
    rate = float(every.mean())
    out.append(
        MonteCarloLine(
            constraint="all",
            side="both",
            target=None,
            pass_rate=rate,
            standard_error=math.sqrt(rate * (1 - rate) / lots),
        )
    )
    return out
