"""The Redis store: `store.py` (the store), `streams.py` (keys, scripts, reads), `follower.py` (the pub/sub reader),
`presence.py` (who is in a room on any replica).

Needs the `redis` extra (`pip install 'ws-bridge-server[redis]'`).
"""

from .store import RedisStore

__all__ = ["RedisStore"]
