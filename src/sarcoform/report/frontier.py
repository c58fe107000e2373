"""A trade-off curve (sarcoform.solving.frontier) as CSV, a PNG plot and an Excel chart.

matplotlib and openpyxl are imported inside the functions that draw: nothing here
costs anything until a curve is written.
"""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import TYPE_CHECKING

from ..io.files import write_bytes, write_csv

if TYPE_CHECKING:
    import pandas as pd

SUFFIXES = (".csv", ".png", ".xlsx")
STEP = 0.1


def outputs(stem: Path | str) -> dict[str, Path]:
    """OUT → {suffix: OUT.suffix}; a given .csv/.png/.xlsx suffix is dropped first."""
    path = Path(stem)
    if path.suffix.lower() in SUFFIXES:
        path = path.with_suffix("")
    return {suffix: path.with_name(path.name + suffix) for suffix in SUFFIXES}


def axis_labels(frame: pd.DataFrame) -> tuple[str, str, str]:
    """(level, cost, marginal) headers with units, from the frame's attrs."""
    a = frame.attrs
    from ..model.brief import BASIS_PHRASES

    where = BASIS_PHRASES.get(str(a.get("basis")), "")
    unit = str(a.get("unit") or "")
    level = f"{a.get('nutrient', 'level')} ({unit} {where})".replace("( ", "(").replace(" )", ")")
    currency = a.get("currency", "")
    return (
        level,
        f"least cost ({currency} per serving)",
        f"marginal cost ({currency} per extra {a.get('step', 0.1):g} {unit})",
    )


def frontier_lines(frame: pd.DataFrame, brief: str | None = None, width: int = 100) -> list[str]:
    """The curve as terminal lines: a title, one line per level (blends wrapped to `width`),
    the columns with units, the marginal cost by range (where it changes) and notes."""
    level, cost, marginal = axis_labels(frame)
    unit = str(frame.attrs.get("unit") or "")
    lines = [f"{brief or frame.attrs.get('brief', '')}: least cost against {level}"]
    lines.append(f"{'level':>10} {'cost':>10} {'+' + format(STEP, 'g') + ' ' + unit + ' costs':>14}  blend")
    room = max(30, width - 39)  # a continued line ends in ","
    top = float(frame.attrs.get("top", math.inf))
    for row in frame.itertuples(index=False):
        more = f"{row[2]:.4g}" if row[2] == row[2] else "at the limit" if row[0] >= top else "–"
        blend = _pack(str(row[3]).split(", "), room)
        lines.append(f"{row[0]:>10.4g} {row[1]:>10.4g} {more:>14}  {blend[0]}")
        lines += [" " * 38 + part for part in blend[1:]]
    lines.append(f"columns: {level}; {cost}; {marginal}")
    xs, ys = marginal_steps(frame)
    if len(ys) > 2:
        lines.append(f"marginal cost by range ({frame.attrs.get('currency', '')} per extra {STEP:g} {unit}):")
        for lo, hi, m in zip(xs, xs[1:], ys, strict=False):
            digits = next((d for d in range(4, 9) if f"{lo:.{d}g}" != f"{hi:.{d}g}"), 9)
            lines.append(f"  {lo:.{digits}g} to {hi:.{digits}g} {unit}: {m:.4g}")
    lines += [f"note: {note}" for note in frame.attrs.get("notes") or []]
    return lines


def _pack(items: list[str], width: int) -> list[str]:
    """Items joined by ", " into lines of at most `width` characters (an item is never split)."""
    lines = [""]
    for item in items:
        if lines[-1] and len(lines[-1]) + 2 + len(item) > width:
            lines[-1] += ","
            lines.append("")
        lines[-1] += f", {item}" if lines[-1] else item
    return lines


def write_frontier(frame: pd.DataFrame, stem: Path | str) -> list[Path]:
    """Write OUT.csv, OUT.png and OUT.xlsx (each atomically); returns the paths."""
    paths = outputs(stem)
    write_csv(list(frame.columns), _rows(frame), paths[".csv"])
    write_png(frame, paths[".png"])
    write_xlsx(frame, paths[".xlsx"])
    return list(paths.values())


def _rows(frame: pd.DataFrame) -> list[list[object]]:
    """The frame's rows, a nan (no more at any cost) as a blank cell."""
    return [[None if v != v else v for v in row] for row in frame.itertuples(index=False)]


def marginal_steps(frame: pd.DataFrame) -> tuple[list[float], list[float]]:
    """The marginal cost as a step function: each value from the level where it starts to the next."""
    steps = list(frame.attrs.get("steps") or [])
    if not steps or not len(frame):
        return [], []
    end = float(frame["level"].iloc[-1])
    xs = [float(step[0]) for step in steps] + [end]
    ys = [float(step[1]) for step in steps]
    return xs, ys + ys[-1:]


def cost_curve(frame: pd.DataFrame) -> tuple[list[float], list[float]]:
    """The least-cost curve through the solved levels and the breakpoints between them."""
    points = {float(lv): float(c) for lv, c in zip(frame["level"], frame["cost_per_serving"], strict=True)}
    for step in frame.attrs.get("steps") or []:
        points.setdefault(float(step[0]), float(step[2]))
    xs = sorted(points)
    return xs, [points[x] for x in xs]


def write_png(frame: pd.DataFrame, path: Path) -> None:
    """Least cost against the level, with the marginal cost on a second axis."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    level, cost, marginal = axis_labels(frame)
    fig = Figure(figsize=(7, 4.5), dpi=120)
    ax = fig.add_subplot()
    ax.plot(*cost_curve(frame), color="tab:blue")
    ax.plot(frame["level"], frame["cost_per_serving"], "o", color="tab:blue")
    ax.set_xlabel(level)
    ax.set_ylabel(cost, color="tab:blue")
    twin = ax.twinx()
    xs, ys = marginal_steps(frame)
    twin.step(xs, ys, where="post", color="tab:orange")
    positive = [y for y in ys if y > 0]
    if positive and max(positive) > 20 * min(positive):  # steps of very different sizes: all visible
        twin.set_yscale("symlog", linthresh=min(positive))
    twin.set_ylabel(marginal, color="tab:orange")
    ax.set_title(f"{frame.attrs.get('brief', '')}: cost of more {frame.attrs.get('nutrient', '')}")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    write_bytes(path, buffer.getvalue())


def write_xlsx(frame: pd.DataFrame, path: Path) -> None:
    """A `Frontier` sheet: the solved levels (one header row with units), below them the
    bends of the curve (where the marginal cost changes), and a native Excel chart of the
    exact piecewise-linear curve beside them."""
    from openpyxl.chart import Reference, ScatterChart, Series
    from openpyxl.styles import Alignment, Font

    from ..io.workbook_write import new_workbook, save, write_rows
    from .workbook_format import print_setup

    level, cost, marginal = axis_labels(frame)
    wb = new_workbook()
    ws = wb.create_sheet("Frontier")
    header = [level, cost, marginal, "blend (g per serving)", "status"]
    last = write_rows(ws, header, _rows(frame), widths=False, formats={1: "0.000", 2: "0.0000", 3: "0.0000"})
    for column, width in zip("ABCDE", (16, 16, 18, 70, 10), strict=True):
        ws.column_dimensions[column].width = width
    for cell in ws[1]:
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in ws.iter_rows(min_row=2, max_row=last):
        for cell in row:
            cell.alignment = Alignment(wrap_text=cell.column == 4, vertical="top")
        lines = math.ceil(len(str(row[3].value or "")) / 75)
        if lines > 1:  # openpyxl writes no row height: wrapped text would overlap the next row
            ws.row_dimensions[row[0].row].height = 12.75 * lines
    ws.row_dimensions[1].height = 45
    xs, ys = cost_curve(frame)
    if xs:
        start = last + 2
        title = "The curve through its bends (exact), charted beside: marginal cost from each level on"
        ws.cell(row=start, column=1, value=title).font = Font(bold=True)
        starts, slopes = marginal_steps(frame)

        def slope_at(x: float) -> float | None:  # the marginal cost from x on; none at the top
            here = [m for at, m in zip(starts[:-1], slopes, strict=False) if at <= x]
            return here[-1] if here and x < starts[-1] else None

        bends = [[x, y, slope_at(x)] for x, y in zip(xs, ys, strict=True)]
        end = write_rows(
            ws,
            [level, cost, marginal],
            bends,
            start_row=start + 1,
            freeze="A2",
            widths=False,
            formats={1: "0.000", 2: "0.0000", 3: "0.0000"},
        )
        for cell in ws[start + 1]:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.row_dimensions[start + 1].height = 45
        chart = ScatterChart()
        chart.title = f"Least cost against {frame.attrs.get('nutrient', 'level')}"
        chart.style = 13
        chart.x_axis.title = level
        chart.y_axis.title = cost
        series = Series(
            Reference(ws, min_col=2, min_row=start + 1, max_row=end),
            Reference(ws, min_col=1, min_row=start + 2, max_row=end),
            title_from_data=True,
        )
        series.marker.symbol = "circle"
        series.smooth = False  # the curve is piecewise linear: a smoothed line would dip
        chart.series.append(series)
        chart.x_axis.delete = chart.y_axis.delete = False
        chart.width, chart.height = 16, 10
        ws.add_chart(chart, "G2")
    print_setup(ws)
    save(wb, path)
