from __future__ import annotations

import sarcoform as sf


def test_default_brief_solves_and_verifies(foods: sf.FoodTable, spec: sf.ConstraintSet) -> None:
    result = sf.solve(foods, spec)
    assert result.status == "optimal"
    assert result.verification is not None and result.verification.ok
    assert abs(sum(b.grams for b in result.blend_lines) - 50) < 1e-6
