"""The dashboard over the real engine: a seeded simulated cluster polled through the local transport."""

from __future__ import annotations

from pathlib import Path

from tests.ui.fake_cluster import NOW
from tests.ui.harness import frozen_sim_clock, make_app, sim_specs
from vztui.backend.cluster import Cluster
from vztui.backend.operation import OpRequest
from vztui.ui.app import VztuiApp
from vztui.ui.widgets.header import HeaderBar


async def wait_until(pilot, condition, *, tries: int = 200) -> None:  # type: ignore[no-untyped-def]
    for _ in range(tries):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError("condition not reached")


async def test_live_cluster_rows_and_an_operation_that_changes_one(tmp_path: Path, utc: None) -> None:
    with frozen_sim_clock(NOW) as sim_clock:
        specs = sim_specs(tmp_path / "cluster", nodes=2, cts=4, seed=7)
        cluster = Cluster(specs, journal_dir=str(tmp_path / "journal"))
        app = make_app(cluster)
        async with app.run_test(size=(140, 40)) as pilot:
            assert isinstance(app, VztuiApp) and app.main_screen is not None
            main = app.main_screen
            table = main.table
            await wait_until(pilot, lambda: table.total == 8)
            assert list(table.order)[:2] == ["hn1/101", "hn1/102"]
            header = main.query_one(HeaderBar).state
            assert header is not None and header.nodes_up == 2 and header.total == 8
            running = [key for key in table.order if table.cell_text(key, "status") == "running"]
            assert running
            target = running[0]
            node, ctid = target.split("/")
            sim_clock.set(NOW + 2)
            op = await cluster.submit(
                OpRequest(node=node, argv=("vzctl", "stop", ctid), kind="stop", ctids=(int(ctid),), title="Stop")
            )
            await wait_until(pilot, lambda: op.state.finished)
            assert op.state.value == "succeeded", op.reason
            await wait_until(pilot, lambda: table.cell_text(target, "status") == "stopped")
            assert table.cell_text(target, "cpu") == ""
