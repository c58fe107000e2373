"""Compile a brief over a food table into named bounds and one matrix LP.

Every constraint of the brief becomes a `Bound` in linear-fractional form

    value(x) = (num·x + num0) / (den·x + den0)        (den = None: denominator 1)

in the units the brief wrote it in. That one form covers all bases (per serving, per
meal with background intake, per kg body weight, per 100 g, per 100 kcal), ratios,
amino-acid scores, % inclusions and cost caps; `min ≤ value ≤ max` is linear because
the denominator is positive. The shadow price of a bound is the row dual times the
denominator at the optimum (envelope theorem), which `engine` uses.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any, Literal

import numpy as np

from ..errors import InputError, Place, Problem
from ..model import sections
from ..model.brief import (
    BASIS_PHRASES,
    AminoAcidPattern,
    Brief,
    CostBound,
    Entry,
    GroupBound,
    IngredientBound,
    NutrientBound,
    RatioBound,
    RequiredClaim,
)
from ..model.columns import ColumnError, ColumnSet
from ..model.foods import FoodTable
from ..model.tags import all_tags, tagged
from ..model.units import conversion, label, split_column
from .claims import claim_bound
from .exclusions import excluded_too_many
from .lp import MatrixLP
from .packs import same_pack_bound, tighter
from .variability import (
    basis_scale,
    finished_per_raw,
    lot_variation,
    process_retention,
    retention,
    retention_problems,
)

Kind = Literal[
    "nutrient", "ratio", "amino_acid", "ingredient", "group", "cost", "serving", "count", "inclusion"
]
Side = Literal["min", "max", "both"]
USED = 1e-9  # grams above which an ingredient counts as used
BINDING = 1e-6  # relative distance to a bound that counts as binding


@dataclass(frozen=True, eq=False)
class Bound:
    """One constraint of the brief, in the brief's units."""

    name: str
    kind: Kind
    subject: str  # what is bounded, e.g. "leucine", "wpi", "cost"
    unit: str
    min: float | None
    max: float | None
    num: np.ndarray
    num0: float = 0.0
    den: np.ndarray | None = None
    den0: float = 1.0
    basis: str | None = None
    column: int | None = None  # ingredient g-bounds are column bounds on this food
    uses: tuple[str, ...] = ()  # table columns read (blank = unknown checks)
    source: str | None = None
    note: str | None = None
    where: Place | None = None
    pack: str | None = None  # the rule pack it came from (include = [...])
    # Chance constraint (solving/chance.py): per-gram SDs scaled like num, and the
    # probability each side must hold with; sd_column is the table column they come from.
    sd: np.ndarray | None = None
    probability: float | None = None
    sd_column: str | None = None
    spec_column: str | None = None  # worst case: the table's `_min`/`_max` column used
    # Shelf life (solving/shelf_life.py): the time point the bound holds at, and the
    # per-food retention its end-of-shelf-life amounts were multiplied by.
    at: Literal["manufacture", "end_of_shelf_life"] | None = None
    retention: np.ndarray | None = None

    def value(self, x: np.ndarray) -> float | None:
        """The bound's value at the blend x. A read-only x (the blend of a result, which
        the constraint lines, ranges and verification all read) is worked out once."""
        if x.flags.writeable:
            return self._value(x)
        known = self.__dict__.get("_value_at")
        if known is None or known[0] is not x:
            known = (x, self._value(x))
            self.__dict__["_value_at"] = known
        return known[1]

    def _value(self, x: np.ndarray) -> float | None:
        if self.kind in ("count", "inclusion"):
            # Practical bounds are not linear in x: how many ingredients are used, and
            # the smallest inclusion among them.
            used = x[: len(self.num)][x[: len(self.num)] > USED]
            if self.kind == "count":
                return float(used.size)
            return float(used.min()) if used.size else None
        top = float(self.num @ x) + self.num0
        if self.den is None:
            return top
        bottom = float(self.den @ x) + self.den0
        return top / bottom if bottom > 1e-12 else None

    def denominator(self, x: np.ndarray) -> float:
        return 1.0 if self.den is None else float(self.den @ x) + self.den0

    def active_side(self, value: float | None) -> Literal["min", "max"] | None:
        """The side this value sits on (within BINDING, relative), if any."""
        if value is None:
            return None
        side: Literal["min", "max"]
        for side, bound in (("min", self.min), ("max", self.max)):
            if bound is not None and abs(value - bound) <= BINDING * max(1.0, abs(bound)):
                return side
        return None

    def describe(self, side: Literal["min", "max"] | None = None) -> str:
        """In the brief's own words: 'leucine ≥ 2.5 g per meal'."""
        unit = f" {self.unit}" if self.unit else ""
        phrase = f" {BASIS_PHRASES[self.basis]}" if self.basis in BASIS_PHRASES else ""
        if self.kind == "cost":
            phrase = f" per {self.basis}"
        if self.min is not None and self.min == self.max and side is None:
            return f"{self.subject} = {self.min:g}{unit}{phrase}"
        if self.min is not None and self.max is not None and side is None:
            return f"{self.min:g} ≤ {self.subject} ≤ {self.max:g}{unit}{phrase}"
        parts = []
        if self.min is not None and side in (None, "min"):
            parts.append(f"{self.subject} ≥ {self.min:g}{unit}{phrase}")
        if self.max is not None and side in (None, "max"):
            parts.append(f"{self.subject} ≤ {self.max:g}{unit}{phrase}")
        return " and ".join(parts) or f"{self.subject}{phrase} (no bound)"


@dataclass(frozen=True, eq=False)
class Compiled:
    """A brief compiled over a food table: bounds, objective and the LP."""

    foods: FoodTable
    brief: Brief
    columns: ColumnSet
    bounds: tuple[Bound, ...]
    lp: MatrixLP
    row_of: tuple[tuple[int, Side], ...]  # LP row r ← (bound index, side)
    col_lo_owner: dict[int, int]  # food → bound that set its lower column bound
    col_hi_owner: dict[int, int]
    cost: np.ndarray  # currency per g per serving
    objective: np.ndarray  # objective units per g, as the user states it
    sense: int  # +1 minimise, -1 maximise
    objective_label: str
    objective_unit: str
    excluded: tuple[tuple[str, str], ...] = ()  # (food id, blank column)
    prices_known: bool = True
    notes: tuple[str, ...] = field(default=())

    def price_slopes(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """How the LP's objective (c), the cost vector and A change per unit change of each
        food's price per kg: prices enter the LP linearly, in the three places this module
        puts them: the least-cost objective (`objective`), the cost bounds' rows
        (`cost_bound`, × `cost_row_scale`; a ratio row's denominator is mass) and the cost
        per g. A food with no price has 0 there, whatever it costs. (dc, dcost, dA)"""
        lp = self.lp
        m, n = lp.shape
        known = ~np.isnan(np.asarray(self.foods.price_per_kg, dtype=float))
        per_g = np.zeros(n)
        per_g[: len(known)] = np.where(known, 1e-3, 0.0)
        dc = self.sense * per_g if self.brief.objective_kind == "min_cost" else np.zeros(n)
        dA = np.zeros((m, n))
        for r, (k, _side) in enumerate(self.row_of):
            bound = self.bounds[k]
            if bound.kind == "cost":
                assert bound.basis is not None
                scale = cost_row_scale(bound.basis, self.brief.serving.servings_per_day)
                dA[r, : len(known)] = np.where(known, scale, 0.0)
        return dc, per_g[: len(known)].copy(), dA

    @cached_property
    def rows_of_bound(self) -> dict[int, list[int]]:
        """Bound index → its LP rows (looked up per bound: a scan each was quadratic)."""
        out: dict[int, list[int]] = {}
        for r, (k, _side) in enumerate(self.row_of):
            out.setdefault(k, []).append(r)
        return out

    def shadow_price(
        self,
        k: int,
        x: np.ndarray,
        row_duals: np.ndarray,
        col_duals: np.ndarray | None,
        side: str | None,
    ) -> float:
        """∂objective/∂(bound k) in objective units per unit of the bound, in the user's
        sense, from the duals of the minimisation as posed (at the optimum x, foods only).

        A row num·x − t·(den·x + den0) ⋛ −num0 moves with the bound t at the rate
        den·x + den0, so (envelope theorem) ∂obj/∂t = dual × (den·x + den0). An
        ingredient bound in grams is a column bound: its price is the reduced cost, but
        only when the column sits on *this* bound (`side`), not on x ≥ 0 (nor on another
        entry's bound: see `pinned_by_other_side`).
        """
        b = self.bounds[k]
        if b.column is not None:
            owner = {"min": self.col_lo_owner, "max": self.col_hi_owner}.get(side or "")
            if not owner or owner.get(b.column) != k:
                return 0.0
            assert col_duals is not None
            if self.pinned_by_other_side(k, float(col_duals[b.column]), side):
                return 0.0
            return self.sense * float(col_duals[b.column])
        rows = self.rows_of_bound.get(k, [])
        return self.sense * float(sum(row_duals[r] for r in rows)) * b.denominator(x)

    def pinned_by_other_side(self, k: int, reduced_cost: float, side: str | None) -> bool:
        """Is column bound k's food held where it is by its column's other bound, not by k?

        A food whose column bounds meet (a cap of 0 g on top of x ≥ 0, or a minimum and a
        maximum from two entries at the same value) is fixed, and its reduced cost d (of the
        minimisation) may have either sign. Only the side d pushes against holds it: d > 0
        (the optimum wants less) presses on the lower bound, d < 0 on the upper one; moving
        the other side away changes nothing (one-sided slope 0). An entry that is itself an
        equality moves both sides at once and keeps d.
        """
        b = self.bounds[k]
        j = b.column
        if j is None or self.lp.col_lo[j] != self.lp.col_hi[j] or (b.min is not None and b.min == b.max):
            return False
        return (side == "max" and reduced_cost > 0) or (side == "min" and reduced_cost < 0)


def compile_brief(foods: FoodTable, brief: Brief) -> Compiled:
    """Resolve every name, check blanks, and build the LP. Raises InputError."""
    return _Compiler(foods, brief).run()


def _did_you_mean(name: str, choices: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, choices, n=3)
    return f"; did you mean {' or '.join(close)}?" if close else ""


class _Compiler:
    def __init__(self, foods: FoodTable, brief: Brief) -> None:
        self.foods = foods
        self.brief = brief
        self.n = len(foods)
        self.problems: list[Problem] = []
        self.bounds: list[Bound] = []
        self.taken: set[str] = set()
        self.next_number: dict[str, int] = {}
        self.index_of: dict[str, int] = {}
        derived = {name: d.expr for name, d in brief.derived.items()}
        try:
            self.columns = ColumnSet(foods, derived)
        except ColumnError as err:
            raise InputError(brief.problem(str(err))) from None
        # Every derived column must evaluate, used or not: the result tables show them all.
        broken = []
        for name, entry in brief.derived.items():
            try:
                self.columns.get(name)
            except ColumnError as err:
                broken.append(entry.problem(str(err)))
        if broken:
            raise InputError(broken)
        self.col_lo = np.zeros(self.n)
        self.col_hi = np.full(self.n, np.inf)
        self.lo_owner: dict[int, int] = {}
        self.hi_owner: dict[int, int] = {}
        self.notes: list[str] = []
        self.amounts: dict[str, tuple[str, np.ndarray, str]] = {}  # see amount
        self.backgrounds: dict[str, dict[str, float]] = {}  # "meal"/"day" → {column: amount}

    # -- helpers ---------------------------------------------------------------
    def fail(self, entry: Entry, message: str, column: str | None = None) -> None:
        self.problems.append(entry.problem(message, column))

    def amount(self, name: str, entry: Entry) -> tuple[str, np.ndarray, str] | None:
        """(column, per-gram amount vector, unit) of a nutrient name, or None (reported).
        Worked out once per name (the vector is read, never written)."""
        found = self.amounts.get(name)
        if found is not None:
            return found
        try:
            column = self.columns.get(name)
        except ColumnError as err:
            self.fail(entry, str(err))
            return None
        kept = process_retention(self.columns, self.brief, column.name)  # what survives processing
        per_g = self.columns.per_gram(column.name)
        found = self.amounts[name] = column.name, per_g if kept == 1.0 else per_g * kept, column.unit
        return found

    def energy(self, unit: str, entry: Entry) -> tuple[np.ndarray, tuple[str, ...]] | None:
        """Energy per gram of each food in kcal or kJ, from whichever column exists."""
        other = "kj" if unit == "kcal" else "kcal"
        names = self.columns.names()
        for column, factor in ((f"energy_{unit}", 1.0), (f"energy_{other}", conversion(other, unit))):
            if column in names and factor is not None:
                kept = process_retention(self.columns, self.brief, column)
                return self.columns.get(column).values / 100.0 * factor * kept, (column,)
        self.fail(entry, f"basis per_100{unit} needs an energy_kcal or energy_kj column")
        return None

    def made_for(self, entry: Entry, **fields: Any) -> Bound:
        """A new bound of `fields` that carries its brief entry's source, note and location
        (copied from a blank one: a dataclass's frozen __init__ was a fifth of compiling)."""
        assert _REQUIRED.issubset(fields) and _FIELDS.issuperset(fields), sorted(fields)
        # Read from the model's own tables: pydantic's __getattr__ (a private attribute, or a
        # missing `pack`) was a tenth of compiling.
        own, private = entry.__dict__, entry.__pydantic_private__ or {}
        new = object.__new__(Bound)
        made = {**_BLANK.__dict__, "source": own["source"], "note": own["note"], **fields}
        made["where"], made["pack"] = private.get("_where"), own.get("pack")
        object.__setattr__(new, "__dict__", made)
        return new

    def add_for(self, entry: Entry, **fields: Any) -> None:
        self.add(self.made_for(entry, **fields))

    def add(self, bound: Bound) -> None:
        # A bound's unique name → its index, one set of names and a next number per name,
        # kept with the bounds: rebuilding or rescanning them per entry made an 8,000-entry
        # brief quadratic.
        same = self.index_of.get(bound.name)
        if same is not None and same_pack_bound(self.bounds[same], bound):
            # a pack and the brief (or two packs) bound one thing: the tighter of the two
            self.bounds[same], said = tighter(self.bounds[same], bound)
            self.notes.append(said)
            return
        taken = self.taken
        name, k = bound.name, self.next_number.get(bound.name, 2)
        while name in taken:
            name, k = f"{bound.name} #{k}", k + 1
        self.next_number[bound.name] = k
        if name != bound.name:
            bound = _changed(bound, name=name)
        self.index_of[name] = len(self.bounds)
        self.bounds.append(bound)
        taken.add(name)

    def background(self, basis: str, column: str) -> float:
        per = "meal" if basis == "meal" else "day"
        resolved = self.backgrounds.get(per)
        if resolved is None:  # resolved once per compile (bad names: reported once)
            bg = self.brief.background
            resolved = self.backgrounds[per] = self.resolved_background(
                bg.per_meal if per == "meal" else bg.per_day
            )
        return float(resolved.get(column, 0.0))

    def resolved_background(self, table: dict[str, float]) -> dict[str, float]:
        out: dict[str, float] = {}
        for name, value in table.items():
            try:
                out[self.columns.resolve(name)] = value
            except ColumnError as err:
                self.fail(self.brief.background, f"background: {err}")
        return out

    # -- the brief, entry by entry ----------------------------------------------
    def run(self) -> Compiled:
        brief = self.brief
        self.serving()
        for section in sections.BOUNDS:  # one rule per bound kind, in the registry's order
            rule = RULES[section.toml]
            for entry in section.entries(brief):
                rule(self, entry)
        self.practical()
        objective, sense, obj_label, obj_unit, obj_uses = self.objective()
        self.resolved_background(brief.background.per_meal)
        self.resolved_background(brief.background.per_day)
        self.problems += retention_problems(self.columns, brief)
        self.production()
        if self.problems:
            raise InputError(_unique(self.problems))
        stack = _Stack.of(self.bounds, self.n)
        excluded, prices_known = self.blanks(obj_uses, stack)
        return self.assemble(objective, sense, obj_label, obj_unit, excluded, prices_known, stack)

    def production(self) -> None:
        """The production sheet's names resolve against the table: the premix carrier is an
        ingredient id, and the order of addition names the table's groups (or "premix")."""
        p = self.brief.production
        if p is None:
            return
        if p.premix_carrier is not None and self.foods.position(p.premix_carrier) is None:
            hint = _did_you_mean(p.premix_carrier, self.foods.ids)
            self.fail(
                p, f"premix_carrier: unknown ingredient id {p.premix_carrier!r} in {self.foods.origin}{hint}"
            )
        groups = {self.foods.text("group", i) for i in range(self.n)} | {"premix"}
        for name in p.order or ():
            if name not in groups:
                hint = _did_you_mean(name, sorted(groups - {""}))
                self.fail(p, f"order: {name!r} is no ingredient group of {self.foods.origin}{hint}")

    def serving(self) -> None:
        s = self.brief.serving
        lo = s.serving_g if s.fixed else s.min_g
        hi = s.serving_g if s.fixed else s.max_g
        if lo is None and hi is None:
            return
        self.add_for(
            s,
            name="serving mass",
            kind="serving",
            subject="serving",
            unit="g",
            min=lo,
            max=hi,
            num=finished_per_raw(self.brief) * np.ones(self.n),  # x is raw; the serving finished
        )

    def nutrient(self, e: NutrientBound) -> None:
        if e.pack is not None and not self.columns.known(e.name):
            self.notes.append(f"pack {e.pack}: {e.name} not checked, the food table has no column for it")
            return
        got = self.amount(e.name, e)
        if got is None:
            return
        column, per_g, col_unit = got
        unit = e.unit or col_unit
        f = conversion(col_unit, unit)
        if f is None:
            self.fail(e, f"unit {e.unit!r} does not fit column {column} ({col_unit})")
            return
        s = self.brief.serving
        uses: tuple[str, ...] = tuple(self.columns.inputs(column))
        den: np.ndarray | None = None
        num0 = 0.0
        if e.basis == "serving":
            num = f * per_g
        elif e.basis == "meal":
            num = f * s.servings_per_meal * per_g
            num0 = f * self.background("meal", column)
        elif e.basis in ("day", "kg_bw_day"):
            num = f * s.servings_per_day * per_g
            num0 = f * self.background("day", column)
            if e.basis == "kg_bw_day":
                if s.body_weight_kg is None:
                    self.fail(e, "basis kg_bw_day needs [serving] body_weight_kg")
                    return
                num, num0 = num / s.body_weight_kg, num0 / s.body_weight_kg
        elif e.basis == "per_100g":
            num, den = 100 * f * per_g, finished_per_raw(self.brief) * np.ones(self.n)
        else:  # per_100kcal, per_100kj
            energy = self.energy(e.basis.removeprefix("per_100"), e)
            if energy is None:
                return
            num, den = 100 * f * per_g, energy[0]
            uses += energy[1]
        parts = split_column(column)
        subject = parts[0] if parts else column
        lots = lot_variation(self.columns, self.brief, e, column)
        if isinstance(lots, str):
            self.fail(e, lots)
            return
        if lots.note:
            self.notes.append(lots.note)
        scale = basis_scale(e.basis, f, s)
        bound = self.made_for(
            e,
            name=f"{column} {BASIS_PHRASES[e.basis]}",
            kind="nutrient",
            subject=e.label or subject,
            unit=label(unit),
            min=e.min,
            max=e.max,
            num=num,
            num0=num0,
            den=den,
            den0=0.0 if den is not None else 1.0,
            basis=e.basis,
            uses=uses + lots.uses,
            sd=None if lots.sd is None else scale * lots.sd,
            probability=lots.probability,
            sd_column=lots.sd_column,
            # Maximums hold at manufacture; minimums at the end of shelf life too, on
            # what is left (the same LP holds both time points).
            at=None if self.brief.shelf_life is None else "manufacture",
        )
        kept = retention(self.columns, self.brief, column)
        if isinstance(kept, Problem):
            self.problems.append(kept)
            return
        variants = [bound]
        if lots.worst_low is not None or lots.worst_high is not None:
            # Worst case within specification: each side on the lot that is worst for it.
            variants = []
            for side, per_g_worst in (("min", lots.worst_low), ("max", lots.worst_high)):
                if getattr(e, side) is None:
                    continue
                worst = per_g if per_g_worst is None else per_g_worst
                variants.append(
                    _changed(
                        bound,
                        name=f"{bound.name} (worst lot, {side})",
                        subject=f"{bound.subject} (worst lot)",
                        num=scale * worst,
                        spec_column=None if per_g_worst is None else f"{column}_{side}",
                        min=e.min if side == "min" else None,
                        max=e.max if side == "max" else None,
                    )
                )
        for variant in variants:
            self.add(variant)
            if kept is not None and variant.min is not None:
                self.add(
                    _changed(
                        variant,
                        name=f"{variant.name} (end of shelf life)",
                        subject=f"{variant.subject} at end of shelf life",
                        num=variant.num * kept,
                        sd=None if variant.sd is None else variant.sd * kept,
                        max=None,
                        at="end_of_shelf_life",
                        retention=kept,
                    )
                )

    def claim(self, e: RequiredClaim) -> None:
        """A required claim is the nutrient bound of its regulation's primary condition."""
        if e.rule is None:
            message = f"claim {e.id!r} has no rule: read the brief from a file, or use sarcoform.with_claims"
            self.fail(e, message, "claims")
            return
        self.nutrient(claim_bound(e))

    def ratio(self, e: RatioBound) -> None:
        top, bottom = self.amount(e.numerator, e), self.amount(e.denominator, e)
        if top is None or bottom is None:
            return
        # Both amounts in one unit when they are of one kind (kcal over kJ, mg over g);
        # a ratio of different kinds (g per kcal) stays in the columns' own units.
        same = conversion(top[2], bottom[2])
        if e.unit == "mg/g":
            a, b = conversion(top[2], "mg"), conversion(bottom[2], "g")
            if a is None or b is None:
                self.fail(e, "unit mg/g needs a numerator and denominator in mass units")
                return
            scale = a / b
        elif e.unit == "%":
            if same is None:
                self.fail(
                    e, f"unit % needs a numerator and denominator of one kind, got {top[0]} and {bottom[0]}"
                )
                return
            scale = 100.0 * same
        else:
            scale = 1.0 if same is None else same
        s = self.brief.serving
        k = {"serving": 1.0, "meal": s.servings_per_meal, "day": s.servings_per_day}[e.basis]
        n0 = d0 = 0.0
        if e.basis != "serving":
            n0, d0 = self.background(e.basis, top[0]), self.background(e.basis, bottom[0])
        if d0 == 0 and not bool((bottom[1] > 0).any()):  # (blank: NaN > 0 is false)
            self.fail(
                e, f"denominator {bottom[0]} is 0 or blank for every food: the ratio cannot be met or judged"
            )
            return
        uses = tuple(dict.fromkeys(self.columns.inputs(top[0]) + self.columns.inputs(bottom[0])))
        unit = (
            e.unit
            if e.unit != "ratio"
            else ("" if same is not None else f"{label(top[2])}/{label(bottom[2])}")
        )
        self.add_for(
            e,
            name=e.name,
            kind="ratio",
            subject=e.name,
            unit=unit,
            min=e.min,
            max=e.max,
            num=scale * k * top[1],
            num0=scale * n0,
            den=k * bottom[1],
            den0=d0,
            basis=e.basis if e.basis != "serving" else None,
            uses=uses,
        )

    def pattern(self, p: AminoAcidPattern) -> None:
        protein = self.amount(p.protein, p)
        if protein is None:
            return
        to_g = conversion(protein[2], "g")
        if to_g is None:
            self.fail(p, f"protein column {protein[0]} must be in mass units")
            return
        for name, ref in p.min_mg_per_g.items():
            aa = self.amount(name, p)
            if aa is None:
                continue
            to_mg = conversion(aa[2], "mg")
            if to_mg is None:
                self.fail(p, f"{aa[0]} must be in mass units")
                continue
            subject = f"{aa[0].removesuffix('_g')} per g {protein[0].removesuffix('_g')}"
            uses = tuple(dict.fromkeys(self.columns.inputs(aa[0]) + self.columns.inputs(protein[0])))
            self.add_for(
                p,
                name=f"{p.name}: {aa[0]}",
                kind="amino_acid",
                subject=subject,
                unit="mg/g",
                min=ref,
                max=None,
                num=to_mg * aa[1],
                num0=0.0,
                den=to_g * protein[1],
                den0=0.0,
                uses=uses,
            )

    def food_index(self, food_id: str, entry: Entry) -> int | None:
        i = self.foods.position(food_id)
        if i is None:
            hint = _did_you_mean(food_id, self.foods.ids)
            self.fail(entry, f"unknown ingredient id {food_id!r} in {self.foods.origin}{hint}")
        return i

    def ingredient(self, e: IngredientBound) -> None:
        i = self.food_index(e.id, e)
        if i is None:
            return
        unit_vec = np.zeros(self.n)
        unit_vec[i] = 1.0
        index = len(self.bounds)
        self.of_foods(e, f"ingredient {e.id}", "ingredient", e.id, unit_vec, column=i)
        if e.unit == "%":
            return
        if e.min is not None and e.min > self.col_lo[i]:
            self.col_lo[i], self.lo_owner[i] = e.min, index
        if e.max is not None and e.max < self.col_hi[i]:
            self.col_hi[i], self.hi_owner[i] = e.max, index

    def of_foods(
        self,
        e: IngredientBound | GroupBound,
        name: str,
        kind: Kind,
        subject: str,
        members: np.ndarray,
        column: int | None = None,
    ) -> None:
        """A bound on the grams of these foods (members·x; `column`: of this one food, a
        column bound), or with unit % on their share of the serving (100·members·x / Σx)."""
        if e.unit == "%":
            self.add_for(
                e,
                name=f"{name} %",
                kind=kind,
                subject=subject,
                unit="% of serving",
                min=e.min,
                max=e.max,
                num=100 * members,
                den=np.ones(self.n),
                den0=0.0,
            )
        else:
            self.add_for(
                e,
                name=name,
                kind=kind,
                subject=subject,
                unit="g",
                min=e.min,
                max=e.max,
                num=members,
                column=column,
            )

    def group(self, e: GroupBound) -> None:
        members = np.zeros(self.n)
        if e.members is not None:
            for food_id in e.members:
                i = self.food_index(food_id, e)
                if i is not None:
                    members[i] = 1.0
        elif e.tag is not None:
            members = tagged(self.foods, e.tag).astype(float)
            if not members.any():
                self.fail(e, f"no food has tag {e.tag!r} (tags: {', '.join(all_tags(self.foods)) or 'none'})")
                return
        else:
            groups = self.foods.texts.get("group", ("",) * self.n)
            members = np.array([g == e.group for g in groups], dtype=float)
            if not members.any():
                known = sorted(set(groups))
                self.fail(e, f"no food has group {e.group!r} (groups: {', '.join(known) or 'none'})")
                return
        self.of_foods(e, f"group {e.name}", "group", e.name, members)

    def cost_bound(self, c: CostBound) -> None:
        num = self.foods.price_per_kg * cost_row_scale(c.basis, self.brief.serving.servings_per_day)
        # per kg of (finished) product: cost / mass
        den = finished_per_raw(self.brief) * np.ones(self.n) if c.basis == "kg" else None
        self.add_for(
            c,
            name=f"cost per {c.basis}",
            kind="cost",
            subject="cost",
            unit=self.brief.currency,
            min=c.min,
            max=c.max,
            num=num,
            num0=0.0,
            den=den,
            den0=0.0 if den is not None else 1.0,
            basis=c.basis,
            uses=("price_per_kg",),
        )

    def practical(self) -> None:
        """At most N ingredients; a minimum inclusion for any ingredient used (MIP)."""
        brief = self.brief
        if brief.max_ingredients is not None:
            n = float(brief.max_ingredients)
            bound = Bound("ingredients used", "count", "ingredients used", "", None, n, np.zeros(self.n))
            self.add(replace(bound, where=brief._where))
        if brief.min_inclusion_g is not None:
            m = brief.min_inclusion_g
            subject = "each ingredient used"
            bound = Bound("minimum inclusion", "inclusion", subject, "g", m, None, np.zeros(self.n))
            self.add(replace(bound, where=brief._where))

    def objective(self) -> tuple[np.ndarray, int, str, str, tuple[str, ...]]:
        brief = self.brief
        if brief.objective_kind == "min_cost":
            unit = f"{brief.currency} per serving"
            return self.foods.price_per_kg / 1000.0, 1, "cost", unit, ("price_per_kg",)
        name = brief.objective_nutrient
        assert name is not None
        got = self.amount(name, brief)
        if got is None:
            return np.zeros(self.n), 1, name, "", ()
        column, per_g, unit = got
        sense = -1 if brief.objective_kind == "max" else 1
        subject = column.removesuffix(f"_{unit}") if unit else column
        return (
            per_g,
            sense,
            subject,
            f"{label(unit)} {subject} per serving".strip(),
            tuple(self.columns.inputs(column)),
        )

    # -- blank = unknown ---------------------------------------------------------
    def blanks(self, objective_uses: tuple[str, ...], stack: _Stack) -> tuple[list[tuple[str, str]], bool]:
        """Apply the brief's blank policy to the values it actually uses."""
        policy = self.brief.blank_values
        needs: dict[str, Bound | str] = {}  # table column → first constraint needing it
        for b in self.bounds:
            for column in b.uses:
                if column not in needs:
                    needs[column] = b  # put in words only for a problem (describe is slow)
        for column in objective_uses:
            needs.setdefault(column, f"the objective {self.brief.objective}")
        excluded: list[tuple[str, str]] = []
        problems: list[Problem] = []
        may_enter = self.col_hi > 0
        if "price_per_kg" in needs and "price_per_kg" not in self.foods.columns:
            raise InputError(
                Problem(
                    f"no price_per_kg column, but {_words(needs['price_per_kg'])} needs prices",
                    self.foods.origin,
                    self.foods.sheet,
                    1,
                    "price_per_kg",
                )
            )
        # Every table column at once (the stack is made once per table); only columns with
        # a blank where a food may enter are walked.
        table = tuple(c for c in needs if c != "price_per_kg")
        unknown = np.isnan(self.columns.stacked(table)) & may_enter
        blank = {table[r]: unknown[r] for r in np.flatnonzero(unknown.any(axis=1))}
        unpriced = np.isnan(self.foods.price_per_kg) & may_enter
        if unpriced.any():
            blank["price_per_kg"] = unpriced
        for column, need in needs.items():
            where = blank.get(column)
            if policy == "zero" or where is None:
                continue
            why = _words(need) if policy == "error" else ""  # describe is slow
            for i in np.flatnonzero(where):
                if policy == "error":
                    problems.append(
                        self.foods.problem(
                            int(i),
                            column,
                            f"blank (unknown) for {self.foods.ids[i]!r} but needed by {why}; fill it"
                            f" in, exclude the ingredient (max = 0), or set blank_values ="
                            f' "zero" or "exclude" in the brief',
                        )
                    )
                elif self.col_hi[i] > 0:
                    self.col_hi[i] = 0.0
                    excluded.append((self.foods.ids[i], column))
        if problems:
            raise InputError(problems)
        # A derived column can be undefined where its inputs are known (0/0): unknown too.
        # One NaN test over every bound's numbers at once; only bounds with a hit are walked.
        hit = (np.isnan(stack.nums) | np.isnan(stack.dens)) & (self.col_hi > 0)
        for k in np.flatnonzero(hit.any(axis=1)):
            b = self.bounds[k]
            for i in np.flatnonzero(hit[k] & (self.col_hi > 0)):
                column = self.columns.undefined_at(int(i)) or b.name
                message = (
                    f"undefined (e.g. 0/0) for {self.foods.ids[i]!r}, needed by {b.describe()};"
                    " fix the expression, or exclude the ingredient (max = 0)"
                )
                if policy == "error":
                    problems.append(self.foods.problem(int(i), column, message))
                elif policy == "exclude":
                    self.col_hi[i] = 0.0
                    excluded.append((self.foods.ids[i], column))
        if problems:
            raise InputError(problems)
        too_many = excluded_too_many(self.foods, excluded, self.brief)
        if too_many:
            raise InputError(too_many)
        prices = self.foods.price_per_kg
        prices_known = not bool(np.isnan(prices[self.col_hi > 0]).any())
        return excluded, prices_known

    # -- the LP --------------------------------------------------------------------
    def assemble(
        self,
        objective: np.ndarray,
        sense: int,
        obj_label: str,
        obj_unit: str,
        excluded: list[tuple[str, str]],
        prices_known: bool,
        stack: _Stack,
    ) -> Compiled:
        # Unknowns left at this point belong to foods that cannot enter, or the brief said
        # blank = 0: either way 0 is the value to use. Only bounds with an unknown are
        # copied (each copy was a tenth of compiling).
        nums, dens, sds = _known(stack.nums), _known(stack.dens), _known(stack.sds)
        unknown = (np.isnan(stack.nums) | np.isnan(stack.dens) | np.isnan(stack.sds)).any(axis=1)
        bounds = list(self.bounds)
        for u in np.flatnonzero(unknown):
            b = bounds[u]
            bounds[u] = _changed(
                b,
                num=nums[u].copy(),
                den=None if b.den is None else dens[u].copy(),
                sd=None if b.sd is None else sds[u].copy(),
            )
        # An LP row per bound, lo ≤ num·x ≤ hi, or per side of a ratio, (num − t·den)·x ⋛
        # t·den0 − num0: the bound each row reads, and t (None: no denominator).
        lo: list[float] = []
        hi: list[float] = []
        names: list[str] = []
        row_of: list[tuple[int, Side]] = []
        t: list[float | None] = []
        for k, b in enumerate(bounds):
            if b.column is not None or b.kind in ("count", "inclusion"):
                continue
            if b.den is None:
                lo.append(-math.inf if b.min is None else b.min - b.num0)
                hi.append(math.inf if b.max is None else b.max - b.num0)
                names.append(b.name)
                row_of.append((k, "both"))
                t.append(None)
                continue
            for side, bound in (("min", b.min), ("max", b.max)):
                if bound is None:
                    continue
                rhs = bound * b.den0 - b.num0
                lo.append(rhs if side == "min" else -math.inf)
                hi.append(rhs if side == "max" else math.inf)
                names.append(f"{b.name} ({side})")
                row_of.append((k, side))  # type: ignore[arg-type]
                t.append(bound)
        A = nums[[k for k, _side in row_of]]
        ratio = [r for r, at in enumerate(t) if at is not None]
        if ratio:
            of = [row_of[r][0] for r in ratio]
            A[ratio] -= np.array([t[r] for r in ratio])[:, None] * dens[of]
        c = sense * _known(objective)
        lp = MatrixLP(
            c=c,
            A=A,
            row_lo=np.array(lo, dtype=float),
            row_hi=np.array(hi, dtype=float),
            col_lo=self.col_lo.copy(),
            col_hi=self.col_hi.copy(),
            col_names=self.foods.ids,
            row_names=tuple(names),
        )
        notes = [*self.notes, *(f"excluded {i} (blank {c})" for i, c in excluded)]
        if self.brief.is_practical:
            lp, row_of = self.use_indicators(lp, bounds, row_of)
        return Compiled(
            foods=self.foods,
            brief=self.brief,
            columns=self.columns,
            bounds=tuple(bounds),
            lp=lp,
            row_of=tuple(row_of),
            col_lo_owner=self.lo_owner,
            col_hi_owner=self.hi_owner,
            cost=_known(self.foods.price_per_kg / 1000.0),
            objective=_known(objective),
            sense=sense,
            objective_label=obj_label,
            objective_unit=obj_unit,
            excluded=tuple(excluded),
            prices_known=prices_known,
            notes=tuple(notes),
        )

    def use_indicators(
        self, lp: MatrixLP, bounds: list[Bound], row_of: list[tuple[int, Side]]
    ) -> tuple[MatrixLP, list[tuple[int, Side]]]:
        from .practical import MassUnbounded, add_use_indicators

        count = next((k for k, b in enumerate(bounds) if b.kind == "count"), None)
        try:
            lp = add_use_indicators(
                lp,
                count=None if count is None else bounds[count].max,
                minimum=self.brief.min_inclusion_g,
            )
        except MassUnbounded:
            raise InputError(
                self.brief.problem(
                    "max_ingredients / min_inclusion_g need a bounded serving: set [serving] serving_g"
                    " or max_g (or bound the ingredients)"
                )
            ) from None
        return lp, row_of if count is None else [*row_of, (count, "both")]  # Σ y ≤ N is the last row


# Bound kind (TOML name, model/sections.py) → its compile rule; tests/test_sections.py
# checks that every bound kind has one.
RULES: dict[str, Callable[[_Compiler, Any], None]] = {
    "nutrient": _Compiler.nutrient,
    "claims": _Compiler.claim,
    "ratio": _Compiler.ratio,
    "amino_acid_pattern": _Compiler.pattern,
    "ingredient": _Compiler.ingredient,
    "group": _Compiler.group,
    "cost": _Compiler.cost_bound,
}


@dataclass(frozen=True)
class _Stack:
    """Every bound's numerator, denominator (the numerator when it has none) and SDs (the
    numerator when it has none), one row per bound: NaN tests and the LP's rows read them
    at once (stacking them per use was a fifth of compiling)."""

    nums: np.ndarray
    dens: np.ndarray
    sds: np.ndarray

    @staticmethod
    def of(bounds: Sequence[Bound], n: int) -> _Stack:
        if not bounds:
            return _Stack(*(np.zeros((0, n)) for _ in range(3)))
        nums = np.array([b.num for b in bounds], dtype=float)
        dens = np.array([b.num if b.den is None else b.den for b in bounds], dtype=float)
        sds = np.array([b.num if b.sd is None else b.sd for b in bounds], dtype=float)
        return _Stack(nums, dens, sds)


# What `made_for` copies a new bound from, and the fields it must be given.
_BLANK = Bound("", "nutrient", "", "", None, None, np.zeros(0))
_REQUIRED = frozenset(("name", "kind", "subject", "unit", "min", "max", "num"))
_FIELDS = frozenset(_BLANK.__dict__)


def _changed(b: Bound, **changes: Any) -> Bound:
    """`dataclasses.replace` for a Bound (plain fields, no __post_init__), without its
    per-field checks: compiling calls it twice per bound."""
    assert changes.keys() <= b.__dict__.keys(), sorted(changes.keys() - b.__dict__.keys())
    new = object.__new__(Bound)
    fields = {**b.__dict__, **changes}
    fields.pop("_value_at", None)  # Bound.value's memo belongs to b
    object.__setattr__(new, "__dict__", fields)
    return new


def _words(need: Bound | str) -> str:
    return need if isinstance(need, str) else need.describe()


def _known(values: np.ndarray) -> np.ndarray:
    """Unknown (NaN) as 0 — for values that cannot matter any more (see assemble)."""
    return np.where(np.isnan(values), 0.0, values)


def cost_row_scale(basis: str, servings_per_day: float) -> float:
    """A food's coefficient in a cost bound per unit of its price per kg: 1/1000 per
    serving (g × price / 1000 g), servings_per_day/1000 per day, and 1 per kg of product
    (the numerator of Σ price·g / Σ g, whose denominator is the serving mass)."""
    return {"serving": 1e-3, "day": 1e-3 * servings_per_day, "kg": 1.0}[basis]


def _unique(problems: list[Problem]) -> list[Problem]:
    return list(dict.fromkeys(problems))
