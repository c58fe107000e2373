"""Food tags: a `tags` text column of the food table, e.g. `plant;pea;allergen:soy`.

A brief's group can take every food carrying a tag (`[[group]] tag = "plant"`), so a food
a user adds later joins the group by its tags, without editing the brief.
"""

from __future__ import annotations

import functools

import numpy as np

from .foods import FoodTable

TAGS = "tags"
SEPARATOR = ";"


def parse_tags(text: str) -> frozenset[str]:
    """The tags of one cell: split at ';', stripped, lower case, blanks dropped."""
    return frozenset(t.strip().lower() for t in text.split(SEPARATOR) if t.strip())


def tagged(foods: FoodTable, tag: str) -> np.ndarray:
    """A boolean mask of the foods that carry `tag` (case-insensitive)."""
    want = tag.strip().lower()
    cells = foods.texts.get(TAGS, ("",) * len(foods))
    return np.array([want in tags for tags in _parsed(cells)], dtype=bool)


@functools.lru_cache(maxsize=16)
def _parsed(cells: tuple[str, ...]) -> tuple[frozenset[str], ...]:
    """The tags of every cell of a column (a tuple, so the same table's are parsed once)."""
    return tuple(parse_tags(cell) for cell in cells)


def all_tags(foods: FoodTable) -> list[str]:
    """Every tag in the table, sorted."""
    found: set[str] = set()
    for cell in foods.texts.get(TAGS, ()):
        found |= parse_tags(cell)
    return sorted(found)
