"""Shared pieces for the operations tests: minimal hand-made snapshots (only what the dialogs read), the fake
cluster with node files for the dialog snapshots, and a host App that mounts nothing but the screen under test.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any

from textual.app import App, ComposeResult
from textual.screen import Screen
from textual.widgets import Static

from tests.ui.fake_cluster import NOW, FakeCluster
from vztui.backend.snapshot import NodeHealth, NodeSnapshot
from vztui.openvz.models import (
    Beancounter,
    Container,
    CtConfig,
    CtStatus,
    Layout,
    NodeCapacity,
    NodeInfo,
    VzConf,
)

CONF_101 = """\
# Sample config (trimmed) for the set preview tests
PHYSPAGES="0:262144"
SWAPPAGES="0:262144"
DISKSPACE="2097152:2306867"
DISKINODES="131072:144179"
QUOTATIME="0"
CPUUNITS="1000"
VE_ROOT="/vz/root/$VEID"
VE_PRIVATE="/vz/private/$VEID"
OSTEMPLATE="centos-6-x86_64"
ORIGIN_SAMPLE="vswap-256m"
HOSTNAME="web1.example.com"
IP_ADDRESS="10.0.0.11"
"""


def ct(
    ctid: int,
    status: str = "running",
    *,
    ips: Sequence[str] = (),
    hostname: str | None = None,
    ostemplate: str | None = "centos-6-x86_64",
    ram_gib: int = 0,
    layout: Layout = Layout.UNKNOWN,
) -> Container:
    """A container; ``ram_gib`` gives it VSwap beancounters (that much RAM, as much swap)."""
    resources = {}
    if ram_gib:
        pages = ram_gib * 1024**3 // 4096
        resources = {name: Beancounter(name, 0, 0, 0, pages, 0) for name in ("physpages", "swappages")}
    return Container(
        ctid=ctid,
        status=CtStatus(status),
        hostname=hostname,
        ips=tuple(ips),
        ostemplate=ostemplate,
        layout=layout,
        resources=MappingProxyType(resources),
    )


def snap(node: str, *containers: Container, health: NodeHealth = NodeHealth.UP) -> NodeSnapshot:
    return NodeSnapshot(
        node=node,
        taken_at=NOW,
        health=health,
        containers=MappingProxyType({container.ctid: container for container in containers}),
    )


def info(
    templates: Sequence[str] = ("centos-6-x86_64", "debian-7.0-x86_64"),
    samples: Sequence[str] = (),
    *,
    private: str = "/vz/private/$VEID",
) -> NodeInfo:
    return NodeInfo(
        hostname="hn1.example.com",
        kernel="2.6.32-042stab145.3",
        vz=VzConf(ve_private=private),
        capacity=NodeCapacity(cpus=4, ram_bytes=16 * 1024**3, swap_bytes=4 * 1024**3),
        templates=tuple(templates),
        samples=tuple(samples),
    )


class _FileTransport:
    """Only what the set form asks of a transport: one file's bytes."""

    def __init__(self, files: Mapping[str, str]) -> None:
        self.files = files

    async def read_file(self, path: str) -> bytes:
        if path not in self.files:
            raise FileNotFoundError(path)
        return self.files[path].encode()


class StaticCluster(FakeCluster):
    """The fake cluster with node files for the dialog tests (the end-to-end tests use the real Cluster): the set
    form reads a CT's config through the node's transport, and ``read_ct_config`` parses the same text."""

    def __init__(
        self,
        snapshots: Mapping[str, NodeSnapshot],
        infos: Mapping[str, NodeInfo | None] | None = None,
        files: Mapping[str, str] | None = None,
    ) -> None:
        known = {node: found for node, found in (infos or {}).items() if found is not None}
        super().__init__(snapshots, infos=known)
        self.files = dict(files or {})

    def transport(self, node: str) -> Any:
        return _FileTransport(self.files)

    async def read_ct_config(self, node: str, ctid: int) -> CtConfig:
        text = self.files[f"/etc/vz/conf/{ctid}.conf"]
        values = {}
        for line in text.splitlines():
            key, sep, value = line.partition("=")
            if sep and not key.startswith("#"):
                values[key] = value.strip('"')
        return CtConfig(ctid=ctid, values=MappingProxyType(values))


class Host(App[None]):
    """Mounts a placeholder and pushes ``make()`` on start; every dismissal result lands in ``results``."""

    def __init__(self, make: Callable[[], Screen[Any]]) -> None:
        super().__init__()
        self._make = make
        self.results: list[Any] = []

    def compose(self) -> ComposeResult:
        yield Static("host")

    def on_mount(self) -> None:
        self.push_screen(self._make(), callback=self.results.append)


async def until(pilot: Any, predicate: Callable[[], object], within: float = 10.0, what: str = "condition") -> None:
    """Let the app run until ``predicate()`` holds (a Pilot test never sleeps a fixed time)."""
    import time

    deadline = time.monotonic() + within
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.02)
