"""``vzquota``: first-level disk quota of simfs containers (vzquota 3.x: stat, show, on, off, init, drop).

Quota is "running" while ``SimNode.quota_active`` says so (a simfs CT with a quota file, mounted or switched on, not
switched off); usage comes from the kernel model, the same numbers /proc/vz/vzquota shows. Messages, prefixes
(``vzquota : (error) ``/``(warning) ``) and exit codes follow kolyshkin/vzquota (src/quotaon.c, common.c). The
limit-changing commands (setlimit, setlimit2, reload2) are refused: the simulated limits always come from the CT
config's DISKSPACE/DISKINODES, as vzctl sets them.
"""

from __future__ import annotations

import time
from typing import TextIO

from vztui.sim.kernel.model import DiskFigures, disk_figures
from vztui.sim.node import SimNode

USAGE = (
    "Usage: vzquota [options] command quotaid [command-options-and-arguments]\n\n"
    "vzquota [-qv] init <quotaid> <init-options>\n"
    "vzquota [-qv] drop <quotaid> [-f]\n"
    "vzquota [-qv] on <quotaid> [-f] [-b] [-i] [-e] [-n] [-s 0|1] [-u] [-p <mount_path>]\n"
    "vzquota [-qv] off <quotaid> [-f]\n"
    "vzquota [-qv] setlimit <quotaid> <setlimit-options>\n"
    "vzquota [-qv] stat <quotaid> [-f] [-t]\n"
    "vzquota [-qv] show <quotaid> [-t]\n"
)
COMMAND_USAGE = {
    "init": (
        "Usage: vzquota init <quotaid> -p <mount_path> [-c <quota_file>]\n\t[-R,--relative]\n"
        "\t[-s,--sub-quotas 1|0]\n\t[-u,--ugid-limit <ugid_limit>]\n"
        "\t-b,--block-softlimit <block_soft_limit>\n\t-B,--block-hardlimit <block_hard_limit>\n"
        "\t-i,--inode-softlimit <inode_soft_limit>\n\t-I,--inode-hardlimit <inode_hard_limit>\n"
        "\t-e,--block-exptime <block_expiration_time>\n\t-n,--inode-exptime <inode_expiration_time>\n"
    ),
    "on": (
        "Usage: vzquota on <quotaid> [-p <mount_path>] [-c <quota_file>]\n\t[-R,--relative]\n\t[-f,--force]\n"
        "\t[-s,--sub-quotas 1|0]\n\t[-u,--ugid-limit <ugid_limit>]\n"
        "\t[-b <block_soft_limit>] [-B <block_hard_limit>]\n\t[-i <inode_soft_limit>] [-I <inode_hard_limit>]\n"
        "\t[-e <block_expiration_time>] [-n <inode_expiration_time>]\n"
    ),
    "off": "Usage: vzquota off <quotaid> [-p <mount_path>] [-c <quota_file>]\n\t[-R,--relative]\n\t[-f,--force]\n",
    "drop": "Usage: vzquota drop <quotaid> [-p <mount_path>] [-c <quota_file>]\n\t[-R,--relative]\n\t[-f,--force]\n",
    "stat": "Usage: vzquota stat <quotaid> [-p <mount_path>] [-c <quota_file>] [-f] [-t]\n",
    "show": "Usage: vzquota show <quotaid> [-p <mount_path>] [-c <quota_file>] [-t]\n",
}
OPTIONS = {
    # short options taking a value / flags, per command (vzquota's getopt strings)
    "init": ("pcrsubBiIen", "R"),
    "on": ("pcrsubBiIen", "Rf"),
    "off": ("pc", "fR"),
    "drop": ("pc", "fR"),
    "stat": ("pc", "ftR"),
    "show": ("pc", "tR"),
}
ERROR = "vzquota : (error) "
WARNING = "vzquota : (warning) "
EC_USAGE, EC_RUN, EC_NOTRUN, EC_NOQUOTAFILE, EC_QUOTAFILE = 2, 5, 6, 11, 4


class _UsageError(Exception):
    pass


def main(node: SimNode, argv: list[str], stdout: TextIO, stderr: TextIO) -> int:
    args = list(argv)
    batch = False
    while args and args[0].startswith("-"):
        flag = args.pop(0)
        if flag in ("-h", "--help"):
            stderr.write(USAGE)
            return EC_USAGE
        if flag in ("-V", "--version"):
            stdout.write("Vzquota version 3.1\n")
            return 0
        if flag == "-b":
            batch = True
        elif flag not in ("-q", "-v"):
            stderr.write(USAGE)
            return EC_USAGE
    if not args:
        stderr.write(USAGE)
        return EC_USAGE
    command = args.pop(0)
    if command in ("setlimit", "setlimit2", "reload2"):
        stderr.write(f"{ERROR}{command}: quota limits of this host follow the container configs (vzctl set)\n")
        return EC_QUOTAFILE
    if command not in OPTIONS:
        stderr.write(USAGE)
        return EC_USAGE
    try:
        ctid, flags, values = _parse(command, args)
    except _UsageError:
        stderr.write(COMMAND_USAGE[command])
        return EC_USAGE
    if command in ("stat", "show"):
        return _stat_show(node, ctid, command, extended="t" in flags, batch=batch, stdout=stdout, stderr=stderr)
    if command == "on":
        return _on(node, ctid, stderr)
    if command == "off":
        return _off(node, ctid, stderr)
    if command == "init":
        if not {"p", "b", "B", "i", "I"} <= set(values):
            stderr.write(COMMAND_USAGE["init"])
            return EC_USAGE
        return _init(node, ctid, stderr)
    return _drop(node, ctid, "f" in flags, stderr)


def _parse(command: str, args: list[str]) -> tuple[int, set[str], dict[str, str]]:
    if not args or not args[0].isdigit():
        raise _UsageError
    ctid = int(args[0])
    with_value, plain = OPTIONS[command]
    flags: set[str] = set()
    values: dict[str, str] = {}
    rest = args[1:]
    while rest:
        arg = rest.pop(0)
        if len(arg) < 2 or arg[0] != "-" or arg[1] not in with_value + plain:
            raise _UsageError
        letter = arg[1]
        if letter in plain:
            flags.add(letter)
            continue
        value = arg[2:] or (rest.pop(0) if rest else None)
        if value is None:
            raise _UsageError
        if letter in "bBiI" and not value.isdigit():
            raise _UsageError
        values[letter] = value
    return ctid, flags, values


def _missing_file(ctid: int, stderr: TextIO) -> int:
    stderr.write(
        f"{ERROR}Can't open quota file for id {ctid}, maybe you need to reinitialize quota: No such file or directory\n"
    )
    return EC_NOQUOTAFILE


def _stat_show(
    node: SimNode, ctid: int, command: str, *, extended: bool, batch: bool, stdout: TextIO, stderr: TextIO
) -> int:
    conf = node.read_config(ctid)
    active = node.quota_active(ctid, conf, node.runtime(ctid))
    if command == "stat" and not active:
        stderr.write(f"{ERROR}Quota accounting is off, try vzquota show id\n")
        return EC_NOTRUN
    if not node.exists(node.quota_file(ctid)):
        return _missing_file(ctid, stderr)
    now = node.now()
    disk = disk_figures(node, ctid, conf or {}, now)
    if batch:
        stdout.write(render_batch(disk))
        return 0
    stdout.write(render(disk, now))
    if extended:
        stdout.write(_extended(conf or {}, active))
    return 0


def _on(node: SimNode, ctid: int, stderr: TextIO) -> int:
    if not node.exists(node.quota_file(ctid)):
        return _missing_file(ctid, stderr)
    if node.quota_active(ctid, node.read_config(ctid), node.runtime(ctid)):
        stderr.write(f"{WARNING}Quota is running for id {ctid} already\n")
        return EC_RUN
    with node.transaction() as state:
        runtime = state.ct(ctid)
        runtime.extra.pop("quota_off", None)
        if not (runtime.running or runtime.mounted):
            runtime.extra["quota_on"] = True
    return 0


def _off(node: SimNode, ctid: int, stderr: TextIO) -> int:
    if not node.exists(node.quota_file(ctid)):
        return _missing_file(ctid, stderr)
    if not node.quota_active(ctid, node.read_config(ctid), node.runtime(ctid)):
        stderr.write(f"{ERROR}Quota is not running for id {ctid}\n")
        return EC_NOTRUN
    with node.transaction() as state:
        runtime = state.ct(ctid)
        runtime.extra.pop("quota_on", None)
        if runtime.running or runtime.mounted:
            runtime.extra["quota_off"] = True
    return 0


def _init(node: SimNode, ctid: int, stderr: TextIO) -> int:
    quota = node.host(node.quota_file(ctid))
    if node.quota_active(ctid, node.read_config(ctid), node.runtime(ctid)):
        stderr.write(f"{ERROR}Quota is running, stop it first\n")
        return EC_RUN
    if quota.exists():
        stderr.write(f"{WARNING}Quota file exists, it will be overwritten\n")
    quota.parent.mkdir(parents=True, exist_ok=True)
    quota.write_bytes(b"")
    return 0


def _drop(node: SimNode, ctid: int, force: bool, stderr: TextIO) -> int:
    quota = node.host(node.quota_file(ctid))
    if not quota.exists():
        return _missing_file(ctid, stderr)
    if node.quota_active(ctid, node.read_config(ctid), node.runtime(ctid)):
        stderr.write(f"{WARNING}Quota is running for id {ctid}\n")
        if not force:
            return EC_RUN
        stderr.write(f"{WARNING}Force quota file delete\n")
    quota.unlink(missing_ok=True)
    return 0


def render(disk: DiskFigures, now: float | None = None) -> str:
    """print_status() of vzquota's src/stat.c: the table, with a grace column once usage is over the soft limit."""
    clock = int(time.time() if now is None else now)
    header = f"{'resource':>11} {'usage':>14}  {'softlimit':>14} {'hardlimit':>14} {'grace':>8}\n"
    return (
        header
        + _row(
            "1k-blocks", disk.blocks_used, disk.blocks_soft, disk.blocks_hard, grace_ends=disk.blocks_time, now=clock
        )
        + _row("inodes", disk.inodes_used, disk.inodes_soft, disk.inodes_hard, grace_ends=disk.inodes_time, now=clock)
    )


def render_batch(disk: DiskFigures) -> str:
    """``vzquota -b``: per resource ``usage soft hard grace expire``, five ``%14`` numbers separated by blanks."""
    btime = disk.blocks_time if disk.blocks_used > disk.blocks_soft else 0
    itime = disk.inodes_time if disk.inodes_used > disk.inodes_soft else 0
    return (
        f"{disk.blocks_used:14d} {disk.blocks_soft:14d} {disk.blocks_hard:14d} {btime:14d} {disk.blocks_expire:14d}\n"
        f"{disk.inodes_used:14d} {disk.inodes_soft:14d} {disk.inodes_hard:14d} {itime:14d} {disk.inodes_expire:14d}\n"
    )


def _row(name: str, usage: int, soft: int, hard: int, *, grace_ends: int, now: int) -> str:
    # b_overlim(): a limit of 0 is no limit; print_status() forgets btime while usage is not over the soft limit.
    over = "*" if (soft and usage > soft) or (hard and usage > hard) else " "
    grace = grace_left(grace_ends if usage > soft else 0, now)
    return f"{name:>11} {usage:14d}{over} {soft:14d} {hard:14d} {grace:>8}\n"


def grace_left(ends: int, now: int) -> str:
    """difftime2str() of vzquota's src/common.c: empty without a grace period, ``none`` once it has run out, else
    the time left rounded to minutes as ``Ndays`` (a day or more) or ``HH:MM`` (time2str with TF_ROUND)."""
    if not ends:
        return ""
    if ends <= now:
        return "none"
    minutes = (ends - now + 30) // 60
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    return f"{days}days" if days else f"{hours:02d}:{minutes:02d}"


def _extended(conf: dict[str, str], active: bool) -> str:
    limit = conf.get("QUOTAUGIDLIMIT", "0")
    enabled = limit.isdigit() and int(limit) > 0
    state = ("on" if enabled else "off") + ("," + ("active" if active and enabled else "inactive"))
    loaded = 18 if enabled and active else 0
    lines = [
        f"User/group quota: {state}",
        f"Ugids: loaded {loaded}, total {loaded}, limit {limit if enabled else 0}",
        "Ugid limit was exceeded: no",
        "",
        "User/group grace times and quotafile flags:",
        f"{'type':>6} {'block_exp_time':>15} {'inode_exp_time':>15} {'dqi_flags':>10}",
        f"{'user':>6} {'':>15} {'':>15} {'0h':>10}",
        f"{'group':>6} {'':>15} {'':>15} {'0h':>10}",
        "",
        "User/group objects:",
        f"{'ID':>10} {'type':>5} {'resource':>10} {'usage':>14} {'softlimit':>14} {'hardlimit':>14} "
        f"{'grace':>8} status",
    ]
    return "\n".join(lines) + "\n"
