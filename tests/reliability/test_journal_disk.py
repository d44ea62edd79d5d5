"""The journal on a disk that fails: an unusable directory and a full disk (RLIMIT_FSIZE in a child process, since
root ignores permissions and a tmpfs cannot be mounted here). vztui keeps working, says why the journal is not
writing, recovers by itself when the disk does, and never leaves a record glued to a torn one."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.reliability.conftest import local_spec, vzlist_truth
from vztui.backend.cluster import Cluster
from vztui.backend.journal import Journal
from vztui.backend.operation import OpRequest, OpState

REPO = Path(__file__).resolve().parents[2]


class JournalErrors:
    """A ClusterListener that only keeps ``on_journal_error`` calls."""

    def __init__(self) -> None:
        self.messages: list[str | None] = []

    def on_delta(self, delta: object) -> None:
        return

    def on_operation(self, op: object) -> None:
        return

    def on_output(self, op_id: str, lines: object) -> None:
        return

    def on_journal_error(self, message: str | None) -> None:
        self.messages.append(message)


async def test_an_unusable_journal_directory_is_reported_and_operations_still_report_their_outcome(
    sim: dict[str, Path], tmp_path: Path
) -> None:
    blocked = tmp_path / "state"
    blocked.write_text("a file where the journal directory should be\n")
    cluster = Cluster([local_spec("hn1", sim["hn1"])], journal_dir=str(blocked / "journal"))
    cluster.set_paused(True)
    heard = JournalErrors()
    cluster.subscribe(heard)
    await cluster.start()
    try:
        op = await cluster.submit(OpRequest(node="hn1", argv=("vzctl", "stop", "101"), kind="stop", ctids=(101,)))
        async with asyncio.timeout(20):
            while not op.state.finished:
                await asyncio.sleep(0.02)
        await cluster.journal.drain()
        await asyncio.sleep(0.05)
        error = cluster.journal_error
    finally:
        await cluster.stop()
    assert op.state is OpState.SUCCEEDED, op.reason
    assert vzlist_truth(sim["hn1"])[101] == "stopped"
    assert error is not None and str(blocked) in error, error
    assert heard.messages and heard.messages[0], "the UI was told the journal is not writing"
    assert cluster.journal.lost_records > 0


CHILD = textwrap.dedent(
    """
    import asyncio, json, resource, signal, sys
    from pathlib import Path
    from vztui.backend.cluster import Cluster
    from vztui.backend.operation import OpRequest
    from tests.reliability.conftest import local_spec

    root, journal = Path(sys.argv[1]), Path(sys.argv[2])
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of death, as on a full disk; inherited by tools

    class Heard:
        messages = []
        def on_delta(self, delta): pass
        def on_operation(self, op): pass
        def on_output(self, op_id, lines): pass
        def on_journal_error(self, message): self.messages.append(message)

    async def run_op(cluster, verb, ctid):
        op = await cluster.submit(OpRequest(node="hn1", argv=("vzctl", verb, str(ctid)), kind=verb, ctids=(ctid,)))
        while not op.state.finished:
            await asyncio.sleep(0.02)
        await cluster.journal.drain()
        return op

    async def main():
        # Earlier history makes the journal bigger than any file the simulated tools write, so the size limit below
        # fills only the journal's disk, not the node's.
        journal.mkdir(parents=True)
        filler = {"v": 1, "event": "note", "text": "x" * 256 * 1024}
        (journal / "journal.jsonl").write_text(json.dumps(filler) + "\\n")
        heard = Heard()
        cluster = Cluster([local_spec("hn1", root)], journal_dir=str(journal))
        cluster.set_paused(True)
        cluster.subscribe(heard)
        await cluster.start()
        result = {}
        try:
            first = await run_op(cluster, "stop", 101)
            size = (journal / "journal.jsonl").stat().st_size
            soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
            resource.setrlimit(resource.RLIMIT_FSIZE, (size + 40, hard))  # room for a torn part of one record
            full = await run_op(cluster, "start", 101)
            result["error_while_full"] = cluster.journal_error
            resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
            after = await run_op(cluster, "stop", 102)
            await asyncio.sleep(0.1)
            result["error_after"] = cluster.journal_error
            result["ops"] = [(op.id, op.state.value) for op in (first, full, after)]
            result["lost"] = cluster.journal.lost_records
            result["heard"] = heard.messages
        finally:
            await cluster.stop()
        print(json.dumps(result))

    asyncio.run(main())
    """
)


def test_a_full_disk_stops_the_journal_not_vztui_and_it_recovers_by_itself(
    sim: dict[str, Path], tmp_path: Path
) -> None:
    journal = tmp_path / "journal"
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(sim["hn1"]), str(journal)],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        cwd=REPO,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.splitlines()[-1])
    assert [state for _, state in result["ops"]] == ["succeeded"] * 3, result
    assert result["error_while_full"] and "File too large" in result["error_while_full"], result
    assert result["error_after"] is None, "the journal recovered once the disk had room"
    assert result["lost"] > 0
    assert result["heard"][0] and result["heard"][-1] is None, "the UI heard both the failure and the recovery"
    assert vzlist_truth(sim["hn1"])[101] == "running" and vzlist_truth(sim["hn1"])[102] == "stopped"
    # Every line the journal holds is one whole record: the torn one never swallowed the next.
    lines = (journal / "journal.jsonl").read_bytes().splitlines()
    whole = [json.loads(line) for line in lines if line.startswith(b"{") and line.endswith(b"}")]
    assert len(whole) == len(lines) - 1, "exactly the torn part of the failed write is unreadable"
    entries = {entry.op_id: entry for entry in Journal(journal).entries()}
    first_id, _, last_id = (op_id for op_id, _ in result["ops"])
    assert entries[first_id].state is OpState.SUCCEEDED
    assert entries[last_id].state is OpState.SUCCEEDED, "records after the recovery are complete"


def test_vztui_run_tells_a_script_that_its_journal_is_not_being_written(
    sim: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.reliability.conftest import local_config
    from vztui.cli import main

    blocked = tmp_path / "state"
    blocked.write_text("a file where the journal directory should be\n")
    config = local_config(tmp_path / "config.toml", {"hn1": sim["hn1"]}, journal=blocked / "journal")
    assert main(["run", "stop", "101", "--yes", "--config", str(config)]) == 0
    err = capsys.readouterr().err
    assert "vztui: journal directory" in err and "unusable" in err, err
    assert vzlist_truth(sim["hn1"])[101] == "stopped"
