"""``vztui nodes trust NAME``: show the host key a node presents and record it only on an explicit ``yes``
(or, without a terminal, only when it matches the ``--fingerprint`` the admin verified out of band).
"""

from __future__ import annotations

import argparse
import sys

from vztui.backend.nodespec import TransportKind
from vztui.cli import exitcodes
from vztui.cli.common import load, select, stdin_is_tty
from vztui.cli.errors import CliError


def run(args: argparse.Namespace) -> int:
    from vztui.backend.hostkeys import KnownHosts, Verdict, fetch_host_key, host_pattern
    from vztui.backend.sshconfig import resolve_spec

    config = load(args)
    spec = select(config, [args.name])[0]
    if spec.transport is TransportKind.LOCAL:
        raise CliError(f"{spec.name} uses the local transport: there is no host key to trust")
    target = resolve_spec(spec)
    host, port = target.hostname, target.port
    try:
        key = fetch_host_key(host, port, timeout=spec.connect_timeout)
    except OSError as error:
        raise CliError(f"{spec.name}: {error}", exitcodes.UNREACHABLE) from None
    known = KnownHosts()
    verdict = known.check(host, port, key.key_type, key.base64)
    print(f"{spec.name} ({host_pattern(host, port)}) presents this {key.key_type} host key:")
    print(f"  {key.fingerprint}")
    if verdict is Verdict.KNOWN:
        print("It is already trusted; nothing to do.")
        return exitcodes.OK
    if verdict in (Verdict.CHANGED, Verdict.REVOKED):
        print(
            f"WARNING: this differs from the {key.key_type} key on record for {host_pattern(host, port)} "
            f"({verdict.value}). Unless the node was re-installed, someone may be intercepting the connection.",
        )
    if args.fingerprint:
        if args.fingerprint.strip() != key.fingerprint:
            raise CliError(
                f"{spec.name}: the node presents {key.fingerprint}, not {args.fingerprint}: key NOT trusted",
                exitcodes.FAILED,
            )
    elif not stdin_is_tty():
        raise CliError(
            "refusing to trust a host key nobody looked at: run this on a terminal, or pass "
            f"--fingerprint {key.fingerprint} after checking it on the node (ssh-keygen -lf /etc/ssh/ssh_host_*.pub)",
        )
    else:
        print("Compare it with `ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub` run on the node itself.")
        sys.stdout.write("Type yes to trust this key: ")
        sys.stdout.flush()
        answer = sys.stdin.readline().strip()
        if answer != "yes":
            print("Not trusted.")
            return exitcodes.FAILED
    known.trust(host, port, key)
    print(f"Trusted: recorded in {known.vztui_file}")
    return exitcodes.OK
