"""Per-solve time of the default brief: sarcoform (CBC, HiGHS) against a naive PuLP loop.

The naive baselines are what a hand-written PuLP script does on every solve: build the
model row by row with `lpSum` over every ingredient (zeros included), solve it (with
COIN_CMD, or with HiGHS through `pulp.HiGHS`) and read the values back — nothing
explained, nothing checked. sarcoform's times include everything a user gets: compiling
the brief, the tie-break, shadow prices, sensitivity ranges, the result tables and the
independent verification. Target (issue 13): `sf.solve` with HiGHS no slower than the
naive PuLP + HiGHS solve. The functions are timed round-robin (one call of each per
round), so a change in the machine's load falls on all of them alike.

Also times the whole `sarcoform solve` process on the defaults (target: under 0.5 s),
against a plain `python -c "import pandas, pulp"` in the same run; issue 12's briefs built
from the default (chance constraints at p = 0.95, an 18-month shelf life) against the plain
default, with their iteration counts; and the 5,156-food USDA SR28 extract
(`foods/sr28.csv.gz`): an LP brief and a 6-ingredient MIP.

    ./dev bench bench_solve [--repeat N] [--mip-limit S] [--no-sr28]
"""

from __future__ import annotations

import argparse
import gc
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


def naive_solve(compiled: Compiled, solver: str = "cbc") -> float:
    """The brief as a PuLP model built row by row with lpSum, solved with COIN_CMD or HiGHS."""
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
    stats = prob.solve(pulp.COIN_CMD(msg=False) if solver == "cbc" else pulp.HiGHS(msg=False))
    assert stats.status == pulp.LpSolveStatus.Optimal
    return float(sum(float(compiled.cost[j]) * (x[j].value() or 0.0) for j in range(n)))


def timed(fns: list[Callable[[], object]], repeat: int) -> list[list[float]]:
    """ms per call of each function, timed round-robin after one warm-up call each. The
    garbage of one call is collected before the next is timed, so that no call pays for
    another's (PuLP leaves many objects behind)."""
    for fn in fns:
        fn()  # warm-up: imports, first HiGHS object, file caches
    out: list[list[float]] = [[] for _ in fns]
    for _ in range(repeat):
        for k, fn in enumerate(fns):
            gc.collect()
            t = time.perf_counter()
            fn()
            out[k].append((time.perf_counter() - t) * 1000)
    return out


def process_times(commands: list[list[str]], repeat: int) -> list[list[float]]:
    """Wall seconds of each whole process, round-robin, after one warm-up run each."""
    out: list[list[float]] = [[] for _ in commands]
    for k in range(repeat + 1):
        for q, command in enumerate(commands):
            t = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True)
            if k:
                out[q].append(time.perf_counter() - t)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--process-repeat", type=int, default=7)
    parser.add_argument("--mip-limit", type=float, default=120.0, help="seconds for the SR28 MIP")
    parser.add_argument("--no-sr28", action="store_true")
    args = parser.parse_args()
    foods, shipped = sf.load_foods(), sf.load_brief()
    # The naive loop solves one LP: it is compared on the default brief's mean values (its
    # chance constraints as plain bounds); the brief as shipped is timed on its own below.
    brief = shipped.on_mean_values() if shipped.asks_probability else shipped
    compiled = compile_brief(foods, brief)
    reference = sf.solve(foods, brief, solver="highs").cost_per_serving
    assert reference is not None
    for solver in ("cbc", "highs"):
        assert abs(naive_solve(compiled, solver) - reference) < 1e-6 * max(1.0, reference)

    # Two round-robins: the in-process HiGHS solves, then the CBC ones (a CBC run is a
    # subprocess, and the wait for it would fall on whichever in-process call comes next).
    in_process: list[tuple[str, Callable[[], object]]] = [
        ("naive: PuLP rebuilt with lpSum + HiGHS (baseline)", lambda: naive_solve(compiled, "highs")),
        ("sarcoform solve, HiGHS (full result)", lambda: sf.solve(foods, brief, solver="highs")),
        (
            "  HiGHS without ranges (sensitivity=False)",
            lambda: sf.solve(foods, brief, solver="highs", sensitivity=False),
        ),
        ("  of which: compile the brief", lambda: compile_brief(foods, brief)),
        ("  of which: HiGHS on the compiled LP", lambda: solve_lp(compiled.lp, "highs")),
    ]
    with_cbc: list[tuple[str, Callable[[], object]]] = [
        ("naive: PuLP rebuilt with lpSum + COIN_CMD", lambda: naive_solve(compiled, "cbc")),
        ("sarcoform solve, CBC (full result)", lambda: sf.solve(foods, brief, solver="cbc")),
        ("  of which: CBC on the compiled LP", lambda: solve_lp(compiled.lp, "cbc")),
    ]
    if shipped != brief:
        in_process.append(
            (
                "as shipped (95 % of lots, Monte Carlo), HiGHS",
                lambda: sf.solve(foods, shipped, solver="highs"),
            )
        )
        with_cbc.append(
            ("as shipped (95 % of lots, Monte Carlo), CBC", lambda: sf.solve(foods, shipped, solver="cbc"))
        )
    first = timed([fn for _, fn in in_process], args.repeat)
    times = first + timed([fn for _, fn in with_cbc], args.repeat)
    rows = in_process + with_cbc
    base = statistics.median(times[0])
    m, n = compiled.lp.shape
    print(
        f"default brief ({brief.name}): {n} ingredients, {m} LP rows, {args.repeat} solves each, round-robin"
    )
    if shipped != brief:
        print("(on its mean values; the lines 'as shipped' add its chance constraints; shelf life in both)")
    print(f"{'':58s} {'median ms':>10s} {'mean ms':>9s} {'naive/this':>10s}")
    for (label, _), t in zip(rows, times, strict=True):
        med = statistics.median(t)
        print(f"{label:58s} {med:10.2f} {statistics.mean(t):9.2f} {base / med:9.2f}x")
    paired = [n / f for n, f in zip(times[0], times[1], strict=True)]
    print(
        f"sf.solve (HiGHS, full result) vs naive PuLP + HiGHS, round by round: median ratio"
        f" {statistics.median(paired):.2f}x (≥ 1: sf.solve is no slower; target ≥ 1)"
    )

    print()
    exe = str(Path(sys.executable).with_name("sarcoform"))
    commands = [
        ('`python -c "import pandas, pulp"` (baseline)', [sys.executable, "-c", "import pandas, pulp"]),
        ("`sarcoform solve` whole process, CBC (default)", [exe, "solve"]),
        ("`sarcoform solve --solver highs` whole process", [exe, "solve", "--solver", "highs"]),
        ("`sarcoform solve --json` whole process", [exe, "solve", "--json"]),
    ]
    spans = process_times([c for _, c in commands], args.process_repeat)
    floor = statistics.median(spans[0])
    for (label, _), t in zip(commands, spans, strict=True):
        print(
            f"{label:58s} median {statistics.median(t):.3f} s (min {min(t):.3f}, max {max(t):.3f});"
            f" {statistics.median(t) / floor:4.2f}× the import baseline"
        )
    print("target: `sarcoform solve` under 0.5 s (wall, on an idle machine)")
    print()
    production_briefs(foods, brief, args.repeat)
    if not args.no_sr28:
        print()
        sr28(args.mip_limit)
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}, pulp {pulp.__version__}")


def chance_brief(brief: sf.Brief) -> sf.Brief:
    """The brief with its leucine and protein bounds held at probability 0.95 (issue 12's
    chance constraints, over the embedded table's `_sd` columns; per_100kj has no chance
    form, and a global `probability` would also hold the CaHMB equality, which no varying
    lot meets). No Monte Carlo: that is bench_chance's."""
    nutrients = [
        n.model_dump(exclude_none=True)
        | ({"probability": 0.95} if n.name in CHANCE_ON and n.basis != "per_100kj" else {})
        for n in brief.nutrients
    ]
    return brief.with_changes(nutrients=nutrients, variability={"lots": 0})


CHANCE_ON = ("leucine", "protein")
# Vitamin D3 in a powder over 18 months: 0.80 left (README, shelf-life sources: [E] cautious end).
SHELF_LIFE = {"months": 18, "retention": {"vitamin_d_ug": 0.80}}


def simplex_iterations(compiled: Compiled) -> int:
    """HiGHS's simplex iterations on the compiled LP, from scratch."""
    from sarcoform.solving.backends import load_highs

    h = load_highs(compiled.lp)
    h.run()
    return int(h.getInfo().simplex_iteration_count)


def production_briefs(foods: sf.FoodTable, default: sf.Brief, repeat: int) -> None:
    """Issue 12's briefs, built here from the default (independent of the presets): chance
    constraints and shelf life, each against the plain default solve in the same run."""
    from sarcoform.solving import chance

    briefs = [
        ("default brief (the plain LP, baseline)", default),
        ("chance-constrained: leucine, protein at p = 0.95", chance_brief(default)),
        ("shelf life: 18 months, vitamin D retention 0.80", default.with_changes(shelf_life=SHELF_LIFE)),
    ]
    what: list[str] = []
    for _label, brief in briefs:
        compiled = compile_brief(foods, brief)
        out = sf.solve(foods, brief, solver="highs")
        assert out.ok, (out.status, out.notes)
        if chance.has_chance(compiled):
            outer = chance.outer_approximation(compiled, "highs", None)
            what.append(f"{outer.rounds} LP solves, {outer.cuts} cuts")
        else:
            what.append(f"{simplex_iterations(compiled)} simplex iterations")
    fns: list[Callable[[], object]] = []
    for _label, brief in briefs:
        fns += [
            lambda b=brief: sf.solve(foods, b, solver="highs"),  # type: ignore[misc]
            lambda b=brief: sf.solve(foods, b, solver="cbc"),  # type: ignore[misc]
        ]
    rounds = max(3, repeat // 4)
    times = timed(fns, rounds)
    base = statistics.median(times[0])
    print(f"issue 12 briefs on the default table, {rounds} solves each, round-robin (full result)")
    print(f"{'':58s} {'HiGHS ms':>9s} {'CBC ms':>8s} {'HiGHS vs plain':>14s}  iterations (HiGHS)")
    for k, (label, _brief) in enumerate(briefs):
        highs, cbc = statistics.median(times[2 * k]), statistics.median(times[2 * k + 1])
        print(f"{label:58s} {highs:9.2f} {cbc:8.2f} {highs / base:13.2f}x  {what[k]}")


def sr28(mip_limit: float) -> None:
    """The 5,156-food SR28 extract: the bench_mip brief as an LP (practical rules off), then
    as the 6-ingredient MIP (HiGHS, within `mip_limit`)."""
    from bench_mip import BRIEF
    from sarcoform.io.brief_toml import parse_brief_toml

    started = time.perf_counter()
    foods = sf.load_foods("sr28")
    loaded = time.perf_counter() - started
    brief = parse_brief_toml(BRIEF, "bench_mip brief")
    relaxed = brief.with_changes(max_ingredients=None, min_inclusion_g=None)
    compiled = compile_brief(foods, relaxed)
    m, _n = compiled.lp.shape
    print(f"SR28 ({len(foods):,} foods, loaded in {loaded:.2f} s): most leucine in 100 g, {m} LP rows")
    cases: list[tuple[str, Callable[[], sf.Result]]] = [
        ("LP, HiGHS (full result)", lambda: sf.solve(foods, relaxed, solver="highs")),
        ("LP, HiGHS without ranges", lambda: sf.solve(foods, relaxed, solver="highs", sensitivity=False)),
        ("LP, CBC (full result)", lambda: sf.solve(foods, relaxed, solver="cbc")),
        ("  of which: compile the brief", lambda: compile_brief(foods, relaxed)),  # type: ignore[arg-type,return-value]
        ("  of which: HiGHS on the compiled LP", lambda: solve_lp(compiled.lp, "highs")),  # type: ignore[arg-type,return-value]
        (
            f"MIP ≤ 6 foods, ≥ 1 g each, HiGHS (limit {mip_limit:g} s)",
            lambda: sf.solve(foods, brief, solver="highs", time_limit=mip_limit),
        ),
    ]
    for label, fn in cases:
        started = time.perf_counter()
        out = fn()
        seconds = time.perf_counter() - started
        what = ""
        if isinstance(out, sf.Result):
            gap = "" if out.gap is None else f", gap {out.gap:.2%}"
            value = "–" if out.objective_value is None else f"{out.objective_value:.6f} g leucine"
            ok = out.verification is not None and out.verification.ok
            checked = "verified" if ok else "NOT verified"
            what = f"{out.status}, {value}{gap}, {len(out.blend_lines)} foods, {checked}"
        print(f"{label:58s} {seconds:8.2f} s  {what}")


if __name__ == "__main__":
    main()
