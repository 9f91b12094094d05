"""Importing the package does no work: a test, a notebook or a tool can import it outside `streamlit run`."""

from __future__ import annotations

import subprocess
import sys


def test_importing_the_package_outside_streamlit_run_prints_nothing():
    result = subprocess.run(
        [sys.executable, "-c", "import streamlit_ws_bridge"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout + result.stderr == ""


def test_importing_the_package_does_not_load_streamlit_components():
    # Declaring the component is what imports streamlit.components.v1; it waits for the first ws_bridge() call.
    code = "import sys, streamlit_ws_bridge; print('streamlit.components.v1' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"

