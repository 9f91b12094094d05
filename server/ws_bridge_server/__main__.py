"""`python -m ws_bridge_server`: the bridge alone under uvicorn (run.py)."""

from .run import main

main()
