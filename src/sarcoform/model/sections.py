"""The registry of brief sections: one row per kind of entry a brief (Brief) holds.

Each row says, for one kind of entry: its TOML name (`[[nutrient]]` or `[cost]`), the
Brief field holding it, the entry type, its shape, its workbook sheet and columns,
and a phrase for people. Everything that spells out the constraint language iterates
over `SECTIONS` instead of listing kinds itself:

- `io/brief_toml.py`: reading (sections, keys, line numbers) and writing;
- `io/workbook.py` and `io/workbook_write.py`: the brief's sheets, read, checked and written;
- `solving/compile.py`: one compile rule per bound kind (`_Compiler.RULES`);
- `solving/verify.py`: one independent check per bound kind (`CHECKS`).

`tests/test_sections.py` fails when a bound kind has no compile rule or no check.
Adding a kind of bound: see ARCHITECTURE.md, "Adding a kind of bound".
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from .brief import (
    BASES,
    AminoAcidPattern,
    Background,
    Brief,
    CostBound,
    DerivedColumn,
    Entry,
    GroupBound,
    IngredientBound,
    NutrientBound,
    Processing,
    Production,
    RatioBound,
    RequiredClaim,
    Serving,
    ShelfLife,
    Variability,
)

Kind = Literal["text", "number", "list", "mapping"]  # mapping: "name = number, ..." in one cell
# list: `[[toml]]`, a tuple of entries, one per sheet row · table: `[toml]`, one entry, its
# keys in the Settings sheet (`<toml>_<key>`) · mapping: `[toml]` name → entry · pattern:
# `[toml]` whose per-column values are one sheet row each (background, amino acids)
Shape = Literal["list", "table", "mapping", "pattern"]


@dataclass(frozen=True)
class Column:
    """One column of a brief sheet: its key (as in TOML), type and help."""

    key: str
    kind: Kind = "text"
    about: str = ""
    hint: str = ""  # unit hint written in the header: "min (brief unit)"
    choices: tuple[str, ...] = ()  # a drop-down in the template
    minimum: float | None = None  # numeric validation in the template
    refers: Literal["food_id", "food_group"] | None = None  # a drop-down of the food table's ids/groups


@dataclass(frozen=True)
class Section:
    """One kind of entry of a brief."""

    toml: str  # `[[nutrient]]` / `[cost]` in TOML; the key of pydantic errors
    field: str  # the Brief field holding the entries
    entry: type[Entry]  # the entry's model type
    shape: Shape
    phrase: str  # what one entry is, for people: "bound on a nutrient"
    bound: bool  # a kind of bound: the compiler and the verifier must each handle it
    sheet: str | None = None  # workbook sheet (None: the entry's keys are Settings rows)
    columns: tuple[Column, ...] = ()  # the sheet's columns, in order
    key: tuple[str, ...] = ()  # the column(s) naming an entry: problems point there
    about: str = ""  # the sheet's help in the Read me sheet

    def entries(self, brief: Brief) -> Iterator[Entry]:
        """The entries of this kind in a brief, in order (none when absent)."""
        value = getattr(brief, self.field)
        if value is None:
            return
        if self.shape == "list":
            yield from value
        elif self.shape == "mapping":
            yield from value.values()
        else:
            yield value

    @property
    def values(self) -> tuple[str, ...]:
        """A pattern's value columns: `[background] per_meal = {leucine_g = 0.5}` is the
        row (nutrient = leucine_g, per_meal = 0.5); with one value column it is required."""
        return tuple(c.key for c in self.columns if c.key not in self.key)

    def key_column(self, entry: dict[str, object]) -> str:
        """The column a problem in this (sheet-row) entry points at by default."""
        return next((k for k in self.key if k in entry), self.key[0])


SOURCE = Column("source", about="Where the figure comes from (reference, standard, [E] = design choice).")
NOTE = Column("note", about="Anything a reader should know.")
MIN = Column("min", "number", "Lower bound (blank = none), in the entry's unit.", "brief unit")
MAX = Column("max", "number", "Upper bound (blank = none), in the entry's unit.", "brief unit")
AMOUNT_UNIT = Column(
    "unit", about="g = grams per serving (default); % = % w/w of the serving.", choices=("g", "%")
)

# Bound kinds are listed in the order the compiler adds their rows and the verifier
# checks them (rows and checks keep this order in results).
SECTIONS: tuple[Section, ...] = (
    Section("serving", "serving", Serving, "table", "serving and how it is eaten", bound=False),
    Section(
        "background",
        "background",
        Background,
        "pattern",
        "intake from the rest of the diet",
        bound=False,
        sheet="Background",
        columns=(
            Column("nutrient", about="Nutrient column the background intake is for (e.g. leucine_g)."),
            Column(
                "per_meal",
                "number",
                "Intake from the rest of the meal (column unit).",
                "column unit",
                minimum=0,
            ),
            Column(
                "per_day",
                "number",
                "Intake from the rest of the day's diet (column unit).",
                "column unit",
                minimum=0,
            ),
        ),
        key=("nutrient",),
        about="Intake from the rest of the diet ([background] in TOML), counted by meal and day bases.",
    ),
    Section(
        "derived",
        "derived",
        DerivedColumn,
        "mapping",
        "derived column",
        bound=False,
        sheet="Derived",
        columns=(
            Column("name", about="Name of the new column, <nutrient>_<unit> (e.g. protein_kj)."),
            Column("expr", about="Arithmetic over a food row: + - * / numbers and column names."),
            SOURCE,
            NOTE,
        ),
        key=("name",),
        about="Columns computed per food row ([derived] in TOML), usable like any nutrient.",
    ),
    Section(
        "nutrient",
        "nutrients",
        NutrientBound,
        "list",
        "bound on a nutrient",
        bound=True,
        sheet="NutrientBounds",
        columns=(
            Column("name", about="Nutrient column (leucine_g) or nutrient (leucine), incl. derived columns."),
            Column("basis", about="What the amount is counted over: see Bases below.", choices=BASES),
            MIN,
            MAX,
            Column(
                "unit", about="Unit the bounds are written in (g mg ug kcal kj), when not the column's own."
            ),
            Column("label", about="Name to show in results instead of the nutrient."),
            Column(
                "probability",
                "number",
                "Chance constraint: the bound holds with this probability over ingredient lots (e.g. 0.95).",
            ),
            SOURCE,
            NOTE,
        ),
        key=("name",),
        about="Bounds on nutrients ([[nutrient]] in TOML), one per row. (An input workbook may call"
        " this sheet Nutrients; in results workbooks Nutrients holds the amounts.)",
    ),
    Section(
        "claims",
        "claims",
        RequiredClaim,
        "list",
        "nutrient-content claim the blend must qualify for",
        bound=True,
        sheet="Claims",
        columns=(
            Column(
                "id",
                about="<standard>:<claim>, e.g. cn:high_protein, eu:source_of_fibre, us:sugar_free"
                " (regulations/claims/).",
            ),
            SOURCE,
            NOTE,
        ),
        key=("id",),
        about="Claims the blend must qualify for (claims = [...] in TOML), one per row: each becomes"
        " the bound of its regulation's condition.",
    ),
    Section(
        "ratio",
        "ratios",
        RatioBound,
        "list",
        "bound on a ratio of two nutrients",
        bound=True,
        sheet="Ratios",
        columns=(
            Column("name", about="A name for the ratio, shown in results."),
            Column("numerator", about="Nutrient on top (e.g. leucine)."),
            Column("denominator", about="Nutrient below (e.g. protein)."),
            Column(
                "basis",
                about="serving, meal (adds background per meal) or day.",
                choices=("serving", "meal", "day"),
            ),
            Column("unit", about="ratio (a fraction), % or mg/g.", choices=("ratio", "%", "mg/g")),
            MIN,
            MAX,
            SOURCE,
            NOTE,
        ),
        key=("name",),
        about="Bounds on numerator / denominator ([[ratio]] in TOML), one per row.",
    ),
    Section(
        "amino_acid_pattern",
        "amino_acid_pattern",
        AminoAcidPattern,
        "pattern",
        "amino-acid pattern per g of protein",
        bound=True,
        sheet="AminoAcids",
        columns=(
            Column("amino_acid", about="Amino-acid column (e.g. lysine_g, met_cys_g, intact_leucine_g)."),
            Column(
                "min_mg_per_g",
                "number",
                "Reference: at least this many mg per g of protein.",
                "mg/g protein",
                minimum=0,
            ),
        ),
        key=("amino_acid",),
        about="The amino-acid pattern ([amino_acid_pattern] min_mg_per_g in TOML); its name and protein"
        " are in Settings.",
    ),
    Section(
        "ingredient",
        "ingredients",
        IngredientBound,
        "list",
        "limit on one ingredient",
        bound=True,
        sheet="Ingredients",
        columns=(
            Column("id", about="Ingredient id from the Foods sheet.", refers="food_id"),
            MIN,
            MAX,
            AMOUNT_UNIT,
            SOURCE,
            NOTE,
        ),
        key=("id",),
        about="Limits on single ingredients ([[ingredient]] in TOML); min = max fixes an inclusion.",
    ),
    Section(
        "group",
        "groups",
        GroupBound,
        "list",
        "limit on a group of ingredients",
        bound=True,
        sheet="Groups",
        columns=(
            Column("name", about="A name for the group, shown in results."),
            Column("members", "list", "Ingredient ids, comma-separated (quote an id that holds a comma)."),
            Column(
                "group",
                about="Or: every food whose group column has this value.",
                refers="food_group",
            ),
            Column("tag", about="Or: every food with this tag in its tags column (fill one of the three)."),
            MIN,
            MAX,
            AMOUNT_UNIT,
            SOURCE,
            NOTE,
        ),
        key=("members", "group", "tag"),
        about="Limits on the sum of several ingredients ([[group]] in TOML).",
    ),
    Section("cost", "cost", CostBound, "table", "bound on cost", bound=True),
    # Production realism (solving/chance.py, shelf_life.py, production.py): settings, not
    # bounds of their own; their keys are Settings rows (`shelf_life_months`, ...).
    Section("variability", "variability", Variability, "table", "ingredient lots", bound=False),
    Section("shelf_life", "shelf_life", ShelfLife, "table", "shelf life", bound=False),
    Section("processing", "processing", Processing, "table", "processing losses", bound=False),
    Section("production", "production", Production, "table", "production batch", bound=False),
)

BY_TOML = {s.toml: s for s in SECTIONS}
LISTS = tuple(s for s in SECTIONS if s.shape == "list")  # `[[toml]]` in TOML
TABLES = tuple(s for s in SECTIONS if s.shape != "list")  # `[toml]` in TOML
BOUNDS = tuple(s for s in SECTIONS if s.bound)  # what compile and verify must each handle
# The brief's sheets besides Settings: the lists first (one entry per row), then the rest.
SHEETS = tuple(
    sorted((s for s in SECTIONS if s.sheet is not None), key=lambda s: (s.shape != "list", SECTIONS.index(s)))
)
