"""Every answer a speed change must leave as it was, as one JSON file to compare.

Solves every preset (as shipped, and on mean values where it has chance constraints) and
briefs built from them that reach the other code paths: chance constraints, shelf life
with and without `_retention` columns, processing (also with two names for one column),
derived columns that read derived columns, blanks as zero / excluded / an error, practical
(mixed-integer) briefs, infeasible ones. Each on CBC and HiGHS, with and without ranges.
Timings are left out (keys keep their order); errors are kept as their message. Run it
before and after a change:

    ./dev python benchmarks/results_dump.py before.json   # on the old commit
    ./dev python benchmarks/results_dump.py after.json
    cmp before.json after.json                            # identical, byte for byte
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

import sarcoform as sf

TIMING = {"solve_seconds", "monte_carlo_seconds"}
# As bench_solve: leucine and protein held for 95 % of lots; 18 months of shelf life.
CHANCE = ("leucine", "protein")
SHELF_LIFE = {"months": 18, "retention": {"vitamin_d_ug": 0.80}}
PROCESSING = {
    "moisture_change_percent": -3.0,
    "retention": {"vitamin_c": 0.8, "vitamin_b1_mg": 0.7, "leucine": 0.95},
}
TWICE = {"moisture_change_percent": -3.0, "retention": {"vitamin_c": 0.8, "vitamin_c_mg": 0.9}}
CHAIN = {"double_pkj": "2 * protein_kj + eaa_g - hmb_g", "zz_e": "eaa_g * 0.5"}


def _timeless(o: Any) -> Any:
    if isinstance(o, dict):
        return {k: _timeless(v) for k, v in o.items() if k not in TIMING}
    if isinstance(o, list):
        return [_timeless(v) for v in o]
    return o


def _entries(brief: sf.Brief) -> list[dict[str, Any]]:
    return [n.model_dump(exclude_none=True) for n in brief.nutrients]


def briefs(foods: sf.FoodTable) -> dict[str, tuple[sf.FoodTable, sf.Brief]]:
    out: dict[str, sf.Brief] = {name: sf.load_brief(name) for name in sf.presets()}
    for name in sf.presets():
        if out[name].asks_probability:
            out[f"{name} (mean values)"] = out[name].on_mean_values()
    shipped = sf.load_brief()
    mean = shipped.on_mean_values() if shipped.asks_probability else shipped
    most = sf.load_brief("ons_max_leucine")
    chance = [
        n | ({"probability": 0.95} if n["name"] in CHANCE and n.get("basis") != "per_100kj" else {})
        for n in _entries(mean)
    ]
    derived = {k: d.expr for k, d in mean.derived.items()}
    out |= {
        "chance": mean.with_changes(nutrients=chance, variability={"lots": 0}),
        "shelf life": mean.with_changes(shelf_life=SHELF_LIFE),
        "processing": mean.with_changes(processing=PROCESSING),
        "processing, most leucine": most.with_changes(processing=PROCESSING),
        "processing, one column named twice": mean.with_changes(processing=TWICE),
        "derived of derived": mean.with_changes(
            derived={**derived, **CHAIN},
            nutrients=[*_entries(mean), {"name": "zz_e", "min": 1.0}, {"name": "double_pkj", "max": 5000.0}],
        ),
        "blanks as zero": mean.with_changes(blank_values="zero"),
        "blanks as zero, most leucine": most.with_changes(blank_values="zero"),
        "blanks an error": mean.with_changes(blank_values="error"),
        "practical": mean.with_changes(max_ingredients=20, min_inclusion_g=0.1),
        "practical, most leucine": most.with_changes(max_ingredients=20, min_inclusion_g=0.1),
        "practical, infeasible": mean.with_changes(max_ingredients=8, min_inclusion_g=0.5),
        "infeasible": mean.with_changes(nutrients=[*_entries(mean), {"name": "protein", "min": 59.0}]),
    }
    tables = {name: (foods, brief) for name, brief in out.items()}
    # `_retention` columns of the table (the embedded one has none)
    share = np.linspace(0.5, 1.0, len(foods))
    share[3] = np.nan
    kept = {"vitamin_d_ug_retention": share, "vitamin_e_mg_retention": share[::-1].copy()}
    with_retention = dataclasses.replace(
        foods, numbers={**foods.numbers, **kept}, columns=(*foods.columns, *kept)
    )
    for name in ("shelf life", "processing", "ons_max_leucine"):
        tables[f"{name}, _retention columns"] = (with_retention, out[name])
    return tables


def main() -> None:
    target = Path(sys.argv[1])
    out: dict[str, Any] = {}
    for name, (foods, brief) in briefs(sf.load_foods()).items():
        for solver in ("cbc", "highs"):
            for sensitivity in (True, False):
                key = f"{name} / {solver} / {'ranges' if sensitivity else 'no ranges'}"
                try:
                    result = sf.solve(foods, brief, solver=solver, sensitivity=sensitivity)
                    out[key] = _timeless(result.to_dict())
                except sf.InputError as err:
                    out[key] = f"{err}: {[p.message for p in err.problems]}"
    target.write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n")
    print(f"{len(out)} results in {target}")


if __name__ == "__main__":
    main()
