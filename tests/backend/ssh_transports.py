"""Building each SSH transport against a loopback sshd the same way in every test that needs one.

``make(target=node, *, known=None, **spec)`` returns a transport to ``target`` (the test's node by default) that
trusts the node's real host key unless ``known`` says otherwise; ``spec`` goes to ``SshdNode.spec`` (path, sudo,
root_prefix, …) and, for paramiko, ``keepalive_interval``/``keepalive_count`` to the transport. Every transport made
is closed when the fixture ends.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import paramiko

from tests.sshd import SshdNode
from vztui.backend.hostkeys import KnownHosts
from vztui.backend.nodespec import TransportKind
from vztui.backend.transport import Transport
from vztui.backend.transports.openssh import OpenSshTransport
from vztui.backend.transports.paramiko_ssh import ParamikoTransport

MakeTransport = Callable[..., Transport]


@contextmanager
def control_directory() -> Iterator[Path]:
    """Where ssh keeps its ControlMaster sockets: short on purpose, sun_path holds 108 bytes."""
    path = Path(tempfile.mkdtemp(prefix="vzc", dir="/tmp"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@asynccontextmanager
async def _closing(made: Sequence[Transport]) -> AsyncIterator[None]:
    """Close every transport in ``made`` (filled while the block runs) when it ends."""
    try:
        yield
    finally:
        for transport in made:
            await transport.close()


@asynccontextmanager
async def paramiko_maker(node: SshdNode, scratch: Path) -> AsyncIterator[Callable[..., ParamikoTransport]]:
    made: list[ParamikoTransport] = []

    def make(target: SshdNode = node, *, known: KnownHosts | None = None, **spec: object) -> ParamikoTransport:
        hosts = known or KnownHosts(target.known_hosts, scratch / "vztui_known_hosts")
        options = {k: spec.pop(k) for k in ("keepalive_interval", "keepalive_count") if k in spec}
        transport = ParamikoTransport(
            target.spec(**spec), known_hosts=hosts, ssh_config=paramiko.SSHConfig(), use_agent=False, **options
        )
        made.append(transport)
        return transport

    async with _closing(made):
        yield make


@asynccontextmanager
async def openssh_maker(node: SshdNode, scratch: Path) -> AsyncIterator[Callable[..., OpenSshTransport]]:
    made: list[OpenSshTransport] = []
    with control_directory() as control_dir:

        def make(target: SshdNode = node, *, known: KnownHosts | None = None, **spec: object) -> OpenSshTransport:
            hosts = known or KnownHosts(target.known_hosts, scratch / "vztui_known_hosts")
            transport = OpenSshTransport(
                target.spec(transport=TransportKind.OPENSSH, **spec),
                known_hosts=hosts,
                control_dir=control_dir,
                ssh_config_file="/dev/null",
            )
            made.append(transport)
            return transport

        async with _closing(made):
            yield make
