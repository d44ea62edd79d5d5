"""ploop-only commands: snapshot, snapshot-switch/-delete/-mount/-umount/-list, convert and compact.

Snapshot records live in the node's runtime state (``CtRuntime.snapshots``, UUIDs with braces); each snapshot also
keeps a copy of the CT config (``<private>/dump/{uuid}.ve.conf``) and, when taken from a running CT, a dump
(``<private>/dump/{uuid}``), as snapshot.c does, so ``snapshot-switch`` can roll both back and resume.
"""

from __future__ import annotations

import re
import shutil
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from vztui.openvz.conf import save_config
from vztui.openvz.setparams import SetRequest
from vztui.sim.state import SnapshotRecord
from vztui.sim.vzctl import fsops, lifecycle
from vztui.sim.vzctl.context import Invocation, VzctlExit
from vztui.sim.vzctl.getopt import GetoptLong, LongOpt, Opt, extra_arguments_message
from vztui.sim.vzctl.timing import jitter, pause

_GUID = re.compile(r"^\{?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\}?$")
NOT_PLOOP = "Snapshot feature is only available for ploop-based CTs"

CREATE_OPTIONS = (
    LongOpt("id", True, "id"),
    LongOpt("uuid", True, "id"),
    LongOpt("name", True, "name"),
    LongOpt("description", True, "description"),
    LongOpt("skip-suspend", False, "skip-suspend"),
    LongOpt("skip-config", False, "skip-config"),
)
SWITCH_OPTIONS = (
    LongOpt("id", True, "id"),
    LongOpt("uuid", True, "id"),
    LongOpt("skip_arpdetect", False, "skip_arpdetect"),
    LongOpt("skip-resume", False, "skip-resume"),
    LongOpt("skip-config", False, "skip-config"),
    LongOpt("must-resume", False, "must-resume"),
)
ID_OPTIONS = (LongOpt("id", True, "id"), LongOpt("uuid", True, "id"))
MOUNT_OPTIONS = (*ID_OPTIONS, LongOpt("target", True, "target"))
LAYOUT_OPTIONS = (
    LongOpt("layout", True, "layout"),
    LongOpt("ve_layout", True, "layout"),
    LongOpt("velayout", True, "layout"),
)
LIST_OPTIONS = (
    LongOpt("no-header", False, "H"),
    LongOpt("output", True, "o"),
    LongOpt("help", False, "h"),
    LongOpt("uuid", True, "u"),
    LongOpt("id", True, "u"),
    LongOpt("list", False, "L"),
)
LIST_FIELDS: tuple[tuple[str, str, int, str], ...] = (
    ("uuid", "UUID", 38, "-"),
    ("id", "UUID", 38, "-"),
    ("parent_uuid", "PARENT_UUID", 38, "-"),
    ("parent_id", "PARENT_UUID", 38, "-"),
    ("current", "C", 1, ""),
    ("date", "DATE", 19, "-"),
    ("name", "NAME", 32, "-"),
    ("desc", "DESC", 32, "-"),
    ("device", "DEVICE", 16, "-"),
    ("target", "TARGET", 32, "-"),
)
DEFAULT_FIELDS = "parent_uuid,current,uuid,date,name"


@dataclass(slots=True)
class SnapshotOptions:
    guid: str | None = None
    name: str = ""
    description: str = ""
    skip_suspend: bool = False
    skip_config: bool = False
    skip_resume: bool = False
    must_resume: bool = False
    target: str | None = None
    layout: str | None = None


def normalize_guid(text: str) -> str | None:
    """``vzctl_get_normalized_guid``: accept the GUID with or without braces, return it with braces."""
    match = _GUID.match(text)
    return "{" + match.group(1) + "}" if match else None


def _parse(inv: Invocation, args: Sequence[str], table: Sequence[LongOpt]) -> SnapshotOptions:
    """``parse_opt`` for the snapshot commands: getopt errors and bad values exit 21, extra words 20."""
    options = SnapshotOptions()
    parser = GetoptLong(args, table, "e:p:f:t:i:l:k:a:b:n:x:h")
    for item in parser:
        if not isinstance(item, Opt):
            inv.console.raw_err(item.message + "\n")
            raise VzctlExit(21)
        value = item.value or ""
        if item.key == "id":
            guid = normalize_guid(value)
            if guid is None:
                raise inv.fail(21, f"Bad parameter for --{item.name}: {value}")
            options.guid = guid
        elif item.key == "layout":
            if not (value == "simfs" or value.split(":", 1)[0] == "ploop"):
                raise inv.fail(21, f"Bad parameter for --{item.name}: {value}")
            options.layout = value
        elif item.key in {"name", "description", "target"}:
            setattr(options, item.key, value)
        elif item.long:
            setattr(options, item.key.replace("-", "_"), True)
    if parser.positional:
        inv.console.raw_err(extra_arguments_message(parser.positional) + "\n")
        raise VzctlExit(20)
    return options


def prepare(inv: Invocation, args: Sequence[str]) -> Callable[[Invocation], int]:
    command = inv.command
    if command == "snapshot-list":
        return lambda inv: snapshot_list(inv, list(args))
    if command == "compact":
        from vztui.sim.vzctl.basic import reject_options

        reject_options(inv, args)
        return compact
    table = {
        "snapshot": CREATE_OPTIONS,
        "snapshot-switch": SWITCH_OPTIONS,
        "snapshot-delete": ID_OPTIONS,
        "snapshot-umount": ID_OPTIONS,
        "snapshot-mount": MOUNT_OPTIONS,
        "convert": LAYOUT_OPTIONS,
    }[command]
    options = _parse(inv, args, table)
    if command in {"snapshot-switch", "snapshot-delete", "snapshot-umount", "snapshot-mount"} and options.guid is None:
        raise inv.fail(20, "Invalid syntax: snapshot id is missing")
    if command == "snapshot-switch" and options.skip_resume and options.must_resume:
        raise inv.fail(20, "Invalid syntax: --skip-resume and --must-resume can not be used together")
    if command == "snapshot-mount" and options.target is None:
        raise inv.fail(20, "Invalid syntax: mount target is missing")
    runner = {
        "snapshot": create,
        "snapshot-switch": switch,
        "snapshot-delete": delete,
        "snapshot-mount": mount,
        "snapshot-umount": umount,
        "convert": convert,
    }[command]
    return lambda inv: runner(inv, options)


def _supported(inv: Invocation) -> bool:
    if not inv.is_ploop:
        inv.error(NOT_PLOOP)
        return False
    return fsops.check_ploop(inv) == 0


def _snap_dir(inv: Invocation) -> str:
    return f"{inv.private}/dump"


def _find(inv: Invocation, guid: str) -> SnapshotRecord | None:
    for record in inv.runtime().snapshots:
        if record.uuid == guid:
            return record
    return None


def create(inv: Invocation, options: SnapshotOptions) -> int:
    """``vzctl snapshot``: a running CT is suspended around the snapshot and its memory dumped beside it."""
    if not _supported(inv):
        return 156
    guid = options.guid or "{" + str(uuid.uuid4()) + "}"
    inv.info(f"Creating snapshot {guid}")
    if _find(inv, guid) is not None:
        inv.error(f"Failed to create snapshot: snapshot {guid} already exists [38]")
        inv.error("Failed to create snapshot")
        return 156
    snap_dir = inv.host(_snap_dir(inv))
    if not options.skip_config and inv.conf_text is not None:
        snap_dir.mkdir(parents=True, exist_ok=True)
        (snap_dir / f"{guid}.ve.conf").write_text(inv.conf_text, encoding="utf-8")
    running = inv.is_running() and not options.skip_suspend
    if running:
        inv.info("Setting up checkpoint...")
        inv.info("\tsuspend...")
        inv.info("\tget context...")
        inv.info("Checkpointing completed successfully")
    runtime = inv.runtime()
    image = f"{inv.private}/root.hdd/root.hdd"
    if runtime.mounted and runtime.ploop_minor is not None:
        inv.info(f"Creating snapshot dev=/dev/ploop{runtime.ploop_minor} img={image}.{guid}")
    else:
        inv.info(f"Creating delta {image}.{guid} bs=2048 size={_sectors(inv)} sectors v2")
    pause(jitter(0.4, 1.0))
    if running:
        inv.info("Setting up checkpoint...")
        inv.info("\tjoin context..")
        inv.info("\tdump...")
        snap_dir.mkdir(parents=True, exist_ok=True)
        uptime = inv.node.now() - runtime.started_at if runtime.started_at else 0.0
        (snap_dir / guid).write_text(f"CPT dump of CT {inv.ctid}\nuptime {uptime:.3f}\n", encoding="ascii")
        pause(jitter(0.4, 1.0))
        inv.info("Checkpointing completed successfully")
        inv.info("Resuming...")
    with inv.node.transaction() as state:
        record = state.ct(inv.ctid)
        record.snapshots.append(
            SnapshotRecord(
                uuid=guid,
                parent_uuid=record.current_snapshot,
                date=time.strftime("%Y-%m-%d %H:%M:%S"),
                name=options.name,
                desc=options.description,
            )
        )
        record.current_snapshot = guid
    inv.info(f"Snapshot {guid} has been successfully created")
    return 0


def _sectors(inv: Invocation) -> int:
    from vztui.sim.vzctl.create import _diskspace

    return _diskspace(SetRequest(), inv) * 2


def switch(inv: Invocation, options: SnapshotOptions) -> int:
    """``vzctl snapshot-switch``: roll the disk (and config) back; resume from the snapshot's dump if it has one."""
    assert options.guid is not None
    guid = options.guid
    if not _supported(inv):
        return 159
    if _find(inv, guid) is None:
        inv.error(f"Unable to find snapshot by uuid {guid}")
        inv.error(f"Failed to switch to snapshot {guid}")
        return 159
    dump = f"{_snap_dir(inv)}/{guid}"
    has_dump = inv.host(dump).is_file()
    if options.must_resume and not has_dump:
        inv.error("Error: no dump in snapshot, unable to resume")
        inv.error(f"Failed to switch to snapshot {guid}")
        return 159
    inv.info(f"Switching to snapshot {guid}")
    running = inv.is_running()
    if running:
        inv.info("Setting up checkpoint...")
        inv.info("\tsuspend...")
        inv.info("\tget context...")
        inv.info("Checkpointing completed successfully")
    elif inv.runtime().mounted:
        fsops.unmount_lines(inv)
        inv.info("Container is unmounted")
    pause(jitter(0.5, 1.2))
    saved_conf = inv.host(f"{_snap_dir(inv)}/{guid}.ve.conf")
    if saved_conf.is_file() and not options.skip_config:
        inv.node.write_config_text(inv.ctid, saved_conf.read_text(encoding="utf-8", errors="replace"))
        inv.reload_conf()
    if running:
        inv.info("Killing...")
        lifecycle.mark_stopped(inv)
        fsops.unmount_lines(inv)
        inv.info("Container is unmounted")
    with inv.node.transaction() as state:
        state.ct(inv.ctid).current_snapshot = guid
    if has_dump and not options.skip_resume:
        restored = inv.host(inv.dump_file)
        restored.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(inv.host(dump), restored)
        code = lifecycle.restore(inv, inv.dump_file)
        if code:
            if options.must_resume:
                inv.error("Error: failed to resume CT")
                inv.error(f"Failed to switch to snapshot {guid}")
                return 159
            inv.info("Warning: failed to resume CT, ignoring (use --must-resume to treat as error)")
    inv.info("Container has been successfully switched to another snapshot")
    return 0


def delete(inv: Invocation, options: SnapshotOptions) -> int:
    assert options.guid is not None
    guid = options.guid
    if not _supported(inv):
        return 158
    record = _find(inv, guid)
    if record is None:
        inv.error(f"Unable to find snapshot by uuid {guid}")
        inv.error(f"Failed to delete snapshot {guid}")
        return 158
    inv.info(f"Deleting snapshot {guid}")
    pause(jitter(0.3, 0.8))
    if record.uuid == inv.runtime().current_snapshot or any(
        other.parent_uuid == guid for other in inv.runtime().snapshots
    ):
        inv.info("Merging top delta")
    with inv.node.transaction() as state:
        runtime = state.ct(inv.ctid)
        removed = next(item for item in runtime.snapshots if item.uuid == guid)
        runtime.snapshots = [item for item in runtime.snapshots if item.uuid != guid]
        for item in runtime.snapshots:
            if item.parent_uuid == guid:
                item.parent_uuid = removed.parent_uuid
        if runtime.current_snapshot == guid:
            runtime.current_snapshot = removed.parent_uuid
        runtime.snapshot_mounts.pop(guid, None)
    for suffix in ("", ".ve.conf"):
        inv.host(f"{_snap_dir(inv)}/{guid}{suffix}").unlink(missing_ok=True)
    inv.info(f"ploop snapshot {guid} has been successfully deleted")
    inv.info(f"Snapshot {guid} has been successfully deleted")
    return 0


def mount(inv: Invocation, options: SnapshotOptions) -> int:
    assert options.guid is not None and options.target is not None
    guid, target = options.guid, options.target
    if not _supported(inv):
        return 160
    if _find(inv, guid) is None:
        inv.error(f"Unable to find snapshot by uuid {guid}")
        return 160
    inv.info(f"Mounting snapshot {guid} to {target}")
    state_minor = 0
    with inv.node.transaction() as state:
        state_minor = inv.node.allocate_ploop_minor(state, inv.ctid)
        state.ct(inv.ctid).snapshot_mounts[guid] = target
    image = f"{inv.private}/root.hdd/root.hdd"
    inv.info(f"Opening delta {image}")
    inv.info(f"Adding delta dev=/dev/ploop{state_minor} img={image} (ro)")
    inv.info(f"Mounting /dev/ploop{state_minor}p1 at {target} fstype=ext4 data='' ")
    inv.host(target).mkdir(parents=True, exist_ok=True)
    return 0


def umount(inv: Invocation, options: SnapshotOptions) -> int:
    assert options.guid is not None
    guid = options.guid
    if not _supported(inv):
        return 161
    inv.info(f"Umounting snapshot {guid}")
    target = inv.runtime().snapshot_mounts.get(guid)
    if target is None:
        inv.error(f"Failed to umount snapshot: snapshot {guid} is not mounted")
        return 161
    with inv.node.transaction() as state:
        state.ct(inv.ctid).snapshot_mounts.pop(guid, None)
    inv.info(f"Unmounting file system at {target}")
    return 0


def snapshot_list(inv: Invocation, args: list[str]) -> int:
    """``vzctl snapshot-list``: fixed-width columns, the last one bare; only the header when there are none."""
    out = inv.console
    no_header = False
    output: str | None = None
    guid: str | None = None
    parser = GetoptLong(args, LIST_OPTIONS, "HhLo:u:")
    usage = (
        "vzctl snapshot-list <ctid|name> [-H] [-o field[,field...]] [--id <uuid>]\n"
        "vzctl snapshot-list <ctid|name> -L | --list\n"
    )
    for item in parser:
        if not isinstance(item, Opt):
            out.raw_err(item.message + "\n")
            out.raw_err(usage)
            return 20
        if item.key == "H":
            no_header = True
        elif item.key == "o":
            output = item.value
        elif item.key == "u":
            guid = normalize_guid(item.value or "")
            if guid is None:
                out.raw_err(f"Invalid guid is specified: {item.value}\n")
                return 21
        elif item.key == "h":
            out.raw_out(usage)
            return 0
        elif item.key == "L":
            for name, header, _width, _align in LIST_FIELDS:
                out.raw_out(f"{name:<15} {header:<15}\n")
            return 0
    if parser.positional:
        out.raw_err("non-option ARGV-elements: " + "".join(f"{word} " for word in parser.positional) + "\n")
        return 20
    fields: list[tuple[str, str, int, str]] = []
    by_name = {field[0]: field for field in LIST_FIELDS}
    for name in (output if output is not None else DEFAULT_FIELDS).split(","):
        field = by_name.get(name.lower())
        if field is None:
            out.raw_err(f"Unknown field: {name}\n")
            return 21
        fields.append(field)
    if not _supported(inv):
        return 167
    runtime = inv.runtime()
    records = list(runtime.snapshots)
    if guid is not None and records:
        chain: list[SnapshotRecord] = []
        index = {record.uuid: record for record in records}
        wanted: str | None = guid
        while wanted:
            record = index.get(wanted)
            if record is None:
                out.raw_err(f"Can't find snapshot by uuid {wanted}\n")
                return 21
            chain.append(record)
            wanted = record.parent_uuid
        records = chain
    if not no_header:
        out.raw_out(" ".join(_cell(header, width, align) for _n, header, width, align in fields) + "\n")
    for record in records:
        cells = [_value(inv, record, name, runtime.current_snapshot) for name, _h, _w, _a in fields]
        line = " ".join(
            _cell(cell, width, align) for cell, (_n, _h, width, align) in zip(cells[:-1], fields[:-1], strict=True)
        )
        out.raw_out((line + " " if line else "") + cells[-1] + "\n")
    return 0


def _cell(text: str, width: int, align: str) -> str:
    return f"{text:<{width}}" if align == "-" else f"{text:>{width}}"


def _value(inv: Invocation, record: SnapshotRecord, name: str, current: str) -> str:
    if name in {"uuid", "id"}:
        return record.uuid
    if name in {"parent_uuid", "parent_id"}:
        return record.parent_uuid
    if name == "current":
        return "*" if record.uuid == current else ""
    if name == "date":
        return record.date
    if name == "name":
        return record.name
    if name == "desc":
        return record.desc
    target = inv.runtime().snapshot_mounts.get(record.uuid, "")
    if name == "target":
        return target
    return f"/dev/ploop{inv.runtime().ploop_minor}" if target and inv.runtime().ploop_minor else ""


def convert(inv: Invocation, options: SnapshotOptions) -> int:
    """``vzctl convert``: simfs → ploop for a stopped, unmounted CT with DISKSPACE set."""
    layout = options.layout or "ploop"
    if layout.split(":", 1)[0] != "ploop":
        raise inv.fail(21, "Only conversion to ploop is supported")
    if inv.is_ploop:
        inv.info("CT is already on ploop")
        return 0
    code = fsops.check_ploop(inv)
    if code:
        return code
    if inv.is_running():
        raise inv.fail(32, "CT is running (stop it first)")
    if inv.is_mounted():
        raise inv.fail(41, "CT is mounted (umount it first)")
    from vztui.sim.vzctl.create import _diskspace

    size = _diskspace(SetRequest(), inv)
    if size <= 0:
        raise inv.fail(63, "Error: diskspace not set")
    new_private = f"{inv.private}.ploop"
    image = f"{new_private}/root.hdd/root.hdd"
    minor = inv.node.allocate_ploop_minor(inv.node.read_state(), inv.ctid)
    inv.info(f"Creating image: {image} size={size}K")
    inv.info(f"Creating delta {image} bs=2048 size={size * 2} sectors v2")
    inv.info(f"Adding delta dev=/dev/ploop{minor} img={image} (rw)")
    pause(jitter(0.5, 1.0))
    inv.info(f"Storing {new_private}/root.hdd/DiskDescriptor.xml")
    inv.info(f"Opening delta {image}")
    inv.info(f"Adding delta dev=/dev/ploop{minor} img={image} (rw)")
    inv.info(f"Mounting /dev/ploop{minor}p1 at {inv.root} fstype=ext4 data='balloon_ino=12,' ")
    inv.info("Copying content to ploop...")
    pause(jitter(1.0, 3.0))
    inv.info(f"Unmounting file system at {inv.root}")
    inv.info(f"Unmounting device /dev/ploop{minor}")
    ostemplate = inv.value("OSTEMPLATE", "")
    inv.node.remove_private_area(inv.private)
    inv.node.make_private_area(
        inv.ctid, inv.private, layout="ploop", ostemplate=ostemplate, diskspace_kib=size, hostname=""
    )
    inv.host(fsops.quota_file(inv.ctid)).unlink(missing_ok=True)
    result = save_config(inv.conf_text or "", SetRequest(layout="ploop"), ctid=inv.ctid)
    inv.node.write_config_text(inv.ctid, result.text)
    inv.reload_conf()
    inv.info("Container was successfully converted to the ploop layout")
    return 0


def compact(inv: Invocation) -> int:
    """``vzctl compact``: ``ploop balloon discard`` on the image (mounted temporarily if needed)."""
    if not inv.private_exists():
        raise inv.fail(43, f"Container private area {inv.private} does not exist")
    if not inv.is_ploop:
        inv.info("Compact only makes sense for ploop containers")
        return 0
    mounted = inv.runtime().mounted
    if not mounted:
        code = fsops.mount(inv)
        if code:
            return code
    inv.console.debug(f"Executing ploop balloon discard {inv.private}/root.hdd/DiskDescriptor.xml")
    minlen = 32 * 1024 * 1024
    while minlen >= 1024 * 1024:
        # ploop_trim's FITRIM passes are logged at verbosity 1 only.
        inv.console.debug(f"Call FITRIM, for minlen={minlen}")
        pause(jitter(0.1, 0.3))
        minlen //= 2
    if not mounted:
        fsops.unmount_lines(inv)
        inv.info("Container is unmounted")
    return 0
