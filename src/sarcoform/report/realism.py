"""Terminal sections for production realism: lot variability (chance constraints)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from ..errors import InputError
from ..model.result import MonteCarloLine, ProductionPlan, Result
from .text import _num, fixed_width_table, print_summary, prose

if TYPE_CHECKING:
    from openpyxl import Workbook
    from rich.console import Console

    from ..model.brief import Brief
    from ..model.foods import FoodTable


def print_result(result: Result, console: Console, *, title: str | None = None) -> None:
    """The terminal summary of a result, then its production-realism sections."""
    print_summary(result, console, title=title)
    print_realism(result, console)


def print_realism(result: Result, console: Console) -> None:
    """Shelf-life overages; chance-constrained bounds, the Monte Carlo of lots and the
    cost of assurance."""
    from rich.text import Text

    process = result.processing
    if process is not None:
        kept = ", ".join(f"{k} {v:.0%}" for k, v in process.retention.items()) or "none given"
        prose(
            console,
            f"Processing: {process.raw_g_per_serving:.4g} g of raw materials make a"
            f" {process.finished_g_per_serving:.4g} g serving"
            f" (moisture {process.moisture_change_percent:+g} %);"
            f" nutrients kept: {kept}",
        )
    life = result.shelf_life
    if life is not None and life.overages:
        fixed_width_table(
            console,
            f"Overages for {life.months:g} months of shelf life (per serving)",
            ["nutrient", "at manufacture", "at end", "retained", "overage"],
            [
                [
                    f"{o.nutrient} ({o.unit})",
                    _num(o.per_serving),
                    _num(o.per_serving_end),
                    "–" if o.retention is None else f"{o.retention:.1%}",
                    "–" if o.overage_percent is None else f"{o.overage_percent:.1f} %",
                ]
                for o in life.overages
            ],
        )
    v = result.variability
    if v is None:
        return
    chance = [c for c in result.constraint_lines if c.probability_target is not None]
    simulated: dict[tuple[str, str], MonteCarloLine] = {(m.constraint, m.side): m for m in v.monte_carlo}
    rows = []
    for c in chance:
        sides = [s for s in ("min", "max") if getattr(c, s) is not None]
        rates = [simulated.get((c.name, s)) for s in sides]
        mc = " / ".join(f"{m.pass_rate:.2%}" for m in rates if m is not None)
        rows.append(
            [
                f"{'●' if c.binding else ' '} {c.label}",
                _num(c.value),
                _num(c.sd, 3),
                _num(c.value_assured),
                f"{c.probability_target:.1%}",
                "–" if c.probability is None else f"{c.probability:.2%}",
                mc or "–",
            ]
        )
    if rows:
        fixed_width_table(
            console,
            f"Ingredient lots (normal, independent): each side holds with its target probability"
            f" — {v.iterations} LP solves, {v.cuts} cuts, violation {v.max_violation:.0e}",
            ["constraint", "mean", "σ", "at target", "target", "probability", f"{v.lots:,} lots"],
            rows,
            [c.binding for c in chance],
            hang=4,
        )
    unit = v.objective_unit
    parts = [f"at target {_num(v.objective_value, 6)}"]
    if v.mean_value_objective is not None:
        parts.append(
            f"mean values {_num(v.mean_value_objective, 6)} (assurance costs {_num(v.cost_of_assurance, 3)})"
        )
    if v.safety_margin_objective is not None:
        parts.append(
            f"flat margins mean − z·σ {_num(v.safety_margin_objective, 6)}"
            f" (saves {_num(v.saving_vs_safety_margin, 3)})"
        )
    else:
        parts.append(f"flat margins mean − z·σ: {v.safety_margin_status}")
    # One part a line: the terminal output keeps within its width (no line is wrapped).
    console.print(Text(f"Cost of assurance ({unit}): {parts[0]}"))
    for part in parts[1:]:
        console.print(Text(f"  {part}"))
    every = simulated.get(("all", "both"))
    if every is not None:
        console.print(
            Text(
                f"Monte Carlo of {v.lots:,} simulated lots (seed {v.seed},"
                f" {v.monte_carlo_seconds or 0:.2f} s): {every.pass_rate:.2%} meet every"
                "\n  chance-constrained bound at once",
                style="dim",
            )
        )


def with_production(result: Result, foods: FoodTable, brief: Brief) -> Result:
    """The result with its production sheet (worked out here when it has none yet)."""
    if result.production is not None or not result.ok or not result.blend_lines:
        return result
    from ..solving.production import production_plan

    try:
        plan = production_plan(result, foods, brief, solver="highs" if result.solver == "highs" else "cbc")
    except InputError:  # a result from another table: no sheet rather than a wrong one
        return result
    return result.model_copy(update={"production": plan})


def print_production(plan: ProductionPlan, console: Console, currency: str) -> None:
    """The production sheet: weigh-up in order of addition, the premix, the re-check."""
    from rich.text import Text

    head = (
        f"Production sheet: batch of {plan.batch_kg:g} kg finished product ({plan.servings:,.0f} servings),"
        f" raw materials {plan.raw_kg:.3f} kg; batch scale {plan.scale_resolution_g:g} g,"
        f" premix scale {plan.premix_scale_resolution_g:g} g"
    )
    if plan.moisture_change_percent:
        head += f"; moisture {plan.moisture_change_percent:+g} % in processing"
    fixed_width_table(
        console,
        head,
        ["step  ingredient", "group", "kg (exact)", "kg to weigh", "% of batch"],
        [
            [f"{w.step:>4}  {w.name} ({w.id})", w.group, f"{w.kg_exact:.4f}", _kg(w.kg), f"{w.percent:.3f}"]
            for w in plan.lines
        ],
    )
    if plan.premix:
        fixed_width_table(
            console,
            f"Premix ({plan.premix_kg:.4f} kg; micro-ingredients below {plan.premix_below_percent:g} % of the"
            f" batch, carrier {plan.premix_carrier}): weigh and blend it first, add it at its step",
            ["ingredient", "kg to weigh", "% of premix"],
            [
                [f"{w.name} ({w.id})", _kg(w.kg), _pct(_premix_percent(w.kg, plan.premix_kg))]
                for w in plan.premix
            ],
        )
    v = plan.verification
    cost = (
        ""
        if plan.rounded_cost_per_serving is None
        else f"; {plan.rounded_cost_per_serving:.4f} {currency}/serving"
    )
    if v is not None and v.ok:
        console.print(
            Text.assemble(("✓ rounded formula verified", "green"), f": all {v.checked} bounds hold{cost}")
        )
    elif v is not None:
        console.print(Text.assemble(("✗ the rounded formula breaks bounds", "red"), f" ({len(v.failures)}):"))
        for failure in v.failures:
            console.print(Text(f"  {failure}"))
    for note in plan.notes:
        prose(console, f"note: {note}", "dim")


def _kg(value: float) -> str:
    return f"{value:.4f}".rstrip("0").rstrip(".") if value else "0"


def add_realism_sheets(wb: Workbook, result: Result) -> None:
    """Production (weigh-up and premix), Shelf life and Lots sheets of a results workbook."""
    from ..io.workbook_write import write_rows

    if result.production is not None:
        _production_sheet(wb, result, result.production)
    life = result.shelf_life
    if life is not None:
        ws = wb.create_sheet("Shelf life")
        rows = [
            [o.nutrient, o.unit, o.per_serving, o.per_serving_end, o.retention, o.overage_percent]
            for o in life.overages
        ]
        header = [
            "nutrient",
            "unit",
            "per_serving_manufacture",
            "per_serving_end",
            "retention",
            "overage_percent",
        ]
        write_rows(ws, header, rows, table="ShelfLife")
    v = result.variability
    if v is not None:
        ws = wb.create_sheet("Lots")
        rows = [[m.constraint, m.side, m.target, m.pass_rate, m.standard_error] for m in v.monte_carlo]
        last = write_rows(
            ws, ["constraint", "side", "target", "pass_rate", "standard_error"], rows, table="Lots"
        )
        facts = [
            [k, getattr(v, k)]
            for k in (
                "iterations",
                "cuts",
                "tolerance",
                "max_violation",
                "objective_value",
                "mean_value_objective",
                "safety_margin_objective",
                "cost_of_assurance",
                "saving_vs_safety_margin",
                "objective_unit",
                "lots",
                "seed",
            )
        ]
        write_rows(ws, ["item", "value"], facts, start_row=last + 2, freeze="")


def _production_sheet(wb: Workbook, result: Result, plan: ProductionPlan) -> None:
    """A printable weigh-up: what production signs off step by step."""
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    from ..io.workbook_write import put

    ws = wb.create_sheet("Production")
    bold = Font(bold=True)
    head_fill = PatternFill("solid", fgColor="DDEBF7")
    line = Side(style="thin", color="999999")
    box = Border(top=line, bottom=line, left=line, right=line)
    row = 1

    def cell(r: int, c: int, value: Any, *, fmt: str | None = None, font: Any = None) -> None:
        target = ws.cell(row=r, column=c)
        put(target, value)
        if fmt and target.data_type == "n":
            target.number_format = fmt
        if font is not None:
            target.font = font

    def table(header: list[str], rows: list[list[Any]], formats: dict[int, str]) -> None:
        nonlocal row
        for c, name in enumerate(header, start=1):
            cell(row, c, name, font=bold)
            ws.cell(row=row, column=c).fill = head_fill
            ws.cell(row=row, column=c).border = box
        for values in rows:
            row += 1
            for c, value in enumerate(values, start=1):
                cell(row, c, value, fmt=formats.get(c))
                ws.cell(row=row, column=c).border = box
                # long ingredient names and ids wrap within their column; the row reads top-aligned
                ws.cell(row=row, column=c).alignment = Alignment(wrap_text=c in (2, 3), vertical="top")
            lines = max(math.ceil(len(str(values[1])) / 52), math.ceil(len(str(values[2])) / 24), 1)
            ws.row_dimensions[row].height = 14 * lines + 1
        row += 2

    v = plan.verification
    checked = (
        f"rounded formula verified: all {v.checked} bounds of the brief hold"
        if v is not None and v.ok
        else f"ROUNDED FORMULA BREAKS {len(v.failures) if v else '?'} BOUNDS: see below; use a finer scale"
    )

    def text_row(r: int, text: str, font: Any = None) -> None:
        """A line of text across the sheet's width, wrapped (never wider than the table)."""
        cell(r, 1, text, font=font)
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=8)
        ws.cell(row=r, column=1).alignment = Alignment(wrap_text=True, vertical="top")
        ws.row_dimensions[r].height = 15 * max(1, math.ceil(len(text) / 120))

    cell(row, 1, f"Production sheet · {result.brief_name}", font=Font(bold=True, size=14))
    row += 1
    text_row(
        row,
        f"Batch {plan.batch_kg:g} kg finished product = {plan.servings:,.0f} servings; raw materials"
        f" {plan.raw_kg:.3f} kg (moisture change {plan.moisture_change_percent:+g} %). Batch scale"
        f" {plan.scale_resolution_g:g} g, premix scale {plan.premix_scale_resolution_g:g} g.",
    )
    row += 1
    text_row(row, checked, font=Font(bold=True, color="008000" if v is not None and v.ok else "C00000"))
    row += 2
    table(
        ["Step", "Ingredient", "ID", "Group", "kg to weigh", "kg exact", "% of batch", "Weighed by"],
        [[w.step, w.name, w.id, w.group, w.kg, w.kg_exact, w.percent, ""] for w in plan.lines],
        {5: "0.000", 6: "0.0000", 7: "0.000"},
    )
    if plan.premix:
        text_row(
            row,
            f"Premix: {plan.premix_kg:.4f} kg, micro-ingredients below {plan.premix_below_percent:g} % of the"
            f" batch with carrier {plan.premix_carrier}. Weigh and blend it first; add it at its step.",
            font=bold,
        )
        row += 1
        table(
            ["", "Ingredient", "ID", "Group", "kg to weigh", "kg exact", "% of premix", "Weighed by"],
            [
                ["", w.name, w.id, w.group, w.kg, w.kg_exact, _premix_percent(w.kg, plan.premix_kg), ""]
                for w in plan.premix
            ],
            {5: "0.0000", 6: "0.0000", 7: "0.00"},
        )
        composition = [["", k, value] for k, value in plan.premix_composition.items()]
        table(["", "Premix nutrient", "per 100 g"], composition, {3: "0.###"})
    notes = [f"breaks: {f}" for f in (v.failures if v is not None else [])]
    notes += [f"note: {n}" for n in plan.notes]
    if plan.rounded_cost_per_serving is not None:
        notes.insert(0, f"cost as weighed: {plan.rounded_cost_per_serving:.4f} {result.currency} per serving")
    for text in notes:
        text_row(row, text)
        row += 1
    for letter, width in zip("ABCDEFGH", (6, 50, 24, 12, 12, 11, 10, 13), strict=True):
        ws.column_dimensions[letter].width = width
    from .workbook_format import print_setup

    print_setup(ws)


def _premix_percent(kg: float, premix_kg: float) -> float | None:
    """An ingredient's share of the premix; none when the premix rounds to 0 kg (a batch
    too small for the scale: the re-check then says which bounds break)."""
    return 100 * kg / premix_kg if premix_kg > 0 else None


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"
