"""The demo and test clusters: several simulated nodes with seeded, realistic containers and a story to tell.

``build_cluster(dir)`` (3 nodes, ~40 CTs) is what ``vztui --demo`` opens: mixed templates, layouts and states; hn3 was
installed from Debian packages, so its VE_PRIVATE/TEMPLATE differ (migration to or from it is refused); CT 104
("shop") runs out of RAM every ~40 s (physpages failcnt climbs), CT 118 hits its numproc limit and CT 131 its
numfile limit; hn2 is committed close to its RAM+swap; some CTs have several IPs, names and descriptions; a couple
are stopped, one is mounted, one suspended. ``build_cluster(dir, nodes=50, cts=200)`` is the scale fixture.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vztui.sim.kernel.waves import rng_for
from vztui.sim.node import HostSpec, SimNode
from vztui.sim.provision import DEFAULT_TEMPLATES, init_node, provision_ct
from vztui.sim.state import CtRuntime

FIRST_CTID = 101
CLUSTER_FILE = "cluster.json"
DEBIAN_PATHS = {
    "VE_ROOT": "/var/lib/vz/root/$VEID",
    "VE_PRIVATE": "/var/lib/vz/private/$VEID",
    "TEMPLATE": "/var/lib/vz/template",
    "LOCKDIR": "/var/lib/vz/lock",
    "DUMPDIR": "/var/lib/vz/dump",
}
_ROLES = ("web", "db", "mail", "app", "cache", "ns", "git", "ci", "vpn", "mon", "wiki", "build", "proxy", "shop")
_DESCRIPTIONS = (
    "Customer 4711 - WordPress",
    "Internal GitLab runner",
    "Postfix relay for the support desk",
    "Staging copy of the shop",
    "Nagios for rack B",
    "Legacy PHP 5.3 app, do not upgrade",
    "DNS secondary",
    "Customer 5120 - Magento",
)
_RAM_CHOICES = ("256M", "512M", "512M", "1G", "1G", "2G", "4G")


@dataclass(slots=True)
class SimCluster:
    """A directory of simulated nodes: ``nodes`` maps a node name (hn1, hn2, …) to its ROOT."""

    directory: Path
    nodes: dict[str, Path] = field(default_factory=dict)
    seed: int = 0

    def bin_dir(self, name: str) -> Path:
        """``ROOT/bin`` of a node: put it first on PATH to run that node's tools."""
        return self.nodes[name] / "bin"

    def node(self, name: str) -> SimNode:
        return SimNode(self.nodes[name])

    @classmethod
    def open(cls, directory: Path) -> SimCluster:
        """A cluster built earlier (reads ``DIR/cluster.json``)."""
        data = json.loads((directory / CLUSTER_FILE).read_text(encoding="utf-8"))
        nodes = {name: directory / name for name in data["nodes"]}
        return cls(directory=directory, nodes=nodes, seed=int(data.get("seed", 0)))


@dataclass(slots=True)
class CtPlan:
    ctid: int
    ostemplate: str
    layout: str
    settings: dict[str, str]
    name: str | None = None
    state: str = "running"
    """running | stopped | mounted | suspended"""
    pressure: dict[str, dict[str, Any]] = field(default_factory=dict)
    sample: str = "vswap-256m"
    uptime: float = 3600.0
    age: float = 86400.0


def build_cluster(directory: Path, *, nodes: int = 3, cts: int | None = None, seed: int = 0) -> SimCluster:
    """Build ``nodes`` nodes under ``directory`` (``cts`` per node, or the demo story when None); deterministic."""
    directory = Path(directory).resolve()
    if (directory / CLUSTER_FILE).exists():
        raise FileExistsError(f"{directory} already holds a simulated cluster")
    directory.mkdir(parents=True, exist_ok=True)
    now = SimNode.now()
    cluster = SimCluster(directory=directory, seed=seed)
    next_ctid = FIRST_CTID
    story = cts is None
    for index in range(1, nodes + 1):
        name = f"hn{index}"
        count = _story_count(index) if story else int(cts or 0)
        host = _host_for(name, index, seed, now, story=story)
        overrides = DEBIAN_PATHS if story and index == 3 else {}
        root = directory / name
        node = init_node(root, host=host, vzconf_overrides=overrides)
        plans = [_plan(seed, index, ctid, story=story) for ctid in range(next_ctid, next_ctid + count)]
        next_ctid += count
        if story:
            _apply_story(plans, index)
        _materialise(node, plans, now)
        cluster.nodes[name] = root
    _write_peers(cluster)
    (directory / CLUSTER_FILE).write_text(
        json.dumps({"nodes": list(cluster.nodes), "seed": seed}, indent=1) + "\n", encoding="utf-8"
    )
    for root in cluster.nodes.values():
        SimNode(root).refresh_proc(force=True)
    return cluster


def _story_count(index: int) -> int:
    return {1: 14, 2: 13, 3: 13}.get(index, 12)


def _host_for(name: str, index: int, seed: int, now: float, *, story: bool) -> HostSpec:
    rng = rng_for(seed, name, "host")
    gib = 1024**3
    if story and index == 2:
        cpus, ram, swap = 4, 8 * gib, 4 * gib
    elif story:
        cpus, ram, swap = (8, 32 * gib, 16 * gib) if index == 1 else (8, 24 * gib, 8 * gib)
    else:
        cpus = rng.choice((4, 8, 16))
        ram = rng.choice((16, 32, 64)) * gib
        swap = ram // 2
    return HostSpec(
        hostname=name,
        seed=seed * 1000 + index,
        cpus=cpus,
        ram_bytes=ram,
        swap_bytes=swap,
        bogomips=round(rng.uniform(4000, 6000), 2),
        boot_time=now - rng.uniform(70, 400) * 86400,
        kernel=rng.choice(("2.6.32-042stab134.8", "2.6.32-042stab133.2", "2.6.32-042stab134.8")),
    )


def _plan(seed: int, node_index: int, ctid: int, *, story: bool) -> CtPlan:
    rng = rng_for(seed, "ct", ctid)
    templates = (
        DEFAULT_TEMPLATES
        if not (story and node_index == 3)
        else (
            "debian-7.0-x86_64-minimal",
            "debian-8.0-x86_64-minimal",
            "ubuntu-14.04-x86_64-minimal",
        )
    )
    role = rng.choice(_ROLES)
    hostname = f"{role}{ctid % 100}.{'example.com' if rng.random() < 0.7 else 'hosting.local'}"
    octet = ctid % 250 + 2
    ips = [f"10.{node_index % 250}.{ctid // 250 % 250}.{octet}"]
    if rng.random() < 0.15:
        ips += [f"10.{node_index % 250}.{100 + n}.{octet}" for n in range(rng.randint(1, 3))]
    ram = rng.choice(_RAM_CHOICES)
    disk_gb = rng.choice((5, 10, 10, 20, 40))
    settings: dict[str, str] = {
        "PHYSPAGES": f"0:{ram}",
        "SWAPPAGES": f"0:{ram}",
        "DISKSPACE": f"{disk_gb}G:{disk_gb * 11 // 10}G",
        "DISKINODES": f"{disk_gb * 65536}:{disk_gb * 72089}",
        "IP_ADDRESS": " ".join(ips),
        "HOSTNAME": hostname,
        "NAMESERVER": "10.0.0.2 10.0.0.3",
        "ONBOOT": "yes" if rng.random() < 0.85 else "no",
    }
    if rng.random() < 0.25:
        settings["CPUUNITS"] = str(rng.choice((500, 2000, 4000)))
    if rng.random() < 0.2:
        settings["CPULIMIT"] = str(rng.choice((50, 100, 200)))
    if rng.random() < 0.2:
        settings["CPUS"] = str(rng.choice((1, 2)))
    name = None
    if rng.random() < 0.4:
        name = f"{role}{ctid}"
        settings["NAME"] = name
    if rng.random() < 0.3:
        settings["DESCRIPTION"] = rng.choice(_DESCRIPTIONS)
    layout = "ploop" if rng.random() < 0.75 else "simfs"
    sample = "vswap-256m"
    if rng.random() < 0.1:
        # A legacy pre-VSwap container: the full UBC set of ve-basic, no RAM/swap limits.
        sample = "basic"
        del settings["PHYSPAGES"], settings["SWAPPAGES"]
    roll = rng.random()
    state = "running" if roll < 0.9 else "stopped"
    return CtPlan(
        ctid=ctid,
        ostemplate=rng.choice(templates),
        layout=layout,
        settings=settings,
        name=name,
        state=state,
        sample=sample,
        uptime=rng.uniform(300, 60 * 86400),
        age=rng.uniform(1, 400) * 86400,
    )


def _apply_story(plans: list[CtPlan], node_index: int) -> None:
    by_id = {plan.ctid: plan for plan in plans}
    if node_index == 1:
        shop = by_id.get(104)
        if shop:
            shop.settings.update(
                {
                    "PHYSPAGES": "0:512M",
                    "SWAPPAGES": "0:512M",
                    "HOSTNAME": "shop.example.com",
                    "NAME": "shop",
                    "DESCRIPTION": "Customer 5120 - Magento (needs more RAM)",
                }
            )
            shop.name, shop.state, shop.uptime = "shop", "running", 5.5 * 3600
            shop.pressure = {"physpages": {"demand": 131072 * 1.18, "period": 40.0, "depth": 0.3, "refusals": 4}}
        web = by_id.get(101)
        if web:
            web.settings.update(
                {
                    "HOSTNAME": "www.example.com",
                    "NAME": "web1",
                    "IP_ADDRESS": "10.1.0.101 10.1.0.102 10.1.0.103 2001:db8::101",
                    "DESCRIPTION": "Company website (nginx + php-fpm)",
                }
            )
            web.name, web.state, web.layout = "web1", "running", "ploop"
        legacy = by_id.get(109)
        if legacy:
            legacy.sample, legacy.layout, legacy.state = "basic", "simfs", "running"
            legacy.settings.pop("PHYSPAGES", None)
            legacy.settings.pop("SWAPPAGES", None)
            legacy.settings["DESCRIPTION"] = "Legacy PHP 5.3 app, do not upgrade"
        for ctid, state in ((108, "stopped"), (112, "mounted")):
            if ctid in by_id:
                by_id[ctid].state = state
    elif node_index == 2:
        # Committed close to RAM+swap: 11 running x 1G RAM on an 8G + 4G node (vzmemcheck MemSwap commit ~95 %).
        for plan in plans:
            plan.settings.update({"PHYSPAGES": "0:1G", "SWAPPAGES": "0:128M"})
            plan.sample = "vswap-256m"
            plan.state = "running"
        forks = by_id.get(118)
        if forks:
            forks.settings.update(
                {
                    "NUMPROC": "120",
                    "HOSTNAME": "ci.example.com",
                    "NAME": "ci-runner",
                    "DESCRIPTION": "Internal GitLab runner",
                }
            )
            forks.name, forks.uptime = "ci-runner", 3.2 * 3600
            forks.pressure = {"numproc": {"demand": 128, "period": 55.0, "depth": 0.45, "refusals": 6}}
        for ctid, state in ((121, "suspended"), (125, "stopped")):
            if ctid in by_id:
                by_id[ctid].state = state
    elif node_index == 3:
        files = by_id.get(131)
        if files:
            files.settings.update({"NUMFILE": "4096", "HOSTNAME": "mail.hosting.local", "NAME": "mx1"})
            files.name, files.state, files.uptime = "mx1", "running", 26 * 3600
            files.pressure = {"numfile": {"demand": 4400, "period": 70.0, "depth": 0.4, "refusals": 9}}
        first = plans[0] if plans else None
        if first:
            first.state = "stopped"


def _materialise(node: SimNode, plans: list[CtPlan], now: float) -> None:
    boot = node.hostspec.boot_time
    for plan in plans:
        provision_ct(
            node,
            plan.ctid,
            ostemplate=plan.ostemplate,
            layout=plan.layout,
            settings=plan.settings,
            name=plan.name,
            created_at=now - plan.age,
            sample=plan.sample,
        )
        if plan.state == "suspended":
            dump = node.host(node.dump_file(plan.ctid))
            dump.parent.mkdir(parents=True, exist_ok=True)
            dump.write_bytes(b"\x00" * 4096)
    with node.transaction() as state:
        for plan in plans:
            runtime = CtRuntime()
            if plan.pressure:
                runtime.kernel["pressure"] = plan.pressure
            if plan.state in ("running", "mounted"):
                runtime.mounted = True
                runtime.running = plan.state == "running"
                if plan.layout == "ploop":
                    runtime.ploop_minor = node.allocate_ploop_minor(state, plan.ctid)
                if runtime.running:
                    runtime.started_at = max(boot + 120.0, now - plan.uptime)
            if runtime.running or runtime.mounted or runtime.kernel:
                state.cts[plan.ctid] = runtime


def _write_peers(cluster: SimCluster) -> None:
    peers = {name: str(root) for name, root in cluster.nodes.items()}
    for root in cluster.nodes.values():
        SimNode.atomic_write(root / "var/lib/vzsim/peers.json", json.dumps(peers, indent=1) + "\n")
