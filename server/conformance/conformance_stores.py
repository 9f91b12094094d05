"""The repository's own servers as the suite runs them: real processes, each on a free loopback port."""

from __future__ import annotations

from pathlib import Path

from harness.servers import ServerProcess, bare_module, example_app

STORES = ("memory", "file", "redis")  # python -m ws_bridge_server on each store (redis: a real redis-server)
EXAMPLE = "example"  # the game example (examples/server/app.py), memory store: the bridge mounted in an app
# What the suite's own servers run with (and what it assumes of a URL unless told otherwise).
RETENTION = 1000
MAX_FRAME_BYTES = 65536
MAX_MSGS_PER_SEC = 50.0


def own_server(name: str, workdir: Path, redis_url: str | None = None) -> ServerProcess:
    """One of STORES, or EXAMPLE; "redis" needs the URL of a running redis-server."""
    env = {"REPLAY_LOG_SIZE": str(RETENTION), "MAX_FRAME_BYTES": str(MAX_FRAME_BYTES),
           "MAX_MSGS_PER_SEC": str(MAX_MSGS_PER_SEC)}
    if name == "redis" and not redis_url:
        raise ValueError("the redis store needs a redis_url")
    if name == EXAMPLE:
        return ServerProcess(example_app(publish_endpoint=True), env=env, cwd=workdir)
    return ServerProcess(bare_module(publish_endpoint=True), env=env, cwd=workdir,
                         event_log=str(workdir / "events.jsonl") if name == "file" else None,
                         redis=redis_url if name == "redis" else None)
