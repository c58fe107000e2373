"""The food (ingredient) table: one row per ingredient, nutrients per 100 g as used.

Held as numpy columns rather than a DataFrame so that solving never needs pandas
(its import alone costs ~0.7 s, more than a whole CLI solve); `to_frame()` gives
pandas to those who want it.
"""

from __future__ import annotations

import difflib
import math
import numbers
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import InputError, Problem, ProblemCollector, UsageError
from .brief import MAX_MAGNITUDE
from .companions import KINDS, companion, companion_of
from .units import split_column

if TYPE_CHECKING:
    import pandas as pd

REQUIRED_COLUMNS = ("id", "name")
# Other names for required columns, so composition databases read as they are
# (USDA SR28 exports say "description" and "food_group").
ALIASES = {"description": "name", "food_group": "group"}
# price_per_kg may be absent: a nutrient-only brief over a composition database needs
# no prices. A brief that uses cost then reports the missing column (solving/compile.py).
PRICE = "price_per_kg"
# Columns that are always text, whatever they contain (ids like USDA's "01001" keep zeros).
TEXT_COLUMNS = frozenset({"id", "name", "group", "tags", "source", "price_source", "note", "name_zh"})
# 0/1 columns used as multipliers in derived columns.
# Allergen flags: 1 = contains or is derived from it, 0 = not; blank = unknown, never free.
ALLERGENS = ("milk", "soy", "egg", "peanut", "gluten")
ALLERGEN_COLUMNS = tuple(f"allergen_{a}" for a in ALLERGENS)
FLAG_COLUMNS = frozenset({"high_quality_protein", *ALLERGEN_COLUMNS})

Cell = str | float | int | bool | None


@dataclass(frozen=True, eq=False)
class FoodTable:
    """Ingredients with their nutrient values (NaN = unknown, never zero) and prices.

    `rows[i]` is the spreadsheet row of food `i` (the header is row 1), used to point
    at the cell when a value is wrong or missing.
    """

    ids: tuple[str, ...]
    names: tuple[str, ...]
    price_per_kg: np.ndarray
    numbers: Mapping[str, np.ndarray]
    texts: Mapping[str, tuple[str, ...]]
    columns: tuple[str, ...]
    origin: str = "foods"
    sheet: str | None = None
    rows: tuple[int, ...] = field(default=())

    def __len__(self) -> int:
        return len(self.ids)

    @cached_property
    def _positions(self) -> dict[str, int]:
        return {food_id: i for i, food_id in enumerate(self.ids)}

    def position(self, food_id: str) -> int | None:
        return self._positions.get(food_id)

    def positions(self, food_ids: Iterable[str]) -> list[int | None]:
        """`position` of each id (None: not in the table)."""
        get = self._positions.get
        return [get(food_id) for food_id in food_ids]

    @property
    def nutrient_columns(self) -> list[str]:
        """Numeric columns named `<nutrient>_<unit>`, in table order."""
        return [c for c in self.columns if c in self.numbers and split_column(c)]

    def text(self, column: str, i: int) -> str:
        values = self.texts.get(column)
        return values[i] if values else ""

    def problem(self, i: int, column: str, message: str) -> Problem:
        """A problem located at food `i`, `column`."""
        row = self.rows[i] if self.rows else i + 2
        return Problem(message, self.origin, self.sheet, row, column)

    def with_prices(self, prices: Mapping[str, float], *, origin: str = "prices") -> FoodTable:
        """A copy with some prices replaced (USD or the set's currency per kg)."""
        if not isinstance(prices, Mapping):
            raise UsageError(f"with_prices: expected a mapping id → price, got {type(prices).__name__}")
        problems = [
            Problem(f"unknown ingredient id {food_id!r}", origin)
            for food_id in prices
            if food_id not in self._positions
        ]
        problems += [
            Problem(f"price_per_kg for {food_id!r} must be a finite number ≥ 0, got {p!r}", origin)
            for food_id, p in prices.items()
            if not is_price(p)
        ]
        if problems:
            raise InputError(problems)
        new = self.price_per_kg.copy()
        for food_id, price in prices.items():
            new[self._positions[food_id]] = float(price)
        new.flags.writeable = False
        return replace(self, price_per_kg=new)

    def subset(self, keep: Sequence[int]) -> FoodTable:
        """The foods at positions `keep`, in that order."""
        idx = np.asarray(keep, dtype=int)
        return replace(
            self,
            ids=tuple(self.ids[i] for i in idx),
            names=tuple(self.names[i] for i in idx),
            price_per_kg=self.price_per_kg[idx],
            numbers={k: v[idx] for k, v in self.numbers.items()},
            texts={k: tuple(v[i] for i in idx) for k, v in self.texts.items()},
            rows=tuple(self.rows[i] for i in idx) if self.rows else (),
        )

    def records(self) -> list[dict[str, Cell]]:
        """One dict per food in column order; unknown values are None."""
        out: list[dict[str, Cell]] = []
        for i in range(len(self)):
            record: dict[str, Cell] = {}
            for column in self.columns:
                record[column] = self._cell(column, i)
            out.append(record)
        return out

    def _cell(self, column: str, i: int) -> Cell:
        if column == "id":
            return self.ids[i]
        if column == "name":
            return self.names[i]
        if column == "price_per_kg":
            price = float(self.price_per_kg[i])
            return None if math.isnan(price) else price
        if column in self.numbers:
            value = float(self.numbers[column][i])
            return None if math.isnan(value) else value
        return self.text(column, i)

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        data: dict[str, Any] = {}
        for column in self.columns:
            if column in ("id", "name"):
                data[column] = list(self.ids if column == "id" else self.names)
            elif column == "price_per_kg":
                data[column] = self.price_per_kg
            elif column in self.numbers:
                data[column] = self.numbers[column]
            else:
                data[column] = list(self.texts[column])
        return pd.DataFrame(data, columns=list(self.columns))

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, *, origin: str = "DataFrame") -> FoodTable:
        """Validate a pandas DataFrame (one row per food) into a FoodTable."""
        if not hasattr(frame, "columns") or not hasattr(frame, "itertuples"):
            raise UsageError(f"FoodTable.from_frame: expected a pandas DataFrame, got {type(frame).__name__}")
        header = [str(c) for c in frame.columns]
        rows = [[cell_from_pandas(v) for v in row] for row in frame.itertuples(index=False)]
        return cls.from_records(header, rows, origin=origin)

    @classmethod
    def from_records(
        cls,
        header: Sequence[Cell],
        rows: Iterable[Sequence[Cell]],
        *,
        origin: str,
        sheet: str | None = None,
        first_row: int = 2,
    ) -> FoodTable:
        """Validate raw cells (strings from CSV, typed values from a workbook).

        Collects every problem — missing or duplicate ids and columns, non-numeric,
        negative or infinite numbers — and raises one InputError listing them all.
        """
        return _FoodTableBuilder(origin, sheet).build(header, rows, first_row)


def cell_from_pandas(value: Any) -> Cell:
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, (bool, int, float, str)):
        return value
    if hasattr(value, "item"):  # numpy scalar
        return cell_from_pandas(value.item())
    return str(value)


def is_number(value: Any) -> bool:
    """A finite real number given as data (Python or numpy; a bool is not a number)."""
    return (
        isinstance(value, numbers.Real)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and abs(float(value)) <= MAX_MAGNITUDE
    )


def is_price(value: Any) -> bool:
    """A price (or any amount) a table can hold: a finite number ≥ 0."""
    return is_number(value) and value >= 0


def cell_text(cell: Cell) -> str:
    """A cell as text, the way it shows in a spreadsheet: 1001 (stored 1001.0) is "1001",
    TRUE is "TRUE", blank is "". Not stripped: callers that want that strip."""
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "TRUE" if cell else "FALSE"
    if isinstance(cell, float) and math.isfinite(cell) and cell.is_integer() and abs(cell) < 1e15:
        return str(int(cell))  # a spreadsheet turned "12" into 12.0
    return str(cell)


def canonical_columns(header: Sequence[Cell]) -> list[str]:
    """Header cells as column names: stripped, lower case, aliases ("description") renamed
    unless the table also has the column itself."""
    columns = [cell_text(c).strip().lower() for c in header]
    present = set(columns)
    return [ALIASES[c] if c in ALIASES and ALIASES[c] not in present else c for c in columns]


def parse_number(cell: Cell) -> float | str | None:
    """A cell as a float, None when blank, or a message saying why it is not a number."""
    if cell is None:
        return None
    if isinstance(cell, bool):
        return f"not a number: {cell_text(cell)} (a yes/no cell; type 1 or 0)"
    if isinstance(cell, (int, float)):
        value = float(cell)
    else:
        text = cell.strip()
        if not text:
            return None
        try:
            value = float(text)
        except ValueError:
            hint = " (use a decimal point, not a comma)" if _looks_like_decimal_comma(text) else ""
            return f"not a number: {text!r}{hint}"
    if math.isnan(value):
        return "not a number: NaN (leave the cell blank for unknown)"
    if math.isinf(value):
        return f"must be finite, got {value}"
    if abs(value) > MAX_MAGNITUDE:
        limit = f"±{MAX_MAGNITUDE:g}"
        return f"out of range: must be within {limit} (more is infinite to a solver), got {value:g}"
    return value


def _looks_like_decimal_comma(text: str) -> bool:
    head, _, tail = text.partition(",")
    return bool(head) and bool(tail) and (head + tail).lstrip("-").isdigit()


class _FoodTableBuilder:
    def __init__(self, origin: str, sheet: str | None) -> None:
        self.found = ProblemCollector(origin, sheet)
        self.origin = origin
        self.sheet = sheet

    def build(self, header: Sequence[Cell], rows: Iterable[Sequence[Cell]], first_row: int) -> FoodTable:
        columns = self._header(header)
        table = [list(r) for r in rows]
        numbered = [(first_row + k, r) for k, r in enumerate(table) if any(cell_text(c).strip() for c in r)]
        self.found.raise_if_any()
        if not numbered:
            self.found.add("no foods: the table has a header but no rows")
            self.found.raise_if_any()
        width = len(columns)
        cells: dict[str, list[Cell]] = {c: [] for c in columns}
        for row_number, row in numbered:
            if len(row) > width and any(c not in (None, "") for c in row[width:]):
                self.found.add(f"{len(row)} cells but the header has {width}", row=row_number)
            padded = list(row[:width]) + [None] * (width - len(row))
            for column, cell in zip(columns, padded, strict=True):
                cells[column].append(cell)
        row_numbers = tuple(n for n, _ in numbered)
        ids = self._ids(cells["id"], row_numbers)
        names = self._names(cells["name"], row_numbers)
        numbers: dict[str, np.ndarray] = {}
        texts: dict[str, tuple[str, ...]] = {}
        for column in columns:
            if column in ("id", "name"):
                continue
            if _is_numeric_column(column, cells[column]):
                numbers[column] = self._numeric(column, cells[column], row_numbers)
            else:
                texts[column] = tuple(cell_text(c).strip() for c in cells[column])
        self.found.raise_if_any()
        price = numbers.pop(PRICE) if PRICE in numbers else np.full(len(ids), np.nan)
        for array in (price, *numbers.values()):
            array.flags.writeable = False
        return FoodTable(
            ids=ids,
            names=names,
            price_per_kg=price,
            numbers=numbers,
            texts=texts,
            columns=tuple(columns),
            origin=self.origin,
            sheet=self.sheet,
            rows=row_numbers,
        )

    def _header(self, header: Sequence[Cell]) -> list[str]:
        columns = canonical_columns(header)
        while columns and not columns[-1]:
            columns.pop()
        if not columns:
            self.found.add("empty: no header row", row=1)
            self.found.raise_if_any()
        seen: dict[str, int] = {}
        for k, column in enumerate(columns, start=1):
            if not column:
                self.found.add(f"column {k} has no name", row=1)
            elif column in seen:
                self.found.add(f"duplicate column {column!r} (also column {seen[column]})", row=1)
            else:
                seen[column] = k
        for column in seen:
            self._orphan_companion(column, seen)
        for required in REQUIRED_COLUMNS:
            if required not in seen:
                need = ", ".join(REQUIRED_COLUMNS)
                self.found.add(
                    f"missing required column {required!r} (required: {need})",
                    row=1,
                    column=required,
                )
        return columns

    def _orphan_companion(self, column: str, present: Mapping[str, int]) -> None:
        """`vitamin_zz_ug_sd`, `price_per_kg_sd`: a companion column (`_sd`, `_min`, `_max`,
        `_retention`) of a nutrient column the table does not have, or of a column that is
        not a nutrient, is read by nothing: bad input, not a silent extra column."""
        base, _, kind = column.rpartition("_")
        if kind not in KINDS or not base or (base not in present and not split_column(base)):
            return  # "moisture_max" and the like: a column of its own
        if base in present and split_column(base):
            return
        nutrients = [c for c in present if split_column(c) and not companion_of(c)]
        close = difflib.get_close_matches(base, nutrients, n=1)
        hint = f"; did you mean {companion(close[0], kind)!r}?" if close else ""
        kinds = ", ".join(f"_{k}" for k in KINDS)
        why = (
            f"{base!r} is not a nutrient column (<nutrient>_<unit>); only those take {kinds} columns"
            if base in present
            else f"the table has no column {base!r}"
        )
        self.found.add(f"nothing reads this column: {why}{hint}", row=1, column=column)

    def _ids(self, cells: list[Cell], rows: tuple[int, ...]) -> tuple[str, ...]:
        first_seen: dict[str, int] = {}
        ids: list[str] = []
        for cell, row in zip(cells, rows, strict=True):
            food_id = cell_text(cell).strip()
            ids.append(food_id)
            if not food_id:
                self.found.add("missing id", row=row, column="id")
            elif food_id in first_seen:
                self.found.add(
                    f"duplicate id {food_id!r} (first at row {first_seen[food_id]})",
                    row=row,
                    column="id",
                )
            else:
                first_seen[food_id] = row
        return tuple(ids)

    def _names(self, cells: list[Cell], rows: tuple[int, ...]) -> tuple[str, ...]:
        names = tuple(cell_text(c).strip() for c in cells)
        for name, row in zip(names, rows, strict=True):
            if not name:
                self.found.add("missing name", row=row, column="name")
        return names

    def _numeric(self, column: str, cells: list[Cell], rows: tuple[int, ...]) -> np.ndarray:
        fast = _all_valid_numbers(column, cells)  # typed workbook cells: no per-cell parsing
        if fast is not None:
            return fast
        values = np.full(len(cells), np.nan)
        for k, (cell, row) in enumerate(zip(cells, rows, strict=True)):
            parsed = parse_number(cell)
            if isinstance(parsed, str):
                self.found.add(parsed, row=row, column=column)
            elif parsed is not None:
                if parsed < 0:
                    self.found.add(f"must be ≥ 0, got {parsed:g}", row=row, column=column)
                elif column in FLAG_COLUMNS and parsed not in (0.0, 1.0):
                    self.found.add(f"must be 0 or 1, got {parsed:g}", row=row, column=column)
                values[k] = parsed
        return values


def _all_valid_numbers(column: str, cells: list[Cell]) -> np.ndarray | None:
    """The column as floats when every cell is already a valid number or blank (as a
    workbook gives them); None when any cell needs parsing or a message."""
    if not all(c is None or type(c) is float or type(c) is int for c in cells):
        return None
    values = np.array(cells, dtype=float)  # None → NaN
    known = values[~np.isnan(values)]
    if len(known) != len(cells) - cells.count(None):
        return None  # a NaN cell: the slow path says why it is wrong
    if (known < 0).any() or not np.isfinite(known).all() or (known > MAX_MAGNITUDE).any():
        return None
    if column in FLAG_COLUMNS and not np.isin(known, (0.0, 1.0)).all():
        return None
    return values


def _is_numeric_column(column: str, cells: list[Cell]) -> bool:
    """Nutrient, price and flag columns must be numbers; other columns are numbers
    when every filled cell is one, and text otherwise."""
    if column in TEXT_COLUMNS:
        return False
    if column == "price_per_kg" or split_column(column) or column in FLAG_COLUMNS:
        return True
    if companion_of(column):  # protein_g_sd, protein_g_min, vitamin_d_ug_retention …
        return True
    return all(isinstance(parse_number(c), (float, type(None))) for c in cells)
