"""The wire protocol's one decision: what a client that resumes with `since` gets.

Every store answers the socket and the fallback poll through `decide()`, so the
two can never disagree (PROTOCOL.md, "Resume"). Ids are `"<epoch>-<seq>"`: the
epoch names one lifetime of a room's history, `seq` counts 1, 2, 3 ... in it.

It also owns the one rule for "is this the next event?" (`step`): the join, each
live socket, the Redis follower and the example game all ask it.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from enum import Enum
from typing import Any

# A `since` longer than this is no id of ours: answered "unknown" without parsing it.
MAX_ID_CHARS = 64
_ID = re.compile(r"([0-9A-Za-z_.~]{1,32})-(0|[1-9][0-9]{0,17})")

# Room and client names (PROTOCOL.md, "Names"): what is safe in a URL path, a log line and a
# Redis Cluster hash tag. No NUL, CR, LF, spaces, braces or slashes.
NAME = re.compile(r"[A-Za-z0-9_.~@+-]{1,128}")
NAME_RULE = "1-128 characters of A-Z a-z 0-9 _ . ~ @ + -"

# A room nobody has written to has no history and no epoch yet. Reading it creates nothing:
# it answers this window, and its ids are "0-0" ("before the room began"). No store makes
# "0" an epoch (new_epoch() makes 8 hex digits), so "0-0" never names an event.
NO_ROOM = "0"
NO_ROOM_ID = NO_ROOM + "-0"


def valid_name(name: str) -> bool:
    return NAME.fullmatch(name) is not None


def encode(obj: Any) -> str:
    """Compact JSON; NaN/Infinity are rejected because browsers can't parse them."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def new_epoch() -> str:
    """A fresh epoch: 8 hex digits, so a lost history is never mistaken for the current one."""
    return secrets.token_hex(4)


def make_id(epoch: str, seq: int) -> str:
    return f"{epoch}-{seq}"


def parse_id(text: str) -> tuple[str, int] | None:
    """(epoch, seq) of one of our ids, or None for anything else."""
    if len(text) > MAX_ID_CHARS:
        return None
    m = _ID.fullmatch(text)
    return (m.group(1), int(m.group(2))) if m else None


@dataclass(frozen=True, slots=True)
class Window:
    """A room's history as a store holds it: seqs first..last of `epoch` (first = last + 1 when none)."""

    epoch: str
    first: int
    last: int

    @classmethod
    def before_room(cls) -> Window:
        """The window of a room that does not exist (yet)."""
        return cls(NO_ROOM, 1, 0)

    @property
    def last_id(self) -> str:
        return make_id(self.epoch, self.last)


# (epoch, seq) of the last event something was given or has folded in.
Position = tuple[str, int]


class Step(Enum):
    """Where an event stands relative to a position."""

    SEEN = "seen"  # at or before it, same epoch: already given
    NEXT = "next"  # right after it: pass it on
    GAP = "gap"  # later in the same epoch, with events missing in between
    OTHER_EPOCH = "other epoch"  # the room's history started over (or this is an older life)


# Module-level names for the members: a class attribute lookup on an Enum costs more than the
# whole rule, and every live socket asks it once per event.
SEEN, NEXT, GAP, OTHER_EPOCH = Step.SEEN, Step.NEXT, Step.GAP, Step.OTHER_EPOCH


def step(position: Position, epoch: str, seq: int) -> Step:
    """The one "does this event follow on?" rule. A position before the room began (NO_ROOM)
    is followed by the first event of whatever epoch the room then starts."""
    if epoch != position[0]:
        return NEXT if seq == 1 and position == (NO_ROOM, 0) else OTHER_EPOCH
    if seq <= position[1]:
        return SEEN
    return NEXT if seq == position[1] + 1 else GAP


@dataclass(frozen=True, slots=True)
class Reset:
    """The history between `since` and `resume` is gone: the client reloads and resumes from `resume`."""

    since: str
    resume: str
    reason: str  # "evicted" | "ahead" | "epoch" | "unknown"

    def frame(self) -> dict[str, str]:
        return {"type": "reset", "since": self.since, "resume": self.resume, "reason": self.reason}

    def text(self) -> str:
        return encode(self.frame())


@dataclass(frozen=True, slots=True)
class Decision:
    """Replay the seqs after `after` (None: replay nothing), preceded by `reset` if there is one."""

    after: int | None
    reset: Reset | None = None


def decide(since: str | None, window: Window, *, socket: bool) -> Decision:
    """The replay-or-reset decision of PROTOCOL.md's table, for the socket and the poll alike.

    The only difference between the two: without `since`, a socket goes live from
    now (the client holds nothing it could resume) while a poll gets the whole
    retained log.
    """
    if since is None:
        return Decision(after=None if socket else window.first - 1)
    if since in ("", NO_ROOM_ID):  # "from the beginning": possible only while nothing was evicted
        return Decision(after=0) if window.first <= 1 else _reset(since, window, "evicted")
    parsed = parse_id(since)
    if parsed is None:
        return _reset(since, window, "unknown")
    epoch, seq = parsed
    if epoch != window.epoch:
        return _reset(since, window, "epoch")
    if seq > window.last:  # the store lost events it had handed out, but kept its epoch
        return _reset(since, window, "ahead")
    if seq < window.first - 1:
        return _reset(since, window, "evicted")
    return Decision(after=seq)


def _reset(since: str, window: Window, reason: str) -> Decision:
    # Only events after `resume` follow a reset; at the time of the decision there are none.
    return Decision(after=window.last, reset=Reset(since, window.last_id, reason))
