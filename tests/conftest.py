"""Shared fixtures: real sshd processes on 127.0.0.1 (see ``tests/sshd.py``). Subdirectories add their own."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest

from tests.sshd import SKIP_REASON, SSH_KEYGEN, SSHD, SshdFactory, SshdNode


@pytest.fixture(autouse=True)
def vztui_logger_restored() -> Iterator[None]:
    """``vztui.cli.main`` points the ``vztui`` logger at a file or stderr and stops it propagating, as a program
    should; a test that runs it in-process must not leave that behind for the tests after it (caplog included)."""
    logger = logging.getLogger("vztui")
    handlers, level, propagate = list(logger.handlers), logger.level, logger.propagate
    yield
    logger.handlers[:] = handlers
    logger.setLevel(level)  # not ``logger.level =``: setLevel also clears the loggers' cached verdicts
    logger.propagate = propagate


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


@pytest.fixture
def sshd_node(sshd_factory: SshdFactory) -> Callable[..., SshdNode]:
    """``sshd_node(name, root)``: a real sshd serving one simulated node ROOT (``ROOT/bin`` first on PATH)."""

    def start(name: str, root: Path, *, legacy: bool = False, options: dict[str, str] | None = None) -> SshdNode:
        return sshd_factory(name, root=root, legacy=legacy, options=options)

    return start


@pytest.fixture
def sshd_cluster(sshd_factory: SshdFactory) -> Callable[[Mapping[str, Path]], dict[str, SshdNode]]:
    """``sshd_cluster(build_cluster(tmp, nodes=3).nodes)``: one real sshd per simulated node, by name.

    Each ``SshdNode.spec()`` is a ready NodeSpec (paramiko, root_prefix = ROOT); its ``known_hosts`` file trusts it.
    """
    return sshd_factory.cluster
