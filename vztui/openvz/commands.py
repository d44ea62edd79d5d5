"""argv builders for every OpenVZ tool vztui runs. Each validates first: a refused value never becomes an argv.

The same list feeds the confirmation dialog, the journal and the transport, so what the admin approved is what
runs. ``display`` is the only place an argv becomes a string (``shlex.join``).
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence

from vztui.openvz.errors import ValidationError
from vztui.openvz.resources import RESOURCE_NAMES, RESOURCES
from vztui.openvz.setparams import SetParamError, parse_set_args
from vztui.openvz.units import Unit
from vztui.openvz.validate import (
    SetChanges,
    validate_barrier_limit,
    validate_cpulimit,
    validate_cpus,
    validate_cpuunits,
    validate_ctid,
    validate_description,
    validate_hostname,
    validate_ioprio,
    validate_ip,
    validate_layout,
    validate_name,
    validate_nameserver,
    validate_node_address,
    validate_onboot,
    validate_path,
    validate_sample_name,
    validate_searchdomain,
    validate_size,
    validate_snapshot_name,
    validate_snapshot_uuid,
    validate_template,
)

_UBC_SUFFIXES = ("", ".m", ".b", ".l", ".f")
VZLIST_FIELDS: tuple[str, ...] = (
    "ctid",
    "veid",
    "vpsid",
    "private",
    "root",
    "mount_opts",
    "origin_sample",
    "hostname",
    "name",
    "smart_name",
    "description",
    "ostemplate",
    "ip",
    "nameserver",
    "searchdomain",
    "status",
    *(f"{name}{suffix}" for name in RESOURCE_NAMES for suffix in _UBC_SUFFIXES),
    *(f"{name}{suffix}" for name in ("diskspace", "diskinodes") for suffix in ("", ".s", ".h")),
    "laverage",
    "uptime",
    "cpulimit",
    "cpuunits",
    "cpus",
    "ioprio",
    "iolimit",
    "iopslimit",
    "onboot",
    "bootorder",
    "layout",
    "features",
    "vswap",
    "disabled",
    "vm_overcommit",
    "netfilter",
    "capability",
)
"""Every field ``vzlist -o`` knows (REFERENCE §3.3)."""

VZLIST_JSON_FIELDS: frozenset[str] = frozenset(name for name in VZLIST_FIELDS if "." not in name)


def display(argv: Sequence[str]) -> str:
    """The one place an argv becomes a string: for confirmation dialogs, journals and SSH exec."""
    return shlex.join(argv)


def _ctid(ctid: int | str) -> str:
    return str(validate_ctid(ctid))


# --- lifecycle -------------------------------------------------------------------------------------------------


def vzctl_start(
    ctid: int | str, *, wait: bool = False, force: bool = False, skip_fsck: bool = False, skip_remount: bool = False
) -> list[str]:
    """``vzctl start`` (``force`` starts a DISABLED=yes container; ``wait`` waits for init to finish booting)."""
    argv = ["vzctl", "start", _ctid(ctid)]
    argv += ["--wait"] * wait + ["--force"] * force + ["--skip-fsck"] * skip_fsck + ["--skip-remount"] * skip_remount
    return argv


def vzctl_stop(ctid: int | str, *, fast: bool = False, skip_umount: bool = False) -> list[str]:
    """``vzctl stop``: graceful halt with a 120 s timeout, or ``fast`` (kill at once)."""
    return ["vzctl", "stop", _ctid(ctid), *(["--fast"] * fast), *(["--skip-umount"] * skip_umount)]


def vzctl_restart(ctid: int | str, *, wait: bool = False, force: bool = False, fast: bool = False) -> list[str]:
    return ["vzctl", "restart", _ctid(ctid), *(["--wait"] * wait), *(["--force"] * force), *(["--fast"] * fast)]


def vzctl_status(ctid: int | str) -> list[str]:
    return ["vzctl", "status", _ctid(ctid)]


def vzctl_mount(ctid: int | str) -> list[str]:
    return ["vzctl", "mount", _ctid(ctid)]


def vzctl_umount(ctid: int | str) -> list[str]:
    return ["vzctl", "umount", _ctid(ctid)]


def vzctl_destroy(ctid: int | str) -> list[str]:
    """``vzctl destroy``: deletes the private area; the config is kept as CTID.conf.destroyed."""
    return ["vzctl", "destroy", _ctid(ctid)]


def vzctl_suspend(ctid: int | str, *, dumpfile: str | None = None) -> list[str]:
    argv = ["vzctl", "suspend", _ctid(ctid)]
    return [*argv, "--dumpfile", validate_path(dumpfile, field="dumpfile")] if dumpfile else argv


def vzctl_resume(ctid: int | str, *, dumpfile: str | None = None) -> list[str]:
    argv = ["vzctl", "resume", _ctid(ctid)]
    return [*argv, "--dumpfile", validate_path(dumpfile, field="dumpfile")] if dumpfile else argv


# --- create and set --------------------------------------------------------------------------------------------


def vzctl_create(
    ctid: int | str,
    *,
    ostemplate: str | None = None,
    config: str | None = None,
    layout: str | None = None,
    diskspace: str | None = None,
    diskinodes: str | None = None,
    private: str | None = None,
    root: str | None = None,
    ipadd: Sequence[str] = (),
    hostname: str | None = None,
    name: str | None = None,
    description: str | None = None,
) -> list[str]:
    """``vzctl create CTID``: ostemplate, layout and config first (the seed panel's order); unset ones left out."""
    argv = ["vzctl", "create", _ctid(ctid)]
    if ostemplate:
        argv += ["--ostemplate", validate_template(ostemplate)]
    if layout:
        argv += ["--layout", validate_layout(layout)]
    if config:
        argv += ["--config", validate_sample_name(config)]
    if diskspace:
        validate_barrier_limit(diskspace, field="diskspace", unit=Unit.KIB, allow_unlimited=False)
        argv += ["--diskspace", diskspace]
    if diskinodes:
        validate_barrier_limit(diskinodes, field="diskinodes", unit=Unit.ITEMS, allow_unlimited=False)
        argv += ["--diskinodes", diskinodes]
    if private:
        argv += ["--private", validate_path(private, field="private")]
    if root:
        argv += ["--root", validate_path(root, field="root")]
    for address in ipadd:
        argv += ["--ipadd", validate_ip(address, field="ipadd")]
    if hostname:
        argv += ["--hostname", validate_hostname(hostname)]
    if name:
        argv += ["--name", validate_name(name)]
    if description:
        argv += ["--description", validate_description(description)]
    return argv


def vzctl_set(ctid: int | str, changes: SetChanges, save: bool = True, *, setmode: str | None = None) -> list[str]:
    """``vzctl set CTID <changes> [--setmode restart|ignore] [--save]``; an empty change set is refused."""
    args = changes.to_args()
    if not args:
        raise ValidationError("set", "nothing to change")
    argv = ["vzctl", "set", _ctid(ctid), *args]
    if setmode is not None:
        if setmode not in ("restart", "ignore"):
            raise ValidationError("setmode", "use restart or ignore")
        if setmode == "restart" and not save:
            raise ValidationError("setmode", "--setmode restart needs --save")
        argv += ["--setmode", setmode]
    return [*argv, "--save"] if save else argv


def _strict_value(option: str, value: str, host_cpus: int | None) -> str:
    """Validate one ``--option value`` pair of a preset or a raw set, with vztui's strict rules."""
    name = option.removeprefix("--")
    if name in RESOURCES:
        validate_barrier_limit(value, field=name, unit=RESOURCES[name].unit)
    elif name in ("ram", "swap"):
        validate_size(value, field=name)
    elif name == "diskspace":
        validate_barrier_limit(value, field=name, unit=Unit.KIB, allow_unlimited=False)
    elif name == "diskinodes":
        validate_barrier_limit(value, field=name, unit=Unit.ITEMS, allow_unlimited=False)
    elif name in ("quotaugidlimit", "quotatime", "bootorder", "iopslimit"):
        validate_size(value, field=name, unit=Unit.ITEMS)
    elif name == "cpuunits":
        validate_cpuunits(value)
    elif name == "cpulimit":
        validate_cpulimit(value, host_cpus=host_cpus or 1)
    elif name == "cpus":
        validate_cpus(value, host_cpus=host_cpus)
    elif name in ("ipadd", "ipdel"):
        if not (name == "ipdel" and value == "all"):
            validate_ip(value, field=name)
    elif name == "hostname":
        validate_hostname(value)
    elif name == "nameserver":
        validate_nameserver(value)
    elif name == "searchdomain":
        validate_searchdomain(value)
    elif name in ("onboot", "disabled"):
        validate_onboot(value, field=name)
    elif name == "ioprio":
        validate_ioprio(value)
    elif name == "name":
        validate_name(value)
    elif name == "description":
        validate_description(value)
    else:
        raise ValidationError(option, "vztui does not set this option from presets or forms")
    return value


def vzctl_set_params(
    ctid: int | str, params: Sequence[tuple[str, str]], *, save: bool = True, host_cpus: int | None = None
) -> list[str]:
    """``vzctl set CTID --opt value … [--save]`` from ordered (option, value) pairs, e.g. a preset step.

    Values keep the admin's spelling (``1024M`` stays ``1024M``) but must pass both vztui's strict validators and
    vzctl's own parser.
    """
    args: list[str] = []
    for option, value in params:
        args += [option, _strict_value(option, value, host_cpus)]
    if not args:
        raise ValidationError("set", "nothing to change")
    try:
        parse_set_args(args)
    except SetParamError as error:
        raise ValidationError("set", error.message) from error
    argv = ["vzctl", "set", _ctid(ctid), *args]
    return [*argv, "--save"] if save else argv


# --- snapshots -------------------------------------------------------------------------------------------------


def vzctl_snapshot(
    ctid: int | str,
    *,
    uuid: str | None = None,
    name: str | None = None,
    description: str | None = None,
    skip_suspend: bool = False,
    skip_config: bool = False,
) -> list[str]:
    """``vzctl snapshot`` (ploop only). Without ``uuid`` vzctl generates one."""
    argv = ["vzctl", "snapshot", _ctid(ctid)]
    if uuid:
        argv += ["--id", validate_snapshot_uuid(uuid)]
    if name:
        argv += ["--name", validate_snapshot_name(name)]
    if description:
        argv += ["--description", validate_description(description)]
    return argv + ["--skip-suspend"] * skip_suspend + ["--skip-config"] * skip_config


def vzctl_snapshot_list(
    ctid: int | str, *, fields: Sequence[str] = (), no_header: bool = False, uuid: str | None = None
) -> list[str]:
    known = {"uuid", "id", "parent_uuid", "parent_id", "current", "date", "name", "desc", "device", "target"}
    argv = ["vzctl", "snapshot-list", _ctid(ctid)]
    if no_header:
        argv.append("-H")
    if fields:
        unknown = [field for field in fields if field not in known]
        if unknown:
            raise ValidationError("fields", f"unknown snapshot-list field(s): {', '.join(unknown)}")
        argv += ["-o", ",".join(fields)]
    if uuid:
        argv += ["--id", validate_snapshot_uuid(uuid)]
    return argv


def vzctl_snapshot_switch(
    ctid: int | str, uuid: str, *, skip_resume: bool = False, must_resume: bool = False, skip_config: bool = False
) -> list[str]:
    if skip_resume and must_resume:
        raise ValidationError("resume", "choose either --skip-resume or --must-resume")
    argv = ["vzctl", "snapshot-switch", _ctid(ctid), "--id", validate_snapshot_uuid(uuid)]
    return argv + ["--skip-resume"] * skip_resume + ["--must-resume"] * must_resume + ["--skip-config"] * skip_config


def vzctl_snapshot_delete(ctid: int | str, uuid: str) -> list[str]:
    return ["vzctl", "snapshot-delete", _ctid(ctid), "--id", validate_snapshot_uuid(uuid)]


def vzctl_snapshot_mount(ctid: int | str, uuid: str, target: str) -> list[str]:
    """Read-only mount of a snapshot at ``target`` (an absolute directory on the node)."""
    return [
        "vzctl",
        "snapshot-mount",
        _ctid(ctid),
        "--id",
        validate_snapshot_uuid(uuid),
        "--target",
        validate_path(target, field="target"),
    ]


def vzctl_snapshot_umount(ctid: int | str, uuid: str) -> list[str]:
    return ["vzctl", "snapshot-umount", _ctid(ctid), "--id", validate_snapshot_uuid(uuid)]


# --- inside the container --------------------------------------------------------------------------------------


def vzctl_exec(ctid: int | str, command: str, *, exec2: bool = False) -> list[str]:
    """``vzctl exec[2] CTID 'command'``: vzctl runs the text with ``bash -c`` inside the container.

    The command is one argv element so nothing is re-split on the node side before bash sees it. ``exec2``
    returns the command's own exit code instead of vzctl's 8.
    """
    text = command.strip()
    if not text:
        raise ValidationError("command", "must not be empty")
    if "\x00" in text or "\n" in text:
        raise ValidationError("command", "must be a single line")
    if text == "-":
        raise ValidationError("command", "'-' (read commands from stdin) is not supported from vztui")
    return ["vzctl", "exec2" if exec2 else "exec", _ctid(ctid), text]


def vzctl_enter(ctid: int | str, *, exec_command: Sequence[str] = ()) -> list[str]:
    """``vzctl enter CTID [--exec cmd args…]``: an interactive shell; needs a real TTY."""
    argv = ["vzctl", "enter", _ctid(ctid)]
    return [*argv, "--exec", *exec_command] if exec_command else argv


# --- read-only tools -------------------------------------------------------------------------------------------


def vzlist(
    *,
    ctids: Sequence[int | str] = (),
    fields: Sequence[str] = (),
    all: bool = False,
    stopped: bool = False,
    sort: str | None = None,
    reverse: bool = False,
    json: bool = False,
    no_header: bool = False,
    no_trim: bool = False,
    hostname_pattern: str | None = None,
    name_pattern: str | None = None,
    description_pattern: str | None = None,
) -> list[str]:
    """``vzlist`` with fields (``-o``), sort (``-s [-]field``), ``-a``/``-S``, ``-j``, ``-H`` and ``-t``."""
    if all and stopped:
        raise ValidationError("vzlist", "-a and -S exclude each other")
    argv = ["vzlist"]
    argv += ["-a"] * all + ["-S"] * stopped + ["-H"] * no_header + ["-t"] * no_trim + ["-j"] * json
    if fields:
        allowed = VZLIST_JSON_FIELDS if json else frozenset(VZLIST_FIELDS)
        unknown = [field for field in fields if field not in allowed]
        if unknown:
            where = " in JSON output" if json else ""
            raise ValidationError("fields", f"unknown vzlist field(s){where}: {', '.join(unknown)}")
        argv += ["-o", ",".join(fields)]
    if sort is not None:
        if sort not in VZLIST_FIELDS:
            raise ValidationError("sort", f"unknown sort field {sort!r}")
        argv += ["-s", f"-{sort}" if reverse else sort]
    for flag, pattern in (("-h", hostname_pattern), ("-N", name_pattern), ("-d", description_pattern)):
        if pattern is not None:
            argv += [flag, _pattern(pattern)]
    return argv + [_ctid(ctid) for ctid in ctids]


def _pattern(pattern: str) -> str:
    if not pattern or any(not ch.isprintable() for ch in pattern):
        raise ValidationError("pattern", "must be non-empty printable text")
    return pattern


def vzlist_layout(ctid: int | str) -> list[str]:
    """``vzlist -H -o layout CTID``: the seed panel's layout read-back after create."""
    return vzlist(ctids=[ctid], fields=["layout"], no_header=True)


def vzquota_stat(ctid: int | str, *, times: bool = False) -> list[str]:
    """``vzquota stat CTID [-t]``: first-level disk quota (simfs), ``-t`` adds user/group quota state."""
    return ["vzquota", "stat", _ctid(ctid), *(["-t"] * times)]


def vzmigrate(
    dest: str,
    ctid: int | str,
    *,
    live: bool = False,
    check_only: bool = False,
    remove_area: bool | None = None,
    keep_dst: bool = False,
    compact: bool = False,
    verbose: int = 0,
    times: bool = False,
) -> list[str]:
    """``vzmigrate [options] destination CTID`` (REFERENCE §6.6).

    ``remove_area`` None keeps vzmigrate's default (yes); False keeps the source as CTID.conf.migrated.
    """
    if not 0 <= verbose <= 4:
        raise ValidationError("verbose", "vzmigrate accepts -v up to 4 times")
    argv = ["vzmigrate"]
    argv += ["--live"] * live + ["--check-only"] * check_only
    if remove_area is not None:
        argv += ["--remove-area", "yes" if remove_area else "no"]
    argv += ["--keep-dst"] * keep_dst + ["--compact"] * compact + ["-v"] * verbose + ["--times"] * times
    return [*argv, validate_node_address(dest), _ctid(ctid)]


def vzmemcheck(*, verbose: bool = False, absolute: bool = False) -> list[str]:
    """``vzmemcheck [-v] [-A]``: memory commitment in percent (or MB with ``-A``)."""
    return ["vzmemcheck", *(["-v"] * verbose), *(["-A"] * absolute)]


def vzcpucheck(*, verbose: bool = False) -> list[str]:
    return ["vzcpucheck", *(["-v"] * verbose)]


def vzcalc(ctid: int | str, *, verbose: bool = False) -> list[str]:
    return ["vzcalc", *(["-v"] * verbose), _ctid(ctid)]


def vzsplit(
    count: int, *, conf_name: str | None = None, swap_kib: int | None = None, vswap: bool | None = None
) -> list[str]:
    """``vzsplit -n N [-f name] [-s swap_KB] [-v yes|no]``: a sample config for N equal containers."""
    if not 1 <= count <= 10000:
        raise ValidationError("count", "split the node into 1..10000 containers")
    argv = ["vzsplit", "-n", str(count)]
    if conf_name:
        argv += ["-f", validate_sample_name(conf_name, field="conf_name")]
    if swap_kib is not None:
        if swap_kib < 0:
            raise ValidationError("swap_kib", "must not be negative")
        argv += ["-s", str(swap_kib)]
    if vswap is not None:
        argv += ["-v", "yes" if vswap else "no"]
    return argv


def vztmpl_list_local() -> list[str]:
    """``vztmpl-dl --list-local``: the node's cached OS templates, one per line."""
    return ["vztmpl-dl", "--list-local"]
