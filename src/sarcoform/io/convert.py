"""`sarcoform convert`: CSV + TOML ↔ workbook, without loss."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..errors import UsageError
from ..model.brief import Brief
from ..model.foods import FoodTable
from . import WORKBOOK_SUFFIXES, load_brief, load_foods
from .brief_toml import write_brief_toml
from .files import refuse_overwriting_input
from .foods_csv import write_foods_csv

FOODS_FILE = "foods.csv"
BRIEF_FILE = "brief.toml"


def convert(inputs: Sequence[str | Path], outputs: Sequence[str | Path]) -> list[Path]:
    """Convert and return the files written.

    Inputs: one workbook, or a food table (.csv) and/or a brief (.toml or preset name);
    a missing one is the embedded default. Outputs: OUT.xlsx; or, from a workbook, a
    folder (gets foods.csv and brief.toml) or FOODS.csv and/or BRIEF.toml.
    """
    if not inputs:
        raise UsageError("convert: give a workbook, or a food table (.csv) and/or a brief (.toml)")
    if not outputs:
        raise UsageError("convert: say where to write with -o")
    foods, brief = _read(inputs)
    targets = _targets(outputs, from_workbook=_is_workbook(inputs[0]))
    for target in targets.values():
        refuse_overwriting_input(target, *(Path(str(i)) for i in inputs))
    written = []
    for kind, target in targets.items():
        if kind == "xlsx":
            from .workbook_write import write_workbook

            write_workbook(foods, brief, target)
        elif kind == "csv":
            write_foods_csv(foods, target)
        else:
            write_brief_toml(brief, target)
        written.append(target)
    return written


def _is_workbook(path: str | Path) -> bool:
    return Path(str(path)).suffix.lower() in WORKBOOK_SUFFIXES


def _read(inputs: Sequence[str | Path]) -> tuple[FoodTable, Brief]:
    books = [i for i in inputs if _is_workbook(i)]
    if books:
        if len(inputs) != 1:
            raise UsageError("convert: give one workbook alone (it holds both the foods and the brief)")
        from .workbook import read_workbook

        return read_workbook(books[0])
    tables = [i for i in inputs if Path(str(i)).suffix.lower() in (".csv", ".tsv", ".txt")]
    briefs = [i for i in inputs if i not in tables]
    if len(tables) > 1 or len(briefs) > 1:
        raise UsageError("convert: give at most one food table (.csv) and one brief (.toml or preset)")
    foods = load_foods(tables[0] if tables else None)
    brief = load_brief(briefs[0] if briefs else None)
    return foods, brief


def _targets(outputs: Sequence[str | Path], *, from_workbook: bool) -> dict[str, Path]:
    targets: dict[str, Path] = {}
    for given in (Path(str(o)) for o in outputs):
        suffix = given.suffix.lower()
        if suffix == ".xlsx":
            kind = "xlsx"
        elif suffix == ".csv":
            kind = "csv"
        elif suffix == ".toml":
            kind = "toml"
        elif not suffix or given.is_dir():
            if not from_workbook:
                raise UsageError(f"-o {given}: CSV and TOML inputs convert to one .xlsx workbook")
            given.mkdir(parents=True, exist_ok=True)
            for kind, name in (("csv", FOODS_FILE), ("toml", BRIEF_FILE)):
                targets.setdefault(kind, given / name)
            continue
        else:
            raise UsageError(f"-o {given}: use .xlsx, .csv, .toml or a folder")
        if kind in targets:
            raise UsageError(f"-o {given}: two outputs of the same kind ({kind})")
        if kind != "xlsx" and not from_workbook:
            raise UsageError(f"-o {given}: CSV and TOML inputs convert to one .xlsx workbook")
        targets[kind] = given
    return targets
