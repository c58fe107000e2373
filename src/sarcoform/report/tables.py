"""Terminal tables of the other commands: the food table, batch runs and multi-blend plans.

The batch feature sits above this layer, so its results come in through the small
protocols below (what a table needs), never by importing `sarcoform.batch`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import UsageError
from ..model.foods import FoodTable
from ..model.units import label, split_column
from .text import fixed_width_table, printable

if TYPE_CHECKING:
    import pandas as pd
    from rich.console import Console


class BatchItem(Protocol):
    @property
    def product(self) -> str: ...
    @property
    def scenario(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def reason(self) -> str: ...


class BatchOutcome(Protocol):
    """What the batch table shows of a `sarcoform.BatchResult`."""

    @property
    def seconds(self) -> float: ...

    def __len__(self) -> int: ...
    @property
    def counts(self) -> dict[str, int]: ...
    @property
    def items(self) -> Sequence[BatchItem]: ...
    def summary(self) -> pd.DataFrame: ...


class Allocation(Protocol):
    @property
    def product(self) -> str: ...
    @property
    def volume_kg(self) -> float: ...
    @property
    def cost_per_serving(self) -> float | None: ...
    @property
    def standalone_cost_per_serving(self) -> float | None: ...
    @property
    def extra_cost(self) -> float | None: ...
    @property
    def gave_way(self) -> bool: ...


class IngredientUse(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def available_kg(self) -> float: ...
    @property
    def used_kg(self) -> float | None: ...
    @property
    def standalone_kg(self) -> float: ...
    @property
    def scarce(self) -> bool: ...
    @property
    def value_per_kg(self) -> float | None: ...


class JointPlan(Protocol):
    """What the multi-blend tables show of a `sarcoform.MultiBlendResult`."""

    @property
    def status(self) -> str: ...
    @property
    def reason(self) -> str: ...
    @property
    def currency(self) -> str: ...
    @property
    def total_cost(self) -> float | None: ...
    @property
    def standalone_total_cost(self) -> float | None: ...
    @property
    def notes(self) -> list[str]: ...

    @property
    def products(self) -> Sequence[Allocation]: ...
    @property
    def ingredients(self) -> Sequence[IngredientUse]: ...


def console(stderr: bool = False) -> Console:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def print_foods(
    out: Console, table: FoodTable, nutrients: Sequence[str] = ("protein_g", "leucine_g")
) -> None:
    """The ingredients of a food table, one a line, with price and the chosen nutrient columns
    (per 100 g), fitted to the console's width (long names shortened with …)."""
    numbers = [table.numbers.get(c) for c in nutrients]

    def cell(values: Any, i: int) -> str:
        return "" if values is None or values[i] != values[i] else f"{values[i]:g}"

    price = table.price_per_kg
    rows = [
        [table.ids[i], table.names[i], table.text("group", i), cell(price, i), *(cell(v, i) for v in numbers)]
        for i in range(len(table))
    ]
    headers = ["id", "name", "group", "price/kg", *map(_heading, nutrients)]
    title = f"{printable(table.origin)}: {len(table)} ingredients (per 100 g)"
    fixed_width_table(out, title, headers, rows, shrink=1)


def food_columns(table: FoodTable, names: str) -> list[str]:
    """Columns for `foods --nutrients`: exact, or a nutrient without its unit (protein → protein_g)."""
    plain = {(split_column(c) or (c, ""))[0]: c for c in table.numbers}
    chosen = []
    for name in filter(None, (n.strip() for n in names.split(","))):
        column = name if name in table.numbers else plain.get(name)
        if column is None:
            raise UsageError(
                f"--nutrients {name}: no such column; the table has {', '.join(sorted(table.numbers))}"
            )
        chosen.append(column)
    return chosen


def _heading(column: str) -> str:
    """`vitamin_d_ug` → `vitamin d µg`."""
    parts = split_column(column)
    return column if parts is None else f"{parts[0].replace('_', ' ')} {label(parts[1])}"


def print_batch(out: Console, result: BatchOutcome, output: Path | None) -> None:
    """Per product: items by status and cost per serving; then every item without an answer."""
    from rich.table import Table

    counts = ", ".join(f"{n} {status}" for status, n in sorted(result.counts.items()))
    shown = Table(title=f"{len(result)} items in {result.seconds:.1f} s: {counts}", title_justify="left")
    summary = result.summary()
    for column in ("product", "optimal", "not optimal", "cost min", "cost median", "cost max"):
        shown.add_column(column, justify="left" if column == "product" else "right")
    for row in summary.itertuples(index=False):
        cells = [f"{v:.4f}" if v == v else "–" for v in (row.cost_min, row.cost_median, row.cost_max)]
        shown.add_row(printable(row.product), str(row.optimal), str(row.not_optimal), *cells)
    out.print(shown)
    for item in result.items:
        if item.status != "optimal":
            out.print(
                printable(f"{item.product} × {item.scenario}: {item.status}: {item.reason}"), markup=False
            )
    _written(out, output)


def print_multiblend(out: Console, plan: JointPlan, output: Path | None) -> None:
    """The joint plan: total cost, products (who gave way) and limited ingredients (value of +1 kg)."""
    from rich.table import Table

    if plan.status != "optimal":
        out.print(printable(f"no joint plan ({plan.status}): {plan.reason}"), markup=False)
        return
    extra = (plan.total_cost or 0.0) - (plan.standalone_total_cost or 0.0)
    out.print(
        f"total cost {plan.total_cost:,.2f} {plan.currency} ({extra:+,.2f} against each product on its own)",
        markup=False,
    )
    products = Table(title="products", title_justify="left")
    for column in ("product", "kg", "cost/serving", "alone", "extra total", "gave way"):
        products.add_column(column, justify="left" if column == "product" else "right")
    for p in plan.products:
        products.add_row(
            printable(p.product),
            f"{p.volume_kg:g}",
            f"{p.cost_per_serving:.4f}",
            f"{p.standalone_cost_per_serving:.4f}",
            f"{p.extra_cost:+,.2f}",
            "yes" if p.gave_way else "",
        )
    out.print(products)
    ingredients = Table(
        title=f"limited ingredients (value of +1 kg in {plan.currency})", title_justify="left"
    )
    for column in ("id", "available kg", "used kg", "needed alone", "value of +1 kg"):
        ingredients.add_column(column, justify="left" if column == "id" else "right")
    for i in plan.ingredients:
        ingredients.add_row(
            printable(i.id),
            f"{i.available_kg:g}",
            f"{i.used_kg:.6g}",
            f"{i.standalone_kg:.6g}",
            f"{i.value_per_kg:.4f}" if i.scarce else "0 (spare)",
        )
    out.print(ingredients)
    for note in plan.notes:
        out.print(printable(f"note: {note}"), markup=False)
    _written(out, output)


def _written(out: Console, output: Path | None) -> None:
    if output is not None:
        out.print(f"written: {output}", markup=False)


class Progress:
    """A progress bar on stderr, shown from the first finished item (after the inputs check out)."""

    def __init__(self) -> None:
        self.done = 0
        self._bar: Any = None
        self._task: Any = None

    def __call__(self, done: int, total: int) -> None:
        if self._bar is None:
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeRemainingColumn
            from rich.progress import Progress as Bar

            columns = (TextColumn("solving"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
            self._bar = Bar(*columns, console=console(stderr=True), transient=False)
            self._bar.start()
            self._task = self._bar.add_task("solving", total=total)
        self.done = done
        self._bar.update(self._task, completed=done, total=total)

    def stop(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
