"""Regulatory rule packs from regulations/packs/*.toml, and a brief's `include = [...]`."""

from __future__ import annotations

import difflib
import tomllib
from functools import cache
from pathlib import Path

from pydantic import ValidationError

from ..errors import InputError, Problem
from ..model.args import renamed_keyword
from ..model.brief import Brief
from ..model.packs import RulePack, apply_packs
from .embedded import data_dir
from .files import read_text


def pack_paths() -> dict[str, Path]:
    """Pack name → file, sorted by name."""
    return {p.stem: p for p in sorted((data_dir("regulations") / "packs").glob("*.toml"))}


def read_pack(path: Path | str) -> RulePack:
    """One pack file; its name is the file's stem unless it says otherwise."""
    name = str(path)
    try:
        data = tomllib.loads(read_text(path))
    except tomllib.TOMLDecodeError as err:
        raise InputError(Problem(f"TOML syntax error: {err}", name)) from None
    data.setdefault("name", Path(path).stem)
    try:
        return RulePack.model_validate(data)
    except ValidationError as err:
        raise InputError(
            [Problem(f"{'.'.join(map(str, e['loc']))}: {e['msg']}", name) for e in err.errors()]
        ) from None


@cache
def _embedded(name: str, path: Path) -> RulePack:
    return read_pack(path)


def load_pack(name: str) -> RulePack:
    """An embedded pack by name (regulations/packs/<name>.toml)."""
    paths = pack_paths()
    if name not in paths:
        close = difflib.get_close_matches(name, paths, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise InputError(Problem(f"unknown rule pack {name!r}{hint} (packs: {', '.join(paths) or 'none'})"))
    return _embedded(name, paths[name])


def packs() -> list[RulePack]:
    """Every embedded pack."""
    return [load_pack(name) for name in pack_paths()]


def include_packs(brief: Brief) -> Brief:
    """The brief with the bounds of the packs it includes (unchanged when it includes none)."""
    if not brief.include and not any(e.pack for e in brief.nutrients):
        return brief
    found: dict[str, RulePack] = {}
    problems = []
    for name in brief.include:
        try:
            found[name] = load_pack(name)
        except InputError as err:
            problems += [brief.problem(f"include: {p.message}", "include") for p in err.problems]
    if problems:
        raise InputError(problems)
    return apply_packs(brief, found)


@renamed_keyword("spec", "brief")  # keep: old spelling
def with_packs(brief: Brief, names: list[str] | tuple[str, ...]) -> Brief:
    """The brief with more rule packs included (and their bounds), as `include = [...]` does."""
    return include_packs(brief.with_changes(include=[*brief.include, *names]))
