"""Reading input files safely and writing outputs atomically."""

from __future__ import annotations

import contextlib
import csv
import gzip
import io
import itertools
import math
import os
import tempfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any, cast

from ..errors import InputError, Problem, UsageError

MAX_TEXT_BYTES = 64 * 1024 * 1024  # a food table or brief is kilobytes; refuse absurd files


def read_text(path: Path | str, *, max_bytes: int = MAX_TEXT_BYTES) -> str:
    """A text input file as str, or an InputError that says what is wrong with it."""
    p = Path(path)
    name = str(p)
    if not p.exists():
        raise InputError(Problem("no such file", name))
    if p.is_dir():
        raise InputError(Problem("is a directory, not a file", name))
    try:
        size = p.stat().st_size
        if size > max_bytes:
            raise InputError(Problem(f"too large ({size:,} bytes; limit {max_bytes:,})", name))
        data = p.read_bytes()
        if p.suffix.lower() == ".gz":
            data = _gunzip(data, name, max_bytes)
    except PermissionError:
        raise InputError(Problem("cannot be read (permission denied)", name)) from None
    except OSError as err:
        raise InputError(Problem(f"cannot be read ({err.strerror})", name)) from None
    if not data.strip():
        raise InputError(Problem("is empty", name))
    if b"\x00" in data[:8192]:
        raise InputError(Problem("is a binary file, not text (CSV and TOML are text)", name))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise InputError(
            Problem(f"is not UTF-8 text (bad byte at offset {err.start}); save it as UTF-8", name)
        ) from None


def _gunzip(data: bytes, name: str, max_bytes: int) -> bytes:
    """A gzip file's content, refused past `max_bytes` (no decompression bombs)."""
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as stream:
            out = stream.read(max_bytes + 1)
    except (OSError, EOFError, zlib.error) as err:
        raise InputError(Problem(f"is not a readable gzip file ({err})", name)) from None
    if len(out) > max_bytes:
        raise InputError(Problem(f"decompresses to more than {max_bytes:,} bytes", name))
    return out


@contextlib.contextmanager
def atomic_output(path: Path | str, mode: str = "w") -> Iterator[IO[str] | IO[bytes]]:
    """Write to a temporary file next to `path`, then rename it into place.

    A crash leaves the old file (or nothing), never half a file.
    """
    target = Path(path)
    directory = target.parent if str(target.parent) else Path()
    if not directory.is_dir():
        raise UsageError(f"cannot write {target}: folder {directory} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    try:
        text = {"encoding": "utf-8", "newline": ""} if "b" not in mode else {}
        with os.fdopen(fd, mode, **text) as f:  # type: ignore[call-overload]
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_text(path: Path | str, text: str) -> None:
    with atomic_output(path, "w") as f:
        f.write(text)  # type: ignore[call-overload]


def write_bytes(path: Path | str, data: bytes) -> None:
    with atomic_output(path, "wb") as f:
        f.write(data)  # type: ignore[arg-type]


def refuse_overwriting_input(output: Path | str, *inputs: Path | str | None) -> None:
    """Writing a result over one of its inputs would lose the input: refuse."""
    out = Path(output).resolve()
    for given in inputs:
        if given is not None and Path(given).exists() and Path(given).resolve() == out:
            raise UsageError(f"refusing to write the output over the input {given}")


# Text that a spreadsheet would run as a formula (OWASP CSV injection, CWE-1236).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(text: str) -> str:
    """Prefix text cells that a spreadsheet would treat as a formula with a quote."""
    if text.startswith(FORMULA_STARTS) and not _is_number(text):
        return "'" + text
    return text


def plain(value: Any) -> Any:
    """A value as an output cell holds it: numpy scalars as Python numbers; NaN, infinities
    and pandas' NA as None (a blank)."""
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # a numpy scalar
        value = value.item()
    if type(value).__name__ == "NAType" or (isinstance(value, float) and not math.isfinite(value)):
        return None
    return value


def write_csv(header: Sequence[Any], rows: Iterable[Sequence[Any]], path: Path | str) -> None:
    """A CSV file (comma, "\n" line ends), written atomically. Blanks for None, NaN and NA;
    floats exact (repr); text made formula-safe with `csv_safe`, header included."""
    with atomic_output(path, "w") as f:
        text = cast(IO[str], f)
        writer = csv.writer(text, lineterminator="\n")
        # Python 3.12's writer leaves a lone "\r" unquoted (it only looks for the line
        # terminator), which no reader accepts: such rows are written fully quoted.
        quoted = csv.writer(text, lineterminator="\n", quoting=csv.QUOTE_ALL)
        for row in itertools.chain([header], rows):
            cells = [_csv_cell(v) for v in row]
            (quoted if any("\r" in c for c in cells) else writer).writerow(cells)


def _csv_cell(value: Any) -> str:
    value = plain(value)
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (bool, int)):
        return str(value)
    return csv_safe(str(value))


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
