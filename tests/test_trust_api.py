"""Issue 9 item 11: every public function given a wrong type raises an InputError with a
clear message, never a TypeError or AttributeError from inside."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import sarcoform as sf


@pytest.fixture(scope="module")
def inputs() -> tuple[sf.FoodTable, sf.Brief]:
    return sf.load_foods(), sf.load_brief()


# (call, fragment the message must contain). The first seven are the issue's own examples.
CASES: list[tuple[str, Callable[[sf.FoodTable, sf.Brief], Any], str]] = [
    ("load_foods({})", lambda f, s: sf.load_foods({}), "load_foods(source): expected a file name"),
    ("solve(None, brief)", lambda f, s: sf.solve(None, s), "solve(foods): expected a FoodTable"),
    ("solve(foods, path)", lambda f, s: sf.solve(f, "brief.toml"), "sarcoform.load_brief"),
    ("time_limit='x'", lambda f, s: sf.solve(f, s, time_limit="x"), "time_limit: expected seconds"),
    ("time_limit=-1", lambda f, s: sf.solve(f, s, time_limit=-1), "got int -1"),
    ("workers=0", lambda f, s: sf.solve_batch(f, ["ons_powder"], workers=0), "workers: expected a whole"),
    (
        "diff_results(None, None)",
        lambda f, s: sf.diff_results(None, None),
        "diff_results(a): expected a Result",
    ),
    ("load_brief(3.5)", lambda f, s: sf.load_brief(3.5), "load_brief(source)"),
    ("solve(solver=3)", lambda f, s: sf.solve(f, s, solver=3), "solver: expected text"),
    (
        "sensitivity='no'",
        lambda f, s: sf.solve(f, s, sensitivity="no"),
        "sensitivity: expected True or False",
    ),
    ("time_limit=nan", lambda f, s: sf.solve(f, s, time_limit=float("nan")), "time_limit"),
    ("workers='2'", lambda f, s: sf.solve_batch(f, ["ons_powder"], workers="2"), "workers"),
    ("solve_batch(None)", lambda f, s: sf.solve_batch(None, ["ons_powder"]), "solve_batch(foods)"),
    ("frontier(None)", lambda f, s: sf.frontier(None, s, "leucine"), "frontier(foods)"),
    ("frontier(points='x')", lambda f, s: sf.frontier(f, s, "leucine", points="x"), "frontier(points)"),
    ("frontier(nutrient=3)", lambda f, s: sf.frontier(f, s, 3), "frontier(nutrient)"),
    ("solve_multiblend(None)", lambda f, s: sf.solve_multiblend(None, [], {}), "solve_multiblend(foods)"),
    ("read_workbook(3)", lambda f, s: sf.read_workbook(3), "read_workbook(path)"),
    (
        "write_workbook(None, brief, path)",
        lambda f, s: sf.write_workbook(None, s, "x.xlsx"),
        "write_workbook(foods)",
    ),
    ("from_frame(None)", lambda f, s: sf.FoodTable.from_frame(None), "expected a pandas DataFrame"),
    ("with_prices(None)", lambda f, s: f.with_prices(None), "with_prices"),
    ("PriceScenarios.from_mapping(3)", lambda f, s: sf.PriceScenarios.from_mapping(3), "scenarios: expected"),
    ("Result.from_dict(None)", lambda f, s: sf.Result.from_dict(None), "not a sarcoform result"),
]


@pytest.mark.parametrize(("call", "fragment"), [(c[1], c[2]) for c in CASES], ids=[c[0] for c in CASES])
def test_a_wrong_type_is_an_input_error(
    inputs: tuple[sf.FoodTable, sf.Brief], call: Callable[..., Any], fragment: str
) -> None:
    with pytest.raises(sf.InputError) as caught:
        call(*inputs)
    assert fragment in str(caught.value)


def test_right_types_still_work(inputs: tuple[sf.FoodTable, sf.Brief]) -> None:
    foods, brief = inputs
    assert sf.solve(foods, brief, solver="highs", time_limit=60, sensitivity=False).ok
    assert sf.solve_batch(foods, ["ons_powder"], workers=1).exit_code == 0
