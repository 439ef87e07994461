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

from typing import Any

from ..transaction import Transaction
from .finish import UNSUPPORTED, finish
from .settings import Settings
from .synthetic import Feed
from .wire import fix_headers, target


def new_session() -> Any:
    import requests

    return requests.Session()


def send_through_session(session: Any, tx: Transaction, settings: Settings) -> Transaction:
    import requests
    from requests.structures import CaseInsensitiveDict

    req = tx.req
    url = str(req.url)
    where = target(url)
    if (where.scheme or "http") not in ("http", "https"):
        tx.fail(UNSUPPORTED.format(where.scheme))
        return tx
    proxy = settings.proxy
    fix_headers(req, where, proxy)
    prepared = requests.PreparedRequest()
    prepared.method = req.method.upper()
    prepared.url = url  # already escaped exactly as Mojo escapes it: never re-quoted
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
    connect = settings.connect_timeout or 10.0
    try:
        response = session.send(
            prepared,
            timeout=(connect if connect > 0 else 0.001, settings.inactivity_timeout),
            allow_redirects=False,  # Mojo::UserAgent follows none by default
            stream=True,
            proxies=proxies,
            verify=verify,
            cert=client_cert,
        )
    except requests.exceptions.RequestException as exc:
        tx.fail(mojo_message(exc))
        return finish(tx)
    try:
        raw = response.raw
        raw_headers = getattr(raw, "headers", None)
        items = list(raw_headers.items()) if raw_headers is not None else list(response.headers.items())
        version = {10: "1.0", 11: "1.1"}.get(getattr(raw, "version", 11), "1.1")
        feed = Feed(tx, settings, response.status_code, response.reason, items, version)
        try:
            if hasattr(raw, "stream"):
                for piece in raw.stream(131072, decode_content=False):
                    feed.body(piece)
            else:
                feed.body(response.content)
        except Exception as exc:  # noqa: BLE001 (urllib3 and requests raise many kinds here)
            tx.fail(mojo_message(exc))
            return finish(tx)
        return feed.end()
    finally:
        response.close()


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


def mojo_message(exc: BaseException) -> str:
    """The words Mojo::UserAgent uses for the same failure, so ported checks still match."""
    reason = getattr(exc, "reason", None)  # urllib3's MaxRetryError wraps the real failure
    if isinstance(reason, BaseException):
        exc = reason
    names = {cls.__name__ for cls in type(exc).__mro__}
    text = str(exc)
    if "Connection refused" in text or "[Errno 111]" in text:  # before timeouts: urllib3's
        return "Connection refused"  # NewConnectionError is also a ConnectTimeoutError
    if "ConnectTimeoutError" in names or "ConnectTimeout" in names:
        return "Connect timeout"
    if "ReadTimeoutError" in names or "ReadTimeout" in names:
        return "Inactivity timeout"
    if "NameResolutionError" in names or "Name or service not known" in text:
        return "Can't connect: Name or service not known"
    if names & {"ChunkedEncodingError", "ProtocolError", "IncompleteRead", "RemoteDisconnected"}:
        return "Premature connection close"
    if "RemoteDisconnected" in text or "Connection aborted" in text or "IncompleteRead" in text:
        return "Premature connection close"
    if "timed out" in text:
        return "Connect timeout"
    return text or type(exc).__name__
