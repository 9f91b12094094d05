"""Exactly-once hand-off of a page's numbered batches to Python, per kernel.

The browser numbers every new event of a room with a sequence of its tab
(kept in sessionStorage, so it survives reloads) and sends everything not yet
acknowledged, one batch at a time. This module keeps, per room and kernel:

- the highest sequence taken per tab, so a batch sent again (a reload before
  the acknowledgement arrived, a second view) hands nothing out twice;
- the ids of recent events and resets, so two tabs open on one kernel (each
  with its own numbering) hand each event out once.

A kernel restart starts empty: the first batch of a tab then starts after the
sequence that tab says an earlier kernel acknowledged (``baseSeq``), so the
new kernel gets only what no kernel got before.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

Event = dict[str, Any]

#: Tabs and ids remembered per room; the least recently used go first.
MAX_TABS = 1_000
MAX_IDS = 10_000


class Reset(dict[str, Any]):
    """A reset in the numbered stream: the server could not replay, the app reloads its state.

    A type of its own, so that an app event that happens to be called "reset"
    is never taken for one.
    """


@dataclass(frozen=True)
class Batch:
    """A batch as the browser sends it (protocol version 1), checked."""

    tab: str
    base_seq: int
    events: tuple[tuple[int, Event], ...]
    messages: list[Event]


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def parse_batch(content: object) -> Batch | None:
    """The browser's ``{"type": "batch", "batch": {...}}`` message; ``None`` for anything else."""
    if not isinstance(content, dict) or content.get("type") != "batch":
        return None
    raw = content.get("batch")
    if not isinstance(raw, dict) or raw.get("v") != 1:
        return None
    tab, base = raw.get("tab"), raw.get("baseSeq")
    if not isinstance(tab, str) or not tab or len(tab) > 100 or not _is_int(base):
        return None
    events: list[tuple[int, Event]] = []
    for entry in raw.get("events") or []:
        if not isinstance(entry, dict) or not _is_int(entry.get("seq")):
            continue
        if isinstance(entry.get("event"), dict):
            events.append((entry["seq"], entry["event"]))
        elif isinstance(entry.get("reset"), dict):
            events.append((entry["seq"], Reset(entry["reset"])))
    events.sort(key=lambda pair: pair[0])
    messages = [m for m in raw.get("messages") or [] if isinstance(m, dict)]
    return Batch(tab=tab, base_seq=base, events=tuple(events), messages=messages)


def _dedup_key(item: Event) -> str | None:
    """What makes two tabs' copies of one event (or reset) the same; None: no way to tell."""
    if isinstance(item, Reset):
        resume = item.get("resume")
        return "reset:" + resume if isinstance(resume, str) else None
    ident = item.get("id")
    if isinstance(ident, str):
        return "s:" + ident
    if _is_int(ident):
        return "n:" + str(ident)
    return None


def _remember(table: OrderedDict[str, Any], key: str, value: Any, limit: int) -> None:
    table[key] = value
    table.move_to_end(key)
    while len(table) > limit:
        table.popitem(last=False)


class RoomHandout:
    """What one room has handed to Python in this kernel."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._taken: OrderedDict[str, int] = OrderedDict()
        self._seen: OrderedDict[str, None] = OrderedDict()

    def take(self, batch: Batch) -> tuple[list[Event], int]:
        """The events and resets of ``batch`` not handed out before, in order, and the sequence to acknowledge."""
        with self._lock:
            last = max(self._taken.get(batch.tab, batch.base_seq), batch.base_seq)
            fresh: list[Event] = []
            for seq, item in batch.events:
                if seq <= last:
                    continue
                last = seq
                key = _dedup_key(item)
                if key is not None and key in self._seen:
                    continue
                if key is not None:
                    _remember(self._seen, key, None, MAX_IDS)
                fresh.append(item)
            _remember(self._taken, batch.tab, last, MAX_TABS)
            return fresh, last
