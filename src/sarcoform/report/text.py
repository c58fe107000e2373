"""The terminal summary of a result.

Tables are laid out here as plain fixed-width text: rich's Table measures every cell
several times, which cost ~0.1 s of the < 1 s a whole `sarcoform solve` may take.
rich still decides on colour and writes the lines.
"""

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


def _range(r: tuple[float | None, float | None] | None, floor: float | None = None) -> str:
    """'2.3–3.1', '≤ 5', '≥ 0.2', 'any' or '' (not computed); ends below `floor` are open."""
    if r is None:
        return ""
    lo, hi = r
    if floor is not None and lo is not None and lo <= floor:
        lo = None  # a price range reaching below 0: any lower price keeps the blend too
    if lo is None and hi is None:
        return "any"
    if lo is None:
        return f"≤ {_num(hi)}"
    if hi is None:
        return f"≥ {_num(lo)}"
    return f"{_num(lo)}–{_num(hi)}"


def _table(
    console: Console, title: str, headers: list[str], rows: list[list[str]], marked: list[bool] | None = None
) -> None:
    """Print a fixed-width table: first column left-aligned, the others right-aligned."""
    from rich.text import Text

    widths = [max(len(h), *(len(r[k]) for r in rows)) for k, h in enumerate(headers)]

    def line(cells: list[str]) -> str:
        first, *rest = cells
        return "  ".join(
            [first.ljust(widths[0]), *(c.rjust(w) for c, w in zip(rest, widths[1:], strict=True))]
        )

    console.print(Text(title, style="bold"))
    console.print(Text(line(headers), style="underline"))
    for k, row in enumerate(rows):
        console.print(Text(line(row), style="yellow" if marked and marked[k] else ""))


def print_summary(result: Result, console: Console, *, title: str | None = None) -> None:
    from rich.text import Text

    def say(text: str, style: str = "") -> None:
        # Names, labels and notes come from the user's files: never read them as markup.
        console.print(Text(text, style=style))

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
        say(f"Objective: {result.objective} = {_num(result.objective_value, 6)} {result.objective_unit}")
    if result.cost_per_serving is not None:
        say(
            f"Cost: {_num(result.cost_per_serving)} {result.currency}/serving · "
            f"{_num(result.cost_per_kg)} {result.currency}/kg · "
            f"{_num(result.cost_per_day)} {result.currency}/day "
            f"({_num(result.serving_g)} g serving, {result.servings_per_day:g}/day)"
        )
    if result.diagnosis is not None:
        d = result.diagnosis
        say(f"Why: {d.reason}", "red")
        for line in d.explanation:
            say(f"  • {line}")
        if d.relaxation:
            together = any(r.get("scope") == "together" for r in d.relaxation)
            how = "move these together:" if together else "any one of these is enough:"
            say(f"Way out: {how}")
        for r in d.relaxation:
            say(f"  ↳ {r.get('text') or r}")
        for hint in d.hints:
            say(f"  hint: {hint}", "dim")
    if result.blend_lines:
        _table(
            console,
            f"Blend per {_num(result.serving_g)} g serving",
            ["ingredient", "g", "%", f"{result.currency}/kg", result.currency, "optimal for /kg"],
            [
                [
                    f"{b.name} ({b.id})",
                    f"{b.grams:.3f}",
                    f"{b.percent:.2f}",
                    _num(b.price_per_kg),
                    f"{b.cost:.4f}",
                    _range(b.price_range, floor=0.0),
                ]
                for b in result.blend_lines
            ],
        )
        entering = sorted(
            (u for u in result.unused if u.entry_price is not None and u.price_per_kg and u.entry_price > 0),
            key=lambda u: (u.price_per_kg - u.entry_price) / u.price_per_kg,  # type: ignore[operator]
        )[:3]
        if entering:
            items = [f"{u.id} below {_num(u.entry_price)} (now {_num(u.price_per_kg)})" for u in entering]
            say(f"Next to enter: {'; '.join(items)} {result.currency}/kg", "dim")
    if result.constraint_lines and result.verification is not None:
        unit = result.objective_unit.split(" per ")[0]
        lines = result.constraint_lines
        _table(
            console,
            "Constraints (● binding; shadow price = change in objective per unit of the bound)",
            ["constraint", "value", "min", "max", f"shadow ({unit})", "holds for"],
            [
                [
                    f"{'●' if c.binding else ' '} {c.label}",
                    _num(c.value),
                    _num(c.min),
                    _num(c.max),
                    _num(c.shadow_price, 3) if c.binding else "",
                    _range(c.shadow_price_range) if c.binding else "",
                ]
                for c in lines
            ],
            [c.binding for c in lines],
        )
    v = result.verification
    if v is not None:
        if v.ok:
            console.print(
                Text.assemble(
                    ("✓ verified", "green"),
                    f": all {v.checked} bounds re-checked from the food table "
                    f"(max violation {v.max_violation or 0:.1e})",
                )
            )
        else:
            console.print(Text.assemble(("✗ verification failed", "red"), f" ({len(v.failures)}):"))
            for failure in v.failures:
                say(f"  {failure}")
    for note in result.notes:
        say(f"note: {note}", "dim")
