"""Result JSON files (`sarcoform solve -o result.json`) read back into a Result."""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import InputError, Problem
from ..model.result import Result
from .files import read_text


def read_result_json(path: Path | str) -> Result:
    """A Result from its JSON file; InputError naming the file and the first bad field."""
    name = str(path)
    try:
        data = json.loads(read_text(path))
    except json.JSONDecodeError as err:
        raise InputError(Problem(f"is not JSON: {err.msg}", name, line=err.lineno)) from None
    except RecursionError:  # arrays or objects nested thousands deep: no result is
        raise InputError(Problem("is not a sarcoform result (JSON nested too deeply)", name)) from None
    if not isinstance(data, dict):
        raise InputError(Problem("is not a sarcoform result (expected a JSON object)", name))
    try:
        return Result.from_dict(data)
    except InputError as err:
        raise InputError(Problem(f"is {err.problems[0].message}", name)) from None
