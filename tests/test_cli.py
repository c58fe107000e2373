"""The command line through a real process: exit codes, clean JSON, help everywhere."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conftest import run_cli

ROOT = Path(__file__).resolve().parents[1]
TINY = Path(__file__).parent / "fixtures" / "tiny_foods.csv"


def test_exit_0_default_solve_prints_a_summary() -> None:
    done = run_cli("solve")
    assert done.returncode == 0, done.stderr
    assert "optimal" in done.stdout
    assert "verified" in done.stdout
    assert done.stderr == ""


def test_json_is_the_whole_of_stdout_and_follows_the_contract() -> None:
    done = run_cli("solve", "--json", "--solver", "highs")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)  # no solver banner or other noise
    for key in (
        "status",
        "objective_value",
        "cost_per_serving",
        "currency",
        "serving_g",
        "servings_per_day",
        "solver",
        "blend",
        "nutrients",
        "constraints",
        "verification",
    ):
        assert key in data
    assert data["status"] == "optimal"
    assert {"id", "name", "grams", "percent", "cost"} <= set(data["blend"][0])
    assert {"nutrient", "unit", "per_serving", "per_day"} <= set(data["nutrients"][0])
    assert {"name", "kind", "basis", "value", "min", "max", "binding", "shadow_price"} <= set(
        data["constraints"][0]
    )
    assert data["verification"]["ok"] is True
    assert sum(b["grams"] for b in data["blend"]) == pytest.approx(60, rel=1e-6)  # ons_powder serving_g


def test_exit_1_infeasible_with_the_conflict_named(tmp_path: Path) -> None:
    brief = tmp_path / "impossible.toml"
    brief.write_text(
        'name = "impossible"\n[serving]\nserving_g = 30\n[[nutrient]]\nname = "protein"\nmin = 30\n',
        encoding="utf-8",
    )
    done = run_cli("solve", "-f", str(TINY), "-c", str(brief), "--json")
    assert done.returncode == 1, done.stderr
    data = json.loads(done.stdout)
    assert data["status"] == "infeasible"
    assert sorted(data["diagnosis"]["conflict"]) == ["protein_g per serving", "serving mass"]
    text = run_cli("solve", "-f", str(TINY), "-c", str(brief))
    assert text.returncode == 1
    assert "protein ≥ 30 g per serving" in text.stdout


def test_exit_1_unbounded(tmp_path: Path) -> None:
    brief = tmp_path / "open.toml"
    brief.write_text('name = "open"\nobjective = "max:protein"\n', encoding="utf-8")
    done = run_cli("solve", "-f", str(TINY), "-c", str(brief), "--json")
    assert done.returncode == 1
    assert json.loads(done.stdout)["status"] == "unbounded"


def test_exit_2_bad_usage() -> None:
    done = run_cli("solve", "--solver", "gurobi")
    assert done.returncode == 2
    assert "unknown solver 'gurobi'" in done.stderr
    assert "Traceback" not in done.stderr
    assert run_cli("solve", "--objective", "max leucine").returncode == 2
    assert run_cli("no-such-command").returncode == 2


def test_exit_3_solver_failure() -> None:
    """A missing CBC binary is a solver failure: one line, exit 3."""
    done = run_cli("solve", env={"SARCOFORM_CBC": "/nonexistent/cbc"})
    assert done.returncode == 3
    assert done.stderr.startswith("error: CBC failed")
    assert "Traceback" not in done.stderr


def test_output_json_is_written_atomically_and_inputs_refused_as_output(tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    done = run_cli("solve", "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert json.loads(out.read_text(encoding="utf-8"))["status"] == "optimal"
    assert [p.name for p in tmp_path.iterdir()] == ["result.json"]  # no temp files left
    foods = tmp_path / "foods.csv"
    foods.write_bytes(TINY.read_bytes())
    refused = run_cli("solve", "-f", str(foods), "-o", str(foods))
    assert refused.returncode == 2
    assert foods.read_bytes() == TINY.read_bytes()


def test_presets_one_entry_each() -> None:
    done = run_cli("presets")
    assert done.returncode == 0
    lines = [r for r in done.stdout.strip().splitlines() if not r.startswith(" ")]  # titles wrap
    presets = sorted(p.stem for p in (ROOT / "constraints").glob("*.toml"))
    assert [line.split()[0] for line in lines] == presets
    assert len(presets) >= 3


def test_foods_lists_the_embedded_table() -> None:
    done = run_cli("foods")
    assert done.returncode == 0
    assert "l_leucine" in done.stdout and "cahmb" in done.stdout


def _commands() -> list[str]:
    from sarcoform.cli import app

    return sorted(c.name or c.callback.__name__ for c in app.registered_commands)  # type: ignore[union-attr]


def test_every_command_has_help_and_is_in_the_readme(capsys: pytest.CaptureFixture[str]) -> None:
    from sarcoform.cli import main

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in _commands():
        code = main([name, "--help"])  # in-process: no interpreter start per command
        out = capsys.readouterr().out
        assert code == 0, name
        assert "Usage" in out, name
        assert re.search(rf"sarcoform {name}\b", readme), f"README does not show `sarcoform {name}`"


def test_names_that_look_like_markup_are_printed_as_text(tmp_path: Path) -> None:
    """User text never reaches rich as markup (a '[/b]' in a name crashed the summary)."""
    foods = tmp_path / "foods.csv"
    foods.write_text(
        TINY.read_text(encoding="utf-8").replace("Whey protein", "Whey [/b] protein"), encoding="utf-8"
    )
    brief = tmp_path / "brief.toml"
    brief.write_text(
        'name = "x"\n[serving]\nserving_g = 30\n[[group]]\nname = "sugars [/b]"\n'
        'members = ["malto"]\nmin = 40\n',
        encoding="utf-8",
    )
    done = run_cli("solve", "-f", str(foods), "-c", str(brief))
    assert done.returncode == 1, done.stderr
    assert "sugars [/b] ≥ 40 g" in done.stdout
    ok = run_cli("solve", "-f", str(foods), "-c", str(TINY.parent / "known" / "whiskas.toml"))
    assert ok.returncode in (0, 2)  # whiskas needs other columns; the point is: no crash
    assert "Traceback" not in ok.stderr and "internal error" not in ok.stderr


def test_exit_1_at_the_time_limit(tmp_path: Path) -> None:
    """A practical (mixed-integer) brief stopped by --time-limit is a result: exit 1."""
    brief = tmp_path / "practical.toml"
    text = (ROOT / "constraints" / "ons_powder.toml").read_text(encoding="utf-8")
    brief.write_text("max_ingredients = 5\n" + text, encoding="utf-8")
    done = run_cli("solve", "-c", str(brief), "--solver", "highs", "--time-limit", "0.001", "--json")
    assert done.returncode == 1, done.stderr
    data = json.loads(done.stdout)
    assert data["status"] == "time_limit"
    assert "time limit" in data["diagnosis"]["reason"]
