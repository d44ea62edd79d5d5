"""``vzcalc [-v] CTID``: how much of the node one container uses now, is promised, and may reach (vzcalc.c)."""

from __future__ import annotations

import re
from typing import TextIO

from vztui.openvz.units import PAGE_SIZE
from vztui.sim.kernel.limits import config_bounds
from vztui.sim.node import SimNode
from vztui.sim.tools.memcalc import KMEM_NET, NodeMemory

REQUIRED = (
    ("numproc", "NUMPROC"),
    ("vmguarpages", "VMGUARPAGES"),
    ("kmemsize", "KMEMSIZE"),
    ("tcpsndbuf", "TCPSNDBUF"),
    ("tcprcvbuf", "TCPRCVBUF"),
    ("othersockbuf", "OTHERSOCKBUF"),
    ("dgramrcvbuf", "DGRAMRCVBUF"),
    ("privvmpages", "PRIVVMPAGES"),
)
PROCTHR = "/proc/sys/kernel/threads-max"


def main(node: SimNode, argv: list[str], stdout: TextIO, stderr: TextIO) -> int:
    verbose = False
    args: list[str] = []
    for arg in argv:
        if arg == "-v":
            verbose = True
        elif arg == "-h":
            stdout.write("Usage: vzcalc [-v] <veid>\n")
            return 0
        elif arg.startswith("-") and len(arg) > 1:
            stderr.write(f"vzcalc: invalid option -- '{arg[1]}'\n")
            return 1
        else:
            args.append(arg)
    if not args:
        stderr.write("Usage: vzcalc [-v] <veid>\n")
        return 1
    if not args[0].isdigit():
        stderr.write(f"Invalid CT ID: {args[0]}\n")
        return 1
    ctid = int(args[0])
    conf = node.read_config(ctid)
    if conf is None:
        stderr.write(f"Container configuration file: {node.conf_path(ctid)} not found\n")
        return 1
    missing = [key for _name, key in REQUIRED if key not in conf]
    if missing:
        for key in missing:
            stderr.write(f"Error: parameter {key} not found\n")
        return 1
    threads_max = _thrmax(node, stderr)
    if threads_max is None:
        return 1
    bounds = config_bounds(conf)
    host = node.hostspec
    mem = NodeMemory(float(host.ram_bytes), float(host.swap_bytes or 1))
    figures = node.kernel_figures()
    running = ctid in figures.cts
    cur = {"lm": 0.0, "tr": 0.0, "ms": 0.0, "al": 0.0, "np": 0.0}
    if running:
        rows = figures.cts[ctid].beancounters
        kmem = float(sum(rows[name][0] for name in KMEM_NET))
        cur = {
            "lm": kmem / mem.lowmem,
            "tr": (rows["physpages"][0] * PAGE_SIZE + kmem) / mem.ram,
            "ms": (rows["oomguarpages"][0] * PAGE_SIZE + kmem) / mem.ram_swap,
            "al": (rows["privvmpages"][0] * PAGE_SIZE + kmem) / mem.ram_swap,
            "np": rows["numproc"][0] / threads_max,
        }
    kmem_max = float(sum(bounds[name][1] for name in KMEM_NET))
    lm_max = kmem_max / mem.lowmem
    ms_prm = (bounds["oomguarpages"][0] * PAGE_SIZE + kmem_max) / mem.ram_swap
    al_prm = (bounds["vmguarpages"][0] * PAGE_SIZE + kmem_max) / mem.ram_swap
    al_max = (bounds["privvmpages"][1] * PAGE_SIZE + kmem_max) / mem.ram_swap
    np_max = bounds["numproc"][0] / threads_max
    current = max(cur.values())
    promised = max(lm_max, ms_prm, al_prm)
    maximum = max(lm_max, al_max, np_max)

    def now(value: float) -> str:
        return f"{value * 100:10.2f}" if running else "n/a"

    stdout.write("Resource     Current(%)  Promised(%)  Max(%)\n")
    if verbose:
        stdout.write(f"Low Mem    {now(cur['lm']):>10} {lm_max * 100:10.2f} {lm_max * 100:10.2f}\n")
        stdout.write(f"Total RAM  {now(cur['tr']):>10}        n/a        n/a \n")
        stdout.write(f"Mem + Swap {now(cur['ms']):>10} {ms_prm * 100:10.2f}        n/a\n")
        stdout.write(f"Alloc. Mem {now(cur['al']):>10} {al_prm * 100:10.2f} {al_max * 100:10.2f}\n")
        stdout.write(f"Num. Proc  {now(cur['np']):>10}        n/a {np_max * 100:10.2f}\n")
        stdout.write("-" * 44 + "\n")
    stdout.write(f"Memory     {now(current):>10} {promised * 100:10.2f} {maximum * 100:10.2f}\n")
    return 0


def _thrmax(node: SimNode, stderr: TextIO) -> int | None:
    """vzctl's get_thrmax() (src/lib/util.c): ``sscanf("%du")`` of the first line; None (exit 1) when unreadable."""
    try:
        text = node.read_proc(PROCTHR.removeprefix("/proc/"))
    except OSError as error:
        stderr.write(f"Unable to open {PROCTHR}: {error.strerror}\n")
        return None
    digits = re.match(r"\s*[+-]?\d+", text.split("\n", 1)[0])
    return int(digits.group()) if digits else None
