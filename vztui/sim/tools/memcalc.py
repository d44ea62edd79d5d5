"""The memory arithmetic shared by vzmemcheck and vzcalc (vzctl's ub.c): low memory, RAM, RAM+swap, allocations.

The node's low memory is 40 % of RAM on a 64-bit host (no LowTotal in /proc/meminfo). Unlimited limits would make
every "commit" figure astronomically large; the simulator counts an unlimited barrier as the resource's current
usage instead, which keeps the summary meaningful for VSwap containers.
"""

from __future__ import annotations

from dataclasses import dataclass

from vztui.openvz.units import LONG_MAX, PAGE_SIZE

KMEM_NET = ("kmemsize", "tcprcvbuf", "tcpsndbuf", "dgramrcvbuf", "othersockbuf")


@dataclass(frozen=True, slots=True)
class NodeMemory:
    ram: float
    swap: float

    @property
    def lowmem(self) -> float:
        return self.ram * 0.4

    @property
    def ram_swap(self) -> float:
        return self.ram + self.swap


@dataclass(slots=True)
class Usage:
    low_mem: float = 0.0
    total_ram: float = 0.0
    mem_swap: float = 0.0
    alloc_mem: float = 0.0
    alloc_mem_lim: float = 0.0

    def add(self, other: Usage) -> None:
        self.low_mem += other.low_mem
        self.total_ram += other.total_ram
        self.mem_swap += other.mem_swap
        self.alloc_mem += other.alloc_mem
        self.alloc_mem_lim += other.alloc_mem_lim

    def scaled(self, factor: float) -> Usage:
        return Usage(
            self.low_mem * factor,
            self.total_ram * factor,
            self.mem_swap * factor,
            self.alloc_mem * factor,
            self.alloc_mem_lim * factor,
        )


Rows = dict[str, tuple[int, int, int, int, int]]


def _bounded(value: int, fallback: int) -> int:
    return fallback if value >= LONG_MAX or value == 2147483647 else value


def utilization(rows: Rows, mem: NodeMemory) -> Usage:
    """Held values against the node: what the container uses now."""
    kmem = float(sum(rows[name][0] for name in KMEM_NET))
    return Usage(
        low_mem=kmem / mem.lowmem,
        total_ram=(rows["physpages"][0] * PAGE_SIZE + kmem) / mem.ram,
        mem_swap=(rows["oomguarpages"][0] * PAGE_SIZE + kmem) / mem.ram_swap,
        alloc_mem=(rows["privvmpages"][0] * PAGE_SIZE + kmem) / mem.ram_swap,
    )


def commitment(rows: Rows, mem: NodeMemory) -> Usage:
    """Barriers and limits against the node: what the container was promised."""
    kmem = float(sum(_bounded(rows[name][2], rows[name][0]) for name in KMEM_NET))
    oomguar = _bounded(rows["oomguarpages"][2], rows["oomguarpages"][0])
    vmguar = _bounded(rows["vmguarpages"][2], rows["privvmpages"][0])
    privvm = _bounded(rows["privvmpages"][3], rows["privvmpages"][0])
    return Usage(
        low_mem=kmem / mem.lowmem,
        total_ram=0.0,
        mem_swap=(oomguar * PAGE_SIZE + kmem) / mem.ram_swap,
        alloc_mem=(vmguar * PAGE_SIZE + kmem) / mem.ram_swap,
        alloc_mem_lim=(privvm * PAGE_SIZE + kmem) / mem.ram_swap,
    )
