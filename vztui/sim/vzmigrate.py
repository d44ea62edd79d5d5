"""The simulated ``vzmigrate`` (vzctl 4.11.1's shell script): move a container to another node of the same cluster.

Phases, messages and exit codes follow bin/vzmigrate.in: ``Locked CT``, ``Starting [live ]migration``, the
preliminary checks (CT exists, running for --live, destination reachable, CT absent there, ploop support, IPs
free), ``Preparing remote node``, ``Syncing private``, the stop/suspend phase, ``Starting container`` on the
destination, ``Cleaning up``. Normal lines go to stdout, errors to stderr as ``Error: …``, ``-v`` debug lines to
stdout indented by three spaces. The destination is another simulated node found through ``SimNode.peer``.

One deliberate policy of the simulated cluster: the real script syncs into the destination's own VE_PRIVATE/VE_ROOT
when they differ, but the demo cluster requires identical paths, so a difference fails (exit 15, "Failed to apply
config on destination node") after the script's own "differs" notices.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from vztui.sim.ctlock import CtLock, CtLockedError
from vztui.sim.node import SimNode
from vztui.sim.shconf import expand_veid, parse_shell_conf
from vztui.sim.vzctl import main as vzctl_main
from vztui.sim.vzctl.getopt import GetoptLong, LongOpt, Opt
from vztui.sim.vzctl.timing import jitter, pause

MIG_ERR_USAGE = 1
MIG_ERR_VPS_IS_STOPPED = 2
MIG_ERR_CANT_CONNECT = 4
MIG_ERR_COPY = 6
MIG_ERR_START_VPS = 7
MIG_ERR_STOP_SOURCE = 8
MIG_ERR_EXISTS = 9
MIG_ERR_NOEXIST = 10
MIG_ERR_IP_IN_USE = 12
MIG_ERR_APPLY_CONFIG = 15
MIG_ERR_UNSUP_PLOOP = 16
MIG_ERR_LOCKED = 20

USAGE = """This program is used for container migration to another node.
Usage:
  vzmigrate [option ...] destination_address <CTID>
Options:
-r, --remove-area yes|no
\tWhether to remove container on source host after successful migration.
--ssh=<ssh options>
\tAdditional options that will be passed to ssh while establishing
\tconnection to destination host. Please be careful with options
\tpassed, DO NOT pass destination hostname.
--ssh-mux
\tUse ssh connection multiplexing (speeds up live migration).
--rsync=<rsync options>
\tAdditional options that will be passed to rsync.
--keep-dst
\tDo not clean synced destination container private area in case of some
\terror. It makes sense to use this option on big container migration to
\tavoid re-syncing container private area in case some error
\t(on container stop for example) occurs during first migration attempt.
-c, --compact
\tCompact a container image before migration. Works for ploop only.
-s, --snapshot
\tCreate a container snapshot before migration. Works for ploop only.
--live
\tPerform live migration: instead of restarting a container, checkpoint
\tand restore are used, so there is no container downtime or service
\tinterruption. Additional steps are performed to minimize the time
\twhen a container is in suspended state.
--check-only, --dry-run
\tDo not perform actual migration, stop after preliminary checks.
\tThis is used to check if a CT can possibly be migrated. Combine
\twith --live to enable more checks for live migration case.
-f, --nodeps[=<check>[,<check> ...]]
\tContinue migration, ignoring some or all preliminary check failures.
\tParticular checks can be ignored by providing an argument to
\t--nodeps option. The following options can be used (comma-separated):
\t  * cpu\t\t- ignore cpu capabilities check
\t  * ipv6\t- ignore ipv6 module check
-v
\tVerbose mode. Causes vzmigrate to print debugging messages about
\tits progress (including some time statistics). Multiple -v options
\tincrease the verbosity. The maximum is 4.
-t, --times
\tAt the end of live migration, output various timings for migration
\tstages that affect total suspended CT time.

Examples:
\tOnline migration of CT #101 to foo.com:
\t\tvzmigrate --live foo.com 101
\tMigration of CT #102 to foo.com with downtime:
\t\tvzmigrate foo.com 102
Notes:
\tThis program uses ssh as a transport layer. You need to put ssh
\tpublic key to destination node and be able to connect without
\tentering a password.
"""

_LONG = (
    LongOpt("live", False, "live"),
    LongOpt("online", False, "live"),
    LongOpt("remove-area", True, "r"),
    LongOpt("keep-dst", False, "keep-dst"),
    LongOpt("compact", False, "c"),
    LongOpt("snapshot", False, "s"),
    LongOpt("check-only", False, "check-only"),
    LongOpt("dry-run", False, "check-only"),
    LongOpt("nodeps", False, "f"),
    LongOpt("ssh", True, "ssh"),
    LongOpt("rsync", True, "rsync"),
    LongOpt("times", False, "t"),
    LongOpt("ssh-mux", False, "ssh-mux"),
    LongOpt("help", False, "h"),
    LongOpt("usage", False, "h"),
)


class _Exit(Exception):  # noqa: N818 - control flow carrying the exit code
    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


@dataclass(slots=True)
class Options:
    live: bool = False
    remove_area: bool = True
    keep_dst: bool = False
    compact: bool = False
    snapshot: bool = False
    check_only: bool = False
    times: bool = False
    verbose: int = 0
    ignore_cpu: bool = False


class Migration:
    """One vzmigrate run: the source node, the options and the streams."""

    def __init__(self, node: SimNode, options: Options, stdout: TextIO, stderr: TextIO) -> None:
        self.node = node
        self.options = options
        self.out = stdout
        self.err = stderr
        self.lock: CtLock | None = None
        self.cmdline = "/bin/bash /usr/sbin/vzmigrate"

    def say(self, message: str) -> None:
        self.out.write(message + "\n")
        self.out.flush()

    def debug(self, message: str) -> None:
        if self.options.verbose > 0:
            self.out.write(f"   {message}\n")
            self.out.flush()

    def fail(self, code: int, *messages: str) -> _Exit:
        for message in messages:
            self.err.write(f"Error: {message}\n")
        self.err.flush()
        if self.lock is not None:
            self.lock.release()
            self.lock = None
        return _Exit(code)

    def vzctl(self, node: SimNode, *argv: str, show: bool = False) -> int:
        """Run a vzctl command the way the script's ``logexec`` does: its output only with ``-v`` (or ``show``)."""
        visible = show or self.options.verbose > 0
        sink_out: TextIO = self.out if visible else io.StringIO()
        sink_err: TextIO = self.err if visible else io.StringIO()
        return vzctl_main(node, list(argv), sink_out, sink_err)


def main(node: SimNode, argv: list[str], stdout: TextIO, stderr: TextIO) -> int:
    """``vzmigrate [option ...] destination_address <CTID>``."""
    if not argv:
        stdout.write(USAGE)
        return 0
    try:
        options, positional = _parse(argv, stdout, stderr)
        if positional is None:
            stdout.write(USAGE)
            return 0
        migration = Migration(node, options, stdout, stderr)
        migration.cmdline = " ".join(["/bin/bash /usr/sbin/vzmigrate", *argv])
        return _migrate(migration, positional)
    except _Exit as done:
        return done.code


def _bad_usage(stdout: TextIO, detail: str = "") -> _Exit:
    """The script's ``bad_usage``: its here-document goes to stdout, exit 1."""
    stdout.write(
        f"Invalid usage{detail}\n\nFor command line syntax, please check\n  vzmigrate --help\n  man vzmigrate\n"
    )
    stdout.flush()
    return _Exit(MIG_ERR_USAGE)


def _parse(argv: Sequence[str], stdout: TextIO, stderr: TextIO) -> tuple[Options, list[str] | None]:
    options = Options()
    parser = GetoptLong(_parse_nodeps_inline(argv, options, stdout), _LONG, "vr:csf::th", prog="vzmigrate")
    for item in parser:
        if not isinstance(item, Opt):
            stderr.write(item.message + "\n")
            stderr.flush()
            raise _bad_usage(stdout)
        key = item.key
        if key == "live":
            options.live = True
        elif key == "v":
            options.verbose += 1
        elif key == "r":
            if item.value == "yes":
                options.remove_area = True
            elif item.value == "no":
                options.remove_area = False
            else:
                flag = f"--{item.name}" if item.long else "-r"
                raise _bad_usage(stdout, f": bad argument for {flag}: {item.value}")
        elif key == "keep-dst":
            options.keep_dst = True
        elif key == "c":
            options.compact = True
        elif key == "s":
            options.snapshot = True
        elif key == "check-only":
            options.check_only = True
        elif key == "t":
            options.times = True
        elif key == "h":
            return options, None
    positional = parser.positional
    if len(positional) < 2:
        raise _bad_usage(stdout, ": not enough parameters")
    if len(positional) > 2:
        raise _bad_usage(stdout, ": too many parameters: " + " ".join(positional))
    return options, positional


def _parse_nodeps_inline(argv: Sequence[str], options: Options, stdout: TextIO) -> list[str]:
    """``--nodeps[=cpu,ipv6,all]`` / ``-f[...]``: the optional argument only ever comes attached, as in getopt(1)."""
    cleaned: list[str] = []
    for arg in argv:
        value: str | None = None
        if arg == "--nodeps" or arg.startswith("--nodeps="):
            flag, _, value = arg.partition("=")
        elif arg.startswith("-f") and not arg.startswith("--"):
            flag, value = "-f", arg[2:]
        else:
            cleaned.append(arg)
            continue
        cleaned.append(flag)
        for item in (value or "").replace(",", " ").split() or ["all"]:
            if item in {"cpu", "cpu_check", "all"}:
                options.ignore_cpu = True
            elif item != "ipv6":
                raise _bad_usage(stdout, f": unknown {flag} argument: {item}")
    return cleaned


def _ips(conf: dict[str, str]) -> set[str]:
    return {ip.split("/")[0] for ip in conf.get("IP_ADDRESS", "").split()}


def _used_ips(node: SimNode) -> set[str]:
    """Addresses of the containers running on ``node`` (what /proc/vz/veip lists)."""
    used: set[str] = set()
    state = node.read_state()
    for ctid in state.running_ctids():
        conf = node.read_config(ctid) or {}
        used |= _ips(conf)
    return used


def _migrate(mig: Migration, positional: list[str]) -> int:
    node = mig.node
    host, ct_arg = positional
    if ct_arg.isdigit():
        ctid = int(ct_arg)
    else:
        resolved = node.ctid_by_name(ct_arg)
        if resolved is None:
            mig.err.write("Container(s) not found\n")
            return MIG_ERR_NOEXIST
        ctid = resolved
    if not node.has_vzconf():
        raise mig.fail(MIG_ERR_NOEXIST, "Can't read global config file /etc/vz/vz.conf")
    mig.debug("Loading /etc/vz/vz.conf")
    try:
        mig.lock = node.lock_ct(ctid, mig.cmdline, stdout=io.StringIO())
    except CtLockedError as locked:
        mig.err.write(f"Error: CT {ctid} already locked by PID {locked.pid}\n")
        mig.out.write("UID        PID  PPID  C STIME TTY          TIME CMD\n")
        mig.out.write(f"root     {locked.pid:5d}     1  0 00:00 ?        00:00:00 {locked.cmdline}\n")
        return MIG_ERR_LOCKED
    mig.say(f"Locked CT {ctid}")
    try:
        return _run(mig, host, ctid)
    finally:
        if mig.lock is not None:
            mig.lock.release()
            mig.lock = None


def _run(mig: Migration, host: str, ctid: int) -> int:
    node = mig.node
    options = mig.options
    conf_text = node.read_config_text(ctid)
    conf = parse_shell_conf(conf_text) if conf_text is not None else {}
    private = node.ve_private(ctid, conf)
    root = node.ve_root(ctid, conf)
    runtime = node.runtime(ctid)
    exists = conf_text is not None and node.host(private).exists()
    if not exists:
        raise mig.fail(MIG_ERR_NOEXIST, f"CT #{ctid} doesn't exist")
    running = runtime.running
    mounted = runtime.mounted
    if options.live and not running:
        raise mig.fail(MIG_ERR_VPS_IS_STOPPED, "Can't perform live migration of a stopped container")
    verb = "Checking" if options.check_only else "Starting"
    kind = "live migration" if options.live else "migration"
    mig.say(f"{verb} {kind} of CT {ctid} to {host}")
    pause(jitter(0.3, 0.8))
    dest = node.peer(host)
    if dest is None:
        raise mig.fail(
            4, "Can't connect to destination address using public key", "Please put your public key to destination node"
        )
    if not dest.has_vzconf():
        raise mig.fail(14, "OpenVZ is not running on the target machine", "Can't continue migration")
    dest_conf_exists = dest.read_config_text(ctid) is not None
    if dest_conf_exists and dest.host(dest.ve_private(ctid, dest.read_config(ctid))).exists():
        raise mig.fail(MIG_ERR_EXISTS, f"CT #{ctid} already exists on destination node")
    if options.live or node.is_suspended(ctid):
        _check_cpt(mig, dest)
    mig.debug(f"Loading /etc/vz/conf/{ctid}.conf")
    mig.debug("Getting remote VE_ROOT and VE_PRIVATE")
    remote_private = expand_veid(dest.vzconf_value("VE_PRIVATE"), ctid)
    remote_root = expand_veid(dest.vzconf_value("VE_ROOT"), ctid)
    if not remote_private or not remote_root:
        raise mig.fail(19, "Failed to get remote VE_ROOT/VE_PRIVATE")
    differs = False
    if private != remote_private:
        mig.say(f"Remote VE_PRIVATE path differs from local {ctid}.conf")
        mig.say(f"Using {remote_private} for syncing")
        differs = True
    if root != remote_root:
        mig.say(f"Remote VE_ROOT path differs from local {ctid}.conf")
        mig.say(f"Using {remote_root} for syncing")
        differs = True
    if differs:
        raise mig.fail(MIG_ERR_APPLY_CONFIG, "Failed to apply config on destination node")
    ploop = node.host(f"{private}/root.hdd/DiskDescriptor.xml").is_file()
    if ploop:
        mig.debug("Checking if ploop is supported on destination node")
        if not dest.hostspec.ploop:
            raise mig.fail(MIG_ERR_UNSUP_PLOOP, "Destination node does not support ploop, can't migrate")
    ips = _ips(conf)
    if ips:
        mig.debug("Checking IPs on destination node: " + " ".join(sorted(ips)))
        if ips & _used_ips(dest):
            raise mig.fail(MIG_ERR_IP_IN_USE, "IP address(es) already in use on destination node")
    if options.check_only:
        return 0
    return _transfer(mig, dest, ctid, conf_text or "", private, ploop=ploop, running=running, mounted=mounted)


def _kernel_build(kernel: str) -> tuple[int, ...]:
    """``2.6.32-042stab134.8`` → (134, 8): what decides the checkpoint image version a kernel can restore."""
    match = re.search(r"stab(\d+)(?:\.(\d+))?", kernel)
    if match is None:
        return ()
    return (int(match.group(1)), int(match.group(2) or 0))


def _check_cpt(mig: Migration, dest: SimNode) -> None:
    """``check_cpt_props``: the destination must restore this kernel's dumps and offer the same CPU features."""
    mig.debug("Checking for CPT version compatibility")
    if _kernel_build(dest.hostspec.kernel) < _kernel_build(mig.node.hostspec.kernel):
        raise mig.fail(
            17,
            "CPT version check failed on destination node!",
            "Destination node kernel is too old, please upgrade",
            "Can't continue live migration",
        )
    mig.debug("Checking for CPU flags compatibility")
    if dest.hostspec.cpu_model != mig.node.hostspec.cpu_model:
        mig.err.write("Error: CPU capabilities check failed!\nError: Destination node CPU is not compatible\n")
        mig.err.flush()
        if mig.options.ignore_cpu:
            mig.say("Ignoring the above error (migration can fail)...")
        else:
            raise mig.fail(18, "Can't continue live migration")


def _dump_name(node: SimNode, ctid: int) -> str:
    """The script's VE_DUMPFILE: ``$DUMPDIR/tmp-dump.<CTID>``."""
    return node.dumpdir.rstrip("/") + "/tmp-dump." + str(ctid)  # noqa: S108 - a node path under DUMPDIR


def _transfer(
    mig: Migration,
    dest: SimNode,
    ctid: int,
    conf_text: str,
    private: str,
    *,
    ploop: bool,
    running: bool,
    mounted: bool,
) -> int:
    node = mig.node
    options = mig.options
    quota = not ploop and node.vzconf_value("DISK_QUOTA", "yes") != "no"
    stamps: dict[str, float] = {}
    mig.say("Preparing remote node")
    mig.debug("Copying config file")
    dest.write_config_text(ctid, conf_text)
    conf = parse_shell_conf(conf_text)
    if conf.get("NAME"):
        dest.set_name(ctid, conf["NAME"])
    if node.is_suspended(ctid):
        mig.debug("Copying dump file")
        target = dest.host(dest.dump_file(ctid))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(node.host(node.dump_file(ctid)), target)
    mig.debug("Creating remote container root dir")
    dest.host(dest.ve_root(ctid, conf)).mkdir(parents=True, exist_ok=True)
    mig.debug("Creating remote container private dir")
    if quota:
        mig.say("Initializing remote quota")
        dest.host(f"/var/vzquota/quota.{ctid}").parent.mkdir(parents=True, exist_ok=True)
        dest.host(f"/var/vzquota/quota.{ctid}").touch()
    if ploop and options.compact:
        mig.say("Compacting container image")
        mig.vzctl(node, "--skiplock", "compact", str(ctid))
    if ploop and options.snapshot:
        mig.say("Creating a container snapshot")
        mig.vzctl(node, "--skiplock", "snapshot", str(ctid), "--skip-suspend")
    mig.say("Syncing private")
    try:
        size_kib = _copy_tree(node.host(private), dest.host(private))
    except OSError:
        dest.host(dest.conf_path(ctid)).unlink(missing_ok=True)
        raise mig.fail(MIG_ERR_COPY, "Failed to sync container private areas") from None
    pause(min(2.0 + size_kib / (200 * 1024), 10.0) * jitter(0.8, 1.2))
    if options.live:
        mig.say("Live migrating container...")
        mig.debug("Suspending container")
        if ploop:
            mig.debug("Copying top ploop delta with CT suspend")
        stamps["suspend"] = time.monotonic()
        if ploop:
            stamps["pcopy"] = time.monotonic()
        mig.debug("Dumping container")
        dumpfile = _dump_name(node, ctid)
        code = mig.vzctl(node, "--skiplock", "chkpnt", str(ctid), "--dumpfile", dumpfile)
        if code:
            raise mig.fail(MIG_ERR_STOP_SOURCE, "Failed to dump container")
        mig.debug("Copying dumpfile")
        stamps["copy_dump"] = time.monotonic()
        remote_dump = _dump_name(dest, ctid)
        dest.host(remote_dump).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(node.host(dumpfile), dest.host(remote_dump))
        pause(jitter(1.0, 3.0))
        stamps["rsync2"] = time.monotonic()
    elif running:
        if not ploop:
            mig.say("Stopping container")
            if mig.vzctl(node, "--skiplock", "stop", str(ctid)):
                raise mig.fail(MIG_ERR_STOP_SOURCE, "Failed to stop container")
        else:
            mig.say("Copying top ploop delta with CT stop")
            mig.vzctl(node, "--skiplock", "stop", str(ctid), "--skip-umount")
            mig.say("Unmounting container")
            if mig.vzctl(node, "--skiplock", "umount", str(ctid)):
                raise mig.fail(MIG_ERR_STOP_SOURCE, "Failed to umount container")
    elif mounted:
        mig.say("Unmounting container")
        if mig.vzctl(node, "--skiplock", "umount", str(ctid)):
            raise mig.fail(MIG_ERR_STOP_SOURCE, "Failed to umount container")
    if running and not ploop and not options.live:
        mig.debug("Syncing private (2nd pass)")
        _copy_tree(node.host(private), dest.host(private))
    if quota:
        stamps["quota"] = time.monotonic()
        mig.say("Syncing 2nd level quota")
        mig.debug("Dumping 2nd level quota")
        mig.debug("Copying 2nd level quota")
        mig.debug("Loading 2nd level quota")
    _move_snapshots(node, dest, ctid)
    if options.live:
        stamps["quota"] = stamps.get("quota", time.monotonic())
        mig.debug("Undumping container")
        stamps["undump"] = time.monotonic()
        remote_dump = _dump_name(dest, ctid)
        if mig.vzctl(dest, "restore", str(ctid), "--dumpfile", remote_dump):
            raise mig.fail(MIG_ERR_START_VPS, "Failed to undump container")
        mig.debug("Resuming container")
        stamps["finish"] = time.monotonic()
        if options.times or options.verbose:
            _print_times(mig, stamps, ploop=ploop)
        mig.say("Cleaning up")
        mig.debug("Killing container")
        mig.debug("Removing dumpfiles")
        node.host(_dump_name(node, ctid)).unlink(missing_ok=True)
        dest.host(remote_dump).unlink(missing_ok=True)
    else:
        if running:
            mig.say("Starting container")
            if mig.vzctl(dest, "start", str(ctid)):
                raise mig.fail(MIG_ERR_START_VPS, "Failed to start container")
        elif mounted:
            mig.say("Mounting container")
            if mig.vzctl(dest, "mount", str(ctid)):
                raise mig.fail(MIG_ERR_START_VPS, "Failed to mount container")
        elif quota:
            mig.say("Turning quota off")
        mig.say("Cleaning up")
    if options.remove_area:
        mig.debug("Destroying container")
        mig.vzctl(node, "--skiplock", "destroy", str(ctid))
        destroyed = node.host(f"{node.conf_path(ctid)}.destroyed")
        destroyed.unlink(missing_ok=True)
    else:
        conf_file = node.host(node.conf_path(ctid))
        conf_file.replace(conf_file.with_name(conf_file.name + ".migrated"))
        node.set_name(ctid, None)
    with node.transaction() as state:
        state.forget(ctid)
    dest.refresh_proc()
    return 0


def _print_times(mig: Migration, stamps: dict[str, float], *, ploop: bool) -> None:
    """The script's ``print_times`` (``-t`` or ``-v``): how long the CT stayed frozen, stage by stage."""

    def between(start: str, end: str) -> float:
        return max(stamps.get(end, 0.0) - stamps.get(start, 0.0), 0.0)

    rows = [("Suspend + Dump", between("suspend", "copy_dump") - (between("suspend", "pcopy") if ploop else 0.0))]
    if ploop:
        rows.append(("Pcopy after suspend", between("suspend", "pcopy")))
    rows.append(("Copy dump file", between("copy_dump", "rsync2")))
    if not ploop:
        rows.append(("Second rsync", between("rsync2", "quota")))
        rows.append(("2nd level quota", between("quota", "undump")))
    rows.append(("Undump + Resume", between("undump", "finish")))
    mig.out.write("\n")
    for label, seconds in rows:
        mig.out.write(f"  {label:>20}: {seconds:6.2f}\n")
    mig.out.write(f"  {' ':>20}  ------\n")
    mig.out.write(f"  {'Total suspended time':>20}: {between('suspend', 'finish'):6.2f}\n\n")
    mig.out.flush()


def _move_snapshots(source: SimNode, dest: SimNode, ctid: int) -> None:
    """Snapshot records live in the kernel-side state of each node; they travel with the private area."""
    record = source.runtime(ctid)
    if not record.snapshots:
        return
    with dest.transaction() as state:
        runtime = state.ct(ctid)
        runtime.snapshots = list(record.snapshots)
        runtime.current_snapshot = record.current_snapshot


def _copy_tree(source: Path, target: Path) -> int:
    """Copy a private area (rsync / ploop copy); sparse images stay sparse. Returns the apparent size in KiB."""
    total = 0
    target.mkdir(parents=True, exist_ok=True)
    for dirpath, dirnames, filenames in os.walk(source):
        relative = Path(dirpath).relative_to(source)
        (target / relative).mkdir(parents=True, exist_ok=True)
        for name in dirnames:
            (target / relative / name).mkdir(exist_ok=True)
        for name in filenames:
            src = Path(dirpath) / name
            dst = target / relative / name
            stat = src.lstat()
            total += stat.st_size
            if src.is_symlink():
                dst.unlink(missing_ok=True)
                dst.symlink_to(os.readlink(src))
            elif stat.st_blocks * 512 < stat.st_size // 2:
                with open(dst, "wb") as handle:
                    handle.truncate(stat.st_size)
            else:
                shutil.copy2(src, dst)
    return total // 1024
