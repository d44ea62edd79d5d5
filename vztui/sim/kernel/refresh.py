"""Keep ``ROOT/proc`` current: regenerate every kernel file when it is older than ~0.5 s or the node changed.

Called by the tool runner before and after every tool call and by the ``vztui-sim kernel`` ticker. Files are written
to a temp name and renamed, so a reader (the poller over SSH, a ``cat``) never sees half a file.
"""

from __future__ import annotations

import os
import pickle
import shutil
from pathlib import Path

from vztui.sim.kernel import carry, procfs
from vztui.sim.kernel.model import DiskFigures, KernelModel, NodeFigures, disk_figures
from vztui.sim.node import CONF_DIR, SimNode
from vztui.sim.state import NodeState

FIGURES = "figures.pickle"
"""The figures the current /proc files were rendered from, so a tool can reuse them instead of recomputing."""
MAX_AGE = 0.5
PER_CT_MAX_AGE = 5.0
"""Per-CT files (bc/<id>/resources, fairsched/<id>/cpu.nr_cpus) are rewritten at least this often by tool calls."""
STAMP = ".vzsim-stamp"
CT_STAMP = ".vzsim-stamp-ct"


def is_fresh(node: SimNode, now: float) -> bool:
    """True when /proc was written less than MAX_AGE ago from the state and configs the node has now."""
    return _stamp_valid(node, STAMP, now, MAX_AGE)


def _stamp_valid(node: SimNode, name: str, now: float, max_age: float) -> bool:
    path = node.root / "proc" / name
    try:
        info = os.stat(path)
        recorded = path.read_text(encoding="ascii").splitlines()
    except (FileNotFoundError, UnicodeDecodeError):
        return False
    stamp = info.st_mtime
    if now - stamp >= max_age or stamp > now + 1:
        return False
    return len(recorded) == 2 and recorded[1] == inputs_key(node)


def inputs_key(node: SimNode) -> str:
    """The state file and the config directory as the file system shows them now (inode, mtime in ns, size).

    Recorded in the stamp when /proc is computed, taken *before* the state is read: /proc is fresh only while this
    is unchanged. (Comparing the state's mtime with the time the stamp was written was a race: a ``vzctl stop``
    landing between a refresher reading the state and writing its stamp left figures computed from the old state
    looking newer than the change, and for half a second ``vzlist`` showed the stopped CT running.) The state is
    replaced on every write, so its inode changes even within one tick of the file system's coarse clock.
    """
    parts = []
    for path in (node.store.path, node.host(CONF_DIR)):
        try:
            info = os.stat(path)
        except FileNotFoundError:
            parts.append("-")
            continue
        parts.append(f"{info.st_ino}:{info.st_mtime_ns}:{info.st_size}")
    return " ".join(parts)


def load_configs(node: SimNode, state: NodeState) -> dict[int, dict[str, str]]:
    """The configuration each running or mounted CT runs with: its config file, overlaid with what ``vzctl set``
    applied live without ``--save`` (the kernel follows those until the CT stops, as on a real node)."""
    configs: dict[int, dict[str, str]] = {}
    for ctid, runtime in state.cts.items():
        if runtime.running or runtime.mounted:
            conf = node.read_config(ctid)
            if conf is not None:
                live = runtime.extra.get("live_conf") if runtime.running else None
                if isinstance(live, dict) and live:
                    conf = {**conf, **{str(key): str(value) for key, value in live.items()}}
                configs[ctid] = conf
    return configs


def compute(node: SimNode, now: float | None = None) -> tuple[NodeFigures, NodeState, dict[int, dict[str, str]]]:
    """The node's figures at ``now``, recording any regime change first (see ``carry``)."""
    t = node.now() if now is None else now
    state = node.read_state()
    configs = load_configs(node, state)
    if carry.needs_update(state, configs):
        with node.transaction() as locked:
            configs = load_configs(node, locked)
            carry.update(node, locked, configs, t)
            state = locked
    return KernelModel(node).figures(state, t, configs), state, configs


def quota_disks(
    node: SimNode, state: NodeState, configs: dict[int, dict[str, str]], t: float
) -> dict[int, tuple[str, DiskFigures]]:
    """simfs CTs whose quota is running (see ``SimNode.quota_active``): what /proc/vz/vzquota lists, in the order
    their quota was switched on (at mount or start: started_at, a mounted-only CT first)."""
    disks: dict[int, tuple[str, DiskFigures]] = {}
    since = {ctid: runtime.started_at or 0.0 for ctid, runtime in state.cts.items()}
    for ctid in sorted(configs, key=lambda ctid: (since.get(ctid, 0.0), ctid)):
        conf = configs[ctid]
        runtime = state.cts.get(ctid)
        if ctid and runtime is not None and node.quota_active(ctid, conf, runtime):
            disks[ctid] = (node.ve_private(ctid, conf), disk_figures(node, ctid, conf, t))
    return disks


def refresh(node: SimNode, *, force: bool = False, now: float | None = None) -> bool:
    """Rewrite ROOT/proc if stale; returns True when files were written.

    A tool call (``force=False``) rewrites the per-CT files only when the node changed or they are older than
    PER_CT_MAX_AGE, which keeps a 200-CT node's tool start-up cheap; the ticker (``force=True``) rewrites all.
    """
    t = node.now() if now is None else now
    if not force and is_fresh(node, t):
        return False
    if not node.root.is_dir():
        return False
    per_ct = force or not _per_ct_fresh(node, t)
    inputs = inputs_key(node)
    figures, state, configs = compute(node, t)
    node.remember_figures(figures)
    write_all(node, figures, quota_disks(node, state, configs, t), per_ct=per_ct, inputs=inputs)
    return True


def _per_ct_fresh(node: SimNode, now: float) -> bool:
    return _stamp_valid(node, CT_STAMP, now, PER_CT_MAX_AGE)


def write_all(
    node: SimNode,
    fig: NodeFigures,
    disks: dict[int, tuple[str, DiskFigures]],
    *,
    per_ct: bool = True,
    inputs: str = "",
) -> None:
    """Write /proc from ``fig``; ``inputs`` (``inputs_key`` as seen before the figures' state was read) goes into
    the stamps, and an empty one never counts as fresh."""
    proc = node.root / "proc"
    rows = procfs.ct_rows(fig)
    files = {
        "user_beancounters": procfs.user_beancounters(fig, rows),
        "bc/resources": procfs.bc_resources(fig, rows),
        "vz/veinfo": procfs.veinfo(fig),
        "vz/vestat": procfs.vestat(fig),
        "vz/vzquota": procfs.vzquota(disks),
        "vz/version": procfs.vz_version(fig),
        "fairsched": procfs.fairsched(fig),
        "meminfo": procfs.meminfo(fig),
        "loadavg": procfs.loadavg(fig),
        "uptime": procfs.uptime(fig),
        "stat": procfs.stat(fig),
        "cpuinfo": procfs.cpuinfo(fig),
        "version": procfs.version(fig),
        "sys/kernel/threads-max": procfs.threads_max(fig),
    }
    if fig.host.vswap:
        files["vz/vswap"] = ""
    if fig.host.ploop:
        files["vz/ploop_minor"] = ""
    if per_ct:
        for ctid, ct in fig.cts.items():
            files[f"bc/{ctid}/resources"] = procfs.bc_ct_resources(rows, ctid)
            nr_cpus = f"vz/fairsched/{ctid}/cpu.nr_cpus"
            if _read(proc / nr_cpus) != f"{ct.cpus}\n":
                files[nr_cpus] = f"{ct.cpus}\n"
    suffix = f".{os.getpid()}.tmp"
    made: set[Path] = set()
    for name, text in files.items():
        path = proc / name
        if path.parent not in made:
            path.parent.mkdir(parents=True, exist_ok=True)
            made.add(path.parent)
        _replace_text(path, path.with_name(path.name + suffix), text)
    _save_figures(node, fig, suffix)
    stamps = [STAMP]
    if per_ct:
        _drop_stale_bc_dirs(proc / "bc", set(fig.cts))
        _drop_stale_bc_dirs(proc / "vz" / "fairsched", set(fig.cts))
        stamps.append(CT_STAMP)
    for name in stamps:
        stamp = proc / name
        tmp = stamp.with_name(name + suffix)
        tmp.write_text(procfs.stamp(fig) + (inputs or "unknown inputs") + "\n", encoding="ascii")
        os.utime(tmp, (fig.t, fig.t))
        os.replace(tmp, stamp)


def _save_figures(node: SimNode, fig: NodeFigures, suffix: str) -> None:
    path = node.state_dir / FIGURES
    tmp = path.with_name(FIGURES + suffix)
    with open(tmp, "wb") as handle:
        pickle.dump(fig, handle, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, path)


def fresh_figures(node: SimNode, now: float | None = None) -> NodeFigures | None:
    """The figures behind /proc when /proc is fresh (see ``is_fresh``), else None (the caller computes them)."""
    t = node.now() if now is None else now
    if not is_fresh(node, t):
        return None
    try:
        with open(node.state_dir / FIGURES, "rb") as handle:
            # Written by this simulator (write_all) under the node's own state directory, never by a user.
            figures = pickle.load(handle)  # noqa: S301
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        return None
    return figures if isinstance(figures, NodeFigures) and abs(figures.t - t) < MAX_AGE + 1 else None


def _read(path: Path) -> str | None:
    try:
        with open(path, encoding="ascii") as handle:
            return handle.read()
    except OSError:
        return None


def _replace_text(path: Path, tmp: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically. Tool calls refresh /proc concurrently (the queue runs several vzctl
    at once on a node), and one whose figures predate a CT's start drops that CT's ``bc/<id>`` directory as stale
    while another writes into it: the writer then makes the directory again (a few times, not forever) instead of
    failing the vzctl it runs under with an internal error (seen in a 30-CT bulk restart)."""
    for attempt in range(3):
        try:
            with open(tmp, "w", encoding="ascii") as handle:
                handle.write(text)
            os.replace(tmp, path)
            return
        except FileNotFoundError:
            if attempt == 2:
                raise
            path.parent.mkdir(parents=True, exist_ok=True)


def _drop_stale_bc_dirs(bc: Path, running: set[int]) -> None:
    try:
        entries = os.listdir(bc)
    except FileNotFoundError:
        return
    for entry in entries:
        if entry.isdigit() and int(entry) not in running:
            shutil.rmtree(bc / entry, ignore_errors=True)


__all__ = ["MAX_AGE", "compute", "fresh_figures", "is_fresh", "load_configs", "quota_disks", "refresh", "write_all"]
