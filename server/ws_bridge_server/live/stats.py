"""The replica's counters, shown by the example's /stats and read by the benchmarks."""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass
class Stats:
    """Counters since start (or the last reset)."""

    ws_connections_total: int = 0
    ws_frames_sent: int = 0
    ws_frames_received: int = 0
    ws_bytes_sent: int = 0  # UTF-8 payload bytes of data frames
    ws_frames_direct: int = 0  # of ws_frames_sent, those written straight to the transport (direct.py)
    http_requests: int = 0
    http_bytes_sent: int = 0  # response body bytes
    events_created: int = 0

    def reset(self) -> None:
        for f in fields(self):
            setattr(self, f.name, 0)
