"""Per-option value handlers for ``vzctl set``/``create``: they mirror vzctl's ``parse()`` one option at a time.

Most scalars keep the first value given (vzctl's ERR_DUP is silently ignored on the command line), UBCs and I/O
limits keep the last, lists accumulate. The same handlers read config files (``conflines``), where vzctl uses the
same parser.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from vztui.openvz.setbuilder import DuplicateValueError, OptionBuilder
from vztui.openvz.setdevices import parse_device, parse_devnode, parse_netif_add, parse_pci
from vztui.openvz.setoptions import (
    CAPABILITIES,
    FEATURES,
    IPTABLES_MODULES,
    MEMINFO_MODES,
    NETFILTER_MODES,
    PLOOP_MODES,
    UBC_KINDS,
    UBC_STORE_ORDER,
    Kind,
)
from vztui.openvz.setrequest import SetParamError, Veth
from vztui.openvz.setvalues import (
    CPUMASK_NBITS,
    IFNAMSIZE,
    NODEMASK_NBITS,
    BadValueError,
    canon_ip,
    find_ip,
    format_bitmap,
    parse_bitmap,
    parse_cpulimit,
    parse_hwaddr,
    parse_int,
    parse_iolimit,
    parse_twoul_sfx,
    parse_ulong,
    parse_vswap_pages,
    parse_yesno,
    split_tokens,
)
from vztui.openvz.units import PAGE_SIZE


def _find_str(items: list[str], wanted: str) -> str | None:
    return wanted if wanted in items else None


Handler = Callable[[OptionBuilder, str], None]
_C_FLOAT = re.compile(r"\s*[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
"""The prefix sscanf("%f") accepts (hex floats, inf and nan are left out)."""


def _ubc_handler(resource: str) -> Handler:
    kind = UBC_KINDS[resource]
    divisor = {Kind.UBC_PAGES: PAGE_SIZE, Kind.UBC_BYTES: 1, Kind.UBC_ITEMS: 0}[kind]

    def handle(builder: OptionBuilder, value: str) -> None:
        barrier, limit, truncated = parse_twoul_sfx(value, divisor, allow_unlimited=True)
        if truncated:
            raise BadValueError(value)
        builder.ubc[resource] = (barrier, limit)

    return handle


def _vswap_handler(resource: str) -> Handler:
    def handle(builder: OptionBuilder, value: str) -> None:
        builder.ubc[resource] = (0, parse_vswap_pages(value))

    return handle


def _string(key: str) -> Handler:
    def handle(builder: OptionBuilder, value: str) -> None:
        builder.first(key, value)

    return handle


def _yesno(key: str) -> Handler:
    def handle(builder: OptionBuilder, value: str) -> None:
        if key in builder.values:
            raise DuplicateValueError
        builder.values[key] = parse_yesno(value)

    return handle


def _ulong(key: str) -> Handler:
    def handle(builder: OptionBuilder, value: str) -> None:
        if key in builder.values:
            raise DuplicateValueError
        builder.values[key] = parse_ulong(value)

    return handle


def _strlist(key: str) -> Handler:
    def handle(builder: OptionBuilder, value: str) -> None:
        builder.add_unique(key, split_tokens(value), _find_str)

    return handle


def _ip(key: str) -> Handler:
    def handle(builder: OptionBuilder, value: str) -> None:
        for token in split_tokens(value):
            if key == "ip_del" and token == "all":  # noqa: S105 - the keyword, not a secret
                builder.flags.add("ip_delall")
                continue
            if token in ("0.0.0.0", "::", "::0"):  # noqa: S104 - vzctl silently skips these
                continue
            # One by one, as vzctl does: addresses before a bad one stay (it matters when reading a config).
            builder.add_unique(key, [canon_ip(token)], find_ip)

    return handle


def _netdev(key: str) -> Handler:
    def handle(builder: OptionBuilder, value: str) -> None:
        for token in split_tokens(value):
            if token.startswith(("venet", "tun", "tap", "lo")):
                raise BadValueError(value)
            builder.lists.setdefault(key, []).append(token)

    return handle


def _cpuunits(builder: OptionBuilder, value: str) -> None:
    if "cpuunits" in builder.values:
        raise DuplicateValueError
    units = parse_ulong(value)
    if not 8 <= units <= 500000:
        raise BadValueError(value)
    builder.values["cpuunits"] = units


def _cpulimit(builder: OptionBuilder, value: str) -> None:
    if "cpulimit" in builder.values:
        raise DuplicateValueError
    builder.values["cpulimit"] = parse_cpulimit(value)


def _bitmap(key: str, nbits: int, *, allow_auto: bool) -> Handler:
    def handle(builder: OptionBuilder, value: str) -> None:
        if allow_auto and value == "auto":
            builder.flags.add(f"{key}_auto")  # a flag beside the mask: "auto" wins whenever it was given
            return
        if key in builder.values:
            raise DuplicateValueError
        bits = frozenset(range(nbits)) if value == "all" else parse_bitmap(value, nbits)
        builder.values[key] = format_bitmap(bits, nbits)

    return handle


def _disk(key: str, divisor: int) -> Handler:
    def handle(builder: OptionBuilder, value: str) -> None:
        if key in builder.values:
            raise DuplicateValueError
        soft, hard, _ = parse_twoul_sfx(value, divisor, allow_unlimited=False)
        builder.values[key] = (soft, hard)

    return handle


def _capability(builder: OptionBuilder, value: str) -> None:
    for token in split_tokens(value, " \t,"):
        name, colon, state = token.rpartition(":")
        if not colon or state not in ("on", "off"):
            raise SetParamError(f"Can't parse capability {token} (expecting capname:on|off)")
        upper = name.upper()
        if upper not in CAPABILITIES:
            raise SetParamError(f"Capability {name} is unknown")
        (builder.cap_on if state == "on" else builder.cap_off).add(upper)


def _features(builder: OptionBuilder, value: str) -> None:
    """Known features are applied even when others are unknown; the unknown ones still make the value bad."""
    unknown = False
    for token in split_tokens(value, " \t,"):
        name, colon, state = token.partition(":")
        if not colon or name not in FEATURES or state not in ("on", "off"):
            builder.notes.append(f"Warning: Unknown feature: {token}")
            unknown = True
            continue
        if state == "on":
            builder.features_on.add(name)
        builder.features_known.add(name)
    if unknown:
        raise BadValueError(value)


def _iptables(builder: OptionBuilder, value: str) -> None:
    """Like vzctl: known modules are kept, each unknown one is reported, and the value is then bad."""
    warnings = []
    for token in split_tokens(value, " \t,"):
        if token not in IPTABLES_MODULES:
            warnings.append(f"Warning: Unknown iptable module: {token}, skipped")
            continue
        builder.iptables.add(token)
    if warnings:
        raise SetParamError("\n".join(warnings))


def _netfilter(builder: OptionBuilder, value: str) -> None:
    if value not in NETFILTER_MODES:
        raise SetParamError(f"Incorrect netfilter value: {value}")
    builder.values["netfilter"] = value


def _setmode(builder: OptionBuilder, value: str) -> None:
    if value not in ("restart", "ignore"):
        raise BadValueError(value)
    builder.values["setmode"] = value


def _applyconfig_map(builder: OptionBuilder, value: str) -> None:
    if value != "name":
        raise BadValueError(value)
    builder.values["applyconfig_map"] = value


def _name(builder: OptionBuilder, value: str) -> None:
    if "name" in builder.values:
        raise DuplicateValueError
    if any(not (ch.isascii() and (ch.isalnum() or ch in " -+_.")) for ch in value):
        raise BadValueError(value)
    builder.values["name"] = value


def _ioprio(builder: OptionBuilder, value: str) -> None:
    prio = parse_int(value)
    if not 0 <= prio <= 7:
        raise BadValueError(value)
    builder.values["ioprio"] = prio


def _iolimit(builder: OptionBuilder, value: str) -> None:
    builder.values["iolimit"] = parse_iolimit(value, 1024 * 1024)


def _iopslimit(builder: OptionBuilder, value: str) -> None:
    limit = parse_int(value)
    if limit < 0:
        raise BadValueError(value)
    builder.values["iopslimit"] = limit


def _stop_timeout(builder: OptionBuilder, value: str) -> None:
    if "stop_timeout" in builder.values:
        raise DuplicateValueError
    timeout = parse_int(value)
    if timeout < 0:
        raise BadValueError(value)
    builder.values["stop_timeout"] = timeout


def _vm_overcommit(builder: OptionBuilder, value: str) -> None:
    if "vm_overcommit" in builder.values:
        raise DuplicateValueError
    match = _C_FLOAT.match(value)
    if match is None:
        raise BadValueError(value)
    builder.values["vm_overcommit"] = float(match.group().strip())


def _meminfo(builder: OptionBuilder, value: str) -> None:
    if not value:
        return
    mode, colon, number = value.partition(":")
    if mode not in MEMINFO_MODES:
        raise BadValueError(value)
    if mode == "none":
        if colon:
            raise BadValueError(value)
        builder.values["meminfo"] = "none"
        return
    if not colon or not number.isdigit() or int(number) == 0:
        raise BadValueError(value)
    builder.values["meminfo"] = f"{mode}:{int(number)}"


def _devices(builder: OptionBuilder, value: str) -> None:
    for token in split_tokens(value, " "):
        builder.devices.append(parse_device(token))


def _devnodes(builder: OptionBuilder, value: str) -> None:
    for token in split_tokens(value, " "):
        builder.devnodes.append(parse_devnode(token))


def _pci(key: str) -> Handler:
    def handle(builder: OptionBuilder, value: str) -> None:
        builder.add_unique(key, [parse_pci(token) for token in split_tokens(value, " ")], _find_str)

    return handle


def _layout(builder: OptionBuilder, value: str) -> None:
    if value in {"simfs", "ploop"} or (value.startswith("ploop:") and value[6:] in PLOOP_MODES):
        builder.values["layout"] = value
        return
    raise BadValueError(value)


def _netif_add(builder: OptionBuilder, value: str) -> None:
    for token in split_tokens(value, " "):
        builder.veths.append(parse_netif_add(token, builder.ctid, builder.hwid))


def _netif_del(builder: OptionBuilder, value: str) -> None:
    if len(value) > IFNAMSIZE:
        raise BadValueError(value)
    if value == "all":
        builder.flags.add("netif_delall")
        return
    builder.add_unique("netif_del", [value], _find_str)


def _netif_edit(field_name: str) -> Handler:
    def handle(builder: OptionBuilder, value: str) -> None:
        if builder.veth_edit_index is None:
            builder.veths.append(Veth())
            builder.veth_edit_index = len(builder.veths) - 1
        current = builder.veths[builder.veth_edit_index]
        if field_name in ("ifname", "bridge") and getattr(current, field_name):
            option = "--ifname" if field_name == "ifname" else "--bridge"
            raise SetParamError(f"Multiple use of {option} option not allowed")
        if field_name in ("ifname", "host_ifname", "bridge"):
            if len(value) > IFNAMSIZE:
                raise BadValueError(value)
            update: dict[str, object] = {field_name: value}
        elif field_name in ("mac", "host_mac"):
            update = {field_name: parse_hwaddr(value)}
        else:
            if value not in ("on", "off"):
                raise BadValueError(value)
            update = {"mac_filter": value == "on"}
        builder.veths[builder.veth_edit_index] = Veth(**{**_veth_fields(current), **update})  # type: ignore[arg-type]

    return handle


def _veth_fields(veth: Veth) -> dict[str, object]:
    return {name: getattr(veth, name) for name in Veth.__slots__}


def _flag(name: str) -> Handler:
    def handle(builder: OptionBuilder, value: str) -> None:
        builder.flags.add(name)

    return handle


def _append(key: str) -> Handler:
    def handle(builder: OptionBuilder, value: str) -> None:
        builder.lists.setdefault(key, []).append(value)

    return handle


def _ignore(builder: OptionBuilder, value: str) -> None:
    """Accepted and ignored, as vzctl does with its short options and with --local_uid on non-upstream kernels."""


HANDLERS: dict[str, Handler] = {
    "save": _flag("save"),
    "force": _flag("force"),
    "reset_ub": _flag("reset_ub"),
    "skip_arpdetect": _flag("skip_arpdetect"),
    "offline_resize": _flag("offline_resize"),
    "applyconfig": _string("applyconfig"),
    "applyconfig_map": _applyconfig_map,
    "iptables": _iptables,
    "netfilter": _netfilter,
    **{name: _ubc_handler(name) for name in UBC_STORE_ORDER},
    "ram": _vswap_handler("physpages"),
    "swap": _vswap_handler("swappages"),
    "vm_overcommit": _vm_overcommit,
    "capability": _capability,
    "ip_add": _ip("ip_add"),
    "ip_del": _ip("ip_del"),
    "netdev_add": _netdev("netdev_add"),
    "netdev_del": _netdev("netdev_del"),
    "hostname": _string("hostname"),
    "description": _string("description"),
    "nameserver": _strlist("nameservers"),
    "searchdomain": _strlist("searchdomains"),
    "userpasswd": _append("userpasswd"),
    "devices": _devices,
    "devnodes": _devnodes,
    "pci_add": _pci("pci_add"),
    "pci_del": _pci("pci_del"),
    "root": _string("root"),
    "private": _string("private"),
    "mount_opts": _string("mount_opts"),
    "ostemplate": _string("ostemplate"),
    "cpuunits": _cpuunits,
    "cpuweight": _ulong("cpuweight"),
    "cpulimit": _cpulimit,
    "cpus": _ulong("cpus"),
    "cpumask": _bitmap("cpumask", CPUMASK_NBITS, allow_auto=True),
    "nodemask": _bitmap("nodemask", NODEMASK_NBITS, allow_auto=False),
    "onboot": _yesno("onboot"),
    "setmode": _setmode,
    "disabled": _yesno("disabled"),
    "diskquota": _yesno("diskquota"),
    "diskspace": _disk("diskspace", 1024),
    "diskinodes": _disk("diskinodes", 1),
    "quotatime": _ulong("quotatime"),
    "quotaugidlimit": _ulong("quotaugidlimit"),
    "meminfo": _meminfo,
    "netif_add": _netif_add,
    "netif_del": _netif_del,
    "mac_filter": _netif_edit("mac_filter"),
    "mac": _netif_edit("mac"),
    "ifname": _netif_edit("ifname"),
    "host_mac": _netif_edit("host_mac"),
    "host_ifname": _netif_edit("host_ifname"),
    "bridge": _netif_edit("bridge"),
    "name": _name,
    "features": _features,
    "ioprio": _ioprio,
    "iolimit": _iolimit,
    "iopslimit": _iopslimit,
    "bootorder": _ulong("bootorder"),
    "stop_timeout": _stop_timeout,
    "layout": _layout,
    "config": _string("config"),
    "origin_sample": _string("origin_sample"),
    "local_uid": _ignore,
    "local_gid": _ignore,
}
