"""Loopback servers that misbehave on purpose: raw sockets on 127.0.0.1, bounded in time.

A :class:`Server` hands every accepted connection to a handler (a function of one
:class:`Conn`) in its own thread, and writes down what it saw: how many
connections, and each request (start line, headers, body size) as it came off
the wire. :meth:`Server.stop` closes the listener and every connection, so a
client still waiting on one sees it close; nothing here outlives the scenario
(the suite also runs each path in a child process under a deadline).
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

LIFETIME = 20.0  # no connection is served longer than this, whatever its handler does


@dataclass
class Seen:
    """One request as it arrived: the start line, the header lines (raw bytes), the body size."""

    start_line: bytes
    headers: list[tuple[bytes, bytes]]
    body_size: int
    connection: int  # which connection it came on (0, 1, ...)

    def header(self, name: bytes) -> list[bytes]:
        return [value for key, value in self.headers if key.lower() == name.lower()]


@dataclass
class Server:
    """A listener on 127.0.0.1; ``handler(conn)`` serves each connection."""

    handler: Callable[[Conn], None]
    tls: ssl.SSLContext | None = None
    rcvbuf: int | None = None  # a small receive buffer makes a stalled reader stall the sender
    accepting: bool = True  # False: a full accept queue, so a connect never completes
    connections: int = 0
    requests: list[Seen] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if self.rcvbuf:
            self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.rcvbuf)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(16 if self.accepting else 0)
        self._listener.settimeout(0.1)
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self.port: int = self._listener.getsockname()[1]
        accept = threading.Thread(target=self._accept if self.accepting else self._fill, daemon=True)
        accept.start()
        self._threads.append(accept)
        if not self.accepting:
            accept.join(2)

    def _fill(self) -> None:
        """Fill the accept queue (which is never served), so the kernel drops further handshakes."""
        for _ in range(4):
            filler = socket.socket()
            filler.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                filler.connect(("127.0.0.1", self.port))
            self._open.append(filler)
        time.sleep(0.1)

    @property
    def origin(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                sock, _ = self._listener.accept()
            except OSError:
                continue
            with self._lock:
                index = self.connections
                self.connections += 1
                self._open.append(sock)
            worker = threading.Thread(target=self._serve, args=(sock, index), daemon=True)
            worker.start()
            self._threads.append(worker)

    def _serve(self, sock: socket.socket, index: int) -> None:
        with contextlib.suppress(OSError, ValueError):
            sock.settimeout(LIFETIME)
            if self.tls is not None:
                sock = self.tls.wrap_socket(sock, server_side=True)
                with self._lock:
                    self._open.append(sock)
            self.handler(Conn(self, sock, index))
        with contextlib.suppress(OSError):
            sock.close()

    def stop(self) -> None:
        self.stopping.set()
        self._threads[0].join(2)  # the accept loop: it sees stopping within 0.1 s
        # Count what the kernel accepted that the loop had not taken yet (a client that
        # connected and gave up at once still connected), then close it all.
        self._listener.setblocking(False)
        while self.accepting:
            try:
                sock, _ = self._listener.accept()
            except OSError:
                break
            self.connections += 1
            self._open.append(sock)
        with contextlib.suppress(OSError):
            self._listener.close()
        with self._lock:
            for sock in self._open:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                with contextlib.suppress(OSError):
                    sock.close()
        for thread in self._threads[1:]:
            thread.join(2)


class Conn:
    """One accepted connection, with what a misbehaving server needs to do to it."""

    def __init__(self, server: Server, sock: socket.socket, index: int) -> None:
        self.server = server
        self.sock = sock
        self.index = index
        self.buffer = b""

    def read_request(self, body: bool = True) -> Seen | None:
        """Read one request (its body too, by Content-Length, unless ``body`` is false)."""
        while b"\r\n\r\n" not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                return None
            self.buffer += chunk
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = head.split(b"\r\n")
        headers = [tuple(part.strip() for part in line.split(b":", 1)) for line in lines[1:] if b":" in line]
        seen = Seen(lines[0], headers, 0, self.index)  # type: ignore[arg-type]
        self.server.requests.append(seen)
        if body:
            length = int((seen.header(b"Content-Length") or [b"0"])[0])
            while len(self.buffer) < length:
                chunk = self.sock.recv(1 << 20)
                if not chunk:
                    break
                self.buffer += chunk
            seen.body_size = min(length, len(self.buffer))
            self.buffer = self.buffer[length:]
        return seen

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def drip(self, data: bytes, size: int, gap: float) -> None:
        """Send ``data`` ``size`` bytes at a time, ``gap`` seconds apart."""
        for index in range(0, len(data), size):
            if self.server.stopping.wait(gap):
                return
            self.sock.sendall(data[index : index + size])

    def hold(self, seconds: float = LIFETIME) -> None:
        """Say nothing for ``seconds`` (until the server stops)."""
        self.server.stopping.wait(seconds)

    def drain(self) -> None:
        """Read (and drop) whatever comes, until the client closes or the server stops."""
        self.sock.settimeout(0.1)
        while not self.server.stopping.is_set():
            try:
                if not self.sock.recv(65536):
                    return
            except TimeoutError:
                continue

    def reset(self) -> None:
        """Close with a TCP RST (SO_LINGER 0), as a crashing peer does."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()

    def close(self) -> None:
        self.sock.close()


def response(
    status: str = "200 OK",
    headers: tuple[str, ...] = ("Content-Type: application/json",),
    body: bytes = b'{"id":"run_abc123","object":"thread.run"}',
    length: bool = True,
) -> bytes:
    """An HTTP/1.1 response's bytes; Content-Length added unless ``length`` is false."""
    lines = [f"HTTP/1.1 {status}", *headers]
    if length:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def answer_each(*replies: bytes) -> Callable[[Conn], None]:
    """A handler that answers the n-th request on a connection with ``replies[n]`` (the last repeats)."""

    def handle(conn: Conn) -> None:
        count = 0
        while conn.read_request() is not None:
            conn.send(replies[min(count, len(replies) - 1)])
            count += 1

    return handle


def script(*steps: object, first_read: bool = True) -> Callable[[Conn], None]:
    """A handler made of steps, run after reading the first request (unless ``first_read`` is false).

    bytes: send them; a float: wait that long; "read": read the next request;
    "read-head": read only its head; "close"; "reset" (RST); "hold": say nothing
    until the server stops; "drain": read until the client closes. A script
    that does not close ends by draining, so the connection stays open as a
    kept-alive one does.
    """

    def handle(conn: Conn) -> None:
        if first_read and conn.read_request() is None:
            return
        for step in steps:
            if isinstance(step, bytes):
                conn.send(step)
            elif isinstance(step, float):
                if conn.server.stopping.wait(step):
                    return
            elif step == "read":
                if conn.read_request() is None:
                    return
            elif step == "read-head":
                if conn.read_request(body=False) is None:
                    return
            elif step == "close":
                conn.close()
                return
            elif step == "reset":
                conn.reset()
                return
            elif step == "hold":
                conn.hold()
                return
            elif step == "drain":
                break
            elif callable(step):
                step(conn)
            else:
                raise ValueError(f"unknown step {step!r}")
        conn.drain()

    return handle


def per_connection(*handlers: Callable[[Conn], None]) -> Callable[[Conn], None]:
    """The n-th connection is served by ``handlers[n]`` (the last serves any after)."""

    def handle(conn: Conn) -> None:
        handlers[min(conn.index, len(handlers) - 1)](conn)

    return handle


def tunnel_proxy(conn: Conn) -> None:
    """A forward proxy for CONNECT: answers 200 and pipes bytes both ways (https through a proxy)."""
    seen = conn.read_request(body=False)
    if seen is None or not seen.start_line.startswith(b"CONNECT "):
        return
    host, _, port = seen.start_line.split()[1].decode().rpartition(":")
    upstream = socket.create_connection((host, int(port)), timeout=5)
    conn.send(b"HTTP/1.1 200 Connection established\r\n\r\n")
    with upstream:
        pipes = [
            threading.Thread(target=_pipe, args=(conn.sock, upstream, conn.server.stopping), daemon=True),
            threading.Thread(target=_pipe, args=(upstream, conn.sock, conn.server.stopping), daemon=True),
        ]
        for pipe in pipes:
            pipe.start()
        for pipe in pipes:
            pipe.join(LIFETIME)


def _pipe(source: socket.socket, sink: socket.socket, stopping: threading.Event) -> None:
    source.settimeout(0.1)
    while not stopping.is_set():
        try:
            data = source.recv(65536)
        except TimeoutError:
            continue
        except OSError:
            break
        if not data:
            break
        try:
            sink.sendall(data)
        except OSError:
            break
    with contextlib.suppress(OSError):
        sink.shutdown(socket.SHUT_WR)
