"""The same batch on Dask distributed (a LocalCluster here; a real cluster takes its address)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import sarcoform as sf
from conftest import run_cli, run_main, template_book
from sarcoform.batch.files import read_products

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    # Threads in this process, served over TCP so that a CLI in another process can connect;
    # ports chosen free (":0"), so that another cluster on the machine never collides.
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, protocol="tcp", dashboard_address=":0"
    ) as local:
        yield local


def test_executor_gives_the_local_result(cluster: Any, foods: sf.FoodTable, tmp_path: Path) -> None:
    inputs = read_products(template_book(tmp_path))
    products = [*inputs.products, sf.Product("too_cheap", "ons_powder", cost_max=0.05)]
    local = sf.solve_batch(foods, products, inputs.scenarios)
    with distributed.Client(cluster) as client:
        remote = sf.solve_batch(foods, products, inputs.scenarios, executor=client.get_executor())
    # Identical, bit for bit: same tasks, same hot-start bases, whichever machine runs them.
    pd.testing.assert_frame_equal(
        remote.table.drop(columns="seconds"), local.table.drop(columns="seconds"), check_exact=True
    )
    assert remote.counts == {"optimal": 16, "infeasible": 4}
    assert remote.result("too_cheap", "base").diagnosis is not None


def test_cli_scheduler_option(cluster: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    book = str(template_book(tmp_path))
    run = run_cli("batch", book, "-o", "remote.csv", "--scheduler", cluster.scheduler_address, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    run = run_main(capsys, "batch", book, "-o", str(tmp_path / "local.csv"), "-w", "1")  # the reference
    assert run.returncode == 0, run.stderr
    remote, local = (
        pd.read_csv(tmp_path / name).drop(columns="seconds") for name in ("remote.csv", "local.csv")
    )
    pd.testing.assert_frame_equal(remote, local, check_exact=True)


def test_unreachable_scheduler_is_a_usage_error(tmp_path: Path) -> None:
    run = run_cli(
        "batch",
        str(template_book(tmp_path)),
        "--scheduler",
        "tcp://127.0.0.1:9",
        cwd=tmp_path,
        env={"DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "1s"},
    )
    assert run.returncode == 2 and "cannot reach the Dask scheduler" in run.stderr
