"""Chance-constrained solves against the plain LP, on the default brief and a 500-food table.

The default brief is `ons_powder` as shipped: 95 % on its protein, leucine and CaHMB
minimums, with the embedded table's own `_sd` columns; its plain LP is the same brief on
mean values. On the SR28 table the lots are given standard deviations as a fixed share of
each value (protein 2.5 %, leucine 3 %: [E] benchmark figures, not data), and every bound
on those nutrients must hold with probability 0.95. Reports, per solver: the plain LP solve (the baseline,
measured in the same run), the chance-constrained solve (cutting-plane rounds and cuts),
and the Monte Carlo of 10,000 lots on its own.

The 500-food table is the first 500 foods of the embedded USDA SR28 extract (`-f sr28`)
with seeded prices.

    ./dev bench bench_chance [--repeat N]
"""

from __future__ import annotations

import argparse
import statistics

import numpy as np

import sarcoform as sf
from bench_solve import timed  # benchmarks/ is on the path when run as a script
from sarcoform.io.brief_toml import brief_from_dict
from sarcoform.solving import chance
from sarcoform.solving.compile import compile_brief

SHARES = {"protein_g": 0.025, "leucine_g": 0.03, "cahmb_g": 0.02}  # [E] SD as a share of the value

# Least cost of 100 g from SR28 foods: energy, protein, leucine, fat and calcium.
SR28_BRIEF: dict[str, object] = {
    "name": "sr28_chance",
    "blank_values": "exclude",
    "serving": {"serving_g": 100},
    "nutrient": [
        {"name": "energy_kcal", "min": 380, "max": 420},
        {"name": "protein", "min": 20},
        {"name": "leucine", "min": 1.8},
        {"name": "fat", "max": 16},
        {"name": "calcium", "min": 300},
    ],
}


def with_sds(foods: sf.FoodTable) -> sf.FoodTable:
    frame = foods.to_frame()
    for column, share in SHARES.items():
        if column in frame.columns:
            frame[f"{column}_sd"] = frame[column] * share
    return sf.FoodTable.from_frame(frame, origin=f"{foods.origin} + SDs")


def sr28_table(rows: int = 500) -> sf.FoodTable:
    """The first `rows` foods of the embedded SR28 extract, with seeded prices and SDs."""
    frame = sf.load_foods("sr28").to_frame().head(rows).copy()
    frame["price_per_kg"] = np.random.default_rng(5).uniform(1, 20, size=len(frame)).round(2)
    return with_sds(sf.FoodTable.from_frame(frame, origin="SR28 first 500"))


def bench(label: str, foods: sf.FoodTable, plain: sf.Brief, chanced: sf.Brief, repeat: int) -> None:
    """`plain` (the mean-value LP) against `chanced` (the same brief with probabilities)."""
    target = chanced.with_changes(variability={"lots": 0})  # the Monte Carlo is timed on its own
    print(f"{label}: {len(foods)} foods")
    print(f"{'':52s} {'median ms':>10s} {'vs plain LP':>12s}")
    for solver in ("cbc", "highs"):
        compiled = compile_brief(foods, target)
        outer = chance.outer_approximation(compiled, solver, None)
        result = sf.solve(foods, target.with_changes(variability={"lots": 10_000}), solver=solver)
        assert result.ok and result.variability is not None, result.notes
        x = np.array([result.grams.get(i, 0.0) for i in foods.ids])
        # Timed round-robin (bench_solve.timed): the baseline and the rest share the machine's load.
        base, cc, mc = timed(
            [
                lambda s=solver: sf.solve(foods, plain, solver=s, sensitivity=False),  # type: ignore[misc]
                lambda s=solver: sf.solve(foods, target, solver=s),  # type: ignore[misc]
                lambda c=outer.compiled, x=x: chance.monte_carlo(c, x, 10_000, 0),  # type: ignore[misc]
            ],
            repeat,
        )
        b = statistics.median(base)
        for name, times in (
            (f"{solver}: plain LP on mean values, no ranges (baseline)", base),
            (f"{solver}: chance-constrained (ranges do not apply)", cc),
            (f"{solver}: Monte Carlo of 10,000 lots", mc),
        ):
            med = statistics.median(times)
            print(f"{name:52s} {med:10.2f} {med / b:11.2f}x")
        v = result.variability
        print(
            f"{'':4s}{outer.rounds} LP solves, {outer.cuts} cuts, violation {outer.max_violation:.1e};"
            f" cost of assurance {v.cost_of_assurance:.5f} {v.objective_unit}"
        )
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    shipped = sf.load_brief()  # 95 % on its protein, leucine and CaHMB minimums; the table's own SDs
    bench(
        "default brief (ons_powder as shipped: 95 % on protein, leucine and CaHMB minimums)",
        sf.load_foods(),
        shipped.on_mean_values(),
        shipped,
        args.repeat,
    )
    sr28 = brief_from_dict(SR28_BRIEF, "sr28_chance")
    bench(
        "500-food table (SR28; probability 0.95 on every protein and leucine bound)",
        sr28_table(),
        sr28,
        sr28.with_changes(probability=0.95),
        args.repeat,
    )


if __name__ == "__main__":
    main()
