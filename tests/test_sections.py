"""The registry of brief sections (model/sections.py) drives the readers, writers, the
compiler and the verifier: every kind of bound has a compile rule and an independent check."""

from __future__ import annotations

import pytest

import sarcoform as sf
from sarcoform.model import sections
from sarcoform.model.brief import Brief
from sarcoform.solving.compile import RULES, compile_brief
from sarcoform.solving.verify import CHECKS, Blend, Checker


def test_every_bound_kind_has_a_compile_rule_and_a_check() -> None:
    kinds = {s.toml for s in sections.BOUNDS}
    assert kinds, "the registry lists no bound kinds"
    assert set(RULES) == kinds, f"compile rules {sorted(RULES)} vs bound kinds {sorted(kinds)}"
    assert set(CHECKS) == kinds, f"checks {sorted(CHECKS)} vs bound kinds {sorted(kinds)}"


@pytest.mark.parametrize("section", sections.SECTIONS, ids=lambda s: s.toml)
def test_each_section_names_a_field_of_the_brief_of_its_type(section: sections.Section) -> None:
    info = Brief.model_fields[section.field]
    if section.shape == "list":
        assert info.alias == section.toml  # `[[nutrient]]` ↔ Brief.nutrients
    else:
        assert section.field == section.toml
    assert section.entry.__name__ in str(info.annotation)
    if section.sheet is not None:
        keys = {c.key for c in section.columns}
        assert set(section.key) <= keys
        fields = {f.alias or k for k, f in section.entry.model_fields.items()}
        if section.shape == "list":  # one row per entry: every column is a key of the entry
            assert keys <= fields, keys - fields


def _blend(foods: sf.FoodTable, brief: Brief) -> dict[str, float]:
    result = sf.solve(foods, brief, solver="highs", sensitivity=False)
    assert result.status == "optimal"
    return {line.id: line.grams for line in result.ingredient_lines}


def test_the_presets_exercise_every_bound_kind_and_each_entry_is_checked() -> None:
    """Each entry of each bound kind of the presets gives at least one check, and the
    verifier's checks are the serving check plus exactly those."""
    foods = sf.load_foods()
    seen: set[str] = set()
    for name in sf.presets():
        brief = sf.load_brief(name)
        compiled = compile_brief(foods, brief)
        checker = Checker(foods, brief, compiled.columns)
        grams = _blend(foods, brief)
        everything = checker.checks(grams)
        total = 0
        for section in sections.BOUNDS:
            for entry in section.entries(brief):
                made = CHECKS[section.toml](Blend(checker, grams, None), entry)
                assert made, f"{name}: no check for a {section.phrase}"
                total += len(made)
                seen.add(section.toml)
        practical = (brief.max_ingredients is not None) + (brief.min_inclusion_g is not None)
        serving = int(
            brief.serving.fixed or brief.serving.min_g is not None or brief.serving.max_g is not None
        )
        assert len(everything) == serving + total + practical
    assert seen == {s.toml for s in sections.BOUNDS}, "a bound kind no preset uses is not exercised here"
