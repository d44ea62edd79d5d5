"""Mounting and unmounting a container's file system, with libploop's and vzquota's console lines.

A ploop mount prints the three libploop lines (the ``Mounting`` one ends with a space: its last ``%s`` is empty) and
takes a ``/dev/ploopN`` minor from the node state; a simfs mount turns the quota on, initialising it first when the
quota file is missing. The container's files are what ``exec``/``enter`` read: for simfs they are the private area
itself, for ploop the simulator unpacks a small root tree into VE_ROOT while the image is mounted.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from vztui.sim.privatearea import make_private_area
from vztui.sim.vzctl.context import Invocation
from vztui.sim.vzctl.timing import pause

PLOOP_UNSUPPORTED = (
    "No ploop support in the kernel, or kernel is way too old.\n"
    "Make sure you have OpenVZ kernel 042stab058.7 or later running,\n"
    "and kernel ploop modules loaded."
)
QUOTA_DIR = "/var/vzquota"
_CENTOS_POINT = {"5": "5.11", "6": "6.10"}


def image_path(private: str) -> str:
    return f"{private}/root.hdd/root.hdd"


def quota_file(ctid: int) -> str:
    return f"{QUOTA_DIR}/quota.{ctid}"


def quota_enabled(inv: Invocation) -> bool:
    return inv.value("DISK_QUOTA", "yes").lower() != "no"


def check_ploop(inv: Invocation) -> int:
    """0 when the kernel can do ploop, else vzctl's message and VZ_PLOOP_UNSUP (99)."""
    if inv.node.hostspec.ploop:
        return 0
    inv.error(PLOOP_UNSUPPORTED)
    return 99


def mount(inv: Invocation, *, quiet_if_mounted: bool = False) -> int:
    """``vps_mount``: 0 when mounted (also when it already was), else vzctl's exit code."""
    if inv.is_mounted():
        if not quiet_if_mounted:
            inv.error("Container is already mounted")
        return 0
    if not inv.private_exists():
        inv.error(f"Container private area {inv.private} does not exist")
        return 43
    if inv.is_ploop:
        code = check_ploop(inv)
        if code:
            return code
        with inv.node.transaction() as state:
            runtime = state.ct(inv.ctid)
            minor = inv.node.allocate_ploop_minor(state, inv.ctid)
            runtime.ploop_minor = minor
            runtime.mounted = True
        image = image_path(inv.private)
        inv.info(f"Opening delta {image}")
        pause(0.1)
        inv.info(f"Adding delta dev=/dev/ploop{minor} img={image} (rw)")
        pause(0.2)
        inv.info(f"Mounting /dev/ploop{minor}p1 at {inv.root} fstype=ext4 data='balloon_ino=12,' ")
        populate_root(inv)
    else:
        if quota_enabled(inv):
            quota = inv.host(quota_file(inv.ctid))
            if not quota.exists():
                inv.info("Initializing quota ...")
                pause(0.3)
                quota.parent.mkdir(parents=True, exist_ok=True)
                quota.touch()
        inv.host(inv.root).mkdir(parents=True, exist_ok=True)
        with inv.node.transaction() as state:
            state.ct(inv.ctid).mounted = True
        pause(0.1)
    inv.info("Container is mounted")
    return 0


def unmount_lines(inv: Invocation) -> None:
    """Release the mount in the node state, printing libploop's lines for a ploop CT (no final message)."""
    with inv.node.transaction() as state:
        runtime = state.ct(inv.ctid)
        minor = runtime.ploop_minor
        runtime.mounted = False
        runtime.ploop_minor = None
    if inv.is_ploop:
        inv.info(f"Unmounting file system at {inv.root}")
        pause(0.1)
        inv.info(f"Unmounting device /dev/ploop{minor if minor is not None else 0}")
        clear_root(inv)
    pause(0.1)


def umount(inv: Invocation) -> int:
    """``vps_umount``: 40 when not mounted, 32 when running, else unmount and say so."""
    if not inv.is_mounted():
        inv.error("CT is not mounted")
        return 40
    if inv.is_running():
        inv.error("Container is running -- stop it first")
        return 32
    unmount_lines(inv)
    inv.info("Container is unmounted")
    return 0


def ct_files(inv: Invocation) -> Path:
    """The host directory holding the container's files as seen from inside (``/`` of the CT)."""
    if inv.is_ploop:
        return inv.host(inv.root)
    return inv.host(inv.private)


def populate_root(inv: Invocation) -> None:
    """Give a mounted ploop CT a root tree at VE_ROOT (the simulator does not model the ext4 inside the image)."""
    root = inv.host(inv.root)
    root.mkdir(parents=True, exist_ok=True)
    if not (root / "etc").is_dir():
        make_private_area(
            root,
            layout="simfs",
            ostemplate=inv.value("OSTEMPLATE", "centos-6-x86_64"),
            diskspace_kib=0,
            hostname=inv.value("HOSTNAME", "localhost.localdomain"),
        )
    ensure_identity_files(root, inv.value("OSTEMPLATE", ""), inv.conf.get("HOSTNAME", ""))


def clear_root(inv: Invocation) -> None:
    """Empty VE_ROOT after a ploop unmount, as the real mount point is empty then."""
    root = inv.host(inv.root)
    if not root.is_dir():
        return
    for entry in root.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)


def ensure_identity_files(top: Path, ostemplate: str, hostname: str) -> None:
    """``/etc/issue`` from the template and ``/etc/hostname`` from HOSTNAME, as the distro scripts would leave them."""
    etc = top / "etc"
    etc.mkdir(parents=True, exist_ok=True)
    issue = etc / "issue"
    if not issue.exists():
        issue.write_text(issue_text(ostemplate), encoding="utf-8")
    if hostname:
        (etc / "hostname").write_text(hostname + "\n", encoding="utf-8")


def issue_text(ostemplate: str) -> str:
    """What ``/etc/issue`` says for a template name such as ``centos-6-x86_64`` or ``debian-7.0-x86_64-minimal``."""
    distro, _, rest = ostemplate.partition("-")
    version = rest.split("-", 1)[0] if rest else ""
    if distro == "centos":
        if version.startswith("7"):
            return "\\S\nKernel \\r on an \\m\n\n"
        return f"CentOS release {_CENTOS_POINT.get(version, version)} (Final)\nKernel \\r on an \\m\n\n"
    if distro == "debian":
        return f"Debian GNU/Linux {version.split('.', 1)[0]} \\n \\l\n\n"
    if distro == "ubuntu":
        return f"Ubuntu {version} LTS \\n \\l\n\n"
    if distro == "suse":
        return f"Welcome to openSUSE {version} - Kernel \\r (\\l).\n\n"
    name = distro.capitalize() or "Linux"
    return f"{name} {version}\nKernel \\r on an \\m\n\n".replace(" \nKernel", "\nKernel")
