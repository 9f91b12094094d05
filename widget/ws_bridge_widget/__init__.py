"""One WebSocket per room, pushed into your notebook or app: Jupyter, JupyterLab, Voilà, marimo.

``WsBridge`` is an anywidget: display it, and each new event of the room
reaches ``on_event`` callbacks and ``events`` exactly once per kernel.
"""

from ._widget import WsBridge

__all__ = ["WsBridge"]
__version__ = "0.1.0"
