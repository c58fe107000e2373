"""What changed between two results, and which input changes explain it.

Everything is read from the two results themselves: a Result carries every
ingredient's price (`ingredients`), every bound (`constraints`), the objective and
serving, and A's sensitivity (shadow prices with the range where they hold, price
ranges of the blend, entry prices of unused ingredients). So:

- the cost change splits exactly into a price effect (A's blend at B's prices minus
  at A's) and a blend effect (the rest);
- a price change is judged against A's ranges: inside an ingredient's price range
  A's blend stays optimal; below an unused ingredient's entry price it enters;
- a bound change is judged against A's own numbers: a bound that A's blend still
  meets changes nothing; a binding bound moved inside the range where its shadow
  price holds changes the objective by shadow price × change.

Each input change gets a verdict: "none" (no effect on its own), "cost" (changes
the cost, not the blend), "objective" (binding: moves the optimum, by `estimate`
when known), "blend" (on its own it changes the blend), or "unknown".
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

from ..model import args
from ..model.result import ConstraintLine, IngredientLine, Result

GRAMS = 1e-5  # g; smaller blend changes are solver noise (CBC reports ~7 digits)
Verdict = Literal["none", "cost", "objective", "blend", "unknown"]
LINEAR_KINDS = ("nutrient", "ingredient", "group", "cost", "serving")
FRACTIONAL_BASES = ("per_100g", "per_100kcal", "per_100kj", "kg")


@dataclass
class InputChange:
    what: str  # price | bound | objective | serving | table | brief | currency | ingredient
    item: str
    before: Any
    after: Any
    verdict: Verdict = "unknown"
    why: str = ""
    estimate: float | None = None  # objective change, objective units, when exact or first order

    @property
    def text(self) -> str:
        return f"{self.item}: {_v(self.before)} → {_v(self.after)}" + (f" — {self.why}" if self.why else "")


@dataclass
class ResultDiff:
    """The comparison of result A (before) with result B (after)."""

    headline: list[str] = field(default_factory=list)
    blend: list[dict[str, Any]] = field(default_factory=list)  # id, name, before, after, change (g)
    inputs: list[InputChange] = field(default_factory=list)
    explanation: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "headline": self.headline,
            "blend": self.blend,
            "inputs": [{**vars(c), "text": c.text} for c in self.inputs],
            "explanation": self.explanation,
        }

    def lines(self) -> list[str]:
        out = list(self.headline)
        if self.blend:
            out.append("Blend (g per serving):")
            out += [
                f"  {r['id']:<24} {_g(r['before']):>9} → {_g(r['after']):>9}  ({r['change']:+.4g} g)"
                for r in self.blend
            ]
        else:
            out.append("Blend: unchanged")
        out.append("Input changes:" if self.inputs else "Input changes: none visible in the results")
        out += [f"  {c.text}" for c in self.inputs]
        if self.explanation:
            out.append("Explanation:")
            out += [f"  {line}" for line in self.explanation]
        return out


def diff_results(a: Result, b: Result) -> ResultDiff:
    """Compare two results (A before, B after)."""
    args.expect(a, Result, "diff_results(a)")
    args.expect(b, Result, "diff_results(b)")
    d = ResultDiff()
    _headline(a, b, d)
    _blend(a, b, d)
    _settings(a, b, d)
    _prices(a, b, d)
    _bounds(a, b, d)
    _explain(a, b, d)
    return d


def _headline(a: Result, b: Result, d: ResultDiff) -> None:
    d.headline.append(f"A: {a.brief_name} ({a.foods_origin}), {a.status}, {a.solver}")
    d.headline.append(f"B: {b.brief_name} ({b.foods_origin}), {b.status}, {b.solver}")
    for label, r in (("A", a), ("B", b)):
        d.headline += [f"{label}: {note}" for note in r.notes if note.startswith("re-solved")]
    if a.status != b.status:
        d.headline.append(f"status: {a.status} → {b.status}")
    if a.objective == b.objective and a.objective != "min_cost":
        d.headline.append(
            _change(f"objective {a.objective}", a.objective_value, b.objective_value, a.objective_unit)
        )
    d.headline.append(_change("cost", a.cost_per_serving, b.cost_per_serving, f"{b.currency} per serving"))


def _change(what: str, x: float | None, y: float | None, unit: str) -> str:
    if x is None or y is None:
        return f"{what}: {_v(x)} → {_v(y)} {unit}"
    percent = f", {(y - x) / x:+.1%}" if x else ""
    return f"{what}: {x:.6g} → {y:.6g} {unit} ({y - x:+.4g}{percent})"


def _blend(a: Result, b: Result, d: ResultDiff) -> None:
    before, after = a.grams, b.grams
    names = {line.id: line.name for line in (*a.ingredient_lines, *b.ingredient_lines)}
    for food_id in sorted(set(before) | set(after)):
        g0, g1 = before.get(food_id, 0.0), after.get(food_id, 0.0)
        if abs(g1 - g0) > GRAMS:
            d.blend.append(
                {
                    "id": food_id,
                    "name": names.get(food_id, food_id),
                    "before": g0,
                    "after": g1,
                    "change": g1 - g0,
                }
            )
    d.blend.sort(key=lambda row: (-abs(row["change"]), row["id"]))


def _settings(a: Result, b: Result, d: ResultDiff) -> None:
    for what, x, y in (
        ("objective", a.objective, b.objective),
        ("currency", a.currency, b.currency),
        ("serving", a.servings_per_day, b.servings_per_day),
        ("table", a.foods_origin, b.foods_origin),
        ("brief", a.brief_name, b.brief_name),
    ):
        if x != y:
            item = "servings per day" if what == "serving" else what
            verdict: Verdict = (
                "none" if what in ("table", "brief") else "blend" if what == "objective" else "unknown"
            )
            d.inputs.append(InputChange(what, item, x, y, verdict))


def _prices(a: Result, b: Result, d: ResultDiff) -> None:
    after = {line.id: line for line in b.ingredient_lines}
    for line in a.ingredient_lines:
        other = after.get(line.id)
        if other is None:
            d.inputs.append(
                InputChange("ingredient", line.id, "in the table", "gone", "blend" if line.grams else "none")
            )
            continue
        p0, p1 = line.price_per_kg, other.price_per_kg
        if p0 == p1 or (p0 is not None and p1 is not None and math.isclose(p0, p1, rel_tol=1e-12)):
            continue
        d.inputs.append(_price_change(a, line, p0, p1))
    known = {line.id for line in a.ingredient_lines}
    for line in b.ingredient_lines:
        if line.id not in known:
            d.inputs.append(
                InputChange("ingredient", line.id, "absent", "new", "blend" if line.grams else "none")
            )


def _price_change(a: Result, line: IngredientLine, p0: float | None, p1: float | None) -> InputChange:
    change = InputChange("price", f"price of {line.id} ({a.currency}/kg)", p0, p1)
    blend = {b.id: b for b in a.blend_lines}
    unused = {u.id: u for u in a.unused}
    if p1 is None or p0 is None:
        return change
    if line.id in blend and blend[line.id].price_range is not None:
        lo, hi = blend[line.id].price_range  # type: ignore[misc]
        where = f"[{_v(lo)}, {_v(hi)}]"
        if (lo is None or p1 >= lo) and (hi is None or p1 <= hi):
            change.verdict, change.why = "cost", f"within {where}, where A's blend stays optimal"
        else:
            change.verdict, change.why = "blend", f"outside {where}, where A's blend stays optimal"
    elif line.id in unused:
        entry = unused[line.id].entry_price
        if entry is None:
            change.verdict, change.why = "none", "unused, and no price makes it enter"
        elif p1 < entry:
            change.verdict, change.why = "blend", f"below its entry price {entry:.4g}: it enters"
        else:
            change.verdict, change.why = "none", f"unused, still above its entry price {entry:.4g}"
    return change


def _bounds(a: Result, b: Result, d: ResultDiff) -> None:
    after = {line.name: line for line in b.constraint_lines}
    for line in a.constraint_lines:
        other = after.pop(line.name, None)
        if other is None:
            verdict: Verdict = "objective" if line.binding else "none"
            d.inputs.append(InputChange("bound", f"{line.label} (removed)", line.label, None, verdict))
            continue
        for side in ("min", "max"):
            x, y = getattr(line, side), getattr(other, side)
            if x != y:
                d.inputs.append(_bound_change(line, side, x, y))
    for line in after.values():
        d.inputs.append(InputChange("bound", f"{line.label} (new)", None, line.label))


def _bound_change(line: ConstraintLine, side: str, x: float | None, y: float | None) -> InputChange:
    """Moving one side of one of A's bounds, judged by A's own numbers."""
    change = InputChange("bound", f"{line.label} [{side}]", x, y)
    binding = line.binding and line.active == side
    if line.value is None:
        return change
    if y is None:
        change.verdict = "objective" if binding else "none"
        change.why = "dropped; it was binding" if binding else "dropped; it was not binding"
        return change
    cuts = line.value < y if side == "min" else line.value > y
    if not binding:
        change.verdict = "blend" if cuts else "none"
        change.why = f"now cuts A's blend (A has {line.value:.4g})" if cuts else "A's blend already meets it"
        return change
    if x is None or line.shadow_price is None:
        change.verdict, change.why = "objective", "it was binding"
        return change
    estimate = line.shadow_price * (y - x)
    r = line.shadow_price_range
    inside = r is not None and (r[0] is None or y >= r[0]) and (r[1] is None or y <= r[1])
    if inside:
        exact = line.kind in LINEAR_KINDS and line.basis not in FRACTIONAL_BASES and "%" not in line.unit
        change.verdict, change.estimate = "objective", estimate
        change.why = (
            f"binding, within the range where its shadow price {line.shadow_price:.4g} holds:"
            f" objective {estimate:+.4g}{'' if exact else ' (first order)'}"
        )
    else:
        change.verdict = "blend"
        change.why = f"binding, beyond the range {_range(r)} where its shadow price holds"
    return change


def _explain(a: Result, b: Result, d: ResultDiff) -> None:
    if a.cost_per_serving is not None and b.cost_per_serving is not None:
        prices_b = {line.id: line.price_per_kg for line in b.ingredient_lines}
        priced = [(prices_b.get(line.id), line.grams) for line in a.blend_lines]
        if all(p is not None for p, _ in priced):
            at_b = sum(p * g / 1000 for p, g in priced if p is not None)
            d.explanation.append(
                f"cost change {b.cost_per_serving - a.cost_per_serving:+.4g} {b.currency}/serving ="
                f" price effect {at_b - a.cost_per_serving:+.4g} (A's blend at B's prices)"
                f" + blend effect {b.cost_per_serving - at_b:+.4g} (the blend changing)"
            )
    causes = [c.item for c in d.inputs if c.verdict in ("blend", "objective", "unknown")]
    if not d.blend:
        only_cost = d.inputs and all(c.verdict in ("cost", "none") for c in d.inputs)
        d.explanation.append(
            "the blend did not change" + (": every input change keeps A's blend optimal" if only_cost else "")
        )
    elif causes:
        d.explanation.append("the blend changed because of: " + "; ".join(causes))
    elif d.inputs:
        d.explanation.append(
            "the blend changed although each input change alone keeps A's blend optimal:"
            " together they move it"
        )
    else:
        d.explanation.append("the blend changed with no visible input change (another solver, or a tie?)")
    moved = [c for c in d.inputs if c.estimate is not None]
    if moved and a.objective == b.objective and a.objective_value is not None:
        total = sum(c.estimate for c in moved)  # type: ignore[misc]
        d.explanation.append(
            f"binding bounds moved within their ranges account for {total:+.4g} {a.objective_unit}"
            f" of the objective change (shadow price × change)"
        )


def _v(value: Any) -> str:
    if value is None:
        return "–"
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def _range(r: tuple[float | None, float | None] | None) -> str:
    return "(not computed)" if r is None else f"[{_v(r[0])}, {_v(r[1])}]"


def _g(value: float) -> str:
    return f"{value:.4f}" if value else "0"
