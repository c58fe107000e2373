"""Issue 8 item 5, one name per concept: a `Place` is where something was read (file, sheet,
row, column or TOML line); a `Problem` is a place and a message. The brief's name in a Result
is `brief_name`; a Result JSON written when it was `brief_name` still reads, diffs and reports.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import sarcoform as sf
from sarcoform.cli import main
from sarcoform.errors import Place, Problem
from sarcoform.io.result_json import read_result_json
from sarcoform.model.args import renamed_keyword


def test_a_place_reads_as_file_sheet_row_and_column() -> None:
    assert str(Place("book.xlsx", "Nutrients", 4, "min")) == "book.xlsx [Nutrients] row 4, column min"
    assert str(Place("brief.toml", line=12)) == "brief.toml line 12"
    assert str(Place()) == ""


def test_a_problem_is_a_place_and_a_message() -> None:
    here = Place("brief.toml", line=12)
    problem = here.at("min is above max", "min")
    assert str(problem) == "brief.toml line 12, column min: min is above max"
    assert problem.place == Place("brief.toml", line=12, column="min")
    assert here.in_column(None) == here and here.in_column("max").column == "max"
    assert problem.at("another").place == problem.place
    assert str(Problem("no place known")) == "no place known"


def test_an_entry_found_wrong_later_points_at_its_own_line(foods: sf.FoodTable, tmp_path: Path) -> None:
    # The compiler finds the unknown column, long after reading: the error still names the
    # line of the [[nutrient]] table (line 5, counted by hand) through the entry's Place.
    text = 'name = "t"\n[serving]\nserving_g = 50\n\n[[nutrient]]\nname = "no_such_column_g"\nmin = 1\n'
    path = tmp_path / "brief.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(sf.InputError) as caught:
        sf.solve(foods, sf.load_brief(path), solver="highs", sensitivity=False)
    problem = caught.value.problems[0]
    assert (problem.file, problem.line) == (str(path), 5), problem
    assert "no_such_column_g" in problem.message


@pytest.fixture(scope="module")
def old_and_new(
    foods: sf.FoodTable, brief: sf.Brief, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path]:
    """The same result as JSON, once as written today and once with the old key."""
    data = sf.solve(foods, brief, solver="highs").to_dict()
    assert data["brief_name"] == "ons_powder" and "spec_name" not in data  # keep: old spelling
    old = {("spec_name" if k == "brief_name" else k): v for k, v in data.items()}  # keep: old spelling
    folder = tmp_path_factory.mktemp("old_json")
    new_path, old_path = folder / "new.json", folder / "old.json"
    new_path.write_text(json.dumps(data), encoding="utf-8")
    old_path.write_text(json.dumps(old), encoding="utf-8")
    return old_path, new_path


def test_a_result_json_with_the_old_key_reads_as_the_same_result(old_and_new: tuple[Path, Path]) -> None:
    old, new = old_and_new
    assert read_result_json(old) == read_result_json(new)
    assert read_result_json(old).to_dict()["brief_name"] == "ons_powder"


def test_diff_of_an_old_and_a_new_result_json(
    old_and_new: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = old_and_new
    assert main(["diff", str(old), str(new)]) == 0
    out = capsys.readouterr().out
    assert "A: ons_powder" in out and "B: ons_powder" in out


def test_report_of_an_old_result_json_names_its_brief(old_and_new: tuple[Path, Path], tmp_path: Path) -> None:
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils (pdftotext) not installed: apt-get install poppler-utils")
    pdf = tmp_path / "sheet.pdf"
    assert main(["report", str(old_and_new[0]), "-o", str(pdf)]) == 0
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert re.search(r"brief\s+ons_powder", text), text[:500]


def test_a_renamed_parameter_still_takes_its_old_keyword() -> None:
    @renamed_keyword("old", "new")
    def f(a: int, new: int = 0) -> tuple[int, int]:
        return a, new

    assert f(1, 2) == f(1, new=2) == f(1, old=2) == (1, 2)  # type: ignore[call-arg]
    with pytest.raises(sf.UsageError, match="not both"):
        f(1, new=2, old=3)  # type: ignore[call-arg]


def test_the_stable_names_of_the_brief_stay(foods: sf.FoodTable) -> None:
    # PRODUCT §6: the old names stay importable, and solve takes the brief by its old keyword.
    old = sf.load_spec("ons_powder")  # keep: old spelling
    assert isinstance(old, sf.ConstraintSet)  # keep: old spelling
    by_keyword = sf.solve(foods, spec=old, solver="highs", sensitivity=False)  # type: ignore[call-arg,unused-ignore]  # keep: old spelling
    by_position = sf.solve(foods, old, solver="highs", sensitivity=False)
    assert by_keyword.ok and by_keyword.grams == by_position.grams
    assert by_keyword.spec_name == by_keyword.brief_name == "ons_powder"  # the old attribute reads
