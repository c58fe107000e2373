"""Food tables as CSV: UTF-8, one header row, comma (or semicolon/tab) separated."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

from ..errors import InputError, Problem
from ..model.foods import Cell, FoodTable
from ..model.plausibility import checked
from .files import FORMULA_STARTS, read_text, write_csv


def read_foods_csv(path: Path | str, *, label: str | None = None) -> FoodTable:
    """Read and validate a food table; every problem is reported with row and column."""
    name = label or str(path)
    header, cells = read_csv_cells(path, name)
    return checked(FoodTable.from_records(header, cells, origin=name))


def read_csv_cells(path: Path | str, name: str) -> tuple[list[str], list[list[Cell]]]:
    """Header and rows of a CSV file (comma, semicolon or tab separated) as text cells."""
    text = read_text(path)
    try:
        dialect = csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=",;\t")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    try:
        rows = list(csv.reader(io.StringIO(text), delimiter=delimiter, strict=True))
    except csv.Error as err:
        raise InputError(Problem(f"not valid CSV: {err}", name)) from None
    header, *body = rows
    return [_unescape(c) for c in header], [[_unescape(c) for c in row] for row in body]


def _unescape(cell: str) -> str:
    # csv_safe() writes "'=x" for a text "=x"; read it back as the text it was.
    if cell.startswith("'") and cell[1:].startswith(FORMULA_STARTS):
        return cell[1:]
    return cell


def write_foods_csv(foods: FoodTable, path: Path | str) -> None:
    """The table as CSV, written atomically; whole numbers without ".0" (12, not 12.0)."""
    write_csv(foods.columns, ([_whole(v) for v in record.values()] for record in foods.records()), path)


def _whole(value: Cell) -> Cell:
    if isinstance(value, float) and math.isfinite(value) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    return value
