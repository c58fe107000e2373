"""The one error hierarchy: everything sarcoform raises is a `SarcoformError`.

Input problems carry where they are (a `Place`: file, sheet, row, column) so the CLI can print
one line per problem and exit 2; importers collect every problem, then raise once.
"""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Place:
    """Where something was read: file, sheet, row and column, or a TOML line.

    `row` is the 1-based row as a spreadsheet shows it (the header is row 1);
    TOML places use `line`. Entries of a brief keep the place they were read from, so
    problems found later (by the compiler, say) point there.
    """

    file: str | None = None
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        place = " ".join(p for p in (self.file, self.sheet and f"[{self.sheet}]") if p)
        spots = [
            f"{label} {value}"
            for label, value in (("line", self.line), ("row", self.row), ("column", self.column))
            if value is not None
        ]
        return " ".join(p for p in (place, ", ".join(spots)) if p)

    def in_column(self, column: str | None) -> Place:
        """The same place, in `column` when given."""
        return self if column is None else replace(self, column=column)

    def at(self, message: str, column: str | None = None) -> Problem:
        """A problem here (in `column` when given)."""
        where = self.in_column(column)
        return Problem(message, where.file, where.sheet, where.row, where.column, where.line)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: a message and the `Place` it was found at, located as
    precisely as the format allows (the place's fields are the problem's own, so
    `problem.row` and `Problem(message, file, sheet, row, column, line)` read naturally).
    """

    message: str
    file: str | None = None
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    line: int | None = None

    @property
    def place(self) -> Place:
        return Place(self.file, self.sheet, self.row, self.column, self.line)

    def __str__(self) -> str:
        head = str(self.place)
        return f"{head}: {self.message}" if head else self.message

    def at(self, message: str, column: str | None = None) -> Problem:
        """Another problem at the same place (in `column` when given)."""
        return self.place.at(message, column)


class SarcoformError(Exception):
    """Base class of every error sarcoform raises."""

    exit_code = 3


class InputError(SarcoformError):
    """Bad input: one or more located problems. Exit code 2."""

    exit_code = 2

    def __init__(self, problems: list[Problem] | Problem | str) -> None:
        if isinstance(problems, str):
            problems = [Problem(problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        super().__init__(self.summary())

    def summary(self) -> str:
        first = str(self.problems[0]) if self.problems else "invalid input"
        more = len(self.problems) - 1
        return first if more == 0 else f"{first} (and {more} more problem{'s' * (more > 1)})"


class UsageError(InputError):
    """A command-line or API call that cannot be carried out as given. Exit code 2."""


class SolverError(SarcoformError):
    """The solver failed or is missing. Exit code 3."""


class ProblemCollector:
    """Gathers problems while an importer reads everything, then raises once."""

    def __init__(self, file: str | None = None, sheet: str | None = None) -> None:
        self.file = file
        self.sheet = sheet
        self.problems: list[Problem] = []

    def add(
        self,
        message: str,
        *,
        row: int | None = None,
        column: str | None = None,
        line: int | None = None,
        sheet: str | None = None,
    ) -> None:
        self.problems.append(Problem(message, self.file, sheet or self.sheet, row, column, line))

    def extend(self, problems: list[Problem]) -> None:
        self.problems.extend(problems)

    def raise_if_any(self) -> None:
        if self.problems:
            raise InputError(self.problems)

    def __bool__(self) -> bool:
        return bool(self.problems)
