"""Perl's ``app =>``: requests served in-process by a WSGI application, no socket.

``OpenAPI::Client->new($spec, app => $app)`` runs a Mojolicious app inside the
client; ``Client(spec, app=wsgi_app)`` does the same with a WSGI app. The answer
gets the same parse as a network one (``synthetic.py``).
"""

from __future__ import annotations

import io
import sys
import urllib.parse
from collections.abc import Callable, Iterator
from typing import Any

from ..transaction import Transaction
from .settings import Settings
from .synthetic import Feed
from .wire import fix_headers, target


def environ(tx: Transaction) -> dict[str, Any]:
    """The WSGI environ for the request (PEP 3333)."""
    req = tx.req
    where = target(str(req.url))
    fix_headers(req, where, None)
    path, _, query = where.path_query.partition("?")
    env: dict[str, Any] = {
        "REQUEST_METHOD": req.method.upper(),
        "SCRIPT_NAME": "",
        "PATH_INFO": urllib.parse.unquote(path, "latin-1"),
        "QUERY_STRING": query,
        "SERVER_NAME": where.host or "127.0.0.1",
        "SERVER_PORT": str(where.port),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": where.scheme or "http",
        "wsgi.input": io.BytesIO(req.body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    for name, value in req.headers.items():
        key = name.upper().replace("-", "_")
        if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            env[key] = value
        else:
            key = f"HTTP_{key}"
            env[key] = f"{env[key]},{value}" if key in env else value
    return env


def send_to_app(app: Callable, tx: Transaction, settings: Settings) -> Transaction:
    """Call the app with the request and read its answer into ``tx.res``."""
    for _ in exchange_with_app(app, tx, settings):
        pass
    return tx


def exchange_with_app(app: Callable, tx: Transaction, settings: Settings) -> Iterator[None]:
    """Call the app, a step after each piece of its answer (an app may stream).

    An answer with neither Content-Length nor Transfer-Encoding is read as chunked,
    so each piece arrives as the app yields it (the parser then records its length,
    as for any chunked answer); one that has no body by definition (HEAD, 1xx, 204,
    304) is read whole and given the Content-Length of what the app returned.
    """
    started: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable:
        started[:] = [status, headers]
        return lambda data: None  # the legacy write() callable: unused by modern apps

    result = app(environ(tx), start_response)
    try:
        feed = None
        held: list[bytes] = []
        for piece in result:
            if feed is None and not held:
                feed = _streaming_feed(tx, settings, started)
            if feed is None:
                held.append(bytes(piece))
                continue
            feed.body(bytes(piece))
            yield
        if feed is None:
            feed = _streaming_feed(tx, settings, started) if not held else None
        if feed is None:  # no body by definition: as read before streaming existed
            body = b"".join(held)
            feed = Feed(tx, settings, *_status(started), [*started[1], ("Content-Length", str(len(body)))])
            feed.body(body)
        feed.end()
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()


def _status(started: list) -> tuple[int, str]:
    code_text, _, reason = str(started[0]).partition(" ")
    return int(code_text), reason


def _streaming_feed(tx: Transaction, settings: Settings, started: list) -> Feed | None:
    """The feed for the app's answer, or None when it must be read whole (see above)."""
    code, reason = _status(started)
    headers = list(started[1])
    if not any(k.lower() in ("content-length", "transfer-encoding") for k, _ in headers):
        if tx.req.method.upper() == "HEAD" or code < 200 or code in (204, 304):
            return None
        headers.append(("Transfer-Encoding", "chunked"))
    return Feed(tx, settings, code, reason, headers)
