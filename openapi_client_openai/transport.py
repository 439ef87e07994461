"""Send a built request over a ``requests.Session``; the only module that imports requests.

Our request already has Mojo's exact URL, headers and body, so it must not go
through ``Session.request``, which would re-quote the URL, add default headers
(``Accept: */*``) and re-read proxy and netrc settings on every call. The
environment (``HTTPS_PROXY`` and friends, ``REQUESTS_CA_BUNDLE``) is read once per
client and origin, as Perl's client reads its settings once.

Two ways out, the same on the wire: when the session's adapter for an origin is
requests' own ``HTTPAdapter`` and no proxy is involved, the request goes straight
to that adapter's urllib3 connection pool (its TLS settings, retries and pooling),
keeping the session's cookie jar as Mojo keeps its own; anything else (a mounted
custom adapter, a Session subclass with its own ``send``, response hooks, a proxy)
takes ``Session.send`` with a prepared request. ``requests``
itself is imported on the first request, not when a client is made.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from .errors import HeaderError
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


class _Route:
    """How requests to one origin leave: settled once per client and origin."""

    __slots__ = ("adapter", "pool", "settings")

    def __init__(self, settings: dict, adapter: Any, pool: Any) -> None:
        self.settings = settings  # proxies, verify, cert for Session.send
        self.adapter = adapter
        self.pool = pool  # the adapter's urllib3 pool, or None for the Session.send way


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
        self._routes: dict[str, _Route] = {}
        self._lock = threading.Lock()

    @property
    def session(self) -> Any:
        """The ``requests.Session``, made on first use."""
        if self._session is None:
            with self._lock:
                if self._session is None:
                    self._session = new_session()
        return self._session

    def _route(self, origin: str) -> _Route:
        route = self._routes.get(origin)
        if route is None:
            import requests
            from requests.adapters import HTTPAdapter
            from requests.utils import resolve_proxies

            session = self.session
            with self._lock:
                probe = requests.PreparedRequest()
                probe.url = origin + "/"
                proxies = resolve_proxies(probe, session.proxies, session.trust_env)
                merged = session.merge_environment_settings(origin + "/", proxies, None, None, None)
                settings = {"proxies": merged["proxies"], "verify": merged["verify"], "cert": merged["cert"]}
                adapter = session.get_adapter(probe.url)
                pool = None
                direct = (
                    type(adapter) is HTTPAdapter  # requests' own: we know what its send would do
                    and type(session).send is requests.Session.send  # nothing the caller overrode
                    and not session.hooks.get("response")
                    and not _proxy_for(origin, settings["proxies"])
                )
                if direct:
                    pool = adapter.get_connection_with_tls_context(
                        probe, settings["verify"], settings["proxies"], settings["cert"]
                    )
                route = self._routes[origin] = _Route(settings, adapter, pool)
        return route

    def send(self, tx: Transaction) -> Transaction:
        """Fill ``tx.res`` from the network; a failure becomes ``tx.error`` without a code."""
        url = str(tx.req.url)
        end = url.find("/", url.find("//") + 2)
        origin = url if end < 0 else url[:end]
        route = self._route(origin)
        if route.pool is not None:
            try:
                return self._send_direct(tx, route, url[len(origin) :] or "/")
            except _PoolGone:
                with self._lock:
                    self._routes.pop(origin, None)  # the session dropped that pool: settle again
                route = self._route(origin)
                if route.pool is not None:
                    return self._send_direct(tx, route, url[len(origin) :] or "/")
        return self._send_through_session(tx, route)

    def _send_direct(self, tx: Transaction, route: _Route, target: str) -> Transaction:
        import urllib3

        req = tx.req
        session = self.session
        headers = _wire_headers(req)
        if session.cookies:
            cookie = _cookie_header(session.cookies, req)
            if cookie:
                headers["Cookie"] = cookie
        try:
            response = route.pool.urlopen(
                req.method.upper(),  # Perl's method is the spec's "post"; the wire says POST
                target,
                body=req.body or None,
                headers=headers,
                redirect=False,  # Mojo::UserAgent follows none by default
                assert_same_host=False,
                preload_content=False,
                decode_content=False,
                retries=route.adapter.max_retries,
                timeout=urllib3.Timeout(connect=self.connect_timeout, read=self.inactivity_timeout),
                chunked=False,
            )
            try:
                if _headers_cut_short(response):
                    return tx.fail("Premature connection close")
                body = response.read(decode_content=True)
            finally:
                response.release_conn()
        except urllib3.exceptions.ClosedPoolError:
            raise _PoolGone() from None
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            return tx.fail(mojo_message(exc))
        if "set-cookie" in response.headers:
            _keep_cookies(session.cookies, req, response)
        tx.res = Response(response.status, response.reason or "", Headers(response.headers.items()), body)
        return tx

    def _send_through_session(self, tx: Transaction, route: _Route) -> Transaction:
        import requests

        req = tx.req
        session = self.session
        prepared = _prepared(req, session)
        try:
            response = session.send(
                prepared,
                timeout=(self.connect_timeout, self.inactivity_timeout),
                allow_redirects=False,  # Mojo::UserAgent follows none by default
                stream=True,
                **route.settings,
            )
            try:
                if _headers_cut_short(response.raw):
                    return tx.fail("Premature connection close")
                body = response.content
            finally:
                response.close()
        except requests.exceptions.RequestException as exc:
            return tx.fail(mojo_message(exc))
        raw_headers = getattr(response.raw, "headers", None)
        items = raw_headers.items() if raw_headers is not None else response.headers.items()
        tx.res = Response(response.status_code, response.reason or "", Headers(items), body)
        return tx


class _PoolGone(Exception):
    """The session closed the pool we kept (its pool manager evicted it)."""


def _proxy_for(origin: str, proxies: dict) -> bool:
    scheme = origin.split(":", 1)[0]
    return bool(
        proxies.get(scheme) or proxies.get("all") or any(k.startswith(f"{scheme}://") for k in proxies)
    )


def _wire_headers(req: Request) -> dict[str, str]:
    headers: dict[str, str] = {}
    lower: dict[str, str] = {}
    for name, value in req.headers.items():
        _check_header(name, value)
        key = name.lower()
        if key in lower:  # repeated: one line, values joined, as Mojo::Headers reads them
            headers[lower[key]] = f"{headers[lower[key]]}, {value}"
        else:
            lower[key] = name
            headers[name] = value
    if req.body or req.method.upper() in ("POST", "PUT", "PATCH"):
        headers["Content-Length"] = str(len(req.body))
    return headers


def _check_header(name: str, value: str) -> None:
    """Mojo::Headers' refusal, in its words: the header named, never its value (a key)."""
    if "\r" in value or "\n" in value:
        raise HeaderError(f"Invalid characters in {name} header")
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        raise HeaderError(f"Invalid characters in {name} header (not Latin-1)") from None


def _prepared(req: Request, session: Any) -> Any:
    import requests
    from requests.structures import CaseInsensitiveDict

    prepared = requests.PreparedRequest()
    prepared.method = req.method.upper()
    prepared.url = str(req.url)  # already escaped exactly as Mojo escapes it: never re-quoted
    prepared.headers = CaseInsensitiveDict(_wire_headers(req))
    prepared.body = req.body or None
    prepared.hooks = {"response": []}
    if session.cookies:  # Mojo's user agent keeps a cookie jar too
        prepared.prepare_cookies(session.cookies)
    else:
        prepared._cookies = session.cookies  # what requests' redirect handling reads
    return prepared


def _cookie_header(jar: Any, req: Request) -> str | None:
    from requests.cookies import get_cookie_header

    probe = _probe(req)
    return get_cookie_header(jar, probe)


def _keep_cookies(jar: Any, req: Request, response: Any) -> None:
    from requests.cookies import extract_cookies_to_jar

    extract_cookies_to_jar(jar, _probe(req), response)


def _probe(req: Request) -> Any:
    import requests

    probe = requests.PreparedRequest()
    probe.method, probe.url = req.method.upper(), str(req.url)
    probe.headers = {}
    return probe


def _headers_cut_short(raw: Any) -> bool:
    """True when the connection closed inside the headers: http.client keeps what it got."""
    original = getattr(raw, "_original_response", None)
    defects = getattr(getattr(original, "msg", None), "defects", ())
    return any(type(defect).__name__ == "MissingHeaderBodySeparatorDefect" for defect in defects)


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
    if names & {"ChunkedEncodingError", "ProtocolError", "IncompleteRead", "RemoteDisconnected"}:
        return "Premature connection close"
    if "RemoteDisconnected" in text or "Connection aborted" in text or "IncompleteRead" in text:
        return "Premature connection close"
    if "timed out" in text:
        return "Connect timeout"
    return text or type(exc).__name__
