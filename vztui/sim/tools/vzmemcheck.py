"""``vzmemcheck [-v] [-A]``: memory utilisation and commitment of running containers (vzctl's vzmemcheck.c)."""

from __future__ import annotations

from typing import TextIO

from vztui.sim.node import SimNode
from vztui.sim.tools.memcalc import NodeMemory, Usage, commitment, utilization


def main(node: SimNode, argv: list[str], stdout: TextIO, stderr: TextIO) -> int:
    verbose = mbytes = False
    for arg in argv:
        if not arg.startswith("-") or arg == "-":
            break
        for letter in arg[1:]:
            if letter == "v":
                verbose = True
            elif letter == "A":
                mbytes = True
            elif letter == "h":
                stdout.write("Usage: vzmemcheck [-v] [-A]\n")
                return 0
            else:
                stderr.write(f"vzmemcheck: invalid option -- '{letter}'\n")
                stderr.write("Usage: vzmemcheck [-v] [-A]\n")
                return 1
    host = node.hostspec
    mem = NodeMemory(float(host.ram_bytes), float(host.swap_bytes or 1))
    factor = 1.0 / (1024 * 1024) if mbytes else 100.0
    stdout.write("Output values in Mbytes\n" if mbytes else "Output values in %\n")
    stdout.write(
        ("CTID       " if verbose else "") + " LowMem  LowMem     RAM MemSwap MemSwap   Alloc   Alloc   Alloc\n"
    )
    stdout.write(
        ("           " if verbose else "") + "   util  commit    util    util  commit    util  commit   limit\n"
    )
    figures = node.kernel_figures()
    total_util, total_comm = Usage(), Usage()
    for ctid in figures.order:
        rows = figures.cts[ctid].beancounters
        util = utilization(rows, mem)
        comm = commitment(rows, mem)
        if mbytes:
            util = _absolute(util, mem)
            comm = _absolute(comm, mem)
        util, comm = util.scaled(factor), comm.scaled(factor)
        if verbose:
            values = _eight(util, comm)
            stdout.write(f"{ctid:<10d} " + " ".join(f"{v:7.2f}" for v in values) + "\n")
        total_util.add(util)
        total_comm.add(comm)
    if verbose:
        stdout.write("-" * 74 + "\n")
        stdout.write("Summary:   ")
    stdout.write(" ".join(f"{v:7.2f}" for v in _eight(total_util, total_comm)) + "\n")
    if mbytes:
        lm = mem.lowmem / (1024 * 1024)
        r = mem.ram / (1024 * 1024)
        rs = mem.ram_swap / (1024 * 1024)
        stdout.write(
            ("           " if verbose else "") + " ".join(f"{v:7.2f}" for v in (lm, lm, r, rs, rs, rs, rs, rs)) + "\n"
        )
    return 0


def _absolute(usage: Usage, mem: NodeMemory) -> Usage:
    """vzmemcheck -A: the same figures as bytes (fractions times the node amount they were divided by)."""
    return Usage(
        usage.low_mem * mem.lowmem,
        usage.total_ram * mem.ram,
        usage.mem_swap * mem.ram_swap,
        usage.alloc_mem * mem.ram_swap,
        usage.alloc_mem_lim * mem.ram_swap,
    )


def _eight(util: Usage, comm: Usage) -> tuple[float, ...]:
    return (
        util.low_mem,
        comm.low_mem,
        util.total_ram,
        util.mem_swap,
        comm.mem_swap,
        util.alloc_mem,
        comm.alloc_mem,
        comm.alloc_mem_lim,
    )
