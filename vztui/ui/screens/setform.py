"""The set form: resources, network and identity of one container, validated as typed, with a live preview of the
config diff (the domain's config writer applied to the CT's current config) and the single ``vzctl set`` line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from vztui.backend.cluster import CT_CONFIG_DIR
from vztui.backend.transport import TransportError
from vztui.openvz.commands import display, vzctl_set
from vztui.openvz.conf import apply_set, config_diff
from vztui.openvz.errors import ValidationError
from vztui.openvz.models import CtConfig
from vztui.openvz.units import PAGE_SIZE
from vztui.openvz.validate import SetChanges, format_bytes, format_kib, validate_form
from vztui.ui.backend_api import ClusterApi
from vztui.ui.no_links import NoAutoLinks
from vztui.ui.screens.confirm import diff_text
from vztui.ui.state.text import clean

FIELDS: tuple[tuple[str, str, str], ...] = (
    ("ram", "RAM", "PHYSPAGES"),
    ("swap", "Swap", "SWAPPAGES"),
    ("cpuunits", "CPU units", "CPUUNITS"),
    ("cpulimit", "CPU limit", "CPULIMIT"),
    ("cpus", "CPUs", "CPUS"),
    ("diskspace", "Disk space", "DISKSPACE"),
    ("diskinodes", "Disk inodes", "DISKINODES"),
    ("quotaugidlimit", "Quota UID/GID", "QUOTAUGIDLIMIT"),
    ("ipadd", "Add IPs", "IP_ADDRESS"),
    ("ipdel", "Remove IPs", "IP_ADDRESS"),
    ("hostname", "Hostname", "HOSTNAME"),
    ("nameserver", "Nameservers", "NAMESERVER"),
    ("name", "Name", "NAME"),
    ("description", "Description", "DESCRIPTION"),
    ("ubc", "Raw UBC", ""),
)
"""(form field, label, the CTID.conf key whose current value is shown as the placeholder)."""


@dataclass(frozen=True, slots=True)
class SetFormResult:
    """Validated changes and the diff the admin saw."""

    changes: SetChanges
    diff: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SetPreview:
    """What the preview pane shows for the current form values."""

    changes: SetChanges | None
    line: str = ""
    diff: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()


def form_values(values: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """The form's fields as ``validate_form`` keys: ``ubc`` (``numproc=400:400 kmemsize=…``) becomes ``ubc.<name>``
    entries. Returns the values and the problems with the raw UBC text."""
    result = {key: value for key, value in values.items() if key != "ubc"}
    problems: list[str] = []
    for item in values.get("ubc", "").replace(",", " ").split():
        name, sep, value = item.partition("=")
        if not sep or not name or not value:
            problems.append(f"ubc: {item!r}: write resource=barrier:limit, e.g. numproc=400:400")
            continue
        result[f"ubc.{name.lower()}"] = value
    return result, problems


def preview(values: Mapping[str, str], ctid: int, conf_text: str | None, *, host_cpus: int | None = None) -> SetPreview:
    """Validate the form and, when it is valid and not empty, the ``vzctl set`` line and the config diff."""
    fields, problems = form_values(values)
    if problems:
        return SetPreview(None, errors=tuple(problems))
    changes, errors = validate_form(fields, host_cpus=host_cpus)
    if errors or changes is None:
        return SetPreview(None, errors=tuple(str(error) for error in errors))
    if changes.is_empty:
        return SetPreview(None, errors=("nothing to change yet",))
    try:
        line = display(vzctl_set(ctid, changes))
    except ValidationError as error:
        return SetPreview(None, errors=(str(error),))
    diff: tuple[str, ...] = ()
    if conf_text is not None:
        after = apply_set(conf_text, changes.to_request(ctid=ctid), host_cpus=host_cpus or 1, ctid=ctid)
        diff = tuple(config_diff(conf_text, after, old_name=f"{ctid}.conf", new_name=f"{ctid}.conf after set"))
        if not diff:
            diff = ("(vzctl will find nothing to change in the config)",)
    return SetPreview(changes, line, diff)


def current_value(field: str, raw: str) -> str:
    """A config value in the form's own units, for the placeholder: PHYSPAGES ``0:262144`` reads ``1G``."""
    parts = raw.split(":")
    if field in ("ram", "swap"):
        limit = parts[-1]
        return format_bytes(int(limit) * PAGE_SIZE) if limit.isdigit() else limit
    if not all(part.isdigit() for part in parts):
        return raw
    if field == "diskspace":
        return ":".join(format_kib(int(part)) for part in parts)
    return raw


class SetFormScreen(NoAutoLinks, ModalScreen[SetFormResult | None]):
    """Dismisses with the validated changes, or None on cancel. ``targets`` > 1: the same line runs on each."""

    CSS_PATH = "forms.tcss"
    DEFAULT_CLASSES = "ops-form"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", id="setform.cancel")]
    AUTO_FOCUS = "#ram"

    def __init__(
        self, cluster: ClusterApi, node: str, ctid: int, *, host_cpus: int | None = None, targets: int = 1
    ) -> None:
        super().__init__()
        self._cluster = cluster
        self.node = node
        self.ctid = ctid
        self.host_cpus = host_cpus
        self.targets = targets
        self.conf_text: str | None = None
        self.current: SetPreview = SetPreview(None, errors=("nothing to change yet",))

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="wide"):
            what = f"CT {self.ctid} on {self.node}"
            if self.targets > 1:
                what += f" (and {self.targets - 1} more: the same line runs on each)"
            yield Label(Text(f"Change settings: {clean(what)}"), id="heading")
            with Horizontal(id="columns"):
                with VerticalScroll(id="form"), Grid(id="fields"):
                    for field, label, _ in FIELDS:
                        yield Label(label)
                        yield Input(id=field, placeholder="numproc=400:400 …" if field == "ubc" else "")
                    yield Label("Start on boot")
                    yield Select([("yes", "yes"), ("no", "no")], id="onboot", prompt="(unchanged)")
                with VerticalScroll(id="preview"):
                    yield Static("", id="line")
                    yield Static(Text("reading the current config…"), id="diff")
            with Horizontal(id="buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Apply…", id="submit", variant="primary", disabled=True)

    def on_mount(self) -> None:
        self._load_config()

    @work(exclusive=True, group="setform-load")
    async def _load_config(self) -> None:
        try:
            raw = await self._cluster.transport(self.node).read_file(f"{CT_CONFIG_DIR}/{self.ctid}.conf")
            config = await self._cluster.read_ct_config(self.node, self.ctid)
        except (OSError, TransportError, ValueError) as error:
            self.query_one("#diff", Static).update(Text(f"the current config could not be read: {clean(str(error))}"))
            return
        self.conf_text = raw.decode("utf-8", errors="replace")
        self._show_current(config)
        self._refresh_preview()

    def _show_current(self, config: CtConfig) -> None:
        for field, _, key in FIELDS:
            value = config.get(key) if key else None
            if value and field != "ipadd":
                self.query_one(f"#{field}", Input).placeholder = f"now {clean(current_value(field, value))}"

    def values(self) -> dict[str, str]:
        values = {field: self.query_one(f"#{field}", Input).value for field, _, _ in FIELDS}
        onboot = self.query_one("#onboot", Select).value
        values["onboot"] = onboot if isinstance(onboot, str) else ""
        return values

    @on(Input.Changed)
    @on(Select.Changed)
    def _refresh_preview(self) -> None:
        self.current = preview(self.values(), self.ctid, self.conf_text, host_cpus=self.host_cpus)
        line = self.query_one("#line", Static)
        diff = self.query_one("#diff", Static)
        self.query_one("#submit", Button).disabled = self.current.changes is None
        if self.current.changes is None:
            line.update(Text("\n".join(clean(error) for error in self.current.errors), style="italic"))
            diff.update("")
            return
        line.update(Text(clean(self.current.line), style="bold"))
        text = diff_text(self.current.diff)
        diff.update(text if self.conf_text is not None else Text("the current config could not be read"))

    @on(Button.Pressed, "#submit")
    def _submit(self) -> None:
        if self.current.changes is not None:
            self.dismiss(SetFormResult(self.current.changes, self.current.diff))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
