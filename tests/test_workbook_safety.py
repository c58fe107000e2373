"""Workbook safety: every case of issue 3 item 6, plus honest reading (item 2).

Each test builds a real file in tmp_path: formulas in text, oversized files, zip bombs,
entity bombs, lying zip headers, .xlsm, the input never modified, atomic output,
output over input, formulas without cached values.
"""

from __future__ import annotations

import hashlib
import re
import tracemalloc
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import python_calamine

import sarcoform as sf
from sarcoform.cli import main
from sarcoform.io import xlsx
from sarcoform.io.foods_csv import read_foods_csv
from sarcoform.io.workbook import read_foods_sheet, read_workbook
from sarcoform.io.workbook_write import excel_text, save, write_workbook

EVIL = '=HYPERLINK("http://x","y")'


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The embedded foods and default brief as an input workbook (written once)."""
    path = tmp_path_factory.mktemp("book") / "book.xlsx"
    write_workbook(sf.load_foods(), sf.load_brief(), path)
    return path


def rewrite(
    src: Path, dst: Path, change: dict[str, bytes | None], add: dict[str, bytes] | None = None
) -> Path:
    """Copy a zip, replacing (bytes) or dropping (None) entries and adding others."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = change.get(info.filename, zin.read(info.filename))
            if data is not None:
                zout.writestr(info.filename, data)
        for name, data in (add or {}).items():
            zout.writestr(name, data)
    return dst


def foods_part(path: Path) -> str:
    return xlsx.sheet_parts(path)["Foods"]


class NoCalamine:
    """Stands in for python-calamine: parsing must not start for a refused file."""

    @staticmethod
    def from_path(path: str) -> Any:
        raise AssertionError(f"calamine parsed {path} although it should have been refused first")


def refused(path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(python_calamine, "CalamineWorkbook", NoCalamine)
    with pytest.raises(sf.InputError) as err:
        read_foods_sheet(path)
    return str(err.value)


def digest(path: Path) -> tuple[str, int]:
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns


# -- text is never a formula ------------------------------------------------------------


def test_formula_text_stays_text_in_xlsx_and_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    foods = sf.load_foods()
    odd = sf.FoodTable.from_records(
        list(foods.columns),
        [
            [EVIL if c == "name" and i == 0 else v for c, v in r.items()]
            for i, r in enumerate(foods.records())
        ],
        origin="odd",
    )
    book = tmp_path / "odd.xlsx"
    write_workbook(odd, sf.load_brief(), book)
    cell = openpyxl.load_workbook(book)["Foods"]["B2"]
    assert (cell.value, cell.data_type) == (EVIL, "s")  # a text cell, not a formula
    assert read_foods_sheet(book).names[0] == EVIL

    out = tmp_path / "result.xlsx"
    assert main(["solve", str(book), "-o", str(out), "--json"]) == 0
    capsys.readouterr()
    result = openpyxl.load_workbook(out)
    assert all(c.data_type != "f" for ws in result for row in ws.iter_rows() for c in row)
    assert result["Foods"]["B2"].value == EVIL

    folder = tmp_path / "csv"
    assert main(["convert", str(book), "-o", str(folder)]) == 0
    text = (folder / "foods.csv").read_text()
    assert "'" + EVIL.replace('"', '""') in text  # OWASP: a quote in front, a spreadsheet shows text
    assert read_foods_csv(folder / "foods.csv").names[0] == EVIL


def test_text_that_xml_cannot_hold_round_trips(tmp_path: Path) -> None:
    awkward = ["a\rb", "tab\there", "bell\x07", "_x000D_ literal", "#N/A", "12", "  padded  ", "ünï 中文 🍵"]
    foods = sf.FoodTable.from_records(
        ["id", "name", "note", "protein_g"],
        [[f"f{i}", f"food {i}", text, 1.0] for i, text in enumerate(awkward)],
        origin="awkward",
    )
    path = tmp_path / "awkward.xlsx"
    write_workbook(foods, sf.Brief(name="x", note="\r\n\x01_x0041_"), path)
    back, brief = read_workbook(path)
    assert back.texts["note"] == foods.texts["note"]
    assert brief.note == "\r\n\x01_x0041_"
    # A brief keeps its text exactly (a food table strips its own), including text that is
    # whitespace by Python's rule but not by XML's: openpyxl writes it without xml:space and
    # calamine would read "\n\xa0" as "\xa0".
    notes = ["\n\xa0", "\xa0\n", " \u3000 ", "\u2028", "  padded  "]
    noted = sf.Brief.model_validate(
        {
            "name": "x",
            "nutrient": [{"name": f"n{i}", "basis": "serving", "note": t} for i, t in enumerate(notes)],
        }
    )
    write_workbook(foods, noted, path)
    assert [n.note for n in read_workbook(path)[1].nutrients] == notes
    assert excel_text("_x0041_") == "_x005F_x0041_"


def test_text_longer_than_an_excel_cell_is_refused(tmp_path: Path) -> None:
    brief = sf.Brief(name="x", note="n" * 40_000)
    with pytest.raises(sf.InputError, match="does not fit an Excel cell"):
        write_workbook(sf.load_foods(), brief, tmp_path / "long.xlsx")
    assert not (tmp_path / "long.xlsx").exists()


# -- files refused before parsing ---------------------------------------------------------


def test_oversized_file_is_refused_before_parsing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    big = tmp_path / "big.xlsx"
    with open(big, "wb") as f:
        f.truncate(xlsx.MAX_FILE_BYTES + 1)  # sparse: nothing is written, nothing is read
    assert "refused: file too large" in refused(big, monkeypatch)


def test_zip_bomb_is_refused_from_the_zip_directory(
    tmp_path: Path, book: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bomb = tmp_path / "bomb.xlsx"
    bomb.write_bytes(book.read_bytes())
    with zipfile.ZipFile(bomb, "a", zipfile.ZIP_DEFLATED) as z, z.open("xl/media/zeros.bin", "w") as f:
        for _ in range(64):  # 64 MB of zeros packs into ~64 KB; written as a stream
            f.write(bytes(1 << 20))
    tracemalloc.start()
    message = refused(bomb, monkeypatch)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert "zip bomb" in message and "xl/media/zeros.bin" in message
    assert peak < 8 << 20  # bounded: the entry was never unpacked


def test_total_unpacked_size_is_bounded(tmp_path: Path, book: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copy = tmp_path / "book.xlsx"  # a new file: checks are cached per file version
    copy.write_bytes(book.read_bytes())
    with zipfile.ZipFile(copy) as z:
        total = sum(i.file_size for i in z.infolist())
    monkeypatch.setattr(xlsx, "MAX_UNPACKED_BYTES", total - 1)
    assert f"unpacks to more than {total - 1:,} bytes" in refused(copy, monkeypatch)


def test_entry_that_unpacks_to_more_than_it_declares(
    tmp_path: Path, book: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    liar = tmp_path / "liar.xlsx"
    data = bytearray(book.read_bytes())
    part = foods_part(book).encode()
    # Central directory record: signature, …, uncompressed size at offset 24, name at 46.
    at = data.find(b"PK\x01\x02" + bytes(0), 0)
    while at != -1:
        name_len = int.from_bytes(data[at + 28 : at + 30], "little")
        if data[at + 46 : at + 46 + name_len] == part:
            data[at + 24 : at + 28] = (1000).to_bytes(4, "little")
        at = data.find(b"PK\x01\x02", at + 4)
    liar.write_bytes(bytes(data))
    assert "does not unpack to what it declares" in refused(liar, monkeypatch)


def test_xml_entity_bomb_is_refused(tmp_path: Path, book: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    part = foods_part(book)
    with zipfile.ZipFile(book) as z:
        xml = z.read(part).decode()
    laughs = '<!ENTITY l0 "lol">' + "".join(f'<!ENTITY l{k} "{f"&l{k - 1};" * 10}">' for k in range(1, 10))
    xml = f"<!DOCTYPE worksheet [{laughs}]>" + xml.replace("<t>wpi</t>", "<t>&l9;</t>", 1)
    bomb = rewrite(book, tmp_path / "laughs.xlsx", {part: xml.encode()})
    message = refused(bomb, monkeypatch)
    assert f"refused: {part} declares a DTD or XML entities" in message


def test_not_a_workbook(tmp_path: Path) -> None:
    fake = tmp_path / "fake.xlsx"
    fake.write_text("id,name\nx,y\n")
    with pytest.raises(sf.InputError, match=r"not an \.xlsx workbook"):
        read_foods_sheet(fake)
    old = tmp_path / "old.xlsx"
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600))
    with pytest.raises(sf.InputError, match=r"old \.xls or a password-protected"):
        read_foods_sheet(old)


# -- .xlsm, input untouched, atomic output, output over input ------------------------------


def test_xlsm_is_read_as_data_only(tmp_path: Path, book: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with zipfile.ZipFile(book) as z:
        types = z.read("[Content_Types].xml").decode()
    types = types.replace(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    ).replace(
        "<Default ",
        '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/><Default ',
        1,
    )
    macro = b'Attribute VB_Name = "Evil"\nSub Workbook_Open(): Shell "rm -rf ~": End Sub\n'
    xlsm = rewrite(
        book, tmp_path / "book.xlsm", {"[Content_Types].xml": types.encode()}, {"xl/vbaProject.bin": macro}
    )
    foods, _ = read_workbook(xlsm)
    assert foods.records() == read_foods_sheet(book).records()
    out = tmp_path / "result.xlsx"
    assert main(["solve", str(xlsm), "-o", str(out)]) == 0
    with zipfile.ZipFile(out) as z:
        assert not any("vba" in n.lower() for n in z.namelist())  # the macro is not carried along
    assert main(["solve", str(xlsm), "-o", str(tmp_path / "result.xlsm")]) == 2
    assert "use a .json or .xlsx" in capsys.readouterr().err


def test_input_workbook_is_never_modified(
    tmp_path: Path, book: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = digest(book)
    assert main(["solve", str(book), "-o", str(tmp_path / "r.xlsx")]) == 0
    assert main(["check", str(book)]) == 0
    assert main(["convert", str(book), "-o", str(tmp_path / "out")]) == 0
    assert main(["solve", str(book), "--objective", "max:leucine", "-o", str(tmp_path / "r.json")]) in (0, 1)
    capsys.readouterr()
    assert digest(book) == before


def test_output_is_atomic(tmp_path: Path, book: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "result.xlsx"
    out.write_bytes(b"the previous result")

    def broken_save(self: Any, target: Any) -> None:
        target.write(b"PK\x03\x04 half a workbook")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(openpyxl.Workbook, "save", broken_save)
    with pytest.raises(sf.SarcoformError, match=r"cannot write .*No space left"):
        save(openpyxl.Workbook(), out)
    assert main(["solve", str(book), "-o", str(out)]) == 3
    assert out.read_bytes() == b"the previous result"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["result.xlsx"]  # no temporary files left


def test_writing_the_result_over_the_input_is_refused(
    tmp_path: Path, book: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = tmp_path / "book.xlsx"
    copy.write_bytes(book.read_bytes())
    before = digest(copy)
    monkeypatch.chdir(tmp_path)
    assert main(["solve", "book.xlsx", "-o", "./book.xlsx"]) == 2
    (tmp_path / "link.xlsx").symlink_to(copy)
    assert main(["solve", "book.xlsx", "-o", "link.xlsx"]) == 2
    assert main(["convert", "book.xlsx", "-o", "book.xlsx"]) == 2
    assert capsys.readouterr().err.count("refusing to write the output over the input") == 3
    assert digest(copy) == before


# -- honest reading ------------------------------------------------------------------------


def test_formula_without_cached_value_is_an_error(
    tmp_path: Path, book: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wb = openpyxl.load_workbook(book)
    ws = wb["Foods"]
    header = [c.value for c in ws[1]]
    price = header.index(next(h for h in header if str(h).startswith("price_per_kg"))) + 1
    ws.cell(row=3, column=price).value = "=2*7"  # openpyxl stores no cached value
    path = tmp_path / "formula.xlsx"
    wb.save(path)
    assert main(["solve", str(path)]) == 2
    err = capsys.readouterr().err
    assert "[Foods] row 3, column price_per_kg: formula without a cached value" in err

    # The same formula with its value cached (as Excel or LibreOffice save it) reads fine.
    part = foods_part(path)
    with zipfile.ZipFile(path) as z:
        xml = z.read(part).decode()
    cached = rewrite(
        path,
        tmp_path / "cached.xlsx",
        {part: re.sub(r"<f>2\*7</f><v ?/>", "<f>2*7</f><v>14</v>", xml).encode()},
    )
    assert read_foods_sheet(cached).price_per_kg[1] == 14.0


def test_sheet_that_does_not_start_at_a1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Foods"
    rows = [["id", "name", "price_per_kg", "protein_g (g/100 g)"], ["a", "A", 2, 80], ["b", "B", "x", 10]]
    for r, row in enumerate(rows, start=4):
        for c, value in enumerate(row, start=3):
            ws.cell(row=r, column=c, value=value)
    path = tmp_path / "offset.xlsx"
    wb.save(path)
    with pytest.raises(sf.InputError) as err:
        read_foods_sheet(path)
    assert [str(p) for p in err.value.problems] == [
        f"{path} [Foods] row 6, column price_per_kg: not a number: 'x'"
    ]
    ws.cell(row=6, column=5, value=3)
    wb.save(path)
    foods = read_foods_sheet(path)
    assert foods.rows == (5, 6)
    assert foods.problem(1, "protein_g", "m").row == 6
