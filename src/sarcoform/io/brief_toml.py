"""Briefs as TOML, read with line numbers for every entry."""

from __future__ import annotations

import difflib
import math
import re
import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..errors import InputError, Place, Problem
from ..model import sections
from ..model.brief import Brief
from .files import read_text, write_text
from .packs import include_packs
from .regulations import resolve_claims

# [[nutrient]] etc. in the file ↔ list fields of Brief: from the registry of sections
LISTS = tuple(s.toml for s in sections.LISTS)
TABLES = tuple(s.toml for s in sections.TABLES)


def read_brief_toml(path: Path | str, *, label: str | None = None) -> Brief:
    name = label or str(path)
    return parse_brief_toml(read_text(path), name)


def load_toml(text: str, name: str) -> dict[str, Any]:
    """TOML text as data; a syntax error is an InputError at its line of file `name`."""
    try:
        return tomllib.loads(text)
    except RecursionError:  # arrays or tables nested thousands deep: no brief needs that
        raise InputError(Problem("TOML nested too deeply (arrays or tables in each other)", name)) from None
    except tomllib.TOMLDecodeError as err:
        line = getattr(err, "lineno", None) or _line_from_message(str(err))
        message = getattr(err, "msg", None) or re.sub(r"\s*\(at line \d+, column \d+\)", "", str(err))
        raise InputError(Problem(f"TOML syntax error: {message}", name, line=line)) from None


def parse_brief_toml(text: str, name: str) -> Brief:
    data = load_toml(text, name)
    lines = _entry_lines(text)
    data.setdefault("name", Path(name).stem)
    return brief_from_dict(data, name, lambda section, index: lines.get((section, index)))


def brief_from_dict(data: dict[str, Any], origin: str, line_of: Any = None) -> Brief:
    """Validate a brief given as plain data (from TOML or a workbook).

    `line_of(section, index)` gives the line (or the Place) of an entry.
    """
    locate = line_of or (lambda section, index: None)
    try:
        brief = Brief.model_validate(data)
    except ValidationError as err:
        raise InputError([_problem(e, origin, locate, data) for e in err.errors()]) from None
    brief.located(_where(origin, locate(None, None)))
    for section in sections.SECTIONS:
        for index, entry in enumerate(section.entries(brief)):
            entry.located(_where(origin, locate(section.toml, index if section.shape == "list" else None)))
    return include_packs(resolve_claims(brief))


def _where(origin: str, found: Any) -> Place:
    if isinstance(found, Place):
        return found
    return Place(origin, line=found)


def _problem(error: Any, origin: str, locate: Any, data: dict[str, Any]) -> Problem:
    loc = list(error["loc"])
    section = str(loc[0]) if loc else None
    index = loc[1] if len(loc) > 1 and isinstance(loc[1], int) and section in LISTS else None
    found, about = _locate(locate, loc, section, index)
    where = _where(origin, found)
    what = _describe(loc, data)
    if where.sheet is not None:  # a workbook cell: sheet, row and column say where; no TOML path
        where = where.in_column(about or None)
        what = ""
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        key = str(loc[-1])
        allowed = _allowed_keys(loc)
        close = difflib.get_close_matches(key, allowed, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else f" (allowed: {', '.join(allowed)})"
        message = f"unknown key {key!r}{hint}"
    elif error["type"] == "missing":
        message = f"missing required key {str(loc[-1])!r}"
    elif error["type"] == "literal_error":
        message = f"{message}, got {error.get('input')!r}"
    elif error["type"] in ("float_parsing", "float_type"):
        message = f"must be a number, got {error.get('input')!r}"
    elif error["type"] in ("int_parsing", "int_type", "int_from_float"):
        message = f"must be a whole number, got {error.get('input')!r}"
    elif error["type"] in ("bool_parsing", "bool_type"):
        message = f"must be true or false, got {error.get('input')!r}"
    return where.at(f"{what}: {message}" if what else message)


def _locate(locate: Any, loc: list[Any], section: str | None, index: int | None) -> tuple[Any, str | None]:
    """The most precise place of an error, and the key it is about.

    Tries a key of a table first (`"serving.serving_g"`, or a top-level `"objective"`):
    workbooks keep those one per row of the Settings sheet; TOML answers None there
    and the entry's own line is used.
    """
    keys = [str(p) for p in loc if isinstance(p, str) and not p.startswith("function-")]
    if section in LISTS:
        return locate(section, index), keys[1] if len(keys) > 1 else None
    if section is None:
        return None, None
    if len(keys) > 1:
        found = locate(f"{section}.{keys[1]}", None)
        if found is not None:
            return found, keys[2] if len(keys) > 2 else None
    elif section not in TABLES:
        return locate(section, None), None
    return (locate(section, None) if section in TABLES else None), keys[1] if len(keys) > 1 else None


def _describe(loc: list[Any], data: dict[str, Any]) -> str:
    if not loc:
        return ""
    section = str(loc[0])
    if section in LISTS and len(loc) > 1 and isinstance(loc[1], int):
        entries = data.get(section) or []
        entry = entries[loc[1]] if loc[1] < len(entries) else {}
        label = entry.get("name") or entry.get("id") if isinstance(entry, dict) else None
        head = f"[[{section}]] #{loc[1] + 1}" + (f" ({label})" if label else "")
        rest = [str(p) for p in loc[2:] if not str(p).startswith("function-")]
        return head + (f" {'.'.join(rest)}" if rest else "")
    parts = [str(p) for p in loc if not str(p).startswith("function-")]
    return ".".join(parts) if len(parts) > 1 or section in TABLES else section


def _allowed_keys(loc: list[Any]) -> list[str]:
    section = sections.BY_TOML.get(str(loc[0])) if len(loc) > 1 else None
    cls = Brief if section is None or section.shape == "mapping" else section.entry
    return sorted(f.alias or k for k, f in cls.model_fields.items())


def _line_from_message(message: str) -> int | None:
    match = re.search(r"at line (\d+)", message)
    return int(match.group(1)) if match else None


_HEADER = re.compile(r"^\s*\[\[?\s*([A-Za-z_][A-Za-z0-9_.]*)\s*\]\]?")


def _entry_lines(text: str) -> dict[tuple[str | None, int | None], int]:
    """Line of each `[[section]]` (by index) and `[table]` header in the file."""
    lines: dict[tuple[str | None, int | None], int] = {(None, None): 1}
    counts: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        match = _HEADER.match(line)
        if not match:
            continue
        section = match.group(1).split(".")[0]
        if line.lstrip().startswith("[["):
            index = counts.get(section, 0)
            counts[section] = index + 1
            lines[(section, index)] = number
        else:
            lines.setdefault((section, None), number)
    return lines


# -- writing ---------------------------------------------------------------------


def brief_to_toml(brief: Brief) -> str:
    """The brief as TOML that `read_brief_toml` reads back to an equal Brief."""
    data = brief.model_dump(by_alias=True, exclude_none=True, exclude_defaults=False)
    out: list[str] = []
    scalars = {k: v for k, v in data.items() if not isinstance(v, (dict, list, tuple))}
    for key, value in scalars.items():
        out.append(f"{key} = {_value(value)}")
    if data.get("include"):
        out.append(f"include = {_value(data['include'])}")
        # Bounds from rule packs come back from `include` when the file is read.
        data["nutrient"] = [e for e in data.get("nutrient", []) if not e.get("pack")]
    # Settings before bounds, one-entry tables before per-column patterns: [serving],
    # [background], [cost], [amino_acid_pattern]; then [derived], then the lists.
    tables = sorted(sections.TABLES, key=lambda t: (t.bound, t.shape == "pattern"))
    for section in tables:
        if section.shape != "mapping" and section.toml in data:
            out.append("")
            out.append(f"[{section.toml}]")
            out += _table_body(data[section.toml])
    for section in sections.TABLES:
        if section.shape == "mapping" and data.get(section.toml):
            out.append("")
            out.append(f"[{section.toml}]")
            for key, entry in data[section.toml].items():
                out.append(f"{_key(key)} = {_inline(entry)}")
    for section in sections.LISTS:
        for entry in data.get(section.toml, []):
            out.append("")
            out.append(f"[[{section.toml}]]")
            out += _table_body(entry)
    return "\n".join(out) + "\n"


def write_brief_toml(brief: Brief, path: Path | str) -> None:
    write_text(path, brief_to_toml(brief))


def _table_body(entry: dict[str, Any]) -> list[str]:
    return [f"{_key(k)} = {_inline(v) if isinstance(v, dict) else _value(v)}" for k, v in entry.items()]


def _inline(table: dict[str, Any]) -> str:
    return "{ " + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in table.items()) + " }" if table else "{}"


def _key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else _string(key)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"cannot write {value} to TOML")
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return _inline(value)
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def _string(text: str) -> str:
    escaped = (
        text.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", "\\n")
        .replace("\t", "\\t")
        .replace("\r", "\\r")
    )
    escaped = "".join(c if c.isprintable() or c in "\\" else _unicode_escape(c) for c in escaped)
    return f'"{escaped}"'


def _unicode_escape(char: str) -> str:
    # \uXXXX holds only the basic plane; beyond it TOML needs \UXXXXXXXX.
    code = ord(char)
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"
