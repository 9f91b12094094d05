# A Dash app whose callback gets each new event of a room once per browser tab (pip install ws-bridge-dash).
import os

from dash import Dash, Output, State, html
from ws_bridge_dash import DashBridge

server = os.environ.get("WS_BRIDGE_SERVER", "http://127.0.0.1:8000").replace("http", "ws", 1)
app = Dash(__name__)
bridge = DashBridge(app, server + "/ws/{room}/{player}")
app.layout = html.Div([bridge.layout("lobby", player="ann"), html.Ul(id="chat")])

@bridge.callback(Output("chat", "children"), State("chat", "children"))
def show(update, chat):
    lines = [html.Li(f"{e['player']}: {e['text']}") for e in update.events if e.get("type") == "message"]
    return ([] if update.reset else chat or []) + lines

if __name__ == "__main__":
    app.run()  # http://127.0.0.1:8050 (Dash reads PORT and HOST from the environment)
