"""What keeps `sarcoform solve` quick to start (issue 13 item 4) without changing a byte of
what it prints. Times are bench_solve's and bench_cli_phases'; here, the properties.

- `import sarcoform` (and so the CLI's module) loads none of numpy, pydantic, PuLP or rich:
  cli.main sets OPENBLAS_NUM_THREADS=1 before numpy starts OpenBLAS's thread pool.
- Every public name still loads, on first use.
- Printing takes short cuts that rich's own way gives the same bytes for: a line that fits
  is not wrapped; a table's lines go out in one `print`.
- The command ends without the interpreter's teardown: all it prints still arrives, its
  exit code stays, and atexit handlers still run.
- With CBC, a chance-constrained brief's safety-margin LP solves on a thread during the
  rounds of cuts: the same figure as solving it afterwards, and its errors still raise.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.text import Text

import sarcoform
from sarcoform.cli import main
from sarcoform.report.text import _wrap
from sarcoform.solving import chance
from sarcoform.solving.compile import compile_brief


def _in_fresh_python(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return done.stdout.strip()


def test_importing_the_cli_loads_no_heavy_package() -> None:
    heavy = "{'numpy', 'pydantic', 'pulp', 'rich', 'pandas'}"
    loaded = _in_fresh_python(
        f"import sys, sarcoform.cli; print(sorted({{m.split('.')[0] for m in sys.modules}} & {heavy}))"
    )
    assert loaded == "[]"


def test_the_cli_runs_numpy_on_one_blas_thread() -> None:
    # The setting only counts if it comes before numpy: a second OpenBLAS thread here means
    # an eager import crept in ahead of cli.main (or a user's own setting, which we keep).
    threads = _in_fresh_python(
        "import os, io, contextlib; os.environ.pop('OPENBLAS_NUM_THREADS', None)\n"
        "from sarcoform.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()): main(['foods'])\n"
        "from threadpoolctl import threadpool_info\n"
        "print(sorted({i['num_threads'] for i in threadpool_info() if i['user_api'] == 'blas'}))"
    )
    assert threads == "[1]"


@pytest.mark.parametrize("name", sarcoform.__all__)
def test_every_public_name_loads(name: str) -> None:
    assert getattr(sarcoform, name) is not None


def _rich_wrap(console: Console, text: str, width: int, hang: int) -> list[str]:
    """The lines as rich's wrapping makes them, for every line (no short cut)."""
    first = Text(text).wrap(console, width)[0].plain.rstrip()
    rest = text[len(first) :].lstrip(" ")
    if not rest:
        return [first]
    return [first, *(" " * hang + t.plain.rstrip() for t in Text(rest).wrap(console, max(width - hang, 1)))]


WORDS = st.text(alphabet=st.sampled_from("ab xy·≥≤µ漢字\u00a0\u3000"), max_size=60)


@settings(max_examples=300, deadline=None)
@given(text=WORDS, width=st.integers(5, 70), hang=st.integers(0, 6))
def test_a_line_that_fits_wraps_as_rich_wraps_it(text: str, width: int, hang: int) -> None:
    console = Console(file=io.StringIO(), width=80)
    assert _wrap(console, text, width, hang) == _rich_wrap(console, text, width, hang)


LINES = st.lists(
    st.tuples(WORDS, st.sampled_from(["", "bold", "underline", "yellow"])), min_size=1, max_size=6
)


@settings(max_examples=100, deadline=None)
@given(lines=LINES, terminal=st.booleans(), soft=st.booleans())
def test_lines_printed_at_once_are_the_bytes_of_one_print_each(
    lines: list[tuple[str, str]], terminal: bool, soft: bool
) -> None:
    def console() -> Console:  # as report.tables.console makes it (soft_wrap), and without
        return Console(
            file=io.StringIO(),
            width=60,
            force_terminal=terminal,
            color_system="truecolor" if terminal else None,
            soft_wrap=soft,
            highlight=False,
        )

    each, once = console(), console()
    for text, style in lines:
        each.print(Text(text, style=style))
    once.print(*(Text(text, style=style) for text, style in lines), sep="\n")
    assert once.file.getvalue() == each.file.getvalue()  # type: ignore[attr-defined]


def _untimed(data: object) -> object:
    if isinstance(data, dict):
        return {k: _untimed(v) for k, v in data.items() if "seconds" not in k}
    if isinstance(data, list):
        return [_untimed(v) for v in data]
    return data


def test_the_command_prints_all_and_keeps_its_exit_code(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["solve", "--json", "--solver", "highs"]
    # Block-buffered output, as a user's pipe gets it (no PYTHONUNBUFFERED): flushed or lost.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    done = subprocess.run([sys.executable, "-m", "sarcoform", *args], capture_output=True, text=True, env=env)
    assert done.returncode == 0
    assert main(args) == 0
    assert _untimed(json.loads(done.stdout)) == _untimed(json.loads(capsys.readouterr().out))
    bad = subprocess.run(
        [sys.executable, "-m", "sarcoform", "solve", "-c", "no_such_preset"], capture_output=True
    )
    assert bad.returncode == 2
    assert b"error: unknown preset 'no_such_preset'" in bad.stderr


def test_atexit_handlers_still_run() -> None:
    said = _in_fresh_python(
        "import atexit, sys\n"
        "from sarcoform.cli import command\n"
        "atexit.register(lambda: print('atexit ran', flush=True))\n"
        "sys.argv = ['sarcoform', 'presets']\n"
        "command()"
    )
    assert said.endswith("atexit ran")


def test_the_safety_margin_solved_alongside_is_the_one_solved_after(foods: sarcoform.FoodTable) -> None:
    compiled = compile_brief(foods, sarcoform.load_brief())
    assert chance.has_chance(compiled)
    outer = chance.outer_approximation(compiled, "cbc", None)
    assert outer.safety_margin is not None
    status, value = outer.safety_margin()
    after = chance._objective(compiled, chance.safety_margin_lp(compiled), "cbc", None)
    assert status == "optimal" and (status, value) == after
    result = sarcoform.solve(foods, sarcoform.load_brief(), solver="cbc")
    assert result.variability is not None
    assert result.variability.safety_margin_objective == value


def test_a_failure_on_the_thread_raises_where_its_outcome_is_asked() -> None:
    def fail() -> float:
        raise ZeroDivisionError("on the thread")

    outcome = chance._in_background(fail)
    with pytest.raises(ZeroDivisionError, match="on the thread"):
        outcome()
