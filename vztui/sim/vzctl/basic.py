"""The argument-less commands: status, mount, umount, destroy, quotaon/quotaoff/quotainit."""

from __future__ import annotations

from collections.abc import Sequence

from vztui.sim.vzctl import fsops
from vztui.sim.vzctl.context import Invocation, VzctlExit
from vztui.sim.vzctl.timing import pause


def reject_options(inv: Invocation, args: Sequence[str]) -> None:
    """``parse_action_opt``'s default case: these commands take nothing after the CTID (exit 20)."""
    if args:
        inv.console.raw_err("Invalid options: " + "".join(f"{word} " for word in args) + "\n")
        raise VzctlExit(20)


def status(inv: Invocation) -> int:
    """``CTID <id> exist|deleted mounted|unmounted running|down[ suspended]``; always exit 0."""
    exist = inv.private_exists() and inv.node.config_exists(inv.ctid)
    mounted = inv.is_mounted()
    running = inv.is_running()
    suspended = exist and not running and inv.host(inv.dump_file).exists()
    inv.console.raw_out(
        f"CTID {inv.ctid} {'exist' if exist else 'deleted'} {'mounted' if mounted else 'unmounted'} "
        f"{'running' if running else 'down'}{' suspended' if suspended else ''}\n"
    )
    return 0


def mount(inv: Invocation) -> int:
    return fsops.mount(inv)


def umount(inv: Invocation) -> int:
    return fsops.umount(inv)


def destroy(inv: Invocation) -> int:
    """``vps_destroy``: refuse running/mounted CTs (on stdout), remove the private area, keep ``.conf.destroyed``."""
    if inv.is_running():
        inv.info("Container is currently running. Stop it first.")
        return 32
    if inv.is_mounted():
        inv.info("Container is currently mounted (umount first)")
        return 41
    if inv.is_ploop:
        code = fsops.check_ploop(inv)
        if code:
            return code
    inv.info(f"Destroying container private area: {inv.private}")
    pause(0.8)
    inv.node.remove_private_area(inv.private)
    if not inv.is_ploop:
        inv.host(fsops.quota_file(inv.ctid)).unlink(missing_ok=True)
    conf = inv.host(inv.conf_path)
    if conf.exists():
        conf.replace(conf.with_name(conf.name + ".destroyed"))
    inv.host(inv.dump_file).unlink(missing_ok=True)
    root = inv.host(inv.root)
    try:
        root.rmdir()
    except FileNotFoundError:
        inv.error(f"Warning: failed to remove {inv.root}: No such file or directory")
    except OSError:
        inv.error(f"Warning: failed to remove {inv.root}: Directory not empty")
    with inv.node.transaction() as state:
        state.forget(inv.ctid)
    inv.node.set_name(inv.ctid, None)
    inv.info("Container private area was destroyed")
    return 0


def quota(inv: Invocation, action: str) -> int:
    """quotaon/quotaoff/quotainit: simfs only; ploop and DISK_QUOTA=no are skipped with vzctl's messages."""
    if not fsops.quota_enabled(inv):
        inv.info("Disk quota is not enabled, skipping operation")
        return {"quotaon": 60, "quotaoff": 66, "quotainit": 61}[action]
    if inv.is_ploop:
        inv.info("CT is on ploop, disk quota is obsoleted, skipping operation")
        return 0
    quota_file = inv.host(fsops.quota_file(inv.ctid))
    if action == "quotainit":
        if not inv.private_exists():
            raise inv.fail(61, f"Container private area {inv.private} does not exist", "vzquota init failed [1]")
        quota_file.parent.mkdir(parents=True, exist_ok=True)
        quota_file.touch()
        pause(0.3)
        return 0
    if not quota_file.exists():
        inv.console.raw_err(
            f"vzquota : (error) Can't open quota file for id {inv.ctid}, maybe you need to reinitialize quota\n"
        )
        raise inv.fail(60 if action == "quotaon" else 66, f"vzquota {action[5:]} failed [11]")
    with inv.node.transaction() as state:
        runtime = state.ct(inv.ctid)
        if action == "quotaoff":
            runtime.extra["quota_off"] = True
        else:
            runtime.extra.pop("quota_off", None)
    return 0
