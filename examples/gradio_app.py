# A Gradio app with the room's live feed: `python examples/gradio_app.py` (the example server on :8000).
import os

import gradio as gr
from ws_bridge_gradio import WsBridge

server = os.environ.get("WS_BRIDGE_SERVER", "http://127.0.0.1:8000").replace("http", "ws", 1)

with gr.Blocks() as demo:
    bridge = WsBridge(server + "/ws/{room}/{player}", "lobby", player="gradio")
    feed = gr.Textbox(label="Chat", lines=10)
    bridge.on_event(lambda event: print("event", event.get("id")))  # each new event, once per tab, in order

    @bridge.change(outputs=feed)  # fired after each batch with new events: redraw from what arrived
    def chat() -> str:
        return "\n".join(f"{e['player']}: {e['text']}" for e in bridge.received if e.get("type") == "message")

demo.launch()  # http://127.0.0.1:7860 (Gradio reads GRADIO_SERVER_PORT from the environment)
