"""The option tables of ``vzctl set`` and ``vzctl create``: names, config keys, units (REFERENCE §2.2, §2.5).

Kept in vzctl 4.11.1's own table order, because getopt lists ambiguous prefixes in that order and the config
writer appends new UBC keys in it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType


class Kind(StrEnum):
    """How an option's value is read and stored."""

    FLAG = "flag"
    UBC_BYTES = "bytes"
    UBC_PAGES = "pages"
    UBC_ITEMS = "items"
    VSWAP = "bytes→pages"
    DISK_KIB = "KiB"
    DISK_INODES = "inodes"
    NUMBER = "number"
    FLOAT = "float"
    YESNO = "yes|no"
    STRING = "string"
    LIST = "list"
    SPECIAL = "special"


@dataclass(frozen=True, slots=True)
class SetOption:
    """One option of ``vzctl set``/``create`` (REFERENCE §2.2, §2.5)."""

    name: str
    param: str
    key: str | None
    kind: Kind
    takes_argument: bool = True
    aliases: tuple[str, ...] = ()
    help: str = ""


_UBC_ORDER = (
    "kmemsize",
    "lockedpages",
    "privvmpages",
    "shmpages",
    "numproc",
    "physpages",
    "vmguarpages",
    "oomguarpages",
    "numtcpsock",
    "numflock",
    "numpty",
    "numsiginfo",
    "tcpsndbuf",
    "tcprcvbuf",
    "othersockbuf",
    "dgramrcvbuf",
    "numothersock",
    "numfile",
    "dcachesize",
    "numiptent",
    "avnumproc",
    "swappages",
)
UBC_STORE_ORDER: tuple[str, ...] = _UBC_ORDER
"""The order vzctl writes UBC keys in (its ``store_ub``), which is the order new keys are appended in."""

UBC_KINDS: Mapping[str, Kind] = MappingProxyType(
    {
        name: (
            Kind.UBC_PAGES
            if name.endswith("pages")
            else Kind.UBC_BYTES
            if name in {"kmemsize", "tcpsndbuf", "tcprcvbuf", "othersockbuf", "dgramrcvbuf", "dcachesize"}
            else Kind.UBC_ITEMS
        )
        for name in _UBC_ORDER
    }
)

CAPABILITIES: tuple[str, ...] = (
    "CHOWN",
    "DAC_OVERRIDE",
    "DAC_READ_SEARCH",
    "FOWNER",
    "FSETID",
    "KILL",
    "SETGID",
    "SETUID",
    "SETPCAP",
    "LINUX_IMMUTABLE",
    "NET_BIND_SERVICE",
    "NET_BROADCAST",
    "NET_ADMIN",
    "NET_RAW",
    "IPC_LOCK",
    "IPC_OWNER",
    "SYS_MODULE",
    "SYS_RAWIO",
    "SYS_CHROOT",
    "SYS_PTRACE",
    "SYS_PACCT",
    "SYS_ADMIN",
    "SYS_BOOT",
    "SYS_NICE",
    "SYS_RESOURCE",
    "SYS_TIME",
    "SYS_TTY_CONFIG",
    "MKNOD",
    "LEASE",
    "AUDIT_WRITE",
    "VE_ADMIN",
    "SETFCAP",
)
"""Capability names in vzctl's bit order, which is also the order CAPABILITY= lists them in."""

FEATURES: tuple[str, ...] = ("sysfs", "nfs", "sit", "ipip", "ppp", "ipgre", "bridge", "nfsd")
NETFILTER_MODES: tuple[str, ...] = ("disabled", "stateless", "stateful", "full")
IPTABLES_MODULES: tuple[str, ...] = (
    "ip_tables",
    "iptable_filter",
    "iptable_mangle",
    "ipt_limit",
    "ipt_multiport",
    "ipt_tos",
    "ipt_TOS",
    "ipt_REJECT",
    "ipt_TCPMSS",
    "ipt_tcpmss",
    "ipt_ttl",
    "ipt_LOG",
    "ipt_length",
    "ip_conntrack",
    "ip_conntrack_ftp",
    "ip_conntrack_irc",
    "ipt_conntrack",
    "ipt_state",
    "ipt_helper",
    "iptable_nat",
    "ip_nat_ftp",
    "ip_nat_irc",
    "ipt_REDIRECT",
    "xt_mac",
    "ipt_recent",
    "ipt_owner",
)
PLOOP_MODES: tuple[str, ...] = ("expanded", "plain", "raw")
MEMINFO_MODES: tuple[str, ...] = ("none", "pages", "privvmpages")


def _ubc_option(name: str) -> SetOption:
    return SetOption(name, name, name.upper(), UBC_KINDS[name], help="barrier[:limit]")


SET_OPTIONS: tuple[SetOption, ...] = (
    SetOption("save", "save", None, Kind.FLAG, takes_argument=False, help="write the config file"),
    SetOption("force", "force", None, Kind.FLAG, takes_argument=False, help="--ram/--swap on a non-vswap kernel"),
    SetOption("applyconfig", "applyconfig", None, Kind.STRING, help="copy a sample's parameters"),
    SetOption("applyconfig_map", "applyconfig_map", None, Kind.STRING, help="name"),
    SetOption("reset_ub", "reset_ub", None, Kind.FLAG, takes_argument=False, help="re-apply UBCs from config"),
    SetOption("iptables", "iptables", "IPTABLES", Kind.LIST, help="obsolete module list"),
    SetOption("netfilter", "netfilter", "NETFILTER", Kind.STRING, help="disabled|stateless|stateful|full"),
    *(_ubc_option(name) for name in _UBC_ORDER),
    SetOption("vm_overcommit", "vm_overcommit", "VM_OVERCOMMIT", Kind.FLOAT),
    SetOption("capability", "capability", "CAPABILITY", Kind.LIST, help="name:on|off[,...]"),
    SetOption("ipadd", "ip_add", "IP_ADDRESS", Kind.LIST, aliases=("ip",)),
    SetOption("ip", "ip_add", "IP_ADDRESS", Kind.LIST),
    SetOption("ipdel", "ip_del", "IP_ADDRESS", Kind.LIST, help="address|all"),
    SetOption("skip_arpdetect", "skip_arpdetect", None, Kind.FLAG, takes_argument=False),
    SetOption("netdev_add", "netdev_add", "NETDEV", Kind.LIST),
    SetOption("netdev_del", "netdev_del", "NETDEV", Kind.LIST),
    SetOption("hostname", "hostname", "HOSTNAME", Kind.STRING),
    SetOption("nameserver", "nameserver", "NAMESERVER", Kind.LIST),
    SetOption("searchdomain", "searchdomain", "SEARCHDOMAIN", Kind.LIST),
    SetOption("userpasswd", "userpasswd", None, Kind.STRING, help="user:password (not saved)"),
    SetOption("devices", "devices", "DEVICES", Kind.LIST),
    SetOption("devnodes", "devnodes", "DEVNODES", Kind.LIST),
    SetOption("pci_add", "pci_add", "PCI", Kind.LIST),
    SetOption("pci_del", "pci_del", "PCI", Kind.LIST),
    SetOption("root", "root", "VE_ROOT", Kind.STRING),
    SetOption("private", "private", "VE_PRIVATE", Kind.STRING),
    SetOption("mount_opts", "mount_opts", "MOUNT_OPTS", Kind.STRING),
    SetOption("ostemplate", "ostemplate", "OSTEMPLATE", Kind.STRING),
    SetOption("cpuunits", "cpuunits", "CPUUNITS", Kind.NUMBER, help="8..500000"),
    SetOption("cpuweight", "cpuweight", "CPUUWEIGHT", Kind.NUMBER),
    SetOption("cpulimit", "cpulimit", "CPULIMIT", Kind.NUMBER, help="N or N% (of all CPUs)"),
    SetOption("cpus", "cpus", "CPUS", Kind.NUMBER),
    SetOption("cpumask", "cpumask", "CPUMASK", Kind.STRING, help="list|all|auto"),
    SetOption("nodemask", "nodemask", "NODEMASK", Kind.STRING, help="list|all"),
    SetOption("onboot", "onboot", "ONBOOT", Kind.YESNO),
    SetOption("setmode", "setmode", None, Kind.STRING, help="restart|ignore"),
    SetOption("disabled", "disabled", "DISABLED", Kind.YESNO),
    SetOption("diskquota", "diskquota", "DISK_QUOTA", Kind.YESNO),
    SetOption("diskspace", "diskspace", "DISKSPACE", Kind.DISK_KIB, help="soft[:hard], KiB or suffixed"),
    SetOption("diskinodes", "diskinodes", "DISKINODES", Kind.DISK_INODES, help="soft[:hard]"),
    SetOption("quotatime", "quotatime", "QUOTATIME", Kind.NUMBER),
    SetOption("quotaugidlimit", "quotaugidlimit", "QUOTAUGIDLIMIT", Kind.NUMBER),
    SetOption("meminfo", "meminfo", "MEMINFO", Kind.STRING, help="none|pages:N|privvmpages:N"),
    SetOption("netif_add", "netif_add", "NETIF", Kind.SPECIAL, help="ifname[,mac,host_ifname,host_mac,bridge]"),
    SetOption("netif_del", "netif_del", "NETIF", Kind.SPECIAL, help="ifname|all"),
    SetOption("mac_filter", "mac_filter", "NETIF", Kind.SPECIAL, help="on|off"),
    SetOption("mac", "mac", "NETIF", Kind.SPECIAL),
    SetOption("ifname", "ifname", "NETIF", Kind.SPECIAL),
    SetOption("host_mac", "host_mac", "NETIF", Kind.SPECIAL),
    SetOption("host_ifname", "host_ifname", "NETIF", Kind.SPECIAL),
    SetOption("bridge", "bridge", "NETIF", Kind.SPECIAL),
    SetOption("name", "name", "NAME", Kind.STRING),
    SetOption("features", "features", "FEATURES", Kind.LIST, help="name:on|off"),
    SetOption("ioprio", "ioprio", "IOPRIO", Kind.NUMBER, help="0..7"),
    SetOption("iolimit", "iolimit", "IOLIMIT", Kind.NUMBER, help="N[BKMG], MB/s by default; stored bytes/s"),
    SetOption("iopslimit", "iopslimit", "IOPSLIMIT", Kind.NUMBER),
    SetOption("description", "description", "DESCRIPTION", Kind.STRING),
    SetOption("bootorder", "bootorder", "BOOTORDER", Kind.NUMBER),
    SetOption("ram", "ram", "PHYSPAGES", Kind.VSWAP, help="bytes; saved as PHYSPAGES=0:<pages>"),
    SetOption("swap", "swap", "SWAPPAGES", Kind.VSWAP, help="bytes; saved as SWAPPAGES=0:<pages>"),
    SetOption("stop-timeout", "stop_timeout", "STOP_TIMEOUT", Kind.NUMBER),
    SetOption("offline-resize", "offline_resize", None, Kind.FLAG, takes_argument=False, aliases=("offline",)),
    SetOption("offline", "offline_resize", None, Kind.FLAG, takes_argument=False),
)
"""``vzctl set`` options in vzctl's own table order (getopt reports ambiguity in this order)."""

CREATE_OPTIONS: tuple[SetOption, ...] = (
    SetOption("ostemplate", "ostemplate", "OSTEMPLATE", Kind.STRING),
    SetOption("config", "config", None, Kind.STRING, help="sample name (ve-NAME.conf-sample)"),
    SetOption("private", "private", "VE_PRIVATE", Kind.STRING),
    SetOption("root", "root", "VE_ROOT", Kind.STRING),
    SetOption("ipadd", "ip_add", "IP_ADDRESS", Kind.LIST),
    SetOption("hostname", "hostname", "HOSTNAME", Kind.STRING),
    SetOption("name", "name", "NAME", Kind.STRING),
    SetOption("description", "description", "DESCRIPTION", Kind.STRING),
    SetOption("layout", "layout", "VE_LAYOUT", Kind.STRING, aliases=("ve_layout", "velayout")),
    SetOption("ve_layout", "layout", "VE_LAYOUT", Kind.STRING),
    SetOption("velayout", "layout", "VE_LAYOUT", Kind.STRING),
    SetOption("diskspace", "diskspace", "DISKSPACE", Kind.DISK_KIB),
    SetOption("diskinodes", "diskinodes", "DISKINODES", Kind.DISK_INODES),
    SetOption("local_uid", "local_uid", "LOCAL_UID", Kind.NUMBER),
    SetOption("local_gid", "local_gid", "LOCAL_GID", Kind.NUMBER),
)
"""``vzctl create`` options (REFERENCE §2.2)."""

SET_OPTIONS_BY_NAME: Mapping[str, SetOption] = MappingProxyType({option.name: option for option in SET_OPTIONS})
