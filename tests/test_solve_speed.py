"""What the single-solve speed work (issue 13 items 3-4) must not change.

- A basic column held at its own g-bound (a degenerate optimum) gets its shadow-price
  range from the basis in closed form; bisecting on the same basis finds the same edges.
- Result lines are built without validation in the hot path: a solved result must
  validate as it is, through the Result JSON.
"""

from __future__ import annotations

import pytest

import sarcoform as sf
from conftest import assert_matches_search, solved_at_basis
from sarcoform.model.result import Result
from sarcoform.solving import sensitivity as sens


@pytest.fixture(scope="module")
def foods() -> sf.FoodTable:
    return sf.load_foods()


def test_basic_column_at_its_bound_matches_a_search(foods: sf.FoodTable) -> None:
    compiled, x, solved = solved_at_basis(foods, sf.load_spec())
    basis = solved.probe()
    compared = 0
    for k, b in enumerate(compiled.bounds):
        side = b.active_side(b.value(x))
        j = b.column
        if j is None or side is None or b.min == b.max or solved.col_status[j] != sens.BASIC:
            continue
        if not sens._owns(compiled, k, j, side):
            continue
        closed = basis.basic_column_bound(j, side)
        assert closed is not None
        assert_matches_search(compiled, solved, k, side, closed)
        compared += 1
    # The default brief's CaHMB cap (1.5 g) holds its column basic at the bound today; if a
    # HiGHS update picks another basis, this test has nothing left to compare: say so.
    assert compared >= 1, "no basic column at its own bound in the default brief's basis"


@pytest.mark.parametrize("solver", ["cbc", "highs"])
def test_a_solved_result_validates_as_it_is(foods: sf.FoodTable, solver: str) -> None:
    result = sf.solve(foods, sf.load_spec(), solver=solver)
    assert result.ok
    # Validation would turn a wrong type (a list for a tuple, an int code for a status
    # word, a missing field) into another value or an error: then these differ.
    assert Result.model_validate(result.model_dump(by_alias=True)) == result
    assert Result.from_dict(result.to_dict()).to_dict() == result.to_dict()
    for line in [*result.blend_lines, *result.constraint_lines, *result.nutrient_lines, *result.unused]:
        assert type(line).model_validate(line.model_dump()) == line
