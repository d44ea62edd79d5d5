"""ActionRunner end to end: a small host App over a real simulated cluster, the real Cluster and the local transport.
Every action goes through the confirmation dialog, the queue and the simulator's vzctl."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Button, Input, Select, Static

from tests.ui.ops_support import until
from vztui.backend.cluster import Cluster
from vztui.backend.nodespec import NodeSpec, TransportKind
from vztui.backend.operation import OpState
from vztui.backend.plans import write_sample_argv
from vztui.backend.transports import LocalTransport
from vztui.openvz.actions import ACTIONS
from vztui.openvz.conf import apply_set, config_diff
from vztui.openvz.presets import ISPBASIC, create_plan_argvs
from vztui.sim.cluster import build_cluster
from vztui.ui.operations import IMPLEMENTED, ActionRunner
from vztui.ui.screens.confirm import ConfirmScreen
from vztui.ui.screens.create import CreateRequest, CreateScreen, plan_create
from vztui.ui.screens.migrate import MigrateScreen
from vztui.ui.screens.prompt import PromptScreen
from vztui.ui.screens.setform import SetFormScreen
from vztui.ui.screens.snapshots import SnapshotsScreen


@pytest.fixture(autouse=True)
def fast_sim(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VZTUI_SIM_SPEED", "0")


def _specs(nodes: dict[str, Path], **extra: Any) -> list[NodeSpec]:
    return [
        NodeSpec(
            name,
            host=name,
            transport=TransportKind.LOCAL,
            root_prefix=str(root),
            path=str(root / "bin"),
            refresh=30.0,
            **extra,
        )
        for name, root in nodes.items()
    ]


@pytest.fixture
def sim(tmp_path: Path) -> dict[str, Path]:
    return dict(build_cluster(tmp_path / "sim", nodes=2, cts=3, seed=5).nodes)


@contextlib.asynccontextmanager
async def started(nodes: dict[str, Path], journal: Path, *, read_only: bool = False) -> AsyncIterator[Cluster]:
    cluster = Cluster(_specs(nodes), read_only=read_only, journal_dir=str(journal))
    await cluster.start()
    try:
        await cluster.refresh()
        yield cluster
    finally:
        await cluster.stop()


class RunnerHost(App[None]):
    """Nothing but a placeholder and the runner; notifications are recorded for the assertions."""

    def __init__(self, cluster: Cluster) -> None:
        super().__init__()
        self.cluster = cluster
        self.notes: list[tuple[str, str]] = []
        self.runner: ActionRunner | None = None

    def compose(self) -> ComposeResult:
        yield Static("host")

    def on_mount(self) -> None:
        self.runner = ActionRunner(self, self.cluster)  # type: ignore[arg-type]

    def notify(self, message: str, *, title: str = "", **kwargs: Any) -> None:
        self.notes.append((title, message))
        super().notify(message, title=title, **kwargs)


def _status(cluster: Cluster, node: str, ctid: int) -> str | None:
    container = cluster.snapshots()[node].containers.get(ctid)
    return container.status.value if container is not None else None


async def _confirm(pilot: Any, app: RunnerHost, *, typed: str | None = None) -> str:
    """Wait for the confirmation, press Run (after typing when asked); return the command lines it showed."""
    await until(
        pilot, lambda: isinstance(app.screen, ConfirmScreen) and app.screen.query("#run"), what="the confirmation"
    )
    screen = app.screen
    assert isinstance(screen, ConfirmScreen)
    commands = str(screen.query_one("#command-lines", Static).render())
    if typed is not None:
        screen.query_one("#typed", Input).value = typed
        await pilot.pause()
    screen.query_one("#run", Button).press()
    await until(pilot, lambda: app.screen is not screen, what="the confirmation to close")
    return commands


async def _run(pilot: Any, app: RunnerHost, action: str, targets: list[tuple[str, int]], **kw: Any) -> list[Any]:
    runner = app.runner
    assert runner is not None
    done = len(runner.finished)
    await runner.invoke(action, targets)
    await _confirm(pilot, app, **kw)
    await until(pilot, lambda: len(runner.finished) > done, within=30, what=f"{action} to finish")
    return runner.finished[-1].results()


async def test_bulk_restart_reports_a_result_per_container(tmp_path: Path, sim: dict[str, Path]) -> None:
    async with started(sim, tmp_path / "journal") as cluster:
        app = RunnerHost(cluster)
        async with app.run_test() as pilot:
            targets = [("hn1", 101), ("hn1", 102), ("hn1", 103), ("hn2", 104), ("hn2", 105), ("hn2", 999)]
            results = await _run(pilot, app, "restart", targets)
            by_ct = {(r.node, r.ctid): (r.state, r.reason) for r in results}
            assert by_ct.pop(("hn2", 999)) == ("skipped", "not found on hn2")
            assert set(by_ct.values()) == {("succeeded", "")} and len(by_ct) == 5
            ops = [op for op in cluster.operations() if op.request.kind == "restart"]
            assert sorted(op.ctids for op in ops) == [(101,), (102,), (103,), (104,), (105,)]
            assert all(op.request.argv == ("vzctl", "restart", str(op.ctids[0])) for op in ops)
            assert any("5 succeeded, 1 skipped" in title for title, _ in app.notes), app.notes


async def test_stop_then_start(tmp_path: Path, sim: dict[str, Path]) -> None:
    async with started(sim, tmp_path / "journal") as cluster:
        app = RunnerHost(cluster)
        async with app.run_test() as pilot:
            assert [r.state for r in await _run(pilot, app, "stop", [("hn1", 101)])] == ["succeeded"]
            await cluster.refresh("hn1")
            assert _status(cluster, "hn1", 101) == "stopped"
            assert [r.state for r in await _run(pilot, app, "start", [("hn1", 101)])] == ["succeeded"]
            await cluster.refresh("hn1")
            assert _status(cluster, "hn1", 101) == "running"
            assert app.runner is not None
            await app.runner.invoke("start", [("hn1", 101)])
            await until(pilot, lambda: any("already running" in message for _, message in app.notes))
            assert not isinstance(app.screen, ConfirmScreen)


async def test_destroy_needs_the_typed_ctid_and_skips_running(tmp_path: Path, sim: dict[str, Path]) -> None:
    async with started(sim, tmp_path / "journal") as cluster:
        app = RunnerHost(cluster)
        async with app.run_test() as pilot:
            await _run(pilot, app, "stop", [("hn1", 102)])
            await cluster.refresh("hn1")
            assert app.runner is not None
            await app.runner.invoke("destroy", [("hn1", 101), ("hn1", 102)])
            await until(pilot, lambda: isinstance(app.screen, ConfirmScreen) and app.screen.query("#run"))
            screen = app.screen
            assert str(screen.query_one("#skipped", Static).render()) == "101: running: stop it first"
            run = screen.query_one("#run", Button)
            assert run.disabled
            screen.query_one("#typed", Input).value = "101"
            await pilot.pause()
            assert run.disabled
            screen.query_one("#typed", Input).value = "102"
            await pilot.pause()
            assert not run.disabled
            run.press()
            await until(pilot, lambda: len(app.runner.finished) == 2, within=30)
            results = {r.ctid: r.state for r in app.runner.finished[-1].results()}
            assert results == {101: "skipped", 102: "succeeded"}
            await cluster.refresh("hn1")
            assert _status(cluster, "hn1", 102) is None
            assert _status(cluster, "hn1", 101) == "running"


async def test_read_only_refuses_every_action(tmp_path: Path, sim: dict[str, Path]) -> None:
    async with started(sim, tmp_path / "journal", read_only=True) as cluster:
        app = RunnerHost(cluster)
        async with app.run_test() as pilot:
            runner = app.runner
            assert runner is not None
            mutating = sorted(action for action in IMPLEMENTED if ACTIONS[action].mutating)
            reads = set(IMPLEMENTED) - set(mutating)
            assert reads == {"snapshot_list", "status", "quota", "calc"}
            assert all(runner.available(action) for action in reads)
            for action in mutating:
                assert not runner.available(action), action
                await runner.invoke(action, [("hn1", 101)])
                await pilot.pause()
                assert app.screen is app.screen_stack[0], action
            refusals = [message for title, message in app.notes if title == "Read-only"]
            assert len(refusals) == len(mutating)
            assert all("read-only" in message and "Nothing was sent" in message for message in refusals)
            # The backend refuses on its own too: a plan that slips past the UI is never queued.
            from vztui.ui.action_plan import plan_action

            batch = await runner.submit(plan_action(ACTIONS["stop"], [("hn1", 101)], cluster.snapshots()))
            assert batch.ops == {} and [t.skipped for t in batch.skipped] == ["refused: read-only"]
            assert cluster.operations() == []
            assert _status(cluster, "hn1", 101) == "running"
            # Inspections still run (no confirmation), their output in the operation like any other.
            done = len(runner.finished)
            await runner.invoke("status", [("hn1", 101)])
            await until(pilot, lambda: len(runner.finished) > done, within=20, what="vzctl status")
            assert [(r.state, r.reason) for r in runner.finished[-1].results()] == [("succeeded", "")]
            (op,) = cluster.operations()
            assert [line.text for line in cluster.output(op.id)] == ["CTID 101 exist mounted running"]


async def _twin_create(root: Path, hostname: str, ips: list[str]) -> None:
    """The same commands run directly on a twin node (no queue, no UI): the reference for the config."""
    transport = LocalTransport(_specs({"hn1": root})[0])
    try:
        argvs = [write_sample_argv(ISPBASIC, str(root))]
        argvs += create_plan_argvs(107, ostemplate="centos-6-x86_64", hostname=hostname, ips=ips)
        for argv in argvs:
            assert (await transport.run(argv)).ok, argv
    finally:
        await transport.close()


async def test_create_runs_the_ispbasic_plan_and_writes_the_sample_first(tmp_path: Path, sim: dict[str, Path]) -> None:
    ips, hostname = ["10.9.0.7"], "new.example.com"
    twin = dict(build_cluster(tmp_path / "twin", nodes=2, cts=3, seed=5).nodes)
    reference = asyncio.create_task(_twin_create(twin["hn1"], hostname, ips))  # runs alongside the UI flow
    async with started(sim, tmp_path / "journal") as cluster:
        app = RunnerHost(cluster)
        async with app.run_test(size=(110, 45)) as pilot:
            assert app.runner is not None
            await app.runner.invoke_create("hn1")
            await until(pilot, lambda: isinstance(app.screen, CreateScreen) and app.screen.query("#submit"))
            form = app.screen
            assert form.query_one("#ctid", Input).value == "107"
            form.query_one("#ostemplate", Select).value = "centos-6-x86_64"
            form.query_one("#hostname", Input).value = hostname
            form.query_one("#ips", Input).value = " ".join(ips)
            await pilot.pause()
            form.query_one("#submit", Button).press()
            commands = await _confirm(pilot, app)
            assert "hn1: sh -c" in commands and "vzctl create 107 --ostemplate centos-6-x86_64" in commands
            await until(pilot, lambda: app.runner is not None and app.runner.finished, within=60)
            (result,) = app.runner.finished[-1].results()
            assert (result.ctid, result.state) == (107, "succeeded"), result.reason
            steps = [op for op in cluster.operations() if 107 in op.ctids]
            assert [op.state for op in steps] == [OpState.SUCCEEDED] * len(steps) and len(steps) == 22
            assert len({op.plan_id for op in steps}) == 1
    await reference
    sample = "etc/vz/conf/ve-ispbasic.conf-sample"
    assert (sim["hn1"] / sample).read_text() == (twin["hn1"] / sample).read_text()
    conf = "etc/vz/conf/107.conf"
    assert (sim["hn1"] / conf).read_bytes() == (twin["hn1"] / conf).read_bytes()
    assert 'IP_ADDRESS="10.9.0.7"' in (sim["hn1"] / conf).read_text()


async def test_exec_output_lands_in_the_operation(tmp_path: Path, sim: dict[str, Path]) -> None:
    async with started(sim, tmp_path / "journal") as cluster:
        app = RunnerHost(cluster)
        async with app.run_test() as pilot:
            assert app.runner is not None
            await app.runner.invoke("exec", [("hn1", 101)])
            await until(pilot, lambda: isinstance(app.screen, PromptScreen) and app.screen.query("#command"))
            app.screen.query_one("#command", Input).value = "echo one\necho two"
            app.screen.query_one("#submit", Button).press()
            await pilot.pause()
            assert "single line" in str(app.screen.query_one("#errors", Static).render())
            app.screen.query_one("#command", Input).value = "echo hello from 101"
            app.screen.query_one("#submit", Button).press()
            await _confirm(pilot, app)
            await until(pilot, lambda: app.runner is not None and app.runner.finished, within=30)
            (op,) = [op for op in cluster.operations() if op.request.kind == "exec"]
            assert op.request.argv == ("vzctl", "exec", "101", "echo hello from 101")
            assert [line.text for line in cluster.output(op.id)] == ["hello from 101"]


async def test_enter_hands_the_terminal_to_vzctl_enter(
    tmp_path: Path, sim: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    async with started(sim, tmp_path / "journal") as cluster:
        app = RunnerHost(cluster)
        async with app.run_test() as pilot:
            runner = app.runner
            assert runner is not None
            await runner.invoke("enter", [("hn1", 101)])
            await until(pilot, lambda: any("real terminal" in message for _, message in app.notes))
            calls: list[tuple[str, ...]] = []

            def fake_interactive(argv: list[str]) -> int:
                calls.append(tuple(argv))
                return 3

            @contextlib.contextmanager
            def fake_suspend() -> Iterator[None]:
                yield

            monkeypatch.setattr(cluster.transport("hn1"), "run_interactive", fake_interactive)
            monkeypatch.setattr(app, "suspend", fake_suspend)
            await runner.invoke("enter", [("hn1", 101)])
            await until(pilot, lambda: calls)
            assert calls == [("vzctl", "enter", "101")]
            await until(pilot, lambda: any("exit 3" in message for _, message in app.notes))
            assert cluster.operations() == []


async def test_set_changes_the_config_exactly_as_previewed(tmp_path: Path, sim: dict[str, Path]) -> None:
    conf = sim["hn1"] / "etc/vz/conf/101.conf"
    before = conf.read_text()
    async with started(sim, tmp_path / "journal") as cluster:
        app = RunnerHost(cluster)
        async with app.run_test(size=(140, 45)) as pilot:
            assert app.runner is not None
            await app.runner.invoke("set", [("hn1", 101)])
            await until(pilot, lambda: isinstance(app.screen, SetFormScreen) and app.screen.query("#submit"))
            form = app.screen
            assert isinstance(form, SetFormScreen)
            await until(pilot, lambda: form.conf_text is not None, what="the current config")
            form.query_one("#ram", Input).value = "768M"
            form.query_one("#hostname", Input).value = "renamed.example.com"
            await pilot.pause()
            predicted = form.current
            assert predicted.changes is not None
            form.query_one("#submit", Button).press()
            commands = await _confirm(pilot, app)
            assert commands == "hn1: vzctl set 101 --hostname renamed.example.com --ram 768M --save"
            await until(pilot, lambda: app.runner is not None and app.runner.finished, within=30)
            assert [r.state for r in app.runner.finished[-1].results()] == ["succeeded"]
    after = conf.read_text()
    host_cpus = 8
    expected = apply_set(before, predicted.changes.to_request(ctid=101), host_cpus=host_cpus, ctid=101)
    assert after == expected
    assert tuple(config_diff(before, after, old_name="101.conf", new_name="101.conf after set")) == predicted.diff


async def test_a_stop_that_times_out_offers_stop_fast(tmp_path: Path, sim: dict[str, Path]) -> None:
    stubborn = tmp_path / "stubborn"
    stubborn.mkdir()
    wrapper = stubborn / "vzctl"
    real = sim["hn1"] / "bin" / "vzctl"
    wrapper.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = stop ] && [ "$3" != --fast ]; then\n'
        '  echo "Unable to stop container: operation timed out" >&2; exit 33\n'
        "fi\n"
        f'exec "{real}" "$@"\n'
    )
    wrapper.chmod(0o755)
    specs = [
        NodeSpec(
            spec.name,
            host=spec.host,
            transport=spec.transport,
            root_prefix=spec.root_prefix,
            path=f"{stubborn}:{spec.path}" if spec.name == "hn1" else spec.path,
            refresh=30.0,
        )
        for spec in _specs(sim)
    ]
    cluster = Cluster(specs, journal_dir=str(tmp_path / "journal"))
    await cluster.start()
    try:
        await cluster.refresh()
        app = RunnerHost(cluster)
        async with app.run_test(size=(110, 40)) as pilot:
            results = await _run(pilot, app, "stop", [("hn1", 101), ("hn1", 102)])
            assert [(r.state, r.exit_code) for r in results] == [("failed", 33), ("failed", 33)]
            commands = await _confirm(pilot, app)  # one offer for every stop that timed out
            assert commands == "hn1: vzctl stop 101 --fast\nhn1: vzctl stop 102 --fast"
            await until(pilot, lambda: app.runner is not None and len(app.runner.finished) == 2, within=30)
            assert [r.state for r in app.runner.finished[-1].results()] == ["succeeded", "succeeded"]
            await cluster.refresh("hn1")
            assert _status(cluster, "hn1", 101) == _status(cluster, "hn1", 102) == "stopped"
    finally:
        await cluster.stop()


async def test_snapshots_create_and_delete_on_ploop_and_explain_simfs(tmp_path: Path, sim: dict[str, Path]) -> None:
    async with started(sim, tmp_path / "journal") as cluster:
        layouts = {ctid: ct.layout.value for ctid, ct in cluster.snapshots()["hn1"].containers.items()}
        ploop = min(ctid for ctid, layout in layouts.items() if layout == "ploop")
        app = RunnerHost(cluster)
        async with app.run_test(size=(120, 40)) as pilot:
            runner = app.runner
            assert runner is not None
            await runner.invoke("snapshot_list", [("hn1", ploop)])
            await until(pilot, lambda: isinstance(app.screen, SnapshotsScreen) and app.screen.query("#status"))
            screen = app.screen
            assert isinstance(screen, SnapshotsScreen)
            status = screen.query_one("#status", Static)
            await until(pilot, lambda: str(status.render()) == "0 snapshots", what="the empty list")
            await pilot.press("n")
            await until(pilot, lambda: isinstance(app.screen, PromptScreen) and app.screen.query("#name"))
            app.screen.query_one("#name", Input).value = "before-upgrade"
            app.screen.query_one("#submit", Button).press()
            commands = await _confirm(pilot, app)
            assert commands == f"hn1: vzctl snapshot {ploop} --name before-upgrade"
            await until(pilot, lambda: str(status.render()) == "1 snapshot", within=30, what="the new snapshot")
            (made,) = screen.snapshots
            assert made.name == "before-upgrade"
            await pilot.press("d")
            commands = await _confirm(pilot, app)
            assert commands == f"hn1: vzctl snapshot-delete {ploop} --id '{made.uuid}'"
            await until(pilot, lambda: str(status.render()) == "0 snapshots", within=30, what="the deletion")
            await pilot.press("escape")
            simfs = min(ctid for ctid, layout in layouts.items() if layout == "simfs")
            await runner.invoke("snapshot_list", [("hn1", simfs)])
            await until(pilot, lambda: isinstance(app.screen, SnapshotsScreen) and app.screen.query("#reason"))
            assert "uses simfs" in str(app.screen.query_one("#reason", Static).render())


async def test_migrate_after_a_passing_preflight(tmp_path: Path, sim: dict[str, Path]) -> None:
    async with started(sim, tmp_path / "journal") as cluster:
        app = RunnerHost(cluster)
        async with app.run_test(size=(150, 40)) as pilot:
            assert app.runner is not None
            await app.runner.invoke("migrate", [("hn1", 101)])
            await until(pilot, lambda: isinstance(app.screen, MigrateScreen) and app.screen.query("#check"))
            screen = app.screen
            assert isinstance(screen, MigrateScreen)
            screen.query_one("#dest", Select).value = "hn2"
            await pilot.pause()
            screen.query_one("#check", Button).press()
            await until(pilot, lambda: bool(screen.results), within=30, what="the pre-flight")
            (result,) = screen.results
            assert result.ok, result.checks
            check = result.check("check-only")
            assert check is not None and check.detail == "vzmigrate --check-only passed"
            await pilot.pause()
            screen.query_one("#migrate", Button).press()
            commands = await _confirm(pilot, app)
            assert commands == "hn1: vzmigrate hn2 101"
            await until(pilot, lambda: app.runner is not None and app.runner.finished, within=60)
            assert [r.state for r in app.runner.finished[-1].results()] == ["succeeded"]
            await cluster.refresh()
            assert _status(cluster, "hn1", 101) is None
            assert _status(cluster, "hn2", 101) == "running"


@pytest.mark.slow
async def test_bulk_restart_of_30_cts_on_3_nodes(tmp_path: Path) -> None:
    nodes = dict(build_cluster(tmp_path / "sim30", nodes=3, cts=10, seed=7).nodes)
    async with started(nodes, tmp_path / "journal") as cluster:
        targets = [(node, ctid) for node, snap in cluster.snapshots().items() for ctid in snap.containers]
        assert len(targets) == 30
        app = RunnerHost(cluster)
        async with app.run_test(size=(120, 50)) as pilot:
            results = await _run(pilot, app, "restart", targets)
            assert sorted((r.node, r.ctid) for r in results) == sorted(targets)
            assert {r.state for r in results} == {"succeeded"}
            assert any(title.endswith("30 succeeded") for title, _ in app.notes)


async def test_a_failing_create_step_stops_the_plan_and_reports_why(tmp_path: Path, sim: dict[str, Path]) -> None:
    async with started(sim, tmp_path / "journal") as cluster:
        app = RunnerHost(cluster)
        async with app.run_test() as pilot:
            assert app.runner is not None
            request = CreateRequest("hn1", 150, "nosuch-template", "ploop", ISPBASIC)
            plan = plan_create(request, cluster.node_info("hn1"), root_prefix=str(sim["hn1"]))
            batch = await app.runner.submit(plan)
            await until(pilot, batch.finished.is_set, within=30, what="the plan to stop")
            (result,) = batch.results()
            assert result.state == "failed" and result.exit_code is not None
            assert result.reason.startswith(f"exit {result.exit_code} (")
            steps = [op for ops in batch.ops.values() for op in ops]
            assert [op.state for op in steps[:2]] == [
                OpState.SUCCEEDED,
                OpState.FAILED,
            ]  # sample written, create failed
            assert {op.state for op in steps[2:]} == {OpState.SKIPPED}
            assert steps[2].reason.startswith("not run: step 2 (vzctl create 150")
            assert not (sim["hn1"] / "etc/vz/conf/150.conf").exists()
