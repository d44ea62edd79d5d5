"""The CTID.conf text ``vzctl set --save`` writes, byte for byte (REFERENCE §2.7, §11).

vzctl builds a list of ``KEY="value"`` lines in its internal order (UBCs first, then its parameter table), then
replaces the first file line starting with ``KEY=`` in place or appends the line at the end. Some keys are
rewritten on every save even when the command line does not mention them (VE_LAYOUT, DEVICES, DEVNODES), exactly
as vzctl 4.11.1 does (learned from kolyshkin/vzctl ``src/lib/config.c``). Used for diff previews and by the
simulator.
"""

from __future__ import annotations

import difflib
import struct
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from vztui.openvz.conflines import (
    ConfigValues,
    read_config_request,
    read_config_values,
    sample_overlay,
)
from vztui.openvz.setparams import (
    CAPABILITIES,
    FEATURES,
    IPTABLES_MODULES,
    UBC_STORE_ORDER,
    Device,
    DevNode,
    SetRequest,
    Veth,
)
from vztui.openvz.setrequest import DEFAULT_HWID
from vztui.openvz.setvalues import find_ip
from vztui.openvz.units import LONG_MAX

__all__ = [
    "SaveResult",
    "apply_sample",
    "apply_set",
    "config_diff",
    "create_config",
    "save_config",
    "stored_lines",
    "ubc_string",
]


def ubc_string(barrier: int, limit: int) -> str:
    """vzctl ``ubcstr``: ``unlimited`` for LONG_MAX, one number when barrier == limit, else ``bar:lim``."""

    def one(value: int) -> str:
        return "unlimited" if value == LONG_MAX else str(value)

    return one(barrier) if barrier == limit else f"{one(barrier)}:{one(limit)}"


def format_float(value: float) -> str:
    """C ``printf("%g", (float)v)``: VM_OVERCOMMIT is a single-precision float in vzctl."""
    try:
        single: float = struct.unpack("f", struct.pack("f", value))[0]
    except OverflowError:
        single = value  # beyond float range: C prints inf, and so does Python for an infinite double
        if abs(single) != float("inf"):
            single = float("inf") if single > 0 else float("-inf")
    return f"{single:g}"


@dataclass(frozen=True, slots=True)
class SaveResult:
    """What ``--save`` produced: the new text and whether vzctl would have written anything at all.

    ``changed`` False is vzctl's "No changes in CT configuration, not saving" (the text is then unchanged).
    """

    text: str
    changed: bool
    stored: tuple[str, ...] = field(default=())


def stored_lines(
    conf_text: str,
    request: SetRequest,
    *,
    host_cpus: int = 1,
    ctid: int = 0,
    hwid: str = DEFAULT_HWID,
    sample_text: str | None = None,
) -> list[str]:
    """The ``KEY="value"`` lines vzctl would merge into ``conf_text``, in its order (vzctl ``store``)."""
    old = read_config_values(conf_text, ctid=ctid, hwid=hwid, host_cpus=host_cpus)
    if request.applyconfig is not None and sample_text is not None:
        request = _merge_sample(request, sample_text, request.applyconfig, ctid=ctid, hwid=hwid, host_cpus=host_cpus)
    return list(_store(old, request, host_cpus=host_cpus))


def save_config(
    conf_text: str,
    request: SetRequest,
    *,
    host_cpus: int = 1,
    ctid: int = 0,
    hwid: str = DEFAULT_HWID,
    sample_text: str | None = None,
) -> SaveResult:
    """Merge the stored lines into ``conf_text`` as vzctl ``vps_merge_conf`` + ``write_conf`` do."""
    lines = stored_lines(conf_text, request, host_cpus=host_cpus, ctid=ctid, hwid=hwid, sample_text=sample_text)
    file_lines = _split_c_lines(conf_text)
    count = 0
    for line in lines:
        key, equals, _ = line.partition("=")
        if not equals:
            continue
        prefix = f"{key}="
        for index, existing in enumerate(file_lines):
            if existing.startswith(prefix):
                file_lines[index] = line
                break
        else:
            file_lines.append(line)
        count += 1
    if not count:
        return SaveResult(conf_text, changed=False)
    text = "".join(line if line.endswith("\n") else f"{line}\n" for line in file_lines)
    return SaveResult(text, changed=True, stored=tuple(lines))


def apply_set(
    conf_text: str,
    request: SetRequest,
    *,
    host_cpus: int = 1,
    ctid: int = 0,
    hwid: str = DEFAULT_HWID,
    sample_text: str | None = None,
) -> str:
    """The config text ``vzctl set CTID <request> --save`` leaves behind (REFERENCE §2.7, §11 byte-exact).

    ``host_cpus`` resolves ``--cpulimit N%``; ``ctid``/``hwid`` feed generated veth names and MACs;
    ``sample_text`` is the ``ve-<name>.conf-sample`` an ``--applyconfig <name>`` refers to.
    """
    return save_config(conf_text, request, host_cpus=host_cpus, ctid=ctid, hwid=hwid, sample_text=sample_text).text


def apply_sample(conf_text: str, sample_text: str, sample_name: str, *, ctid: int = 0, host_cpus: int = 1) -> str:
    """``vzctl set CTID --applyconfig <sample_name> --save``: copy the sample's UBC, disk, CPU … values.

    HOSTNAME, IP_ADDRESS, OSTEMPLATE, VE_ROOT, VE_PRIVATE and DESCRIPTION are kept; ORIGIN_SAMPLE is rewritten.
    """
    request = SetRequest(args=("--applyconfig", sample_name, "--save"), save=True, applyconfig=sample_name)
    return apply_set(conf_text, request, host_cpus=host_cpus, ctid=ctid, sample_text=sample_text)


def create_config(
    sample_text: str,
    request: SetRequest,
    *,
    sample_name: str,
    ve_root: str,
    ve_private: str,
    layout: str,
    ostemplate: str,
    ctid: int = 0,
    hwid: str = DEFAULT_HWID,
) -> str:
    """The CTID.conf ``vzctl create`` writes: the sample copied byte for byte, then vzctl's save of the create.

    ``request`` is ``parse_create_args(...)``; ``ve_root``/``ve_private``/``layout``/``ostemplate`` are the values in
    effect (the command line's, else vz.conf's), kept unexpanded (``$VEID``). New keys land in vzctl's order:
    IP_ADDRESS, HOSTNAME, DESCRIPTION, VE_ROOT, VE_PRIVATE, VE_LAYOUT, OSTEMPLATE, ORIGIN_SAMPLE, DISKSPACE,
    DISKINODES, NAME (REFERENCE §2.7, vzctl ``vps_create``).
    """
    sample_origin = read_config_request(sample_text, ctid=ctid, hwid=hwid).origin_sample
    effective = replace(
        request,
        root=request.root or ve_root,
        private=request.private or ve_private,
        layout=request.layout or layout,
        ostemplate=request.ostemplate or ostemplate,
        origin_sample=None if sample_origin is not None else sample_name,
        config=None,
    )
    return save_config(sample_text, effective, ctid=ctid, hwid=hwid).text


def config_diff(old: str, new: str, *, old_name: str = "current", new_name: str = "after set") -> list[str]:
    """Unified-diff lines (no trailing newlines) for a preview of what ``--save`` will change."""
    return list(
        difflib.unified_diff(
            old.splitlines(),
            new.splitlines(),
            fromfile=old_name,
            tofile=new_name,
            lineterm="",
        )
    )


def _split_c_lines(text: str) -> list[str]:
    """Lines as fgets() returns them: each keeps its ``\\n``; a last line without one is kept as is."""
    if not text:
        return []
    parts = text.split("\n")
    lines = [f"{part}\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def _merge_sample(
    request: SetRequest, sample_text: str, sample_name: str, *, ctid: int, hwid: str, host_cpus: int
) -> SetRequest:
    """vzctl ``merge_apply_param``: the sample's values win, minus the per-CT identity keys."""
    overlay = sample_overlay(sample_text, sample_name, ctid=ctid, hwid=hwid, host_cpus=host_cpus)
    ubc = {**request.ubc, **overlay.ubc}
    changes: dict[str, object] = {
        name: value
        for name, value in _overlay_fields(overlay)
        if name not in {"ubc", "args", "hostname", "description", "ostemplate", "root", "private", "ip_add"}
    }
    return replace(request, ubc=MappingProxyType(ubc), **changes)  # type: ignore[arg-type]


def _overlay_fields(overlay: SetRequest) -> Iterable[tuple[str, object]]:
    empty = SetRequest()
    for name in SetRequest.__slots__:
        value = getattr(overlay, name)
        if value != getattr(empty, name):
            yield name, value


def _quoted(key: str, value: str) -> str:
    return f'{key}="{value}"'


def _store(old: ConfigValues, new: SetRequest, *, host_cpus: int) -> Iterable[str]:
    yield from _store_ubc(new.ubc)
    if new.vm_overcommit is not None:
        yield _quoted("VM_OVERCOMMIT", format_float(new.vm_overcommit))
    if new.iptables:
        yield _quoted("IPTABLES", "".join(f"{name} " for name in IPTABLES_MODULES if name in new.iptables))
    if new.netfilter is not None:
        yield _quoted("NETFILTER", new.netfilter)
    if new.capabilities_on or new.capabilities_off:
        yield _quoted("CAPABILITY", _capability_string(old, new))
    if new.ip_delall or new.ip_add or new.ip_del:
        yield _quoted("IP_ADDRESS", " ".join(_merge_ips(old.ips, new)))
    if new.netdev_add or new.netdev_del:
        kept = [dev for dev in old.netdevs if dev not in new.netdev_add and dev not in new.netdev_del]
        yield _quoted("NETDEV", " ".join([*kept, *new.netdev_add]))
    yield from _optional("HOSTNAME", new.hostname)
    yield from _optional("DESCRIPTION", new.description)
    if new.nameservers:
        yield _quoted("NAMESERVER", " ".join(new.nameservers))
    if new.searchdomains:
        yield _quoted("SEARCHDOMAIN", " ".join(new.searchdomains))
    yield from _store_devices(old.devices, new.devices)
    yield from _store_devnodes(old.devnodes, new.devnodes)
    if new.pci_add or new.pci_del:
        kept = [pci for pci in old.pci if pci not in new.pci_add and pci not in new.pci_del]
        yield _quoted("PCI", " ".join([*kept, *new.pci_add]))
    yield from _optional("VE_ROOT", new.root)
    yield from _optional("VE_PRIVATE", new.private)
    yield from _optional("MOUNT_OPTS", new.mount_opts)
    layout = new.layout or old.layout
    if layout:
        yield _quoted("VE_LAYOUT", "simfs" if layout == "simfs" else "ploop")
    yield from _optional("OSTEMPLATE", new.ostemplate)
    yield from _optional_int("CPUUNITS", new.cpuunits)
    yield from _optional_int("CPUUWEIGHT", new.cpuweight)
    yield from _optional_int("CPULIMIT", new.cpulimit_value(host_cpus))
    yield from _optional_int("CPUS", new.cpus)
    yield from _optional("CPUMASK", new.cpumask)
    yield from _optional("NODEMASK", new.nodemask)
    yield from _optional_yesno("ONBOOT", new.onboot)
    yield from _optional("ORIGIN_SAMPLE", new.origin_sample)
    yield from _optional_yesno("DISABLED", new.disabled)
    yield from _optional_yesno("DISK_QUOTA", new.diskquota)
    if new.diskspace is not None:
        yield _quoted("DISKSPACE", f"{new.diskspace[0]}:{new.diskspace[1]}")
    if new.diskinodes is not None:
        yield _quoted("DISKINODES", f"{new.diskinodes[0]}:{new.diskinodes[1]}")
    yield from _optional_int("QUOTATIME", new.quotatime)
    yield from _optional_int("QUOTAUGIDLIMIT", new.quotaugidlimit)
    yield from _optional("MEMINFO", new.meminfo)
    if new.netif_add or new.netif_del or new.netif_delall:
        yield _quoted("NETIF", ";".join(veth.format() for veth in _merge_veths(old.veths, new)))
    yield from _optional("NAME", new.name)
    if new.features_known:
        yield _quoted("FEATURES", _features_string(old, new))
    yield from _optional_int("IOPRIO", new.ioprio)
    yield from _optional_int("IOLIMIT", new.iolimit)
    yield from _optional_int("IOPSLIMIT", new.iopslimit)
    yield from _optional_int("BOOTORDER", new.bootorder)
    yield from _optional_int("STOP_TIMEOUT", new.stop_timeout)


def _store_ubc(ubc: Mapping[str, tuple[int, int]]) -> Iterable[str]:
    for name in UBC_STORE_ORDER:
        if name in ubc:
            barrier, limit = ubc[name]
            yield _quoted(name.upper(), ubc_string(barrier, limit))


def _optional(key: str, value: str | None) -> Iterable[str]:
    if value is not None:
        yield _quoted(key, value)


def _optional_int(key: str, value: int | None) -> Iterable[str]:
    if value is not None:
        yield _quoted(key, str(value))


def _optional_yesno(key: str, value: bool | None) -> Iterable[str]:
    if value is not None:
        yield _quoted(key, "yes" if value else "no")


def _capability_string(old: ConfigValues, new: SetRequest) -> str:
    parts = []
    for name in CAPABILITIES:
        if name in new.capabilities_on:
            state = "on"
        elif name in new.capabilities_off:
            state = "off"
        elif name in old.capabilities_on:
            state = "on"
        elif name in old.capabilities_off:
            state = "off"
        else:
            continue
        parts.append(f"{name}:{state}")
    return " ".join(parts)


def _features_string(old: ConfigValues, new: SetRequest) -> str:
    known = old.features_known | new.features_known
    enabled = (new.features_on & new.features_known) | (old.features_on - new.features_known)
    return " ".join(f"{name}:{'on' if name in enabled else 'off'}" for name in FEATURES if name in known)


def _merge_ips(old_ips: tuple[str, ...], new: SetRequest) -> list[str]:
    """vzctl ``fix_ip_param`` + ``merge_ip_list``: re-added addresses move to the end; ``all`` drops the old list."""
    adds = list(new.ip_add)
    deletes = list(new.ip_del)
    for address in adds:
        found = find_ip(list(old_ips), address)
        if found is not None and find_ip(deletes, address) is None:
            deletes.append(found)
    merged: list[str] = []
    if not new.ip_delall:
        merged.extend(ip for ip in old_ips if find_ip(adds, ip) is None and find_ip(deletes, ip) is None)
    merged.extend(adds)
    return merged


def _store_devices(old: tuple[Device, ...], new: tuple[Device, ...]) -> Iterable[str]:
    """vzctl ``store_dev``: rewritten whenever the config or the command line has any device.

    When the config only has named devices (DEVNODES) and the command line none, vzctl stores an uninitialised
    buffer here; we store nothing, which is what it does whenever that buffer holds no ``=``.
    """
    if not old and not new:
        return
    new_ids = {device.identity for device in new}
    entries = [dev for dev in old if dev.perms and dev.identity not in new_ids]
    entries += [dev for dev in new if dev.perms]
    if entries:
        yield _quoted("DEVICES", "".join(f"{device.format()} " for device in entries))
    elif old and new:
        yield _quoted("DEVICES", "")


def _store_devnodes(old: tuple[DevNode, ...], new: tuple[DevNode, ...]) -> Iterable[str]:
    """vzctl ``store_devnodes``: entries end with a space (``DEVNODES="net/tun:rw "``, REFERENCE §11)."""
    if not old and not new:
        return
    new_names = {node.name for node in new}
    entries = [node for node in old if node.perms and node.name not in new_names]
    entries += [node for node in new if node.perms]
    if entries:
        yield _quoted("DEVNODES", "".join(f"{node.format()} " for node in entries))
    elif old and new:
        yield _quoted("DEVNODES", "")


def _merge_veths(old: tuple[Veth, ...], new: SetRequest) -> list[Veth]:
    """vzctl ``merge_veth_list``: deleted devices go, edited ones merge field by field, new ones are appended."""
    base = () if new.netif_delall else old
    deleted = set(new.netif_del)
    merged: list[Veth] = []
    for veth in base:
        if veth.ifname in deleted:
            continue
        update = next((add for add in new.netif_add if add.ifname == veth.ifname), None)
        merged.append(veth.merged_with(update) if update is not None else veth)
    known = {veth.ifname for veth in base}
    merged.extend(add for add in new.netif_add if add.ifname not in known)
    return merged
