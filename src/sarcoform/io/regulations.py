"""The regulatory data files: labelling standards and nutrient-content claims.

`regulations/labelling/<standard>.toml` and `regulations/claims/<standard>.toml`, shipped
in the wheel next to foods/ and constraints/. Each file is read and validated once.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..errors import InputError, Place, Problem
from ..model.args import renamed_keyword
from ..model.brief import Brief
from ..model.label import STANDARDS, ClaimRule, LabelStandard
from .embedded import data_dir
from .files import read_text


def regulations_dir() -> Path:
    return data_dir("regulations")


def _check_standard(standard: str) -> str:
    if standard not in STANDARDS:
        raise InputError(
            Problem(f"unknown labelling standard {standard!r}: use one of {', '.join(STANDARDS)}")
        )
    return standard


@cache
def load_label_standard(standard: str) -> LabelStandard:
    """The declaration rules of `standard` (cn, eu, us)."""
    path = regulations_dir() / "labelling" / f"{_check_standard(standard)}.toml"
    data = _toml(path)
    try:
        return LabelStandard.model_validate(data)
    except ValidationError as err:
        raise InputError([_problem(path, e) for e in err.errors()]) from None


@cache
def load_claim_rules(standard: str) -> tuple[ClaimRule, ...]:
    """The nutrient-content claims of `standard`, ids prefixed `<standard>:`."""
    path = regulations_dir() / "claims" / f"{_check_standard(standard)}.toml"
    data = _toml(path)
    if data.get("standard") != standard:
        raise InputError(Problem(f"standard = {standard!r} expected", str(path)))
    rules = []
    problems = []
    for i, claim in enumerate(data.get("claim", [])):
        try:
            rules.append(ClaimRule.model_validate({**claim, "id": f"{standard}:{claim.get('id')}"}))
        except ValidationError as err:
            problems += [_problem(path, e, f"claim {i + 1}") for e in err.errors()]
    if problems:
        raise InputError(problems)
    return tuple(rules)


def claim_rule(claim_id: str) -> ClaimRule:
    """The rule of one claim id, e.g. 'cn:high_protein'; InputError naming the choices."""
    standard, _, name = claim_id.partition(":")
    if not name or standard not in STANDARDS:
        raise InputError(
            Problem(f"claim {claim_id!r}: write <standard>:<claim>, standard one of {', '.join(STANDARDS)}")
        )
    rules = {r.id: r for r in load_claim_rules(standard)}
    if claim_id not in rules:
        raise InputError(Problem(f"unknown claim {claim_id!r}: {standard} claims are {', '.join(rules)}"))
    return rules[claim_id]


@renamed_keyword("spec", "brief")  # keep: old spelling
def with_claims(brief: Brief, claim_ids: list[str] | tuple[str, ...]) -> Brief:
    """A copy of the brief that requires these claims (ids like 'cn:high_protein'), resolved."""
    return resolve_claims(brief.with_changes(claims=[*[c.id for c in brief.claims], *claim_ids]))


def resolve_claims(brief: Brief) -> Brief:
    """Fill each required claim's rule from regulations/claims/; InputError at the brief."""
    if not brief.claims:
        return brief
    problems: list[Problem] = []
    resolved = []
    for claim in brief.claims:
        try:
            resolved.append(
                claim.model_copy(update={"rule": claim_rule(claim.id)}).located(claim._where or brief._where)
            )
        except InputError as err:
            problems += [
                (claim._where or brief._where or Place()).at(p.message, "claims") for p in err.problems
            ]
    if problems:
        raise InputError(problems)
    return brief.model_copy(update={"claims": tuple(resolved)})


def _toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(read_text(path))
    except tomllib.TOMLDecodeError as err:
        raise InputError(Problem(f"TOML syntax error: {err}", str(path))) from None


def _problem(path: Path, error: object, where: str | None = None) -> Problem:
    assert isinstance(error, dict)
    loc = ".".join(str(p) for p in error["loc"])
    head = f"{where}: " if where else ""
    return Problem(f"{head}{loc}: {error['msg']}", str(path))
