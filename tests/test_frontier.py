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
from sarcoform.cli import main
from sarcoform.io.spec_toml import parse_spec_toml
from sarcoform.model.spec import NutrientBound
from sarcoform.solve.frontier import COLUMNS, frontier


def with_floor(spec: sf.ConstraintSet, level: float) -> sf.ConstraintSet:
    """The brief at least cost with its leucine-per-meal floor set to `level` (independent route)."""
    nutrients = tuple(
        e.model_copy(update={"min": level}) if e.name == "leucine" and e.basis == "meal" else e
        for e in spec.nutrients
    )
    return spec.model_copy(update={"nutrients": nutrients, "objective": "min_cost"})


@pytest.fixture(scope="module")
def curve(foods: sf.FoodTable, spec: sf.ConstraintSet) -> object:
    return frontier(foods, spec, "leucine", points=9)


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
    curve: object, foods: sf.FoodTable, spec: sf.ConstraintSet, solver: str
) -> None:
    import pandas as pd

    assert isinstance(curve, pd.DataFrame)
    for level, cost in zip(curve["level"][::2], curve["cost_per_serving"][::2], strict=True):
        r = sf.solve(foods, with_floor(spec, float(level)), solver=solver, sensitivity=False)
        assert r.status == "optimal"
        assert r.cost_per_serving == pytest.approx(cost, rel=2e-6)


def test_curve_starts_at_the_cheapest_blend_and_ends_at_the_most_the_brief_allows(
    curve: object, foods: sf.FoodTable, spec: sf.ConstraintSet
) -> None:
    import pandas as pd

    assert isinstance(curve, pd.DataFrame)
    levels = curve["level"].to_numpy()
    # Below the first level the floor does not bind: the least-cost blend without it.
    free = sf.solve(foods, with_floor(spec, 0.0), solver="highs", sensitivity=False)
    leucine = {c.name: c.value for c in free.constraint_lines}["leucine_g per meal"]
    assert levels[0] == pytest.approx(leucine, rel=1e-6)
    assert curve["marginal_cost_per_0.1"].iloc[0] == pytest.approx(0.0, abs=1e-9)
    # The last level is the most leucine per meal the rest of the brief allows.
    most = sf.solve(foods, spec.with_changes(objective="max:leucine"), solver="highs", sensitivity=False)
    assert levels[-1] == pytest.approx(most.objective_value, rel=1e-6)
    assert math.isnan(curve["marginal_cost_per_0.1"].iloc[-1])  # no more at any price
    assert sf.solve(foods, with_floor(spec, levels[-1] * 1.0001), solver="highs").status == "infeasible"


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


def test_fractional_basis_matches_independent_solves(foods: sf.FoodTable, spec: sf.ConstraintSet) -> None:
    curve = frontier(foods, spec, "protein", basis="per_100kcal", points=4)
    assert curve.attrs["basis"] == "per_100kcal"
    for level, cost in zip(curve["level"], curve["cost_per_serving"], strict=True):
        brief = spec.model_copy(
            update={
                "nutrients": (*spec.nutrients, NutrientBound(name="protein", basis="per_100kcal", min=level))
            }
        )
        r = sf.solve(foods, brief, solver="highs", sensitivity=False)
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
    foods = sf.FoodTable.from_records(*_split(SMALL.format(rows=text)), origin="random")
    spec = parse_spec_toml('name = "r"\n[serving]\nserving_g = 30\n', "r.toml")
    curve = frontier(foods, spec, "leucine", points=6)
    cost = curve["cost_per_serving"].to_numpy()
    assert np.all(np.diff(cost) >= -1e-9)
    if curve["level"].iloc[-1] - curve["level"].iloc[0] > 1e-6:
        slopes = np.diff(cost) / np.diff(curve["level"].to_numpy())
        assert np.all(np.diff(slopes) >= -1e-6 * max(1.0, float(np.abs(slopes).max())))


def _split(text: str) -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(io.StringIO(text)))
    return rows[0], rows[1:]


def test_practical_brief_uses_finite_differences(foods: sf.FoodTable) -> None:
    spec = sf.load_spec("milk_beverage_powder").with_changes(max_ingredients=7)
    curve = frontier(foods, spec, "leucine", points=3, solver="highs")
    assert (curve["status"] == "optimal").all()
    cost, level = curve["cost_per_serving"].to_numpy(), curve["level"].to_numpy()
    assert math.isnan(curve["marginal_cost_per_0.1"].iloc[0])  # no previous level
    assert curve["marginal_cost_per_0.1"].iloc[1] == pytest.approx(
        (cost[1] - cost[0]) / (level[1] - level[0]) * 0.1
    )


def test_cli_writes_csv_png_and_excel_chart(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "leucine"
    assert main(["frontier", "--points", "5", "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "marginal cost (USD per extra 0.1 g)" in printed
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
