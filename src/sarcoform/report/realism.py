"""Terminal sections for production realism: lot variability (chance constraints)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..model.result import MonteCarloLine, Result
from .text import _num, _table

if TYPE_CHECKING:
    from rich.console import Console


def print_realism(result: Result, console: Console) -> None:
    """Shelf-life overages; chance-constrained bounds, the Monte Carlo of lots and the
    cost of assurance."""
    from rich.text import Text

    life = result.shelf_life
    if life is not None and life.overages:
        _table(
            console,
            f"Shelf life {life.months:g} months: minimums hold at its end, maximums at manufacture",
            ["nutrient", "at manufacture", "at end", "retained", "overage"],
            [
                [
                    f"{o.nutrient} ({o.unit})",
                    _num(o.per_serving),
                    _num(o.per_serving_end),
                    "–" if o.retention is None else f"{o.retention:.1%}",
                    "–" if o.overage_percent is None else f"{o.overage_percent:.1f} %",
                ]
                for o in life.overages
            ],
        )
    v = result.variability
    if v is None:
        return
    chance = [c for c in result.constraint_lines if c.probability_target is not None]
    simulated: dict[tuple[str, str], MonteCarloLine] = {(m.constraint, m.side): m for m in v.monte_carlo}
    rows = []
    for c in chance:
        sides = [s for s in ("min", "max") if getattr(c, s) is not None]
        rates = [simulated.get((c.name, s)) for s in sides]
        mc = " / ".join(f"{m.pass_rate:.2%}" for m in rates if m is not None)
        rows.append(
            [
                f"{'●' if c.binding else ' '} {c.label}",
                _num(c.value),
                _num(c.sd, 3),
                _num(c.value_assured),
                f"{c.probability_target:.1%}",
                "–" if c.probability is None else f"{c.probability:.2%}",
                mc or "–",
            ]
        )
    if rows:
        _table(
            console,
            f"Ingredient lots (normal, independent): each side holds with its target probability"
            f" — {v.iterations} LP solves, {v.cuts} cuts, violation {v.max_violation:.0e}",
            ["constraint", "mean", "σ", "at target", "target", "probability", f"{v.lots:,} lots"],
            rows,
            [c.binding for c in chance],
        )
    unit = v.objective_unit
    parts = [f"at target {_num(v.objective_value, 6)}"]
    if v.mean_value_objective is not None:
        parts.append(
            f"mean values {_num(v.mean_value_objective, 6)} (assurance costs {_num(v.cost_of_assurance, 3)})"
        )
    if v.safety_margin_objective is not None:
        parts.append(
            f"flat margins mean − z·σ {_num(v.safety_margin_objective, 6)}"
            f" (saves {_num(v.saving_vs_safety_margin, 3)})"
        )
    else:
        parts.append(f"flat margins mean − z·σ: {v.safety_margin_status}")
    console.print(Text(f"Cost of assurance ({unit}): " + "; ".join(parts)))
    every = simulated.get(("all", "both"))
    if every is not None:
        console.print(
            Text(
                f"Monte Carlo: {every.pass_rate:.2%} of {v.lots:,} simulated lots (seed {v.seed}) meet every"
                f" chance-constrained bound at once ({v.monte_carlo_seconds or 0:.2f} s)",
                style="dim",
            )
        )
