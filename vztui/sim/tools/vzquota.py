"""``vzquota stat|show <id> [-t] [-f]``: first-level disk quota of a simfs container (vzquota 3.x formats).

Quota is "running" while a simfs CT with DISK_QUOTA on is mounted and not turned off (``SimNode.quota_active``);
its usage comes from the kernel model, the same numbers /proc/vz/vzquota shows. ``show`` needs the quota file
(``/var/vzquota/quota.<id>``) that vzctl create/quotainit writes.
"""

from __future__ import annotations

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
ERROR = "vzquota : (error) "


def main(node: SimNode, argv: list[str], stdout: TextIO, stderr: TextIO) -> int:
    args = list(argv)
    batch = False
    while args and args[0].startswith("-"):
        flag = args.pop(0)
        if flag in ("-h", "--help"):
            stdout.write(USAGE)
            return 0
        if flag == "-V":
            stdout.write("Vzquota version 3.1\n")
            return 0
        if flag == "-b":
            batch = True
        elif flag not in ("-q", "-v"):
            stderr.write(f"{ERROR}Unrecognized option {flag}\n")
            return 2
    if len(args) < 2:
        stderr.write(USAGE)
        return 2
    command, quota_id, *options = args
    if command not in ("stat", "show", "init", "drop", "on", "off", "setlimit", "setlimit2", "reload2"):
        stderr.write(f"{ERROR}Unknown command {command}\n")
        return 2
    if not quota_id.isdigit():
        stderr.write(f"{ERROR}Quota id must be a number: {quota_id}\n")
        return 2
    if command not in ("stat", "show"):
        stderr.write(f"{ERROR}{command}: only stat and show are supported by this simulated host\n")
        return 12
    extended = False
    for option in options:
        if option == "-t":
            extended = True
        elif option != "-f":
            stderr.write(f"{ERROR}Unrecognized option {option}\n")
            return 2
    ctid = int(quota_id)
    conf = node.read_config(ctid)
    has_file = node.exists(node.quota_file(ctid))
    active = node.quota_active(ctid, conf, node.runtime(ctid))
    if command == "stat" and not active:
        stderr.write(f"{ERROR}Quota accounting is off, try vzquota show id\n")
        return 6
    if not has_file:
        stderr.write(
            f"{ERROR}Can't open quota file for id {ctid}, maybe you need to reinitialize quota: "
            "No such file or directory\n"
        )
        return 11
    disk = disk_figures(node, ctid, conf or {}, node.now())
    if batch:
        stdout.write(f"{disk.blocks_used:14d}{disk.blocks_soft:14d}{disk.blocks_hard:14d}{0:14d}{0:14d}\n")
        stdout.write(f"{disk.inodes_used:14d}{disk.inodes_soft:14d}{disk.inodes_hard:14d}{0:14d}{0:14d}\n")
        return 0
    stdout.write(render(disk))
    if extended:
        stdout.write(_extended(conf or {}, active))
    return 0


def render(disk: DiskFigures) -> str:
    header = f"{'resource':>11} {'usage':>14}  {'softlimit':>14} {'hardlimit':>14} {'grace':>8}\n"
    return (
        header
        + _row("1k-blocks", disk.blocks_used, disk.blocks_soft, disk.blocks_hard)
        + _row("inodes", disk.inodes_used, disk.inodes_soft, disk.inodes_hard)
    )


def _row(name: str, usage: int, soft: int, hard: int) -> str:
    over = "*" if usage > soft or usage > hard else " "
    return f"{name:>11} {usage:14d}{over} {soft:14d} {hard:14d} {'':>8}\n"


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
