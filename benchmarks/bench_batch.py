"""Batch solving: products × price scenarios, against the bare-HiGHS floor and a naive loop.

All on the same problems in one run: 12 products (3 presets × 4 variants) × 1,000 seeded
price scenarios on the embedded ingredient table = 12,000 solves, at three volatilities:
every known price moved by an independent uniform factor within ±5 %, ±10 % and ±30 %.

- project: `sf.solve_batch` in this process and its `.table` (each brief compiled once;
  scenarios proved optimal for a known basis by the basis library, the rest walked to
  their own bases by batched simplex steps in numpy and proved there, the few left HiGHS
  hot starts; every blend verified against the raw table; the table of rows, read from
  the items' columns: the table is timed, since items are built only when asked for).
  The items each path answered are counted from the answers themselves
  (`basis_library.PROVED`, `WALKED`).
- (b) floor: a bare highspy loop with hot starts from the previous scenario over the same
  matrices (cost and cost-cap coefficients updated, tie-break solve for max objectives;
  no table, no verification).
- (a) naive: per item, the brief compiled at that scenario's prices, a PuLP model built
  from it and solved with COIN_CMD (plus the tie-break solve for max objectives), timed
  on a sample spread over every product and extrapolated.

Targets (issue 13): project ≥ 3× faster than the floor at ±30 % and ≥ 10× at ±5 %, on one
process; ≥ 100× faster than the naive loop. The machine is shared: wall and CPU times
are both shown, each the median of `--repeat` runs; the ratios are taken within a run.

    ./dev bench bench_batch [--scenarios 1000] [--naive-sample 120] [--repeat 3]
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time

import numpy as np

import sarcoform as sf
from sarcoform.batch.entry import solve_batch
from sarcoform.batch.inputs import PriceScenarios, Product, ingredient_limit
from sarcoform.batch.planning import plan_batch
from sarcoform.solving.backends import load_highs, read_highs, solve_highs, solve_lp
from sarcoform.solving.basis_library import PROVED, WALKED
from sarcoform.solving.compile import compile_brief
from sarcoform.solving.engine import tie_break_cap, tie_break_lp
from sarcoform.solving.fastpath import PricedBrief, priced

SEED = 20261127


def products() -> list[Product]:
    """3 presets × 4 variants: serving as is, +10 %, +20 %, and no soy protein (the preset's
    own serving, read from the brief: the presets' servings change as they are revised, and
    the 60 g ONS briefs are tight: 10 % less cannot reach 25 g protein within 40 % of energy).
    Each brief on mean compositions: ons_powder's lot-to-lot rules (chance constraints) take
    cutting planes, the regular path, item by item; this benchmark times re-priced LPs."""
    out = []
    for preset in ("ons_powder", "ons_max_leucine", "milk_beverage_powder"):
        brief = sf.load_brief(preset).on_mean_values()
        serving = brief.serving.serving_g
        assert serving is not None, f"{preset}: a fixed serving is expected"
        for factor in (1.0, 1.1, 1.2):
            out.append(Product(f"{preset}@{serving * factor:g}g", brief, serving_g=serving * factor))
        out.append(Product(f"{preset}-no-soy", brief, ingredients=(ingredient_limit("spi", None, 0),)))
    return out


def scenarios(foods: sf.FoodTable, count: int, move: float) -> PriceScenarios:
    """Every known price times an independent uniform factor in [1 − move, 1 + move], seeded."""
    rng = np.random.default_rng(SEED)
    known = [
        (fid, float(p)) for fid, p in zip(foods.ids, foods.price_per_kg, strict=True) if not math.isnan(p)
    ]
    return PriceScenarios(
        {
            f"s{k:04d}": {fid: round(p * float(rng.uniform(1 - move, 1 + move)), 4) for fid, p in known}
            for k in range(count)
        }
    )


def naive(foods: sf.FoodTable, brief: sf.Brief, prices: np.ndarray) -> float | None:
    """PuLP model rebuilt from the brief at these prices and solved with COIN_CMD."""
    compiled = compile_brief(priced(foods, prices), brief)
    first = solve_lp(compiled.lp, "cbc")
    if first.status != "optimal" or first.objective is None:
        return None
    if brief.objective_kind == "min_cost":
        return first.objective
    second = solve_lp(tie_break_lp(compiled, first.objective), "cbc")
    return None if second.x is None else float(compiled.objective @ second.x)


def floor(foods: sf.FoodTable, brief: sf.Brief, prices: np.ndarray) -> list[float | None]:
    """A bare highspy loop over the same matrices, hot-starting from the previous solve."""
    priced = PricedBrief(foods, brief, ~np.isnan(prices[0]))  # compile and slopes, as the fast path
    lp = priced.compiled.lp
    h1 = load_highs(lp)
    two_stage = brief.objective_kind != "min_cost"
    h2 = load_highs(tie_break_lp(priced.compiled, math.inf))
    m = lp.shape[0]
    out: list[float | None] = []
    for p in prices:
        delta = np.where(priced.known, p - priced.p0, 0.0)
        rows = priced.a_rows + priced.d_rows * delta
        for h in (h1, h2) if two_stage else (h1,):
            for k, r in enumerate(priced.price_rows):
                for j in np.flatnonzero(priced.d_rows[k]):
                    h.changeCoeff(int(r), int(j), float(rows[k, j]))
        if priced.moves_c:
            h1.changeColsCost(len(p), priced.cols, lp.c + priced.dc * delta)
        h1.run()
        first = read_highs(h1, lp, 0.0)
        if first.status != "optimal" or first.x is None:
            out.append(None)
            continue
        if not two_stage:
            out.append(float(np.nan_to_num(p / 1000) @ first.x))
            continue
        assert first.objective is not None
        h2.changeColsCost(len(p), priced.cols, priced.compiled.cost + priced.dcost * delta)
        h2.changeRowBounds(m, -math.inf, tie_break_cap(first.objective))
        h2.run()
        x = np.array(h2.getSolution().col_value)
        out.append(float(priced.compiled.objective @ x))
    return out


class Clock:
    """Wall time and CPU time (this process and its children: CBC runs, pool workers).

    The machine is shared: wall time moves with the load of others, CPU time much less.
    """

    def __enter__(self) -> Clock:
        self.wall, self.cpu = time.perf_counter(), _cpu()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall, self.cpu = time.perf_counter() - self.wall, _cpu() - self.cpu


def _cpu() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def cold_value(foods: sf.FoodTable, brief: sf.Brief, prices: np.ndarray) -> float | None:
    """The objective of one item solved from scratch by HiGHS (the regular path's LPs)."""
    compiled = compile_brief(priced(foods, prices), brief)
    first = solve_highs(compiled.lp)
    if first.objective is None or first.x is None:
        return None
    if brief.objective_kind == "min_cost":
        return first.objective
    second = solve_highs(tie_break_lp(compiled, first.objective))
    return None if second.x is None else float(compiled.objective @ second.x)


def paths(result: sf.BatchResult) -> dict[str, int]:
    """How many items each path answered: a known basis proved optimal (every stage), or
    HiGHS (at least one stage), or no answer from the fast path at all."""
    out = {"proved by a known basis": 0, "proved after simplex steps": 0, "HiGHS hot start": 0, "other": 0}
    for item in result.items:
        if item.solved is None:
            out["other"] += 1
            continue
        first, final, _ = item.solved
        messages = {first.message, final.message}
        if messages <= {PROVED}:
            out["proved by a known basis"] += 1
        elif messages <= {PROVED, WALKED}:
            out["proved after simplex steps"] += 1
        else:
            out["HiGHS hot start"] += 1
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenarios", type=int, default=1000)
    parser.add_argument("--naive-sample", type=int, default=120)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--moves", type=float, nargs="+", default=[0.05, 0.10, 0.30])
    args = parser.parse_args()

    foods = sf.load_foods()
    items = products()
    print(
        f"{len(items)} products × {args.scenarios} price scenarios = {len(items) * args.scenarios:,} solves"
        f" per volatility on the embedded table ({len(foods)} ingredients); {os.cpu_count()} CPUs,"
        f" load average {os.getloadavg()[0]:.2f} at the start; medians of {args.repeat} run(s)"
    )
    # Warm-up: first-use imports (pandas, for the table) are no solve's work.
    solve_batch(foods, items, scenarios(foods, 2, 0.05)).table  # noqa: B018
    floors: dict[float, float] = {}  # move → the floor's median wall time
    for move in args.moves:
        table = scenarios(foods, args.scenarios, move)
        plan = plan_batch(foods, items, table)
        total = len(plan.products) * len(plan.scenarios)
        runs: dict[str, list[Clock]] = {"project": [], "floor": [], "naive": []}
        fast: sf.BatchResult | None = None
        floor_values: list[float | None] = []
        rng = np.random.default_rng(SEED)
        sample = rng.choice(total, size=min(args.naive_sample, total), replace=False)
        worst_naive = 0.0
        for _ in range(args.repeat):
            with Clock() as fast_t:
                fast = solve_batch(foods, items, table)
                fast.table  # noqa: B018 (the table is the answer: items are columns, read here)
            runs["project"].append(fast_t)
            floor_values = []
            with Clock() as floor_t:
                for info in plan.products:
                    floor_values += floor(foods, info.brief, plan.prices)
            runs["floor"].append(floor_t)
            fast_values = fast.table["objective_value"].to_numpy()
            with Clock() as naive_t:
                for flat in sample:
                    p, s_ = divmod(int(flat), len(plan.scenarios))
                    value = naive(foods, plan.products[p].brief, plan.prices[s_])
                    mine = fast_values[flat]
                    if value is not None and not math.isnan(mine):
                        worst_naive = max(worst_naive, abs(value - mine) / max(1e-12, abs(value)))
            naive_t.wall *= total / len(sample)
            naive_t.cpu *= total / len(sample)
            runs["naive"].append(naive_t)
        assert fast is not None
        print()
        print(f"±{move:.0%} price moves (uniform, independent per ingredient)")
        print(f"{'':34s} {'wall s':>8s} {'ms/solve':>9s} {'CPU s':>8s} {'ms/solve':>9s}")
        med = {k: (_median([c.wall for c in v]), _median([c.cpu for c in v])) for k, v in runs.items()}
        labels = {
            "project": "project (solve_batch + table, 1 process)",
            "floor": "(b) floor: bare HiGHS hot starts",
            "naive": f"(a) naive PuLP+CBC ({len(sample)} timed)",
        }
        for key, label in labels.items():
            wall, cpu = med[key]
            print(f"{label:34s} {wall:8.2f} {wall / total * 1e3:9.3f} {cpu:8.2f} {cpu / total * 1e3:9.3f}")
        floors[move] = med["floor"][0]
        counted = paths(fast)
        print("  project items by path: " + ", ".join(f"{k} {v:,}" for k, v in counted.items()))
        print(f"  statuses: {fast.counts}")
        for label, key in (("floor (b)", "floor"), ("naive (a)", "naive")):
            wall_ratios = [r.wall / f.wall for r, f in zip(runs[key], runs["project"], strict=True)]
            cpu_ratios = [r.cpu / f.cpu for r, f in zip(runs[key], runs["project"], strict=True)]
            print(
                f"  project vs {label}: {_median(wall_ratios):6.1f}× faster by wall time,"
                f" {_median(cpu_ratios):6.1f}× by CPU"
            )
        got = np.array([math.nan if v is None else v for v in floor_values])
        mine = fast.table["objective_value"].to_numpy()
        gaps = np.abs(mine - got) / np.maximum(1e-12, np.abs(got))
        worst = int(np.nanargmax(gaps))
        print(
            f"  agreement of objective values: project vs naive (CBC) max rel diff {worst_naive:.1e};"
            f" vs floor {gaps[worst]:.1e}"
        )
        if gaps[worst] > 1e-9:
            p, s_ = divmod(worst, len(plan.scenarios))
            cold = cold_value(foods, plan.products[p].brief, plan.prices[s_])
            print(
                f"    largest gap at {plan.products[p].name} × {plan.scenarios[s_]}: cold HiGHS {cold:.10g},"
                f" project {mine[worst]:.10g}, floor {got[worst]:.10g}"
            )
    # The work every item costs whatever the prices: planning, compiling, the table, the
    # checks, the result objects. With no price move every scenario is proved by the base
    # basis (no walk, no HiGHS run), so this is the least the project can take.
    still = scenarios(foods, args.scenarios, 0.0)
    runs_still = []
    for _ in range(args.repeat):
        with Clock() as still_t:
            at_base = solve_batch(foods, items, still)
            at_base.table  # noqa: B018
        runs_still.append(still_t)
    wall, cpu = _median([c.wall for c in runs_still]), _median([c.cpu for c in runs_still])
    print()
    print(
        f"no price move (every scenario proved by the base basis, no walk, no HiGHS run): {wall:.2f} s wall,"
        f" {cpu:.2f} s CPU; {paths(at_base)['proved by a known basis']:,} proved by a known basis"
    )
    for move, floor_wall in floors.items():
        print(f"  the floor at ±{move:.0%} is {floor_wall / wall:.1f}× this: at most that much faster")
    print(
        "targets: project ≥ 3× the floor at ±30 %, ≥ 10× at ±5 %; ≥ 100× the naive loop"
        f"; python {sys.version.split()[0]}, numpy {np.__version__}"
    )


def _median(values: list[float]) -> float:
    return float(np.median(values))


if __name__ == "__main__":
    main()
