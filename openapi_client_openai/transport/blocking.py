"""Blocking calls over our own sockets, made the way Mojo::UserAgent makes them.

Mojo runs a blocking call on a private event loop; what that amounts to is a socket
with three timers: a connect timeout over resolving, connecting and the TLS
handshake; an inactivity timeout that every byte read or written resets, so it also
governs sending a large body; and a request timeout over all of it. A socket
timeout set before each send and each receive is exactly such an inactivity timer.

Idle connections are kept for reuse, five at most (Mojo's ``max_connections``), and
one that became readable while idle (closed by the server, or talking out of turn)
is dropped instead, as Mojo's ``_dequeue`` drops it. After a fork the child starts
with none: its parent's connections are left alone.
"""

from __future__ import annotations

import collections
import select
import socket
import sys
import threading
import time
from collections.abc import Iterator

from .. import ioloop
from ..transaction import Transaction, connection_addresses
from .connecting import DEFAULT_ADDRESS, attempts, resolve_failure
from .finish import UNSUPPORTED, Failure, finish, keep_alive
from .parser import ResponseParser
from .settings import Settings, timer_seconds
from .wire import Proxy, Target, connect_head, head_bytes, target


def _waits() -> tuple[type[BaseException], ...]:
    """A socket's "no progress in time" errors: the timeout, and TLS's "try again" when TLS is
    in use at all (``ssl``, 5 MiB, is imported for https only, so plain http never loads it)."""
    ssl = sys.modules.get("ssl")
    if ssl is None:
        return (TimeoutError,)
    return (TimeoutError, ssl.SSLWantReadError, ssl.SSLWantWriteError)


READ_SIZE = 131072  # what Mojo::IOLoop::Stream reads at a time
WRITE_SIZE = 131072


class Clock:
    """The request's deadlines: which timer fires first, and what Mojo calls it."""

    __slots__ = ("connect_deadline", "inactivity", "request_deadline")

    def __init__(self, settings: Settings) -> None:
        now = time.monotonic()
        request = settings.request_timeout
        self.request_deadline = None if request is None else now + request
        connect = timer_seconds(settings.connect_timeout) if settings.connect_timeout else 10.0
        self.connect_deadline = None if connect is None else now + connect
        self.inactivity = settings.inactivity_timeout

    def connect_wait(self) -> tuple[float | None, str]:
        return self._soonest(self.connect_deadline, "Connect timeout")

    def io_wait(self) -> tuple[float | None, str]:
        deadline = None if self.inactivity is None else time.monotonic() + self.inactivity
        return self._soonest(deadline, "Inactivity timeout")

    def io_timeout(self) -> tuple[float | None, str]:
        """The socket timeout for the next read or write, and the timer's name; one already due fails now.

        A negative timeout fires at once in Mojo, before a byte moves (its reactor
        runs due timers right after the I/O that started the phase), so a wait of 0
        is never handed to the socket: that would read or write without waiting.
        """
        wait, name = self.io_wait()
        if wait == 0:
            raise Failure(name)
        return wait, name

    def check_connect(self) -> None:
        """A connect or request timer already due (a negative timeout) fails before connecting."""
        wait, name = self.connect_wait()
        if wait == 0:
            raise Failure(name)

    def _soonest(self, deadline: float | None, name: str) -> tuple[float | None, str]:
        request = self.request_deadline
        if request is not None and (deadline is None or request <= deadline):
            deadline, name = request, "Request timeout"
        if deadline is None:
            return None, name
        return max(deadline - time.monotonic(), 0.0), name


class Connection:
    """One socket to one origin, and what it may be reused for."""

    __slots__ = ("addresses", "key", "sock")

    def __init__(self, sock: socket.socket, key: tuple) -> None:
        self.sock = sock
        self.key = key
        self.addresses = connection_addresses(sock)  # once: they are the connection's

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass

    def is_readable(self) -> bool:
        try:
            readable, _, _ = select.select([self.sock], [], [], 0)
        except (OSError, ValueError):
            return True
        return bool(readable)


class BlockingEngine:
    """Sends transactions over its own sockets; one per user agent (Mojo's blocking ioloop)."""

    def __init__(self) -> None:
        self._idle: collections.deque[Connection] = collections.deque()
        self._lock = threading.Lock()
        self._generation = ioloop.generation()

    def send(self, tx: Transaction, settings: Settings) -> Transaction:
        for _ in self.exchange(tx, settings):
            pass
        return tx

    def exchange(self, tx: Transaction, settings: Settings) -> Iterator[None]:
        """Send ``tx`` and read its response, yielding after each piece of the body.

        Leaving early (closing the generator) closes the connection: it is not reused.
        """
        req = tx.req
        where = target(req.url)
        scheme = where.scheme or "http"
        if scheme not in ("http", "https"):
            tx.fail(UNSUPPORTED.format(scheme))
            return
        proxy = settings.proxy
        clock = Clock(settings)
        key = (where.key, proxy.key if proxy else None, settings.key)
        connection = None
        clean = False
        try:
            head = head_bytes(req, where, proxy)  # may raise HeaderError: nothing is sent then
            connection = self._checkout(key)
            if connection is None:
                connection = Connection(_open(where, scheme, proxy, settings, clock), key)
            sock = connection.sock
            if connection.addresses is not None:
                tx.remote_address, tx.remote_port, tx.local_address, tx.local_port = connection.addresses
            clock.io_timeout()  # Mojo arms the inactivity timer before the first write
            _send_all(sock, head, clock)
            body = req.body
            if body:
                _send_all(sock, body, clock)
            parser = ResponseParser(tx.res, settings.limits, head=req.method.upper() == "HEAD")
            while not parser.finished:
                wait, name = clock.io_timeout()
                try:
                    sock.settimeout(wait)
                    data = sock.recv(READ_SIZE)
                except _waits():
                    raise Failure(name) from None
                except ConnectionResetError:
                    data = b""  # Mojo treats a reset as the close it is
                except OSError as exc:
                    raise Failure(exc.strerror or str(exc)) from None
                if not data:
                    parser.close()
                    finish(tx, closed=True)
                    return
                parser.feed(data)
                yield
            finish(tx)
            clean = tx.res.error is None and keep_alive(req, tx.res)
        except Failure as failure:
            tx.fail(failure.message)
            finish(tx)
        finally:
            if connection is not None:
                if clean:
                    self._checkin(connection)
                else:
                    connection.close()

    # -- the pool of idle connections --------------------------------------------------------

    def _checkout(self, key: tuple) -> Connection | None:
        with self._lock:
            self._after_fork()
            found = None
            for connection in list(self._idle):
                if connection.key != key:
                    continue
                self._idle.remove(connection)
                if connection.is_readable():
                    connection.close()
                    continue
                found = connection
                break
            return found

    def _checkin(self, connection: Connection) -> None:
        with self._lock:
            self._after_fork()
            while len(self._idle) >= 5:
                self._idle.popleft().close()
            self._idle.append(connection)

    def _after_fork(self) -> None:
        if self._generation != ioloop.generation():
            ioloop._graveyard.append(self._idle)  # the parent's sockets: never used, never closed
            self._idle = collections.deque()
            self._generation = ioloop.generation()

    def close(self) -> None:
        with self._lock:
            while self._idle:
                self._idle.popleft().close()


def _send_all(sock: socket.socket, data: bytes, clock: Clock) -> None:
    """Write everything; each piece may wait an inactivity period (Mojo resets it per write).

    A write that fails is not reported here: as Mojo does, the failure shows when the
    response is read (a closed connection, a reset).
    """
    view = memoryview(data)
    while view:
        wait, name = clock.io_timeout()
        try:
            sock.settimeout(wait)
            sent = sock.send(view[:WRITE_SIZE])
        except _waits():
            raise Failure(name) from None
        except OSError:
            return
        view = view[sent:]


def _open(where: Target, scheme: str, proxy: Proxy | None, settings: Settings, clock: Clock) -> socket.socket:
    """A connected socket (TLS included) to the origin or its proxy, in Mojo's words on failure."""
    if proxy is not None:
        sock = connect(proxy.host, proxy.port, clock)
        if scheme == "https":
            _tunnel(sock, where, proxy, settings, clock)
    else:
        sock = connect(where.host, where.port, clock)
    if scheme == "https":
        sock = _handshake(sock, where.host, settings, clock)
    return sock


def connect(host: str, port: int, clock: Clock) -> socket.socket:
    """IO::Socket::IP's non-blocking connect as Mojo::IOLoop::Client drives it (connecting.py),
    waiting on ``select`` under the connect timer."""
    clock.check_connect()
    try:
        infos = socket.getaddrinfo(
            host or DEFAULT_ADDRESS, port % 65536, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
        )
    except (socket.gaierror, UnicodeError) as exc:
        raise resolve_failure(exc) from None
    trying = attempts(infos)
    try:
        sock = next(trying)
        while True:
            wait, name = clock.connect_wait()
            _, writable, _ = select.select([], [sock], [sock], wait)
            sock = trying.throw(Failure(name)) if not writable else trying.send(None)
    except StopIteration as done:
        connected: socket.socket = done.value
        return connected


def _tunnel(sock: socket.socket, where: Target, proxy: Proxy, settings: Settings, clock: Clock) -> None:
    """``CONNECT`` through the proxy; any answer but a 2xx that keeps the connection fails."""
    from ..message import Request, Response

    _send_all(sock, connect_head(where, proxy), clock)
    res = Response()
    parser = ResponseParser(res, settings.limits, auto_relax=False)
    while not parser.finished:
        wait, name = clock.connect_wait()
        try:
            sock.settimeout(wait)
            data = sock.recv(READ_SIZE)
        except TimeoutError:
            raise Failure(name) from None
        except OSError:
            data = b""
        if not data:
            break
        parser.feed(data)
    if res.error is not None or not res.is_success or not keep_alive(Request("CONNECT", ""), res):
        raise Failure("Proxy connection failed")


def _handshake(sock: socket.socket, host: str, settings: Settings, clock: Clock) -> socket.socket:
    import ssl

    from . import tls

    context = settings.tls()
    hostname = host if context.check_hostname else None
    try:
        wrapped = context.wrap_socket(sock, server_hostname=hostname or None, do_handshake_on_connect=False)
    except (ssl.SSLError, ValueError, OSError) as exc:
        sock.close()
        raise Failure(tls.failure_message(exc)) from None
    while True:
        wait, name = clock.connect_wait()
        try:
            wrapped.settimeout(wait)
            wrapped.do_handshake()
            return wrapped
        except TimeoutError:
            wrapped.close()
            raise Failure(name) from None
        except (ssl.SSLError, OSError) as exc:
            wrapped.close()
            raise Failure(tls.failure_message(exc)) from None
