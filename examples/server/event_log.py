"""Opt-in persistent event log (EVENT_LOG_PATH / --event-log): one JSON line per event.

Each event is appended (and flushed to the OS) before it is broadcast, so every
event a client could have seen survives a crash of the process (SIGKILL
included). On start the file is replayed into the store: the replay logs come
back, and ids keep counting up from the last one of each room, so a client
that reconnects with `since=<id>` after a restart gets exactly what it missed.

A line is `{"seq":<seq>,"event":<event>}`. A torn last line (the process died
mid-write) is cut off on load. The file is never compacted: it is a test and
demo aid, not a database.
"""

from __future__ import annotations

import json
import os
from typing import IO

from event_store import EventStore, LoggedEvent


class EventLog:
    def __init__(self, path: str) -> None:
        self.path = path
        self._file: IO[str] | None = None

    def load(self, store: EventStore) -> int:
        """Replays the file into `store`; returns how many events it held."""
        if not os.path.exists(self.path):
            return 0
        with open(self.path, "rb") as f:
            data = f.read()
        complete = data.rfind(b"\n") + 1
        if complete < len(data):  # torn last line: drop it so the next append starts clean
            with open(self.path, "r+b") as f:
                f.truncate(complete)
        count = 0
        for line in data[:complete].decode("utf-8").splitlines():
            if not line.strip():
                continue
            entry = json.loads(line)
            store.restore(entry["event"]["room"], int(entry["seq"]), entry["event"])
            count += 1
        return count

    def append(self, logged: LoggedEvent) -> None:
        if self._file is None:
            self._file = open(self.path, "a", encoding="utf-8")
        self._file.write('{"seq":%d,"event":%s}\n' % (logged.seq, logged.text))
        self._file.flush()  # in the OS's hands: survives the process being killed

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
