"""Immutable values for everything a hardware node reports: containers, beancounters, CPU and disk accounting.

These are the nouns every other layer speaks. They are built by the parsers from real tool output and never
mutated; a change on the node produces new values.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from vztui.openvz.resources import unit_of
from vztui.openvz.units import Unit, is_unlimited

CTID_MIN = 0
VEID_MAX = 2147483644
"""The largest CTID vzctl accepts (REFERENCE §1)."""

_EMPTY: Mapping[str, str] = MappingProxyType({})
_NO_FLAGS: Mapping[str, bool] = MappingProxyType({})
"""The one empty ``features``/``capabilities`` every Container without any shares (read-only, so sharing is safe):
a fresh empty dict plus its proxy cost ~200 bytes a field, ~3 MB at 10,000 CTs parsed from vzlist."""


class CtStatus(StrEnum):
    """A container's state as vzlist reports it (``mounted``/``suspended`` only when the status column is shown)."""

    RUNNING = "running"
    STOPPED = "stopped"
    MOUNTED = "mounted"
    SUSPENDED = "suspended"
    UNKNOWN = "unknown"

    @classmethod
    def parse(cls, text: str) -> CtStatus:
        try:
            return cls(text)
        except ValueError:
            return cls.UNKNOWN


class Layout(StrEnum):
    """How a container's private area is stored."""

    PLOOP = "ploop"
    SIMFS = "simfs"
    UNKNOWN = "???"

    @classmethod
    def parse(cls, text: str | None) -> Layout:
        if not text:
            return cls.UNKNOWN
        # VE_LAYOUT may carry a ploop mode: "ploop:expanded".
        head = text.split(":", 1)[0]
        try:
            return cls(head)
        except ValueError:
            return cls.UNKNOWN


@dataclass(frozen=True, slots=True)
class Beancounter:
    """One row of /proc/user_beancounters for one container, in the kernel's units (see ``unit``)."""

    resource: str
    held: int
    maxheld: int
    barrier: int
    limit: int
    failcnt: int

    @property
    def unit(self) -> Unit:
        return unit_of(self.resource)

    @property
    def unlimited(self) -> bool:
        return is_unlimited(self.limit)

    @property
    def effective_limit(self) -> int | None:
        """The value ``held`` is really measured against, or None when nothing bounds it.

        Normally the barrier; VSwap's ``physpages``/``swappages`` keep barrier 0 and put the size in ``limit``.
        """
        if self.barrier and not is_unlimited(self.barrier):
            return self.barrier
        if self.limit and not is_unlimited(self.limit):
            return self.limit
        return None

    @property
    def usage_ratio(self) -> float | None:
        """held / effective limit (0.0 … >1.0), or None when unlimited."""
        bound = self.effective_limit
        if bound is None:
            return None
        return self.held / bound


_NO_BEANCOUNTERS: Mapping[str, Beancounter] = MappingProxyType({})
"""The one empty ``resources`` of every Container without beancounters (a stopped CT, vzlist's own view)."""


class BeancounterTable(Mapping[str, Beancounter]):
    """One CT's beancounters as one flat unsigned 64-bit array (five columns a row), read as {resource: Beancounter}.

    Why: at 10,000 CTs x 24 rows, one Beancounter object a row cost ~37 MB and ~1 µs each to build on every tick,
    while the poller only compares the numbers and the UI looks at a handful of CTs. A row's Beancounter is built
    when it is read; the engine's checks (what changed, failcnt rises, near limits, history) use ``rows`` and
    ``held`` instead. Immutable: ``names`` is a tuple (shared by every CT with the same rows) and ``numbers`` is
    never written after construction.
    """

    __slots__ = ("_index", "names", "numbers")

    def __init__(self, names: tuple[str, ...], index: Mapping[str, int], numbers: array[int]) -> None:
        """``index`` maps each of ``names`` to its row number (shared, like ``names``); ``numbers`` holds
        held, maxheld, barrier, limit, failcnt for each row in order."""
        if len(numbers) != 5 * len(names) or len(index) != len(names):
            raise ValueError(f"{len(names)} beancounter rows need {5 * len(names)} values, got {len(numbers)}")
        self.names = names
        self._index = index
        self.numbers = numbers

    def __getitem__(self, resource: str) -> Beancounter:
        row = self._index[resource]
        v = self.numbers
        at = 5 * row
        return Beancounter(resource, v[at], v[at + 1], v[at + 2], v[at + 3], v[at + 4])

    def __iter__(self) -> Iterator[str]:
        return iter(self.names)

    def __len__(self) -> int:
        return len(self.names)

    def __contains__(self, resource: object) -> bool:
        return resource in self._index

    def __eq__(self, other: object) -> bool:
        if isinstance(other, BeancounterTable):
            return self.names == other.names and self.numbers == other.numbers
        return super().__eq__(other)

    __hash__ = None  # type: ignore[assignment]  # a Mapping, like dict: equal by content, not hashable

    def __repr__(self) -> str:
        return f"BeancounterTable({dict(self.items())!r})"

    def held(self, resource: str) -> int | None:
        """The held value of ``resource`` without building its Beancounter (None when the CT has no such row)."""
        row = self._index.get(resource)
        return None if row is None else self.numbers[5 * row]

    def limit(self, resource: str) -> int | None:
        """The limit of ``resource`` without building its Beancounter (None when the CT has no such row)."""
        row = self._index.get(resource)
        return None if row is None else self.numbers[5 * row + 3]

    def rows(self) -> Iterator[tuple[str, int, int, int, int, int]]:
        """(resource, held, maxheld, barrier, limit, failcnt) for each row, in the kernel's order."""
        v = self.numbers
        for row, name in enumerate(self.names):
            at = 5 * row
            yield name, v[at], v[at + 1], v[at + 2], v[at + 3], v[at + 4]

    def failcnts(self) -> array[int]:
        """Every row's failcnt, in the kernel's order (a copy)."""
        return self.numbers[4::5]


@dataclass(frozen=True, slots=True)
class VeStat:
    """One row of /proc/vz/vestat: CPU time in jiffies and cycles since the container started."""

    ctid: int
    user: int
    nice: int
    system: int
    uptime_jiffies: int
    idle: int
    strv: int
    uptime_cycles: int
    used: int
    maxlat: int
    totlat: int
    numsched: int

    @property
    def busy_jiffies(self) -> int:
        return self.user + self.nice + self.system


@dataclass(frozen=True, slots=True)
class VeInfo:
    """One line of /proc/vz/veinfo: a running VE, its process count and its IPs as the kernel lists them."""

    ctid: int
    class_id: int
    numproc: int
    ips: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DiskUsage:
    """usage / softlimit / hardlimit of one disk-quota resource (1 KiB blocks or inodes)."""

    usage: int
    softlimit: int
    hardlimit: int
    grace: str = ""
    over: bool = False

    @property
    def ratio(self) -> float | None:
        bound = self.softlimit or self.hardlimit
        if not bound or is_unlimited(bound):
            return None
        return self.usage / bound


@dataclass(frozen=True, slots=True)
class UgidQuota:
    """Second-level (per user/group inside the CT) quota state from ``vzquota stat -t``."""

    state: str
    """As vzquota prints it: ``on,active``, ``off,inactive``, ``-,inactive`` …"""
    loaded: int
    total: int
    limit: int
    exceeded: bool

    @property
    def enabled(self) -> bool:
        return self.state.startswith("on")


@dataclass(frozen=True, slots=True)
class QuotaUsage:
    """A container's disk quota: first level (blocks, inodes) and, when known, the second (ugid) level."""

    ctid: int
    blocks: DiskUsage
    inodes: DiskUsage
    ugid: UgidQuota | None = None


@dataclass(frozen=True, slots=True)
class Container:
    """One container as ``vzlist -a -j`` describes it, plus beancounters when the node reported them.

    Optional values are None where vzlist prints ``-``/``null`` (for example numproc of a stopped container).
    """

    ctid: int
    status: CtStatus
    name: str | None = None
    hostname: str | None = None
    description: str | None = None
    ips: tuple[str, ...] = ()
    ostemplate: str | None = None
    origin_sample: str | None = None
    layout: Layout = Layout.UNKNOWN
    onboot: bool | None = None
    bootorder: int | None = None
    private: str | None = None
    root: str | None = None
    numproc: int | None = None
    uptime: float = 0.0
    """Seconds since start; 0.0 when stopped or unknown."""
    laverage: tuple[float, float, float] | None = None
    cpulimit: int | None = None
    cpuunits: int | None = None
    cpus: int = 0
    """0 means "all host CPUs" (vzlist prints ``-``)."""
    ioprio: int = 0
    iolimit: int = 0
    iopslimit: int = 0
    diskspace: DiskUsage | None = None
    """1 KiB blocks."""
    diskinodes: DiskUsage | None = None
    vswap: bool = False
    disabled: bool = False
    vm_overcommit: float = 0.0
    nameservers: tuple[str, ...] = ()
    searchdomains: tuple[str, ...] = ()
    netfilter: str | None = None
    features: Mapping[str, bool] = field(default_factory=lambda: _NO_FLAGS)
    capabilities: Mapping[str, bool] = field(default_factory=lambda: _NO_FLAGS)
    resources: Mapping[str, Beancounter] = field(default_factory=lambda: _NO_BEANCOUNTERS)

    @property
    def running(self) -> bool:
        return self.status is CtStatus.RUNNING

    @property
    def display_name(self) -> str:
        """What vzlist calls smart_name: the name if set, else the CTID."""
        return self.name or str(self.ctid)

    def beancounter(self, resource: str) -> Beancounter | None:
        return self.resources.get(resource)

    @property
    def ram_limit_pages(self) -> int | None:
        """RAM size in pages for a VSwap container (physpages limit), None when unlimited or unknown."""
        bc = self.resources.get("physpages")
        return bc.effective_limit if bc else None


@dataclass(frozen=True, slots=True)
class VzctlStatus:
    """The single line ``vzctl status CTID`` prints (REFERENCE §2.4)."""

    ctid: int
    exists: bool
    mounted: bool
    running: bool
    suspended: bool = False

    @property
    def status(self) -> CtStatus:
        if self.running:
            return CtStatus.RUNNING
        if self.suspended:
            return CtStatus.SUSPENDED
        if self.mounted:
            return CtStatus.MOUNTED
        return CtStatus.STOPPED


@dataclass(frozen=True, slots=True)
class CtConfig:
    """A parsed ``CTID.conf``: raw values by key, plus the typed views callers need.

    Values keep vzctl's spelling (``"0:256M"``, ``"unlimited"``, ``"/vz/root/$VEID"``); conversion happens in the
    accessors so the raw text survives for diffs.
    """

    ctid: int
    values: Mapping[str, str] = field(default_factory=lambda: _EMPTY)

    def get(self, key: str, default: str | None = None) -> str | None:
        return self.values.get(key, default)

    @property
    def hostname(self) -> str | None:
        return self.values.get("HOSTNAME") or None

    @property
    def ips(self) -> tuple[str, ...]:
        return tuple(self.values.get("IP_ADDRESS", "").split())

    @property
    def layout(self) -> Layout:
        return Layout.parse(self.values.get("VE_LAYOUT"))

    @property
    def ostemplate(self) -> str | None:
        return self.values.get("OSTEMPLATE") or None

    @property
    def name(self) -> str | None:
        return self.values.get("NAME") or None


@dataclass(frozen=True, slots=True)
class VzConf:
    """The node-wide settings from /etc/vz/vz.conf that decide where containers live.

    Path values keep ``$VEID`` literally; ``VE_PRIVATE``/``VE_ROOT``/``TEMPLATE`` must match between nodes for
    vzmigrate, so they are compared as written.
    """

    ve_root: str = "/vz/root/$VEID"
    ve_private: str = "/vz/private/$VEID"
    template: str = "/vz/template"
    lockdir: str = "/vz/lock"
    dumpdir: str = "/vz/dump"
    configfile: str = "vswap-256m"
    def_ostemplate: str = "centos-6-x86"
    ve_layout: str = "ploop"
    disk_quota: bool = True
    values: Mapping[str, str] = field(default_factory=lambda: _EMPTY)


@dataclass(frozen=True, slots=True)
class MemInfo:
    """The few /proc/meminfo figures capacity planning needs, in bytes."""

    total: int
    free: int
    available: int
    swap_total: int
    swap_free: int
    buffers: int = 0
    cached: int = 0


@dataclass(frozen=True, slots=True)
class LoadAvg:
    one: float
    five: float
    fifteen: float
    running: int = 0
    total: int = 0


@dataclass(frozen=True, slots=True)
class FsUsage:
    """One ``df -P -k`` row, in 1 KiB blocks."""

    filesystem: str
    size_kib: int
    used_kib: int
    available_kib: int
    mountpoint: str


@dataclass(frozen=True, slots=True)
class NodeCapacity:
    """How much a hardware node has and how much of it its containers were promised.

    ``cpu_power`` and ``cpu_units_committed`` are vzcpucheck's figures; ``mem_commit_percent`` is vzmemcheck's
    "MemSwap commit" summary (the figure admins watch), None when not measured.
    """

    cpus: int
    ram_bytes: int
    swap_bytes: int
    cpu_power: int = 0
    cpu_units_committed: int = 0
    mem_commit_percent: float | None = None


@dataclass(frozen=True, slots=True)
class NodeInfo:
    """What is known about a hardware node between ticks: its vz.conf, capacity, templates and config samples."""

    hostname: str
    kernel: str
    vz: VzConf
    capacity: NodeCapacity
    vzctl_version: str = ""
    templates: tuple[str, ...] = ()
    samples: tuple[str, ...] = ()
    """Config sample names (``vswap-256m`` for ``ve-vswap-256m.conf-sample``)."""


@dataclass(frozen=True, slots=True)
class PloopSnapshot:
    """One ploop snapshot from ``vzctl snapshot-list``."""

    uuid: str
    parent_uuid: str
    current: bool
    date: str
    name: str
    description: str = ""
