"""vzquota's grace column and /proc/vz/vzquota against their sources: vzquota src/stat.c + common.c
(print_status, difftime2str) and the openvz6 kernel's fs/quota/vzdquota (vzdq_mgmt.c, vzdq_ops.c)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.sim.conftest import run_in_process
from vztui.sim.kernel import procfs
from vztui.sim.kernel.model import DiskFigures, disk_figures
from vztui.sim.node import SIM_NOW_ENV, SimNode
from vztui.sim.provision import provision_ct
from vztui.sim.tools.vzquota import grace_left, render

WEEK = 604800
OVERRUN_CT = 130
"""With the bare node's seed this simfs CT's usage plateau lies past its soft limit (between soft and hard)."""


@pytest.fixture
def overrun(bare_root: Path) -> tuple[Path, DiskFigures]:
    node = SimNode(bare_root)
    provision_ct(
        node,
        OVERRUN_CT,
        ostemplate="centos-6-x86_64",
        layout="simfs",
        sample="basic",
        settings={"QUOTATIME": str(WEEK)},
        created_at=node.now() - 400 * 86400,
    )
    with node.transaction() as state:
        state.ct(OVERRUN_CT).mounted = True
    disk = disk_figures(node, OVERRUN_CT, node.read_config(OVERRUN_CT) or {}, node.now())
    assert disk.blocks_time and disk.blocks_expire == WEEK, "the seed should take CT 130 past its soft limit"
    return bare_root, disk


def _stat_rows(root: Path, monkeypatch: pytest.MonkeyPatch, at: int) -> list[str]:
    monkeypatch.setenv(SIM_NOW_ENV, str(at))
    result = run_in_process(root, "vzquota", "stat", str(OVERRUN_CT))
    assert result.code == 0, result.stderr
    return result.stdout.splitlines()


def test_grace_counts_down_then_reads_none(overrun: tuple[Path, DiskFigures], monkeypatch: pytest.MonkeyPatch) -> None:
    root, disk = overrun
    ends = disk.blocks_time
    before = _stat_rows(root, monkeypatch, ends - WEEK - 86400)
    assert before[1].endswith(f" {disk.blocks_soft:14d} {disk.blocks_hard:14d} {'':8}")
    assert before[1][26] == " "  # not over: no '*', no grace
    hours = _stat_rows(root, monkeypatch, ends - 3 * 3600)
    assert hours[1][26] == "*" and hours[1].endswith("   03:00")
    days = _stat_rows(root, monkeypatch, ends - 2 * 86400 - 5 * 3600)
    assert days[1].endswith("   2days")
    expired = _stat_rows(root, monkeypatch, ends + 60)
    assert expired[1][26] == "*" and expired[1].endswith("    none")
    assert expired[2].endswith(" " * 9)  # inodes stay under their soft limit


def test_usage_stops_growing_once_grace_has_run_out(overrun: tuple[Path, DiskFigures]) -> None:
    root, disk = overrun
    node = SimNode(root)
    conf = node.read_config(OVERRUN_CT) or {}
    later = disk_figures(node, OVERRUN_CT, conf, disk.blocks_time + 90 * 86400)
    at_end = disk_figures(node, OVERRUN_CT, conf, disk.blocks_time)
    assert disk.blocks_soft < later.blocks_used == at_end.blocks_used <= disk.blocks_hard


def test_batch_and_proc_carry_the_kernel_grace_fields(
    overrun: tuple[Path, DiskFigures], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, disk = overrun
    monkeypatch.setenv(SIM_NOW_ENV, str(disk.blocks_time - 3600))
    batch = run_in_process(root, "vzquota", "-b", "stat", str(OVERRUN_CT))
    blocks = batch.stdout.splitlines()[0]
    assert blocks.endswith(f" {disk.blocks_time:14d} {WEEK:14d}") and len(blocks) == 5 * 14 + 4
    proc = (root / "proc/vz/vzquota").read_text().splitlines()
    assert proc[1] == f"{OVERRUN_CT}: /vz/private/{OVERRUN_CT}"
    assert proc[2].endswith(f"{disk.blocks_time:>11}{WEEK:>11}")


@pytest.mark.parametrize(
    ("left", "shown"),
    [(0, "none"), (-5, "none"), (29, "00:00"), (30, "00:01"), (3599, "01:00"), (86369, "23:59"), (86370, "1days")],
)
def test_grace_left_rounds_like_time2str(left: int, shown: str) -> None:
    assert grace_left(1_000_000 + left, 1_000_000) == shown


def test_no_grace_period_prints_nothing_and_zero_limits_are_no_limits() -> None:
    assert grace_left(0, 1_000_000) == ""
    table = render(DiskFigures(500, 0, 0, 7, 0, 0), now=0).splitlines()
    assert table[1] == f"{'1k-blocks':>11} {500:14d}  {0:14d} {0:14d} {'':>8}"


def test_proc_vzquota_is_the_kernel_format_in_hash_chain_order() -> None:
    disk = DiskFigures(1200, 2000, 2200, 30, 400, 440, 1_700_000_000, 259200, 0, 259200)
    # chains: 101 → 36, 37 and 100 → 37 (100 switched on last, so listed first), 165 → 39
    text = procfs.vzquota({ctid: (f"/vz/private/{ctid}", disk) for ctid in (165, 37, 101, 100)})
    rows = "  1k-blocks           1200           2000           2200 1700000000     259200\n"
    rows += "     inodes             30            400            440          0     259200\n"
    assert text == (
        "qid: path            usage      softlimit      hardlimit       time     expire\n"
        + "".join(f"{ctid}: /vz/private/{ctid}\n{rows}" for ctid in (101, 100, 37, 165))
    )


def test_stat_t_prints_print_ugid_status_and_exits_9_while_ugid_quota_is_inactive(
    overrun: tuple[Path, DiskFigures],
) -> None:
    root, _disk = overrun
    result = run_in_process(root, "vzquota", "stat", str(OVERRUN_CT), "-t")
    assert result.code == 9
    assert result.stdout.splitlines()[3:] == [
        "User/group quota: off,inactive",
        "Ugids: loaded 0, total 0, limit 0",
        "Ugid limit was exceeded: no",
        "",
        "User/group grace times and quotafile flags:",
        " type block_exp_time inode_exp_time  dqi_flags",
        " user" + " " * 39 + "0h",  # %5s %14s %14s %9Xh
        "group" + " " * 39 + "0h",
    ]


def test_stat_t_with_ugid_quota_lists_the_loaded_objects(overrun: tuple[Path, DiskFigures]) -> None:
    root, _disk = overrun
    conf = root / f"etc/vz/conf/{OVERRUN_CT}.conf"
    conf.write_text(conf.read_text() + 'QUOTAUGIDLIMIT="100"\n')
    result = run_in_process(root, "vzquota", "stat", str(OVERRUN_CT), "-t")
    lines = result.stdout.splitlines()
    assert result.code == 0
    assert lines[3:6] == [
        "User/group quota: on,active",
        "Ugids: loaded 2, total 2, limit 100",
        "Ugid limit was exceeded: no",
    ]
    assert lines[12:14] == [
        "User/group objects:",
        "ID           type  resource       usage   softlimit   hardlimit    grace status",
    ]
    assert [line.split()[:3] for line in lines[14:]] == [
        ["0", "user", "1k-blocks"],
        ["0", "user", "inodes"],
        ["0", "group", "1k-blocks"],
        ["0", "group", "inodes"],
    ]


def test_show_warns_while_quota_runs_and_usage_texts_are_vzquotas(overrun: tuple[Path, DiskFigures]) -> None:
    root, _disk = overrun
    show = run_in_process(root, "vzquota", "show", str(OVERRUN_CT))
    assert show.code == 0
    assert show.stderr == (
        "vzquota : (warning) Quota is running, so data reported from quota file may not reflect current values\n"
    )
    assert run_in_process(root, "vzquota", "-q", "show", str(OVERRUN_CT)).stderr == ""
    usage = run_in_process(root, "vzquota", "stat", "abc")
    assert (usage.code, usage.stderr.splitlines()[0]) == (
        2,
        "Usage: vzquota stat quotaid [-p <mount_path>] [-c <quota_file>]",
    )
    unknown = run_in_process(root, "vzquota", "bogus", "1")
    assert unknown.code == 2 and unknown.stderr.startswith(
        "Unknown command: 'bogus'\n\nUsage: vzquota [options] command"
    )


def test_stat_options_go_through_getopt_long_named_after_the_quota_id(overrun: tuple[Path, DiskFigures]) -> None:
    root, _disk = overrun
    bad = run_in_process(root, "vzquota", "stat", str(OVERRUN_CT), "-x")
    assert bad.code == 2 and bad.stderr.startswith(f"{OVERRUN_CT}: invalid option -- 'x'\nUsage: vzquota stat quotaid")
    long_form = run_in_process(root, "vzquota", "stat", str(OVERRUN_CT), "extra", "--user-group")
    assert long_form.code == 9 and "User/group quota: off,inactive\n" in long_form.stdout
    both = run_in_process(root, "vzquota", "stat", str(OVERRUN_CT), "-c", "/x", "-R")
    assert (both.code, both.stderr) == (2, "vzquota : (error) -c and -R options can't be set together\n\n")
