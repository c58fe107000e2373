"""The journal of a batch run: finished items, one JSON line each, so a run can resume."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

from ..errors import UsageError

JOURNAL_KIND = "sarcoform batch journal"


def journal_path(output: Path | str) -> Path:
    """Where the journal of a run writing `output` lives: beside it."""
    out = Path(output)
    return out.with_name(out.name + ".journal.jsonl")


class BatchJournal:
    """Finished items, one JSON line each, appended as they finish.

    The first line names the inputs (a fingerprint), so a resumed run can refuse a
    journal written for other inputs. Lines are flushed as written and the file is
    fsynced after each group, so a killed run keeps every item it finished; a line torn
    by the kill is dropped when the journal is read back.
    """

    def __init__(self, path: Path, handle: IO[str]) -> None:
        self.path = path
        self._handle = handle

    @classmethod
    def start(
        cls, path: Path | str, fingerprint: str, *, resume: bool
    ) -> tuple[BatchJournal, list[dict[str, Any]]]:
        """Open the journal: (journal, items finished earlier when resuming)."""
        p = Path(path)
        finished: list[dict[str, Any]] = []
        # The handle stays open for the whole run (closed by close()): no context manager.
        if resume and p.exists():
            finished, good_bytes = _read_journal(p, fingerprint)
            with open(p, "r+b") as raw:
                raw.truncate(good_bytes)  # drop a line torn by the interruption
            handle = open(p, "a", encoding="utf-8")  # noqa: SIM115
        else:
            handle = open(p, "w", encoding="utf-8")  # noqa: SIM115
            handle.write(json.dumps({"kind": JOURNAL_KIND, "version": 1, "fingerprint": fingerprint}) + "\n")
            handle.flush()
        return cls(p, handle), finished

    def append(self, records: Iterable[dict[str, Any]]) -> None:
        for record in records:
            self._handle.write(json.dumps(record, allow_nan=True, ensure_ascii=False) + "\n")
            self._handle.flush()
        os.fsync(self._handle.fileno())

    def close(self) -> None:
        self._handle.close()


def _read_journal(path: Path, fingerprint: str) -> tuple[list[dict[str, Any]], int]:
    data = path.read_bytes()
    items: list[dict[str, Any]] = []
    good = 0
    for k, line in enumerate(data.splitlines(keepends=True)):
        if not line.endswith(b"\n"):
            break  # torn by the interruption
        try:
            record = json.loads(line)
        except ValueError:
            break
        if k == 0:
            if not isinstance(record, dict) or record.get("kind") != JOURNAL_KIND:
                raise UsageError(f"{path} is not a sarcoform batch journal: move it away to start afresh")
            if record.get("fingerprint") != fingerprint:
                raise UsageError(
                    f"{path} was written for other inputs (products, scenarios, foods or solver changed):"
                    " delete it to start afresh"
                )
        else:
            items.append(record)
        good += len(line)
    if good == 0:
        raise UsageError(f"{path} is not a sarcoform batch journal: move it away to start afresh")
    return items, good
