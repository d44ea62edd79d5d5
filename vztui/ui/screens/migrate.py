"""Migration of one or many containers to another node: a pre-flight table for all of them at once, then the
``vzmigrate`` lines of those that passed through the runner's confirmation and the queue.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, DataTable, Label, Select, Static

from vztui.backend.preflight import CHECK_NAMES, Level, Preflight, check_only, static_checks
from vztui.ui.no_links import NoAutoLinks
from vztui.ui.state.text import clean

if TYPE_CHECKING:
    from vztui.ui.operations import ActionRunner

_MARK = {Level.OK: ("✓", "green"), Level.WARN: ("!", "yellow"), Level.FAIL: ("✗", "red")}


def preflight_rows(results: Sequence[Preflight]) -> list[tuple[Text, ...]]:
    """One row per container: CTID, source, a mark per check, and the first failure (or warning) in words."""
    rows: list[tuple[Text, ...]] = []
    for result in results:
        cells = [Text(str(result.ctid)), Text(clean(result.node))]
        for name in CHECK_NAMES:
            check = result.check(name)
            mark, style = _MARK[check.level] if check is not None else ("·", "")
            cells.append(Text(mark, style=style))
        warning = next((f"{c.name}: {c.detail}" for c in result.checks if c.level is Level.WARN), "")
        cells.append(Text(clean(result.reason or warning or "ready"), style="red" if result.reason else ""))
        rows.append(tuple(cells))
    return rows


class MigrateScreen(NoAutoLinks, ModalScreen[None]):
    """Choose the target node and offline/live, run the pre-flight, then migrate the containers that passed."""

    CSS_PATH = "migrate.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", "Close", id="migrate.close")]

    def __init__(self, runner: ActionRunner, targets: Sequence[tuple[str, int]]) -> None:
        super().__init__()
        self.runner = runner
        self.targets = tuple(targets)
        self.results: list[Preflight] = []

    def compose(self) -> ComposeResult:
        cluster = self.runner.cluster
        sources = {node for node, _ in self.targets}
        choices = [(Text(clean(name)), name) for name in cluster.nodes if name not in sources]
        count = len(self.targets)
        with Vertical(id="dialog"):
            yield Label(f"Migrate {count} container{'s' if count != 1 else ''}", id="heading")
            with Horizontal(id="options"):
                yield Select(choices, prompt="target node", id="dest")
                yield Checkbox("Live (--live)", id="live")
                yield Button("Check", id="check")
            table: DataTable[Text] = DataTable(id="table", cursor_type="row")
            table.add_columns("CTID", "From", *CHECK_NAMES, "Verdict")
            yield table
            yield Static(Text("Choose a target node and run the pre-flight check."), id="status")
            with Horizontal(id="buttons"):
                yield Button("Close", id="close")
                yield Button("Migrate…", id="migrate", variant="primary", disabled=True)

    def _dest(self) -> str | None:
        value = self.query_one("#dest", Select).value
        return value if isinstance(value, str) else None

    @on(Select.Changed, "#dest")
    @on(Checkbox.Changed, "#live")
    def _options_changed(self) -> None:
        self.results = []
        self.query_one("#migrate", Button).disabled = True
        self.query_one("#table", DataTable).clear()

    @on(Button.Pressed, "#check")
    def _check(self) -> None:
        dest = self._dest()
        if dest is None:
            self.query_one("#status", Static).update(Text("Choose a target node first."))
            return
        self.run_preflight(dest, self.query_one("#live", Checkbox).value)

    @work(exclusive=True, group="migrate-preflight")
    async def run_preflight(self, dest: str, live: bool) -> None:
        cluster = self.runner.cluster
        status = self.query_one("#status", Static)
        status.update(Text(f"Checking {len(self.targets)} container(s) against {dest}…"))
        infos = {name: cluster.node_info(name) for name in cluster.nodes}
        static = static_checks(self.targets, dest, cluster.snapshots(), infos, live=live)
        address = cluster.spec(dest).address
        self.results = list(
            await asyncio.gather(*(check_only(p, address, cluster.run_read, live=live) for p in static))
        )
        table = self.query_one("#table", DataTable)
        table.clear()
        for row in preflight_rows(self.results):
            table.add_row(*row)
        ready = [result for result in self.results if result.ok]
        status.update(Text(f"{len(ready)} of {len(self.results)} ready to migrate to {dest}."))
        self.query_one("#migrate", Button).disabled = not ready

    @on(Button.Pressed, "#migrate")
    def _migrate(self) -> None:
        self.submit()

    @work(group="migrate-submit")
    async def submit(self) -> None:
        dest = self._dest()
        ready = [(result.node, result.ctid) for result in self.results if result.ok]
        if dest is None or not ready:
            return
        params: dict[str, object] = {
            "dest": self.runner.cluster.spec(dest).address,
            "live": self.query_one("#live", Checkbox).value,
        }
        batch = await self.runner.run_confirmed("migrate", ready, params)
        if batch is not None:
            self.dismiss(None)

    @on(Button.Pressed, "#close")
    def action_close(self) -> None:
        self.dismiss(None)
