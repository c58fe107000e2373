"""Rule-pack bounds meeting the brief's own: one bound, the tighter of the two, saying so.

A pack bound and a brief bound on the same nutrient column and basis (the same bound
name) become one bound: each side (min, max) takes the tighter value, and the source
and note say which side came from where. When the two contradict each other (one's min
above the other's max) both are kept, so an infeasible diagnosis names both.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Literal, Protocol

from ..model.brief import Brief
from ..model.packs import RulePack
from ..model.units import UNIT_LABELS, conversion, label


class PackBound(Protocol):
    """What merging needs of a compiled bound (`solving.compile.Bound`, a dataclass); a
    protocol, so that this module does not import the compiler that calls it."""

    @property
    def name(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def subject(self) -> str: ...
    @property
    def unit(self) -> str: ...
    @property
    def min(self) -> float | None: ...
    @property
    def max(self) -> float | None: ...
    @property
    def source(self) -> str | None: ...
    @property
    def note(self) -> str | None: ...
    @property
    def pack(self) -> str | None: ...
    @property
    def probability(self) -> float | None: ...

    def describe(self, side: Literal["min", "max"] | None = None) -> str: ...


class CompiledBrief(Protocol):
    """What `pack_lines` reads of a compiled brief (`solving.compile.Compiled`)."""

    @property
    def brief(self) -> Brief: ...
    @property
    def bounds(self) -> Sequence[PackBound]: ...
    @property
    def notes(self) -> Sequence[str]: ...


BRIEF = "brief"  # the brief's own bound, among the owners of a merged one
_CODES = {label: code for code, label in UNIT_LABELS.items()}


def same_pack_bound(a: PackBound, b: PackBound) -> bool:
    """Two nutrient bounds on one column and basis, at least one from a rule pack, that
    do not contradict each other, and hold with the same probability over lots (merged,
    a side would take a probability its own entry never asked for)."""
    if a.kind != "nutrient" or b.kind != "nutrient" or a.name != b.name or not (a.pack or b.pack):
        return False
    if a.probability != b.probability:
        return False
    lo, hi = _in_unit(b, a.unit)
    return _max(a.min, lo) is None or _min(a.max, hi) is None or _max(a.min, lo) <= _min(a.max, hi)  # type: ignore[operator]


def tighter[B: PackBound](a: B, b: B) -> tuple[B, str]:
    """One bound in `a`'s unit, each side the tighter of a's and b's; and what was done,
    in words (for the result's notes)."""
    lo, hi = _in_unit(b, a.unit)
    new_min, new_max = _max(a.min, lo), _min(a.max, hi)
    said = []
    for side, mine, theirs, chosen in (("min", a.min, lo, new_min), ("max", a.max, hi, new_max)):
        if chosen is None:
            continue
        if mine is not None and theirs is not None and mine == theirs:
            said.append(f"{side} {chosen:g} {a.unit}: both give the same")
            continue
        winner, loser, other = (a, b, theirs) if chosen == mine else (b, a, mine)
        tail = f", tighter than {_who(loser)}'s {other:g}" if other is not None else ""
        said.append(f"{side} {chosen:g} {a.unit} from {_who(winner)}{tail}")
    note = (
        f"{_who(a)} and {_who(b)} both bound {a.subject} {_phrase(a)}: the tighter of the two applies; "
        + "; ".join(said)
    )
    sources = "; ".join(x.source if x.pack else f"the brief: {x.source}" for x in (a, b) if x.source)
    note = note + "."
    notes = " ".join(n for n in (note, a.note, b.note) if n)
    owners = " + ".join(dict.fromkeys(p for x in (a, b) for p in _owners(x)))
    merged: Any = replace(a, min=new_min, max=new_max, source=sources or None, note=notes, pack=owners)  # type: ignore[type-var]
    return merged, note


def _owners(bound: PackBound) -> list[str]:
    """Where a bound came from: pack names, and BRIEF for the brief's own."""
    return (bound.pack or BRIEF).split(" + ")


def _who(bound: PackBound) -> str:
    return " and ".join("the brief" if o == BRIEF else f"pack {o}" for o in _owners(bound))


def _phrase(bound: PackBound) -> str:
    return bound.name.split(" ", 1)[1] if " " in bound.name else ""


def _in_unit(b: PackBound, unit: str) -> tuple[float | None, float | None]:
    f = conversion(_CODES.get(b.unit, b.unit), _CODES.get(unit, unit))
    if f is None:  # one column, so one kind of unit: cannot happen
        raise ValueError(f"{b.name}: cannot convert {b.unit} to {unit}")
    return (None if b.min is None else b.min * f), (None if b.max is None else b.max * f)


def _max(x: float | None, y: float | None) -> float | None:
    return y if x is None else x if y is None else max(x, y)


def _min(x: float | None, y: float | None) -> float | None:
    return y if x is None else x if y is None else min(x, y)


def pack_lines(compiled: CompiledBrief, packs: Sequence[RulePack]) -> list[str]:
    """What each included pack contributes to a compiled brief, for `sarcoform check`:
    every bound it set (and where the brief's own was tighter), what it leaves out, and
    what the food table cannot check."""
    lines: list[str] = []
    for pack in packs:
        lines.append(f"pack {pack.name}: {pack.title} ({pack.standard})")
        for b in compiled.bounds:
            names = _owners(b)
            if pack.name not in names:
                continue
            lines.append(f"  {b.describe()}")
            lines.append(f"      {b.note if len(names) > 1 else b.source}")
        lines += [f"  {n}" for n in compiled.notes if n.startswith(f"pack {pack.name}:")]
        for limit in pack.unchecked(compiled.brief.serving.reconstitution_ml):
            sides = [f"{op} {v:g}" for op, v in (("≥", limit.min), ("≤", limit.max)) if v is not None]
            lines.append(
                f"  not checked: {limit.nutrient} {' and '.join(sides)} {label(limit.unit)} per 100 mL"
                f" ({limit.clause}): set [serving] reconstitution_ml, the volume one serving makes up to"
            )
        for gap in pack.not_enforced:
            lines.append(f"  not enforced: {gap.nutrient} {gap.requirement} ({gap.clause}): {gap.reason}")
    return lines
