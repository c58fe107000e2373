"""Batch input files: product lines, price scenarios and availability (.csv, .toml, .xlsx).

Formats (one row per item, one header row, like the food table):

- Products — CSV, a workbook sheet `Products`, or TOML `[[product]]` tables. Columns:
  `name` (required, unique), `brief` (preset name or a .toml/.xlsx path relative to
  the products file; blank = the default brief, or in a workbook with a `Settings`
  sheet that workbook's own brief), `serving_g`, `servings_per_day`, `objective`,
  `cost_max` (per serving), `ingredients` (limits in g per serving, e.g.
  `l_leucine<=3; wpi>=5; cahmb=1.5; soy_isolate=0; wpc80=2..10`), `volume_kg`
  (multi-blend), `note`.
- Scenarios — long (`scenario`, `id`, `price_per_kg`: one price a row; a row with a
  scenario and no id declares a scenario that changes nothing) or wide (`id`, then one
  column per scenario; a blank cell keeps the table's price). CSV, a `Scenarios` sheet,
  or TOML `[scenario.NAME]` tables of `id = price`.
- Availability — `id`, `available_kg` (CSV, an `Availability` sheet, or TOML
  `[availability]` with `id = kg`).

Every problem names its file, sheet, row (or TOML line) and column.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..errors import InputError, Place, Problem, ProblemCollector, UsageError
from ..io import load_brief, load_foods
from ..io.brief_toml import load_toml
from ..io.embedded import preset_paths
from ..io.files import read_text
from ..model.brief import Brief
from ..model.foods import Cell, FoodTable, cell_text, parse_number
from .inputs import Availability, PriceScenarios, Product, ingredient_limit, name_problems

PRODUCTS, SCENARIOS, AVAILABILITY = "Products", "Scenarios", "Availability"
PRODUCT_COLUMNS = (
    "name",
    "brief",
    "serving_g",
    "servings_per_day",
    "objective",
    "cost_max",
    "ingredients",
    "volume_kg",
    "note",
)
NUMBER_COLUMNS = ("serving_g", "servings_per_day", "cost_max", "volume_kg")
THIS_WORKBOOK = "Settings"  # a workbook with this sheet carries its own brief


@dataclass(frozen=True)
class BatchInputs:
    """Everything a products file holds; parts it does not give are None."""

    origin: str
    products: tuple[Product, ...]
    scenarios: PriceScenarios | None = None
    availability: Availability | None = None
    foods: FoodTable | None = None


# -- tables (CSV files and workbook sheets alike) ------------------------------------


@dataclass(frozen=True)
class _Table:
    file: str
    sheet: str | None
    header: list[str]  # as written (scenario names keep their case)
    rows: list[tuple[int, list[Cell]]]  # (spreadsheet row, cells), blank rows dropped
    header_row: int = 1

    @property
    def keys(self) -> list[str]:
        return [h.strip().lower() for h in self.header]

    def where(self, row: int | None = None, column: str | None = None) -> Place:
        return Place(self.file, self.sheet, row, column)

    def records(self) -> Iterable[tuple[int, dict[str, Cell]]]:
        keys = self.keys
        for row, cells in self.rows:
            padded = list(cells) + [None] * (len(keys) - len(cells))
            yield row, {k: _blank(v) for k, v in zip(keys, padded, strict=False) if k}


def _blank(cell: Cell) -> Cell:
    return None if isinstance(cell, str) and not cell.strip() else cell


def _table(
    header: list[Cell], rows: list[list[Cell]], file: str, sheet: str | None, first_row: int
) -> _Table:
    names = [cell_text(h).strip() for h in header]
    while names and not names[-1]:
        names.pop()
    if not names:
        raise InputError(Problem("no header row", file, sheet, first_row - 1))
    kept = [(first_row + k, list(r)) for k, r in enumerate(rows) if any(_blank(c) is not None for c in r)]
    return _Table(file, sheet, names, kept, first_row - 1)


def _csv_table(path: Path) -> _Table:
    from ..io.foods_csv import read_csv_cells

    header, rows = read_csv_cells(path, str(path))
    return _table(list(header), rows, str(path), None, 2)


def _sheet_table(path: Path, name: str, *, required: bool) -> _Table | None:
    from ..io.xlsx import read_sheet

    sheet = read_sheet(path, name, required=required)
    if sheet is None:
        return None
    return _table(sheet.header, sheet.rows, sheet.file, sheet.name, sheet.first_row)


def _check_columns(
    t: _Table, allowed: tuple[str, ...], required: tuple[str, ...], found: ProblemCollector
) -> None:
    keys = t.keys
    for k, key in enumerate(keys):
        if key and key not in allowed:
            found.add(
                f"unknown column {t.header[k]!r} (columns: {', '.join(allowed)})",
                sheet=t.sheet,
                row=t.header_row,
                column=t.header[k],
            )
    for key in required:
        if key not in keys:
            found.add(f"missing required column {key!r}", sheet=t.sheet, row=t.header_row)


# -- products -------------------------------------------------------------------------

_NUMBER = r"[-+]?(?:\d+(?:\.(?!\.)\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_LIMIT = re.compile(
    rf"^\s*(?P<id>[^\s<>=≤≥]+)\s*(?P<op><=|>=|≤|≥|=)\s*(?P<a>{_NUMBER})\s*(?:\.\.\s*(?P<b>{_NUMBER}))?\s*$"
)


def parse_limits(text: str) -> dict[str, tuple[float | None, float | None]] | str:
    """`"l_leucine<=3; wpi>=5; cahmb=1.5; wpc80=2..10"` → {id: (min, max)}; a message if malformed."""
    out: dict[str, tuple[float | None, float | None]] = {}
    for part in re.split(r"[;\n]", text):
        if not part.strip():
            continue
        m = _LIMIT.match(part)
        if m is None:
            return (
                f"cannot read {part.strip()!r}: write id<=max, id>=min, id=grams or id=min..max,"
                " separated by ;"
            )
        try:
            a = float(m["a"])
            b = float(m["b"]) if m["b"] is not None else None
        except ValueError:
            return f"cannot read the number in {part.strip()!r}"
        op = {"≤": "<=", "≥": ">="}.get(m["op"], m["op"])
        if b is not None and op != "=":
            return f"cannot read {part.strip()!r}: a range is written id=min..max"
        lo, hi = out.get(m["id"], (None, None))
        if op == "<=":
            hi = a
        elif op == ">=":
            lo = a
        else:
            lo, hi = (a, a) if b is None else (a, b)
        out[m["id"]] = (lo, hi)
    return out


class _ProductReader:
    """Turns product records (table rows or TOML tables) into Products with loaded briefs."""

    def __init__(self, base_dir: Path, book: Path | None) -> None:
        self.base_dir = base_dir
        self.book = book
        self.problems: list[Problem] = []
        self._briefs: dict[str, Brief] = {}

    def product(self, data: Mapping[str, Any], where: Callable[[str | None], Place]) -> Product | None:
        def fail(message: str, column: str | None) -> None:
            self.problems.append(where(column).at(message))

        start = len(self.problems)
        name = _text(data.get("name"))
        if name is None:
            fail("product name is blank", "name")
        numbers: dict[str, float | None] = {}
        for column in NUMBER_COLUMNS:
            value = parse_number(data.get(column))
            if isinstance(value, str):
                fail(f"{column}: {value}", column)
            else:
                numbers[column] = value
        limits = self.limits(data, fail)
        objective = _text(data.get("objective"))
        brief = self.brief(_text(data.get("brief")), where("brief"), fail)
        if len(self.problems) > start or name is None:
            return None
        product = Product(
            name=name,
            brief=brief,
            objective=objective,
            ingredients=limits,
            where=where(None),
            **numbers,
        )
        found = product.number_problems()
        self.problems += found
        return None if found else product

    def limits(self, data: Mapping[str, Any], fail: Callable[[str, str | None], None]) -> tuple[Any, ...]:
        from pydantic import ValidationError

        pairs: dict[str, tuple[float | None, float | None]] = {}
        compact = data.get("ingredients")
        if compact is not None:
            parsed = parse_limits(cell_text(compact))
            if isinstance(parsed, str):
                fail(parsed, "ingredients")
            else:
                pairs.update(parsed)
        for k, entry in enumerate(data.get("ingredient") or []):
            if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
                fail(f'[[product.ingredient]] #{k + 1}: needs id = "..." and min and/or max', "ingredient")
                continue
            extra = set(entry) - {"id", "min", "max"}
            if extra:
                fail(
                    f"[[product.ingredient]] #{k + 1}: unknown key {sorted(extra)[0]!r} (keys: id, min, max)",
                    "ingredient",
                )
                continue
            pairs[entry["id"]] = (entry.get("min"), entry.get("max"))
        out = []
        for food_id, (lo, hi) in pairs.items():
            try:
                out.append(ingredient_limit(food_id, lo, hi))
            except ValidationError as err:
                message = str(err.errors()[0]["msg"]).removeprefix("Value error, ")
                fail(f"ingredient {food_id}: {message}", "ingredients")
        return tuple(out)

    def brief(self, text: str | None, where: Place, fail: Callable[[str, str | None], None]) -> Brief | None:
        if text is None:
            if self.book is not None and _has_sheet(self.book, THIS_WORKBOOK):
                text = str(self.book)
            else:
                return None  # the default brief
        elif text not in preset_paths() and not Path(text).is_absolute():
            text = str(self.base_dir / text)
        if text not in self._briefs:
            try:
                self._briefs[text] = load_brief(text)
            except InputError as err:
                for p in err.problems:
                    if p.file is None:
                        fail(p.message, "brief")
                    else:
                        self.problems.append(p)
                return None
        return self._briefs[text]


def _text(cell: Any) -> str | None:
    """A cell's text, stripped; None when blank."""
    return cell_text(cell).strip() or None


def _has_sheet(book: Path, name: str) -> bool:
    from ..io.xlsx import sheet_names

    return name.lower() in (n.lower() for n in sheet_names(book))


def _products_from_table(t: _Table, reader: _ProductReader, found: ProblemCollector) -> list[Product]:
    _check_columns(t, PRODUCT_COLUMNS, ("name",), found)
    if "name" not in t.keys:
        return []  # no product without a name; with it, rows are read despite unknown columns
    products = []
    for row, record in t.records():
        product = reader.product(record, lambda column, row=row: t.where(row, column))  # type: ignore[misc]
        if product is not None:
            products.append(product)
    if not t.rows:
        found.add("no products: the table has a header but no rows", sheet=t.sheet, row=t.header_row + 1)
    return products


def read_products(path: Path | str) -> BatchInputs:
    """Products (and scenarios, availability, foods when the file carries them): .csv, .toml or .xlsx."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _read_book(p)
    if suffix == ".toml":
        return _read_toml(p)
    if suffix in (".csv", ".tsv", ".txt"):
        found = ProblemCollector(str(p))
        reader = _ProductReader(p.parent, None)
        products = _products_from_table(_csv_table(p), reader, found)
        found.extend(reader.problems)
        found.extend(name_problems(products))
        found.raise_if_any()
        return BatchInputs(str(p), tuple(products))
    raise UsageError(f"{p}: give the products as .xlsx, .toml or .csv")


def _read_book(path: Path) -> BatchInputs:
    inputs, problems = read_batch_book(path)
    if problems:
        raise InputError(problems)
    return inputs


def read_batch_book(path: Path | str) -> tuple[BatchInputs, list[Problem]]:
    """A batch workbook read sheet by sheet: what could be read, and every problem found.

    A sheet with problems is left out (None); products with problems are left out of
    the products. `sarcoform check` cross-checks what is left.
    """
    path = Path(path)
    found = ProblemCollector(str(path))
    reader = _ProductReader(path.parent, path)
    products: list[Product] = []
    products_sheet = _catch(found, lambda: _sheet_table(path, PRODUCTS, required=True))
    if products_sheet is not None:
        products = _products_from_table(products_sheet, reader, found)
    found.extend(reader.problems)
    found.extend(name_problems(products))
    scenarios = availability = None
    scenario_sheet = _catch(found, lambda: _sheet_table(path, SCENARIOS, required=False))
    if scenario_sheet is not None:
        scenarios = _without_bad_rows(found, scenario_sheet, _scenarios_from_table)
    availability_sheet = _catch(found, lambda: _sheet_table(path, AVAILABILITY, required=False))
    if availability_sheet is not None:
        availability = _without_bad_rows(found, availability_sheet, _availability_from_table)
    foods = None
    if _has_sheet(path, "Foods"):
        from ..io.workbook import check_workbook

        # Bad cells blanked, so that products and scenarios are still checked against it.
        foods, _, problems = check_workbook(path)
        found.extend(problems)
    inputs = BatchInputs(str(path), tuple(products), scenarios, availability, foods)
    return inputs, list(dict.fromkeys(found.problems))


def _without_bad_rows(found: ProblemCollector, t: _Table, read: Callable[[_Table], Any]) -> Any:
    """`read(t)`; when rows have problems, they are reported and the other rows read (for
    `check`, which reports every problem at once: cross-checks need what could be read)."""
    try:
        return read(t)
    except InputError as err:
        found.extend(err.problems)
        bad = {p.row for p in err.problems}
        if None in bad or t.header_row in bad:
            return None
        rest = replace(t, rows=[(row, cells) for row, cells in t.rows if row not in bad])
        try:
            return read(rest) if rest.rows else None
        except InputError:
            return None


def _catch(found: ProblemCollector, read: Callable[[], Any]) -> Any:
    try:
        return read()
    except InputError as err:
        found.extend(err.problems)
        return None


# -- TOML -------------------------------------------------------------------------------


def _read_toml(path: Path) -> BatchInputs:
    text = read_text(path)
    name = str(path)
    data = load_toml(text, name)
    lines = _product_lines(text)
    found = ProblemCollector(name)
    for key in data:
        if key not in ("product", "scenario", "availability", "foods", "scenarios"):
            found.add(
                f"unknown key {key!r} (keys: product, scenario, availability, foods, scenarios)",
                line=_key_line(text, key),
            )
    reader = _ProductReader(path.parent, None)
    products: list[Product] = []
    entries = data.get("product")
    if not isinstance(entries, list) or not entries:
        found.add("no [[product]] tables", line=1)
        entries = []
    for k, entry in enumerate(entries):
        line = lines[k] if k < len(lines) else None

        def where(column: str | None, line: int | None = line) -> Place:
            return Place(name, None, None, column, line)

        extra = set(entry) - set(PRODUCT_COLUMNS) - {"ingredient"}
        for key in sorted(extra):
            found.add(
                f"[[product]] #{k + 1}: unknown key {key!r} (keys: {', '.join(PRODUCT_COLUMNS)}, ingredient)",
                line=line,
            )
        product = reader.product(entry, where)
        if product is not None:
            products.append(product)
    found.extend(reader.problems)
    scenarios = None
    if "scenario" in data:
        scenarios = _catch(found, lambda: _scenarios_from_toml(data["scenario"], name, text))
    elif isinstance(data.get("scenarios"), str):
        scenarios = _catch(found, lambda: read_scenarios(path.parent / data["scenarios"]))
    availability = None
    if isinstance(data.get("availability"), dict):
        availability = _catch(found, lambda: _availability_from_toml(data["availability"], name, text))
    elif isinstance(data.get("availability"), str):
        availability = _catch(found, lambda: read_availability(path.parent / data["availability"]))
    foods = None
    if isinstance(data.get("foods"), str):
        foods = _catch(found, lambda: load_foods(path.parent / data["foods"]))
    found.extend(name_problems(products))
    found.raise_if_any()
    return BatchInputs(name, tuple(products), scenarios, availability, foods)


def _product_lines(text: str) -> list[int]:
    return [n for n, line in enumerate(text.splitlines(), 1) if re.match(r"^\s*\[\[\s*product\s*\]\]", line)]


def _key_line(text: str, key: str) -> int | None:
    for n, line in enumerate(text.splitlines(), 1):
        if re.match(rf"^\s*\[*\s*{re.escape(key)}\b", line):
            return n
    return None


def _scenarios_from_toml(data: Any, name: str, text: str) -> PriceScenarios:
    found = ProblemCollector(name)
    prices: dict[str, dict[str, float]] = {}
    where: dict[tuple[str, str], Place] = {}
    if not isinstance(data, dict):
        raise InputError(Problem("scenario must be tables: [scenario.NAME] with id = price", name))
    for scenario, table in data.items():
        line = _key_line(text, f"scenario.{scenario}")
        if not isinstance(table, dict):
            found.add(f"[scenario.{scenario}] must be a table of id = price_per_kg", line=line)
            continue
        prices[scenario] = {}
        for food_id, price in table.items():
            where[(scenario, food_id)] = Place(name, line=line)
            if isinstance(price, bool) or not isinstance(price, (int, float)):
                found.add(
                    f"scenario {scenario!r}: price of {food_id!r} must be a number, got {price!r}", line=line
                )
            else:
                prices[scenario][food_id] = float(price)
    found.raise_if_any()
    return PriceScenarios(prices, origin=name, where=where)


def _availability_from_toml(data: dict[str, Any], name: str, text: str) -> Availability:
    line = _key_line(text, "availability")
    kg: dict[str, float] = {}
    found = ProblemCollector(name)
    for food_id, value in data.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            found.add(f"availability of {food_id!r} must be a number of kg, got {value!r}", line=line)
        else:
            kg[food_id] = float(value)
    found.raise_if_any()
    return Availability(kg, origin=name, where={k: Place(name, line=line) for k in kg})


# -- scenarios ------------------------------------------------------------------------


def read_scenarios(path: Path | str) -> PriceScenarios:
    """Price scenarios from .csv (long or wide), a workbook's `Scenarios` sheet, or .toml."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        sheet = _sheet_table(p, SCENARIOS, required=True)
        assert sheet is not None
        return _scenarios_from_table(sheet)
    if suffix == ".toml":
        text = read_text(p)
        return _scenarios_from_toml(load_toml(text, str(p)).get("scenario", {}), str(p), text)
    if suffix in (".csv", ".tsv", ".txt"):
        return _scenarios_from_table(_csv_table(p))
    raise UsageError(f"{p}: give price scenarios as .csv, .xlsx or .toml")


def scenarios_from_records(header: list[Cell], rows: list[list[Cell]], origin: str) -> PriceScenarios:
    """Scenarios from plain rows (a DataFrame's records), long or wide."""
    return _scenarios_from_table(_table(header, rows, origin, None, 2))


def _scenarios_from_table(t: _Table) -> PriceScenarios:
    keys = t.keys
    if "scenario" in keys:
        return _long_scenarios(t)
    if keys and keys[0] == "id" and len(keys) > 1:
        return _wide_scenarios(t)
    raise InputError(
        Problem(
            "scenarios need columns scenario, id, price_per_kg (long), or id and one column per"
            " scenario (wide)",
            t.file,
            t.sheet,
            t.header_row,
        )
    )


def _long_scenarios(t: _Table) -> PriceScenarios:
    found = ProblemCollector(t.file, t.sheet)
    _check_columns(t, ("scenario", "id", "price_per_kg", "note"), ("scenario", "id", "price_per_kg"), found)
    found.raise_if_any()
    prices: dict[str, dict[str, float]] = {}
    where: dict[tuple[str, str], Place] = {}
    for row, r in t.records():
        scenario, food_id = _text(r.get("scenario")), _text(r.get("id"))
        if scenario is None:
            found.add("scenario name is blank", row=row, column="scenario")
            continue
        prices.setdefault(scenario, {})
        if food_id is None:
            if r.get("price_per_kg") is not None:
                found.add("price without an ingredient id", row=row, column="id")
            continue
        price = parse_number(r.get("price_per_kg"))
        if price is None:
            found.add(
                f"blank price for {food_id!r}: give a price, or leave the row out to keep the table's",
                row=row,
                column="price_per_kg",
            )
        elif isinstance(price, str):
            found.add(price, row=row, column="price_per_kg")
        elif food_id in prices[scenario]:
            found.add(f"scenario {scenario!r} prices {food_id!r} twice", row=row, column="id")
        else:
            prices[scenario][food_id] = price
            where[(scenario, food_id)] = t.where(row)
    if not prices:
        found.add("no scenarios: the table has a header but no rows", row=t.header_row + 1)
    found.raise_if_any()
    return PriceScenarios(prices, origin=t.file, where=where)


def _wide_scenarios(t: _Table) -> PriceScenarios:
    found = ProblemCollector(t.file, t.sheet)
    names = t.header[1:]
    prices: dict[str, dict[str, float]] = {}
    for name in names:
        if not name:
            found.add("a scenario column has no name", row=t.header_row)
        elif name in prices:
            found.add(f"scenario {name!r} appears twice", row=t.header_row, column=name)
        prices[name] = {}
    where: dict[tuple[str, str], Place] = {}
    for row, cells in t.rows:
        food_id = _text(cells[0] if cells else None)
        if food_id is None:
            found.add("ingredient id is blank", row=row, column="id")
            continue
        for k, name in enumerate(names, start=1):
            price = parse_number(cells[k] if k < len(cells) else None)
            if isinstance(price, str):
                found.add(price, row=row, column=name)
            elif price is not None:
                prices[name][food_id] = price
                where[(name, food_id)] = t.where(row, name)
    found.raise_if_any()
    return PriceScenarios(prices, origin=t.file, where=where)


# -- availability -----------------------------------------------------------------------


def read_availability(path: Path | str) -> Availability:
    """Ingredient availability (id, available_kg) from .csv or a workbook's `Availability` sheet."""
    p = Path(path)
    if p.suffix.lower() in (".xlsx", ".xlsm"):
        sheet = _sheet_table(p, AVAILABILITY, required=True)
        assert sheet is not None
        return _availability_from_table(sheet)
    if p.suffix.lower() in (".csv", ".tsv", ".txt"):
        return _availability_from_table(_csv_table(p))
    raise UsageError(f"{p}: give availability as .csv or .xlsx")


def _availability_from_table(t: _Table) -> Availability:
    found = ProblemCollector(t.file, t.sheet)
    _check_columns(t, ("id", "available_kg", "note"), ("id", "available_kg"), found)
    found.raise_if_any()
    kg: dict[str, float] = {}
    where: dict[str, Place] = {}
    for row, r in t.records():
        food_id = _text(r.get("id"))
        value = parse_number(r.get("available_kg"))
        if food_id is None:
            found.add("ingredient id is blank", row=row, column="id")
        elif isinstance(value, str) or value is None:
            found.add(value or "blank: give the kg available", row=row, column="available_kg")
        elif food_id in kg:
            found.add(f"{food_id!r} appears twice", row=row, column="id")
        else:
            kg[food_id] = value
            where[food_id] = t.where(row)
    found.raise_if_any()
    return Availability(kg, origin=t.file, where=where)


# -- one input convention (io/inputs.py), for batch and multiblend ----------------------


def resolve_products(
    book: Path | str | None = None,
    foods: Path | str | None = None,
    constraints: Path | str | None = None,
) -> tuple[BatchInputs, tuple[str, ...]]:
    """Products for `batch`/`multiblend`, with their food table resolved the same way.

    BOOK may be a products file (a workbook with a Products sheet, .toml or .csv), or an
    input workbook / `-c BRIEF` giving one product. The returned BatchInputs always has
    `foods` set; the notes say what was replaced, as for `resolve_inputs`.
    """
    from dataclasses import replace

    from ..io.inputs import has_sheet, is_workbook, resolve_inputs

    if book is None or (is_workbook(book) and not has_sheet(book, PRODUCTS)):
        single = resolve_inputs(book, foods, constraints)
        product = Product(name=single.brief.name, brief=single.brief)
        origin = str(book or single.brief_from)
        return BatchInputs(origin, (product,), foods=single.foods), single.notes
    if constraints is not None:
        raise UsageError(
            f"--constraints {constraints}: {book} names each product's brief; give one or the other"
        )
    products = read_products(book)
    if foods is None:
        return replace(products, foods=products.foods or load_foods()), ()
    notes = (f"foods: {foods} (--foods), not the Foods sheet of {book}",) if products.foods else ()
    return replace(products, foods=load_foods(foods)), notes
