"""The specification sheet as the first sheet (Report) of a results workbook.

Same content as the PDF (`spec_sheet`), laid out in six columns, numbers stored as
numbers with a format by unit, an A4 print area fitted to one page.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from .spec_sheet import Declared, Kind, SpecSheet, Table, number

if TYPE_CHECKING:
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

SHEET = "Report"
ACCENT = "1F4E79"
SOFT = "EEF3F8"
WIDTHS = (38.0, 18.0, 12.0, 10.0, 16.0, 14.0)  # A–F, in characters
LAST = "F"
FORMATS: dict[Kind, str] = {"g": "0.000", "%": "0.00", "kg": "#,##0.00", "money": "0.0000"}


def add_report_sheet(wb: Workbook, sheet: SpecSheet) -> Worksheet:
    """Write the Report sheet as the first sheet and make it the one that opens."""
    ws = wb.create_sheet(SHEET, 0)
    wb.active = 0
    _Writer(ws, sheet).write()
    return ws


class _Writer:
    def __init__(self, ws: Worksheet, sheet: SpecSheet) -> None:
        self.ws = ws
        self.sheet = sheet
        self.row = 1

    def write(self) -> None:
        from openpyxl.styles import Font

        ws, s = self.ws, self.sheet
        for k, width in enumerate(WIDTHS):
            ws.column_dimensions[chr(ord("A") + k)].width = width
        status = ws.cell(row=1, column=6, value=s.status.upper())
        status.font = Font(bold=True, size=12, color="1E6B34" if s.ok else "A01C1C")
        self.text(s.title, Font(bold=True, size=16, color=ACCENT), last="E")
        self.text(f"{s.subtitle} · {s.generated}", Font(italic=True, color="555555"))
        self.section("Product and brief")
        for label, words in s.facts:
            self.pair(label, words)
        self.section(f"Cost ({s.currency})")
        for k, (label, cost) in enumerate(s.costs):
            self.pair(label, cost, "money", bold=k == 0)
        self.section("Formula")
        if s.formula.rows:
            self.table(s.formula)
        else:
            self.text("No blend meets the brief. " + " · ".join(s.notes), Font(bold=True, color="A01C1C"))
        if s.declaration is not None:
            self.section(s.declaration.title)
            self.table(s.declaration.table)
            for note in s.declaration.notes:
                self.text(note, Font(italic=True, color="555555"))
            self.pair("Allergens", s.declaration.allergens)
            self.pair("Claims", "it qualifies for:" if s.declaration.claims else "none qualifies")
            for claim in s.declaration.claims:
                self.text(f"• {claim}")
        elif s.composition.rows:
            self.section("Composition (calculated)")
            self.table(s.composition)
            self.text(
                "Amounts from the food table, unrounded: not a nutrition declaration.",
                Font(italic=True, color="555555"),
            )
        self.section(s.drivers)
        none = "No bound binds." if s.formula.rows else "No blend: nothing to price (see why under Formula)."
        for sentence in s.binding or (none,):
            self.text(sentence)
        if s.notes and s.formula.rows:
            self.section("Notes")
            for note in s.notes:
                self.text(note)
        if s.production is not None:
            p = s.production
            self.section("Production")
            self.text(p.head, Font(italic=True, color="555555"))
            # one step a row here (the PDF sets two side by side): the ingredient in the wide column
            steps = [(f"{c[0]}. {c[1]}", c[2]) for row in p.steps.rows for c in (row[:3], row[3:]) if c[1]]
            self.table(Table(("Step · ingredient", "kg to weigh"), ("text", "kg"), tuple(steps)))
            if p.premix is not None and p.premix_head is not None:
                self.text(p.premix_head)
                self.table(p.premix)
            self.text(p.check, Font(bold=True, color="1E6B34" if p.ok else "A01C1C"))
        if s.compliance is not None:
            self.section("Regulatory limits (rule packs)")
            self.table(s.compliance)
        self.section("Sources")
        for source in s.sources:
            self.text(source, Font(size=8))
        self.text(s.verification, Font(italic=True, color="1E6B34" if s.ok else "A01C1C"))
        self.print_setup()

    # -- pieces -------------------------------------------------------------------------
    def text(self, value: str, font: Any = None, last: str = LAST) -> None:
        """A line of text across the columns (to `last`), wrapped, the row as tall as it needs."""
        from openpyxl.styles import Alignment

        cell = self.ws.cell(row=self.row, column=1, value=value)
        cell.data_type = "s"  # user text: never a formula
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if font is not None:
            cell.font = font
        self.ws.merge_cells(f"A{self.row}:{last}{self.row}")
        size = font.sz if font is not None and font.sz else 10
        width = sum(WIDTHS[: ord(last) - ord("A") + 1])
        self.ws.row_dimensions[self.row].height = _height(value, width, size)
        self.row += 1

    def section(self, title: str) -> None:
        from openpyxl.styles import Border, Font, PatternFill, Side

        self.row += 1
        for col in range(1, 7):
            cell = self.ws.cell(row=self.row, column=col)
            cell.border = Border(bottom=Side(style="medium", color=ACCENT))
        cell = self.ws.cell(row=self.row, column=1, value=title.upper())
        cell.font = Font(bold=True, color=ACCENT, size=11)
        cell.fill = PatternFill("solid", fgColor=SOFT)
        self.row += 1

    def pair(self, label: str, value: Any, kind: Kind = "text", bold: bool = False) -> None:
        from openpyxl.styles import Alignment, Font

        head = self.ws.cell(row=self.row, column=1, value=label)
        head.font = Font(bold=True)
        cell = self.ws.cell(row=self.row, column=2, value=value)
        if kind == "text":
            cell.data_type = "s"
            self.ws.merge_cells(f"B{self.row}:{LAST}{self.row}")
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            self.ws.row_dimensions[self.row].height = _height(str(value), sum(WIDTHS[1:]), 10)
        else:
            if value is None:
                cell.value = "–"  # unknown: no blend, or a price missing
            cell.number_format = _format(value, kind)
            cell.font = Font(bold=bold, size=12 if bold else 10)
            cell.alignment = Alignment(horizontal="right")
        self.row += 1

    def table(self, t: Table) -> None:
        from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

        for col, (name, kind) in enumerate(zip(t.header, t.kinds, strict=True), start=1):
            cell = self.ws.cell(row=self.row, column=col, value=name)
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor=SOFT)
            cell.alignment = Alignment(
                horizontal="left" if kind == "text" else "right", vertical="bottom", wrap_text=True
            )
        self.ws.row_dimensions[self.row].height = 27  # room for a header on two lines
        self.row += 1
        rows = [*t.rows, *([t.total] if t.total is not None else [])]
        for k, values in enumerate(rows):
            total = t.total is not None and k == len(rows) - 1
            for col, (value, kind) in enumerate(zip(values, t.kinds, strict=True), start=1):
                cell = self.ws.cell(row=self.row, column=col)
                if isinstance(value, Declared):
                    _declared(cell, value)
                elif kind == "percent_ref":
                    cell.value = value
                    cell.number_format = 'General" %"'
                elif kind == "text" or isinstance(value, str):
                    cell.value = "" if value is None else str(value)
                    cell.data_type = "s"
                elif value is not None and not (isinstance(value, float) and math.isnan(value)):
                    cell.value = float(value)
                    cell.number_format = _format(value, kind)
                if total:
                    cell.font = Font(bold=True)
                    cell.border = Border(top=Side(style="thin", color="555555"))
            self.row += 1

    def print_setup(self) -> None:
        ws = self.ws
        ws.print_area = f"A1:{LAST}{self.row - 1}"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.orientation = "portrait"
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 1
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.page_margins.left = ws.page_margins.right = 0.5
        ws.page_margins.top = ws.page_margins.bottom = 0.6
        ws.print_options.horizontalCentered = True
        ws.sheet_view.showGridLines = False
        ws.oddFooter.center.text = "page &P of &N"


def _height(text: str, width: float, size: float) -> float:
    """Row height (points) for `text` wrapped in merged columns `width` characters wide:
    spreadsheets do not grow merged rows to fit."""
    per_line = width * 1.15 * 10 / size  # characters per line at this font size
    return max(1, math.ceil(len(text) / per_line)) * size * 1.35 + 3


def _declared(cell: Any, value: Declared) -> None:
    """A declared value: the number with its unit in the format ('43.7 g'), or the text
    ('<0.5 g', 'unknown') when the standard declares it so."""
    from openpyxl.styles import Alignment

    if value.value is None or value.less_than:
        cell.value = value.text()
        cell.data_type = "s"
        cell.alignment = Alignment(horizontal="right")
    else:
        cell.value = value.value
        cell.number_format = f'General" {value.unit}"'


def _format(value: Any, kind: Kind) -> str:
    """Number format of a cell, showing the digits `number` prints for it (money: 2 decimals
    from 1 up, else 4; amounts: 3 significant figures; tiny % and kg: 2)."""
    if not isinstance(value, (int, float)) or isinstance(value, bool) or math.isnan(value):
        return "General"
    if kind in ("money", "money_words"):
        return "#,##0.00" if abs(value) >= 1 else "0.0000"
    if kind == "g":
        return FORMATS["g"]
    printed = number(float(value), kind).replace(",", "")
    decimals = len(printed.split(".")[1]) if "." in printed else 0
    return "#,##0" + ("." + "0" * decimals if decimals else "")
