"""The terminal summary of a result.

Tables are laid out here as plain fixed-width text: rich's Table measures every cell
several times, which cost ~0.1 s of the < 1 s a whole `sarcoform solve` may take.
rich still decides on colour and writes the lines.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..model.result import ConstraintLine, Result
from ..model.units import split_column
from ..solving.exclusions import exclusion_summary

if TYPE_CHECKING:
    from rich.console import Console


# C0/C1 controls and the bidirectional overrides that can reorder or hide text on a terminal.
_HIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


STATUS_WORDS = {
    "optimal": "the best blend for the brief",
    "infeasible": "no blend meets every bound",
    "unbounded": "the objective can grow without limit: a bound is missing",
    "time_limit": "stopped at the time limit (the best blend found so far)",
    "error": "the solver failed",
    "unverified": "NOT verified: the blend fails the independent check",
}
"""What each `Result.status` means, in words for people (workbook, spec sheet)."""


def printable(text: object) -> str:
    """Text from the user's files, safe for a terminal: control characters as escapes (\\x1b)."""

    def escape(match: re.Match[str]) -> str:
        code = ord(match.group())
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"

    return _HIDDEN.sub(escape, str(text))


def prose(console: Console, text: object, style: str = "", *, indent: int = 2) -> None:
    """A line of prose (from the user's files, maybe): made printable and wrapped at the
    console's width by rich, continuation lines indented by `indent` (a hanging indent)."""
    from rich.text import Text

    for line in _wrap(console, printable(text), max(console.width, indent + 20), indent):
        console.print(Text(line, style=style), soft_wrap=True)


def shadow_unit(objective_unit: str, line: ConstraintLine) -> str:
    """What a shadow price is counted in: "USD per g leucine", "g leucine per g cahmb"."""
    top = objective_unit.split(" per ")[0]
    subject = line.name
    if line.kind in ("nutrient", "amino_acid"):
        column = line.name.split(" per ")[0].rsplit(": ", 1)[-1]
        subject = (split_column(column) or (column, ""))[0]
    elif line.kind in ("ingredient", "group"):
        subject = line.name.removeprefix("ingredient ").removeprefix("group ").removesuffix(" %")
    elif line.kind == "serving":
        subject = "serving"
    unit = line.unit
    if unit == "% of serving":
        return f"{top} per % {subject} in the serving"
    return f"{top} per {unit} {subject}".replace("  ", " ")


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


def fixed_width_table(
    console: Console,
    title: str,
    headers: list[str],
    rows: list[list[str]],
    marked: list[bool] | None = None,
    *,
    shrink: int = 0,
    hang: int | None = None,
) -> None:
    """Print a fixed-width table: text columns left-aligned, numbers right-aligned.

    Cells are made printable; column `shrink` is shortened (…) to fit the console's width,
    or, given `hang`, wrapped onto lines of its own indented by `hang` (nothing is cut).
    """
    from rich.cells import cell_len
    from rich.text import Text

    rows = [[printable(c) for c in row] for row in rows]
    # Terminal cells, not characters: a CJK character takes two.
    widths = [max(cell_len(h), *(cell_len(r[k]) for r in rows)) for k, h in enumerate(headers)]
    room = console.width - (sum(widths) - widths[shrink]) - 2 * (len(widths) - 1)
    wrapped: list[list[str]] = [[] for _ in rows]
    if widths[shrink] > room:
        widths[shrink] = max(room, len(headers[shrink]), 10)
        if hang is None:
            rows = [[_fit(c, widths[shrink]) if k == shrink else c for k, c in enumerate(r)] for r in rows]
        else:
            for row, more in zip(rows, wrapped, strict=True):
                row[shrink], *tail = _wrap(console, row[shrink], widths[shrink], hang)
                more += tail
    left = [k == 0 or k == shrink or not any(_numeric(r[k]) for r in rows) for k in range(len(headers))]

    def pad(cell: str, width: int, left: bool) -> str:
        fill = " " * (width - cell_len(cell))
        return cell + fill if left else fill + cell

    def line(cells: list[str]) -> str:
        return "  ".join(pad(c, w, lft) for c, w, lft in zip(cells, widths, left, strict=True)).rstrip()

    prose(console, title, "bold")
    lines = [Text(line(headers), style="underline")]
    for k, row in enumerate(rows):
        style = "yellow" if marked and marked[k] else ""
        lines.append(Text(line(row), style=style))
        for part in wrapped[k]:
            lines.append(Text(line([part if j == shrink else "" for j in range(len(row))]), style=style))
    console.print(*lines, sep="\n")  # one call: rich's per-call work is most of a short line's cost


def _numeric(text: str) -> bool:
    return (bool(text) and (text[0].isdigit() or text[0] in "-–≤≥+.")) or text == "any"


def _wrap(console: Console, text: str, width: int, hang: int) -> list[str]:
    """`text` in lines of at most `width` cells (rich's wrapping), all but the first indented by `hang`."""
    from rich.cells import cell_len
    from rich.text import Text

    # One line that fits is its own first line (rich's wrapping, slow, leaves it whole).
    fits = "\n" not in text and "\t" not in text and cell_len(text) <= width
    first = text.rstrip() if fits else Text(text).wrap(console, width)[0].plain.rstrip()
    rest = text[len(first) :].lstrip(" ")
    if not rest:
        return [first]
    return [first, *(" " * hang + t.plain.rstrip() for t in Text(rest).wrap(console, max(width - hang, 1)))]


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def print_summary(result: Result, console: Console, *, title: str | None = None) -> None:
    from rich.cells import cell_len
    from rich.text import Text

    def say(text: str, style: str = "") -> None:
        # Names, labels and notes come from the user's files: never read them as markup,
        # and show their control characters rather than let them act on the terminal.
        # Wrapped at the console's width, continuation lines under the text ("  • ", "note: ").
        lead = len(text) - len(text.lstrip(" "))
        prose(console, text, style, indent=lead + 2)

    prose(console, f"sarcoform · {result.brief_name}" + (f" — {title}" if title else ""), "bold")
    style = "green" if result.ok else "red"
    console.print(
        Text.assemble(
            ("Status: ", "bold"),
            (result.status, f"bold {style}"),
            f"  ({result.solver.upper()}, {result.solve_seconds:.2f} s)",
        )
    )
    excluded, notes = exclusion_summary(result.notes)
    if excluded is not None:  # first, not after the tables: the blend is of what is left
        say(excluded, "yellow")
    if result.objective_value is not None:
        say(f"Objective: {result.objective} = {_num(result.objective_value, 6)} {result.objective_unit}")
    if result.cost_per_serving is not None:
        say(
            f"Cost: {_num(result.cost_per_serving)} {result.currency}/serving · "
            f"{_num(result.cost_per_kg)} {result.currency}/kg · "
            f"{_num(result.cost_per_day)} {result.currency}/day "
            f"({_num(result.serving_g)} g serving, {result.servings_per_day:g}/day)"
        )
    price = practicality(result)
    if price is not None:
        say(f"Practical limits: {price}")
    if result.diagnosis is not None:
        d = result.diagnosis
        say(f"Why: {reason_once(d.reason, d.explanation)}", "red")
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
        # Without ranges (not asked, or a chance-constrained brief: a note says why) the
        # column would be empty: leave it out.
        ranged = 7 if any(b.price_range is not None for b in result.blend_lines) else 6
        given = ", given these ingredients" if result.lp_objective_value is not None else ""
        fixed_width_table(
            console,
            f"Blend per {_num(result.serving_g)} g serving"
            + (f" (price range: prices per kg at which it stays the best{given})" if ranged == 7 else ""),
            ["ingredient", "id", "g", "%", f"{result.currency}/kg", result.currency, "price range"][:ranged],
            [
                [
                    b.name,
                    b.id,
                    f"{b.grams:.3f}",
                    f"{b.percent:.2f}",
                    _num(b.price_per_kg),
                    f"{b.cost:.4f}",
                    _range(b.price_range, floor=0.0),
                ][:ranged]
                for b in result.blend_lines
            ],
        )
        entering = sorted(
            (u for u in result.unused if u.entry_price is not None and u.price_per_kg and u.entry_price > 0),
            key=lambda u: (u.price_per_kg - u.entry_price) / u.price_per_kg,  # type: ignore[operator]
        )[:3]
        if entering:
            items = [f"{u.id} below {_num(u.entry_price)} (now {_num(u.price_per_kg)})" for u in entering]
            say(f"Next to enter ({result.currency}/kg): {'; '.join(items)}", "dim")
    if result.constraint_lines and result.verification is not None:
        lines = result.constraint_lines
        top = result.objective_unit.split(" per ")[0]
        held = 4 if any(c.shadow_price_range is not None for c in lines if c.binding) else 3
        headers = ["constraint", "value", f"shadow price ({top})", "holds for"][:held]
        rows = [
            [
                f"{'●' if c.binding else ' '} {c.label}",
                _num(c.value),
                _shadow(result, c, top),
                _range(c.shadow_price_range) if c.binding else "",
            ][:held]
            for c in lines
        ]
        # The label is what the reader needs: a shadow price too wide for the room the labels
        # leave gives its unit alone ("per g"), and a label still too long wraps (never cut).
        room = (
            console.width
            - table_width([h for k, h in enumerate(headers) if k != 2], [r[:2] + r[3:] for r in rows])
            - 2
        )
        for row, c in zip(rows, lines, strict=True):
            if cell_len(row[2]) > room:
                row[2] = _shadow(result, c, top, short=True)
        fixed_width_table(
            console,
            "Constraints (● binding; shadow price: change in the objective per unit more of the bound"
            f"{', with the chosen ingredients fixed' if result.lp_objective_value is not None else ''})",
            headers,
            rows,
            [c.binding for c in lines],
            hang=4,
        )
        counted = [f"{c.label} ({_num(c.background)} {c.unit})" for c in lines if c.background]
        if counted:
            say(
                f"Per-day and per-meal values above are product + background intake: {'; '.join(counted)}",
                "dim",
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
    for note in notes:
        say(f"note: {note}", "dim")


def reason_once(reason: str, explanation: list[str]) -> str:
    """The reason without the list of constraints it repeats: they follow, one a line."""
    if explanation and all(e in reason for e in explanation):
        cut = min(reason.find(e) for e in explanation)
        return reason[:cut].rstrip(" :;") + ":"
    return reason


def _shadow(result: Result, c: ConstraintLine, top: str, *, short: bool = False) -> str:
    """'0.0263 per g leucine', or short '0.0263 per g' (the objective's unit, `top`, is in the
    column header; the bound's own label names what the g are of)."""
    if not c.binding or c.shadow_price is None:
        return ""
    if short:
        return f"{_num(c.shadow_price, 3)} per {c.unit or 'unit'}".replace("per % of serving", "per %")
    return f"{_num(c.shadow_price, 3)} {shadow_unit(result.objective_unit, c).removeprefix(top + ' ')}"


def table_width(headers: list[str], rows: list[list[str]]) -> int:
    """The width `fixed_width_table` needs for these cells, uncut."""
    from rich.cells import cell_len

    widths = [max(cell_len(h), *(cell_len(printable(r[k])) for r in rows)) for k, h in enumerate(headers)]
    return sum(widths) + 2 * (len(widths) - 1)


def practicality(result: Result) -> str | None:
    """What a practical brief's limits cost against the LP optimum without them (None for an LP):
    'the 6-ingredient limit costs 0.0502 USD/serving (24 %): 0.2074 without it, 0.2576 with it'."""
    lp, value = result.lp_objective_value, result.objective_value
    if lp is None or value is None:
        return None
    limits = [f"{c.max:g}-ingredient limit" for c in result.constraint_lines if c.kind == "count" and c.max]
    limits += [
        f"{c.min:g} g minimum inclusion" for c in result.constraint_lines if c.kind == "inclusion" and c.min
    ]
    what = " and the ".join(limits) or "practical limits"
    loss = lp - value if result.objective.startswith("max:") else value - lp
    unit = result.objective_unit.replace(" per ", "/")
    share = f" ({loss / abs(lp):.0%})".replace("%", " %") if lp else ""
    verb = "cost" if " and " in what else "costs"
    it = "them" if verb == "cost" else "it"
    return (
        f"the {what} {verb} {_num(loss, 3)} {unit}{share}: {_num(lp)} without {it}, {_num(value)} with {it}"
    )
