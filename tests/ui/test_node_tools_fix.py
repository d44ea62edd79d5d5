"""Node consistency from the node detail screen (f) over a three-node simulated cluster and the real Cluster: hn3's
VE_ROOT drifts from the other two and its dump directory is gone; the dialog shows the diff and the exact commands
with Cancel focused; Apply (once the protected node's name is typed) rewrites vz.conf and creates the directory,
and the drift is gone after the re-read. A read-only session shows the same review and cannot apply."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from textual.app import App
from textual.widgets import Button, Input, Static

from tests.ui.fake_cluster import FakeCluster, container, snapshot, standard_snapshots
from tests.ui.harness import sim_specs
from tests.ui.ops_support import until
from vztui.backend.cluster import Cluster
from vztui.backend.operation import OpState
from vztui.backend.transport import CommandResult
from vztui.openvz.models import NodeCapacity, NodeInfo, VzConf
from vztui.openvz.nodefix import current_value
from vztui.ui.screens.node_detail import NodeDetailScreen
from vztui.ui.screens.nodefix import NodeFixScreen


@pytest.fixture(autouse=True)
def fast_sim(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VZTUI_SIM_SPEED", "0")


class Host(App[None]):
    def __init__(self, cluster: Cluster) -> None:
        super().__init__()
        self.cluster = cluster
        self.ready = False

    def on_mount(self) -> None:
        self.run_worker(self._start())

    async def _start(self) -> None:
        await self.cluster.start()
        await self.cluster.refresh()
        self.ready = True


@contextlib.asynccontextmanager
async def drifted(
    tmp_path: Path, *, read_only: bool = False, protected: bool = False
) -> AsyncIterator[tuple[Host, Any, Path]]:
    specs = sim_specs(tmp_path / "sim", nodes=3, cts=1)
    specs[2] = replace(specs[2], protected=protected)
    hn3 = Path(specs[2].root_prefix)
    conf = hn3 / "etc/vz/vz.conf"
    conf.write_text(conf.read_text().replace("VE_ROOT=/vz/root/$VEID", "VE_ROOT=/srv/root/$VEID"))
    (hn3 / "srv/root").mkdir(parents=True)
    shutil.rmtree(hn3 / "vz/dump")
    cluster = Cluster(specs, read_only=read_only, journal_dir=str(tmp_path / "j"))
    app = Host(cluster)
    async with app.run_test(size=(130, 45)) as pilot:
        await until(pilot, lambda: app.ready, within=30, what="the cluster")
        await app.push_screen(NodeDetailScreen(cluster, "hn3"))
        await pilot.press("f")
        await until(pilot, lambda: isinstance(app.screen, NodeFixScreen), what="the fix dialog")
        screen = app.screen
        assert isinstance(screen, NodeFixScreen)
        await until(pilot, lambda: screen.plan is not None, within=20, what="the plan")
        await pilot.pause()
        try:
            yield app, pilot, hn3
        finally:
            await cluster.stop()


async def test_drift_is_shown_as_a_diff_with_the_commands_and_fixed_on_apply(tmp_path: Path) -> None:
    async with drifted(tmp_path, protected=True) as (app, pilot, hn3):
        cluster = app.cluster
        screen = app.screen
        assert isinstance(screen, NodeFixScreen)
        status = str(screen.query_one("#fix-status", Static).render())
        assert "VE_ROOT /srv/root/$VEID → /vz/root/$VEID" in status
        assert "missing: /vz/dump" in status
        diff = str(screen.query_one("#fix-diff", Static).render())
        assert "-VE_ROOT=/srv/root/$VEID" in diff and '+VE_ROOT="/vz/root/$VEID"' in diff
        commands = str(screen.query_one("#fix-commands", Static).render())
        assert f"hn3: mkdir -p -- {hn3}/vz/dump" in commands
        assert commands.startswith("hn3: sh -c ")
        assert app.focused is screen.query_one("#cancel", Button), "Cancel has the focus"
        info = cluster.node_info("hn3")
        assert info is not None and info.vz.ve_root == "/srv/root/$VEID"

        assert screen.query_one("#apply", Button).disabled, "hn3 is protected: its name must be typed first"
        screen.query_one("#typed", Input).value = "hn"
        await pilot.pause()
        assert screen.query_one("#apply", Button).disabled
        screen.query_one("#typed", Input).value = "hn3"
        await pilot.pause()
        screen.query_one("#apply", Button).press()
        await until(pilot, lambda: isinstance(app.screen, NodeDetailScreen), within=30, what="the fix to finish")
        assert [op.state for op in screen.ops] == [OpState.SUCCEEDED, OpState.SUCCEEDED]
        assert current_value((hn3 / "etc/vz/vz.conf").read_text(), "VE_ROOT") == "/vz/root/$VEID"
        assert (hn3 / "vz/dump").is_dir()
        info = cluster.node_info("hn3")
        assert info is not None and info.vz.ve_root == "/vz/root/$VEID", "vz.conf was re-read"
        await pilot.pause(0.1)
        assert "drift" not in str(app.screen.query_one("#node-vzconf").render())


async def test_read_only_reviews_the_fix_but_cannot_apply_it(tmp_path: Path) -> None:
    async with drifted(tmp_path, read_only=True) as (app, _pilot, hn3):
        screen = app.screen
        assert isinstance(screen, NodeFixScreen)
        assert screen.query_one("#apply", Button).disabled
        assert "Read-only" in str(screen.query_one("#fix-status", Static).render())
        assert screen.plan is not None and screen.plan.needed
        with pytest.raises(PermissionError, match="read-only"):
            await app.cluster.submit_plan(screen.plan.requests)
        assert current_value((hn3 / "etc/vz/vz.conf").read_text(), "VE_ROOT") == "/srv/root/$VEID"


# -- snapshot over a canned node -------------------------------------------------------------------------------------

CANNED_VZCONF = (
    "## Global parameters\nLOCKDIR=/vz/lock\nDUMPDIR=/vz/dump\nTEMPLATE=/vz/template\n"
    "VE_ROOT=/srv/root/$VEID # moved to the big disk\nVE_PRIVATE=/vz/private/$VEID\n"
)


class _CannedTransport:
    async def read_file(self, path: str) -> bytes:
        assert path == "/etc/vz/vz.conf"
        return CANNED_VZCONF.encode()


class FixCluster(FakeCluster):
    """Three nodes; hn3's VE_ROOT differs and its /vz/dump is missing."""

    def node_info(self, node: str) -> NodeInfo | None:
        vz = VzConf(ve_root="/srv/root/$VEID") if node == "hn3" else VzConf()
        return NodeInfo(hostname=node, kernel="2.6.32-042stab134.8", vz=vz, capacity=NodeCapacity(8, 32 << 30, 8 << 30))

    def transport(self, node: str) -> Any:
        return _CannedTransport()

    async def run_read(self, node: str, argv: Sequence[str], *, timeout: float | None = None) -> CommandResult:
        present = "".join(f"{path}\n" for path in argv[3:] if path != "/vz/dump/")
        return CommandResult(tuple(argv), 2, present.encode(), b"ls: cannot access '/vz/dump/'\n", 0.0)


class SnapHost(App[None]):
    def __init__(self, cluster: FixCluster) -> None:
        super().__init__()
        self.cluster = cluster

    async def on_mount(self) -> None:
        await self.push_screen(NodeFixScreen(self.cluster, "hn3"))


def test_node_fix_dialog_snapshot(snap_compare: Any) -> None:
    snapshots = {**standard_snapshots(), "hn3": snapshot("hn3", [container(301)])}
    app = SnapHost(FixCluster(snapshots))

    async def run_before(pilot: Any) -> None:
        screen = app.screen
        assert isinstance(screen, NodeFixScreen)
        await until(pilot, lambda: screen.plan is not None, what="the canned plan")
        assert screen.plan is not None and screen.plan.missing_dirs == ("/vz/dump",)
        await pilot.pause()

    assert snap_compare(app, terminal_size=(120, 40), run_before=run_before)
