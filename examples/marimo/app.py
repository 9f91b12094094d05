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
    bridge = mo.ui.anywidget(WsBridge(server.replace("http", "ws", 1) + "/ws/{room}/{player}", "lobby", player="ann"))
    bridge
    return bridge, mo


@app.cell
def _(bridge, mo):
    # Reruns whenever an event arrives: `received` is the widget's signal, `events` what came.
    bridge.value["received"]
    lines = [f'{e.get("player")}: {e.get("text")}' for e in bridge.widget.events if e.get("type") == "message"]
    mo.md("\n\n".join(lines[-20:]) or "_no messages yet_")
    return


if __name__ == "__main__":
    app.run()
