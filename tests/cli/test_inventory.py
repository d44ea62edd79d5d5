"""``vztui ls|failing|show`` against a simulated cluster: through the local transport and through real sshd."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.conftest import write
from tests.sshd import SshdFactory
from vztui.backend.hostkeys import KnownHosts
from vztui.cli import main
from vztui.sim.cluster import build_cluster


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    built = build_cluster(tmp_path_factory.mktemp("sim"), nodes=2, cts=4, seed=3)
    yield dict(built.nodes)


def vzlist_truth(root: Path) -> dict[int, str]:
    """What the node's own vzlist says: the ground truth vztui must reproduce."""
    done = subprocess.run(
        [str(root / "bin" / "vzlist"), "-a", "-H", "-o", "ctid,status"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PATH": f"{root / 'bin'}:{os.environ['PATH']}"},
    )
    return {int(line.split()[0]): line.split()[1] for line in done.stdout.splitlines() if line.strip()}


def local_config(tmp_path: Path, sim: dict[str, Path]) -> Path:
    tables = "".join(
        f'[nodes.{name}]\ntransport = "local"\nroot_prefix = "{root}"\npath = "{root / "bin"}"\n\n'
        for name, root in sim.items()
    )
    return write(tmp_path / "config.toml", f"# the simulated cluster\n{tables}")


def test_ls_json_over_the_local_transport_matches_vzlist(
    tmp_path: Path, sim: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    config = local_config(tmp_path, sim)
    assert main(["ls", "--json", "--config", str(config)]) == 0
    rows = json.loads(capsys.readouterr().out)
    seen = {(row["node"], row["ctid"]): row["status"] for row in rows}
    expected = {(node, ctid): status for node, root in sim.items() for ctid, status in vzlist_truth(root).items()}
    assert seen == expected
    assert len(rows) == 8
    assert all({"hostname", "ips", "resources", "failcnt", "cpu_percent"} <= set(row) for row in rows)


def test_ls_table_filter_and_node_restriction(
    tmp_path: Path, sim: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    config = local_config(tmp_path, sim)
    truth = vzlist_truth(sim["hn2"])
    running = sorted(ctid for ctid, status in truth.items() if status == "running")
    assert main(["ls", "--node", "hn2", "--filter", "status:running", "--config", str(config)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:4] == ["CTID", "NODE", "STATUS", "NAME"]
    assert [int(line.split()[0]) for line in lines[1:]] == running
    assert all(line.split()[1:3] == ["hn2", "running"] for line in lines[1:])
    assert main(["ls", "--filter", "status:bogus", "--config", str(config)]) == 2
    assert "--filter: status:bogus: expected one of" in capsys.readouterr().err


def test_ls_with_a_dead_node_prints_the_rest_and_exits_3(
    tmp_path: Path, sim: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    config = local_config(tmp_path, sim)
    with config.open("a") as handle:
        handle.write('[nodes.gone]\ntransport = "local"\npath = "/nonexistent"\nroot_prefix = "/nonexistent"\n')
    assert main(["ls", "--json", "--config", str(config)]) == 3
    captured = capsys.readouterr()
    assert len(json.loads(captured.out)) == 8
    assert "vztui: gone: unreachable:" in captured.err


def test_show_prints_beancounters_and_config(
    tmp_path: Path, sim: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    config = local_config(tmp_path, sim)
    ctid = min(vzlist_truth(sim["hn1"]))
    assert main(["show", str(ctid), "--json", "--config", str(config)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["node"], data["ctid"]) == ("hn1", ctid)
    conf_text = (sim["hn1"] / "etc" / "vz" / "conf" / f"{ctid}.conf").read_text()
    assert f'OSTEMPLATE="{data["config"]["OSTEMPLATE"]}"' in conf_text
    assert main(["show", str(ctid), "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "RESOURCE" in out and "physpages" in out and "CONFIG" in out
    assert main(["show", "999999", "--config", str(config)]) == 1
    assert "container 999999 not found on hn1, hn2" in capsys.readouterr().err


def test_show_takes_the_dashboards_node_slash_ctid(
    tmp_path: Path, sim: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    config = local_config(tmp_path, sim)
    ctid = min(vzlist_truth(sim["hn2"]))
    assert main(["show", f"hn2/{ctid}", "--json", "--config", str(config)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["node"], data["ctid"]) == ("hn2", ctid)
    assert main(["show", f"hn1/{ctid}", "--config", str(config)]) == 1, "looked for on hn1 only"
    assert f"container {ctid} not found on hn1" in capsys.readouterr().err
    assert main(["show", f"hn2/{ctid}", "--node", "hn1", "--config", str(config)]) == 2
    assert f"hn2/{ctid}: node hn2 is not among --node hn1" in capsys.readouterr().err
    for bad in ("hn2/", "/101", "+101", "hn2/1_01", "hn2/abc"):
        assert main(["show", bad, "--config", str(config)]) == 2, bad
        assert "expected CTID or NODE/CTID (e.g. 101 or hn1/101)" in capsys.readouterr().err


def test_failing_reports_near_limit_resources_worst_first(
    tmp_path: Path, sim: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    config = local_config(tmp_path, sim)
    assert main(["failing", "--json", "--config", str(config)]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert all(row["usage"] is not None and row["usage"] >= 0.9 for row in rows)
    severities = [(row["rise"], row["usage"], row["failcnt"]) for row in rows]
    assert severities == sorted(severities, reverse=True)


@pytest.mark.sshd
def test_ls_json_over_real_sshd_matches_the_local_transport(
    tmp_path: Path, sim: dict[str, Path], sshd_factory: SshdFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    servers = sshd_factory.cluster(sim)
    tables = []
    for name, server in servers.items():
        KnownHosts().trust(
            server.host, server.port, server.host_key.public_line.split()[0], server.host_key.public_line.split()[1]
        )
        tables.append(
            f'[nodes.{name}]\nhost = "{server.host}"\nport = {server.port}\nuser = "{server.user}"\n'
            f'identity_file = "{server.user_key.private}"\nroot_prefix = "{sim[name]}"\n'
        )
    ssh_config = write(tmp_path / "ssh.toml", "\n".join(tables))
    assert main(["ls", "--json", "--config", str(ssh_config)]) == 0
    over_ssh = {
        (row["node"], row["ctid"]): (row["status"], row["hostname"]) for row in json.loads(capsys.readouterr().out)
    }
    assert main(["ls", "--json", "--config", str(local_config(tmp_path, sim))]) == 0
    local = {
        (row["node"], row["ctid"]): (row["status"], row["hostname"]) for row in json.loads(capsys.readouterr().out)
    }
    assert over_ssh == local
    assert len(over_ssh) == 8


def test_ls_over_sshd_refuses_an_untrusted_host_key(
    tmp_path: Path, sim: dict[str, Path], sshd_factory: SshdFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    server = sshd_factory("hn1", root=sim["hn1"])
    config = write(
        tmp_path / "ssh.toml",
        f'[nodes.hn1]\nhost = "{server.host}"\nport = {server.port}\nuser = "{server.user}"\n'
        f'identity_file = "{server.user_key.private}"\nroot_prefix = "{sim["hn1"]}"\nconnect_timeout = 3\n',
    )
    assert main(["ls", "--config", str(config)]) == 3
    assert "hn1: unreachable:" in capsys.readouterr().err
    assert "Accepted publickey" not in server.log
