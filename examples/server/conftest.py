"""pytest fixtures for the example server tests (helpers live in testkit.py)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
# The suites share their server starters in scripts/harness/ (`from harness.servers import ...`),
# a directory, not an installed package: it goes on the path here, beside this suite's own
# helpers, as no pytest configuration is common to all the suites.
for path in (HERE, HERE.parents[1] / "scripts"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

import pytest  # noqa: E402

from app import Settings  # noqa: E402
from testkit import RunningServer  # noqa: E402


@pytest.fixture
def make_server() -> Iterator[Callable[..., RunningServer]]:
    started: list[RunningServer] = []

    def factory(**overrides: Any) -> RunningServer:
        srv = RunningServer(Settings(**overrides))
        started.append(srv)
        return srv

    yield factory
    for srv in started:
        srv.stop()


@pytest.fixture
def server(make_server: Callable[..., RunningServer]) -> RunningServer:
    return make_server()
