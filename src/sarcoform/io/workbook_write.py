"""Writing input workbooks (and the input sheets of results workbooks) with openpyxl.

Cells are written so that a workbook reads back exactly:

* text from inputs is always a text cell (`data_type = "s"`): openpyxl would otherwise
  store "=HYPERLINK(…)" as a formula and "#N/A" as an error. Characters XML cannot
  hold (control characters, a lone carriage return) and whitespace-only text are
  escaped the way Excel does (`_x000D_`), which calamine, Excel and LibreOffice decode;
* numbers are written with `repr` (shortest exact form): openpyxl's own "%.16g" loses
  the last bit of some doubles (0.1 + 0.2 comes back as 0.3); numpy numbers as Python
  numbers; NaN, infinities and pandas' NA as blank cells.

Every sheet sarcoform writes goes through `write_rows` (or `put` for single cells), in
normal and in write-only workbooks, and every workbook through `save`.

openpyxl is imported inside the functions: `sarcoform solve` never pays for it.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InputError, Problem, SarcoformError
from ..model import args
from ..model.args import renamed_keyword
from ..model.brief import BASES, BASIS_PHRASES, DEFAULT_BATCH_KG, Brief
from ..model.companions import companion_about, companion_of
from ..model.foods import ALLERGEN_COLUMNS, ALLERGENS, FLAG_COLUMNS, FoodTable
from ..model.sections import Column
from ..model.units import label, split_column
from .files import atomic_output, plain
from .workbook import (
    BASIS_HELP,
    FOODS,
    LIST_SHEETS,
    README,
    SETTINGS,
    SETTINGS_KEYS,
    ListSheet,
    join_list,
    join_mapping,
)
from .xlsx import column_letter

if TYPE_CHECKING:
    from openpyxl import Workbook
    from openpyxl.cell import Cell as XlCell
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet
    from openpyxl.worksheet.worksheet import Worksheet

MAX_CELL_TEXT = 32_767  # Excel's limit; openpyxl would silently cut longer text
WIDTH_ROWS = 200  # column widths are fitted to this many rows
SPARE_ROWS = 1_000  # validation reaches this far below the data, for rows people add
HEADER_FILL = "DDEBF7"
_ESCAPE = re.compile(r"_x[0-9A-Fa-f]{4}_")
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0d\x0e-\x1f\ufffe\uffff]")


def excel_text(text: str) -> str:
    """Text as stored in a cell: Excel's `_xHHHH_` escapes for what XML cannot hold."""
    text = _ESCAPE.sub(lambda m: "_x005F" + m.group(0), text)
    if text and not text.strip():
        # openpyxl marks text that is whitespace by Python's rule (str.strip: "\n\xa0",
        # "\u3000" too) without xml:space="preserve", and readers then drop its XML
        # whitespace (calamine reads "\n\xa0" as "\xa0"): escape its characters instead,
        # those calamine decodes (below U+0100, which holds all of XML's whitespace).
        return "".join(f"_x{ord(c):04X}_" if ord(c) < 0x100 else c for c in text)
    return _UNSAFE.sub(lambda m: f"_x{ord(m.group(0)):04X}_", text)


def put(cell: XlCell, value: Any) -> None:
    """Write a value so that it reads back as itself: text stays text, floats exact."""
    value = plain(value)
    if value is None:
        return
    if isinstance(value, int):  # bool too
        cell.value = value
    elif isinstance(value, float):
        cell.value = repr(value)
        cell.data_type = "n"
    else:
        text = excel_text(str(value))
        if len(text.encode("utf-16-le")) // 2 > MAX_CELL_TEXT:
            sheet = cell.parent.title
            raise InputError(
                Problem(
                    f"text of {len(text):,} characters does not fit an Excel cell (limit {MAX_CELL_TEXT:,})",
                    None,
                    sheet,
                    cell.row,
                    column_letter(cell.column),
                )
            )
        cell.value = text
        cell.data_type = "s"  # never a formula, error or number, whatever it looks like


def write_rows(
    ws: Worksheet | WriteOnlyWorksheet,
    header: Sequence[Any],
    rows: Iterable[Sequence[Any]],
    *,
    table: str | None = None,
    freeze: str = "A2",
    start_row: int = 1,
    widths: bool = True,
    formats: Mapping[int, str] | None = None,
) -> int:
    """A header row and data rows; optionally an Excel table over them. Returns the last row.

    `formats` maps a column (1-based) to the number format of its numbers. A write-only
    sheet (large outputs) must be empty and gets no table.
    """
    from openpyxl.styles import Font, PatternFill
    from openpyxl.worksheet.table import Table, TableStyleInfo

    write_only = _write_only(ws)
    if write_only and (table is not None or start_row != 1):
        raise ValueError("a write-only sheet is written from row 1, without a table")
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor=HEADER_FILL)
    rows = iter(rows)
    first = list(itertools.islice(rows, WIDTH_ROWS))  # what the column widths are fitted to
    if widths:
        longest = [len(str(h)) for h in header]
        for row in first:
            for k, value in enumerate(row[: len(longest)]):
                if value is not None:
                    longest[k] = max(longest[k], len(str(value)))
        for k, width in enumerate(longest, start=1):
            ws.column_dimensions[column_letter(k)].width = min(max(width + 2, 8), 60)
    if freeze:
        ws.freeze_panes = freeze  # a write-only sheet takes layout before its first row
    header_cells = []
    for k, name in enumerate(header, start=1):
        cell = _cell_at(ws, start_row, k)
        put(cell, name)
        cell.font = bold
        if table is None:
            cell.fill = fill
        header_cells.append(cell)
    if write_only:
        ws.append(header_cells)
    last = start_row
    for last, row in enumerate(itertools.chain(first, rows), start=start_row + 1):
        cells: list[XlCell | None] = []
        for k, value in enumerate(row, start=1):
            if plain(value) is None:
                cells.append(None)  # no cell at all: a blank
                continue
            cell = _cell_at(ws, last, k)
            put(cell, value)
            if formats and k in formats and cell.data_type == "n":
                cell.number_format = formats[k]
            cells.append(cell)
        if write_only:
            ws.append(cells)
    if table is not None and header:
        end = max(last, start_row + 1)  # a table needs a data row, even an empty one
        ref = f"A{start_row}:{column_letter(len(header))}{end}"
        excel_table = Table(displayName=table, ref=ref)
        excel_table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
        ws.add_table(excel_table)
    return last


def _write_only(ws: Any) -> bool:
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

    return isinstance(ws, WriteOnlyWorksheet)


def _cell_at(ws: Any, row: int, column: int) -> XlCell:
    """The cell to write: the sheet's own, or a detached one for a write-only sheet."""
    if _write_only(ws):
        from openpyxl.cell import WriteOnlyCell

        cell: XlCell = WriteOnlyCell(ws)
        cell.row, cell.column = row, column  # for messages; append() places it again
        return cell
    return ws.cell(row=row, column=column)


def validate(
    ws: Worksheet,
    ranges: str,
    *,
    choices: Sequence[str] = (),
    source: str | None = None,
    minimum: float | None = None,
    positive: bool = False,
    number: bool = False,
    strict: bool = True,
    prompt: str | None = None,
) -> None:
    """A drop-down list (`choices` or a named range `source`) or a numeric check on cells."""
    from openpyxl.worksheet.datavalidation import DataValidation

    if choices or source:
        formula = source or '"' + ",".join(choices) + '"'
        dv = DataValidation(type="list", formula1=formula, allow_blank=True)
        dv.error = "Pick a value from the list" + ("" if strict else " (other values are allowed)")
    elif positive or minimum is not None:
        dv = DataValidation(
            type="decimal",
            operator="greaterThan" if positive else "greaterThanOrEqual",
            formula1="0" if positive else f"{minimum:g}",
            allow_blank=True,
        )
        dv.error = "A number " + ("> 0" if positive else f"≥ {minimum:g}")
    elif number:
        dv = DataValidation(type="decimal", operator="between", formula1="-1E+300", formula2="1E+300")
        dv.allow_blank = True
        dv.error = "A number"
    else:
        return
    dv.errorStyle = "stop" if strict else "warning"
    dv.showErrorMessage = True
    if prompt:
        dv.prompt = prompt[:255]
        dv.showInputMessage = True
    dv.add(ranges)
    ws.add_data_validation(dv)


# -- the input sheets --------------------------------------------------------------


def foods_hint(column: str, currency: str) -> str:
    """The unit hint of a food-table column: "g/100 g", "USD/kg", "0/1" or ""."""
    if column == "price_per_kg":
        hint = f"{currency}/kg"
    elif column in FLAG_COLUMNS:
        hint = "0/1"
    elif split_column(column):
        hint = f"{label(split_column(column)[1])}/100 g"  # type: ignore[index]
    else:
        return ""
    return hint.replace("(", "").replace(")", "")


def with_hint(name: str, hint: str) -> str:
    return f"{name} ({hint})" if hint else name


def add_input_sheets(wb: Workbook, foods: FoodTable, brief: Brief) -> None:
    """The Foods sheet and the brief's sheets, exactly as an input workbook has them."""
    add_foods_sheet(wb, foods, brief.currency)
    add_settings_sheet(wb, brief)
    for layout in LIST_SHEETS:
        add_list_sheet(wb, layout, _entries(layout, brief), foods)


def add_foods_sheet(wb: Workbook, foods: FoodTable, currency: str) -> None:
    from openpyxl.workbook.defined_name import DefinedName
    from openpyxl.worksheet.datavalidation import DataValidation

    ws = wb.create_sheet(FOODS)
    columns = list(foods.columns)
    header = [with_hint(c, foods_hint(c, currency)) for c in columns]
    rows = ([record[c] for c in columns] for record in foods.records())
    freeze = "C2" if columns[:2] in (["id", "name"], ["name", "id"]) else "A2"
    write_rows(ws, header, rows, table=FOODS, freeze=freeze)
    end = len(foods) + 1 + SPARE_ROWS
    id_col = column_letter(columns.index("id") + 1)
    wb.defined_names["food_ids"] = DefinedName("food_ids", attr_text=f"{FOODS}!${id_col}$2:${id_col}${end}")
    unique = DataValidation(
        type="custom", formula1=f"COUNTIF(${id_col}$2:${id_col}${end},{id_col}2)=1", allow_blank=True
    )
    unique.error = "This id is already used: ids must be unique"
    unique.showErrorMessage = True
    unique.add(f"{id_col}2:{id_col}{end}")
    ws.add_data_validation(unique)
    for k, column in enumerate(columns, start=1):
        letter = column_letter(k)
        cells = f"{letter}2:{letter}{end}"
        if column in FLAG_COLUMNS:
            validate(ws, cells, choices=("0", "1"), prompt=f"{column}: 1 = yes, 0 = no")
        elif column == "price_per_kg" or split_column(column):
            validate(ws, cells, minimum=0, prompt=f"{column}: a number ≥ 0; blank = unknown")


def add_settings_sheet(wb: Workbook, brief: Brief) -> None:
    ws = wb.create_sheet(SETTINGS)
    data = brief.model_dump(by_alias=True)
    rows = []
    for setting in SETTINGS_KEYS:
        value: Any = data
        for part in setting.path:
            value = value.get(part) if isinstance(value, dict) else None
        if setting.kind == "mapping" and value is not None:
            value = join_mapping(value)
        elif isinstance(value, (list, tuple)):
            value = join_list(value) or None
        elif isinstance(value, bool):
            value = "true" if value else "false"  # one of the setting's choices, as text
        rows.append((setting.key, value, setting.about))
    write_rows(ws, ["key", "value", "about"], rows, table=SETTINGS)
    ws.column_dimensions["B"].width = 40
    for row, setting in enumerate(SETTINGS_KEYS, start=2):
        validate(
            ws,
            f"B{row}",
            choices=setting.choices,
            minimum=setting.minimum,
            positive=setting.positive,
            number=setting.kind == "number",
            strict=setting.key != "objective",
            prompt=setting.about,
        )


def _entries(layout: ListSheet, brief: Brief) -> list[dict[str, Any]]:
    """The rows of one brief sheet, keyed like its columns (by the section's shape)."""
    data = brief.model_dump(by_alias=True).get(layout.section) or {}
    section = layout.layout
    if section.shape == "list":
        # Bounds from rule packs come back from the `include` setting: not rows of their own.
        return [dict(entry) for entry in data if not entry.get("pack")]
    if section.shape == "mapping":
        return [{layout.key: name, **entry} for name, entry in data.items()]
    tables = {c: data.get(c) or {} for c in section.values}
    names = dict.fromkeys(n for table in tables.values() for n in table)
    return [
        {layout.key: n, **{c: t.get(n) for c, t in tables.items() if n in t or len(tables) > 1}}
        for n in names
    ]


def add_list_sheet(wb: Workbook, layout: ListSheet, entries: list[dict[str, Any]], foods: FoodTable) -> None:
    ws = wb.create_sheet(layout.name)
    header = [with_hint(c.key, c.hint) for c in layout.columns]
    rows = [[_cell(c, entry.get(c.key)) for c in layout.columns] for entry in entries]
    write_rows(ws, header, rows, table=layout.name)
    end = len(rows) + 1 + SPARE_ROWS
    groups = sorted({g for g in foods.texts.get("group", ()) if g})
    for k, column in enumerate(layout.columns, start=1):
        cells = f"{column_letter(k)}2:{column_letter(k)}{end}"
        if column.refers == "food_id":
            validate(ws, cells, source="food_ids", prompt="An id from the Foods sheet")
        elif column.refers == "food_group" and groups and len(",".join(groups)) < 250:
            validate(ws, cells, choices=groups, strict=False, prompt=column.about)
        else:
            validate(
                ws,
                cells,
                choices=column.choices,
                minimum=column.minimum,
                number=column.kind == "number",
                prompt=column.about,
            )


def _cell(column: Column, value: Any) -> Any:
    if column.kind == "list" and value is not None:
        return join_list(value)
    return value


# -- Read me -----------------------------------------------------------------------


def add_readme(wb: Workbook, foods: FoodTable, brief: Brief, *, results: bool = False) -> None:
    """A sheet explaining every sheet, column, setting and basis."""
    from openpyxl.styles import Alignment, Font

    ws = wb.create_sheet(README)
    lines: list[tuple[str, str] | str] = [
        "sarcoform workbook",
        (
            "What it is",
            "Everything needed to formulate one product: the ingredient table (Foods) and the nutrition"
            " brief (Settings and the bound sheets). Edit the sheets, then run: sarcoform solve BOOK.xlsx -o"
            " RESULT.xlsx. `sarcoform check BOOK.xlsx` lists every problem at once.",
        ),
        (
            "Headers",
            "Row 1 of every sheet holds the column names. A unit hint may follow a name in parentheses,"
            " e.g. 'protein_g (g/100 g)': the reader ignores the hint, the name is what counts. Sheets"
            " other than those below are ignored, so you may add your own.",
        ),
        ("Blank cells", "A blank food value means unknown, never zero (see blank_values in Settings)."),
        ("Text", "Text is always read as text; formulas are read by their last calculated value."),
    ]
    if results:
        lines += [
            "Results sheets",
            ("Summary", "Status, objective, costs per serving / kg / day / batch, solver and verification."),
            (
                "Blend",
                "Grams per serving, % of the serving, kg per batch (batch_size_kg), cost and cost share.",
            ),
            ("Nutrients", "Each nutrient per serving, per day (product only), per 100 g, per 100 kcal."),
            (
                "Constraints",
                "Every bound: value, min, max, slack, binding (highlighted) and shadow price: the change"
                " of the objective per unit of the bound. value as % of min / max is charted.",
            ),
            ("Sensitivity", "Every ingredient: grams, price and reduced cost (objective change per g)."),
            ("Diagnosis", "Only when there is no answer: why, the constraints in conflict and ways out."),
            (
                "Inputs",
                "The Foods and brief sheets used, exactly as in an input workbook: solve this file again.",
            ),
        ]
    lines += [
        "Sheets of the input",
        (FOODS, "One row per ingredient; columns as in a food-table CSV (below)."),
        (SETTINGS, "One setting per row: key | value (the about column is help only)."),
    ]
    lines += [(layout.name, layout.about) for layout in LIST_SHEETS]
    lines.append(f"{FOODS} columns")
    lines += [
        ("id", "Unique ingredient id (required)."),
        ("name", "Ingredient name (required)."),
        ("price_per_kg", f"Price per kg as used, in {brief.currency} (needed when the brief uses cost)."),
        ("group", "Optional group (protein, carbohydrate, …) for group bounds."),
        (
            "tags",
            "Optional tags, ;-separated (dairy;allergen:milk): a group with tag = … takes those foods.",
        ),
        ("<nutrient>_<unit>", "Amount per 100 g as used; unit g, mg, ug, kcal, kj or iu (e.g. leucine_g)."),
        ("high_quality_protein", "1 if the ingredient's protein counts as high quality, else 0."),
        *(
            (
                f"allergen_{a}",
                f"1 if the ingredient contains or is derived from {a}, 0 if not; blank = unknown.",
            )
            for a in ALLERGENS
        ),
        ("source, price_source", "Where the figures come from."),
    ]
    described = {
        "id",
        "name",
        "price_per_kg",
        "group",
        "tags",
        "high_quality_protein",
        "source",
        "price_source",
    }
    described |= set(ALLERGEN_COLUMNS)
    lines += [
        (column, f"{split_column(column)[0]} in {label(split_column(column)[1])} per 100 g")  # type: ignore[index]
        for column in foods.columns
        if column not in described and split_column(column)
    ]
    lines += [(column, companion_about(column)) for column in foods.columns if companion_of(column)]
    lines.append(f"{SETTINGS} keys")
    lines += [
        (s.key, s.about + (f" One of: {', '.join(s.choices)}." if s.choices else "")) for s in SETTINGS_KEYS
    ]
    for layout in LIST_SHEETS:
        lines.append(f"{layout.name} columns")
        lines += [
            (
                c.key,
                c.about + (f" One of: {', '.join(c.choices)}." if c.choices and len(c.choices) < 8 else ""),
            )
            for c in layout.columns
        ]
    lines.append("Bases (NutrientBounds basis)")
    lines += [(basis, f"{BASIS_PHRASES.get(basis, basis)}: {BASIS_HELP.get(basis, '')}") for basis in BASES]
    lines.append("Objectives (Settings objective)")
    lines += [
        ("min_cost", "The cheapest blend that meets every bound."),
        ("max:<nutrient>", "The most of a nutrient per serving (e.g. max:leucine); ties: the cheapest."),
        ("min:<nutrient>", "The least of a nutrient per serving (e.g. min:sucrose); ties: the cheapest."),
    ]
    bold = Font(bold=True, size=12)
    wrap = Alignment(wrap_text=True, vertical="top")
    for row, line in enumerate(lines, start=1):
        if isinstance(line, str):
            put(ws.cell(row=row, column=1), line)
            ws.cell(row=row, column=1).font = bold
            continue
        put(ws.cell(row=row, column=1), line[0])
        put(ws.cell(row=row, column=2), line[1])
        ws.cell(row=row, column=1).font = Font(bold=True)
        ws.cell(row=row, column=2).alignment = wrap
    ws.column_dimensions["A"].width = 28
    ws.column_dimensions["B"].width = 110


# -- whole workbooks -----------------------------------------------------------------


def new_workbook() -> Workbook:
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    return wb


def save(wb: Workbook, path: Path | str) -> None:
    """Save atomically: a temporary file in the same folder, then a rename."""
    try:
        with atomic_output(path, "wb") as f:
            wb.save(f)
    except OSError as err:
        raise SarcoformError(f"cannot write {path}: {err.strerror or err}") from None


@renamed_keyword("spec", "brief")  # keep: old spelling
def write_workbook(foods: FoodTable, brief: Brief, path: Path | str) -> None:
    """An input workbook: Read me, Foods and the brief's sheets (readable by `read_workbook`)."""
    args.expect_path(path, "write_workbook(path)")
    args.expect(foods, FoodTable, "write_workbook(foods)")
    args.expect(brief, Brief, "write_workbook(brief)")
    if Path(path).suffix.lower() != ".xlsx":
        raise InputError(Problem("write workbooks as .xlsx", str(path)))
    wb = new_workbook()
    add_readme(wb, foods, brief)
    add_input_sheets(wb, foods, brief)
    wb.active = 1  # open on Foods
    save(wb, path)


def write_template(foods: FoodTable | None, brief: Brief | None, path: Path | str) -> None:
    """An input workbook prefilled with the embedded ingredients and the default brief."""
    from . import load_brief, load_foods

    brief = brief or load_brief()
    batch_kg = brief.batch_size_kg or DEFAULT_BATCH_KG
    write_workbook(foods or load_foods(), brief.with_changes(batch_size_kg=batch_kg), path)
