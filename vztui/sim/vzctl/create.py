"""``vzctl create``: sample copy, private area, template cache lookup and the appended config lines (create.c).

The sample is copied byte for byte, then vzctl's save appends (or rewrites in place) VE_ROOT, VE_PRIVATE,
VE_LAYOUT, OSTEMPLATE, ORIGIN_SAMPLE and whatever the command line gave (--ipadd, --hostname, --name, --diskspace,
…): that text comes from ``vztui.openvz.conf.save_config``, the same writer ``set --save`` uses. Any failure after
the copy removes the new config again and ends with ``Creation of container private area failed``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

from vztui.openvz.conf import create_config, save_config
from vztui.openvz.setparams import SetParamError, SetRequest, parse_create_args
from vztui.openvz.setvalues import BadValueError, parse_twoul_sfx
from vztui.sim.node import GLOBAL_CONF, TEMPLATE_SUFFIXES
from vztui.sim.shconf import expand_veid
from vztui.sim.vzctl import fsops
from vztui.sim.vzctl.context import Invocation, VzctlExit
from vztui.sim.vzctl.timing import jitter, pause

BALLOON = ".balloon-c3a5ae3d-ce7f-43c4-a1ea-c61e2b4504e8"
_NAME_CHARS = frozenset(" -+_.")


def report_param_error(inv: Invocation, exc: SetParamError) -> VzctlExit:
    """Print a SetParamError as vzctl would: getopt's and extra-argument texts directly, the rest via the logger."""
    if exc.stdout:
        for line in exc.stdout.rstrip("\n").split("\n"):
            inv.info(line)
    message = exc.message.rstrip("\n")
    if message.startswith(("vzctl: ", "Invalid extra arguments")):
        inv.console.raw_err(message + "\n")
    else:
        for line in message.split("\n") if message.startswith("Error") else [message]:
            inv.error(line)
    return VzctlExit(exc.exit_code)


def prepare(inv: Invocation, options: Sequence[str]) -> Callable[[Invocation], int]:
    try:
        request = parse_create_args(list(options), ctid=inv.ctid)
    except SetParamError as exc:
        raise report_param_error(inv, exc) from exc
    return lambda inv: create(inv, request)


def valid_name(name: str) -> bool:
    return all(char.isalnum() or char in _NAME_CHARS for char in name)


def assign_name(inv: Invocation, name: str, old_name: str | None) -> int:
    """vzctl ``set_name``: 131 for a bad or taken name, else the symlink and ``Name <n> assigned``."""
    if not valid_name(name):
        inv.error(f"Error: invalid name {name}")
        return 131
    owner = inv.node.ctid_by_name(name)
    if owner is not None and owner != inv.ctid and inv.node.config_exists(owner):
        inv.error(f"Conflict: name {name} already used by container {owner}")
        return 131
    if old_name == name and owner == inv.ctid:
        return 0
    inv.node.set_name(inv.ctid, name or None)
    inv.info(f"Name {name} assigned")
    return 0


def create(inv: Invocation, request: SetRequest) -> int:
    node = inv.node
    dst = inv.conf_path
    cfg_exists = inv.has_conf
    sample_name: str | None = None
    copied = False

    def failed(code: int, *messages: str) -> int:
        for message in messages:
            inv.error(message)
        if copied:
            node.host(dst).unlink(missing_ok=True)
        inv.error("Creation of container private area failed")
        return code

    if request.config is not None:
        src = node.sample_path(request.config)
        if not node.host(src).is_file():
            return failed(82, f"Sample config {src} not found: No such file or directory")
        if cfg_exists:
            return failed(82, f"Error: container config file {dst} already exists, can not use --config option")
        sample_name = request.config
    else:
        configfile = node.vzconf.get("CONFIGFILE", "")
        if configfile:
            src = node.sample_path(configfile)
            if not node.host(src).is_file():
                return failed(
                    82,
                    f"Sample config {src} not found: No such file or directory",
                    f"Fix the value of CONFIGFILE in {GLOBAL_CONF}",
                )
            if cfg_exists:
                inv.info("Warning: CT config file already exists, not applying a default config sample.")
                inv.info("It might lead to incomplete CT configuration, you can use --applyconfig to fix.")
            else:
                sample_name = configfile
    sample_text = ""
    if sample_name is not None:
        sample_text = node.host(node.sample_path(sample_name)).read_text(encoding="utf-8", errors="replace")
        node.write_config_text(inv.ctid, sample_text)
        copied = True
        inv.reload_conf()

    raw_private = request.private or inv.value("VE_PRIVATE", "/vz/private/$VEID")
    raw_root = request.root or inv.value("VE_ROOT", "/vz/root/$VEID")
    private = expand_veid(raw_private, inv.ctid)
    root = expand_veid(raw_root, inv.ctid)
    private_host = node.host(private)
    if private_host.exists() and (not private_host.is_dir() or any(private_host.iterdir())):
        return failed(44, f"Private area already exists in {private}")

    layout_text = request.layout or inv.conf.get("VE_LAYOUT") or node.vzconf.get("VE_LAYOUT") or "ploop"
    layout = "simfs" if layout_text.startswith("simfs") else "ploop"
    if layout == "ploop" and not node.hostspec.ploop:
        return failed(
            99,
            fsops.PLOOP_UNSUPPORTED,
            "Alternatively, if you can't or don't want to use ploop, please",
            f"add --layout simfs option, or set VE_LAYOUT=simfs in {GLOBAL_CONF}",
        )
    if request.name is not None:
        code = assign_name(inv, request.name, None)
        if code:
            return failed(code)

    ostemplate = request.ostemplate or inv.conf.get("OSTEMPLATE") or node.vzconf.get("DEF_OSTEMPLATE", "")
    if not ostemplate:
        return _unname(inv, request, failed(29, "OS template is not specified"))

    diskspace_kib = _diskspace(request, inv)
    if layout == "ploop" and diskspace_kib <= 0:
        return _unname(inv, request, failed(63, "Error: diskspace not set (required for ploop)"))

    if _find_template(inv, ostemplate) is None and not _download(inv, ostemplate):
        return _unname(
            inv,
            request,
            failed(91, f"Cached OS template {node.template_cache}/{ostemplate}.tar[.gz|.bz2|.xz] not found"),
        )

    create_minor = 0
    if layout == "ploop":
        create_minor = _ploop_create_lines(inv, private, root, diskspace_kib)
    inv.info(f"Creating container private area ({ostemplate})")
    pause(jitter(1.5, 4.0) if layout == "ploop" else jitter(2.8, 6.5))
    hostname = request.hostname or ""
    node.make_private_area(
        inv.ctid, private, layout=layout, ostemplate=ostemplate, diskspace_kib=diskspace_kib, hostname=hostname
    )
    node.host(root).mkdir(parents=True, exist_ok=True)
    if layout == "ploop":
        _ploop_unmount_lines(inv, root, create_minor)
    else:
        fsops.ensure_identity_files(private_host, ostemplate, hostname)
        if inv.value("DISK_QUOTA", "yes").lower() != "no":
            quota = node.host(fsops.quota_file(inv.ctid))
            quota.parent.mkdir(parents=True, exist_ok=True)
            quota.touch()
    if layout == "ploop":
        minor = _minor(inv)
        _ploop_mount_lines(inv, private, root, minor)
        inv.info("Performing postcreate actions")
        pause(0.4)
        _ploop_unmount_lines(inv, root, minor)
    else:
        inv.info("Performing postcreate actions")
        pause(0.4)

    if sample_name is not None:
        text = create_config(
            sample_text,
            request,
            sample_name=sample_name,
            ve_root=raw_root,
            ve_private=raw_private,
            layout=layout,
            ostemplate=ostemplate,
            ctid=inv.ctid,
        )
    else:
        # The config already existed, so no sample was copied: vzctl saves the create's keys into it.
        existing = dataclasses.replace(
            request, root=raw_root, private=raw_private, ostemplate=ostemplate, layout=layout, config=None
        )
        text = save_config(inv.conf_text or "", existing, host_cpus=node.hostspec.cpus, ctid=inv.ctid).text
    node.write_config_text(inv.ctid, text)
    inv.info(f"CT configuration saved to {dst}")
    inv.info("Container private area was created")
    return 0


def _unname(inv: Invocation, request: SetRequest, code: int) -> int:
    """Drop a name assigned earlier in a create that then failed (real vzctl leaves a dangling link)."""
    if request.name and inv.node.ctid_by_name(request.name) == inv.ctid:
        inv.node.set_name(inv.ctid, None)
    return code


def _diskspace(request: SetRequest, inv: Invocation) -> int:
    """The hard DISKSPACE limit in KiB: from the command line, else the sample/CT config, else vz.conf."""
    if request.diskspace is not None:
        return request.diskspace[1]
    raw = inv.conf.get("DISKSPACE") or inv.node.vzconf.get("DISKSPACE", "")
    if not raw:
        return 0
    return disk_limit_kib(raw)


def disk_limit_kib(raw: str) -> int:
    """The hard limit of a DISKSPACE value in KiB as vzctl reads it (suffixes divided and truncated); 0 if bad."""
    try:
        return parse_twoul_sfx(raw, 1024, allow_unlimited=True)[1]
    except BadValueError:
        return 0


def _find_template(inv: Invocation, ostemplate: str) -> str | None:
    """The cached tarball, tried as ``.tar``, ``.tar.gz``, ``.tar.bz2``, ``.tar.xz`` (``Looking for`` at -v)."""
    for suffix in TEMPLATE_SUFFIXES:
        tarball = f"{inv.node.template_cache}/{ostemplate}{suffix}"
        inv.console.debug(f"Looking for {tarball}")
        if inv.host(tarball).is_file():
            return tarball
    return None


def _download(inv: Invocation, ostemplate: str) -> bool:
    """vzctl runs ``vztmpl-dl <template>`` when the cache misses; True when the template then exists."""
    from vztui.sim.runner import load_tool

    tool = load_tool("vztmpl-dl")
    if tool is None:
        inv.console.raw_err(f"vztmpl-dl ERROR: template {ostemplate} not found!\n")
        return False
    code = tool(inv.node, [ostemplate], inv.console.stdout, inv.console.stderr)
    return code == 0 and _find_template(inv, ostemplate) is not None


def _minor(inv: Invocation) -> int:
    state = inv.node.read_state()
    return inv.node.allocate_ploop_minor(state, inv.ctid)


def _ploop_create_lines(inv: Invocation, private: str, root: str, diskspace_kib: int) -> int:
    """libploop's image creation as seen through vzctl (REFERENCE §2.3: exact sequence UNCONFIRMED)."""
    tmp = f"{private}.tmp"
    image = f"{tmp}/root.hdd/root.hdd"
    minor = _minor(inv)
    inv.info(f"Creating image: {image} size={diskspace_kib}K")
    inv.info(f"Creating delta {image} bs=2048 size={diskspace_kib * 2} sectors v2")
    pause(0.3)
    inv.info(f"Adding delta dev=/dev/ploop{minor} img={image} (rw)")
    pause(0.5)
    mnt = f"{tmp}/root.hdd/root.hdd.mnt"
    inv.info(f"Mounting /dev/ploop{minor}p1 at {mnt} fstype=ext4 data='' ")
    inv.info(f"Creating balloon file {BALLOON}")
    inv.info(f"Unmounting file system at {mnt}")
    inv.info(f"Unmounting device /dev/ploop{minor}")
    inv.info(f"Storing {tmp}/root.hdd/DiskDescriptor.xml")
    minor = _minor(inv)
    _ploop_mount_lines(inv, tmp, root, minor)
    return minor


def _ploop_mount_lines(inv: Invocation, private: str, root: str, minor: int) -> None:
    image = f"{private}/root.hdd/root.hdd"
    inv.info(f"Opening delta {image}")
    inv.info(f"Adding delta dev=/dev/ploop{minor} img={image} (rw)")
    pause(0.2)
    inv.info(f"Mounting /dev/ploop{minor}p1 at {root} fstype=ext4 data='balloon_ino=12,' ")


def _ploop_unmount_lines(inv: Invocation, root: str, minor: int) -> None:
    inv.info(f"Unmounting file system at {root}")
    inv.info(f"Unmounting device /dev/ploop{minor}")
    pause(0.1)
