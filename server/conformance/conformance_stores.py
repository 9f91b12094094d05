"""The repository's own servers as the suite runs them: real processes, each on a free loopback port."""

from __future__ import annotations

import sys
from pathlib import Path

from conformance_client import ServerProcess

STORES = ("memory", "file")  # python -m ws_bridge_server on each store
EXAMPLE = "example"  # the game example (examples/server/app.py), memory store: the bridge mounted in an app
REPO = Path(__file__).resolve().parents[2]
# What the suite's own servers run with (and what it assumes of a URL unless told otherwise).
RETENTION = 1000
MAX_FRAME_BYTES = 65536
MAX_MSGS_PER_SEC = 50.0


def own_server(name: str, workdir: Path) -> ServerProcess:
    """One of STORES, or EXAMPLE."""
    env = {"REPLAY_LOG_SIZE": str(RETENTION), "MAX_FRAME_BYTES": str(MAX_FRAME_BYTES),
           "MAX_MSGS_PER_SEC": str(MAX_MSGS_PER_SEC)}
    if name == EXAMPLE:
        return ServerProcess(workdir, env, command=[sys.executable, str(REPO / "examples" / "server" / "app.py")])
    return ServerProcess(workdir, env, str(workdir / "events.jsonl") if name == "file" else None)
