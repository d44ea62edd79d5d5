"""/proc/sys/kernel/threads-max of the simulated kernel: fork_init() of the openvz6 kernel (kernel/fork.c), read
by vzsplit, vzcalc and vztui's node tools."""

from __future__ import annotations

from pathlib import Path

from tests.sim.conftest import run_in_process
from vztui.sim.node import SimNode
from vztui.sim.provision import provision_ct


def test_threads_max_is_totalram_pages_over_32(bare_root: Path) -> None:
    node = SimNode(bare_root)
    node.refresh_proc(force=True)
    # 16 GiB = 4194304 pages; THREAD_SIZE is 16 KiB on x86_64 042stab: max_threads = pages / (8 * 4)
    assert (bare_root / "proc/sys/kernel/threads-max").read_text() == "131072\n"
    meminfo = (bare_root / "proc/meminfo").read_text().splitlines()[0]
    assert meminfo.split()[1] == str(131072 * 128)  # MemTotal kB = totalram_pages * 4


def test_vzcalc_divides_numproc_by_threads_max(bare_root: Path) -> None:
    node = SimNode(bare_root)
    provision_ct(node, 101, ostemplate="centos-6-x86_64", layout="simfs", sample="basic")
    result = run_in_process(bare_root, "vzcalc", "-v", "101")
    numproc = int((node.read_config(101) or {})["NUMPROC"].split(":")[0])
    row = next(line for line in result.stdout.splitlines() if line.startswith("Num. Proc"))
    assert row == f"Num. Proc  {'n/a':>10}        n/a {numproc / 131072 * 100:10.2f}"
