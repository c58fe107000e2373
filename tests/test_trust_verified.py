"""Issue 9 item 1: a result whose independent verification fails is never `optimal`.

The case from the issue: a food with protein_g = 1e16 (a typo) and a brief asking for at
least 15 g protein. Both solvers return the filler alone (the 1e16 coefficient swamps their
tolerances), protein is 0 g: a blend that fails the brief. Expected status, by hand: not
optimal, `unverified`, exit 3, the protein bound named.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import sarcoform as sf
from conftest import food_table, run_cli
from sarcoform.io.brief_toml import parse_brief_toml

FOODS_CSV = "id,name,price_per_kg,protein_g\nweird,Weird powder,2,1e16\nfiller,Filler,1,0\nwhey,Whey,10,80\n"
BRIEF = 'name = "t"\n[serving]\nserving_g = 50\n[[nutrient]]\nname = "protein"\nmin = 15\n'


@pytest.fixture()
def case(tmp_path: Path) -> tuple[Path, Path]:
    foods, brief = tmp_path / "foods.csv", tmp_path / "brief.toml"
    foods.write_text(FOODS_CSV)
    brief.write_text(BRIEF)
    return foods, brief


@pytest.mark.parametrize("solver", ["cbc", "highs"])
def test_failed_verification_is_unverified_not_optimal(solver: str) -> None:
    result = sf.solve(food_table(FOODS_CSV), parse_brief_toml(BRIEF, "t.toml"), solver=solver)
    assert result.verification is not None and not result.verification.ok
    assert result.status == "unverified" and not result.ok and result.exit_code == 3
    assert result.diagnosis is not None and "protein_g per serving" in result.diagnosis.conflict


@pytest.mark.parametrize("solver", ["cbc", "highs"])
def test_cli_solve_exits_3_naming_the_failing_bound(tmp_path: Path, solver: str) -> None:
    """From a file, protein_g = 1e16 is refused on reading (more than 100 g per 100 g); a
    calcium of 1e16 mg per 100 g is no such impossibility, and fails the check the same way."""
    foods, brief = tmp_path / "foods.csv", tmp_path / "brief.toml"
    foods.write_text(
        "id,name,price_per_kg,calcium_mg\nweird,Weird mineral,2,1e16\n"
        "filler,Filler,1,0\nchalk,Chalk,1.5,40000\n"
    )
    brief.write_text('name = "t"\n[serving]\nserving_g = 50\n[[nutrient]]\nname = "calcium"\nmin = 150\n')
    run = run_cli("solve", "-f", str(foods), "-c", str(brief), "--solver", solver)
    assert run.returncode == 3, run.stdout + run.stderr
    assert "unverified" in run.stdout and "calcium_mg per serving" in run.stdout


@pytest.mark.parametrize("solver", ["cbc", "highs"])
def test_batch_item_is_unverified_and_the_batch_exits_3(solver: str) -> None:
    batch = sf.solve_batch(food_table(FOODS_CSV), [parse_brief_toml(BRIEF, "t.toml")], solver=solver)
    (item,) = batch.items
    assert item.status == "unverified" and item.verified is False
    assert "protein_g per serving" in item.reason  # the failing bound, named
    assert batch.exit_code == 3
    assert batch.result(item.product, item.scenario).status == "unverified"


def test_resume_does_not_trust_an_edited_journal_cost(foods: sf.FoodTable, tmp_path: Path) -> None:
    journal = tmp_path / "out.csv.journal.jsonl"
    first = sf.solve_batch(foods, ["ons_powder"], solver="highs", journal=journal)
    true_cost = first.items[0].cost_per_serving
    assert first.items[0].status == "optimal" and true_cost is not None
    header, line = journal.read_text().splitlines()
    record = json.loads(line)
    record["cost_per_serving"] = true_cost / 2  # a tempting edit
    journal.write_text(header + "\n" + json.dumps(record) + "\n")
    resumed = sf.solve_batch(foods, ["ons_powder"], solver="highs", journal=journal, resume=True)
    assert resumed.items[0].cost_per_serving == pytest.approx(true_cost, rel=1e-9)


def test_resume_keeps_a_journal_item_that_checks_out(foods: sf.FoodTable, tmp_path: Path) -> None:
    journal = tmp_path / "out.csv.journal.jsonl"
    first = sf.solve_batch(foods, ["ons_powder"], solver="highs", journal=journal)
    resumed = sf.solve_batch(foods, ["ons_powder"], solver="highs", journal=journal, resume=True)
    # Kept from the journal, not solved again: the recorded solve time comes back unchanged.
    assert resumed.items[0].seconds == first.items[0].seconds


def test_resume_re_solves_a_journal_blend_that_fails_the_brief(foods: sf.FoodTable, tmp_path: Path) -> None:
    journal = tmp_path / "out.csv.journal.jsonl"
    sf.solve_batch(foods, ["ons_powder"], solver="highs", journal=journal)
    header, line = journal.read_text().splitlines()
    record = json.loads(line)
    record["grams"] = [0.0 if g is None else g * 0.5 for g in record["grams"]]  # half a serving
    journal.write_text(header + "\n" + json.dumps(record) + "\n")
    resumed = sf.solve_batch(foods, ["ons_powder"], solver="highs", journal=journal, resume=True)
    assert resumed.items[0].serving_g == pytest.approx(sf.load_brief().serving.serving_g)


def test_a_multiblend_plan_that_fails_the_check_is_unverified() -> None:
    product = sf.Product("a", parse_brief_toml(BRIEF, "t.toml"), volume_kg=100.0)
    plan = sf.solve_multiblend(food_table(FOODS_CSV), [product], {"whey": 1000.0})
    assert plan.status == "unverified" and plan.exit_code == 3 and "'a'" not in plan.reason
    assert not plan.products[0].verified and "a fail the independent check" in plan.reason


def test_a_coefficient_too_large_for_highs_names_the_ingredient(foods: sf.FoodTable) -> None:
    """The embedded table with whey isolate's protein_g typed as 1e16: scaled by the protein
    energy share (17 kJ/g), HiGHS refuses the matrix (entries > 1e15) and says only "error";
    the result names the ingredient and the bound. On either solver, never a failed check
    reported as optimal."""
    records = foods.records()
    k = foods.position("wpi") or 0
    records[k] = {**records[k], "protein_g": 1e16}
    rows = [["" if r[c] is None else r[c] for c in foods.columns] for r in records]
    table = sf.FoodTable.from_records(list(foods.columns), rows, origin="typo")  # type: ignore[arg-type]
    brief = sf.load_brief()
    for solver in ("cbc", "highs"):
        r = sf.solve(table, brief, solver=solver)
        assert r.verification is None or r.verification.ok or r.status != "optimal"
    r = sf.solve(table, brief, solver="highs")
    assert r.status == "error" and r.exit_code == 3 and r.diagnosis is not None
    assert "(wpi)" in r.diagnosis.reason and r.diagnosis.conflict


def test_the_spec_sheet_and_workbook_say_not_verified() -> None:
    """Every report that states a status says an unverified blend is NOT verified (the brief
    sheet once had no words for this status and raised KeyError)."""
    from sarcoform.report.spec_sheet import spec_sheet
    from sarcoform.report.workbook import result_workbook

    foods, brief = food_table(FOODS_CSV), parse_brief_toml(BRIEF, "t.toml")
    result = sf.solve(foods, brief, solver="highs")
    assert result.status == "unverified"
    assert dict(spec_sheet(result).facts)["Status"].startswith("unverified: NOT verified")
    summary = result_workbook(result, foods=foods, brief=brief)["Summary"]
    status_row = next(r for r in summary.iter_rows(values_only=True) if r[0] == "status")
    assert status_row[1] == "unverified"
    assert any("NOT verified" in str(c) and "Diagnosis" in str(c) for c in status_row[2:])
