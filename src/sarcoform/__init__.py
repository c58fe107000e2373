"""sarcoform: least-cost and max-leucine formulation of sarcopenia formula foods.

import sarcoform as sf
foods = sf.load_foods()            # embedded table, or a .csv/.xlsx path
brief = sf.load_brief()            # default brief, a preset name, or a .toml/.xlsx path
result = sf.solve(foods, brief, solver="cbc")
result.status, result.cost_per_serving, result.blend, result.to_dict()
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import InputError, Place, Problem, SarcoformError, SolverError, UsageError
from .io import load_brief, load_foods
from .io.embedded import preset_paths
from .model.brief import Brief
from .model.foods import FoodTable
from .model.result import Result
from .solving.engine import solve

# The older names of the brief and its reader: PRODUCT §6's stable API keeps them.
ConstraintSet = Brief  # keep: old spelling
load_spec = load_brief  # keep: old spelling

if TYPE_CHECKING:
    from .batch.entry import solve_batch, solve_multiblend
    from .batch.inputs import Availability, PriceScenarios, Product
    from .batch.multiblend import MultiBlendResult
    from .batch.result import BatchResult
    from .io.packs import with_packs
    from .io.regulations import with_claims
    from .io.workbook import read_workbook
    from .io.workbook_write import write_workbook
    from .model.label import Label
    from .report.diff import diff_results
    from .report.label import label
    from .solving.frontier import frontier
    from .solving.production import production_plan

# These names load on first use, so that `sarcoform solve` does not pay for their modules.
_LAZY = {
    "Availability": "batch.inputs",
    "PriceScenarios": "batch.inputs",
    "Product": "batch.inputs",
    "BatchResult": "batch.result",
    "solve_batch": "batch.entry",
    "MultiBlendResult": "batch.multiblend",
    "solve_multiblend": "batch.entry",
    "read_workbook": "io.workbook",
    "write_workbook": "io.workbook_write",
    "frontier": "solving.frontier",
    "diff_results": "report.diff",
    "label": "report.label",
    "with_claims": "io.regulations",
    "with_packs": "io.packs",
    "Label": "model.label",
    "production_plan": "solving.production",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'sarcoform' has no attribute {name!r}")


__all__ = [
    "Availability",
    "BatchResult",
    "Brief",
    "ConstraintSet",  # keep: old spelling
    "FoodTable",
    "InputError",
    "Label",
    "MultiBlendResult",
    "Place",
    "PriceScenarios",
    "Problem",
    "Product",
    "Result",
    "SarcoformError",
    "SolverError",
    "UsageError",
    "diff_results",
    "frontier",
    "label",
    "load_brief",
    "load_foods",
    "load_spec",  # keep: old spelling
    "presets",
    "production_plan",
    "read_workbook",
    "solve",
    "solve_batch",
    "solve_multiblend",
    "with_claims",
    "with_packs",
    "write_workbook",
]

__version__ = "0.1.0"


def presets() -> list[str]:
    """Names of the embedded briefs (presets)."""
    return list(preset_paths())
