"""A trade-off curve (sarcoform.solving.frontier) as CSV, a PNG plot and an Excel chart.

matplotlib and openpyxl are imported inside the functions that draw: nothing here
costs anything until a curve is written.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

from ..io.files import write_bytes, write_csv

if TYPE_CHECKING:
    import pandas as pd

SUFFIXES = (".csv", ".png", ".xlsx")


def outputs(stem: Path | str) -> dict[str, Path]:
    """OUT → {suffix: OUT.suffix}; a given .csv/.png/.xlsx suffix is dropped first."""
    path = Path(stem)
    if path.suffix.lower() in SUFFIXES:
        path = path.with_suffix("")
    return {suffix: path.with_name(path.name + suffix) for suffix in SUFFIXES}


def axis_labels(frame: pd.DataFrame) -> tuple[str, str, str]:
    """(level, cost, marginal) headers with units, from the frame's attrs."""
    a = frame.attrs
    from ..model.spec import BASIS_PHRASES

    where = BASIS_PHRASES.get(str(a.get("basis")), "")
    unit = str(a.get("unit") or "")
    level = f"{a.get('nutrient', 'level')} ({unit} {where})".replace("( ", "(").replace(" )", ")")
    currency = a.get("currency", "")
    return (
        level,
        f"least cost ({currency} per serving)",
        f"marginal cost ({currency} per extra {a.get('step', 0.1):g} {unit})",
    )


def frontier_lines(frame: pd.DataFrame, brief: str) -> list[str]:
    """The curve as terminal lines: a title, one line per level, the columns with units."""
    level, cost, marginal = axis_labels(frame)
    lines = [f"{brief}: least cost against {level}", f"{'level':>10} {'cost':>10} {'+0.1 costs':>11}  blend"]
    lines += [
        f"{row[0]:>10.4g} {row[1]:>10.4g} {row[2]:>11.4g}  {row[3]}" for row in frame.itertuples(index=False)
    ]
    lines.append(f"columns: {level}; {cost}; {marginal}")
    return lines


def write_frontier(frame: pd.DataFrame, stem: Path | str) -> list[Path]:
    """Write OUT.csv, OUT.png and OUT.xlsx (each atomically); returns the paths."""
    paths = outputs(stem)
    write_csv(list(frame.columns), frame.itertuples(index=False), paths[".csv"])
    write_png(frame, paths[".png"])
    write_xlsx(frame, paths[".xlsx"])
    return list(paths.values())


def write_png(frame: pd.DataFrame, path: Path) -> None:
    """Least cost against the level, with the marginal cost on a second axis."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    level, cost, marginal = axis_labels(frame)
    fig = Figure(figsize=(7, 4.5), dpi=120)
    ax = fig.add_subplot()
    ax.plot(frame["level"], frame["cost_per_serving"], marker="o", color="tab:blue")
    ax.set_xlabel(level)
    ax.set_ylabel(cost, color="tab:blue")
    twin = ax.twinx()
    twin.step(frame["level"], frame["marginal_cost_per_0.1"], where="post", color="tab:orange")
    twin.set_ylabel(marginal, color="tab:orange")
    ax.set_title(f"{frame.attrs.get('brief', '')}: cost of more {frame.attrs.get('nutrient', '')}")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    write_bytes(path, buffer.getvalue())


def write_xlsx(frame: pd.DataFrame, path: Path) -> None:
    """A `Frontier` sheet (one header row with units) and a native Excel scatter chart."""
    from openpyxl.chart import Reference, ScatterChart, Series

    from ..io.workbook_write import new_workbook, save, write_rows

    level, cost, marginal = axis_labels(frame)
    wb = new_workbook()
    ws = wb.create_sheet("Frontier")
    header = [level, cost, marginal, "blend (g per serving)", "status"]
    write_rows(ws, header, frame.itertuples(index=False), widths=False)
    for column, width in zip("ABCDE", (22, 22, 26, 80, 10), strict=True):
        ws.column_dimensions[column].width = width
    rows = len(frame)
    if rows:
        chart = ScatterChart()
        chart.title = f"Least cost against {frame.attrs.get('nutrient', 'level')}"
        chart.style = 13
        chart.x_axis.title = level
        chart.y_axis.title = cost
        xs = Reference(ws, min_col=1, min_row=2, max_row=rows + 1)
        ys = Reference(ws, min_col=2, min_row=1, max_row=rows + 1)
        series = Series(ys, xs, title_from_data=True)
        series.marker.symbol = "circle"
        chart.series.append(series)
        chart.width, chart.height = 18, 10
        ws.add_chart(chart, "G2")
    save(wb, path)
