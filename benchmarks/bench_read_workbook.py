"""Reading a 5,000-row food workbook: sarcoform's reader against openpyxl, in one run.

The workbook is generated (deterministic random values, ~8 % blanks, an id, a name, a
group and 22 nutrient columns, like the USDA SR28 extract) and written with
`write_workbook`. Timed, each the best of --repeat runs with the file-version caches
cleared, so every run opens and checks the file afresh:

  openpyxl     openpyxl.load_workbook(read_only=True) and iter_rows(values_only=True):
               the raw cells, no checks (the baseline)
  calamine     python-calamine alone: the raw cells, no checks (what the checks cost)
  read_sheet   sarcoform's sheet reader: zip/XML safety checks + python-calamine
  read_foods   the whole import: read_sheet + validation into a FoodTable

    ./dev bench bench_read_workbook [--rows 5000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import sarcoform as sf
from sarcoform.io import xlsx
from sarcoform.io.workbook import read_foods_sheet
from sarcoform.io.workbook_write import write_workbook

NUTRIENTS = [
    "energy_kcal", "protein_g", "fat_g", "carbohydrate_g", "fibre_g", "leucine_g", "isoleucine_g",
    "valine_g", "lysine_g", "methionine_g", "cystine_g", "phenylalanine_g", "tyrosine_g", "threonine_g",
    "tryptophan_g", "histidine_g", "calcium_mg", "vitamin_d_ug", "sodium_mg", "free_leucine_g",
    "cahmb_g", "price_per_kg",
]  # fmt: skip


def food_table(rows: int, seed: int = 7) -> sf.FoodTable:
    """Plausible rows (the reader's checks refuse a table that is not): the proximates sum
    to at most 95 g per 100 g, each amino acid is below protein, leucine includes the free
    leucine, and energy follows the macronutrients (4/9/4/2 kcal per g)."""
    rng = np.random.default_rng(seed)
    column = {name: k for k, name in enumerate(NUTRIENTS)}
    values = rng.gamma(1.5, 8.0, size=(rows, len(NUTRIENTS)))
    proximate = [
        column[c] for c in ("protein_g", "fat_g", "carbohydrate_g", "fibre_g", "free_leucine_g", "cahmb_g")
    ]
    total = values[:, proximate].sum(axis=1, keepdims=True)
    values[:, proximate] *= np.minimum(1.0, 95.0 / total) * rng.uniform(0.3, 1.0, size=(rows, 1))
    protein = values[:, column["protein_g"]]
    for name in ("leucine_g", "isoleucine_g", "valine_g", "lysine_g", "methionine_g", "cystine_g",
                 "phenylalanine_g", "tyrosine_g", "threonine_g", "tryptophan_g", "histidine_g"):  # fmt: skip
        values[:, column[name]] = protein * rng.uniform(0.0, 0.12, size=rows)
    blank = rng.random(values.shape) < 0.08
    free = np.where(blank[:, column["free_leucine_g"]], 0.0, values[:, column["free_leucine_g"]])
    values[:, column["leucine_g"]] += free  # (a blank free leucine is none)
    values[:, column["energy_kcal"]] = values[
        :, [column[c] for c in ("protein_g", "fat_g", "carbohydrate_g", "fibre_g")]
    ] @ [4.0, 9.0, 4.0, 2.0]
    values = values.round(3)
    groups = ["Dairy and Egg Products", "Legumes", "Cereal Grains", "Beef Products", "Sweets"]
    cells: list[list[Any]] = []
    for i in range(rows):
        row: list[Any] = [f"{i + 1:05d}", f"Food number {i + 1}, raw", groups[i % len(groups)]]
        row += [None if blank[i, k] else float(values[i, k]) for k in range(len(NUTRIENTS))]
        cells.append(row)
    return sf.FoodTable.from_records(["id", "name", "group", *NUTRIENTS], cells, origin="generated")


def read_openpyxl(path: Path) -> int:
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        return sum(1 for _ in wb["Foods"].iter_rows(values_only=True))
    finally:
        wb.close()


def read_calamine(path: Path) -> int:
    import python_calamine

    return len(python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Foods").to_python())


def read_sheet(path: Path) -> int:
    sheet = xlsx.read_sheet(path, "Foods")
    assert sheet is not None
    return len(sheet.rows) + 1


def read_foods(path: Path) -> int:
    return len(read_foods_sheet(path)) + 1


def best_of(fn: Callable[[Path], int], path: Path, repeat: int) -> tuple[float, int]:
    times = []
    rows = 0
    for _ in range(repeat):
        xlsx._calamine.cache_clear()  # each run opens and checks the file afresh
        xlsx._inspect.cache_clear()
        start = time.perf_counter()
        rows = fn(path)
        times.append(time.perf_counter() - start)
    return min(times), rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "foods.xlsx"
        foods = food_table(args.rows)
        start = time.perf_counter()
        write_workbook(foods, sf.Brief(name="bench"), path)
        written = time.perf_counter() - start
        cells = args.rows * len(foods.columns)
        print(
            f"workbook: {args.rows:,} foods × {len(foods.columns)} columns = {cells:,} cells, "
            f"{path.stat().st_size / 1e6:.2f} MB (written in {written:.2f} s); best of {args.repeat}"
        )
        baseline, expected = best_of(read_openpyxl, path, args.repeat)
        print(f"  {'openpyxl read_only, values_only':34s} {baseline * 1000:8.1f} ms   1.00x (baseline)")
        for label, fn in (
            ("python-calamine alone (no checks)", read_calamine),
            ("read_sheet (checks + calamine)", read_sheet),
            ("read_foods_sheet (+ validation)", read_foods),
        ):
            seconds, rows = best_of(fn, path, args.repeat)
            assert rows == expected, (label, rows, expected)
            print(f"  {label:34s} {seconds * 1000:8.1f} ms  {baseline / seconds:5.2f}x faster than openpyxl")


if __name__ == "__main__":
    main()
