"""One WebSocket per room, pushed into your Streamlit script.

``ws_bridge()`` renders a small component that runs the streamlit-ws-bridge
client: one WebSocket per room and tab, reconnection with replay,
deduplication, history in sessionStorage. By default (``frame="auto"``) it
runs in the app's own page through Components v2 on Streamlit 1.51+, and in
an iframe (Components v1) on older Streamlit. New events are pushed to the
script (``setComponentValue``, coalesced), so the script reruns only when
something happened, and each event reaches ``BridgeResult.events`` exactly
once per browser session.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Literal
from urllib.parse import quote, urlsplit

from ._handout import HandOutRegistry, parse_value
from ._v2 import declare_v2, v2_available

__all__ = ["BridgeResult", "DEV_URL_ENV", "ws_bridge"]
__version__ = "0.1.0"

#: Environment variable: when set (e.g. ``http://localhost:3001``), the frame is
#: loaded from that dev server instead of the built files in the package (the
#: iframe component only; ``frame="auto"`` then picks the iframe).
DEV_URL_ENV = "STREAMLIT_WS_BRIDGE_DEV_URL"

_BUILD_DIR = Path(__file__).resolve().parent / "frontend" / "build"

# Module-level, so it outlives Streamlit sessions (a page reload is a new session).
_registry = HandOutRegistry()


def _declare() -> Callable[..., Any] | None:
    import streamlit.components.v1 as components

    dev_url = os.environ.get(DEV_URL_ENV)
    if dev_url:
        return components.declare_component("ws_bridge", url=dev_url)
    if not (_BUILD_DIR / "index.html").is_file():
        return None
    return components.declare_component("ws_bridge", path=str(_BUILD_DIR))


# Declared on the first ws_bridge() call, not at import: declaring outside a
# script run logs "missing ScriptRunContext!" (in a test, a notebook, a tool).
_component_func: Callable[..., Any] | None = None
_v2_func: Callable[..., Any] | None = None

Frame = Literal["auto", "v2", "iframe"]


def _use_v2(frame: str) -> bool:
    if frame == "iframe":
        return False
    if frame == "v2":
        if not v2_available():
            import streamlit

            raise RuntimeError(f'frame="v2" needs Streamlit Components v2 (Streamlit 1.51+), this is {streamlit.__version__}')
        return True
    if frame == "auto":
        return v2_available() and not os.environ.get(DEV_URL_ENV)
    raise ValueError('frame must be "auto", "v2" or "iframe"')


def _component(frame: str) -> Callable[..., Any]:
    global _component_func, _v2_func
    if _use_v2(frame):
        if _v2_func is None:
            _v2_func = declare_v2(_BUILD_DIR)
        if _v2_func is None:
            raise FileNotFoundError(
                f"the streamlit_ws_bridge v2 module is not built ({_BUILD_DIR / 'v2.js'} is missing): "
                "run `npm run build` in the repository"
            )
        return _v2_func
    if _component_func is None:
        _component_func = _declare()
    if _component_func is None:
        raise FileNotFoundError(
            f"the streamlit_ws_bridge frame is not built ({_BUILD_DIR / 'index.html'} is missing): "
            f"run `npm run build` in the repository, or set {DEV_URL_ENV} to a dev server URL"
        )
    return _component_func


@dataclass(frozen=True)
class BridgeResult:
    """What :func:`ws_bridge` returns on each script run.

    Attributes
    ----------
    events : list of dict
        Events that are new since this script's previous run for this
        component, oldest first. Each event the bridge receives appears here
        exactly once per browser session: not again on reruns caused by other
        widgets, nor after a page reload or a remount of the component.
    messages : list of dict
        The stored history of the room (at most ``max_messages``), oldest
        first, as the frame keeps it in sessionStorage.
    status : dict
        The bridge's status: ``state`` (``"connecting"``, ``"connected"``,
        ``"disconnected"``, ``"error"`` or ``"closed"``), ``transport``
        (``"websocket"`` or ``"polling"``), ``attempts``, ``retryAt`` (ms since
        the epoch, or None), ``lastError``, ``counters`` and more. Until the
        frame has reported, it is ``{"state": "connecting", "room": room}``.
    reset : dict or None
        Set in exactly one run after the server said it could not replay the
        room's history from where this tab left off (it restarted without its
        events, or the tab was away longer than the server keeps them):
        ``{"since": …, "resume": …, "reason": …, "at": …, "dropped": …}``.
        Reload your state from the server (your snapshot) in that run; then
        ``events`` holds only what came after the reset, to apply on top.
    """

    events: list[dict[str, Any]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    status: dict[str, Any] = field(default_factory=dict)
    reset: dict[str, Any] | None = None

    @property
    def state(self) -> str:
        """``status["state"]``, ``"connecting"`` until the frame reports."""
        return str(self.status.get("state", "connecting"))

    @property
    def connected(self) -> bool:
        """Whether the WebSocket is open."""
        return self.state == "connected"


def _fill(template: str, room: str, player: str | None, name: str) -> str:
    if "{player}" in template and player is None:
        raise ValueError(f"{name} has a {{player}} placeholder: pass player=")
    filled = template.replace("{room}", quote(room, safe=""))
    return filled.replace("{player}", quote(player or "", safe=""))


def _check_url(url: str) -> None:
    # The page dials it as it is, or relative to itself: any other scheme could never connect.
    try:
        scheme = urlsplit(url).scheme
    except ValueError:
        raise ValueError("url is not a valid URL") from None
    if scheme and scheme.lower() not in ("ws", "wss", "http", "https"):
        raise ValueError(f"url must be a ws(s):// or http(s):// URL or a path relative to the page, not a {scheme}: URL")


def _session_id() -> str:
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx(suppress_warning=True)
    return ctx.session_id if ctx is not None else "no-session"


def ws_bridge(
    url: str,
    room: str,
    *,
    player: str | None = None,
    key: str | None = None,
    fallback_url: str | None = None,
    token_url: str | None = None,
    max_messages: int = 100,
    throttle_ms: int = 100,
    show_status: bool = True,
    on_event: Callable[[dict[str, Any]], None] | None = None,
    frame: Frame = "auto",
) -> BridgeResult:
    """Keep one WebSocket for ``room`` and return what it received.

    The first call renders a small frame that connects, reconnects with
    replay (``?since=<last id>``) and keeps the room's messages in the tab's
    sessionStorage. New events rerun the script (the fragment, inside
    ``st.fragment``), at most once per ``throttle_ms``; nothing reruns while
    the room is quiet.

    Parameters
    ----------
    url : str
        Full WebSocket URL (``ws://`` or ``wss://``; ``http(s)://`` is turned
        into ``ws(s)://``). ``{room}`` and ``{player}`` placeholders are filled
        from ``room`` and ``player``, percent-encoded.
    room : str
        Room name. It also names the sessionStorage keys
        (``ws_messages_{room}``, ``ws_status_{room}``, ``ws_component_{room}``).
        Use one ``ws_bridge`` per room per page.
    player : str, optional
        Fills the ``{player}`` placeholder; required when ``url`` has one.
    key : str, optional
        Widget key. Without one, a key is derived from ``room`` and the
        filled ``url``, so the frame (and its WebSocket) survives every rerun.
        The frame is only remounted when the call is skipped in a run and comes
        back, or (inside ``st.fragment``/``st.form``) when an element appears
        or disappears above it; even then no event is lost or repeated.
    fallback_url : str, optional
        HTTP URL polled every 10 s while the WebSocket is down, as
        ``GET fallback_url?since=<last id>`` answering a JSON array of events.
        Placeholders are filled as in ``url``.
    token_url : str, optional
        URL the browser GETs (JSON with a string ``token``) before each
        (re)connect and fallback poll; the token goes on the socket URL as
        ``token=``, on the poll as ``token=`` and ``client=<player>``. A failed
        fetch is retried with the backoff. Placeholders are filled as in
        ``url``. The route must authenticate the user before handing one out.
    max_messages : int, default 100
        Messages kept in ``BridgeResult.messages`` (oldest dropped first).
    throttle_ms : int, default 100
        Shortest time between two pushes to Python, in ms; events and status
        changes arriving meanwhile are sent together, none is lost.
    show_status : bool, default True
        Show the connection indicator (🟢 Connected, 🟡 Connecting…,
        🔴 Disconnected (polling every N s), 🔴 Connection error (retry in N s)),
        styled by the app's theme. With False the component takes no height.
    on_event : callable, optional
        Called with each new event, in order, before ``ws_bridge`` returns,
        also across overlapping runs: the calls of one process run one at a
        time, so keep it quick. It must not call Streamlit (a Streamlit call
        there could be interrupted by a rerun); exceptions propagate, and the
        events of this run still count as delivered.
    frame : {"auto", "v2", "iframe"}, default "auto"
        Where the client runs. ``"auto"``: v2 where this Streamlit has it
        (1.51+), else the iframe; with ``STREAMLIT_WS_BRIDGE_DEV_URL`` set, the
        iframe (the dev server serves the frame only). ``"v2"``: Components v2
        (Streamlit 1.51+), in the app's own page: no iframe, a smaller
        download, ``_wsDebug`` on the app's window, one bridge per room in the
        page. ``"iframe"``: a Components v1 frame (any supported Streamlit).
        Events, ``reset`` and the exactly-once guarantee are the same in both.

    Returns
    -------
    BridgeResult
        ``events`` (new since this component's previous run, each exactly
        once per browser session), ``messages`` (stored history, oldest first)
        and ``status``.

    Notes
    -----
    Streamlit stops an interrupted run at its next Streamlit call, and
    ``st.session_state`` access counts as one. To keep every event, store
    ``result.events`` before any further Streamlit call: e.g. get your list
    from ``st.session_state`` *before* calling ``ws_bridge`` and extend it
    right after, or use ``on_event``.

    Put it in ``st.fragment`` so that events rerun only that fragment, not
    in ``st.form`` (values would wait for the form's submit button). Across
    a restart of the Streamlit server itself, the events of the last run
    before the restart may come once more.

    Examples
    --------
    >>> chat = st.session_state.setdefault("chat", [])
    >>> result = ws_bridge("ws://127.0.0.1:8000/ws/{room}/{player}", "r1", player="ann")
    >>> chat.extend(e for e in result.events if e["type"] == "message")
    >>> st.sidebar.write(result.state)
    """
    if not isinstance(room, str) or not room:
        raise ValueError("room must be a non-empty string")
    if not isinstance(url, str) or not url:
        raise ValueError("url must be a non-empty string")
    _check_url(url)
    if isinstance(max_messages, bool) or not isinstance(max_messages, int) or max_messages < 1:
        raise ValueError("max_messages must be an int >= 1")
    if isinstance(throttle_ms, bool) or not isinstance(throttle_ms, (int, float)) or throttle_ms < 0:
        raise ValueError("throttle_ms must be a number >= 0")
    if token_url is not None and (not isinstance(token_url, str) or not token_url):
        raise ValueError("token_url must be a non-empty string or None")
    if token_url and fallback_url and player is None:
        raise ValueError("token_url with fallback_url needs player=: the poll names its client beside the token")
    component = _component(frame)
    full_url = _fill(url, room, player, "url")
    full_fallback = _fill(fallback_url, room, player, "fallback_url") if fallback_url else None
    full_token = _fill(token_url, room, player, "token_url") if token_url else None
    if key is None:
        # Stable across runs and sessions: a key keeps the frame mounted when args (the ack) change.
        key = "ws_bridge_" + hashlib.sha256(f"{room}\n{full_url}".encode()).hexdigest()[:16]
    session_id = _session_id()
    ack_tab, ack = _registry.ack_for(session_id, key)
    raw = component(
        url=full_url,
        room=room,
        fallback_url=full_fallback,
        token_url=full_token,
        player=player,
        max_messages=max_messages,
        throttle_ms=throttle_ms,
        show_status=bool(show_status),
        ack_tab=ack_tab,
        ack=ack,
        key=key,
        default=None,
        tab_index=-1,
    )
    # From here to the return there is no Streamlit call: a rerun that
    # interrupts this run cannot stop it between taking and handing over.
    value = parse_value(raw)
    if value is None:
        return BridgeResult(status={"state": "connecting", "room": room})
    events, reset = _registry.hand_out(session_id, key, room, value, on_event)
    return BridgeResult(
        events=events,
        reset=dict(reset) if reset is not None else None,
        messages=value.messages,
        status=value.status if value.status is not None else {"state": "connecting", "room": room},
    )
