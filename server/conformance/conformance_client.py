"""What the conformance suite needs of a server, and how it talks to one (real HTTP + WebSocket).

A target is a base URL plus the paths of PROTOCOL.md's two endpoints and of a
test-only publish endpoint: `POST <publish path>` with `{"events": [{"type": ...}, ...]}`
answering `{"ids": [...]}` in publish order.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from harness.servers import ServerProcess

TIMEOUT = 15.0  # bounds a failing step only; nothing asserts on speed
FIGURES: list[str] = []  # printed at the end of the run (conftest.py)
ID = re.compile(r"([0-9A-Za-z_.~]{1,32})-(0|[1-9][0-9]{0,17})")


MORE = "X-WS-Bridge-More"  # a poll answer cut short: ask again at once after its last event
MAX_PAGES = 1000


def figure(line: str) -> None:
    FIGURES.append("[conformance] " + line)


def parse(event_id: str) -> tuple[str, int] | None:
    """(epoch, seq) if the server uses PROTOCOL.md's recommended ids, else None."""
    m = ID.fullmatch(event_id)
    return (m.group(1), int(m.group(2))) if m else None


@dataclass
class Target:
    name: str  # "memory store", "file store", or the URL
    base: str  # http://host:port
    retention: int
    max_frame_bytes: int
    max_msgs_per_sec: float
    socket_path: str = "/ws/{room}/{client}"
    poll_path: str = "/rooms/{room}/events"
    publish_path: str = "/rooms/{room}/events"
    process: ServerProcess | None = None  # set when the suite started the server itself
    http: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.http = httpx.Client(base_url=self.base, timeout=TIMEOUT, trust_env=False)

    @staticmethod
    def room(label: str) -> str:
        return f"{label}-{uuid.uuid4().hex[:10]}"

    def publish(self, room: str, n: int, kind: str = "tick") -> list[str]:
        body = {"events": [{"type": kind, "n": i} for i in range(n)]}
        r = self.http.post(self.publish_path.format(room=room), json=body)
        assert r.status_code == 200, f"publish endpoint answered {r.status_code}: {r.text[:300]}"
        ids: list[str] = r.json()["ids"]
        assert len(ids) == n
        return ids

    def poll_page(self, room: str, since: str | None = None) -> tuple[list[dict[str, Any]], bool]:
        """One poll answer, and whether the server said more follows (PROTOCOL.md, "Pages")."""
        params = {} if since is None else {"since": since}
        r = self.http.get(self.poll_path.format(room=room), params=params)
        assert r.status_code == 200, f"poll answered {r.status_code}: {r.text[:300]}"
        frames: list[dict[str, Any]] = r.json()
        assert isinstance(frames, list)
        return frames, r.headers.get(MORE) == "1"

    def poll(self, room: str, since: str | None = None) -> list[dict[str, Any]]:
        """What a client gets by polling as PROTOCOL.md says: page after page until none is cut short."""
        frames, more = self.poll_page(room, since)
        for _ in range(MAX_PAGES):
            if not more:
                return frames
            ids = [str(f["id"]) for f in frames if "id" in f]
            assert ids, "an answer marked as cut short held no event to resume after"
            page, more = self.poll_page(room, ids[-1])
            assert not page or page[0].get("type") != "reset", f"the next page after {ids[-1]} was a reset"
            frames += page
        raise AssertionError(f"more than {MAX_PAGES} pages in a row")

    def log_ids(self, room: str) -> list[str]:
        """The server's own log of the room: every retained event id, oldest first."""
        return [str(e["id"]) for e in self.poll(room)]

    def socket(self, room: str, client: str = "c", since: str | None = None) -> ClientConnection:
        url = self.base.replace("http", "ws", 1) + self.socket_path.format(room=room, client=client)
        if since is not None:
            url += "?" + urlencode({"since": since})
        return connect(url, proxy=None, open_timeout=TIMEOUT, close_timeout=2, max_size=None)


def recv(ws: ClientConnection, timeout: float = TIMEOUT) -> dict[str, Any]:
    frame: dict[str, Any] = json.loads(ws.recv(timeout=timeout))
    return frame


def recv_until(ws: ClientConnection, last_id: str) -> list[dict[str, Any]]:
    """Frames up to and including the event `last_id`."""
    frames: list[dict[str, Any]] = []
    while not frames or frames[-1].get("id") != last_id:
        frames.append(recv(ws))
    return frames


def close_of(ws: ClientConnection) -> tuple[int, str]:
    """Reads until the server closes; its close code and reason."""
    try:
        for _ in range(1_000_000):
            ws.recv(timeout=TIMEOUT)
    except ConnectionClosed as exc:
        assert exc.rcvd is not None, f"the server dropped the connection without a close frame: {exc}"
        return exc.rcvd.code, exc.rcvd.reason
    raise AssertionError("the server never closed the connection")


def ids_of(frames: list[dict[str, Any]]) -> list[str]:
    """The event ids among frames (pong, error and reset frames have none)."""
    return [str(f["id"]) for f in frames if "id" in f]


def log_range(log: list[str], after: str | None, upto: str) -> list[str]:
    """The log's events after `after` (None: from its start) up to and including `upto`."""
    start = 0 if after is None else log.index(after) + 1
    return log[start: log.index(upto) + 1]


def lost_and_repeated(got: list[str], expected: list[str]) -> tuple[int, int]:
    seen: set[str] = set()
    repeated = sum(1 for i in got if i in seen or seen.add(i))  # type: ignore[func-returns-value]
    return len(set(expected) - seen), repeated
