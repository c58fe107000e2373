"""Where the embedded food table and presets live, installed or in a checkout."""

from __future__ import annotations

from pathlib import Path

DEFAULT_FOODS = "ingredients.csv"
DEFAULT_PRESET = "ons_powder"


def data_dir(kind: str) -> Path:
    """`foods` or `constraints`: inside the wheel, else at the top of the checkout."""
    here = Path(__file__).resolve().parent.parent
    installed = here / "_data" / kind
    if installed.is_dir():
        return installed
    return here.parent.parent / kind


def default_foods_path() -> Path:
    return data_dir("foods") / DEFAULT_FOODS


def food_table_paths() -> dict[str, Path]:
    """Embedded food table name → file: `ingredients` (the default), `sr28` (USDA SR28 extract)."""
    folder = data_dir("foods")
    found = sorted([*folder.glob("*.csv"), *folder.glob("*.csv.gz")])
    return {p.name.split(".", 1)[0]: p for p in found}


def preset_paths() -> dict[str, Path]:
    """Preset name → file, sorted by name."""
    return {p.stem: p for p in sorted(data_dir("constraints").glob("*.toml"))}
