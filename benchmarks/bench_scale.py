"""Scale without quadratic traps (issue 9, item 12).

1. Sensitivity (shadow-price ranges, price ranges, entry prices) on growing food tables,
   against a solve without it on the same table in the same run: the ratio must stay
   small (target ≤ 5× at 5,000 foods) and not grow with the table.
2. Compiling briefs of growing length (1,000 … 8,000 entries): time per entry must stay
   flat (linear time); the ratio column is against the 1,000-entry brief of this run.

The tables are the embedded one, copied with each nutrient and price varied (±10 %, ±20 %
log-normal, fixed seed), so the LPs are realistic and every copy is a distinct food.

    ./dev bench bench_scale [--foods 1000,2000,5000] [--entries 1000,2000,4000,8000]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from functools import partial

import numpy as np

import sarcoform as sf
from sarcoform.model.brief import NutrientBound
from sarcoform.model.foods import FLAG_COLUMNS, FoodTable
from sarcoform.solving.compile import compile_brief


def synthetic_table(n: int, seed: int = 1) -> FoodTable:
    """n foods: the embedded table, then varied copies of its rows."""
    base = sf.load_foods()
    rng = np.random.default_rng(seed)
    records = base.records()
    rows = []
    for k in range(n):
        r = dict(records[k % len(records)])
        if k >= len(records):
            r["id"] = f"{r['id']}_{k}"
            for column in base.numbers:
                if r[column] is not None and column not in FLAG_COLUMNS:
                    r[column] = float(r[column]) * float(np.exp(rng.normal(0, 0.1)))  # type: ignore[arg-type]
            if r["price_per_kg"] is not None:
                r["price_per_kg"] = float(r["price_per_kg"]) * float(np.exp(rng.normal(0, 0.2)))  # type: ignore[arg-type]
        rows.append([r[c] for c in base.columns])
    return FoodTable.from_records(list(base.columns), rows, origin=f"synthetic {n} foods")


def seconds(fn: Callable[[], object], repeat: int) -> float:
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return statistics.median(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--foods", default="1000,2000,5000")
    parser.add_argument("--entries", default="1000,2000,4000,8000")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sizes = [int(v) for v in args.foods.split(",")]
    print("1. sensitivity against a solve without it (HiGHS, same table, same run)")
    print(f"{'brief':18s} {'foods':>6s} {'no sens s':>10s} {'sens s':>8s} {'ratio':>6s}")
    for preset in ("ons_powder", "ons_max_leucine"):
        brief = sf.load_brief(preset)
        for n in sizes:
            foods = synthetic_table(n)
            sf.solve(foods, brief, solver="highs", sensitivity=False)  # warm-up
            plain = seconds(partial(sf.solve, foods, brief, solver="highs", sensitivity=False), args.repeat)
            full = seconds(partial(sf.solve, foods, brief, solver="highs"), args.repeat)
            print(f"{preset:18s} {n:6d} {plain:10.3f} {full:8.3f} {full / plain:5.1f}x")
    print()
    print("2. compiling a brief of K entries (embedded foods; K nutrient bounds on protein)")
    foods, brief = sf.load_foods(), sf.load_brief()
    counts = [int(v) for v in args.entries.split(",")]
    base_per_entry = None
    print(f"{'entries':>8s} {'compile s':>10s} {'µs/entry':>9s} {'vs first':>9s}")
    for k in counts:
        extra = tuple(NutrientBound(name="protein", min=1.0 + (i % 7)) for i in range(k))
        longer = brief.model_copy(update={"nutrients": brief.nutrients + extra})
        t = seconds(partial(compile_brief, foods, longer), args.repeat)
        per_entry = t / k * 1e6
        base_per_entry = base_per_entry or per_entry
        print(f"{k:8d} {t:10.3f} {per_entry:9.1f} {per_entry / base_per_entry:8.2f}x")


if __name__ == "__main__":
    main()
