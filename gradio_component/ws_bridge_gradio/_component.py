"""The ``WsBridge`` component: one room's live events, handed to this Gradio app's Python."""

from __future__ import annotations

import functools
import logging
from pathlib import Path
from typing import Any, Callable
from urllib.parse import quote, urlsplit

import gradio as gr

from ._handout import Batch, Event, Reset, TabHandout, parse_batch

log = logging.getLogger("ws_bridge_gradio")

_SCRIPT = Path(__file__).resolve().parent / "static" / "bridge.js"
#: The global static/bridge.js leaves (src/gradio/bridge.ts's GLOBAL_NAME).
_GLOBAL = "__wsBridgeGradio"

# Per process: what each (tab, room) was handed. Every session's components share it, so a
# reload (a new Gradio session, the same tab) hands nothing out again.
_handout = TabHandout()


@functools.cache
def _js_on_load() -> str:
    """js_on_load's body: the script once per page (guarded by its global), then this mount."""
    if not _SCRIPT.is_file():
        raise FileNotFoundError(f"the ws_bridge_gradio script is not built ({_SCRIPT} is missing): run `npm run build` in the repository")
    script = _SCRIPT.read_text(encoding="utf-8")
    return f"if (!window.{_GLOBAL}) {{\n{script}\n}}\nwindow.{_GLOBAL}(element, props, server, trigger)"


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


class WsBridge(gr.HTML):
    """One WebSocket per room and page, its events handed to ``on_event`` callbacks, each once per tab.

    Put it in a ``gr.Blocks``: the page opens the socket, reconnects with replay, keeps the
    room's last ``max_messages`` in sessionStorage and shows 🟢/🟡/🔴. Each new event reaches
    every ``on_event`` callback exactly once per browser tab, in order, across reloads. The
    callbacks run in Gradio's worker threads, outside any event: keep app state there (a
    queue, a dict), not component updates. A component made once for the app is shared by
    every tab, so its callbacks hear each tab's copy; made in ``gr.render(triggers=[demo.load])``,
    it is one per session.
    """

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
        **kwargs: Any,
    ) -> None:
        _check(url, room, max_messages, throttle_ms)
        if token_url and fallback_url and player is None:
            raise ValueError("token_url with fallback_url needs player=: the poll names its client beside the token")
        self.room_name = room
        #: Every event handed to this component, oldest first (not ``events``: Gradio's blocks have that name).
        self.received: list[Event] = []
        #: Every reset signalled, oldest first.
        self.resets: list[Event] = []
        #: The room's kept history as the page last sent it, oldest first.
        self.messages: list[Event] = []
        #: The bridge's status as the page last sent it (sent when something a listener acts on changes).
        self.status: dict[str, Any] = {"state": "connecting", "room": room}
        #: Batches received (each is one call into this process).
        self.batches = 0
        self._on_event: list[Callable[[Event], Any]] = []
        self._on_reset: list[Callable[[Event], Any]] = []
        self._on_batch: list[Callable[[Batch], Any]] = []

        # Gradio calls it with the browser's batch; its return value is the acknowledgement.
        # A plain function, not a method: gr.HTML marks each server function with an attribute.
        def wsb_batch(raw: object) -> dict[str, Any] | None:
            return self._receive(raw)

        super().__init__(
            value="",
            html_template="",
            js_on_load=_js_on_load(),
            server_functions=[wsb_batch],
            url=_fill(url, room, player, "url"),
            room=room,
            fallback_url=_fill(fallback_url, room, player, "fallback_url") if fallback_url else None,
            token_url=_fill(token_url, room, player, "token_url") if token_url else None,
            player=player,
            max_messages=max_messages,
            throttle_ms=float(throttle_ms),
            show_status=bool(show_status),
            **kwargs,
        )

    def on_event(self, callback: Callable[[Event], Any]) -> Callable[[Event], Any]:
        """Calls ``callback(event)`` for each new event, in order. Usable as a decorator."""
        self._on_event.append(callback)
        return callback

    def on_reset(self, callback: Callable[[Event], Any]) -> Callable[[Event], Any]:
        """Calls ``callback(reset)`` once per reset: the server could not replay, reload your state."""
        self._on_reset.append(callback)
        return callback

    def on_batch(self, callback: Callable[[Batch], Any]) -> Callable[[Batch], Any]:
        """Calls ``callback(batch)`` per call from the page, before its events are handed out (status, history)."""
        self._on_batch.append(callback)
        return callback

    def _receive(self, raw: object) -> dict[str, Any] | None:
        batch = parse_batch(raw)
        if batch is None:
            return None
        self.batches += 1
        self.messages = batch.messages
        self.status = batch.status
        fresh, last = _handout.take(self.room_name, batch)
        self._call(self._on_batch, batch, "on_batch")
        for item in fresh:
            is_reset = isinstance(item, Reset)
            item = dict(item)
            (self.resets if is_reset else self.received).append(item)
            for callback in list(self._on_reset if is_reset else self._on_event):
                self._call([callback], item, "on_reset" if is_reset else "on_event")
        return {"tab": batch.tab, "seq": last}

    @staticmethod
    def _call(callbacks: list[Callable[[Any], Any]], value: Any, name: str) -> None:
        for callback in list(callbacks):
            try:
                callback(value)
            except Exception:  # a callback's bug must not cost the events after it, nor the acknowledgement
                log.exception("ws_bridge_gradio: %s callback raised", name)


__all__ = ["WsBridge"]
