"""Node consistency (f on the node detail screen): the vz.conf paths this node has that the other nodes do not, as a
diff, plus the directories it lacks; Apply runs exactly the command lines shown, as one plan, then re-reads the
node's static facts. This dialog is the confirmation: Cancel has the focus, and a protected node's name must be
typed first.
"""

from __future__ import annotations

import asyncio
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from vztui.backend.nodefix import NodeFixPlan, plan_node_fix
from vztui.backend.operation import Operation, OpState, ReadOnlyError
from vztui.openvz.commands import display
from vztui.ui.backend_api import ClusterApi
from vztui.ui.no_links import NoAutoLinks
from vztui.ui.screens.confirm import commands_text
from vztui.ui.state.drift import path_drift
from vztui.ui.state.text import clean

FINISH_TIMEOUT = 120.0


class NodeFixScreen(NoAutoLinks, ModalScreen[bool]):
    """Dismisses with True once the fix ran and every step succeeded, False otherwise (cancel, failure, nothing)."""

    CSS_PATH = "nodefix.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", id="nodefix.cancel")]
    AUTO_FOCUS = "#cancel"

    def __init__(self, cluster: ClusterApi, node: str) -> None:
        super().__init__()
        self._cluster = cluster
        self._node = node
        self.plan: NodeFixPlan | None = None
        self.ops: list[Operation] = []
        self._protected = cluster.spec(node).protected
        self._read_only = True

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(Text(f"Make {clean(self._node)} consistent with the cluster"), id="heading")
            yield Static(Text("Reading vz.conf and checking directories…"), id="fix-status")
            with VerticalScroll(id="fix-body"):
                yield Static(id="fix-diff")
                yield Static(id="fix-commands")
            if self._protected:
                yield Label(Text(f"{clean(self._node)} is protected: type its name to confirm:"), classes="section")
                yield Input(placeholder=self._node, id="typed")
            with Horizontal(id="buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Apply", id="apply", variant="warning", disabled=True)

    def on_mount(self) -> None:
        self._load()

    @work(group="nodefix-load", exclusive=True, exit_on_error=False)
    async def _load(self) -> None:
        cluster, node = self._cluster, self._node
        status = self.query_one("#fix-status", Static)
        infos = {name: cluster.node_info(name) for name in cluster.nodes}
        info = infos.get(node)
        if info is None:
            status.update(Text(f"{node}'s vz.conf is not known yet: wait for its first poll, then try again."))
            return
        wanted = path_drift(infos, node)
        spec = cluster.spec(node)
        try:
            plan = await plan_node_fix(
                node,
                cluster.transport(node).read_file,
                lambda argv: cluster.run_read(node, argv),
                root_prefix=spec.root_prefix,
                wanted=wanted,
                known=info.vz,
            )
        except Exception as error:  # unreadable vz.conf, a value vztui refuses to write, a lost node …
            status.update(Text(f"Cannot plan the fix of {clean(node)}: {clean(str(error))}"))
            return
        self.plan = plan
        self._show(plan)

    def _show(self, plan: NodeFixPlan) -> None:
        status = self.query_one("#fix-status", Static)
        if not plan.needed:
            status.update(Text(f"{self._node} already matches: same vz.conf paths, every directory present."))
            return
        parts = []
        if plan.changes:
            parts.append("vz.conf: " + ", ".join(f"{c.key} {c.old or '(unset)'} → {c.new}" for c in plan.changes))
        if plan.missing_dirs:
            parts.append("missing: " + " ".join(plan.missing_dirs))
        read_only = self._cluster.read_only or self._cluster.spec(self._node).read_only
        if read_only:
            parts.append("Read-only: shown for review, nothing can be applied.")
        status.update(Text("\n".join(clean(part) for part in parts)))
        if plan.diff:
            self.query_one("#fix-diff", Static).update(Text("\n".join(clean(line) for line in plan.diff)))
        lines = [(self._node, display(request.argv)) for request in plan.requests]
        self.query_one("#fix-commands", Static).update(commands_text(lines))
        self._read_only = read_only
        self._update_apply()

    def _update_apply(self) -> None:
        typed_ok = not self._protected or self.query_one("#typed", Input).value.strip() == self._node
        needed = self.plan is not None and self.plan.needed
        self.query_one("#apply", Button).disabled = self._read_only or not needed or not typed_ok or bool(self.ops)

    @on(Input.Changed, "#typed")
    def _typed(self) -> None:
        self._update_apply()

    @on(Button.Pressed, "#apply")
    def _apply_pressed(self) -> None:
        self.query_one("#apply", Button).disabled = True
        self._apply()

    @work(group="nodefix-apply", exclusive=True, exit_on_error=False)
    async def _apply(self) -> None:
        plan = self.plan
        if plan is None or not plan.needed or self._read_only:
            return
        try:
            self.ops = await self._cluster.submit_plan(plan.requests)
        except ReadOnlyError as error:
            self.notify(str(error), title="Read-only", severity="error", markup=False)
            self.dismiss(False)
            return
        self.query_one("#fix-status", Static).update(Text(f"Running {len(self.ops)} step(s) on {self._node}…"))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + FINISH_TIMEOUT
        while not all(op.state.finished for op in self.ops) and loop.time() < deadline:
            await asyncio.sleep(0.05)
        failed = [op for op in self.ops if op.state is not OpState.SUCCEEDED]
        await self._cluster.refresh_static(self._node)  # vz.conf changed: the node's facts are read again
        if failed:
            first = failed[0]
            self.notify(
                f"Fix of {self._node}: {first.request.title} {first.state.value}: {first.reason}",
                severity="error",
                markup=False,
            )
            self.dismiss(False)
            return
        self.notify(f"{self._node}: {len(self.ops)} step(s) done; vz.conf re-read", markup=False)
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)
