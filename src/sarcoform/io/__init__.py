"""Files in and out: CSV, TOML and (on demand) Excel workbooks.

This package is the only place that touches files; nothing here imports openpyxl
until a workbook is actually read or written.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError, Problem
from ..model import args
from ..model.brief import Brief
from ..model.foods import FoodTable
from .brief_toml import read_brief_toml
from .embedded import DEFAULT_PRESET, default_foods_path, food_table_paths, preset_paths
from .foods_csv import read_foods_csv

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")


def load_foods(source: str | Path | None = None) -> FoodTable:
    """The embedded table (None), an embedded table by name (`sr28`), or a .csv / .csv.gz / .xlsx file."""
    if source is None:
        return read_foods_csv(default_foods_path(), label="foods/ingredients.csv (embedded)")
    args.expect_path(source, "load_foods(source)")
    tables = food_table_paths()
    if str(source) in tables and not Path(source).exists():
        embedded = tables[str(source)]
        return read_foods_csv(embedded, label=f"foods/{embedded.name} (embedded)")
    path = Path(source)
    suffix = "".join(path.suffixes[-2:]).lower() if path.suffix.lower() == ".gz" else path.suffix.lower()
    if suffix in WORKBOOK_SUFFIXES:
        from .workbook import read_foods_sheet

        return read_foods_sheet(path)
    if suffix in (".csv", ".txt", ".tsv", ".csv.gz"):
        return read_foods_csv(path)
    kind = suffix or "(none)"
    names = ", ".join(tables)
    raise InputError(
        Problem(
            f"unknown food table format {kind!r}: use .csv or .xlsx, or an embedded table ({names})",
            str(path),
        )
    )


def load_brief(source: str | Path | None = None) -> Brief:
    """The default brief (None), a preset name, or a .toml / .xlsx file."""
    presets = preset_paths()
    if source is None:
        source = DEFAULT_PRESET
    args.expect_path(source, "load_brief(source)")
    text = str(source)
    if text in presets and not Path(text).exists():
        return read_brief_toml(presets[text], label=f"constraints/{text}.toml (preset)")
    path = Path(text)
    suffix = path.suffix.lower()
    if suffix == ".toml":
        return read_brief_toml(path)
    if suffix in WORKBOOK_SUFFIXES:
        from .workbook import read_brief_sheets

        return read_brief_sheets(path)
    if not suffix and not path.exists():
        raise InputError(
            Problem(
                f"unknown preset {text!r}: presets are {', '.join(presets) or 'none'}"
                " (or give a .toml or .xlsx file)"
            )
        )
    raise InputError(Problem(f"unknown brief format {suffix or '(none)'!r}: use .toml or .xlsx", text))
