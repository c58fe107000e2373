"""Issue 9 item 12: no quadratic traps. Timings live in benchmarks/bench_scale.py; here,
the properties that keep it linear and the answers unchanged."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest

import sarcoform as sf
from conftest import ROOT
from sarcoform.cli import main
from sarcoform.model.brief import NutrientBound
from sarcoform.solving import sensitivity

sys.path.insert(0, str(ROOT / "benchmarks"))
from bench_scale import synthetic_table as synthetic


@pytest.mark.parametrize("preset", ["ons_powder", "ons_max_leucine", "milk_beverage_powder"])
def test_entry_prices_equal_the_exhaustive_search(preset: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The entry prices read from the basis (no re-solve per unused food, each column priced
    alone) are those of re-solving after every step past an edge (the old, quadratic way)."""
    foods, brief = synthetic(200), sf.load_brief(preset)
    fast = sf.solve(foods, brief, solver="highs")
    monkeypatch.setattr(sensitivity.SolvedBasis, "nondegenerate", property(lambda self: False))
    monkeypatch.setattr(sensitivity, "may_stall", lambda solved: np.ones(solved.lp.shape[1], dtype=bool))
    if brief.cost is None:
        # Without a cost bound, a food a forcing row holds at 0 skips the widening re-solves;
        # the exhaustive way re-solves it too. (With a cost bound nothing is re-solved: the
        # entry prices are checked against re-solves in test_price_ranging.)
        monkeypatch.setattr(sensitivity, "held_at_zero", lambda lp: np.zeros(lp.shape[1], dtype=bool))
    slow = sf.solve(foods, brief, solver="highs")
    assert fast.ok and slow.ok
    got = {u.id: u.entry_price for u in fast.unused}
    want = {u.id: u.entry_price for u in slow.unused}
    assert got.keys() == want.keys()
    for food_id, price in want.items():
        assert (got[food_id] is None) == (price is None), food_id
        if price is not None:
            assert got[food_id] == pytest.approx(price, rel=1e-9, abs=1e-9), food_id


def test_re_solves_for_entry_prices_do_not_grow_with_the_table(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    original = sensitivity.same_optimum
    monkeypatch.setattr(sensitivity, "same_optimum", lambda h, s: calls.append(1) or original(h, s))
    brief = sf.load_brief()
    counts: dict[bool, list[int]] = {}
    proof = sensitivity.blend_ends_at
    for proved in (False, True):  # re-solving past every widened edge, then only where unproved
        monkeypatch.setattr(sensitivity, "blend_ends_at", proof if proved else lambda *args: False)
        counts[proved] = []
        for n in (len(sf.load_foods()), 400):  # the embedded table, then ten times as many foods
            calls.clear()
            assert sf.solve(synthetic(n), brief, solver="highs").ok
            counts[proved].append(len(calls))
    # Each re-solve costs a pass over the table: one per food made it quadratic.
    assert counts[False][1] <= counts[False][0] + 10, counts
    # Proving an edge from the basis (solving/cost_edges.py) only ever saves re-solves.
    assert all(a <= b for a, b in zip(counts[True], counts[False], strict=True)), counts


def test_a_brief_repeating_one_bound_thousands_of_times_is_numbered_and_verified() -> None:
    foods, brief = sf.load_foods(), sf.load_brief()
    extra = tuple(NutrientBound(name="protein", min=1.0 + (i % 7)) for i in range(3000))
    result = sf.solve(foods, brief.model_copy(update={"nutrients": brief.nutrients + extra}), solver="highs")
    names = [c.name for c in result.constraint_lines]
    assert len(names) == len(set(names))
    same = [n for n in names if n.split(" #")[0] == "protein_g per serving"]
    assert len(same) >= 3000 and f"protein_g per serving #{len(same)}" in names
    assert result.ok and result.verification is not None and result.verification.ok
    # One check per constraint line, plus one for each rule-pack bound merged into a brief
    # bound (the verifier re-reads the brief's entry and the pack's entry separately).
    # And one for each side of a chance-constrained bound, re-checked at its probability
    # (solving/recheck.py; the default brief's are minimums only).
    merged = sum("the tighter of the two applies" in note for note in result.notes)
    chance = [c for c in result.constraint_lines if c.probability_target is not None]
    assert len(chance) == 3 and all(c.max is None for c in chance)
    assert result.verification.checked == len(names) + merged + len(chance)


def test_cli_no_sensitivity_skips_the_ranges(capsys: pytest.CaptureFixture[str]) -> None:
    # milk_beverage_powder: the default brief's chance constraints leave it without ranges either way
    brief = ["-c", "milk_beverage_powder"]
    assert main(["solve", *brief, "--solver", "highs", "--json", "--no-sensitivity"]) == 0
    a = json.loads(capsys.readouterr().out)
    assert main(["solve", *brief, "--solver", "highs", "--json"]) == 0
    b = json.loads(capsys.readouterr().out)
    assert a["cost_per_serving"] == pytest.approx(b["cost_per_serving"], rel=1e-9)
    assert all(c["shadow_price_range"] is None for c in a["constraints"])
    assert all(line["price_range"] is None for line in a["blend"])
    assert all(u["entry_price"] is None for u in a["unused"])
    assert any(c["shadow_price_range"] is not None for c in b["constraints"])
    assert any(u["entry_price"] is not None for u in b["unused"])
