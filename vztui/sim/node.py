"""``SimNode``: one simulated hardware node over a directory ROOT, the API every simulated tool builds on.

ROOT mirrors a real node's filesystem (``ROOT/etc/vz/vz.conf``, ``ROOT/etc/vz/conf/101.conf``,
``ROOT/vz/private/101`` …). Tools think and print in *node paths* (``/vz/private/101``); ``host()`` maps one to
the real file under ROOT. Nothing a tool prints may contain ROOT.

How a tool (vzctl, vzmigrate, vzlist …) uses it::

    node = SimNode(root)
    ctid = node.resolve_ctid("web1")           # CTID or name → int, None if neither
    conf = node.read_config(ctid)              # dict or None; node.read_config_text(ctid) for the raw text
    private = node.ve_private(ctid, conf)      # "/vz/private/101" ($VEID expanded, CT config over vz.conf)
    with node.lock_ct(ctid, "starting", stdout=out):   # raises CtLockedError (print .messages, exit 9)
        with node.transaction() as state:      # exclusive fcntl lock over the node's runtime state
            rt = state.ct(ctid)
            rt.running = rt.mounted = True
            rt.started_at = node.now()
            rt.ploop_minor = node.allocate_ploop_minor(state, ctid)
        node.write_config_text(ctid, new_text) # atomic (.tmp + rename); display path: node.conf_path(ctid)

Runtime state (running/mounted/start time/ploop device/snapshots) is in ``state.py``; "suspended" is the existence
of ``node.dump_file(ctid)``, as in vzctl. /proc is refreshed by the tool runner before and after every tool call;
a long operation may call ``node.refresh_proc()`` itself after changing state. Also here: ``kernel_figures()`` (the
kernel model's numbers now, the same ones /proc shows), ``quota_active()``, ``peer(address)`` (another node of the
cluster, for vzmigrate), ``make_private_area()``/``remove_private_area()``, ``find_template()``, ``set_name()``.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from vztui.sim.ctlock import CtLock, CtLockedError, acquire
from vztui.sim.shconf import expand_veid, parse_shell_conf
from vztui.sim.state import STATE_DIR, CtRuntime, NodeState, SnapshotRecord, StateStore

SIM_NOW_ENV = "VZTUI_SIM_NOW"
"""Set to epoch seconds to freeze the simulator's clock (see ``SimNode.now``)."""

__all__ = [
    "CtLock",
    "CtLockedError",
    "CtRuntime",
    "HostSpec",
    "NodeState",
    "SimNode",
    "SnapshotRecord",
]

GLOBAL_CONF = "/etc/vz/vz.conf"
CONF_DIR = "/etc/vz/conf"
NAMES_DIR = "/etc/vz/names"
DISTS_DIR = "/etc/vz/dists"
HOST_FILE = "host.json"
PEERS_FILE = "peers.json"
QUOTA_DIR = "/var/vzquota"
PLOOP_MINOR_RANGE = (10000, 65000)
TEMPLATE_SUFFIXES = (".tar", ".tar.gz", ".tar.bz2", ".tar.xz")
"""The order ``vzctl create`` looks for a cached template (REFERENCE §6.7)."""


@dataclass(frozen=True, slots=True)
class HostSpec:
    """The node's hardware and identity: fixed at ``init`` time, read by the kernel model and the tools."""

    hostname: str = "hn1"
    seed: int = 0
    cpus: int = 4
    ram_bytes: int = 16 * 1024**3
    swap_bytes: int = 8 * 1024**3
    bogomips: float = 4799.92
    """Per CPU, as /proc/cpuinfo prints it; vzcpucheck's "Power of the node" is cpus × bogomips × 25."""
    cpu_model: str = "Intel(R) Xeon(R) CPU E5-2620 v3 @ 2.40GHz"
    cpu_mhz: float = 2400.0
    kernel: str = "2.6.32-042stab134.8"
    vz_version: str = "4.11.1"
    boot_time: float = 0.0
    """Wall-clock time the node "booted" (uptime, /proc/stat btime)."""
    vswap: bool = True
    ploop: bool = True
    disk_kib: int = 500 * 1024**2
    """Size of the /vz filesystem in KiB (df and vzmigrate's free-space checks)."""

    def to_json(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> HostSpec:
        known = {name: data[name] for name in cls.__slots__ if name in data}
        return cls(**known)


class SimNode:
    """One simulated node. Cheap to construct; everything is read lazily and cached per instance.

    Instances live for one tool call: config files may change between calls, and caches (vz.conf, host spec)
    assume they do not change *during* one.
    """

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root).resolve()
        self.store = StateStore(self.root)
        self._vzconf: dict[str, str] | None = None
        self._host: HostSpec | None = None
        self._figures: Any = None
        self._configs: dict[int, tuple[tuple[int, int, int], dict[str, str]]] = {}

    def __repr__(self) -> str:
        return f"SimNode({str(self.root)!r})"

    # --- paths ---------------------------------------------------------------------------------------------------

    def host(self, node_path: str) -> Path:
        """The file under ROOT that backs an absolute node path (``/vz/private/101`` → ``ROOT/vz/private/101``)."""
        return self.root / node_path.lstrip("/")

    def node_path(self, host_path: Path | str) -> str:
        """The node path of a file under ROOT (inverse of ``host``)."""
        relative = Path(host_path).resolve().relative_to(self.root)
        return "/" + relative.as_posix() if relative.parts else "/"

    def exists(self, node_path: str) -> bool:
        return self.host(node_path).exists()

    @property
    def state_dir(self) -> Path:
        return self.root / STATE_DIR

    # --- vz.conf and host ----------------------------------------------------------------------------------------

    @property
    def vzconf(self) -> dict[str, str]:
        """The global vz.conf as parsed values (empty if the file is missing: vzctl exits 10 then)."""
        if self._vzconf is None:
            try:
                text = self.host(GLOBAL_CONF).read_text(encoding="utf-8", errors="replace")
            except FileNotFoundError:
                text = ""
            self._vzconf = parse_shell_conf(text)
        return self._vzconf

    def has_vzconf(self) -> bool:
        return self.host(GLOBAL_CONF).is_file()

    def vzconf_value(self, key: str, default: str = "") -> str:
        return self.vzconf.get(key, default)

    @property
    def hostspec(self) -> HostSpec:
        if self._host is None:
            try:
                data = json.loads((self.state_dir / HOST_FILE).read_text(encoding="utf-8"))
            except FileNotFoundError:
                data = {"hostname": self.root.name}
            self._host = HostSpec.from_json(data)
        return self._host

    def write_hostspec(self, spec: HostSpec) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.atomic_write(self.state_dir / HOST_FILE, json.dumps(spec.to_json(), indent=1) + "\n")
        self._host = spec

    @property
    def lockdir(self) -> str:
        return self.vzconf_value("LOCKDIR", "/vz/lock")

    @property
    def dumpdir(self) -> str:
        return self.vzconf_value("DUMPDIR", "/vz/dump")

    @property
    def template_dir(self) -> str:
        return self.vzconf_value("TEMPLATE", "/vz/template")

    @property
    def template_cache(self) -> str:
        return self.template_dir.rstrip("/") + "/cache"

    # --- per-CT paths --------------------------------------------------------------------------------------------

    @staticmethod
    def conf_path(ctid: int) -> str:
        """``/etc/vz/conf/<ctid>.conf``: the path vzctl prints in "CT configuration saved to …"."""
        return f"{CONF_DIR}/{ctid}.conf"

    def ve_private(self, ctid: int, conf: dict[str, str] | None = None) -> str:
        """VE_PRIVATE of ``ctid`` with ``$VEID`` expanded: the CT config's value, else vz.conf's."""
        raw = (conf or {}).get("VE_PRIVATE") or self.vzconf_value("VE_PRIVATE", "/vz/private/$VEID")
        return expand_veid(raw, ctid)

    def ve_root(self, ctid: int, conf: dict[str, str] | None = None) -> str:
        raw = (conf or {}).get("VE_ROOT") or self.vzconf_value("VE_ROOT", "/vz/root/$VEID")
        return expand_veid(raw, ctid)

    def dump_file(self, ctid: int) -> str:
        """``<DUMPDIR>/Dump.<ctid>``: its existence is what makes a stopped CT "suspended"."""
        return f"{self.dumpdir.rstrip('/')}/Dump.{ctid}"

    def lock_file(self, ctid: int) -> str:
        return f"{self.lockdir.rstrip('/')}/{ctid}.lck"

    @staticmethod
    def quota_file(ctid: int) -> str:
        """``/var/vzquota/quota.<ctid>``: vzquota's file for a simfs CT (created by create/quotainit)."""
        return f"{QUOTA_DIR}/quota.{ctid}"

    def quota_active(self, ctid: int, conf: dict[str, str] | None, runtime: CtRuntime) -> bool:
        """First-level quota is running: a simfs CT with DISK_QUOTA on and a quota file, mounted (or switched on by
        ``vzquota on``, ``extra["quota_on"]``) and not switched off (``extra["quota_off"]``, quotaoff)."""
        if conf is None or self.is_ploop(conf):
            return False
        if not (runtime.running or runtime.mounted or runtime.extra.get("quota_on")):
            return False
        if self.vzconf_value("DISK_QUOTA", "yes").lower() == "no" or conf.get("DISK_QUOTA", "").lower() == "no":
            return False
        return not runtime.extra.get("quota_off") and self.host(self.quota_file(ctid)).exists()

    @staticmethod
    def is_ploop(conf: dict[str, str] | None) -> bool:
        return (conf or {}).get("VE_LAYOUT", "").startswith("ploop")

    def layout(self, ctid: int, conf: dict[str, str] | None) -> str:
        """``ploop`` or ``simfs``: VE_LAYOUT, else what the private area looks like (as vzctl guesses)."""
        value = (conf or {}).get("VE_LAYOUT", "")
        if value:
            return value.split(":", 1)[0]
        private = self.host(self.ve_private(ctid, conf))
        return "ploop" if (private / "root.hdd").is_dir() else "simfs"

    # --- configs -------------------------------------------------------------------------------------------------

    def read_config_text(self, ctid: int) -> str | None:
        try:
            return self.host(self.conf_path(ctid)).read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return None

    def read_config(self, ctid: int) -> dict[str, str] | None:
        """The parsed config (cached per instance while the file's mtime is unchanged; do not mutate it)."""
        path = self.host(self.conf_path(ctid))
        try:
            info = os.stat(path)
            stamp = (info.st_ino, info.st_mtime_ns, info.st_size)
        except FileNotFoundError:
            self._configs.pop(ctid, None)
            return None
        cached = self._configs.get(ctid)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        text = self.read_config_text(ctid)
        if text is None:
            return None
        values = parse_shell_conf(text)
        self._configs[ctid] = (stamp, values)
        return values

    def write_config_text(self, ctid: int, text: str) -> None:
        """Replace ``<ctid>.conf`` atomically (``<file>.tmp`` then rename, as vzctl does)."""
        self._configs.pop(ctid, None)
        self.atomic_write(self.host(self.conf_path(ctid)), text)

    def config_exists(self, ctid: int) -> bool:
        return self.host(self.conf_path(ctid)).is_file()

    def ctids(self) -> list[int]:
        """Every CTID with a ``<ctid>.conf`` (CT 0 included when 0.conf exists), ascending."""
        directory = self.host(CONF_DIR)
        found: list[int] = []
        try:
            entries = os.listdir(directory)
        except FileNotFoundError:
            return found
        for entry in entries:
            stem, dot, ext = entry.partition(".")
            if ext == "conf" and dot and stem.isdigit():
                found.append(int(stem))
        found.sort()
        return found

    def sample_path(self, name: str) -> str:
        """``/etc/vz/conf/ve-<name>.conf-sample`` for a CONFIGFILE/--config/--applyconfig name."""
        return f"{CONF_DIR}/ve-{name}.conf-sample"

    def samples(self) -> list[str]:
        directory = self.host(CONF_DIR)
        try:
            entries = os.listdir(directory)
        except FileNotFoundError:
            return []
        return sorted(
            e[3 : -len(".conf-sample")] for e in entries if e.startswith("ve-") and e.endswith(".conf-sample")
        )

    # --- names ---------------------------------------------------------------------------------------------------

    def resolve_ctid(self, arg: str) -> int | None:
        """A CTID argument as vzctl/vzlist accept it: a decimal ID (0..VEID_MAX) or a name from /etc/vz/names."""
        if arg.isdigit():
            value = int(arg)
            return value if value <= 2147483644 else None
        return self.ctid_by_name(arg)

    def ctid_by_name(self, name: str) -> int | None:
        if not name or "/" in name or name in (".", ".."):
            return None
        try:
            target = os.readlink(self.host(NAMES_DIR) / name)
        except OSError:
            return None
        stem = os.path.basename(target).partition(".")[0]
        return int(stem) if stem.isdigit() else None

    def set_name(self, ctid: int, name: str | None) -> None:
        """Point ``/etc/vz/names/<name>`` at this CT's config (dropping its old name); ``None`` removes it."""
        directory = self.host(NAMES_DIR)
        directory.mkdir(parents=True, exist_ok=True)
        for entry in os.listdir(directory):
            if self.ctid_by_name(entry) == ctid and entry != name:
                (directory / entry).unlink(missing_ok=True)
        if name:
            link = directory / name
            tmp = directory / f".{name}.{os.getpid()}.tmp"
            tmp.unlink(missing_ok=True)
            os.symlink(self.conf_path(ctid), tmp)
            os.replace(tmp, link)

    def names(self) -> dict[str, int]:
        directory = self.host(NAMES_DIR)
        try:
            entries = os.listdir(directory)
        except FileNotFoundError:
            return {}
        result: dict[str, int] = {}
        for entry in entries:
            ctid = self.ctid_by_name(entry)
            if ctid is not None:
                result[entry] = ctid
        return result

    # --- locks and runtime state ---------------------------------------------------------------------------------

    def lock_ct(self, ctid: int, status: str = "", *, stdout: TextIO | None = None) -> CtLock:
        """Take the CT's vzctl lock (usable as a context manager). Raises ``CtLockedError`` if a live pid holds it."""
        path = self.lock_file(ctid)
        return acquire(self.host(self.lockdir), ctid, status, display_path=path, stdout=stdout)

    def read_state(self) -> NodeState:
        """A snapshot of the runtime state (shared lock)."""
        return self.store.read()

    def runtime(self, ctid: int) -> CtRuntime:
        """The runtime record of one CT (a stopped, unmounted record if the kernel knows nothing of it)."""
        return self.read_state().peek(ctid)

    def transaction(self) -> contextlib.AbstractContextManager[NodeState]:
        """Exclusive read-modify-write of the runtime state; saved atomically when the block ends normally."""
        return self.store.transaction()

    def is_suspended(self, ctid: int) -> bool:
        return self.host(self.dump_file(ctid)).exists()

    def allocate_ploop_minor(self, state: NodeState, ctid: int) -> int:
        """A free ``/dev/ploopN`` number for ``ctid`` (stable-looking, never one in use)."""
        used = state.used_ploop_minors()
        rng = random.Random(f"{self.hostspec.seed}:{ctid}:{state.generation}")  # noqa: S311 - not security
        while True:
            minor = rng.randrange(*PLOOP_MINOR_RANGE)
            if minor not in used:
                return minor

    # --- files ---------------------------------------------------------------------------------------------------

    @staticmethod
    def atomic_write(path: Path, text: str) -> None:
        """Write ``path`` via ``<path>.tmp`` + rename so readers never see half a file."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        try:
            handle = open(tmp, "x", encoding="utf-8")  # noqa: SIM115 - closed below, after the fallback
        except FileExistsError:
            # Another writer (or a crashed one) owns <file>.tmp: never share it.
            tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
            handle = open(tmp, "w", encoding="utf-8")  # noqa: SIM115
        with handle:
            handle.write(text)
        os.replace(tmp, path)

    def find_template(self, ostemplate: str) -> str | None:
        """The node path of the cached tarball for ``ostemplate`` (``.tar``, ``.tar.gz``, … in vzctl's order)."""
        for suffix in TEMPLATE_SUFFIXES:
            candidate = f"{self.template_cache}/{ostemplate}{suffix}"
            if self.host(candidate).is_file():
                return candidate
        return None

    def templates(self) -> list[str]:
        """Cached OS template names (what ``vztmpl-dl --list-local`` prints), sorted."""
        try:
            entries = os.listdir(self.host(self.template_cache))
        except FileNotFoundError:
            return []
        names = set()
        for entry in entries:
            for suffix in TEMPLATE_SUFFIXES[::-1]:
                if entry.endswith(suffix):
                    names.add(entry[: -len(suffix)])
                    break
        return sorted(names)

    # --- private areas -------------------------------------------------------------------------------------------

    def make_private_area(
        self, ctid: int, private: str, *, layout: str, ostemplate: str, diskspace_kib: int, hostname: str = ""
    ) -> None:
        """Lay out a private area as create would leave it: a small root tree (simfs) or a ploop image + XML.

        The ploop image is a sparse file of the configured size, so ``du`` stays tiny while ``ls -l`` looks real.
        """
        from vztui.sim.privatearea import make_private_area

        make_private_area(
            self.host(private),
            layout=layout,
            ostemplate=ostemplate,
            diskspace_kib=diskspace_kib,
            hostname=hostname or f"ct{ctid}",
        )

    def remove_private_area(self, private: str) -> None:
        from vztui.sim.privatearea import remove_tree

        remove_tree(self.host(private))

    # --- other nodes ----------------------------------------------------------------------------------------------

    def peer(self, address: str) -> SimNode | None:
        """The simulated node reachable as ``address`` (vzmigrate's destination), or None if none answers.

        Looks in ``ROOT/var/lib/vzsim/peers.json`` (address → ROOT, written by the cluster builder), then for a
        sibling directory named ``address`` that is a simulated node. ``localhost`` and own names are this node.
        """
        try:
            peers = json.loads((self.state_dir / PEERS_FILE).read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            peers = {}
        target = peers.get(address)
        candidate = Path(target) if target else self.root.parent / address
        if "/" in address or address in ("", ".", ".."):
            candidate = Path(target) if target else Path("/nonexistent")
        if (candidate / STATE_DIR / HOST_FILE).is_file():
            return SimNode(candidate)
        return None

    # --- time and /proc ------------------------------------------------------------------------------------------

    @staticmethod
    def now() -> float:
        """Wall-clock time used for every start time and load figure (one place to patch in tests).

        ``VZTUI_SIM_NOW`` (epoch seconds) freezes it, in this process and in every tool it spawns, so screenshots
        and snapshot tests of a simulated cluster are reproducible.
        """
        frozen = os.environ.get(SIM_NOW_ENV)
        if frozen:
            try:
                return float(frozen)
            except ValueError:
                pass
        return time.time()

    def refresh_proc(self, *, force: bool = False) -> None:
        """Rewrite ROOT/proc from the kernel model if stale (older than ~0.5 s or the state changed)."""
        from vztui.sim.kernel.refresh import refresh

        self._figures = None
        refresh(self, force=force)

    def read_proc(self, name: str) -> str:
        """A kernel file as a tool reads it (``sys/kernel/threads-max`` → ROOT/proc/sys/kernel/threads-max).

        Raises OSError like open(2) does, so a tool can print vzctl's ``Unable to open ...: <strerror>``.
        """
        with open(self.root / "proc" / name, encoding="ascii", errors="replace") as handle:
            return handle.read()

    def kernel_figures(self) -> Any:
        """The kernel model's ``NodeFigures`` now: the ones /proc was just rendered from when it is fresh, else
        computed (once per instance; ``refresh_proc`` renews it)."""
        if self._figures is None:
            from vztui.sim.kernel.refresh import compute, fresh_figures

            self._figures = fresh_figures(self) or compute(self)[0]
        return self._figures

    def remember_figures(self, figures: Any) -> None:
        self._figures = figures
