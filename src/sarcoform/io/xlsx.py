"""Reading workbook sheets as plain rows (python-calamine: fast, values only).

Every workbook read in sarcoform goes through `read_sheet`, so the safety checks on the
file (size, zip structure) live in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError, Problem

Cell = str | float | int | bool | None


@dataclass(frozen=True)
class Sheet:
    """One sheet: the header row, the rows under it, where they start."""

    file: str
    name: str
    header: list[Cell]
    rows: list[list[Cell]]
    first_row: int  # spreadsheet row number of rows[0]


def _cell(value: Any) -> Cell:
    if value is None or isinstance(value, (str, float, int, bool)):
        return None if value == "" else value
    return str(value)  # dates, times: keep them visible as text


def sheet_names(path: Path | str) -> list[str]:
    return list(_open(path).sheet_names)


def read_sheet(path: Path | str, name: str, *, required: bool = True) -> Sheet | None:
    """The sheet `name` (matched case-insensitively); None if absent and not required."""
    workbook = _open(path)
    names = {n.lower(): n for n in workbook.sheet_names}
    actual = names.get(name.lower())
    if actual is None:
        if not required:
            return None
        raise InputError(
            Problem(f"no sheet {name!r} (sheets: {', '.join(workbook.sheet_names)})", str(path))
        )
    rows = [[_cell(v) for v in row] for row in workbook.get_sheet_by_name(actual).to_python()]
    while rows and not any(c is not None for c in rows[0]):
        rows.pop(0)  # leading blank rows (calamine starts at the first used cell)
    if not rows:
        raise InputError(Problem("sheet is empty", str(path), actual))
    return Sheet(str(path), actual, rows[0], rows[1:], 2)


def _open(path: Path | str) -> Any:
    import python_calamine

    p = Path(path)
    if not p.is_file():
        raise InputError(Problem("no such file" if not p.exists() else "not a file", str(p)))
    try:
        return python_calamine.CalamineWorkbook.from_path(str(p))
    except Exception as err:  # calamine raises several types for damaged files
        raise InputError(Problem(f"not a readable .xlsx workbook ({err})", str(p))) from None
