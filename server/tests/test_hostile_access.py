"""Hostile input at the door: Origins, tokens, names, the poll guarded like the socket, tokens out of logs.

Each case attacks a real server (uvicorn on a loopback port) the way a stranger's page or
script would, asserts what happens and prints its figure.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from urllib.parse import quote

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from ws_bridge_server import Bridge, Settings, make_token
from ws_bridge_server.protocol import NAME_RULE
from ws_bridge_server.run import bare_app

from bridgekit import TIMEOUT, RunningServer, close_frame, recv, show

Factory = Callable[..., RunningServer]
EVIL = "https://evil.example"
GOOD = "https://app.example"


def _poll(srv: RunningServer, path: str, origin: str | None = None) -> httpx.Response:
    return srv.http.get(path, headers={"origin": origin} if origin else {})


def _handshake_status(srv: RunningServer, path: str, origin: str | None) -> int:
    try:
        with srv.ws(path, origin=origin):
            return 101
    except InvalidStatus as exc:
        return exc.response.status_code


def test_with_no_settings_only_same_origin_and_non_browser_clients_get_in(make_bridge_server: Factory,
                                                                           capsys: pytest.CaptureFixture[str]) -> None:
    srv = make_bridge_server()
    srv.publish("open", 3)
    own = f"http://{srv.base}"
    statuses = {who: _handshake_status(srv, "/ws/open/ann", origin) for who, origin in
                (("no Origin", None), ("own origin", own), ("another origin", EVIL))}
    polls = {who: _poll(srv, "/rooms/open/events", origin).status_code for who, origin in
             (("no Origin", None), ("own origin", own), ("another origin", EVIL))}
    assert statuses == {"no Origin": 101, "own origin": 101, "another origin": 403}
    assert polls == {"no Origin": 200, "own origin": 200, "another origin": 403}
    assert "access-control-allow-origin" not in _poll(srv, "/rooms/open/events", EVIL).headers
    show(capsys, "hostile", f"no settings: socket {statuses}, poll {polls}; the refused poll carries no CORS header")


def test_the_poll_is_guarded_exactly_like_the_socket(make_bridge_server: Factory,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    srv = make_bridge_server(room_token_secret="s3cret", allowed_origins=(GOOD,))
    srv.publish("private", 5)
    token, _ = make_token("s3cret", "private", "ann")
    cases = {
        "foreign Origin, valid token": (EVIL, f"?token={token}&client=ann"),
        "allowed Origin, no token": (GOOD, ""),
        "allowed Origin, token without client": (GOOD, f"?token={token}"),
        "allowed Origin, another client's token": (GOOD, f"?token={token}&client=bob"),
        "allowed Origin, valid token": (GOOD, f"?token={token}&client=ann"),
    }
    got = {what: _poll(srv, "/rooms/private/events" + query, origin) for what, (origin, query) in cases.items()}
    codes = {what: r.status_code for what, r in got.items()}
    assert codes == {"foreign Origin, valid token": 403, "allowed Origin, no token": 401,
                     "allowed Origin, token without client": 401, "allowed Origin, another client's token": 401,
                     "allowed Origin, valid token": 200}
    served = got["allowed Origin, valid token"]
    assert len(served.json()) == 5 and served.headers["access-control-allow-origin"] == GOOD
    assert all("access-control-allow-origin" not in r.headers for r in got.values() if r.status_code != 200)
    assert _handshake_status(srv, f"/ws/private/ann?token={token}", EVIL) == 403
    show(capsys, "hostile", f"tokens and an allow-list on: polls {codes}; events leaked to refused polls: 0")


def test_malformed_tokens_close_cleanly_with_1008_and_log_no_traceback(make_bridge_server: Factory,
                                                                       caplog: pytest.LogCaptureFixture,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    srv = make_bridge_server(room_token_secret="s3cret")
    good, _ = make_token("s3cret", "t", "ann")
    bad = {"non-ASCII signature": good[:-2] + "é¹", "5,000-digit expiry": "9" * 5000 + "." + "a" * 64,
           "empty": "", "no dot": "1" * 20, "upper-case hex": good.upper(), "NUL": good[:-1] + "%00"}
    codes = {}
    with caplog.at_level(logging.INFO):
        for what, token in bad.items():
            with srv.ws(f"/ws/t/ann?token={token}") as ws:
                codes[what] = close_frame(ws)
    assert set(codes.values()) == {(1008, "missing or malformed token")}, codes
    assert not [r for r in caplog.records if r.exc_info], "a token raised inside the server"
    show(capsys, "hostile", f"{len(bad)} malformed tokens ({', '.join(bad)}): each a clean 1008, 0 tracebacks")


NAMES = {"NUL": "a\x00b", "CR": "a\rb", "LF": "a\nb", "space": "a b", "braces": "a{b}", "slash": "a/b",
         "129 chars": "x" * 129}


def test_names_outside_the_charset_are_refused_with_the_reason(make_bridge_server: Factory,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    srv = make_bridge_server()
    outcomes = {}
    for what, name in NAMES.items():
        encoded = quote(name, safe="")
        for path in (f"/ws/{encoded}/ann", f"/ws/room/{encoded}"):
            try:
                with srv.ws(path) as ws:
                    outcome: object = close_frame(ws)
            except InvalidStatus as exc:  # the path's own length limit refuses the handshake
                outcome = exc.response.status_code
            assert outcome in ((1008, "invalid room name: " + NAME_RULE), (1008, "invalid client name: " + NAME_RULE),
                               403), (what, path, outcome)
        poll = srv.http.get(f"/rooms/{encoded}/events")
        assert 400 <= poll.status_code < 500 and poll.status_code != 401, (what, poll.status_code)
        outcomes[what] = poll.status_code
    assert srv.stats()["ws_connections_total"] == 0  # refused sockets never joined a room
    show(capsys, "hostile", f"room and client names with {', '.join(NAMES)}: sockets 1008 with the rule "
                            f"(or 403 past 128 chars), polls {outcomes}, 0 sockets joined")


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def test_live_tokens_never_reach_uvicorns_log(capsys: pytest.CaptureFixture[str]) -> None:
    bridge = Bridge(settings=Settings(room_token_secret="s3cret"))
    srv = RunningServer(bare_app(bridge), access_log=True, log_level="info")
    seen = _Lines()  # on the loggers themselves: uvicorn's do not propagate to the root
    loggers = [logging.getLogger(name) for name in ("uvicorn.access", "uvicorn.error")]
    for logger in loggers:
        logger.addHandler(seen)
    try:
        token, _ = make_token("s3cret", "r", "ann")
        srv.http.get(f"/rooms/r/events?token={token}&client=ann")
        with srv.ws(f"/ws/r/ann?token={token}") as ws:
            ws.send('{"type":"ping"}')
            assert recv(ws) == {"type": "pong"}
        deadline = time.monotonic() + TIMEOUT
        while sum("token=" in line for line in seen.lines) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)  # the socket's line comes from the server's thread
        lines = seen.lines
        assert any("token=***" in line for line in lines), lines
        assert not any(token in line for line in lines), lines
        show(capsys, "hostile", f"uvicorn logged {len(lines)} lines at INFO for a poll and a socket: "
                                f"0 hold the token, {sum('token=***' in x for x in lines)} show token=***")
    finally:
        for logger in loggers:
            logger.removeHandler(seen)
        srv.stop()


def test_an_empty_secret_is_a_startup_error_not_no_tokens() -> None:
    with pytest.raises(ValueError, match="room_token_secret is empty"):
        Settings.from_env({"ROOM_TOKEN_SECRET": ""})


def test_an_origin_refusal_logs_one_line_naming_the_origin_and_the_setting(make_bridge_server: Factory,
                                                                          caplog: pytest.LogCaptureFixture,
                                                                          capsys: pytest.CaptureFixture[str]) -> None:
    srv = make_bridge_server()
    with caplog.at_level(logging.WARNING, logger="ws_bridge_server"):
        assert _handshake_status(srv, "/ws/logged/ann", EVIL) == 403
        assert _poll(srv, "/rooms/logged/events", EVIL).status_code == 403
        huge = "https://" + "x" * 5_000 + ".example"
        assert _poll(srv, "/rooms/logged/events", huge).status_code == 403
    lines = [r.getMessage() for r in caplog.records if r.name == "ws_bridge_server" and "refused" in r.getMessage()]
    assert len(lines) == 3, lines  # one line per refusal: the socket, the poll, the huge Origin
    assert all(repr(EVIL) in line and "ALLOWED_ORIGINS" in line for line in lines[:2]), lines
    assert len(lines[2]) < 400, len(lines[2])  # a hostile Origin is cut, not logged whole
    show(capsys, "hostile", f"a refused Origin: {len(lines)} refusals, {len(lines)} log lines naming the Origin and "
                            f"ALLOWED_ORIGINS; a 5,000-character Origin logged in {len(lines[2])} characters")


def test_forwarded_addresses_from_an_untrusted_peer_are_ignored(make_bridge_server: Factory,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    srv = make_bridge_server(max_sockets_per_address=2)  # no trusted proxy: the peer's address counts
    url = f"ws://{srv.base}/ws/cap/ann"
    kept = [connect(url, additional_headers={"x-forwarded-for": f"10.0.0.{i}"}, proxy=None, open_timeout=TIMEOUT)
            for i in (1, 2)]
    try:
        srv.stats(lambda s: s["ws_connections_open"] == 2)
        # A third address claimed in the header changes nothing: the peer, 127.0.0.1, already has 2.
        with connect(url, additional_headers={"x-forwarded-for": "10.0.0.3"}, proxy=None, open_timeout=TIMEOUT) as third:
            assert close_frame(third) == (1013, "too many sockets from this address")
    finally:
        for ws in kept:
            ws.close()
    show(capsys, "hostile", "X-Forwarded-For from a peer that is no trusted proxy: ignored; 2 per address, "
                            "the 3rd socket claiming a new address got 1013")


def test_sockets_per_address_are_capped_and_forwarded_addresses_count_only_behind_a_trusted_proxy(
    make_bridge_server: Factory, capsys: pytest.CaptureFixture[str]
) -> None:
    srv = make_bridge_server(max_sockets_per_address=3, trusted_proxies=("127.0.0.1",))
    url = f"ws://{srv.base}/ws/cap/ann"

    def open_from(forwarded: str | None):  # type: ignore[no-untyped-def]
        headers = {"x-forwarded-for": forwarded} if forwarded else None
        return connect(url, additional_headers=headers, proxy=None, open_timeout=TIMEOUT)  # type: ignore[arg-type]

    kept = [open_from("10.0.0.1") for _ in range(3)]
    try:
        srv.stats(lambda s: s["ws_connections_open"] == 3)
        with open_from("10.0.0.1") as fourth:
            assert close_frame(fourth) == (1013, "too many sockets from this address")
        with open_from("10.0.0.2") as other:  # another client behind the same proxy
            other.send('{"type":"ping"}')
            assert recv(other) == {"type": "pong"}
    finally:
        for ws in kept:
            ws.close()
    show(capsys, "hostile", "3 sockets per address: the 4th from 10.0.0.1 (via the trusted proxy) got 1013, "
                            "10.0.0.2 behind the same proxy got in")


def test_hostile_since_values_frames_and_names_get_answers_never_errors(make_bridge_server: Factory,
                                                                         capsys: pytest.CaptureFixture[str]) -> None:
    srv = make_bridge_server()
    ids = srv.publish("__proto__", 3)  # a valid name like any other
    weird = ["x" * 10_000, "__proto__", "-1", "é-1", "\x00", "0-0", ids[0] + "0", "constructor"]
    answers = {}
    for since in weird:
        r = srv.http.get("/rooms/__proto__/events", params={"since": since})
        assert r.status_code == 200, (since[:20], r.status_code)
        frames = r.json()
        answers[since[:12]] = frames[0].get("reason", "replay") if frames and frames[0].get("type") == "reset" else "replay"
    assert answers["0-0"] == "replay" and len(srv.poll("__proto__", since="0-0")) == 3  # "before the room began"
    with srv.ws("/ws/__proto__/ann") as ws:
        ws.send("[" * 30_000 + "]" * 30_000)  # nested past any parser's recursion limit, under the size limit
        assert recv(ws) == {"type": "error", "error": "invalid JSON"}
        ws.send('{"__proto__": {"polluted": true}, "type": "ping"}')
        assert recv(ws) == {"type": "pong"}  # the socket stays open, nothing polluted
    assert not hasattr(object(), "polluted")
    show(capsys, "hostile", f"{len(weird)} hostile since values on a room named __proto__: {answers}; a 30,000-deep "
                            "JSON frame: an error frame, the socket stays open")
