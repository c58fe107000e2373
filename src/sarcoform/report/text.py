"""The terminal summary of a result (rich)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..model.result import Result

if TYPE_CHECKING:
    from rich.console import Console


def _num(value: float | None, digits: int = 4) -> str:
    if value is None:
        return "–"
    if value == 0:
        return "0"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.{digits}g}"


def print_summary(result: Result, console: Console, *, title: str | None = None) -> None:
    from rich.table import Table
    from rich.text import Text

    head = Text()
    head.append("sarcoform", style="bold")
    head.append(f" · {result.spec_name}")
    if title:
        head.append(f" — {title}")
    console.print(head)
    style = "green" if result.ok else "red"
    console.print(
        Text.assemble(
            ("Status: ", "bold"),
            (result.status, f"bold {style}"),
            f"  ({result.solver.upper()}, {result.solve_seconds:.2f} s)",
        )
    )
    if result.objective_value is not None:
        console.print(
            f"Objective: {result.objective} = {_num(result.objective_value, 6)} {result.objective_unit}"
        )
    if result.cost_per_serving is not None:
        console.print(
            f"Cost: {_num(result.cost_per_serving)} {result.currency}/serving · "
            f"{_num(result.cost_per_kg)} {result.currency}/kg · "
            f"{_num(result.cost_per_day)} {result.currency}/day "
            f"({_num(result.serving_g)} g serving, {result.servings_per_day:g}/day)"
        )
    if result.diagnosis is not None:
        d = result.diagnosis
        console.print(Text(f"Why: {d.reason}", style="red"))
        for line in d.explanation:
            console.print(f"  • {line}")
        for r in d.relaxation:
            console.print(f"  ↳ {r.get('text') or r}")
        for hint in d.hints:
            console.print(f"  hint: {hint}", style="dim")
    if result.blend_lines:
        blend = Table(title=f"Blend per {_num(result.serving_g)} g serving", title_justify="left")
        for col, justify in (
            ("ingredient", "left"),
            ("g", "right"),
            ("%", "right"),
            (f"{result.currency}/kg", "right"),
            (result.currency, "right"),
        ):
            blend.add_column(col, justify=justify)  # type: ignore[arg-type]
        for b in result.blend_lines:
            blend.add_row(
                f"{b.name} [dim]({b.id})[/dim]",
                f"{b.grams:.3f}",
                f"{b.percent:.2f}",
                _num(b.price_per_kg),
                f"{b.cost:.4f}",
            )
        console.print(blend)
    if result.constraint_lines and result.verification is not None:
        unit = result.objective_unit.split(" per ")[0]
        table = Table(
            title="Constraints (● binding; shadow price = change in objective per unit of the bound)",
            title_justify="left",
        )
        for col, justify in (
            ("", "left"),
            ("constraint", "left"),
            ("value", "right"),
            ("min", "right"),
            ("max", "right"),
            (f"shadow ({unit})", "right"),
        ):
            table.add_column(col, justify=justify)  # type: ignore[arg-type]
        for c in result.constraint_lines:
            mark = "[bold yellow]●[/]" if c.binding else ""
            table.add_row(
                mark,
                c.label,
                _num(c.value),
                _num(c.min),
                _num(c.max),
                _num(c.shadow_price, 3) if c.binding else "",
            )
        console.print(table)
    v = result.verification
    if v is not None:
        if v.ok:
            console.print(
                f"[green]✓ verified[/green]: all {v.checked} bounds re-checked from the "
                f"food table (max violation {v.max_violation:.1e})"
            )
        else:
            console.print(f"[red]✗ verification failed[/red] ({len(v.failures)}):")
            for failure in v.failures:
                console.print(f"  {failure}")
    for note in result.notes:
        console.print(f"note: {note}", style="dim")
