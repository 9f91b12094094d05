"""The one place an event's JSON is built and read back.

An event on the wire is `{"id","type","room","ts",...payload}` (PROTOCOL.md). Its
text is built once, at publish, and shared by every socket, poll and replay. A
store that assigns the id somewhere else (the Redis store's Lua) stores the
body Python built here (`{"type","room","ts",...payload}`) exactly as it is,
and `with_id` puts the id in front of it: every store's text comes out of
that one function.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from .protocol import encode, make_id, parse_id

Fields = dict[str, Any]

# Fields the server owns; a published payload can never override them.
RESERVED_FIELDS = frozenset({"id", "type", "room", "ts"})


@dataclass(frozen=True, slots=True)
class StoredEvent:
    room: str
    epoch: str
    seq: int
    event: Fields  # the decoded event, id included
    text: str  # the event's JSON as every client gets it
    nbytes: int  # len(text) in UTF-8

    @property
    def id(self) -> str:
        return make_id(self.epoch, self.seq)


class EventTooLarge(ValueError):
    """An event's JSON is longer than the store accepts (Settings.max_event_bytes)."""


class Body(NamedTuple):
    """An event before it has an id: its fields and their JSON object text."""

    fields: Fields
    text: str


def new_body(room: str, kind: str, payload: Mapping[str, Any], max_bytes: int | None = None) -> Body:
    """The event's fields but the id. Raises ValueError for a payload that is not JSON, and
    EventTooLarge for one whose event would be longer than `max_bytes` in UTF-8."""
    fields: Fields = {"type": kind, "room": room, "ts": time.time() * 1000}
    fields.update((k, v) for k, v in payload.items() if k not in RESERVED_FIELDS)
    text = encode(fields)
    # The id adds at most 64 bytes ('"id":"<epoch>-<seq>",'): counted so the limit holds for the event.
    if max_bytes is not None and len(text.encode()) + 64 > max_bytes:
        raise EventTooLarge(f"an event of {len(text.encode())} bytes is over the limit of {max_bytes}")
    return Body(fields, text)


def with_id(epoch: str, seq: int, body: Body) -> StoredEvent:
    """The event `epoch`-`seq` with this body: the id goes first, the body's text follows unchanged."""
    event_id = make_id(epoch, seq)
    text = '{"id":"%s",%s' % (event_id, body.text[1:])
    room = body.fields["room"]
    return StoredEvent(str(room), epoch, seq, {"id": event_id, **body.fields}, text, len(text.encode()))


def read_body(text: str) -> Body:
    """A body text a store kept; raises ValueError if it is not one."""
    fields = json.loads(text)
    if not isinstance(fields, dict) or not isinstance(fields.get("room"), str):
        raise ValueError(f"not an event body: {text[:80]}")
    return Body(fields, text)


def read_event(fields: Mapping[str, Any]) -> StoredEvent:
    """A whole event as decoded JSON (id included), as the file store keeps it."""
    parsed = parse_id(str(fields.get("id")))
    if parsed is None or not isinstance(fields.get("room"), str):
        raise ValueError(f"not an event: {str(dict(fields))[:80]}")
    body = {k: v for k, v in fields.items() if k != "id"}
    return with_id(parsed[0], parsed[1], Body(body, encode(body)))
