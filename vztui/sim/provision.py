"""Build a simulated node: vzctl 4.11.1's shipped files, the /vz tree, a template cache, wrappers, and containers.

``init_node`` lays out a bare node exactly as a fresh vzctl 4.11.1 RPM install leaves it; ``provision_ct`` adds a
container the way ``vzctl create`` + ``vzctl set --save`` would have written it (sample text first, then the keys
vzctl appends), fast enough for a 10,000-container cluster.
"""

from __future__ import annotations

import io
import os
import stat
import sys
import tarfile
from collections.abc import Mapping
from importlib import resources
from pathlib import Path

import vztui
from vztui.sim.node import CONF_DIR, DISTS_DIR, GLOBAL_CONF, NAMES_DIR, HostSpec, SimNode
from vztui.sim.runner import TOOLS
from vztui.sim.shconf import expand_veid

DEFAULT_TEMPLATES = (
    "centos-6-x86",
    "centos-6-x86_64",
    "centos-7-x86_64-minimal",
    "debian-7.0-x86_64-minimal",
    "debian-8.0-x86_64-minimal",
    "ubuntu-14.04-x86_64-minimal",
)
SHIPPED_CONF_FILES = ("0.conf", "ve-basic.conf-sample", "ve-vswap-256m.conf-sample")


def data_text(name: str) -> str:
    """A file shipped in ``vztui/sim/data`` (vz.conf with ``@VZDIR@`` = /vz, the stock samples, 0.conf)."""
    return resources.files("vztui.sim").joinpath("data", name).read_text(encoding="utf-8")


def init_node(
    root: Path,
    *,
    host: HostSpec | None = None,
    vzconf_overrides: Mapping[str, str] | None = None,
    templates: tuple[str, ...] = DEFAULT_TEMPLATES,
) -> SimNode:
    """Create a bare node at ``root`` (no containers) and return it; ``root`` may exist but must hold no node."""
    root = root.resolve()
    root.mkdir(parents=True, exist_ok=True)
    spec = host or HostSpec(hostname=root.name)
    vzconf = set_values(data_text("vz.conf"), dict(vzconf_overrides or {}), quote=False)
    node = SimNode(root)
    node.atomic_write(node.host(GLOBAL_CONF), vzconf)
    for name in SHIPPED_CONF_FILES:
        node.atomic_write(node.host(f"{CONF_DIR}/{name}"), data_text(name))
    for directory in (NAMES_DIR, DISTS_DIR, "/var/log", "/var/vzquota", "/etc/sysconfig"):
        node.host(directory).mkdir(parents=True, exist_ok=True)
    node.host(f"{DISTS_DIR}/default").write_text(_DIST_DEFAULT, encoding="ascii")
    node.host("/etc/vz/download.conf").write_text(_DOWNLOAD_CONF, encoding="ascii")
    node.host("/etc/hostname").write_text(spec.hostname + "\n", encoding="ascii")
    node.host("/etc/resolv.conf").write_text("nameserver 10.0.0.2\nnameserver 10.0.0.3\n", encoding="ascii")
    node.host("/var/log/vzctl.log").touch()
    sysconfig = node.host("/etc/sysconfig/vz")
    if not sysconfig.is_symlink():
        sysconfig.symlink_to(GLOBAL_CONF)
    for key in ("VE_PRIVATE", "VE_ROOT"):
        parent = os.path.dirname(expand_veid(node.vzconf_value(key), 0))
        node.host(parent).mkdir(parents=True, exist_ok=True)
    for directory in (node.lockdir, node.dumpdir, node.template_cache):
        node.host(directory).mkdir(parents=True, exist_ok=True)
    for template in templates:
        write_template(node, template)
    node.write_hostspec(spec)
    write_wrappers(node)
    node.refresh_proc(force=True)
    return node


def write_template(node: SimNode, ostemplate: str) -> None:
    """A small but real ``<ostemplate>.tar.gz`` in the template cache (a root tree with os-release)."""
    path = node.host(f"{node.template_cache}/{ostemplate}.tar.gz")
    if path.exists():
        return
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for directory in ("./", "./etc/", "./bin/", "./sbin/", "./root/", "./var/", "./var/log/", "./tmp/"):
            info = tarfile.TarInfo(directory)
            info.type = tarfile.DIRTYPE
            info.mode = 0o755
            archive.addfile(info)
        distro, _, rest = ostemplate.partition("-")
        body = f'NAME="{distro.capitalize()}"\nVERSION_ID="{rest.split("-", 1)[0]}"\nID={distro}\n'.encode()
        info = tarfile.TarInfo("./etc/os-release")
        info.size = len(body)
        info.mode = 0o644
        archive.addfile(info, io.BytesIO(body))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())


def write_wrappers(node: SimNode) -> None:
    """``ROOT/bin/<tool>`` for every simulated tool: a tiny Python script bound to this node's ROOT.

    ``-I -S`` keeps interpreter start-up short (no site-packages scan); the package directory is put on sys.path
    explicitly, so the wrappers also work from an sshd session with a minimal environment.
    """
    bin_dir = node.root / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    package_parent = str(Path(vztui.__file__).resolve().parent.parent)
    for tool in TOOLS:
        script = (
            f"#!{sys.executable} -IS\n"
            f"# vztui simulator: `{tool}` on the simulated node {node.root}\n"
            "import sys\n"
            f"sys.path.insert(0, {package_parent!r})\n"
            "from vztui.sim.runner import wrapper_main\n"
            f"wrapper_main({str(node.root)!r}, {tool!r})\n"
        )
        path = bin_dir / tool
        path.write_text(script, encoding="utf-8")
        path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


def set_values(text: str, updates: Mapping[str, str], *, quote: bool = True) -> str:
    """vzctl's save rule: rewrite the first ``KEY=`` line in place, append keys not present, keep the rest."""
    lines = text.splitlines()
    pending = dict(updates)
    for index, line in enumerate(lines):
        key = line.partition("=")[0]
        if key in pending and "=" in line and not line.lstrip().startswith("#"):
            lines[index] = _line(key, pending.pop(key), quote)
    lines.extend(_line(key, value, quote) for key, value in pending.items())
    return "\n".join(lines) + "\n"


def _line(key: str, value: str, quote: bool) -> str:
    return f'{key}="{value}"' if quote else f"{key}={value}"


def provision_ct(
    node: SimNode,
    ctid: int,
    *,
    ostemplate: str,
    layout: str = "ploop",
    sample: str = "vswap-256m",
    settings: Mapping[str, str] | None = None,
    name: str | None = None,
    created_at: float | None = None,
) -> None:
    """Create CT ``ctid`` as ``vzctl create`` (+ ``vzctl set --save`` of ``settings``) would leave it, stopped."""
    sample_text = node.host(node.sample_path(sample)).read_text(encoding="utf-8")
    created = {
        "VE_ROOT": node.vzconf_value("VE_ROOT", "/vz/root/$VEID"),
        "VE_PRIVATE": node.vzconf_value("VE_PRIVATE", "/vz/private/$VEID"),
        "VE_LAYOUT": layout,
        "OSTEMPLATE": ostemplate,
        "ORIGIN_SAMPLE": sample,
    }
    text = set_values(set_values(sample_text, created), dict(settings or {}))
    conf = node.read_config(ctid)
    if conf is not None:
        raise FileExistsError(node.conf_path(ctid))
    node.write_config_text(ctid, text)
    from vztui.sim.shconf import parse_shell_conf

    values = parse_shell_conf(text)
    private = node.ve_private(ctid, values)
    diskspace = values.get("DISKSPACE", "2G:2.2G").split(":")[-1]
    node.make_private_area(
        ctid,
        private,
        layout=layout,
        ostemplate=ostemplate,
        diskspace_kib=_kib(diskspace),
        hostname=values.get("HOSTNAME", ""),
    )
    node.host(node.ve_root(ctid, values)).mkdir(parents=True, exist_ok=True)
    if not layout.startswith("ploop") and node.vzconf_value("DISK_QUOTA", "yes").lower() != "no":
        quota = node.host(node.quota_file(ctid))
        quota.parent.mkdir(parents=True, exist_ok=True)
        quota.touch()
    if created_at is not None:
        os.utime(node.host(private), (created_at, created_at))
    if name:
        node.set_name(ctid, name)


def _kib(text: str) -> int:
    from vztui.openvz.units import Unit, parse_size

    try:
        return parse_size(text, unit=Unit.KIB)
    except ValueError:
        return 2 * 1024 * 1024


_DIST_DEFAULT = """\
# Default distribution scripts (simulated node)
ADD_IP=redhat-add_ip.sh
DEL_IP=redhat-del_ip.sh
SET_HOSTNAME=redhat-set_hostname.sh
SET_DNS=set_dns.sh
SET_USERPASS=set_userpass.sh
SET_UGID_QUOTA=set_ugid_quota.sh
POST_CREATE=postcreate.sh
"""

_DOWNLOAD_CONF = """\
## Configuration file for vztmpl-dl
UPDATE_TEMPLATE=no
CHECK_TEMPLATE_SIG=yes
QUIET=no
TMPL_REPO_PREFIX=http://download.openvz.org/template/precreated
TEMPLATE_REPOS="$TMPL_REPO_PREFIX $TMPL_REPO_PREFIX/contrib"
"""
