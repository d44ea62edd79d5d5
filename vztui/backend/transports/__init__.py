"""The three ways to reach a node (local subprocess, paramiko, system OpenSSH) behind one ``Transport`` interface.

Conventions shared by all three:

* ``run`` raises ``TransportError`` (or a subclass) when the node cannot be reached or the command cannot be
  delivered, and ``CommandTimeoutError`` after killing a command that overran; a command that fails is a
  ``CommandResult`` with its exit code.
* ``stream`` raises the same errors if the command cannot be *started*; once it runs, anything that cuts it off
  (timeout, lost connection) ends the stream with ``ExitStatus(-1, reason)``. Consume it with
  ``contextlib.aclosing`` so leaving the loop early kills the command at once.
* ``read_file`` raises ``OSError`` subclasses (``FileNotFoundError``, ``PermissionError``) like ``open`` does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vztui.backend.nodespec import NodeSpec, TransportKind
from vztui.backend.transport import Transport
from vztui.backend.transports._command import Launch, remote_command
from vztui.backend.transports.local import LocalTransport

if TYPE_CHECKING:
    from vztui.backend.hostkeys import KnownHosts
    from vztui.backend.transports.openssh import OpenSshTransport
    from vztui.backend.transports.paramiko_ssh import ParamikoTransport

__all__ = ["Launch", "LocalTransport", "OpenSshTransport", "ParamikoTransport", "create_transport", "remote_command"]


def __getattr__(name: str) -> object:
    """The SSH transports load on first use: importing paramiko costs cold start time a local node never needs."""
    if name == "ParamikoTransport":
        from vztui.backend.transports.paramiko_ssh import ParamikoTransport

        return ParamikoTransport
    if name == "OpenSshTransport":
        from vztui.backend.transports.openssh import OpenSshTransport

        return OpenSshTransport
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def create_transport(spec: NodeSpec, *, known_hosts: KnownHosts | None = None) -> Transport:
    """The transport ``spec.transport`` names, not yet connected (SSH transports connect on first use)."""
    if spec.transport is TransportKind.LOCAL:
        return LocalTransport(spec)
    if spec.transport is TransportKind.OPENSSH:
        from vztui.backend.transports.openssh import OpenSshTransport

        return OpenSshTransport(spec, known_hosts=known_hosts)
    from vztui.backend.transports.paramiko_ssh import ParamikoTransport

    return ParamikoTransport(spec, known_hosts=known_hosts)
