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

if TYPE_CHECKING:
    from .batch.entry import solve_batch, solve_multiblend
    from .batch.inputs import Availability, PriceScenarios, Product
    from .batch.multiblend import MultiBlendResult
    from .batch.result import BatchResult
    from .io import load_brief, load_foods
    from .io.packs import with_packs
    from .io.regulations import with_claims
    from .io.workbook import read_workbook
    from .io.workbook_write import write_workbook
    from .model.brief import Brief
    from .model.foods import FoodTable
    from .model.label import Label
    from .model.result import Result
    from .report.diff import diff_results
    from .report.label import label
    from .solving.engine import solve
    from .solving.frontier import frontier
    from .solving.production import production_plan

    # The older names of the brief and its reader: PRODUCT §6's stable API keeps them.
    ConstraintSet = Brief  # keep: old spelling
    load_spec = load_brief  # keep: old spelling

# Every name but the errors loads on first use: `import sarcoform` (and so the CLI, whose
# module sits in this package) costs no numpy, pydantic or PuLP until a name is read, so
# `sarcoform solve` can set up the process (cli.main) before they load.
_LAZY = {
    "load_brief": ("io", "load_brief"),
    "load_foods": ("io", "load_foods"),
    "load_spec": ("io", "load_brief"),  # keep: old spelling
    "Brief": ("model.brief", "Brief"),
    "ConstraintSet": ("model.brief", "Brief"),  # keep: old spelling
    "FoodTable": ("model.foods", "FoodTable"),
    "Result": ("model.result", "Result"),
    "solve": ("solving.engine", "solve"),
    "Availability": ("batch.inputs", "Availability"),
    "PriceScenarios": ("batch.inputs", "PriceScenarios"),
    "Product": ("batch.inputs", "Product"),
    "BatchResult": ("batch.result", "BatchResult"),
    "solve_batch": ("batch.entry", "solve_batch"),
    "MultiBlendResult": ("batch.multiblend", "MultiBlendResult"),
    "solve_multiblend": ("batch.entry", "solve_multiblend"),
    "read_workbook": ("io.workbook", "read_workbook"),
    "write_workbook": ("io.workbook_write", "write_workbook"),
    "frontier": ("solving.frontier", "frontier"),
    "diff_results": ("report.diff", "diff_results"),
    "label": ("report.label", "label"),
    "with_claims": ("io.regulations", "with_claims"),
    "with_packs": ("io.packs", "with_packs"),
    "Label": ("model.label", "Label"),
    "production_plan": ("solving.production", "production_plan"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(f".{module}", __name__), attr)
        globals()[name] = value  # once loaded, a plain attribute
        return value
    raise AttributeError(f"module 'sarcoform' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


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
    from .io.embedded import preset_paths

    return list(preset_paths())
