"""What single solves now work out once and share (issue 13 item 3) must not change answers.

- Derived columns, name lookups and stacked tables are kept per read-only food table: a
  solve over a table another solve has used gives the same Result as over a fresh copy
  that shares nothing, and a table whose arrays can change shares nothing.
- A result's blend is read-only and each bound's value at it is worked out once.
- Lines are copied with `updated`, pydantic's `model_copy` without its general copy.
- HiGHS gets the LP as arrays: what it holds is the LP as compiled.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

import sarcoform as sf
from sarcoform.model.columns import ColumnSet
from sarcoform.model.trusted import updated
from sarcoform.solving.backends import load_highs
from sarcoform.solving.compile import _changed, compile_brief

CHAIN = {
    "double_pkj": "2 * protein_kj + eaa_g - hmb_g",  # derived columns that read derived ones
    "protein_kj": "17 * protein_g",
    "half_eaa": "eaa_g * 0.5",
}


def _unshared(foods: sf.FoodTable) -> sf.FoodTable:
    """The same table with writable copies of its arrays: nothing is kept for it."""
    return dataclasses.replace(
        foods,
        price_per_kg=foods.price_per_kg.copy(),
        numbers={k: v.copy() for k, v in foods.numbers.items()},
    )


def _without_timing(d: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in d.items() if k != "solve_seconds"}


@pytest.mark.parametrize("preset", sf.presets())
def test_a_solve_over_a_used_table_equals_one_over_a_fresh_copy(foods: sf.FoodTable, preset: str) -> None:
    brief = sf.load_brief(preset).on_mean_values()
    chained = brief.with_changes(derived={**{k: d.expr for k, d in brief.derived.items()}, **CHAIN})
    fresh = _unshared(foods)
    for b in (brief, chained):
        first = sf.solve(foods, b, solver="highs")
        again = sf.solve(foods, b, solver="highs")
        alone = sf.solve(fresh, b, solver="highs")
        assert first.ok and first.verification is not None and first.verification.ok
        assert _without_timing(again.to_dict()) == _without_timing(first.to_dict())
        assert _without_timing(alone.to_dict()) == _without_timing(first.to_dict())
        # the nutrient lines follow the order their columns were evaluated in: the same
        assert [n.nutrient for n in alone.nutrient_lines] == [n.nutrient for n in first.nutrient_lines]


@settings(max_examples=25, deadline=None)
@given(order=st.permutations(["double_pkj", "half_eaa", "protein_kj", "eaa_g", "hmb_g", "met_cys_g"]))
def test_column_order_follows_this_sets_own_lookups(order: list[str]) -> None:
    foods = sf.load_foods()
    ColumnSet(foods, CHAIN).get("double_pkj")  # another set over the table evaluates first
    shared, alone = ColumnSet(foods, CHAIN), ColumnSet(_unshared(foods), CHAIN)
    for name in order:
        a, b = shared.get(name), alone.get(name)
        assert np.array_equal(a.values, b.values, equal_nan=True)
        assert shared.names() == alone.names()


def test_a_writable_table_shares_nothing(foods: sf.FoodTable) -> None:
    table = _unshared(foods)
    before = ColumnSet(table, CHAIN).get("half_eaa").values.copy()
    table.numbers["leucine_g"][:] += 1.0  # a table made by hand may change between solves
    after = ColumnSet(table, CHAIN).get("half_eaa").values
    assert np.allclose(after - before, 0.5, equal_nan=True)  # eaa_g sums leucine_g


def test_retention_names_resolve_with_the_later_name_winning(foods: sf.FoodTable) -> None:
    # [shelf_life] retention names one column twice: compile, recheck and the report read
    # the later figure (as the loop over the names did before it was kept per table)
    columns = ColumnSet(foods)
    table = {"vitamin_c": 0.8, "vitamin_c_mg": 0.9, "no_such_nutrient": 0.5, "vitamin_d": 0.7}
    assert columns.by_column(table) == {"vitamin_c_mg": 0.9, "vitamin_d_ug": 0.7}


def test_updated_is_model_copy(foods: sf.FoodTable, brief: sf.Brief) -> None:
    result = sf.solve(foods, brief, solver="highs")
    cases: list[tuple[BaseModel, dict[str, Any]]] = [
        (result.constraint_lines[0], {"at": "end_of_shelf_life", "shadow_price_range": (1.0, None)}),
        (result.nutrient_lines[0], {"per_serving_end": 1.5}),
        (result.blend_lines[0], {"price_range": (None, 3.0)}),
        (result, {"notes": ["x"], "serving_g": 61.0}),
    ]
    for model, changes in cases:
        made, reference = updated(model, **changes), model.model_copy(update=changes)
        assert made == reference and made is not model
        assert made.model_fields_set == reference.model_fields_set
        assert made.model_dump() == reference.model_dump()
        for name, value in changes.items():
            assert getattr(made, name) == value
            assert getattr(model, name) != value  # the original is untouched


def test_bound_values_at_a_read_only_blend_are_kept_and_a_writable_one_followed(
    foods: sf.FoodTable, brief: sf.Brief
) -> None:
    compiled = compile_brief(foods, brief)
    b = next(b for b in compiled.bounds if b.den is not None)  # a ratio: value = num·x / den·x
    x = np.full(len(foods), 1.0)
    by_hand = float(b.num @ x + b.num0) / float(b.den @ x + b.den0)
    assert b.value(x) == pytest.approx(by_hand, rel=1e-12)
    x[0] += 5.0  # writable: no memo, the value follows x
    assert b.value(x) != pytest.approx(by_hand, rel=1e-12)
    frozen = x.copy()
    frozen.flags.writeable = False
    first = b.value(frozen)
    assert b.value(frozen) == first
    moved = _changed(b, num=2 * b.num, num0=2 * b.num0)  # a changed bound keeps no memo
    assert moved.value(frozen) == pytest.approx(2 * first, rel=1e-12)  # type: ignore[operator]


def test_highs_holds_the_lp_as_compiled(foods: sf.FoodTable, brief: sf.Brief) -> None:
    practical = brief.with_changes(max_ingredients=20, min_inclusion_g=0.1)
    for b in (brief, practical):
        lp = compile_brief(foods, b).lp
        held = load_highs(lp).getLp()
        m, n = lp.shape
        links = 0 if lp.links is None else held.num_row_ - m  # x − U·y ≤ 0 rows come after
        assert lp.links is None or links >= len(lp.links.food)
        assert (held.num_row_, held.num_col_) == (m + links, n)
        dense = np.zeros((m + links, n))
        a = held.a_matrix_
        for j in range(n):
            for p in range(a.start_[j], a.start_[j + 1]):
                dense[a.index_[p], j] = a.value_[p]
        assert np.array_equal(dense[:m], lp.A)
        assert np.array_equal(held.col_cost_, lp.c)
        for got, want in (
            (held.col_lower_, lp.col_lo),
            (held.col_upper_, lp.col_hi),
            (held.row_lower_[:m], lp.row_lo),
            (held.row_upper_[:m], lp.row_hi),
        ):
            assert np.array_equal(np.asarray(got), want)  # ±inf is HiGHS's infinity
        integer = [int(t) for t in held.integrality_]
        assert integer == ([int(bool(f)) for f in lp.integer] if lp.integer is not None else [0] * n)


def test_what_is_kept_for_a_table_goes_with_it(foods: sf.FoodTable, brief: sf.Brief) -> None:
    import gc
    import pickle
    import weakref

    table = foods.with_prices({foods.ids[0]: 1.0})  # read-only arrays: shared memo
    size = len(pickle.dumps(table))
    assert sf.solve(table, brief, solver="highs").ok
    assert len(pickle.dumps(table)) <= size + 1_000  # batch workers get the table, not the memo
    gone = weakref.ref(table)
    del table
    gc.collect()
    assert gone() is None  # nothing kept for it holds it alive


def _read_only_copy(values: np.ndarray) -> np.ndarray:
    out = values.copy()
    out.flags.writeable = False
    return out


def test_a_column_replaced_in_the_tables_mapping_is_followed(foods: sf.FoodTable, brief: sf.Brief) -> None:
    """`numbers` is a plain dict: a caller may put a new (read-only) array in it between two
    solves. The second solve must read it, as a fresh table with the same values does.
    (The memo once kept the old protein: cost 0.3954 and a failed verification, against
    0.3844 and verified.)"""
    table = dataclasses.replace(foods, numbers=dict(foods.numbers))
    plain = brief.on_mean_values()
    sf.solve(table, plain, solver="highs", sensitivity=False)
    table.numbers["protein_g"] = _read_only_copy(table.numbers["protein_g"] * 0.97)  # type: ignore[index]
    again = sf.solve(table, plain, solver="highs", sensitivity=False)
    fresh = sf.solve(_unshared(table), plain, solver="highs", sensitivity=False)
    assert again.verification is not None and again.verification.ok
    assert _without_timing(again.to_dict()) == _without_timing(fresh.to_dict())


def test_read_only_views_of_writable_arrays_share_nothing(foods: sf.FoodTable, brief: sf.Brief) -> None:
    """A table whose read-only arrays view arrays the caller can still write: its values can
    change under it, so nothing is kept for it; a solve after an edit reads the edit."""
    owned = {k: v.copy() for k, v in foods.numbers.items()}
    views = {k: v.view() for k, v in owned.items()}
    for v in views.values():
        v.flags.writeable = False
    table = dataclasses.replace(foods, numbers=views)
    plain = brief.on_mean_values()
    sf.solve(table, plain, solver="highs", sensitivity=False)
    owned["protein_g"] *= 0.97
    again = sf.solve(table, plain, solver="highs", sensitivity=False)
    fresh = sf.solve(_unshared(table), plain, solver="highs", sensitivity=False)
    assert again.verification is not None and again.verification.ok
    assert _without_timing(again.to_dict()) == _without_timing(fresh.to_dict())
