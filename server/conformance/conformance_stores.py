"""The repository's own stores as the suite runs them: real processes, each on a free loopback port."""

from __future__ import annotations

from pathlib import Path

from conformance_client import ServerProcess

STORES = ("memory", "file")
# What the suite's own servers run with (and what it assumes of a URL unless told otherwise).
RETENTION = 1000
MAX_FRAME_BYTES = 65536
MAX_MSGS_PER_SEC = 50.0


def own_server(store: str, workdir: Path) -> ServerProcess:
    """`python -m ws_bridge_server` on the memory store, or on the file store in `workdir`."""
    env = {"REPLAY_LOG_SIZE": str(RETENTION), "MAX_FRAME_BYTES": str(MAX_FRAME_BYTES),
           "MAX_MSGS_PER_SEC": str(MAX_MSGS_PER_SEC)}
    return ServerProcess(workdir, env, str(workdir / "events.jsonl") if store == "file" else None)
