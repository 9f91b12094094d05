"""The file store (EVENT_LOG_PATH): the memory store plus an append-only JSON-lines log.

Each event is appended and flushed to the OS before anyone can see it, so every
event a client could have seen survives a crash of the process (SIGKILL
included). The file also holds the store's epoch, so a restarted server keeps
its ids: a client that resumes with `since=<id>` gets exactly what it missed,
with no reset.

Line 1 is `{"ws_bridge_log":1,"epoch":"<epoch>"}`; every other line is
`{"epoch":"<epoch>","seq":<seq>,"event":<event>}`. Lines end with "\n" only: the
JSON escapes every control character, and the file is split on "\n" alone, so
any text a client can send (U+2028, U+0085 ...) stays inside its line. A torn
last line (the process died mid-write) is cut off on start; any other damaged
line is skipped with a warning (counted in `skipped`), and every intact event
is served. The file is never compacted: it is a test and demo aid, not a
database.
"""

from __future__ import annotations

import json
import logging
import os
from typing import IO

from ..events import StoredEvent, read_event
from ..protocol import encode
from .memory import MemoryStore, RoomLog

log = logging.getLogger("ws_bridge_server")

FORMAT = 1


class FileStore(MemoryStore):
    def __init__(self, path: str, retention: int = 1000, max_rooms: int = 10_000, **limits: int) -> None:
        super().__init__(retention, max_rooms, **limits)
        self.path = path
        self.loaded = 0  # events read back from the file on start
        self.skipped = 0  # damaged lines passed over on start
        self._file: IO[str] | None = None

    async def start(self) -> None:
        if self._file is not None:
            return
        lines = self._read_complete_lines()
        if lines:
            self._load(lines)
        self._file = open(self.path, "a", encoding="utf-8")
        if not lines:
            self._file.write(encode({"ws_bridge_log": FORMAT, "epoch": self.epoch}) + "\n")
            self._file.flush()

    def _read_complete_lines(self) -> list[bytes]:
        if not os.path.exists(self.path):
            return []
        with open(self.path, "rb") as f:
            data = f.read()
        complete = data.rfind(b"\n") + 1
        if complete < len(data):  # torn last line: drop it so the next append starts clean
            with open(self.path, "r+b") as f:
                f.truncate(complete)
        return [line for line in data[:complete].split(b"\n") if line.strip()]

    def _load(self, lines: list[bytes]) -> None:
        try:
            header = json.loads(lines[0])
        except (ValueError, RecursionError) as exc:  # damaged: the events' lines carry their own epochs
            self.skipped += 1
            log.warning("%s line 1 (the header) is damaged, skipped (%s): new rooms get a new epoch", self.path, exc)
            header = {"ws_bridge_log": FORMAT, "epoch": self.epoch}
        if not isinstance(header, dict) or header.get("ws_bridge_log") != FORMAT:
            raise ValueError(f"{self.path} is not an event log of this version: move it away to start afresh")
        self.epoch = str(header["epoch"])
        for number, line in enumerate(lines[1:], start=2):
            event = self._event_of(line, number)
            if event is None:
                continue
            epoch, seq, room = event.epoch, event.seq, event.room
            log = self.rooms.get(room)
            if log is None or not (log.epoch == epoch and log.last + 1 == seq):
                # A new room, or one that was evicted and began a new life: its history starts over.
                if log is None and len(self.rooms) >= self.max_rooms:
                    self._evict_one()
                log = self.rooms[room] = RoomLog(epoch, self.limits, last=seq - 1)
            log.append(event)
            self.rooms.move_to_end(room)
            self.loaded += 1

    def _event_of(self, line: bytes, number: int) -> StoredEvent | None:
        try:
            entry = json.loads(line.decode("utf-8"))
            return read_event(entry["event"])
        except (ValueError, KeyError, TypeError, RecursionError) as exc:
            self.skipped += 1
            log.warning("%s line %d is damaged, skipped (%s): %r", self.path, number, exc, line[:80])
            return None

    def _persist(self, event: StoredEvent) -> None:
        if self._file is None:
            raise RuntimeError("FileStore.start() must run before the first publish")
        self._file.write('{"epoch":"%s","seq":%d,"event":%s}\n' % (event.epoch, event.seq, event.text))
        self._file.flush()  # in the OS's hands: survives the process being killed

    async def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
