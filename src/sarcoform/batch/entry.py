"""The batch entry point: the one place where files, paths, DataFrames and mappings become
typed batch inputs (Products, PriceScenarios, Availability) before planning and solving."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

from ..errors import InputError, UsageError
from ..io import load_brief
from ..io.embedded import preset_paths
from ..model import args
from ..model.brief import Brief
from ..model.foods import FoodTable, cell_from_pandas
from .files import read_products, read_scenarios, scenarios_from_records
from .inputs import Availability, PriceScenarios, Product, name_problems
from .multiblend import MultiBlendResult, blend_jointly
from .planning import BatchSolver, plan_batch
from .result import BatchResult
from .running import run_batch

if TYPE_CHECKING:
    import pandas as pd

Products = str | Path | Sequence[Product | Brief | str] | Mapping[str, Product | Brief | str]
Scenarios: TypeAlias = (  # noqa: UP040 (a string: pandas loads only when a DataFrame is given)
    "PriceScenarios | Mapping[str, Mapping[str, float]] | str | Path | pd.DataFrame | None"
)


def solve_batch(
    foods: FoodTable,
    products: Products,
    scenarios: Scenarios = None,
    *,
    solver: BatchSolver = "highs",
    workers: int | None = None,
    executor: Executor | None = None,
    time_limit: float | None = None,
    journal: str | Path | None = None,
    resume: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> BatchResult:
    """Solve every product under every price scenario.

    - `products`: Products, Briefs or brief names (preset or .toml path) — a list,
      or a mapping product name → one of those — or a products file (.csv/.toml/.xlsx).
    - `scenarios`: None (the table's own prices, scenario "base"), a long DataFrame
      (`scenario`, `id`, `price_per_kg`), a mapping scenario → {id: price per kg}, or a file.
    - `solver`: "highs" (fast path: each brief compiled once, HiGHS hot starts) or "cbc"
      (the regular path of `sarcoform.solve`, item by item). The default differs from
      `sarcoform.solve` (cbc) because only HiGHS can be hot-started from scenario to scenario.
    - `workers`: None or 1 = in this process; N = a pool of N processes (os.cpu_count(): one per CPU).
      `executor`: any `concurrent.futures.Executor` instead (e.g. Dask `client.get_executor()`).
    - `journal`: a JSON-lines file receiving every finished item; with `resume=True` the
      items already in it are kept and only the rest are solved.
    - `progress(done, total)` is called as items finish.
    """
    args.expect(foods, FoodTable, "solve_batch(foods)")
    args.time_limit(time_limit)
    args.workers(workers)
    plan = plan_batch(
        foods, as_products(products), as_scenarios(scenarios), solver=solver, time_limit=time_limit
    )
    return run_batch(
        plan, workers=workers, executor=executor, journal=journal, resume=resume, progress=progress
    )


def solve_multiblend(
    foods: FoodTable,
    products: Products,
    availability: Availability | Mapping[str, float] | str | Path,
    *,
    volumes: Mapping[str, float] | None = None,
    prices: Mapping[str, float] | None = None,
) -> MultiBlendResult:
    """Allocate scarce ingredients across products at least total cost (HiGHS).

    `products` as for `solve_batch` (each with `volume_kg`, or give `volumes`
    product → kg); `availability` id → kg on hand (ingredients not named are
    unlimited), or an availability file; `prices` replace table prices (a scenario) for this plan.
    """
    args.expect(foods, FoodTable, "solve_multiblend(foods)")
    return blend_jointly(
        foods, as_products(products), as_availability(availability), volumes=volumes, prices=prices
    )


# -- untyped inputs to typed ones ------------------------------------------------------------


def as_products(products: Products) -> list[Product]:
    """Products from a products file, a list of Product / Brief / brief names, or a
    mapping name → one of those; names must be non-blank and unique (InputError). A brief
    given as a file is read here: a Product holds a brief or a preset name, never a path."""
    if isinstance(products, (str, Path)):
        out = list(read_products(products).products)
    elif isinstance(products, (Mapping, Sequence)):
        pairs = products.items() if isinstance(products, Mapping) else ((None, v) for v in products)
        out, problems = [], []
        for name, value in pairs:
            try:
                out.append(_product(value, None if name is None else str(name)))
            except InputError as err:  # a brief file that does not read: named after its product
                label = name or (value if isinstance(value, str) else value.name)
                problems += [p.at(f"product {label!r}: {p.message}") for p in err.problems]
        if problems:
            raise InputError(problems)
    else:
        raise UsageError(
            "products: give a products file, a list of Product / Brief, or a mapping name → brief"
        )
    problems = name_problems(out)
    if problems:
        raise InputError(problems)
    return out


def _product(value: Any, name: str | None) -> Product:
    if isinstance(value, Product):
        out = value if name is None or value.name == name else replace(value, name=name)
        return replace(out, brief=_brief(out.brief)) if isinstance(out.brief, str) else out
    if isinstance(value, Brief):
        return Product(name or value.name, brief=value)
    if isinstance(value, str):  # a preset name or a brief file
        return Product(name or value, brief=_brief(value))
    raise UsageError(f"products: expected a Product, Brief or brief name, got {type(value).__name__}")


def _brief(text: str) -> Brief | str:
    """A preset name stays a name; a brief file is read into its Brief."""
    if text in preset_paths() and not Path(text).exists():
        return text
    return load_brief(text)


def as_scenarios(scenarios: Scenarios) -> PriceScenarios:
    """Price scenarios from None (the table's prices), a file, a DataFrame or a mapping."""
    if scenarios is None:
        return PriceScenarios.base()
    if isinstance(scenarios, PriceScenarios):
        return scenarios
    if isinstance(scenarios, (str, Path)):
        return read_scenarios(scenarios)
    if hasattr(scenarios, "columns") and hasattr(scenarios, "itertuples"):  # a pandas DataFrame
        header = [str(c) for c in scenarios.columns]
        rows = [[cell_from_pandas(v) for v in row] for row in scenarios.itertuples(index=False)]
        return scenarios_from_records(header, rows, "scenarios DataFrame")  # type: ignore[arg-type]
    if isinstance(scenarios, Mapping):
        return PriceScenarios.from_mapping(scenarios)
    raise UsageError("scenarios: give a DataFrame (scenario, id, price_per_kg), a mapping or a file")


def as_availability(availability: Availability | Mapping[str, float] | str | Path) -> Availability:
    """Availability from an Availability, a mapping id → kg, or a file (.csv/.xlsx)."""
    if isinstance(availability, Availability):
        return availability
    if isinstance(availability, (str, Path)):
        from .files import read_availability

        return read_availability(availability)
    if not isinstance(availability, Mapping):
        kind = type(availability).__name__
        raise UsageError(f"availability: expected a mapping id → kg or a file, got {kind}")
    return Availability(dict(availability))
