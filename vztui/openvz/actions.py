"""The action catalogue shared by the UI and the CLI: what each container action is, when it applies, and its argv.

Each action is declared once here (no keys: bindings belong to the UI). ``build_argvs`` turns an action, a CTID and
its parameters into the exact command lines that will run, through the validated builders of ``commands``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from vztui.openvz import commands
from vztui.openvz.errors import ValidationError
from vztui.openvz.models import CtStatus
from vztui.openvz.presets import ISPBASIC, Preset, create_plan_argvs
from vztui.openvz.validate import SetChanges

RUNNING = CtStatus.RUNNING
STOPPED = CtStatus.STOPPED
MOUNTED = CtStatus.MOUNTED
SUSPENDED = CtStatus.SUSPENDED
_ANY = frozenset({RUNNING, STOPPED, MOUNTED, SUSPENDED})


class Target(StrEnum):
    """What an action acts on: an existing container, or a new one on a node."""

    CONTAINER = "container"
    NEW_CONTAINER = "new container"


@dataclass(frozen=True, slots=True)
class ActionSpec:
    """One action: its id and title, the CT states it applies to, and how careful the UI must be with it.

    ``mutating`` actions are impossible in read-only mode (the backend refuses them, not only the UI).
    ``typed_confirmation`` means the admin must type the CTID (or the count for bulk) to confirm.
    """

    id: str
    title: str
    allowed_states: frozenset[CtStatus]
    mutating: bool
    needs_confirmation: bool
    works_on_marks: bool
    destructive: bool = False
    typed_confirmation: bool = False
    interactive: bool = False
    """Needs the terminal (``vzctl enter``): the app suspends itself while it runs."""
    target: Target = Target.CONTAINER
    description: str = ""

    def allows(self, status: CtStatus) -> bool:
        return status in self.allowed_states

    def argvs(self, ctid: int | str, params: Mapping[str, object] | None = None) -> list[list[str]]:
        """The command lines this action runs for ``ctid`` (see ``build_argvs``)."""
        return build_argvs(self.id, ctid, params)

    def refusal(self, status: CtStatus) -> str | None:
        """Why this action is skipped for a CT in ``status`` (``"already running"``), or None when it applies."""
        if self.allows(status):
            return None
        return _REFUSALS.get((self.id, status)) or f"not possible while {status.value}"


_REFUSALS: Mapping[tuple[str, CtStatus], str] = MappingProxyType(
    {
        ("start", RUNNING): "already running",
        ("stop", STOPPED): "not running",
        ("stop", MOUNTED): "not running (mounted only)",
        ("stop", SUSPENDED): "suspended: resume or start it first",
        ("stop_fast", STOPPED): "not running",
        ("stop_fast", MOUNTED): "not running (mounted only)",
        ("stop_fast", SUSPENDED): "suspended: resume or start it first",
        ("mount", RUNNING): "running (already mounted)",
        ("mount", MOUNTED): "already mounted",
        ("umount", STOPPED): "not mounted",
        ("umount", RUNNING): "running: stop it first",
        ("suspend", STOPPED): "not running",
        ("suspend", SUSPENDED): "already suspended",
        ("resume", RUNNING): "already running",
        ("resume", STOPPED): "not suspended",
        ("destroy", RUNNING): "running: stop it first",
        ("destroy", MOUNTED): "mounted: unmount it first",
        ("destroy", SUSPENDED): "suspended: resume and stop it first",
        ("enter", STOPPED): "not running",
        ("exec", STOPPED): "not running",
        ("migrate", SUSPENDED): "suspended: resume it first",
    }
)


def _spec(
    id: str,
    title: str,
    states: frozenset[CtStatus],
    *,
    mutating: bool = True,
    confirm: bool = True,
    marks: bool = True,
    destructive: bool = False,
    typed: bool = False,
    interactive: bool = False,
    target: Target = Target.CONTAINER,
    description: str = "",
) -> ActionSpec:
    return ActionSpec(
        id=id,
        title=title,
        allowed_states=states,
        mutating=mutating,
        needs_confirmation=confirm,
        works_on_marks=marks,
        destructive=destructive,
        typed_confirmation=typed,
        interactive=interactive,
        target=target,
        description=description,
    )


_NOT_RUNNING = frozenset({STOPPED, MOUNTED, SUSPENDED})
_ON_DISK = frozenset({RUNNING, STOPPED, MOUNTED})

_SPECS = (
    _spec("start", "Start", _NOT_RUNNING, description="Start (a suspended CT is restored from its dump)"),
    _spec("stop", "Stop", frozenset({RUNNING}), description="Graceful halt; killed after 120 s"),
    _spec("stop_fast", "Stop (fast)", frozenset({RUNNING}), description="Kill at once, no clean shutdown"),
    _spec("restart", "Restart", _ON_DISK, description="Stop if running, then start"),
    _spec("mount", "Mount", frozenset({STOPPED}), description="Mount the private area without starting"),
    _spec("umount", "Unmount", frozenset({MOUNTED})),
    _spec("suspend", "Suspend", frozenset({RUNNING}), description="Checkpoint to the dump file and stop"),
    _spec("resume", "Resume", frozenset({SUSPENDED}), description="Restore from the dump file"),
    _spec(
        "destroy",
        "Destroy",
        frozenset({STOPPED}),
        destructive=True,
        typed=True,
        description="Delete the private area (the config is kept as CTID.conf.destroyed)",
    ),
    _spec("set", "Change settings", _ANY, description="vzctl set … --save, with a config diff preview"),
    _spec("snapshot_create", "Create snapshot", _ON_DISK, description="ploop snapshot of the current state"),
    _spec(
        "snapshot_switch",
        "Switch to snapshot",
        _ON_DISK,
        marks=False,
        destructive=True,
        description="Return to a snapshot; changes since then are lost",
    ),
    _spec("snapshot_delete", "Delete snapshot", _ON_DISK, marks=False, destructive=True),
    _spec("snapshot_mount", "Mount snapshot", _ON_DISK, marks=False, description="Read-only mount of a snapshot"),
    _spec("snapshot_umount", "Unmount snapshot", _ON_DISK, marks=False),
    _spec(
        "migrate",
        "Migrate",
        frozenset({RUNNING, STOPPED, MOUNTED}),
        description="vzmigrate to another node, offline or live, after a pre-flight check",
    ),
    _spec(
        "enter",
        "Enter (shell)",
        frozenset({RUNNING}),
        confirm=False,
        marks=False,
        interactive=True,
        description="Root shell inside the container",
    ),
    _spec("exec", "Run command", frozenset({RUNNING}), description="vzctl exec; output goes to the log pane"),
    _spec(
        "create",
        "Create container",
        frozenset(),
        marks=False,
        target=Target.NEW_CONTAINER,
        description="vzctl create from a preset, then the preset's set steps",
    ),
    _spec("status", "Status", _ANY, mutating=False, confirm=False, description="vzctl status"),
    _spec("snapshot_list", "List snapshots", _ON_DISK, mutating=False, confirm=False, marks=False),
    _spec("quota", "Disk quota", _ANY, mutating=False, confirm=False, marks=False, description="vzquota stat -t"),
    _spec("calc", "Resource usage", _ANY, mutating=False, confirm=False, marks=False, description="vzcalc -v"),
)

ACTIONS: Mapping[str, ActionSpec] = MappingProxyType({spec.id: spec for spec in _SPECS})
"""Every action by id, in menu order."""


def _text(params: Mapping[str, object], name: str) -> str:
    value = params.get(name)
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(name, "is required for this action")
    return value


def _optional_text(params: Mapping[str, object], name: str) -> str | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValidationError(name, "must be text")
    return value


def _flag(params: Mapping[str, object], name: str) -> bool:
    value = params.get(name, False)
    if not isinstance(value, bool):
        raise ValidationError(name, "must be true or false")
    return value


def _set(ctid: int | str, params: Mapping[str, object]) -> list[list[str]]:
    changes = params.get("changes")
    if not isinstance(changes, SetChanges):
        raise ValidationError("changes", "a validated SetChanges is required")
    return [commands.vzctl_set(ctid, changes, setmode=_optional_text(params, "setmode"))]


def _migrate(ctid: int | str, params: Mapping[str, object]) -> list[list[str]]:
    remove_area = params.get("remove_area")
    if remove_area is not None and not isinstance(remove_area, bool):
        raise ValidationError("remove_area", "must be true, false or unset")
    return [
        commands.vzmigrate(
            _text(params, "dest"),
            ctid,
            live=_flag(params, "live"),
            check_only=_flag(params, "check_only"),
            remove_area=remove_area,
            keep_dst=_flag(params, "keep_dst"),
        )
    ]


def _create(ctid: int | str, params: Mapping[str, object]) -> list[list[str]]:
    preset = params.get("preset", ISPBASIC)
    if not isinstance(preset, Preset):
        raise ValidationError("preset", "must be a Preset")
    ips = params.get("ips", ())
    if isinstance(ips, str) or not isinstance(ips, Sequence) or not all(isinstance(ip, str) for ip in ips):
        raise ValidationError("ips", "must be a list of addresses")
    host_cpus = params.get("host_cpus")
    return create_plan_argvs(
        ctid,
        ostemplate=_text(params, "ostemplate"),
        layout=_optional_text(params, "layout") or "ploop",
        hostname=_optional_text(params, "hostname"),
        ips=[str(ip) for ip in ips],
        preset=preset,
        host_cpus=host_cpus if isinstance(host_cpus, int) else None,
    )


_Builder = Callable[[int | str, Mapping[str, object]], list[list[str]]]

BUILDERS: Mapping[str, _Builder] = MappingProxyType(
    {
        "start": lambda ctid, p: [commands.vzctl_start(ctid, wait=_flag(p, "wait"), force=_flag(p, "force"))],
        "stop": lambda ctid, p: [commands.vzctl_stop(ctid)],
        "stop_fast": lambda ctid, p: [commands.vzctl_stop(ctid, fast=True)],
        "restart": lambda ctid, p: [commands.vzctl_restart(ctid, wait=_flag(p, "wait"), fast=_flag(p, "fast"))],
        "mount": lambda ctid, p: [commands.vzctl_mount(ctid)],
        "umount": lambda ctid, p: [commands.vzctl_umount(ctid)],
        "suspend": lambda ctid, p: [commands.vzctl_suspend(ctid)],
        "resume": lambda ctid, p: [commands.vzctl_resume(ctid)],
        "destroy": lambda ctid, p: [commands.vzctl_destroy(ctid)],
        "set": _set,
        "snapshot_create": lambda ctid, p: [
            commands.vzctl_snapshot(
                ctid,
                name=_optional_text(p, "name"),
                description=_optional_text(p, "description"),
                skip_suspend=_flag(p, "skip_suspend"),
            )
        ],
        "snapshot_switch": lambda ctid, p: [
            commands.vzctl_snapshot_switch(ctid, _text(p, "uuid"), skip_resume=_flag(p, "skip_resume"))
        ],
        "snapshot_delete": lambda ctid, p: [commands.vzctl_snapshot_delete(ctid, _text(p, "uuid"))],
        "snapshot_mount": lambda ctid, p: [commands.vzctl_snapshot_mount(ctid, _text(p, "uuid"), _text(p, "target"))],
        "snapshot_umount": lambda ctid, p: [commands.vzctl_snapshot_umount(ctid, _text(p, "uuid"))],
        "migrate": _migrate,
        "enter": lambda ctid, p: [commands.vzctl_enter(ctid)],
        "exec": lambda ctid, p: [commands.vzctl_exec(ctid, _text(p, "command"), exec2=_flag(p, "exec2"))],
        "create": _create,
        "status": lambda ctid, p: [commands.vzctl_status(ctid)],
        "snapshot_list": lambda ctid, p: [commands.vzctl_snapshot_list(ctid)],
        "quota": lambda ctid, p: [commands.vzquota_stat(ctid, times=True)],
        "calc": lambda ctid, p: [commands.vzcalc(ctid, verbose=True)],
    }
)


def build_argvs(action_id: str, ctid: int | str, params: Mapping[str, object] | None = None) -> list[list[str]]:
    """The exact command lines ``action_id`` runs for ``ctid`` (several for ``create``).

    Raises ``ValidationError`` for an unknown action or a bad/missing parameter: nothing is built from it.
    """
    builder = BUILDERS.get(action_id)
    if builder is None:
        raise ValidationError("action", f"unknown action {action_id!r}")
    return builder(ctid, params or {})


def mutating_action_ids() -> frozenset[str]:
    """Ids the backend must refuse in read-only mode."""
    return frozenset(spec.id for spec in ACTIONS.values() if spec.mutating)
