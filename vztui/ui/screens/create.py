"""The create form (the seed panel's main flow): node, CTID, OS template, layout, hostname, IPs and preset, checked
against the whole cluster before the ``vzctl create`` plan is built.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from vztui.backend.operation import Operation
from vztui.backend.plans import action_requests, write_sample_request
from vztui.backend.snapshot import NodeHealth, NodeSnapshot
from vztui.openvz.actions import ACTIONS
from vztui.openvz.errors import ValidationError
from vztui.openvz.models import NodeInfo
from vztui.openvz.presets import Preset, create_plan
from vztui.openvz.validate import validate_ctid, validate_hostname, validate_ip, validate_layout, validate_template
from vztui.ui.action_plan import ActionPlan, TargetPlan
from vztui.ui.backend_api import ClusterApi
from vztui.ui.no_links import NoAutoLinks
from vztui.ui.state.text import clean

FIRST_FREE_CTID = 101
LAYOUTS = ("ploop", "simfs")


@dataclass(frozen=True, slots=True)
class CreateRequest:
    """A validated create form: everything ``create_plan`` needs."""

    node: str
    ctid: int
    ostemplate: str
    layout: str
    preset: Preset
    hostname: str | None = None
    ips: tuple[str, ...] = ()


def next_free_ctid(snapshots: Mapping[str, NodeSnapshot], pending: Collection[int] = ()) -> int:
    """One above the highest CTID anywhere in the cluster or being created (never below 101), so IDs stay unique
    cluster-wide even for back-to-back creates the next poll has not seen yet."""
    taken = [ctid for snapshot in snapshots.values() for ctid in snapshot.containers]
    return max([FIRST_FREE_CTID - 1, *taken, *pending]) + 1


def pending_creates(operations: Iterable[Operation]) -> dict[int, str]:
    """CTID → node of every create still queued or running."""
    return {
        ctid: op.node for op in operations if op.request.kind == "create" and not op.state.finished for ctid in op.ctids
    }


def ctid_owner(snapshots: Mapping[str, NodeSnapshot], ctid: int) -> str | None:
    return next((node for node, snapshot in snapshots.items() if ctid in snapshot.containers), None)


def ip_owners(snapshots: Mapping[str, NodeSnapshot]) -> dict[str, str]:
    """Every address in use → ``102 on hn1`` (addresses compared without their /prefix)."""
    owners: dict[str, str] = {}
    for node, snapshot in snapshots.items():
        for ctid, container in snapshot.containers.items():
            for address in container.ips:
                owners.setdefault(_bare(address), f"{ctid} on {node}")
    return owners


def _bare(address: str) -> str:
    text = address.split("/", 1)[0]
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return text


def validate_create(
    values: Mapping[str, str],
    snapshots: Mapping[str, NodeSnapshot],
    infos: Mapping[str, NodeInfo | None],
    presets: Mapping[str, Preset],
    pending: Mapping[int, str] | None = None,
) -> tuple[CreateRequest | None, dict[str, str]]:
    """The form's raw strings → a request, or None and an error message per field (empty values are skipped)."""
    errors: dict[str, str] = {}
    node = values.get("node", "")
    snapshot = snapshots.get(node)
    if snapshot is None:
        errors["node"] = "choose a node"
    elif snapshot.health is not NodeHealth.UP:
        errors["node"] = f"{node} is {snapshot.health.value}"
    ctid = 0
    try:
        ctid = validate_ctid(values.get("ctid", ""))
        owner = ctid_owner(snapshots, ctid)
        if owner is not None:
            errors["ctid"] = f"CTID {ctid} already exists on {owner}"
        elif pending and ctid in pending:
            errors["ctid"] = f"CTID {ctid} is being created on {pending[ctid]}"
    except ValidationError as error:
        errors["ctid"] = error.message
    ostemplate = values.get("ostemplate", "").strip()
    info = infos.get(node)
    if not ostemplate:
        errors["ostemplate"] = "choose an OS template"
    else:
        try:
            validate_template(ostemplate)
            if info is not None and info.templates and ostemplate not in info.templates:
                errors["ostemplate"] = f"{ostemplate} is not in {node}'s template cache"
        except ValidationError as error:
            errors["ostemplate"] = error.message
    layout = values.get("layout", "").strip() or "ploop"
    try:
        validate_layout(layout)
    except ValidationError as error:
        errors["layout"] = error.message
    hostname = values.get("hostname", "").strip() or None
    if hostname is not None:
        try:
            validate_hostname(hostname)
        except ValidationError as error:
            errors["hostname"] = error.message
    ips = _validate_ips(values.get("ips", ""), snapshots, errors)
    preset = presets.get(values.get("preset", ""))
    if preset is None:
        errors["preset"] = "choose a preset"
    if errors or preset is None:
        return None, errors
    return CreateRequest(node, ctid, ostemplate, layout, preset, hostname, ips), {}


def _validate_ips(text: str, snapshots: Mapping[str, NodeSnapshot], errors: dict[str, str]) -> tuple[str, ...]:
    owners = ip_owners(snapshots)
    addresses: list[str] = []
    for item in text.replace(",", " ").split():
        try:
            address = validate_ip(item, field="ips")
        except ValidationError as error:
            errors["ips"] = error.message
            return ()
        bare = _bare(address)
        if bare in owners:
            errors["ips"] = f"{address} is already used by {owners[bare]}"
            return ()
        if any(_bare(known) == bare for known in addresses):
            errors["ips"] = f"{address} is given twice"
            return ()
        addresses.append(address)
    return tuple(addresses)


def plan_create(
    request: CreateRequest,
    info: NodeInfo | None,
    *,
    root_prefix: str = "",
    protected: bool = False,
    host_cpus: int | None = None,
) -> ActionPlan:
    """The seed's create sequence as one plan, preceded by writing the preset's sample when the node lacks it."""
    spec = ACTIONS["create"]
    steps = create_plan(
        request.ctid,
        ostemplate=request.ostemplate,
        layout=request.layout,
        hostname=request.hostname,
        ips=request.ips,
        preset=request.preset,
        host_cpus=host_cpus,
    )
    requests = action_requests(spec, request.node, request.ctid, steps)
    title = f"Create CT {request.ctid} on {request.node} ({request.preset.name}, {len(requests)} steps)"
    if info is None or request.preset.sample_name not in info.samples:
        requests.insert(0, write_sample_request(request.node, request.ctid, request.preset, root_prefix))
        title += f", writing the missing {request.preset.sample_filename} first"
    target = TargetPlan(request.node, request.ctid, tuple(requests))
    return ActionPlan(spec, (target,), protected=protected, title=title)


class CreateScreen(NoAutoLinks, ModalScreen[CreateRequest | None]):
    """Dismisses with a validated ``CreateRequest``, or None on cancel. Errors stay beside their field."""

    CSS_PATH = "forms.tcss"
    DEFAULT_CLASSES = "ops-form"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", id="create.cancel")]
    AUTO_FOCUS = "#ctid"

    def __init__(self, cluster: ClusterApi, node: str | None, presets: Mapping[str, Preset]) -> None:
        super().__init__()
        self._cluster = cluster
        self._presets = presets
        snapshots = cluster.snapshots()
        up = [name for name, snap in snapshots.items() if snap.health is NodeHealth.UP]
        fallback = up[0] if up else (cluster.nodes[0] if cluster.nodes else "")
        self._node: str = node if node is not None and node in snapshots else fallback

    def compose(self) -> ComposeResult:
        snapshots = self._cluster.snapshots()
        info = self._cluster.node_info(self._node)
        with Vertical(id="dialog"):
            yield Label("Create container", id="heading")
            with Grid(id="fields"):
                yield Label("Node")
                nodes = [(Text(clean(name)), name) for name in self._cluster.nodes]
                yield Select(nodes, value=self._node or Select.BLANK, id="node", allow_blank=not self._node)
                yield Label("CTID")
                pending = pending_creates(self._cluster.operations())
                yield Input(str(next_free_ctid(snapshots, pending)), id="ctid")
                yield Label("OS template")
                yield Select(self._template_options(info), id="ostemplate", prompt="(template cache)")
                yield Label("Layout")
                default_layout = info.vz.ve_layout if info is not None and info.vz.ve_layout in LAYOUTS else "ploop"
                yield Select([(name, name) for name in LAYOUTS], value=default_layout, id="layout", allow_blank=False)
                yield Label("Hostname")
                yield Input(placeholder="optional, e.g. web1.example.com", id="hostname")
                yield Label("IP addresses")
                yield Input(placeholder="optional, space separated", id="ips")
                yield Label("Preset")
                names = list(self._presets)
                yield Select([(name, name) for name in names], value=names[0] if names else Select.BLANK, id="preset")
            yield Static(self._preset_text(names[0] if names else None), id="preset-info")
            yield Static("", id="errors")
            with Horizontal(id="buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Create…", id="submit", variant="primary")

    def _template_options(self, info: NodeInfo | None) -> list[tuple[Text, str]]:
        """Template names come from the node's cache directory: shown as plain text, never as markup."""
        return [(Text(clean(name)), name) for name in (info.templates if info is not None else ())]

    def _preset_text(self, name: str | None) -> Text:
        preset = self._presets.get(name) if name else None
        if preset is None:
            return Text("")
        count = sum(1 for _, value in preset.params if value)
        what = preset.description or ", ".join(f"{option} {value}" for option, value in preset.params[:4] if value)
        return Text(clean(f"{what} ({count} settings)"), style="italic", no_wrap=True, overflow="ellipsis")

    @on(Select.Changed, "#preset")
    def _preset_changed(self, event: Select.Changed) -> None:
        name = event.value if isinstance(event.value, str) else None
        self.query_one("#preset-info", Static).update(self._preset_text(name))

    @on(Select.Changed, "#node")
    def _node_changed(self, event: Select.Changed) -> None:
        if not isinstance(event.value, str) or event.value == self._node:
            return
        self._node = event.value
        info = self._cluster.node_info(event.value)
        self.query_one("#ostemplate", Select).set_options(self._template_options(info))

    def values(self) -> dict[str, str]:
        def selected(widget_id: str) -> str:
            value = self.query_one(widget_id, Select).value
            return value if isinstance(value, str) else ""

        return {
            "node": selected("#node"),
            "ctid": self.query_one("#ctid", Input).value,
            "ostemplate": selected("#ostemplate"),
            "layout": selected("#layout"),
            "hostname": self.query_one("#hostname", Input).value,
            "ips": self.query_one("#ips", Input).value,
            "preset": selected("#preset"),
        }

    @on(Button.Pressed, "#submit")
    @on(Input.Submitted)
    def _submit(self) -> None:
        infos = {name: self._cluster.node_info(name) for name in self._cluster.nodes}
        pending = pending_creates(self._cluster.operations())
        request, errors = validate_create(self.values(), self._cluster.snapshots(), infos, self._presets, pending)
        if request is None:
            text = "\n".join(f"{field}: {clean(message)}" for field, message in errors.items())
            self.query_one("#errors", Static).update(Text(text))
            return
        self.dismiss(request)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
