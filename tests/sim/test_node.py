"""SimNode: node paths, atomic configs, names, vzctl-style lock files and the shared runtime state."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from vztui.sim.cluster import SimCluster
from vztui.sim.ctlock import CtLockedError, read_lock_pid, read_lock_status
from vztui.sim.node import SimNode
from vztui.sim.shconf import parse_shell_conf


def test_paths_come_from_vz_conf_and_never_show_root(bare_root: Path) -> None:
    node = SimNode(bare_root)
    assert node.ve_private(101) == "/vz/private/101"
    assert node.ve_root(101, {"VE_ROOT": "/srv/root/$VEID"}) == "/srv/root/101"
    assert node.lock_file(101) == "/vz/lock/101.lck"
    assert node.dump_file(101) == "/vz/dump/Dump.101"
    assert node.template_cache == "/vz/template/cache"
    assert node.host("/vz/private/101") == bare_root / "vz/private/101"
    assert node.node_path(bare_root / "etc/vz/conf") == "/etc/vz/conf"


def test_config_write_is_atomic_and_reread(bare_root: Path) -> None:
    node = SimNode(bare_root)
    node.write_config_text(101, 'HOSTNAME="a b"\nDESCRIPTION="x # y"\nNAMESERVER=inherit # comment\n')
    assert node.read_config(101) == {"HOSTNAME": "a b", "DESCRIPTION": "x # y", "NAMESERVER": "inherit # comment"}
    node.write_config_text(101, 'HOSTNAME="c"\n')
    assert node.read_config(101) == {"HOSTNAME": "c"}
    assert not list((bare_root / "etc/vz/conf").glob("*.tmp"))
    assert 101 in node.ctids() and 0 in node.ctids()


def test_shell_conf_first_duplicate_wins() -> None:
    assert parse_shell_conf('A="1"\nA="2"\n# B="3"\nC=4\n') == {"A": "1", "C": "4"}


def test_names_are_symlinks_to_the_node_config_path(bare_root: Path) -> None:
    node = SimNode(bare_root)
    node.set_name(101, "web1")
    link = bare_root / "etc/vz/names/web1"
    assert os.readlink(link) == "/etc/vz/conf/101.conf"
    assert node.resolve_ctid("web1") == 101
    node.set_name(101, "web2")
    assert not link.exists() and not link.is_symlink()
    assert node.names() == {"web2": 101}
    assert node.resolve_ctid("2147483645") is None


def test_lock_file_holds_pid_and_status(bare_root: Path) -> None:
    node = SimNode(bare_root)
    with node.lock_ct(101, "starting") as lock:
        path = bare_root / "vz/lock/101.lck"
        assert path.read_text() == f"{os.getpid()}\nstarting\n"
        assert read_lock_pid(path) == os.getpid() and read_lock_status(path) == "starting"
        assert lock.ctid == 101
    assert not (bare_root / "vz/lock/101.lck").exists()


def test_live_lock_holder_is_reported(bare_root: Path) -> None:
    node = SimNode(bare_root)
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        (bare_root / "vz/lock/101.lck").write_text(f"{holder.pid}\nstopping\n")
        with pytest.raises(CtLockedError) as info:
            node.lock_ct(101)
        assert info.value.pid == holder.pid
        first, second = info.value.messages
        assert first.startswith(f"Locked by: pid {holder.pid}, cmdline ") and "time.sleep(30)" in first
        assert second == "Container already locked"
    finally:
        holder.kill()
        holder.wait()


def test_stale_lock_is_removed_with_vzctl_message(bare_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    node = SimNode(bare_root)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (bare_root / "vz/lock/101.lck").write_text(f"{dead.pid}\n\n")
    lock = node.lock_ct(101, "mounting")
    assert capsys.readouterr().out == "Removing stale lock file /vz/lock/101.lck\n"
    assert read_lock_pid(bare_root / "vz/lock/101.lck") == os.getpid()
    lock.release()


def _bump(root: str, times: int) -> None:
    node = SimNode(root)
    for _ in range(times):
        with node.transaction() as state:
            runtime = state.ct(101)
            runtime.extra["n"] = int(runtime.extra.get("n", 0)) + 1


def test_state_transactions_serialise_across_processes(bare_root: Path) -> None:
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_bump, args=(str(bare_root), 25)) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
    assert SimNode(bare_root).runtime(101).extra["n"] == 100


def test_failed_transaction_is_not_saved(bare_root: Path) -> None:
    node = SimNode(bare_root)
    with pytest.raises(RuntimeError), node.transaction() as state:
        state.ct(101).running = True
        raise RuntimeError("boom")
    assert not node.runtime(101).running


def test_ploop_minors_are_unique(bare_root: Path) -> None:
    node = SimNode(bare_root)
    with node.transaction() as state:
        for ctid in range(101, 140):
            state.ct(ctid).ploop_minor = node.allocate_ploop_minor(state, ctid)
            state.ct(ctid).mounted = True
        minors = [rt.ploop_minor for rt in state.cts.values()]
    assert len(set(minors)) == len(minors)


def test_peer_resolves_sibling_nodes(fresh_cluster: SimCluster) -> None:
    node = SimNode(fresh_cluster.nodes["hn1"])
    peer = node.peer("hn2")
    assert peer is not None and peer.root == fresh_cluster.nodes["hn2"]
    assert node.peer("nosuchhost") is None
    assert node.peer("../hn2") is None


def test_now_is_wall_clock() -> None:
    assert abs(SimNode.now() - time.time()) < 1


def test_corrupt_state_is_set_aside(bare_root: Path) -> None:
    node = SimNode(bare_root)
    state_file = bare_root / "var/lib/vzsim/state.json"
    state_file.write_text("{not json")
    assert node.read_state().cts == {}
    assert (bare_root / "var/lib/vzsim/state.json.corrupt").read_text() == "{not json"
    with node.transaction() as state:
        state.ct(101).mounted = True
    assert node.runtime(101).mounted
