"""``vztui journal``: what vztui ran, when, where and how it ended, read straight from the journal files."""

from __future__ import annotations

import argparse
import re
import shlex
import sys
import time
from datetime import datetime

from vztui.cli import exitcodes
from vztui.cli.common import journal_dir, load
from vztui.cli.errors import CliError
from vztui.cli.output import clean, print_json, print_table

_DURATION = re.compile(r"(?P<count>\d+(?:\.\d+)?)\s*(?P<unit>s|m|h|d|w)")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_since(text: str, *, now: float | None = None) -> float:
    """``30m``/``2h``/``7d``/``1h30m`` ago, or an ISO 8601 date/time (local time when no zone is given)."""
    stripped = text.strip()
    if stripped and _DURATION.sub("", stripped).strip() == "" and _DURATION.match(stripped):
        seconds = sum(float(m["count"]) * _SECONDS[m["unit"]] for m in _DURATION.finditer(stripped))
        return (time.time() if now is None else now) - seconds
    try:
        moment = datetime.fromisoformat(stripped)
    except ValueError:
        raise CliError(f'--since: "{text}" is neither a duration (30m, 2h, 7d) nor an ISO date/time') from None
    return moment.timestamp()


def _when(at: float | None) -> str:
    return "" if at is None else datetime.fromtimestamp(at).strftime("%Y-%m-%d %H:%M:%S")


def run(args: argparse.Namespace) -> int:
    from vztui.backend.journal import Journal

    config = load(args)
    directory = journal_dir(config)
    if args.demo:
        from vztui.demo import demo_journal_dir

        directory = demo_journal_dir(args.nodes, args.cts, args.seed)
    journal = Journal(directory)
    if args.op:
        entries = [entry for entry in journal.entries() if entry.op_id == args.op]
        if not entries:
            raise CliError(f"no operation {args.op!r} in the journal at {directory}", exitcodes.FAILED)
        sys.stdout.write(clean_output(journal.read_output(args.op)))
        return exitcodes.OK
    since = parse_since(args.since) if args.since else None
    nodes = set(args.node or ())
    entries = [
        entry
        for entry in journal.entries()
        if (since is None or entry.queued_at >= since) and (not nodes or entry.node in nodes)
    ]
    if args.json:
        print_json(entries)
        return exitcodes.OK
    rows = [
        (
            _when(entry.queued_at),
            entry.op_id,
            entry.node,
            entry.state.value if entry.state else "unfinished",
            "" if entry.exit_code is None else entry.exit_code,
            ",".join(map(str, entry.ctids)),
            entry.user,
            clean(shlex.join(entry.argv)),
        )
        for entry in entries
    ]
    if not rows:
        print(f"no operations in the journal at {directory}" + (f" since {args.since}" if args.since else ""))
        return exitcodes.OK
    print_table(("QUEUED", "ID", "NODE", "STATE", "EXIT", "CTIDS", "USER", "COMMAND"), rows, right=("EXIT",))
    return exitcodes.OK


def clean_output(text: str) -> str:
    """Keep newlines and tabs, neutralise every other control character (escape sequences from the node)."""
    return "".join(char if char in "\n\t" or char.isprintable() else "?" for char in text)
