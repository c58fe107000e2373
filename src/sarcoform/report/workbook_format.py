"""A results workbook people can send: number formats by unit, open range ends written as
open, and print setup (landscape, one page wide, header row repeated, page numbers).

Money shows 4 decimals, grams 3, percentages 1; small rates (shadow prices, reduced
costs) 4 significant digits. The stored values keep full precision: only the display
is rounded.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..io.xlsx import column_letter
from ..model.units import label, split_column

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

MONEY, GRAMS, PERCENT, SCIENTIFIC = "0.0000", "0.000", "0.0", "0.00E+00"
OPEN = "open"
ONE_PAGE_ROWS = 50  # a sheet this short prints on one page
WIDE_COLUMNS = 16  # a chartless sheet wider than this prints on several pages across
WRAP_AT = 36  # characters: wider text columns wrap
NEVER = "never at a price ≥ 0"
MONEY_KEYS = {
    "cost",
    "price_per_kg",
    "price_range_min",
    "price_range_max",
    "entry_price",
    "cost_per_serving",
    "cost_per_kg",
    "cost_per_day",
    "cost_per_batch",
}
RATE_KEYS = {"shadow_price", "reduced_cost", "max_violation"}
PERCENT_KEYS = {"percent", "cost_share", "percent_of_min", "percent_of_max"}
GRAM_KEYS = {"grams", "kg_per_batch", "serving_g"}
# Columns counted in the row's own unit (nutrient amounts, bound values and ranges).
ROW_UNIT_KEYS = {
    "value",
    "min",
    "max",
    "slack",
    "background",
    "shadow_price_range_min",
    "shadow_price_range_max",
    "per_serving",
    "per_day",
    "per_100g",
    "per_100kcal",
}
BY_UNIT = {"g": GRAMS, "mg": "0.0", "µg": "0.00", "kcal": "0.0", "kJ": "0.0", "%": PERCENT, "mg/g": "0.0"}


def number_format(key: str, value: float, unit: str | None = None) -> str:
    """The display format of a number in column `key` (of a row in `unit`)."""
    if key in MONEY_KEYS:
        return MONEY
    if key in RATE_KEYS:
        return SCIENTIFIC if value and abs(value) < 0.01 else MONEY
    if key in PERCENT_KEYS:
        return PERCENT
    if key in GRAM_KEYS:
        return GRAMS
    if key in ROW_UNIT_KEYS and unit is not None:
        first = unit.split(" ")[0]
        if len(first) == 3 and first.isalpha() and first.isupper():  # a currency (ISO 4217): money
            return MONEY
        return BY_UNIT.get(first, GRAMS)
    return "0" if float(value).is_integer() else GRAMS


def column_format(key: str) -> str:
    """The format of a whole column of floats named `key` (batch tables: `grams.<id>`,
    `per_serving.<column>`, costs, …), for sheets written row by row."""
    head, _, tail = key.partition(".")
    if head == "per_serving" and tail:
        parts = split_column(tail)
        return BY_UNIT.get(label(parts[1]), GRAMS) if parts else GRAMS
    if head == "grams" or key.endswith(("_kg", "_g")):
        return GRAMS
    if key.startswith("cost") or key in MONEY_KEYS or key in ("objective_value", "value_per_kg"):
        return MONEY
    if key in RATE_KEYS:
        return SCIENTIFIC
    return number_format(key, 0.5)


def format_numbers(
    ws: Worksheet, keys: Sequence[str], units: Sequence[str | None], *, first_row: int = 2
) -> None:
    """Give every number cell of a line table its format; fit the columns to what shows, with
    long headers (name and unit) wrapped onto a few lines rather than widening their column."""
    from openpyxl.styles import Alignment

    widths = [0] * len(keys)
    for r, unit in enumerate(units, start=first_row):
        for c, key in enumerate(keys, start=1):
            cell = ws.cell(row=r, column=c)
            value = _number(cell)
            if value is None:
                shown = len(str(cell.value)) if cell.value is not None else 0
                if cell.value in (OPEN, NEVER):
                    cell.alignment = Alignment(horizontal="right")
            else:
                cell.number_format = number_format(key, value, unit)
                shown = len(_shown(value, cell.number_format))
            widths[c - 1] = max(widths[c - 1], shown)
    heights = [1] * len(units)
    for c, width in enumerate(widths, start=1):
        if width > WRAP_AT:  # long text (sources, notes): wrapped in a column of readable width
            for k, r in enumerate(range(first_row, first_row + len(units))):
                cell = ws.cell(row=r, column=c)
                cell.alignment = Alignment(wrap_text=True, vertical="top")
                heights[k] = max(heights[k], math.ceil(len(str(cell.value or "")) / (WRAP_AT * 1.15)))
            widths[c - 1] = WRAP_AT
    for k, lines in enumerate(heights):
        if lines > 1:  # Excel and LibreOffice do not grow a row for wrapped text written by openpyxl
            ws.row_dimensions[first_row + k].height = 12.75 * lines
            for c in range(1, len(keys) + 1):
                cell = ws.cell(row=first_row + k, column=c)
                if not cell.alignment.wrap_text:
                    cell.alignment = Alignment(vertical="top", horizontal=cell.alignment.horizontal)
    lines = 1
    for c, key in enumerate(keys, start=1):
        header = ws.cell(row=first_row - 1, column=c)
        header.alignment = Alignment(wrap_text=True, vertical="top")
        text = str(header.value or key)
        width = min(max(widths[c - 1], min(len(text), 14), 6) + 2, 50)
        ws.column_dimensions[column_letter(c)].width = width
        lines = max(lines, math.ceil(len(text) / (width - 1)))
    ws.row_dimensions[first_row - 1].height = 15 * min(lines, 4)


def _number(cell: Any) -> float | None:
    """The number in a cell (floats are stored as their exact text with type "n"), else None."""
    if cell.data_type != "n" or cell.value is None or isinstance(cell.value, bool):
        return None
    try:
        return float(cell.value)
    except (TypeError, ValueError):
        return None


def _shown(value: float, fmt: str) -> str:
    if fmt == SCIENTIFIC:
        return f"{value:.2E}"
    if fmt == "0":
        return f"{value:.0f}"
    return f"{value:.{len(fmt.partition('.')[2])}f}"


def open_ends(keys: Sequence[str], rows: list[list[Any]], lines: Sequence[Any]) -> list[list[Any]]:
    """Range ends that are open written as "open" (a price range reaching 0 or below is open
    at the bottom: any lower price keeps the blend), a negative entry price as never."""
    position = {k: i for i, k in enumerate(keys)}
    out = []
    for row, line in zip(rows, lines, strict=True):
        row = list(row)
        for field, floor in (("price_range", 0.0), ("shadow_price_range", None)):
            whole = getattr(line, field, None)
            if whole is None or f"{field}_min" not in position:
                continue  # not computed: left blank
            lo, hi = position[f"{field}_min"], position[f"{field}_max"]
            if row[lo] is None or (floor is not None and row[lo] <= floor):
                row[lo] = OPEN
            if row[hi] is None:
                row[hi] = OPEN
        k = position.get("entry_price")
        if k is not None and isinstance(row[k], (int, float)) and row[k] < 0:
            row[k] = NEVER
        out.append(row)
    return out


def print_setup(ws: Any, *, rows: int | None = None, landscape: bool = True) -> None:
    """Landscape A4, one page wide (and one page tall when short), the header row on every
    page, the sheet name above and page numbers below.

    A write-only sheet (large batch outputs) takes this before its rows: give `rows` if known.
    """
    rows = getattr(ws, "max_row", None) if rows is None else rows
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.paperSize = 9  # A4 (openpyxl Worksheet.PAPERSIZE_A4; write-only sheets lack the name)
    columns = getattr(ws, "max_column", 0)
    wide = columns > WIDE_COLUMNS and not getattr(ws, "_charts", None)
    # A wide table without a chart (the Foods sheet) spreads over pages across, its first two
    # columns (id, name) repeated; a sheet with a chart stays one page wide, chart included.
    ws.page_setup.fitToWidth = math.ceil(columns / WIDE_COLUMNS) if wide else 1
    ws.page_setup.fitToHeight = 1 if rows is not None and rows <= ONE_PAGE_ROWS and not wide else 0
    if wide:
        ws.print_title_cols = "A:B"
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.gridLines = False
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.75
    ws.page_margins.header = ws.page_margins.footer = 0.3
    if rows is None or rows > 1:
        ws.print_title_rows = "1:1"
    ws.oddHeader.center.text = "&A"
    ws.oddFooter.center.text = "page &P of &N"


def tidy(ws: Worksheet, *, widest: float = 48.0) -> None:
    """A sheet written by others (inputs, Read me) made printable: columns wider than `widest`
    wrap at that width, and rows with wrapped text get the height their lines need (openpyxl
    writes none, so Excel and LibreOffice would let the text run over the next rows)."""
    from openpyxl.styles import Alignment

    widths: dict[int, float] = {}
    for dim in ws.column_dimensions.values():
        if dim.width and dim.width > widest:
            dim.width = widest
    for row in ws.iter_rows():
        lines = 1
        for cell in row:
            if not isinstance(cell.value, str):
                continue
            letter = column_letter(cell.column)
            width = widths.setdefault(cell.column, ws.column_dimensions[letter].width or 8.43)
            if len(cell.value) > width * 1.15 or "\n" in cell.value:
                cell.alignment = Alignment(
                    wrap_text=True, vertical="top", horizontal=cell.alignment.horizontal
                )
                parts = cell.value.split("\n")
                lines = max(lines, sum(max(1, math.ceil(len(p) / (width * 1.15))) for p in parts))
        if lines > 1 and ws.row_dimensions[row[0].row].height is None:
            ws.row_dimensions[row[0].row].height = 12.75 * min(lines, 30)
