"""Read-only is enforced by the backend, not by the UI: every mutating action of the registry is refused at the
queue (session-wide and per node) and through ``vztui run``, and the simulated node proves nothing reached it."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from tests.reliability.conftest import local_config, local_spec, node_state, vzlist_truth
from vztui.backend.cluster import Cluster
from vztui.backend.journal import Journal
from vztui.backend.operation import OpRequest, OpState, ReadOnlyError
from vztui.backend.readonly import is_inspection
from vztui.cli import exitcodes, main
from vztui.openvz.actions import ACTIONS, build_argvs, mutating_action_ids
from vztui.openvz.validate import validate_form

UUID = "{6a1f2c3d-1111-4222-8333-944455556666}"

CASES: Mapping[str, tuple[int, dict[str, object], dict[str, str]]] = {
    # action: (CT on hn1 in a state the action allows, backend params, the same as `vztui run -p` pairs)
    "start": (105, {}, {}),
    "stop": (101, {}, {}),
    "stop_fast": (101, {}, {}),
    "restart": (101, {}, {}),
    "mount": (105, {}, {}),
    "umount": (104, {}, {}),
    "suspend": (102, {}, {}),
    "resume": (103, {}, {}),
    "destroy": (105, {}, {}),
    "set": (101, {"changes": validate_form({"ram": "1G", "description": "x"})[0]}, {"ram": "1G", "description": "x"}),
    "snapshot_create": (101, {"name": "before"}, {"name": "before"}),
    "snapshot_switch": (101, {"uuid": UUID}, {"uuid": UUID}),
    "snapshot_delete": (101, {"uuid": UUID}, {"uuid": UUID}),
    "snapshot_mount": (101, {"uuid": UUID, "target": "/mnt/snap"}, {"uuid": UUID, "target": "/mnt/snap"}),
    "snapshot_umount": (101, {"uuid": UUID}, {"uuid": UUID}),
    "migrate": (101, {"dest": "10.0.0.2"}, {"dest": "hn2"}),
    "enter": (101, {}, {}),
    "exec": (101, {"command": "touch /root/was-here"}, {"command": "touch /root/was-here"}),
    "create": (250, {"ostemplate": "centos-6-x86_64", "ips": ["10.9.9.9"]}, {"ostemplate": "centos-6-x86_64"}),
}


def _prepare(root: Path) -> None:
    """hn1: 101/102/106 running, 103 suspended, 104 mounted, 105 stopped: every action has a CT it applies to."""
    env = {**os.environ, "PATH": f"{root / 'bin'}:{os.environ['PATH']}"}
    for argv in (["vzctl", "suspend", "103"], ["vzctl", "stop", "104"], ["vzctl", "mount", "104"]):
        subprocess.run(argv, env=env, check=True, capture_output=True)
    truth = vzlist_truth(root)
    assert (truth[101], truth[103], truth[104], truth[105]) == ("running", "suspended", "mounted", "stopped")


def _requests(node: str) -> list[tuple[str, list[OpRequest]]]:
    found = []
    for action, (ctid, params, _) in CASES.items():
        argvs = build_argvs(action, ctid, params)
        requests = [OpRequest(node=node, argv=tuple(a), kind=action, ctids=(ctid,)) for a in argvs]
        found.append((action, requests))
    return found


def test_the_cases_cover_every_mutating_action_of_the_registry() -> None:
    assert set(CASES) == set(mutating_action_ids())
    assert all(ACTIONS[a].mutating for a in CASES)


@pytest.mark.parametrize("where", ["session", "node"])
async def test_every_mutating_action_is_refused_at_the_queue_and_the_node_is_untouched(
    tmp_path: Path, sim: dict[str, Path], where: str
) -> None:
    root = sim["hn1"]
    _prepare(root)
    before = node_state(root)
    spec = local_spec("hn1", root, read_only=(where == "node"))
    cluster = Cluster([spec], read_only=(where == "session"), journal_dir=str(tmp_path / "journal"))
    cluster.set_paused(True)
    await cluster.start()
    try:
        for action, requests in _requests("hn1"):
            for request in requests:
                with pytest.raises(ReadOnlyError, match="Nothing was sent") as refused:
                    await cluster.submit(request)
                assert request.argv[0] in str(refused.value)
                if is_inspection(request.argv):
                    continue  # create's read-back step (vzlist -o layout) may run; the plan around it may not
                # A caller that mislabels the request as harmless gets the same answer: the guard reads the argv.
                with pytest.raises(ReadOnlyError):
                    await cluster.submit(OpRequest(node="hn1", argv=request.argv, kind=action, mutating=False))
                with pytest.raises(ReadOnlyError):
                    await cluster.run_read("hn1", request.argv)
            assert not all(is_inspection(r.argv) for r in requests), action
            if len(requests) > 1:
                with pytest.raises(ReadOnlyError):
                    await cluster.submit_plan(requests)
        assert cluster.operations() == [], "nothing was queued"
        inspected = await cluster.run_read("hn1", ["vzctl", "status", "101"])
        assert inspected.stdout_text.startswith("CTID 101 exist"), "inspection still works"
        await cluster.journal.drain()
    finally:
        await cluster.stop()
    assert node_state(root) == before
    refused_records = [r for r in Journal(tmp_path / "journal").records() if r.get("event") == "refused"]
    assert len(refused_records) >= sum(len(reqs) for _, reqs in _requests("hn1"))
    assert not [r for r in Journal(tmp_path / "journal").records() if r.get("event") in ("queued", "started")]


async def test_a_read_only_node_refuses_while_its_writable_neighbour_runs(tmp_path: Path, sim: dict[str, Path]) -> None:
    before = node_state(sim["hn1"])
    specs = [local_spec("hn1", sim["hn1"], read_only=True), local_spec("hn2", sim["hn2"])]
    cluster = Cluster(specs, journal_dir=str(tmp_path / "journal"))
    cluster.set_paused(True)
    await cluster.start()
    try:
        with pytest.raises(ReadOnlyError, match="node hn1 is read-only"):
            await cluster.submit(OpRequest(node="hn1", argv=("vzctl", "stop", "101"), kind="stop", ctids=(101,)))
        op = await cluster.submit(OpRequest(node="hn2", argv=("vzctl", "stop", "107"), kind="stop", ctids=(107,)))
        for _ in range(500):
            if op.state.finished:
                break
            await _tick()
    finally:
        await cluster.stop()
    assert op.state is OpState.SUCCEEDED, op.reason
    assert vzlist_truth(sim["hn2"])[107] == "stopped", "the control operation really changed its node"
    assert node_state(sim["hn1"]) == before


async def _tick() -> None:
    await asyncio.sleep(0.01)


def _run_cli(config: Path, action: str, ctid: int, pairs: Mapping[str, str], *, flag: bool) -> list[str]:
    argv = ["--read-only"] if flag else []
    argv += ["run", action, str(ctid), "--yes", "--json", "--config", str(config)]
    for key, value in pairs.items():
        argv += ["-p", f"{key}={value}"]
    if action == "create":
        argv += ["--node", "hn1"]
    return argv


CLI_SAMPLE = ("destroy", "set", "create", "enter")
"""Each ``vztui run`` polls its nodes first (~1 s on the simulator): the default run tries a sample of the kinds of
builder (typed confirmation, validated form, plan, interactive); the slow run tries the whole registry."""


def _refuse_through_cli(
    tmp_path: Path, sim: dict[str, Path], where: str, actions: Sequence[str], capsys: pytest.CaptureFixture[str]
) -> None:
    root = sim["hn1"]
    _prepare(root)
    journal = tmp_path / "journal"
    config = local_config(tmp_path / "config.toml", sim, journal=journal)
    if where == "node":
        config.write_text(config.read_text().replace("[nodes.hn1]\n", "[nodes.hn1]\nread_only = true\n"))
    before = node_state(root)
    for action in actions:
        ctid, _, pairs = CASES[action]
        code = main(_run_cli(config, action, ctid, pairs, flag=(where == "flag")))
        captured = capsys.readouterr()
        if ACTIONS[action].interactive:
            assert code == exitcodes.USAGE, captured.err
            assert "interactive terminal" in captured.err
            continue
        assert code == exitcodes.FAILED, f"{action}: {captured.out}{captured.err}"
        rows = json.loads(captured.out)
        assert rows and all(row["state"] == "refused" for row in rows), (action, rows)
        assert all("Nothing was sent" in row["reason"] for row in rows)
        expected = "this vztui session is read-only" if where == "flag" else "node hn1 is read-only"
        assert all(expected in row["reason"] for row in rows)
    assert node_state(root) == before
    records = list(Journal(journal).records())
    assert not [r for r in records if r.get("event") in ("queued", "started")]
    refusable = [a for a in actions if not ACTIONS[a].interactive]
    assert len([r for r in records if r.get("event") == "refused"]) >= len(refusable)


@pytest.mark.parametrize("where", ["flag", "node"])
def test_vztui_run_refuses_a_sample_of_mutating_actions(
    tmp_path: Path, sim: dict[str, Path], where: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _refuse_through_cli(tmp_path, sim, where, CLI_SAMPLE if where == "flag" else CLI_SAMPLE[:3], capsys)


@pytest.mark.slow
@pytest.mark.parametrize("where", ["flag", "node"])
def test_vztui_run_refuses_every_mutating_action(
    tmp_path: Path, sim: dict[str, Path], where: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _refuse_through_cli(tmp_path, sim, where, sorted(CASES), capsys)


def test_vztui_run_without_read_only_does_change_the_node(
    tmp_path: Path, sim: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """The control for the test above: the same invocation without the flag reaches the node."""
    root = sim["hn1"]
    config = local_config(tmp_path / "config.toml", sim, journal=tmp_path / "journal")
    before = node_state(root)
    assert main(_run_cli(config, "stop", 101, {}, flag=False)) == exitcodes.OK, capsys.readouterr()
    assert node_state(root) != before
    assert vzlist_truth(root)[101] == "stopped"
