"""The default job end to end, checked from the raw CSV with the csv module alone."""

from __future__ import annotations

import csv
import inspect
from pathlib import Path

import sarcoform as sf

FOODS_CSV = Path(__file__).resolve().parents[1] / "foods" / "ingredients.csv"


def _raw_table() -> dict[str, dict[str, str]]:
    with FOODS_CSV.open(newline="", encoding="utf-8") as f:
        return {row["id"]: row for row in csv.DictReader(f)}


def test_default_brief_solves_and_meets_its_serving_bounds_from_the_raw_csv(
    foods: sf.FoodTable, brief: sf.Brief
) -> None:
    result = sf.solve(foods, brief)
    assert result.status == "optimal" and result.exit_code == 0
    assert result.verification is not None and result.verification.ok
    raw = _raw_table()
    grams = {line.id: line.grams for line in result.blend_lines}
    assert brief.serving.serving_g is not None
    assert abs(sum(grams.values()) - brief.serving.serving_g) < 1e-6
    # Cost per serving: price per kg × grams / 1000, from the CSV's own cells.
    cost = sum(float(raw[i]["price_per_kg"]) * g / 1000 for i, g in grams.items())
    assert result.cost_per_serving is not None and abs(result.cost_per_serving - cost) < 1e-9
    # Every per-serving nutrient bound whose column the CSV has, recomputed by hand.
    checked = 0
    for bound in brief.nutrients:
        if bound.basis != "serving" or bound.unit is not None:
            continue
        column = next(
            (c for c in (bound.name, *(f"{bound.name}_{u}" for u in ("g", "mg", "ug"))) if c in raw["smp"]),
            None,
        )
        if column is None:
            continue
        amount = sum(float(raw[i][column] or 0) * g / 100 for i, g in grams.items())
        lo = -float("inf") if bound.min is None else bound.min
        hi = float("inf") if bound.max is None else bound.max
        assert lo - 1e-6 <= amount <= hi + 1e-6, (bound.name, amount, lo, hi)
        checked += 1
    assert checked >= 2  # at least energy and protein per serving


def test_every_public_name_is_a_function_class_or_constant_of_the_package() -> None:
    """__all__ (some names load lazily) resolves to the package's own callables and types, and
    `import sarcoform.<package>.<module>` works for every module."""
    import importlib
    import pkgutil

    for name in sf.__all__:
        obj = getattr(sf, name)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            assert obj.__module__.split(".")[0] == "sarcoform", (name, obj.__module__)
        else:
            assert isinstance(obj, str | tuple | frozenset | dict), (name, type(obj))
    assert "solve" in sf.__all__ and inspect.signature(sf.solve).parameters
    modules = [info.name for info in pkgutil.walk_packages(sf.__path__, "sarcoform.")]
    assert len(modules) >= 20
    for module in modules:
        if module != "sarcoform.__main__":
            assert importlib.import_module(module).__name__ == module
