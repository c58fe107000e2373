"""Shared fixtures and helpers: the embedded data, small tables, the command line in a fresh
process. Nothing here reads outside the repository."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import sarcoform as sf

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def foods() -> sf.FoodTable:
    return sf.load_foods()


@pytest.fixture(scope="session")
def brief() -> sf.Brief:
    """The default brief on mean compositions: the LP that the frontier, batches, multiblend
    and the sensitivity ranges work on (they do not solve chance constraints). The brief as
    shipped, 95 % of lots included, is checked in test_preset_review and test_chance."""
    return sf.load_brief().on_mean_values()


def run_cli(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`sarcoform ARGS` in a fresh process, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "sarcoform", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def run_main(capsys: pytest.CaptureFixture[str], *args: str) -> subprocess.CompletedProcess[str]:
    """`sarcoform ARGS` in this process, through the `main` the console script calls: for tests
    of what a command does rather than of the process around it (test_cli.py runs real
    processes). Saves starting Python and importing sarcoform, about 0.5 s a call."""
    from sarcoform.cli import main

    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    return subprocess.CompletedProcess(["sarcoform", *args], code, out, err)


def libreoffice_convert(book: Path, to: str, folder: Path) -> Path:
    """`soffice --headless --convert-to TO` of `book` into `folder` (its own profile there);
    skips the test when LibreOffice is not installed. Returns `folder`."""
    import shutil

    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed: apt-get install libreoffice-calc-nogui")
    done = subprocess.run(
        [
            soffice,
            "--headless",
            "--norestore",
            f"-env:UserInstallation={(folder / 'profile').as_uri()}",
            "--convert-to",
            to,
            "--outdir",
            str(folder),
            str(book),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    return folder


def template_book(folder: Path) -> Path:
    """The example batch workbook (`sarcoform template --batch`) in `folder`."""
    from sarcoform.batch.template import write_batch_template

    book = folder / "book.xlsx"
    write_batch_template(book)
    return book


def food_table(text: str, origin: str = "test foods") -> sf.FoodTable:
    """A food table from CSV text (header row first)."""
    header, *rows = csv.reader(io.StringIO(text))
    return sf.FoodTable.from_records(header, rows, origin=origin)


def with_leucine_floor(brief: sf.Brief, level: float, **changes: Any) -> sf.Brief:
    """The brief with its leucine-per-meal floor set to `level` (and other fields changed)."""
    nutrients = tuple(
        e.model_copy(update={"min": level}) if e.name == "leucine" and e.basis == "meal" else e
        for e in brief.nutrients
    )
    return brief.model_copy(update={"nutrients": nutrients, **changes})


def set_highs_option(monkeypatch: pytest.MonkeyPatch, name: str, value: object) -> None:
    """Every Highs object sarcoform makes from now on (this test) gets option `name`."""
    from sarcoform.solving import backends

    made = backends.new_highs

    def with_option() -> object:
        h = made()
        h.setOptionValue(name, value)
        return h

    monkeypatch.setattr(backends, "new_highs", with_option)


def cpu_seconds() -> float:
    """CPU time of this process and of its finished child processes (CBC runs as one).

    Tests bound durations with this rather than wall time: on a busy 2-core machine other
    processes stretch wall time, but not the CPU time the solve itself used."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def assert_same_rows(a: Any, b: Any, tol: float = 1e-9) -> None:
    """Two batch tables hold the same answers: every column but the numbers exactly, the
    numbers to `tol` (relative and absolute). A scenario may be answered by a known basis in
    one run and by HiGHS in another (a batch of other scenarios): the same optimum, by two
    routes, so equal to rounding, not bit for bit."""
    import numpy as np

    assert list(a.columns) == list(b.columns) and len(a) == len(b)
    numbers = [c for c in a.columns if a[c].dtype == float]
    others = [c for c in a.columns if c not in numbers]
    assert a[others].reset_index(drop=True).equals(b[others].reset_index(drop=True))
    np.testing.assert_allclose(a[numbers].to_numpy(), b[numbers].to_numpy(), rtol=tol, atol=tol)


def assert_matches_search(compiled: Any, solved: Any, k: int, side: str, closed: tuple[Any, Any]) -> None:
    """A closed-form range of bound k's `side` (from the basis of `solved`) against bisecting
    on the same basis: move the bound, re-check the basis for optimality (issue 13)."""
    from sarcoform.solving import sensitivity as sens
    from sarcoform.solving.relax import with_bound

    b = compiled.bounds[k]
    bound = b.min if side == "min" else b.max
    assert bound is not None
    basis = solved.probe()
    searched = sens.interval(lambda t: basis.optimal(with_bound(compiled, solved.lp, k, side, t)), bound)
    for a, c in zip(closed, searched, strict=True):
        assert (a is None) == (c is None)
        if a is not None and c is not None:
            assert a == pytest.approx(c, abs=1e-6 * max(1.0, abs(bound)))


def solved_at_basis(foods: sf.FoodTable, brief: sf.Brief) -> tuple[Any, Any, Any]:
    """(compiled brief, reported grams per food, HiGHS's solved basis of the same blend):
    of the LP, or for a two-stage answer of its tie-break LP (least cost at the first optimum)."""
    import numpy as np

    from sarcoform.solving import sensitivity as sens
    from sarcoform.solving.compile import compile_brief
    from sarcoform.solving.engine import tie_break_lp

    compiled = compile_brief(foods, brief)
    result = sf.solve(foods, compiled.brief, solver="highs")
    x = np.array([result.grams.get(i, 0.0) for i in foods.ids])
    lp = compiled.lp
    if compiled.brief.objective_kind != "min_cost":
        first = sens.SolvedBasis.of(lp)
        assert first is not None
        lp = tie_break_lp(compiled, float(lp.c @ first.x) + lp.offset)
    solved = sens.SolvedBasis.of(lp)
    assert solved is not None and solved.same_blend(x)
    return compiled, x, solved
