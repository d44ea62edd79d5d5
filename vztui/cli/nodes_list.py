"""``vztui nodes [list]``: the configured nodes and how each is reached."""

from __future__ import annotations

import argparse

from vztui.cli import exitcodes
from vztui.cli.common import load
from vztui.cli.output import print_json, print_table


def run(args: argparse.Namespace) -> int:
    config = load(args)
    nodes = list(config.nodes.values())
    if args.names:
        for node in nodes:
            print(node.name)
        return exitcodes.OK
    if args.json:
        print_json(nodes)
        return exitcodes.OK
    if not nodes:
        print(f"no nodes configured in {config.user_path}: add one with `vztui nodes add NAME HOST`")
        return exitcodes.OK
    rows = []
    for node in nodes:
        flags = [
            flag
            for flag, on in (("sudo", node.sudo), ("read-only", node.read_only), ("protected", node.protected))
            if on
        ]
        where = f"{node.user + '@' if node.user else ''}{node.host}{':' + str(node.port) if node.port else ''}"
        rows.append((node.name, node.transport.value, where, f"{node.refresh:g}s", ",".join(flags)))
    print_table(("NODE", "TRANSPORT", "ADDRESS", "REFRESH", "FLAGS"), rows)
    return exitcodes.OK
