"""One container in depth: what vzlist and the kernel say (status, IPs, quota), its CTID.conf as stored on the
node, and its ploop snapshots. Reads happen in workers; failures are shown in place, never as a traceback.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Footer, TabbedContent, TabPane

from vztui.backend.cluster import CommandFailedError
from vztui.backend.operation import ReadOnlyError
from vztui.backend.snapshot import NodeDelta, NodeHealth, NodeSnapshot
from vztui.backend.transport import TransportError
from vztui.openvz.errors import ParseError
from vztui.openvz.models import Container, CtConfig, Layout, PloopSnapshot
from vztui.ui.backend_api import ClusterApi, DeltaForwarder
from vztui.ui.no_links import NoAutoLinks
from vztui.ui.state.columns import format_uptime
from vztui.ui.state.palette import Palette
from vztui.ui.state.text import clean
from vztui.ui.widgets.beancounters import quota_text
from vztui.ui.widgets.gauge import palette_of
from vztui.ui.widgets.quiet_static import QuietStatic

REFRESH_DELAY = 0.5
LABEL_WIDTH = 13
READ_ERRORS = (OSError, TransportError, ParseError, CommandFailedError, ReadOnlyError)
"""What reading a config or listing snapshots can fail with; each is shown in place with its message."""

SNAPSHOT_COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("current", "", 1),
    ("name", "Name", 16),
    ("date", "Date", 19),
    ("description", "Description", 20),
    ("uuid", "UUID", 38),
)


def config_text(config: CtConfig, palette: Palette) -> Text:
    """``KEY="value"`` lines as vzctl writes them, keys in bold; host text only ever as plain Text."""
    text = Text()
    for index, (key, value) in enumerate(config.values.items()):
        if index:
            text.append("\n")
        text.append(clean(key), style="bold")
        text.append("=", style=palette.muted)
        text.append(f'"{clean(value)}"')
    if not config.values:
        text.append("the file sets nothing", style=palette.muted)
    return text


class CtDetailScreen(NoAutoLinks, Screen[None]):
    """Overview, config file and snapshots of one CT; ``r`` re-reads the config and the snapshot list."""

    CSS_PATH = "ct_detail.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Back", id="ct_detail.close"),
        Binding("q", "close", "Back", show=False, id="ct_detail.quit"),
        Binding("r", "reload", "Re-read", id="ct_detail.reload"),
        Binding("1", "tab('tab-overview')", "Overview", id="ct_detail.overview"),
        Binding("2", "tab('tab-config')", "Config", id="ct_detail.config"),
        Binding("3", "tab('tab-snapshots')", "Snapshots", id="ct_detail.snapshots"),
    ]

    def __init__(
        self,
        cluster: ClusterApi,
        node: str,
        ctid: int,
        *,
        clock: Callable[[], float] = time.time,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._cluster = cluster
        self._node = node
        self._ctid = ctid
        self._clock = clock
        self._unsubscribe: Callable[[], None] | None = None
        self._refresh_timer: Timer | None = None
        self._palette = Palette()
        self._config: CtConfig | None = None
        self._snapshots: list[PloopSnapshot] | None = None

    @property
    def target(self) -> tuple[str, int]:
        return (self._node, self._ctid)

    @property
    def config(self) -> CtConfig | None:
        """The config as last read (None until the read finished or when it failed)."""
        return self._config

    @property
    def ploop_snapshots(self) -> list[PloopSnapshot] | None:
        return None if self._snapshots is None else list(self._snapshots)

    def compose(self) -> ComposeResult:
        yield QuietStatic(id="ct-title")
        with TabbedContent(id="ct-tabs"):
            with TabPane("Overview", id="tab-overview"), VerticalScroll():
                yield QuietStatic(id="ct-overview", classes="section")
                yield QuietStatic(id="ct-quota", classes="section")
            with TabPane("Config", id="tab-config"), VerticalScroll():
                yield QuietStatic(id="ct-config-path")
                yield QuietStatic(id="ct-config")
            with TabPane("Snapshots", id="tab-snapshots"):
                yield QuietStatic(id="ct-snapshots-status")
                yield DataTable(id="ct-snapshots", cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        self._palette = palette_of(self.app)
        self.app.theme_changed_signal.subscribe(self, self._theme_changed)
        table: DataTable[Text] = self.query_one("#ct-snapshots", DataTable)
        for key, label, width in SNAPSHOT_COLUMNS:
            table.add_column(label, key=key, width=width)
        self.query_one("#ct-config-path", QuietStatic).show(
            Text(f"/etc/vz/conf/{self._ctid}.conf on {clean(self._node)}", style=self._palette.muted)
        )
        self._unsubscribe = self._cluster.subscribe(DeltaForwarder(self.delta_arrived))
        self.render_overview()
        self.action_reload()

    def _theme_changed(self, _theme: object) -> None:
        self._palette = palette_of(self.app)
        self.render_overview()
        if self._config is not None:
            self.query_one("#ct-config", QuietStatic).show(config_text(self._config, self._palette))

    def on_unmount(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def delta_arrived(self, delta: NodeDelta) -> None:
        if delta.node != self._node or self._refresh_timer is not None:
            return
        if delta.health_changed or self._ctid in delta.changed or self._ctid in delta.vanished:
            self._refresh_timer = self.set_timer(REFRESH_DELAY, self.render_overview)

    # -- overview ------------------------------------------------------------------------------------------------

    def _container(self) -> tuple[NodeSnapshot | None, Container | None]:
        snapshot = self._cluster.snapshots().get(self._node)
        return snapshot, snapshot.containers.get(self._ctid) if snapshot is not None else None

    def render_overview(self) -> None:
        self._refresh_timer = None
        palette = self._palette
        snapshot, container = self._container()
        title = Text(no_wrap=True, overflow="ellipsis")
        title.append(f" CT {self._ctid} ", style="bold reverse")
        title.append(f" on {clean(self._node)}")
        if container is not None:
            if container.name:
                title.append(f" · {clean(container.name)}")
            title.append(f" · {container.status.value}")
        if snapshot is not None and snapshot.health is not NodeHealth.UP:
            title.append(f" · node {snapshot.health.value}: values may be old", style=palette.warning)
        self.query_one("#ct-title", QuietStatic).show(title)
        overview = self.query_one("#ct-overview", QuietStatic)
        quota = self.query_one("#ct-quota", QuietStatic)
        if snapshot is None or container is None:
            overview.show(Text(f"CT {self._ctid} is not on {self._node} (any more)", style=palette.error))
            quota.show(Text())
            return
        overview.show(self._overview(snapshot, container))
        heading = Text("Disk quota\n", style=f"bold {palette.accent}")
        heading.append_text(quota_text(snapshot.quota.get(self._ctid), container, palette))
        quota.show(heading)

    def _overview(self, snapshot: NodeSnapshot, container: Container) -> Text:
        palette = self._palette
        text = Text()

        def row(label: str, value: str | Text, style: str = "") -> None:
            if text:
                text.append("\n")
            text.append(f"{label:<{LABEL_WIDTH}}", style="bold")
            if isinstance(value, Text):
                text.append_text(value)
            else:
                text.append(value, style=style)

        row("Hostname", clean(container.hostname) or "—")
        if container.description:
            row("Description", clean(container.description))
        row("Template", clean(container.ostemplate) or "—")
        layout = container.layout.value
        if container.origin_sample:
            layout += f" · from sample {clean(container.origin_sample)}"
        row("Layout", layout)
        row("Private", clean(container.private or self._configured_path("VE_PRIVATE")) or "—")
        row("Root", clean(container.root or self._configured_path("VE_ROOT")) or "—")
        uptime = snapshot.uptime(self._ctid, self._clock())
        status = Text(container.status.value, style=palette.success if container.running else palette.muted)
        if uptime is not None:
            status.append(f" · up {format_uptime(uptime)}")
        if container.onboot is not None:
            status.append(f" · onboot {'yes' if container.onboot else 'no'}", style=palette.muted)
        row("Status", status)
        cpu = snapshot.cpu_percent.get(self._ctid)
        cpu_text = Text("—" if cpu is None else f"{cpu:.1f}%")
        cpu_text.append(
            f" · units {container.cpuunits if container.cpuunits is not None else '—'}"
            f" · limit {str(container.cpulimit) + '%' if container.cpulimit else 'none'}"
            f" · cpus {container.cpus or 'all'}",
            style=palette.muted,
        )
        row("CPU", cpu_text)
        row("IPs", self._ips(container))
        if container.nameservers:
            row("DNS", " ".join(clean(server) for server in container.nameservers))
        return text

    def _configured_path(self, key: str) -> str | None:
        """VE_PRIVATE/VE_ROOT from the CT's config with $VEID filled in, as vzctl expands it."""
        raw = self._config.get(key) if self._config is not None else None
        if not raw:
            return None
        return raw.replace("${VEID}", str(self._ctid)).replace("$VEID", str(self._ctid))

    def _ips(self, container: Container) -> Text:
        """Live addresses; addresses only in the config (a stopped CT, an unsaved change) are marked."""
        palette = self._palette
        live = list(container.ips)
        configured = list(self._config.ips) if self._config is not None else []
        text = Text()
        if not live and not configured:
            text.append("none", style=palette.muted)
            return text
        for index, address in enumerate(live):
            text.append((", " if index else "") + clean(address))
        only_config = [address for address in configured if address not in live]
        if only_config:
            text.append(("  " if live else "") + "in config only: ", style=palette.warning)
            text.append(", ".join(clean(address) for address in only_config), style=palette.warning)
        return text

    # -- config and snapshots (workers) ------------------------------------------------------------------------

    def action_reload(self) -> None:
        self._load_config()
        self._load_snapshots()

    @work(group="ct-config", exclusive=True)
    async def _load_config(self) -> None:
        target = self.query_one("#ct-config", QuietStatic)
        target.show(Text("reading…", style=self._palette.muted))
        try:
            config = await self._cluster.read_ct_config(self._node, self._ctid)
        except READ_ERRORS as error:
            self._config = None
            target.show(Text(f"Could not read the config: {clean(str(error))}", style=self._palette.error))
            return
        self._config = config
        target.show(config_text(config, self._palette))
        self.render_overview()

    @work(group="ct-snapshots", exclusive=True)
    async def _load_snapshots(self) -> None:
        status = self.query_one("#ct-snapshots-status", QuietStatic)
        table: DataTable[Text] = self.query_one("#ct-snapshots", DataTable)
        _snapshot, container = self._container()
        if container is not None and container.layout is not Layout.PLOOP:
            self._snapshots = None
            table.display = False
            status.show(Text(f"Snapshots need the ploop layout; CT {self._ctid} uses {container.layout.value}."))
            return
        status.show(Text("listing snapshots…", style=self._palette.muted))
        try:
            found = await self._cluster.ploop_snapshots(self._node, self._ctid)
        except READ_ERRORS as error:
            self._snapshots = None
            table.display = False
            status.show(Text(f"Could not list snapshots: {clean(str(error))}", style=self._palette.error))
            return
        self._snapshots = found
        table.clear()
        table.display = bool(found)
        for snap in found:
            table.add_row(
                Text("*" if snap.current else "", style=f"bold {self._palette.success}"),
                Text(clean(snap.name), no_wrap=True, overflow="ellipsis"),
                Text(clean(snap.date), no_wrap=True),
                Text(clean(snap.description), no_wrap=True, overflow="ellipsis"),
                Text(clean(snap.uuid), no_wrap=True, style=self._palette.muted),
                key=snap.uuid,
            )
        if found:
            status.show(
                Text(f"{len(found)} snapshot{'s' if len(found) != 1 else ''} · * marks the one the CT runs on top of")
            )
        else:
            status.show(Text("No snapshots.", style=self._palette.muted))

    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab

    def action_close(self) -> None:
        self.dismiss(None)
