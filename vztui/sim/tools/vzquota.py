"""``vzquota``: first-level disk quota of simfs containers (vzquota 3.x: stat, show, on, off, init, drop).

Quota is "running" while ``SimNode.quota_active`` says so (a simfs CT with a quota file, mounted or switched on, not
switched off); usage comes from the kernel model, the same numbers /proc/vz/vzquota shows. Messages, prefixes
(``vzquota : (error) ``/``(warning) ``) and exit codes follow kolyshkin/vzquota (src/quotaon.c, common.c). The
limit-changing commands (setlimit, setlimit2, reload2) are refused: the simulated limits always come from the CT
config's DISKSPACE/DISKINODES, as vzctl sets them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TextIO

from vztui.openvz.vzgetopt import GetoptError, LongOption, ParsedOption, getopt_long
from vztui.sim.kernel.model import DiskFigures, disk_figures
from vztui.sim.node import SimNode

USAGE = (
    "Usage: vzquota [options] command quotaid [command-options-and-arguments]\n\n"
    "vzquota commands are:\n"
    "\tinit       Initialize quota data for given quotaid\n"
    "\ton         Turn on quota accounting for given quotaid\n"
    "\toff        Turn off quota accounting for given quotaid\n"
    "\tdrop       Delete quota limits from file\n"
    "\tsetlimit   Set quota limits for given quotaid\n"
    "\tsetlimit2  Set L2 quota limits for given quotaid and QUGID\n"
    "\treload2    Reload L2 quota limits from quota file for given quotaid\n"
    "\tstat       Show usage and quota limits for given quotaid\n"
    "\tshow       Show usage and quota limits from quota file\n"
)
"""cmd_usage of vzquota's src/main.c."""
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
    "stat": (
        "Usage: vzquota stat quotaid [-p <mount_path>] [-c <quota_file>]\n\t[-R,--relative]\n\t[-f,--force]\n"
        "\t[-t,--user-group]\n\t(Specify the --help global option for a list of other help options)\n"
    ),
    "show": (
        "Usage: vzquota show quotaid [-p <mount_path>] [-c <quota_file>]\n\t[-R,--relative]\n"
        "\t[-t,--user-group]\n\t(Specify the --help global option for a list of other help options)\n"
    ),
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
EC_USAGE, EC_RUN, EC_NOTRUN, EC_NOQUOTAFILE, EC_QUOTAFILE, EC_UG_NOTRUN = 2, 5, 6, 11, 4, 9


class _UsageError(Exception):
    pass


def main(node: SimNode, argv: list[str], stdout: TextIO, stderr: TextIO) -> int:
    args = list(argv)
    batch = quiet = False
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
        elif flag == "-q":
            quiet = True
        elif flag != "-v":
            stderr.write(USAGE)
            return EC_USAGE
    if not args:
        stderr.write(USAGE)
        return EC_USAGE
    command = args.pop(0)
    if command not in OPTIONS and command not in ("setlimit", "setlimit2", "reload2"):
        stderr.write(f"Unknown command: '{command}'\n\n{USAGE}")
        return EC_USAGE
    if command in ("setlimit", "setlimit2", "reload2"):
        stderr.write(f"{ERROR}{command}: quota limits of this host follow the container configs (vzctl set)\n")
        return EC_QUOTAFILE
    if command in ("stat", "show"):
        try:
            ctid, flags = _parse_stat(command, args)
        except GetoptError as error:
            stderr.write(f"{error}\n{COMMAND_USAGE[command]}")
            return EC_USAGE
        except _UsageError as error:
            stderr.write(str(error) or COMMAND_USAGE[command])
            return EC_USAGE
        shown = Shown(extended="t" in flags, batch=batch, quiet=quiet, force="f" in flags)
        return _stat_show(node, ctid, command, shown, stdout=stdout, stderr=stderr)
    try:
        ctid, flags, values = _parse(command, args)
    except _UsageError:
        stderr.write(COMMAND_USAGE[command])
        return EC_USAGE
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


_STAT_SHORT = {"stat": "p:c:tfR", "show": "p:c:tR"}
_STAT_LONG = {
    "stat": (
        LongOption("quota-file", True, "c"),
        LongOption("user-group", False, "t"),
        LongOption("relative", False, "R"),
        LongOption("force", False, "f"),
    ),
    "show": (
        LongOption("quota-file", True, "c"),
        LongOption("user-group", False, "t"),
        LongOption("relative", False, "R"),
    ),
}


def _parse_stat(command: str, args: list[str]) -> tuple[int, set[str]]:
    """parse_options() of src/common.c for stat/show: the quota id first, then getopt_long over the rest with the
    id as argv[0] (so glibc names it in its messages); further operands are ignored as vzquota ignores them."""
    if not args or not args[0].isascii() or not args[0].isdigit():
        raise _UsageError
    flags: set[str] = set()
    for item in getopt_long(args[1:], _STAT_LONG[command], _STAT_SHORT[command], program=args[0]):
        if isinstance(item, ParsedOption):
            flags.add(item.param)
    if {"c", "R"} <= flags:
        raise _UsageError(f"{ERROR}-c and -R options can't be set together\n\n")
    return int(args[0]), flags


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


@dataclass(frozen=True, slots=True)
class Shown:
    """How ``stat``/``show`` print: ``-t`` (user/group part), global ``-b`` (batch), ``-q``, and stat's ``-f``."""

    extended: bool = False
    batch: bool = False
    quiet: bool = False
    force: bool = False


def _stat_show(node: SimNode, ctid: int, command: str, shown: Shown, *, stdout: TextIO, stderr: TextIO) -> int:
    """vestat_proc()/quotashow_proc() of src/stat.c: the quota file is opened first (stat without ``-f``)."""
    conf = node.read_config(ctid)
    active = node.quota_active(ctid, conf, node.runtime(ctid))
    if not (command == "stat" and shown.force) and not node.exists(node.quota_file(ctid)):
        _missing_file(ctid, stderr)
        if command == "show":
            stderr.write(f"{ERROR}Quota file must exist for show command\n")
        return EC_NOQUOTAFILE
    if command == "stat" and not active:
        # error() prints the format (which ends in a newline here) and then a newline of its own
        stderr.write(f"{ERROR}Quota accounting is off, try vzquota show id\n\n")
        return EC_NOTRUN
    if command == "show" and active and not shown.quiet:
        stderr.write(f"{WARNING}Quota is running, so data reported from quota file may not reflect current values\n")
    now = node.now()
    disk = disk_figures(node, ctid, conf or {}, now)
    stdout.write(render_batch(disk) if shown.batch else render(disk, now))
    if not shown.extended:
        return 0
    ugid = _ugid(conf or {}, active, disk, force=command == "stat" and shown.force)
    stdout.write(ugid.render(batch=shown.batch))
    # stat -t: exit 9 says the CT quota runs but user/group quota is inactive in the kernel
    return EC_UG_NOTRUN if command == "stat" and not ugid.active else 0


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


@dataclass(frozen=True, slots=True)
class Ugid:
    """Second-level (user/group) quota as print_ugid_status() shows it; vzctl turns it on with QUOTAUGIDLIMIT > 0."""

    enabled: bool
    active: bool
    limit: int
    objects: tuple[tuple[str, int, int], ...]
    """(type, 1k-blocks, inodes) per loaded object: uid 0 and gid 0 own the whole simulated private area."""
    unknown_file: bool = False

    def render(self, *, batch: bool) -> str:
        count = len(self.objects)
        if batch:
            lines = [
                f"{-1 if self.unknown_file else int(self.enabled)} {int(self.active)}",
                f"{count} {count} {self.limit}",
                "0",
            ]
        else:
            state = "-" if self.unknown_file else ("on" if self.enabled else "off")
            lines = [
                f"User/group quota: {state},{'active' if self.active else 'inactive'}",
                f"{'*' if count > self.limit else ''}Ugids: loaded {count}, total {count}, limit {self.limit}",
                f"Ugid limit was exceeded: {'yes' if self.limit and count >= self.limit else 'no'}",
                "",
                "User/group grace times and quotafile flags:",
                f"{'type':>5} {'block_exp_time':>14} {'inode_exp_time':>14} {'dqi_flags':>10}",
            ]
        for kind in ("user", "group"):
            lines.append(f"{kind:>5} 0 0 {0:9X}h" if batch else f"{kind:>5} {'':14} {'':14} {0:9X}h")
        if self.objects:
            if not batch:
                lines += [
                    "",
                    "User/group objects:",
                    f"{'ID':<11} {'type':>5} {'resource':>9} {'usage':>11} {'softlimit':>11} {'hardlimit':>11} "
                    f"{'grace':>8} {'status':>6}",
                ]
            status = "1 0" if batch else "loaded"
            grace = "0" if batch else ""
            for kind, blocks, inodes in self.objects:
                for resource, usage in (("1k-blocks", blocks), ("inodes", inodes)):
                    lines.append(f"{0:<11} {kind:>5} {resource:>9} {usage:11d} {0:11d} {0:11d} {grace:>8} {status:>6}")
        return "\n".join(lines) + "\n"


def _ugid(conf: dict[str, str], active: bool, disk: DiskFigures, *, force: bool) -> Ugid:
    raw = conf.get("QUOTAUGIDLIMIT", "0")
    limit = int(raw) if raw.isascii() and raw.isdigit() else 0
    enabled = limit > 0
    running = enabled and active
    objects = tuple((kind, disk.blocks_used, disk.inodes_used) for kind in ("user", "group")) if running else ()
    return Ugid(enabled, running, limit if enabled else 0, objects, unknown_file=force)
