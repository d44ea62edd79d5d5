"""start, stop, restart, suspend and resume: the running state of a container and the lines vzctl prints for it.

Sequences follow env.c/hooks_vz.c of vzctl 4.11.1 and the real ploop transcripts: ``Starting container...`` (no
space), the libploop mount lines, ``Container is mounted``, the resource lines, ``Container start in progress...``;
``Stopping container ...`` / ``Killing container ...`` (with a space), ``Container was stopped``, the unmount lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from vztui.sim.vzctl import fsops
from vztui.sim.vzctl.context import Invocation, VzctlExit
from vztui.sim.vzctl.getopt import GetoptLong, LongOpt, Opt, extra_arguments_message
from vztui.sim.vzctl.resources import check_ub, print_changes, starting_changes
from vztui.sim.vzctl.timing import jitter, pause

START_STOP_OPTIONS = (
    LongOpt("force", False, "force"),
    LongOpt("skip_ve_setup", False, "skip_ve_setup"),
    LongOpt("wait", False, "wait"),
    LongOpt("fast", False, "fast"),
    LongOpt("skip-umount", False, "skip-umount"),
    LongOpt("skip-fsck", False, "skip-fsck"),
    LongOpt("skip-remount", False, "skip-remount"),
)
_START_ONLY = {"force", "skip_ve_setup", "wait", "skip-fsck", "skip-remount"}
_STOP_ONLY = {"fast", "skip-umount"}


@dataclass(slots=True)
class StartStopOptions:
    force: bool = False
    skip_setup: bool = False
    wait: bool = False
    fast: bool = False
    skip_umount: bool = False
    skip_fsck: bool = False
    skip_remount: bool = False


def parse_startstop(inv: Invocation, args: Sequence[str], *, start: bool, stop: bool) -> StartStopOptions:
    """``parse_startstop_opt``: getopt errors make it exit 20 after the whole line is read."""
    options = StartStopOptions()
    parser = GetoptLong(args, START_STOP_OPTIONS)
    code = 0
    for item in parser:
        if not isinstance(item, Opt):
            inv.console.raw_err(item.message + "\n")
            code = 20
            continue
        applicable = (item.key in _START_ONLY and start) or (item.key in _STOP_ONLY and stop)
        if not applicable:
            inv.console.raw_err(f"Option --{item.name} is not applicable to {'start' if start else 'stop'} command\n")
            raise VzctlExit(20)
        attribute = item.key.replace("-", "_").replace("skip_ve_setup", "skip_setup")
        setattr(options, attribute, True)
    if parser.positional:
        inv.console.raw_err(extra_arguments_message(parser.positional) + "\n")
        raise VzctlExit(20)
    if code:
        raise VzctlExit(code)
    return options


def start(inv: Invocation, options: StartStopOptions) -> int:
    """``vzctl start``: refuse disabled/missing/running CTs, restore from a dump if there is one, else boot."""
    if inv.value("DISABLED", "no").lower() == "yes" and not options.force:
        raise inv.fail(105, "Container start disabled")
    if not inv.private_exists():
        raise inv.fail(43, f"Container private area {inv.private} does not exist")
    if inv.is_running():
        raise inv.fail(32, "Container is already running")
    skip_remount = options.skip_remount
    if inv.host(inv.dump_file).exists():
        inv.info(f"Dump file {inv.dump_file} exists, trying to restore from it")
        code = restore(inv, inv.dump_file)
        if code == 0:
            return 0
        skip_remount = True
    code = boot(inv, wait=options.wait, skip_remount=skip_remount, skip_setup=options.skip_setup)
    if "VE_LAYOUT" not in inv.conf and inv.has_conf:
        layout = inv.layout
        inv.info(f"Saving VE layout '{layout}' to the VE config file")
        inv.node.write_config_text(inv.ctid, (inv.conf_text or "") + f'VE_LAYOUT="{layout}"\n')
        inv.reload_conf()
    return code


def boot(inv: Invocation, *, wait: bool = False, skip_remount: bool = False, skip_setup: bool = False) -> int:
    """``vps_start``: mount, create the VE, apply resources, start init."""
    inv.info("Starting container...")
    code = check_ub(inv)
    if code:
        return code
    if inv.is_ploop:
        code = fsops.check_ploop(inv)
        if code:
            return code
    mounted = inv.is_mounted()
    if mounted and not skip_remount:
        fsops.unmount_lines(inv)
        inv.info("Container is unmounted")
        mounted = False
    if not mounted:
        code = fsops.mount(inv)
        if code:
            return code
    fsops.ensure_identity_files(fsops.ct_files(inv), inv.value("OSTEMPLATE", ""), inv.conf.get("HOSTNAME", ""))
    pause(jitter(0.6, 1.6))
    with inv.node.transaction() as state:
        runtime = state.ct(inv.ctid)
        runtime.running = True
        runtime.mounted = True
        runtime.started_at = inv.node.now()
        runtime.extra.pop("live_conf", None)
    if not skip_setup:
        code = print_changes(inv, starting_changes(inv), starting=True)
        if code:
            inv.error('Container start failed (try to check kernel messages, e.g. "dmesg | tail")')
            inv.info("Killing container ...")
            mark_stopped(inv)
            inv.info("Container was stopped")
            fsops.unmount_lines(inv)
            inv.info("Container is unmounted")
            return code
    pause(jitter(0.2, 0.6))
    if wait:
        inv.info("Container start in progress, waiting ...")
        pause(jitter(0.5, 1.0))
        inv.info("Container started successfully")
    else:
        inv.info("Container start in progress...")
    inv.host(inv.dump_file).unlink(missing_ok=True)
    return 0


def stop(inv: Invocation, options: StartStopOptions) -> int:
    """``vps_stop``: a CT that is not running is an error message with exit 0."""
    if not inv.is_running():
        inv.error("Unable to stop: container is not running")
        return 0
    if options.fast:
        inv.info("Killing container ...")
        pause(jitter(0.3, 0.6))
    else:
        inv.info("Stopping container ...")
        pause(jitter(1.0, 1.8))
    mark_stopped(inv)
    inv.info("Container was stopped")
    if options.skip_umount:
        return 0
    fsops.unmount_lines(inv)
    inv.info("Container is unmounted")
    return 0


def mark_stopped(inv: Invocation) -> None:
    with inv.node.transaction() as state:
        runtime = state.ct(inv.ctid)
        runtime.running = False
        runtime.started_at = None
        runtime.extra.pop("live_conf", None)


def restart(inv: Invocation, options: StartStopOptions) -> int:
    inv.info("Restarting container")
    if inv.is_running():
        code = stop(inv, options)
        if code:
            return code
    return start(inv, options)


# --- checkpointing ---------------------------------------------------------------------------------------------------

CHKPNT_OPTIONS = (
    LongOpt("dump", False, "dump"),
    LongOpt("suspend", False, "suspend"),
    LongOpt("resume", False, "resume"),
    LongOpt("kill", False, "kill"),
    LongOpt("skip_arpdetect", False, "skip_arpdetect"),
    LongOpt("flags", True, "flags"),
    LongOpt("context", True, "context"),
    LongOpt("dumpfile", True, "dumpfile"),
)
RESTORE_OPTIONS = (
    LongOpt("undump", False, "undump"),
    LongOpt("kill", False, "kill"),
    LongOpt("resume", False, "resume"),
    LongOpt("dumpfile", True, "dumpfile"),
    LongOpt("flags", True, "flags"),
    LongOpt("context", True, "context"),
    LongOpt("skip_arpdetect", False, "skip_arpdetect"),
    LongOpt("skip-remount", False, "skip-remount"),
    LongOpt("skip-fsck", False, "skip-fsck"),
)
_SUBCOMMANDS = {"dump", "suspend", "resume", "kill", "undump"}


@dataclass(slots=True)
class CptOptions:
    sub: str = ""
    dumpfile: str | None = None
    skip_remount: bool = False


def parse_cpt(inv: Invocation, args: Sequence[str], *, restore_mode: bool) -> CptOptions:
    """``parse_chkpnt_opt`` / ``parse_restore_opt``: one sub-command at most, exit 20 on syntax errors."""
    options = CptOptions()
    parser = GetoptLong(args, RESTORE_OPTIONS if restore_mode else CHKPNT_OPTIONS)
    for item in parser:
        if not isinstance(item, Opt):
            inv.console.raw_err(item.message + "\n")
            raise VzctlExit(20)
        if item.key in _SUBCOMMANDS:
            if options.sub:
                raise inv.fail(20, "Invalid syntax: only one sub command may be used")
            options.sub = item.key
        elif item.key == "dumpfile":
            options.dumpfile = item.value
        elif item.key == "skip-remount":
            options.skip_remount = True
    if parser.positional:
        inv.console.raw_err(extra_arguments_message(parser.positional) + "\n")
        raise VzctlExit(20)
    return options


def suspend(inv: Invocation, options: CptOptions) -> int:
    """``vzctl suspend``: freeze, dump to ``DUMPDIR/Dump.CTID`` (or --dumpfile), kill, unmount."""
    if not inv.is_running():
        raise inv.fail(31, "Unable to setup checkpointing: container is not running")
    sub = options.sub
    if sub in {"kill", "resume"}:
        inv.info("Killing..." if sub == "kill" else "Resuming...")
        pause(0.3)
        with inv.node.transaction() as state:
            runtime = state.ct(inv.ctid)
            runtime.extra.pop("frozen", None)
            if sub == "kill":
                runtime.running = False
                runtime.started_at = None
        return 0
    dumpfile = options.dumpfile or inv.dump_file
    if sub == "dump" and options.dumpfile is None:
        inv.info("Setting up checkpoint...")
        raise inv.fail(16, "Error: dumpfile is not specified", "Checkpointing failed")
    inv.info("Setting up checkpoint...")
    if sub == "dump":
        inv.info("\tjoin context..")
    if sub in {"", "suspend"}:
        inv.info("\tsuspend...")
        pause(jitter(0.3, 0.6))
    if sub in {"", "dump"}:
        inv.info("\tdump...")
        pause(jitter(0.5, 1.5))
        target = inv.host(dumpfile)
        target.parent.mkdir(parents=True, exist_ok=True)
        runtime = inv.runtime()
        uptime = inv.node.now() - runtime.started_at if runtime.started_at else 0.0
        target.write_text(f"CPT dump of CT {inv.ctid}\nuptime {uptime:.3f}\n", encoding="ascii")
    if sub == "":
        inv.info("\tkill...")
        pause(0.2)
    if sub == "suspend":
        inv.info("\tget context...")
    inv.info("Checkpointing completed successfully")
    with inv.node.transaction() as state:
        runtime = state.ct(inv.ctid)
        if sub == "suspend":
            runtime.extra["frozen"] = True
        elif sub == "":
            runtime.running = False
            runtime.started_at = None
    if sub == "":
        fsops.unmount_lines(inv)
        inv.info("Container is unmounted")
    return 0


def resume(inv: Invocation, options: CptOptions) -> int:
    """``vzctl resume``: restore from the dump (default ``DUMPDIR/Dump.CTID``)."""
    if options.sub in {"kill", "resume"}:
        if not inv.is_running():
            raise inv.fail(31, "Container is not running")
        inv.info("Killing..." if options.sub == "kill" else "Resuming...")
        with inv.node.transaction() as state:
            runtime = state.ct(inv.ctid)
            runtime.extra.pop("frozen", None)
            if options.sub == "kill":
                runtime.running = False
        return 0
    return restore(inv, options.dumpfile or inv.dump_file, skip_remount=options.skip_remount)


def restore(inv: Invocation, dumpfile: str, *, skip_remount: bool = False) -> int:
    """``vps_restore``: bring a CT back from a dump file; the file is removed after a successful restore."""
    if inv.is_running():
        inv.error("Unable to perform restore: container already running")
        return 32
    inv.info("Restoring container ...")
    source = inv.host(dumpfile)
    if not source.is_file():
        inv.error(f"Unable to open {dumpfile}: No such file or directory")
        return 17
    uptime = 0.0
    for line in source.read_text(encoding="ascii", errors="replace").splitlines():
        if line.startswith("uptime "):
            try:
                uptime = float(line.split()[1])
            except ValueError:
                uptime = 0.0
    mounted = inv.is_mounted()
    if mounted and not skip_remount:
        fsops.unmount_lines(inv)
        inv.info("Container is unmounted")
        mounted = False
    if not mounted:
        code = fsops.mount(inv)
        if code:
            return code
    inv.info("\tundump...")
    pause(jitter(0.5, 1.5))
    code = print_changes(inv, starting_changes(inv), starting=True)
    if code:
        inv.error('Container restore failed (try to check kernel messages, e.g. "dmesg | tail")')
        fsops.unmount_lines(inv)
        inv.info("Container is unmounted")
        return code
    inv.info("\tresume...")
    with inv.node.transaction() as state:
        runtime = state.ct(inv.ctid)
        runtime.running = True
        runtime.mounted = True
        runtime.started_at = inv.node.now() - uptime
    inv.info("Container start in progress...")
    inv.info("Restoring completed successfully")
    source.unlink(missing_ok=True)
    return 0
