"""Where one `sf.solve` of the default brief (HiGHS, full result) spends its time, by phase.

Each phase is a function the solve calls, timed around every call (a phase called several
times is summed per solve). Reported: per phase, the median over the fastest tenth of the
solves (at least 10) — the machine's load falls on the slow ones — and what is left over.
Complements bench_solve, which times whole solves against the naive PuLP baseline.

    ./dev bench bench_phases [--solves N] [--solver highs|cbc] [--clock wall|cpu]

`--clock cpu` counts this thread's CPU time instead of wall time: steadier on a shared
machine, but it leaves out waiting (a CBC run is another process: use wall for CBC).
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import sarcoform as sf
from sarcoform.solving import engine, practical, sensitivity, shelf_life

# (module, function, phase): the calls engine.solve_compiled and build_result make.
PHASES: list[tuple[Any, str, str]] = [
    (engine, "compile_brief", "compile the brief"),
    (practical, "solve", "solver: load, run, read"),
    (engine, "_constraint_line", "constraint lines"),
    (engine, "verify", "verification (independent)"),
    (engine, "recheck", "recheck (chance, worst lot, end of shelf life)"),
    (sensitivity, "_bound_ranges", "ranges: shadow-price ranges"),
    (sensitivity, "_price_ranges", "ranges: price ranges, entry prices"),
    (sensitivity, "attach", "ranges: the rest (basis, ranging, lines)"),
    (engine, "_blend_lines", "blend lines"),
    (engine, "_nutrient_lines", "nutrient lines"),
    (engine, "_ingredient_lines", "ingredient lines"),
    (shelf_life, "processed", "processing"),
    (shelf_life, "report", "shelf-life report"),
]
RANGES = ("ranges: shadow-price ranges", "ranges: price ranges, entry prices")
NESTED = {"ranges: the rest (basis, ranging, lines)": RANGES}  # attach calls both


def _timed(
    fn: Callable[..., Any], phase: str, spent: dict[str, float], clock: Callable[[], float]
) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        started = clock()
        try:
            return fn(*args, **kwargs)
        finally:
            spent[phase] += clock() - started

    return call


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--solves", type=int, default=200)
    parser.add_argument("--solver", choices=("highs", "cbc"), default="highs")
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall")
    args = parser.parse_args()
    clock = time.perf_counter if args.clock == "wall" else time.thread_time
    foods, shipped = sf.load_foods(), sf.load_brief()
    brief = shipped.on_mean_values() if shipped.asks_probability else shipped  # as bench_solve
    spent: dict[str, float] = defaultdict(float)
    for module, name, phase in PHASES:
        setattr(module, name, _timed(getattr(module, name), phase, spent, clock))
    rows: list[tuple[float, dict[str, float]]] = []
    for k in range(args.solves + 10):
        spent.clear()
        gc.collect()
        started = clock()
        sf.solve(foods, brief, solver=args.solver)
        total = clock() - started
        if k >= 10:  # warm-up
            rows.append((total, dict(spent)))
    rows.sort(key=lambda row: row[0])
    fastest = rows[: max(10, len(rows) // 10)]

    def ms(values: list[float]) -> float:
        return 1000 * statistics.median(values)

    def own(phase: str, row: dict[str, float]) -> float:
        return row.get(phase, 0.0) - sum(row.get(inner, 0.0) for inner in NESTED.get(phase, ()))

    print(
        f"sf.solve, default brief ({brief.name}), {args.solver}, full result: median of the"
        f" {len(fastest)} fastest of {len(rows)} solves, ms ({args.clock} time)"
    )
    total = ms([t for t, _ in fastest])
    for _module, _name, phase in PHASES:
        value = ms([own(phase, row) for _t, row in fastest])
        print(f"  {phase:48s} {value:6.2f}  {value / total:4.0%}")
    rest = ms([t - sum(own(p, row) for *_, p in PHASES) for t, row in fastest])
    print(f"  {'the rest (result, notes, checks of arguments)':48s} {rest:6.2f}  {rest / total:4.0%}")
    print(f"  {'whole solve':48s} {total:6.2f}")


if __name__ == "__main__":
    main()
