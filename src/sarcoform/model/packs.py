"""Regulatory rule packs: a standard's nutrient limits, which a brief pulls in by name.

`include = ["gb29922_10plus_full"]` in a brief adds every bound of that pack as an
ordinary `[[nutrient]]` entry that remembers its pack (`NutrientBound.pack`) and carries
the clause in its source, so results, diagnosis and verification show where it came from.
A pack also lists what the standard regulates but the pack does not enforce, and why
(`not_enforced`), so that nothing it leaves out is silent.

The packs themselves are data files (regulations/packs/*.toml), read by `io.packs`.
"""

from __future__ import annotations

import math
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .brief import Basis, Bounded, Brief, NutrientBound

# How sure the figure is: read in the regulation text (or a faithful copy of it), or
# recalled and not yet checked against the text.
Status = Literal["verified", "[R] recalled, unverified"]


class PackBound(Bounded):
    """One limit of a standard: a nutrient's min and/or max on one basis."""

    nutrient: str  # a nutrient (protein) or column (protein_g) of the food table
    # per_100ml: per 100 mL of the product as drunk; a bound per serving once the brief
    # gives the volume one serving makes up to ([serving] reconstitution_ml).
    basis: Basis | Literal["per_100ml"]
    unit: str  # the unit the clause states the limit in (g, mg, ug, kcal, kj)
    clause: str  # standard, table/clause and the limit as the text words it
    status: Status
    # The same limit as the clause also states it per 100 kcal (GB 29922 and EU 2016/128
    # give both): lets a test check the two columns of the table against each other.
    per_100kcal: tuple[float | None, float | None] | None = None

    @field_validator("per_100kcal", mode="before")
    @classmethod
    def _nan_is_none(cls, value: Any) -> Any:
        # TOML has no null: `nan` marks the side the clause leaves open.
        if isinstance(value, (list, tuple)):
            return tuple(None if isinstance(v, float) and math.isnan(v) else v for v in value)
        return value

    @model_validator(mode="after")
    def _some_bound(self) -> Self:
        if self.min is None and self.max is None:
            raise ValueError(f"{self.nutrient}: give min and/or max")
        return self


class NotEnforced(BaseModel):
    """A requirement of the standard the pack does not turn into a bound, and why."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    nutrient: str
    requirement: str
    clause: str
    reason: str


class RulePack(BaseModel):
    """A regulatory profile: the limits one standard sets for one product category."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True, defer_build=True)

    name: str
    title: str
    standard: str  # the regulation and edition
    scope: str  # the product category the limits apply to
    source: str  # where the figures were read
    note: str | None = None
    bounds: tuple[PackBound, ...] = Field(default=(), alias="bound")
    not_enforced: tuple[NotEnforced, ...] = ()

    def entries(self, reconstitution_ml: float | None = None) -> tuple[NutrientBound, ...]:
        """The pack's limits as brief entries (each knows its pack; source = clause).

        A limit per 100 mL becomes one per serving (× reconstitution_ml / 100) when the
        volume is known, and is left out otherwise (`unchecked` says which).
        """
        out = []
        for b in self.bounds:
            flag = "" if b.status == "verified" else f" {b.status}"
            source = f"pack {self.name}: {b.clause}{flag} (read from {b.source or self.source})"
            lo, hi, basis, note = b.min, b.max, b.basis, b.note
            if basis == "per_100ml":
                if reconstitution_ml is None:
                    continue
                k = reconstitution_ml / 100
                lo, hi = (None if lo is None else lo * k), (None if hi is None else hi * k)
                basis = "serving"
                said = f"per 100 mL × {reconstitution_ml:g} mL per serving ([serving] reconstitution_ml)"
                note = f"{said}. {note}" if note else said
            out.append(
                NutrientBound(
                    name=b.nutrient,
                    basis=basis,
                    unit=b.unit,
                    min=lo,
                    max=hi,
                    pack=self.name,
                    source=source,
                    note=note,
                )
            )
        return tuple(out)

    def unchecked(self, reconstitution_ml: float | None) -> tuple[PackBound, ...]:
        """Limits `entries` leaves out: per 100 mL without a reconstitution volume."""
        return tuple(b for b in self.bounds if b.basis == "per_100ml" and reconstitution_ml is None)


def apply_packs(brief: Brief, packs: dict[str, RulePack]) -> Brief:
    """The brief with the bounds of the packs it includes, in include order.

    Entries that came from a pack before are replaced (reading a brief written back
    from a result gives the same brief). Packs must hold every name in `brief.include`.
    """
    own = tuple(e for e in brief.nutrients if e.pack is None)
    ml = brief.serving.reconstitution_ml
    added = tuple(entry for name in brief.include for entry in packs[name].entries(ml))
    where = [e._where for e in own]
    nutrients = own + added
    for entry, at in zip(nutrients, [*where, *([brief._where] * len(added))], strict=True):
        entry.located(at)
    return brief.model_copy(update={"nutrients": nutrients})
