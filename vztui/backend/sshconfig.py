"""What ``~/.ssh/config`` says about a node, merged with its NodeSpec: the address paramiko actually dials.

Honoured keys: HostName, User, Port, IdentityFile, ProxyJump, ProxyCommand, ConnectTimeout. Explicit NodeSpec
fields win over the file (the vztui config is the more specific one), except that HostName resolves the alias like
``ssh`` does.
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass
from pathlib import Path

import paramiko

from vztui.backend.nodespec import NodeSpec

DEFAULT_IDENTITIES = ("id_ed25519", "id_ecdsa", "id_rsa")


@dataclass(frozen=True, slots=True)
class JumpHost:
    host: str
    port: int | None = None
    user: str | None = None


@dataclass(frozen=True, slots=True)
class SshTarget:
    """A fully resolved destination."""

    alias: str
    hostname: str
    port: int
    user: str
    identity_files: tuple[str, ...]
    connect_timeout: float
    proxy_jump: tuple[JumpHost, ...] = ()
    proxy_command: str = ""
    """Run without a shell (split like a command line), with ``%h``/``%p``/``%r`` already expanded by paramiko."""
    explicit_identity: bool = False
    """True when the user named identity files (then default keys are not tried, like ``IdentitiesOnly``-ish)."""


def default_config_path() -> Path:
    return Path.home() / ".ssh" / "config"


def load_ssh_config(path: Path | None = None) -> paramiko.SSHConfig:
    """The parsed file, or an empty config when there is none (a missing ~/.ssh/config is normal)."""
    path = path or default_config_path()
    try:
        return paramiko.SSHConfig.from_path(str(path))
    except FileNotFoundError:
        return paramiko.SSHConfig()


def parse_proxy_jump(value: str) -> tuple[JumpHost, ...]:
    """``[user@]host[:port][,…]`` (also ``ssh://user@host:port``); ``none`` disables the jump."""
    if not value or value.strip().lower() == "none":
        return ()
    hops: list[JumpHost] = []
    for raw in value.split(","):
        hop = raw.strip().removeprefix("ssh://")
        user: str | None = None
        if "@" in hop:
            user, hop = hop.rsplit("@", 1)
        port: int | None = None
        if hop.startswith("["):
            host, _, rest = hop[1:].partition("]")
            if rest.startswith(":"):
                port = int(rest[1:])
        elif hop.count(":") == 1:
            host, port_text = hop.split(":")
            port = int(port_text)
        else:
            host = hop
        if not host:
            raise ValueError(f"bad ProxyJump hop {raw!r}")
        hops.append(JumpHost(host, port, user or None))
    return tuple(hops)


def _proxy_command(found: paramiko.SSHConfigDict) -> str:
    command = str(found.get("proxycommand", "")).strip()
    return "" if command.lower() == "none" else command


def resolve(
    alias: str,
    *,
    port: int | None = None,
    user: str | None = None,
    identity_file: str | None = None,
    connect_timeout: float = 10.0,
    config: paramiko.SSHConfig | None = None,
) -> SshTarget:
    """Resolve ``alias`` through the ssh config, explicit arguments taking precedence."""
    config = config if config is not None else load_ssh_config()
    found = config.lookup(alias)
    hostname = str(found.get("hostname", alias))
    resolved_port = port or int(found.get("port", 22))
    resolved_user = user or str(found.get("user") or getpass.getuser())
    if identity_file:
        identities: tuple[str, ...] = (os.path.expanduser(identity_file),)
    else:
        identities = tuple(os.path.expanduser(str(p)) for p in found.get("identityfile", []))
    explicit = bool(identities)
    if not identities:
        ssh_dir = Path.home() / ".ssh"
        identities = tuple(str(ssh_dir / name) for name in DEFAULT_IDENTITIES)
    timeout = float(found["connecttimeout"]) if "connecttimeout" in found else connect_timeout
    return SshTarget(
        alias=alias,
        hostname=hostname,
        port=resolved_port,
        user=resolved_user,
        identity_files=identities,
        connect_timeout=timeout,
        proxy_jump=parse_proxy_jump(str(found.get("proxyjump", ""))),
        proxy_command=_proxy_command(found),
        explicit_identity=explicit,
    )


def resolve_spec(spec: NodeSpec, config: paramiko.SSHConfig | None = None) -> SshTarget:
    return resolve(
        spec.address,
        port=spec.port,
        user=spec.user,
        identity_file=spec.identity_file,
        connect_timeout=spec.connect_timeout,
        config=config,
    )
