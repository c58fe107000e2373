"""Required claims as ordinary nutrient bounds (the compile rule and the check of `claims`).

A claim's condition is per 100 g, per serving, per 100 kcal or per 100 kJ of one column:
each is a `NutrientBound` on that basis, linear in the grams. The bound's label names the
claim, so a verification failure or an infeasible diagnosis says which claim it is.
"""

from __future__ import annotations

from ..errors import Place
from ..model.brief import NutrientBound, RequiredClaim
from ..model.label import ClaimCondition
from ..model.units import split_column

# A strict condition ("less than 0.5 g") becomes a closed bound this far inside it.
STRICT_GIVE = 1e-4


def claim_bound(claim: RequiredClaim) -> NutrientBound:
    """The primary condition of a resolved claim as a nutrient bound tagged with the claim."""
    assert claim.rule is not None
    c: ClaimCondition = claim.rule.primary
    lo, hi = c.min, c.max
    if c.strict:
        lo = None if lo is None else lo + STRICT_GIVE * max(1.0, abs(lo))
        hi = None if hi is None else hi - STRICT_GIVE * max(1.0, abs(hi))
    subject = split_column(c.column)[0] if split_column(c.column) else c.column  # type: ignore[index]
    strict = f"; strict in the text, bound {STRICT_GIVE:g} inside" if c.strict else ""
    bound = NutrientBound(
        name=c.column,
        basis=c.basis,
        min=lo,
        max=hi,
        label=f"{subject} (claim {claim.id})",
        source=claim.rule.source,
        note=f"required claim {claim.id}: {c.text}{strict}",
    )
    # Problems with the bound (a column the table lacks) point at the claim.
    return bound.located((claim._where or Place()).in_column(f"claims[{claim.id}]"))
