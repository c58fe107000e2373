"""Food tables as CSV: UTF-8, one header row, comma (or semicolon/tab) separated."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

from ..errors import InputError, Problem
from ..model.foods import Cell, FoodTable
from .files import FORMULA_STARTS, csv_safe, read_text, write_text


def read_foods_csv(path: Path | str, *, label: str | None = None) -> FoodTable:
    """Read and validate a food table; every problem is reported with row and column."""
    name = label or str(path)
    header, cells = read_csv_cells(path, name)
    return FoodTable.from_records(header, cells, origin=name)


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
    return header, [[_unescape(c) for c in row] for row in body]


def _unescape(cell: str) -> str:
    # csv_safe() writes "'=x" for a text "=x"; read it back as the text it was.
    if cell.startswith("'") and cell[1:].startswith(FORMULA_STARTS):
        return cell[1:]
    return cell


def foods_to_csv(foods: FoodTable) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    # Python 3.12's writer leaves a lone "\r" unquoted (it only looks for the line
    # terminator), which no reader accepts: such rows are written fully quoted.
    quoted = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writerow(foods.columns)
    for record in foods.records():
        cells = [_cell(v) for v in record.values()]
        (quoted if any("\r" in c for c in cells) else writer).writerow(cells)
    return out.getvalue()


def write_foods_csv(foods: FoodTable, path: Path | str) -> None:
    write_text(path, foods_to_csv(foods))


def _cell(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    return csv_safe(str(value))
