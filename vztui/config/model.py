"""The effective configuration as frozen values, and where each value came from (``Origin``)."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from vztui.backend.nodespec import NodeSpec, TransportKind
from vztui.openvz.presets import Preset


class OriginKind(enum.StrEnum):
    BUILTIN = "built-in"
    SYSTEM = "system file"
    USER = "user file"
    ENV = "env"
    FLAG = "flag"


@dataclass(frozen=True, slots=True)
class Origin:
    """Where one configuration value was set: enough for ``--show-config`` and for error messages."""

    kind: OriginKind
    path: str = ""
    line: int | None = None
    name: str = ""
    """The environment variable or the flag that set the value."""
    via: str = ""
    """For a node value inherited from ``[defaults]``: the defaults key it came through."""

    def __str__(self) -> str:
        if self.kind in (OriginKind.SYSTEM, OriginKind.USER):
            where = f"{self.kind} {self.path}" + (f":{self.line}" if self.line else "")
        elif self.kind in (OriginKind.ENV, OriginKind.FLAG):
            where = f"{self.kind} {self.name}"
        else:
            where = str(self.kind)
        return f"{where} via [defaults]" if self.via else where

    def inherited(self, via: str) -> Origin:
        return Origin(self.kind, self.path, self.line, self.name, via)


BUILTIN = Origin(OriginKind.BUILTIN)


@dataclass(frozen=True, slots=True)
class DefaultsConfig:
    """``[defaults]``: session settings plus the values every node inherits unless its own table overrides them."""

    refresh: float = 2.0
    transport: TransportKind = TransportKind.PARAMIKO
    concurrency: int = 4
    """Operations run in parallel per node (a node's ``max_parallel`` overrides it)."""
    read_only: bool = False
    """The whole session is read-only (``--read-only``): the backend refuses every mutating operation."""
    theme: str | None = None
    user: str | None = None
    port: int | None = None
    identity_file: str | None = None
    sudo: bool = False
    connect_timeout: float = 10.0
    command_timeout: float = 60.0
    journal_dir: str | None = None
    """Where operations are journaled; None means the platformdirs user state directory."""


@dataclass(frozen=True, slots=True)
class NodeConfig:
    """One ``[nodes.NAME]`` table with ``[defaults]`` already applied."""

    name: str
    host: str = ""
    port: int | None = None
    user: str | None = None
    identity_file: str | None = None
    transport: TransportKind = TransportKind.PARAMIKO
    sudo: bool = False
    read_only: bool = False
    protected: bool = False
    refresh: float = 2.0
    max_parallel: int = 4
    root_prefix: str = ""
    path: str = ""
    connect_timeout: float = 10.0
    command_timeout: float = 60.0
    ssh_options: tuple[str, ...] = ()
    """Extra ``-o Key=Value`` options for the OpenSSH transport (legacy CentOS 6 sshd: ssh-rsa, SHA-1 kex)."""

    def to_spec(self) -> NodeSpec:
        return NodeSpec(
            name=self.name,
            host=self.host,
            port=self.port,
            user=self.user,
            identity_file=self.identity_file,
            transport=self.transport,
            sudo=self.sudo,
            read_only=self.read_only,
            protected=self.protected,
            refresh=self.refresh,
            max_parallel=self.max_parallel,
            root_prefix=self.root_prefix,
            path=self.path,
            connect_timeout=self.connect_timeout,
            command_timeout=self.command_timeout,
            ssh_options=self.ssh_options,
        )


@dataclass(frozen=True, slots=True)
class UiConfig:
    """``[ui]``: how the dashboard looks. Column ids are the container table's (checked by the UI when it starts)."""

    cluster_name: str = "cluster"
    theme: str | None = None
    columns: tuple[str, ...] | None = None
    mouse: bool = True


PresetConfig = Preset
"""A ``[presets.NAME]`` table is the domain's ``Preset``: ordered ``vzctl set`` parameters, validated on creation."""


def _empty_origins() -> Mapping[str, Origin]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Config:
    """The effective configuration. ``provenance`` maps dotted keys (``nodes.hn1.port``) to their ``Origin``."""

    defaults: DefaultsConfig = field(default_factory=DefaultsConfig)
    nodes: Mapping[str, NodeConfig] = field(default_factory=lambda: MappingProxyType({}))
    presets: Mapping[str, PresetConfig] = field(default_factory=lambda: MappingProxyType({}))
    keymap: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    ui: UiConfig = field(default_factory=UiConfig)
    provenance: Mapping[str, Origin] = field(default_factory=_empty_origins)
    user_path: Path | None = None
    """The user file in effect (``--config``/``VZTUI_CONFIG`` or the platformdirs default); may not exist yet."""
    loaded_files: tuple[Path, ...] = ()

    @property
    def read_only(self) -> bool:
        return self.defaults.read_only

    @property
    def theme(self) -> str | None:
        """``[ui] theme`` wins over ``[defaults] theme``."""
        return self.ui.theme or self.defaults.theme

    def origin(self, key: str) -> Origin:
        return self.provenance.get(key, BUILTIN)

    def node_specs(self, only: Sequence[str] | None = None) -> list[NodeSpec]:
        """NodeSpecs in file order; ``only`` restricts to those names (in the order given).

        Raises KeyError naming the first unknown node in ``only``.
        """
        if only is None:
            return [node.to_spec() for node in self.nodes.values()]
        specs = []
        for name in dict.fromkeys(only):
            if name not in self.nodes:
                raise KeyError(name)
            specs.append(self.nodes[name].to_spec())
        return specs
