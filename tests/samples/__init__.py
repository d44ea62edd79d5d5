"""Real captures from OpenVZ nodes and vzctl 4.11.1 (provenance in SOURCES.md), vendored so the suite runs on any
checkout. They are the same files as ``../shared/openvz/samples`` beside the repository; tests read them through
``sample_path``/``sample_text`` and never from outside the tree."""

from __future__ import annotations

from pathlib import Path

SAMPLES = Path(__file__).resolve().parent


def sample_path(name: str) -> Path:
    """The vendored capture ``name`` (a missing one is a broken checkout: fail loudly, never skip)."""
    path = SAMPLES / name
    if not path.is_file():
        raise FileNotFoundError(f"sample {name} is missing from {SAMPLES}")
    return path


def sample_text(name: str) -> str:
    return sample_path(name).read_text(encoding="utf-8")
