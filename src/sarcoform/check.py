"""`sarcoform check`: every problem in a set of inputs, found in one pass."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from .errors import InputError, Problem
from .io import WORKBOOK_SUFFIXES, load_brief, load_foods
from .model.brief import Brief
from .model.foods import FoodTable
from .model.plausibility import brief_warnings
from .solving.exclusions import exclusion_warnings
from .solving.shelf_life import idle_retention_columns


def check_inputs(
    paths: Sequence[Path | str],
    *,
    foods_name: str | None = None,
    warnings: list[Problem] | None = None,
    packs: list[str] | None = None,
) -> list[Problem]:
    """Read every input, then compile each brief over each food table.

    Returns all problems (empty when everything is usable); what is usable but worth a look
    goes to `warnings` when given: plausibility warnings on the food tables, and each
    ingredient a brief's blank rule leaves out, with its blank column. A workbook is read sheet by
    sheet with what is wrong set aside, so its brief is still compiled over its foods
    and cross-sheet problems show up together with the cell problems. `packs`, when
    given, receives what each rule pack a brief includes contributes (`pack_lines`).
    """
    problems: list[Problem] = []
    tables: list[FoodTable] = []
    briefs: list[Brief] = []
    for path in map(Path, paths):
        suffix = path.suffix.lower()
        if suffix in WORKBOOK_SUFFIXES and _has_sheet(path, "products"):
            _add(problems, _check_batch(path))
            continue
        if suffix in WORKBOOK_SUFFIXES:
            from .io.workbook import check_workbook

            foods, brief, found = check_workbook(path)
            _add(problems, found)
            tables += [foods] if foods is not None else []
            briefs += [brief] if brief is not None else []
            continue
        try:
            if suffix in (".csv", ".tsv", ".txt", ".gz"):
                tables.append(load_foods(path))
            elif suffix == ".toml" or _is_preset(path):
                briefs.append(load_brief(str(path)))
            else:
                problems.append(
                    Problem(
                        f"unknown input type {suffix or '(none)'!r}: give .csv, .toml or .xlsx files",
                        str(path),
                    )
                )
        except InputError as err:
            _add(problems, err.problems)
    if foods_name is not None:
        try:
            tables.append(load_foods(foods_name))
        except InputError as err:
            _add(problems, err.problems)
    from .io.packs import load_pack
    from .solving.compile import compile_brief
    from .solving.packs import pack_lines

    # An input that could not be read is not replaced by the embedded default.
    given_briefs = briefs if any(_gives_brief(p) for p in paths) else [load_brief()]
    named = foods_name is not None
    given_tables = tables if named or any(_gives_foods(p) for p in paths) else [load_foods()]
    for brief in given_briefs:
        for foods in given_tables:
            if warnings is not None:
                _add(warnings, brief_warnings(foods, brief))
            try:
                compiled = compile_brief(foods, brief)
                if packs is not None and brief.include:
                    packs += pack_lines(compiled, [load_pack(name) for name in brief.include])
                if warnings is not None:
                    found = exclusion_warnings(compiled.foods, compiled.excluded, brief)
                    _add(warnings, [w for w in found if not _same_cell(w, problems)])  # a bad cell set aside
                    _add(warnings, idle_retention_columns(compiled))
            except InputError as err:
                _add(problems, [p for p in err.problems if not _same_cell(p, problems)])
    return problems


def _check_batch(path: Path) -> list[Problem]:
    """A batch workbook: every sheet, then each product over the foods and under the price
    scenarios that could be read (its Foods sheet, else the embedded table)."""
    from .batch.files import read_batch_book
    from .batch.inputs import Product
    from .batch.planning import plan_batch

    inputs, problems = read_batch_book(path)
    if inputs.foods is None and _has_sheet(path, "foods"):
        return problems  # no usable food table to check against: its problems say why
    foods = inputs.foods or load_foods()
    given, availability = inputs.scenarios, inputs.availability
    # Scenarios with a bad price: the products are still checked at the table's own prices.
    scenarios = given if given is not None and _passes(problems, lambda: given.matrix(foods)) else None
    if availability is not None:
        _passes(problems, lambda: availability.positions(foods))
    products: dict[str, Product] = {}
    for product in inputs.products:  # a repeated name is reported already: check the first
        products.setdefault(product.name, product)
    if products:
        _passes(problems, lambda: plan_batch(foods, list(products.values()), scenarios))
    return problems


def _passes(problems: list[Problem], check: Callable[[], object]) -> bool:
    """Run a check; add the problems it raises."""
    try:
        check()
    except InputError as err:
        _add(problems, err.problems)
        return False
    return True


def _is_preset(path: Path | str) -> bool:
    """A bare name (`-c ons_max_leucine`): load_brief says if no preset has it."""
    return not Path(path).suffix and not Path(path).exists()


def _gives_brief(path: Path | str) -> bool:
    suffix = Path(path).suffix.lower()
    return (
        suffix == ".toml"
        or _is_preset(path)
        or (suffix in WORKBOOK_SUFFIXES and _has_sheet(path, "settings"))
    )


def _gives_foods(path: Path | str) -> bool:
    suffix = Path(path).suffix.lower()
    if suffix in (".csv", ".tsv", ".txt", ".gz"):
        return True
    return suffix in WORKBOOK_SUFFIXES and _has_sheet(path, "foods")


def _has_sheet(path: Path | str, name: str) -> bool:
    from .io.xlsx import sheet_names

    try:
        return name in (n.lower() for n in sheet_names(path))
    except InputError:
        return True  # unreadable: its problem is reported; do not substitute a default


def _add(problems: list[Problem], found: Sequence[Problem]) -> None:
    problems.extend(p for p in found if p not in problems)


def _same_cell(problem: Problem, known: list[Problem]) -> bool:
    """A problem at a cell already reported (a bad value set aside reads as blank)."""
    return problem.row is not None and any(
        (k.file, k.sheet, k.row, k.column) == (problem.file, problem.sheet, problem.row, problem.column)
        for k in known
    )
