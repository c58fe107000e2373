"""The `sarcoform` command: parse, one library call, render.

Library errors become one line on stderr and an exit code here and nowhere else:
0 optimal · 1 no feasible/bounded answer (a result) · 2 bad input · 3 solver/internal.
"""

from __future__ import annotations

import contextlib
import copy
import gc
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, cast

import typer

from .errors import InputError, Problem, SarcoformError, UsageError

if TYPE_CHECKING:
    from .solving.backends import SolverName

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
Output = Annotated[
    Path | None, typer.Option("--output", "-o", help="Write the result to OUT.json or OUT.xlsx.")
]
AsJson = Annotated[bool, typer.Option("--json", help="Print the Result JSON.")]


def _solver(name: str) -> SolverName:
    """The --solver text as the library's solver type; the library checks it (a UsageError
    names the choices), so an unknown solver reads the same from the CLI and from Python."""
    return cast("SolverName", name)


def _console(stderr: bool = False) -> Any:
    from .report.tables import console

    return console(stderr)


# One input convention for every command (io/inputs.py): BOOK.xlsx, or -f/-c, or a mix.
Book = Annotated[
    Path | None,
    typer.Argument(help="Input workbook (.xlsx): its Foods sheet and its brief; -f/-c replace either."),
]
Foods = Annotated[
    str | None,
    typer.Option(
        "--foods", "-f", help="Food table (.csv/.xlsx); default: BOOK's Foods sheet, else the embedded table."
    ),
]
BriefOption = Annotated[
    str | None,
    typer.Option(
        "--constraints",
        "-c",
        help="Brief: preset name or .toml/.xlsx (an .xlsx also gives its Foods sheet); default: ons_powder.",
    ),
]


def _inputs(book: Path | None, foods: str | None, constraints: str | None) -> Any:
    """The resolved inputs; what was replaced or defaulted is said first, on stderr."""
    from .io.inputs import resolve_inputs

    inputs = resolve_inputs(book, foods, constraints)
    _notes(inputs.notes)
    return inputs


def _echo(text: str, err: bool = False) -> None:
    """A line of output that may hold text from the user's files: control characters escaped."""
    from .report.text import printable

    typer.echo(printable(text), err=err)


def _say(text: object, err: bool = False, indent: int | None = None) -> None:
    """A line of prose: control characters escaped, wrapped at the console's width with its
    continuation lines indented (by default 2 more than the line itself)."""
    from .report.text import prose

    text = str(text)
    lead = len(text) - len(text.lstrip(" "))
    prose(_console(err), text, indent=lead + 2 if indent is None else indent)


def _notes(notes: Any) -> None:
    for note in notes:
        _say(f"note: {note}", err=True)


@app.command()
def solve(
    book: Book = None,
    foods: Foods = None,
    constraints: BriefOption = None,
    objective: Annotated[
        str | None, typer.Option("--objective", help="min_cost, max:<nutrient> or min:<nutrient>.")
    ] = None,
    solver: Solver = "cbc",
    time_limit: TimeLimit = None,
    output: Output = None,
    as_json: AsJson = False,
    no_sensitivity: Annotated[
        bool,
        typer.Option("--no-sensitivity", help="Skip the ranges (shadow-price, price, entry price): faster."),
    ] = False,
) -> None:
    """Solve a brief: the cheapest blend that meets it (or the best for its objective)."""
    from .solving.engine import solve as run

    inputs = _inputs(book, foods, constraints)
    food_table, brief = inputs.foods, inputs.brief
    if objective is not None:
        brief = _with_objective(brief, objective)
    _check_output(output, book, foods, constraints)
    from .model.plausibility import brief_warnings, warning_lines

    if not as_json:
        _load_printing_meanwhile(solver)
    result = run(
        food_table, brief, solver=_solver(solver), time_limit=time_limit, sensitivity=not no_sensitivity
    )
    for line in warning_lines(brief_warnings(food_table, brief)):  # before the answer, on stderr
        _echo(line, err=True)
    if output is not None:
        _write_result(result, output, food_table, brief)
    if as_json:
        sys.stdout.write(json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n")
    else:
        from .report.realism import print_result

        print_result(result, _console(), title=brief.title)
        if output is not None:
            _console().print(f"written: {output}")
    raise typer.Exit(result.exit_code)


def _load_printing_meanwhile(solver: str) -> None:
    """Import what printing the result needs (rich, ~20 ms) on a thread while the solve
    runs: with CBC the process waits for each CBC run with Python's lock released, and
    the thread imports then. PuLP is imported first, here, so that the two never import
    at once (the solve's other modules are loaded by now). A failed import is left for
    the printing's own import to report."""
    import importlib
    import threading

    if solver == "cbc":
        from .solving.backends import import_pulp

        import_pulp()

    def load() -> None:
        with contextlib.suppress(Exception):
            for name in ("rich.console", "rich.text", "sarcoform.report.realism"):
                importlib.import_module(name)

    threading.Thread(target=load, name="sarcoform-load-printing", daemon=True).start()


def _check_output(output: Path | None, *inputs: Any) -> None:
    """Refuse an output that would overwrite an input or is not .json/.xlsx, before solving."""
    if output is None:
        return
    from .io.files import refuse_overwriting_input

    refuse_overwriting_input(output, *inputs)
    if output.suffix.lower() not in (".json", ".xlsx"):
        raise UsageError(f"--output {output}: use a .json or .xlsx file name")


def _with_objective(brief: Any, objective: str) -> Any:
    try:
        return brief.with_changes(objective=objective)
    except InputError as err:
        raise UsageError(f"--objective {err.problems[0].message.removeprefix('objective: ')}") from None


def _write_result(result: Any, output: Path, food_table: Any, brief: Any) -> None:
    suffix = output.suffix.lower()
    if suffix == ".json":
        from .io.files import write_text

        write_text(output, json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n")
    elif suffix == ".xlsx":
        from .report.workbook import write_result_workbook

        write_result_workbook(result, output, foods=food_table, brief=brief)
    else:
        raise UsageError(f"--output {output}: use a .json or .xlsx file name")


@app.command()
def production(
    book: Book = None,
    foods: Foods = None,
    constraints: BriefOption = None,
    batch_kg: Annotated[
        float | None, typer.Option("--batch-kg", min=0.001, help="Batch of finished product, kg.")
    ] = None,
    solver: Solver = "cbc",
    time_limit: TimeLimit = None,
    output: Output = None,
    as_json: AsJson = False,
) -> None:
    """Solve a brief and print what one batch weighs out: kg per ingredient rounded to the
    scales, the premix of micro-ingredients, the order of addition, the rounded formula re-checked."""
    from .solving.engine import solve as run
    from .solving.production import production_plan

    inputs = _inputs(book, foods, constraints)
    food_table, brief = inputs.foods, inputs.brief
    _check_output(output, book, foods, constraints)
    result = run(food_table, brief, solver=_solver(solver), time_limit=time_limit)
    if result.ok:
        made = production_plan(result, food_table, brief, batch_kg=batch_kg, solver=_solver(solver))
        result = result.model_copy(update={"production": made})
    if output is not None:
        _write_result(result, output, food_table, brief)
    if as_json:
        sys.stdout.write(json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n")
    else:
        from .report.realism import print_production, print_result

        if result.production is None:
            print_result(result, _console(), title=brief.title)
        else:
            print_production(result.production, _console(), result.currency)
        if output is not None:
            _console().print(f"written: {output}")
    plan = result.production
    rounded_ok = plan is not None and plan.verification is not None and plan.verification.ok
    raise typer.Exit(result.exit_code if not result.ok else (0 if rounded_ok else 1))


@app.command()
def presets() -> None:
    """List the embedded briefs (presets in constraints/), one line each."""
    from .io.brief_toml import read_brief_toml
    from .io.embedded import preset_paths

    for name, path in preset_paths().items():
        brief = read_brief_toml(path, label=f"constraints/{path.name}")
        _say(f"{name:24s} {brief.objective:16s} {brief.title or ''}", indent=42)


@app.command("foods")
def list_foods(
    book: Book = None,
    foods: Foods = None,
    nutrients: Annotated[
        str,
        typer.Option(
            "--nutrients", "-n", help="Nutrient columns to show, comma-separated (protein_g or protein)."
        ),
    ] = "protein_g,leucine_g",
) -> None:
    """List the ingredients of a food table with price and chosen nutrients (per 100 g)."""
    from . import load_foods
    from .report.tables import food_columns, print_foods

    table = load_foods(foods) if foods or book is None else _inputs(book, None, None).foods
    print_foods(_console(), table, food_columns(table, nutrients))


@app.command()
def check(
    inputs: Annotated[
        list[Path] | None,
        typer.Argument(help="Food tables (.csv/.xlsx) and briefs (.toml/.xlsx) to check together."),
    ] = None,
    foods: Foods = None,
    constraints: BriefOption = None,
) -> None:
    """Report every problem in the inputs at once (exit 2 if any)."""
    from .check import check_inputs

    # `-f sr28`: an embedded food table by name (a bare name is a preset only after -c).
    named = foods if foods is not None and not Path(foods).suffix and not Path(foods).exists() else None
    files = (None if named else foods, constraints)
    given: list[Path | str] = [*(inputs or []), *(p for p in files if p is not None)]
    if not given and named is None:
        raise UsageError("check what? give BOOK.xlsx, or -f FOODS and/or -c BRIEF")
    warnings: list[Problem] = []
    packs: list[str] = []
    problems = check_inputs(given, foods_name=named, warnings=warnings, packs=packs)
    for warning in warnings:
        _echo(str(warning))  # one line each, like the problems: file, row and column first
    for problem in problems:
        _echo(str(problem), err=True)
    if problems:
        typer.echo(f"{len(problems)} problem{'s' * (len(problems) > 1)} found", err=True)
        raise typer.Exit(2)
    typer.echo("ok: no problems found")
    for line in packs:  # which bound came from which rule pack (include = [...])
        _say(line, indent=4 if not line.startswith(" ") else None)


@app.command()
def template(
    output: Annotated[Path, typer.Argument(help="Workbook to write (.xlsx).")],
    batch: Annotated[
        bool, typer.Option("--batch", help="A batch workbook (Products and Scenarios sheets) instead.")
    ] = False,
    foods: Annotated[
        str | None, typer.Option("--foods", "-f", help="Prefill with this food table; default: embedded.")
    ] = None,
    constraints: Annotated[
        str | None, typer.Option("--constraints", "-c", help="Prefill with this brief; default: ons_powder.")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
) -> None:
    """Write an input workbook prefilled with the embedded ingredients and the default brief."""
    if output.suffix.lower() != ".xlsx":
        raise UsageError(f"{output}: a template is an .xlsx workbook")
    if output.exists() and not force:
        raise UsageError(f"{output} exists: choose another name, or add --force to replace it")
    if batch:
        from .batch.template import write_batch_template

        if foods or constraints:
            raise UsageError(
                "--batch takes no --foods/--constraints: name each product's brief in the Products"
                " sheet, and add a Foods sheet (copied from `sarcoform template`) for another food table"
            )
        write_batch_template(output)
    else:
        from . import load_brief, load_foods
        from .io.files import refuse_overwriting_input
        from .io.workbook_write import write_template

        refuse_overwriting_input(output, foods, constraints)
        table = load_foods(foods) if foods else None
        write_template(table, load_brief(constraints) if constraints else None, output)
    typer.echo(f"written: {output}")


@app.command()
def convert(
    inputs: Annotated[
        list[str],
        typer.Argument(help="A workbook (.xlsx), or a food table (.csv) and/or a brief (.toml or preset)."),
    ],
    output: Annotated[
        list[Path],
        typer.Option(
            "--output", "-o", help="OUT.xlsx; from a workbook: a folder, or FOODS.csv and/or BRIEF.toml."
        ),
    ],
) -> None:
    """Convert CSV + TOML to an input workbook, or a workbook back to CSV + TOML, without loss."""
    from .io.convert import convert as run

    for path in run(inputs, output):
        typer.echo(f"written: {path}")


@app.command()
def frontier(
    book: Book = None,
    foods: Foods = None,
    constraints: BriefOption = None,
    nutrient: Annotated[str, typer.Option("--nutrient", help="The nutrient to sweep.")] = "leucine",
    basis: Annotated[
        str | None, typer.Option("--basis", help="meal, serving, day, …; default: the brief's own bound's.")
    ] = None,
    points: Annotated[int, typer.Option("--points", min=2, max=500, help="Levels on the curve.")] = 11,
    start: Annotated[
        float | None, typer.Option("--from", help="First level; default: the least-cost blend's.")
    ] = None,
    stop: Annotated[
        float | None, typer.Option("--to", help="Last level; default: the most the brief allows.")
    ] = None,
    step: Annotated[
        float | None, typer.Option("--step", help="Distance between levels (instead of --points).")
    ] = None,
    solver: Annotated[str, typer.Option("--solver", help="highs (default: fast) or cbc.")] = "highs",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write OUT.csv, OUT.png and OUT.xlsx (a chart).")
    ] = None,
) -> None:
    """Least cost against a nutrient level (ε-constraint): the cost of each extra 0.1 g."""
    from .solving.frontier import frontier as sweep

    inputs = _inputs(book, foods, constraints)
    brief = inputs.brief
    table = sweep(
        inputs.foods,
        brief,
        nutrient,
        points=points,
        basis=basis,
        start=start,
        stop=stop,
        step=step,
        solver=_solver(solver),
    )
    if table.attrs.get("status") != "optimal":
        typer.echo(
            "no curve: the brief is infeasible even without a floor on the nutrient; run"
            " `sarcoform solve` on it to see why",
            err=True,
        )
        raise typer.Exit(1)
    from .report.frontier import frontier_lines

    for line in frontier_lines(table, brief.name, _console().width):
        _say(line)
    if output is not None:
        from .io.files import refuse_overwriting_input
        from .report.frontier import outputs, write_frontier

        for path in outputs(output).values():
            refuse_overwriting_input(path, book, foods, constraints)
        for path in write_frontier(table, output):
            typer.echo(f"written: {path}")


@app.command()
def diff(
    before: Annotated[Path, typer.Argument(help="Result A (before): Result JSON or a results workbook.")],
    after: Annotated[Path, typer.Argument(help="Result B (after).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the comparison as JSON.")] = False,
) -> None:
    """What changed from result A to B (blend, cost) and which input changes explain it."""
    from .report.diff import diff_results

    d = diff_results(_read_result(before), _read_result(after))
    if as_json:
        sys.stdout.write(json.dumps(d.to_dict(), indent=2, ensure_ascii=False, default=str) + "\n")
    else:
        for line in d.lines():
            _echo(line)


def _read_result(path: Path) -> Any:
    """A Result JSON file; a results workbook is re-solved from the inputs it carries."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        from .solving.engine import solve as run

        inputs = _inputs(path, None, None)
        result = run(inputs.foods, inputs.brief)
        return result.model_copy(update={"notes": [*result.notes, f"re-solved from the inputs in {path}"]})
    from .io.result_json import read_result_json

    return read_result_json(path)


@app.command("label")
def label_command(
    source: Annotated[
        Path | None,
        typer.Argument(
            help="Result JSON, or a workbook with Foods and brief sheets (solved first); "
            "omit to solve --foods/--constraints first."
        ),
    ] = None,
    standard: Annotated[
        str, typer.Option("--standard", "-s", help="cn (GB 28050), eu (Reg. 1169/2011) or us (21 CFR 101.9).")
    ] = "cn",
    foods: Annotated[
        str | None,
        typer.Option("--foods", "-f", help="Food table (.csv/.xlsx); default: the embedded table."),
    ] = None,
    constraints: Annotated[
        str | None, typer.Option("--constraints", "-c", help="Brief: preset name or .toml/.xlsx file.")
    ] = None,
    reconstitution_ml: Annotated[
        float | None,
        typer.Option(
            "--reconstitution-ml",
            min=0.001,
            help="mL one serving makes up to (default: the brief's [serving] reconstitution_ml).",
        ),
    ] = None,
    solver: Solver = "cbc",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the label JSON to OUT.json.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the label JSON.")] = False,
) -> None:
    """Nutrition declaration, claims and allergens of a blend under one standard."""
    from .model.label import STANDARDS
    from .report.label import label, print_label

    if standard not in STANDARDS:
        raise UsageError(f"--standard {standard!r}: use one of {', '.join(STANDARDS)}")
    if output is not None and output.suffix.lower() != ".json":
        raise UsageError(f"--output {output}: use a .json file name")
    food_table = None
    if source is not None and source.suffix.lower() == ".json":
        from .io.result_json import read_result_json

        result = read_result_json(source)
        if foods is not None:
            from . import load_foods

            food_table = load_foods(foods)
    else:
        from .solving.engine import solve as run

        inputs = _inputs(source, foods, constraints)
        food_table, brief = inputs.foods, inputs.brief
        result = run(food_table, brief, solver=_solver(solver))
        if reconstitution_ml is None:
            reconstitution_ml = brief.serving.reconstitution_ml
    if not result.blend_lines:
        reason = result.diagnosis.reason if result.diagnosis else result.status
        typer.echo(f"error: no blend to label: {reason}", err=True)
        raise typer.Exit(result.exit_code or 1)
    lab = label(result, standard, foods=food_table, reconstitution_ml=reconstitution_ml)
    text = json.dumps(lab.to_dict(), indent=2, ensure_ascii=False) + "\n"
    if output is not None:
        from .io.files import write_text

        write_text(output, text)
    if as_json:
        sys.stdout.write(text)
    else:
        print_label(lab, _console())
        if output is not None:
            _console().print(f"written: {output}", markup=False)
    raise typer.Exit(result.exit_code)


@app.command()
def report(
    source: Annotated[
        Path | None,
        typer.Argument(
            help="A Result JSON, a results or input workbook (.xlsx, solved again from the inputs it"
            " carries); none: solve --foods/--constraints (default: the embedded ones)."
        ),
    ] = None,
    output: Annotated[Path, typer.Option("--output", "-o", help="The specification sheet, OUT.pdf.")] = Path(
        "spec.pdf"
    ),
    foods: Foods = None,
    constraints: BriefOption = None,
    standard: Annotated[
        str,
        typer.Option(
            "--standard",
            "-s",
            help="Nutrition declaration: cn (GB 28050), eu (1169/2011), us (21 CFR 101.9).",
        ),
    ] = "cn",
    solver: Solver = "cbc",
) -> None:
    """Write the one-page A4 specification sheet (PDF) of a result."""
    from .model.label import STANDARDS
    from .report.spec_pdf import cjk_font, write_spec_pdf
    from .report.spec_sheet import sheet_with_label

    if standard not in STANDARDS:
        raise UsageError(f"--standard {standard!r}: use one of {', '.join(STANDARDS)}")
    if output.suffix.lower() != ".pdf":
        raise UsageError(f"--output {output}: write the specification sheet as a .pdf file")
    from .io.files import refuse_overwriting_input

    refuse_overwriting_input(output, source, foods, constraints)
    result, brief, food_table = _report_inputs(source, foods, constraints, solver)
    sheet = sheet_with_label(
        result, brief=brief, foods=food_table, standard=standard, cjk=cjk_font() is not None
    )
    write_spec_pdf(sheet, output)
    typer.echo(f"written: {output} ({result.status})")
    raise typer.Exit(result.exit_code)


def _report_inputs(
    source: Path | None, foods: str | None, constraints: str | None, solver: str
) -> tuple[Any, Any, Any]:
    """(result, brief or None, food table or None) for `report`."""
    from . import load_brief, load_foods
    from .solving.engine import solve as run

    if source is not None and source.suffix.lower() == ".json":
        from .io.result_json import read_result_json

        result = read_result_json(source)
        embedded = result.foods_origin.endswith("(embedded)")
        food_table = load_foods(foods) if foods or embedded else None
        return result, load_brief(constraints) if constraints else None, food_table
    inputs = _inputs(source, foods, constraints)
    return run(inputs.foods, inputs.brief, solver=_solver(solver)), inputs.brief, inputs.foods


@app.command()
def batch(
    book: Annotated[
        Path | None,
        typer.Argument(
            help="Products: a workbook (Products, Scenarios sheets), products.toml or .csv;"
            " or an input workbook (one product)."
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Results: .xlsx (items, pivot, chart), .csv or .parquet."),
    ] = None,
    scenarios: Annotated[
        Path | None,
        typer.Option("--scenarios", "-s", help="Price scenarios (.csv/.xlsx/.toml); default: those in BOOK."),
    ] = None,
    foods: Foods = None,
    constraints: Annotated[
        str | None,
        typer.Option("--constraints", "-c", help="One product: this brief (preset, .toml, .xlsx)."),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option("--workers", "-w", min=1, help="Processes; default: one per CPU for big batches."),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option("--scheduler", help="Run on a Dask cluster: its scheduler address (tcp://host:8786)."),
    ] = None,
    resume: Annotated[
        bool,
        typer.Option("--resume", help="Finish an interrupted run: keep its journaled items, solve the rest."),
    ] = False,
    solver: Annotated[
        str, typer.Option("--solver", help="highs (default: fast path, hot starts) or cbc (item by item).")
    ] = "highs",
    time_limit: TimeLimit = None,
) -> None:
    """Solve every product under every price scenario; results as they finish, resumable."""
    from .batch.entry import solve_batch
    from .batch.files import read_scenarios
    from .batch.journal import journal_path
    from .batch.output import check_batch_output, write_batch_output
    from .io.files import refuse_overwriting_input
    from .report.tables import Progress, print_batch

    inputs, food_table = _products(book, foods, constraints)
    price_scenarios = read_scenarios(scenarios) if scenarios else inputs.scenarios
    journal = None
    if output is not None:
        check_batch_output(output)
        refuse_overwriting_input(output, book, foods, constraints, scenarios)
        journal = journal_path(output)
        if journal.exists() and not resume:
            raise UsageError(
                f"{journal} holds the finished items of an interrupted run: add --resume to finish it,"
                " or delete it to start over"
            )
    elif resume:
        raise UsageError("--resume needs -o OUTPUT: the journal of a run lives beside its output")
    client = _dask_client(scheduler) if scheduler else None
    progress = Progress()
    try:
        result = solve_batch(
            food_table,
            list(inputs.products),
            price_scenarios,
            solver=_solver(solver),
            workers=None if client else (workers or _auto_workers(inputs, price_scenarios, solver)),
            executor=client.get_executor() if client else None,
            time_limit=time_limit,
            journal=journal,
            resume=resume,
            progress=progress,
        )
    except KeyboardInterrupt:
        progress.stop()
        if journal is not None:
            typer.echo(
                f"interrupted: {progress.done} finished items kept in {journal}; run again with --resume",
                err=True,
            )
        raise typer.Exit(130) from None
    finally:
        progress.stop()
        if client is not None:
            client.close()
    if output is not None:
        write_batch_output(result, output)
        if journal is not None:
            journal.unlink(missing_ok=True)  # the output now holds every item
    print_batch(_console(), result, output)
    raise typer.Exit(result.exit_code)


def _products(book: Path | None, foods: str | None, constraints: str | None) -> tuple[Any, Any]:
    """Products and their food table, by the same input convention as `solve`."""
    from .batch.files import resolve_products

    inputs, notes = resolve_products(book, foods, constraints)
    _notes(notes)
    return inputs, inputs.foods


def _auto_workers(inputs: Any, scenarios: Any, solver: str) -> int:
    """One process per CPU when the batch takes long enough to repay starting them (~1 s)."""
    import os

    items = len(inputs.products) * (len(scenarios) if scenarios is not None else 1)
    worth = items >= (2000 if solver == "highs" else 40)
    return (os.cpu_count() or 1) if worth else 1


def _dask_client(address: str) -> Any:
    try:
        from distributed import Client
    except ImportError:
        raise UsageError("--scheduler needs Dask: pip install 'sarcoform[dask]'") from None
    try:
        # Waits distributed.comm.timeouts.connect (Dask config) for the scheduler.
        return Client(address)  # type: ignore[no-untyped-call]
    except (OSError, TimeoutError) as err:
        raise UsageError(f"--scheduler {address}: cannot reach the Dask scheduler ({err})") from None


@app.command()
def multiblend(
    book: Annotated[
        Path | None,
        typer.Argument(help="Products with volume_kg (workbook, .toml or .csv), with their availability."),
    ] = None,
    availability: Annotated[
        Path | None,
        typer.Option(
            "--availability", "-a", help="id, available_kg (.csv/.xlsx); default: BOOK's Availability."
        ),
    ] = None,
    foods: Foods = None,
    constraints: Annotated[
        str | None,
        typer.Option("--constraints", "-c", help="One product: this brief (preset, .toml, .xlsx)."),
    ] = None,
    scenario: Annotated[
        str | None, typer.Option("--scenario", help="Plan at the prices of this scenario of BOOK.")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the plan to OUT.xlsx or OUT.json.")
    ] = None,
) -> None:
    """Share scarce ingredients across products at least total cost (one joint LP)."""
    from .batch.entry import solve_multiblend
    from .batch.files import read_availability
    from .batch.output import write_multiblend_output
    from .report.tables import print_multiblend

    inputs, food_table = _products(book, foods, constraints)
    limits = read_availability(availability) if availability else inputs.availability
    if limits is None:
        raise UsageError(
            f"{book or constraints}: no availability: add an Availability sheet or give --availability FILE"
        )
    prices = None
    if scenario is not None:
        if inputs.scenarios is None or scenario not in inputs.scenarios.prices:
            raise UsageError(f"--scenario {scenario}: no such scenario in {book}")
        prices = inputs.scenarios.prices[scenario]
    if output is not None:
        from .io.files import refuse_overwriting_input

        refuse_overwriting_input(output, book, availability, foods, constraints)
    plan = solve_multiblend(food_table, list(inputs.products), limits, prices=prices)
    if output is not None:
        write_multiblend_output(plan, output)
    print_multiblend(_console(), plan, output)
    raise typer.Exit(plan.exit_code)


def _app_for(args: list[str]) -> typer.Typer:
    """`app` with only the command `args` name, when they name one: typer builds every
    registered command's options on each run (~15 ms), a run uses one. A group still (its
    usage lines and errors read as the whole app's); anything else gets the whole app."""
    from typer.main import get_command_name
    from typer.models import TyperInfo

    name = args[0] if args else ""
    chosen = [
        c
        for c in app.registered_commands
        if c.callback is not None and (c.name or get_command_name(c.callback.__name__)) == name
    ]
    if len(chosen) != 1:
        return app
    one = copy.copy(app)
    one.registered_commands = chosen
    one.registered_callback = TyperInfo(callback=_no_group_options)
    return one


def _no_group_options() -> None:
    """The group callback of `_app_for`'s one-command app: no options of its own."""


def main(argv: list[str] | None = None) -> int:
    """Console-script entry point; returns the exit code."""
    # The command uses no pydantic plugins: skip their discovery, a scan of every installed
    # package's entry points at the first model validated (~15 ms a run). A value set wins.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    # One BLAS thread: OpenBLAS starts a pool of threads when loaded, in numpy (not imported
    # yet: `import sarcoform` is lazy) and again in every CBC process (~5 ms a solve), and
    # nothing a command runs multiplies matrices big enough to use them. A value set wins.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    # Python's cycle collector runs every 700 new objects: ~130 times, ~15 ms, while a
    # command imports its modules (no garbage to find there). Young collections every
    # 100,000 instead; a long command (a batch) still collects, as often as it needs.
    thresholds = gc.get_threshold()
    gc.set_threshold(100_000, 50, 100)
    try:
        args = sys.argv[1:] if argv is None else argv
        code = _app_for(args)(args=args, standalone_mode=False)
    except InputError as err:
        for problem in err.problems[:20]:
            _echo(f"error: {problem}", err=True)
        if len(err.problems) > 20:
            typer.echo(f"error: … and {len(err.problems) - 20} more", err=True)
        return 2
    except SarcoformError as err:
        _echo(f"error: {err}", err=True)
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
        _echo(f"error: {message}", err=True)
        return int(getattr(err, "exit_code", 2))
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as err:  # never a traceback for users; say what broke
        _echo(f"error: internal error ({type(err).__name__}: {err}); please report it", err=True)
        return 3
    finally:
        gc.set_threshold(*thresholds)
    return int(code or 0)


def command() -> NoReturn:
    """The `sarcoform` command (its console script, and `python -m sarcoform`): `main`, and
    then the process ends at once. Its output is flushed and the atexit handlers run, as
    at any exit, but the interpreter does not take apart each of the ~450 modules and their
    objects one by one (~60 ms of a ~0.5 s `sarcoform solve`). When a thread of a pool is
    still running, the usual exit waits for it."""
    import atexit
    import threading

    code = main()
    others = [t for t in threading.enumerate() if t is not threading.main_thread()]
    if any(t.is_alive() and not t.daemon for t in others):
        sys.exit(code)
    with contextlib.suppress(BrokenPipeError):  # the reader left (`| head`): as in main, not an error
        sys.stdout.flush()
        sys.stderr.flush()
    atexit._run_exitfuncs()
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    command()
