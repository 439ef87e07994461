"""What one request travels with: the user agent's timeouts, limits, TLS and proxy, read once.

The user agent (``useragent.py``) owns the attributes; it hands each request a
frozen snapshot of them, so changing ``ua.inactivity_timeout`` affects the next
request, never one in flight, on either path.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

from .parser import Limits
from .wire import Proxy

# A timer further away than this never fires in practice; sockets refuse huge timeouts.
_FOREVER = 1e9


def timer_seconds(value: float) -> float | None:
    """A Mojo timeout as a delay: None for no timer (0, inf, nan), else seconds (negative: now)."""
    if value == 0 or math.isnan(value) or value >= _FOREVER:
        return None
    return max(value, 0.0)


class Settings(NamedTuple):
    """The user agent's settings for one request, as seconds and sizes (None: no limit)."""

    connect_timeout: float  # Mojo's connect timer: 0 means its default of 10 s
    inactivity_timeout: float | None
    request_timeout: float | None
    limits: Limits
    proxy: Proxy | None
    tls: Any  # a callable giving the ssl.SSLContext (made on first https use)
    max_connections: int = 5
    key: tuple = ()  # what makes a kept-alive connection fit this request (TLS settings)
