"""Send a built request over a ``requests.Session``; the only module that imports requests.

Requests are prepared directly (``PreparedRequest`` with our exact URL, headers and
body), because ``Session.request`` would re-quote the URL, add its own default
headers (``Accept: */*``) and re-read proxy and netrc settings on every call. The
environment (``HTTPS_PROXY`` and friends, ``REQUESTS_CA_BUNDLE``) is read once per
client and origin, as Perl's client reads its settings once. ``requests`` itself is
imported on the first request: constructing a client should not pay for it.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from .message import Headers, Request, Response
from .transaction import Transaction

CONNECT_TIMEOUT = 10.0  # Mojo::UserAgent's defaults
INACTIVITY_TIMEOUT = 40.0


def default_timeouts() -> tuple[float, float]:
    """Mojo's own environment overrides, so ported deployments keep their settings."""
    return (
        float(os.environ.get("MOJO_CONNECT_TIMEOUT") or CONNECT_TIMEOUT),
        float(os.environ.get("MOJO_INACTIVITY_TIMEOUT") or INACTIVITY_TIMEOUT),
    )


def new_session() -> Any:
    import requests

    return requests.Session()


class Transport:
    """One client's way to the network: its session, timeouts and settled environment."""

    def __init__(
        self,
        session: Any = None,
        connect_timeout: float | None = None,
        inactivity_timeout: float | None = None,
    ) -> None:
        connect, inactivity = default_timeouts()
        self._session = session
        self.connect_timeout = connect if connect_timeout is None else connect_timeout
        self.inactivity_timeout = inactivity if inactivity_timeout is None else inactivity_timeout
        self._settings: dict[str, dict] = {}
        self._lock = threading.Lock()

    @property
    def session(self) -> Any:
        """The ``requests.Session``, made on first use."""
        if self._session is None:
            with self._lock:
                if self._session is None:
                    self._session = new_session()
        return self._session

    def _settings_for(self, url: str) -> dict:
        end = url.find("/", url.find("//") + 2)
        origin = url if end < 0 else url[:end]
        settings = self._settings.get(origin)
        if settings is None:
            import requests
            from requests.utils import resolve_proxies

            session = self.session
            with self._lock:
                probe = requests.PreparedRequest()
                probe.url = origin + "/"
                proxies = resolve_proxies(probe, session.proxies, session.trust_env)
                merged = session.merge_environment_settings(origin + "/", proxies, None, None, None)
                settings = self._settings[origin] = {
                    "proxies": merged["proxies"],
                    "verify": merged["verify"],
                    "cert": merged["cert"],
                }
        return settings

    def send(self, tx: Transaction) -> Transaction:
        """Fill ``tx.res`` from the network; a failure becomes ``tx.error`` without a code."""
        import requests

        req = tx.req
        settings = self._settings_for(req.url)
        session = self.session
        prepared = _prepare(req)
        if session.cookies:  # Mojo's user agent keeps a cookie jar too
            prepared.prepare_cookies(session.cookies)
        else:
            prepared._cookies = session.cookies  # what requests' redirect handling reads
        try:
            response = session.send(
                prepared,
                timeout=(self.connect_timeout, self.inactivity_timeout),
                allow_redirects=False,  # Mojo::UserAgent follows none by default
                stream=True,
                **settings,
            )
            try:
                if _headers_cut_short(response):
                    return Transaction(req, Response(), {"message": "Premature connection close"})
                body = response.content
            finally:
                response.close()
        except requests.exceptions.RequestException as exc:
            return Transaction(req, Response(), {"message": mojo_message(exc)})
        raw_headers = getattr(getattr(response, "raw", None), "headers", None)
        items = raw_headers.items() if raw_headers is not None else response.headers.items()
        tx.res = Response(response.status_code, response.reason or "", Headers(items), body)
        return tx


def _prepare(req: Request) -> Any:
    import requests
    from requests.structures import CaseInsensitiveDict

    prepared = requests.PreparedRequest()
    prepared.method = req.method
    prepared.url = req.url  # already escaped exactly as Mojo escapes it: never re-quoted
    headers = CaseInsensitiveDict()
    for name, value in req.headers.items():
        if name in headers:  # repeated: one line, values joined, as Mojo::Headers reads them
            headers[name] = f"{headers[name]}, {value}"
        else:
            headers[name] = value
    if req.body or req.method in ("POST", "PUT", "PATCH"):
        headers["Content-Length"] = str(len(req.body))
    prepared.headers = headers
    prepared.body = req.body or None
    prepared.hooks = {"response": []}
    return prepared


def _headers_cut_short(response: Any) -> bool:
    """True when the connection closed inside the headers: http.client keeps what it got."""
    original = getattr(getattr(response, "raw", None), "_original_response", None)
    defects = getattr(getattr(original, "msg", None), "defects", ())
    return any(type(defect).__name__ == "MissingHeaderBodySeparatorDefect" for defect in defects)


def mojo_message(exc: BaseException) -> str:
    """The words Mojo::UserAgent uses for the same failure, so ported checks still match."""
    import requests

    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return "Connect timeout"
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return "Inactivity timeout"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return "Premature connection close"
    text = str(exc)
    if "Connection refused" in text or "[Errno 111]" in text:
        return "Connection refused"
    if "RemoteDisconnected" in text or "Connection aborted" in text or "IncompleteRead" in text:
        return "Premature connection close"
    if isinstance(exc, requests.exceptions.ConnectionError) and "timed out" in text:
        return "Connect timeout"
    return text or type(exc).__name__
