"""``vztui nodes test``: one line per check per node, in the order an admin would debug a new node."""

from __future__ import annotations

import argparse
import asyncio
import enum
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass

from vztui.backend.nodespec import NodeSpec, TransportKind
from vztui.backend.transport import Transport, TransportError
from vztui.cli import exitcodes
from vztui.cli.common import load, select
from vztui.cli.output import print_json, print_table

PROC_FILES = ("/proc/user_beancounters", "/proc/vz/vestat", "/proc/vz/veinfo", "/proc/meminfo")
TOOLS = (("vzctl", ("vzctl", "--version")), ("vzlist", ("vzlist", "-H", "-o", "ctid")))


class Result(enum.StrEnum):
    OK = "ok"
    FAIL = "FAIL"
    SKIP = "skip"


@dataclass(frozen=True, slots=True)
class Check:
    node: str
    name: str
    result: Result
    detail: str
    unreachable: bool = False
    """A failure that means vztui cannot talk to the node at all (exit 3 rather than 1)."""


def _ssh_address(spec: NodeSpec) -> tuple[str, int]:
    """Where SSH really connects, after ``~/.ssh/config`` (HostName, Port) is applied."""
    from vztui.backend.sshconfig import resolve_spec

    target = resolve_spec(spec)
    return target.hostname, target.port


def _reachability(spec: NodeSpec, host: str, port: int) -> Check:
    started = time.monotonic()
    try:
        with socket.create_connection((host, port), timeout=spec.connect_timeout):
            pass
    except OSError as error:
        reason = error.strerror or str(error) or type(error).__name__
        return Check(spec.name, "reachability", Result.FAIL, f"{host}:{port}: {reason}", unreachable=True)
    elapsed = (time.monotonic() - started) * 1000
    return Check(spec.name, "reachability", Result.OK, f"{host}:{port} accepted a connection in {elapsed:.0f} ms")


def _host_key(spec: NodeSpec, host: str, port: int) -> Check:
    from vztui.backend.hostkeys import KnownHosts, Verdict, fetch_host_key

    try:
        key = fetch_host_key(host, port, timeout=spec.connect_timeout)
    except OSError as error:
        return Check(spec.name, "host key", Result.FAIL, str(error), unreachable=True)
    verdict = KnownHosts().check(host, port, key.key_type, key.base64)
    if verdict is Verdict.KNOWN:
        return Check(spec.name, "host key", Result.OK, f"{key.key_type} {key.fingerprint} is trusted")
    if verdict is Verdict.UNKNOWN:
        hint = f"verify it, then `vztui nodes trust {spec.name}`"
        return Check(spec.name, "host key", Result.FAIL, f"{key.key_type} {key.fingerprint} is unknown: {hint}")
    return Check(
        spec.name,
        "host key",
        Result.FAIL,
        f"{key.key_type} {key.fingerprint} is {verdict.value.upper()}: the node's key differs from the recorded one "
        "(re-installed node, or someone in the middle); nothing was sent",
        unreachable=True,
    )


CHECKS = ("reachability", "host key", "authentication", "sudo", "vzctl", "vzlist", "/proc")


def _skip_after(spec: NodeSpec, failed: str, because: str) -> list[Check]:
    """The checks that cannot run once ``failed`` failed, each shown as skipped with the reason."""
    return [Check(spec.name, name, Result.SKIP, because) for name in CHECKS[CHECKS.index(failed) + 1 :]]


async def _commands(spec: NodeSpec, transport: Transport) -> list[Check]:
    checks: list[Check] = []
    try:
        result = await transport.run(["true"], timeout=spec.command_timeout)
    except TransportError as error:
        # HostKeyError and AuthenticationError included: without a session nothing else can be checked.
        checks.append(Check(spec.name, "authentication", Result.FAIL, error.message, unreachable=True))
        return checks + _skip_after(spec, "authentication", "needs a session")
    who = "local user" if spec.transport is TransportKind.LOCAL else f"logged in as {spec.user or 'the ssh default'}"
    checks.append(Check(spec.name, "authentication", Result.OK, who))
    if not spec.sudo:
        checks.append(Check(spec.name, "sudo", Result.SKIP, "not used (sudo = false)"))
    elif result.ok:
        checks.append(Check(spec.name, "sudo", Result.OK, "sudo -n runs commands without a password"))
    else:
        last = result.stderr_text.strip().splitlines()[-1:] or [f"exit {result.exit_code}"]
        checks.append(Check(spec.name, "sudo", Result.FAIL, f"sudo -n true failed: {last[0]}"))
    for tool, argv in TOOLS:
        try:
            found = await transport.run(list(argv), timeout=spec.command_timeout)
        except TransportError as error:
            checks.append(Check(spec.name, tool, Result.FAIL, error.message))
            continue
        if found.exit_code in (126, 127):
            where = f" (PATH prefix {spec.path})" if spec.path else ""
            checks.append(Check(spec.name, tool, Result.FAIL, f"{tool} not found or not executable{where}"))
        else:
            first = (found.stdout_text.strip().splitlines() or [""])[0]
            detail = first if tool == "vzctl" and first else f"runs (exit {found.exit_code})"
            checks.append(Check(spec.name, tool, Result.OK, detail))
    unreadable = []
    for path in PROC_FILES:
        try:
            await transport.read_file(path)
        except (OSError, TransportError) as error:
            unreadable.append(f"{spec.root_prefix}{path}: {getattr(error, 'strerror', None) or error}")
    if unreadable:
        checks.append(Check(spec.name, "/proc", Result.FAIL, "; ".join(unreadable)))
    else:
        prefix = f" under {spec.root_prefix}" if spec.root_prefix else ""
        checks.append(Check(spec.name, "/proc", Result.OK, f"{len(PROC_FILES)} files readable{prefix}"))
    return checks


async def test_node(spec: NodeSpec) -> list[Check]:
    """Every check for one node; a failed prerequisite turns the checks after it into ``skip``."""
    from vztui.backend.transports import create_transport

    checks: list[Check] = []
    if spec.transport is TransportKind.LOCAL:
        checks.append(Check(spec.name, "reachability", Result.OK, "local transport: this machine"))
        checks.append(Check(spec.name, "host key", Result.SKIP, "local transport"))
    else:
        host, port = await asyncio.to_thread(_ssh_address, spec)
        reachable = await asyncio.to_thread(_reachability, spec, host, port)
        checks.append(reachable)
        if reachable.result is Result.FAIL:
            return checks + _skip_after(spec, "reachability", "unreachable")
        key = await asyncio.to_thread(_host_key, spec, host, port)
        checks.append(key)
        if key.result is Result.FAIL:
            return checks + _skip_after(spec, "host key", "host key not trusted")
    transport = create_transport(spec)
    try:
        checks += await _commands(spec, transport)
    finally:
        await transport.close()
    return checks


async def _test_all(specs: Sequence[NodeSpec]) -> list[Check]:
    results = await asyncio.gather(*(test_node(spec) for spec in specs))
    return [check for checks in results for check in checks]


def run(args: argparse.Namespace) -> int:
    config = load(args)
    specs = select(config, [*(args.node or ()), *args.names] or None)
    checks = asyncio.run(_test_all(specs))
    if args.json:
        print_json(checks)
    else:
        print_table(("NODE", "CHECK", "RESULT", "DETAIL"), [(c.node, c.name, c.result.value, c.detail) for c in checks])
    if any(check.unreachable for check in checks):
        return exitcodes.UNREACHABLE
    if any(check.result is Result.FAIL for check in checks):
        return exitcodes.FAILED
    return exitcodes.OK
