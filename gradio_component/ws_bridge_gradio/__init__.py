"""One WebSocket per room, pushed into your Gradio app.

``WsBridge`` is a ``gr.HTML`` component: put it in a ``gr.Blocks``, and each new
event of the room reaches ``on_event`` callbacks exactly once per browser tab.
"""

from ._component import WsBridge

__all__ = ["WsBridge"]
__version__ = "0.1.0"
