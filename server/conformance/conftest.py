"""Which servers the conformance suite checks.

Without options: every store in this repository, each as a real process on a
free loopback port (`python -m ws_bridge_server --publish-endpoint`, memory and
file), and the game example that mounts the module (examples/server/app.py).
With `--bridge-url URL` (or WS_BRIDGE_URL): only that server, which must offer
the test publish endpoint (see PROTOCOL.md, "Conformance").
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
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

from conformance_client import FIGURES, Target  # noqa: E402
from conformance_stores import EXAMPLE, MAX_FRAME_BYTES, MAX_MSGS_PER_SEC, RETENTION, STORES, own_server  # noqa: E402


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("ws-bridge conformance")
    group.addoption("--bridge-url", default=os.environ.get("WS_BRIDGE_URL"),
                    help="check this running server (http://host:port) instead of the repository's stores")
    group.addoption("--retention", type=int, default=int(os.environ.get("WS_BRIDGE_RETENTION", RETENTION)),
                    help="events the server keeps per room")
    group.addoption("--max-frame-bytes", type=int,
                    default=int(os.environ.get("WS_BRIDGE_MAX_FRAME_BYTES", MAX_FRAME_BYTES)))
    group.addoption("--max-msgs-per-sec", type=float,
                    default=float(os.environ.get("WS_BRIDGE_MAX_MSGS_PER_SEC", MAX_MSGS_PER_SEC)))
    group.addoption("--socket-path", default=os.environ.get("WS_BRIDGE_SOCKET_PATH", "/ws/{room}/{client}"))
    group.addoption("--poll-path", default=os.environ.get("WS_BRIDGE_POLL_PATH", "/rooms/{room}/events"))
    group.addoption("--publish-path", default=os.environ.get("WS_BRIDGE_PUBLISH_PATH", "/rooms/{room}/events"))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "own_servers: starts the repository's own servers; skipped with --bridge-url")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--bridge-url"):
        skip = pytest.mark.skip(reason="starts its own servers; --bridge-url checks only the given one")
        for item in items:
            if item.get_closest_marker("own_servers"):
                item.add_marker(skip)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "target" in metafunc.fixturenames:
        url = metafunc.config.getoption("--bridge-url")
        metafunc.parametrize("target", [url] if url else [*STORES, EXAMPLE], indirect=True, scope="session")
    if "own_store" in metafunc.fixturenames:
        metafunc.parametrize("own_store", [] if metafunc.config.getoption("--bridge-url") else list(STORES))


@pytest.fixture(scope="session")
def target(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    option: Any = request.config.getoption
    if request.param not in (*STORES, EXAMPLE):
        yield Target(request.param, request.param.rstrip("/"), option("--retention"), option("--max-frame-bytes"),
                     option("--max-msgs-per-sec"), option("--socket-path"), option("--poll-path"),
                     option("--publish-path"))
        return
    redis_url = request.getfixturevalue("redis_url") if request.param == "redis" else None
    server = own_server(request.param, tmp_path_factory.mktemp(request.param), redis_url)
    try:
        base = server.start()
        name = "game example (memory store)" if request.param == EXAMPLE else f"{request.param} store"
        t = Target(name, base, RETENTION, MAX_FRAME_BYTES, MAX_MSGS_PER_SEC, process=server)
        yield t
        t.http.close()
    finally:
        server.stop()


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One real redis-server for the session (AOF, appendfsync always, as deploy/redis.conf ships)."""
    from redis_process import RedisProcess

    server = RedisProcess(tmp_path_factory.mktemp("redis"), aof=True)
    try:
        yield server.start()
    finally:
        server.stop()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if FIGURES:
        terminalreporter.section("conformance figures")
        for line in FIGURES:
            terminalreporter.write_line(line)
