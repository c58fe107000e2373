"""Input workbooks: a `Foods` sheet and the brief's sheets, mirroring CSV and TOML one-to-one.

`Foods` has exactly the food-table columns. The brief is a `Settings` sheet (key | value
rows for the scalar fields; a table's fields are prefixed with its name, e.g.
`cost_max` for `[cost] max`) and one sheet per list or table: `NutrientBounds`
(`[[nutrient]]`), `Ratios`, `Ingredients`, `Groups`, `Background`, `Derived`,
`AminoAcids`. Header cells may carry a unit hint in parentheses ("protein_g (g/100 g)"),
which the reader drops. Unknown sheets (a results workbook's `Summary`, `Blend`, …) are
ignored, so a results workbook is itself an input.

The brief goes through `brief_toml.brief_from_dict`, the same validation as TOML; every
entry remembers its sheet, row and column for later messages.
"""

from __future__ import annotations

import csv
import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

from ..errors import InputError, Place, Problem
from ..model import args, sections
from ..model.brief import Brief
from ..model.foods import Cell, FoodTable, canonical_columns, cell_text, parse_number
from ..model.sections import Column, Kind, Section
from .brief_toml import brief_from_dict
from .xlsx import EMPTY, Sheet, read_sheet, sheet_names

FOODS = "Foods"
SETTINGS = "Settings"
README = "Read me"


@dataclass(frozen=True)
class ListSheet:
    """A sheet holding one TOML list or table, one entry per row (a view of its registry row)."""

    name: str
    section: str  # the TOML name: nutrient | ratio | ingredient | group | background | ...
    columns: tuple[Column, ...]
    key: str  # the column naming an entry (where compile-time problems point by default)
    about: str
    layout: Section


@dataclass(frozen=True)
class Setting:
    """One row of the Settings sheet and where it goes in the brief."""

    key: str
    path: tuple[str, ...]
    kind: Kind = "text"
    about: str = ""
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    positive: bool = False


BLANK_POLICIES = ("error", "zero", "exclude")
OBJECTIVES = ("min_cost", "max:leucine", "max:protein", "max:intact_leucine", "min:sucrose", "min:energy")

# One sheet per section of the brief that has one (model/sections.py says which and how).
LIST_SHEETS: tuple[ListSheet, ...] = tuple(
    ListSheet(s.sheet, s.toml, s.columns, s.key[0], s.about, s) for s in sections.SHEETS if s.sheet
)
SHEETS_BY_SECTION = {s.section: s for s in LIST_SHEETS}

SETTINGS_KEYS: tuple[Setting, ...] = (
    Setting("name", ("name",), about="Short name of the brief (default: the file name)."),
    Setting("title", ("title",), about="One-line description."),
    Setting(
        "objective",
        ("objective",),
        about="min_cost, or max:<nutrient> / min:<nutrient> (ties broken by least cost).",
        choices=OBJECTIVES,
    ),
    Setting("currency", ("currency",), about="Currency of price_per_kg (e.g. USD)."),
    Setting(
        "blank_values",
        ("blank_values",),
        about="A blank food value the brief needs: error (default), zero, or exclude the ingredient.",
        choices=BLANK_POLICIES,
    ),
    Setting(
        "serving_g",
        ("serving", "serving_g"),
        "number",
        "Fixed serving mass, g (or give min_g/max_g).",
        positive=True,
    ),
    Setting(
        "min_g", ("serving", "min_g"), "number", "Smallest serving, g (with max_g: a free mass).", minimum=0
    ),
    Setting("max_g", ("serving", "max_g"), "number", "Largest serving, g.", positive=True),
    Setting(
        "servings_per_day",
        ("serving", "servings_per_day"),
        "number",
        "Servings a day (default 1).",
        positive=True,
    ),
    Setting(
        "servings_per_meal",
        ("serving", "servings_per_meal"),
        "number",
        "Servings per meal (default 1).",
        positive=True,
    ),
    Setting(
        "body_weight_kg",
        ("serving", "body_weight_kg"),
        "number",
        "Body weight for the kg_bw_day basis, kg.",
        positive=True,
    ),
    Setting("serving_source", ("serving", "source"), about="Source of the serving settings."),
    Setting("serving_note", ("serving", "note"), about="Note on the serving settings."),
    Setting("background_source", ("background", "source"), about="Source of the Background sheet."),
    Setting("background_note", ("background", "note"), about="Note on the Background sheet."),
    Setting(
        "cost_basis",
        ("cost", "basis"),
        about="Cost bound per serving, day or kg of product.",
        choices=("serving", "day", "kg"),
    ),
    Setting("cost_min", ("cost", "min"), "number", "Lowest cost on that basis (currency)."),
    Setting("cost_max", ("cost", "max"), "number", "Highest cost on that basis (currency): a budget."),
    Setting("cost_source", ("cost", "source"), about="Source of the cost bound."),
    Setting("cost_note", ("cost", "note"), about="Note on the cost bound."),
    Setting(
        "amino_acid_pattern_name", ("amino_acid_pattern", "name"), about="Name of the amino-acid pattern."
    ),
    Setting(
        "amino_acid_pattern_protein",
        ("amino_acid_pattern", "protein"),
        about="Protein column the pattern is per g of (default protein_g).",
    ),
    Setting("amino_acid_pattern_source", ("amino_acid_pattern", "source"), about="Source of the pattern."),
    Setting("amino_acid_pattern_note", ("amino_acid_pattern", "note"), about="Note on the pattern."),
    Setting(
        "max_ingredients",
        ("max_ingredients",),
        "number",
        "At most this many ingredients in the blend (mixed-integer).",
        positive=True,
    ),
    Setting(
        "min_inclusion_g",
        ("min_inclusion_g",),
        "number",
        "Any ingredient used is at least this many g per serving (mixed-integer).",
        positive=True,
    ),
    Setting(
        "batch_size_kg",
        ("batch_size_kg",),
        "number",
        "Production batch, kg: results show kg per batch.",
        positive=True,
    ),
    Setting(
        "include",
        ("include",),
        "list",
        "Rule packs whose bounds the brief takes on, comma-separated (e.g. gb29922_10plus_full).",
    ),
    Setting("source", ("source",), about="Source of the brief as a whole."),
    Setting("note", ("note",), about="Note on the brief as a whole."),
)


YES_NO = ("true", "false")


def _scalar_kind(annotation: Any) -> tuple[Kind, tuple[str, ...]] | None:
    """("number" | "text", choices) for a scalar field type; None for tables and lists."""
    union = get_origin(annotation) in (Union, UnionType)
    options = [a for a in (get_args(annotation) if union else (annotation,)) if a is not type(None)]
    if len(options) != 1:
        return None
    option = options[0]
    if get_origin(option) is Annotated:
        option = get_args(option)[0]
    if get_origin(option) is Literal:
        return "text", tuple(str(a) for a in get_args(option))
    if option is bool:  # worst_case: a yes/no, read back as True/False
        return "text", YES_NO
    if option in (int, float):
        return "number", ()
    if option is str:
        return "text", ()
    return None


def _table_model(section: str) -> type[BaseModel]:
    """The model of a `[section]` table of the brief (e.g. shelf_life → ShelfLife)."""
    annotation = Brief.model_fields[section].annotation
    found = next(a for a in get_args(annotation) if isinstance(a, type) and issubclass(a, BaseModel))
    return found


def _collection_kind(annotation: Any) -> tuple[Kind, tuple[str, ...]] | None:
    """("list", ()) for a tuple of names; ("mapping", ()) for name → number tables."""
    union = get_origin(annotation) in (Union, UnionType)
    for option in get_args(annotation) if union else (annotation,):
        if get_origin(option) is Annotated:
            option = get_args(option)[0]
        if get_origin(option) is tuple:
            return "list", ()
        if get_origin(option) is dict:
            return "mapping", ()
    return None


def join_mapping(values: dict[str, float]) -> str:
    """`{"vitamin_d_ug": 0.8}` → "vitamin_d_ug = 0.8" (read back by the Settings reader)."""
    return ", ".join(f"{k} = {v!r}" for k, v in values.items())


def _more_settings(known: tuple[Setting, ...]) -> tuple[Setting, ...]:
    """Scalar fields of the brief not listed above (added to the model later): one row each,
    so a new field is never lost between TOML and a workbook."""
    paths = {s.path for s in known}
    tables: dict[str, type[BaseModel]] = {"": Brief}
    tables.update((s.toml, s.entry) for s in sections.TABLES if s.shape != "mapping")
    more = []
    for prefix, model in tables.items():
        for name, info in model.model_fields.items():
            key = info.alias or name
            path = (prefix, key) if prefix else (key,)
            kind = _scalar_kind(info.annotation)
            if kind is None and prefix and sections.BY_TOML[prefix].shape == "table":
                # a table's name → number maps and name lists: one Settings row each too
                kind = _collection_kind(info.annotation)
            if path in paths or kind is None:
                continue
            about = f"[{prefix}] {key} in TOML." if prefix else f"{key} in TOML."
            more.append(Setting(f"{prefix}_{key}" if prefix else key, path, kind[0], about, choices=kind[1]))
    return tuple(more)


SETTINGS_KEYS += _more_settings(SETTINGS_KEYS)
SETTINGS_BY_KEY = {s.key: s for s in SETTINGS_KEYS}
BRIEF_SHEETS = (SETTINGS, *(s.name for s in LIST_SHEETS))
# NutrientBounds, not Nutrients: a results workbook is also an input, and its `Nutrients`
# sheet holds the amounts per serving. An input workbook may still use the short name.
NUTRIENTS_ALIAS = "Nutrients"

BASIS_HELP = {
    "serving": "amount in one serving",
    "meal": "amount per meal: serving × servings_per_meal + background per meal",
    "day": "amount per day: serving × servings_per_day + background per day",
    "kg_bw_day": "day amount ÷ body_weight_kg (e.g. mg/kg body weight/day)",
    "per_100g": "amount per 100 g of product",
    "per_100kcal": "amount per 100 kcal of product energy",
    "per_100kj": "amount per 100 kJ of product energy",
}


# -- reading -----------------------------------------------------------------------


def read_foods_sheet(path: Path | str) -> FoodTable:
    """The `Foods` sheet as a validated FoodTable (every problem reported at once)."""
    sheet = read_sheet(path, FOODS)
    assert sheet is not None
    return _foods(sheet)


def _foods(sheet: Sheet) -> FoodTable:
    from ..model.plausibility import checked

    return checked(
        FoodTable.from_records(
            sheet.header, sheet.rows, origin=sheet.file, sheet=sheet.name, first_row=sheet.first_row
        )
    )


def read_brief_sheets(path: Path | str) -> Brief:
    """The brief from the `Settings` sheet and its list sheets (every problem at once)."""
    names = sheet_names(path)
    if SETTINGS.lower() not in (n.lower() for n in names):
        raise InputError(
            Problem(
                f"no {SETTINGS} sheet, so no brief (sheets: {', '.join(names)}): add the brief's sheets"
                " (`sarcoform template` shows them) or give a brief with --constraints",
                str(path),
            )
        )
    return _BriefReader(path).read()


def read_workbook(path: Path | str) -> tuple[FoodTable, Brief]:
    """Food table and brief of one workbook; problems in either are reported together."""
    args.expect_path(path, "read_workbook(path)")
    problems: list[Problem] = []
    foods = brief = None
    try:
        foods = read_foods_sheet(path)
    except InputError as err:
        problems += err.problems
    try:
        brief = read_brief_sheets(path)
    except InputError as err:
        problems += [p for p in err.problems if p not in problems]
    if problems:
        raise InputError(problems)
    assert foods is not None and brief is not None
    return foods, brief


@dataclass
class _Brief:
    """Plain data for brief_from_dict, with the cell each part came from."""

    data: dict[str, Any] = field(default_factory=dict)
    places: dict[tuple[str | None, int | None], Place] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


class _BriefReader:
    def __init__(self, path: Path | str) -> None:
        self.path = path
        self.file = str(path)
        self.brief = _Brief()

    def problem(self, message: str, sheet: str, row: int | None = None, column: str | None = None) -> None:
        self.brief.problems.append(Problem(message, self.file, sheet, row, column))

    def place(
        self, key: tuple[str | None, int | None], sheet: str, row: int | None, column: str | None
    ) -> None:
        """Remember where a part of the brief is; a table's own sheet beats its Settings rows."""
        known = self.brief.places.get(key)
        if known is None or (known.sheet == SETTINGS and sheet != SETTINGS):
            self.brief.places[key] = Place(self.file, sheet, row, column)

    def read(self, *, lenient: bool = False) -> Brief:
        self.gather()
        raw = self.brief
        try:
            brief = brief_from_dict(raw.data, self.file, lambda s, i: raw.places.get((s, i)))
        except InputError as err:
            raw.problems += [p for p in err.problems if p not in raw.problems]
            if not lenient:
                raise InputError(raw.problems) from None
            brief = self.usable_part()
        if raw.problems and not lenient:
            raise InputError(raw.problems)
        return brief

    def gather(self) -> None:
        try:
            settings = read_sheet(self.path, SETTINGS, found=self.brief.problems)
        except InputError as err:  # absent, or formulas without values: report, read the rest
            self.brief.problems += err.problems
        else:
            assert settings is not None
            self.settings(settings)
        for layout in LIST_SHEETS:
            try:
                sheet = read_sheet(self.path, layout.name, required=False, found=self.brief.problems)
                if sheet is None and layout.section == "nutrient":
                    sheet = self.nutrients_sheet()
            except InputError as err:
                if any(p.message != EMPTY for p in err.problems):  # an empty sheet is no entries
                    self.brief.problems += err.problems
                continue
            if sheet is not None:
                self.list_sheet(layout, sheet)
        self.brief.data.setdefault("name", Path(self.path).stem)
        where = self.brief.places.get(("objective", None)) or Place(self.file, SETTINGS)
        self.brief.places.setdefault((None, None), where)

    def nutrients_sheet(self) -> Sheet | None:
        """An input workbook may call its bounds sheet `Nutrients`; a results workbook's
        `Nutrients` sheet (amounts per serving, …) is not a brief sheet."""
        sheet = read_sheet(self.path, NUTRIENTS_ALIAS, required=False, found=self.brief.problems)
        if sheet is None or "per_serving" in (cell_text(h).lower() for h in sheet.header):
            return None
        return sheet

    # -- Settings: key | value ---------------------------------------------------
    def settings(self, sheet: Sheet) -> None:
        header = [cell_text(h).strip().lower() for h in sheet.header]
        if "key" not in header or "value" not in header:
            self.problem(
                "the Settings sheet needs a header row with columns key and value",
                sheet.name,
                sheet.first_row - 1,
            )
            return
        k, v = header.index("key"), header.index("value")
        seen: dict[str, int] = {}
        for offset, row in enumerate(sheet.rows):
            number = sheet.first_row + offset
            raw_key = row[k] if k < len(row) else None
            value = row[v] if v < len(row) else None
            key = cell_text(raw_key).strip().lower()
            if not key:
                if value is not None:
                    self.problem("a value without a key", sheet.name, number, "key")
                continue
            setting = SETTINGS_BY_KEY.get(key)
            if setting is None:
                close = difflib.get_close_matches(key, SETTINGS_BY_KEY, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else " (see the Read me sheet)"
                self.problem(f"unknown setting {key!r}{hint}", sheet.name, number, "key")
                continue
            if key in seen:
                self.problem(f"setting {key!r} given twice (also row {seen[key]})", sheet.name, number, "key")
                continue
            seen[key] = number
            parsed = self.value(setting.kind, value, sheet.name, number, "value", setting.minimum)
            if parsed is None:
                continue
            if setting.choices == YES_NO:
                parsed = {"true": True, "false": False}.get(str(parsed).strip().lower(), parsed)
            if isinstance(parsed, float) and parsed.is_integer() and abs(parsed) < 2**53:
                parsed = int(parsed)  # 3.0 from a cell is the 3 a whole-number setting (strict) wants
            target = self.brief.data
            for part in setting.path[:-1]:
                target = target.setdefault(part, {})
                self.place((part, None), sheet.name, number, "value")
            target[setting.path[-1]] = parsed
            self.place((".".join(setting.path), None), sheet.name, number, "value")

    def value(
        self, kind: Kind, cell: Cell, sheet: str, row: int, column: str, minimum: float | None = None
    ) -> Any:
        """A cell as the brief wants it, or None when blank or wrong (reported)."""
        if cell is None:
            return None
        if kind == "number":
            parsed = parse_number(cell)
            if isinstance(parsed, str):
                self.problem(parsed, sheet, row, column)
                return None
            if parsed is not None and minimum is not None and parsed < minimum:
                self.problem(f"must be ≥ {minimum:g}, got {parsed:g}", sheet, row, column)
                return None
            return parsed
        text = cell_text(cell)
        if kind == "list":
            return _split_list(text) or None
        if kind == "mapping":
            return self.mapping(text, sheet, row, column)
        return text

    def mapping(self, text: str, sheet: str, row: int, column: str) -> dict[str, float] | None:
        """ "vitamin_d_ug = 0.8, vitamin_c_mg = 0.55" → a dict; problems reported."""
        out: dict[str, float] = {}
        for item in _split_list(text):
            key, sep, number = item.partition("=")
            parsed = parse_number(number) if sep and key.strip() else "expected name = number"
            if not isinstance(parsed, float):
                self.problem(f"{item!r}: {parsed or 'expected name = number'}", sheet, row, column)
                return None
            out[key.strip()] = parsed
        return out or None

    # -- one entry per row -------------------------------------------------------
    def list_sheet(self, layout: ListSheet, sheet: Sheet) -> None:
        columns: list[Column | None] = []
        known = {c.key: c for c in layout.columns}
        for k, cell in enumerate(sheet.header):
            key = cell_text(cell).strip().lower()
            column = known.get(key)
            if column is None and key:
                close = difflib.get_close_matches(key, known, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else f" (columns: {', '.join(known)})"
                self.problem(
                    f"unknown column {key!r}{hint}", sheet.name, sheet.first_row - 1, sheet.column_name(k)
                )
            columns.append(column)
        index = 0
        for offset, row in enumerate(sheet.rows):
            number = sheet.first_row + offset
            entry: dict[str, Any] = {}
            filled = False
            for column, cell in zip(columns, row, strict=False):
                if column is None or cell is None:
                    continue
                filled = filled or bool(cell_text(cell).strip())
                parsed = self.value(column.kind, cell, sheet.name, number, column.key, column.minimum)
                if parsed is not None:
                    entry[column.key] = parsed
            if not filled:
                continue
            self.entry(layout, sheet.name, number, entry, index)
            index += 1

    def entry(self, layout: ListSheet, sheet: str, row: int, entry: dict[str, Any], index: int) -> None:
        data = self.brief.data
        section = layout.section
        if layout.layout.shape == "list":
            data.setdefault(section, []).append(entry)
            self.place((section, index), sheet, row, layout.layout.key_column(entry))
            return
        name = entry.get(layout.key)
        if name is None:
            self.problem(f"missing {layout.key}", sheet, row, layout.key)
            return
        if layout.layout.shape == "mapping":  # [derived] name = { expr = ... }
            if name in data.get(section, {}):
                self.problem(f"{layout.layout.phrase} {name!r} given twice", sheet, row, layout.key)
                return
            data.setdefault(section, {})[name] = {k: v for k, v in entry.items() if k != layout.key}
            value = layout.columns[1].key
            self.place((f"{section}.{name}", None), sheet, row, value)
            self.place((section, None), sheet, row, value)
            return
        # A pattern: [background] per_meal = { leucine_g = 0.5 }, one row per column named.
        table = data.setdefault(section, {})
        values = layout.layout.values
        if len(values) == 1:
            table.setdefault(values[0], {})
        for value in values:
            if value in entry:
                if name in table.get(value, {}):
                    self.problem(f"{name!r} given twice", sheet, row, layout.key)
                table.setdefault(value, {})[name] = entry[value]
            elif len(values) == 1:
                self.problem(f"missing {value}", sheet, row, value)
        self.place((section, None), sheet, row, layout.key)

    # -- `sarcoform check`: what can still be checked --------------------------
    def usable_part(self) -> Brief:
        """The brief without the entries and settings that failed validation."""
        from pydantic import ValidationError

        data = dict(self.brief.data)
        for _ in range(20):
            try:
                Brief.model_validate(data)
                break
            except ValidationError as err:
                data = _without(data, [list(e["loc"]) for e in err.errors()])
        else:  # pragma: no cover - every round removes something
            data = {"name": data.get("name", "brief")}
        places = dict(self.brief.places)
        for section in (s.toml for s in sections.LISTS):
            kept = data.get(section, [])
            given = self.brief.data.get(section, [])
            positions = [next(i for i, e in enumerate(given) if e is entry) for entry in kept]
            for new, old in enumerate(positions):
                if (section, old) in self.brief.places:
                    places[(section, new)] = self.brief.places[(section, old)]
        return brief_from_dict(data, self.file, lambda s, i: places.get((s, i)))


def _without(data: dict[str, Any], locs: list[list[Any]]) -> dict[str, Any]:
    """Drop what each error points at: a list entry, a table key, or a top-level key."""
    data = {
        k: (list(v) if isinstance(v, list) else dict(v) if isinstance(v, dict) else v)
        for k, v in data.items()
    }
    drop: dict[str, set[int]] = {}
    for loc in locs:
        if not loc:
            return {"name": data.get("name", "brief")}
        head = str(loc[0])
        if isinstance(data.get(head), list) and len(loc) > 1 and isinstance(loc[1], int):
            drop.setdefault(head, set()).add(loc[1])
        elif isinstance(data.get(head), dict) and len(loc) > 1 and str(loc[1]) in data[head]:
            data[head].pop(str(loc[1]))
        else:
            data.pop(head, None)
    for head, positions in drop.items():
        data[head] = [e for i, e in enumerate(data[head]) if i not in positions]
    if "name" not in data:
        data["name"] = "brief"
    return data


def _split_list(text: str) -> tuple[str, ...]:
    """ "a, b, \"c,d\"" → ("a", "b", "c,d")."""
    row = next(csv.reader([text], skipinitialspace=True), [])
    return tuple(item.strip() for item in row if item.strip())


def join_list(items: Sequence[str]) -> str:
    """The inverse of `_split_list`: quote items holding a comma or a quote."""
    out = []
    for item in items:
        if any(ch in item for ch in ',"\r\n') or item != item.strip():
            out.append('"' + item.replace('"', '""') + '"')
        else:
            out.append(item)
    return ", ".join(out)


# -- `sarcoform check` on a workbook ---------------------------------------------


def check_workbook(path: Path | str) -> tuple[FoodTable | None, Brief | None, list[Problem]]:
    """Every problem in a workbook's sheets, plus what could still be read.

    Bad food cells are blanked and bad brief entries dropped, so the brief can still be
    compiled over the table and cross-sheet problems (unknown ids, blanks a bound needs)
    are found in the same pass. A workbook without brief sheets gives no brief, and one
    without a Foods sheet no table, without a problem (they may come from other files).
    """
    problems: list[Problem] = []
    try:
        names = {n.lower() for n in sheet_names(path)}
    except InputError as err:
        return None, None, err.problems
    foods: FoodTable | None = None
    brief: Brief | None = None
    has_brief = any(n.lower() in names for n in BRIEF_SHEETS)
    if FOODS.lower() not in names and not has_brief:
        problems.append(
            Problem(f"no {FOODS} sheet and no {SETTINGS} sheet: not a sarcoform workbook", str(path))
        )
        return None, None, problems
    if FOODS.lower() in names:
        foods, found = _lenient_foods(path)
        problems += found
    if has_brief:
        reader = _BriefReader(path)
        try:
            brief = reader.read(lenient=True)
        except InputError as err:
            reader.brief.problems += err.problems
        problems += [p for p in reader.brief.problems if p not in problems]
    return foods, brief, problems


def _lenient_foods(path: Path | str) -> tuple[FoodTable | None, list[Problem]]:
    uncached: list[Problem] = []
    try:
        sheet = read_sheet(path, FOODS, found=uncached)
    except InputError as err:
        return None, err.problems
    assert sheet is not None
    try:
        return _foods(sheet), uncached
    except InputError as err:
        problems = uncached + err.problems
    if any(p.row is None or p.row < sheet.first_row for p in problems):
        return None, problems  # header problems: nothing sensible to cross-check
    header = canonical_columns(sheet.header)
    rows = [list(r) for r in sheet.rows]
    for p in problems:
        k = p.row - sheet.first_row  # type: ignore[operator]
        if p.column in ("id", "name") or p.column not in header:
            rows[k] = [None] * len(rows[k])  # the row itself is unusable
        elif header.index(p.column) < len(rows[k]):
            rows[k][header.index(p.column)] = None
    try:
        blanked = Sheet(sheet.file, sheet.name, sheet.header, rows, sheet.first_row, sheet.first_column)
        return _foods(blanked), problems
    except InputError:
        return None, problems
