"""The memory and file stores behind the store interface (no network)."""

from __future__ import annotations

import asyncio
import json
import math
from pathlib import Path

import pytest
from ws_bridge_server import FileStore, MemoryStore, StoredEvent, parse_id


class Recorder:
    """A subscriber that records what the store tells the replica."""

    def __init__(self, watched: set[str] | None = None) -> None:
        self.seen: list[StoredEvent] = []
        self.watched = watched or set()

    def deliver(self, event: StoredEvent) -> None:
        self.seen.append(event)

    def watching(self, room: str) -> bool:
        return room in self.watched


def ids(events: list[StoredEvent]) -> list[str]:
    return [e.id for e in events]


def test_publish_assigns_contiguous_seqs_per_room_and_notifies_in_order() -> None:
    async def scenario() -> None:
        store, sub = MemoryStore(retention=3), Recorder()
        store.attach(sub)
        out = [await store.publish("r", "message", {"text": str(i), "id": "x", "ts": 1}) for i in range(5)]
        other = await store.publish("q", "t", {})
        assert [e.seq for e in out] == [1, 2, 3, 4, 5] and other.seq == 1
        assert {parse_id(e.id)[0] for e in out + [other]} == {store.epoch}  # type: ignore[index]
        assert ids(sub.seen) == ids(out) + [other.id]
        ev = out[-1].event
        assert ev["id"] == out[-1].id and ev["type"] == "message" and ev["room"] == "r" and ev["ts"] != 1
        replay = await store.read("r", None, socket=False)
        assert ids(replay.events) == ids(out[2:]) and replay.reset is None  # trimmed to the retention
        assert ids((await store.read("r", out[2].id, socket=True)).events) == ids(out[3:])
        evicted = await store.read("r", out[0].id, socket=True)
        assert evicted.reset and evicted.reset.reason == "evicted" and evicted.reset.resume == out[-1].id
        assert evicted.events == []

    asyncio.run(scenario())


def test_a_payload_that_is_not_json_leaves_no_trace() -> None:
    async def scenario() -> None:
        store = MemoryStore()
        with pytest.raises(ValueError):
            await store.publish("r", "t", {"v": math.nan})
        assert (await store.publish("r", "t", {})).seq == 1

    asyncio.run(scenario())


def test_two_starts_of_the_memory_store_have_different_epochs() -> None:
    async def scenario() -> None:
        first, second = MemoryStore(), MemoryStore()
        old = await first.publish("r", "t", {})
        replay = await second.read("r", old.id, socket=True)
        assert first.epoch != second.epoch
        # The room does not exist in the second life: its resume id is "before the room began".
        assert replay.reset and replay.reset.reason == "epoch" and replay.reset.resume == "0-0"
        assert "r" not in second.rooms  # reading it created nothing
        new = await second.publish("r", "t", {})
        again = await second.read("r", replay.reset.resume, socket=True)
        assert again.reset is None and [e.id for e in again.events] == [new.id]  # from "0-0": all of it

    asyncio.run(scenario())


def test_the_room_cap_evicts_idle_rooms_only_and_a_returning_room_gets_a_new_epoch() -> None:
    async def scenario() -> None:
        store = MemoryStore(max_rooms=2)
        store.attach(Recorder(watched={"a"}))
        a = await store.publish("a", "t", {})
        b = await store.publish("b", "t", {})
        await store.publish("c", "t", {})
        assert list(store.rooms) == ["a", "c"]  # "b" was the oldest idle room
        again = await store.publish("b", "t", {})
        assert again.seq == 1 and again.epoch != b.epoch  # its old ids can never be taken for new ones
        replay = await store.read("b", b.id, socket=True)
        assert replay.reset and replay.reset.reason == "epoch"
        assert (await store.read("a", a.id, socket=True)).reset is None

    asyncio.run(scenario())


def test_the_file_store_reloads_events_epoch_and_ids(tmp_path: Path) -> None:
    path = str(tmp_path / "events.jsonl")

    async def scenario() -> None:
        first = FileStore(path, retention=100)
        await first.start()
        written = [await first.publish("r-1", "tick", {"n": i}) for i in range(5)]
        other = await first.publish("other", "tick", {})
        await first.close()

        second = FileStore(path, retention=3)  # a later boot with a smaller retention
        await second.start()
        assert second.loaded == 6 and second.epoch == first.epoch
        assert [e.text for e in (await second.read("r-1", None, socket=False)).events] == [e.text for e in written[2:]]
        assert ids((await second.read("r-1", written[2].id, socket=True)).events) == ids(written[3:])
        assert (await second.publish("r-1", "tick", {})).seq == 6  # ids go on: nothing repeats
        assert (await second.publish("other", "tick", {})).id == f"{other.epoch}-2"
        await second.close()

    asyncio.run(scenario())


def test_a_torn_last_line_is_cut_off_and_appending_goes_on_cleanly(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"

    async def scenario() -> None:
        first = FileStore(str(path))
        await first.start()
        await first.publish("r", "tick", {})
        await first.close()
        with open(path, "a") as f:
            f.write('{"epoch":"x","seq":2,"event":{"id":"x-2","ty')  # the process died mid-write
        second = FileStore(str(path))
        await second.start()
        assert second.loaded == 1
        await second.publish("r", "tick", {})
        await second.close()
        lines = [json.loads(line) for line in path.read_text().splitlines()]
        assert lines[0] == {"ws_bridge_log": 1, "epoch": first.epoch}
        assert [line["event"]["id"] for line in lines[1:]] == [f"{first.epoch}-1", f"{first.epoch}-2"]

    asyncio.run(scenario())


def test_a_log_of_another_format_is_refused_rather_than_misread(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text('{"seq":1,"event":{"id":"r-1","type":"t","room":"r"}}\n')
    with pytest.raises(ValueError, match="not an event log of this version"):
        asyncio.run(FileStore(str(path)).start())


def test_a_file_that_lost_its_tail_keeps_its_epoch_and_answers_ahead(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"

    async def scenario() -> None:
        first = FileStore(str(path))
        await first.start()
        written = [await first.publish("r", "tick", {}) for _ in range(5)]
        await first.close()
        lines = path.read_text().splitlines(keepends=True)
        path.write_text("".join(lines[:4]))  # an older copy of the file: events 4 and 5 are gone
        second = FileStore(str(path))
        await second.start()
        replay = await second.read("r", written[-1].id, socket=True)
        assert replay.reset and replay.reset.reason == "ahead" and replay.reset.resume == written[2].id
        assert (await second.read("r", written[2].id, socket=True)).reset is None

    asyncio.run(scenario())
