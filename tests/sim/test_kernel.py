"""The simulated kernel: deterministic figures, monotonic counters, pressure failcnt and exact /proc formats."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest

from vztui.openvz.resources import BC_RESOURCES_ORDER, USER_BEANCOUNTERS_ORDER
from vztui.sim.cluster import SimCluster, build_cluster
from vztui.sim.kernel import refresh
from vztui.sim.kernel.model import KernelModel
from vztui.sim.kernel.waves import entries_above, running_max_sin
from vztui.sim.node import SimNode

UBC_HEADER = (
    "       uid  resource                     held              maxheld              barrier"
    "                limit              failcnt"
)


def _figures(root: Path, t: float):  # type: ignore[no-untyped-def]
    node = SimNode(root)
    state = node.read_state()
    configs = refresh.load_configs(node, state)
    return KernelModel(node).figures(state, t, configs)


def test_figures_are_a_pure_function_of_time(demo_cluster: SimCluster) -> None:
    root = demo_cluster.nodes["hn1"]
    t = SimNode.now()
    first, second = _figures(root, t), _figures(root, t)
    assert first.cts.keys() == second.cts.keys()
    for ctid in first.cts:
        assert first.cts[ctid].beancounters == second.cts[ctid].beancounters
        assert first.cts[ctid].busy_jiffies == second.cts[ctid].busy_jiffies


def test_same_seed_builds_the_same_cluster(tmp_path: Path) -> None:
    one = build_cluster(tmp_path / "a", nodes=2, cts=6, seed=3)
    two = build_cluster(tmp_path / "b", nodes=2, cts=6, seed=3)
    other = build_cluster(tmp_path / "c", nodes=2, cts=6, seed=4)
    for name in ("hn1", "hn2"):
        for ctid in SimNode(one.nodes[name]).ctids():
            assert SimNode(one.nodes[name]).read_config_text(ctid) == SimNode(two.nodes[name]).read_config_text(ctid)
    texts = [SimNode(other.nodes["hn1"]).read_config_text(c) for c in SimNode(other.nodes["hn1"]).ctids()]
    assert texts != [SimNode(one.nodes["hn1"]).read_config_text(c) for c in SimNode(one.nodes["hn1"]).ctids()]


def test_counters_never_go_backwards(demo_cluster: SimCluster) -> None:
    root = demo_cluster.nodes["hn1"]
    t0 = SimNode.now()
    previous = _figures(root, t0)
    for step in range(1, 40):
        current = _figures(root, t0 + step * 7.3)
        for ctid, ct in current.cts.items():
            old = previous.cts[ctid]
            assert sum(ct.busy_jiffies) >= sum(old.busy_jiffies)
            for name, (held, maxheld, barrier, limit, failcnt) in ct.beancounters.items():
                assert maxheld >= held, (ctid, name)
                assert maxheld >= old.beancounters[name][1], (ctid, name)
                assert failcnt >= old.beancounters[name][4], (ctid, name)
                bound = barrier if 0 < barrier < 2**63 - 1 else limit
                assert held <= bound or bound == 0, (ctid, name)
        previous = current


@pytest.mark.parametrize(
    ("node", "ctid", "resource"), [("hn1", 104, "physpages"), ("hn2", 118, "numproc"), ("hn3", 131, "numfile")]
)
def test_pressure_containers_fail_regularly(demo_cluster: SimCluster, node: str, ctid: int, resource: str) -> None:
    root = demo_cluster.nodes[node]
    t0 = SimNode.now()
    start = _figures(root, t0).cts[ctid].beancounters[resource]
    later = _figures(root, t0 + 300).cts[ctid].beancounters[resource]
    assert start[4] > 0
    assert later[4] > start[4]
    assert later[1] == (later[2] if 0 < later[2] < 2**63 - 1 else later[3])


def test_quiet_containers_do_not_fail(demo_cluster: SimCluster) -> None:
    fig = _figures(demo_cluster.nodes["hn1"], SimNode.now() + 1000)
    assert all(row[4] == 0 for row in fig.cts[101].beancounters.values())


def test_raising_the_limit_stops_failures_without_resetting_failcnt(fresh_cluster: SimCluster) -> None:
    node = SimNode(fresh_cluster.nodes["hn1"])
    node.refresh_proc(force=True)
    before = node.kernel_figures().cts[104].beancounters["physpages"][4]
    assert before > 0
    text = node.read_config_text(104) or ""
    node.write_config_text(104, text.replace('PHYSPAGES="0:512M"', 'PHYSPAGES="0:2G"'))
    node.refresh_proc(force=True)
    after = SimNode(node.root).kernel_figures().cts[104].beancounters["physpages"]
    assert after[3] == 524288 and after[4] >= before
    later = _figures(node.root, SimNode.now() + 600).cts[104].beancounters["physpages"]
    assert later[4] == after[4]


def test_cpu_follows_cpulimit(fresh_cluster: SimCluster) -> None:
    fig = _figures(fresh_cluster.nodes["hn1"], SimNode.now())
    for ct in fig.cts.values():
        if ct.cpulimit:
            assert fig.rates[ct.ctid] <= ct.cpulimit / 100 + 1e-9
        if ct.cpus:
            assert fig.rates[ct.ctid] <= ct.cpus + 1e-9
    assert sum(fig.rates.values()) <= fig.host.cpus


def test_wave_helpers() -> None:
    assert running_max_sin(0.0, 0.1) == pytest.approx(0.0998, abs=1e-3)
    assert running_max_sin(0.0, 2.0) == 1.0
    assert entries_above(0.0, 4 * 3.14159265 * 2, 0.5) == 4
    assert entries_above(0.0, 1.0, 1.5) == 0


# --- /proc formats -------------------------------------------------------------------------------------------------


def _proc(root: Path, name: str) -> str:
    SimNode(root).refresh_proc(force=True)
    return (root / "proc" / name).read_text()


def test_user_beancounters_format(demo_cluster: SimCluster) -> None:
    lines = _proc(demo_cluster.nodes["hn1"], "user_beancounters").splitlines()
    assert lines[0] == "Version: 2.5" and lines[1] == UBC_HEADER
    body = lines[2:]
    starts = [i for i, line in enumerate(body) if re.match(r"^ *\d+:  ", line)]
    assert all(b - a == 24 for a, b in itertools.pairwise(starts)) and len(body) == 24 * len(starts)
    assert body[starts[-1]].startswith("        0:  kmemsize")
    names = [line[12:24].strip() for line in body[:24]]
    assert tuple(names) == USER_BEANCOUNTERS_ORDER
    assert all(len(line) == len(UBC_HEADER) for line in body)
    assert "swappages" not in "\n".join(lines)


def test_bc_resources_has_swappages_and_no_dummies(demo_cluster: SimCluster) -> None:
    root = demo_cluster.nodes["hn1"]
    lines = _proc(root, "bc/resources").splitlines()
    assert lines[:2] == ["Version: 2.5", UBC_HEADER]
    assert tuple(line[12:24].strip() for line in lines[2:23]) == BC_RESOURCES_ORDER
    one = (root / "proc/bc/104/resources").read_text().splitlines()
    assert len(one) == 21 and one[0].startswith("            kmemsize ")


def test_vestat_format(demo_cluster: SimCluster) -> None:
    lines = _proc(demo_cluster.nodes["hn1"], "vz/vestat").splitlines()
    assert len(lines[0]) == 251 and lines[0].rstrip() == "Version: 2.2"
    assert lines[1].split() == [
        "VEID",
        "user",
        "nice",
        "system",
        "uptime",
        "idle",
        "strv",
        "uptime",
        "used",
        "maxlat",
        "totlat",
        "numsched",
    ]
    assert all(len(line) == 251 and len(line.split()) == 12 for line in lines[1:])
    assert "         0 " not in lines[2][:21]


def test_veinfo_format(demo_cluster: SimCluster) -> None:
    lines = _proc(demo_cluster.nodes["hn1"], "vz/veinfo").splitlines()
    assert lines[-1] == "         0     0   148"
    web = next(line for line in lines if line.startswith("       101 "))
    assert web.split()[3:] == ["2001:db8::101", "10.1.0.103", "10.1.0.102", "10.1.0.101"]
    assert re.match(r"^       101     2 +\d+ {9,}2001:db8::101 +10\.1\.0\.103", web)


def test_node_wide_files_exist(demo_cluster: SimCluster) -> None:
    root = demo_cluster.nodes["hn2"]
    SimNode(root).refresh_proc(force=True)
    for name in (
        "meminfo",
        "loadavg",
        "stat",
        "cpuinfo",
        "uptime",
        "version",
        "fairsched",
        "vz/vzquota",
        "vz/vswap",
        "vz/version",
    ):
        assert (root / "proc" / name).exists(), name
    meminfo = (root / "proc/meminfo").read_text()
    assert meminfo.startswith("MemTotal:        8388608 kB\n")
    assert re.fullmatch(r"\d+\.\d\d \d+\.\d\d \d+\.\d\d \d+/\d+ \d+\n", (root / "proc/loadavg").read_text())
    assert (root / "proc/cpuinfo").read_text().count("processor\t:") == 4
    assert (root / "proc/version").read_text().startswith("Linux version 2.6.32-042stab")


def test_vzquota_lists_running_simfs_cts(demo_cluster: SimCluster) -> None:
    text = _proc(demo_cluster.nodes["hn1"], "vz/vzquota")
    assert "\n109: /vz/private/109\n" in text
    assert re.search(r"\n  1k-blocks +\d+ +\d+ +\d+ +\d+ +0\n     inodes +\d+", text)


def test_refresh_is_skipped_while_fresh(fresh_cluster: SimCluster) -> None:
    node = SimNode(fresh_cluster.nodes["hn1"])
    assert refresh.refresh(node, force=True)
    assert not refresh.refresh(node)
    with node.transaction() as state:
        state.ct(102).extra["touched"] = True
    assert refresh.refresh(node)


def test_parsers_read_the_simulated_proc(demo_cluster: SimCluster) -> None:
    from vztui.openvz import parsers

    root = demo_cluster.nodes["hn1"]
    SimNode(root).refresh_proc(force=True)
    ubc = parsers.parse_user_beancounters((root / "proc/user_beancounters").read_text())
    assert ubc[104]["physpages"].limit == 131072
    bc = parsers.parse_bc_resources((root / "proc/bc/resources").read_text())
    assert "swappages" in bc[104]
    assert 101 in parsers.parse_vestat((root / "proc/vz/vestat").read_text())
    assert parsers.parse_veinfo((root / "proc/vz/veinfo").read_text())[101].ips


def _hammer(root: str, rounds: int) -> None:
    for _ in range(rounds):
        SimNode(root).refresh_proc(force=True)


def test_readers_never_see_half_written_proc_files(fresh_cluster: SimCluster) -> None:
    import multiprocessing

    root = fresh_cluster.nodes["hn1"]
    context = multiprocessing.get_context("fork")
    writers = [context.Process(target=_hammer, args=(str(root), 15)) for _ in range(3)]
    for writer in writers:
        writer.start()
    seen = 0
    while any(writer.is_alive() for writer in writers) or seen < 20:
        lines = (root / "proc/user_beancounters").read_text().splitlines()
        assert lines[:2] == ["Version: 2.5", UBC_HEADER]
        assert (len(lines) - 2) % 24 == 0 and lines[-1].lstrip().startswith("numiptent")
        seen += 1
    for writer in writers:
        writer.join(30)
        assert writer.exitcode == 0
    assert not list((root / "proc").rglob("*.tmp"))


def test_proc_follows_a_start_on_the_next_tool_call(fresh_cluster: SimCluster) -> None:
    from tests.sim.conftest import run_in_process

    root = fresh_cluster.nodes["hn1"]
    node = SimNode(root)
    node.refresh_proc(force=True)
    stopped = next(c for c in node.ctids() if c and not node.runtime(c).running and not node.runtime(c).mounted)
    assert not (root / f"proc/bc/{stopped}").exists()
    with node.transaction() as state:
        runtime = state.ct(stopped)
        runtime.running = runtime.mounted = True
        runtime.started_at = node.now()
    run_in_process(root, "vzlist")
    assert (root / f"proc/bc/{stopped}/resources").read_text().count("\n") == 21
    assert f"{str(stopped) + ':':>10}  kmemsize" in (root / "proc/user_beancounters").read_text()
    assert re.search(rf"^ *{stopped} ", (root / "proc/vz/vestat").read_text(), re.MULTILINE)


def test_kernel_follows_a_live_set_until_the_ct_stops(fresh_cluster: SimCluster) -> None:
    """``vzctl set --ram`` without ``--save`` on a running CT changes its limits at once; the config file does not."""
    from tests.sim.conftest import run_in_process

    root = fresh_cluster.nodes["hn1"]
    node = SimNode(root)
    ctid = next(c for c, runtime in sorted(node.read_state().cts.items()) if c and runtime.running)
    saved = node.read_config_text(ctid)
    result = run_in_process(root, "vzctl", "set", str(ctid), "--ram", "777M")
    assert result.code == 0, result
    assert node.read_config_text(ctid) == saved
    physpages = _figures(root, SimNode.now()).cts[ctid].beancounters["physpages"]
    _held, _maxheld, _barrier, limit, _failcnt = physpages
    assert limit == 777 * 256
    assert run_in_process(root, "vzctl", "stop", str(ctid), "--fast").code == 0
    state = node.read_state()
    assert "live_conf" not in state.cts[ctid].extra


def test_a_state_change_shows_at_once_when_the_simulated_clock_runs_ahead(
    fresh_cluster: SimCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With ``VZTUI_SIM_NOW`` later than real time, /proc must still notice a stop made right after a refresh."""
    import time

    from tests.sim.conftest import run_in_process

    monkeypatch.setenv("VZTUI_SIM_NOW", repr(time.time() + 3600))
    root = fresh_cluster.nodes["hn1"]
    node = SimNode(root)
    ctid = next(c for c, runtime in sorted(node.read_state().cts.items()) if c and runtime.running)
    node.refresh_proc(force=True)
    assert f"{ctid} " in (root / "proc" / "vz" / "veinfo").read_text()
    assert run_in_process(root, "vzctl", "stop", str(ctid), "--fast").code == 0
    listed = run_in_process(root, "vzlist", "-H", "-o", "ctid,status", str(ctid))
    assert listed.stdout.split() == [str(ctid), "stopped"]
    node.refresh_proc()
    assert not any(line.split()[0] == str(ctid) for line in (root / "proc" / "vz" / "veinfo").read_text().splitlines())


def test_a_state_change_between_reading_the_state_and_writing_proc_is_not_hidden(
    fresh_cluster: SimCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A ``vzctl stop`` that lands while a refresher is between reading the state and writing its stamp must not
    leave /proc (and vzlist's figures) looking fresh: the next tool recomputes and sees the CT stopped."""
    node = SimNode(fresh_cluster.nodes["hn1"])
    ctid = next(c for c, runtime in node.read_state().cts.items() if runtime.running)
    real_compute = refresh.compute

    def compute_then_stop(sim: SimNode, now: float | None = None) -> object:
        result = real_compute(sim, now)  # the figures of a state in which ``ctid`` runs
        with sim.transaction() as state:  # …and the stop lands before the stamp is written
            state.ct(ctid).running = False
        return result

    monkeypatch.setattr(refresh, "compute", compute_then_stop)
    assert refresh.refresh(node, force=True)
    monkeypatch.setattr(refresh, "compute", real_compute)
    assert not refresh.is_fresh(node, node.now()), "figures from before the stop must not count as fresh"
    assert ctid not in SimNode(node.root).kernel_figures().cts, "the next tool (a new process) sees it stopped"


def test_a_proc_writer_remakes_the_directory_a_concurrent_refresher_dropped(tmp_path: Path) -> None:
    """Another tool call dropped ``bc/<id>`` as stale (its figures predate the CT's start) while this one writes
    into it: the write still lands instead of failing the vzctl it runs under."""
    target = tmp_path / "proc" / "bc" / "123" / "resources"  # the directory is gone
    refresh._replace_text(target, target.with_name("resources.7.tmp"), "uid resource\n")
    assert target.read_text() == "uid resource\n"
    assert not target.with_name("resources.7.tmp").exists()
