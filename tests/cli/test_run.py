"""``vztui run`` against a simulated cluster: the same queue, guard and journal as the dashboard."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.test_inventory import local_config, vzlist_truth
from vztui.backend.journal import Journal
from vztui.cli import main
from vztui.sim.cluster import build_cluster


@pytest.fixture
def sim(tmp_path: Path) -> dict[str, Path]:
    return dict(build_cluster(tmp_path / "sim", nodes=2, cts=3, seed=11).nodes)


@pytest.fixture(autouse=True)
def fast_sim(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VZTUI_SIM_SPEED", "0")


def _with_journal(config: Path, journal: Path) -> Path:
    config.write_text(f'[defaults]\njournal_dir = "{journal}"\n\n' + config.read_text())
    return config


def _ct(sim: dict[str, Path], node: str, status: str) -> int:
    return min(ctid for ctid, state in vzlist_truth(sim[node]).items() if state == status)


def test_run_refuses_every_mutation_under_read_only_and_journals_the_refusal(
    tmp_path: Path, sim: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    config = _with_journal(local_config(tmp_path, sim), tmp_path / "journal")
    ctid = _ct(sim, "hn1", "running")
    before = vzlist_truth(sim["hn1"])
    assert main(["--read-only", "run", "stop", str(ctid), "--yes", "--json", "--config", str(config)]) == 1
    rows = json.loads(capsys.readouterr().out)
    assert [(r["ctid"], r["state"]) for r in rows] == [(ctid, "refused")]
    assert "this vztui session is read-only (--read-only)" in rows[0]["reason"]
    assert "Nothing was sent" in rows[0]["reason"]
    assert vzlist_truth(sim["hn1"]) == before
    refused = [r for r in Journal(tmp_path / "journal").records() if r.get("event") == "refused"]
    assert len(refused) == 1


def test_run_needs_yes_without_a_terminal(
    tmp_path: Path, sim: dict[str, Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = local_config(tmp_path, sim)
    ctid = _ct(sim, "hn1", "running")
    monkeypatch.setattr("sys.stdin", io.StringIO("yes\n"))
    assert main(["run", "stop", str(ctid), "--config", str(config)]) == 2
    assert "stop changes containers: pass --yes to run it without a terminal" in capsys.readouterr().err
    assert vzlist_truth(sim["hn1"])[ctid] == "running"


def test_run_stop_and_start_stream_output_and_report_per_ct(
    tmp_path: Path, sim: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    config = _with_journal(local_config(tmp_path, sim), tmp_path / "journal")
    running = sorted(c for node in ("hn1", "hn2") for c, s in vzlist_truth(sim[node]).items() if s == "running")[:2]
    assert main(["run", "stop", *map(str, running), "--yes", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    for ctid in running:
        assert f" {ctid}| Container was stopped" in out
    table = out.splitlines()[-len(running) - 1 :]
    assert table[0].split() == ["CTID", "NODE", "STATE", "EXIT", "COMMAND", "REASON"]
    assert all(line.split()[2:4] == ["succeeded", "0"] for line in table[1:])
    states = {**vzlist_truth(sim["hn1"]), **vzlist_truth(sim["hn2"])}
    assert all(states[ctid] == "stopped" for ctid in running)

    assert main(["run", "stop", str(running[0]), "--yes", "--json", "--config", str(config)]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["state"], r["reason"]) for r in rows] == [("skipped", "not running")]

    assert main(["run", "start", *map(str, running), "--yes", "--json", "--config", str(config)]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["state"] for r in rows} == {"succeeded"}
    assert all(any("Container start in progress" in line for line in r["output"]) for r in rows)
    ops = {entry.op_id for entry in Journal(tmp_path / "journal").entries()}
    assert {r["op_id"] for r in rows} <= ops


def test_run_set_validates_before_anything_runs(
    tmp_path: Path, sim: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    config = local_config(tmp_path, sim)
    ctid = _ct(sim, "hn1", "running")
    assert main(["run", "set", str(ctid), "-p", "ram=100", "--yes", "--config", str(config)]) == 2
    assert "ram: '100' is less than 1M" in capsys.readouterr().err
    assert main(["run", "set", str(ctid), "-p", "cpuunits=500", "--yes", "--json", "--config", str(config)]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["argv"] == ["vzctl", "set", str(ctid), "--cpuunits", "500", "--save"]
    assert 'CPUUNITS="500"' in (sim["hn1"] / "etc" / "vz" / "conf" / f"{ctid}.conf").read_text()


def test_run_unknown_action_and_missing_ct(
    tmp_path: Path, sim: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    config = local_config(tmp_path, sim)
    assert main(["run", "explode", "101", "--config", str(config)]) == 2
    assert "unknown action 'explode' (actions: start, stop" in capsys.readouterr().err
    assert main(["run", "start", "99999", "--yes", "--json", "--config", str(config)]) == 1
    assert json.loads(capsys.readouterr().out)[0]["reason"] == "not found"


def test_run_as_a_real_process_without_a_tty(tmp_path: Path, sim: dict[str, Path]) -> None:
    config = local_config(tmp_path, sim)
    ctid = _ct(sim, "hn2", "running")
    env = {**os.environ, "VZTUI_SIM_SPEED": "0"}
    done = subprocess.run(
        [sys.executable, "-m", "vztui.cli", "run", "restart", str(ctid), "--yes", "--config", str(config)],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert f"hn2 {ctid}| " in done.stdout
    assert vzlist_truth(sim["hn2"])[ctid] == "running"


def test_run_takes_node_slash_ctid_and_create_names_its_node_that_way(
    tmp_path: Path, sim: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """``hn1/101`` picks the node as the dashboard names rows: no --node needed to create on one of two nodes,
    and a CT looked for on the wrong node fails as not found there, never run elsewhere."""
    config = local_config(tmp_path, sim)
    ctid = _ct(sim, "hn1", "running")
    assert main(["run", "stop", f"hn2/{ctid}", "--yes", "--json", "--config", str(config)]) == 1
    rows = json.loads(capsys.readouterr().out)
    assert [(r["ctid"], r["state"], r["reason"]) for r in rows] == [(ctid, "failed", "not found on hn2")]
    assert vzlist_truth(sim["hn1"])[ctid] == "running"

    assert main(["run", "stop", f"hn1/{ctid}", "--yes", "--json", "--config", str(config)]) == 0
    assert [(r["node"], r["state"]) for r in json.loads(capsys.readouterr().out)] == [("hn1", "succeeded")]
    assert vzlist_truth(sim["hn1"])[ctid] == "stopped"

    assert main(["run", "start", f"hn9/{ctid}", "--yes", "--config", str(config)]) == 2
    assert "hn9: not among the nodes this command reaches (hn1, hn2)" in capsys.readouterr().err

    new = max(max(vzlist_truth(sim[node])) for node in sim) + 1
    template = sorted(p.name.removesuffix(".tar.gz") for p in (sim["hn2"] / "vz/template/cache").glob("*.tar.gz"))[0]
    create = ["run", "create", str(new), "-p", f"ostemplate={template}", "--yes", "--json", "--config", str(config)]
    assert main(create) == 2
    assert "create: name the node, as NODE/CTID or with exactly one --node NAME" in capsys.readouterr().err
    create[2] = f"hn2/{new}"
    assert main(create) == 0, capsys.readouterr()
    steps = json.loads(capsys.readouterr().out)  # one row per step of the ispbasic plan
    assert steps and {(r["node"], r["ctid"], r["state"]) for r in steps} == {("hn2", new, "succeeded")}
    assert new in vzlist_truth(sim["hn2"]) and new not in vzlist_truth(sim["hn1"])
