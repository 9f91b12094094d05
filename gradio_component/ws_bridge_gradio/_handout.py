"""Exactly-once hand-off of a browser tab's numbered batches to the Gradio app, per (tab, room).

Each page load of a Gradio app is a new session, so the durable side is the
browser: it numbers every new event of a room with a sequence of its tab (kept
in sessionStorage, so it survives reloads) and sends everything not yet
acknowledged through the component's server function, one batch at a time.
This process keeps, per (tab, room), the highest sequence it handed out, so a
batch sent again (a reload before the acknowledgement came back, a response
lost on the way) hands nothing out twice. A Gradio server that restarts starts
empty: a tab's first batch then starts after its own acknowledgement
(``baseSeq``), so the new process gets only what no process got before.

Everything here comes from the browser and is checked: a malformed batch is
ignored, and sizes are bounded.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

Event = dict[str, Any]

#: (tab, room) pairs remembered; the least recently used go first (a forgotten pair
#: restarts from the tab's own acknowledgement, ``baseSeq``).
MAX_TABS = 10_000
#: Events taken from one batch; the rest come with the next (the acknowledgement stops before them).
MAX_EVENTS = 5_000
MAX_MESSAGES = 10_000
MAX_TEXT = 200
#: Above any sequence a browser makes (2**53: JavaScript's exact integers).
MAX_INT = 2**53


class Reset(dict[str, Any]):
    """A reset in the numbered stream: the server could not replay, the app reloads its state.

    A type of its own, so that an app event that happens to be called "reset" is never taken for one.
    """


@dataclass(frozen=True)
class Batch:
    """A batch as the browser sends it (protocol version 1), checked."""

    tab: str
    base_seq: int
    events: tuple[tuple[int, Event], ...]
    messages: list[Event]
    status: dict[str, Any]


def _count(value: object) -> int | None:
    ok = isinstance(value, int) and not isinstance(value, bool) and 0 <= value < MAX_INT
    return value if ok else None  # type: ignore[return-value]


def _numbered(raw: object) -> list[tuple[int, Event]]:
    items: list[tuple[int, Event]] = []
    for entry in raw if isinstance(raw, list) else []:
        seq = _count(entry.get("seq")) if isinstance(entry, dict) else None
        if seq is None:
            continue
        if isinstance(entry.get("event"), dict):
            items.append((seq, entry["event"]))
        elif isinstance(entry.get("reset"), dict):
            items.append((seq, Reset(entry["reset"])))
    items.sort(key=lambda pair: pair[0])
    return items[:MAX_EVENTS]


def parse_batch(raw: object) -> Batch | None:
    """The browser's batch (the server function's argument); ``None`` if it is not one."""
    if not isinstance(raw, dict) or raw.get("v") != 1:
        return None
    tab, base = raw.get("tab"), _count(raw.get("baseSeq"))
    if not isinstance(tab, str) or not 0 < len(tab) <= MAX_TEXT or base is None:
        return None
    messages, status = raw.get("messages"), raw.get("status")
    return Batch(
        tab=tab,
        base_seq=base,
        events=tuple(_numbered(raw.get("events"))),
        messages=[m for m in messages[-MAX_MESSAGES:] if isinstance(m, dict)] if isinstance(messages, list) else [],
        status=status if isinstance(status, dict) else {},
    )


class TabHandout:
    """The highest sequence handed out per (tab, room), in this process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: OrderedDict[tuple[str, str], int] = OrderedDict()

    def take(self, room: str, batch: Batch) -> tuple[list[Event], int]:
        """What ``batch`` brings that was not handed out before, in order, and the sequence to acknowledge.

        Atomic: two overlapping calls for one tab (a batch sent again while the first still ran,
        Gradio runs server functions in a thread pool) never take an event twice.
        """
        key = (batch.tab, room)
        with self._lock:
            last = max(self._last.get(key, batch.base_seq), batch.base_seq)
            fresh: list[Event] = []
            for seq, item in batch.events:
                if seq <= last:
                    continue
                last = seq
                fresh.append(item)
            self._last[key] = last
            self._last.move_to_end(key)
            while len(self._last) > MAX_TABS:
                self._last.popitem(last=False)
            return fresh, last
