"""What the terminal shows: units on shadow prices, plain headers, one conflict list,
names shown once, 100 columns, and control characters from input files escaped."""

from __future__ import annotations

from pathlib import Path

import pytest

import sarcoform as sf
from sarcoform.cli import main
from sarcoform.io.embedded import preset_paths
from sarcoform.report.text import printable, shadow_unit

WIDTH = 100


@pytest.fixture(autouse=True)
def hundred_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", str(WIDTH))


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_shadow_prices_state_their_unit(capsys: pytest.CaptureFixture[str], foods: sf.FoodTable) -> None:
    result = sf.solve(foods, sf.load_brief(), solver="highs")
    line = {c.name: c for c in result.constraint_lines}["leucine_g per meal"]
    assert line.binding and shadow_unit(result.objective_unit, line) == "USD per g leucine"
    most = sf.solve(foods, sf.load_brief("ons_max_leucine"), solver="highs")
    cost = next(c for c in most.constraint_lines if c.kind == "cost")
    assert shadow_unit(most.objective_unit, cost).startswith("g leucine per ")
    code, out, _ = run(capsys, "solve", "--solver", "highs")
    assert code == 0
    assert "shadow price (USD)" in out
    row = next(r for r in out.splitlines() if "leucine ≥ 2.5 g per meal" in r)
    assert f"{line.shadow_price:.3g} per g leucine" in row


def test_plain_headers_and_names_shown_once(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "solve", "--solver", "highs")
    assert code == 0
    assert "optimal for /kg" not in out
    assert "(dried buttermilk) (buttermilk_powder)" not in out
    # long names (the fat powders) make the name column narrower: the name is cut, the id is not
    row = next(r for r in out.splitlines() if r.startswith("Buttermilk powder (dried"))
    assert row.split()[4] == "buttermilk_powder"  # the id in its own column
    assert max(map(len, out.splitlines())) <= WIDTH


def test_the_conflict_is_listed_once(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # 30 g cannot hold 40 g protein: the conflict is the serving and the protein floor.
    brief = tmp_path / "brief.toml"
    brief.write_text('name = "b"\n[serving]\nserving_g = 30\n[[nutrient]]\nname = "protein"\nmin = 40\n')
    code, out, _ = run(capsys, "solve", "-c", str(brief))
    assert code == 1
    assert out.count("protein ≥ 40 g per serving") == 1
    assert out.count("serving = 30 g") == 1


def test_foods_fits_100_columns_and_shows_chosen_nutrients(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "foods")
    assert code == 0 and max(map(len, out.splitlines())) <= WIDTH
    code, out, _ = run(capsys, "foods", "-n", "calcium,vitamin_d_ug,energy_kcal")
    assert code == 0 and max(map(len, out.splitlines())) <= WIDTH
    header = out.splitlines()[1]
    assert "calcium mg" in header and "vitamin d µg" in header and "energy kcal" in header
    wpi = next(r for r in out.splitlines() if r.startswith("wpi "))
    # foods/ingredients.csv: whey protein isolate, 500 mg calcium per 100 g.
    assert wpi.split()[-3] == "500"
    assert run(capsys, "foods", "-n", "calcium,unobtainium")[0] == 2


def test_control_characters_in_input_text_are_escaped(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    foods = tmp_path / "foods.csv"
    foods.write_text(
        "id,name,price_per_kg,protein_g,leucine_g\n"
        "a,Whey\x1b[2J cleared,10,80,8\n"
        "b,Starch \u202eevil,1,0,0\n",
        encoding="utf-8",
    )
    brief = tmp_path / "brief.toml"
    brief.write_text('name = "b"\n[serving]\nserving_g = 30\n[[nutrient]]\nname = "protein"\nmin = 10\n')
    for args in (["solve", "-f", str(foods), "-c", str(brief)], ["foods", "-f", str(foods)]):
        code, out, err = run(capsys, *args)
        assert code == 0, err
        assert "\x1b" not in out and "\u202e" not in out
        assert "Whey\\x1b[2J cleared" in out
    assert printable("tab\there\x00") == "tab\\x09here\\x00"


def test_control_characters_in_error_messages_are_escaped(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    foods = tmp_path / "foods.csv"
    foods.write_text("id,name,price_per_kg,protein_g\na,Whey,12\x1b[2J,80\n", encoding="utf-8")
    code, _, err = run(capsys, "check", str(foods))
    assert code == 2 and "\x1b" not in err and "\\x1b" in err


def test_range_columns_only_when_there_are_ranges(capsys: pytest.CaptureFixture[str]) -> None:
    """A plain LP brief gets price ranges and 'holds for'; the chance-constrained default has
    none (a note says why), so its tables carry no empty columns."""
    code, out, _ = run(capsys, "solve", "--solver", "highs", "-c", "ons_dairy_free")
    assert code == 0
    header = next(r for r in out.splitlines() if r.startswith("ingredient "))
    assert header.split()[-2:] == ["price", "range"]
    assert next(r for r in out.splitlines() if r.startswith("constraint ")).endswith("holds for")
    code, out, _ = run(capsys, "solve", "--solver", "highs")
    assert code == 0
    header = next(r for r in out.splitlines() if r.startswith("ingredient "))
    assert header.split()[-1] == "USD" and "range" not in header
    assert "holds for" not in next(r for r in out.splitlines() if r.startswith("constraint "))
    assert "note: no shadow-price or price ranges for chance-constrained briefs" in out
    code, out, _ = run(capsys, "solve", "--solver", "highs", "--no-sensitivity")
    assert code == 0 and "no shadow-price or price ranges" not in out  # none asked: nothing to explain


PRESETS = sorted(preset_paths())
COMMANDS = {
    "solve": ["solve", "--solver", "highs", "-c"],
    "label": ["label", "-c"],
    "check": ["check", "-c"],
    "frontier": ["frontier", "-c"],
}


@pytest.mark.parametrize("preset", PRESETS)
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_fits_100_columns_on_every_preset(
    capsys: pytest.CaptureFixture[str], foods: sf.FoodTable, command: str, preset: str
) -> None:
    """Long titles, claims, rule-pack notes and shadow-price units wrap or shorten to fit 100
    columns; a bound's label is never cut (the shadow price's unit gives way instead)."""
    code, out, err = run(capsys, *COMMANDS[command], preset)
    assert code == 0, err
    # Input diagnostics ("FILE row R, column C: warning: ...") stay one line each, like errors.
    lines = [r for r in out.splitlines() if ": warning: " not in r]
    assert max(map(len, lines)) <= WIDTH, max(lines, key=len)
    if command == "solve":
        result = sf.solve(foods, sf.load_brief(preset), solver="highs")
        rows = out.splitlines()
        binding = [c.label for c in result.constraint_lines if c.binding]
        assert binding
        for label in binding:
            assert any(r.startswith(f"● {label}  ") for r in rows), label
        assert "…" not in "".join(r for r in rows if r.startswith("● "))


def test_presets_fit_100_columns(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "presets")
    assert code == 0 and max(map(len, out.splitlines())) <= WIDTH
    listed = [r.split()[0] for r in out.splitlines() if not r.startswith(" ")]
    assert listed == PRESETS
    # a title wrapped onto a second line keeps under the title column
    assert all(r.startswith(" " * 42) and r[42] != " " for r in out.splitlines() if r.startswith(" "))
