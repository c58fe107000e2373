"""Batch solving: products × price scenarios, against a naive loop and the bare-HiGHS floor.

All on the same problems in one run (12 products — 3 presets × 4 variants — × 1,000
seeded price scenarios on the embedded ingredient table = 12,000 solves):

- fast path: `sf.solve_batch` (each brief compiled once, HiGHS hot starts, table rows
  with the independent verification of every blend), in this process and with 2 workers;
- (a) naive: per item, the brief compiled at that scenario's prices, a PuLP model built
  from it and solved with COIN_CMD (plus the tie-break solve for max objectives). It is
  timed on a sample spread over every product and extrapolated, as the output says;
  `sf.solve` per item (which also builds the full Result with sensitivity) on a
  smaller sample, for context;
- (b) floor: a bare highspy loop with hot starts over the same matrices (cost and
  cost-cap coefficients updated, tie-break solve for max objectives; no result rows,
  no verification).

Targets: fast path ≥ 30× faster than (a) and within 3× of (b).

    ./dev bench bench_batch [--scenarios 1000] [--naive-sample 240]
    ./dev bench bench_batch --naive-sample 12000    # the naive loop over every item (~6 min)
"""

from __future__ import annotations

import argparse
import math
import os
import time

import numpy as np

import sarcoform as sf
from sarcoform.batch.entry import solve_batch
from sarcoform.batch.inputs import PriceScenarios, Product, ingredient_limit
from sarcoform.batch.planning import plan_batch
from sarcoform.solving.backends import load_highs, read_highs, solve_highs, solve_lp
from sarcoform.solving.compile import compile_brief
from sarcoform.solving.engine import tie_break_cap, tie_break_lp
from sarcoform.solving.fastpath import PricedBrief, priced

SEED = 20261127


def products() -> list[Product]:
    """3 presets × 4 variants: serving −10 %, as is, +10 %, and no soy protein."""
    out = []
    for preset, serving in (("ons_powder", 50.0), ("ons_max_leucine", 50.0), ("milk_beverage_powder", 30.0)):
        for factor in (0.9, 1.0, 1.1):
            out.append(Product(f"{preset}@{serving * factor:g}g", preset, serving_g=serving * factor))
        out.append(Product(f"{preset}-no-soy", preset, ingredients=(ingredient_limit("spi", None, 0),)))
    return out


def scenarios(foods: sf.FoodTable, count: int) -> PriceScenarios:
    """Every known price times a log-normal factor (σ = 0.1), seeded."""
    rng = np.random.default_rng(SEED)
    known = [
        (fid, float(p)) for fid, p in zip(foods.ids, foods.price_per_kg, strict=True) if not math.isnan(p)
    ]
    return PriceScenarios(
        {
            f"s{k:04d}": {fid: round(p * float(np.exp(rng.normal(0, 0.1))), 4) for fid, p in known}
            for k in range(count)
        }
    )


def naive(foods: sf.FoodTable, spec: sf.ConstraintSet, prices: np.ndarray) -> float | None:
    """PuLP model rebuilt from the brief at these prices and solved with COIN_CMD."""
    compiled = compile_brief(priced(foods, prices), spec)
    first = solve_lp(compiled.lp, "cbc")
    if first.status != "optimal" or first.objective is None:
        return None
    if spec.objective_kind == "min_cost":
        return first.objective
    second = solve_lp(tie_break_lp(compiled, first.objective), "cbc")
    return None if second.x is None else float(compiled.objective @ second.x)


def floor(foods: sf.FoodTable, spec: sf.ConstraintSet, prices: np.ndarray) -> list[float | None]:
    """A bare highspy loop over the same matrices, hot-starting from the previous solve."""
    brief = PricedBrief(foods, spec, ~np.isnan(prices[0]))  # compile and slopes, as the fast path
    lp = brief.compiled.lp
    h1 = load_highs(lp)
    two_stage = spec.objective_kind != "min_cost"
    h2 = load_highs(tie_break_lp(brief.compiled, math.inf))
    m = lp.shape[0]
    out: list[float | None] = []
    for p in prices:
        delta = np.where(brief.known, p - brief.p0, 0.0)
        rows = brief.a_rows + brief.d_rows * delta
        for h in (h1, h2) if two_stage else (h1,):
            for k, r in enumerate(brief.price_rows):
                for j in np.flatnonzero(brief.d_rows[k]):
                    h.changeCoeff(int(r), int(j), float(rows[k, j]))
        if brief.moves_c:
            h1.changeColsCost(len(p), brief.cols, lp.c + brief.dc * delta)
        h1.run()
        first = read_highs(h1, lp, 0.0)
        if first.status != "optimal" or first.x is None:
            out.append(None)
            continue
        if not two_stage:
            out.append(float(np.nan_to_num(p / 1000) @ first.x))
            continue
        assert first.objective is not None
        h2.changeColsCost(len(p), brief.cols, brief.compiled.cost + brief.dcost * delta)
        h2.changeRowBounds(m, -math.inf, tie_break_cap(first.objective))
        h2.run()
        x = np.array(h2.getSolution().col_value)
        out.append(float(brief.compiled.objective @ x))
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


def cold_value(foods: sf.FoodTable, spec: sf.ConstraintSet, prices: np.ndarray) -> float | None:
    """The objective of one item solved from scratch by HiGHS (the regular path's LPs)."""
    compiled = compile_brief(priced(foods, prices), spec)
    first = solve_highs(compiled.lp)
    if first.objective is None or first.x is None:
        return None
    if spec.objective_kind == "min_cost":
        return first.objective
    second = solve_highs(tie_break_lp(compiled, first.objective))
    return None if second.x is None else float(compiled.objective @ second.x)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenarios", type=int, default=1000)
    parser.add_argument("--naive-sample", type=int, default=240)
    parser.add_argument("--solve-sample", type=int, default=36)
    args = parser.parse_args()

    foods = sf.load_foods()
    items = products()
    table = scenarios(foods, args.scenarios)
    plan = plan_batch(foods, items, table)
    total = len(plan.products) * len(plan.scenarios)
    print(
        f"problems: {len(items)} products × {len(table)} price scenarios = {total:,} solves"
        f" on the embedded table ({len(foods)} ingredients); {os.cpu_count()} CPUs,"
        f" load average {os.getloadavg()[0]:.2f} at the start"
    )
    print(f"{'':22s} {'wall s':>9s} {'ms/solve':>9s} {'CPU s':>9s} {'ms/solve':>9s}")

    def show(label: str, clock: Clock, scale: float = 1.0, note: str = "") -> None:
        wall, cpu = clock.wall * scale, clock.cpu * scale
        print(
            f"{label:22s} {wall:9.2f} {wall / total * 1e3:9.3f} {cpu:9.2f} {cpu / total * 1e3:9.3f}  {note}"
        )

    with Clock() as fast_t:
        fast = solve_batch(foods, items, table)
    show("fast path, 1 process", fast_t, note=str(fast.counts))
    with Clock() as fast2_t:
        fast2 = solve_batch(foods, items, table, workers=2)
    assert fast.table["objective_value"].equals(fast2.table["objective_value"])
    show("fast path, 2 workers", fast2_t)

    floor_values: list[float | None] = []
    with Clock() as floor_t:
        for info in plan.products:
            floor_values += floor(foods, info.spec, plan.prices)
    show("(b) floor, bare HiGHS", floor_t)

    fast_values = fast.table["objective_value"].to_numpy()
    got = np.array([math.nan if v is None else v for v in floor_values])
    gaps = np.abs(fast_values - got) / np.maximum(1e-12, np.abs(got))
    worst = int(np.nanargmax(gaps))

    # (a) naive: a sample spread over every product and scenario, extrapolated to the whole.
    rng = np.random.default_rng(SEED)
    sample = rng.choice(total, size=min(args.naive_sample, total), replace=False)
    worst_naive = 0.0
    with Clock() as naive_t:
        for flat in sample:
            p, s = divmod(int(flat), len(plan.scenarios))
            value = naive(foods, plan.products[p].spec, plan.prices[s])
            mine = fast_values[flat]
            if value is not None and not math.isnan(mine):
                worst_naive = max(worst_naive, abs(value - mine) / max(1e-12, abs(value)))
    show(
        "(a) naive PuLP + CBC",
        naive_t,
        scale=total / len(sample),
        note=(
            f"all {total:,} items"
            if len(sample) == total
            else f"timed on {len(sample)} items, extrapolated to {total:,}"
        ),
    )
    few = sample[: args.solve_sample]
    with Clock() as solve_t:
        for flat in few:
            p, s = divmod(int(flat), len(plan.scenarios))
            sf.solve(priced(foods, plan.prices[s]), plan.products[p].spec)
    show(
        "    sf.solve per item",
        solve_t,
        scale=total / len(few),
        note=f"full Result each; timed on {len(few)} items, extrapolated",
    )

    print()
    print(
        f"agreement of objective values: fast vs naive (CBC) max rel diff {worst_naive:.1e};"
        f" fast vs floor {gaps[worst]:.1e}"
    )
    if gaps[worst] > 1e-9:
        p, s = divmod(worst, len(plan.scenarios))
        cold = cold_value(foods, plan.products[p].spec, plan.prices[s])
        print(
            f"  largest gap at {plan.products[p].name} × {plan.scenarios[s]}: cold HiGHS {cold:.10g},"
            f" fast {fast_values[worst]:.10g}, floor {got[worst]:.10g}"
        )
    naive_wall, naive_cpu = naive_t.wall * total / len(sample), naive_t.cpu * total / len(sample)
    for label, clock in (("1 process", fast_t), ("2 workers", fast2_t)):
        print(
            f"fast path, {label}: {naive_wall / clock.wall:5.1f}× faster than (a) by wall time,"
            f" {naive_cpu / clock.cpu:5.1f}× by CPU (target ≥ 30×);"
            f" {clock.wall / floor_t.wall:4.2f}× the floor's wall time,"
            f" {clock.cpu / floor_t.cpu:4.2f}× its CPU (target ≤ 3×)"
        )


if __name__ == "__main__":
    main()
