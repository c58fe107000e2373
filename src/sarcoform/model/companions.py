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
