"""The static read fills a node's capacity with vzcpucheck's power and vzmemcheck's MemSwap commitment, read from the
simulator's own tools (local transport), and names a broken tool instead of inventing figures."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from vztui.backend.batch import Section
from vztui.backend.nodeinfo import node_info_from, read_node_info
from vztui.backend.nodespec import NodeSpec, TransportKind
from vztui.backend.transports import LocalTransport

provision = pytest.importorskip("vztui.sim.provision")
sim_node = pytest.importorskip("vztui.sim.node")


@pytest.fixture(scope="module")
def node_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    os.environ["VZTUI_SIM_SPEED"] = "0"
    root = tmp_path_factory.mktemp("sim") / "hn1"
    host = sim_node.HostSpec(hostname="hn1", cpus=2, bogomips=5000.0, ram_bytes=4 * 1024**3, swap_bytes=2 * 1024**3)
    node = provision.init_node(root, host=host)
    for ctid in (101, 102):
        provision.provision_ct(node, ctid, ostemplate="centos-6-x86_64", settings={"HOSTNAME": f"ct{ctid}.example"})
    env = {**os.environ, "PATH": f"{root / 'bin'}:{os.environ['PATH']}"}
    subprocess.run(["vzctl", "start", "101"], env=env, check=True, capture_output=True)
    yield root


def _tool(root: Path, *argv: str) -> str:
    env = {**os.environ, "PATH": f"{root / 'bin'}:{os.environ['PATH']}"}
    return subprocess.run(list(argv), env=env, check=True, capture_output=True, text=True).stdout


def _spec(root: Path) -> NodeSpec:
    return NodeSpec("hn1", transport=TransportKind.LOCAL, root_prefix=str(root), path=str(root / "bin"))


async def test_power_and_memswap_commit_come_from_the_tools(node_root: Path) -> None:
    transport = LocalTransport(_spec(node_root))
    try:
        info, problems = await read_node_info(transport, str(node_root), timeout=30)
    finally:
        await transport.close()
    assert problems == []
    capacity = info.capacity
    # 2 CPUs × 5000 bogomips × 25, as vzcpucheck prints it.
    assert capacity.cpu_power == 250_000
    assert "Power of the node: 250000" in _tool(node_root, "vzcpucheck")
    # The summary's MemSwap commit column of ``vzmemcheck -v`` (a running CT promises something).
    summary = next(line for line in _tool(node_root, "vzmemcheck", "-v").splitlines() if line.startswith("Summary:"))
    expected = float(summary.split()[5])
    assert capacity.mem_commit_percent == pytest.approx(expected, rel=0.05)  # the simulated kernel moves a little
    assert capacity.mem_commit_percent is not None and capacity.mem_commit_percent > 0
    # Utilisation changes with every start/stop: it is left to the live snapshot, not frozen at connect time.
    assert capacity.cpu_units_committed == 0


def _section(name: str, text: str, status: int = 0) -> Section:
    return Section(name=name, text=text, exit_code=status)


def test_a_failing_tool_leaves_the_figure_unmeasured_and_says_why() -> None:
    sections = {
        "cpucheck": _section("cpucheck", "", 127),
        "memcheck": _section("memcheck", "Output values in %\nnonsense\n"),
    }
    info, problems = node_info_from(sections)
    assert info.capacity.cpu_power == 0
    assert info.capacity.mem_commit_percent is None
    assert any(problem.startswith("cpucheck") for problem in problems)
    assert any(problem.startswith("memcheck:") for problem in problems)


def test_old_fractional_power_is_rounded() -> None:
    text = "Current CPU utilization: 3000\nPower of the node: 73072.5\n"
    mem = (
        "Output values in %\n"
        " LowMem  LowMem     RAM MemSwap MemSwap   Alloc   Alloc   Alloc\n"
        "   util  commit    util    util  commit    util  commit   limit\n"
        "   1.00    2.00    3.00    4.00   55.50    6.00    7.00    8.00\n"
    )
    info, _ = node_info_from({"cpucheck": _section("cpucheck", text), "memcheck": _section("memcheck", mem)})
    assert info.capacity.cpu_power == 73072
    assert info.capacity.mem_commit_percent == pytest.approx(55.5)
