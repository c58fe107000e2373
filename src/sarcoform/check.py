"""`sarcoform check`: every problem in a set of inputs, found in one pass."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from .errors import InputError, Problem
from .io import WORKBOOK_SUFFIXES, load_foods, load_spec
from .model.foods import FoodTable
from .model.spec import ConstraintSet


def check_inputs(paths: Sequence[Path | str]) -> list[Problem]:
    """Read every input, then compile each brief over each food table.

    Returns all problems (empty when everything is usable).
    """
    problems: list[Problem] = []
    tables: list[FoodTable] = []
    specs: list[ConstraintSet] = []
    for path in map(Path, paths):
        suffix = path.suffix.lower()
        readers = []
        if suffix in (".csv", ".tsv", ".txt") or suffix in WORKBOOK_SUFFIXES:
            readers.append((load_foods, tables))
        if suffix == ".toml" or suffix in WORKBOOK_SUFFIXES:
            readers.append((load_spec, specs))
        if not readers:
            problems.append(
                Problem(
                    f"unknown input type {suffix or '(none)'!r}: give .csv, .toml or .xlsx files", str(path)
                )
            )
        for read, into in readers:
            try:
                into.append(read(path))  # type: ignore[operator]
            except InputError as err:
                problems.extend(p for p in err.problems if p not in problems)
    if not problems:
        from .solve.compile import compile_brief

        for spec in specs or [load_spec()]:
            for foods in tables or [load_foods()]:
                try:
                    compile_brief(foods, spec)
                except InputError as err:
                    problems.extend(err.problems)
    return problems
