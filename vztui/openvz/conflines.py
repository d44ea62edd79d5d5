"""Reading CTID.conf and sample files the way vzctl's own config parser does, for the config writer.

vzctl parses the existing file before saving (to merge IP lists, capabilities, devices, veths …) and parses a
sample for ``--applyconfig``. It skips bad lines with a warning; so do we. This is not the general-purpose
``parse_conf`` (that lives in ``parsers``): it yields vzctl's typed view, in a ``SetRequest``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

from vztui.openvz.setbuilder import DuplicateValueError, OptionBuilder, freeze_request
from vztui.openvz.setdevices import parse_netif_config_entry
from vztui.openvz.sethandlers import HANDLERS, Handler
from vztui.openvz.setoptions import UBC_STORE_ORDER
from vztui.openvz.setrequest import DEFAULT_HWID, Device, DevNode, SetParamError, SetRequest, Veth
from vztui.openvz.setvalues import (
    BadValueError,
    parse_iolimit,
    split_tokens,
)

_C_SPACE = " \t\n\v\f\r"


@dataclass(frozen=True, slots=True)
class ConfigValues:
    """The parts of an existing config that ``--save`` merges with the command line."""

    ips: tuple[str, ...] = ()
    netdevs: tuple[str, ...] = ()
    capabilities_on: frozenset[str] = frozenset()
    capabilities_off: frozenset[str] = frozenset()
    features_on: frozenset[str] = frozenset()
    features_known: frozenset[str] = frozenset()
    devices: tuple[Device, ...] = ()
    devnodes: tuple[DevNode, ...] = ()
    pci: tuple[str, ...] = ()
    veths: tuple[Veth, ...] = ()
    layout: str | None = None


def config_items(text: str) -> Iterator[tuple[int, str, str]]:
    """(line number, KEY, value) per vzctl ``parse_line``: blanks and ``#`` skipped, outer quotes removed.

    A quoted value runs to the **last** double quote on the line, as in vzctl; lines without ``=`` or with an
    unmatched quote are skipped.
    """
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.strip(_C_SPACE)
        if not line or line.startswith("#"):
            continue
        key, equals, value = line.partition("=")
        if not equals:
            continue
        if value.startswith('"'):
            closing = value.rfind('"')
            if closing == 0:
                continue
            value = value[1:closing]
        yield number, key, value


def _netif_config(builder: OptionBuilder, value: str) -> None:
    """NETIF as stored: ``ifname=…,bridge=…,mac=…,host_ifname=…,host_mac=…[,mac_filter=on|off]`` joined by ``;``."""
    if builder.veths:
        raise DuplicateValueError
    for token in split_tokens(value, ";"):
        veth = parse_netif_config_entry(token, builder.ctid, builder.hwid)
        if all(existing.ifname != veth.ifname for existing in builder.veths):
            builder.veths.append(veth)


def _iolimit_bytes(builder: OptionBuilder, value: str) -> None:
    builder.values["iolimit"] = parse_iolimit(value, 1)


def _config_handlers() -> dict[str, Handler]:
    handlers: dict[str, Handler] = {name.upper(): HANDLERS[name] for name in UBC_STORE_ORDER}
    handlers["DCACHE"] = HANDLERS["dcachesize"]
    handlers["IPTENTRIES"] = HANDLERS["numiptent"]
    by_param = {
        "VM_OVERCOMMIT": "vm_overcommit",
        "IPTABLES": "iptables",
        "NETFILTER": "netfilter",
        "CAPABILITY": "capability",
        "IP_ADDRESS": "ip_add",
        "NETDEV": "netdev_add",
        "HOSTNAME": "hostname",
        "DESCRIPTION": "description",
        "NAMESERVER": "nameserver",
        "SEARCHDOMAIN": "searchdomain",
        "DEVICES": "devices",
        "DEVNODES": "devnodes",
        "PCI": "pci_add",
        "VE_ROOT": "root",
        "VE_PRIVATE": "private",
        "MOUNT_OPTS": "mount_opts",
        "VE_LAYOUT": "layout",
        "OSTEMPLATE": "ostemplate",
        "CPUUNITS": "cpuunits",
        "CPUUWEIGHT": "cpuweight",
        "CPULIMIT": "cpulimit",
        "CPUS": "cpus",
        "CPUMASK": "cpumask",
        "NODEMASK": "nodemask",
        "ONBOOT": "onboot",
        "ORIGIN_SAMPLE": "origin_sample",
        "DISABLED": "disabled",
        "DISK_QUOTA": "diskquota",
        "DISKSPACE": "diskspace",
        "DISKINODES": "diskinodes",
        "QUOTATIME": "quotatime",
        "QUOTAUGIDLIMIT": "quotaugidlimit",
        "MEMINFO": "meminfo",
        "NAME": "name",
        "FEATURES": "features",
        "IOPRIO": "ioprio",
        "IOPSLIMIT": "iopslimit",
        "BOOTORDER": "bootorder",
        "STOP_TIMEOUT": "stop_timeout",
    }
    handlers.update({key: HANDLERS[param] for key, param in by_param.items()})
    handlers["NETIF"] = _netif_config
    handlers["IOLIMIT"] = _iolimit_bytes
    return handlers


CONFIG_HANDLERS = _config_handlers()


def read_config_request(text: str, *, ctid: int = 0, hwid: str = DEFAULT_HWID) -> SetRequest:
    """Everything vzctl understands in a config file, as if it had been given on the command line.

    Unknown keys are ignored; values vzctl would skip ("invalid value … skipped") are skipped. ``args`` is empty.
    """
    builder = OptionBuilder(ctid, hwid)
    for _, key, value in config_items(text):
        handler = CONFIG_HANDLERS.get(key)
        if handler is None:
            continue
        try:
            handler(builder, value)
        except (DuplicateValueError, BadValueError, SetParamError):
            continue
    return freeze_request(builder, ())


def read_config_values(text: str, *, ctid: int = 0, hwid: str = DEFAULT_HWID, host_cpus: int = 1) -> ConfigValues:
    """The merge-relevant view of an existing config (``host_cpus`` is accepted for symmetry with samples)."""
    request = read_config_request(text, ctid=ctid, hwid=hwid)
    return ConfigValues(
        ips=request.ip_add,
        netdevs=request.netdev_add,
        capabilities_on=request.capabilities_on,
        capabilities_off=request.capabilities_off,
        features_on=request.features_on,
        features_known=request.features_known,
        devices=request.devices,
        devnodes=request.devnodes,
        pci=request.pci_add,
        veths=request.netif_add,
        layout=request.layout,
    )


def sample_overlay(
    sample_text: str, sample_name: str, *, ctid: int = 0, hwid: str = DEFAULT_HWID, host_cpus: int = 1
) -> SetRequest:
    """What ``--applyconfig <sample_name>`` contributes: the sample's values plus ORIGIN_SAMPLE."""
    request = read_config_request(sample_text, ctid=ctid, hwid=hwid)
    if request.origin_sample is None:
        request = replace(request, origin_sample=sample_name)
    return request
