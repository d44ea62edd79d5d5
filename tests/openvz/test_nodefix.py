"""The vz.conf rewrite (only the named keys change, comments and other lines stay byte for byte), the directories a
node needs, and the write script run for real by sh: it writes atomically with a backup, and refuses when the file
changed since it was reviewed."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vztui.openvz.errors import ValidationError
from vztui.openvz.nodefix import (
    current_value,
    mkdir_argv,
    node_dirs,
    rewrite_vzconf,
    veid_parent,
    vzconf_diff,
    write_vzconf_argv,
)

VZCONF = """\
## Global parameters
VIRTUOZZO=yes
LOCKDIR=/vz/lock
TEMPLATE=/vz/template
VE_ROOT=/vz/root/$VEID # where CTs are mounted
VE_PRIVATE="/vz/private/$VEID"
#VE_PRIVATE=/old/private/$VEID
NAMESERVER=inherit # Copy from host system's /etc/resolv.conf
"""


def test_only_the_drifting_keys_change_and_comments_survive() -> None:
    new, changes = rewrite_vzconf(VZCONF, {"VE_ROOT": "/data/root/$VEID", "VE_PRIVATE": "/vz/private/$VEID"})
    assert [(c.key, c.old, c.new) for c in changes] == [("VE_ROOT", "/vz/root/$VEID", "/data/root/$VEID")]
    old_lines, new_lines = VZCONF.splitlines(), new.splitlines()
    changed = [(a, b) for a, b in zip(old_lines, new_lines, strict=True) if a != b]
    assert changed == [
        ("VE_ROOT=/vz/root/$VEID # where CTs are mounted", 'VE_ROOT="/data/root/$VEID" # where CTs are mounted')
    ]
    assert current_value(new, "VE_ROOT") == "/data/root/$VEID"
    assert current_value(new, "VE_PRIVATE") == "/vz/private/$VEID", "a commented-out line is not an assignment"
    diff = vzconf_diff(VZCONF, new)
    assert "-VE_ROOT=/vz/root/$VEID # where CTs are mounted" in diff
    assert '+VE_ROOT="/data/root/$VEID" # where CTs are mounted' in diff


def test_a_missing_key_is_appended_and_every_assignment_of_a_key_is_rewritten() -> None:
    text = "TEMPLATE=/a\nX=1\nTEMPLATE=/b"
    new, changes = rewrite_vzconf(text, {"TEMPLATE": "/vz/template", "VE_ROOT": "/vz/root/$VEID"})
    assert new == 'TEMPLATE="/vz/template"\nX=1\nTEMPLATE="/vz/template"\nVE_ROOT="/vz/root/$VEID"\n'
    assert [c.old for c in changes] == ["/b", None]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("VE_ROOT", "/vz/root"),  # no $VEID: every CT in one directory
        ("TEMPLATE", "vz/template"),
        ("TEMPLATE", '/vz/te"mplate'),
        ("TEMPLATE", "/vz/$(reboot)"),
        ("TEMPLATE", "/vz/a b"),
        ("TEMPLATE", "/vz/../etc"),
        ("TEMPLATE", "/vz/x\n/y"),
    ],
)
def test_values_that_are_not_plain_paths_are_refused(key: str, value: str) -> None:
    with pytest.raises(ValidationError):
        rewrite_vzconf(VZCONF, {key: value})


path = st.from_regex(r"/[a-z0-9_]{1,8}(/[a-z0-9_.-]{1,8}){0,3}", fullmatch=True).filter(lambda p: "/.." not in p)
lines = st.lists(st.from_regex(r"[A-Z_]{1,10}=[a-z/\"]{0,12}( #[a-z ]{0,8})?|#[ -~]{0,20}|", fullmatch=True))


@given(lines, path)
def test_rewrite_sets_the_value_and_touches_no_other_line(body: list[str], value: str) -> None:
    text = "\n".join(body) + "\n"
    new, _ = rewrite_vzconf(text, {"TEMPLATE": value})
    assert current_value(new, "TEMPLATE") == value
    untouched = [line for line in text.splitlines() if current_value(line, "TEMPLATE") is None]
    assert [line for line in new.splitlines() if current_value(line, "TEMPLATE") is None] == untouched
    again, changes = rewrite_vzconf(new, {"TEMPLATE": value})
    assert again == new and changes == ()


def test_node_dirs_are_the_veid_parents_template_cache_lock_and_dump() -> None:
    values = {
        "VE_ROOT": "/vz/root/$VEID",
        "VE_PRIVATE": "/data/${VEID}/private",
        "TEMPLATE": "/vz/template/",
        "LOCKDIR": "/vz/lock",
        "DUMPDIR": "/vz/dump",
    }
    assert node_dirs(values) == ("/vz/root", "/data", "/vz/template", "/vz/template/cache", "/vz/lock", "/vz/dump")
    assert veid_parent("/$VEID") == "/"
    assert mkdir_argv("/srv/hn1/", ["/vz/a", "/vz/b"]) == ["mkdir", "-p", "--", "/srv/hn1/vz/a", "/srv/hn1/vz/b"]
    with pytest.raises(ValidationError):
        mkdir_argv("", [])
    with pytest.raises(ValidationError):
        mkdir_argv("", ["relative"])


def _run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, check=False)


def test_the_write_script_replaces_vzconf_with_a_backup(tmp_path: Path) -> None:
    conf = tmp_path / "etc/vz/vz.conf"
    conf.parent.mkdir(parents=True)
    conf.write_text(VZCONF)
    new, _ = rewrite_vzconf(VZCONF, {"TEMPLATE": "/data/template"})
    hostile = new + 'X="$(touch /tmp/vztui-pwned)"\n\'; echo oops\n'
    done = _run(write_vzconf_argv(str(tmp_path), VZCONF, hostile))
    assert done.returncode == 0, done.stderr
    assert conf.read_text() == hostile, "the text is data: written byte for byte, never run"
    assert (tmp_path / "etc/vz/vz.conf.vztui-bak").read_text() == VZCONF
    assert not (tmp_path / "etc/vz/vz.conf.vztui-new").exists()
    assert "wrote" in done.stdout


def test_the_write_script_refuses_a_file_changed_since_review(tmp_path: Path) -> None:
    conf = tmp_path / "etc/vz/vz.conf"
    conf.parent.mkdir(parents=True)
    conf.write_text(VZCONF + "EDITED=meanwhile\n")
    done = _run(write_vzconf_argv(str(tmp_path), VZCONF, "TEMPLATE=/x\n"))
    assert done.returncode == 1
    assert "changed since vztui read it: nothing written" in done.stderr
    assert conf.read_text() == VZCONF + "EDITED=meanwhile\n"
    assert not (tmp_path / "etc/vz/vz.conf.vztui-bak").exists()
