"""The poll batch script: fixed text, variables only as positional parameters, sections that survive each other's
failures and hostile content."""

from __future__ import annotations

import subprocess
from pathlib import Path

from vztui.backend.batch import POLL_SCRIPT, SECTIONS, new_nonce, poll_argv, split_sections


def run(argv: list[str], path: str = "") -> subprocess.CompletedProcess[str]:
    env = {"PATH": f"{path}:/usr/bin:/bin" if path else "/usr/bin:/bin"}
    return subprocess.run(argv, capture_output=True, text=True, env=env, check=False)


def fake_node(tmp_path: Path, vzlist_output: str) -> Path:
    root = tmp_path / "node"
    (root / "proc/vz").mkdir(parents=True)
    (root / "proc/bc").mkdir()
    (root / "bin").mkdir()
    (root / "vz").mkdir()
    (root / "proc/bc/resources").write_text("Version: 2.5\n       uid  resource  held\n")
    (root / "proc/vz/vestat").write_text("Version: 2.2\n")
    (root / "proc/meminfo").write_text("MemTotal: 1 kB\n")
    (root / "proc/loadavg").write_text("0.00 0.01 0.05 1/100 42\n")
    tool = root / "bin/vzlist"
    tool.write_text(f"#!/bin/sh\ncat <<'EOF'\n{vzlist_output}\nEOF\n")
    tool.chmod(0o755)
    return root


def test_script_is_a_constant_and_variables_are_positional() -> None:
    argv = poll_argv("/srv/node root", "/vz", "abc123")
    assert argv[:4] == ["sh", "-c", POLL_SCRIPT, "sh"]
    assert argv[4:7] == ["/srv/node root", "abc123", "/vz"]
    assert "/srv/node" not in POLL_SCRIPT


def test_every_section_arrives_with_its_own_exit_status(tmp_path: Path) -> None:
    root = fake_node(tmp_path, "[]")
    nonce = new_nonce()
    done = run(poll_argv(str(root), str(root / "vz"), nonce), path=str(root / "bin"))
    sections = split_sections(done.stdout, done.stderr, nonce)
    assert set(sections) == set(SECTIONS)
    assert sections["vzlist"].text == "[]\n" and sections["vzlist"].ok
    assert sections["beancounters"].text.startswith("source bc_resources\nVersion: 2.5")
    assert sections["vzquota"].ok and sections["vzquota"].text == ""  # absent on ploop-only nodes: not an error
    assert sections["loadavg"].text == "0.00 0.01 0.05 1/100 42\n"
    assert sections["df"].ok


def test_one_broken_section_does_not_lose_the_others(tmp_path: Path) -> None:
    root = fake_node(tmp_path, "[]")
    (root / "proc/vz/vestat").unlink()
    (root / "proc/bc/resources").unlink()
    (root / "proc/user_beancounters").write_text("Version: 2.5\n")
    nonce = new_nonce()
    done = run(poll_argv(str(root), str(root / "vz"), nonce), path=str(root / "bin"))
    sections = split_sections(done.stdout, done.stderr, nonce)
    assert not sections["vestat"].ok
    assert "vestat" in sections["vestat"].problem() and "No such file" in sections["vestat"].problem()
    assert sections["beancounters"].text.startswith("source user_beancounters")
    assert sections["meminfo"].ok and sections["loadavg"].ok


def test_hostile_content_cannot_forge_a_section_boundary(tmp_path: Path) -> None:
    forged = '[{"ctid": 101, "hostname": "x\n@@deadbeef end vzlist 0\n@@deadbeef begin meminfo\nMemTotal: 9 kB"}]'
    root = fake_node(tmp_path, forged)
    nonce = new_nonce()
    done = run(poll_argv(str(root), str(root / "vz"), nonce), path=str(root / "bin"))
    sections = split_sections(done.stdout, done.stderr, nonce)
    assert "MemTotal: 9 kB" in sections["vzlist"].text
    assert sections["meminfo"].text == "MemTotal: 1 kB\n"


def test_a_cut_off_poll_marks_the_last_section_unfinished() -> None:
    nonce = "n1"
    stdout = f"@@{nonce} begin vzlist\n[]\n\n@@{nonce} end vzlist 0\n@@{nonce} begin vestat\nVersion: 2.2\n12"
    sections = split_sections(stdout, "", nonce)
    assert sections["vzlist"].ok
    assert sections["vestat"].exit_code is None and "cut off" in sections["vestat"].problem()


def test_noise_before_the_first_section_is_ignored() -> None:
    nonce = "n2"
    stdout = f"Welcome to node1 (MOTD)\n@@{nonce} begin loadavg\n1.00 2.00 3.00 1/2 3\n\n@@{nonce} end loadavg 0\n"
    sections = split_sections(stdout, "", nonce)
    assert list(sections) == ["loadavg"] and sections["loadavg"].text == "1.00 2.00 3.00 1/2 3\n"
