"""ploop snapshots of one container: list, create, switch, delete, mount and unmount, each through the runner's
confirmation and the queue. A simfs container gets the reason instead of an empty list.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Label, Static

from vztui.openvz.errors import ValidationError
from vztui.openvz.models import Layout, PloopSnapshot
from vztui.openvz.validate import validate_path, validate_snapshot_name
from vztui.ui.no_links import NoAutoLinks
from vztui.ui.screens.prompt import PromptField, PromptScreen
from vztui.ui.state.text import clean

if TYPE_CHECKING:
    from vztui.ui.operations import ActionRunner

SIMFS_REASON = (
    "Snapshots need the ploop layout, and CT {ctid} on {node} uses simfs: its files live directly in a directory "
    "on the node's file system, with nothing to take a consistent image of. Convert it with `vzctl convert {ctid}` "
    "(stopped, with DISKSPACE set) to use snapshots."
)


def snapshot_rows(snapshots: list[PloopSnapshot]) -> list[tuple[Text, ...]]:
    """Table rows, newest first: current marker, name, date, uuid, description (host text kept plain)."""
    return [
        (
            Text("●" if snap.current else ""),
            Text(clean(snap.name)),
            Text(clean(snap.date)),
            Text(clean(snap.uuid)),
            Text(clean(snap.description)),
        )
        for snap in reversed(snapshots)
    ]


CREATE_FIELDS = (PromptField("name", "Name", "optional"), PromptField("description", "Description", "optional"))


def check_create(values: Mapping[str, str]) -> str | None:
    try:
        if values.get("name"):
            validate_snapshot_name(values["name"])
    except ValidationError as error:
        return str(error)
    return None


def _check_target(values: Mapping[str, str]) -> str | None:
    try:
        validate_path(values.get("target", ""), field="target")
    except ValidationError as error:
        return str(error)
    return None


class SnapshotsScreen(NoAutoLinks, ModalScreen[None]):
    """The snapshots of CT ``ctid`` on ``node``; every change goes through ``runner`` (confirmation, queue)."""

    CSS_PATH = "snapshots.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="snapshots.close"),
        Binding("n", "create", "New", id="snapshots.create"),
        Binding("s", "switch", "Switch to", id="snapshots.switch"),
        Binding("d", "delete", "Delete", id="snapshots.delete"),
        Binding("m", "mount", "Mount", id="snapshots.mount"),
        Binding("u", "umount", "Unmount", id="snapshots.umount"),
        Binding("r", "reload", "Reload", id="snapshots.reload"),
    ]

    def __init__(self, runner: ActionRunner, node: str, ctid: int) -> None:
        super().__init__()
        self.runner = runner
        self.node = node
        self.ctid = ctid
        self.snapshots: list[PloopSnapshot] = []

    @property
    def simfs(self) -> bool:
        container = self.runner.cluster.snapshots().get(self.node)
        found = container.containers.get(self.ctid) if container is not None else None
        return found is not None and found.layout is Layout.SIMFS

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(Text(f"Snapshots of CT {self.ctid} on {clean(self.node)}"), id="heading")
            if self.simfs:
                yield Static(Text(SIMFS_REASON.format(ctid=self.ctid, node=clean(self.node))), id="reason")
            else:
                table: DataTable[Text] = DataTable(id="table", cursor_type="row", zebra_stripes=True)
                table.add_columns("", "Name", "Date", "UUID", "Description")
                yield table
                yield Static(Text("loading…"), id="status")
                yield Static(
                    Text("n new · s switch to · d delete · m mount · u unmount · r reload · esc close"), id="keys"
                )
            with Horizontal(id="buttons"):
                yield Button("Close", id="close")

    def on_mount(self) -> None:
        if not self.simfs:
            self.reload()

    @work(exclusive=True, group="snapshots-load")
    async def reload(self) -> None:
        status = self.query_one("#status", Static)
        try:
            self.snapshots = await self.runner.cluster.ploop_snapshots(self.node, self.ctid)
        except Exception as error:  # shown, never raised: vzctl's refusal (simfs, missing CT) is the message
            status.update(Text(clean(str(error))))
            return
        table = self.query_one("#table", DataTable)
        table.clear()
        for row in snapshot_rows(self.snapshots):
            table.add_row(*row, key=str(row[3]))
        status.update(Text(f"{len(self.snapshots)} snapshot{'s' if len(self.snapshots) != 1 else ''}"))

    def selected(self) -> PloopSnapshot | None:
        if self.simfs or not self.snapshots:
            return None
        table = self.query_one("#table", DataTable)
        ordered = list(reversed(self.snapshots))
        row = table.cursor_row
        return ordered[row] if 0 <= row < len(ordered) else None

    @work(group="snapshots-action")
    async def _run(self, action_id: str, params: dict[str, object]) -> None:
        batch = await self.runner.run_confirmed(action_id, [(self.node, self.ctid)], params)
        if batch is None:
            return
        await batch.finished.wait()
        self.reload()

    @work(group="snapshots-action")
    async def action_create(self) -> None:
        if self.simfs:
            return
        values = await self.app.push_screen_wait(
            PromptScreen(f"New snapshot of CT {self.ctid}", CREATE_FIELDS, check_create, submit="Create…")
        )
        if values is not None:
            self._run("snapshot_create", {"name": values["name"], "description": values["description"]})

    def action_switch(self) -> None:
        self._on_selected("snapshot_switch")

    def action_delete(self) -> None:
        self._on_selected("snapshot_delete")

    def action_umount(self) -> None:
        self._on_selected("snapshot_umount")

    def _on_selected(self, action_id: str) -> None:
        snapshot = self.selected()
        if snapshot is None:
            self.app.notify("Choose a snapshot first", severity="warning")
            return
        self._run(action_id, {"uuid": snapshot.uuid})

    @work(group="snapshots-action")
    async def action_mount(self) -> None:
        snapshot = self.selected()
        if snapshot is None:
            self.app.notify("Choose a snapshot first", severity="warning")
            return
        fields = [PromptField("target", "Mount at", "an existing directory on the node, e.g. /mnt/snap")]
        values = await self.app.push_screen_wait(
            PromptScreen(f"Mount snapshot {snapshot.uuid} read-only", fields, _check_target, submit="Mount…")
        )
        if values is not None:
            self._run("snapshot_mount", {"uuid": snapshot.uuid, "target": values["target"]})

    def action_reload(self) -> None:
        if not self.simfs:
            self.reload()

    @on(Button.Pressed, "#close")
    def action_close(self) -> None:
        self.dismiss(None)
