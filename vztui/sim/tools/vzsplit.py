"""``vzsplit``: a config sample that splits this node's resources among N containers, as vzctl 4.x's src/vzsplit.c.

The arithmetic is the domain's port of vzsplit.c (``vztui.openvz.split``), so the simulator and vztui's split
preset agree number for number. This module is vzsplit's front end: its getopt string ``f:n:s:h:v:`` (``-h``
really takes an argument), its messages on stderr (vzctl's logger: the text, ``: strerror`` when errno is set, a
newline) and exit codes, and what it reads on the node: /proc/vz/vswap, /proc/meminfo,
/proc/sys/kernel/threads-max, VE_PRIVATE from vz.conf and a statfs of the partition holding it.
"""

from __future__ import annotations

import errno
import os
import re
import sys
from dataclasses import dataclass
from typing import TextIO

from vztui.openvz.split import (
    HOST_DI,
    HOST_DS_KIB,
    LOWPERVE,
    MAX_CTS,
    MEMPERVE,
    SYSRSRV,
    SplitError,
    SplitInputs,
    SplitResult,
    split_node,
)
from vztui.sim.node import CONF_DIR, GLOBAL_CONF, SimNode

USAGE = (
    "Usage: vzsplit [-f config_name] [-n num_CTs] [-s swap_size] [-v yes|no]\n"
    "\t-f\t\tconfiguration sample name\n"
    "\t-n\t\tnumber of containers\n"
    "\t-s\t\tswap space, Kbytes\n"
    "\t-v yes|no\tgenerate VSwap config (overrides auto-detection)\n"
)
OPTSTRING = "f:n:s:h:v:"
PROCMEM = "/proc/meminfo"
PROCTHREADS = "/proc/sys/kernel/threads-max"
INODE_RATIO_KIB = 16
"""The container partition is an ext4 made with mke2fs's default inode_ratio (one inode per 16 KiB): its f_files."""
DEF_DS_KIB = 225_280
DEF_DI = 88_000
SIGFPE_EXIT = 136
"""vzsplit divides by the number of CTs the RAM allows; when that is 0 the process dies of SIGFPE."""


@dataclass(slots=True)
class _Options:
    count: int = -1
    sample: str | None = None
    swap_bytes: int | None = None
    vswap: bool = False


def main(node: SimNode, argv: list[str], stdout: TextIO, stderr: TextIO) -> int:
    try:
        return _run(node, argv, stdout, stderr)
    except SystemExit as done:  # vzsplit's exit(code): its message is already written
        return int(done.code or 0)


def _run(node: SimNode, argv: list[str], stdout: TextIO, stderr: TextIO) -> int:
    options = _Options(vswap=node.host("/proc/vz/vswap").exists())
    operands = _parse(node, argv, options, stdout, stderr)
    if operands:
        _usage(stdout, stderr, 1)
    if options.count == -1:
        stdout.write("Enter the number of containers: ")
        stdout.flush()
        value = _scan_int(_read_number_line())
        if value is None:
            _log(stderr, "Invalid value.")
            return 1
        options.count = value
    if options.count < 1:
        _log(stderr, "Incorrect value for number of containers.")
        return 1
    count = options.count
    mem, low, swap = _meminfo(node, stderr, options.swap_bytes)
    if mem < SYSRSRV:
        _log(stderr, f"At least {SYSRSRV // 1024 // 1024} Mb of RAM should be installed on Hardware Node")
        return 1
    if swap > 2 * mem:
        _log(stderr, f"The optimal swap space size is {(2 * mem) >> 20} Mb, twice bigger than the RAM size\n")
    allowed = count
    refused = False
    if (mem + swap - SYSRSRV) // count < MEMPERVE:
        _log(
            stderr,
            f"On node with {(mem + swap) >> 20} Mb of memory (RAM + swap) {count} containers can not be allocated",
        )
        allowed = _c_int((mem + swap - SYSRSRV) // MEMPERVE)
        refused = True
    if allowed == 0:
        return SIGFPE_EXIT
    if (low - SYSRSRV) // allowed < LOWPERVE:
        _log(stderr, f"On node with {low >> 20} Mb of Low Memory {count} containers can not be allocated")
        allowed = min(allowed, _c_int((low - SYSRSRV) // LOWPERVE))
        refused = True
    if refused:
        _log(stderr, f"The maximum allowed value is {allowed}")
        return 1
    threads_max = _threads_max(node, stderr)
    disk_kib, disk_inodes = _check_disk_space(node, count, stderr)
    inputs = SplitInputs(mem, swap, low, threads_max, disk_kib, disk_inodes)
    try:
        result = _split(count, inputs, vswap=options.vswap)
    except SplitError:
        _log(stderr, "Fatal resource shortage, try to decrease the number of containers")
        return 1
    return _write(node, result.sample_text(), options.sample, stdout, stderr)


def _parse(node: SimNode, argv: list[str], options: _Options, stdout: TextIO, stderr: TextIO) -> list[str]:
    """glibc getopt(3) over ``f:n:s:h:v:``: permuting (operands are collected), each option acted on in turn."""
    operands: list[str] = []
    index = 0
    while index < len(argv):
        arg = argv[index]
        index += 1
        if arg == "--":
            operands += argv[index:]
            break
        if not arg.startswith("-") or arg == "-":
            operands.append(arg)
            continue
        position = 1
        while position < len(arg):
            letter = arg[position]
            position += 1
            spec = OPTSTRING.find(letter) if letter != ":" else -1
            if spec < 0:
                stderr.write(f"vzsplit: invalid option -- '{letter}'\n")
                _usage(stdout, stderr, 1)
            if position < len(arg):
                value, position = arg[position:], len(arg)
            elif index < len(argv):
                value, index = argv[index], index + 1
            else:
                stderr.write(f"vzsplit: option requires an argument -- '{letter}'\n")
                _usage(stdout, stderr, 1)
            _option(node, letter, value, options=options, stdout=stdout, stderr=stderr)
    return operands


def _option(node: SimNode, letter: str, value: str, *, options: _Options, stdout: TextIO, stderr: TextIO) -> None:
    if letter == "v":
        if value not in ("yes", "no"):
            _log(stderr, f"Invalid argument for -v: {value}")
            _usage(stdout, stderr, 1)
        options.vswap = value == "yes"
    elif letter == "f":
        path = f"{CONF_DIR}/ve-{value}.conf-sample"
        options.sample = path
        if _statable(node, path):
            _log(stderr, f"File {path} already exist")
            raise SystemExit(1)
    elif letter == "n":
        number, tail = _strtol(value)
        if tail:
            _log(stderr, f"Invalid argument for -n: {value}")
            _usage(stdout, stderr, 1)
        options.count = _c_int(number)
    elif letter == "s":
        if value.startswith("-"):
            _log(stderr, "Negative value for -s")
            _usage(stdout, stderr, 1)
        number, tail = _strtol(value)
        options.swap_bytes = (number << 10) & 0xFFFF_FFFF_FFFF_FFFF
        if tail:
            _log(stderr, f"Invalid argument for -s: {value}")
            _usage(stdout, stderr, 1)
    else:  # -h ARG
        _usage(stdout, stderr, 0)


def _meminfo(node: SimNode, stderr: TextIO, swap_bytes: int | None) -> tuple[int, int, int]:
    """MemTotal, LowTotal (all RAM on a 64-bit kernel) and SwapTotal in bytes, unless ``-s`` gave the swap."""
    try:
        text = node.read_proc("meminfo")
    except OSError as error:
        _log(stderr, f"Cannot open {PROCMEM}", error.errno)
        raise SystemExit(1) from error
    figures: dict[str, int] = {}
    for line in text.splitlines():
        match = re.match(r"(MemTotal|LowTotal|SwapTotal):\s*(\d+)", line)
        if match:
            figures[match.group(1)] = int(match.group(2)) << 10
    mem = figures.get("MemTotal", 0)
    low = figures.get("LowTotal", 0) or mem
    swap = swap_bytes if swap_bytes is not None else figures.get("SwapTotal", 0)
    return mem, low, swap


def _threads_max(node: SimNode, stderr: TextIO) -> int:
    try:
        text = node.read_proc(PROCTHREADS.removeprefix("/proc/"))
    except OSError as error:
        _log(stderr, f"Cannot open {PROCTHREADS}", error.errno)
        raise SystemExit(1) from error
    value = _scan_int(text.split("\n", 1)[0])
    return value if value is not None and value >= 0 else 0


def _check_disk_space(node: SimNode, count: int, stderr: TextIO) -> tuple[int, int]:
    """vzsplit.c's check_disk_space(): the messages, and the raw partition size for the split (0, 0: defaults).

    The reductions themselves (host share, per-CT fit) are the domain's; only the words are decided here.
    """
    private = node.vzconf.get("VE_PRIVATE")
    if private is None:
        _log(stderr, f"WARNING: unable to get VE_PRIVATE value from {GLOBAL_CONF}.")
        _log(stderr, "Default disk space values to be used.\n")
        return 0, 0
    for marker in ("$VEID", "${VEID}"):
        if marker in private:
            private = private[: private.index(marker)]
            break
    if not _statable(node, private):
        _log(stderr, f"WARNING: statfs on {private} failed", errno.ENOENT)
        _log(stderr, "Default disk space values to be used.\n")
        return 0, 0
    blocks = node.hostspec.disk_kib
    inodes = blocks // INODE_RATIO_KIB
    ds_total = blocks // 2 if blocks // 2 < HOST_DS_KIB else blocks - HOST_DS_KIB
    di_total = inodes // 2 if inodes // 2 < HOST_DI else inodes - HOST_DI
    if blocks // 2 < HOST_DS_KIB or inodes // 2 < HOST_DI:
        _log(stderr, f"WARNING: Recommended minimal size of partition holding {private} is {HOST_DS_KIB * 2 >> 20} Gb!")
    fit_ds, fit_di = ds_total // DEF_DS_KIB, di_total // DEF_DI
    if fit_ds < count or fit_di < count:
        allowed = min(fit_ds, fit_di)
        _log(
            stderr,
            f"WARNING: partition holding {private} do not have space required for {count} containers\n"
            f"The maximum allowed value is {allowed}",
        )
        _log(stderr, "Default disk space values will be used\n")
    return blocks, inodes


def _split(count: int, inputs: SplitInputs, *, vswap: bool) -> SplitResult:
    """``split_node``. vzsplit itself has no upper bound on N while the domain refuses more than MAX_CTS (a node
    needs over ~53 GiB of RAM + swap to pass the memory check with that many), so past it the same port's steps
    are called directly."""
    if count <= MAX_CTS:
        return split_node(count, inputs, vswap=vswap)
    from vztui.openvz import split as arithmetic

    disk_warnings: list[str] = []
    ds_total, di_total = arithmetic._disk(count, inputs, disk_warnings)
    low = inputs.low_bytes or inputs.ram_bytes
    cap = 2 * arithmetic.MAX_TOTAL_PIDS if low > 2 << 30 else arithmetic.MAX_TOTAL_PIDS
    proc_calc = min(inputs.threads_max, cap) if inputs.threads_max is not None else cap
    values = arithmetic._calculate(
        count,
        mem=inputs.ram_bytes,
        swap=inputs.swap_bytes,
        low=low,
        proc_calc=proc_calc,
        ds_total=ds_total,
        di_total=di_total,
    )
    if values is None:
        raise SplitError("Fatal resource shortage, try to decrease the number of containers")
    level, params = values
    return SplitResult(count, inputs, vswap, level, params, proc_calc, tuple(disk_warnings))


def _write(node: SimNode, text: str, sample: str | None, stdout: TextIO, stderr: TextIO) -> int:
    if sample is None:
        stdout.write(text)
        return 0
    target = node.host(sample)
    if not target.parent.is_dir():
        _log(stderr, f"Unable to create {sample}", errno.ENOENT)
        return 1
    node.atomic_write(target, text)
    _log(stderr, f"Config {sample} was created")
    return 0


def _usage(stdout: TextIO, stderr: TextIO, code: int) -> None:
    (stderr if code else stdout).write(USAGE)
    raise SystemExit(code)


def _log(stderr: TextIO, message: str, err: int | None = None) -> None:
    """vzctl's logger(-1, errno, ...): the message, ``: strerror(errno)`` when errno is set, then a newline."""
    stderr.write(message + (f": {os.strerror(err)}" if err else "") + "\n")
    stderr.flush()


def _statable(node: SimNode, path: str) -> bool:
    """stat(2)/statfs(2) of a node path succeed (symlinks followed)."""
    return node.host(path).exists()


def _read_number_line() -> str:
    """What scanf("%d") consumes from the terminal: lines until one holds more than blanks (or end of input)."""
    text = ""
    while True:
        line = sys.stdin.readline()
        text += line
        if not line or text.strip():
            return text


def _strtol(text: str) -> tuple[int, str]:
    """C strtol(text, &tail, 10): the number (clamped to a long) and the unparsed tail (all of it if no digits)."""
    match = re.match(r"[ \t\n\v\f\r]*([+-]?\d+)", text)
    if match is None:
        return 0, text
    number = max(-(2**63), min(2**63 - 1, int(match.group(1))))
    return number, text[match.end() :]


def _scan_int(text: str) -> int | None:
    """scanf("%d"): leading blanks, an optionally signed number; None when there is none."""
    number, tail = _strtol(text)
    return None if tail == text else _c_int(number)


def _c_int(value: int) -> int:
    """A C ``long`` stored in an ``int`` (two's complement wrap)."""
    return ((value + 2**31) % 2**32) - 2**31
