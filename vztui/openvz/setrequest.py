"""``SetRequest``: a parsed ``vzctl set``/``create`` command line in vzctl's units, plus its error type."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

VZ_SYSTEM_ERROR = 3
VZ_INVALID_PARAMETER_SYNTAX = 20
VZ_INVALID_PARAMETER_VALUE = 21
DEFAULT_HWID = "00:00:00:00:00:00"
"""What vzctl hashes into generated MACs when the host has no ``link/ether`` interface."""

PARAM_LINE = "e:p:f:t:i:l:k:a:b:n:x:h"
"""vzctl's short options: accepted by getopt and then ignored by ``set``/``create``."""


class SetParamError(ValueError):
    """vzctl refused the command line: ``message`` is what it prints on stderr (possibly several lines)."""

    def __init__(self, message: str, exit_code: int = VZ_INVALID_PARAMETER_VALUE, *, stdout: str = "") -> None:
        self.message = message
        self.exit_code = exit_code
        self.stdout = stdout
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class Device:
    """One ``--devices`` entry: ``b|c:major:minor|all:perms``; perms ``""`` means none (removes the device)."""

    type: str
    major: int
    minor: int | None
    perms: str

    @property
    def identity(self) -> tuple[str, int, int | None]:
        return (self.type, self.major, self.minor)

    def format(self) -> str:
        minor = "all" if self.minor is None else str(self.minor)
        return f"{self.type}:{self.major}:{minor}:{self.perms}"


@dataclass(frozen=True, slots=True)
class DevNode:
    """One ``--devnodes`` entry: a /dev name and its permissions (``""`` = none, removes it)."""

    name: str
    perms: str

    def format(self) -> str:
        return f"{self.name}:{self.perms}"


@dataclass(frozen=True, slots=True)
class Veth:
    """A veth device as NETIF stores it; empty strings/None mean "not given" (for ``--ifname`` edits)."""

    ifname: str = ""
    mac: str | None = None
    host_ifname: str = ""
    host_mac: str | None = None
    bridge: str = ""
    mac_filter: bool | None = None

    def merged_with(self, newer: Veth) -> Veth:
        """vzctl ``merge_veth_dev``: every field the newer description sets wins."""
        return Veth(
            ifname=newer.ifname or self.ifname,
            mac=newer.mac if newer.mac is not None else self.mac,
            host_ifname=newer.host_ifname or self.host_ifname,
            host_mac=newer.host_mac if newer.host_mac is not None else self.host_mac,
            bridge=newer.bridge or self.bridge,
            mac_filter=newer.mac_filter if newer.mac_filter is not None else self.mac_filter,
        )

    def format(self) -> str:
        """NETIF's field order: ifname, bridge, mac, host_ifname, host_mac, mac_filter."""
        parts = []
        if self.ifname:
            parts.append(f"ifname={self.ifname}")
        if self.bridge:
            parts.append(f"bridge={self.bridge}")
        if self.mac is not None:
            parts.append(f"mac={self.mac}")
        if self.host_ifname:
            parts.append(f"host_ifname={self.host_ifname}")
        if self.host_mac is not None:
            parts.append(f"host_mac={self.host_mac}")
        if self.mac_filter is not None:
            parts.append(f"mac_filter={'on' if self.mac_filter else 'off'}")
        return ",".join(parts)


_EMPTY_UBC: Mapping[str, tuple[int, int]] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class SetRequest:
    """A parsed ``vzctl set CTID …`` (or ``create``) command line, in vzctl's own units.

    ``None`` means "not given". ``args`` keeps the original arguments so ``to_args()`` round-trips exactly.
    ``cpulimit`` keeps the percent flag: ``N%`` is multiplied by the host's CPU count only when saved.
    """

    args: tuple[str, ...] = ()
    save: bool = False
    force: bool = False
    reset_ub: bool = False
    skip_arpdetect: bool = False
    offline_resize: bool = False
    setmode: str | None = None
    applyconfig: str | None = None
    applyconfig_map: str | None = None
    ubc: Mapping[str, tuple[int, int]] = field(default_factory=lambda: _EMPTY_UBC)
    vm_overcommit: float | None = None
    capabilities_on: frozenset[str] = frozenset()
    capabilities_off: frozenset[str] = frozenset()
    ip_add: tuple[str, ...] = ()
    ip_del: tuple[str, ...] = ()
    ip_delall: bool = False
    netdev_add: tuple[str, ...] = ()
    netdev_del: tuple[str, ...] = ()
    hostname: str | None = None
    description: str | None = None
    name: str | None = None
    ostemplate: str | None = None
    root: str | None = None
    private: str | None = None
    mount_opts: str | None = None
    nameservers: tuple[str, ...] = ()
    searchdomains: tuple[str, ...] = ()
    userpasswd: tuple[str, ...] = ()
    devices: tuple[Device, ...] = ()
    devnodes: tuple[DevNode, ...] = ()
    pci_add: tuple[str, ...] = ()
    pci_del: tuple[str, ...] = ()
    cpuunits: int | None = None
    cpuweight: int | None = None
    cpulimit: tuple[int, bool] | None = None
    cpus: int | None = None
    cpumask: str | None = None
    nodemask: str | None = None
    onboot: bool | None = None
    disabled: bool | None = None
    diskquota: bool | None = None
    diskspace: tuple[int, int] | None = None
    diskinodes: tuple[int, int] | None = None
    quotatime: int | None = None
    quotaugidlimit: int | None = None
    meminfo: str | None = None
    netif_add: tuple[Veth, ...] = ()
    netif_del: tuple[str, ...] = ()
    netif_delall: bool = False
    features_on: frozenset[str] = frozenset()
    features_known: frozenset[str] = frozenset()
    ioprio: int | None = None
    iolimit: int | None = None
    iopslimit: int | None = None
    bootorder: int | None = None
    stop_timeout: int | None = None
    iptables: frozenset[str] = frozenset()
    netfilter: str | None = None
    layout: str | None = None
    config: str | None = None
    origin_sample: str | None = None
    """Only set by ``--applyconfig`` (the sample's own ORIGIN_SAMPLE, else its name)."""

    def to_args(self) -> list[str]:
        """The argument list this request was parsed from (what follows ``vzctl set CTID``)."""
        return list(self.args)

    def cpulimit_value(self, host_cpus: int = 1) -> int | None:
        """CPULIMIT as vzctl stores it: ``N%`` × host CPUs, plain N as given."""
        if self.cpulimit is None:
            return None
        value, percent = self.cpulimit
        return value * host_cpus if percent else value
