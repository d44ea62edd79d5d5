"""``vztui --demo``: the simulated cluster is built once and reused, its kernel ticker dies with vztui."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from vztui.cli import main
from vztui.demo import COMPLETE_MARKER, demo_directory, kernel_ticker, prepare_demo


def test_demo_is_built_once_and_reused(tmp_path: Path) -> None:
    first = prepare_demo(nodes=2, cts=2, seed=5)
    marker = first.directory / COMPLETE_MARKER
    built_at = marker.stat().st_mtime_ns
    again = prepare_demo(nodes=2, cts=2, seed=5)
    assert again == first
    assert marker.stat().st_mtime_ns == built_at
    assert first.directory == demo_directory(2, 2, 5)
    assert str(first.directory).startswith(str(tmp_path / "xdg-cache"))
    assert [spec.name for spec in first.specs] == ["hn1", "hn2"]
    assert all(spec.transport.value == "local" and spec.path.endswith("/bin") for spec in first.specs)
    assert all(Path(spec.root_prefix, "proc", "user_beancounters").exists() for spec in first.specs)
    assert first.journal_dir.is_relative_to(first.directory)


def test_half_built_demo_is_rebuilt(tmp_path: Path) -> None:
    directory = demo_directory(1, 1, 0)
    directory.mkdir(parents=True)
    (directory / "leftover").write_text("from a crashed build")
    demo = prepare_demo(nodes=1, cts=1, seed=0)
    assert not (directory / "leftover").exists()
    assert (demo.directory / COMPLETE_MARKER).exists()


def test_bad_demo_parameters_are_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--demo", "--nodes", "0", "ls"]) == 2
    assert "--nodes: must be between 1 and 64, got 0" in capsys.readouterr().err


def test_kernel_ticker_runs_during_the_block_only(tmp_path: Path) -> None:
    demo = prepare_demo(nodes=1, cts=1, seed=1)
    with kernel_ticker(demo, interval=0.2) as process:
        time.sleep(0.5)
        assert process.poll() is None
    assert process.poll() is not None


def test_kernel_ticker_dies_when_vztui_is_killed(tmp_path: Path) -> None:
    prepare_demo(nodes=1, cts=1, seed=1)
    code = (
        "import sys, time\n"
        "from vztui.demo import prepare_demo, kernel_ticker\n"
        "with kernel_ticker(prepare_demo(nodes=1, cts=1, seed=1)) as p:\n"
        "    print(p.pid, flush=True)\n"
        "    time.sleep(60)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=os.environ.copy())
    assert parent.stdout is not None
    ticker = int(parent.stdout.readline())
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait(10)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(ticker, 0)
        except ProcessLookupError:
            return
        # A zombie still answers kill(0) until reaped by init; its state says it is gone.
        try:
            status = Path(f"/proc/{ticker}/stat").read_text()
        except OSError:  # reaped between kill(0) and the read
            return
        if status.split(")")[1].split()[0] == "Z":
            return
        time.sleep(0.05)
    pytest.fail("the kernel ticker outlived vztui")


def test_demo_ls_json_runs_against_the_simulated_cluster(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--demo", "--nodes", "2", "--cts", "3", "ls", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert sorted({row["node"] for row in rows}) == ["hn1", "hn2"]
    assert len(rows) == 6
