"""pytest fixtures for the example server tests (helpers live in testkit.py)."""

from __future__ import annotations

import secrets
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

from access import Access  # noqa: E402
from app import Settings  # noqa: E402
from testkit import RunningServer  # noqa: E402


@pytest.fixture
def make_server() -> Iterator[Callable[..., RunningServer]]:
    """`make_server(**settings)`: the bridge's Settings; `access=` the example's own switches, which
    the tests turn on unless they say otherwise (the operator routes with a fresh random
    ADMIN_TOKEN, the test publish endpoint) since most of them count and inject through those."""
    started: list[RunningServer] = []

    def factory(access: Access | None = None, **overrides: Any) -> RunningServer:
        opened = Access(admin_token=secrets.token_urlsafe(24), publish_endpoint=True)
        srv = RunningServer(Settings(**overrides), opened if access is None else access)
        started.append(srv)
        return srv

    yield factory
    for srv in started:
        srv.stop()


@pytest.fixture
def server(make_server: Callable[..., RunningServer]) -> RunningServer:
    return make_server()
