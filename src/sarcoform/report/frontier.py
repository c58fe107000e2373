"""A trade-off curve (sarcoform.solve.frontier) as CSV, a PNG plot and an Excel chart.

matplotlib and openpyxl are imported inside the functions that draw: nothing here
costs anything until a curve is written.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..io.files import csv_safe, write_bytes, write_text

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


def write_frontier(frame: pd.DataFrame, stem: Path | str) -> list[Path]:
    """Write OUT.csv, OUT.png and OUT.xlsx (each atomically); returns the paths."""
    paths = outputs(stem)
    write_csv(frame, paths[".csv"])
    write_png(frame, paths[".png"])
    write_xlsx(frame, paths[".xlsx"])
    return list(paths.values())


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """The table as the API returns it (one header row), text cells made formula-safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(list(frame.columns))
    for row in frame.itertuples(index=False):
        writer.writerow([_csv_cell(v) for v in row])
    write_text(path, buffer.getvalue())


def _csv_cell(value: Any) -> Any:
    if isinstance(value, str):
        return csv_safe(value)
    if isinstance(value, float) and math.isnan(value):
        return ""
    return value


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
    from openpyxl import Workbook
    from openpyxl.chart import Reference, ScatterChart, Series

    level, cost, marginal = axis_labels(frame)
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Frontier"
    ws.append([level, cost, marginal, "blend (g per serving)", "status"])
    for row in frame.itertuples(index=False):
        values = [None if isinstance(v, float) and math.isnan(v) else v for v in row]
        ws.append(values)
        for cell in ws[ws.max_row][3:]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # ingredient ids are user text: never a formula
    ws.freeze_panes = "A2"
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
    buffer = io.BytesIO()
    wb.save(buffer)
    write_bytes(path, buffer.getvalue())
