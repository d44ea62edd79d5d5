"""Fixtures for the reliability suite: simulated nodes, their observable state, and isolation from the machine's
own vztui configuration, known_hosts and journal."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.sshd import SshdNode
from vztui.backend.nodespec import NodeSpec, TransportKind
from vztui.sim.cluster import build_cluster

VOLATILE = ("proc/", "var/lib/vzsim/figures.pickle")
"""What a simulated node rewrites on every read (the kernel's /proc, the figures cache): not evidence of a change."""
SMALL_FILE = 1 << 20
STATE_FILE = "var/lib/vzsim/state.json"


@pytest.fixture(autouse=True)
def isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test may read or write the machine's real config, state, known_hosts or journal."""
    for name in list(os.environ):
        if name.startswith("VZTUI_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("VZTUI_SIM_SPEED", "0")
    monkeypatch.setenv("VZTUI_SYSTEM_CONFIG", str(tmp_path / "no-system.toml"))
    for kind in ("CONFIG", "STATE", "DATA", "CACHE"):
        monkeypatch.setenv(f"XDG_{kind}_HOME", str(tmp_path / f"xdg-{kind.lower()}"))


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private HOME: ~/.ssh/known_hosts (read by both SSH transports) is the test's, never the machine's."""
    path = tmp_path / "home"
    (path / ".ssh").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(path))
    return path


def trust_in_home(home: Path, *nodes: SshdNode) -> None:
    """Record the test sshds' host keys in HOME's known_hosts, as an admin who ran ``ssh`` once would have."""
    with (home / ".ssh" / "known_hosts").open("a") as handle:
        for node in nodes:
            handle.write(node.known_hosts.read_text())


def node_state(root: Path) -> dict[str, str]:
    """Every file and directory of a simulated node except the volatile ones, with a content hash.

    Two equal results mean no tool changed the node: configs, runtime state, lock files, private areas, dumps,
    quota files and vzctl.log all count.
    """
    found: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if any(rel == v.rstrip("/") or rel.startswith(v) for v in VOLATILE):
            continue
        if path.is_symlink():
            found[rel] = "link:" + os.readlink(path)
        elif path.is_dir():
            found[rel] = "dir"
        elif rel == STATE_FILE:
            found[rel] = _runtime_digest(path)
        else:
            stat = path.stat()
            if stat.st_size > SMALL_FILE:  # ploop images are sparse and huge: size and mtime say enough
                found[rel] = f"{stat.st_size}:{stat.st_mtime_ns}"
            else:
                found[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def runtime_state(root: Path) -> dict[str, Any]:
    """The simulator's runtime state without its kernel model (counters that move with time, not with commands)."""
    state: dict[str, Any] = json.loads((root / STATE_FILE).read_text())
    state.pop("generation", None)
    extra = state.get("extra")
    if isinstance(extra, dict):
        extra.pop("kernel", None)
    for ct in state.get("cts", {}).values():
        ct.pop("kernel", None)
    return state


def _runtime_digest(path: Path) -> str:
    state = runtime_state(path.parents[len(Path(STATE_FILE).parts) - 1])
    return hashlib.sha256(json.dumps(state, sort_keys=True).encode()).hexdigest()


def vzlist_truth(root: Path) -> dict[int, str]:
    """What the node's own vzlist says about every CT: the ground truth vztui must not have changed."""
    done = subprocess.run(
        [str(root / "bin" / "vzlist"), "-a", "-H", "-o", "ctid,status"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PATH": f"{root / 'bin'}:{os.environ['PATH']}"},
    )
    return {int(line.split()[0]): line.split()[1] for line in done.stdout.splitlines() if line.strip()}


def local_spec(name: str, root: Path, **extra: object) -> NodeSpec:
    """A NodeSpec reaching a simulated node through the local transport."""
    fields: dict[str, object] = {"path": str(root / "bin"), **extra}
    return NodeSpec(name, transport=TransportKind.LOCAL, root_prefix=str(root), **fields)  # type: ignore[arg-type]


def local_config(path: Path, nodes: dict[str, Path], *, journal: Path, extra: str = "") -> Path:
    """A vztui config.toml for simulated nodes over the local transport, journaling into ``journal``."""
    tables = "".join(
        f'[nodes.{name}]\ntransport = "local"\nroot_prefix = "{root}"\npath = "{root / "bin"}"\n{extra}\n'
        for name, root in nodes.items()
    )
    path.write_text(f'[defaults]\njournal_dir = "{journal}"\n\n{tables}', encoding="utf-8")
    return path


@pytest.fixture
def sim(tmp_path: Path) -> dict[str, Path]:
    """Two simulated nodes with six CTs each (every CT state present), built fresh for each test (~0.1 s)."""
    return dict(build_cluster(tmp_path / "cluster", nodes=2, cts=6, seed=7).nodes)
