"""The user-beancounter resources the RHEL6 OpenVZ kernel accounts: order, units and names (REFERENCE §3.3, §4.1)."""

from __future__ import annotations

from dataclasses import dataclass

from vztui.openvz.units import Unit


@dataclass(frozen=True, slots=True)
class ResourceSpec:
    """One beancounter resource: its kernel name, unit, vzlist column header and config key."""

    name: str
    unit: Unit
    header: str
    description: str

    @property
    def config_key(self) -> str:
        return self.name.upper()


_SPECS = (
    ResourceSpec("kmemsize", Unit.BYTES, "KMEMSIZE", "kernel memory"),
    ResourceSpec("lockedpages", Unit.PAGES, "LOCKEDP", "locked (mlock) memory"),
    ResourceSpec("privvmpages", Unit.PAGES, "PRIVVMP", "allocated virtual memory"),
    ResourceSpec("shmpages", Unit.PAGES, "SHMP", "IPC shared memory"),
    ResourceSpec("numproc", Unit.ITEMS, "NPROC", "processes and threads"),
    ResourceSpec("physpages", Unit.PAGES, "PHYSP", "RAM in use"),
    ResourceSpec("vmguarpages", Unit.PAGES, "VMGUARP", "guaranteed memory"),
    ResourceSpec("oomguarpages", Unit.PAGES, "OOMGUARP", "OOM guarantee"),
    ResourceSpec("numtcpsock", Unit.ITEMS, "NTCPSOCK", "TCP sockets"),
    ResourceSpec("numflock", Unit.ITEMS, "NFLOCK", "file locks"),
    ResourceSpec("numpty", Unit.ITEMS, "NPTY", "pseudo-terminals"),
    ResourceSpec("numsiginfo", Unit.ITEMS, "NSIGINFO", "pending signal structures"),
    ResourceSpec("tcpsndbuf", Unit.BYTES, "TCPSNDB", "TCP send buffers"),
    ResourceSpec("tcprcvbuf", Unit.BYTES, "TCPRCVB", "TCP receive buffers"),
    ResourceSpec("othersockbuf", Unit.BYTES, "OTHSOCKB", "other socket buffers"),
    ResourceSpec("dgramrcvbuf", Unit.BYTES, "DGRAMRB", "datagram receive buffers"),
    ResourceSpec("numothersock", Unit.ITEMS, "NOTHSOCK", "non-TCP sockets"),
    ResourceSpec("dcachesize", Unit.BYTES, "DCACHESZ", "dentry and inode cache"),
    ResourceSpec("numfile", Unit.ITEMS, "NFILE", "open files"),
    ResourceSpec("numiptent", Unit.ITEMS, "NIPTENT", "iptables entries"),
    ResourceSpec("swappages", Unit.PAGES, "SWAPP", "swap in use"),
)

RESOURCES: dict[str, ResourceSpec] = {spec.name: spec for spec in _SPECS}
"""Every accounted resource by name, in vzlist's field order (REFERENCE §3.3)."""

RESOURCE_NAMES: tuple[str, ...] = tuple(RESOURCES)

USER_BEANCOUNTERS_ORDER: tuple[str, ...] = (
    "kmemsize",
    "lockedpages",
    "privvmpages",
    "shmpages",
    "dummy",
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
    "dcachesize",
    "numfile",
    "dummy",
    "dummy",
    "dummy",
    "numiptent",
)
"""The 24 rows of each /proc/user_beancounters block, dummies included; swappages is not among them."""

BC_RESOURCES_ORDER: tuple[str, ...] = (
    *(name for name in USER_BEANCOUNTERS_ORDER if name != "dummy"),
    "swappages",
)
"""The 21 rows of each /proc/bc/resources block: the compat rows without dummies, plus swappages."""

DUMMY = "dummy"


def unit_of(resource: str) -> Unit:
    """The unit of a resource; unknown names (a newer kernel's extras) are treated as plain counts."""
    spec = RESOURCES.get(resource)
    return spec.unit if spec else Unit.ITEMS
