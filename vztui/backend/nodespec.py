"""How to reach one hardware node and how vztui may treat it: the backend's view of a ``[nodes.NAME]`` table."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class TransportKind(enum.StrEnum):
    PARAMIKO = "paramiko"
    """Default: one persistent paramiko connection with many channels."""
    OPENSSH = "openssh"
    """The system ``ssh`` client with ControlMaster: for legacy algorithms, Kerberos, exotic ssh_config."""
    LOCAL = "local"
    """vztui runs on the hardware node itself."""


@dataclass(frozen=True, slots=True)
class NodeSpec:
    """Everything the backend needs to connect to and poll one node.

    ``root_prefix`` is prepended to every absolute path vztui *reads* on the node (``/proc/...``, ``/etc/vz/...``);
    it is empty on a real node. It exists for nodes whose OpenVZ tree is mounted elsewhere (a chroot, a rescue
    mount, a test fixture); commands are never rewritten.
    """

    name: str
    host: str = ""
    port: int | None = None
    user: str | None = None
    identity_file: str | None = None
    transport: TransportKind = TransportKind.PARAMIKO
    sudo: bool = False
    read_only: bool = False
    protected: bool = False
    """Mutations need a typed confirmation even for single targets."""
    refresh: float = 2.0
    max_parallel: int = 4
    root_prefix: str = ""
    path: str = ""
    """Extra directories prepended to PATH for commands on this node (a real node needs none)."""
    connect_timeout: float = 10.0
    command_timeout: float = 60.0
    ssh_options: tuple[str, ...] = ()
    """Extra ``-o Key=Value`` options for the OpenSSH transport. A CentOS 6 sshd needs
    ``HostKeyAlgorithms=+ssh-rsa``, ``PubkeyAcceptedAlgorithms=+ssh-rsa`` and
    ``KexAlgorithms=+diffie-hellman-group14-sha1`` (see ``vztui.backend.transports.openssh.LEGACY_OPTIONS``).
    """

    @property
    def address(self) -> str:
        return self.host or self.name
