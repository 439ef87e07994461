"""Blocking calls through a ``requests.Session``: when the session could change what happens.

The user agent sends through ``ua.session`` once your code holds that session (it
may have mounted adapters), or while a requests-mocking library is active, so
they see every blocking call. The request is ours, byte for byte: a prepared
request with exactly our URL, headers and body (``Session.request`` would re-quote
the URL and add headers of its own). What comes back gets Mojo's treatment through
our parser (``synthetic.py``); requests' own failures are put in Mojo's words.

Proxies are the user agent's (Mojo's rule: environment proxies only after
``proxy.detect()``), never requests' environment lookup; TLS follows ``ua.insecure``
/ ``ua.ca`` / ``ua.cert`` / ``ua.key`` where set, else the session's own settings.
"""

from __future__ import annotations

import errno
import os
import socket
import ssl
import time
from collections.abc import Iterator
from typing import Any

from ..transaction import Transaction
from ..url import URL
from . import tls
from .finish import UNSUPPORTED, finish
from .settings import Settings, timer_seconds
from .synthetic import Feed
from .wire import fix_headers, target


def new_session() -> Any:
    import requests

    return requests.Session()


def send_through_session(session: Any, tx: Transaction, settings: Settings) -> Transaction:
    for _ in exchange_through_session(session, tx, settings):
        pass
    return tx


def exchange_through_session(session: Any, tx: Transaction, settings: Settings) -> Iterator[None]:
    """Send ``tx`` through ``session``, a step after each piece of the body (streaming reads it
    so); closing it early closes the response, and with it the connection."""
    import requests
    from requests.structures import CaseInsensitiveDict

    req = tx.req
    where = target(req.url)
    if (where.scheme or "http") not in ("http", "https"):
        tx.fail(UNSUPPORTED.format(where.scheme))
        return
    proxy = settings.proxy
    fix_headers(req, where, proxy)
    clock = _Clock(settings)
    due = clock.due_at_once()
    if due is not None:  # a negative timeout: Mojo's timer fires before anything is sent
        tx.fail(due)
        finish(tx)
        return
    prepared = requests.PreparedRequest()
    prepared.method = req.method.upper()
    prepared.url = _reachable(req.url)  # already escaped exactly as Mojo escapes it: never re-quoted
    prepared.headers = CaseInsensitiveDict(_joined(req.headers.items()))
    prepared.body = req.body or None
    prepared.hooks = {"response": []}
    if session.cookies and "Cookie" not in req.headers:
        prepared.prepare_cookies(session.cookies)  # cookies the caller put in the session
    else:
        prepared._cookies = session.cookies  # type: ignore[attr-defined]  # what requests' redirects read
    insecure, ca, cert, key = settings.key
    verify: Any = False if insecure else (ca or session.verify)
    client_cert: Any = (cert, key) if cert and key else (cert or session.cert)
    proxies = {where.scheme or "http": f"{proxy.scheme}://{proxy.host}:{proxy.port}"} if proxy else {}
    try:
        response = session.send(
            prepared,
            timeout=clock.timeouts(),
            allow_redirects=False,  # Mojo::UserAgent follows none by default
            stream=True,
            proxies=proxies,
            verify=verify,
            cert=client_cert,
        )
    except requests.exceptions.RequestException as exc:
        tx.fail(mojo_message(exc, clock))
        finish(tx)
        return
    try:
        raw = response.raw
        raw_headers = getattr(raw, "headers", None)
        items = list(raw_headers.items()) if raw_headers is not None else list(response.headers.items())
        version = {10: "1.0", 11: "1.1"}.get(getattr(raw, "version", 11), "1.1")
        feed = Feed(tx, settings, response.status_code, response.reason, items, version)
        try:
            if feed.parser.info and not feed.parser.finished:
                _past_interim_answers(response, feed, clock)
            else:
                for piece in _pieces(response):
                    feed.body(piece)
                    if feed.parser.finished:
                        break  # complete, or a limit reached: an endless body is not read on
                    if clock.request_over():
                        tx.fail("Request timeout")
                        finish(tx)
                        return
                    yield
        except Exception as exc:  # noqa: BLE001 (urllib3 and requests raise many kinds here)
            words = mojo_message(exc, clock)
            if words in TIMERS:
                tx.fail(words)
                finish(tx)
                return
            # A close or a reset in the body: what came is kept, with no error, as in Mojo.
        feed.end()
    finally:
        response.close()


TIMERS = ("Connect timeout", "Inactivity timeout", "Request timeout")


class _Clock:
    """Mojo's three timers, as far as requests can carry them (its connect and read timeouts)."""

    def __init__(self, settings: Settings) -> None:
        self.connect = timer_seconds(settings.connect_timeout) if settings.connect_timeout else 10.0
        self.inactivity = settings.inactivity_timeout
        request = settings.request_timeout
        self.deadline = None if request is None else time.monotonic() + request

    def due_at_once(self) -> str | None:
        """The timer a negative timeout makes fire at once (0 here), in Mojo's order."""
        if self.deadline is not None and self.deadline <= time.monotonic():
            return "Request timeout"
        if self.connect == 0:
            return "Connect timeout"
        if self.inactivity == 0:
            return "Inactivity timeout"
        return None

    def timeouts(self) -> tuple[float | None, float | None]:
        """requests' (connect, read) timeouts: None waits for ever; capped by the request deadline."""
        left = None if self.deadline is None else max(self.deadline - time.monotonic(), 0.001)

        def capped(seconds: float | None) -> float | None:
            if left is None:
                return seconds
            return left if seconds is None else min(seconds, left)

        return capped(self.connect), capped(self.inactivity)

    def request_over(self) -> bool:
        return self.deadline is not None and time.monotonic() >= self.deadline


def _reachable(url: URL) -> str:
    """The URL as requests can take it, going where Mojo goes: no host is 127.0.0.1 (Mojo's
    default address), and a port past 65535 wraps, as IO::Socket::IP packs it in 16 bits."""
    if url.host and (url.port is None or url.port <= 65535):
        return str(url)
    reachable = url.clone()
    reachable.host = reachable.host or "127.0.0.1"
    if reachable.port is not None:
        reachable.port %= 65536
    return str(reachable)


def _pieces(response: Any) -> Iterator[bytes]:
    """The body as it comes, a read at a time (so a body cut short keeps what came)."""
    raw = response.raw
    read1 = getattr(raw, "read1", None)
    if read1 is not None and hasattr(raw, "_fp"):
        while True:
            piece = read1(131072, decode_content=False)
            if not piece:
                return
            yield piece
    elif hasattr(raw, "stream"):
        yield from raw.stream(131072, decode_content=False)
    else:
        yield response.content


def _past_interim_answers(response: Any, feed: Feed, clock: _Clock) -> None:
    """http.client takes a 102 or 103 for the answer; the real one follows on the same socket.

    Mojo skips interim answers; so does our parser, given the bytes: they are read
    straight from the connection's buffered socket, and the connection is then closed
    (its state is no longer what requests believes).
    """
    fp = getattr(getattr(response.raw, "_fp", None), "fp", None)
    if fp is None:
        return  # a mock's answer: nothing follows it
    try:
        while not feed.parser.finished:
            if clock.request_over():
                feed.tx.fail("Request timeout")
                break
            data = fp.read1(131072)
            if not data:
                feed.parser.close()
                break
            feed.parser.feed(data)
    finally:
        connection = getattr(response.raw, "_connection", None)
        if connection is not None:
            connection.close()


def _joined(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """One entry per name for requests' header dict; repeated values joined as Mojo's ``header``."""
    headers: dict[str, str] = {}
    lower: dict[str, str] = {}
    for name, value in pairs:
        key = name.lower()
        if key in lower:
            headers[lower[key]] = f"{headers[lower[key]]}, {value}"
        else:
            lower[key] = name
            headers[name] = value
    return headers


def mojo_message(exc: BaseException, clock: _Clock | None = None) -> str:
    """The words Mojo::UserAgent uses for the same failure, so ported checks still match."""
    reason = getattr(exc, "reason", None)  # urllib3's MaxRetryError wraps the real failure
    if isinstance(reason, BaseException):
        exc = reason
    names = {cls.__name__ for name in _chain(exc) for cls in type(name).__mro__}
    over = clock is not None and clock.request_over()
    for cause in _chain(exc):
        if isinstance(cause, (ssl.SSLError, ssl.CertificateError)):
            return tls.failure_message(cause)
        if isinstance(cause, socket.gaierror):
            return f"Can't connect: {cause.strerror}"
        if isinstance(cause, OSError) and cause.errno in _AT_ONCE and "NewConnectionError" in names:
            return os.strerror(errno.ENOTCONN)  # IO::Socket::IP's connect failed before waiting
        if isinstance(cause, ConnectionRefusedError):
            return "Connection refused"
    text = str(exc)
    if "Connection refused" in text or "[Errno 111]" in text:  # before timeouts: urllib3's
        return "Connection refused"  # NewConnectionError is also a ConnectTimeoutError
    if "ConnectTimeoutError" in names or "ConnectTimeout" in names:
        return "Request timeout" if over else "Connect timeout"
    if "ReadTimeoutError" in names or "ReadTimeout" in names or "TimeoutError" in names:
        return "Request timeout" if over else "Inactivity timeout"
    if "NameResolutionError" in names or "Name or service not known" in text:
        return "Can't connect: Name or service not known"
    if ("got more than" in text and "headers" in text) or "header line" in text or "line too long" in text:
        return "Maximum header size exceeded"  # http.client's limits, Mojo's words
    if "RemoteDisconnected" in names:  # closed before a status line (a BadStatusLine too)
        return "Premature connection close"
    for cause in _chain(exc):
        if type(cause).__name__ == "BadStatusLine":
            line = str(cause.args[0]) if cause.args else ""
            # A line the close cut short never was a start line: Mojo is still waiting for one.
            return "Bad response start-line" if line.endswith("\n") else "Premature connection close"
    if names & {"ChunkedEncodingError", "ProtocolError", "IncompleteRead", "RemoteDisconnected"}:
        return "Premature connection close"
    if "RemoteDisconnected" in text or "Connection aborted" in text or "IncompleteRead" in text:
        return "Premature connection close"
    if "timed out" in text:
        return "Request timeout" if over else "Connect timeout"
    return text or type(exc).__name__


# Connect failures the kernel gives at once (no route, forbidden): Mojo then reports the
# socket as not connected (see blocking.connect).
_AT_ONCE = frozenset({errno.ENETUNREACH, errno.EACCES, errno.EPERM, errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT})


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception and what it wraps (causes, contexts, and exceptions among its args)."""
    seen: set[int] = set()
    todo = [exc]
    while todo:
        current = todo.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo += [arg for arg in current.args if isinstance(arg, BaseException)]
        todo += [link for link in (current.__cause__, current.__context__) if link is not None]
