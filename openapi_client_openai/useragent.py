"""UserAgent: Mojo::UserAgent's attributes, events and transactor; it sends every request.

``client.ua`` is one of these. Its attributes have Mojo's names, defaults and
environment variables (``MOJO_CONNECT_TIMEOUT``, ``MOJO_INACTIVITY_TIMEOUT``, ...),
so ``client.ua.inactivity_timeout = 600`` does what ``$client->ua->inactivity_timeout(600)``
does; setting an attribute it does not have raises, rather than doing nothing.

Requests leave by one of four ways, all with Mojo's semantics (``transport/``):

* blocking, over our own sockets (``transport/blocking.py``), unless
* the ``requests.Session`` of blocking calls (``ua.session``) could change what
  happens: it was handed to your code (``ua.session`` read, or given), or a
  requests-mocking library (responses, requests-mock, vcrpy) is active; then every
  blocking call goes through ``session.send``, so mounted adapters and mocks see it;
* non-blocking (callback form, ``op_p``, ``call_p``), on the event loop
  (``transport/nonblocking.py``, ``ioloop.py``);
* in-process to a WSGI app, with ``app=`` (Perl's ``app =>``): no socket.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from . import ioloop
from .errors import TransportError, UserAgentError
from .events import EventEmitter
from .message import Headers, Request
from .perl_data import leading_number
from .promise import Promise
from .transaction import Transaction
from .url import URL

if TYPE_CHECKING:  # the transport is imported with the first request, not with the client
    from .transport.blocking import BlockingEngine
    from .transport.settings import Settings
    from .transport.wire import Proxy as ProxyEndpoint

REDIRECT_CODES = (301, 302, 303, 307, 308)


def _number(name: str, value: Any) -> float:
    """A timeout or size as Mojo takes it: any number (kept as given, ``600`` stays ``600``);
    a numeric string read as Perl reads it.

    Mojo would take ``"abc"`` as 0 and (for a timeout) fire at once, with a warning;
    that is never what was meant, so it is refused here, naming the attribute.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise UserAgentError(f"{name} must be a number of seconds, not {type(value).__name__}")
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text)
        except ValueError:
            pass
        try:
            return float(text)
        except ValueError:
            number = leading_number(text)
            if number == 0 and not text.startswith(("0", ".0")):
                raise UserAgentError(
                    f"{name} = {value!r} is not a number (Mojo would read it as 0 and time out at once)"
                ) from None
            return number
    return value


def _env_number(variable: str, default: float, zero_means_default: bool) -> float:
    """``$ENV{X} || default`` (``zero_means_default``) or ``$ENV{X} // default``."""
    text = os.environ.get(variable)
    if text is None or (zero_means_default and text in ("", "0")):
        return default
    if text == "":
        return 0.0
    return _number(variable, text)


class Proxy:
    """Mojo::UserAgent::Proxy: environment proxies are used only after ``detect()``.

    Mojo (and so OpenAPI::Client) ignores ``HTTP_PROXY`` and friends unless
    ``MOJO_PROXY`` is set or ``detect()`` was called: an API key never goes to a proxy
    nobody chose for this client.
    """

    __slots__ = ("http", "https", "not_")

    def __init__(self) -> None:
        self.http: str | None = None
        self.https: str | None = None
        self.not_: list[str] | None = None

    def detect(self) -> Proxy:
        env = os.environ
        self.http = env.get("HTTP_PROXY") or env.get("http_proxy") or None
        self.https = env.get("HTTPS_PROXY") or env.get("https_proxy") or None
        self.not_ = [part for part in (env.get("NO_PROXY") or env.get("no_proxy") or "").split(",") if part]
        return self

    def is_needed(self, host: str) -> bool:
        return not any(host.endswith(suffix) for suffix in self.not_ or [])

    def for_target(self, scheme: str, host: str) -> ProxyEndpoint | None:
        """The proxy a request to ``scheme://host`` goes through, or None."""
        if os.environ.get("MOJO_PROXY"):
            self.detect()
        if not self.is_needed(host):
            return None
        chosen = self.http if scheme == "http" else self.https if scheme == "https" else None
        if not chosen:
            return None
        from .transport.wire import Proxy as Endpoint

        return Endpoint.parse(chosen)

    def __repr__(self) -> str:
        return f"Proxy(http={self.http!r}, https={self.https!r}, not_={self.not_!r})"


class Transactor:
    """Mojo::UserAgent::Transactor's part here: the content generators and the agent's name."""

    __slots__ = ("_content_names", "compressed", "generators", "name")

    def __init__(self, generators: Mapping[str, Callable] | None = None) -> None:
        from .request import GENERATORS

        self.generators: dict[str, Callable] = dict(GENERATORS if generators is None else generators)
        self.name = "Mojo-OpenAPI (Python)"
        self.compressed = os.environ.get("MOJO_GZIP", "1") not in ("", "0")
        self._content_names: frozenset | None = None

    def add_generator(
        self, name: str, generator: Callable[[Transactor, Transaction, Any], Any]
    ) -> Transactor:
        """``$t->add_generator(name => sub ($t, $tx, $value) {...})``: the generator sets the body.

        It is called with this transactor, a transaction holding the request built so
        far (method, URL, headers) and the value given for ``name``; it sets
        ``tx.req.body`` and any headers, as a Mojo generator does.
        """

        def build(value: Any, method: str, url: Any, headers: Headers) -> bytes:
            req = Request(method, str(url), headers)
            generator(self, Transaction(req), value)
            return req.body

        self.generators[name] = build
        self._content_names = None
        return self

    def tx(self, method: str, url: Any, *args: Any, **content: Any) -> Transaction:
        """``$t->tx(POST => $url, \\%headers, json => {...})``: a transaction ready to start.

        After the URL: an optional dict of headers, then either a raw body (str or
        bytes) or one content generator as a keyword (``json=``, ``form=``, ...).
        """
        from .url import URL

        text = str(url)
        if not text.startswith("/") and "://" not in text:
            text = f"http://{text}"  # Mojo: a bare host is http
        headers = Headers()
        positional = list(args)
        if positional and isinstance(positional[0], Mapping):
            headers.from_hash(positional.pop(0))
        if "User-Agent" not in headers:
            headers.add("User-Agent", self.name)
        if self.compressed and "Accept-Encoding" not in headers:
            headers.add("Accept-Encoding", "gzip")
        body = b""
        if positional:
            raw = positional.pop(0)
            body = raw.encode("utf-8") if isinstance(raw, str) else bytes(raw)
        if positional:
            raise TypeError("tx() takes a URL, an optional headers dict, and a raw body or one generator")
        for name, value in content.items():
            generator = self.generators.get(name)
            if generator is None:
                known = ", ".join(sorted(self.generators))
                raise TypeError(f"unknown content generator {name!r}; expected one of: {known}")
            body = generator(value, method.upper(), URL(text), headers)
        return Transaction(Request(method.upper(), text, headers, body))

    @property
    def content_names(self) -> frozenset:
        """The content keywords a call may use: ``body`` and every generator."""
        if self._content_names is None:
            self._content_names = frozenset({"body", *self.generators})
        return self._content_names


class UserAgent(EventEmitter):
    """Mojo::UserAgent: ``client.ua``. Events: ``start`` (``fn(ua, tx)``, before each request goes)."""

    _ATTRIBUTES = frozenset(
        {
            "ca",
            "cert",
            "connect_timeout",
            "cookie_jar",
            "inactivity_timeout",
            "insecure",
            "key",
            "max_connections",
            "max_redirects",
            "max_response_size",
            "proxy",
            "request_timeout",
            "session",
            "transactor",
        }
    )
    # Set in __init__ with object.__setattr__ (this class's __setattr__ guards Mojo's names):
    insecure: bool
    ca: str | None
    cert: str | None
    key: str | None
    proxy: Proxy
    transactor: Transactor
    cookie_jar: Any  # an http.cookiejar.CookieJar once a response sets a cookie
    _session: Any  # a requests.Session, made when first needed
    _session_exposed: bool
    _app: Callable | None
    _blocking: BlockingEngine | None  # our own sockets' engine, made on the first blocking call
    _nonblocking: Any  # the asyncio engine, made on the first non-blocking call
    _settings: Settings | None  # one request's settings, kept until an attribute changes

    def __init__(self, session: Any = None, app: Callable | None = None, **attributes: Any) -> None:
        super().__init__()
        env = os.environ
        set_ = object.__setattr__
        set_(self, "_connect_timeout", _env_number("MOJO_CONNECT_TIMEOUT", 10.0, True))
        set_(self, "_inactivity_timeout", _env_number("MOJO_INACTIVITY_TIMEOUT", 40.0, False))
        set_(self, "_request_timeout", _env_number("MOJO_REQUEST_TIMEOUT", 0.0, False))
        set_(self, "_max_redirects", int(_env_number("MOJO_MAX_REDIRECTS", 0.0, True)))
        set_(self, "_max_response_size", None)
        set_(self, "_max_connections", 5)
        set_(self, "insecure", bool(env.get("MOJO_INSECURE")))
        set_(self, "ca", env.get("MOJO_CA_FILE") or None)
        set_(self, "cert", env.get("MOJO_CERT_FILE") or None)
        set_(self, "key", env.get("MOJO_KEY_FILE") or None)
        set_(self, "proxy", Proxy())
        set_(self, "transactor", Transactor())
        set_(self, "cookie_jar", None)
        set_(self, "_session", session)
        set_(self, "_session_exposed", session is not None)
        set_(self, "_app", app)
        set_(self, "_blocking", None)
        set_(self, "_nonblocking", None)
        set_(self, "_settings", None)
        for name, value in attributes.items():
            setattr(self, name, value)

    # -- attributes, with Mojo's rules -------------------------------------------------------

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_") or name in self._ATTRIBUTES:
            object.__setattr__(self, name, value)
            object.__setattr__(self, "_settings", None)  # made again for the next request
            return
        raise AttributeError(
            f"Mojo::UserAgent has no attribute {name!r}; it has: {', '.join(sorted(self._ATTRIBUTES))}"
        )

    @property
    def connect_timeout(self) -> float:
        return self._connect_timeout

    @connect_timeout.setter
    def connect_timeout(self, value: float) -> None:
        self._connect_timeout = _number("connect_timeout", value)

    @property
    def inactivity_timeout(self) -> float:
        """Seconds without a byte read or written before ``Inactivity timeout``; 0: none."""
        return self._inactivity_timeout

    @inactivity_timeout.setter
    def inactivity_timeout(self, value: float) -> None:
        self._inactivity_timeout = _number("inactivity_timeout", 0 if value is None else value)

    @property
    def request_timeout(self) -> float:
        """Seconds for the whole request, connecting included; 0: none."""
        return self._request_timeout

    @request_timeout.setter
    def request_timeout(self, value: float) -> None:
        self._request_timeout = _number("request_timeout", 0 if value is None else value)

    @property
    def max_redirects(self) -> int:
        return self._max_redirects

    @max_redirects.setter
    def max_redirects(self, value: int) -> None:
        self._max_redirects = int(_number("max_redirects", value))

    @property
    def max_connections(self) -> int:
        """Idle connections kept for reuse (Mojo's default: 5; 0 keeps none)."""
        return self._max_connections

    @max_connections.setter
    def max_connections(self, value: int) -> None:
        self._max_connections = int(_number("max_connections", value))

    @property
    def max_response_size(self) -> int | None:
        """The largest response read; None: ``MOJO_MAX_MESSAGE_SIZE`` (2 GiB); 0: no limit."""
        return self._max_response_size

    @max_response_size.setter
    def max_response_size(self, value: int | None) -> None:
        self._max_response_size = None if value is None else int(_number("max_response_size", value))

    @property
    def session(self) -> Any:
        """The ``requests.Session`` of blocking calls; once your code has it, every blocking
        call goes through it (so adapters you mount, and mocks, see each one)."""
        object.__setattr__(self, "_session_exposed", True)
        if self._session is None:
            from .transport.session import new_session

            object.__setattr__(self, "_session", new_session())
        return self._session

    @session.setter
    def session(self, value: Any) -> None:
        object.__setattr__(self, "_session", value)
        object.__setattr__(self, "_session_exposed", True)

    def __repr__(self) -> str:
        return (
            f"<UserAgent connect_timeout={self._connect_timeout:g} inactivity_timeout="
            f"{self._inactivity_timeout:g} request_timeout={self._request_timeout:g}>"
        )

    # -- one request's settings ----------------------------------------------------------------

    def settings(self, tx: Transaction) -> Settings:
        """This request's settings: the agent's, kept until an attribute changes, plus its proxy."""
        base = self._settings
        if base is None:
            from .transport.parser import Limits
            from .transport.settings import Settings, timer_seconds

            insecure, ca, cert, key = bool(self.insecure), self.ca, self.cert, self.key

            def tls() -> Any:
                from .transport import tls as tls_module

                return tls_module.context(insecure, ca, cert, key)

            base = Settings(
                connect_timeout=self._connect_timeout,
                inactivity_timeout=timer_seconds(self._inactivity_timeout),
                request_timeout=timer_seconds(self._request_timeout),
                limits=Limits.from_environment(self._max_response_size),
                proxy=None,
                tls=tls,
                max_connections=self._max_connections,
                key=(insecure, ca, cert, key),
            )
            object.__setattr__(self, "_settings", base)
        proxy = self.proxy
        if proxy.http or proxy.https or "MOJO_PROXY" in os.environ:
            from .transport.wire import target

            where = target(tx.req.url)
            chosen = proxy.for_target(where.scheme or "http", where.host)
            if chosen is not None:
                return base._replace(proxy=chosen)
        return base

    # -- sending -----------------------------------------------------------------------------

    def start(self, tx: Transaction, callback: Callable[[UserAgent, Transaction], Any] | None = None) -> Any:
        """Send ``tx`` (Mojo's ``$ua->start``): blocking, or with ``callback(ua, tx)`` on the loop."""
        if callback is not None:
            promise = self._start_nb(tx)
            promise.then(lambda done: callback(self, done))
            return None
        self._require_origin(tx)
        self.emit("start", tx)
        tx = self._send_blocking(tx)
        return self._follow_redirects(tx, self._send_blocking)

    def start_p(self, tx: Transaction) -> Promise:
        """A promise of the finished ``tx``; rejected with a :class:`TransportError` when no
        response came (Perl rejects with the message; the error compares equal to it)."""
        return self._start_nb(tx, like_perl=True)

    def _require_origin(self, tx: Transaction) -> None:
        """A relative URL goes to ``app=``; with no app, say so rather than guess a host.

        Mojo sends a relative URL to its built-in server's app and, with none, dies
        inside Mojo::Server::Daemon ("Can't call method "server" on an undefined
        value"); the call raises in Perl too, here with words that say why.
        """
        url = tx.req.url
        if self._app is None and not url.scheme:
            raise UserAgentError(
                f"cannot send to {str(url)!r}: the URL has no scheme and host "
                "(is base_url missing its http://? a relative URL needs app=)"
            )

    def _start_nb(self, tx: Transaction, like_perl: bool = False) -> Promise:
        """Start ``tx`` on this thread's loop; the promise resolves with it whatever happened,
        or (``like_perl``) rejects when no response came, as Mojo's ``start_p`` does."""
        self._require_origin(tx)
        self.emit("start", tx)
        loop = ioloop.current()
        promise = Promise(loop=loop)
        settle = promise.resolve if not like_perl else lambda done: _settle_like_perl(done, promise)
        if self._app is not None:
            loop.post(lambda: settle(self._send_blocking(tx)))
            return promise
        settings = self.settings(tx)
        engine = self._engine()
        self._cookies_out(tx)
        loop.hold()

        async def follow(first: Transaction) -> None:
            try:
                settle(await _follow_async(self, first))
            except BaseException as exc:  # noqa: BLE001 (the promise carries it)
                promise.reject(exc)
            finally:
                loop.release()

        def done(sent: Transaction, error: BaseException | None) -> None:
            if error is not None:  # a bad header, say: the promise carries it
                promise.reject(error)
                loop.release()
                return
            self._cookies_in(sent)
            if self._max_redirects and _redirect(sent, 0, self._max_redirects) is not None:
                loop.spawn(follow(sent))
                return
            try:
                settle(sent)
            finally:
                loop.release()

        loop.call(lambda: engine.begin(loop.aio, tx, settings, done))
        return promise

    def _send_blocking(self, tx: Transaction) -> Transaction:
        for _ in self._exchange(tx):
            pass
        return tx

    def _exchange(self, tx: Transaction) -> Iterator[None]:
        """Send ``tx`` blocking, a step after each piece of the response body (streaming reads
        it so); closing it early closes the connection. The way out is chosen here."""
        if self._app is not None:
            from .transport.wsgi import exchange_with_app

            yield from exchange_with_app(self._app, tx, self.settings(tx))
            return
        self._cookies_out(tx)
        if self._session_exposed or _requests_patched():
            from .transport.session import exchange_through_session

            yield from exchange_through_session(self.session, tx, self.settings(tx))
        else:
            engine = self._blocking
            if engine is None:
                from .transport.blocking import BlockingEngine

                engine = BlockingEngine()
                object.__setattr__(self, "_blocking", engine)
            yield from engine.exchange(tx, self.settings(tx))
        self._cookies_in(tx)

    async def _send_async(self, tx: Transaction) -> Transaction:
        """Send ``tx`` on the running asyncio loop (``async for`` over a stream); no redirects."""
        self._cookies_out(tx)
        await self._engine().send(tx, self.settings(tx))
        self._cookies_in(tx)
        return tx

    def _engine(self) -> Any:
        """The non-blocking engine, made on first use."""
        engine = self._nonblocking
        if engine is None:
            from .transport.nonblocking import NonBlockingEngine

            engine = NonBlockingEngine()
            object.__setattr__(self, "_nonblocking", engine)
        return engine

    def _follow_redirects(self, tx: Transaction, send: Callable[[Transaction], Transaction]) -> Transaction:
        count = 0
        while self._max_redirects and (nxt := _redirect(tx, count, self._max_redirects)) is not None:
            count += 1
            self.emit("start", nxt)
            tx = send(nxt)
        return tx

    # -- requests of its own: $ua->get($url, ...), $ua->post_p(...) ------------------------------

    def _request(self, method: str, url: Any, args: tuple, content: dict) -> Any:
        callback = args[-1] if args and callable(args[-1]) and not isinstance(args[-1], Mapping) else None
        if callback is not None:
            args = args[:-1]
        tx = self.transactor.tx(method, url, *args, **content)
        return self.start(tx, callback) if callback is not None else self.start(tx)

    def _request_p(self, method: str, url: Any, args: tuple, content: dict) -> Promise:
        return self.start_p(self.transactor.tx(method, url, *args, **content))

    def get(self, url: Any, *args: Any, **content: Any) -> Any:
        """``$ua->get($url, \\%headers, ...)``: the finished transaction (or, with a trailing
        callback, ``callback(ua, tx)`` later); the same for the other methods below."""
        return self._request("GET", url, args, content)

    def head(self, url: Any, *args: Any, **content: Any) -> Any:
        return self._request("HEAD", url, args, content)

    def post(self, url: Any, *args: Any, **content: Any) -> Any:
        return self._request("POST", url, args, content)

    def put(self, url: Any, *args: Any, **content: Any) -> Any:
        return self._request("PUT", url, args, content)

    def patch(self, url: Any, *args: Any, **content: Any) -> Any:
        return self._request("PATCH", url, args, content)

    def delete(self, url: Any, *args: Any, **content: Any) -> Any:
        return self._request("DELETE", url, args, content)

    def options(self, url: Any, *args: Any, **content: Any) -> Any:
        return self._request("OPTIONS", url, args, content)

    def get_p(self, url: Any, *args: Any, **content: Any) -> Promise:
        return self._request_p("GET", url, args, content)

    def head_p(self, url: Any, *args: Any, **content: Any) -> Promise:
        return self._request_p("HEAD", url, args, content)

    def post_p(self, url: Any, *args: Any, **content: Any) -> Promise:
        return self._request_p("POST", url, args, content)

    def put_p(self, url: Any, *args: Any, **content: Any) -> Promise:
        return self._request_p("PUT", url, args, content)

    def patch_p(self, url: Any, *args: Any, **content: Any) -> Promise:
        return self._request_p("PATCH", url, args, content)

    def delete_p(self, url: Any, *args: Any, **content: Any) -> Promise:
        return self._request_p("DELETE", url, args, content)

    def options_p(self, url: Any, *args: Any, **content: Any) -> Promise:
        return self._request_p("OPTIONS", url, args, content)

    # -- Mojo's cookie jar -------------------------------------------------------------------

    def _cookies_out(self, tx: Transaction) -> None:
        jar = self.cookie_jar
        if jar is None or not len(jar):
            return
        from .transport.cookies import add_cookie_header

        add_cookie_header(jar, tx)

    def _cookies_in(self, tx: Transaction) -> None:
        if "Set-Cookie" not in tx.res.headers:
            return
        if self.cookie_jar is None:
            from http.cookiejar import CookieJar

            self.cookie_jar = CookieJar()
        from .transport.cookies import collect

        collect(self.cookie_jar, tx)


def _settle_like_perl(tx: Transaction, promise: Promise) -> None:
    """Mojo::UserAgent::Transactor::promisify: reject only when no response came."""
    error = tx.res.error
    if error is not None and not error.get("code"):
        promise.reject(TransportError(error["message"]))
    else:
        promise.resolve(tx)


def _redirect(tx: Transaction, count: int, limit: int) -> Transaction | None:
    """Mojo::UserAgent::Transactor::redirect: the next request, or None."""
    if count >= limit:
        return None
    res = tx.res
    if res.code not in REDIRECT_CODES or tx.req.method.upper() == "CONNECT":
        return None
    location = res.headers.every("Location")
    if not location or not location[0]:
        return None
    req = tx.req
    url = URL(location[0])
    if not url.is_abs:  # relative to the request's URL, its userinfo included (Mojo's to_abs)
        url = url.to_abs(req.url)
    if url.protocol not in ("http", "https") or not url.host:
        return None
    if res.code in (307, 308):
        new = Request(req.method, url, Headers(req.headers.items()), req.body, dict(req.env))
    else:
        method = req.method.upper()
        method = "GET" if res.code == 303 or method == "POST" else method
        headers = Headers((k, v) for k, v in req.headers.items() if not k.lower().startswith("content-"))
        new = Request(method, url, headers, b"", dict(req.env))
    for name in ("Authorization", "Cookie", "Host", "Referer"):
        new.headers.remove(name)
    follow = Transaction(new)
    follow.previous = tx
    return follow


async def _follow_async(ua: UserAgent, tx: Transaction) -> Transaction:
    count = 0
    while (nxt := _redirect(tx, count, ua.max_redirects)) is not None:
        count += 1
        ua.emit("start", nxt)
        ua._cookies_out(nxt)
        tx = await ua._nonblocking.send(nxt, ua.settings(nxt))
        ua._cookies_in(tx)
    return tx


def _requests_patched() -> bool:
    """Is a requests-mocking library active? Then blocking calls must go through requests."""
    requests = sys.modules.get("requests")
    if requests is None:
        return False
    adapters = sys.modules.get("requests.adapters")
    sessions = sys.modules.get("requests.sessions")
    checks = (
        (getattr(adapters, "HTTPAdapter", None), "send", "requests.adapters"),  # responses
        (getattr(sessions, "Session", None), "get_adapter", "requests.sessions"),  # requests-mock
        (getattr(sessions, "Session", None), "send", "requests.sessions"),
    )
    for owner, name, module in checks:
        if owner is not None and getattr(getattr(owner, name, None), "__module__", module) != module:
            return True
    pool = sys.modules.get("urllib3.connectionpool")  # vcrpy swaps urllib3's connection classes
    if pool is not None:
        cls = getattr(getattr(pool, "HTTPConnectionPool", None), "ConnectionCls", None)
        if cls is not None and not getattr(cls, "__module__", "").startswith("urllib3"):
            return True
    return False


__all__ = ["Proxy", "Transactor", "UserAgent"]
