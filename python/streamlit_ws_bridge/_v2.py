"""The frameless component: Streamlit Components v2 (``st.components.v2``, Streamlit 1.51+).

Its JavaScript (``frontend/build/v2.js``, an ES module) runs in the app's own
page: no iframe, one bridge per room in the page for as long as the tab lives.
The frame value travels the same way as with the iframe component, only under
another name: the module keeps it in the element's state value ``frame``
(``setStateValue``), and Python's acknowledgement goes back in ``data``, so the
module is called again with it. Trigger values are not used: Streamlit has lost
them during mount and when two rerun requests merged, while a state value
stays until replaced.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

#: The state key the module writes the component's value to (src/streamlit/v2.ts).
STATE_KEY = "value"


def v2_available() -> bool:
    """Whether this Streamlit has Components v2."""
    try:
        from streamlit.components.v2 import component  # noqa: F401
    except ImportError:
        return False
    return True


def _ignore() -> None:
    """The state's change callback: nothing to do, the script reads the value on its run."""


def declare_v2(build_dir: Path) -> Callable[..., Any] | None:
    """A function with the iframe component's signature that mounts the v2 module; None when it is not built."""
    from streamlit.components.v2 import component

    module = build_dir / "v2.js"
    if not module.is_file():
        return None
    # Streamlit takes a one-line string for a path or glob: the first line makes it inline code.
    js = "// streamlit_ws_bridge (Components v2)\n" + module.read_text(encoding="utf-8")
    mount = component("ws_bridge", js=js)

    def render(*, key: str, default: Any = None, tab_index: int | None = None, **args: Any) -> Any:
        # A user key is the element's whole identity: a new ack in data re-calls the module, never remounts it.
        result = mount(key=key, data=args, height="content", on_frame_change=_ignore)
        return result.get(STATE_KEY, default)

    return render
