"""Issue 9 item 3: the presets' groups are defined by tags, so a food a user adds to the
table joins them by its tags, without editing the brief."""

from __future__ import annotations

import csv
import io

import sarcoform as sf
from sarcoform.model.tags import tagged


def _with_row(foods: sf.FoodTable, row: dict[str, object]) -> sf.FoodTable:
    records = foods.records()
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(foods.columns)
    for r in [*records, {**dict.fromkeys(foods.columns), **row}]:
        writer.writerow(["" if r.get(c) is None else r[c] for c in foods.columns])
    header, *rows = csv.reader(io.StringIO(text.getvalue()))
    return sf.FoodTable.from_records(header, rows, origin="foods + a new row")


def test_every_preset_group_is_a_tag_group_with_members(foods: sf.FoodTable) -> None:
    for name in sf.presets():
        for group in sf.load_brief(name).groups:
            assert group.tag is not None, (name, group.name)
            assert tagged(foods, group.tag).any(), (name, group.tag)


def test_a_new_plant_protein_lands_in_the_dairy_only_group(foods: sf.FoodTable) -> None:
    """The issue's case: a user adds a cheap, rich pea protein; the dairy-only milk beverage
    keeps it out because it is tagged plant_protein, not because the brief names it."""
    brief = sf.load_brief("milk_beverage_powder")
    pea = foods.records()[foods.position("ppi") or 0]
    row = {**pea, "id": "pea_protein_new", "name": "New pea protein", "price_per_kg": 0.5}
    added = _with_row(foods, {**row, "tags": "plant;plant_protein;pea"})
    result = sf.solve(added, brief, solver="highs")
    assert result.ok and "pea_protein_new" not in result.grams
    untagged = _with_row(foods, {**row, "tags": ""})
    free = sf.solve(untagged, brief, solver="highs")
    # Untagged, it is not a plant protein to the brief, and being the cheapest protein it enters.
    assert free.ok and free.grams.get("pea_protein_new", 0) > 0
