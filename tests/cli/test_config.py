from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.conftest import write
from vztui.backend.nodespec import NodeSpec, TransportKind
from vztui.config import ConfigError, OriginKind, load_config
from vztui.config.keylines import key_lines


def _load(tmp_path: Path, user: str = "", system: str | None = None, **kwargs: object):  # type: ignore[no-untyped-def]
    user_file = write(tmp_path / "config.toml", user)
    system_file = write(tmp_path / "system.toml", system) if system is not None else tmp_path / "absent.toml"
    return load_config(config_path=user_file, system_path=system_file, environ=kwargs.pop("environ", {}), **kwargs)


def _problems(tmp_path: Path, user: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, user)
    prefix = f"{tmp_path / 'config.toml'}:"
    return [p.removeprefix(prefix) for p in caught.value.problems]


def test_builtin_defaults_without_any_file(tmp_path: Path) -> None:
    config = load_config(system_path=tmp_path / "none.toml", environ={})
    assert config.defaults.refresh == 2.0
    assert config.defaults.transport is TransportKind.PARAMIKO
    assert not config.read_only
    assert config.nodes == {}
    assert config.origin("defaults.refresh").kind is OriginKind.BUILTIN
    assert config.user_path == tmp_path / "xdg-config" / "vztui" / "config.toml"


def test_precedence_flag_over_env_over_user_over_system(tmp_path: Path) -> None:
    system = "[defaults]\nrefresh = 10\nconcurrency = 2\nuser = 'sys'\nport = 2200\n"
    user = "[defaults]\nrefresh = 7\nconcurrency = 3\nuser = 'me'\n"
    config = _load(
        tmp_path,
        user,
        system,
        environ={"VZTUI_REFRESH": "5", "VZTUI_CONCURRENCY": "6"},
        overrides={"defaults.refresh": (1.5, "--refresh")},
    )
    assert config.defaults.refresh == 1.5
    assert str(config.origin("defaults.refresh")) == "flag --refresh"
    assert config.defaults.concurrency == 6
    assert str(config.origin("defaults.concurrency")) == "env VZTUI_CONCURRENCY"
    assert config.defaults.user == "me"
    assert str(config.origin("defaults.user")) == f"user file {tmp_path / 'config.toml'}:4"
    assert config.defaults.port == 2200
    assert str(config.origin("defaults.port")) == f"system file {tmp_path / 'system.toml'}:5"


def test_env_read_only_spellings(tmp_path: Path) -> None:
    for text, expected in (("1", True), ("yes", True), ("ON", True), ("0", False), ("false", False)):
        assert _load(tmp_path, environ={"VZTUI_READ_ONLY": text}).read_only is expected


def test_config_env_var_chooses_the_user_file(tmp_path: Path) -> None:
    other = write(tmp_path / "elsewhere.toml", "[nodes.hn9]\n")
    config = load_config(system_path=tmp_path / "none.toml", environ={"VZTUI_CONFIG": str(other)})
    assert list(config.nodes) == ["hn9"]
    assert config.user_path == other


def test_nodes_inherit_defaults_and_become_node_specs(tmp_path: Path) -> None:
    user = """\
[defaults]
user = "admin"
sudo = true
concurrency = 2

[nodes.hn1]
host = "10.0.0.1"
port = 2222

[nodes.hn2]
transport = "openssh"
max_parallel = 8
protected = true
"""
    config = _load(tmp_path, user)
    specs = config.node_specs()
    assert specs == [
        NodeSpec(name="hn1", host="10.0.0.1", port=2222, user="admin", sudo=True, max_parallel=2),
        NodeSpec(
            name="hn2",
            host="hn2",
            user="admin",
            sudo=True,
            transport=TransportKind.OPENSSH,
            max_parallel=8,
            protected=True,
        ),
    ]
    assert str(config.origin("nodes.hn1.user")) == f"user file {tmp_path / 'config.toml'}:2 via [defaults]"
    assert config.node_specs(["hn2"])[0].name == "hn2"
    with pytest.raises(KeyError):
        config.node_specs(["hn3"])


def test_system_nodes_and_user_nodes_merge_key_by_key(tmp_path: Path) -> None:
    system = "[nodes.hn1]\nhost = '10.0.0.1'\nuser = 'ops'\n"
    user = "[nodes.hn1]\nuser = 'me'\n\n[nodes.hn2]\n"
    config = _load(tmp_path, user, system)
    assert list(config.nodes) == ["hn1", "hn2"]
    assert (config.nodes["hn1"].host, config.nodes["hn1"].user) == ("10.0.0.1", "me")


def test_presets_keep_their_order_and_skip_nothing_silently(tmp_path: Path) -> None:
    source = "[presets.small]\ndescription = 'tiny'\nswap = '256M'\nram = 256000000\nipadd = ''\ncpus = 1\n"
    preset = _load(tmp_path, source).presets["small"]
    assert preset.description == "tiny"
    assert preset.params == (("swap", "256M"), ("ram", "256000000"), ("ipadd", ""), ("cpus", "1"))


def test_keymap_and_ui(tmp_path: Path) -> None:
    config = _load(
        tmp_path, '[keymap]\nrefresh = ["ctrl+r", "f5"]\nfilter = "slash"\n[ui]\ncolumns = ["ctid", "name"]\n'
    )
    assert config.keymap == {"refresh": "ctrl+r,f5", "filter": "slash"}
    assert config.ui.columns == ("ctid", "name")


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("[defaults]\nrefersh = 3\n", '2: unknown key "refersh" in [defaults] (did you mean "refresh"?)'),
        ("[defualts]\n", '1: unknown table [defualts] (did you mean "defaults"?)'),
        ("[zzz]\n", "1: unknown table [zzz] (known: defaults, nodes, presets, keymap, ui)"),
        ("defaults = 3\n", "1: defaults must be a table ([defaults]), got an integer (3)"),
        ("[defaults]\nrefresh = 'fast'\n", '2: defaults.refresh: expected a number, got a string ("fast")'),
        ("[defaults]\nrefresh = 0\n", "2: defaults.refresh: must be between 0.2 and 3600 seconds, got 0"),
        ("[defaults]\nread_only = 'yes'\n", '2: defaults.read_only: expected true or false, got a string ("yes")'),
        ("[defaults]\nconcurrency = 1.5\n", "2: defaults.concurrency: expected an integer, got a number (1.5)"),
        ("[defaults]\nconcurrency = 100\n", "2: defaults.concurrency: must be between 1 and 64, got 100"),
        (
            "[defaults]\ntransport = 'ssh'\n",
            '2: defaults.transport: must be one of paramiko, openssh, local, got "ssh"',
        ),
        ("[nodes.hn1]\nport = 70000\n", "2: nodes.hn1.port: must be between 1 and 65535, got 70000"),
        ("[nodes.hn1]\nport = true\n", "2: nodes.hn1.port: expected an integer, got a boolean (true)"),
        (
            "[nodes.hn1]\nhost = '-oProxyCommand=x'\n",
            '2: nodes.hn1.host: "-oProxyCommand=x" is not a host name or address (must not start with "-")',
        ),
        (
            "[nodes.hn1]\nhost = 'a b'\n",
            '2: nodes.hn1.host: "a b" is not a host name or address (empty, or has spaces or control characters)',
        ),
        (
            "[nodes.hn1]\nuser = 'root@x'\n",
            '2: nodes.hn1.user: "root@x" is not a user name (no spaces, "@" or leading "-")',
        ),
        ("[nodes.hn1]\nhots = 'x'\n", '2: unknown key "hots" in [nodes.hn1] (did you mean "host"?)'),
        ("[nodes.hn1]\nroot_prefix = 'sim'\n", '2: nodes.hn1.root_prefix: must be an absolute path, got "sim"'),
        (
            "[nodes.hn1]\npath = 'bin'\n",
            '2: nodes.hn1.path: "bin" is not an absolute directory (entries are separated by ":")',
        ),
        ("[nodes.'bad name']\n", '1: "bad name" is not a valid node name (letters, digits, ".", "_", "-"; at most 63)'),
        ("nodes = { hn1 = 3 }\n", "1: nodes.hn1 must be a table ([nodes.hn1]), got an integer (3)"),
        ('[nodes."hn2.x"]\nsudo = 1\n', '2: nodes."hn2.x".sudo: expected true or false, got an integer (1)'),
        ("[ui]\ncolumns = 'ctid'\n", '2: ui.columns: expected an array of strings, got a string ("ctid")'),
        ("[ui]\ncolumns = ['ctid', 'ctid']\n", '2: ui.columns: column "ctid" is listed twice'),
        ("[ui]\ntheme = ''\n", "2: ui.theme: must not be empty"),
        ("[keymap]\nrefresh = 5\n", "2: keymap.refresh: expected a key or an array of keys, got an integer (5)"),
        (
            "[keymap]\nrefresh = 'ctrl r'\n",
            '2: keymap.refresh: "ctrl r" is not a key name (examples: "r", "ctrl+r", "f5", "shift+delete")',
        ),
        ("[keymap]\nrefresh = ''\n", "2: keymap.refresh: empty key name"),
        (
            "[presets.small]\nram = true\n",
            "2: presets.small.ram: expected a string or an integer, got a boolean (true)",
        ),
        ("[presets.small]\ndescription = 1\n", "2: presets.small.description: expected a string, got an integer (1)"),
        (
            "[presets.small]\nram = 'lots'\n",
            "2: presets.small.ram: vzctl would refuse it: Bad parameter for --ram: lots",
        ),
        (
            "[presets.small]\nram = 100\n",
            "2: presets.small.ram: '100' is less than 1M; did you forget the suffix (e.g. 512M)?",
        ),
        ("[presets.small]\nbogus = 1\n", '2: presets.small.bogus: "bogus" is not a vzctl set option'),
        (
            "[presets.small]\nsave = 'yes'\n",
            '2: presets.small.save: "save" is a flag of vzctl set, not a parameter a preset can carry',
        ),
        ("[defaults]\nrefresh = \n", "2: invalid TOML: invalid value (column 11)"),
        ("a = 1\na = 2\n", "2: invalid TOML: cannot overwrite a value (column 6)"),
    ],
)
def test_every_validation_error_has_file_line_and_message(tmp_path: Path, source: str, message: str) -> None:
    assert _problems(tmp_path, source) == [message]


def test_all_problems_are_reported_at_once_with_their_lines(tmp_path: Path) -> None:
    source = """\
# fleet
[defaults]
refresh = 2   # fine
bogus = 1

[nodes.hn1]
path = \"\"\"
bin
port = 5\"\"\"
port = 0
"""
    assert _problems(tmp_path, source) == [
        '4: unknown key "bogus" in [defaults] (known: refresh, transport, concurrency, read_only, theme, user, port,'
        " identity_file, sudo, connect_timeout, command_timeout, journal_dir)",
        '7: nodes.hn1.path: "bin\nport = 5" is not an absolute directory (entries are separated by ":")',
        "10: nodes.hn1.port: must be between 1 and 65535, got 0",
    ]


def test_environment_and_flag_errors_name_their_source(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, environ={"VZTUI_REFRESH": "fast", "VZTUI_READ_ONLY": "perhaps"})
    assert caught.value.problems == (
        'environment variable VZTUI_READ_ONLY: expected 1/0, true/false, yes/no or on/off, got "perhaps"',
        'environment variable VZTUI_REFRESH: expected a number, got "fast"',
    )
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, overrides={"defaults.refresh": (0.0, "--refresh")})
    assert caught.value.problems == ("--refresh: must be between 0.2 and 3600 seconds, got 0",)


def test_explicit_missing_file_and_unreadable_bytes(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(config_path=tmp_path / "missing.toml", system_path=tmp_path / "x", environ={})
    assert caught.value.problems == (f"{tmp_path / 'missing.toml'}: config file not found",)
    bad = tmp_path / "config.toml"
    bad.write_bytes(b"[defaults]\n# caf\xe9\n")
    with pytest.raises(ConfigError) as caught:
        load_config(config_path=bad, system_path=tmp_path / "x", environ={})
    assert caught.value.problems == (f"{bad}:2: not valid UTF-8 text",)


def test_system_file_errors_point_at_the_system_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, "", "[defaults]\n\nsudo = 'x'\n")
    assert caught.value.problems == (
        f'{tmp_path / "system.toml"}:3: defaults.sudo: expected true or false, got a string ("x")',
    )


def test_key_lines_follow_tables_dotted_and_quoted_keys() -> None:
    source = """\
top = 1
[nodes.hn1]
host = "a" # [not.a.table]
ssh.x = 2
arr = [
  "x = 1",
  { k = 1 },
]
[nodes . "q.x"]
'lit' = '''
multi = 3
'''
"""
    lines = key_lines(source)
    assert lines[("top",)] == 1
    assert lines[("nodes", "hn1")] == 2
    assert lines[("nodes", "hn1", "host")] == 3
    assert lines[("nodes", "hn1", "ssh", "x")] == 4
    assert lines[("nodes", "hn1", "arr")] == 5
    assert lines[("nodes", "q.x")] == 9
    assert lines[("nodes", "q.x", "lit")] == 10
    assert ("multi",) not in lines and ("nodes", "q.x", "multi") not in lines


def test_builtin_ispbasic_preset_and_user_override(tmp_path: Path) -> None:
    config = _load(tmp_path)
    ispbasic = config.presets["ispbasic"]
    assert ispbasic.value("ram") == "512M"
    assert ispbasic.value("diskspace") == "3000M"
    assert config.origin("presets.ispbasic").kind is OriginKind.BUILTIN
    config = _load(tmp_path, "\n[presets.ispbasic]\nram = '1G'\n")
    assert config.presets["ispbasic"].params == (("ram", "1G"),)
    assert str(config.origin("presets.ispbasic")) == f"user file {tmp_path / 'config.toml'}:2"
