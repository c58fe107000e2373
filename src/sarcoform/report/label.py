"""Nutrition declaration, claims and allergens of a solved blend under one standard.

Reads a Result (its nutrients per 100 g come from the raw food table) and the standard's
rules from regulations/; nothing is re-solved. A nutrient the standard requires but the
table lacks, or that is blank for an ingredient in the blend, is declared unknown, never 0.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..errors import InputError, Problem
from ..model.foods import FoodTable
from ..model.label import (
    CLAIM_BASIS_PHRASES,
    AllergenLine,
    Amounts,
    ClaimCondition,
    ClaimLine,
    ClaimRule,
    Label,
    LabelRow,
    LabelStandard,
    NutrientRule,
    Rounded,
    round_value,
)
from ..model.result import Result
from ..model.units import conversion

if TYPE_CHECKING:
    from rich.console import Console

CLAIM_TOLERANCE = 1e-6  # relative, as verification's (solving/verify.py TOLERANCE)
ALLERGENS = ("milk", "soy", "egg", "peanut", "gluten")  # columns allergen_<name> (COLUMNS.md)


def label(
    result: Result,
    standard: str = "cn",
    *,
    foods: FoodTable | None = None,
    reconstitution_ml: float | None = None,
) -> Label:
    """The label of `result` under `standard` (cn: GB 28050, eu: Reg. 1169/2011, us: 21 CFR 101.9).

    `foods`: the food table the result was solved over; amounts and allergens are read from
    it (a blank stays unknown). By default it is reloaded from the result's origin when that
    is an embedded table or a file that exists; otherwise the amounts come from the result
    and allergens are reported unknown (the notes say so).
    `reconstitution_ml`: volume (mL) one serving makes up to, for the per-100 mL column.
    """
    from ..io.regulations import load_claim_rules, load_label_standard

    if not result.blend_lines or not result.serving_g:
        raise InputError(
            Problem(f"result {result.brief_name!r} has no blend to label (status {result.status})")
        )
    if reconstitution_ml is not None and not (math.isfinite(reconstitution_ml) and reconstitution_ml > 0):
        raise InputError(Problem(f"reconstitution_ml must be a number > 0, got {reconstitution_ml}"))
    rules = load_label_standard(standard)
    claim_rules = load_claim_rules(standard)
    table = foods if foods is not None else _foods_of(result)
    builder = _LabelBuilder(result, rules, table, reconstitution_ml)
    return builder.build(claim_rules)


def _foods_of(result: Result) -> FoodTable | None:
    from ..io import load_foods
    from ..io.embedded import food_table_paths

    origin = result.foods_origin
    try:
        if origin.endswith(" (embedded)"):
            file = Path(origin.removesuffix(" (embedded)")).name
            names = [name for name, path in food_table_paths().items() if path.name == file]
            return load_foods(names[0]) if names else None
        if Path(origin).is_file():
            return load_foods(origin)
    except InputError:
        return None
    return None


class _LabelBuilder:
    def __init__(
        self, result: Result, rules: LabelStandard, foods: FoodTable | None, reconstitution_ml: float | None
    ) -> None:
        self.result = result
        self.rules = rules
        self.foods = foods
        self.recon = reconstitution_ml
        self.serving = float(result.serving_g or 0.0)
        self.notes: list[str] = []
        self.per_100g = self._from_table() or {line.nutrient: line.per_100g for line in result.nutrient_lines}
        self._at_end_of_shelf_life()

    def _at_end_of_shelf_life(self) -> None:
        """Declared values hold at the end of shelf life: a nutrient that degrades is
        declared at what is left (the blend's own retention, per-ingredient figures
        included), and claims are judged on it too."""
        life = self.result.shelf_life
        if life is None:
            return
        changed = []
        for line in life.overages:
            value = self.per_100g.get(line.nutrient)
            if value is None or line.retention is None:
                continue
            self.per_100g[line.nutrient] = value * line.retention
            changed.append(f"{line.nutrient} {line.retention:.0%}")
        said = f"declared at the end of the {life.months:g}-month shelf life"
        if changed:
            said += ": of the amount at manufacture, " + ", ".join(changed) + " is left"
        self.notes.append(said)

    def _from_table(self) -> dict[str, float | None] | None:
        """Amounts per 100 g of the blend from the raw table: a blank is unknown here even
        when the brief solved with blank_values = "zero". None without the table."""
        foods = self.foods
        if foods is None:
            self.notes.append(
                f"food table {self.result.foods_origin!r} not available: amounts from the result,"
                " allergens unknown"
            )
            return None
        rows = [foods.position(line.id) for line in self.result.blend_lines]
        if any(i is None for i in rows):
            self.notes.append(
                "the food table does not hold every ingredient of the blend: amounts from the result"
            )
            return None
        grams = np.array([line.grams for line in self.result.blend_lines])
        index = np.array(rows, dtype=int)
        out: dict[str, float | None] = {}
        for column in foods.nutrient_columns:
            values = foods.numbers[column][index]
            out[column] = None if np.isnan(values).any() else float(values @ grams / grams.sum())
        return out

    # -- amounts -------------------------------------------------------------
    def amount_per_100g(self, rule: NutrientRule) -> tuple[float | None, str | None]:
        """(amount per 100 g in the label unit, why unknown)."""
        column, factor = rule.column, rule.factor
        if column not in self.per_100g and rule.alt_column in self.per_100g:
            column, factor = rule.alt_column, rule.factor * rule.alt_factor
        total = 0.0
        for name in (column, *rule.extra_columns):
            if name not in self.per_100g:
                return None, f"no column {name} in the food table"
            value = self.per_100g[name]
            if value is None:
                return None, f"{name} is blank for {self._blank_in(name)}"
            total += value
        return total * factor, None

    def _blank_in(self, column: str) -> str:
        if self.foods is None or column not in self.foods.numbers:
            return "an ingredient in the blend"
        ids = []
        for line in self.result.blend_lines:
            i = self.foods.position(line.id)
            if i is None or math.isnan(float(self.foods.numbers[column][i])):
                ids.append(line.id)
        return ", ".join(ids) or "an ingredient in the blend"

    def energy_per_100g(self, unit: str) -> float | None:
        for column in (f"energy_{unit}", "energy_kj" if unit == "kcal" else "energy_kcal"):
            value = self.per_100g.get(column)
            f = conversion(column.removeprefix("energy_"), unit)
            if value is not None and f is not None:
                return value * f
        return None

    # -- rows ----------------------------------------------------------------
    def row(self, rule: NutrientRule, claimed: set[str]) -> LabelRow | None:
        per_100g, why = self.amount_per_100g(rule)
        in_table = rule.column in self.per_100g or rule.alt_column in self.per_100g
        if rule.declare == "if_in_table" and not in_table:
            return None
        exact_pct: float | None = None
        if per_100g is not None and rule.reference:
            on_basis = per_100g if self.rules.percent_basis == "per_100g" else per_100g * self.serving / 100
            exact_pct = on_basis / rule.reference * 100
        if rule.declare == "significant" and rule.column not in claimed:
            if per_100g is None:
                if in_table:
                    self.notes.append(f"{rule.name} not declared: {why}")
                return None
            if not self._significant(rule, per_100g):
                return None
        per_serving = None if per_100g is None else per_100g * self.serving / 100
        per_100ml = None if per_serving is None or self.recon is None else per_serving / self.recon * 100
        exact = Amounts(
            per_100g=per_100g, per_serving=per_serving, per_100ml=per_100ml, percent_reference=exact_pct
        )
        if per_100g is None:
            return LabelRow(
                nutrient=rule.key,
                name=rule.name,
                unit=rule.unit,
                per_100g=None,
                per_serving=None,
                per_100ml=None,
                percent_reference=None,
                status="unknown",
                exact=exact,
                mandatory=rule.declare == "always",
                source=rule.source,
                note=f"unknown: {why}" + (f"; {rule.note}" if rule.note else ""),
            )
        zero_100g = round_value(per_100g, rule.rounding).value == 0
        zero_ok = {"per_100g": True, "per_serving": zero_100g or not self.rules.zero_needs_per_100g}
        declared = {
            basis: None
            if value is None
            else round_value(value, rule.rounding, zero_allowed=zero_ok.get(basis, True))
            for basis, value in (
                ("per_100g", per_100g),
                ("per_serving", per_serving),
                ("per_100ml", per_100ml),
            )
        }
        pct: float | None = None
        if exact_pct is not None:
            shown = declared[self.rules.percent_basis]
            zero = shown is not None and shown.value == 0 and not shown.less_than
            bands = (
                rule.percent_rounding if rule.percent_rounding is not None else self.rules.percent_rounding
            )
            pct = 0.0 if zero else round_value(exact_pct, bands).value
        return LabelRow(
            nutrient=rule.key,
            name=rule.name,
            unit=rule.unit,
            per_100g=_value(declared["per_100g"]),
            per_serving=_value(declared["per_serving"]),
            per_100ml=_value(declared["per_100ml"]),
            percent_reference=pct,
            less_than=any(d is not None and d.less_than for d in declared.values()),
            printed={basis: d.printed for basis, d in declared.items() if d is not None},
            exact=exact,
            mandatory=rule.declare == "always",
            source=rule.source,
            note=rule.note,
        )

    def _significant(self, rule: NutrientRule, per_100g: float) -> bool:
        if self.rules.significant_percent is None:  # any amount that declares as more than 0
            return round_value(per_100g, rule.rounding).value > 0
        if not rule.reference:
            return False
        amount = per_100g if self.rules.significant_basis == "per_100g" else per_100g * self.serving / 100
        return amount / rule.reference * 100 >= self.rules.significant_percent

    # -- claims --------------------------------------------------------------
    def condition_value(self, c: ClaimCondition) -> float | None:
        per_100g = self.per_100g.get(c.column)
        if per_100g is None:
            return None
        if c.basis == "per_100g":
            return per_100g
        if c.basis == "serving":
            return per_100g * self.serving / 100
        energy = self.energy_per_100g(c.basis.removeprefix("per_100"))
        return None if not energy else per_100g / energy * 100

    def claim(self, rule: ClaimRule) -> ClaimLine:
        lines = [self._claim_line(rule, c) for c in rule.conditions]
        met = [line for line in lines if line.qualifies]
        known = [line for line in lines if line.qualifies is not None]
        pool = met or known or lines
        # The deciding condition: the one met (or missed) by the widest relative margin.
        return max(
            pool,
            key=lambda line: (
                -math.inf
                if line.margin is None
                else line.margin / line.threshold
                if line.threshold
                else line.margin
            ),
        )

    def _claim_line(self, rule: ClaimRule, c: ClaimCondition) -> ClaimLine:
        value = self.condition_value(c)
        threshold = c.min if c.min is not None else c.max
        assert threshold is not None
        margin = None if value is None else (value - threshold if c.min is not None else threshold - value)
        # A blend the solver put on the threshold is on it to its feasibility tolerance.
        tol = CLAIM_TOLERANCE * max(1.0, abs(threshold))
        ok = None if margin is None else (margin > tol if c.strict else margin >= -tol)
        why = None if value is not None else f"{c.column} unknown or not in the food table"
        return ClaimLine(
            claim=rule.id,
            name=rule.name,
            qualifies=ok,
            condition=c.text,
            basis=CLAIM_BASIS_PHRASES[c.basis],
            unit=c.unit,
            value=value,
            threshold=threshold,
            margin=margin,
            source=rule.source,
            note="; ".join(n for n in (rule.note, why) if n) or None,
        )

    # -- allergens -----------------------------------------------------------
    def allergens(self) -> list[AllergenLine]:
        names = list(ALLERGENS)
        if self.foods is not None:
            names += [c.removeprefix("allergen_") for c in self.foods.columns if c.startswith("allergen_")]
        out = []
        for name in dict.fromkeys(names):
            contains, unknown = [], []
            for line in self.result.blend_lines:
                flag = self._flag(f"allergen_{name}", line.id)
                if flag is None:
                    unknown.append(line.id)
                elif flag:
                    contains.append(line.id)
            status = "contains" if contains else "unknown" if unknown else "free"
            note = None
            if self.foods is None:
                note = "food table not available: status unknown"
            elif f"allergen_{name}" not in self.foods.columns:
                note = f"no column allergen_{name} in the food table"
            out.append(
                AllergenLine(allergen=name, status=status, ingredients=contains, unknown=unknown, note=note)  # type: ignore[arg-type]
            )
        return out

    def _flag(self, column: str, food_id: str) -> bool | None:
        """True/False from a 0/1 cell; None when blank, not 0/1, or not in the table."""
        if self.foods is None:
            return None
        i = self.foods.position(food_id)
        if i is None:
            return None
        if column in self.foods.numbers:
            value = float(self.foods.numbers[column][i])
            return None if math.isnan(value) or value not in (0.0, 1.0) else value == 1.0
        text = self.foods.text(column, i).strip().lower()
        return {"1": True, "yes": True, "true": True, "0": False, "no": False, "false": False}.get(text)

    # -- all -----------------------------------------------------------------
    def build(self, claim_rules: tuple[ClaimRule, ...]) -> Label:
        checked = [self.claim(rule) for rule in claim_rules]
        claimed_columns = {
            c.column
            for rule, line in zip(claim_rules, checked, strict=True)
            if line.qualifies
            for c in rule.conditions
        }
        rows = [r for rule in self.rules.nutrients if (r := self.row(rule, claimed_columns)) is not None]
        unknown = [r.name for r in rows if r.status == "unknown" and r.mandatory]
        if unknown:
            self.notes.insert(
                0, f"mandatory nutrients unknown (not in the food table or blank): {', '.join(unknown)}"
            )
        self.notes.append("claims are judged on the unrounded amounts")
        if self.recon is not None:
            self.notes.append(f"per 100 mL: one serving ({self.serving:g} g) made up to {self.recon:g} mL")
        return Label(
            standard=self.rules.standard,
            title=self.rules.title,
            reference_name=self.rules.reference_name,
            percent_basis=self.rules.percent_basis,
            serving_g=self.serving,
            reconstitution_ml=self.recon,
            rows=rows,
            claims=[c for c in checked if c.qualifies],
            claims_not_met=[c for c in checked if not c.qualifies],
            allergens=self.allergens(),
            brief_name=self.result.brief_name,
            shelf_life_months=None if self.result.shelf_life is None else self.result.shelf_life.months,
            notes=self.notes,
        )


def _value(rounded: Rounded | None) -> float | None:
    return None if rounded is None else rounded.value


def print_label(lab: Label, console: Console) -> None:
    """The declaration as a table, then claims (with margins), allergens and notes."""
    from rich.text import Text

    from .text import fixed_width_table, prose

    ref = f"% {lab.reference_name}"
    recon = lab.reconstitution_ml is not None
    headers = ["nutrient", "per 100 g", f"per serving ({lab.serving_g:.4g} g)"]
    headers += ["per 100 mL"] if recon else []
    headers += [f"{ref} ({'per 100 g' if lab.percent_basis == 'per_100g' else 'per serving'})"]
    rows = []
    for r in lab.rows:
        cells = [r.name, r.text("per_100g"), r.text("per_serving")]
        cells += [r.text("per_100ml")] if recon else []
        cells += ["" if r.percent_reference is None else f"{r.percent_reference:g} %"]
        rows.append(cells)
    when = (
        ""
        if lab.shelf_life_months is None
        else f" (at the end of {lab.shelf_life_months:g} months' shelf life)"
    )
    fixed_width_table(
        console,
        f"{lab.title} — {lab.brief_name}{when}",
        headers,
        rows,
        [r.status == "unknown" for r in lab.rows],
    )
    console.print()
    console.print(Text("Claims the blend qualifies for", style="bold"))
    for c in lab.claims:
        prose(
            console,
            f"  {c.claim}  {c.name}: {c.condition}; {_amount(c.value)} {c.unit} {c.basis},"
            f" margin {_amount(c.margin)} {c.unit}",
            indent=4,
        )
    if not lab.claims:
        console.print("  none", markup=False)
    missed = [c for c in lab.claims_not_met if c.qualifies is False]
    if missed:
        console.print(Text("Not met", style="bold"))
        for c in missed:
            prose(
                console,
                f"  {c.claim}: {c.condition}; short by {_amount(-(c.margin or 0.0))} {c.unit}",
                indent=4,
            )
    unknown = [c.claim for c in lab.claims_not_met if c.qualifies is None]
    if unknown:
        prose(console, f"Not checked (value unknown): {', '.join(unknown)}")
    console.print()
    prose(console, lab.allergen_statement, "bold")
    for a in lab.allergens:
        if a.unknown:
            prose(console, f"  {a.allergen}: no status for {', '.join(a.unknown)}", indent=4)
    for note in lab.notes:
        prose(console, f"note: {note}")


def _amount(v: float | None) -> str:
    return "–" if v is None else f"{v:.4g}"
