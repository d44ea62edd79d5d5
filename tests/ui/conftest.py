"""Fixtures for the dashboard shell's tests: local time pinned to UTC so clock-derived labels are deterministic."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest


@pytest.fixture
def utc() -> Iterator[None]:
    """``time.localtime`` in UTC for the test ("stale since 14:13:20" must not depend on the machine)."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = old
        time.tzset()
