"""The read-only guard: decides, from the argv itself, whether a command may run on a read-only session or node.

A caller's ``mutating=False`` is not trusted: on a read-only session only commands on a short allow-list of
inspection tools pass, so nothing that changes a node can slip through a mislabelled request.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence

from vztui.backend.operation import OpRequest

_VZCTL_GLOBAL_FLAGS = frozenset({"--quiet", "--verbose", "-q", "-v"})
_VZCTL_READ_COMMANDS = frozenset({"status", "snapshot-list", "--version", "--help"})
_ALWAYS_READ_TOOLS = frozenset(
    {"vzlist", "vzmemcheck", "vzcpucheck", "vzcalc", "cat", "head", "tail", "ls", "df", "free", "uname", "uptime"}
)


def _tool(argv: Sequence[str]) -> str:
    return argv[0].rsplit("/", 1)[-1] if argv else ""


def is_inspection(argv: Sequence[str]) -> bool:
    """True when ``argv`` only reads (vzlist, ``vzctl status``, ``vzquota stat`` …); unknown commands are False."""
    tool = _tool(argv)
    args = list(argv[1:])
    if tool in _ALWAYS_READ_TOOLS:
        return True
    if tool == "vzctl":
        while args and args[0] in _VZCTL_GLOBAL_FLAGS:
            args.pop(0)
        return bool(args) and args[0] in _VZCTL_READ_COMMANDS
    if tool == "vzquota":
        while args and args[0].startswith("-") and args[0] in ("-q", "-v", "-b"):
            args.pop(0)
        return bool(args) and args[0] in ("stat", "show")
    if tool == "vztmpl-dl":
        return bool(args) and all(arg in ("--list-local", "--list-remote", "--quiet") for arg in args)
    if tool == "hostname":
        return all(arg in ("-f", "-s", "-d", "--fqdn", "--short") for arg in args)
    return False


def refusal_reason(request: OpRequest, *, session_read_only: bool, node_read_only: bool) -> str:
    """Why ``request`` must not run (a message for a tired admin), or "" when it may."""
    if not (session_read_only or node_read_only):
        return ""
    if not request.mutating and is_inspection(request.argv):
        return ""
    return read_only_message(request.node, request.argv, session_read_only=session_read_only)


def read_only_message(node: str, argv: Sequence[str], *, session_read_only: bool) -> str:
    where = "this vztui session is read-only (--read-only)" if session_read_only else f"node {node} is read-only"
    return (
        f"refused on {node}: {shlex.join(argv)} can change the node, and {where}. "
        "Nothing was sent. Restart without --read-only (or set read_only = false for the node) to make changes."
    )
