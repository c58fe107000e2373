"""The LP a compile builds is its bounds written as rows, and sharing changes nothing.

Compiling builds every LP row from one stack of all the bounds' numbers at once, and
takes what does not depend on prices (per-gram values, column inputs, the table's
columns) from what other compiles over the same table worked out. Checked here
against the definition of a row, bound by bound, and against a compile over a copy of
the table that shares nothing — bit for bit, over every preset and briefs that reach
shelf life, processing, worst-case lots, blanks as zero, 0/0 excluded and rule packs.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from typing import Any

import numpy as np
import pytest

import sarcoform as sf
from sarcoform.solving.compile import Bound, Compiled, compile_brief


def _unshared(foods: sf.FoodTable) -> sf.FoodTable:
    """The same table with writable copies of its arrays: nothing is kept for it."""
    return dataclasses.replace(
        foods,
        price_per_kg=foods.price_per_kg.copy(),
        numbers={k: v.copy() for k, v in foods.numbers.items()},
    )


def _with_lot_limits(foods: sf.FoodTable) -> sf.FoodTable:
    """The table with certified lot limits of protein and sodium (read-only, as loaded)."""
    limits = {
        "protein_g_min": foods.numbers["protein_g"] * 0.95,
        "protein_g_max": foods.numbers["protein_g"] * 1.05,
        "sodium_mg_max": foods.numbers["sodium_mg"] * 1.2,
    }
    for values in limits.values():
        values.flags.writeable = False
    return dataclasses.replace(foods, numbers={**foods.numbers, **limits}, columns=(*foods.columns, *limits))


def _briefs() -> dict[str, tuple[bool, sf.Brief]]:
    """name → (over the table with lot limits?, brief)"""
    out: dict[str, tuple[bool, sf.Brief]] = {}
    for name in sf.presets():
        brief = sf.load_brief(name)
        mean = brief.on_mean_values() if brief.asks_probability else brief
        derived = {k: d.expr for k, d in mean.derived.items()}
        nutrients = [n.model_dump(exclude_none=True) for n in mean.nutrients]
        out[name] = False, brief
        out[f"{name}, shelf life"] = (
            False,
            mean.with_changes(shelf_life={"months": 12, "retention": {"vitamin_d_ug": 0.8, "leucine": 0.9}}),
        )
        out[f"{name}, processing"] = (
            False,
            mean.with_changes(processing={"moisture_change_percent": -3.0, "retention": {"vitamin_c": 0.8}}),
        )
        out[f"{name}, blanks as zero"] = False, mean.with_changes(blank_values="zero")
        out[f"{name}, worst case"] = True, mean.with_changes(variability={"worst_case": True})
        out[f"{name}, 0/0 excluded"] = (
            False,
            mean.with_changes(
                derived={**derived, "leu_share_g": "leucine_g * protein_g / protein_g"},
                nutrients=[*nutrients, {"name": "leu_share_g", "max": 1.0}],
                blank_values="exclude",
            ),
        )
    return out


def _same(a: Any, b: Any) -> bool:
    """Equal bit for bit: arrays by dtype, shape and bytes (so -0.0 differs from 0.0)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (
            isinstance(a, np.ndarray)
            and isinstance(b, np.ndarray)
            and a.dtype == b.dtype
            and a.shape == b.shape
            and a.tobytes() == b.tobytes()
        )
    if isinstance(a, Bound) and isinstance(b, Bound):
        fields = [f.name for f in dataclasses.fields(Bound)]
        return all(_same(getattr(a, f), getattr(b, f)) for f in fields)
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return type(a) is type(b) and len(a) == len(b) and all(map(_same, a, b))
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        return type(a) is type(b) and all(
            _same(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a)
        )
    return bool(a == b)


def _check_rows(compiled: Compiled) -> None:
    """Each row as the Bound definition gives it: num·x ∈ [min − num0, max − num0], or for
    a bound with a denominator, one row per side t: (num − t·den)·x ⋛ t·den0 − num0."""
    lp, rows = compiled.lp, compiled.rows_of_bound
    assert not np.isnan(lp.A).any()
    for k, b in enumerate(compiled.bounds):
        assert not np.isnan(b.num).any() and (b.den is None or not np.isnan(b.den).any())
        if b.column is not None or b.kind in ("count", "inclusion"):
            assert k not in rows or b.kind == "count"  # Σ y ≤ N: a practical brief's last row
            continue
        sides = ["both"] if b.den is None else [s for s in ("min", "max") if getattr(b, s) is not None]
        assert [compiled.row_of[r] for r in rows[k]] == [(k, s) for s in sides]
        for r, side in zip(rows[k], sides, strict=True):
            assert lp.row_names[r] == (b.name if side == "both" else f"{b.name} ({side})")
            if b.den is None:
                want = b.num
                lo = -math.inf if b.min is None else b.min - b.num0
                hi = math.inf if b.max is None else b.max - b.num0
            else:
                t = getattr(b, side)
                want = np.array([n - t * d for n, d in zip(b.num.tolist(), b.den.tolist(), strict=True)])
                rhs = t * b.den0 - b.num0
                lo, hi = (rhs, math.inf) if side == "min" else (-math.inf, rhs)
            assert _same(lp.A[r, : len(want)], want), (b.name, side)
            assert (lp.row_lo[r], lp.row_hi[r]) == (lo, hi), (b.name, side)


@pytest.mark.parametrize("name", list(_briefs()))
def test_rows_are_the_bounds_and_a_shared_table_changes_nothing(foods: sf.FoodTable, name: str) -> None:
    briefs = _briefs()
    limits, brief = briefs[name]
    if limits:
        foods = _with_lot_limits(foods)
    for other, (on_limits, b) in briefs.items():  # what they leave shared must not leak
        if other != name and on_limits == limits:
            with contextlib.suppress(sf.InputError):
                compile_brief(foods, b)
    fresh = _unshared(foods)
    try:
        alone = compile_brief(fresh, brief)
    except sf.InputError as err:
        with pytest.raises(sf.InputError) as again:
            compile_brief(foods, brief)
        assert [p.message for p in again.value.problems] == [p.message for p in err.problems]
        return
    first, second = compile_brief(foods, brief), compile_brief(foods, brief)
    _check_rows(first)
    for compiled in (first, second):
        for f in dataclasses.fields(Compiled):
            if f.name not in ("foods", "columns"):
                assert _same(getattr(compiled, f.name), getattr(alone, f.name)), (name, f.name)
        assert compiled.columns.names() == alone.columns.names()


def _slope_briefs() -> dict[str, sf.Brief]:
    """Every preset on mean values, and the default brief with a cost bound on each basis
    (a kg bound is a ratio row); ons_max_leucine has one of its own (its budget)."""
    out = {name: sf.load_brief(name).on_mean_values() for name in sf.presets()}
    base = sf.load_brief().on_mean_values()
    for basis, cap in (("serving", 0.6), ("day", 1.2), ("kg", 9.0)):
        out[f"cost per {basis}"] = base.with_changes(cost={"basis": basis, "max": cap, "min": cap / 10})
    return out


@pytest.mark.parametrize("name", list(_slope_briefs()))
def test_price_slopes_are_what_a_compile_at_other_prices_gives(foods: sf.FoodTable, name: str) -> None:
    """`Compiled.price_slopes` (where compile puts prices, said once, next to the code)
    against two compiles: at the table's prices, and with every known price 1 higher,
    plus a food whose price is unknown (its slope is 0). The difference of the two LPs is
    the slope, in c, the cost vector and A; nothing else of the LP moves."""
    brief = _slope_briefs()[name]
    prices = np.asarray(foods.price_per_kg, dtype=float).copy()
    prices[foods.ids.index("wpi")] = np.nan  # (whey isolate: its price unknown)
    table = dataclasses.replace(foods, price_per_kg=prices)
    up = dataclasses.replace(foods, price_per_kg=prices + 1.0)
    a, b = compile_brief(table, brief), compile_brief(up, brief)
    dc, dcost, dA = a.price_slopes()
    np.testing.assert_allclose(dc, b.lp.c - a.lp.c, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(dcost, b.cost - a.cost, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(dA, b.lp.A - a.lp.A, rtol=1e-9, atol=1e-12)
    for field in ("row_lo", "row_hi", "col_lo", "col_hi"):
        np.testing.assert_array_equal(getattr(a.lp, field), getattr(b.lp, field))
    if brief.cost is not None:
        assert np.any(dA != 0)  # (a cost row: else this tests only c)
