"""The Gradio app test/hosts/gradio.e2e.test.ts serves with ``python gradio_app.py <port>``: WsBridge
components recorded as wsb_host_app records its widget, so the host suite holds the component to
the same contract and prints the same figures.

Environment (set by test/hosts/hosts.ts): ``WSB_HOST_CONFIG`` and ``WSB_HOST_LOG``, as in
wsb_host_app (whose ``config`` and ``log`` this uses). The components are made per Gradio session
(``gr.render`` on page load), which reads the config then: ``session`` per page load; ``msg`` per
call of the component's server function (every Python call the page makes); ``batch`` per call
that brought events; ``event`` per on_event call (``id``, ``ts``); ``reset`` per on_reset call;
``trait`` when the status the page sends changes its ``state``. ``"twice": true`` in the config
shows two WsBridge of the room on the page. A textbox (``wsb-received``) shows what the first
bridge received, redrawn by its ``change`` event, which the page fires after each acknowledged
batch with new events: ``msg`` with ``how="change"`` per run (a Python call too).
"""

from __future__ import annotations

import sys
import threading
import uuid
from typing import Any

import gradio as gr

from ws_bridge_gradio import WsBridge
from wsb_host_app import config, log


def _record(bridge: WsBridge, me: dict[str, Any]) -> None:
    session, label = me["session"], me["label"]
    lock: threading.Lock = me["lock"]

    def on_batch(batch: Any) -> None:
        with lock:
            me["call_has_events"] = False
            log("msg", session, label, events=len(batch.events))
            state = batch.status.get("state")
            if state != me["state"]:
                me["state"] = state
                log("trait", session, label, name="status", value={"state": state})

    def first_of_call() -> None:
        if not me["call_has_events"]:
            me["call_has_events"] = True
            me["batches"] += 1
            log("batch", session, label, batches=me["batches"])

    def on_event(event: dict) -> None:
        first_of_call()
        log("event", session, label, id=event.get("id"), ts=event.get("ts"))

    def on_reset(reset: dict) -> None:
        first_of_call()
        log("reset", session, label, reset=reset)

    bridge.on_batch(on_batch)
    bridge.on_event(on_event)
    bridge.on_reset(on_reset)


def build() -> gr.Blocks:
    with gr.Blocks(title="ws-bridge host suite") as demo:

        @gr.render(triggers=[demo.load])
        def page() -> None:
            cfg = config()
            me = {"session": uuid.uuid4().hex[:12], "label": cfg.get("label", ""), "state": "connecting", "batches": 0,
                  "call_has_events": False, "lock": threading.Lock()}
            log("session", me["session"], me["label"], widget="bridge", room=cfg.get("room"))
            bridges = [WsBridge(cfg["url"], cfg["room"], player=cfg.get("player"), max_messages=cfg.get("max_messages", 100))
                       for _ in range(2 if cfg.get("twice") else 1)]
            for bridge in bridges:
                _record(bridge, me)
            box = gr.Textbox(label="received", elem_classes=["wsb-received"])

            def show() -> str:
                log("msg", me["session"], me["label"], how="change")
                return f"{len(bridges[0].received)} received"

            bridges[0].change(show, outputs=box)

    return demo


if __name__ == "__main__":
    build().launch(server_name="127.0.0.1", server_port=int(sys.argv[1]), ssr_mode=False)
