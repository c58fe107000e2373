"""sarcoform: least-cost and max-leucine formulation of sarcopenia formula foods.

import sarcoform as sf
foods = sf.load_foods()            # embedded table, or a .csv/.xlsx path
spec = sf.load_spec()              # default brief, a preset name, or a .toml/.xlsx path
result = sf.solve(foods, spec, solver="cbc")
result.status, result.cost_per_serving, result.blend, result.to_dict()
"""

from __future__ import annotations

from .errors import InputError, Problem, SarcoformError, SolverError, UsageError
from .io import load_foods, load_spec
from .io.embedded import preset_paths
from .model.foods import FoodTable
from .model.result import Result
from .model.spec import ConstraintSet
from .solve.engine import solve

__all__ = [
    "ConstraintSet",
    "FoodTable",
    "InputError",
    "Problem",
    "Result",
    "SarcoformError",
    "SolverError",
    "UsageError",
    "load_foods",
    "load_spec",
    "presets",
    "solve",
]

__version__ = "0.1.0"


def presets() -> list[str]:
    """Names of the embedded constraint presets."""
    return list(preset_paths())
