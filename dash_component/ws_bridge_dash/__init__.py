"""One WebSocket per room in a Dash app's page, each new event pushed into a callback once per browser tab."""

from ._bridge import DashBridge, Update
from ._handout import Reset

# Dash reads it to fingerprint the script's URL (cache busting).
__version__ = "0.1.0"

__all__ = ["DashBridge", "Reset", "Update", "__version__"]
