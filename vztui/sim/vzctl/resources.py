"""Applying a container's resources to the (simulated) kernel, with the lines vzctl prints while doing it.

The order is ``vps_setup_res``'s: UBCs, IPs deleted, IPs added, CPU (limit, units, CPUs, mask, NUMA mask), devices,
PCI, I/O limits, veth. At start every configured resource is applied (CPU units always, 1000 by default); on a live
``set`` only what the command line touched.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from vztui.openvz.units import INT_MAX, LONG_MAX
from vztui.sim.vzctl.context import Invocation

DEFAULT_CPUUNITS = 1000
UBC_KEYS = (
    "KMEMSIZE",
    "LOCKEDPAGES",
    "PRIVVMPAGES",
    "SHMPAGES",
    "NUMPROC",
    "PHYSPAGES",
    "VMGUARPAGES",
    "OOMGUARPAGES",
    "NUMTCPSOCK",
    "NUMFLOCK",
    "NUMPTY",
    "NUMSIGINFO",
    "TCPSNDBUF",
    "TCPRCVBUF",
    "OTHERSOCKBUF",
    "DGRAMRCVBUF",
    "NUMOTHERSOCK",
    "DCACHESIZE",
    "NUMFILE",
    "NUMIPTENT",
    "AVNUMPROC",
    "SWAPPAGES",
)
REQUIRED_NON_VSWAP = (
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
    "dcachesize",
    "numfile",
    "numiptent",
)


@dataclass(slots=True)
class LiveChanges:
    """What a ``set`` on a running CT has to push into the kernel."""

    ubc: bool = False
    ip_delete_all: bool = False
    ip_delete: list[str] = field(default_factory=list)
    ip_add: list[str] = field(default_factory=list)
    cpulimit: str | None = None
    cpuunits: str | None = None
    cpus: str | None = None
    cpumask: str | None = None
    nodemask: str | None = None
    devices: bool = False
    pci: bool = False
    iolimit: str | None = None
    iopslimit: str | None = None
    veth: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (
            self.ubc
            or self.ip_delete_all
            or self.ip_delete
            or self.ip_add
            or self.cpulimit is not None
            or self.cpuunits is not None
            or self.cpus is not None
            or self.cpumask is not None
            or self.nodemask is not None
            or self.devices
            or self.pci
            or self.iolimit is not None
            or self.iopslimit is not None
            or self.veth
        )


def limit_of(value: str) -> int | None:
    """The limit half of a ``barrier:limit`` config value in its own unit (suffixes as bytes → pages ignored)."""
    text = value.rsplit(":", maxsplit=1)[-1].strip()
    if not text:
        return None
    if text.lower() == "unlimited":
        return LONG_MAX
    try:
        return int(float(text))
    except ValueError:
        return -1


def is_vswap(values: dict[str, str]) -> bool:
    """vzctl's ``is_vswap_config``: PHYSPAGES set and its limit neither LONG_MAX nor INT_MAX."""
    phys = values.get("PHYSPAGES")
    if not phys:
        return False
    limit = limit_of(phys)
    return limit not in (LONG_MAX, INT_MAX)


def merged_values(inv: Invocation) -> dict[str, str]:
    return {**inv.node.vzconf, **inv.conf}


def check_ub(inv: Invocation) -> int:
    """``check_ub`` at start: vswap configs need PHYSPAGES+SWAPPAGES, others every classic UBC (exit 28)."""
    values = merged_values(inv)
    code = 0
    if is_vswap(values):
        for name in ("physpages", "swappages"):
            if not values.get(name.upper()):
                inv.error(f"Error: required UB parameter {name} not set")
                code = 28
        if not inv.node.hostspec.vswap:
            inv.error("Error: detected vswap CT config but kernel does not support vswap")
            inv.error("This means either old kernel or bad config (physpages NOT set to 0:unlimited)")
            code = 5
        return code
    for name in REQUIRED_NON_VSWAP:
        key = "DCACHESIZE" if name == "dcachesize" else name.upper()
        if not values.get(key) and not (name == "dcachesize" and values.get("DCACHE")):
            inv.error(f"Error: required UB parameter {name} not set")
            code = 28
    return code


def veth_names(netif: str, ctid: int) -> list[str]:
    """Host-side interface names of NETIF (``veth<CTID>.<N>`` when host_ifname is not given)."""
    names: list[str] = []
    for index, entry in enumerate(part for part in netif.split(";") if part.strip()):
        fields = dict(item.partition("=")[::2] for item in entry.split(","))
        names.append(fields.get("host_ifname") or f"veth{ctid}.{index}")
    return names


def starting_changes(inv: Invocation) -> LiveChanges:
    """Everything a start applies, from the merged configuration."""
    values = merged_values(inv)
    changes = LiveChanges()
    changes.ip_add = values.get("IP_ADDRESS", "").split()
    changes.cpulimit = values.get("CPULIMIT") or None
    changes.cpuunits = values.get("CPUUNITS") or str(DEFAULT_CPUUNITS)
    changes.cpus = values.get("CPUS") or None
    changes.cpumask = values.get("CPUMASK") or None
    changes.nodemask = values.get("NODEMASK") or None
    changes.devices = bool(values.get("DEVICES", "").strip() or values.get("DEVNODES", "").strip())
    changes.pci = bool(values.get("PCI", "").strip())
    changes.iolimit = values.get("IOLIMIT") or None
    changes.iopslimit = values.get("IOPSLIMIT") or None
    changes.veth = veth_names(values.get("NETIF", ""), inv.ctid)
    return changes


def ips_in_use(inv: Invocation) -> dict[str, int]:
    """Addresses held by the node's other running containers (the venet map a new address must not collide with)."""
    taken: dict[str, int] = {}
    state = inv.node.read_state()
    for ctid in state.running_ctids():
        if ctid == inv.ctid:
            continue
        conf = inv.node.read_config(ctid) or {}
        live = state.cts[ctid].extra.get("live_conf", {})
        for ip in str(live.get("IP_ADDRESS", conf.get("IP_ADDRESS", ""))).split():
            taken.setdefault(ip.split("/")[0], ctid)
    return taken


def print_changes(inv: Invocation, changes: LiveChanges, *, starting: bool) -> int:
    """The console lines of ``vps_setup_res`` for ``changes``, in vzctl's order; 0, or 78 for an address in use."""
    if changes.ubc and not starting:
        inv.info("UB limits were set successfully")
    if changes.ip_delete_all:
        inv.info("Deleting all IP address(es): " + " ".join(changes.ip_delete))
    elif changes.ip_delete:
        inv.info("Deleting IP address(es): " + " ".join(changes.ip_delete))
    if changes.ip_add:
        inv.info("Adding IP address(es): " + " ".join(changes.ip_add))
        taken = ips_in_use(inv)
        for ip in changes.ip_add:
            if ip.split("/")[0] in taken:
                inv.error(f"Unable to add IP {ip}: Address already in use")
                return 78
    if changes.cpulimit is not None:
        inv.info(f"Setting CPU limit: {_int(changes.cpulimit)}")
    if changes.cpuunits is not None:
        inv.info(f"Setting CPU units: {_int(changes.cpuunits)}")
    if changes.cpus is not None:
        inv.info(f"Setting CPUs: {_int(changes.cpus)}")
    if changes.cpumask is not None:
        inv.info(f"Setting CPU mask: {changes.cpumask}")
    if changes.nodemask is not None:
        inv.info(f"Setting NUMA node mask: {changes.nodemask}")
    if changes.devices:
        inv.info("Setting devices")
    if changes.pci:
        inv.info("Setting PCI devices")
    if changes.iolimit is not None:
        limit = _int(changes.iolimit)
        inv.info(f"Setting iolimit: {limit} {'bytes/sec' if limit else '(unlimited)'}")
    if changes.iopslimit is not None:
        limit = _int(changes.iopslimit)
        inv.info(f"Setting iopslimit: {limit} {'iops' if limit else '(unlimited)'}")
    if changes.veth:
        inv.info("Configure veth devices: " + "".join(f"{name} " for name in changes.veth))
    return 0


def _int(value: str) -> int:
    text = value.strip().lower()
    if text == "unlimited":
        return 0
    try:
        return int(float(text))
    except ValueError:
        return 0
