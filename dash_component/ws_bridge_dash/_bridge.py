"""``DashBridge``: one room's live events, pushed into a Dash callback, each once per browser tab."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import quote, urlsplit

from dash import ClientsideFunction, Dash, Input, Output, State, dcc, html, no_update
from dash.exceptions import PreventUpdate

from ._handout import Event, Reset, TabHandout, parse_sent

log = logging.getLogger("ws_bridge_dash")

#: Where the built script sits inside the package, served by Dash from /_dash-component-suites/.
SCRIPT = "static/bridge.js"
NAMESPACE = "ws_bridge_dash"


@dataclass(frozen=True)
class Update:
    """What one batch brought a tab: the new events, in order, and the room's state as the page sees it."""

    room: str
    #: The browser tab's id (its sessionStorage ledger): events are once per tab.
    tab: str
    #: New events, oldest first; after ``reset`` if there is one.
    events: list[Event]
    #: The server could not replay (it restarted without its history): reload your state. Else None.
    reset: Reset | None
    #: The connection's status: ``status["state"]`` is connecting, connected, disconnected, error or closed.
    status: dict[str, Any]
    #: The room's last ``max_messages`` events as the page keeps them, oldest first.
    messages: list[Event] = field(default_factory=list)


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


def _check(url: object, max_messages: object, throttle_ms: object, ident: object) -> None:
    if not isinstance(url, str) or not url:
        raise ValueError("url must be a non-empty string")
    _check_url(url)
    if isinstance(max_messages, bool) or not isinstance(max_messages, int) or max_messages < 1:
        raise ValueError("max_messages must be an int >= 1")
    if isinstance(throttle_ms, bool) or not isinstance(throttle_ms, (int, float)) or throttle_ms < 0:
        raise ValueError("throttle_ms must be a number >= 0")
    if not isinstance(ident, str) or not ident:
        raise ValueError("id must be a non-empty string")


def _as_outputs(result: Any, count: int) -> list[Any]:
    if count == 0:
        return []
    if count == 1:
        return [result]
    if not isinstance(result, (list, tuple)) or len(result) != count:
        raise ValueError(f"the bridge callback has {count} outputs: return a list or tuple of {count}")
    return list(result)


class DashBridge:
    """A room's WebSocket in the page of a Dash app, its events pushed into your callback.

    ``bridge.layout(room)`` goes into the page: the browser opens one socket per room and
    tab, reconnects with replay, keeps the room's last ``max_messages`` in sessionStorage
    and shows 🟢/🟡/🔴. ``@bridge.callback(*outputs_and_states)`` registers your function,
    called with an ``Update`` and the states' values: each new event reaches it exactly once
    per browser tab, in order, across reloads. Construct it before the app runs (it
    registers Dash callbacks), once per app.
    """

    def __init__(
        self,
        app: Dash,
        url: str,
        *,
        fallback_url: str | None = None,
        token_url: str | None = None,
        max_messages: int = 100,
        throttle_ms: float = 100,
        show_status: bool = True,
        id: str = "ws-bridge",  # noqa: A002 (Dash's own name for it)
    ) -> None:
        _check(url, max_messages, throttle_ms, id)
        self._app = app
        self._url, self._fallback_url, self._token_url = url, fallback_url, token_url
        self._settings = {"max_messages": max_messages, "throttle_ms": float(throttle_ms), "show_status": bool(show_status)}
        self.id = id
        self._handout = TabHandout()
        self._registered = False
        #: Calls of the registered callback (each one a request from a page): a figure, not state.
        self.calls = 0
        app.scripts.append_script({"relative_package_path": SCRIPT, "namespace": NAMESPACE})
        # Dash runs a callback on page load only if one of its outputs is in the layout (one
        # without outputs never runs then): start names the component's title as its output,
        # though it returns no_update and leaves it as it is (the indicator has its own element).
        app.clientside_callback(ClientsideFunction(NAMESPACE, "start"), Output(self.id, "title"), Input(self._part("options"), "data"))
        app.clientside_callback(ClientsideFunction(NAMESPACE, "ack"), Input(self._part("ack"), "data"), prevent_initial_call=True)

    def _part(self, name: str) -> str:
        return f"{self.id}-{name}"

    def layout(self, room: str, *, player: str | None = None, url: str | None = None) -> html.Div:
        """The component for ``room``: put it in the page (once per page).

        ``player`` fills ``{player}`` in the URLs; ``url`` is this page's socket URL template
        instead of the bridge's (a server per region, say).
        """
        if not isinstance(room, str) or not room:
            raise ValueError("room must be a non-empty string")
        if url is not None:
            _check_url(url)
        if self._token_url and self._fallback_url and player is None:
            raise ValueError("token_url with fallback_url needs player=: the poll names its client beside the token")
        options = {
            "id": self.id,
            "url": _fill(url or self._url, room, player, "url"),
            "room": room,
            "fallback_url": _fill(self._fallback_url, room, player, "fallback_url") if self._fallback_url else None,
            "token_url": _fill(self._token_url, room, player, "token_url") if self._token_url else None,
            "player": player,
            **self._settings,
        }
        return html.Div(
            [
                dcc.Store(id=self._part("options"), data=options),
                dcc.Store(id=self._part("batch")),
                dcc.Store(id=self._part("ack")),
                html.Div(id=self._part("status"), role="status", className="ws-bridge-status"),
            ],
            id=self.id,
        )

    def callback(self, *outputs_and_states: Output | State) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Registers ``fn(update, *state_values)`` for each batch, returning the outputs' values.

        Called when a batch brings new events or a status change. An exception in ``fn`` is
        logged (logger ``ws_bridge_dash``) and its outputs are left as they are: the events
        were handed out and do not come again. One callback per bridge.
        """
        outputs = [item for item in outputs_and_states if isinstance(item, Output)]
        states = [item for item in outputs_and_states if isinstance(item, State)]
        if len(outputs) + len(states) != len(outputs_and_states):
            raise TypeError("bridge.callback takes Output and State only: the batch is the one Input")
        if self._registered:
            raise RuntimeError("one callback per DashBridge: handle every event in it")
        self._registered = True

        def register(fn: Callable[..., Any]) -> Callable[..., Any]:
            def run(data: object, options: object, *values: Any) -> list[Any]:
                return self._run(fn, len(outputs), data, options, values)

            self._app.callback(
                [Output(self._part("ack"), "data"), *outputs],
                [Input(self._part("batch"), "data")],
                [State(self._part("options"), "data"), *states],
                prevent_initial_call=True,
            )(run)
            return fn

        return register

    def _run(self, fn: Callable[..., Any], count: int, data: object, options: object, values: tuple[Any, ...]) -> list[Any]:
        sent = parse_sent(data, options)
        if sent is None:
            raise PreventUpdate
        self.calls += 1
        fresh, reset, last = self._handout.take(sent)
        ack = {"n": sent.n, "tab": sent.tab, "seq": last}
        update = Update(room=sent.room, tab=sent.tab, events=[dict(e) for e in fresh], reset=reset, status=sent.status, messages=sent.messages)
        try:
            return [ack, *_as_outputs(fn(update, *values), count)]
        except PreventUpdate:
            pass
        except Exception:  # a bug in the app's function must not make the page write the batch again forever
            log.exception("ws_bridge_dash: the bridge callback raised")
        return [ack, *([no_update] * count)]


__all__ = ["DashBridge", "Update"]
