"""The simulator's /proc files read back through the kernel-file parsers: every figure the simulator rendered comes
back exactly (a small node, built once for the module)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from vztui.openvz.models import Beancounter
from vztui.openvz.parsers.beancounters import parse_bc_resources, parse_user_beancounters
from vztui.openvz.parsers.hostinfo import parse_cpuinfo, parse_loadavg, parse_meminfo
from vztui.openvz.parsers.procvz import parse_proc_vzquota, parse_veinfo, parse_vestat
from vztui.openvz.resources import BC_RESOURCES_ORDER, DUMMY, USER_BEANCOUNTERS_ORDER
from vztui.sim.cluster import build_cluster
from vztui.sim.kernel import procfs, refresh
from vztui.sim.kernel.model import HOST_NUMPROC, HZ, DiskFigures, NodeFigures
from vztui.sim.node import SimNode


@dataclass(frozen=True)
class Rendered:
    root: Path
    fig: NodeFigures
    rows: dict[int, dict[str, str]]
    disks: dict[int, tuple[str, DiskFigures]]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    cluster = build_cluster(tmp_path_factory.mktemp("kernel-parsers") / "cluster", nodes=1, cts=6, seed=1)
    node = SimNode(cluster.nodes["hn1"])
    t = SimNode.now()
    fig, state, configs = refresh.compute(node, t)
    assert fig.cts, "the seed should start some containers"
    return Rendered(node.root, fig, procfs.ct_rows(fig), refresh.quota_disks(node, state, configs, t))


def expected(values: dict[str, tuple[int, int, int, int, int]], names: tuple[str, ...]) -> dict[str, Beancounter]:
    return {name: Beancounter(name, *values[name]) for name in names if name != DUMMY}


def test_user_beancounters_round_trip(rendered: Rendered) -> None:
    fig = rendered.fig
    parsed = parse_user_beancounters(procfs.user_beancounters(fig, rendered.rows))
    assert list(parsed) == [*fig.order, 0]
    for ctid in fig.order:
        assert parsed[ctid] == expected(fig.cts[ctid].beancounters, USER_BEANCOUNTERS_ORDER)
        assert "swappages" not in parsed[ctid]
    assert parsed[0] == expected(procfs.host_beancounters(fig), USER_BEANCOUNTERS_ORDER)


def test_bc_resources_round_trip_has_swappages(rendered: Rendered) -> None:
    fig = rendered.fig
    parsed = parse_bc_resources(procfs.bc_resources(fig, rendered.rows))
    assert list(parsed) == [*fig.order, 0]
    for ctid in fig.order:
        assert parsed[ctid] == expected(fig.cts[ctid].beancounters, BC_RESOURCES_ORDER)
        assert list(parsed[ctid]) == list(BC_RESOURCES_ORDER)


def test_per_ct_bc_resources_round_trip(rendered: Rendered) -> None:
    for ctid in rendered.fig.order:
        parsed = parse_bc_resources(procfs.bc_ct_resources(rendered.rows, ctid), ctid=ctid)
        assert parsed == {ctid: expected(rendered.fig.cts[ctid].beancounters, BC_RESOURCES_ORDER)}


def test_vestat_round_trip(rendered: Rendered) -> None:
    fig = rendered.fig
    parsed = parse_vestat(procfs.vestat(fig))
    assert set(parsed) == set(fig.cts)
    for ctid, ct in fig.cts.items():
        stat = parsed[ctid]
        assert (stat.user, stat.nice, stat.system) == ct.busy_jiffies
        assert stat.uptime_jiffies == int(ct.uptime * HZ)
        assert stat.strv == 0


def test_veinfo_round_trip(rendered: Rendered) -> None:
    fig = rendered.fig
    parsed = parse_veinfo(procfs.veinfo(fig))
    assert list(parsed) == [*fig.order, 0]
    for ctid in fig.order:
        ct = fig.cts[ctid]
        assert (parsed[ctid].class_id, parsed[ctid].numproc) == (2, ct.numproc)
        assert set(parsed[ctid].ips) == set(ct.ips)
    assert (parsed[0].numproc, parsed[0].ips) == (HOST_NUMPROC, ())


def test_vzquota_round_trip(rendered: Rendered) -> None:
    assert rendered.disks, "the seed should run some simfs CTs with quota"
    parsed = parse_proc_vzquota(procfs.vzquota(rendered.disks))
    assert set(parsed) == set(rendered.disks)
    for ctid, (_path, disk) in rendered.disks.items():
        blocks, inodes = parsed[ctid].blocks, parsed[ctid].inodes
        assert (blocks.usage, blocks.softlimit, blocks.hardlimit) == (
            disk.blocks_used,
            disk.blocks_soft,
            disk.blocks_hard,
        )
        assert (inodes.usage, inodes.softlimit, inodes.hardlimit) == (
            disk.inodes_used,
            disk.inodes_soft,
            disk.inodes_hard,
        )


def test_host_files_round_trip(rendered: Rendered) -> None:
    fig = rendered.fig
    mem = parse_meminfo(procfs.meminfo(fig))
    assert (mem.total, mem.swap_total) == (fig.host.ram_bytes, fig.host.swap_bytes)
    assert 0 < mem.free <= mem.available <= mem.total
    assert 0 <= mem.swap_free <= mem.swap_total
    load = parse_loadavg(procfs.loadavg(fig))
    assert load.total == fig.total_numproc and load.running >= 1
    assert parse_cpuinfo(procfs.cpuinfo(fig)) == (fig.host.cpus, fig.host.cpu_model)


def test_the_files_on_disk_parse_and_agree_with_each_other(rendered: Rendered) -> None:
    node = SimNode(rendered.root)
    node.refresh_proc(force=True)
    proc = rendered.root / "proc"
    ubc = parse_user_beancounters((proc / "user_beancounters").read_text())
    bc = parse_bc_resources((proc / "bc" / "resources").read_text())
    assert list(ubc) == list(bc)
    for ctid in ubc:
        assert {name: bc[ctid][name] for name in ubc[ctid]} == ubc[ctid]
    for ctid in set(bc) - {0}:
        per_ct = parse_bc_resources((proc / "bc" / str(ctid) / "resources").read_text(), ctid=ctid)
        assert per_ct == {ctid: bc[ctid]}
    running = set(parse_veinfo((proc / "vz" / "veinfo").read_text())) - {0}
    assert running == set(parse_vestat((proc / "vz" / "vestat").read_text())) == set(bc) - {0}
    parse_proc_vzquota((proc / "vz" / "vzquota").read_text())
    assert parse_meminfo((proc / "meminfo").read_text()).total > 0
