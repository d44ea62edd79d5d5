"""The confirmation every mutating action goes through: the exact command lines, the targets, what the filter
hides, what is skipped and why; Cancel has the focus, and destroy (or a protected node) needs the CTID typed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from vztui.ui.action_plan import ActionPlan
from vztui.ui.no_links import NoAutoLinks
from vztui.ui.state.text import clean

MAX_LISTED = 40
"""CTIDs named in the summary line and skip reasons shown; the command list (scrollable) always has every one."""


def skip_summary(plan: ActionPlan) -> str:
    lines = plan.skip_lines()
    shown = "\n".join(clean(line) for line in lines[:MAX_LISTED])
    return shown + (f"\n… and {len(lines) - MAX_LISTED} more" if len(lines) > MAX_LISTED else "")


def target_summary(plan: ActionPlan) -> str:
    """``3 containers on hn1, hn2: 101 102 103`` (the CTIDs the action captured when it was invoked)."""
    runnable = plan.runnable
    if not runnable:
        return "No container can run this action."
    nodes = ", ".join(dict.fromkeys(target.node for target in runnable))
    ctids = " ".join(str(target.ctid) for target in runnable[:MAX_LISTED])
    if len(runnable) > MAX_LISTED:
        ctids += f" … and {len(runnable) - MAX_LISTED} more (every command is listed below)"
    count = len(runnable)
    return f"{count} container{'s' if count != 1 else ''} on {nodes}: {ctids}"


def hidden_warning(plan: ActionPlan) -> str:
    if not plan.hidden_marked:
        return ""
    count = plan.hidden_marked
    return f"{count} marked container{'s are' if count != 1 else ' is'} hidden by the current filter."


def commands_text(lines: Sequence[tuple[str, str]]) -> Text:
    """Host names and command lines as plain text (never markup), one command per line; a quoted argument that
    spans lines (the sample a create writes) is shown as it is, indented."""
    text = Text()
    for index, (node, line) in enumerate(lines):
        if index:
            text.append("\n")
        text.append(f"{clean(node)}: ", style="bold")
        text.append("\n    ".join(clean(part) for part in line.split("\n")))
    return text


def diff_text(lines: Sequence[str]) -> Text:
    """A unified diff as plain text with added lines in $success-like green and removed ones in red."""
    text = Text()
    for index, line in enumerate(lines):
        if index:
            text.append("\n")
        added, removed = (
            line.startswith("+") and not line.startswith("+++"),
            line.startswith("-") and not line.startswith("---"),
        )
        text.append(clean(line), style="green" if added else "red" if removed else "")
    return text


class ConfirmScreen(NoAutoLinks, ModalScreen[bool]):
    """Dismisses with True only when the admin pressed Run (after typing the CTID or count when required)."""

    CSS_PATH = "confirm.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", id="confirm.cancel")]
    AUTO_FOCUS = "#cancel"

    def __init__(self, plan: ActionPlan, *, details: Sequence[str] = ()) -> None:
        super().__init__()
        self.plan = plan
        self.details = tuple(details)
        """Extra lines under the commands (the config diff of a set)."""

    def compose(self) -> ComposeResult:
        plan = self.plan
        runnable = bool(plan.runnable)
        with Vertical(id="dialog", classes="destructive" if plan.spec.destructive else ""):
            yield Label(Text(plan.heading), id="heading")
            if plan.spec.description:
                yield Static(Text(plan.spec.description), id="description")
            yield Static(Text(target_summary(plan)), id="targets")
            warning = hidden_warning(plan)
            if warning:
                yield Static(Text(warning), id="hidden")
            with VerticalScroll(id="commands"):
                if runnable:
                    yield Static(commands_text(plan.command_lines()), id="command-lines")
                if self.details:
                    yield Static(diff_text(self.details), id="details")
            skipped = plan.skip_lines()
            if skipped:
                yield Label(f"Skipped ({len(skipped)}):", classes="section")
                yield Static(Text(skip_summary(plan)), id="skipped")
            expected = plan.typed_confirmation
            if expected is not None:
                what = "the CTID" if len(plan.runnable) == 1 else "the number of containers"
                yield Label(f"Type {what} ({expected}) to confirm:", classes="section")
                yield Input(placeholder=expected, id="typed")
            with Horizontal(id="buttons"):
                yield Button("Cancel", id="cancel")
                if runnable:
                    yield Button(
                        "Run",
                        id="run",
                        variant="error" if plan.spec.destructive else "primary",
                        disabled=expected is not None,
                    )

    @on(Input.Changed, "#typed")
    def _typed(self, event: Input.Changed) -> None:
        self.query_one("#run", Button).disabled = event.value.strip() != self.plan.typed_confirmation

    @on(Input.Submitted, "#typed")
    def _typed_enter(self, event: Input.Submitted) -> None:
        if event.value.strip() == self.plan.typed_confirmation:
            self.dismiss(True)

    @on(Button.Pressed, "#run")
    def _run(self) -> None:
        expected = self.plan.typed_confirmation
        if expected is not None and self.query_one("#typed", Input).value.strip() != expected:
            return
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)
