"""What a host's notebook or app cell runs in test/hosts: the widget, and a log of what Python got.

Environment (set by test/hosts/hosts.ts on the host process; kernels inherit it):
``WSB_HOST_CONFIG``: a JSON file the test rewrites per case, read at each execution:
``{"widget": "bridge" | "probe", "url": ws url template, "room", "player", "label"}``;
``WSB_HOST_LOG``: a JSON-lines file. Every line carries ``pid``, ``session`` (one per widget
made: a kernel, a Voilà page or a marimo session), ``label``, ``kind`` and ``t`` (epoch ms):
``session`` when the widget is made; ``event`` per on_event call (``id``, ``ts``: the event's
server timestamp); ``reset`` per on_reset call; ``batch`` whenever ``bridge.batches`` grew;
``msg`` per custom message from the front end (every Python call, whatever it carries);
``trait`` per synced trait change from the front end.
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from typing import Any

_LOCK = threading.Lock()
_CONTEXT: dict[str, Any] = {}


def config() -> dict[str, Any]:
    with open(os.environ["WSB_HOST_CONFIG"], encoding="utf8") as handle:
        return json.load(handle)


def log(kind: str, session: str | None = None, label: str | None = None, **fields: Any) -> None:
    """Appends one line (one write on an O_APPEND file: whole lines across processes).

    ``session`` and ``label`` default to the last widget made, which is right only while one
    session runs: marimo runs every session in one process, so the recorder passes its own.
    """
    line = {"pid": os.getpid(), "session": session or _CONTEXT.get("session"), "label": label if label is not None else _CONTEXT.get("label"),
            "kind": kind, "t": time.time() * 1000, **fields}
    data = (json.dumps(line) + "\n").encode()
    with _LOCK:
        fd = os.open(os.environ["WSB_HOST_LOG"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)


def _record(bridge: Any, session: str, label: str) -> None:
    seen = {"batches": 0}

    def on_batch() -> None:
        batches = getattr(bridge, "batches", 0)
        if batches != seen["batches"]:
            log("batch", session, label, batches=batches)
            seen["batches"] = batches

    def on_event(event: dict) -> None:
        on_batch()
        log("event", session, label, id=event.get("id"), ts=event.get("ts"))

    def on_reset(reset: dict) -> None:
        on_batch()
        log("reset", session, label, reset=reset)

    bridge.on_event(on_event)
    bridge.on_reset(on_reset)
    bridge.on_msg(lambda _w, content, _b: log("msg", session, label, size=len(json.dumps(content, default=str))))
    bridge.observe(lambda change: log("trait", session, label, name=change["name"], value=change["new"]), names="status")


def make() -> Any:
    """The widget the current config asks for, recorded; display it (or wrap it in mo.ui.anywidget)."""
    cfg = config()
    session = uuid.uuid4().hex[:12]
    _CONTEXT.update(session=session, label=cfg.get("label", ""))
    log("session", session, cfg.get("label", ""), widget=cfg.get("widget", "bridge"), room=cfg.get("room"))
    if cfg.get("widget") == "probe":
        from wsb_probe import Probe

        return Probe()
    from ws_bridge_widget import WsBridge

    bridge = WsBridge(url=cfg["url"], room=cfg["room"], player=cfg.get("player"), max_messages=cfg.get("max_messages", 100))
    _record(bridge, session, cfg.get("label", ""))
    return bridge
