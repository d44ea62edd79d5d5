"""The simulated kernel's accounting for one node at one instant: beancounters, CPU, processes, disk, load.

A container's figures come from seeded per-CT parameters and sine waves over wall-clock time, so any process
computing them at time t gets the same numbers (no daemon needed). Limits come from the CT config (live values:
``vzctl set`` on a running CT changes them). Memory-pressure "episodes" (demand above the barrier) are counted in
closed form to give failcnt; a change of limits or of the set of running CTs is folded into a small carry kept in
the runtime state (see ``carry.py``), so counters never go backwards.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Any

from vztui.openvz.resources import RESOURCES
from vztui.openvz.units import LONG_MAX, parse_barrier_limit
from vztui.sim.kernel.limits import Bounds, config_bounds, effective_bound
from vztui.sim.kernel.waves import entries_above, integral_of_wave, phase, rng_for, running_max_sin
from vztui.sim.node import HostSpec, SimNode
from vztui.sim.state import CtRuntime, NodeState

HZ = 1000
"""Jiffies per second in /proc/vz/vestat (CONFIG_HZ=1000 on RHEL6 kernels)."""
USER_HZ = 100
"""Clock ticks per second in /proc/stat."""
DEFAULT_RAM_PAGES = 65536


@dataclass(frozen=True, slots=True)
class Wave:
    """base·(1 + amp·(0.65·sin θ1 + 0.35·sin θ2)): a resource's ordinary wandering."""

    base: float
    amp: float
    p1: float
    o1: float
    p2: float
    o2: float

    def at(self, t: float) -> float:
        return self.base * (
            1.0 + self.amp * (0.65 * math.sin(phase(t, self.p1, self.o1)) + 0.35 * math.sin(phase(t, self.p2, self.o2)))
        )

    def max_since(self, t0: float, t: float) -> float:
        m1 = running_max_sin(phase(t0, self.p1, self.o1), phase(t, self.p1, self.o1))
        m2 = running_max_sin(phase(t0, self.p2, self.o2), phase(t, self.p2, self.o2))
        return self.base * (1.0 + self.amp * (0.65 * m1 + 0.35 * m2))


@dataclass(frozen=True, slots=True)
class Pressure:
    """Demand that peaks at ``demand`` once per ``period`` seconds; above the barrier, allocations fail."""

    demand: float
    period: float
    depth: float
    offset: float
    refusals: int
    """failcnt added per episode."""

    def at(self, t: float) -> float:
        return self.demand * (1.0 - self.depth * (0.5 - 0.5 * math.sin(phase(t, self.period, self.offset))))

    def max_since(self, t0: float, t: float) -> float:
        top = running_max_sin(phase(t0, self.period, self.offset), phase(t, self.period, self.offset))
        return self.demand * (1.0 - self.depth * (0.5 - 0.5 * top))

    def episodes(self, t0: float, t: float, bound: int) -> int:
        if bound <= 0 or bound >= LONG_MAX or self.demand <= bound:
            return 0
        level = 1.0 - 2.0 * (1.0 - bound / self.demand) / self.depth
        return entries_above(phase(t0, self.period, self.offset), phase(t, self.period, self.offset), level)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Pressure:
        return cls(
            demand=float(data["demand"]),
            period=float(data.get("period", 60.0)),
            depth=float(data.get("depth", 0.35)),
            offset=float(data.get("offset", 0.0)),
            refusals=int(data.get("refusals", 3)),
        )


@dataclass(frozen=True, slots=True)
class CpuProfile:
    mean: float
    """CPUs' worth of demand."""
    amp: float
    period: float
    offset: float
    system_share: float
    nice_share: float


@dataclass(slots=True)
class CtFigures:
    """Everything the kernel reports about one running container at one instant."""

    ctid: int
    uptime: float
    beancounters: dict[str, tuple[int, int, int, int, int]]
    """resource → (held, maxheld, barrier, limit, failcnt), for all 21 resources."""
    numproc: int
    cpu_rate: float
    busy_jiffies: tuple[int, int, int]
    """user, nice, system."""
    laverage: tuple[float, float, float]
    ips: tuple[str, ...]
    cpuunits: int
    cpulimit: int
    cpus: int


QUOTA_EXPTIME = 259_200
"""vzctl's grace period (include/quota.h) when the config has no QUOTATIME: ``vzquota on -e/-n`` get it."""


@dataclass(frozen=True, slots=True)
class DiskFigures:
    """First-level quota of one CT in 1 KiB blocks and inodes, with the kernel's grace bookkeeping.

    ``*_time`` is the kernel's ``btime``/``itime``: the epoch second the grace period ends, set when usage first
    went over the soft limit (0 while under it); ``*_expire`` is the grace period itself (``bexpire``/``iexpire``,
    the CT's QUOTATIME). Both are what /proc/vz/vzquota prints in its ``time``/``expire`` columns.
    """

    blocks_used: int
    blocks_soft: int
    blocks_hard: int
    inodes_used: int
    inodes_soft: int
    inodes_hard: int
    blocks_time: int = 0
    blocks_expire: int = 0
    inodes_time: int = 0
    inodes_expire: int = 0


@dataclass(slots=True)
class NodeFigures:
    """The whole node at time ``t``."""

    t: float
    host: HostSpec
    cts: dict[int, CtFigures] = field(default_factory=dict)
    rates: dict[int, float] = field(default_factory=dict)
    """Mean CPU rate (CPUs) of each running CT in the current regime."""
    order: list[int] = field(default_factory=list)
    """Running CTs in the kernel's list order (most recently started first)."""

    @property
    def total_numproc(self) -> int:
        return HOST_NUMPROC + sum(ct.numproc for ct in self.cts.values())

    @property
    def cpu_busy(self) -> float:
        return min(float(self.host.cpus), 0.04 * self.host.cpus + sum(ct.cpu_rate for ct in self.cts.values()))


HOST_NUMPROC = 148


def ct_waves(seed: int, ctid: int, bounds: Bounds) -> dict[str, Wave]:
    """The ordinary load of each resource, scaled to the CT's RAM and kept below its barriers."""
    rng = rng_for(seed, ctid, "load")
    ram = bounds["physpages"][1]
    ram = ram if 0 < ram < LONG_MAX else DEFAULT_RAM_PAGES
    phys = ram * rng.uniform(0.12, 0.7)
    numproc = math.exp(rng.uniform(math.log(12), math.log(140)))
    tcp = rng.uniform(4, 110)
    other = rng.uniform(15, 140)
    bases = {
        "kmemsize": numproc * rng.uniform(0.35e6, 0.9e6),
        "lockedpages": rng.choice((0.0, 0.0, 0.0, 4.0, 16.0)),
        "privvmpages": phys * rng.uniform(1.5, 3.4),
        "shmpages": phys * rng.uniform(0.01, 0.09),
        "numproc": numproc,
        "physpages": phys,
        "vmguarpages": 0.0,
        "oomguarpages": phys * rng.uniform(0.3, 0.95),
        "numtcpsock": tcp,
        "numflock": rng.uniform(2, 24),
        "numpty": rng.choice((0.0, 0.0, 1.0, 1.0, 2.0)),
        "numsiginfo": rng.uniform(0, 5),
        "tcpsndbuf": tcp * rng.uniform(8e3, 24e3),
        "tcprcvbuf": tcp * rng.uniform(8e3, 24e3),
        "othersockbuf": other * rng.uniform(1.2e3, 3e3),
        "dgramrcvbuf": rng.uniform(0, 12e3),
        "numothersock": other,
        "dcachesize": rng.uniform(4e6, 34e6),
        "numfile": numproc * rng.uniform(9, 24),
        "numiptent": rng.uniform(10, 110),
        "swappages": ram * rng.uniform(0.0, 0.04),
    }
    waves: dict[str, Wave] = {}
    for name in RESOURCES:
        amp = rng.uniform(0.04, 0.25)
        base = bases[name]
        barrier, limit = bounds[name]
        bound = effective_bound(barrier, limit)
        if 0 < bound < LONG_MAX:
            base = min(base, 0.82 * bound / (1.0 + amp))
        waves[name] = Wave(
            base, amp, rng.uniform(90, 900), rng.uniform(0, 6.3), rng.uniform(8, 45), rng.uniform(0, 6.3)
        )
    return waves


def cpu_profile(seed: int, ctid: int) -> CpuProfile:
    rng = rng_for(seed, ctid, "cpu")
    mean = math.exp(rng.uniform(math.log(0.01), math.log(1.2)))
    return CpuProfile(
        mean,
        rng.uniform(0.1, 0.6),
        rng.uniform(30, 400),
        rng.uniform(0, 6.3),
        rng.uniform(0.08, 0.3),
        rng.uniform(0.0, 0.03),
    )


def cpu_params(conf: dict[str, str]) -> tuple[int, int, int]:
    """(cpuunits, cpulimit %, cpus) from a config; 1000 units by default, 0 for unset limit/cpus."""
    return _int(conf.get("CPUUNITS"), 1000), _int(conf.get("CPULIMIT"), 0), _int(conf.get("CPUS"), 0)


def cpu_rates(host: HostSpec, demands: dict[int, tuple[float, int, int, int]]) -> dict[int, float]:
    """Water-fill host CPUs among CTs by cpuunits, each capped by its own demand, cpulimit and cpus."""
    caps: dict[int, float] = {}
    for ctid, (demand, _units, limit, cpus) in demands.items():
        cap = float(host.cpus)
        if limit > 0:
            cap = min(cap, limit / 100.0)
        if cpus > 0:
            cap = min(cap, float(cpus))
        caps[ctid] = min(demand, cap)
    capacity = host.cpus * 0.96
    rates: dict[int, float] = {}
    active = dict(caps)
    while active:
        weight = sum(max(demands[c][1], 1) for c in active)
        share = {c: capacity * max(demands[c][1], 1) / weight for c in active}
        satisfied = {c for c in active if active[c] <= share[c]}
        if not satisfied:
            rates.update(share)
            break
        for c in satisfied:
            rates[c] = active[c]
            capacity -= active[c]
            del active[c]
    return rates


def pressures(runtime: CtRuntime) -> dict[str, Pressure]:
    raw = runtime.kernel.get("pressure", {})
    return {name: Pressure.from_json(spec) for name, spec in raw.items() if name in RESOURCES}


def disk_figures(node: SimNode, ctid: int, conf: dict[str, str], t: float) -> DiskFigures:
    """Disk usage growing slowly within DISKSPACE from the private area's creation (its directory mtime)."""
    rng = rng_for(node.hostspec.seed, ctid, "disk")
    soft_b, hard_b = _pair(conf.get("DISKSPACE"), 2 * 1024 * 1024)
    soft_i, hard_i = _pair(conf.get("DISKINODES"), 200000)
    if node.is_ploop(conf):
        # vzlist reads a ploop CT's usage from its mounted ext4: the size is the limit, inodes are one per 16 KiB.
        soft_b = hard_b
        soft_i = hard_i = max(1, hard_b // 16)
    try:
        created = os.stat(node.host(node.ve_private(ctid, conf))).st_mtime
    except OSError:
        created = t
    expire = _quotatime(conf.get("QUOTATIME"))
    # Usage creeps from the template's size towards a per-CT plateau, so it visibly grows minute by minute without
    # every old CT ending up at its limit. A few CTs run nearly full: on simfs (hard limit above the soft one) their
    # plateau lies past the soft limit, so they cross it one day and the kernel's grace period runs (see below).
    start = rng.uniform(0.05, 0.3)
    full = rng.random() < 0.1
    plateau = rng.uniform(0.96, 0.985) if full else rng.uniform(start + 0.05, 0.85)
    tau = rng.uniform(60, 400) * 86400.0
    per_inode = rng.uniform(9.0, 18.0)
    overshoot = rng.randint(4, 256)
    overrun = full and 0 < soft_b < hard_b < LONG_MAX
    bound = (hard_b if overrun else soft_b) if 0 < soft_b < LONG_MAX else 20 * 1024 * 1024

    def usage(age: float) -> int:
        return int(bound * (plateau - (plateau - start) * math.exp(-max(0.0, age) / tau)))

    used = usage(t - created)
    btime = 0
    if overrun and used > soft_b:
        # vzquota_check_space() (fs/quota/vzdquota/vzdq_ops.c): the first write past the soft limit sets
        # btime = now + bexpire; once now >= btime every further write past the soft limit is refused, so usage
        # stays where it was then (the crossing write itself got through: a few KiB past the soft limit).
        crossing = created + max(0.0, tau * math.log((plateau - start) / (plateau - soft_b / bound)))
        btime = int(crossing) + expire
        if t >= btime:
            used = max(usage(btime - created), soft_b + overshoot)
        used = min(used, hard_b)
    inodes = int(used / per_inode)
    if 0 < soft_i < LONG_MAX:
        inodes = min(inodes, int(soft_i * 0.93))
    return DiskFigures(used, soft_b, hard_b, inodes, soft_i, hard_i, btime, expire, 0, expire)


def _quotatime(raw: str | None) -> int:
    """QUOTATIME as vzctl passes it to ``vzquota on -e``: an unsigned number of seconds, else vzctl's default."""
    return int(raw) if raw and raw.isascii() and raw.isdigit() else QUOTA_EXPTIME


class KernelModel:
    """Computes ``NodeFigures`` for a node from its configs, runtime state and the clock."""

    def __init__(self, node: SimNode) -> None:
        self.node = node
        self.host = node.hostspec

    def figures(
        self, state: NodeState, t: float, configs: dict[int, dict[str, str]], *, recorded_bounds: bool = False
    ) -> NodeFigures:
        """Figures at ``t``; ``recorded_bounds`` uses the limits and CPU rates of the regime last recorded."""
        figures = NodeFigures(t=t, host=self.host)
        running = [c for c in state.running_ctids() if c in configs and c != 0]
        figures.order = sorted(running, key=lambda c: (-(state.cts[c].started_at or 0.0), c))
        seed = self.host.seed
        demands: dict[int, tuple[float, int, int, int]] = {}
        profiles: dict[int, CpuProfile] = {}
        for ctid in running:
            profiles[ctid] = cpu_profile(seed, ctid)
            units, limit, cpus = cpu_params(configs[ctid])
            demands[ctid] = (profiles[ctid].mean, units, limit, cpus)
        rates = cpu_rates(self.host, demands)
        kernel_extra = state.extra.get("kernel", {})
        if recorded_bounds:
            stored = kernel_extra.get("rates", {})
            rates.update({int(c): float(r) for c, r in stored.items() if int(c) in rates})
        figures.rates = rates
        cpu_carry: dict[str, Any] = kernel_extra.get("cpu", {})
        epoch = float(kernel_extra.get("epoch", 0.0))
        for ctid in running:
            runtime = state.cts[ctid]
            conf = configs[ctid]
            started = runtime.started_at if runtime.started_at is not None else t
            bounds = config_bounds(conf)
            recorded = runtime.kernel.get("bounds") if recorded_bounds else None
            if recorded:
                bounds.update({name: (int(pair[0]), int(pair[1])) for name, pair in recorded.items()})
            figures.cts[ctid] = self._ct(
                ctid,
                runtime=runtime,
                conf=conf,
                bounds=bounds,
                started=started,
                t=t,
                profile=profiles[ctid],
                rate=rates.get(ctid, 0.0),
                demand=demands[ctid],
                carry=cpu_carry.get(str(ctid)),
                epoch=epoch,
            )
        return figures

    def _ct(
        self,
        ctid: int,
        *,
        runtime: CtRuntime,
        conf: dict[str, str],
        bounds: Bounds,
        started: float,
        t: float,
        profile: CpuProfile,
        rate: float,
        demand: tuple[float, int, int, int],
        carry: Any,
        epoch: float,
    ) -> CtFigures:
        waves = ct_waves(self.host.seed, ctid, bounds)
        pressure = pressures(runtime)
        kernel = runtime.kernel
        run_carry = kernel.get("carry", {}) if kernel.get("run") == started else {}
        since = float(kernel.get("epoch", started)) if run_carry else started
        held_values: dict[str, tuple[int, int, int, int, int]] = {}
        overflow = overflow_peak = 0.0
        for name in RESOURCES:
            barrier, limit = bounds[name]
            bound = effective_bound(barrier, limit)
            wave = waves[name]
            spec = pressure.get(name)
            carried_max, carried_fail = run_carry.get(name, (0, 0))
            if spec is not None:
                demand_now = spec.at(t)
                held = min(demand_now, bound)
                if name == "physpages":
                    overflow = max(0.0, demand_now - bound)
                    overflow_peak = max(0.0, spec.max_since(started, t) - bound)
                peak = min(spec.max_since(started, t), bound)
                fails = spec.episodes(since, t, bound) * spec.refusals
            else:
                held = wave.at(t)
                peak = wave.max_since(started, t)
                fails = 0
            if name == "swappages":
                # RAM beyond physpages goes to swap: held and its peak carry the overflow.
                held += overflow
                peak = max(peak + overflow_peak, held)
            if 0 < bound < LONG_MAX:
                held = min(held, bound)
                peak = min(peak, bound)
            held_i = max(0, int(held))
            maxheld = max(held_i, int(peak), int(carried_max))
            held_values[name] = (held_i, maxheld, barrier, limit, int(carried_fail) + fails)
        numproc = held_values["numproc"][0]
        user_share = 1.0 - profile.system_share - profile.nice_share
        amp = profile.amp if rate < demand[0] * 0.98 else profile.amp * 0.15
        base_busy = float(carry[0]) if carry and carry[1] == started else 0.0
        busy_from = max(started, epoch) if base_busy else started
        busy = base_busy + integral_of_wave(busy_from, t, rate, amp, period=profile.period, offset=profile.offset) * HZ
        now_rate = rate * (1.0 + amp * math.sin(phase(t, profile.period, profile.offset)))
        ips = tuple(ip.split("/", 1)[0] for ip in conf.get("IP_ADDRESS", "").split())
        units, limit, cpus = demand[1], demand[2], demand[3]
        la1 = max(0.0, now_rate * 1.1 + numproc * 0.001)
        la5 = max(0.0, rate * 1.05 + numproc * 0.001)
        return CtFigures(
            ctid=ctid,
            uptime=max(0.0, t - started),
            beancounters=held_values,
            numproc=numproc,
            cpu_rate=now_rate,
            busy_jiffies=(int(busy * user_share), int(busy * profile.nice_share), int(busy * profile.system_share)),
            laverage=(la1, la5, max(0.0, rate)),
            ips=ips,
            cpuunits=units,
            cpulimit=limit,
            cpus=cpus,
        )


def _int(raw: str | None, default: int) -> int:
    try:
        return int(raw) if raw else default
    except ValueError:
        return default


def _pair(raw: str | None, default: int) -> tuple[int, int]:
    if not raw:
        return default, default
    try:
        from vztui.openvz.units import Unit

        return parse_barrier_limit(raw, unit=Unit.KIB)
    except ValueError:
        return default, default
