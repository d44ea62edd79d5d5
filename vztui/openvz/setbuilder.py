"""The mutable accumulator vzctl's option parser fills (its ``vps_param``), and its frozen ``SetRequest`` form."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from types import MappingProxyType

from vztui.openvz.setrequest import Device, DevNode, SetRequest, Veth


class DuplicateValueError(Exception):
    """vzctl's ERR_DUP: a second value for a first-wins option, silently ignored on the command line."""


class OptionBuilder:
    """Mutable accumulator mirroring vzctl's ``vps_param`` while options are parsed."""

    def __init__(self, ctid: int, hwid: str) -> None:
        self.ctid = ctid
        self.hwid = hwid
        self.values: dict[str, object] = {}
        self.ubc: dict[str, tuple[int, int]] = {}
        self.lists: dict[str, list[str]] = {}
        self.flags: set[str] = set()
        self.cap_on: set[str] = set()
        self.cap_off: set[str] = set()
        self.features_on: set[str] = set()
        self.features_known: set[str] = set()
        self.iptables: set[str] = set()
        self.devices: list[Device] = []
        self.devnodes: list[DevNode] = []
        self.veths: list[Veth] = []
        self.veth_edit_index: int | None = None
        self.notes: list[str] = []

    def first(self, key: str, value: object) -> None:
        if key in self.values:
            raise DuplicateValueError
        self.values[key] = value

    def last(self, key: str, value: object) -> None:
        self.values[key] = value

    def add_unique(self, key: str, items: Sequence[str], finder: Callable[[list[str], str], str | None]) -> None:
        """Append items not yet present according to ``finder`` (vzctl's find_str or find_ip)."""
        target = self.lists.setdefault(key, [])
        for item in items:
            if finder(target, item) is None:
                target.append(item)


def freeze_request(builder: OptionBuilder, args: tuple[str, ...]) -> SetRequest:
    values = builder.values
    lists = builder.lists

    def opt(key: str) -> object:
        return values.get(key)

    return SetRequest(
        args=args,
        save="save" in builder.flags,
        force="force" in builder.flags,
        reset_ub="reset_ub" in builder.flags,
        skip_arpdetect="skip_arpdetect" in builder.flags,
        offline_resize="offline_resize" in builder.flags,
        setmode=_str_or_none(opt("setmode")),
        applyconfig=_str_or_none(opt("applyconfig")),
        applyconfig_map=_str_or_none(opt("applyconfig_map")),
        ubc=MappingProxyType(dict(builder.ubc)),
        vm_overcommit=_float_or_none(opt("vm_overcommit")),
        capabilities_on=frozenset(builder.cap_on),
        capabilities_off=frozenset(builder.cap_off),
        ip_add=tuple(lists.get("ip_add", ())),
        ip_del=tuple(lists.get("ip_del", ())),
        ip_delall="ip_delall" in builder.flags,
        netdev_add=tuple(lists.get("netdev_add", ())),
        netdev_del=tuple(lists.get("netdev_del", ())),
        hostname=_str_or_none(opt("hostname")),
        description=_str_or_none(opt("description")),
        name=_str_or_none(opt("name")),
        ostemplate=_str_or_none(opt("ostemplate")),
        root=_str_or_none(opt("root")),
        private=_str_or_none(opt("private")),
        mount_opts=_str_or_none(opt("mount_opts")),
        nameservers=tuple(lists.get("nameservers", ())),
        searchdomains=tuple(lists.get("searchdomains", ())),
        userpasswd=tuple(lists.get("userpasswd", ())),
        devices=tuple(builder.devices),
        devnodes=tuple(builder.devnodes),
        pci_add=tuple(lists.get("pci_add", ())),
        pci_del=tuple(lists.get("pci_del", ())),
        cpuunits=_int_or_none(opt("cpuunits")),
        cpuweight=_int_or_none(opt("cpuweight")),
        cpulimit=_cpulimit_or_none(opt("cpulimit")),
        cpus=_int_or_none(opt("cpus")),
        cpumask="auto" if "cpumask_auto" in builder.flags else _str_or_none(opt("cpumask")),
        nodemask=_str_or_none(opt("nodemask")),
        onboot=_bool_or_none(opt("onboot")),
        disabled=_bool_or_none(opt("disabled")),
        diskquota=_bool_or_none(opt("diskquota")),
        diskspace=_pair_or_none(opt("diskspace")),
        diskinodes=_pair_or_none(opt("diskinodes")),
        quotatime=_int_or_none(opt("quotatime")),
        quotaugidlimit=_int_or_none(opt("quotaugidlimit")),
        meminfo=_str_or_none(opt("meminfo")),
        netif_add=tuple(builder.veths),
        netif_del=tuple(lists.get("netif_del", ())),
        netif_delall="netif_delall" in builder.flags,
        features_on=frozenset(builder.features_on),
        features_known=frozenset(builder.features_known),
        ioprio=_int_or_none(opt("ioprio")),
        iolimit=_int_or_none(opt("iolimit")),
        iopslimit=_int_or_none(opt("iopslimit")),
        bootorder=_int_or_none(opt("bootorder")),
        stop_timeout=_int_or_none(opt("stop_timeout")),
        iptables=frozenset(builder.iptables),
        netfilter=_str_or_none(opt("netfilter")),
        layout=_str_or_none(opt("layout")),
        config=_str_or_none(opt("config")),
        origin_sample=_str_or_none(opt("origin_sample")),
    )


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _int_or_none(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _bool_or_none(value: object) -> bool | None:
    return value if isinstance(value, bool) else None


def _float_or_none(value: object) -> float | None:
    return float(value) if isinstance(value, float) else None


def _pair_or_none(value: object) -> tuple[int, int] | None:
    if isinstance(value, tuple) and len(value) == 2:
        return (int(value[0]), int(value[1]))
    return None


def _cpulimit_or_none(value: object) -> tuple[int, bool] | None:
    if isinstance(value, tuple) and len(value) == 2:
        return (int(value[0]), bool(value[1]))
    return None
