"""``vztui nodes add|remove``: edit ``[nodes.NAME]`` in the user config file without disturbing anything else."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from vztui.cli import exitcodes
from vztui.cli.errors import CliError
from vztui.config.locations import user_config_path
from vztui.config.writer import add_node, remove_node

_OPTIONS = (
    ("host", "host"),
    ("port", "port"),
    ("user", "user"),
    ("identity_file", "identity_file"),
    ("transport", "transport"),
    ("sudo", "sudo"),
    ("node_read_only", "read_only"),
    ("protected", "protected"),
    ("max_parallel", "max_parallel"),
    ("root_prefix", "root_prefix"),
    ("path", "path"),
)


def _user_file(args: argparse.Namespace) -> Path:
    """The file to edit: ``--config``, ``VZTUI_CONFIG`` or the platformdirs one (created when missing)."""
    return user_config_path(args.config, os.environ)[0]


def add(args: argparse.Namespace) -> int:
    path = _user_file(args)
    values = {key: getattr(args, option) for option, key in _OPTIONS if getattr(args, option) is not None}
    values.setdefault("host", args.name)
    add_node(path, args.name, values, replace=args.replace)
    print(f"added [nodes.{args.name}] to {path}")
    if values.get("transport") != "local":
        print(f"next: `vztui nodes trust {args.name}` to check and record its host key, then `vztui nodes test`")
    return exitcodes.OK


def remove(args: argparse.Namespace) -> int:
    path = _user_file(args)
    try:
        remove_node(path, args.name)
    except (KeyError, FileNotFoundError):
        raise CliError(f"{path}: no [nodes.{args.name}] to remove") from None
    print(f"removed [nodes.{args.name}] from {path}")
    return exitcodes.OK
