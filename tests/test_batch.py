"""solve_batch: the table, full results, failures recorded, workers, journal, outputs and the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import sarcoform as sf
from conftest import assert_same_rows, run_cli, template_book
from sarcoform.batch.inputs import Product
from sarcoform.batch.journal import journal_path
from sarcoform.solving.fastpath import PricedBrief

SCENARIOS = {
    "base": {},
    "whey_up": {"wpi": 17.4, "wpc80": 13.2, "mpc80": 11.4},
    "dairy_up": {"smp": 3.64, "wmp": 5.46, "buttermilk_powder": 5.0},
}
# The default brief on mean values: the fast path re-prices one LP, and the shipped brief's
# chance constraints take the regular path (test_chance).
ONS = sf.load_brief("ons_powder").on_mean_values()
PRODUCTS = [
    Product("ons", ONS),
    Product("ons_65g", ONS, serving_g=65),
    Product("max_leucine", "ons_max_leucine"),
    Product("too_cheap", ONS, cost_max=0.05),  # no blend costs this little
]


@pytest.fixture(scope="module")
def result(foods: sf.FoodTable) -> sf.BatchResult:
    return sf.solve_batch(foods, PRODUCTS, SCENARIOS)


def test_table_is_tidy_one_row_per_item(result: sf.BatchResult, foods: sf.FoodTable) -> None:
    table = result.table
    assert len(table) == 12 and not table.duplicated(["product", "scenario"]).any()
    assert list(table["product"].unique()) == [p.name for p in PRODUCTS]
    assert list(table["scenario"].unique()) == list(SCENARIOS)
    for column in ("status", "objective_value", "cost_per_serving", "serving_g", "verified", "reason"):
        assert column in table.columns
    assert [c for c in table.columns if c.startswith("grams.")] == [f"grams.{i}" for i in foods.ids]
    # The constrained nutrients of every brief, per serving (leucine is bounded and maximised).
    assert {"per_serving.leucine_g", "per_serving.protein_g", "per_serving.energy_kcal"} <= set(table.columns)
    ok = table["status"] == "optimal"
    assert ok.sum() == 9 and table.loc[ok, "verified"].all()
    np.testing.assert_allclose(table.loc[table["product"] == "ons_65g", "serving_g"], 65.0, rtol=1e-9)


def test_scenario_prices_are_used(result: sf.BatchResult, foods: sf.FoodTable) -> None:
    """Each item's result re-solved by sf.solve over the table with that scenario's prices."""
    for scenario, prices in SCENARIOS.items():
        priced = foods.with_prices(prices) if prices else foods
        direct = sf.solve(priced, PRODUCTS[0].customise(ONS), solver="highs")
        item = result.item("ons", scenario)
        assert item.cost_per_serving == pytest.approx(direct.cost_per_serving, rel=1e-9)
    costs = result.pivot().loc["ons"]
    assert costs["whey_up"] >= costs["base"] - 1e-12  # dearer inputs never make a cheaper optimum
    assert costs["dairy_up"] >= costs["base"] - 1e-12


def test_infeasible_item_is_recorded_with_its_reason(result: sf.BatchResult) -> None:
    for scenario in SCENARIOS:
        item = result.item("too_cheap", scenario)
        assert item.status == "infeasible"
        assert "cost ≤ 0.05" in item.reason  # in the brief's own words
        full = result.result("too_cheap", scenario)
        assert full.diagnosis is not None and full.diagnosis.reason == item.reason
    assert result.exit_code == 1
    assert result.counts == {"optimal": 9, "infeasible": 3}


def test_full_results_are_available(result: sf.BatchResult) -> None:
    seen = list(result.results())
    assert len(seen) == 12
    full = result.result("max_leucine", "whey_up")
    assert full.objective == "max:leucine" and full.status == "optimal"
    assert full.objective_value == pytest.approx(
        result.item("max_leucine", "whey_up").objective_value, rel=1e-12
    )
    assert full.blend.shape[0] > 0 and full.constraints.shape[0] > 0


def test_a_failing_item_does_not_stop_the_others(
    foods: sf.FoodTable, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A solver crash on one scenario is one error row with its reason; the rest are answers."""
    real = PricedBrief.finish  # every scenario's answer passes here, solved or proved

    def flaky(self: PricedBrief, prices: np.ndarray, *args: Any, **kw: Any) -> Any:
        if prices[foods.ids.index("wpi")] == 17.4:
            raise RuntimeError("solver crashed")
        return real(self, prices, *args, **kw)

    monkeypatch.setattr(PricedBrief, "finish", flaky)
    out = sf.solve_batch(foods, PRODUCTS[:2], SCENARIOS)
    table = out.table.set_index(["product", "scenario"])
    assert (table.xs("whey_up", level="scenario")["status"] == "error").all()
    assert "RuntimeError: solver crashed" in table.loc[("ons", "whey_up"), "reason"]
    assert (table.drop("whey_up", level="scenario")["status"] == "optimal").all()
    assert out.exit_code == 3


def test_dataframe_and_mapping_scenarios_agree(result: sf.BatchResult, foods: sf.FoodTable) -> None:
    rows = [(s, i, p) for s, prices in SCENARIOS.items() for i, p in prices.items()]
    frame = pd.DataFrame(rows, columns=["scenario", "id", "price_per_kg"])
    # "base" changes no price, so it has no row in the long layout: its items are missing here.
    other = sf.solve_batch(foods, PRODUCTS[:2], frame).table.drop(columns="seconds")
    mine = result.table[
        result.table["product"].isin(["ons", "ons_65g"]) & (result.table["scenario"] != "base")
    ]
    assert_same_rows(other, mine.drop(columns="seconds"))


def test_worker_processes_give_the_same_table(result: sf.BatchResult, foods: sf.FoodTable) -> None:
    pooled = sf.solve_batch(foods, PRODUCTS, SCENARIOS, workers=2)
    assert pooled.table.drop(columns="seconds").equals(result.table.drop(columns="seconds"))


def test_journal_keeps_finished_items_and_resume_solves_the_rest(
    result: sf.BatchResult, foods: sf.FoodTable, tmp_path: Path
) -> None:
    journal = tmp_path / "run.journal.jsonl"
    sf.solve_batch(foods, PRODUCTS, SCENARIOS, journal=journal)
    lines = journal.read_text().splitlines()
    assert json.loads(lines[0])["kind"] == "sarcoform batch journal" and len(lines) == 13
    # An interrupted run: 5 items made it, the 6th line was torn by the kill.
    journal.write_text("\n".join(lines[:6]) + "\n" + lines[6][:40])
    seen: list[int] = []
    resumed = sf.solve_batch(
        foods, PRODUCTS, SCENARIOS, journal=journal, resume=True, progress=lambda d, t: seen.append(d)
    )
    assert seen[0] == 5 and seen[-1] == 12  # 5 kept, 7 solved
    assert_same_rows(resumed.table.drop(columns="seconds"), result.table.drop(columns="seconds"))
    kept = [json.loads(line)["seconds"] for line in lines[1:6]]
    firsts = [
        resumed.item(json.loads(line)["product"], json.loads(line)["scenario"]).seconds for line in lines[1:6]
    ]
    assert kept == firsts  # taken from the journal, not solved again
    for product, scenario in (("ons", "base"), ("max_leucine", "dairy_up")):  # kept, and solved again
        a, b = (r.result(product, scenario).to_dict() for r in (resumed, result))
        assert {**a, "solve_seconds": 0} == {**b, "solve_seconds": 0}


def test_journal_of_other_inputs_is_refused(foods: sf.FoodTable, tmp_path: Path) -> None:
    journal = tmp_path / "j.jsonl"
    sf.solve_batch(foods, PRODUCTS[:1], SCENARIOS, journal=journal)
    with pytest.raises(sf.UsageError, match="other inputs"):
        sf.solve_batch(foods, PRODUCTS[:2], SCENARIOS, journal=journal, resume=True)


def test_outputs_for_people_and_programs(result: sf.BatchResult, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    from sarcoform.batch.output import write_batch_output

    book = tmp_path / "results.xlsx"
    write_batch_output(result, book)
    wb = load_workbook(book)
    assert wb.sheetnames == ["Summary", "Cost per serving", "Items", "About"]
    pivot = list(wb["Cost per serving"].iter_rows(values_only=True))
    assert pivot[0] == ("product", *SCENARIOS)
    assert pivot[1][1] == pytest.approx(result.item("ons", "base").cost_per_serving, rel=1e-12)
    assert pivot[4][1:] == ("infeasible",) * 3  # no number: the status says why
    assert len(wb["Cost per serving"]._charts) == 1
    items = list(wb["Items"].iter_rows(values_only=True))
    assert len(items) == 13 and items[0][:3] == ("product", "scenario", "status")
    csv = tmp_path / "results.csv"
    write_batch_output(result, csv)
    back = pd.read_csv(csv)
    assert len(back) == 12 and back["cost_per_serving"].equals(result.table["cost_per_serving"])
    parquet = tmp_path / "results.parquet"
    write_batch_output(result, parquet)
    assert pd.read_parquet(parquet)["objective_value"].equals(result.table["objective_value"])


def test_text_from_inputs_never_becomes_a_formula(foods: sf.FoodTable, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    from sarcoform.batch.output import write_batch_output

    name = '=HYPERLINK("http://x","y")'
    out = sf.solve_batch(foods, [Product(name, "milk_beverage_powder")], {"=1+1": {}})
    write_batch_output(out, tmp_path / "r.xlsx")
    wb = load_workbook(tmp_path / "r.xlsx")
    assert all(c.data_type != "f" for ws in wb for row in ws.iter_rows() for c in row)
    assert wb["Items"]["A2"].value == name
    write_batch_output(out, tmp_path / "r.csv")
    assert "'=HYPERLINK" in (tmp_path / "r.csv").read_text()


def test_cli_batch_from_the_template(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from sarcoform.cli import main

    book = template_book(tmp_path)
    run = run_cli("batch", str(book), "-o", "out.xlsx", "--workers", "1", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "16 items" in run.stdout and "written: out.xlsx" in run.stdout
    assert "solving" in run.stderr  # the progress bar is on stderr
    assert (tmp_path / "out.xlsx").exists() and not journal_path(tmp_path / "out.xlsx").exists()
    run = run_cli("batch", str(book), "-o", "out.csv", "--solver", "cbc", "--workers", "2", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert len(pd.read_csv(tmp_path / "out.csv")) == 16
    # Usage errors in this process: the real process above already showed how exit codes leave it.
    capsys.readouterr()
    assert main(["batch", str(book), "-o", str(tmp_path / "out.txt")]) == 2
    assert ".parquet" in capsys.readouterr().err
    assert main(["batch", str(book), "-o", str(book)]) == 2
    assert "refusing" in capsys.readouterr().err


def test_cli_refuses_to_overwrite_a_journal_without_resume(tmp_path: Path) -> None:
    book = template_book(tmp_path)
    journal_path(tmp_path / "out.csv").write_text("{}\n")
    run = run_cli("batch", str(book), "-o", "out.csv", cwd=tmp_path)
    assert run.returncode == 2 and "--resume" in run.stderr
    assert journal_path(tmp_path / "out.csv").read_text() == "{}\n"


def test_practical_briefs_take_the_regular_path(foods: sf.FoodTable) -> None:
    """A mixed-integer brief (at most N ingredients) cannot be hot-started: solved item by item."""
    brief = sf.load_brief("milk_beverage_powder").with_changes(max_ingredients=5)
    out = sf.solve_batch(foods, {"five": brief}, {"base": {}, "whey_up": SCENARIOS["whey_up"]})
    for scenario, prices in (("base", {}), ("whey_up", SCENARIOS["whey_up"])):
        direct = sf.solve(foods.with_prices(prices) if prices else foods, brief, solver="highs")
        item = out.item("five", scenario)
        assert item.status == direct.status == "optimal"
        assert item.cost_per_serving == pytest.approx(direct.cost_per_serving, rel=1e-9)
        assert item.grams is not None and int((item.grams > 0).sum()) <= 5


def test_control_characters_in_names_are_written_and_read_back(foods: sf.FoodTable, tmp_path: Path) -> None:
    """XML cannot hold "\\x0b": the cell stores Excel's escape, which readers decode."""
    from sarcoform.batch.output import write_batch_output, write_multiblend_output
    from sarcoform.io.xlsx import read_sheet

    name, scenario = "vanilla\x0bline", "spring\x01"
    out = sf.solve_batch(foods, [Product(name, "milk_beverage_powder")], {scenario: {}})
    write_batch_output(out, tmp_path / "r.xlsx")
    items = read_sheet(tmp_path / "r.xlsx", "Items")
    assert items is not None and items.rows[0][:2] == [name, scenario]
    pivot = read_sheet(tmp_path / "r.xlsx", "Cost per serving")
    assert pivot is not None and pivot.header == ["product", scenario]
    write_batch_output(out, tmp_path / "r.csv")
    assert pd.read_csv(tmp_path / "r.csv")["product"].tolist() == [name]
    plan = sf.solve_multiblend(foods, [Product(name, "ons_powder", volume_kg=10)], {"smp": 1000})
    write_multiblend_output(plan, tmp_path / "plan.xlsx")
    products = read_sheet(tmp_path / "plan.xlsx", "Products")
    assert products is not None and products.rows[0][0] == name
