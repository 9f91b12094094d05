"""A game room's chat in marimo, pushed by ws-bridge-widget: ``marimo run examples/marimo/app.py``.

Start the example server first, allowing this page's origin:
``ALLOWED_ORIGINS=http://localhost:2718 .venv/bin/python examples/server/app.py --port 8000``.
"""

import marimo

app = marimo.App()


@app.cell
def _():
    import os

    import marimo as mo

    from ws_bridge_widget import WsBridge

    server = os.environ.get("WS_BRIDGE_SERVER", "http://127.0.0.1:8000")
    widget = WsBridge(server.replace("http", "ws", 1) + "/ws/{room}/{player}", "lobby", player="ann")
    # marimo reruns a cell when a state it reads is set, also from a widget's message handler;
    # a trait set in Python (`received`) is no front-end change and reruns nothing.
    get_events, set_events = mo.state([])
    widget.on_event(lambda _event: set_events(list(widget.events)))
    bridge = mo.ui.anywidget(widget)
    bridge
    return get_events, mo


@app.cell
def _(get_events, mo):
    # Reruns whenever an event arrives: the on_event callback above sets the state it reads.
    lines = [f'{e.get("player")}: {e.get("text")}' for e in get_events() if e.get("type") == "message"]
    mo.md("\n\n".join(lines[-20:]) or "_no messages yet_")
    return


if __name__ == "__main__":
    app.run()
