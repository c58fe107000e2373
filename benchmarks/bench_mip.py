"""Practical formulas (mixed-integer): at most 6 ingredients from the 5,156-food SR28 extract.

SR28 has no prices, so the objective is a nutrient one: the most leucine in a 100 g
serving, from at most 6 foods with at least 1 g of each food used, under a protein and
energy brief written in SR28's own columns (energy, protein, fat, carbohydrate,
calcium, eight essential amino acids). The amino-acid floors are set so that the LP
optimum needs 8 foods: the limit of 6 really binds.

Baseline, measured in the same run: the LP relaxation (the same brief without the
practical rules). Each solver then runs the MIP to optimality (or --time-limit), and
once more with a short limit (--short) to show an early stop and its gap.

    ./dev bench bench_mip [--time-limit 300] [--short 5] [--solvers cbc,highs]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import sarcoform as sf
from sarcoform.io.brief_toml import parse_brief_toml

DATA = Path(__file__).resolve().parents[1] / "foods" / "sr28.csv.gz"  # shipped with the repository

BRIEF = """
name = "sr28_max_leucine_6"
title = "Most leucine in 100 g from at most 6 SR28 foods, each at least 1 g"
objective = "max:leucine"
blank_values = "exclude"   # SR28 leaves some amino acids blank: those foods sit out
max_ingredients = 6
min_inclusion_g = 1.0

[serving]
serving_g = 100

[[nutrient]]
name = "energy_kcal"
min = 380
max = 420

[[nutrient]]
name = "protein"
min = 15
max = 22

[[nutrient]]
name = "fat"
min = 10
max = 16

[[nutrient]]
name = "carbohydrate"
min = 45

[[nutrient]]
name = "calcium"
min = 500
max = 800

[[nutrient]]
name = "lysine"
min = 1.3

[[nutrient]]
name = "met_cys"
min = 1.2

[[nutrient]]
name = "tryptophan"
min = 0.30

[[nutrient]]
name = "threonine"
min = 1.2

[[nutrient]]
name = "isoleucine"
min = 1.3

[[nutrient]]
name = "valine"
min = 1.05

[[nutrient]]
name = "histidine"
min = 0.7

[[nutrient]]
name = "phe_tyr"
min = 1.5
"""


def run(foods: sf.FoodTable, brief: sf.Brief, solver: str, limit: float | None) -> tuple[sf.Result, float]:
    started = time.perf_counter()
    result = sf.solve(foods, brief, solver=solver, time_limit=limit)
    return result, time.perf_counter() - started


def describe(result: sf.Result) -> str:
    value = "–" if result.objective_value is None else f"{result.objective_value:.6f} g leucine"
    gap = "" if result.gap is None else f", gap {result.gap:.2%}"
    check = (
        "" if result.verification is None else (", verified" if result.verification.ok else ", NOT VERIFIED")
    )
    return f"{result.status:10s} {value}{gap}, {len(result.blend_lines)} foods{check}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=300.0, help="seconds for the full runs")
    parser.add_argument("--short", type=float, default=12.0, help="seconds for the early-stop runs")
    parser.add_argument("--solvers", default="cbc,highs")
    args = parser.parse_args()
    started = time.perf_counter()
    foods = sf.load_foods(DATA)
    print(f"{len(foods)} foods loaded in {time.perf_counter() - started:.2f} s from {DATA.name}")
    brief = parse_brief_toml(BRIEF, "bench_mip brief")
    relaxed = brief.with_changes(max_ingredients=None, min_inclusion_g=None)
    lp, lp_seconds = run(foods, relaxed, "highs", None)
    print(f"baseline LP relaxation (HiGHS): {lp_seconds:.2f} s, {describe(lp)}")
    rows = []
    for solver in args.solvers.split(","):
        for limit in (args.time_limit, args.short):
            result, seconds = run(foods, brief, solver, limit)
            rows.append((solver, limit, result, seconds))
            print(
                f"{solver:5s} limit {limit:6.1f} s: {seconds:7.2f} s ({seconds / lp_seconds:6.1f}× the LP)  "
                f"{describe(result)}"
            )
            if limit == args.time_limit and result.blend_lines:
                blend = ", ".join(f"{b.id} {b.grams:.2f} g" for b in result.blend_lines)
                print(f"      blend: {blend}")
    full = [r for _, limit, r, _ in rows if limit == args.time_limit and r.status == "optimal"]
    if len(full) > 1:
        values = [r.objective_value or 0.0 for r in full]
        print(f"solvers agree on the optimum: {max(values) - min(values) < 1e-6 * max(1.0, abs(values[0]))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
