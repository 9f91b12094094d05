"""No live token in a log line: uvicorn logs each request's path with its query string.

The token travels as `?token=` (a browser WebSocket cannot send headers), so the
access log (uvicorn.access) and the WebSocket lines (uvicorn.error) would print it.
A filter on those loggers replaces every token value with `***`, as the browser
side shows it. `bridge_router` installs it; installing twice adds nothing.
"""

from __future__ import annotations

import logging
import re

_TOKEN_VALUE = re.compile(r"(?i)((?:^|[?&;])token=)[^&\s\"']*")
LOGGERS = ("uvicorn.access", "uvicorn.error")


def redact(text: str) -> str:
    return _TOKEN_VALUE.sub(r"\1***", text)


class RedactTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and "token=" in record.msg.lower():
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) and "token=" in a.lower() else a for a in record.args)
        return True


def install() -> None:
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactTokens) for f in logger.filters):
            logger.addFilter(RedactTokens())
