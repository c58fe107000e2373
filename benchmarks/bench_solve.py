"""Per-solve time of the default brief: sarcoform (CBC, HiGHS) against a naive PuLP loop.

The naive baseline is what a hand-written PuLP script does on every solve: build the
model row by row with `lpSum` over every ingredient (zeros included), solve it with
COIN_CMD and read the values back — nothing explained, nothing checked. sarcoform's
times include everything a user gets: compiling the brief, the tie-break, shadow prices,
the result tables and the independent verification.

Also times the whole `sarcoform solve` process on the defaults (target: under 1 s).

    ./dev bench bench_solve [--repeat N]
"""

from __future__ import annotations

import argparse
import math
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pulp

import sarcoform as sf
from sarcoform.solving.backends import solve_lp
from sarcoform.solving.compile import Compiled, compile_brief


def naive_solve(compiled: Compiled) -> float:
    """The brief as a PuLP model built row by row with lpSum, solved with COIN_CMD."""
    n = len(compiled.foods)
    prob = pulp.LpProblem("naive", pulp.LpMinimize)
    x = [
        prob.add_variable(
            f"x{j}",
            float(compiled.lp.col_lo[j]),
            None if math.isinf(compiled.lp.col_hi[j]) else float(compiled.lp.col_hi[j]),
        )
        for j in range(n)
    ]
    prob += pulp.lpSum([float(compiled.lp.c[j]) * x[j] for j in range(n)])
    for r in range(compiled.lp.shape[0]):
        row = pulp.lpSum([float(compiled.lp.A[r, j]) * x[j] for j in range(n)])
        lo, hi = float(compiled.lp.row_lo[r]), float(compiled.lp.row_hi[r])
        if lo == hi:
            prob += row == lo
        else:
            if math.isfinite(lo):
                prob += row >= lo
            if math.isfinite(hi):
                prob += row <= hi
    stats = prob.solve(pulp.COIN_CMD(msg=False))
    assert stats.status == pulp.LpSolveStatus.Optimal
    return float(sum(float(compiled.cost[j]) * (x[j].value() or 0.0) for j in range(n)))


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    fn()  # warm-up: imports, first HiGHS object, file caches
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def process_times(args: list[str], repeat: int) -> list[float]:
    exe = Path(sys.executable).with_name("sarcoform")
    out = []
    for _ in range(repeat + 1):
        t = time.perf_counter()
        subprocess.run([str(exe), *args], check=True, capture_output=True)
        out.append(time.perf_counter() - t)
    return out[1:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=40)
    args = parser.parse_args()
    foods, spec = sf.load_foods(), sf.load_spec()
    compiled = compile_brief(foods, spec)
    reference = sf.solve(foods, spec, solver="highs").cost_per_serving
    assert reference is not None
    assert abs(naive_solve(compiled) - reference) < 1e-6 * max(1.0, reference)

    rows = [
        (
            "naive: PuLP rebuilt with lpSum + COIN_CMD (baseline)",
            timed(lambda: naive_solve(compiled), args.repeat),
        ),
        (
            "sarcoform solve, CBC (full result)",
            timed(lambda: sf.solve(foods, spec, solver="cbc"), args.repeat),
        ),
        (
            "sarcoform solve, HiGHS (full result)",
            timed(lambda: sf.solve(foods, spec, solver="highs"), args.repeat),
        ),
        ("  of which: compile the brief", timed(lambda: compile_brief(foods, spec), args.repeat)),
        ("  of which: HiGHS on the compiled LP", timed(lambda: solve_lp(compiled.lp, "highs"), args.repeat)),
        ("  of which: CBC on the compiled LP", timed(lambda: solve_lp(compiled.lp, "cbc"), args.repeat)),
    ]
    base = statistics.median(rows[0][1])
    m, n = compiled.lp.shape
    print(f"default brief ({spec.name}): {n} ingredients, {m} LP rows, {args.repeat} solves each")
    print(f"{'':58s} {'median ms':>10s} {'mean ms':>9s} {'vs naive':>9s}")
    for label, times in rows:
        med = statistics.median(times)
        print(f"{label:58s} {med:10.2f} {statistics.mean(times):9.2f} {base / med:8.1f}x")

    print()
    for label, cli in (
        ("`sarcoform solve` whole process, CBC", ["solve"]),
        ("`sarcoform solve --solver highs` whole process", ["solve", "--solver", "highs"]),
        ("`sarcoform solve --json` whole process", ["solve", "--json"]),
    ):
        t = process_times(cli, 5)
        print(
            f"{label:58s} median {statistics.median(t):.3f} s "
            f"(min {min(t):.3f}, max {max(t):.3f}; target < 1 s)"
        )
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}, pulp {pulp.__version__}")


if __name__ == "__main__":
    main()
