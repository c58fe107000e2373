"""Nothing lost: kill a `sarcoform batch` run midway (SIGKILL), resume it, get the uninterrupted table."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sarcoform as sf
from sarcoform.batch.files import read_products, read_scenarios
from sarcoform.batch.journal import journal_path
from sarcoform.batch.output import write_frame_csv

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")


def scenarios_csv(foods: sf.FoodTable, count: int) -> str:
    rng = np.random.default_rng(3)
    lines = ["scenario,id,price_per_kg"]
    for k in range(count):
        for food_id in ("wpi", "wpc80", "smp", "buttermilk_powder", "spi", "maltodextrin"):
            price = float(foods.price_per_kg[foods.ids.index(food_id)]) * float(np.exp(rng.normal(0, 0.2)))
            lines.append(f"s{k:02d},{food_id},{price:.4f}")
    return "\n".join(lines) + "\n"


def test_killed_run_resumes_to_the_uninterrupted_table(foods: sf.FoodTable, tmp_path: Path) -> None:
    products = tmp_path / "products.csv"
    products.write_text("name,brief,serving_g\nons_65g,ons_powder,65\nmilk,milk_beverage_powder,\n")
    scenarios = tmp_path / "scenarios.csv"
    scenarios.write_text(scenarios_csv(foods, 16))
    output = tmp_path / "out.csv"
    journal = journal_path(output)
    # The regular path (CBC, one process): slow enough per item to be killed midway.
    command = [
        sys.executable,
        "-m",
        "sarcoform",
        "batch",
        str(products),
        "-s",
        str(scenarios),
        "-o",
        str(output),
        "--solver",
        "cbc",
        "--workers",
        "1",
    ]
    run = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and run.poll() is None:
        if journal.exists() and journal.read_text().count("\n") >= 9:  # the header and 8 items
            break
        time.sleep(0.02)
    os.kill(run.pid, signal.SIGKILL)
    run.wait(timeout=30)
    assert run.returncode == -signal.SIGKILL, "the run finished before it could be interrupted"
    assert not output.exists()
    kept = [json.loads(line) for line in journal.read_text().splitlines()[1:] if line.endswith("}")]
    assert 8 <= len(kept) < 32

    resumed = subprocess.run(
        [*command, "--resume"], capture_output=True, text=True, cwd=tmp_path, timeout=120
    )
    assert resumed.returncode == 0, resumed.stderr
    assert output.exists() and not journal.exists()
    table = pd.read_csv(output)
    assert len(table) == 32 and not table.duplicated(["product", "scenario"]).any()
    # Items finished before the kill come from the journal, not from solving them again.
    by_key = table.set_index(["product", "scenario"])["seconds"]
    assert all(by_key[(r["product"], r["scenario"])] == pytest.approx(r["seconds"], rel=1e-12) for r in kept)

    whole = sf.solve_batch(
        foods, list(read_products(products).products), read_scenarios(scenarios), solver="cbc"
    )
    write_frame_csv(whole.table, tmp_path / "whole.csv")
    expected = pd.read_csv(tmp_path / "whole.csv")
    pd.testing.assert_frame_equal(table.drop(columns="seconds"), expected.drop(columns="seconds"))
