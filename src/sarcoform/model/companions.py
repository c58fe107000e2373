"""Companion columns of a nutrient column in a food table.

`protein_g_sd` (lot-to-lot standard deviation, same unit), `protein_g_min` and
`protein_g_max` (specification limits from certificates of analysis) and
`vitamin_d_ug_retention` (fraction left at the end of shelf life) belong to
`protein_g`. They are numbers per 100 g like their column, never nutrients of their own.
"""

from __future__ import annotations

from .units import split_column

KINDS = ("sd", "min", "max", "retention")


def companion(column: str, kind: str) -> str:
    """`companion("protein_g", "sd")` → `"protein_g_sd"`."""
    return f"{column}_{kind}"


def companion_of(column: str) -> tuple[str, str] | None:
    """`"protein_g_sd"` → `("protein_g", "sd")`; None for any other name."""
    base, _, kind = column.rpartition("_")
    if kind in KINDS and split_column(base):
        return base, kind
    return None


ABOUT = {
    "sd": "lot-to-lot standard deviation of {base} (same unit), for briefs with a probability",
    "min": "lowest {base} of a lot by the certificates of analysis (worst case)",
    "max": "highest {base} of a lot by the certificates of analysis (worst case)",
    "retention": "fraction of {base} left at the end of shelf life in this ingredient (0-1)",
}


def companion_about(column: str) -> str:
    """What a companion column holds, for people: "lot-to-lot standard deviation of protein_g …"."""
    found = companion_of(column)
    return "" if found is None else ABOUT[found[1]].format(base=found[0])
