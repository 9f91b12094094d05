"""Exactly-once hand-off of a browser tab's numbered batches to the Dash app, per (tab, room).

Each page load of a Dash app is a new page with no server-side session, so the
durable side is the browser: it numbers every new event of a room with a
sequence of its tab (kept in sessionStorage, so it survives reloads) and writes
everything not yet acknowledged into the batch store, one batch at a time. This
process keeps, per (tab, room), the highest sequence it handed out, so a batch
written again (a reload before the acknowledgement came back, a write whose
response Dash dropped) hands nothing out twice.

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
#: Above any sequence or number a browser makes (2**53: JavaScript's exact integers).
MAX_INT = 2**53


class Reset(dict[str, Any]):
    """A reset in the numbered stream: the server could not replay, the app reloads its state.

    A type of its own, so that an app event that happens to be called "reset" is never taken for one.
    """


@dataclass(frozen=True)
class Sent:
    """One write of the batch store, checked: ``n`` is echoed in the acknowledgement."""

    n: int
    room: str
    tab: str
    base_seq: int
    events: tuple[tuple[int, Event], ...]
    messages: list[Event]
    status: dict[str, Any]


def _count(value: object) -> int | None:
    ok = isinstance(value, int) and not isinstance(value, bool) and 0 <= value < MAX_INT
    return value if ok else None  # type: ignore[return-value]


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and 0 < len(value) <= MAX_TEXT else None


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


def parse_sent(data: object, options: object) -> Sent | None:
    """The batch store's ``{"n", "batch"}`` and the options store's room; ``None`` if either is not ours."""
    if not isinstance(data, dict) or not isinstance(options, dict):
        return None
    batch, n, room = data.get("batch"), _count(data.get("n")), _text(options.get("room"))
    if not isinstance(batch, dict) or batch.get("v") != 1 or n is None or room is None:
        return None
    tab, base = _text(batch.get("tab")), _count(batch.get("baseSeq"))
    if tab is None or base is None:
        return None
    messages = batch.get("messages")
    status = batch.get("status")
    return Sent(
        n=n,
        room=room,
        tab=tab,
        base_seq=base,
        events=tuple(_numbered(batch.get("events"))),
        messages=[m for m in messages[-MAX_MESSAGES:] if isinstance(m, dict)] if isinstance(messages, list) else [],
        status=status if isinstance(status, dict) else {},
    )


class TabHandout:
    """The highest sequence handed out per (tab, room), in this process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: OrderedDict[tuple[str, str], int] = OrderedDict()

    def take(self, sent: Sent) -> tuple[list[Event], Reset | None, int]:
        """What ``sent`` brings that was not handed out before, and the sequence to acknowledge.

        The events after its last new reset, in order, and that reset (``None`` if none): the
        events before a reset belong to the history the app reloads. Atomic: two overlapping
        callback runs for one tab (a write again while the first still ran) never take an event twice.
        """
        key = (sent.tab, sent.room)
        with self._lock:
            last = max(self._last.get(key, sent.base_seq), sent.base_seq)
            fresh: list[Event] = []
            reset: Reset | None = None
            for seq, item in sent.events:
                if seq <= last:
                    continue
                last = seq
                if isinstance(item, Reset):
                    fresh, reset = [], item
                else:
                    fresh.append(item)
            self._last[key] = last
            self._last.move_to_end(key)
            while len(self._last) > MAX_TABS:
                self._last.popitem(last=False)
            return fresh, reset, last
