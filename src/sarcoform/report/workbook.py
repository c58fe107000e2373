"""The results workbook: readable by people, a plain table per sheet for programs, and a
valid input (it carries the Foods and brief sheets it was solved from).

Sheets: Summary · Blend · Nutrients · Constraints · Sensitivity · one sheet per further
list of result lines (e.g. Unused) · Diagnosis (when there is no answer) · the inputs ·
Read me. Line tables are written from the Result's pydantic line models, every field,
so fields added to the models show up without changes here; a (low, high) range
becomes two columns `<field>_min` and `<field>_max`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from types import UnionType
from typing import TYPE_CHECKING, Any, Union, get_args, get_origin

from pydantic import BaseModel

from ..errors import InputError, Problem
from ..io.workbook_write import (
    add_input_sheets,
    add_readme,
    new_workbook,
    save,
    with_hint,
    write_rows,
)
from ..io.xlsx import column_letter
from ..model.brief import DEFAULT_BATCH_KG, Brief
from ..model.foods import FoodTable
from ..model.result import (
    BlendLine,
    ConstraintLine,
    IngredientLine,
    NutrientLine,
    Result,
)
from .spec_sheet import sheet_with_label
from .spec_xlsx import add_report_sheet
from .text import STATUS_WORDS, practicality, reason_once, shadow_unit
from .workbook_format import format_numbers, number_format, open_ends, print_setup, tidy

if TYPE_CHECKING:
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

BINDING_FILL = "FFF2CC"
NUTRIENT_KINDS = ("nutrient", "ratio", "amino_acid")
# Result list field → sheet name and line model (the model gives the columns when empty).
LINE_SHEETS: dict[str, tuple[str, type[BaseModel]]] = {
    "blend_lines": ("Blend", BlendLine),
    "nutrient_lines": ("Nutrients", NutrientLine),
    "constraint_lines": ("Constraints", ConstraintLine),
    "ingredient_lines": ("Sensitivity", IngredientLine),
}
NUMBER_FORMATS = {"grams": "0.000", "percent": "0.00", "kg_per_batch": "0.000", "cost": "0.0000"}


def write_result_workbook(result: Result, path: Path | str, *, foods: FoodTable, brief: Brief) -> None:
    """Write the results workbook atomically (temporary file, then rename)."""
    if Path(path).suffix.lower() != ".xlsx":
        raise InputError(Problem("write results workbooks as .xlsx", str(path)))
    wb = result_workbook(result, foods=foods, brief=brief)
    save(wb, path)


def result_workbook(result: Result, *, foods: FoodTable, brief: Brief) -> Workbook:
    wb = new_workbook()
    units = Units(result, brief)
    _summary(wb, result, brief, units)
    for attr, sheet, model, lines in _line_lists(result):
        if not lines and not result.ok:
            continue  # no answer: the Summary and Diagnosis say why instead
        ws = wb.create_sheet(sheet)
        extra = _extra_columns(attr, result, units)
        header, rows, keys = line_table(model, lines, extra, units)
        rows = open_ends(keys, rows, lines)
        formats = {k: NUMBER_FORMATS[key] for k, key in enumerate(keys, start=1) if key in NUMBER_FORMATS}
        write_rows(ws, header, rows, table=sheet.replace(" ", ""), freeze="B2", formats=formats)
        format_numbers(ws, keys, [getattr(line, "unit", None) for line in lines])
        if attr == "blend_lines" and rows:
            _blend_chart(ws, keys, len(rows))
        if attr == "constraint_lines" and rows:
            _highlight_binding(ws, keys, lines)
            _bounds_chart(ws, keys, lines)
    if result.diagnosis is not None:
        _diagnosis(wb, result)
    from .realism import add_realism_sheets, with_production

    result = with_production(result, foods, brief)
    add_realism_sheets(wb, result)
    add_input_sheets(wb, foods, brief)
    add_readme(wb, foods, brief, results=True)
    formatted = {sheet for _, sheet, _, _ in _line_lists(result)} | {"Diagnosis"}  # by format_numbers
    for ws in wb.worksheets:
        setup = ws.sheet_properties.pageSetUpPr
        if setup is not None and setup.fitToPage:
            continue  # a sheet laid out for print by its writer keeps its own layout
        if ws.title not in formatted:
            tidy(ws)
        print_setup(ws)
    add_report_sheet(wb, sheet_with_label(result, brief=brief, foods=foods, strict=False))  # first sheet
    return wb


class Units:
    """Unit hints for result columns, from the result's currency and objective."""

    def __init__(self, result: Result, brief: Brief) -> None:
        cur = result.currency
        per = result.objective_unit or "objective units"
        self.batch_kg = brief.batch_size_kg or DEFAULT_BATCH_KG
        self.hints = {
            "grams": "g/serving",
            "percent": "% of serving",
            "cost": f"{cur}/serving",
            "price_per_kg": f"{cur}/kg",
            "price_range": f"{cur}/kg",
            "entry_price": f"{cur}/kg",
            "kg_per_batch": f"kg per {self.batch_kg:g} kg batch",
            "cost_share": "% of cost",
            "shadow_price": f"{per} per unit of the bound",
            "per_day": "product only, without background intake",
            "background": "of value: intake from the rest of the diet",
            "shadow_price_range": "bound units",
            "reduced_cost": f"{per} per g",
            "percent_of_min": "%",
            "percent_of_max": "%",
        }

    def hint(self, key: str) -> str:
        base = (
            key.removesuffix("_min").removesuffix("_max") if key.endswith(("range_min", "range_max")) else key
        )
        return self.hints.get(base, "").replace("(", "").replace(")", "")


def _line_lists(result: Result) -> list[tuple[str, str, type[BaseModel], list[Any]]]:
    """Every list of line models on the Result, known ones first, each with its sheet name."""
    out = []
    for attr, (sheet, model) in LINE_SHEETS.items():
        out.append((attr, sheet, model, list(getattr(result, attr))))
    for attr, info in type(result).model_fields.items():
        if attr in LINE_SHEETS:
            continue
        args = get_args(info.annotation)
        item = args[0] if get_origin(info.annotation) is list and args else None
        if isinstance(item, type) and issubclass(item, BaseModel):
            name = (info.alias or attr).removesuffix("_lines").replace("_", " ").capitalize()
            out.append((attr, name[:31], item, list(getattr(result, attr))))
    return out


def _extra_columns(attr: str, result: Result, units: Units) -> dict[str, Any]:
    """Computed columns: name → function of a line."""
    if attr == "blend_lines":
        total = result.cost_per_serving or 0.0
        return {
            "kg_per_batch": lambda line: line.percent / 100 * units.batch_kg,
            "cost_share": lambda line: 100 * line.cost / total if total > 0 else None,
        }
    if attr == "constraint_lines":
        return {
            "percent_of_min": lambda line: _percent(line.value, line.min),
            "percent_of_max": lambda line: _percent(line.value, line.max),
            "counts": _counts,
            "shadow_price_unit": lambda line: (
                shadow_unit(result.objective_unit, line) if line.binding else None
            ),
        }
    return {}


def _counts(line: ConstraintLine) -> str | None:
    """What a per-meal or per-day value counts: the product alone, or with the rest of the diet."""
    if line.basis not in ("meal", "day", "kg_bw_day"):
        return None
    return "product + background" if line.background else "product only"


def _percent(value: float | None, bound: float | None) -> float | None:
    if value is None or bound is None or bound == 0:
        return None
    return 100 * value / bound


def line_table(
    model: type[BaseModel], lines: Sequence[Any], extra: dict[str, Any], units: Units
) -> tuple[list[str], list[list[Any]], list[str]]:
    """Header (with unit hints), rows and plain column keys, from every field of `model`."""
    keys: list[str] = []
    getters: list[Any] = []
    for name, info in model.model_fields.items():
        values = [getattr(line, name) for line in lines]
        for key, getter in _expand(name, values, _tuple_width(info.annotation)):
            keys.append(key)
            getters.append(getter)
    for key, fn in extra.items():
        keys.append(key)
        getters.append(fn)
    rows = [[_scalar(get(line)) for get in getters] for line in lines]
    header = [with_hint(k, units.hint(k)) for k in keys]
    return header, rows, keys


def _tuple_width(annotation: Any) -> int:
    """2 for `tuple[float | None, float | None] | None`; 0 when not a fixed tuple."""
    options = get_args(annotation) if get_origin(annotation) in (UnionType, Union) else (annotation,)
    for option in options:
        if get_origin(option) is tuple and Ellipsis not in get_args(option):
            return len(get_args(option))
    return 0


def _expand(name: str, values: list[Any], width: int = 0) -> list[tuple[str, Any]]:
    """Columns for one field: itself, or one per part of a range, dict or model."""

    def field(line: Any) -> Any:
        return getattr(line, name)

    sequences = [v for v in values if isinstance(v, (tuple, list))]
    if width or (sequences and all(_is_scalar(x) for v in sequences for x in v)):
        # A declared pair is a range (low, high); other sequences are numbered.
        count = width or max((len(v) for v in sequences), default=0)
        names = ["min", "max"] if width == 2 else [str(k + 1) for k in range(count)]
        return [(f"{name}_{suffix}", _part(name, k)) for k, suffix in enumerate(names)]
    mappings = [_as_dict(v) for v in values if isinstance(v, (dict, BaseModel))]
    if mappings and all(_is_scalar(x) for m in mappings for x in m.values()):
        keys = list(dict.fromkeys(k for m in mappings for k in m))
        return [(f"{name}_{k}", _member(name, k)) for k in keys]
    return [(name, field)]


def _part(name: str, k: int) -> Any:
    def get(line: Any) -> Any:
        value = getattr(line, name)
        return value[k] if isinstance(value, (tuple, list)) and k < len(value) else None

    return get


def _member(name: str, key: str) -> Any:
    def get(line: Any) -> Any:
        value = getattr(line, name)
        return _as_dict(value).get(key) if isinstance(value, (dict, BaseModel)) else None

    return get


def _as_dict(value: Any) -> dict[str, Any]:
    return value.model_dump() if isinstance(value, BaseModel) else dict(value)


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


def _scalar(value: Any) -> Any:
    """A cell value: numbers stay numbers; anything structured becomes JSON text."""
    if _is_scalar(value):
        return value
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json")
    return json.dumps(value, ensure_ascii=False, default=str)


# -- Summary and Diagnosis -------------------------------------------------------------


def _summary(wb: Workbook, result: Result, brief: Brief, units: Units) -> None:
    ws = wb.create_sheet("Summary")
    cur = result.currency
    per_batch = None if result.cost_per_kg is None else result.cost_per_kg * units.batch_kg
    v = result.verification
    rows: list[tuple[str, Any, str, str]] = [
        ("brief", result.brief_name, "", brief.title or ""),
        ("status", result.status, "", _status_words(result)),
        ("objective", result.objective, "", "min_cost, or max:/min:<nutrient> (ties: least cost)"),
        ("objective_value", result.objective_value, result.objective_unit, ""),
        ("cost_per_serving", result.cost_per_serving, cur, ""),
        ("cost_per_kg", result.cost_per_kg, cur, "per kg of product"),
        ("cost_per_day", result.cost_per_day, cur, f"{result.servings_per_day:g} servings a day"),
        ("cost_per_batch", per_batch, cur, f"batch of {units.batch_kg:g} kg (Settings batch_size_kg)"),
        ("batch_size_kg", units.batch_kg, "kg", ""),
        ("serving_g", result.serving_g, "g", ""),
        ("servings_per_day", result.servings_per_day, "", ""),
        ("solver", result.solver, "", f"{result.solve_seconds:.3f} s"),
        ("gap", result.gap, "", "relative MIP gap when stopped early"),
        ("foods", result.foods_origin, "", ""),
    ]
    if v is not None:
        words = (
            f"all {v.checked} bounds re-checked from the food table, independently of the solver"
            if v.ok
            else "; ".join(v.failures)
        )
        rows += [
            ("verified", v.ok, "", words),
            ("max_violation", v.max_violation, "", "largest bound violation found by the re-check"),
        ]
    if result.diagnosis is not None:
        d = result.diagnosis
        rows.append(("why", d.reason, "", "see the Diagnosis sheet"))
        rows += [("conflict", line, "", "") for line in d.explanation]
        rows += [("way_out", _relaxation_words(r), "", "") for r in d.relaxation]
        rows += [("hint", hint, "", "") for hint in d.hints]
    if result.lp_objective_value is not None:
        words = practicality(result) or ""
        rows.append(("lp_optimum", result.lp_objective_value, result.objective_unit, words))
    rows += [("note", note, "", "") for note in result.notes]
    write_rows(ws, ["item", "value", "unit", "about"], rows, table="Summary", freeze="A2")
    for r, (item, value, unit, _) in enumerate(rows, start=2):
        if isinstance(value, float) and not isinstance(value, bool):
            key = "cost" if item in ("objective_value", "lp_optimum") and unit.startswith(cur) else item
            ws.cell(row=r, column=2).number_format = number_format(key, value, unit)
    ws.column_dimensions["B"].width = 28
    status_cell = ws.cell(row=3, column=2)
    from openpyxl.styles import Font

    status_cell.font = Font(bold=True, color="008000" if result.ok else "C00000")


def _status_words(result: Result) -> str:
    words = STATUS_WORDS[result.status]
    if result.status in ("infeasible", "unverified"):
        return f"{words}: see why in the Diagnosis sheet"
    return words


def _relaxation_words(relaxation: dict[str, Any]) -> str:
    text = relaxation.get("text")
    if isinstance(text, str):
        return text
    return ", ".join(f"{k} {v}" for k, v in relaxation.items())


def _diagnosis(wb: Workbook, result: Result) -> None:
    d = result.diagnosis
    assert d is not None
    ws = wb.create_sheet("Diagnosis")
    # Named columns: the relaxation entries' own keys (constraint, bound, from, to, …).
    keys = list(dict.fromkeys(k for r in d.relaxation for k in r if k not in ("text", "label")))
    keys = ["constraint", *(k for k in keys if k != "constraint")]
    rows: list[list[Any]] = [["reason", reason_once(d.reason, d.explanation)]]
    names = list(d.conflict)
    words = list(d.explanation)
    for k in range(max(len(names), len(words))):
        rows.append(["conflict", words[k] if k < len(words) else None, names[k] if k < len(names) else None])
    for r in d.relaxation:
        rows.append(["way out", _relaxation_words(r), *(_scalar(r.get(k)) for k in keys)])
    rows += [["hint", hint] for hint in d.hints]
    header = ["item", "description", *keys]
    write_rows(ws, header, rows, table="Diagnosis", freeze="A2")
    format_numbers(ws, ["item", "description", *keys], [None] * len(rows))
    ws.column_dimensions["B"].width = 60


# -- formatting and charts -----------------------------------------------------------


def _highlight_binding(ws: Worksheet, keys: list[str], lines: Sequence[ConstraintLine]) -> None:
    from openpyxl.styles import Font, PatternFill

    fill = PatternFill("solid", fgColor=BINDING_FILL)
    bold = Font(bold=True)
    for row, line in enumerate(lines, start=2):
        if line.binding:
            for k in range(1, len(keys) + 1):
                ws.cell(row=row, column=k).fill = fill
            ws.cell(row=row, column=keys.index("binding") + 1).font = bold


def _blend_chart(ws: Worksheet, keys: list[str], n: int) -> None:
    from openpyxl.chart import BarChart, Reference

    chart = BarChart()
    chart.type = "bar"
    chart.title = "Blend composition (% of the serving)"
    chart.y_axis.title = "% of serving"
    chart.legend = None
    data = Reference(ws, min_col=keys.index("percent") + 1, min_row=1, max_row=n + 1)
    names = Reference(ws, min_col=keys.index("name") + 1, min_row=2, max_row=n + 1)
    chart.add_data(data, titles_from_data=True)
    _text_categories(chart, names)
    chart.height = max(7.5, 0.6 * n + 3)
    chart.width = 18
    ws.add_chart(chart, f"{column_letter(len(keys) + 2)}2")


def _bounds_chart(ws: Worksheet, keys: list[str], lines: Sequence[ConstraintLine]) -> None:
    """value as % of min and of max, for the nutrient, ratio and amino-acid bounds."""
    from openpyxl.chart import BarChart, Reference

    rows = [k for k, line in enumerate(lines, start=2) if line.kind in NUTRIENT_KINDS]
    if not rows:
        return
    first, last = rows[0], rows[-1]
    if last - first + 1 != len(rows):  # not one block: chart every constraint
        first, last = 2, len(lines) + 1
    chart = BarChart()
    chart.type = "bar"
    chart.title = "Nutrients against their bounds (value as % of min and of max; 100 % = binding)"
    chart.x_axis.title = None
    chart.y_axis.title = "% of bound"
    chart.y_axis.scaling.min = 0
    chart.y_axis.scaling.max = 300
    for key in ("percent_of_min", "percent_of_max"):
        col = keys.index(key) + 1
        chart.add_data(Reference(ws, min_col=col, min_row=first, max_row=last), titles_from_data=False)
    chart.series[0].tx = _series_title("value as % of min")
    chart.series[1].tx = _series_title("value as % of max")
    _text_categories(chart, Reference(ws, min_col=keys.index("label") + 1, min_row=first, max_row=last))
    chart.height = max(9.0, 0.55 * (last - first + 1) + 3)
    chart.width = 22
    ws.add_chart(chart, f"{column_letter(len(keys) + 2)}2")


def _text_categories(chart: Any, labels: Any) -> None:
    """Category labels are text (openpyxl's set_categories would declare numbers), and
    both axes are shown (openpyxl 3.1 leaves them to the reader, and Excel hides them)."""
    from openpyxl.chart.data_source import AxDataSource, StrRef

    for series in chart.series:
        series.cat = AxDataSource(strRef=StrRef(f=str(labels)))
    chart.x_axis.delete = False
    chart.y_axis.delete = False


def _series_title(text: str) -> Any:
    from openpyxl.chart.series import SeriesLabel

    return SeriesLabel(v=text)
