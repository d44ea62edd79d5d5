"""``vzlist`` (vzctl 4.11.1): list containers as a table or JSON, with vzlist's exact widths, trimming and quirks.

Collection follows the real tool: running CTs and their beancounters from the kernel (what /proc/vz/veinfo and
/proc/bc/resources say), everything else from the CT configs; stopped CTs whose private area is gone are hidden.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

from vztui.openvz.resources import RESOURCE_NAMES, RESOURCES
from vztui.sim.kernel.limits import config_bounds, is_vswap
from vztui.sim.kernel.model import disk_figures
from vztui.sim.node import SimNode

USAGE = (
    "Usage:\tvzlist [-a | -S] [-n] [-H] [-o field[,field...] | -1] [-s [-]field]\n"
    "\t       [-h pattern] [-N pattern] [-d pattern] [CTID [CTID ...]]\n"
    "\tvzlist -L | --list\n"
    "\n"
    "Options:\n"
    "\t-a, --all\t\tlist all containers\n"
    "\t-S, --stopped\t\tlist stopped containers\n"
    "\t-n, --name\t\tdisplay containers' names\n"
    "\t-H, --no-header\t\tsuppress columns header\n"
    "\t-t, --no-trim\t\tdo not trim long values\n"
    "\t-j, --json\t\toutput in JSON format\n"
    "\t-o, --output\t\toutput only specified fields\n"
    "\t-1\t\t\tsynonym for -H -octid\n"
    "\t-s, --sort\t\tsort by the specified field\n"
    "\t\t\t\t('-field' to reverse sort order)\n"
    "\t-h, --hostname\t\tfilter CTs by hostname pattern\n"
    "\t-N, --name_filter\tfilter CTs by name pattern\n"
    "\t-d, --description\tfilter CTs by description pattern\n"
    "\t-L, --list\t\tget possible field names\n"
)
DEFAULT_FIELDS = "ctid,numproc,status,ip,hostname"
NAME_FIELDS = "smart_name,numproc,status,ip,hostname"
VEID_MAX = 2147483644
_LONG_OPTS = {
    "no-header": "H",
    "no-trim": "t",
    "stopped": "S",
    "all": "a",
    "name": "n",
    "json": "j",
    "name_filter": "N",
    "hostname": "h",
    "description": "d",
    "output": "o",
    "sort": "s",
    "list": "L",
    "help": "e",
}
_WITH_ARG = set("Nhdos")


@dataclass(slots=True)
class Ct:
    """What vzlist knows about one container (None where it prints ``-``/``null``)."""

    ctid: int
    status: str = "stopped"
    ip: str | None = None
    hostname: str | None = None
    name: str | None = None
    description: str | None = None
    ostemplate: str | None = None
    private: str | None = None
    root: str | None = None
    mount_opts: str | None = None
    origin_sample: str | None = None
    nameserver: str | None = None
    searchdomain: str | None = None
    ubc: dict[str, list[int]] | None = None
    quota: dict[str, list[int]] | None = None
    cpu: tuple[int, int] | None = None
    """(limit, units)."""
    cpunum: int = 0
    laverage: tuple[float, float, float] | None = None
    uptime: float | None = None
    ioprio: int = -1
    iolimit: int = 0
    iopslimit: int = 0
    onboot: bool | None = None
    bootorder: int | None = None
    layout: str = "???"
    features: dict[str, bool] | None = None
    vswap: bool = False
    disabled: bool = False
    vm_overcommit: float = 0.0
    netfilter: str | None = None
    capability: dict[str, bool] | None = None
    hide: bool = False
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def running(self) -> bool:
        return self.status == "running"


# --- fields ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    header: str
    header_fmt: str
    """printf-style width: ``-32`` left-aligned 32, ``10`` right-aligned 10."""
    index: int
    cell: Callable[[Ct, int, bool], str]
    """(ct, index, last) → table text (untrimmed; trimming applied by the width)."""
    json: Callable[[Ct, int], str]
    sort_key: Callable[[Ct, int], Any]
    trim_width: int = 0
    """Width a non-last cell is cut to (0: numbers are never cut)."""


def _pad(text: str, width: int) -> str:
    return text.ljust(-width) if width < 0 else text.rjust(width)


def _jstr(value: str | None) -> str:
    return "null" if value is None else f'"{value}"'


def _str_field(name: str, header: str, width: int, attr: str, *, header_width: int | None = None) -> Field:
    def cell(ct: Ct, _index: int, _last: bool) -> str:
        value = getattr(ct, attr)
        return _pad("-" if value is None else value, width)

    def js(ct: Ct, _index: int) -> str:
        return _jstr(getattr(ct, attr))

    return Field(
        name,
        header,
        str(width if header_width is None else header_width),
        0,
        cell,
        js,
        lambda ct, _i: _nullable(getattr(ct, attr)),
        abs(width),
    )


def _nullable(value: Any) -> tuple[int, Any]:
    return (0, "") if value is None else (1, value)


def _list_field(name: str, header: str, attr: str) -> Field:
    def cell(ct: Ct, _index: int, last: bool) -> str:
        value = getattr(ct, attr) or "-"
        if not last:
            value = value.split(" ", 1)[0]
        return value.ljust(15)

    def js(ct: Ct, _index: int) -> str:
        items = (getattr(ct, attr) or "").split()
        return "[" + ", ".join(f'"{item}"' for item in items) + "]"

    return Field(name, header, "-15", 0, cell, js, lambda ct, _i: _nullable(getattr(ct, attr)), 15)


def _veid_cell(ct: Ct, _index: int, _last: bool) -> str:
    return f"{ct.ctid:>10}"


def _ubc_field(resource: str, header: str, suffix: str, index: int) -> Field:
    name = resource + (f".{suffix}" if suffix else "")
    hdr = header + (f".{suffix.upper()}" if suffix else "")

    def cell(ct: Ct, idx: int, _last: bool) -> str:
        values = ct.ubc.get(resource) if ct.ubc is not None else None
        if values is None or (not ct.running and idx in (0, 1, 4)):
            return f"{'-':>10}"
        return f"{values[idx]:>10}"

    def js(ct: Ct, _idx: int) -> str:
        values = ct.ubc.get(resource) if ct.ubc is not None else None
        if values is None:
            return "null"
        held, maxheld, barrier, limit, failcnt = values if ct.running else (0, 0, values[2], values[3], 0)
        return (
            "{\n"
            f'      "held": {held},\n'
            f'      "maxheld": {maxheld},\n'
            f'      "barrier": {barrier},\n'
            f'      "limit": {limit},\n'
            f'      "failcnt": {failcnt}\n'
            "    }"
        )

    # vzlist's quirk: the .b and .l sort comparators are swapped (REFERENCE §3.2).
    sort_index = {2: 3, 3: 2}.get(index, index)

    def key(ct: Ct, _idx: int) -> Any:
        values = ct.ubc.get(resource) if ct.ubc is not None else None
        return (0, 0) if values is None else (1, values[sort_index])

    return Field(name, hdr, "10", index, cell, js, key)


def _dq_field(resource: str, header: str, suffix: str, index: int) -> Field:
    name = resource + (f".{suffix}" if suffix else "")
    hdr = header + (f".{suffix.upper()}" if suffix else "")

    def cell(ct: Ct, idx: int, _last: bool) -> str:
        values = ct.quota.get(resource) if ct.quota is not None else None
        if values is None or (idx == 0 and values[0] == 0):
            return f"{'-':>10}"
        return f"{values[idx]:>10}"

    def js(ct: Ct, _idx: int) -> str:
        values = ct.quota.get(resource) if ct.quota is not None else None
        if values is None:
            return "null"
        usage = values[0] if ct.running else 0
        return f'{{\n      "usage": {usage},\n      "softlimit": {values[1]},\n      "hardlimit": {values[2]}\n    }}'

    def key(ct: Ct, idx: int) -> Any:
        values = ct.quota.get(resource) if ct.quota is not None else None
        return (0, 0) if values is None else (1, values[idx])

    return Field(name, hdr, "10", index, cell, js, key)


def _uptime_text(seconds: float) -> str:
    days = int(seconds // 86400)
    minutes = int(seconds // 60)
    hours = (minutes // 60) % 24
    minutes %= 60
    secs = int(seconds - (60 * minutes + 3600 * hours + 86400 * days))
    return f"{days:03d}d{hours:02d}h:{minutes:02d}m:{secs:02d}s"


def _g(value: float) -> str:
    return f"{value:g}"


def _flags_text(flags: dict[str, bool] | None) -> str:
    if not flags:
        return "-"
    return ",".join(f"{name}:{'on' if on else 'off'}" for name, on in flags.items())


def _flags_json(flags: dict[str, bool] | None) -> str:
    if flags is None:
        return "null"
    return "{" + ", ".join(f'"{name}": {"true" if on else "false"}' for name, on in flags.items()) + "}"


def _simple(  # noqa: PLR0917 - one line per field reads best
    name: str,
    header: str,
    width: int,
    text: Callable[[Ct], str],
    js: Callable[[Ct], str],
    key: Callable[[Ct], Any],
    *,
    header_width: int | None = None,
    trim_width: int = 0,
) -> Field:
    return Field(
        name,
        header,
        str(width if header_width is None else header_width),
        0,
        lambda ct, _i, _l: _pad(text(ct), width),
        lambda ct, _i: js(ct),
        lambda ct, _i: key(ct),
        trim_width,
    )


def _build_fields() -> list[Field]:
    fields: list[Field] = []
    for alias in ("ctid", "veid", "vpsid"):
        fields.append(Field(alias, "CTID", "10", 0, _veid_cell, lambda ct, _i: str(ct.ctid), lambda ct, _i: ct.ctid))
    fields += [
        _str_field("private", "PRIVATE", -32, "private"),
        _str_field("root", "ROOT", -32, "root"),
        _str_field("mount_opts", "MOUNT_OPTS", -16, "mount_opts"),
        _str_field("origin_sample", "ORIGIN_SAMPLE", -32, "origin_sample", header_width=32),
        _str_field("hostname", "HOSTNAME", -32, "hostname"),
        _str_field("name", "NAME", -32, "name"),
        Field(
            "smart_name",
            "SMARTNAME",
            "10",
            0,
            lambda ct, _i, _l: f"{ct.name:>10}" if ct.name is not None else f"{ct.ctid:>10}",
            lambda ct, _i: _jstr(ct.name) if ct.name is not None else str(ct.ctid),
            lambda ct, _i: _nullable(ct.name),
            10,
        ),
        _str_field("description", "DESCRIPTION", -32, "description"),
        _str_field("ostemplate", "OSTEMPLATE", -32, "ostemplate"),
        _list_field("ip", "IP_ADDR", "ip"),
        _list_field("nameserver", "NAMESERVER", "nameserver"),
        _list_field("searchdomain", "SEARCHDOMAIN", "searchdomain"),
        _simple(
            "status",
            "STATUS",
            -9,
            lambda ct: ct.status,
            lambda ct: _jstr(ct.status),
            lambda ct: _STATUS_ORDER.get(ct.status, 9),
        ),
    ]
    for resource in RESOURCE_NAMES:
        header = RESOURCES[resource].header
        for index, suffix in enumerate(("", "m", "b", "l", "f")):
            fields.append(_ubc_field(resource, header, suffix, index))
    for resource, header in (("diskspace", "DSPACE"), ("diskinodes", "DINODES")):
        for index, suffix in enumerate(("", "s", "h")):
            fields.append(_dq_field(resource, header, suffix, index))
    fields += [
        _simple(
            "laverage",
            "LAVERAGE",
            14,
            lambda ct: "-" if ct.laverage is None else "{:1.2f}/{:1.2f}/{:1.2f}".format(*ct.laverage),
            lambda ct: "null" if ct.laverage is None else "[{:1.2f}, {:1.2f}, {:1.2f}]".format(*ct.laverage),
            lambda ct: _nullable(ct.laverage),
        ),
        _simple(
            "uptime",
            "UPTIME",
            15,
            lambda ct: "-" if ct.uptime is None else _uptime_text(ct.uptime),
            lambda ct: f"{ct.uptime or 0.0:.3f}",
            lambda ct: _nullable(None if ct.uptime is None else -ct.uptime),
        ),
        _simple(
            "cpulimit",
            "CPULIM",
            7,
            lambda ct: "-" if ct.cpu is None else str(ct.cpu[0]),
            lambda ct: "null" if ct.cpu is None else str(ct.cpu[0]),
            lambda ct: _nullable(None if ct.cpu is None else ct.cpu[0]),
        ),
        _simple(
            "cpuunits",
            "CPUUNI",
            7,
            lambda ct: "-" if ct.cpu is None else str(ct.cpu[1]),
            lambda ct: "null" if ct.cpu is None else str(ct.cpu[1]),
            lambda ct: _nullable(None if ct.cpu is None else ct.cpu[1]),
        ),
        _simple(
            "cpus",
            "CPUS",
            5,
            lambda ct: "-" if ct.cpunum <= 0 else str(ct.cpunum),
            lambda ct: str(max(ct.cpunum, 0)),
            lambda ct: ct.cpunum,
        ),
        _simple(
            "ioprio",
            "IOP",
            3,
            lambda ct: "-" if ct.ioprio < 0 else str(ct.ioprio),
            lambda ct: str(max(ct.ioprio, 0)),
            lambda ct: ct.ioprio,
        ),
        _simple(
            "iolimit",
            "IOLIMIT",
            10,
            lambda ct: "-" if ct.iolimit < 1 else str(ct.iolimit),
            lambda ct: str(max(ct.iolimit, 0)),
            lambda ct: ct.iolimit,
        ),
        _simple(
            "iopslimit",
            "IOPS",
            4,
            lambda ct: "-" if ct.iopslimit < 1 else str(ct.iopslimit),
            lambda ct: str(max(ct.iopslimit, 0)),
            lambda ct: ct.iopslimit,
        ),
        _simple(
            "onboot",
            "ONBOOT",
            6,
            lambda ct: "-" if ct.onboot is None else ("yes" if ct.onboot else "no"),
            lambda ct: "null" if ct.onboot is None else ("true" if ct.onboot else "false"),
            lambda ct: 0,
        ),
        _simple(
            "bootorder",
            "BOOTORDER",
            10,
            lambda ct: "-" if ct.bootorder is None else str(ct.bootorder),
            lambda ct: "null" if ct.bootorder is None else str(ct.bootorder),
            lambda ct: _nullable(ct.bootorder),
        ),
        _simple(
            "layout",
            "LAYOUT",
            -6,
            lambda ct: ct.layout,
            lambda ct: _jstr(ct.layout),
            lambda ct: ct.layout,
            header_width=6,
        ),
        _simple(
            "features",
            "FEATURES",
            -15,
            lambda ct: _flags_text(ct.features),
            lambda ct: _flags_json(ct.features),
            lambda ct: 0,
            trim_width=15,
        ),
        _simple(
            "vswap",
            "VSWAP",
            5,
            lambda ct: "yes" if ct.vswap else "no",
            lambda ct: "true" if ct.vswap else "false",
            lambda ct: 0,
        ),
        _simple(
            "disabled",
            "DISABL",
            6,
            lambda ct: "yes" if ct.disabled else "no",
            lambda ct: "true" if ct.disabled else "false",
            lambda ct: 0,
        ),
        _simple(
            "vm_overcommit",
            "VM_OVC",
            6,
            lambda ct: "-" if not ct.vm_overcommit else _g(ct.vm_overcommit),
            lambda ct: _g(ct.vm_overcommit),
            lambda ct: ct.vm_overcommit,
        ),
        # An unset NETFILTER reaches printf as NULL; glibc prints "(null)" (REFERENCE §3.3, UNCONFIRMED).
        _simple(
            "netfilter",
            "NETFILTER",
            -9,
            lambda ct: ct.netfilter or "(null)",
            lambda ct: _jstr(ct.netfilter),
            lambda ct: _nullable(ct.netfilter),
        ),
        _simple(
            "capability",
            "CAPABILITY",
            -15,
            lambda ct: _flags_text(ct.capability),
            lambda ct: _flags_json(ct.capability),
            lambda ct: 0,
            trim_width=15,
        ),
    ]
    return fields


_STATUS_ORDER = {"running": 0, "stopped": 1, "mounted": 2, "suspended": 3}
FIELDS = _build_fields()
FIELD_BY_NAME = {f.name: f for f in FIELDS}


# --- collection --------------------------------------------------------------------------------------------------


def _flags(raw: str | None, *, lower: bool) -> dict[str, bool] | None:
    if not raw:
        return None
    flags: dict[str, bool] = {}
    for item in raw.split():
        key, _, state = item.partition(":")
        if key:
            flags[key.lower() if lower else key] = state.lower() == "on"
    return flags or None


def _int(raw: str | None, default: int) -> int:
    try:
        return int(raw) if raw else default
    except ValueError:
        return default


def _float(raw: str | None) -> float:
    try:
        return float(raw) if raw else 0.0
    except ValueError:
        return 0.0


def _pair(raw: str | None) -> list[int] | None:
    from vztui.openvz.units import Unit, parse_barrier_limit

    if not raw:
        return None
    try:
        soft, hard = parse_barrier_limit(raw, unit=Unit.KIB)
    except ValueError:
        return None
    return [0, soft, hard]


def collect(
    node: SimNode,
    wanted: list[int] | None,
    *,
    all_cts: bool,
    stopped_only: bool,
    need_quota: bool,
    stderr: TextIO | None = None,
) -> list[Ct]:
    """Every CT vzlist would consider, sorted by CTID, with ``hide`` set as vzlist sets it.

    A stopped CT whose VE_ROOT is missing makes vzlist's mount check print ``stat(<root>): ...`` on stderr (seen
    on real hosts after a CT was moved by hand); the CT is still listed.
    """
    state = node.read_state()
    figures = node.kernel_figures()
    running = set(figures.cts)
    restrict = set(wanted) if wanted is not None else None
    ctids: set[int] = set()
    if all_cts or restrict is not None or stopped_only:
        ctids.update(node.ctids())
    ctids.update(running)
    if restrict is not None:
        ctids &= restrict
    cts: list[Ct] = []
    for ctid in sorted(ctids):
        conf = node.read_config(ctid) or {}
        ct = Ct(ctid, status="running" if ctid in running else "stopped")
        _merge_conf(node, ct, conf)
        if ct.running:
            fig = figures.cts[ctid]
            ct.ubc = {name: list(values) for name, values in fig.beancounters.items()}
            ct.ip = " ".join(fig.ips) or None
            ct.cpu = (fig.cpulimit * 1024 // 100 * 100 // 1024, 500000 // max(1, 500000 // max(fig.cpuunits, 1)))
            ct.cpunum = fig.cpus
            ct.laverage = fig.laverage
            ct.uptime = fig.uptime
            ct.vswap = ct.ubc["physpages"][3] not in (2**63 - 1, 2**31 - 1)
        else:
            runtime = state.peek(ctid)
            if not ct.private or not node.exists(ct.private):
                ct.hide = True
            elif node.is_suspended(ctid):
                ct.status = "suspended"
            if runtime.mounted and not ct.hide:
                ct.status = "mounted"
            if not ct.hide and ct.root and stderr is not None and not node.exists(ct.root):
                stderr.write(f"stat({ct.root}): No such file or directory\n")
        if need_quota and not ct.hide:
            runtime = state.peek(ctid)
            ploop_mounted = ct.layout == "ploop" and (runtime.running or runtime.mounted)
            if ploop_mounted or node.quota_active(ctid, conf, runtime):
                disk = disk_figures(node, ctid, conf, figures.t)
                ct.quota = {
                    "diskspace": [disk.blocks_used, disk.blocks_soft, disk.blocks_hard],
                    "diskinodes": [disk.inodes_used, disk.inodes_soft, disk.inodes_hard],
                }
        if ctid == 0:
            ct.hide = True
        cts.append(ct)
    return cts


def _merge_conf(node: SimNode, ct: Ct, conf: dict[str, str]) -> None:
    bounds = config_bounds(conf) if conf else {}
    ubc: dict[str, list[int]] = {}
    for name in RESOURCE_NAMES:
        key = RESOURCES[name].config_key
        if key in conf or (name == "dcachesize" and "DCACHE" in conf) or (name == "numiptent" and "IPTENTRIES" in conf):
            barrier, limit = bounds[name]
        else:
            barrier, limit = 0, 0
        ubc[name] = [0, 0, barrier, limit, 0]
    ct.ubc = ubc
    ips = conf.get("IP_ADDRESS", "").split()
    ct.ip = " ".join(ips) or None
    if "DISKSPACE" in conf and "DISKINODES" in conf:
        space, inodes = _pair(conf.get("DISKSPACE")), _pair(conf.get("DISKINODES"))
        if space and inodes:
            ct.quota = {"diskspace": space, "diskinodes": inodes}
    if "CPUUNITS" in conf or "CPULIMIT" in conf:
        ct.cpu = (_int(conf.get("CPULIMIT"), 0), _int(conf.get("CPUUNITS"), 0))
    ct.hostname = conf.get("HOSTNAME")
    ct.description = conf.get("DESCRIPTION")
    ct.ostemplate = conf.get("OSTEMPLATE")
    ct_name = conf.get("NAME")
    if ct_name and node.ctid_by_name(ct_name) == ct.ctid:
        ct.name = ct_name
    ct.nameserver = conf.get("NAMESERVER") or None
    ct.searchdomain = conf.get("SEARCHDOMAIN") or None
    ct.root = node.ve_root(ct.ctid, conf)
    ct.private = node.ve_private(ct.ctid, conf)
    ct.mount_opts = conf.get("MOUNT_OPTS")
    onboot = conf.get("ONBOOT")
    ct.onboot = None if onboot not in ("yes", "no") else onboot == "yes"
    ct.bootorder = _int(conf.get("BOOTORDER"), -1) if conf.get("BOOTORDER") else None
    ct.ioprio = _int(conf.get("IOPRIO"), -1)
    ct.iolimit = _int(conf.get("IOLIMIT"), 0)
    ct.iopslimit = _int(conf.get("IOPSLIMIT"), 0)
    ct.cpunum = _int(conf.get("CPUS"), 0)
    ct.features = _flags(conf.get("FEATURES"), lower=True)
    ct.capability = _flags(conf.get("CAPABILITY"), lower=True)
    ct.disabled = conf.get("DISABLED") == "yes"
    ct.origin_sample = conf.get("ORIGIN_SAMPLE")
    ct.vm_overcommit = _float(conf.get("VM_OVERCOMMIT"))
    ct.netfilter = conf.get("NETFILTER") or None
    ct.vswap = is_vswap(conf)
    layout = conf.get("VE_LAYOUT", "")
    if layout:
        ct.layout = layout.split(":", 1)[0]
    elif ct.private and (node.host(ct.private) / "root.hdd").is_dir():
        ct.layout = "ploop"
    else:
        ct.layout = "simfs"


# --- command line ------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Options:
    all_cts: bool = False
    stopped: bool = False
    header: bool = True
    trim: bool = True
    json: bool = False
    fields: str | None = None
    sort: str | None = None
    reverse: bool = False
    host_pattern: str | None = None
    name_pattern: str | None = None
    desc_pattern: str | None = None
    list_fields: bool = False
    args: list[str] = field(default_factory=list)


class UsageError(Exception):
    """getopt already printed its message; vzlist prints usage and exits 1."""


def parse_args(argv: list[str], stderr: TextIO) -> Options:
    """getopt_long with "HtSanjN:h:d:o:s:Le1" and vzlist's long options (permuting, like glibc)."""
    opts = Options()
    index = 0
    while index < len(argv):
        arg = argv[index]
        index += 1
        if arg == "--":
            opts.args.extend(argv[index:])
            break
        if arg.startswith("--"):
            name, eq, value = arg[2:].partition("=")
            matches = [long for long in _LONG_OPTS if long == name] or [
                long for long in _LONG_OPTS if long.startswith(name)
            ]
            if len(matches) != 1:
                kind = "ambiguous" if len(matches) > 1 else "unrecognized"
                stderr.write(f"vzlist: {kind} option '{arg}'\n")
                raise UsageError
            letter = _LONG_OPTS[matches[0]]
            if letter in _WITH_ARG and not eq:
                if index >= len(argv):
                    stderr.write(f"vzlist: option '--{matches[0]}' requires an argument\n")
                    raise UsageError
                value = argv[index]
                index += 1
            elif letter not in _WITH_ARG and eq:
                stderr.write(f"vzlist: option '--{matches[0]}' doesn't allow an argument\n")
                raise UsageError
            _apply(opts, letter, value, stderr)
            if opts.list_fields:
                return opts
            continue
        if arg.startswith("-") and len(arg) > 1:
            pos = 1
            while pos < len(arg):
                letter = arg[pos]
                pos += 1
                if letter not in "HtSanjNhdosLe1" or letter == "e":
                    stderr.write(f"vzlist: invalid option -- '{letter}'\n")
                    raise UsageError
                value = ""
                if letter in _WITH_ARG:
                    if pos < len(arg):
                        value = arg[pos:]
                    elif index < len(argv):
                        value = argv[index]
                        index += 1
                    else:
                        stderr.write(f"vzlist: option requires an argument -- '{letter}'\n")
                        raise UsageError
                    pos = len(arg)
                _apply(opts, letter, value, stderr)
                if opts.list_fields:
                    return opts
            continue
        opts.args.append(arg)
    return opts


class SortFieldError(Exception):
    pass


def _apply(opts: Options, letter: str, value: str, stderr: TextIO) -> None:
    if letter == "S":
        opts.stopped = True
    elif letter == "t":
        opts.trim = False
    elif letter == "H":
        opts.header = False
    elif letter == "L":
        opts.list_fields = True
    elif letter == "a":
        opts.all_cts = True
    elif letter == "h":
        opts.host_pattern = value
    elif letter == "d":
        opts.desc_pattern = value
    elif letter == "o":
        opts.fields = value
    elif letter == "s":
        name = value[1:] if value.startswith("-") else value
        opts.reverse = value.startswith("-")
        if name not in FIELD_BY_NAME:
            stderr.write(f"Invalid sort field name: {value}\n")
            raise SortFieldError
        opts.sort = name
    elif letter == "1":
        opts.fields = "veid"
        opts.header = False
    elif letter == "n":
        opts.fields = NAME_FIELDS
    elif letter == "N":
        opts.name_pattern = value
    elif letter == "j":
        opts.json = True
    else:
        raise UsageError


def main(node: SimNode, argv: list[str], stdout: TextIO, stderr: TextIO) -> int:
    try:
        opts = parse_args(argv, stderr)
    except UsageError:
        stdout.write(USAGE)
        return 1
    except SortFieldError:
        return 1
    if opts.list_fields:
        stdout.write("".join(f"{f.name:<15} {f.header:<15}\n" for f in FIELDS))
        return 0
    wanted: list[int] | None = None
    if opts.args:
        wanted = []
        for arg in opts.args:
            ctid = _parse_ctid(arg)
            if ctid is None:
                ctid = node.ctid_by_name(arg)
                if ctid is None:
                    stderr.write(f"CT ID {arg} is invalid.\n")
                    return 1
            wanted.append(ctid)
    order = _field_order(opts, stderr)
    if order is None:
        return 1
    need_quota = (opts.json and not opts.fields) or any(f.name.startswith("disk") for f in order)
    cts = collect(node, wanted, all_cts=opts.all_cts, stopped_only=opts.stopped, need_quota=need_quota, stderr=stderr)
    if not cts:
        if opts.json:
            stdout.write("[]\n")
        else:
            stderr.write("Container(s) not found\n")
        return 0 if wanted is None else 1
    _filter(cts, opts)
    if opts.sort is not None and opts.sort not in ("ctid", "veid", "vpsid"):
        sort_field = FIELD_BY_NAME[opts.sort]
        cts.sort(key=lambda ct: sort_field.sort_key(ct, sort_field.index))
    if opts.reverse:
        cts.reverse()
    shown = [ct for ct in cts if not ct.hide and not (opts.stopped and ct.running)]
    if opts.json:
        stdout.write(_json(shown, order if opts.fields else None))
    else:
        lines = []
        if opts.header:
            lines.append(" ".join(_pad(f.header, int(f.header_fmt)) for f in order).rstrip())
        lines.extend(_table_row(ct, order, opts.trim) for ct in shown)
        stdout.write("".join(line + "\n" for line in lines))
    return 0


def _parse_ctid(arg: str) -> int | None:
    try:
        value = int(arg, 10)
    except ValueError:
        return None
    if value == 0 or arg.strip() != arg:
        return None
    return value


def _field_order(opts: Options, stderr: TextIO) -> list[Field] | None:
    spec = opts.fields
    if spec is None:
        if opts.json:
            return [f for f in FIELDS if f.index == 0]
        spec = DEFAULT_FIELDS
    order: list[Field] = []
    for name in spec.split(","):
        if len(name) > 30:
            stderr.write(f"Invalid field: {name}\n")
            return None
        found = FIELD_BY_NAME.get(name)
        if found is None:
            stderr.write(f"Unknown field: {name}\n")
            return None
        if opts.json and found.index:
            stderr.write(f"Field `{name}' is not available in JSON output\n")
            return None
        order.append(found)
    return order


def _filter(cts: list[Ct], opts: Options) -> None:
    for pattern, attr in (
        (opts.host_pattern, "hostname"),
        (opts.name_pattern, "name"),
        (opts.desc_pattern, "description"),
    ):
        if pattern is None:
            continue
        for ct in cts:
            value = getattr(ct, attr)
            if value is None or not fnmatch.fnmatchcase(value, pattern):
                ct.hide = True


def _table_row(ct: Ct, order: list[Field], trim: bool) -> str:
    cells = []
    last_index = len(order) - 1
    for position, fld in enumerate(order):
        last = position == last_index or not trim
        text = fld.cell(ct, fld.index, last)
        if not last and fld.trim_width:
            text = text[: fld.trim_width]
        cells.append(text)
    return " ".join(cells).rstrip()


def _json(cts: list[Ct], order: list[Field] | None) -> str:
    fields = order if order is not None else [f for f in FIELDS if f.index == 0]
    parts = ["["]
    for number, ct in enumerate(cts):
        parts.append(("," if number else "") + "\n  {")
        for position, fld in enumerate(fields):
            parts.append(("," if position else "") + f'\n    "{fld.name}": ' + fld.json(ct, fld.index))
        parts.append("\n  }")
    parts.append("\n]\n")
    return "".join(parts)


__all__ = ["FIELDS", "main"]
