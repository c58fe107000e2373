"""What the single-solve speed work (issue 13 items 3-4) must not change.

- A basic column held at its own g-bound (a degenerate optimum) gets its shadow-price
  range from the basis in closed form; bisecting on the same basis finds the same edges.
- Result lines are built without validation in the hot path: a solved result must
  validate as it is, through the Result JSON.
"""

from __future__ import annotations

import numpy as np
import pytest

import sarcoform as sf
from sarcoform.model.result import Result
from sarcoform.solving import sensitivity as sens
from sarcoform.solving.compile import compile_brief
from sarcoform.solving.relax import with_bound


@pytest.fixture(scope="module")
def foods() -> sf.FoodTable:
    return sf.load_foods()


def test_basic_column_at_its_bound_matches_a_search(foods: sf.FoodTable) -> None:
    compiled = compile_brief(foods, sf.load_spec())
    result = sf.solve(foods, compiled.spec, solver="highs")
    x = np.array([result.grams.get(i, 0.0) for i in foods.ids])
    solved = sens._Solved.of(compiled.lp)
    assert solved is not None and solved.same_blend(x)
    basis = solved.probe()
    compared = 0
    for k, b in enumerate(compiled.bounds):
        side = b.active_side(b.value(x))
        j = b.column
        if j is None or side is None or b.min == b.max or solved.col_status[j] != sens.BASIC:
            continue
        if not sens._owns(compiled, k, j, side):
            continue
        bound = b.min if side == "min" else b.max
        assert bound is not None
        closed = basis.basic_column_bound(j, side)
        assert closed is not None

        def ok(t: float, k: int = k, side: str = side) -> bool:
            return basis.optimal(with_bound(compiled, solved.lp, k, side, t))

        searched = sens._interval(ok, bound)
        for a, c in zip(closed, searched, strict=True):
            assert (a is None) == (c is None)
            if a is not None and c is not None:
                assert a == pytest.approx(c, abs=1e-6 * max(1.0, abs(bound)))
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
