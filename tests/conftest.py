"""Shared fixtures: real sshd processes on 127.0.0.1 (see ``tests/sshd.py``). Subdirectories add their own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sshd import SKIP_REASON, SSH_KEYGEN, SSHD, SshdFactory


@pytest.fixture(scope="session")
def ssh_keys_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Throwaway host and user keys, generated once per test session."""
    return tmp_path_factory.mktemp("ssh-keys")


@pytest.fixture
def sshd_factory(ssh_keys_dir: Path, tmp_path: Path) -> Iterator[SshdFactory]:
    """Start real sshd processes for one test: ``sshd_factory("hn1", bin_dir=ROOT / "bin", legacy=False)``.

    Skips the test when OpenSSH's sshd is not installed; stops every sshd it started afterwards.
    """
    if SSHD is None or SSH_KEYGEN is None:
        pytest.skip(SKIP_REASON)
    factory = SshdFactory(ssh_keys_dir, tmp_path / "sshd")
    try:
        yield factory
    finally:
        factory.stop_all()
