"""The specification sheet as one A4 PDF page, typeset with Typst.

Typst (the `typst` package: the compiler and its fonts are inside the wheel, so no system
packages or fonts are needed) lays out real tables and text with kerning and proper
spacing. The layout is `spec_sheet.typ`; the content goes in as JSON data, never as
markup. The sheet must fit one page: when it does not, the type is set smaller (down to
6.5 pt) and, as a last resort, the long lists are shortened and say so.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import SarcoformError
from ..io.files import write_bytes
from .spec_sheet import Declared, Kind, SpecSheet, Table, number

SIZES = (10.0, 9.5, 9.0, 8.5, 8.0, 7.5, 7.0, 6.5)
NO_DECLARATION = (
    "Amounts from the food table, unrounded: not a nutrition declaration "
    "(sarcoform label gives one per standard)."
)


def render_pdf(sheet: SpecSheet) -> bytes:
    """The sheet as PDF bytes, on exactly one A4 page. Build a sheet with Chinese names
    (`declaration(..., cjk=...)`) only when `cjk_font()` finds a font for them."""
    for attempt in (sheet, _shortened(sheet)):
        for size in SIZES:
            pdf = _compile(attempt, size)
            if page_count(pdf) == 1:
                return pdf
    raise SarcoformError("the specification sheet does not fit on one A4 page, even shortened")


def write_spec_pdf(sheet: SpecSheet, path: Path | str) -> None:
    """Write the PDF atomically."""
    write_bytes(path, render_pdf(sheet))


def page_count(pdf: bytes) -> int:
    """Pages of a PDF written by Typst (the /Count of its page tree)."""
    match = re.search(rb"/Type\s*/Pages\s*/Count\s+(\d+)", pdf)
    if match is None:
        raise SarcoformError("unreadable PDF from the typesetter (no page tree)")
    return int(match.group(1))


def _compile(sheet: SpecSheet, size: float) -> bytes:
    import typst

    template = resources.files("sarcoform.report").joinpath("spec_sheet.typ").read_bytes()
    data = json.dumps(_data(sheet), ensure_ascii=False)
    try:
        out = typst.compile(
            template, format="pdf", sys_inputs={"data": data, "size": str(size)}, pdf_tags=False
        )
    except Exception as err:  # typst raises its own TypstError with the compiler's message
        raise SarcoformError(f"typesetting the specification sheet failed: {err}") from None
    assert isinstance(out, bytes)
    return out


def _shortened(sheet: SpecSheet) -> SpecSheet:
    """Long lists cut to what fits, each saying how much was left out."""

    def cut(items: tuple[str, ...], keep: int, what: str) -> tuple[str, ...]:
        if len(items) <= keep:
            return items
        return (*items[:keep], f"… and {len(items) - keep} more {what} (see the results workbook)")

    formula = sheet.formula
    if len(formula.rows) > 18:
        rest = len(formula.rows) - 17
        formula = replace(formula, rows=(*formula.rows[:17], (f"… and {rest} more ingredients", *[None] * 5)))
    return replace(
        sheet,
        formula=formula,
        binding=cut(sheet.binding, 8, "binding constraints"),
        notes=cut(sheet.notes, 4, "notes"),
        sources=cut(sheet.sources, 10, "sources"),
    )


def _data(sheet: SpecSheet) -> dict[str, Any]:
    cur = sheet.currency
    return {
        "title": sheet.title,
        "subtitle": sheet.subtitle,
        "status": sheet.status,
        "ok": sheet.ok,
        "currency": cur,
        "facts": [list(f) for f in sheet.facts],
        "costs": [[label, number(value, "money")] for label, value in sheet.costs],
        "formula": _table(sheet.formula),
        "composition": _table(sheet.composition),
        "compliance": None if sheet.compliance is None else _table(sheet.compliance),
        "declaration": None
        if sheet.declaration is None
        else {
            "title": sheet.declaration.title,
            "table": _table(sheet.declaration.table),
            "claims": list(sheet.declaration.claims),
            "allergens": sheet.declaration.allergens,
            "notes": list(sheet.declaration.notes),
        },
        "no_declaration": NO_DECLARATION,
        "binding": [_head(b) for b in sheet.binding] or [_no_binding(sheet)],
        "drivers": sheet.drivers,
        "notes": list(sheet.notes),
        "verification": sheet.verification,
        "verified_short": _verified_short(sheet),
        "sources": list(sheet.sources),
        "generated": sheet.generated,
        "cjk": cjk_font(),
        "production": None
        if sheet.production is None
        else {
            "head": sheet.production.head,
            "steps": _table(sheet.production.steps),
            "premix_head": sheet.production.premix_head,
            "premix": None if sheet.production.premix is None else _table(sheet.production.premix),
            "check": sheet.production.check,
            "ok": sheet.production.ok,
        },
    }


def _no_binding(sheet: SpecSheet) -> list[str]:
    if not sheet.formula.rows:
        return ["No blend", "nothing to price (see why under Formula)."]
    return ["No bound binds", "the blend sits inside every limit."]


def _head(sentence: str) -> list[str]:
    """'leucine ≥ 2.5 g per meal: raising …' → [the bound, what moving it does]."""
    head, _, rest = sentence.partition(": ")
    return [head, rest] if rest else ["", sentence]


def _verified_short(sheet: SpecSheet) -> str:
    if sheet.verification.startswith("Verified"):
        return "✓ independently re-checked"
    return "✗ not verified" if sheet.verification.startswith("VERIFICATION") else ""


def _table(t: Table) -> dict[str, Any]:
    return {
        "header": list(t.header),
        "align": ["left" if k == "text" else "right" for k in t.kinds],
        "rows": [[_cell(v, k) for v, k in zip(row, t.kinds, strict=True)] for row in t.rows],
        "total": None if t.total is None else [_cell(v, k) for v, k in zip(t.total, t.kinds, strict=True)],
    }


def _cell(value: Any, kind: Kind) -> str:
    if isinstance(value, Declared):
        return value.text()
    if kind == "percent_ref":
        return "" if value is None else f"{value:.10g} %"
    if kind == "text" or isinstance(value, str):
        return "" if value is None else str(value)
    return number(value, kind)


# Font families with Chinese glyphs that Typst may find among the system fonts.
CJK_FAMILIES = (
    "Noto Serif CJK SC",
    "Noto Sans CJK SC",
    "Source Han Serif SC",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "AR PL UMing CN",
    "SimSun",
    "Microsoft YaHei",
    "PingFang SC",
    "Songti SC",
)


@cache
def cjk_font() -> str | None:
    """A font family with Chinese glyphs on this machine, or None (Typst's own fonts have none)."""
    import typst

    families = {f.lower() for f in typst.Fonts().families()}
    return next((f for f in CJK_FAMILIES if f.lower() in families), None)
