"""``vzctl set``: parse with the domain's vzctl-exact parser, apply live on a running CT, save with ``--save``.

The flow is vzctl-actions.c ``vps_set``/``set``: option checks (``--save``-only options, ``--reset_ub`` alone),
names, the ploop resize, restart-only parameters on a running CT (``--setmode``), then the live application in
``vps_setup_res`` order — which on a stopped CT without ``--save`` fails with exit 31 — and finally the save through
``vztui.openvz.conf.save_config`` (the byte-exact writer of REFERENCE §11).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from vztui.openvz.conf import apply_set, save_config
from vztui.openvz.setparams import SetParamError, SetRequest, parse_set_args
from vztui.openvz.units import INT_MAX, LONG_MAX
from vztui.sim.shconf import parse_shell_conf
from vztui.sim.vzctl import fsops, lifecycle
from vztui.sim.vzctl.context import Invocation, VzctlExit
from vztui.sim.vzctl.create import assign_name, report_param_error
from vztui.sim.vzctl.resources import LiveChanges, is_vswap, merged_values, print_changes, veth_names
from vztui.sim.vzctl.timing import jitter, pause

_DERIVED_VSWAP = ("LOCKEDPAGES", "OOMGUARPAGES", "VMGUARPAGES", "PRIVVMPAGES")


class _SetFailed(Exception):  # noqa: N818 - internal control flow
    def __init__(self, code: int, *, warn_save: bool = True) -> None:
        super().__init__(code)
        self.code = code
        self.warn_save = warn_save


def prepare(inv: Invocation, options: Sequence[str]) -> Callable[[Invocation], int]:
    try:
        request = parse_set_args(list(options), ctid=inv.ctid, vswap_kernel=inv.node.hostspec.vswap)
    except SetParamError as exc:
        raise report_param_error(inv, exc) from exc
    count = len(options)
    return lambda inv: run_set(inv, request, count)


def run_set(inv: Invocation, request: SetRequest, argc: int) -> int:
    """``vps_set``: run the set, then save (``--save``) or warn that nothing was saved."""
    warn_save = True
    try:
        code = _set_ve0(inv, request) if inv.ctid == 0 else _set(inv, request, argc)
        if code < 0:
            warn_save = False
            code = 0
    except _SetFailed as failed:
        code = failed.code
        warn_save = failed.warn_save
    if not code and inv.ctid != 0 and inv.is_running():
        _remember_live(inv, request)
    if request.save:
        if code:
            inv.error("Error: failed to apply some parameters, not saving configuration file!")
            return code
        return _save(inv, request)
    if warn_save and not code:
        running = inv.is_running()
        inv.info(
            "WARNING: Settings were not saved to config "
            + ("and will be lost after CT restart " if running else "")
            + "(use --save flag)"
        )
    return code


LIVE_CONF = "live_conf"
"""``CtRuntime.extra`` key: config values a running CT got from ``set`` without ``--save`` (until it stops)."""


def _remember_live(inv: Invocation, request: SetRequest) -> None:
    """Record what the running CT now uses, so the kernel model can follow a set that was not saved."""
    before = inv.conf_text or ""
    after = apply_set(
        before, request, host_cpus=inv.node.hostspec.cpus, ctid=inv.ctid, sample_text=_sample(inv, request)
    )
    old, new = parse_shell_conf(before), parse_shell_conf(after)
    changed = {key: value for key, value in new.items() if old.get(key) != value}
    with inv.node.transaction() as state:
        runtime = state.ct(inv.ctid)
        live = dict(runtime.extra.get(LIVE_CONF, {}))
        if request.save:
            for key in changed:
                live.pop(key, None)
        else:
            live.update(changed)
        if live:
            runtime.extra[LIVE_CONF] = live
        else:
            runtime.extra.pop(LIVE_CONF, None)


def _sample(inv: Invocation, request: SetRequest) -> str | None:
    if request.applyconfig is None:
        return None
    sample_host = inv.host(inv.node.sample_path(request.applyconfig))
    return sample_host.read_text(encoding="utf-8", errors="replace") if sample_host.is_file() else ""


def _set_ve0(inv: Invocation, request: SetRequest) -> int:
    """``set_ve0``: the host's own beancounters and CPU units apply at once (CT0 always runs)."""
    if request.reset_ub:
        inv.info("UB limits were set successfully")
        return -1
    if request.ubc:
        inv.info("UB limits were set successfully")
    if request.cpuunits is not None:
        inv.info(f"Setting CPU units: {request.cpuunits}")
    return 0


def _save(inv: Invocation, request: SetRequest) -> int:
    path = inv.conf_path
    if not inv.node.config_exists(inv.ctid):
        inv.error(f"WARNING: {path} not found: No such file or directory")
    inv.reload_conf()
    sample_text = _sample(inv, request)
    result = save_config(
        inv.conf_text or "", request, host_cpus=inv.node.hostspec.cpus, ctid=inv.ctid, sample_text=sample_text
    )
    if not result.changed:
        inv.info("No changes in CT configuration, not saving")
        return 0
    inv.node.write_config_text(inv.ctid, result.text)
    inv.info(f"CT configuration saved to {path}")
    return 0


def _ubc_limit(value: tuple[int, int] | None) -> int | None:
    return None if value is None else value[1]


def _vswap_request(request: SetRequest) -> bool:
    limit = _ubc_limit(request.ubc.get("physpages"))
    return limit is not None and limit not in (LONG_MAX, INT_MAX)


def _check_options(inv: Invocation, request: SetRequest, argc: int, values: dict[str, str]) -> None:
    """``check_set_opt``."""
    if request.reset_ub and argc > 1:
        raise inv.fail(20, "Error: option --reset_ub is exclusive")
    if (_vswap_request(request) or is_vswap(values)) and "swappages" not in request.ubc and not values.get("SWAPPAGES"):
        raise inv.fail(28, "Error: required UB parameter (swap) not set")
    if request.offline_resize:
        if request.diskspace is None:
            raise inv.fail(20, "Error: option --offline-resize can only be used with --diskspace")
        if not inv.is_ploop:
            inv.info("Warning: option --offline-resize only makes sense for a ploop CT")
    if request.nodemask is not None and request.cpumask is None:
        raise inv.fail(20, "Error: option --nodemask requires --cpumask")
    if request.cpumask == "auto" and request.nodemask is None:
        raise inv.fail(20, "Error: --cpumask auto requires --nodemask")
    if request.save:
        return
    if request.name is not None:
        raise inv.fail(131, "Error: unable to use --name option without --save")
    if request.ostemplate is not None:
        raise inv.fail(20, "Error: unable to use --ostemplate option without --save")
    if request.stop_timeout is not None:
        raise inv.fail(20, "Error: unable to use --stop-timeout option without --save")
    if request.force:
        raise inv.fail(20, "Error: --force is useless without --save")
    if request.diskspace is not None and inv.is_ploop:
        raise inv.fail(20, "Error: can't use --diskspace without --save for a ploop-based container")
    if request.setmode == "restart":
        raise inv.fail(20, "Error: --setmode restart doesn't make sense without --save flag")


def _set(inv: Invocation, request: SetRequest, argc: int) -> int:
    """``set``: 0 on success, -1 on success without the "not saved" warning, else raises ``_SetFailed``."""
    values = merged_values(inv)
    try:
        _check_options(inv, request, argc, values)
    except VzctlExit as exc:
        raise _SetFailed(exc.code) from exc
    running = inv.is_running()
    if request.reset_ub:
        if not running:
            inv.error("Container is not running")
            raise _SetFailed(31)
        inv.info("UB limits were set successfully")
        return -1
    if request.name is not None:
        code = assign_name(inv, request.name, inv.conf.get("NAME"))
        if code:
            raise _SetFailed(code, warn_save=False)
    if running and request.private is not None:
        inv.error("Unable to change VE_PRIVATE on a running container")
        raise _SetFailed(32)
    if running and request.root is not None:
        inv.error("Unable to change VE_ROOT on a running container")
        raise _SetFailed(32)
    only_password = False
    if request.userpasswd:
        only_password = argc == 2
        _change_password(inv, request, running)
    if request.applyconfig is not None:
        sample = inv.node.sample_path(request.applyconfig)
        if not inv.host(sample).is_file():
            inv.error(f"Sample config file not found: {sample}")
            raise _SetFailed(109)
    if request.diskspace is not None and inv.is_ploop:
        _resize(inv, request, running)
    if request.diskinodes is not None and inv.is_ploop:
        inv.info("Warning: --diskinodes is ignored for ploop-based container")
    if request.save and not running:
        return -1 if only_password else 0
    if running:
        mode = _check_set_mode(inv, request, values)
        if mode == "restart":
            return _restart(inv, request)
        if mode == "ignore":
            raise _SetFailed(32)
    _apply(inv, request, values, running)
    return -1 if only_password else 0


def _check_set_mode(inv: Invocation, request: SetRequest, values: dict[str, str]) -> str:
    """Parameters a running CT cannot take; returns "restart", "ignore" or "" (carry on)."""
    loud = request.setmode != "restart"
    found = 0

    def refuse(message: str) -> None:
        nonlocal found
        found += 1
        if loud:
            inv.error(message)

    if request.capabilities_on or request.capabilities_off:
        refuse("Unable to set capability on a running container")
    if (request.iptables or request.netfilter is not None) and (
        request.netfilter != values.get("NETFILTER") or request.iptables
    ):
        refuse("Unable to set iptables/netfilter on a running container")
    if request.features_known:
        refuse("Unable to set features on a running container")
    if request.quotaugidlimit is not None:
        old = values.get("QUOTAUGIDLIMIT", "0") not in ("", "0")
        new = request.quotaugidlimit != 0
        if new != old:
            refuse(f"Unable to turn {'on' if new else 'off'} second-level disk quota on a running container")
    if request.diskquota is not None and (values.get("DISK_QUOTA", "yes") != "no") != request.diskquota:
        refuse("Unable to switch DISK_QUOTA on or off on a running container")
    if request.mount_opts is not None and request.mount_opts != values.get("MOUNT_OPTS"):
        refuse("Unable to change mount options on a running container")
    if not found:
        return ""
    if request.setmode == "restart":
        return "restart"
    if request.setmode == "ignore":
        return "ignore"
    inv.error(
        "WARNING: Some of the parameters could not be applied to a running container.\n"
        "\tPlease consider using --setmode option"
    )
    return ""


def _restart(inv: Invocation, request: SetRequest) -> int:
    """``--setmode restart``: the CT restarts with the new parameters merged in (the caller saves afterwards)."""
    merged = apply_set(
        inv.conf_text or "", request, host_cpus=inv.node.hostspec.cpus, ctid=inv.ctid, sample_text=_sample(inv, request)
    )
    inv.conf = parse_shell_conf(merged)
    return lifecycle.restart(inv, lifecycle.StartStopOptions())


def _change_password(inv: Invocation, request: SetRequest, running: bool) -> None:
    """``--userpasswd``: a stopped CT is started without setup, the password changed, then it is killed."""
    if not running:
        code = lifecycle.boot(inv, skip_setup=True)
        if code:
            raise _SetFailed(code)
    pause(jitter(0.2, 0.5))
    if not running:
        inv.info("Killing container ...")
        pause(0.3)
        lifecycle.mark_stopped(inv)
        inv.info("Container was stopped")
        fsops.unmount_lines(inv)
        inv.info("Container is unmounted")


def _resize(inv: Invocation, request: SetRequest, running: bool) -> None:
    """The ploop image resize of ``--diskspace`` (libploop/e2fsprogs lines as in the real capture)."""
    code = fsops.check_ploop(inv)
    if code:
        raise _SetFailed(code)
    mounted = inv.runtime().mounted
    if request.offline_resize and (running or mounted):
        inv.error(f"Option --offline-resize can't be used on a {'running' if running else 'mounted'} container")
        raise _SetFailed(21)
    assert request.diskspace is not None
    new_kib = request.diskspace[1]
    old_kib = _old_diskspace_kib(inv)
    image = fsops.image_path(inv.private)
    minor = inv.runtime().ploop_minor
    mnt = f"{inv.private}/root.hdd/root.hdd.mnt"
    if not mounted:
        # libploop mounts an unmounted image on a scratch mount point of its own for the resize.
        minor = inv.node.allocate_ploop_minor(inv.node.read_state(), inv.ctid)
        inv.info(f"Opening delta {image}")
        inv.info(f"Adding delta dev=/dev/ploop{minor} img={image} (rw)")
        inv.info(f"Mounting /dev/ploop{minor}p1 at {mnt} fstype=ext4 data='balloon_ino=12,' ")
    inv.info("dumpe2fs 1.41.12 (17-May-2010)")
    pause(0.3)
    _resize_lines(inv, old_kib, new_kib, minor or 0)
    pause(jitter(0.5, 1.2))
    if not mounted:
        inv.info(f"Unmounting file system at {mnt}")
        inv.info(f"Unmounting device /dev/ploop{minor}")


def _resize_lines(inv: Invocation, old_kib: int, new_kib: int, minor: int) -> None:
    """libploop's resize: within the device the hidden balloon shrinks or grows; beyond it the device grows.

    The device size is the image's apparent size; the balloon is what the device holds beyond DISKSPACE.
    """
    image = inv.host(fsops.image_path(inv.private))
    try:
        device = image.stat().st_size
    except OSError:
        device = max(old_kib, new_kib) * 1024
    old_balloon = _balloon(max(device - old_kib * 1024, 0))
    wanted = new_kib * 1024
    if wanted <= device:
        new_balloon = _balloon(device - wanted)
        inv.info(f"Changing balloon size old_size={old_balloon} new_size={new_balloon}")
        verb = "truncated" if new_balloon <= old_balloon else "inflated"
        inv.info(f"Successfully {verb} balloon from {old_balloon} to {new_balloon} bytes")
        return
    if old_balloon:
        inv.info(f"Changing balloon size old_size={old_balloon} new_size=0")
        inv.info(f"Successfully truncated balloon from {old_balloon} to 0 bytes")
    inv.info(f"Growing dev=/dev/ploop{minor} size={device // 512} sectors (new size={wanted // 512})")
    try:
        with open(image, "r+b") as handle:
            handle.truncate(wanted)
    except OSError:
        return


def _balloon(size: int) -> int:
    """Balloon sizes are whole 4 KiB file-system blocks."""
    return (size + 4095) & ~4095


def _old_diskspace_kib(inv: Invocation) -> int:
    from vztui.sim.vzctl.create import disk_limit_kib

    raw = inv.value("DISKSPACE", "")
    return disk_limit_kib(raw) if raw else 0


def _live_changes(inv: Invocation, request: SetRequest, values: dict[str, str]) -> LiveChanges:
    changes = LiveChanges()
    vswap = is_vswap(values) or _vswap_request(request)
    derived_missing = vswap and any(key.lower() not in request.ubc and not values.get(key) for key in _DERIVED_VSWAP)
    changes.ubc = bool(request.ubc) or derived_missing or request.vm_overcommit is not None
    current = values.get("IP_ADDRESS", "").split()
    if request.ip_delall:
        changes.ip_delete_all = True
        changes.ip_delete = current
    deleted = list(request.ip_del)
    current_bare = {ip.split("/")[0]: ip for ip in current}
    for ip in request.ip_add:
        found = current_bare.get(ip.split("/")[0])
        if found is not None and found not in deleted:
            deleted.append(found)
    if not request.ip_delall:
        changes.ip_delete = deleted
    changes.ip_add = list(request.ip_add)
    cpulimit = request.cpulimit_value(inv.node.hostspec.cpus)
    changes.cpulimit = None if cpulimit is None else str(cpulimit)
    changes.cpuunits = None if request.cpuunits is None else str(request.cpuunits)
    changes.cpus = None if request.cpus is None else str(request.cpus)
    changes.cpumask = request.cpumask
    changes.nodemask = request.nodemask
    changes.devices = bool(request.devices or request.devnodes)
    changes.pci = bool(request.pci_add or request.pci_del)
    changes.iolimit = None if request.iolimit is None else str(request.iolimit)
    changes.iopslimit = None if request.iopslimit is None else str(request.iopslimit)
    if request.netif_add:
        changes.veth = [veth.host_ifname or f"veth{inv.ctid}.{index}" for index, veth in enumerate(request.netif_add)]
    return changes


def _apply(inv: Invocation, request: SetRequest, values: dict[str, str], running: bool) -> None:
    """``vps_setup_res`` for a set: live on a running CT, exit 31 at the first live-only parameter otherwise."""
    changes = _live_changes(inv, request, values)
    if not running:
        _refuse_stopped(inv, request, changes)
        return
    code = print_changes(inv, changes, starting=False)
    if code:
        raise _SetFailed(code)
    if request.netif_del or request.netif_delall:
        names = veth_names(values.get("NETIF", ""), inv.ctid)
        if request.netif_del:
            names = [name for name in names if any(name.endswith(dev) for dev in request.netif_del)]
        inv.info("Deleting veth devices: " + "".join(f"{name} " for name in names))
    pause(jitter(0.1, 0.4))


def _refuse_stopped(inv: Invocation, request: SetRequest, changes: LiveChanges) -> None:
    """What a set without ``--save`` on a stopped CT prints, in ``vps_setup_res`` order."""
    reason = ": container is not running"
    if changes.ubc:
        inv.error("Unable to apply UBC parameters" + reason)
        raise _SetFailed(31)
    if changes.ip_delete_all or changes.ip_delete or changes.ip_add:
        inv.error("Unable to apply network parameters" + reason)
        raise _SetFailed(31)
    if request.netdev_add or request.netdev_del:
        inv.error("Unable to apply network parameters" + reason)
        raise _SetFailed(31)
    if any(value is not None for value in (changes.cpulimit, changes.cpuunits, changes.cpus, changes.cpumask)):
        inv.error("Unable to apply CPU parameters" + reason)
        raise _SetFailed(31)
    if changes.devices:
        inv.error("Unable to apply devperm" + reason)
        raise _SetFailed(31)
    if request.hostname is not None or request.nameservers or request.searchdomains:
        inv.info("Unable to configure container: not running")
    if changes.veth:
        inv.error("Unable to create veth" + reason)
        raise _SetFailed(31)
