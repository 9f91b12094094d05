"""Shared by the two bench apps: an append-only JSON-lines ledger (WSB_LEDGER).

Every script run and every batch of new events is written there with the
wall-clock time (ms), so bench/streamlit.mjs counts runs and latencies from the
file, not from the page.
"""

from __future__ import annotations

import json
import os
import threading
import time

_LOCK = threading.Lock()
LEDGER = os.environ["WSB_LEDGER"]
SERVER = os.environ["WSB_SERVER"].rstrip("/")
ROOM = os.environ.get("WSB_ROOM", "bench")


def now_ms() -> float:
    return time.time() * 1000


def log(**entry: object) -> None:
    line = json.dumps(entry)
    with _LOCK, open(LEDGER, "a", encoding="utf-8") as ledger:
        ledger.write(line + "\n")
