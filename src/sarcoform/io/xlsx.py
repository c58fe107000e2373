"""Reading workbook sheets as plain rows (python-calamine: fast, values only), safely.

Every workbook read in sarcoform goes through `read_sheet`, so the checks on the file
live in one place and run before any spreadsheet parsing:

* size: the file, each zip entry, the total unpacked size, the number of entries and the
  compression ratio are bounded (zip bombs); every entry is then unpacked once as a
  stream, counting bytes, so an entry that unpacks to more than it declares is caught
  with bounded memory;
* XML: each XML part's prolog goes through defusedxml, which refuses DTDs and entity
  declarations (entity-expansion "billion laughs" bombs);
* honesty: a formula cell without a cached value would read as blank (calamine reads
  cached values only); it is reported as an error instead.

Macros in .xlsm files are never run or loaded: only cell values are read.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import IO, Any

from ..errors import InputError, Problem
from ..model.foods import Cell, cell_text

MAX_FILE_BYTES = 64 * 1024 * 1024  # a 50,000-row food workbook is ~10 MB
MAX_UNPACKED_BYTES = 512 * 1024 * 1024  # all zip entries together, unpacked
MAX_ENTRIES = 10_000
# Sheet XML compresses ~5-30x; deflate cannot exceed ~1030x. Small entries may be
# anything (a tiny XML part compresses well), so the ratio is checked from 1 MB up.
MAX_RATIO = 200
RATIO_FROM_BYTES = 1024 * 1024
CHUNK = 1024 * 1024

# A unit hint after a header name, e.g. "protein_g (g/100 g)": the name is "protein_g".
_HINT = re.compile(r"^\s*(.*?\S)\s*\([^()]*\)\s*$")
_FORMULA_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s>/]")
_REF = re.compile(r"^([A-Z]+)(\d+)$")
EMPTY = "sheet is empty"
_PLAIN = (str, float, int, bool, type(None))


@dataclass(frozen=True)
class Sheet:
    """One sheet: the header row, the rows under it, where they start."""

    file: str
    name: str
    header: list[Cell]
    rows: list[list[Cell]]
    first_row: int  # spreadsheet row number of rows[0] (the header is first_row - 1)
    first_column: int = 1  # spreadsheet column number of header[0] (A = 1)

    def column_name(self, k: int) -> str:
        """Header text of column k (0-based), or its letter when the header is blank."""
        if k < len(self.header) and self.header[k] is not None:
            return cell_text(self.header[k])
        return column_letter(self.first_column + k)


def column_letter(number: int) -> str:
    """1 → A, 27 → AA."""
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _column_number(letters: str) -> int:
    number = 0
    for ch in letters:
        number = number * 26 + ord(ch) - 64
    return number


def header_name(cell: Cell) -> str:
    """A header cell without its unit hint: "protein_g (g/100 g)" → "protein_g"."""
    text = cell_text(cell).strip()
    match = _HINT.match(text)
    return match.group(1) if match else text


def sheet_names(path: Path | str) -> list[str]:
    return list(_open(path).sheet_names)


def read_sheet(
    path: Path | str, name: str, *, required: bool = True, found: list[Problem] | None = None
) -> Sheet | None:
    """The sheet `name` (matched case-insensitively); None if absent and not required.

    Header cells lose their unit hint ("protein_g (g/100 g)" → "protein_g"). A formula
    cell without a cached value raises an InputError naming every such cell, or, when
    a `found` list is given, is added to it (the cell then reads as blank).
    """
    workbook = _open(path)
    names = {n.lower(): n for n in workbook.sheet_names}
    actual = names.get(name.lower())
    if actual is None:
        if not required:
            return None
        raise InputError(Problem(f"no sheet {name!r} (sheets: {', '.join(workbook.sheet_names)})", str(path)))
    sheet = workbook.get_sheet_by_name(actual)
    # Blank cells come as "": None here; dates and times become visible text.
    rows = [
        [None if v == "" else v if type(v) in _PLAIN else str(v) for v in row] for row in sheet.to_python()
    ]
    start = sheet.start or (0, 0)  # 0-based (row, column) of the first used cell
    first_row, first_column = start[0] + 1, start[1] + 1
    while rows and not any(c is not None for c in rows[0]):
        rows.pop(0)
        first_row += 1
    if not rows:
        _refuse_uncached(path, actual, None, found)
        raise InputError(Problem(EMPTY, str(path), actual))
    header: list[Cell] = [header_name(c) or None for c in rows[0]]
    result = Sheet(str(path), actual, header, rows[1:], first_row + 1, first_column)
    _refuse_uncached(path, actual, result, found)
    return result


def _refuse_uncached(path: Path | str, name: str, sheet: Sheet | None, found: list[Problem] | None) -> None:
    cells = _inspect(*_key(path)).uncached(name)
    if not cells:
        return
    problems = []
    for row, col in cells:
        if sheet is not None and sheet.first_row - 1 <= row:
            column = sheet.column_name(col - sheet.first_column) if col >= sheet.first_column else None
        else:
            column = None
        problems.append(
            Problem(
                "formula without a cached value (the file was saved by a program that does not"
                " calculate, e.g. openpyxl): open and save it in Excel or LibreOffice, or type the value",
                str(path),
                name,
                row,
                column or column_letter(col),
            )
        )
    if found is None:
        raise InputError(problems)
    found.extend(problems)


# -- opening: checks first, then calamine ------------------------------------------


def _key(path: Path | str) -> tuple[str, str, int, int, int]:
    p = Path(path)
    if not p.exists():
        raise InputError(Problem("no such file", str(p)))
    if not p.is_file():
        raise InputError(Problem("not a file", str(p)))
    stat = p.stat()
    return str(p), str(p.resolve()), stat.st_size, stat.st_mtime_ns, stat.st_ino


def _open(path: Path | str) -> Any:
    return _calamine(*_key(path))


@lru_cache(maxsize=4)
def _calamine(label: str, resolved: str, size: int, mtime_ns: int, inode: int) -> Any:
    # Cached per file version: `solve BOOK.xlsx` reads the foods and the brief from one file.
    import python_calamine

    _inspect(label, resolved, size, mtime_ns, inode)
    try:
        return python_calamine.CalamineWorkbook.from_path(resolved)
    except Exception as err:  # calamine raises several types for damaged files
        raise InputError(Problem(f"not a readable .xlsx workbook ({err})", label)) from None


@dataclass
class _Inspected:
    """What the checks learnt: sheet name → XML part, and formula cells lacking values."""

    label: str
    resolved: str
    parts: dict[str, str]
    with_formulas: set[str]
    _uncached: dict[str, list[tuple[int, int]]] = field(default_factory=dict)

    def uncached(self, sheet: str) -> list[tuple[int, int]]:
        """(row, column) numbers of formula cells without a cached value."""
        part = self.parts.get(sheet)
        if part is None or part not in self.with_formulas:
            return []
        if sheet not in self._uncached:
            with zipfile.ZipFile(self.resolved) as zf, zf.open(part) as stream:
                self._uncached[sheet] = _formula_cells_without_value(stream)
        return self._uncached[sheet]


def sheet_parts(path: Path | str) -> dict[str, str]:
    """Sheet name → its part inside the .xlsx zip (after the file passed the safety checks)."""
    return dict(_inspect(*_key(path)).parts)


@lru_cache(maxsize=4)
def _inspect(label: str, resolved: str, size: int, mtime_ns: int, inode: int) -> _Inspected:
    """Refuse oversized, bomb-like, entity-declaring or non-xlsx files before parsing."""

    def refuse(message: str) -> InputError:
        return InputError(Problem(f"refused: {message}", label))

    if size > MAX_FILE_BYTES:
        raise refuse(f"file too large ({size:,} bytes; limit {MAX_FILE_BYTES:,})")
    if size == 0:
        raise InputError(Problem("is empty", label))
    with open(resolved, "rb") as f:
        magic = f.read(8)
    if magic.startswith(b"\xd0\xcf\x11\xe0"):
        raise InputError(
            Problem("an old .xls or a password-protected workbook: save it as an unprotected .xlsx", label)
        )
    try:
        with zipfile.ZipFile(resolved) as zf:
            infos = zf.infolist()
            _check_sizes(infos, refuse)
            names = {i.filename for i in infos}
            if "xl/workbook.xml" not in names:
                raise InputError(Problem("not an .xlsx workbook (no xl/workbook.xml inside)", label))
            with_formulas: set[str] = set()
            for info in infos:
                if info.is_dir():
                    continue
                try:
                    if _stream(zf, info, refuse):
                        with_formulas.add(info.filename)
                except (zipfile.BadZipFile, zlib.error, EOFError) as err:
                    # zipfile stops at the declared size, then checks the CRC: a lie shows here.
                    raise refuse(f"{info.filename} does not unpack to what it declares ({err})") from None
            parts = _sheet_parts(zf, names)
    except zipfile.BadZipFile as err:
        raise InputError(Problem(f"not an .xlsx workbook or damaged ({err})", label)) from None
    except (OSError, EOFError, RuntimeError, NotImplementedError) as err:
        raise InputError(Problem(f"not a readable .xlsx workbook ({err})", label)) from None
    return _Inspected(label, resolved, parts, with_formulas)


def _check_sizes(infos: list[zipfile.ZipInfo], refuse: Any) -> None:
    if len(infos) > MAX_ENTRIES:
        raise refuse(f"{len(infos):,} entries in the zip (limit {MAX_ENTRIES:,}): not a normal workbook")
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise refuse(f"{info.filename} is encrypted")
        total += info.file_size
        if total > MAX_UNPACKED_BYTES:
            raise refuse(
                f"unpacks to more than {MAX_UNPACKED_BYTES:,} bytes (zip bomb or far too large a workbook)"
            )
        if info.file_size >= RATIO_FROM_BYTES and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            ratio = info.file_size / max(info.compress_size, 1)
            raise refuse(
                f"{info.filename} unpacks {ratio:,.0f}x its packed size (limit {MAX_RATIO}x): a zip bomb?"
            )


def _is_xml(name: str) -> bool:
    return name.endswith((".xml", ".rels", ".vml"))


class _Prolog:
    """defusedxml reads an XML part up to its root element (a DTD can only come before
    it) and refuses any DTD or entity declaration: no entity is ever expanded."""

    def __init__(self, name: str, refuse: Any) -> None:
        from xml.etree.ElementTree import XMLPullParser

        from defusedxml.ElementTree import DefusedXMLParser

        self.name = name
        self.refuse = refuse
        self.parser = XMLPullParser(events=("start",), _parser=DefusedXMLParser(forbid_dtd=True))
        self.done = False

    def feed(self, chunk: bytes) -> None:
        from xml.etree.ElementTree import ParseError

        import defusedxml

        for at in range(0, len(chunk), 2048):  # small bites: stop soon after the root starts
            try:
                self.parser.feed(chunk[at : at + 2048])
                self.done = any(True for _ in self.parser.read_events())
            except (
                defusedxml.DTDForbidden,
                defusedxml.EntitiesForbidden,
                defusedxml.ExternalReferenceForbidden,
            ):
                raise self.refuse(
                    f"{self.name} declares a DTD or XML entities (an entity-expansion attack or a"
                    " damaged file); workbooks never need them"
                ) from None
            except ParseError as err:
                raise self.refuse(f"{self.name} is not well-formed XML ({err})") from None
            if self.done:
                return


def _stream(zf: zipfile.ZipFile, info: zipfile.ZipInfo, refuse: Any) -> bool:
    """Unpack an entry once as a stream, never more than it declares (zipfile stops there
    and checks the CRC); check an XML part's prolog; say whether a sheet has formulas."""
    found = False
    seen = 0
    tail = b""
    sheet = info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")
    prolog = _Prolog(info.filename, refuse) if _is_xml(info.filename) else None
    with zf.open(info) as stream:
        while chunk := stream.read(CHUNK):
            seen += len(chunk)
            if seen > info.file_size:
                raise refuse(f"{info.filename} unpacks to more than it declares")
            if prolog is not None and not prolog.done:
                prolog.feed(chunk)
            if sheet and not found:
                window = tail + chunk[:64]  # a tag split between two chunks
                found = any(
                    (b"<f" in part or b":f" in part) and _FORMULA_TAG.search(part) is not None
                    for part in (chunk, window)
                )
                tail = chunk[-64:]
    if seen != info.file_size:
        raise refuse(f"{info.filename} unpacks to {seen:,} bytes, not the {info.file_size:,} it declares")
    return found


def _sheet_parts(zf: zipfile.ZipFile, names: set[str]) -> dict[str, str]:
    """Sheet name → XML part path, from xl/workbook.xml and its relationships."""
    from defusedxml.ElementTree import fromstring

    rels: dict[str, str] = {}
    if "xl/_rels/workbook.xml.rels" in names:
        for rel in fromstring(zf.read("xl/_rels/workbook.xml.rels"), forbid_dtd=True):
            target = rel.get("Target", "")
            path = target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
            rels[rel.get("Id", "")] = _normalise(path)
    parts: dict[str, str] = {}
    root = fromstring(zf.read("xl/workbook.xml"), forbid_dtd=True)
    for element in root.iter():
        if _local(element.tag) != "sheet":
            continue
        rid = next((v for k, v in element.attrib.items() if _local(k) == "id"), None)
        if rid in rels:
            parts[element.get("name", "")] = rels[rid]
    return parts


def _normalise(path: str) -> str:
    out: list[str] = []
    for part in path.split("/"):
        if part == "..":
            if out:
                out.pop()
        elif part not in ("", "."):
            out.append(part)
    return "/".join(out)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _formula_cells_without_value(stream: IO[bytes]) -> list[tuple[int, int]]:
    """(row, column) of each `<c>` with an `<f>` but no cached `<v>` (streamed, bounded memory)."""
    from defusedxml.ElementTree import iterparse

    missing: list[tuple[int, int]] = []
    row_number = 0
    column = 0
    for event, element in iterparse(stream, events=("start", "end"), forbid_dtd=True):
        tag = _local(element.tag)
        if event == "start":
            if tag == "row":  # `r` is optional: rows and cells then follow one another
                given = element.get("r", "")
                row_number = int(given) if given.isdigit() else row_number + 1
                column = 0
            continue
        if tag == "c":
            ref = _REF.match(element.get("r", ""))
            if ref:
                column, row = _column_number(ref.group(1)), int(ref.group(2))
            else:
                column, row = column + 1, row_number
            formula = value = None
            for child in element:
                name = _local(child.tag)
                if name == "f":
                    formula = child
                elif name == "v":
                    value = child
            if formula is not None and (
                value is None or (not (value.text or "") and element.get("t") != "str")
            ):
                missing.append((row, column))
        elif tag == "row":
            element.clear()
    return missing
