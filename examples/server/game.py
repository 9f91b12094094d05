"""The game on top of the bridge: what players' frames mean, and the room state for GET /state.

The state is folded from the room's events as they are published (the bridge's
listener), so GET /state costs no more than a dict lookup (plus the presence read,
one Redis call on the Redis store). A room first seen in
the middle of its history (after a restart with the file store) is folded from
its retained history on first access.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from typing import Any

from ws_bridge_server import Bridge, Connection, Hooks, Step, StoredEvent, make_id, step

MESSAGES_IN_STATE = 50
MAX_VOTES_PER_ROOM = 1000


class GameRoom:
    def __init__(self, epoch: str, last: int) -> None:
        self.epoch = epoch
        self.last = last  # the newest event folded in
        self.phase: str = "lobby"
        self.topic: Any = None
        self.messages: deque[dict[str, Any]] = deque(maxlen=MESSAGES_IN_STATE)
        self.votes: dict[str, str] = {}

    def apply(self, stored: StoredEvent) -> None:
        self.epoch, self.last = stored.epoch, stored.seq
        ev, kind = stored.event, stored.event["type"]
        if kind == "message":
            self.messages.append(ev)
        elif kind == "phase":
            self.phase = ev.get("phase", self.phase)
            self.votes.clear()  # every phase starts a fresh round of votes
        elif kind == "topic":
            self.topic = ev.get("topic")
        elif kind == "voted":
            player, target = ev.get("player"), ev.get("target")
            if isinstance(player, str) and isinstance(target, str):
                self.votes.pop(player, None)  # re-insert so the dict stays in vote order
                self.votes[player] = target
                if len(self.votes) > MAX_VOTES_PER_ROOM:
                    del self.votes[next(iter(self.votes))]


class Game:
    def __init__(self, bridge: Bridge, max_rooms: int) -> None:
        self.bridge = bridge
        self.max_rooms = max_rooms
        self.rooms: OrderedDict[str, GameRoom] = OrderedDict()
        bridge.add_listener(self.observe)
        bridge.hooks = Hooks(on_join=self.announce_players, on_leave=self.announce_players, on_frame=self.on_frame)

    def observe(self, stored: StoredEvent) -> None:
        room = self.rooms.get(stored.room)
        if room is None or step((room.epoch, room.last), stored.epoch, stored.seq) is not Step.NEXT:
            if stored.seq != 1:  # joined mid-history: fold it from the store when asked
                self.rooms.pop(stored.room, None)
                return
            room = self._keep(stored.room, GameRoom(stored.epoch, 0))
        room.apply(stored)
        self.rooms.move_to_end(stored.room)

    def _keep(self, name: str, room: GameRoom) -> GameRoom:
        self.rooms[name] = room
        if len(self.rooms) > self.max_rooms:
            self.rooms.popitem(last=False)
        return room

    async def room(self, name: str) -> GameRoom:
        room = self.rooms.get(name)
        if room is None:
            replay = await self.bridge.read(name, None)  # the whole retained history
            room = GameRoom(replay.window.epoch, replay.window.first - 1)
            for stored in replay.events:
                room.apply(stored)
            self._keep(name, room)
        return room

    async def state(self, name: str) -> dict[str, Any]:
        room = await self.room(name)
        return {
            "room": name,
            "phase": room.phase,
            "topic": room.topic,
            "players": await self.bridge.presence(name),
            "messages": list(room.messages),
            "votes": dict(room.votes),
            "last_event_id": make_id(room.epoch, room.last) if room.last else None,
        }

    async def announce_players(self, conn: Connection) -> None:
        # Presence, not this replica's sockets: players on other replicas of a Redis store count too.
        await self.bridge.publish(conn.room, "player_list", {"players": await self.bridge.presence(conn.room)})

    async def on_frame(self, conn: Connection, frame: dict[str, Any]) -> None:
        """A player's frame; the player always comes from the URL, never from the frame."""
        kind = frame.get("type")
        if kind == "message":
            text = frame.get("text")
            if not isinstance(text, str) or not text:
                return conn.reply({"type": "error", "error": "message needs a non-empty string 'text'"})
            await self.bridge.publish(conn.room, "message", {"player": conn.client, "text": text})
        elif kind == "typing":
            await self.bridge.publish(conn.room, "typing", {"player": conn.client})
        elif kind == "vote":
            target = frame.get("target")
            if not isinstance(target, str) or not 0 < len(target) <= 128:
                return conn.reply({"type": "error", "error": "vote needs a string 'target' (1-128 chars)"})
            await self.bridge.publish(conn.room, "voted", {"player": conn.client, "target": target})
        else:
            conn.reply({"type": "error", "error": f"unknown frame type: {repr(kind)[:64]}"})
