"""Practical (mixed-integer) briefs keep their cost insight: the LP optimum against the MIP
optimum, and shadow prices from the LP with the chosen ingredients fixed, labelled so.

The references are scipy LPs built here from the food table (test_mip's problem): the LP
optimum without the practical limits, the integer optimum by enumeration, and the
fixed-choice LP re-solved at a moved bound (a shadow price is the slope of the optimum).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import linprog

import sarcoform as sf
from sarcoform.io.brief_toml import parse_brief_toml
from sarcoform.report.text import practicality
from test_mip import MINIMUM, NUTRIENTS, SERVING, N, bound_rows, brief, enumerate_best, foods, table


def lp_cost(members: list[int], moved: dict[str, tuple[float | None, float | None]], minimum: float) -> float:
    """Least cost (per serving) over `members`, each ≥ `minimum` g, with the nutrient bounds
    (those in `moved` replaced)."""
    _, per_g, price = table()
    rows, rhs = bound_rows(per_g[members].T, moved)
    res = linprog(
        price[members],
        A_ub=np.array(rows),
        b_ub=np.array(rhs),
        A_eq=np.ones((1, len(members))),
        b_eq=[SERVING],
        bounds=[(minimum, None)] * len(members),
        method="highs",
    )
    assert res.status == 0
    return float(res.fun)


@pytest.fixture(scope="module", params=["cbc", "highs"])
def mip(request: pytest.FixtureRequest) -> sf.Result:
    return sf.solve(foods(), parse_brief_toml(brief(), "b.toml"), solver=request.param)


def test_lp_optimum_against_mip_optimum(mip: sf.Result) -> None:
    ids, _, _ = table()
    free = lp_cost(list(range(len(ids))), {}, 0.0)
    best, _ = enumerate_best("min_cost")
    assert mip.cost_per_serving == pytest.approx(best, rel=1e-6)
    assert mip.lp_objective_value == pytest.approx(free, rel=1e-6)
    said = practicality(mip)
    assert said is not None
    loss = best - free
    assert loss > 0  # the LP alone uses more than N ingredients (test_mip)
    assert said.startswith(f"the {N}-ingredient limit and the {MINIMUM:g} g minimum inclusion cost ")
    assert f" {loss:.3g} USD/serving ({loss / free:.0%})".replace("%", " %") in said


def test_shadow_prices_come_from_the_lp_with_the_choice_fixed(mip: sf.Result) -> None:
    ids, _, _ = table()
    members = [ids.index(i) for i in mip.grams]
    assert any("with the chosen ingredients fixed" in n for n in mip.notes)
    priced = [
        c for c in mip.constraint_lines if c.binding and c.shadow_price is not None and c.kind == "nutrient"
    ]
    assert priced  # a MIP answer now carries shadow prices
    for c in priced:
        column = c.name.split(" per ")[0]
        base = lp_cost(members, {}, MINIMUM)
        lo, hi = NUTRIENTS[column]
        at = lo if c.active == "min" else hi
        assert at is not None
        step = 1e-3 * max(1.0, abs(at))
        bounds = (at + step, hi) if c.active == "min" else (lo, at + step)
        moved = lp_cost(members, {column: bounds}, MINIMUM)
        assert c.shadow_price == pytest.approx((moved - base) / step, rel=1e-3, abs=1e-9)
    counted = {c.name: c for c in mip.constraint_lines}["ingredients used"]
    assert counted.shadow_price is None  # the count is not a bound of the fixed LP


def test_terminal_states_the_price_of_practicality(
    capsys: pytest.CaptureFixture[str], tmp_path: object
) -> None:
    from pathlib import Path

    from conftest import food_table
    from sarcoform.cli import main
    from test_mip import FOODS

    folder = Path(str(tmp_path))
    (folder / "foods.csv").write_text(FOODS)
    (folder / "b.toml").write_text(brief())
    assert food_table(FOODS) is not None
    assert main(["solve", "-f", str(folder / "foods.csv"), "-c", str(folder / "b.toml")]) == 0
    out = capsys.readouterr().out
    assert f"Practical limits: the {N}-ingredient limit" in out
    assert "with the chosen ingredients fixed" in out


def test_results_workbook_states_the_lp_optimum(mip: sf.Result, tmp_path: object) -> None:
    from pathlib import Path

    from openpyxl import load_workbook

    from sarcoform.report.workbook import write_result_workbook

    path = Path(str(tmp_path)) / "r.xlsx"
    write_result_workbook(mip, path, foods=foods(), brief=parse_brief_toml(brief(), "b.toml"))
    rows = {r[0].value: r for r in load_workbook(path)["Summary"].iter_rows()}
    assert rows["lp_optimum"][1].value == pytest.approx(mip.lp_objective_value)
    assert rows["lp_optimum"][1].number_format == "0.0000"  # money: 4 decimals
    assert rows["lp_optimum"][3].value == practicality(mip)
