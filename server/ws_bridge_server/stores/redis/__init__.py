"""The Redis store: `store.py` (the store), `streams.py` (keys, scripts, reads), `follower.py` (the pub/sub
readers' one loop), `reader.py` (one node's pub/sub connection), `subscriptions.py` (following one room
without a gap), `presence.py` (who is in a room on any replica).

Needs the `redis` extra (`pip install 'ws-bridge-server[redis]'`).
"""

from .store import RedisStore

__all__ = ["RedisStore"]
