"""The `sarcoform` command: parse, one library call, render.

Library errors become one line on stderr and an exit code here and nowhere else:
0 optimal · 1 no feasible/bounded answer (a result) · 2 bad input · 3 solver/internal.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from .errors import InputError, SarcoformError, UsageError

app = typer.Typer(
    name="sarcoform",
    help="Least-cost and max-leucine formulation of sarcopenia formula foods.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

Solver = Annotated[str, typer.Option("--solver", help="cbc (default, via PuLP) or highs.")]
TimeLimit = Annotated[
    float | None, typer.Option("--time-limit", min=0.001, help="Seconds the solver may take.")
]


def _console(stderr: bool = False) -> Any:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=False)


def _inputs(book: Path | None, foods: str | None, constraints: str | None) -> tuple[Any, Any]:
    from . import load_foods, load_spec

    if book is not None:
        if book.suffix.lower() not in (".xlsx", ".xlsm"):
            raise UsageError(
                f"{book}: give a workbook (.xlsx) here, or use --foods F.csv --constraints C.toml"
            )
        return load_foods(foods or book), load_spec(constraints or book)
    return load_foods(foods), load_spec(constraints)


@app.command()
def solve(
    book: Annotated[
        Path | None, typer.Argument(help="Input workbook (.xlsx) with Foods and brief sheets.")
    ] = None,
    foods: Annotated[
        str | None,
        typer.Option("--foods", "-f", help="Food table (.csv/.xlsx); default: the embedded table."),
    ] = None,
    constraints: Annotated[
        str | None,
        typer.Option(
            "--constraints", "-c", help="Brief: preset name or .toml/.xlsx file; default: ons_powder."
        ),
    ] = None,
    objective: Annotated[
        str | None, typer.Option("--objective", help="min_cost, max:<nutrient> or min:<nutrient>.")
    ] = None,
    solver: Solver = "cbc",
    time_limit: TimeLimit = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the result to OUT.json or OUT.xlsx.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the Result JSON.")] = False,
) -> None:
    """Solve a brief: the cheapest blend that meets it (or the best for its objective)."""
    from .solve.engine import solve as run

    food_table, spec = _inputs(book, foods, constraints)
    if objective is not None:
        spec = _with_objective(spec, objective)
    if output is not None:
        from .io.files import refuse_overwriting_input

        refuse_overwriting_input(output, book, foods, constraints)
    result = run(food_table, spec, solver=solver, time_limit=time_limit)
    if output is not None:
        _write_result(result, output, food_table, spec)
    if as_json:
        sys.stdout.write(json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n")
    else:
        from .report.text import print_summary

        print_summary(result, _console(), title=spec.title)
        if output is not None:
            _console().print(f"written: {output}")
    raise typer.Exit(result.exit_code)


def _with_objective(spec: Any, objective: str) -> Any:
    from pydantic import ValidationError

    try:
        return spec.with_changes(objective=objective)
    except ValidationError as err:
        raise UsageError(f"--objective: {err.errors()[0]['msg'].removeprefix('Value error, ')}") from None


def _write_result(result: Any, output: Path, food_table: Any, spec: Any) -> None:
    suffix = output.suffix.lower()
    if suffix == ".json":
        from .io.files import write_text

        write_text(output, json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n")
    elif suffix == ".xlsx":
        from .report.workbook import write_result_workbook

        write_result_workbook(result, output, foods=food_table, spec=spec)
    else:
        raise UsageError(f"--output {output}: use a .json or .xlsx file name")


@app.command()
def presets() -> None:
    """List the embedded briefs (constraint presets), one line each."""
    from .io.embedded import preset_paths
    from .io.spec_toml import read_spec_toml

    for name, path in preset_paths().items():
        spec = read_spec_toml(path, label=f"constraints/{path.name}")
        typer.echo(f"{name:24s} {spec.objective:16s} {spec.title or ''}")


@app.command("foods")
def list_foods(
    foods: Annotated[str | None, typer.Option("--foods", "-f", help="Food table; default: embedded.")] = None,
) -> None:
    """List the ingredients of a food table with price, protein and leucine."""
    from rich.table import Table

    from . import load_foods

    table = load_foods(foods)
    out = Table(title=f"{table.origin}: {len(table)} ingredients", title_justify="left")
    for col in ("id", "name", "group", "price/kg", "protein g", "leucine g"):
        out.add_column(col, justify="right" if col[0] in "pl" else "left")
    protein = table.numbers.get("protein_g")
    leucine = table.numbers.get("leucine_g")

    def cell(values: Any, i: int) -> str:
        return "" if values is None or values[i] != values[i] else f"{values[i]:g}"

    for i, food_id in enumerate(table.ids):
        out.add_row(
            food_id,
            table.names[i],
            table.text("group", i),
            cell(table.price_per_kg, i),
            cell(protein, i),
            cell(leucine, i),
        )
    _console().print(out)


@app.command()
def check(
    inputs: Annotated[
        list[Path],
        typer.Argument(help="Food tables (.csv/.xlsx) and briefs (.toml/.xlsx) to check together."),
    ],
) -> None:
    """Report every problem in the inputs at once (exit 2 if any)."""
    from .check import check_inputs

    problems = check_inputs(inputs)
    for problem in problems:
        typer.echo(str(problem), err=True)
    if problems:
        typer.echo(f"{len(problems)} problem{'s' * (len(problems) > 1)} found", err=True)
        raise typer.Exit(2)
    typer.echo("ok: no problems found")


def main(argv: list[str] | None = None) -> int:
    """Console-script entry point; returns the exit code."""
    try:
        code = app(args=argv, standalone_mode=False)
    except InputError as err:
        for problem in err.problems[:20]:
            typer.echo(f"error: {problem}", err=True)
        if len(err.problems) > 20:
            typer.echo(f"error: … and {len(err.problems) - 20} more", err=True)
        return 2
    except SarcoformError as err:
        typer.echo(f"error: {err}", err=True)
        return err.exit_code
    except typer.Abort:
        typer.echo("aborted", err=True)
        return 130
    except typer.exceptions.TyperException as err:  # usage errors of the (vendored) click
        show = getattr(err, "show", None)
        if type(err).__name__ == "NoArgsIsHelpError" and show is not None:
            show()  # `sarcoform` alone: the help text
            return 0
        message = err.format_message() if hasattr(err, "format_message") else str(err)
        typer.echo(f"error: {message}", err=True)
        return int(getattr(err, "exit_code", 2))
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as err:  # never a traceback for users; say what broke
        typer.echo(f"error: internal error ({type(err).__name__}: {err}); please report it", err=True)
        return 3
    return int(code or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
