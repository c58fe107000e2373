"""`sarcoform diff A B`: what changed, and which input changes explain it.

Each verdict is checked against what actually happens: the blend really does not
move when the diff says a price change stays within A's range, an ingredient really
enters below its entry price, and a bound moved within its range changes the
objective by exactly the estimate.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import sarcoform as sf
from conftest import with_leucine_floor
from sarcoform.cli import main
from sarcoform.io.brief_toml import write_brief_toml
from sarcoform.io.foods_csv import write_foods_csv
from sarcoform.report.diff import diff_results


@pytest.fixture(scope="module")
def base(foods: sf.FoodTable, brief: sf.Brief) -> sf.Result:
    return sf.solve(foods, brief, solver="highs")


def test_price_change_inside_the_range_changes_cost_not_blend(
    base: sf.Result, foods: sf.FoodTable, brief: sf.Brief
) -> None:
    (mpc,) = [b for b in base.blend_lines if b.id == "mpc80"]
    assert mpc.price_range is not None and mpc.price_range[1] is not None and mpc.price_per_kg is not None
    new_price = (mpc.price_per_kg + mpc.price_range[1]) / 2
    after = sf.solve(foods.with_prices({"mpc80": new_price}), brief, solver="highs")
    d = diff_results(base, after)
    (change,) = d.inputs
    assert change.what == "price" and change.verdict == "cost"
    assert not d.blend  # and indeed the blend did not move
    assert "the blend did not change: every input change keeps A's blend optimal" in d.explanation
    expected = (new_price - mpc.price_per_kg) * mpc.grams / 1000
    assert after.cost_per_serving == pytest.approx(base.cost_per_serving + expected, rel=1e-9)
    assert f"price effect {expected:+.4g}" in d.explanation[0]


def test_price_below_entry_brings_the_ingredient_in(
    base: sf.Result, foods: sf.FoodTable, brief: sf.Brief
) -> None:
    (wpi,) = [u for u in base.unused if u.id == "wpi"]
    assert wpi.entry_price is not None
    after = sf.solve(foods.with_prices({"wpi": wpi.entry_price * 0.98}), brief, solver="highs")
    d = diff_results(base, after)
    (change,) = d.inputs
    assert change.verdict == "blend" and "entry price" in change.why
    assert any(row["id"] == "wpi" and row["before"] == 0 and row["after"] > 0 for row in d.blend)
    assert any(line.startswith("the blend changed because of: price of wpi") for line in d.explanation)
    assert after.cost_per_serving is not None and base.cost_per_serving is not None
    assert after.cost_per_serving < base.cost_per_serving


def test_binding_bound_moved_within_its_range_is_priced_exactly(
    base: sf.Result, foods: sf.FoodTable, brief: sf.Brief
) -> None:
    (line,) = [c for c in base.constraint_lines if c.name == "leucine_g per meal"]
    assert line.binding and line.shadow_price_range is not None and line.shadow_price_range[1] is not None
    new = (2.5 + line.shadow_price_range[1]) / 2
    after = sf.solve(foods, with_leucine_floor(brief, new), solver="highs")
    d = diff_results(base, after)
    (change,) = d.inputs
    assert change.verdict == "objective" and change.estimate is not None
    assert after.objective_value is not None and base.objective_value is not None
    assert change.estimate == pytest.approx(after.objective_value - base.objective_value, rel=1e-7)
    assert d.blend  # the blend moves to deliver more leucine


def test_slack_bound_moved_within_slack_has_no_effect(
    base: sf.Result, foods: sf.FoodTable, brief: sf.Brief
) -> None:
    (line,) = [c for c in base.constraint_lines if c.name == "leucine_g per serving"]
    assert line.max == 3.0 and line.value is not None and line.value < 2.8
    nutrients = tuple(
        e.model_copy(update={"max": 2.8}) if e.name == "leucine" and e.basis == "serving" else e
        for e in brief.nutrients
    )
    after = sf.solve(foods, brief.model_copy(update={"nutrients": nutrients}), solver="highs")
    d = diff_results(base, after)
    (change,) = d.inputs
    assert change.verdict == "none" and not d.blend


def test_identical_results() -> None:
    r = sf.solve(sf.load_foods(), sf.load_brief(), solver="highs")
    lines = diff_results(r, r).lines()
    assert "Blend: unchanged" in lines and "Input changes: none visible in the results" in lines


def test_cli_diff_of_two_result_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    foods = sf.load_foods().with_prices({"wpi": 11.0})
    write_foods_csv(foods, tmp_path / "foods.csv")
    # The default brief on mean values: a chance-constrained result has no price ranges to explain by.
    plain = sf.load_brief().on_mean_values()
    write_brief_toml(plain, tmp_path / "plain.toml")
    write_brief_toml(with_leucine_floor(plain, 2.6), tmp_path / "brief.toml")
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    assert main(["solve", "-c", str(tmp_path / "plain.toml"), "-o", str(a), "--json"]) == 0
    args = [
        "solve",
        "-f",
        str(tmp_path / "foods.csv"),
        "-c",
        str(tmp_path / "brief.toml"),
        "-o",
        str(b),
        "--json",
    ]
    assert main(args) == 0
    capsys.readouterr()
    assert main(["diff", str(a), str(b)]) == 0
    out = capsys.readouterr().out
    assert "price of wpi (USD/kg): 14.5 → 11 — below its entry price" in out
    assert "leucine ≥ 2.5 g per meal [min]: 2.5 → 2.6" in out
    assert "the blend changed because of:" in out and "cost:" in out
    assert main(["diff", str(a), str(b), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {row["what"] for row in data["inputs"]} == {"price", "bound", "table"}  # same brief name
    assert any(row["id"] == "wpi" for row in data["blend"])


def test_cli_diff_rejects_a_file_that_is_not_a_result(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"status": "optimal"}')
    (tmp_path / "ok.json").write_text(json.dumps(sf.solve(sf.load_foods(), sf.load_brief()).to_dict()))
    assert main(["diff", str(bad), str(tmp_path / "ok.json")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error: {bad}: is not a sarcoform result") and "\n" not in err
    (tmp_path / "broken.json").write_text("{not json")
    assert main(["diff", str(tmp_path / "broken.json"), str(tmp_path / "ok.json")]) == 2
    assert "is not JSON" in capsys.readouterr().err


def test_cli_diff_reads_a_results_workbook(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    book, data = tmp_path / "result.xlsx", tmp_path / "result.json"
    assert main(["solve", "-o", str(book)]) == 0
    assert main(["solve", "--json", "-o", str(data)]) == 0
    capsys.readouterr()
    assert main(["diff", str(book), str(data)]) == 0
    out = capsys.readouterr().out
    assert f"A: re-solved from the inputs in {book}" in out
    assert "Blend: unchanged" in out
