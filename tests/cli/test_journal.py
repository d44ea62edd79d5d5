"""``vztui journal``: what the journal holds, filtered by time and node, and one operation's full output."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest

from tests.cli.conftest import write
from vztui.backend.journal import Journal
from vztui.backend.operation import Operation, OpRequest, OpState
from vztui.backend.transport import OutputLine, Stream
from vztui.cli import main
from vztui.cli.errors import CliError
from vztui.cli.journal import parse_since


async def _record(directory: Path, node: str, ctid: int, queued_at: float, state: OpState) -> Operation:
    journal = Journal(directory)
    journal.open()
    op = Operation(OpRequest(node=node, argv=("vzctl", "restart", str(ctid)), kind="restart", ctids=(ctid,)))
    op.queued_at = queued_at
    journal.queued(op)
    op.started_at = queued_at + 1
    await journal.started(op)
    journal.output(
        op.id, [OutputLine(Stream.STDOUT, f"Restarting container {ctid}"), OutputLine(Stream.STDERR, "\x1b[31mred")]
    )
    op.state, op.exit_code, op.finished_at = state, 0 if state is OpState.SUCCEEDED else 32, queued_at + 2
    journal.finished(op)
    await journal.close()
    return op


def test_journal_lists_filters_and_prints_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    directory = tmp_path / "journal"
    config = write(tmp_path / "config.toml", f'[defaults]\njournal_dir = "{directory}"\n')
    old = asyncio.run(_record(directory, "hn1", 101, time.time() - 3 * 3600, OpState.SUCCEEDED))
    new = asyncio.run(_record(directory, "hn2", 202, time.time() - 60, OpState.FAILED))

    assert main(["journal", "--json", "--config", str(config)]) == 0
    entries = json.loads(capsys.readouterr().out)
    assert [(e["op_id"], e["node"], e["state"], e["exit_code"]) for e in entries] == [
        (old.id, "hn1", "succeeded", 0),
        (new.id, "hn2", "failed", 32),
    ]
    assert main(["journal", "--since", "2h", "--config", str(config)]) == 0
    table = capsys.readouterr().out.splitlines()
    assert len(table) == 2
    assert table[1].split()[2:8] == [new.id, "hn2", "failed", "32", "202", new.user]
    assert table[1].endswith("vzctl restart 202")
    assert main(["journal", "--node", "hn1", "--json", "--config", str(config)]) == 0
    assert [e["node"] for e in json.loads(capsys.readouterr().out)] == ["hn1"]

    assert main(["journal", "--op", new.id, "--config", str(config)]) == 0
    output = capsys.readouterr().out
    assert "Restarting container 202" in output
    assert "\x1b" not in output
    assert main(["journal", "--op", "nope", "--config", str(config)]) == 1


def test_since_accepts_durations_and_iso_dates() -> None:
    now = 1_000_000.0
    assert parse_since("30m", now=now) == now - 1800
    assert parse_since("1h30m", now=now) == now - 5400
    assert parse_since("2d", now=now) == now - 172800
    assert parse_since("2026-11-24T09:00:00+00:00") == 1795510800.0
    for bad in ("yesterday", "5x", "h"):
        with pytest.raises(CliError, match="is neither a duration"):
            parse_since(bad)
