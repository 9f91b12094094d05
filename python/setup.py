"""Build hook: a wheel without the built component frame must not be made.

Everything else is in pyproject.toml. The frame is built by `npm run build` at
the repository root; a wheel built before that would install fine and fail
only when an app first calls ws_bridge(). Editable installs (pip install -e)
are exempt: they serve the frame from the source tree, built now or later.
"""

from __future__ import annotations

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.errors import SetupError

FRAME = Path(__file__).resolve().parent / "streamlit_ws_bridge" / "frontend" / "build" / "index.html"


class BuildPyWithFrame(build_py):
    def run(self) -> None:
        if not self.editable_mode and not FRAME.is_file():
            raise SetupError(
                f"the Streamlit component's frame is not built ({FRAME} is missing): "
                "run `npm ci && npm run build` at the repository root, then build the wheel again"
            )
        super().run()


setup(cmdclass={"build_py": BuildPyWithFrame})
