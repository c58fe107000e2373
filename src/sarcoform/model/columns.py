"""Nutrient columns as the brief sees them: the table's own plus derived ones.

A brief names columns either exactly (`energy_kj`) or by nutrient (`leucine` for
`leucine_g`). Derived columns are arithmetic over a food row; they stay linear in
the blend, because they are computed per ingredient before any mixing.
"""

from __future__ import annotations

import ast
import difflib
import functools
import operator
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from .brief import MAX_MAGNITUDE
from .foods import FoodTable
from .units import split_column

# name → (expression, why). Created only when their inputs exist and the table does
# not already have a column of that name.
BUILTIN_DERIVED: dict[str, tuple[str, str]] = {
    "met_cys_g": (
        "methionine_g + cystine_g",
        "sulphur amino acids, as in the FAO 2013 / WHO 2007 scoring patterns",
    ),
    "phe_tyr_g": (
        "phenylalanine_g + tyrosine_g",
        "aromatic amino acids, as in the FAO 2013 / WHO 2007 scoring patterns",
    ),
    "hmb_g": (
        "0.808 * cahmb_g",
        "HMB free-acid equivalent of CaHMB monohydrate: 2 × 118.13 / 292.34 g/mol"
        " (IUPAC atomic weights; reference_values.md §3)",
    ),
    "intact_leucine_g": (
        "leucine_g - free_leucine_g",
        "leucine bound in intact protein (total minus free L-leucine)",
    ),
    "hq_protein_g": (
        "protein_g * high_quality_protein",
        "protein from ingredients flagged high quality (GB 29922: ≥ 50 % of protein)",
    ),
    "eaa_g": (
        "histidine_g + isoleucine_g + leucine_g + lysine_g + methionine_g"
        " + phenylalanine_g + threonine_g + tryptophan_g + valine_g",
        "the nine essential amino acids",
    ),
}


class ColumnError(ValueError):
    """A name in the brief that does not resolve; the message says what exists."""


@dataclass(frozen=True)
class Column:
    name: str
    unit: str
    values: np.ndarray  # per 100 g of each food; NaN = unknown
    derived_from: str | None = None  # expression, for derived columns
    why: str | None = None


_BINOPS: dict[type[ast.operator], Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}


@functools.lru_cache(maxsize=512)
def expression_names(expr: str) -> frozenset[str]:
    """Column names an expression reads; raises ColumnError on anything but arithmetic."""
    tree = _parse(expr)
    return frozenset(n.id for n in ast.walk(tree) if isinstance(n, ast.Name))


# A derived column is a formula over one food row: a few terms. Longer expressions are
# refused before parsing (the parser and evaluator recurse once per operator).
MAX_EXPRESSION_CHARS = 2000
MAX_OPERATORS = 200


@functools.lru_cache(maxsize=512)
def _parse(expr: str) -> ast.Expression:
    # Cached: the same few expressions are parsed for every brief compiled.
    short = expr if len(expr) <= 60 else expr[:57] + "..."
    if len(expr) > MAX_EXPRESSION_CHARS:
        raise ColumnError(f"expression too long ({len(expr):,} characters; at most {MAX_EXPRESSION_CHARS:,})")
    try:
        tree = ast.parse(expr, mode="eval")
    except SyntaxError as err:
        raise ColumnError(f"cannot parse expression {short!r}: {err.msg}") from None
    except (RecursionError, MemoryError):
        raise ColumnError(f"expression {short!r} is nested too deeply") from None
    operators = sum(isinstance(n, (ast.BinOp, ast.UnaryOp)) for n in ast.walk(tree))
    if operators > MAX_OPERATORS:
        raise ColumnError(f"expression {short!r} has {operators} operators; at most {MAX_OPERATORS}")
    for node in ast.walk(tree):
        allowed = (
            ast.Expression,
            ast.BinOp,
            ast.UnaryOp,
            ast.Name,
            ast.Load,
            ast.USub,
            ast.UAdd,
            *_BINOPS,
        )
        if isinstance(node, ast.Constant):
            if not isinstance(node.value, (int, float)) or isinstance(node.value, bool):
                raise ColumnError(f"only numbers and column names are allowed in {short!r}")
            if not abs(node.value) <= MAX_MAGNITUDE:  # a 400-digit literal: no float holds it
                raise ColumnError(f"number out of range in {short!r}: must be within ±{MAX_MAGNITUDE:g}")
        elif not isinstance(node, allowed):
            raise ColumnError(f"only + - * / ( ), numbers and column names are allowed in {short!r}")
    return tree


@functools.lru_cache(maxsize=512)
def _names_in_order(expr: str) -> tuple[str, ...]:
    """The names an expression reads, in the order `evaluate` looks them up."""

    def walk(node: ast.AST) -> list[str]:
        if isinstance(node, ast.Name):
            return [node.id]
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.UnaryOp):
            return walk(node.operand)
        if isinstance(node, ast.BinOp):
            return walk(node.left) + walk(node.right)
        return []

    return tuple(walk(_parse(expr)))


def evaluate(expr: str, lookup: Callable[[str], np.ndarray]) -> np.ndarray:
    """Evaluate an arithmetic expression over food columns (NaN propagates)."""
    tree = _parse(expr)

    def walk(node: ast.AST) -> np.ndarray:
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Constant):
            assert isinstance(node.value, (int, float))  # _parse allows only numbers
            return np.asarray(float(node.value))
        if isinstance(node, ast.Name):
            return lookup(node.id)
        if isinstance(node, ast.UnaryOp):
            inner = walk(node.operand)
            return -inner if isinstance(node.op, ast.USub) else inner
        if isinstance(node, ast.BinOp):
            with np.errstate(divide="ignore", invalid="ignore"):
                return _BINOPS[type(node.op)](walk(node.left), walk(node.right))
        raise ColumnError(f"unsupported expression {expr!r}")  # pragma: no cover

    return walk(tree)


@dataclass
class _Shared:
    """What the column sets of one unchanging food table and one set of derived columns
    work out alike: the columns they start from, each derived column's values, per-gram
    values, the name lookups and table inputs, stacked tables. Every solve over the table
    makes its own ColumnSet (its column order follows what that compile evaluates first),
    and they all read this."""

    derived: dict[str, Column] = field(default_factory=dict)
    resolved: dict[str, str] = field(default_factory=dict)
    stacked: dict[tuple[str, ...], np.ndarray] = field(default_factory=dict)
    known: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    per_gram: dict[str, np.ndarray] = field(default_factory=dict)
    inputs: dict[str, tuple[str, ...]] = field(default_factory=dict)
    nutrients: dict[str, list[str]] | None = None  # see ColumnSet._by_nutrient
    # (the table's own columns, the derived ones to make) as every ColumnSet starts
    start: tuple[dict[str, Column], dict[str, tuple[str, str | None]]] | None = None


MAX_SHARED = 16  # sets of derived columns remembered per food table


@dataclass
class _Memo:
    """One table's memos, with the columns they were worked out from."""

    columns: tuple[tuple[str, np.ndarray], ...]  # (name, values) as the table held them
    shared: dict[tuple[tuple[str, str], ...], _Shared] = field(default_factory=dict)


# Per food table, outside it: the table itself stays as it was made (and pickles without
# the memo, for batch workers); an entry goes when its table does.
_MEMOS: weakref.WeakKeyDictionary[FoodTable, _Memo] = weakref.WeakKeyDictionary()


def _shared(foods: FoodTable, derived: Mapping[str, str] | None) -> _Shared:
    """The memo of `foods` and `derived`. A fresh one, kept nowhere, when a column's values
    could change: an array, or the array it views, that is writable (every loader makes
    them read-only and owning their data). A table whose `numbers` now hold other arrays
    than when its memo was made (the mapping is a plain dict) starts a new memo, unless
    another table holds those very arrays (`FoodTable.with_prices`)."""
    if not all(map(_fixed, (foods.price_per_kg, *foods.numbers.values()))):
        return _Shared()
    columns = tuple(foods.numbers.items())
    memo = _MEMOS.get(foods)
    if memo is None or not _same(memo.columns, columns):
        # A table with the very same columns (a copy with other prices: nothing here reads
        # prices) shares that table's memo.
        memo = next((m for m in list(_MEMOS.values()) if _same(m.columns, columns)), None)
        memo = _MEMOS[foods] = memo or _Memo(columns)
    key = tuple((derived or {}).items())
    found = memo.shared.get(key)
    if found is None:
        if len(memo.shared) >= MAX_SHARED:
            memo.shared.clear()
        found = memo.shared[key] = _Shared()
    return found


def _fixed(values: np.ndarray) -> bool:
    """Can these values not change: read-only, and so is every array they view (a
    read-only view of a writable array changes with it)?"""
    at: object = values
    while isinstance(at, np.ndarray):
        if at.flags.writeable:
            return False
        at = at.base
    return at is None or isinstance(at, bytes)


def _same(a: tuple[tuple[str, np.ndarray], ...], b: tuple[tuple[str, np.ndarray], ...]) -> bool:
    """The same names holding the very same arrays (the memo keeps them: no id is reused)."""
    return len(a) == len(b) and all(n == m and x is y for (n, x), (m, y) in zip(a, b, strict=True))


def _start(
    foods: FoodTable, derived: Mapping[str, str] | None
) -> tuple[dict[str, Column], dict[str, tuple[str, str | None]]]:
    """The table's own columns, and the derived ones that can be made (expression, why)."""
    columns: dict[str, Column] = {}
    for name, values in foods.numbers.items():
        unit = split_column(name)
        columns[name] = Column(name, unit[1] if unit else "", values)
    pending: dict[str, tuple[str, str | None]] = {}
    for name, (expr, why) in BUILTIN_DERIVED.items():
        if name in columns:
            continue
        if name == "intact_leucine_g" and "free_leucine_g" not in columns:
            expr, why = "leucine_g", "no free_leucine_g column: all leucine is intact"
        if expression_names(expr) <= columns.keys():
            pending[name] = (expr, why)
    for name, expr in (derived or {}).items():
        if name in columns:
            raise ColumnError(f"derived column {name!r} has the name of a column of {foods.origin}")
        pending[name] = (expr, None)
    return columns, pending


class ColumnSet:
    """The food table's numeric columns plus built-in and brief-defined derived ones."""

    def __init__(self, foods: FoodTable, derived: Mapping[str, str] | None = None) -> None:
        self.foods = foods
        self._shared = _shared(foods, derived)
        if self._shared.start is None:
            self._shared.start = _start(foods, derived)
        self._columns: dict[str, Column] = dict(self._shared.start[0])
        self._pending: dict[str, tuple[str, str | None]] = dict(self._shared.start[1])
        # Names resolve alike whatever has been evaluated (see _resolve): one lookup table.
        self._resolved: dict[str, str] = self._shared.resolved
        self._by_table: dict[int, tuple[Mapping[str, float], dict[str, float]]] = {}

    def names(self) -> list[str]:
        return [*self._columns, *(n for n in self._pending if n not in self._columns)]

    def known(self, name: str) -> bool:
        """True when `name` names a column (or the nutrient of one or more columns)."""
        key = name.strip().lower()
        if key in self._columns or key in self._pending:
            return True
        return key in self._by_nutrient()

    def resolve(self, name: str) -> str:
        """The column a brief's name refers to: exact, or the one column of that nutrient."""
        # The names never change after __init__, and verification resolves the same few
        # names hundreds of times per blend (a batch verifies thousands of blends).
        found = self._resolved.get(name)
        if found is None:
            found = self._resolved[name] = self._resolve(name)
        return found

    def by_column(self, named: Mapping[str, float]) -> dict[str, float]:
        """A brief's {name: value} table (retention figures) as {column: value}; names that
        do not resolve are left out (reported when compiling), and of two names for one
        column the later wins. Worked out once per table: a solve asks for each nutrient."""
        known = self._by_table.get(id(named))
        if known is not None and known[0] is named:
            return known[1]
        out: dict[str, float] = {}
        for name, value in named.items():
            try:
                out[self.resolve(name)] = value
            except ValueError:
                continue
        self._by_table[id(named)] = (named, out)
        return out

    def _resolve(self, name: str) -> str:
        key = name.strip().lower()
        if key in self._columns or key in self._pending:
            return key
        matches = self._by_nutrient().get(key, [])
        # The table's own column wins over a derived one: "protein" is protein_g even
        # when the brief derives protein_kj.
        own = [c for c in matches if c in self.foods.numbers]
        if len(own) == 1:
            return own[0]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise ColumnError(f"{name!r} is ambiguous: name one of {', '.join(sorted(matches))}")
        close = difflib.get_close_matches(key, self.names(), n=3, cutoff=0.6)
        hint = f"; did you mean {' or '.join(close)}?" if close else ""
        raise ColumnError(f"unknown nutrient {name!r}{hint}")

    def _by_nutrient(self) -> dict[str, list[str]]:
        """Column names by their nutrient (`protein` → [protein_g, ...]), built once per
        table and set of derived columns (every ColumnSet of them has these names): a
        brief names nutrients without units, and scanning every column per name was most
        of resolving."""
        nutrients = self._shared.nutrients
        if nutrients is None:
            nutrients = self._shared.nutrients = {}
            for c in self.names():
                nutrients.setdefault((split_column(c) or ("",))[0], []).append(c)
        return nutrients

    def get(self, name: str, _stack: tuple[str, ...] = ()) -> Column:
        column = self.resolve(name)
        if column in self._columns:
            return self._columns[column]
        made = self._shared.derived.get(column)
        if made is not None:
            # Made before: its inputs come first, in the order evaluating it would take them
            # (the order of `names()`, which the result's nutrient lines follow).
            for name in _names_in_order(made.derived_from or ""):
                self.get(name, (*_stack, column))
            self._columns[column] = made
            return made
        if column in _stack:
            raise ColumnError(f"derived column {column!r} refers to itself")
        expr, why = self._pending[column]
        lookup = lambda n: self.get(n, (*_stack, column)).values  # noqa: E731
        try:
            values = np.broadcast_to(evaluate(expr, lookup), (len(self.foods),)).astype(float)
        except ColumnError as err:
            raise ColumnError(f"derived column {column!r}: {err}") from None
        infinite = np.flatnonzero(np.isinf(values))
        if infinite.size:
            where = ", ".join(repr(self.foods.ids[i]) for i in infinite[:3])
            raise ColumnError(f"derived column {column!r} = {expr} is infinite for {where} (division by 0)")
        values.flags.writeable = False
        unit = split_column(column)
        made = Column(column, unit[1] if unit else "", values, expr, why)
        self._columns[column] = self._shared.derived[column] = made
        return made

    def blanks_as_zero(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """A column's values with unknowns as 0, and where they were unknown (read-only)."""
        column = self.resolve(name)
        found = self._shared.known.get(column)
        if found is None:
            values = self.get(column).values
            blank = np.isnan(values)
            found = (np.where(blank, 0.0, values), blank)
            for array in found:
                array.flags.writeable = False
            self._shared.known[column] = found
        return found

    def per_gram(self, name: str) -> np.ndarray:
        """A column's values per gram of each food (the table's are per 100 g; read-only,
        NaN = unknown)."""
        column = self.get(name)
        found = self._shared.per_gram.get(column.name)
        if found is None:
            found = self._shared.per_gram[column.name] = column.values / 100.0
            found.flags.writeable = False
        return found

    def stacked(self, names: tuple[str, ...]) -> np.ndarray:
        """The values of these columns, one row each (read-only; NaN = unknown)."""
        table = self._shared.stacked.get(names)
        if table is None:
            rows = [self.get(name).values for name in names]
            table = np.vstack(rows) if rows else np.zeros((0, len(self.foods)))
            table.flags.writeable = False
            if len(self._shared.stacked) >= MAX_SHARED:
                self._shared.stacked.clear()
            self._shared.stacked[names] = table
        return table

    def undefined_at(self, i: int) -> str | None:
        """A derived column that is NaN for food i although its table inputs are known."""
        for column in self._columns.values():
            if column.derived_from is None or not np.isnan(column.values[i]):
                continue
            if not any(np.isnan(self.foods.numbers[c][i]) for c in self.inputs(column.name)):
                return column.name
        return None

    def inputs(self, name: str) -> list[str]:
        """The table columns a (possibly derived) column is computed from."""
        found = self._shared.inputs.get(name)
        if found is None:
            column = self.resolve(name)
            out: list[str] = []
            if column in self.foods.numbers:
                out = [column]
            else:
                for n in sorted(expression_names(self._pending[column][0])):
                    out += [c for c in self.inputs(n) if c not in out]
            found = self._shared.inputs[name] = tuple(out)
        return list(found)
