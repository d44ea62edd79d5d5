"""``vzcpucheck [-v]``: CPU units promised to running containers against the node's power (vzctl 4.x script)."""

from __future__ import annotations

from typing import TextIO

from vztui.sim.node import SimNode


def main(node: SimNode, argv: list[str], stdout: TextIO, stderr: TextIO) -> int:
    verbose = False
    for arg in argv:
        if arg == "-v":
            verbose = True
        else:
            stderr.write("Usage: vzcpucheck [-v]\n")
            return 2
    figures = node.kernel_figures()
    host_units = _int(node.vzconf_value("VE0CPUUNITS", "1000"), 1000)
    # vzcpucheck reads weights from /proc/fairsched; units = 500000 / weight, so odd values round as there.
    units = {ctid: 500000 // max(1, 500000 // max(ct.cpuunits, 1)) for ctid, ct in figures.cts.items()}
    if verbose:
        stdout.write("VEID\t\tCPUUNITS\n" + "-" * 25 + "\n")
        stdout.write(f"0\t\t{host_units}\n")
        for ctid in figures.order:
            stdout.write(f"{ctid}\t\t{units[ctid]}\n")
    total = host_units + sum(units.values())
    power = int(node.hostspec.cpus * node.hostspec.bogomips * 25)
    stdout.write(f"Current CPU utilization: {total}\n")
    stdout.write(f"Power of the node: {power}\n")
    if total > power:
        stdout.write("Warning: hardware node is overcommitted\n")
    return 0


def _int(text: str, default: int) -> int:
    try:
        return int(text)
    except ValueError:
        return default
