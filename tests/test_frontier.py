"""Trade-off curves: least cost against a nutrient level (ε-constraint)."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sarcoform as sf
from conftest import food_table, with_leucine_floor
from sarcoform.cli import main
from sarcoform.io.brief_toml import parse_brief_toml
from sarcoform.model.brief import NutrientBound
from sarcoform.solving.frontier import COLUMNS, frontier


def with_floor(brief: sf.Brief, level: float) -> sf.Brief:
    """The brief at least cost with its leucine-per-meal floor set to `level` (independent route)."""
    return with_leucine_floor(brief, level, objective="min_cost")


@pytest.fixture(scope="module")
def curve(foods: sf.FoodTable, brief: sf.Brief) -> object:
    return frontier(foods, brief, "leucine", points=9)


def test_table_and_attrs(curve: object) -> None:
    import pandas as pd

    assert isinstance(curve, pd.DataFrame)
    assert tuple(curve.columns) == COLUMNS
    assert curve.attrs["nutrient"] == "leucine" and curve.attrs["basis"] == "meal"
    assert curve.attrs["unit"] == "g" and curve.attrs["currency"] == "USD"
    assert (curve["status"] == "optimal").all()
    assert curve["blend"].str.contains(" g").all()


@pytest.mark.parametrize("solver", ["cbc", "highs"])
def test_each_point_matches_an_independent_solve(
    curve: object, foods: sf.FoodTable, brief: sf.Brief, solver: str
) -> None:
    import pandas as pd

    assert isinstance(curve, pd.DataFrame)
    for level, cost in zip(curve["level"][::2], curve["cost_per_serving"][::2], strict=True):
        r = sf.solve(foods, with_floor(brief, float(level)), solver=solver, sensitivity=False)
        assert r.status == "optimal"
        assert r.cost_per_serving == pytest.approx(cost, rel=2e-6)


def test_curve_starts_at_the_cheapest_blend_and_ends_at_the_most_the_brief_allows(
    curve: object, foods: sf.FoodTable, brief: sf.Brief
) -> None:
    import pandas as pd

    assert isinstance(curve, pd.DataFrame)
    levels = curve["level"].to_numpy()
    # Below the first level the floor does not bind: the least-cost blend without it.
    free = sf.solve(foods, with_floor(brief, 0.0), solver="highs", sensitivity=False)
    leucine = {c.name: c.value for c in free.constraint_lines}["leucine_g per meal"]
    assert levels[0] == pytest.approx(leucine, rel=1e-6)
    # Its marginal cost is what the next 0.1 g costs: the slope just above it (independent solves).
    delta = 1e-3
    above = sf.solve(foods, with_floor(brief, levels[0] + delta), solver="highs", sensitivity=False)
    assert above.cost_per_serving is not None and free.cost_per_serving is not None
    slope = (above.cost_per_serving - free.cost_per_serving) / delta * 0.1
    assert curve["marginal_cost_per_0.1"].iloc[0] == pytest.approx(slope, rel=1e-4)
    # The last level is the most leucine per meal the rest of the brief allows.
    most = sf.solve(foods, brief.with_changes(objective="max:leucine"), solver="highs", sensitivity=False)
    assert levels[-1] == pytest.approx(most.objective_value, rel=1e-6)
    assert math.isnan(curve["marginal_cost_per_0.1"].iloc[-1])  # no more at any price
    assert sf.solve(foods, with_floor(brief, levels[-1] * 1.0001), solver="highs").status == "infeasible"


def test_non_decreasing_convex_and_marginal_is_the_slope(curve: object) -> None:
    import pandas as pd

    assert isinstance(curve, pd.DataFrame)
    level = curve["level"].to_numpy()
    cost = curve["cost_per_serving"].to_numpy()
    assert np.all(np.diff(cost) >= -1e-9)
    slopes = np.diff(cost) / np.diff(level)
    assert np.all(np.diff(slopes) >= -1e-7)  # convex
    # The marginal cost at a level is a subgradient there: between the slopes either side.
    marginal = curve["marginal_cost_per_0.1"].to_numpy() / 0.1
    for i in range(1, len(level) - 1):
        assert slopes[i - 1] - 1e-6 <= marginal[i] <= slopes[i] + 1e-6


def test_fractional_basis_matches_independent_solves(foods: sf.FoodTable, brief: sf.Brief) -> None:
    curve = frontier(foods, brief, "protein", basis="per_100kcal", points=4)
    assert curve.attrs["basis"] == "per_100kcal"
    for level, cost in zip(curve["level"], curve["cost_per_serving"], strict=True):
        at_level = brief.model_copy(
            update={
                "nutrients": (*brief.nutrients, NutrientBound(name="protein", basis="per_100kcal", min=level))
            }
        )
        r = sf.solve(foods, at_level, solver="highs", sensitivity=False)
        assert r.status == "optimal" and r.cost_per_serving == pytest.approx(cost, rel=1e-6)


SMALL = """id,name,price_per_kg,protein_g,leucine_g
{rows}"""


@settings(max_examples=12, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(0.5, 30, allow_nan=False),  # price per kg
            st.floats(0, 90, allow_nan=False),  # protein per 100 g
            st.floats(0, 0.15, allow_nan=False),  # leucine share of protein
        ),
        min_size=2,
        max_size=5,
    )
)
def test_any_curve_is_non_decreasing_and_convex(rows: list[tuple[float, float, float]]) -> None:
    text = "\n".join(f"f{i},Food {i},{p:.4f},{q:.4f},{q * s:.5f}" for i, (p, q, s) in enumerate(rows))
    foods = food_table(SMALL.format(rows=text), origin="random")
    brief = parse_brief_toml('name = "r"\n[serving]\nserving_g = 30\n', "r.toml")
    curve = frontier(foods, brief, "leucine", points=6)
    cost = curve["cost_per_serving"].to_numpy()
    assert np.all(np.diff(cost) >= -1e-9)
    if curve["level"].iloc[-1] - curve["level"].iloc[0] > 1e-6:
        slopes = np.diff(cost) / np.diff(curve["level"].to_numpy())
        assert np.all(np.diff(slopes) >= -1e-6 * max(1.0, float(np.abs(slopes).max())))


def test_practical_brief_uses_finite_differences(foods: sf.FoodTable) -> None:
    """A mixed-integer brief has no shadow prices: the marginal cost is the slope from the
    previous level, here from two independent solves of the brief at those two levels."""
    brief = sf.load_brief("milk_beverage_powder").with_changes(max_ingredients=7)
    curve = frontier(foods, brief, "leucine", points=3, solver="highs")
    assert (curve["status"] == "optimal").all()
    level = curve["level"].to_numpy()
    assert math.isnan(curve["marginal_cost_per_0.1"].iloc[0])  # no previous level
    cost = []
    for at in level[:2]:
        r = sf.solve(foods, with_floor(brief, float(at)), solver="cbc", sensitivity=False)
        assert r.status == "optimal" and r.cost_per_serving is not None
        cost.append(r.cost_per_serving)
    dl = level[1] - level[0]
    # Each cost is optimal within the MIP gap (1e-6 relative): so is their slope, scaled.
    slack = 2e-6 * max(cost) / dl * 0.1
    assert curve["marginal_cost_per_0.1"].iloc[1] == pytest.approx((cost[1] - cost[0]) / dl * 0.1, abs=slack)


def test_marginal_cost_lies_between_the_slopes_of_independent_solves(
    curve: object, foods: sf.FoodTable, brief: sf.Brief
) -> None:
    """At each inner level, the brief re-solved (CBC, the regular path) at level − δ, level
    and level + δ: the marginal cost lies between the slopes on either side, as any
    subgradient of a convex curve does (for any δ; off a breakpoint it equals both)."""
    import pandas as pd

    assert isinstance(curve, pd.DataFrame)
    for level, marginal in zip(curve["level"][1:-1], curve["marginal_cost_per_0.1"][1:-1], strict=True):
        delta = 0.02 * max(1.0, float(level))
        costs = []
        for at in (level - delta, level, level + delta):
            r = sf.solve(foods, with_floor(brief, float(at)), solver="cbc", sensitivity=False)
            assert r.status == "optimal" and r.cost_per_serving is not None
            costs.append(r.cost_per_serving)
        left, right = (costs[1] - costs[0]) / delta * 0.1, (costs[2] - costs[1]) / delta * 0.1
        slack = 1e-4 * max(abs(left), abs(right)) + 1e-9  # CBC reports ~7 significant digits
        assert left - slack <= marginal <= right + slack, (level, left, marginal, right)


def test_a_wrong_sign_would_show(
    foods: sf.FoodTable, brief: sf.Brief, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The marginal cost is the shadow price as the duals give it, not clamped at 0: duals
    of the wrong sign (a fault injected here) show as negative marginal costs."""
    from dataclasses import replace

    from sarcoform.solving import practical

    solve = practical.solve

    def flipped(*args: object, **kwargs: object) -> object:
        sol = solve(*args, **kwargs)  # type: ignore[arg-type]
        return replace(sol, row_duals=None if sol.row_duals is None else -sol.row_duals)

    monkeypatch.setattr(practical, "solve", flipped)
    shown = frontier(foods, brief, "leucine", points=5)["marginal_cost_per_0.1"].to_numpy()
    assert np.all(shown[:-1] <= 0) and np.any(shown[1:-1] < -1e-6)


def test_cli_writes_csv_png_and_excel_chart(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "leucine"
    assert main(["frontier", "--points", "5", "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "marginal cost (USD per extra 0.1 g)" in " ".join(printed.split())  # wrapped at the width
    rows = list(csv.DictReader(io.StringIO((tmp_path / "leucine.csv").read_text())))
    assert len(rows) == 5 and list(rows[0]) == list(COLUMNS)
    assert (tmp_path / "leucine.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    from openpyxl import load_workbook

    ws = load_workbook(tmp_path / "leucine.xlsx")["Frontier"]
    assert len(ws._charts) == 1
    assert ws.cell(1, 1).value == "leucine (g per meal)"
    assert [ws.cell(r, 2).value for r in range(2, 7)] == pytest.approx(
        [float(r["cost_per_serving"]) for r in rows]
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["leucine.csv", "leucine.png", "leucine.xlsx"]


def test_cli_unknown_nutrient_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["frontier", "--nutrient", "leucin3"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --nutrient") and "leucine" in err and "Traceback" not in err


def test_cli_infeasible_brief_has_no_curve(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # 30 g cannot hold 40 g protein, whatever the leucine level: no curve, exit 1.
    brief = tmp_path / "brief.toml"
    brief.write_text('name = "b"\n[serving]\nserving_g = 30\n[[nutrient]]\nname = "protein"\nmin = 40\n')
    assert main(["frontier", "-c", str(brief), "-o", str(tmp_path / "out")]) == 1
    assert "infeasible" in capsys.readouterr().err
    assert not list(tmp_path.glob("out.*"))


def test_control_characters_in_ids_survive_every_output(curve: object, tmp_path: Path) -> None:
    """An ingredient id holding "\\x0b" (which XML cannot hold) in the blend column."""
    from sarcoform.io.xlsx import read_sheet
    from sarcoform.report.frontier import write_frontier

    frame = curve.copy()  # type: ignore[attr-defined]
    frame.attrs = dict(curve.attrs)  # type: ignore[attr-defined]
    frame.loc[0, "blend"] = "wpi\x0b 3 g, =cmd 1 g"
    frame.loc[1, "blend"] = "smp\r 2 g"
    write_frontier(frame, tmp_path / "f")
    sheet = read_sheet(tmp_path / "f.xlsx", "Frontier")
    assert sheet is not None and sheet.rows[0][3] == "wpi\x0b 3 g, =cmd 1 g"
    rows = list(csv.reader(io.StringIO((tmp_path / "f.csv").read_bytes().decode("utf-8"), newline="")))
    assert rows[1][3] == "wpi\x0b 3 g, =cmd 1 g" and rows[2][3] == "smp\r 2 g"  # a lone \r is quoted


def _cost(foods: sf.FoodTable, brief: sf.Brief, level: float) -> float:
    r = sf.solve(foods, with_floor(brief, level), solver="highs", sensitivity=False)
    assert r.status == "optimal" and r.cost_per_serving is not None
    return r.cost_per_serving


def test_from_to_step_give_those_levels(foods: sf.FoodTable, brief: sf.Brief) -> None:
    curve = frontier(foods, brief, "leucine", start=2.25, stop=3.0, step=0.25)
    assert curve["level"].tolist() == pytest.approx([2.25, 2.5, 2.75, 3.0])
    assert curve["cost_per_serving"].iloc[2] == pytest.approx(_cost(foods, brief, 2.75), rel=1e-6)


def test_levels_out_of_reach_are_left_out_not_nan(
    foods: sf.FoodTable, brief: sf.Brief, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--to beyond the most the brief allows: the curve stops at that most (an independent
    max-leucine solve), with a note; no row is nan, in the frame, the CSV or the terminal."""
    most = sf.solve(foods, brief.with_changes(objective="max:leucine"), solver="highs", sensitivity=False)
    assert most.objective_value is not None
    # the default brief caps leucine at 3 g per serving (the review's 6 g/day)
    assert main(["frontier", "--from", "2.2", "--to", "4", "--step", "0.5", "-o", str(tmp_path / "c")]) == 0
    printed = capsys.readouterr().out
    rows = list(csv.DictReader(io.StringIO((tmp_path / "c.csv").read_text())))
    assert [float(r["level"]) for r in rows] == pytest.approx([2.2, 2.7, most.objective_value])
    assert all(r["status"] == "optimal" and math.isfinite(float(r["cost_per_serving"])) for r in rows)
    assert "nan" not in (tmp_path / "c.csv").read_text().lower() and "nan" not in printed.lower()
    assert "out of reach" in printed and "at the limit" in printed


def _without_leucine_cap(brief: sf.Brief) -> sf.Brief:
    """The brief without its 3 g leucine per serving cap: a curve long enough to bend often."""
    kept = tuple(e for e in brief.nutrients if not (e.name == "leucine" and e.basis == "serving"))
    return brief.model_copy(update={"nutrients": kept})


def test_marginal_cost_steps_sit_at_the_breakpoints(foods: sf.FoodTable, brief: sf.Brief) -> None:
    """Each change of the marginal cost is drawn at the level where the curve bends: independent
    solves just below and just above it give the previous and the new slope (5 levels sampled,
    so the bends lie between the sampled levels, not on them)."""
    from sarcoform.report.frontier import marginal_steps

    brief = _without_leucine_cap(brief)
    curve = frontier(foods, brief, "leucine", points=5)
    xs, ys = marginal_steps(curve)
    assert len(ys) - 1 > 3  # more bends than sampled levels: found between them
    assert xs[-1] == pytest.approx(curve["level"].iloc[-1])
    for i in range(1, min(len(ys) - 1, 4)):  # the bends, left to right (the first few)
        at = xs[i]
        delta = min(1e-4, (xs[i + 1] - at) / 4, (at - xs[i - 1]) / 4)
        below, here, above = (_cost(foods, brief, at + d) for d in (-delta, 0.0, delta))
        assert (here - below) / delta * 0.1 == pytest.approx(ys[i - 1], rel=1e-3, abs=1e-8)
        assert (above - here) / delta * 0.1 == pytest.approx(ys[i], rel=1e-3, abs=1e-8)


def test_excel_chart_draws_the_exact_curve_unsmoothed(
    foods: sf.FoodTable, brief: sf.Brief, tmp_path: Path
) -> None:
    """The chart's points are the curve through its bends (every level where the marginal cost
    changes), drawn with straight lines: a smoothed line would dip below the convex curve."""
    from openpyxl import load_workbook

    from sarcoform.report.frontier import marginal_steps, write_xlsx

    brief = _without_leucine_cap(brief)
    curve = frontier(foods, brief, "leucine", points=4)
    write_xlsx(curve, tmp_path / "c.xlsx")
    ws = load_workbook(tmp_path / "c.xlsx")["Frontier"]
    (chart,) = ws._charts
    (series,) = chart.series
    assert not series.smooth
    ref = series.xVal.numRef.f  # e.g. 'Frontier'!$A$8:$A$20
    first, last = (int(part.split("$")[-1]) for part in ref.split("!")[1].split(":"))
    charted = [ws.cell(row=r, column=1).value for r in range(first, last + 1)]
    starts, _ = marginal_steps(curve)
    assert all(any(abs(x - s) < 1e-9 for x in charted) for s in starts)
    assert len(charted) > len(curve)  # bends between the sampled levels are charted too


def test_a_chance_constrained_brief_is_swept_on_its_mean_values_and_says_so(foods: sf.FoodTable) -> None:
    """The shipped default holds its minimums in 95 % of lots; the frontier solves plain LPs,
    so it sweeps the mean-value brief, says so, and its point at 2.5 g is that brief's optimum."""
    shipped = sf.load_brief()
    assert shipped.asks_probability
    curve = frontier(foods, shipped, "leucine", levels=[2.5])
    assert any("on mean compositions" in n for n in curve.attrs["notes"])
    plain = sf.solve(foods, shipped.on_mean_values(), solver="highs", sensitivity=False)
    assert curve["cost_per_serving"].iloc[0] == pytest.approx(plain.cost_per_serving, rel=1e-7)
    plan = sf.solve_multiblend(foods, [sf.Product("ons", shipped, volume_kg=100)], {"smp": 1e9})
    assert any("planned on mean compositions" in n for n in plan.notes)
