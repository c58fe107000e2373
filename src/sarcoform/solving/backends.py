"""Solver backends: a `MatrixLP` in, an `LPSolution` out.

- `cbc`: the LP as a PuLP model, solved by CBC through `pulp.COIN_CMD`.
- `highs`: the same matrices handed to HiGHS in-process through highspy (no model
  rebuild, so it is also what IIS, ranging and fast re-solves use).

Both are posed as minimisations, so their duals mean the same thing: ∂(c·x)/∂bound.
(PuLP's duals differ in sign between solvers only on *maximise* problems, which we
never pose; see TECH_NOTES.)
"""

from __future__ import annotations

import contextlib
import importlib
import math
import os
import sys
import time
import types
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from ..errors import SolverError, UsageError
from .lp import LPSolution, MatrixLP

if TYPE_CHECKING:
    import highspy
    import pulp

SolverName = Literal["cbc", "highs"]  # the solvers of `sarcoform.solve` (cbc is the default)
SOLVERS: tuple[SolverName, ...] = ("cbc", "highs")
# Relative MIP gap at which both solvers stop: tight, so that CBC and HiGHS return the
# same optimum on practical briefs (the defaults, 1e-4 and 0, differ).
MIP_GAP = 1e-6


def solve_lp(lp: MatrixLP, solver: SolverName = "cbc", time_limit: float | None = None) -> LPSolution:
    if solver == "cbc":
        return solve_cbc(lp, time_limit)
    if solver == "highs":
        return solve_highs(lp, time_limit)
    raise UsageError(f"unknown solver {solver!r}: use one of {', '.join(SOLVERS)}")


# -- CBC through PuLP ---------------------------------------------------------------


class _Deferred(types.ModuleType):
    """Stands in for a module until something reads from it, then imports it for real."""

    def __getattr__(self, attr: str) -> Any:
        del sys.modules[self.__name__]
        real = importlib.import_module(self.__name__)
        return getattr(real, attr)


def import_pulp() -> Any:
    """`import pulp`, without paying for orloge at import time.

    PuLP imports orloge (solver-log parsing, ~0.1 s with its pydantic schemas) at module
    level but calls it only when given a `logPath`, which we never pass. Deferring it
    keeps a whole `sarcoform solve` process under a second; the first real use loads
    the real module.
    """
    if "pulp" not in sys.modules and "orloge" not in sys.modules:
        sys.modules["orloge"] = _Deferred("orloge")
    import pulp

    return pulp


def to_pulp(lp: MatrixLP, name: str = "sarcoform") -> tuple[pulp.LpProblem, list[Any], list[Any]]:
    """The LP as a PuLP problem: (problem, variables, constraints per LP row).

    A ranged row becomes two PuLP constraints (`name_lo`, `name_hi`); the third item
    lists, per LP row, the constraints that implement it.
    """
    pulp = import_pulp()

    prob = pulp.LpProblem(name, pulp.LpMinimize)
    xs = []
    # Python floats (tolist) throughout: indexing numpy arrays element by element costs
    # more than the model (a quarter of this function's time on the default brief).
    integer = None if lp.integer is None else lp.integer.tolist()
    for j, (lo, hi) in enumerate(zip(lp.col_lo.tolist(), lp.col_hi.tolist(), strict=True)):
        cat = "Integer" if integer is not None and integer[j] else "Continuous"
        xs.append(
            prob.add_variable(
                f"x{j}", lo if math.isfinite(lo) else None, hi if math.isfinite(hi) else None, cat
            )
        )
    # CBC reads an MPS file: a variable appearing nowhere would be dropped from it and
    # lose its bounds, so every column gets at least a zero objective term.
    prob.setObjective(pulp.lpSum_vars_coefs(list(zip(xs, lp.c.tolist(), strict=True))))
    per_row: list[list[Any]] = []
    rows, cols = np.nonzero(lp.A)  # row by row, in column order
    starts = np.searchsorted(rows, np.arange(lp.shape[0] + 1)).tolist()
    terms = list(zip([xs[j] for j in cols.tolist()], lp.A[rows, cols].tolist(), strict=True))
    for r, (lo, hi) in enumerate(zip(lp.row_lo.tolist(), lp.row_hi.tolist(), strict=True)):
        expr = pulp.lpSum_vars_coefs(terms[starts[r] : starts[r + 1]])
        made = []
        if math.isfinite(lo) and lo == hi:
            made.append(prob.addConstraint(expr == lo, f"r{r}_eq"))
        else:
            if math.isfinite(lo):
                made.append(prob.addConstraint(expr >= lo, f"r{r}_lo"))
            if math.isfinite(hi):
                made.append(prob.addConstraint(expr.copy() <= hi, f"r{r}_hi"))
        per_row.append(made)
    if lp.links is not None:
        k = lp.links
        for t, (i, y) in enumerate(zip(k.food, k.indicator, strict=True)):
            pairs = [(xs[int(i)], 1.0), (xs[int(y)], -float(k.upper[t]))]
            prob.addConstraint(pulp.lpSum_vars_coefs(pairs) <= 0, f"link{t}_hi")
            if k.lower[t] > 0:
                pairs = [(xs[int(i)], 1.0), (xs[int(y)], -float(k.lower[t]))]
                prob.addConstraint(pulp.lpSum_vars_coefs(pairs) >= 0, f"link{t}_lo")
    return prob, xs, per_row


def solve_cbc(lp: MatrixLP, time_limit: float | None = None) -> LPSolution:
    pulp = import_pulp()

    started = time.perf_counter()
    if bool((lp.col_lo > lp.col_hi).any() or (lp.row_lo > lp.row_hi).any()):
        # Contradictory bounds (e.g. an ingredient ≥ 10 g and ≤ 5 g): infeasible as posed.
        # CBC refuses such a model file outright; HiGHS says infeasible. Say it the same way.
        return LPSolution("infeasible", "cbc", time.perf_counter() - started, message="bounds cross")
    # CBC's optimality test has an absolute dual tolerance (1e-7); costs in currency per
    # gram are ~1e-3, so an almost-optimal vertex could pass (seen: 2e-5 too dear). The
    # objective goes to CBC scaled to a largest coefficient of 1; duals are scaled back.
    scale = float(np.abs(lp.c).max()) if lp.shape[1] and np.abs(lp.c).max() > 0 else 1.0
    prob, xs, per_row = to_pulp(lp.with_objective(lp.c / scale, lp.offset / scale))
    # SARCOFORM_CBC points at another CBC binary (a site build, a newer release).
    solver = pulp.COIN_CMD(
        msg=False,
        timeLimit=time_limit,
        threads=1,
        path=os.environ.get("SARCOFORM_CBC"),
        gapRel=MIP_GAP if lp.is_mip else None,
        # CBC's symmetry detection (nauty) runs before it first checks the clock: on a
        # 5,000-food practical brief it took 23 s of a 1 s limit. Off, the limit holds
        # and that MIP solves in half the time.
        options=["OrbitalBranching off"] if lp.is_mip else None,
    )
    if not lp.is_mip:
        # PuLP 4.2 captures CBC's log on every solve and parses it with orloge (importing
        # it costs ~0.1 s); an LP's answer is all in the solution file, so no log.
        solver.capture_log = _no_log
    solving = time.perf_counter()
    try:
        stats = prob.solve(solver)
    except pulp.PulpError as err:  # missing binary, unreadable solution file, …
        raise SolverError(f"CBC failed: {err}") from err
    seconds = time.perf_counter() - started
    status = _pulp_status(stats.status, stats.has_solution)
    at_limit = time_limit is not None and time.perf_counter() - solving >= time_limit
    if status == "infeasible" and lp.is_mip and at_limit:
        # Stopped by the clock before branching (limits of ~0.01-0.1 s), CBC may report a
        # feasible MIP "Integer infeasible": that is no proof.
        status = "time_limit"
    if status == "undecided":
        # CBC says only "infeasible or unbounded" at times; HiGHS decides which.
        decided = solve_highs(lp, time_limit)
        return LPSolution(decided.status, "cbc", seconds, message=decided.message)
    if not stats.has_solution:
        return LPSolution(status, "cbc", seconds, message=str(stats.status_str))
    x = np.array([v.value() or 0.0 for v in xs])
    if lp.is_mip and not _integral(x, lp.integer):
        # ... or hand back its LP relaxation as "Optimal": not a solution of the MIP.
        status = "time_limit" if at_limit else "error"
        return LPSolution(status, "cbc", seconds, message=f"{stats.status_str}, but not integral")
    row_duals = col_duals = None
    if not lp.is_mip:
        row_duals = scale * np.array([sum((c.pi or 0.0) for c in made) for made in per_row])
        col_duals = scale * np.array([v.dj or 0.0 for v in xs])
    gap = stats.gap_rel if lp.is_mip and status == "time_limit" else None
    return LPSolution(
        status,
        "cbc",
        seconds,
        x,
        float(lp.c @ x) + lp.offset,
        row_duals,
        col_duals,
        str(stats.status_str),
        gap,
    )


@contextlib.contextmanager
def _no_log() -> Iterator[str | None]:
    yield None


def _integral(x: np.ndarray, integer: np.ndarray | None) -> bool:
    """Are the integer columns of x integers (within CBC's tolerance, 1e-6)?"""
    if integer is None:
        return True
    values = x[integer]
    return bool(np.all(np.abs(values - np.round(values)) <= 1e-6))


def _pulp_status(status: Any, has_solution: bool) -> str:
    pulp = import_pulp()

    s = pulp.LpSolveStatus
    if status == s.Optimal or (status == s.GapLimit and has_solution):
        # CBC stops on the relative gap we ask for (MIP_GAP): that is our optimum.
        return "optimal"
    if status == s.Infeasible:
        return "infeasible"
    if status == s.Unbounded:
        return "unbounded"
    if status == s.Undefined:
        return "undecided"
    if status in (s.TimeLimit, s.NodeLimit, s.IterationLimit, s.Stopped):
        return "time_limit"
    return "error"


# -- HiGHS in-process -------------------------------------------------------------------

_banner_silenced = False


@contextlib.contextmanager
def _quiet_stdout() -> Iterator[None]:
    """HiGHS prints its banner from C++ when the first Highs object is made, straight
    to file descriptor 1 — it would corrupt `--json` output. Divert it once."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def new_highs() -> highspy.Highs:
    """A silent Highs object."""
    global _banner_silenced
    import highspy

    if _banner_silenced:
        h = highspy.Highs()
    else:
        # HiGHS runs every solve of a process on one global thread scheduler, made by the
        # first run with that run's `threads`; a later run asking for another count fails
        # ("Not Set"). If HiGHS already ran here with its default (a user's own highspy or
        # pulp.HiGHS solve), our threads=1 solves would all fail: start the scheduler anew
        # (it is made again by the next run; a later default run accepts ours).
        highspy.Highs.resetGlobalScheduler(True)
        with _quiet_stdout():
            h = highspy.Highs()
        _banner_silenced = True
    h.setOptionValue("output_flag", False)
    return h


def pass_model(h: highspy.Highs, lp: MatrixLP) -> None:
    """Hand the LP to HiGHS as arrays (column-wise sparse): filling a HighsLp attribute by
    attribute took five times as long, a tenth of the HiGHS part of a solve."""
    import highspy

    inf = highspy.kHighsInf
    m, n = lp.shape
    columns = lp.A.T
    nonzero = columns != 0
    starts = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(nonzero.sum(axis=1), out=starts[1:])
    index = np.nonzero(nonzero)[1].astype(np.int32)  # row of each nonzero, column by column
    values = columns[nonzero].astype(float)
    integrality = np.zeros(n, dtype=np.int32)  # kContinuous 0, kInteger 1
    if lp.is_mip:
        assert lp.integer is not None
        integrality[np.asarray(lp.integer, dtype=bool)] = 1
    # A model HiGHS refuses leaves it empty: the run then ends in an error status, which
    # the caller explains (magnitude.too_large), as it did with a HighsLp.
    h.passModel(
        n,
        m,
        len(values),
        int(highspy.MatrixFormat.kColwise),
        int(highspy.ObjSense.kMinimize),
        float(lp.offset),
        np.asarray(lp.c, dtype=float),
        np.where(np.isfinite(lp.col_lo), lp.col_lo, -inf),
        np.where(np.isfinite(lp.col_hi), lp.col_hi, inf),
        np.where(np.isfinite(lp.row_lo), lp.row_lo, -inf),
        np.where(np.isfinite(lp.row_hi), lp.row_hi, inf),
        starts,
        index,
        values,
        integrality,
    )


def load_highs(lp: MatrixLP, time_limit: float | None = None) -> highspy.Highs:
    h = new_highs()
    h.setOptionValue("threads", 1)
    if time_limit is not None:
        h.setOptionValue("time_limit", float(time_limit))
    if lp.is_mip:
        h.setOptionValue("mip_rel_gap", MIP_GAP)
    pass_model(h, lp)
    if lp.links is not None:
        _add_links(h, lp)
    return h


def _add_links(h: highspy.Highs, lp: MatrixLP) -> None:
    """The link rows x − U·y ≤ 0 (and x − m·y ≥ 0 where m > 0), after the LP's own rows."""
    import highspy

    k = lp.links
    assert k is not None
    with_lower = k.lower > 0
    food = np.concatenate([k.food, k.food[with_lower]]).astype(np.int32)
    indicator = np.concatenate([k.indicator, k.indicator[with_lower]]).astype(np.int32)
    coef = -np.concatenate([k.upper, k.lower[with_lower]])
    count = len(food)
    lower = np.concatenate([np.full(len(k.food), -highspy.kHighsInf), np.zeros(int(with_lower.sum()))])
    upper = np.concatenate([np.zeros(len(k.food)), np.full(int(with_lower.sum()), highspy.kHighsInf)])
    starts = np.arange(0, 2 * count, 2, dtype=np.int32)
    index = np.column_stack([food, indicator]).ravel()
    values = np.column_stack([np.ones(count), coef]).ravel()
    h.addRows(count, lower, upper, 2 * count, starts, index, values)


def solve_highs(lp: MatrixLP, time_limit: float | None = None) -> LPSolution:
    started = time.perf_counter()
    h = load_highs(lp, time_limit)
    h.run()
    sol = read_highs(h, lp, time.perf_counter() - started)
    if sol.status == "optimal" and not lp.is_mip:
        basis = h.getBasis()
        if basis.valid:  # sensitivity starts from it instead of solving the LP again
            sol = replace(sol, basis=basis, highs=h)
    return sol


def read_highs(h: highspy.Highs, lp: MatrixLP, seconds: float) -> LPSolution:
    """Turn a solved Highs object into an LPSolution."""
    text = h.modelStatusToString(h.getModelStatus())
    status = highs_status(h)
    info = h.getInfo()
    has_solution = info.primal_solution_status == 2  # kSolutionStatusFeasible
    if status in ("infeasible", "unbounded", "error") or not has_solution:
        return LPSolution(status, "highs", seconds, message=text)
    solution = h.getSolution()
    x = np.array(solution.col_value)
    row_duals = col_duals = None
    gap = None
    if lp.is_mip:
        gap = float(info.mip_gap) if status == "time_limit" else None
    elif solution.dual_valid:
        row_duals = np.array(solution.row_dual)
        col_duals = np.array(solution.col_dual)
    return LPSolution(
        status, "highs", seconds, x, float(lp.c @ x) + lp.offset, row_duals, col_duals, text, gap
    )


def highs_status(h: highspy.Highs) -> str:
    """The model status of a run, as LPSolution.status (infeasible-or-unbounded decided)."""
    import highspy

    ms = highspy.HighsModelStatus
    model_status = h.getModelStatus()
    if model_status == ms.kUnboundedOrInfeasible:
        model_status = _decide(h)
    return {
        ms.kOptimal: "optimal",
        ms.kInfeasible: "infeasible",
        ms.kUnbounded: "unbounded",
        ms.kTimeLimit: "time_limit",
        ms.kIterationLimit: "time_limit",
        ms.kInterrupt: "time_limit",
        ms.kSolutionLimit: "time_limit",
    }.get(model_status, "error")


def _decide(h: highspy.Highs) -> Any:
    """Infeasible or unbounded? Re-run without presolve, which tells them apart."""
    h.setOptionValue("presolve", "off")
    h.run()
    h.setOptionValue("presolve", "choose")
    return h.getModelStatus()


@dataclass(frozen=True, eq=False)
class Optimum:
    """One HiGHS run of a MatrixLP: its status (as LPSolution.status) and, when optimal,
    the minimiser x (every column) and c·x + offset."""

    status: str
    x: np.ndarray | None
    objective: float | None
    highs: Any  # the solved highspy.Highs: basis, ranging, hot re-solves

    @property
    def optimal(self) -> bool:
        return self.status == "optimal"


def highs_optimum(lp: MatrixLP, time_limit: float | None = None, basis: Any = None) -> Optimum:
    """min c·x over `lp` (LP or MIP) with HiGHS, started from `basis` when given (an LP's
    optimal basis makes this a re-read, not a re-solve)."""
    h = load_highs(lp, time_limit)
    if basis is not None:
        h.setBasis(basis)
    h.run()
    status = highs_status(h)
    if status != "optimal":
        return Optimum(status, None, None, h)
    x = np.array(h.getSolution().col_value)
    return Optimum(status, x, float(lp.c @ x) + lp.offset, h)
