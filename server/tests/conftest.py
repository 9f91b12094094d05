"""pytest fixtures for the ws_bridge_server package (helpers live in bridgekit.py)."""

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
from ws_bridge_server import Bridge, Settings  # noqa: E402
from ws_bridge_server.run import bare_app  # noqa: E402

from bridgekit import RunningServer  # noqa: E402


@pytest.fixture
def make_bridge_server() -> Iterator[Callable[..., RunningServer]]:
    """Starts the bare bridge app (with the test driver) on a free port; stops it after the test."""
    started: list[RunningServer] = []

    def factory(bridge: Bridge | None = None, **overrides: Any) -> RunningServer:
        srv = RunningServer(bare_app(bridge or Bridge(settings=Settings(**overrides)), publish_endpoint=True))
        started.append(srv)
        return srv

    yield factory
    for srv in started:
        srv.stop()


@pytest.fixture
def bridge_server(make_bridge_server: Callable[..., RunningServer]) -> RunningServer:
    return make_bridge_server()
