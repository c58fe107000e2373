"""A linear program in matrix form, the one hand-off between compiling and solving.

    minimise c·x   subject to   row_lo ≤ A x ≤ row_hi,   col_lo ≤ x ≤ col_hi

Every solver backend takes this and nothing else, so the brief is compiled once and
can be re-solved, exported to PuLP, or handed to HiGHS directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from ..model.result import Result

# Basis status codes, as HiGHS reports them (highspy.HighsBasisStatus(...).value): a column
# or row nonbasic at its lower bound, basic, nonbasic at its upper bound, or free at zero.
LOWER, BASIC, UPPER, ZERO = 0, 1, 2, 3


@dataclass(frozen=True, eq=False)
class Links:
    """Use indicators of a practical brief: lower·y ≤ x ≤ upper·y for each (x, y) pair.

    Kept out of A on purpose: there is a pair of rows per food, and as dense rows
    they would make A foods × foods (850 MB for a 5,000-food table). Backends add
    them as sparse rows.
    """

    food: np.ndarray  # column of x (int)
    indicator: np.ndarray  # column of y (int)
    upper: np.ndarray  # U: the most x can be, g
    lower: np.ndarray  # the minimum inclusion m, g (0: none)


@dataclass(frozen=True, eq=False)
class MatrixLP:
    c: np.ndarray
    A: np.ndarray
    row_lo: np.ndarray
    row_hi: np.ndarray
    col_lo: np.ndarray
    col_hi: np.ndarray
    col_names: tuple[str, ...]
    row_names: tuple[str, ...]
    integer: np.ndarray | None = None  # bool per column; None = pure LP
    offset: float = 0.0  # constant added to c·x to give the objective value
    links: Links | None = None  # practical briefs only

    @property
    def shape(self) -> tuple[int, int]:
        m, n = self.A.shape
        return int(m), int(n)

    @property
    def is_mip(self) -> bool:
        return self.integer is not None and bool(self.integer.any())

    def with_objective(self, c: np.ndarray, offset: float = 0.0) -> MatrixLP:
        return replace(self, c=np.asarray(c, dtype=float), offset=offset)

    def with_row(self, name: str, coefficients: np.ndarray, lo: float, hi: float) -> MatrixLP:
        """A copy with one more row lo ≤ coefficients·x ≤ hi (use ±inf for one side)."""
        return replace(
            self,
            A=np.vstack([self.A, np.asarray(coefficients, dtype=float)[None, :]]),
            row_lo=np.append(self.row_lo, lo),
            row_hi=np.append(self.row_hi, hi),
            row_names=(*self.row_names, name),
        )


@dataclass(frozen=True, eq=False)
class LPSolution:
    """What a backend returns. Duals are for the minimisation as posed:
    row_duals[r] = ∂(c·x)/∂(active bound of row r), col_duals = reduced costs."""

    status: str  # optimal | infeasible | unbounded | time_limit | error
    solver: str
    seconds: float
    x: np.ndarray | None = None
    objective: float | None = None
    row_duals: np.ndarray | None = None
    col_duals: np.ndarray | None = None
    message: str = ""
    gap: float | None = None  # relative MIP gap when stopped early
    # HiGHS's optimal basis of an LP (solve_highs only; opaque): sensitivity reads its
    # ranges from it without solving again. Never journaled (None off that path).
    basis: Any = field(default=None, repr=False)
    # The solved highspy.Highs itself (solve_highs only): sensitivity reads its ranging
    # without loading the LP again. Never journaled either.
    highs: Any = field(default=None, repr=False)

    @property
    def has_solution(self) -> bool:
        return self.x is not None


@dataclass(frozen=True, eq=False)
class Solved:
    """One scenario solved: LP solutions for `build_result`, and the checked blend."""

    status: str
    first: LPSolution
    final: LPSolution
    notes: list[str]
    seconds: float
    x: np.ndarray | None  # g per serving, |x| < ZERO set to 0; None without a blend
    verified: bool | None = None
    max_violation: float | None = None
    result: Result | None = None  # built at once when there is no blend (with its diagnosis)
