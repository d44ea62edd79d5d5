"""vzctl as separate processes: per-CT locking between two calls (exit 9) and ``enter`` on a real pty."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from vztui.sim.provision import init_node


def _env(speed: str) -> dict[str, str]:
    return {**os.environ, "VZTUI_SIM_SPEED": speed}


@pytest.fixture
def root(tmp_path: Path) -> Path:
    path = tmp_path / "hn1"
    init_node(path)
    created = subprocess.run(
        [
            str(path / "bin" / "vzctl"),
            "create",
            "101",
            "--ostemplate",
            "centos-6-x86_64",
            "--layout",
            "simfs",
            "--hostname",
            "stud1",
        ],
        capture_output=True,
        text=True,
        env=_env("0"),
        timeout=60,
        check=False,
    )
    assert created.returncode == 0, created.stderr
    return path


def test_second_operation_on_a_busy_ct_is_locked(root: Path) -> None:
    vzctl = str(root / "bin" / "vzctl")
    busy = subprocess.Popen(
        [vzctl, "start", "101"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env("1.5")
    )
    try:
        lock = root / "vz" / "lock" / "101.lck"
        deadline = time.monotonic() + 20
        while not lock.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert lock.exists()
        second = subprocess.run(
            [vzctl, "stop", "101"], capture_output=True, text=True, env=_env("0"), timeout=30, check=False
        )
        assert second.returncode == 9
        assert second.stdout == ""
        assert second.stderr == f"Locked by: pid {busy.pid}, cmdline vzctl start 101\nContainer already locked\n"
    finally:
        out, _err = busy.communicate(timeout=60)
    assert busy.returncode == 0
    assert out.startswith("Starting container...\n")
    assert not (root / "vz" / "lock" / "101.lck").exists()


def test_stale_lock_is_removed_with_vzctl_message(root: Path) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
    )
    (root / "vz" / "lock" / "101.lck").write_text(f"{dead.stdout.strip()}\n\n")
    run = subprocess.run(
        [str(root / "bin" / "vzctl"), "mount", "101"],
        capture_output=True,
        text=True,
        env=_env("0"),
        timeout=30,
        check=False,
    )
    assert run.returncode == 0
    assert run.stdout == "Removing stale lock file /vz/lock/101.lck\nContainer is mounted\n"


def _read_until(fd: int, marker: bytes, timeout: float = 20.0) -> bytes:
    data = b""
    deadline = time.monotonic() + timeout
    while marker not in data and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            data += chunk
    return data


def test_enter_is_an_interactive_prompt_on_a_pty(root: Path) -> None:
    vzctl = str(root / "bin" / "vzctl")
    subprocess.run([vzctl, "start", "101"], capture_output=True, env=_env("0"), timeout=30, check=True)
    master, slave = pty.openpty()
    proc = subprocess.Popen([vzctl, "enter", "101"], stdin=slave, stdout=slave, stderr=slave, env=_env("0"))
    os.close(slave)
    try:
        banner = _read_until(master, b"# ")
        assert b"entered into CT 101\r\n" in banner
        assert banner.endswith(b"[root@stud1 /]# ")
        os.write(master, b"hostname\n")
        assert b"stud1\r\n" in _read_until(master, b"# ")
        os.write(master, b"exit\n")
        tail = _read_until(master, b"exited from CT 101")
        assert b"logout\r\nexited from CT 101" in tail
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)


def test_enter_on_debian_uses_the_debian_prompt(root: Path) -> None:
    vzctl = str(root / "bin" / "vzctl")
    env = _env("0")
    subprocess.run(
        [
            vzctl,
            "create",
            "102",
            "--ostemplate",
            "debian-7.0-x86_64-minimal",
            "--layout",
            "simfs",
            "--hostname",
            "stud1",
        ],
        capture_output=True,
        env=env,
        timeout=30,
        check=True,
    )
    subprocess.run([vzctl, "start", "102"], capture_output=True, env=env, timeout=30, check=True)
    done = subprocess.run(
        [vzctl, "enter", "102"], input="exit\n", capture_output=True, text=True, env=env, timeout=30, check=False
    )
    assert done.returncode == 0
    assert done.stdout == "entered into CT 102\nroot@stud1:/# logout\nexited from CT 102\n"


def test_sigterm_cancels_and_releases_the_lock(root: Path) -> None:
    vzctl = str(root / "bin" / "vzctl")
    busy = subprocess.Popen(
        [vzctl, "start", "101"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env("4")
    )
    lock = root / "vz" / "lock" / "101.lck"
    deadline = time.monotonic() + 20
    while not lock.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    busy.terminate()
    _out, err = busy.communicate(timeout=30)
    assert err.endswith("\nCancelling...\n")
    assert busy.returncode != 0
    assert not lock.exists()
