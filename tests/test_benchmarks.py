"""The benchmarks still run: each one, at a tiny size, in its own process, to the end.

Their figures are not checked here (speed is measured, not asserted); what is checked is
that a change elsewhere has not broken them (bench_chance once failed for a whole session
after the default brief changed; bench_read_workbook's generated table failed the reader's
plausibility checks, added after it) and that each prints the lines its readers look for.
bench_solve (processes timed) and bench_mip (minutes of MIP) are left out."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

RUNS = {
    "bench_batch": (
        ["--scenarios", "3", "--naive-sample", "2", "--moves", "0.05"],
        ["project vs floor (b):", "no price move", "targets:"],
    ),
    "bench_chance": (["--repeat", "1"], ["chance-constrained", "Monte Carlo of 10,000 lots"]),
    "bench_cli_phases": (["--runs", "1"], ["whole process (wall)", "CBC: the process", "print the result"]),
    "bench_scale": (
        ["--foods", "200", "--entries", "100,200", "--repeat", "1"],
        ["ons_powder", "ons_max_leucine", "µs/entry"],
    ),
    "bench_phases": (["--solves", "5"], ["whole solve"]),
    "bench_read_workbook": (["--rows", "40", "--repeat", "1"], ["read_foods_sheet (+ validation)"]),
}


@pytest.mark.parametrize("name", sorted(RUNS))
def test_benchmark_runs_to_the_end(name: str) -> None:
    arguments, expected = RUNS[name]
    run = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / f"{name}.py"), *arguments],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    for line in expected:
        assert line in run.stdout, f"{name}: {line!r} not in its output:\n{run.stdout[-2000:]}"
