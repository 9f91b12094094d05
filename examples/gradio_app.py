# A Gradio app with the room's live feed: `python examples/gradio_app.py` (the example server on :8000).
import gradio as gr
from ws_bridge_gradio import WsBridge

with gr.Blocks() as demo:
    bridge = WsBridge("ws://127.0.0.1:8000/ws/{room}/{player}", "lobby", player="gradio")
    feed = gr.Textbox(label="Events", lines=10)
    bridge.on_event(lambda event: print("event", event.get("id"), event.get("text")))  # once per tab, in order
    bridge.change(lambda: "\n".join(str(e.get("text")) for e in bridge.received[-10:]), outputs=feed)
demo.launch()
