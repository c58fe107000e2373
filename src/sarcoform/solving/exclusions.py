"""Ingredients a brief's blank rule leaves out, and when that is too many to go on.

`blank_values = "exclude"` drops an ingredient whose value a bound needs is blank. A
column filled for a few rows only (a new allergen column filled for the soy rows) then
drops most of the table without a word, and the solve reports a meaningless conflict.
More than half of the table excluded is an error naming the column(s) that did it.
"""

from __future__ import annotations

from collections import Counter

from ..errors import Problem
from ..model.brief import Brief
from ..model.foods import FoodTable

MAX_EXCLUDED_SHARE = 0.5


def exclusion_warnings(
    foods: FoodTable, excluded: tuple[tuple[str, str], ...], brief: Brief
) -> list[Problem]:
    """One located line per ingredient the brief's blank rule left out ((id, column) pairs)."""
    out = []
    for food_id, column in excluded:
        i = foods.position(food_id)
        message = (
            f"warning: {food_id!r} left out: {column} is blank and brief {brief.name!r} has"
            ' blank_values = "exclude"'
        )
        out.append(foods.problem(i, column, message) if i is not None else Problem(message, foods.origin))
    return out


def exclusion_summary(notes: list[str]) -> tuple[str | None, list[str]]:
    """The "excluded X (blank c)" notes of a result as one line for the top of the output,
    and the other notes."""
    excluded = [n.removeprefix("excluded ") for n in notes if n.startswith("excluded ")]
    rest = [n for n in notes if not n.startswith("excluded ")]
    if not excluded:
        return None, rest
    return f"Excluded {len(excluded)} ingredient{'s' * (len(excluded) > 1)}: {', '.join(excluded)}", rest


def excluded_too_many(foods: FoodTable, excluded: list[tuple[str, str]], brief: Brief) -> list[Problem]:
    """A problem per blank column when the exclusions take more than half of the table."""
    dropped = {food_id for food_id, _ in excluded}
    if len(dropped) <= MAX_EXCLUDED_SHARE * len(foods):
        return []
    by_column = Counter(column for _, column in dict.fromkeys(excluded))
    # Name the column(s) that did it: those that alone leave out more than the share.
    culprits = [(c, k) for c, k in by_column.most_common() if k > MAX_EXCLUDED_SHARE * len(foods)]
    return [
        Problem(
            f"column {column} is blank for {count} of {len(foods)} ingredients, and blank_values ="
            f' "exclude" in brief {brief.name!r} leaves out {len(dropped)} of {len(foods)}: fill the'
            f" column, or leave it out of the brief",
            foods.origin,
            foods.sheet,
            1,
            column,
        )
        for column, count in culprits or by_column.most_common()
    ]
