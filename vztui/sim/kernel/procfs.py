"""Render the simulated kernel's /proc files, byte-for-byte in the 042stab (64-bit) formats of REFERENCE §4."""

from __future__ import annotations

import math
import time

from vztui.openvz.resources import BC_RESOURCES_ORDER, USER_BEANCOUNTERS_ORDER
from vztui.openvz.units import LONG_MAX, PAGE_SIZE
from vztui.sim.kernel.model import HOST_NUMPROC, HZ, USER_HZ, DiskFigures, NodeFigures

BC_HEADER = f"{'uid':>10}  {'resource':<12} {'held':>20} {'maxheld':>20} {'barrier':>20} {'limit':>20} {'failcnt':>20}"
VESTAT_COLUMNS = (
    "VEID",
    "user",
    "nice",
    "system",
    "uptime",
    "idle",
    "strv",
    "uptime",
    "used",
    "maxlat",
    "totlat",
    "numsched",
)
VESTAT_WIDTH = 251
_DUMMY = (0, 0, LONG_MAX, LONG_MAX, 0)
_HOST_SHARE = {
    "kmemsize": 29_000_000,
    "lockedpages": 5800,
    "privvmpages": 460_000,
    "shmpages": 840,
    "numproc": HOST_NUMPROC,
    "physpages": 150_000,
    "oomguarpages": 150_000,
    "numtcpsock": 13,
    "numflock": 4,
    "numpty": 1,
    "numsiginfo": 1,
    "tcpsndbuf": 227_552,
    "tcprcvbuf": 212_992,
    "othersockbuf": 305_912,
    "dgramrcvbuf": 0,
    "numothersock": 237,
    "dcachesize": 0,
    "numfile": 5967,
    "numiptent": 73,
    "swappages": 0,
    "vmguarpages": 0,
}


def _row(uid: str, name: str, values: tuple[int, int, int, int, int]) -> str:
    held, maxheld, barrier, limit, failcnt = values
    return f"{uid:>10}  {name:<12} {held:>20} {maxheld:>20} {barrier:>20} {limit:>20} {failcnt:>20}"


def host_beancounters(fig: NodeFigures) -> dict[str, tuple[int, int, int, int, int]]:
    """Block ``0:``: the host's own processes (containers are accounted in their own blocks)."""
    wobble = 1.0 + 0.03 * math.sin(fig.t / 37.0)
    totals: dict[str, tuple[int, int, int, int, int]] = {}
    for name, base in _HOST_SHARE.items():
        held = HOST_NUMPROC if name == "numproc" else int(base * wobble)
        totals[name] = (held, int(base * 1.6) + (1 if base else 0), LONG_MAX, LONG_MAX, 0)
    return totals


def ct_rows(fig: NodeFigures) -> dict[int, dict[str, str]]:
    """Each running CT's rows (uid column blank), rendered once and shared by the three beancounter files."""
    blank = " " * 10
    return {
        ctid: {name: _row(blank, name, values) for name, values in ct.beancounters.items()}
        for ctid, ct in fig.cts.items()
    }


_DUMMY_ROW = _row("", "dummy", _DUMMY)


def _blocks(fig: NodeFigures, rows: dict[int, dict[str, str]], order: tuple[str, ...], *, dummies: bool) -> list[str]:
    lines: list[str] = []
    host = host_beancounters(fig)
    host_rows = {name: _row("", name, values) for name, values in host.items()}
    blocks = [(str(ctid), rows[ctid]) for ctid in fig.order] + [("0", host_rows)]
    for uid, block in blocks:
        first = True
        for name in order:
            if name == "dummy":
                if not dummies:
                    continue
                line = _DUMMY_ROW
            else:
                line = block[name]
            if first:
                line = f"{uid + ':':>10}" + line[10:]
                first = False
            lines.append(line)
    return lines


def user_beancounters(fig: NodeFigures, rows: dict[int, dict[str, str]]) -> str:
    return "\n".join(["Version: 2.5", BC_HEADER, *_blocks(fig, rows, USER_BEANCOUNTERS_ORDER, dummies=True)]) + "\n"


def bc_resources(fig: NodeFigures, rows: dict[int, dict[str, str]]) -> str:
    return "\n".join(["Version: 2.5", BC_HEADER, *_blocks(fig, rows, BC_RESOURCES_ORDER, dummies=False)]) + "\n"


def bc_ct_resources(rows: dict[int, dict[str, str]], ctid: int) -> str:
    block = rows[ctid]
    return "".join(block[name] + "\n" for name in BC_RESOURCES_ORDER)


def veinfo(fig: NodeFigures) -> str:
    lines = []
    for ctid in fig.order:
        ct = fig.cts[ctid]
        ips = "".join(f" {ip:>39}" if ":" in ip else f" {ip:>15}" for ip in reversed(ct.ips))
        lines.append(f"{ctid:>10} {2:>5} {ct.numproc:>5}{ips}\n")
    lines.append(f"{0:>10} {0:>5} {HOST_NUMPROC:>5}\n")
    return "".join(lines)


def vestat(fig: NodeFigures) -> str:
    mhz = fig.host.cpu_mhz
    lines = [f"{'Version: 2.2':<{VESTAT_WIDTH}}", " ".join(f"{c:>20}" for c in VESTAT_COLUMNS)]
    for ctid in sorted(fig.cts):
        ct = fig.cts[ctid]
        user, nice, system = ct.busy_jiffies
        up_jiffies = int(ct.uptime * HZ)
        up_cycles = int(ct.uptime * mhz * 1e6)
        used = int((user + nice + system) / HZ * mhz * 1e6)
        idle = max(0, up_cycles * fig.host.cpus - used)
        numsched = int(ct.uptime * 37 * max(ct.numproc, 1))
        values = (
            ctid,
            user,
            nice,
            system,
            up_jiffies,
            idle,
            0,
            up_cycles,
            used,
            1_000_000 + ctid,
            numsched * 900,
            numsched,
        )
        lines.append(" ".join(f"{v:>20}" for v in values))
    return "\n".join(lines) + "\n"


def fairsched(fig: NodeFigures) -> str:
    lines = [
        "Version: 2.6",
        f"{'veid':>10} {'id':>10} {'parent':>10} {'weight':>6} {'rate':>5} {'tasks':>5} {'run':>5} {'cpus':>4}",
    ]
    lines.append(f"{0:>10} {0:>10} {0:>10} {500:>6} {0:>5} {HOST_NUMPROC:>5} {1:>5} {fig.host.cpus:>4}")
    for ctid in fig.order:
        ct = fig.cts[ctid]
        weight = max(1, 500000 // max(ct.cpuunits, 1))
        rate = ct.cpulimit * 1024 // 100
        running = min(ct.numproc, round(ct.cpu_rate))
        cpus = ct.cpus if ct.cpus > 0 else fig.host.cpus
        lines.append(f"{0:>10} {ctid:>10} {0:>10} {weight:>6} {rate:>5} {ct.numproc:>5} {running:>5} {cpus:>4}")
    return "\n".join(lines) + "\n"


QHASH_BITS = 6
"""vzdquot.c's master hash: 64 chains, ``((qid >> 6) ^ qid) & 63``; /proc/vz/vzquota walks them in order."""


def vzquota(disks: dict[int, tuple[str, DiskFigures]]) -> str:
    """``/proc/vz/vzquota`` as vzquota_read_proc() in the openvz6 kernel (fs/quota/vzdquota/vzdq_mgmt.c) prints it.

    ``disks`` is in the order quota was switched on: each chain lists its newest master first (list_add).
    Header ``%-11s%15s%15s%15s%11s%11s``, the id line ``%u: %s`` (the quota root), then rows
    ``%11s%15Lu%15Lu%15Lu%11u%11u`` with the kernel's btime/bexpire (itime/iexpire) as time and expire.
    """
    lines = [f"{'qid: path':<11}{'usage':>15}{'softlimit':>15}{'hardlimit':>15}{'time':>11}{'expire':>11}"]
    chains: dict[int, list[int]] = {}
    for ctid in disks:
        chains.setdefault(((ctid >> QHASH_BITS) ^ ctid) & ((1 << QHASH_BITS) - 1), []).insert(0, ctid)
    for chain in sorted(chains):
        for ctid in chains[chain]:
            path, disk = disks[ctid]
            lines.append(f"{ctid}: {path}")
            lines.append(
                f"{'1k-blocks':>11}{disk.blocks_used:>15}{disk.blocks_soft:>15}{disk.blocks_hard:>15}"
                f"{disk.blocks_time & 0xFFFFFFFF:>11}{disk.blocks_expire & 0xFFFFFFFF:>11}"
            )
            lines.append(
                f"{'inodes':>11}{disk.inodes_used & 0xFFFFFFFF:>15}{disk.inodes_soft & 0xFFFFFFFF:>15}"
                f"{disk.inodes_hard & 0xFFFFFFFF:>15}{disk.inodes_time & 0xFFFFFFFF:>11}"
                f"{disk.inodes_expire & 0xFFFFFFFF:>11}"
            )
    return "\n".join(lines) + "\n"


def meminfo(fig: NodeFigures) -> str:
    kib = 1024
    total = fig.host.ram_bytes // kib
    used_pages = sum(ct.beancounters["physpages"][0] for ct in fig.cts.values()) + _HOST_SHARE["physpages"]
    used = min(total - 65536, used_pages * PAGE_SIZE // kib)
    cached = max(0, (total - used) // 3)
    buffers = max(0, (total - used) // 40)
    free = max(0, total - used - cached - buffers)
    swap_total = fig.host.swap_bytes // kib
    swap_used = min(swap_total, sum(ct.beancounters["swappages"][0] for ct in fig.cts.values()) * PAGE_SIZE // kib)
    rows = [
        ("MemTotal", total),
        ("MemFree", free),
        ("Buffers", buffers),
        ("Cached", cached),
        ("SwapCached", swap_used // 20),
        ("Active", used * 6 // 10),
        ("Inactive", used * 3 // 10 + cached // 2),
        ("SwapTotal", swap_total),
        ("SwapFree", swap_total - swap_used),
        ("Dirty", 1234),
        ("Writeback", 0),
        ("AnonPages", used * 7 // 10),
        ("Mapped", used // 12),
        ("Shmem", used // 50),
        ("Slab", total // 60),
        ("SReclaimable", total // 90),
        ("SUnreclaim", total // 180),
        ("KernelStack", fig.total_numproc * 8),
        ("PageTables", used // 90),
        ("CommitLimit", total // 2 + swap_total),
        ("Committed_AS", used * 2),
        ("VmallocTotal", 34359738367),
        ("VmallocUsed", 350000),
        ("HugePages_Total", 0),
        ("Hugepagesize", 2048),
    ]
    return "".join(
        f"{name + ':':<16}{value:>8}\n" if name.startswith("HugePages") else f"{name + ':':<16}{value:>8} kB\n"
        for name, value in rows
    )


def loadavg(fig: NodeFigures) -> str:
    one = sum(ct.laverage[0] for ct in fig.cts.values()) + 0.05
    five = sum(ct.laverage[1] for ct in fig.cts.values()) + 0.04
    fifteen = sum(ct.laverage[2] for ct in fig.cts.values()) + 0.03
    running = max(1, round(fig.cpu_busy))
    last_pid = 1000 + int(fig.t) % 30000
    return f"{one:.2f} {five:.2f} {fifteen:.2f} {running}/{fig.total_numproc} {last_pid}\n"


def uptime(fig: NodeFigures) -> str:
    up = max(0.0, fig.t - fig.host.boot_time)
    idle = up * fig.host.cpus - fig.cpu_busy * up
    return f"{up:.2f} {max(idle, 0.0):.2f}\n"


def stat(fig: NodeFigures) -> str:
    up = max(0.0, fig.t - fig.host.boot_time)
    cpus = fig.host.cpus
    busy_total = sum(sum(ct.busy_jiffies) for ct in fig.cts.values()) * USER_HZ // HZ + int(up * USER_HZ * 0.02 * cpus)
    total = int(up * USER_HZ * cpus)
    user, system = busy_total * 8 // 10, busy_total * 2 // 10
    idle = max(0, total - busy_total)
    lines = [f"cpu  {user} 0 {system} {idle} {idle // 200} 0 {busy_total // 500} 0 0"]
    for cpu in range(cpus):
        steal = busy_total // 500 // cpus
        lines.append(f"cpu{cpu} {user // cpus} 0 {system // cpus} {idle // cpus} {idle // 200 // cpus} 0 {steal} 0 0")
    lines += [
        f"intr {int(up * 2100)}",
        f"ctxt {int(up * 48000)}",
        f"btime {int(fig.host.boot_time)}",
        f"processes {int(up * 3) + 20000}",
        f"procs_running {max(1, round(fig.cpu_busy))}",
        "procs_blocked 0",
    ]
    return "\n".join(lines) + "\n"


def cpuinfo(fig: NodeFigures) -> str:
    host = fig.host
    blocks = []
    for cpu in range(host.cpus):
        blocks.append(
            f"processor\t: {cpu}\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 63\n"
            f"model name\t: {host.cpu_model}\nstepping\t: 2\ncpu MHz\t\t: {host.cpu_mhz:.3f}\n"
            f"cache size\t: 15360 KB\nphysical id\t: 0\nsiblings\t: {host.cpus}\ncore id\t\t: {cpu}\n"
            f"cpu cores\t: {host.cpus}\napicid\t\t: {cpu * 2}\nfpu\t\t: yes\nfpu_exception\t: yes\n"
            f"cpuid level\t: 15\nwp\t\t: yes\nflags\t\t: fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov "
            f"pat pse36 clflush mmx fxsr sse sse2 ht syscall nx lm constant_tsc pni ssse3 cx16 sse4_1 sse4_2 "
            f"x2apic popcnt aes xsave avx f16c rdrand hypervisor lahf_lm abm\n"
            f"bogomips\t: {host.bogomips:.2f}\nclflush size\t: 64\ncache_alignment\t: 64\n"
            f"address sizes\t: 46 bits physical, 48 bits virtual\npower management:\n"
        )
    return "\n".join(blocks) + "\n"


THREAD_SIZE_PAGES = 4
"""x86_64 RHEL6/042stab kernels use THREAD_ORDER 2 (16 KiB kernel stacks, arch/x86/include/asm/page_64_types.h)."""


def threads_max(fig: NodeFigures) -> str:
    """``/proc/sys/kernel/threads-max``: fork_init(totalram_pages) in the openvz6 kernel's kernel/fork.c sets
    ``max_threads = mempages / (8 * THREAD_SIZE / PAGE_SIZE)``, at least 20 (vzsplit and vzcalc read it)."""
    return f"{max(20, fig.host.ram_bytes // PAGE_SIZE // (8 * THREAD_SIZE_PAGES))}\n"


def version(fig: NodeFigures) -> str:
    return (
        f"Linux version {fig.host.kernel} (root@kbuild-rh6-x64.eng.sw.ru) (gcc version 4.4.6 20120305 "
        f"(Red Hat 4.4.6-4) (GCC) ) #1 SMP Thu Jun 7 17:46:05 MSK 2018\n"
    )


def vz_version(fig: NodeFigures) -> str:
    return fig.host.kernel.split("-", 1)[-1] + "\n"


def stamp(fig: NodeFigures) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(fig.t)) + "\n"
