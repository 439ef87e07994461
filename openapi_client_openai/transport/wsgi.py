"""Perl's ``app =>``: requests served in-process by a WSGI application, no socket.

``OpenAPI::Client->new($spec, app => $app)`` runs a Mojolicious app inside the
client; ``Client(spec, app=wsgi_app)`` does the same with a WSGI app. The answer
gets the same parse as a network one (``synthetic.py``).
"""

from __future__ import annotations

import io
import sys
import urllib.parse
from collections.abc import Callable
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
    started: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable:
        started[:] = [status, headers]
        return lambda data: None  # the legacy write() callable: unused by modern apps

    result = app(environ(tx), start_response)
    try:
        pieces = [bytes(piece) for piece in result]
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    status, headers = started
    code_text, _, reason = str(status).partition(" ")
    headers = list(headers)
    body = b"".join(pieces)
    if not any(k.lower() in ("content-length", "transfer-encoding") for k, _ in headers):
        headers.append(("Content-Length", str(len(body))))
    feed = Feed(tx, settings, int(code_text), reason, headers)
    feed.body(body)
    return feed.end()
