"""One input convention for every command: which food table and which brief a run uses.

Forms (the same for `solve`, `check`, `frontier`, `diff`, `batch`, `multiblend`, …):

- `BOOK.xlsx` as the argument: its Foods sheet and its brief sheets;
- `-f FOODS` and/or `-c BRIEF` (a preset name, .toml or .xlsx);
- any mix: an explicit `-f`/`-c` replaces that half of the book.

A workbook's own Foods sheet is always used: `-c BOOK.xlsx` takes its foods from BOOK, not
from the embedded table. Whenever a part a workbook carries is replaced, or missing and
replaced by a default, `Inputs.notes` says so, for the command to show first.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TypeGuard

from ..errors import UsageError
from ..model.brief import Brief
from ..model.foods import FoodTable
from . import WORKBOOK_SUFFIXES, load_brief, load_foods

FOODS_SHEET, BRIEF_SHEET = "foods", "settings"
EMBEDDED = "the embedded food table"


@dataclass(frozen=True)
class Inputs:
    """The food table and brief of a run, where each came from, and what the user should know."""

    foods: FoodTable
    brief: Brief
    foods_from: str
    brief_from: str
    notes: tuple[str, ...] = ()


def is_workbook(source: Path | str | None) -> TypeGuard[Path | str]:
    return source is not None and Path(source).suffix.lower() in WORKBOOK_SUFFIXES


def has_sheet(path: Path | str, name: str) -> bool:
    """Whether workbook `path` has sheet `name` (any case); an unreadable file raises its InputError."""
    from .xlsx import sheet_names

    return name.lower() in (n.lower() for n in sheet_names(path))


def resolve_inputs(
    book: Path | str | None = None,
    foods: Path | str | None = None,
    constraints: Path | str | None = None,
) -> Inputs:
    """The food table and brief named by a command line: `BOOK.xlsx`, `-f FOODS`, `-c BRIEF`.

    Raises UsageError when BOOK is not a workbook, InputError for unreadable inputs.
    """
    if book is not None and not is_workbook(book):
        raise UsageError(f"{book}: give a workbook (.xlsx) here, or use --foods F.csv --constraints C.toml")
    notes: list[str] = []
    brief_source = constraints if constraints is not None else book
    if brief_source is None and is_workbook(foods) and has_sheet(foods, BRIEF_SHEET):
        brief_source = foods  # `-f BOOK.xlsx` alone: the book's own brief, not the default
        notes.append(f"brief: the one in {foods} (give -c to use another)")
    elif book is not None and constraints is not None and has_sheet(book, BRIEF_SHEET):
        notes.append(f"brief: {constraints} (--constraints), not the one in {book}")
    food_source, foods_from = _food_source(book, foods, constraints, notes)
    brief = load_brief(brief_source)
    brief_from = str(brief_source) if brief_source is not None else f"{brief.name} (default brief)"
    table = load_foods(food_source)
    return Inputs(table, brief, foods_from, brief_from, tuple(notes))


def _food_source(
    book: Path | str | None, foods: Path | str | None, constraints: Path | str | None, notes: list[str]
) -> tuple[Path | str | None, str]:
    """Where the foods come from: -f, else the first workbook given that has a Foods sheet."""
    books = [b for b in (book, constraints) if is_workbook(b)]
    with_foods = [b for b in books if has_sheet(b, FOODS_SHEET)]
    if foods is not None:
        for b in with_foods:
            if Path(b) != Path(foods):
                notes.append(f"foods: {foods} (--foods), not the Foods sheet of {b}")
        return foods, f"{foods} [Foods]" if is_workbook(foods) else str(foods)
    if with_foods:
        first = with_foods[0]
        notes += [
            f"foods: {first} [Foods], not the Foods sheet of {b}"
            for b in with_foods[1:]
            if Path(b) != Path(first)
        ]
        return first, f"{first} [Foods]"
    for b in books:
        notes.append(f"foods: {b} has no Foods sheet, so {EMBEDDED} is used")
    return None, EMBEDDED
