"""The ``WsBridge`` widget: one room's live events, pushed into the kernel."""

from __future__ import annotations

import functools
import logging
import weakref
from pathlib import Path
from typing import Any, Callable
from urllib.parse import quote, urlsplit

import anywidget
import traitlets

from ._handout import Batch, Event, Reset, RoomHandout, parse_batch

log = logging.getLogger("ws_bridge_widget")

_MODULE = Path(__file__).resolve().parent / "static" / "widget.js"

# Per kernel, per (url, room): what was handed out, and the live widget of the room.
_handouts: dict[tuple[str, str], RoomHandout] = {}
_live: "weakref.WeakValueDictionary[tuple[str, str], WsBridge]" = weakref.WeakValueDictionary()


@functools.cache
def _module_text() -> str:
    if not _MODULE.is_file():
        raise FileNotFoundError(f"the ws_bridge_widget module is not built ({_MODULE} is missing): run `npm run build` in the repository")
    return _MODULE.read_text(encoding="utf-8")


def _fill(template: str, room: str, player: str | None, name: str) -> str:
    if "{player}" in template and player is None:
        raise ValueError(f"{name} has a {{player}} placeholder: pass player=")
    return template.replace("{room}", quote(room, safe="")).replace("{player}", quote(player or "", safe=""))


def _check_url(url: str) -> None:
    # The page dials it as it is, or relative to itself: any other scheme could never connect.
    try:
        scheme = urlsplit(url).scheme
    except ValueError:
        raise ValueError("url is not a valid URL") from None
    if scheme and scheme.lower() not in ("ws", "wss", "http", "https"):
        raise ValueError(f"url must be a ws(s):// or http(s):// URL or a path relative to the page, not a {scheme}: URL")


def _check(url: object, room: object, max_messages: object, throttle_ms: object) -> None:
    if not isinstance(room, str) or not room:
        raise ValueError("room must be a non-empty string")
    if not isinstance(url, str) or not url:
        raise ValueError("url must be a non-empty string")
    _check_url(url)
    if isinstance(max_messages, bool) or not isinstance(max_messages, int) or max_messages < 1:
        raise ValueError("max_messages must be an int >= 1")
    if isinstance(throttle_ms, bool) or not isinstance(throttle_ms, (int, float)) or throttle_ms < 0:
        raise ValueError("throttle_ms must be a number >= 0")


class WsBridge(anywidget.AnyWidget):
    """One WebSocket per room and page, its events pushed into this kernel, each once.

    Display it (or wrap it in ``mo.ui.anywidget`` in marimo) to start it: the
    page opens the socket, reconnects with replay, keeps the room's last
    ``max_messages`` in sessionStorage and shows 🟢/🟡/🔴. Each new event
    reaches ``events`` and every ``on_event`` callback exactly once per kernel,
    in order: across page reloads, the widget shown in several cells, and the
    notebook open in several tabs. Where each page load starts a new kernel
    (Voilà, ``marimo run``), once per browser tab.
    """

    url = traitlets.Unicode("").tag(sync=True)
    room = traitlets.Unicode("").tag(sync=True)
    fallback_url = traitlets.Unicode(None, allow_none=True).tag(sync=True)
    token_url = traitlets.Unicode(None, allow_none=True).tag(sync=True)
    player = traitlets.Unicode(None, allow_none=True).tag(sync=True)
    max_messages = traitlets.Int(100).tag(sync=True)
    throttle_ms = traitlets.Float(100).tag(sync=True)
    show_status = traitlets.Bool(True).tag(sync=True)
    #: The bridge's status, written by the page when something a listener acts on changes.
    status = traitlets.Dict().tag(sync=True)

    def __init__(
        self,
        url: str,
        room: str,
        *,
        fallback_url: str | None = None,
        token_url: str | None = None,
        player: str | None = None,
        max_messages: int = 100,
        throttle_ms: float = 100,
        show_status: bool = True,
    ) -> None:
        _check(url, room, max_messages, throttle_ms)
        if token_url and fallback_url and player is None:
            raise ValueError("token_url with fallback_url needs player=: the poll names its client beside the token")
        full_url = _fill(url, room, player, "url")
        self._esm = _module_text()
        super().__init__(
            url=full_url,
            room=room,
            fallback_url=_fill(fallback_url, room, player, "fallback_url") if fallback_url else None,
            token_url=_fill(token_url, room, player, "token_url") if token_url else None,
            player=player,
            max_messages=max_messages,
            throttle_ms=float(throttle_ms),
            show_status=bool(show_status),
            status={"state": "connecting", "room": room},
        )
        #: Every event that reached this kernel through this widget, oldest first.
        self.events: list[Event] = []
        #: Every reset signalled, oldest first.
        self.resets: list[Event] = []
        #: The room's kept history as the page last sent it, oldest first.
        self.messages: list[Event] = []
        #: Batches received from the page (each is one call into this kernel).
        self.batches = 0
        self._on_event: list[Callable[[Event], Any]] = []
        self._on_reset: list[Callable[[Event], Any]] = []
        key = (full_url, room)
        self._handout = _handouts.setdefault(key, RoomHandout())
        earlier = _live.get(key)
        # One widget per room per kernel: a cell run again replaces the earlier widget, which
        # would otherwise keep taking batches after a reload and starve this one's callbacks.
        if earlier is not None and earlier is not self:
            earlier.close()
        _live[key] = self
        self.on_msg(self._receive)

    def close(self) -> None:
        """Closes the widget: its views go, and its page's socket closes with the last of them."""
        key = (self.url, self.room)
        if _live.get(key) is self:
            del _live[key]
        super().close()

    def on_event(self, callback: Callable[[Event], Any]) -> Callable[[Event], Any]:
        """Calls ``callback(event)`` for each new event, in order. Usable as a decorator."""
        self._on_event.append(callback)
        return callback

    def on_reset(self, callback: Callable[[Event], Any]) -> Callable[[Event], Any]:
        """Calls ``callback(reset)`` once per reset: the server could not replay, reload your state."""
        self._on_reset.append(callback)
        return callback

    def _receive(self, _widget: object, content: object, _buffers: object) -> None:
        batch = parse_batch(content)
        if batch is None:
            return
        self.batches += 1
        fresh, last = self._handout.take(batch)
        self.messages = batch.messages
        # Acknowledged before the callbacks run: a callback that raises cannot make the page send again.
        self.send({"type": "ack", "tab": batch.tab, "seq": last})
        self._hand_out(fresh)

    def _hand_out(self, fresh: list[Event]) -> None:
        for item in fresh:
            is_reset = isinstance(item, Reset)
            item = dict(item)
            (self.resets if is_reset else self.events).append(item)
            for callback in list(self._on_reset if is_reset else self._on_event):
                try:
                    callback(item)
                except Exception:  # a callback's bug must not cost the events after it
                    log.exception("ws_bridge_widget: %s callback raised", "on_reset" if is_reset else "on_event")


__all__ = ["WsBridge"]
