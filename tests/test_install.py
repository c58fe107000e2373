"""A plain (non-editable) install carries the embedded food table and presets."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (found,) = out.glob("sarcoform-*.whl")
    return found


def test_wheel_contains_the_data(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert "sarcoform/_data/foods/ingredients.csv" in names
    presets = {Path(n).name for n in names if n.startswith("sarcoform/_data/constraints/")}
    assert {p.name for p in (ROOT / "constraints").glob("*.toml")} <= presets
    regulations = {n.removeprefix("sarcoform/_data/") for n in names if "/_data/regulations/" in n}
    assert {str(p.relative_to(ROOT)) for p in (ROOT / "regulations").rglob("*.toml")} <= regulations
    assert "sarcoform/report/spec_sheet.typ" in names  # the specification sheet's layout


def test_installed_copy_solves_from_its_own_data(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    # Run from an empty folder with only the installed copy first on the path, so
    # nothing can be found through the checkout.
    code = (
        "import sarcoform, sys; "
        "from sarcoform.io.embedded import data_dir; "
        f"assert sarcoform.__file__.startswith({str(target)!r}), sarcoform.__file__; "
        f"assert str(data_dir('foods')).startswith({str(target)!r}); "
        "r = sarcoform.solve(sarcoform.load_foods(), sarcoform.load_brief()); "
        "print(r.status, len(sarcoform.presets()), sarcoform.label(r, 'eu').standard)"
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    presets = str(len(list((ROOT / "constraints").glob("*.toml"))))
    assert done.stdout.split() == ["optimal", presets, "eu"]
