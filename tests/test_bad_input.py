"""Bad input: one clear line naming file, row and column; exit 2; no traceback; input untouched.

Each case is a small fixture file in tests/fixtures/bad with the message it must give.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sarcoform.cli import main

FIXTURES = Path(__file__).parent / "fixtures"
BAD = FIXTURES / "bad"
TINY = FIXTURES / "tiny_foods.csv"

# (food table, brief, fragments the first error line must contain)
CASES: list[tuple[str, str | None, list[str]]] = [
    ("foods_missing_id_column.csv", None, ["row 1, column id", "missing required column 'id'"]),
    ("foods_blank_id.csv", None, ["row 3, column id", "missing id"]),
    ("foods_duplicate_id.csv", None, ["row 4, column id", "duplicate id 'whey' (first at row 2)"]),
    ("foods_non_numeric.csv", None, ["row 2, column protein_g", "not a number: 'abc'"]),
    ("foods_decimal_comma.csv", None, ["row 2, column protein_g", "decimal point"]),
    ("foods_negative.csv", None, ["row 2, column price_per_kg", "must be ≥ 0, got -3"]),
    ("foods_infinite.csv", None, ["row 2, column protein_g", "must be finite"]),
    ("foods_nan.csv", None, ["row 2, column protein_g", "leave the cell blank"]),
    ("foods_empty.csv", None, ["foods_empty.csv", "is empty"]),
    ("foods_header_only.csv", None, ["no foods"]),
    ("foods_binary.csv", None, ["binary file"]),
    ("foods_latin1.csv", None, ["not UTF-8"]),
    ("foods_bad_flag.csv", None, ["row 2, column high_quality_protein", "must be 0 or 1"]),
    ("foods_duplicate_column.csv", None, ["row 1", "duplicate column 'protein_g'"]),
    (
        "foods_blank_leucine.csv",
        "spec_needs_leucine.toml",
        ["foods_blank_leucine.csv row 3, column leucine_g", "blank (unknown) for 'rice'", "leucine ≥ 2.5 g"],
    ),
    (str(TINY), "spec_syntax.toml", ["spec_syntax.toml line 6", "TOML syntax error"]),
    (str(TINY), "spec_unknown_key.toml", ["line 3", "unknown key 'mni'", "did you mean 'min'"]),
    (
        str(TINY),
        "spec_min_gt_max.toml",
        ["line 7", "[[nutrient]] #2 (leucine)", "min (3) is greater than max (2)"],
    ),
    (str(TINY), "spec_bad_basis.toml", ["line 3", "basis", "'per_meal'"]),
    (str(TINY), "spec_bad_objective.toml", ["unknown objective 'maximise_leucine'"]),
    (str(TINY), "spec_unknown_nutrient.toml", ["line 10", "unknown nutrient 'leucin'", "leucine_g"]),
    (str(TINY), "spec_unknown_ingredient.toml", ["line 6", "unknown ingredient id 'wheyy'"]),
    (str(TINY), "spec_non_numeric.toml", ["line 3", "must be a number, got 'twenty'"]),
    (str(TINY), "spec_no_body_weight.toml", ["line 6", "kg_bw_day needs [serving] body_weight_kg"]),
    (str(TINY), "spec_serving_both.toml", ["line 3", "serving_g (fixed) or min_g/max_g"]),
    (str(TINY), "spec_negative_background.toml", ["line 3", "leucine_g: must be a finite number ≥ 0"]),
    (str(TINY), "spec_infinite.toml", ["line 3", "must be a finite number > 0"]),
    (str(TINY), "spec_bad_unit.toml", ["line 3", "unit 'kcal' does not fit column leucine_g"]),
    (str(TINY), "spec_empty.toml", ["spec_empty.toml", "is empty"]),
    (str(TINY), "spec_derived_unknown.toml", ["line 4", "derived column 'junk_g'", "unknown nutrient"]),
    (str(TINY), "spec_derived_infinite.toml", ["line 4", "is infinite for 'whey' (division by 0)"]),
    (
        str(TINY),
        "spec_derived_undefined.toml",
        ["tiny_foods.csv row 3, column share_g", "undefined (e.g. 0/0) for 'malto'", "share ≤ 100 g"],
    ),
    (
        str(TINY),
        "spec_percent_of_unlike.toml",
        ["line 4", "unit % needs a numerator and denominator of one kind"],
    ),
    (str(TINY), "no_such_brief.toml", ["no_such_brief.toml", "no such file"]),
    (str(TINY), "unknown_preset_name", ["unknown preset 'unknown_preset_name'", "ons_powder"]),
    ("no_such_foods.csv", None, ["no such file"]),
]


def _path(name: str) -> str:
    return name if Path(name).is_absolute() else str(BAD / name)


def _args(foods: str, brief: str | None) -> list[str]:
    args = ["solve", "-f", _path(foods)]
    if brief is not None:
        args += ["-c", brief if brief == "unknown_preset_name" else _path(brief)]
    return args


def _digest(paths: list[str]) -> dict[str, str]:
    return {p: hashlib.sha256(Path(p).read_bytes()).hexdigest() for p in paths if Path(p).is_file()}


@pytest.mark.parametrize(("foods", "brief", "fragments"), CASES, ids=[c[1] or c[0] for c in CASES])
def test_bad_input_gives_one_located_line_and_exit_2(
    foods: str, brief: str | None, fragments: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    args = _args(foods, brief)
    before = _digest([a for a in args if a.endswith((".csv", ".toml"))])
    code = main(args)
    out, err = capsys.readouterr()
    assert code == 2, err
    assert out == ""
    first = err.splitlines()[0]
    assert first.startswith("error: ")
    for fragment in fragments:
        assert fragment in first, f"{fragment!r} not in {first!r}"
    assert "Traceback" not in err
    assert _digest(list(before)) == before  # inputs are never modified


def test_importer_collects_every_problem_before_raising(tmp_path: Path) -> None:
    import sarcoform as sf

    table = tmp_path / "foods.csv"
    table.write_text(
        "id,name,price_per_kg,protein_g\nwhey,Whey,-1,80\nwhey,Dup,1,x\n,NoId,1,1\n", encoding="utf-8"
    )
    with pytest.raises(sf.InputError) as caught:
        sf.load_foods(table)
    found = [(p.row, p.column) for p in caught.value.problems]
    assert (2, "price_per_kg") in found
    assert (3, "id") in found
    assert (3, "protein_g") in found
    assert (4, "id") in found


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their permissions")
def test_unreadable_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    locked = tmp_path / "locked.csv"
    locked.write_text(TINY.read_text(encoding="utf-8"), encoding="utf-8")
    locked.chmod(0)
    assert main(["solve", "-f", str(locked)]) == 2
    assert "permission denied" in capsys.readouterr().err


def test_directory_instead_of_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "brief.toml"
    folder.mkdir()
    assert main(["solve", "-f", str(TINY), "-c", str(folder)]) == 2
    assert "brief.toml: is a directory, not a file" in capsys.readouterr().err


def test_unknown_output_format_is_refused_before_solving(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["solve", "-f", str(TINY), "-o", str(tmp_path / "result.csv")]) == 2
    captured = capsys.readouterr()
    assert "use a .json or .xlsx file name" in captured.err
    assert captured.out == ""  # nothing was solved or printed first


def test_bad_input_through_a_real_process(tmp_path: Path) -> None:
    """The console entry point itself: exit code 2, one line, no traceback."""
    run = subprocess.run(
        [sys.executable, "-m", "sarcoform", "solve", "-f", str(BAD / "foods_non_numeric.csv")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 2
    assert run.stdout == ""
    assert run.stderr.count("\n") == 1
    assert "foods_non_numeric.csv row 2, column protein_g" in run.stderr


def test_file_that_cannot_be_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A file whose read fails (here /proc/self/mem: EIO even for root)."""
    mem = Path("/proc/self/mem")
    if not mem.exists():
        pytest.skip("no /proc on this system")
    broken = tmp_path / "foods.csv"
    broken.symlink_to(mem)
    assert main(["solve", "-f", str(broken)]) == 2
    err = capsys.readouterr().err
    assert "foods.csv: cannot be read" in err
    assert "Traceback" not in err
