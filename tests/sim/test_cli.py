"""``vztui-sim``: init (bare node = vzctl 4.11.1 as shipped), run, cluster and the kernel ticker."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.samples import sample_text
from tests.sim.conftest import run_cli
from vztui.sim.cluster import SimCluster
from vztui.sim.node import SimNode


def _sample(name: str) -> str:
    return sample_text(name)


def test_init_bare_ships_vzctl_defaults(tmp_path: Path) -> None:
    root = tmp_path / "node"
    result = run_cli("init", str(root), "--bare")
    assert result.code == 0, result.stderr
    assert (root / "etc/vz/vz.conf").read_text() == _sample("vz.conf.in__vzctl-4.11.1").replace("@VZDIR@", "/vz")
    for name in ("0.conf", "ve-basic.conf-sample", "ve-vswap-256m.conf-sample"):
        assert (root / "etc/vz/conf" / name).read_text() == _sample(name)
    node = SimNode(root)
    assert node.vzconf["VE_LAYOUT"] == "ploop" and node.vzconf["DEF_OSTEMPLATE"] == "centos-6-x86"
    assert node.find_template("centos-6-x86") == "/vz/template/cache/centos-6-x86.tar.gz"
    for directory in ("vz/private", "vz/root", "vz/lock", "vz/dump", "etc/vz/names", "proc/vz"):
        assert (root / directory).is_dir(), directory
    assert node.ctids() == [0]
    for tool in (
        "vzctl",
        "vzlist",
        "vzquota",
        "vzmemcheck",
        "vzcpucheck",
        "vzcalc",
        "vzsplit",
        "vzmigrate",
        "vztmpl-dl",
    ):
        assert (root / "bin" / tool).stat().st_mode & 0o111, tool


def test_init_refuses_an_existing_node(tmp_path: Path) -> None:
    root = tmp_path / "node"
    assert run_cli("init", str(root), "--bare").code == 0
    again = run_cli("init", str(root), "--bare")
    assert again.code == 1 and "already holds a simulated node" in again.stderr


def test_init_populated_and_run(tmp_path: Path) -> None:
    root = tmp_path / "node"
    assert run_cli("init", str(root), "--cts", "5", "--seed", "2").code == 0
    listed = run_cli("run", str(root), "vzlist", "-a", "-H", "-o", "ctid")
    assert listed.code == 0 and listed.stdout.split() == ["101", "102", "103", "104", "105"]
    # Tool options that look like argparse's reach the tool untouched.
    filtered = run_cli("run", str(root), "vzlist", "-a", "-h", "nomatch*")
    assert filtered.code == 0 and filtered.stdout.count("\n") == 1


def test_run_unknown_tool(tmp_path: Path) -> None:
    root = tmp_path / "node"
    assert run_cli("init", str(root), "--bare").code == 0
    result = run_cli("run", str(root), "vzfoo")
    assert (result.code, result.stderr) == (127, "vzfoo: command not found\n")


def test_cluster_command_and_layout(tmp_path: Path) -> None:
    result = run_cli("cluster", str(tmp_path / "c"), "--nodes", "2", "--cts", "3", "--seed", "5")
    assert result.code == 0 and "built 2 nodes, 6 containers" in result.stdout
    cluster = SimCluster.open(tmp_path / "c")
    assert list(cluster.nodes) == ["hn1", "hn2"]
    assert SimNode(cluster.nodes["hn2"]).ctids() == [0, 104, 105, 106]
    peers = json.loads((cluster.nodes["hn1"] / "var/lib/vzsim/peers.json").read_text())
    assert peers == {name: str(path) for name, path in cluster.nodes.items()}
    assert cluster.bin_dir("hn1") == cluster.nodes["hn1"] / "bin"


def test_demo_story_paths_drift_on_hn3(demo_cluster: SimCluster) -> None:
    hn1, hn3 = SimNode(demo_cluster.nodes["hn1"]), SimNode(demo_cluster.nodes["hn3"])
    assert hn1.vzconf["VE_PRIVATE"] == "/vz/private/$VEID"
    assert hn3.vzconf["VE_PRIVATE"] == "/var/lib/vz/private/$VEID"
    assert hn3.vzconf["TEMPLATE"] == "/var/lib/vz/template"
    assert (demo_cluster.nodes["hn3"] / "var/lib/vz/private/131").is_dir()
    total = sum(len(SimNode(root).ctids()) - 1 for root in demo_cluster.nodes.values())
    assert 35 <= total <= 45


def test_kernel_ticker_keeps_proc_current(tmp_path: Path) -> None:
    root = tmp_path / "c"
    assert run_cli("cluster", str(root), "--nodes", "1", "--cts", "3").code == 0
    stamp = root / "hn1/proc/.vzsim-stamp"
    ticker = subprocess.Popen([sys.executable, "-m", "vztui.sim.cli", "kernel", str(root), "--interval", "0.2"])
    try:
        first = stamp.stat().st_mtime
        deadline = time.monotonic() + 10
        while stamp.stat().st_mtime == first and time.monotonic() < deadline:
            time.sleep(0.1)
        assert stamp.stat().st_mtime > first
    finally:
        ticker.terminate()
        assert ticker.wait(10) == 0


def test_kernel_once_on_missing_node(tmp_path: Path) -> None:
    result = run_cli("kernel", str(tmp_path), "--once")
    assert result.code == 1 and "no simulated node" in result.stderr


def test_wrappers_work_from_an_empty_environment(demo_cluster: SimCluster) -> None:
    """An sshd session may start with almost no environment: the wrappers must not depend on it."""
    vzlist = demo_cluster.bin_dir("hn1") / "vzlist"
    proc = subprocess.run(
        ["env", "-i", str(vzlist), "-H", "-o", "ctid", "101"], capture_output=True, text=True, check=False, cwd="/"
    )
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "       101\n", "")


def test_cluster_refuses_to_overwrite(tmp_path: Path) -> None:
    assert run_cli("cluster", str(tmp_path / "c"), "--nodes", "1", "--cts", "1").code == 0
    again = run_cli("cluster", str(tmp_path / "c"), "--nodes", "1", "--cts", "1")
    assert again.code == 1 and again.stderr == f"vztui-sim: {tmp_path / 'c'} already holds a simulated cluster\n"


def test_a_tool_whose_module_is_missing_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.sim.conftest import run_in_process
    from vztui.sim import runner
    from vztui.sim.provision import init_node

    root = tmp_path / "node"
    init_node(root)
    monkeypatch.setitem(runner.TOOLS, "vzfake", "vztui.sim.no_such_module")
    result = run_in_process(root, "vzfake")
    assert (result.code, result.stderr) == (127, "vzfake: not available in this simulator build\n")


def test_internal_errors_are_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.sim.conftest import run_in_process
    from vztui.sim.provision import init_node

    root = tmp_path / "node"
    init_node(root)
    (root / "etc/vz/conf/101.conf").mkdir()
    monkeypatch.delenv("VZTUI_SIM_DEBUG", raising=False)
    result = run_in_process(root, "vzlist", "-a")
    assert result.code == 1 and result.stderr.startswith("vzlist: simulator internal error: ")
