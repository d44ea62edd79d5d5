"""What every command does first: turn flags into config overrides, load the config, pick the nodes."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from vztui.backend.nodespec import NodeSpec
from vztui.cli import exitcodes
from vztui.cli.errors import CliError
from vztui.config import Config, default_state_dir, load_config


def flag_overrides(args: argparse.Namespace) -> dict[str, tuple[object, str]]:
    overrides: dict[str, tuple[object, str]] = {}
    if getattr(args, "read_only", False):
        overrides["defaults.read_only"] = (True, "--read-only")
    if getattr(args, "refresh", None) is not None:
        overrides["defaults.refresh"] = (args.refresh, "--refresh")
    if getattr(args, "theme", None):
        overrides["ui.theme"] = (args.theme, "--theme")
    return overrides


def load(args: argparse.Namespace) -> Config:
    """The effective configuration for this invocation (raises ConfigError → exit 2)."""
    return load_config(config_path=getattr(args, "config", None), overrides=flag_overrides(args))


def select(config: Config, names: list[str] | None) -> list[NodeSpec]:
    """The configured nodes, restricted by ``--node``; an unknown name is a usage error."""
    try:
        specs = config.node_specs(names)
    except KeyError as missing:
        known = ", ".join(config.nodes) or "none configured"
        raise CliError(f"unknown node {missing.args[0]!r} (known: {known})") from None
    if not specs:
        raise CliError(
            "no nodes configured: add one with `vztui nodes add NAME HOST`, or try `vztui --demo`",
            exitcodes.USAGE,
        )
    return specs


def journal_dir(config: Config) -> Path:
    configured = config.defaults.journal_dir
    return Path(configured) if configured else default_state_dir()


def stdin_is_tty() -> bool:
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False
