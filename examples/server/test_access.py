"""Who may use which route of the game server (access.py): every side door shut by default.

The operator routes and the test publish endpoint are off unless turned on, the operator routes
need their Bearer token, CORS answers only the allowed origins, and with room tokens on a POST
acts for the player its token was issued to."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from typing import Any

import pytest
from ws_bridge_server import make_token

from access import Access
from harness.servers import example_app
from testkit import RunningServer

MakeServer = Callable[..., RunningServer]
ELSEWHERE = "http://elsewhere.example"
OPERATOR_ROUTES = (("GET", "/stats"), ("POST", "/stats/reset"), ("POST", "/admin/drop-connections"))


# --- the operator routes and the test publish endpoint --------------------------

def test_by_default_the_operator_routes_and_the_publish_endpoint_are_not_there(make_server: MakeServer) -> None:
    srv = make_server(access=Access())
    for method, path in OPERATOR_ROUTES:
        assert srv.http.request(method, path).status_code == 404, path
    # The poll (GET) lives on the publish endpoint's path, so a POST there is 405, and nothing is written.
    assert srv.http.post("/rooms/p/events", json={"type": "tick"}).status_code == 405
    assert srv.http.get("/rooms/p/events").json() == []


def test_with_an_admin_token_the_operator_routes_need_it(make_server: MakeServer) -> None:
    srv = make_server(access=Access(admin_token="t0ken"))
    for method, path in OPERATOR_ROUTES:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Bearer t0ke"},
                        {"Authorization": "Basic t0ken"}, {"Authorization": "t0ken"}):
            refused = srv.http.request(method, path, headers=headers)
            assert refused.status_code == 401, (path, headers)
            assert refused.headers["www-authenticate"] == "Bearer"
        assert srv.http.request(method, path, headers={"Authorization": "Bearer t0ken"}).status_code == 200, path
    assert srv.http.post("/rooms/p/events", json={"type": "tick"}).status_code == 405  # still off


def test_the_publish_endpoint_alone(make_server: MakeServer) -> None:
    srv = make_server(access=Access(publish_endpoint=True))
    ids = srv.http.post("/rooms/p/events", json={"type": "tick", "count": 2}).json()["ids"]
    assert [e["id"] for e in srv.http.get("/rooms/p/events").json()] == ids
    assert srv.http.get("/stats").status_code == 404


def test_the_switches_from_the_environment() -> None:
    assert Access.from_env({}) == Access(admin_token=None, publish_endpoint=False)
    assert Access.from_env({"ADMIN_TOKEN": "t", "PUBLISH_ENDPOINT": "1"}) == Access("t", True)
    assert Access.from_env({"PUBLISH_ENDPOINT": "0"}).publish_endpoint is False
    with pytest.raises(ValueError, match="ADMIN_TOKEN is set but empty"):
        Access.from_env({"ADMIN_TOKEN": " "})
    with pytest.raises(ValueError, match="PUBLISH_ENDPOINT must be 1 .* got 'yes'"):
        Access.from_env({"PUBLISH_ENDPOINT": "yes"})


def test_the_cli_refuses_an_empty_admin_token_in_one_line() -> None:
    done = subprocess.run([*example_app(), "--port", "0"], env={**os.environ, "ADMIN_TOKEN": ""},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert "ADMIN_TOKEN is set but empty" in done.stderr and "Traceback" not in done.stderr
    assert done.stdout == ""  # no READY: it never listened


# --- CORS -------------------------------------------------------------------------

def preflight(srv: RunningServer, origin: str) -> Any:
    return srv.http.options("/rooms/c/messages", headers={
        "Origin": origin, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})


def test_cors_by_default_answers_no_other_origin(server: RunningServer) -> None:
    assert "access-control-allow-origin" not in server.http.get("/rooms/c/state", headers={"Origin": ELSEWHERE}).headers
    refused = preflight(server, ELSEWHERE)
    assert refused.status_code == 400 and "access-control-allow-origin" not in refused.headers


def test_cors_star_answers_any_origin(make_server: MakeServer) -> None:
    srv = make_server(allowed_origins=("*",))
    assert srv.http.get("/rooms/c/state", headers={"Origin": ELSEWHERE}).headers["access-control-allow-origin"] == "*"
    allowed = preflight(srv, ELSEWHERE)
    assert allowed.status_code == 200 and "POST" in allowed.headers["access-control-allow-methods"]


def test_cors_with_a_list_answers_those_origins_only(make_server: MakeServer) -> None:
    srv = make_server(allowed_origins=("https://Game.example/", "http://127.0.0.1:8501"))
    for origin in ("https://game.example", "http://127.0.0.1:8501"):
        answer = srv.http.get("/rooms/c/state", headers={"Origin": origin})
        assert answer.headers["access-control-allow-origin"] == origin
        assert preflight(srv, origin).status_code == 200
    assert "access-control-allow-origin" not in srv.http.get("/rooms/c/state", headers={"Origin": ELSEWHERE}).headers
    assert preflight(srv, ELSEWHERE).status_code == 400


# --- POSTs with room tokens on ------------------------------------------------------

def tokens_on(make_server: MakeServer) -> tuple[RunningServer, str]:
    """A server with room tokens, and ann's token for room t."""
    srv = make_server(room_token_secret="s3cret")
    return srv, srv.http.get("/rooms/t/token", params={"player": "ann"}).json()["token"]


def logged(srv: RunningServer, room: str) -> list[dict[str, Any]]:
    """The room's events, polled as ann (with tokens on, the poll needs a client's token too)."""
    token = srv.http.get(f"/rooms/{room}/token", params={"player": "ann"}).json()["token"]
    events: list[dict[str, Any]] = srv.http.get(f"/rooms/{room}/events", params={"client": "ann", "token": token}).json()
    return events


def test_with_tokens_a_post_acts_for_the_player_of_the_token(make_server: MakeServer) -> None:
    srv, token = tokens_on(make_server)
    bearer = {"Authorization": f"Bearer {token}"}
    said = srv.http.post("/rooms/t/messages", json={"player": "ann", "text": "hi"}, headers=bearer).json()
    assert (said["player"], said["text"]) == ("ann", "hi")
    # The token and the name in the query instead: the same player.
    voted = srv.http.post("/rooms/t/votes", params={"token": token, "player": "ann"}, json={"target": "bob"}).json()
    assert (voted["type"], voted["player"], voted["target"]) == ("voted", "ann", "bob")
    phase = srv.http.post("/rooms/t/phase", json={"player": "ann", "phase": "vote"}, headers=bearer)
    assert phase.status_code == 200 and phase.json()["phase"] == "vote"


def test_with_tokens_a_post_without_one_is_refused(make_server: MakeServer) -> None:
    srv, _ = tokens_on(make_server)
    for path, body in (("/rooms/t/messages", {"player": "ann", "text": "hi"}),
                       ("/rooms/t/votes", {"player": "ann", "target": "bob"}),
                       ("/rooms/t/phase", {"player": "ann", "phase": "vote"})):
        refused = srv.http.post(path, json=body)
        assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer", path
    assert logged(srv, "t") == []


def test_with_tokens_a_player_the_token_is_not_for_is_refused(make_server: MakeServer) -> None:
    srv, token = tokens_on(make_server)
    bearer = {"Authorization": f"Bearer {token}"}
    expired, _ = make_token("s3cret", "t", "ann", ttl_s=300, now=time.time() - 3600)
    forged, _ = make_token("other-secret", "t", "ann")
    refusals = [
        (401, "/rooms/t/messages", {"player": "bob", "text": "as bob"}, bearer, {}),  # ann's token, bob's name
        (401, "/rooms/t/votes", {"player": "bob", "target": "ann"}, bearer, {}),
        (401, "/rooms/t/messages", {"text": "no name"}, bearer, {}),
        (401, "/rooms/u/messages", {"player": "ann", "text": "other room"}, bearer, {}),
        (401, "/rooms/t/messages", {"player": "ann", "text": "old"}, {"Authorization": f"Bearer {expired}"}, {}),
        (401, "/rooms/t/phase", {"player": "ann", "phase": "x"}, {"Authorization": f"Bearer {forged}"}, {}),
        (400, "/rooms/t/messages", {"player": "bob", "text": "two names"}, bearer, {"player": "ann"}),
        (400, "/rooms/t/messages", {"player": "ann", "text": "two tokens"}, bearer, {"token": forged}),
    ]
    for status, path, body, headers, params in refusals:
        assert srv.http.post(path, json=body, headers=headers, params=params).status_code == status, (path, body)
    assert logged(srv, "t") == [] and logged(srv, "u") == []


def test_without_tokens_the_body_names_the_player(server: RunningServer) -> None:
    said = server.http.post("/rooms/d/messages", json={"player": "zed", "text": "hi"}).json()
    assert said["player"] == "zed"
    assert server.http.post("/rooms/d/messages", params={"player": "ann"}, json={"text": "hi"}).json()["player"] == "ann"
    missing = server.http.post("/rooms/d/votes", json={"target": "bob"})
    assert missing.status_code == 422 and "player is required" in missing.text
    assert server.http.post("/rooms/d/messages", params={"player": "x" * 129}, json={"text": "hi"}).status_code == 422
