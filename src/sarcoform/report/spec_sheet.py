"""The one-page specification sheet, as data: what the PDF (`spec_pdf`) and the Report
sheet of results workbooks (`spec_xlsx`) both show.

Built from a Result alone (a Result JSON has no brief or food table), and richer with the
brief (title, batch size, source file) and the food table (ingredient sources). Numbers
stay numbers here, each with the kind of unit it is in; the renderers format them.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from ..model.result import ConstraintLine, Result
from .text import STATUS_WORDS

if TYPE_CHECKING:
    from ..model.brief import Brief
    from ..model.foods import FoodTable
    from ..model.label import Label

# How a column's numbers are shown: grams, percent, kg, money, a plain amount, text, a
# declared label value (`Declared`), or a declared % of a reference intake (NRV/RI/DV).
Kind = Literal["g", "%", "kg", "money", "money_words", "amount", "text", "declared", "percent_ref"]
_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]+")

DEFAULT_BATCH_KG = 1000.0  # as results workbooks, when the brief gives none
# Amino acids other than leucine are in the results workbook; the sheet keeps to what a
# manager reads: energy, macronutrients, leucine, HMB, the micronutrients of the brief.
_DETAIL = re.compile(
    r"^(histidine|isoleucine|lysine|methionine|cystine|phenylalanine|tyrosine|threonine|tryptophan|valine)_"
)


@dataclass(frozen=True)
class Table:
    """A small table: header, the kind of each column, rows (numbers stay numbers)."""

    header: tuple[str, ...]
    kinds: tuple[Kind, ...]
    rows: tuple[tuple[Any, ...], ...]
    total: tuple[Any, ...] | None = None  # a last row in bold (sums)


@dataclass(frozen=True)
class Declared:
    """A value as the label declares it (already rounded by the standard's rules)."""

    value: float | None
    unit: str
    less_than: bool = False
    unknown: bool = False
    shown: str | None = None  # as the label prints it ('25.0 g'), when it says

    def text(self) -> str:
        if self.shown is not None:
            return self.shown
        if self.value is None:
            return "unknown" if self.unknown else "–"
        return f"{'<' if self.less_than else ''}{self.value:.10g} {self.unit}"


@dataclass(frozen=True)
class Declaration:
    """The nutrition declaration section, from the label API (`sarcoform.label`)."""

    title: str  # e.g. "Nutrition declaration (GB 28050)"
    table: Table
    claims: tuple[str, ...]
    allergens: str
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProductionSection:
    """The production sheet in short: the weigh-up in order of addition, the premix and
    the re-check of the rounded formula (in full on the results workbook's Production sheet)."""

    head: str  # batch, servings, scales
    steps: Table  # step, ingredient, kg to weigh
    premix_head: str | None
    premix: Table | None  # what goes into the premix, g to weigh
    check: str  # the rounded formula verified, or the bounds it breaks
    ok: bool


@dataclass(frozen=True)
class SpecSheet:
    title: str
    subtitle: str
    status: str  # optimal | infeasible | ...
    ok: bool
    currency: str
    facts: tuple[tuple[str, str], ...]  # product and brief, in words
    costs: tuple[tuple[str, float | None], ...]  # per serving, per kg, per day, per batch
    formula: Table
    batch_kg: float
    composition: Table  # calculated amounts per serving and per 100 g
    declaration: Declaration | None
    compliance: Table | None  # the bounds of the rule packs the brief includes, value against limit
    binding: tuple[str, ...]  # binding constraints with their shadow prices, in plain words
    drivers: str  # heading of the binding constraints: what the objective depends on
    verification: str
    sources: tuple[str, ...]
    notes: tuple[str, ...] = field(default=())
    generated: str = ""
    production: ProductionSection | None = None


def spec_sheet(
    result: Result,
    *,
    brief: Brief | None = None,
    foods: FoodTable | None = None,
    declaration: Declaration | None = None,
    generated: datetime | None = None,
) -> SpecSheet:
    """The sheet's content for a result (and, when at hand, its brief and food table)."""
    cur = result.currency
    batch_kg = (brief.batch_size_kg if brief is not None else None) or DEFAULT_BATCH_KG
    title = (brief.title if brief is not None else None) or result.brief_name
    when = (generated or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")
    per_batch = None if result.cost_per_kg is None else result.cost_per_kg * batch_kg
    return SpecSheet(
        title=title,
        subtitle=f"Specification sheet · brief {result.brief_name} · {_objective_words(result)}",
        status=result.status,
        ok=result.ok,
        currency=cur,
        facts=_facts(result, brief, batch_kg),
        costs=(
            ("per serving", result.cost_per_serving),
            ("per kg of product", result.cost_per_kg),
            (f"per day ({result.servings_per_day:g} servings)", result.cost_per_day),
            (f"per {batch_kg:g} kg batch", per_batch),
        ),
        formula=_formula(result, batch_kg),
        batch_kg=batch_kg,
        composition=_composition(result),
        declaration=declaration,
        compliance=_compliance(result),
        binding=tuple(_binding_words(result)),
        drivers=(
            "What the cost depends on"
            if result.objective == "min_cost"
            else f"What limits the {_objective_noun(result)}"
        ),
        verification=_verification_words(result),
        sources=tuple(_sources(result, brief, foods)),
        notes=tuple(_diagnosis_words(result) + result.notes),
        generated=when,
        production=_production(result),
    )


def sheet_with_label(
    result: Result,
    *,
    brief: Brief | None = None,
    foods: FoodTable | None = None,
    standard: str = "cn",
    cjk: bool = True,
    strict: bool = True,
) -> SpecSheet:
    """The sheet with the nutrition declaration, claims and allergens under `standard`
    (none when there is no blend to label). `strict=False`: a label that cannot be made
    leaves the section out and says why in the notes, instead of raising."""
    from ..errors import InputError
    from .label import label
    from .realism import with_production

    found = None
    said: list[str] = []
    if brief is not None and foods is not None:
        result = with_production(result, foods, brief)
    if result.blend_lines and result.serving_g:
        ml = brief.serving.reconstitution_ml if brief is not None else None
        try:
            found = declaration(label(result, standard, foods=foods, reconstitution_ml=ml), cjk=cjk)
        except InputError as err:
            if strict:
                raise
            said = [f"no nutrition declaration: {p.message}" for p in err.problems]
    sheet = spec_sheet(result, brief=brief, foods=foods, declaration=found)
    return replace(sheet, notes=(*said, *sheet.notes)) if said else sheet


def declaration(lab: Label, *, cjk: bool = True) -> Declaration:
    """The declaration section from a label (`sarcoform.label`). `cjk=False`: names without
    their Chinese part, for a typesetter that has no CJK font (the label JSON keeps them)."""

    def name(text: str) -> str:
        return text if cjk else latin(text)

    per_ml = lab.reconstitution_ml is not None
    basis = "per 100 g" if lab.percent_basis == "per_100g" else "per serving"
    header = [
        "Nutrient",
        "per 100 g",
        "per serving",
        *(["per 100 mL"] if per_ml else []),
        f"% {lab.reference_name}",
    ]
    rows = []
    for r in lab.rows:
        bases = ["per_100g", "per_serving", *(["per_100ml"] if per_ml else [])]
        cells = [
            Declared(getattr(r, b), r.unit, r.less_than, r.status == "unknown", r.text(b))  # type: ignore[arg-type]
            for b in bases
        ]
        rows.append((name(r.name), *cells, r.percent_reference))
    declared: list[Kind] = ["declared"] * (len(header) - 2)
    kinds: tuple[Kind, ...] = ("text", *declared, "percent_ref")
    claims = tuple(
        f"{name(c.name)}: {number(c.value, 'amount')} {c.unit} {c.basis} "
        f"({'≤' if '<' in c.condition else '≥'} {number(c.threshold, 'amount')} {c.unit})"
        for c in lab.claims
    )
    made_up = f", made up to {number(lab.reconstitution_ml, 'amount')} mL" if per_ml else ""
    serving = f"Serving {number(lab.serving_g, 'amount')} g{made_up}; % {lab.reference_name} {basis}."
    notes = [serving, *lab.notes]
    if not cjk and any(_CJK.search(r.name) for r in lab.rows):
        notes.append("Chinese names not typeset (no CJK font here): see sarcoform label --json.")
    return Declaration(
        title=f"Nutrition declaration · {_short_title(name(lab.title))}",
        table=Table(tuple(header), kinds, tuple(rows)),
        claims=claims,
        allergens=lab.allergen_statement,
        notes=tuple(notes),
    )


def _short_title(title: str) -> str:
    """'Regulation (EU) No 1169/2011 nutrition declaration' → 'Regulation (EU) No 1169/2011'."""
    return re.split(r" \(?[Nn]utrition", title, maxsplit=1)[0].strip() or title


def latin(text: str) -> str:
    """'能量 Energy' → 'Energy'; '蛋白质来源 / 含有蛋白质 (source of protein)' → 'source of protein'."""
    out = " ".join(t for t in text.split() if not _CJK.search(t))  # 维生素D is a Chinese word
    out = re.sub(r"^[\s/]+|[\s/]+$", "", out)
    out = re.sub(r"\s*/\s*(?=\()", " ", out).strip()
    if out.startswith("(") and out.endswith(")") and out.count("(") == 1:
        out = out[1:-1]
    return re.sub(r"\s{2,}", " ", out) or text


def _claim_condition(text: str) -> str:
    return text.split(" (")[0].replace(">=", "≥").replace("<=", "≤")


def _objective_words(result: Result) -> str:
    if result.objective == "min_cost":
        return "least cost"
    kind, nutrient = result.objective.split(":", 1)
    return f"{'most' if kind == 'max' else 'least'} {nutrient} (ties: least cost)"


def _facts(result: Result, brief: Brief | None, batch_kg: float) -> tuple[tuple[str, str], ...]:
    serving = "free mass" if result.serving_g is None else f"{number(result.serving_g, 'amount')} g"
    facts = [
        (
            "Brief",
            result.brief_name + (f" — {brief._where.file}" if brief is not None and brief._where else ""),
        ),
        ("Serving", f"{serving}, {result.servings_per_day:g} a day"),
        ("Objective", _objective_words(result)),
        ("Status", _status_words(result)),
        ("Batch", f"{batch_kg:g} kg"),
        ("Food table", result.foods_origin),
    ]
    packs = pack_bounds(result)
    if packs:
        held = result.verification is not None and result.verification.ok
        listed = ", ".join(
            f"{name} ({len(lines)} bound{'s' * (len(lines) > 1)})" for name, lines in packs.items()
        )
        facts.append(("Rule packs", f"{listed}: {'all met, re-checked' if held else 'see verification'}"))
    facts.append(("Solver", f"{result.solver.upper()}, {result.solve_seconds:.2f} s"))
    return tuple(facts)


def _compliance(result: Result) -> Table | None:
    """Each rule-pack bound: the limit, the blend's value, met or not, and its pack(s)."""
    packs = pack_bounds(result)
    if not packs or not result.blend_lines:
        return None
    rows = []
    for c in dict.fromkeys(c for lines in packs.values() for c in lines):
        names = ", ".join(p for p, lines in packs.items() if c in lines)
        value = Declared(
            None if c.value is None else float(number(c.value, "amount").replace(",", "")), c.unit
        )
        rows.append((c.label, value, "met" if _met(c) else "NOT MET", names))
    return Table(("Limit", "blend", "", "rule pack"), ("text", "declared", "text", "text"), tuple(rows))


def _met(c: ConstraintLine) -> bool:
    if c.value is None:
        return False
    tol = 1e-6 * max(1.0, abs(c.value))
    return (c.min is None or c.value >= c.min - tol) and (c.max is None or c.value <= c.max + tol)


def pack_bounds(result: Result) -> dict[str, list[ConstraintLine]]:
    """Rule pack → the result's bounds that came from it (their source names the pack)."""
    out: dict[str, list[ConstraintLine]] = {}
    for c in result.constraint_lines:
        for name in dict.fromkeys(re.findall(r"\bpack ([a-z0-9_]+):", c.source or "")):
            out.setdefault(name, []).append(c)
    return out


def _status_words(result: Result) -> str:
    return f"{result.status}: {STATUS_WORDS[result.status]}"


def _formula(result: Result, batch_kg: float) -> Table:
    lines = sorted(result.blend_lines, key=lambda b: -b.grams)
    rows = tuple((b.name, b.id, b.grams, b.percent, b.percent / 100 * batch_kg, b.cost) for b in lines)
    costs = [b.cost for b in lines]
    total = (
        "Total",
        "",
        sum(b.grams for b in lines),
        sum(b.percent for b in lines),
        sum(b.percent for b in lines) / 100 * batch_kg,
        None if any(c is None for c in costs) else sum(c for c in costs if c is not None),
    )
    return Table(
        (
            "Ingredient",
            "id",
            "g / serving",
            "%",
            f"kg / {batch_kg:g} kg batch",
            f"{result.currency} / serving",
        ),
        ("text", "text", "g", "%", "kg", "money"),
        rows,
        total if rows else None,
    )


def _production(result: Result) -> ProductionSection | None:
    plan = result.production
    if plan is None or not plan.lines:
        return None
    head = (
        f"Batch {plan.batch_kg:,.6g} kg = {plan.servings:,.0f} servings; batch scale"
        f" {plan.scale_resolution_g:g} g, premix scale {plan.premix_scale_resolution_g:g} g"
    )
    if plan.moisture_change_percent:
        head += f"; raw materials {plan.raw_kg:,.3f} kg (moisture {plan.moisture_change_percent:+g} %)"
    # Two steps a row (1 and 2, 3 and 4, ...): the order reads across, and the weigh-up
    # takes half the height of the page.
    cells: list[tuple[str, str, float | None]] = [(str(w.step), w.id, w.kg) for w in plan.lines]
    if len(cells) % 2:
        cells.append(("", "", None))
    steps = Table(
        ("Step", "Ingredient", "kg to weigh") * 2,
        ("text", "text", "kg") * 2,
        tuple(cells[k] + cells[k + 1] for k in range(0, len(cells), 2)),
    )
    premix = premix_head = None
    if plan.premix:
        premix_head = (
            f"Premix {1000 * plan.premix_kg:,.4g} g (below {plan.premix_below_percent:g} % of the batch,"
            f" carrier {plan.premix_carrier}): weigh and blend it first, add it at its step"
        )
        premix = Table(
            ("Into the premix", "g to weigh"),
            ("text", "amount"),
            tuple((w.id, 1000 * w.kg) for w in plan.premix),
        )
    v = plan.verification
    ok = v is not None and v.ok
    if ok and v is not None:
        check = f"Rounded formula verified: all {v.checked} bounds of the brief hold"
    else:
        broken = "?" if v is None else str(len(v.failures))
        check = f"THE ROUNDED FORMULA BREAKS {broken} BOUNDS: use a finer scale (see the Production sheet)"
    if ok and plan.rounded_cost_per_serving is not None:
        check += (
            f"; {number(plan.rounded_cost_per_serving, 'money')} {result.currency} per serving as weighed"
        )
    return ProductionSection(head, steps, premix_head, premix, check, ok)


def _composition(result: Result) -> Table:
    rows = []
    for n in result.nutrient_lines:
        if n.derived_from is not None or _DETAIL.match(n.nutrient):
            continue
        name = n.nutrient.removesuffix(f"_{_unit_code(n.unit)}").replace("_", " ")
        rows.append((name, n.unit, n.per_serving, n.per_100g, n.per_day))
    return Table(
        ("Nutrient", "unit", "per serving", "per 100 g", "per day"),
        ("text", "text", "amount", "amount", "amount"),
        tuple(rows),
    )


def _unit_code(label: str) -> str:
    return {"µg": "ug", "kJ": "kj", "IU": "iu"}.get(label, label)


def _binding_words(result: Result) -> list[str]:
    """Each binding bound and what moving it by one unit does to the objective."""
    refs = source_numbers(result)
    out = []
    for c in result.constraint_lines:
        if not c.binding or c.kind in ("count", "inclusion"):
            continue
        ref = f" [{refs[c.name]}]" if c.name in refs else ""
        out.append(binding_sentence(c, result) + ref)
    return out


def binding_sentence(c: ConstraintLine, result: Result) -> str:
    """'leucine ≥ 2.5 g per meal: raising the minimum by 1 g adds USD 0.0263 per serving
    (this rate holds from 2 to 3.29 g).'"""
    label = c.label
    both = re.match(r"^(\S+) ≤ (.+) ≤ (\S+)(.*)$", c.label)
    if both and c.active is not None:  # "2.5 ≤ leucine ≤ 6 g per meal": name the side that binds
        bound = both.group(1) if c.active == "min" else both.group(3)
        label = f"{both.group(2)} {'≥' if c.active == 'min' else '≤'} {bound}{both.group(4)}"
    unit = f" {c.unit}" if c.unit else ""
    equal = c.min is not None and c.min == c.max
    what = "it" if equal else f"the {'minimum' if c.active == 'min' else 'maximum'}"
    price = c.shadow_price
    if price is None or math.isnan(price):
        return f"{label}: binds (no shadow price available)."
    if abs(price) < 1e-12:
        return f"{label}: binds, but moving it does not change the {_objective_noun(result)} at the margin."
    sentence = (
        f"{label}: raising {what} by 1{unit} {_verb(result, price)} {_objective_amount(result, abs(price))}"
    )
    lo, hi = c.shadow_price_range or (None, None)
    if lo is not None and hi is not None:
        sentence += f" (this rate holds from {number(lo, 'amount')} to {number(hi, 'amount')}{unit})"
    elif hi is not None:
        sentence += f" (this rate holds up to {number(hi, 'amount')}{unit})"
    elif lo is not None:
        sentence += f" (this rate holds from {number(lo, 'amount')}{unit} up)"
    return sentence + "."


def _objective_noun(result: Result) -> str:
    return "cost" if result.objective == "min_cost" else result.objective.split(":", 1)[1]


def _verb(result: Result, price: float) -> str:
    if result.objective.startswith("max:"):
        return "gains" if price > 0 else "gives up"
    return "adds" if price > 0 else "saves" if result.objective == "min_cost" else "takes off"


def _objective_amount(result: Result, value: float) -> str:
    if result.objective == "min_cost":
        per = result.objective_unit.removeprefix(result.currency).strip()
        return f"{result.currency} {number(value, 'money_words')} {per}".strip()
    return f"{number(value, 'amount')} {result.objective_unit}"


def _diagnosis_words(result: Result) -> list[str]:
    d = result.diagnosis
    if d is None:
        return []
    ways = [str(r.get("text") or r) for r in d.relaxation]
    return [
        f"Why: {d.reason}",
        *(f"In conflict: {e}" for e in d.explanation),
        *(f"Way out: {w}" for w in ways),
    ]


def _verification_words(result: Result) -> str:
    v = result.verification
    if v is None:
        return "not verified (no blend)"
    if v.ok:
        return (
            f"Verified: all {v.checked} bounds re-checked from the food table, independently of the "
            f"solver (largest violation {v.max_violation or 0:.1e})."
        )
    return "VERIFICATION FAILED: " + "; ".join(v.failures)


def _sources(result: Result, brief: Brief | None, foods: FoodTable | None) -> list[str]:
    out = []
    seen: dict[str, int] = {}
    for c in result.constraint_lines:
        if not c.binding or not c.source:
            continue
        if c.source not in seen:
            seen[c.source] = len(seen) + 1
    for text, k in seen.items():
        out.append(f"[{k}] {text}")
    if foods is not None:
        parts = []
        for b in sorted(result.blend_lines, key=lambda b: -b.grams):
            i = foods.position(b.id)
            src = foods.texts.get("source", ())[i] if i is not None and "source" in foods.texts else ""
            if src:
                parts.append(f"{b.id}: {_first_clause(src)}")
        if parts:
            out.append("Composition: " + "; ".join(parts) + ".")
        prices = {
            _first_clause(foods.texts["price_source"][i])
            for b in result.blend_lines
            if (i := foods.position(b.id)) is not None and "price_source" in foods.texts
        } - {""}
        if prices:
            out.append("Prices: " + "; ".join(sorted(prices)) + ".")
    out.append(
        f"Food table: {result.foods_origin}; every figure of the brief carries its source in the brief file."
    )
    return out


def source_numbers(result: Result) -> dict[str, int]:
    """Binding constraint name → its number in the Sources list."""
    seen: dict[str, int] = {}
    numbers: dict[str, int] = {}
    for c in result.constraint_lines:
        if c.binding and c.source:
            numbers[c.name] = seen.setdefault(c.source, len(seen) + 1)
    return numbers


def _first_clause(text: str) -> str:
    head = re.split(r" \(|;", text, maxsplit=1)[0].strip()
    return head if len(head) <= 60 else head[:57] + "…"


def number(value: float | None, kind: Kind) -> str:
    """A number as the sheet prints it: g to 0.001, % and kg to 0.01 (tiny ones to 2
    significant figures), money to 4 decimals below 1 (sentences: 3 significant figures),
    other amounts to 3 significant figures."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if kind in ("g", "%", "kg"):
        if 0 < abs(value) < 0.1 and kind != "g":  # 0.004 %, not 0.00 %: it is in the blend
            return f"{value:.{_decimals(value, 2)}f}"
        return f"{value:,.3f}" if kind == "g" else f"{value:,.2f}"
    if kind == "money":  # in tables: one number of decimals for the whole column
        return f"{value:,.2f}" if abs(value) >= 1 else f"{value:.4f}"
    if kind == "money_words":  # in sentences: tiny amounts keep 3 significant figures
        return f"{value:,.2f}" if abs(value) >= 1 else f"{value:.{max(4, _decimals(value, 3))}f}"
    if value == 0:
        return "0"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.{_decimals(value, 3)}f}".rstrip("0").rstrip(".")


def _decimals(value: float, significant: int) -> int:
    """Decimals that show `significant` figures of a number below 100."""
    return max(0, significant - 1 - math.floor(math.log10(abs(value))))
