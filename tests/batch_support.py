"""Helpers shared by the batch tests: the example workbook and the CLI in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sarcoform.io.batch_files import write_batch_template


def template_book(folder: Path) -> Path:
    """The example batch workbook (`sarcoform template --batch`) in `folder`."""
    book = folder / "book.xlsx"
    write_batch_template(book)
    return book


def run_cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`sarcoform ARGS` in a fresh process, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "sarcoform", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        env={**os.environ, **(env or {})},
    )
