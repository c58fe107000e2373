"""The example batch input workbook (`sarcoform batch --template`)."""

from __future__ import annotations

from pathlib import Path

from ..model.foods import Cell
from .files import AVAILABILITY, PRODUCT_COLUMNS, PRODUCTS, SCENARIOS

_TEMPLATE_PRODUCTS: list[list[Cell]] = [
    ["ons_vanilla_60g", "ons_powder", 60, 2, "min_cost", None, None, 2000, "the default ONS brief"],
    [
        "ons_65g_capped",
        "ons_powder",
        65,
        2,
        "min_cost",
        0.4,
        "l_leucine<=0.8; spi<=8",
        800,
        "larger serving, cost cap, less free leucine and soy",
    ],
    [
        "ons_max_leucine",
        "ons_max_leucine",
        None,
        None,
        None,
        0.42,
        None,
        500,
        "most leucine within USD 0.42 per serving",
    ],
    [
        "milk_beverage_30g",
        "milk_beverage_powder",
        None,
        None,
        None,
        None,
        "wpi<=6",
        3000,
        "fortified milk beverage powder",
    ],
]
_TEMPLATE_SCENARIOS: list[list[Cell]] = [
    ["base", None, None, "the food table's prices"],
    ["whey_up_20pct", "wpi", 17.4, "whey proteins +20 %"],
    ["whey_up_20pct", "wpc80", 13.2, None],
    ["dairy_shortage", "smp", 3.64, "milk powders +40 %"],
    ["dairy_shortage", "wmp", 5.46, None],
    ["dairy_shortage", "mpc80", 13.3, None],
    ["leucine_cheap", "l_leucine", 18.0, "free leucine -28 %"],
]
_TEMPLATE_AVAILABILITY: list[list[Cell]] = [
    ["buttermilk_powder", 800, "on hand this quarter"],
    ["smp", 2000, "contracted volume"],
]
_TEMPLATE_README: list[tuple[str, str | None]] = [
    ("sarcoform batch input", None),
    (
        "Products",
        "one row per product: name (unique), brief (preset name or .toml/.xlsx path; blank = default),"
        " overrides serving_g, servings_per_day, objective (min_cost, max:leucine, …),"
        " cost_max (per serving), ingredients (g per serving: id<=max; id>=min; id=grams;"
        " id=min..max), volume_kg (multi-blend), note",
    ),
    (
        "Scenarios",
        "long layout: scenario, id, price_per_kg (one changed price a row; a row with only a scenario"
        " name keeps every price). Ingredients a scenario does not name keep the food table's price.",
    ),
    ("Availability", "id, available_kg: ingredients in short supply, for `sarcoform multiblend`"),
    ("Foods", "optional: a Foods sheet (as in `sarcoform template`) replaces the embedded ingredient table"),
    (
        "Run",
        "sarcoform batch THIS.xlsx -o results.xlsx   (add --workers N, --resume, --scheduler tcp://host:8786)",
    ),
]


def write_batch_template(path: Path | str) -> None:
    """An example batch workbook: Read me, Products, Scenarios, Availability."""
    from openpyxl.styles import Alignment, Font

    from ..io.workbook_write import new_workbook, save, write_rows

    book = new_workbook()
    readme = book.create_sheet("Read me")
    (title, _), *lines = _TEMPLATE_README
    write_rows(readme, [title], lines, freeze="", widths=False)
    readme["A1"].font = Font(bold=True, size=14)
    for row in readme.iter_rows(min_row=2, min_col=2, max_col=2):
        row[0].alignment = Alignment(wrap_text=True, vertical="top")
    readme.column_dimensions["A"].width = 16
    readme.column_dimensions["B"].width = 120
    sheets: list[tuple[str, list[str], list[list[Cell]]]] = [
        (PRODUCTS, list(PRODUCT_COLUMNS), _TEMPLATE_PRODUCTS),
        (SCENARIOS, ["scenario", "id", "price_per_kg", "note"], _TEMPLATE_SCENARIOS),
        (AVAILABILITY, ["id", "available_kg", "note"], _TEMPLATE_AVAILABILITY),
    ]
    for title, header, rows in sheets:
        write_rows(book.create_sheet(title), header, rows, table=f"{title}Table")
    save(book, path)
