"""A mock of the API on 127.0.0.1, driven by the spec, that also records every request it gets.

Each operation answers with its example response (``examples.py``: the spec's
own examples first); unknown routes get 404 or 405 and a malformed JSON body
gets 400, all with OpenAI's error JSON. A request that asks for a stream
(``stream: true``) of an operation whose spec declares ``text/event-stream`` gets
server-sent events instead, built from the spec's event schema
(``mock_streams.py``), sent chunked, ``stream_delay`` seconds apart. Every request is kept exactly as it
arrived (raw target, header order and case, body bytes), which is what lets the
parity suite send one call through the Perl and the Python client and compare
the two byte for byte. Standard library only; every wait is bounded: socket
timeouts, a capped capture list, a prompt ``stop()``, an optional lifetime.
"""

from __future__ import annotations

import json
import re
import socket
import socketserver
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TextIO

from .event_streams import asks_for_stream, event_stream
from .examples import is_json, response_example, success_status
from .mock_streams import PIECES, events
from .operations import HTTP_METHODS, Operation
from .spec import Spec, SpecSource, load_spec

__all__ = ["CLI_LIFETIME", "CapturedRequest", "MockServer", "Reply", "Responder", "main_mock"]

STREAM_DELTAS = len(PIECES)  # text pieces a streamed answer tells by default
MAX_RECORDED_STREAM = 8 * 1024 * 1024  # a longer (or endless) stream is not kept in the record

CLI_LIFETIME = 600.0  # seconds a server started from the command line lives
MAX_CAPTURED = 100_000  # requests kept; the oldest go first
MAX_BODY = 64 * 1024 * 1024  # bytes of one request body; more gets 413
SOCKET_TIMEOUT = 10.0  # seconds an idle or stalled connection is kept
STOP_TIMEOUT = 2.0  # seconds stop() waits for connection threads
_POLL = 0.05  # seconds between the accept loop's shutdown checks

_BAD_JSON = (
    "We could not parse the JSON body of your request. The OpenAI API expects a JSON payload, "
    "but what was sent was not valid JSON."
)
_BINARY_BODY = bytes(range(32))  # what an audio or other binary response carries


@dataclass(frozen=True)
class CapturedRequest:
    """One request as it arrived. Header values are the wire bytes read as Latin-1."""

    method: str
    target: str  # the raw request-target, e.g. "/v1/threads/a%2Fb/runs?limit=5"
    path: str  # the target up to its first "?"
    query: str  # after the first "?"; "" when there is none
    headers: tuple[tuple[str, str], ...]  # in order, names in the case they were sent, repeats kept
    body: bytes  # de-chunked when sent chunked
    http_version: str
    reply: Reply | None = field(default=None, compare=False)  # what the server answered

    def header(self, name: str) -> str | None:
        """The first value of a header, its name matched without regard to case."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)


@dataclass(frozen=True)
class Reply:
    """One answer: status, headers in order, body bytes (Content-Length is added when sent).

    A streamed answer has ``events``: each call gives the events' bytes, sent as one
    chunk each (``Transfer-Encoding: chunked``); ``body`` then holds them all for the
    record, or nothing when the stream is too long to keep (or endless).
    """

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    events: Callable[[], Iterator[bytes]] | None = field(default=None, compare=False)


@dataclass(frozen=True)
class _Route:
    template: str
    segments: tuple  # a literal str, or a compiled pattern for a segment with {params}
    methods: dict  # "GET" -> Operation

    def matches(self, segments: list[str]) -> bool:
        if len(segments) != len(self.segments):
            return False
        for want, got in zip(self.segments, segments):
            if isinstance(want, str):
                if want != got:
                    return False
            elif not want.fullmatch(got):
                return False
        return True

    @property
    def specificity(self) -> tuple:
        """Literal segments before templated ones, left to right: smaller sorts first."""
        return tuple(0 if isinstance(s, str) else 1 for s in self.segments)


# Answers a request instead of the spec's example (a cassette, a forwarder); None: the example.
Responder = Callable[[CapturedRequest], Reply | None]


def _segment(template: str) -> Any:
    if "{" not in template:
        return template
    pattern = "".join(
        ".+" if part.startswith("{") else re.escape(part)
        for part in re.split(r"(\{[^{}]*\})", template)
        if part
    )
    return re.compile(pattern, re.DOTALL)


def _routes(spec: Spec) -> list[_Route]:
    grouped: dict[str, dict] = {}
    for op in spec.operations.values():
        grouped.setdefault(op.path, {})[op.method.upper()] = op
    routes = []
    for template, methods in grouped.items():
        parts = template.strip("/").split("/") if template.strip("/") else []
        routes.append(_Route(template, tuple(_segment(p) for p in parts), methods))
    return routes


def _request_segments(path: str) -> list[str] | None:
    """Path segments, split before percent-decoding so ``a%2Fb`` stays one segment."""
    if not path.startswith("/"):
        return None
    if path == "/":
        return []
    return [urllib.parse.unquote(segment) for segment in path[1:].split("/")]


def _method_order(method: str) -> tuple:
    known = [m.upper() for m in HTTP_METHODS]
    return (known.index(method) if method in known else len(known), method)


def _error_reply(status: int, message: str, extra: tuple = ()) -> Reply:
    body = {"error": {"message": message, "type": "invalid_request_error", "param": None, "code": None}}
    return Reply(status, (("Content-Type", "application/json"), *extra), _json(body))


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class _Refused(Exception):
    """A request whose framing we cannot read: answered with ``status`` and the connection closed."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class MockServer:
    """The mock on a background thread; a context manager for tests.

    ``lifetime`` (seconds) stops the server by itself that long after ``start()``;
    None means it runs until ``stop()``. Bound at construction, so ``url`` is known
    at once (port 0 picks a free port). ``responder``, when given, answers each
    request first (replaying a cassette, forwarding upstream); when it returns None
    the spec's example answers. Every captured request carries its ``reply``.

    Streamed answers tell ``stream_deltas`` pieces of text (``math.inf``: endless),
    ``stream_delay`` seconds apart, so timeouts and Ctrl-C can be tried on them.
    """

    host: str
    port: int

    def __init__(
        self,
        spec: SpecSource | Spec = None,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        lifetime: float | None = None,
        capture: bool = True,
        responder: Responder | None = None,
        stream_delay: float = 0.0,
        stream_deltas: float = STREAM_DELTAS,
    ) -> None:
        if not stream_delay >= 0 or not stream_deltas >= 0:  # also refuses NaN
            raise ValueError(
                f"stream_delay and stream_deltas must be >= 0, not {stream_delay!r}, {stream_deltas!r}"
            )
        self.spec = load_spec(spec)
        self.responder = responder
        self.stream_delay = float(stream_delay)
        self.stream_deltas = stream_deltas
        self.lifetime = lifetime
        self.capture = capture
        self.requests: list[CapturedRequest] = []
        self._captured = threading.Condition()
        self._routes = sorted(_routes(self.spec), key=lambda r: r.specificity)
        self._replies: dict[str, Reply] = {}
        self._base_path = urllib.parse.urlsplit(self.spec.server_url).path.rstrip("/")
        self._connections: dict[socket.socket, threading.Thread] = {}
        self._connections_lock = threading.Lock()
        self._closing = False
        self._thread: threading.Thread | None = None
        self._timer: threading.Timer | None = None
        self._stopped = threading.Event()
        self._stop_lock = threading.Lock()
        self._server = _HTTPServer((host, port), _Handler, self)
        self.host, self.port = self._server.server_address[:2]  # type: ignore[assignment]  # str for AF_INET*
        shown = f"[{self.host}]" if ":" in self.host else self.host
        self.url = f"http://{shown}:{self.port}"
        self.base_url = self.url + self._base_path

    def __repr__(self) -> str:
        return f"<MockServer {self.base_url} {self.spec.source}>"

    # -- life cycle ----------------------------------------------------------------------

    def start(self) -> MockServer:
        if self._thread is None and not self._stopped.is_set():
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": _POLL},
                name="mock-server",
                daemon=True,
            )
            self._thread.start()
            if self.lifetime is not None:
                self._timer = threading.Timer(self.lifetime, self.stop)
                self._timer.daemon = True
                self._timer.start()
        return self

    def stop(self) -> None:
        """Stop accepting, close open connections, and wait (briefly) for their threads."""
        with self._stop_lock:  # the lifetime timer and the owner may both stop it
            if self._stopped.is_set():
                return
            self._stopped.set()
        if self._timer is not None and self._timer is not threading.current_thread():
            self._timer.cancel()
        if self._thread is not None and self._thread.is_alive():
            self._server.shutdown()  # waits for the accept loop, so only with a live one
            self._thread.join(STOP_TIMEOUT)
        self._server.server_close()
        with self._connections_lock:
            self._closing = True
            open_ones = list(self._connections.items())
        for connection, _thread in open_ones:
            try:
                connection.shutdown(socket.SHUT_RDWR)  # wakes a thread blocked reading it
            except OSError:
                pass
        deadline = time.monotonic() + STOP_TIMEOUT
        for _connection, thread in open_ones:
            if thread is not threading.current_thread():
                thread.join(max(0.0, deadline - time.monotonic()))

    def serve_forever(self) -> None:
        """Serve until ``lifetime`` passes or ``stop()`` is called (blocking, for the CLI)."""
        self.start()
        try:
            self._stopped.wait()
        finally:
            self.stop()

    def __enter__(self) -> MockServer:
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    # -- what arrived ----------------------------------------------------------------------

    def clear(self) -> None:
        with self._captured:
            self.requests.clear()

    def wait_for(self, count: int, timeout: float = 5.0) -> list[CapturedRequest]:
        """The captured requests once there are ``count``, or as many as came within ``timeout``."""
        deadline = time.monotonic() + timeout
        with self._captured:
            while len(self.requests) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._captured.wait(left)
            return list(self.requests)

    def _record(self, request: CapturedRequest) -> None:
        if not self.capture:
            return
        with self._captured:
            self.requests.append(request)
            if len(self.requests) > MAX_CAPTURED:
                del self.requests[: len(self.requests) - MAX_CAPTURED]
            self._captured.notify_all()

    def _track(self, connection: socket.socket, opened: bool) -> bool:
        """Note a connection opening or closing; False when the server is already closing."""
        with self._connections_lock:
            if not opened:
                self._connections.pop(connection, None)
                return True
            if self._closing:
                return False
            self._connections[connection] = threading.current_thread()
            return True

    # -- answering -------------------------------------------------------------------------

    def _reply(self, method: str, path: str, content_type: str, body: bytes) -> Reply:
        route_path = path
        if route_path.startswith(("http://", "https://")):  # absolute-form target
            route_path = urllib.parse.urlsplit(route_path).path or "/"
        shown = f"{method} {route_path}"
        if self._base_path:
            if route_path != self._base_path and not route_path.startswith(self._base_path + "/"):
                return _error_reply(404, f"Invalid URL ({shown})")
            route_path = route_path[len(self._base_path) :] or "/"
        segments = _request_segments(route_path)
        matching = [route for route in self._routes if segments is not None and route.matches(segments)]
        if not matching:
            return _error_reply(404, f"Invalid URL ({shown})")
        lookup = "GET" if method == "HEAD" else method  # HEAD is GET without the body
        route = next((r for r in matching if method in r.methods), None)
        route = route or next((r for r in matching if lookup in r.methods), None)
        if route is None:
            allowed = {m for r in matching for m in r.methods}
            if "GET" in allowed:
                allowed.add("HEAD")
            allow = ", ".join(sorted(allowed, key=_method_order))
            return _error_reply(405, f"Invalid method for URL ({shown})", (("Allow", allow),))
        if body and is_json(content_type):
            try:
                json.loads(body.decode("utf-8"))
            except ValueError:
                return _error_reply(400, _BAD_JSON)
        operation = route.methods.get(method) or route.methods[lookup]
        if body and asks_for_stream(content_type, body):
            streamed = self._stream_reply(operation, content_type, body)
            if streamed is not None:
                return streamed
        reply = self._replies.get(operation.operation_id)
        if reply is None:
            reply = self._replies[operation.operation_id] = self._example_reply(operation)
        return reply

    def _stream_reply(self, operation: Operation, content_type: str, body: bytes) -> Reply | None:
        """Server-sent events, when the operation's spec declares a stream; else None."""
        stream = event_stream(self.spec, operation)
        if stream is None:
            return None
        request = None
        if is_json(content_type):
            request = json.loads(body.decode("utf-8"))
        spec, deltas = self.spec, self.stream_deltas

        def produce() -> Iterator[bytes]:
            return events(spec, stream, request, deltas)

        record = b""
        if deltas <= MAX_RECORDED_STREAM // 256:  # each event is at least a few hundred bytes
            record = b"".join(produce())
            if len(record) > MAX_RECORDED_STREAM:
                record = b""
        media_type = stream.media_type if ";" in stream.media_type else f"{stream.media_type}; charset=utf-8"
        headers = (
            ("Content-Type", media_type),  # with its charset, as OpenAI sends it
            ("Cache-Control", "no-cache"),
            ("X-Mock-Operation-Id", operation.operation_id),
        )
        return Reply(int(stream.status) if stream.status.isdigit() else 200, headers, record, produce)

    def _example_reply(self, operation: Operation) -> Reply:
        code = success_status(operation)
        status = int(code) if code and code.isdigit() else 200
        op_header = ("X-Mock-Operation-Id", operation.operation_id)
        responses = operation.definition.get("responses") or {}
        response = self.spec.resolve(next((v for k, v in responses.items() if str(k) == code), None))
        content = response.get("content") if isinstance(response, dict) else None
        if not isinstance(content, dict) or not content:
            return Reply(status, (op_header,), b"")
        media_type = next((t for t in content if t == "application/json"), None)
        media_type = media_type or next((t for t in content if is_json(t)), None) or next(iter(content))
        value = response_example(self.spec, operation, code, media_type)
        if is_json(media_type):
            body = _json(value if value is not None else {})
        elif media_type.startswith("text/event-stream"):
            event = value if isinstance(value, str) else json.dumps(value if value is not None else {})
            body = (event if event.startswith(("data:", "event:")) else f"data: {event}\n\n").encode()
        elif media_type.startswith("text/"):
            body = (value if isinstance(value, str) else "example\n").encode("utf-8")
        else:
            body = _BINARY_BODY
        sent_type = media_type if "*" not in media_type else "application/octet-stream"
        return Reply(status, (("Content-Type", sent_type), op_header), body)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True  # a stuck client never holds the process
    request_queue_size = 1024  # a fan-out of non-blocking calls connects all at once

    def __init__(self, address: tuple, handler: type, mock: MockServer) -> None:
        self.mock = mock
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up or reset is routine; anything else is a bug worth a traceback."""
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)

    def server_bind(self) -> None:
        # HTTPServer.server_bind asks DNS for a name (getfqdn), which can stall; we need none.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]  # type: ignore[assignment]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as Mojo::UserAgent and requests expect
    server_version = "openapi-client-openai-mock"
    sys_version = ""
    timeout = SOCKET_TIMEOUT
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes: without this, Nagle's algorithm and the
        # client's delayed ACK cost ~40 ms per response.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.refused = not self.server.mock._track(self.connection, opened=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.mock._track(self.connection, opened=False)

    def handle(self) -> None:
        if not self.refused:  # accepted while stop() was closing connections: drop it
            super().handle()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("do_"):  # any method token: unknown ones get 405, not 501
            return self._dispatch
        raise AttributeError(name)

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: a test run makes thousands of requests."""

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own errors (bad request line, headers too long) in OpenAI's JSON shape."""
        self.close_connection = True
        if self.request_version == "HTTP/0.9":  # the request line did not parse: answer in HTTP/1.x
            self.request_version = "HTTP/1.0"
        reason = message or self.responses.get(code, ("Error",))[0]
        self._send(_error_reply(code, reason, (("Connection", "close"),)))

    def _dispatch(self) -> None:
        mock = self.server.mock
        try:
            body = self._read_body()
        except _Refused as refused:
            self.close_connection = True
            self._send(_error_reply(refused.status, refused.message, (("Connection", "close"),)))
            return
        words = self.requestline.split()
        target = words[1] if len(words) >= 2 else self.path  # http.server rewrites a leading "//"
        path, _, query = target.partition("?")
        request = CapturedRequest(
            method=self.command,
            target=target,
            path=path,
            query=query,
            headers=tuple((str(k), str(v)) for k, v in self.headers.raw_items()),
            body=body,
            http_version=self.request_version,
        )
        try:
            reply = mock.responder(request) if mock.responder is not None else None
            if reply is None:
                reply = mock._reply(self.command, path, self.headers.get("Content-Type", ""), body)
        except Exception as exc:  # noqa: BLE001 (a spec we cannot answer from: say so, keep serving)
            reply = _error_reply(500, f"mock server error: {type(exc).__name__}: {exc}")
        # Recorded before it is sent: a client holding its response finds it captured.
        mock._record(replace(request, reply=reply))
        self._send(reply)

    def _read_body(self) -> bytes:
        codings = ",".join(self.headers.get_all("Transfer-Encoding") or ()).lower()
        if codings.strip():
            if codings.rsplit(",", 1)[-1].strip() != "chunked":
                raise _Refused(501, f"Unsupported Transfer-Encoding: {codings}")
            return self._read_chunked()
        lengths = {v.strip() for v in self.headers.get_all("Content-Length") or ()}
        if not lengths:
            return b""
        if len(lengths) > 1 or not next(iter(lengths)).isdigit():
            raise _Refused(400, "Invalid Content-Length header")
        length = int(next(iter(lengths)))
        if length > MAX_BODY:
            raise _Refused(413, f"Request body larger than {MAX_BODY} bytes")
        body = self.rfile.read(length)
        if len(body) != length:
            raise _Refused(400, "Request body shorter than its Content-Length")
        return body

    def _read_chunked(self) -> bytes:
        parts, total = [], 0
        while True:
            line = self.rfile.readline(65537)
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise _Refused(400, "Invalid chunked request body") from None
            if size == 0:
                break
            total += size
            if total > MAX_BODY:
                raise _Refused(413, f"Request body larger than {MAX_BODY} bytes")
            chunk = self.rfile.read(size)
            if len(chunk) != size or self.rfile.readline(3) not in (b"\r\n", b"\n"):
                raise _Refused(400, "Invalid chunked request body")
            parts.append(chunk)
        for _ in range(101):  # trailer fields, up to the empty line
            if self.rfile.readline(65537) in (b"\r\n", b"\n", b""):
                break
        else:
            raise _Refused(431, "Too many trailer fields")
        return b"".join(parts)

    def _send(self, reply: Reply) -> None:
        if reply.events is not None and self.command != "HEAD":
            self._send_events(reply)
            return
        self.send_response(reply.status)
        for name, value in reply.headers:
            self.send_header(name, value)
        if self.close_connection and not any(name == "Connection" for name, _ in reply.headers):
            self.send_header("Connection", "close")  # the client asked for it, or spoke HTTP/1.0
        bodiless = reply.status < 200 or reply.status in (204, 304)
        if not bodiless:
            self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        if self.command != "HEAD" and not bodiless:
            self.wfile.write(reply.body)

    def _send_events(self, reply: Reply) -> None:
        """Each event as one chunk, ``stream_delay`` apart; the last one goes out with the end
        of the body, so a client that reads the last event also sees the body end."""
        assert reply.events is not None
        mock = self.server.mock
        self.send_response(reply.status)
        for name, value in reply.headers:
            self.send_header(name, value)
        self.send_header("Transfer-Encoding", "chunked")
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        produced = reply.events()
        pending = next(produced, None)
        if pending is None:
            self.wfile.write(b"0\r\n\r\n")
        while pending is not None:
            following = next(produced, None)
            data = b"%x\r\n%s\r\n" % (len(pending), pending)
            self.wfile.write(data + b"0\r\n\r\n" if following is None else data)
            pending = following
            if pending is not None and mock.stream_delay and mock._stopped.wait(mock.stream_delay):
                self.close_connection = True  # stopped mid-stream: the body ends unfinished
                return


def main_mock(
    spec: SpecSource | Spec = None,
    host: str = "127.0.0.1",
    port: int = 0,
    lifetime: float | None = CLI_LIFETIME,
    out: TextIO | None = None,
    *,
    stream_delay: float = 0.0,
    stream_deltas: float = STREAM_DELTAS,
) -> int:
    """Serve a spec's mock until ``lifetime`` passes; print where first. Exit status for the CLI."""
    server = MockServer(
        spec, host, port, lifetime=lifetime, stream_delay=stream_delay, stream_deltas=stream_deltas
    )
    print(
        f"mock server listening on {server.url} (base URL {server.base_url})",
        file=out or sys.stdout,
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        return 130
    return 0
