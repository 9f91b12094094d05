"""Exactly-once hand-off of the frame's numbered events to the script.

The frame numbers every new event of a room with a sequence of its browser
tab (kept in sessionStorage, so it survives reloads and remounts) and sends
everything not yet acknowledged. This module keeps, per (tab, room), the
highest sequence already handed to the script, in process memory that
outlives Streamlit sessions: a page reload (new session, empty
``st.session_state``) resumes from it instead of starting over.

Taking is atomic (one lock, no Streamlit call inside), so two overlapping
script runs of one session, or a stale component value, never hand out an
event twice. Handing out (``hand_out``) takes and calls the app's ``on_event``
under a second lock, so two overlapping runs also call it in the events' order.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Callable

Event = dict[str, Any]


class Reset(dict[str, Any]):
    """A reset in the frame's numbered stream, in line with the events.

    The server could not replay from the tab's last id: the events between
    ``since`` and ``resume`` are gone, and the app must reload its state. A
    type of its own, so that an app event that happens to be called "reset"
    is never taken for one.
    """


def split_at_reset(taken: list[Event]) -> tuple[list[Event], Reset | None]:
    """The events after the last reset of ``taken``, and that reset (None if there is none).

    Events before a reset belong to the history the app reloads anyway.
    """
    for at in range(len(taken) - 1, -1, -1):
        if isinstance(taken[at], Reset):
            return taken[at + 1 :], Reset(taken[at])
    return taken, None


@dataclass(frozen=True)
class ComponentValue:
    """A component value as the frame sends it (protocol version 1)."""

    tab: str
    base_seq: int
    last_seq: int
    events: tuple[tuple[int, Event], ...]
    messages: list[Event]
    status: dict[str, Any] | None


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def parse_value(raw: object) -> ComponentValue | None:
    """The frame's value, checked; ``None`` for no value yet or anything else."""
    if not isinstance(raw, dict) or raw.get("v") != 1:
        return None
    tab, base, last = raw.get("tab"), raw.get("baseSeq"), raw.get("lastSeq")
    if not isinstance(tab, str) or not tab or not _is_int(base) or not _is_int(last):
        return None
    events: list[tuple[int, Event]] = []
    for entry in raw.get("events") or []:
        if isinstance(entry, dict) and _is_int(entry.get("seq")) and isinstance(entry.get("event"), dict):
            events.append((entry["seq"], entry["event"]))
        elif isinstance(entry, dict) and _is_int(entry.get("seq")) and isinstance(entry.get("reset"), dict):
            events.append((entry["seq"], Reset(entry["reset"])))
    events.sort(key=lambda pair: pair[0])
    messages = [m for m in raw.get("messages") or [] if isinstance(m, dict)]
    status = raw.get("status")
    return ComponentValue(
        tab=tab,
        base_seq=base,
        last_seq=last,
        events=tuple(events),
        messages=messages,
        status=status if isinstance(status, dict) else None,
    )


class HandOutRegistry:
    """Highest sequence handed out per (tab, room), plus which tab each session's component uses.

    Both maps are bounded (least recently used entries go first). An entry
    that was evicted, or lost with a server restart, restarts from the frame's
    own acknowledgement (``base_seq``): at worst the events of the last run
    before that point come again.
    """

    def __init__(self, max_entries: int = 10_000) -> None:
        self._lock = threading.Lock()
        # Held from a take to the end of its on_event calls. Reentrant: an on_event that calls
        # ws_bridge (which it must not) misbehaves, but does not hang the process.
        self._handout = threading.RLock()
        self._max = max_entries
        self._handed: OrderedDict[tuple[str, str], int] = OrderedDict()
        self._sessions: OrderedDict[tuple[str, str], tuple[str, str]] = OrderedDict()

    def _touch(self, table: OrderedDict[Any, Any], key: Any, value: Any) -> None:
        table[key] = value
        table.move_to_end(key)
        while len(table) > self._max:
            table.popitem(last=False)

    def ack_for(self, session_id: str, key: str) -> tuple[str | None, int | None]:
        """(tab, seq) to acknowledge to this session's component: everything up to seq was handed out."""
        with self._lock:
            where = self._sessions.get((session_id, key))
            if where is None:
                return None, None
            return where[0], self._handed.get(where)

    def take(self, session_id: str, key: str, room: str, value: ComponentValue) -> list[Event]:
        """The events of ``value`` not handed out before, in order; they will never be handed out again."""
        where = (value.tab, room)
        with self._lock:
            last = max(self._handed.get(where, value.base_seq), value.base_seq)
            fresh: list[Event] = []
            for seq, event in value.events:
                if seq > last:
                    fresh.append(event)
                    last = seq
            self._touch(self._handed, where, last)
            self._touch(self._sessions, (session_id, key), where)
            return fresh

    def handed_out(self, tab: str, room: str) -> int | None:
        """The highest sequence handed out for (tab, room), if known."""
        with self._lock:
            return self._handed.get((tab, room))

    def hand_out(
        self, session_id: str, key: str, room: str, value: ComponentValue, on_event: Callable[[Event], None] | None
    ) -> tuple[list[Event], Reset | None]:
        """``take``, split at its last reset, with ``on_event`` called on each event before any
        other run of this process takes: a run that took first also finishes its calls first."""
        with self._handout:
            events, reset = split_at_reset(self.take(session_id, key, room, value))
            if on_event is not None:
                for event in events:
                    on_event(event)
            return events, reset
