"""Capacity tools for one node: vzcpucheck, vzmemcheck and vzcalc figures, and a vzsplit-style generator that turns
"split this node into N equal containers" into a create preset (TOML to copy, or straight into the create form).
"""

from __future__ import annotations

from collections.abc import Iterable
from types import MappingProxyType
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Checkbox, DataTable, Footer, Input, Label, Static

from vztui.backend.capacity import CapacityReport, CtCapacity, read_capacity
from vztui.config.schema import PRESET_NAME
from vztui.openvz.errors import ValidationError
from vztui.openvz.presets import Preset
from vztui.openvz.split import SplitResult, preset_toml, split_node
from vztui.ui.backend_api import ClusterApi
from vztui.ui.no_links import NoAutoLinks
from vztui.ui.operations import ActionRunner
from vztui.ui.state.palette import Palette
from vztui.ui.state.text import clean
from vztui.ui.widgets.gauge import gauge, palette_of
from vztui.ui.widgets.quiet_static import QuietStatic

DEFAULT_SPLIT = 10
BAR_WIDTH = 12
COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("ctid", "CTID", 8),
    ("cpuunits", "cpuunits", 9),
    ("ram", "RAM util", 9),
    ("memswap", "MemSwap commit", 15),
    ("alloc", "Alloc commit", 13),
    ("promised", "vzcalc promised", 16),
    ("max", "vzcalc max", 11),
)


def split_preset_name(node: str, count: int) -> str:
    """``split10-hn1``: what the generated preset is called unless the admin renames it."""
    return f"split{count}-{node}"


class CapacityScreen(NoAutoLinks, Screen[None]):
    """Reads the node's tools once when shown (``ctrl+r`` again); the split is recomputed as the admin types."""

    CSS_PATH = "capacity.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Back", id="capacity.close"),
        Binding("ctrl+r", "reload", "Re-read", id="capacity.reload"),
        Binding("ctrl+y", "copy", "Copy TOML", id="capacity.copy"),
        Binding("ctrl+n", "use_preset", "Create CT with it", id="capacity.use"),
    ]

    def __init__(self, cluster: ClusterApi, node: str, *, name: str | None = None, id: str | None = None) -> None:
        super().__init__(name=name, id=id)
        self._cluster = cluster
        self._node = node
        self._palette = Palette()
        self.report: CapacityReport | None = None
        self.split: SplitResult | None = None
        self.preset: Preset | None = None
        self.split_error = ""

    @property
    def node(self) -> str:
        return self._node

    def compose(self) -> ComposeResult:
        yield QuietStatic(id="cap-title")
        with VerticalScroll(id="cap-body"):
            yield QuietStatic(id="cap-summary")
            table: DataTable[Text] = DataTable(id="cap-cts", cursor_type="row", zebra_stripes=True)
            yield table
            yield Label("Split this node into equal containers (vzsplit)", classes="heading")
            with Horizontal(id="split-form"):
                yield Label("Containers", classes="field")
                yield Input(str(DEFAULT_SPLIT), id="split-count", type="integer", max_length=5)
                yield Checkbox("VSwap", value=True, id="split-vswap")
                yield Label("Preset", classes="field")
                yield Input(split_preset_name(self._node, DEFAULT_SPLIT), id="split-name", max_length=64)
            yield Static(id="split-result")
            with Horizontal(id="split-buttons"):
                yield Button("Copy TOML", id="copy")
                yield Button("Create CT with it", id="use", variant="primary")
        yield Footer()

    def on_mount(self) -> None:
        self._palette = palette_of(self.app)
        table: DataTable[Text] = self.query_one("#cap-cts", DataTable)
        for key, label, width in COLUMNS:
            table.add_column(label, key=key, width=width)
        self._render_summary()
        self._render_split()
        self.action_reload()

    # -- loading -------------------------------------------------------------------------------------------------

    def action_reload(self) -> None:
        self._load()

    @work(group="capacity-load", exclusive=True, exit_on_error=False)
    async def _load(self) -> None:
        node = self._node
        self.query_one("#cap-title", QuietStatic).show(self._title("measuring…"))
        try:
            report = await read_capacity(
                node,
                lambda argv: self._cluster.run_read(node, argv),
                info=self._cluster.node_info(node),
                root_prefix=self._cluster.spec(node).root_prefix,
            )
        except Exception as error:  # a screen must never die on a node's answer
            self.notify(f"{node}: capacity read failed: {error}", severity="error", markup=False)
            self.query_one("#cap-title", QuietStatic).show(self._title("read failed"))
            return
        self.report = report
        self.query_one("#cap-title", QuietStatic).show(self._title(""))
        self._render_summary()
        self._render_table()
        self._render_split()

    # -- rendering -----------------------------------------------------------------------------------------------

    def _title(self, state: str) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(f" Capacity of {clean(self._node)} ", style="bold reverse")
        if state:
            text.append(f"  {state}", style=self._palette.muted)
        return text

    def _render_summary(self) -> None:
        palette = self._palette
        report = self.report
        text = Text()
        info = self._cluster.node_info(self._node)
        if info is not None:
            cap = info.capacity
            text.append(f"{'Hardware':<12}", style="bold")
            text.append(f"{cap.cpus} CPUs · RAM {cap.ram_bytes >> 20} Mb · swap {cap.swap_bytes >> 20} Mb")
        if report is None:
            text.append("\nAsking vzcpucheck, vzmemcheck and vzcalc…", style=palette.muted)
            self.query_one("#cap-summary", QuietStatic).show(text)
            return
        text.append(f"\n{'vzcpucheck':<12}", style="bold")
        if report.cpu_utilization is not None and report.cpu_power:
            ratio = report.cpu_utilization / report.cpu_power
            text.append(f"utilization {report.cpu_utilization} of power {report.cpu_power:g}  ")
            text.append_text(gauge(ratio, BAR_WIDTH, palette))
            if report.cpu_overcommitted:
                text.append("  hardware node is overcommitted", style=f"bold {palette.error}")
        else:
            text.append("not measured", style=palette.muted)
        mem = report.memory
        text.append(f"\n{'vzmemcheck':<12}", style="bold")
        if mem is not None:
            text.append(f"MemSwap commit {mem.memswap_commit:.2f}%  ")
            text.append_text(gauge(mem.memswap_commit / 100, BAR_WIDTH, palette))
            text.append(
                f"  RAM util {mem.ram_util:.2f}% · LowMem commit {mem.lowmem_commit:.2f}% · "
                f"Alloc commit {mem.alloc_commit:.2f}% (limit {mem.alloc_limit:.2f}%)",
                style=palette.muted,
            )
        else:
            text.append("not measured", style=palette.muted)
        for problem in report.problems:
            text.append(f"\n⚠ {clean(problem)}", style=palette.warning)
        self.query_one("#cap-summary", QuietStatic).show(text)

    def _render_table(self) -> None:
        table: DataTable[Text] = self.query_one("#cap-cts", DataTable)
        table.clear()
        report = self.report
        if report is None:
            return
        for ct in report.cts:
            table.add_row(*self._cells(ct), key=str(ct.ctid))

    def _cells(self, ct: CtCapacity) -> tuple[Text, ...]:
        def number(value: float | int | None, suffix: str = "%") -> Text:
            if value is None:
                return Text("—", style=self._palette.muted, justify="right")
            shown = f"{value:.2f}{suffix}" if isinstance(value, float) else str(value)
            return Text(shown, justify="right")

        memory, calc = ct.memory, ct.calc
        return (
            Text(str(ct.ctid)),
            number(ct.cpuunits),
            number(memory.ram_util if memory else None),
            number(memory.memswap_commit if memory else None),
            number(memory.alloc_commit if memory else None),
            number(calc.promised if calc else None),
            number(calc.maximum if calc else None),
        )

    def _render_split(self) -> None:
        palette = self._palette
        out = self.query_one("#split-result", Static)
        self.split, self.preset, self.split_error = None, None, ""
        info = self._cluster.node_info(self._node)
        report = self.report
        if info is None or info.capacity.ram_bytes <= 0:
            self.split_error = "The node's RAM is not known yet (its static facts arrive with the first poll)."
        elif report is None:
            self.split_error = "Measuring the container partition…"
        else:
            self._compute_split(report)
        buttons_ok = self.preset is not None
        self.query_one("#copy", Button).disabled = not buttons_ok
        self.query_one("#use", Button).disabled = not buttons_ok or self._cluster.read_only
        if self.preset is None or self.split is None:
            out.update(Text(self.split_error, style=palette.warning))
            return
        text = Text()
        for warning in self.split.warnings:
            text.append(f"⚠ {warning}\n", style=palette.warning)
        text.append(f"{self.split.describe()}\n", style=palette.muted)
        text.append(preset_toml(self.preset))
        out.update(text)

    def _compute_split(self, report: CapacityReport) -> None:
        count_text = self.query_one("#split-count", Input).value.strip()
        name = self.query_one("#split-name", Input).value.strip()
        vswap = self.query_one("#split-vswap", Checkbox).value
        if not count_text.isdigit():
            self.split_error = "Type how many equal containers the node should hold."
            return
        name = name or split_preset_name(self._node, int(count_text))
        if not PRESET_NAME.fullmatch(name):
            self.split_error = "A preset name is letters, digits, '.', '_' and '-' (up to 63), as the config needs."
            return
        try:
            split = split_node(int(count_text), report.split, vswap=vswap)
            self.preset = split.preset(name)
            self.split = split
        except ValidationError as error:
            self.split_error = error.message

    # -- events and actions ------------------------------------------------------------------------------------

    @on(Input.Changed, "#split-count")
    def _count_changed(self, event: Input.Changed) -> None:
        name = self.query_one("#split-name", Input)
        if name.value.startswith("split") and name.value.endswith(f"-{self._node}") and event.value.isdigit():
            name.value = split_preset_name(self._node, int(event.value))
        self._render_split()

    @on(Input.Changed, "#split-name")
    @on(Checkbox.Changed, "#split-vswap")
    def _form_changed(self) -> None:
        self._render_split()

    @on(Button.Pressed, "#copy")
    def action_copy(self) -> None:
        """OSC 52: the terminal puts the TOML on the admin's clipboard (also over SSH)."""
        if self.preset is None:
            self.notify(self.split_error or "Nothing to copy yet", severity="warning", markup=False)
            return
        self.app.copy_to_clipboard(preset_toml(self.preset))
        self.notify(f"[presets.{self.preset.name}] copied: paste it into vztui's config to keep it", markup=False)

    @on(Button.Pressed, "#use")
    def action_use_preset(self) -> None:
        """Offer the preset in the create form (first in its list) for this session, then open the form."""
        preset = self.preset
        if preset is None:
            self.notify(self.split_error or "No preset generated yet", severity="warning", markup=False)
            return
        if self._cluster.read_only:
            self.notify("Create refused: this vztui session is read-only. Copy the TOML instead.", markup=False)
            return
        runner = find_runner(self.app.screen_stack)
        if runner is None:
            self.notify("The create form is not available here", severity="error", markup=False)
            return
        others = {name: other for name, other in runner.presets.items() if name != preset.name}
        runner.presets = MappingProxyType({preset.name: preset, **others})
        self.run_worker(runner.invoke_create(self._node), group="capacity-create", exit_on_error=False)

    def action_close(self) -> None:
        self.dismiss(None)


def find_runner(screens: Iterable[object]) -> ActionRunner | None:
    """The dashboard's ActionRunner (the main screen's ``runner``), looked up on the screen stack."""
    for screen in screens:
        runner = getattr(screen, "runner", None)
        if isinstance(runner, ActionRunner):
            return runner
    return None
