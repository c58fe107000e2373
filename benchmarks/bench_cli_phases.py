"""Where the time of one `sarcoform solve` process goes (issue 13 item 4).

bench_solve times the whole process; this splits it, median over N runs of each part,
each part in a fresh process of its own:

- interpreter: `python -c pass`;
- imports: each module's own import time in a real run (`python -X importtime`, which
  adds a little), summed by package;
- the command itself, every module loaded beforehand: reading the inputs, compiling,
  each solver run (CBC: the PuLP model, its MPS file, the CBC process), the Monte Carlo of
  lots, building the result, and printing it.

The parts add up to a little more than the whole process (importtime's own cost). Run at
an idle moment; the figures scale with the machine's load.

    ./dev bench bench_cli_phases [--runs N] [--solver cbc|highs]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

# The packages a run imports, in groups (a module goes to the first group it starts with).
GROUPS = [
    ("typer (command line)", ("typer", "click", "shellingham", "annotated_doc")),
    ("numpy", ("numpy",)),
    ("pydantic", ("pydantic", "pydantic_core", "annotated_types", "typing_inspection", "typing_extensions")),
    ("PuLP (and highspy, which PuLP loads)", ("pulp", "highspy", "cbcbox", "orloge")),
    ("rich (printing)", ("rich",)),
    ("sarcoform", ("sarcoform",)),
]
OTHER = "standard library and the rest"

# What the command does, as (label, module, function): each is timed where it is called.
STEPS = [
    ("read the inputs (food table, brief)", "sarcoform.io.inputs", "resolve_inputs"),
    ("compile the brief", "sarcoform.solving.engine", "compile_brief"),
    ("solver runs, all", "sarcoform.solving.practical", "solve_lp"),
    ("  CBC: the PuLP model", "sarcoform.solving.backends", "to_pulp"),
    ("  CBC: the process (spawn to exit)", "subprocess", "Popen.wait"),
    ("  CBC: MPS file written", "pulp.core.lp_problem", "LpProblem.writeMPS"),
    ("Monte Carlo of lots", "sarcoform.solving.chance", "monte_carlo"),
    ("build the result", "sarcoform.solving.engine", "build_result"),
    ("solve, all (sf.solve)", "sarcoform.solving.engine", "solve"),
    ("print the result", "sarcoform.report.realism", "print_result"),
]

CHILD = r"""
import importlib, io, json, os, sys, time, contextlib
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
part, args, modules, steps = json.loads(sys.argv[1])
out = {}
if part == "modules":  # which modules a run loads, in order
    before = set(sys.modules)
    from sarcoform.cli import main
    with contextlib.redirect_stdout(io.StringIO()):
        main(args)
    print(json.dumps([m for m in sys.modules if m not in before]))
    raise SystemExit
for name, _ in modules:
    try:
        importlib.import_module(name)
    except Exception:
        pass
from sarcoform.cli import main
for label, module, path in steps:
    owner = importlib.import_module(module)
    *outer, attr = path.split(".")
    for p in outer:
        owner = getattr(owner, p)
    real = getattr(owner, attr)
    def timed(*a, _real=real, _label=label, **k):
        t = time.perf_counter()
        try:
            return _real(*a, **k)
        finally:
            seconds, calls = out.get(_label, (0.0, 0))
            out[_label] = (seconds + time.perf_counter() - t, calls + 1)
    setattr(owner, attr, timed)
t = time.perf_counter()
with contextlib.redirect_stdout(io.StringIO()):
    main(args)
out["the command, all"] = (time.perf_counter() - t, 1)
print(json.dumps(out))
"""


def child(part: str, args: list[str], modules: list[tuple[str, str]]) -> object:
    payload = json.dumps([part, args, modules, STEPS])
    done = subprocess.run([sys.executable, "-c", CHILD, payload], check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def import_times(exe: str, args: list[str]) -> dict[str, float]:
    """Seconds of import per group in one real run (`-X importtime`: each module's own
    time, without the modules it imports, so that each counts once)."""
    script = "import sys; from sarcoform.cli import main; sys.exit(main(sys.argv[1:]))"
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", script, *args], capture_output=True, text=True
    )
    out: dict[str, float] = {}
    for line in done.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+\d+ \|\s*(\S+)", line)
        if m:
            group = group_of(m.group(2))
            out[group] = out.get(group, 0.0) + int(m.group(1)) / 1e6
    return out


def group_of(module: str) -> str:
    top = module.split(".")[0]
    for label, tops in GROUPS:
        if top in tops:
            return label
    return OTHER


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--solver", default="cbc", choices=["cbc", "highs"])
    ns = parser.parse_args()
    args = ["solve"] if ns.solver == "cbc" else ["solve", "--solver", "highs"]
    loaded = child("modules", args, [])
    assert isinstance(loaded, list)
    modules = [(m, group_of(m)) for m in loaded if not m.startswith("encodings")]
    exe = str(Path(sys.executable).with_name("sarcoform"))
    whole: list[float] = []
    interpreter: list[float] = []
    imports: dict[str, list[float]] = {}
    steps: dict[str, list[float]] = {}
    calls: dict[str, int] = {}
    for _ in range(ns.runs):
        for command, into in (([exe, *args], whole), ([sys.executable, "-c", "pass"], interpreter)):
            t = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True)
            into.append(time.perf_counter() - t)
        for label, seconds in import_times(exe, args).items():
            imports.setdefault(label, []).append(seconds)
        for label, (seconds, count) in dict(child("run", args, modules)).items():  # type: ignore[call-overload]
            steps.setdefault(label, []).append(seconds)
            calls[label] = count

    def ms(values: list[float]) -> str:
        return f"{1000 * statistics.median(values):7.1f} ms"

    print(f"`sarcoform {' '.join(args)}`: median of {ns.runs} runs each, one fresh process a part")
    print(f"{'whole process (wall)':48s} {ms(whole)}")
    print(f"{'  interpreter start (python -c pass)':48s} {ms(interpreter)}")
    total = [sum(v) for v in zip(*imports.values(), strict=True)]
    print(f"{f'  imports, all ({len(modules)} modules; -X importtime)':48s} {ms(total)}")
    for label, _ in [*GROUPS, (OTHER, ())]:
        if label in imports:
            print(f"{'    ' + label:48s} {ms(imports[label])}")
    print(f"{'  the command, modules loaded':48s} {ms(steps.pop('the command, all'))}")
    for label, _module, _path in STEPS:
        if label in steps:
            times = f" ({calls[label]} calls)" if calls[label] > 1 else ""
            print(f"{'    ' + label:48s} {ms(steps[label])}{times}")


if __name__ == "__main__":
    main()
