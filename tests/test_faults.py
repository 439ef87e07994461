"""Network faults, each against a loopback server made for it: Perl-shaped outcomes, never a hang.

Every call here must come back as a transaction (``tx.error`` / ``tx.res``), as
Mojo's do, within the configured timeouts; the promise form rejects with Mojo's
words only when no response came.
"""

from __future__ import annotations

import contextlib
import resource
import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from openapi_client_openai import OpenAI, TransportError

from .conftest import BUNDLED_SPEC

TIMEOUT = 1.0  # the client's connect and inactivity timeouts in these tests


@contextlib.contextmanager
def raw_server(
    handle: Callable[[socket.socket], None], backlog: int = 8, accept: bool = True
) -> Iterator[int]:
    """A loopback server whose every connection goes to ``handle``; stopped and joined on exit."""
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(backlog)
    listener.settimeout(0.2)
    stop = threading.Event()
    workers: list[threading.Thread] = []

    def serve() -> None:
        while not stop.is_set():
            if not accept:
                time.sleep(0.05)
                continue
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            conn.settimeout(10)
            worker = threading.Thread(target=_guarded, args=(handle, conn), daemon=True)
            worker.start()
            workers.append(worker)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(5)
        listener.close()
        for worker in workers:
            worker.join(5)


def _guarded(handle: Callable[[socket.socket], None], conn: socket.socket) -> None:
    with conn, contextlib.suppress(OSError):
        handle(conn)


def read_request(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def respond(status: str, headers: list[str], body: bytes = b"") -> Callable[[socket.socket], None]:
    def handle(conn: socket.socket) -> None:
        read_request(conn)
        # One answer per connection, said out loud so no client reuses it (a race otherwise).
        lines = [f"HTTP/1.1 {status}", *headers, f"Content-Length: {len(body)}", "Connection: close", "", ""]
        head = "\r\n".join(lines)
        conn.sendall(head.encode() + body)

    return handle


def client_for(port: int) -> OpenAI:
    return OpenAI(
        BUNDLED_SPEC,
        base_url=f"http://127.0.0.1:{port}/v1",
        connect_timeout=TIMEOUT,
        inactivity_timeout=TIMEOUT,
    )


def get_run(client: OpenAI):
    started = time.monotonic()
    tx = client.getRun(thread_id="thread_abc123", run_id="run_abc123")
    return tx, time.monotonic() - started


def assert_no_response(tx, message: str) -> None:
    assert tx.error == {"message": message}
    assert tx.res.code is None
    with pytest.raises(TransportError, match=message):
        tx.result  # noqa: B018 (Perl's $tx->result croaks here)


def assert_rejects(client: OpenAI, message: str) -> None:
    """Perl rejects with the message; we reject with a TransportError equal to it."""
    with pytest.raises(TransportError) as caught:
        client.getRun_p(thread_id="t", run_id="r").wait(TIMEOUT * 10)
    assert caught.value == message and caught.value.reason == message


def test_connection_refused(api_key: str) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = client_for(port)
    tx, _ = get_run(client)
    assert_no_response(tx, "Connection refused")
    assert_rejects(client, "Connection refused")


def test_connect_timeout_when_nobody_accepts(api_key: str) -> None:
    with raw_server(lambda conn: None, backlog=0, accept=False) as port:
        # Fill the accept queue so the kernel drops further handshakes.
        fillers = []
        for _ in range(4):
            filler = socket.socket()
            filler.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                filler.connect(("127.0.0.1", port))
            fillers.append(filler)
        time.sleep(0.2)
        try:
            tx, elapsed = get_run(client_for(port))
        finally:
            for filler in fillers:
                filler.close()
    assert_no_response(tx, "Connect timeout")
    assert elapsed < TIMEOUT * 5


def test_inactivity_timeout_when_the_server_says_nothing(api_key: str) -> None:
    silent = threading.Event()
    with raw_server(lambda conn: (read_request(conn), silent.wait(TIMEOUT * 5))) as port:
        client = client_for(port)
        tx, elapsed = get_run(client)
        assert_no_response(tx, "Inactivity timeout")
        assert TIMEOUT * 0.9 <= elapsed < TIMEOUT * 4
        assert_rejects(client, "Inactivity timeout")
        silent.set()


@pytest.mark.parametrize(
    ("reply", "body"),
    [
        (b"HTTP/1.1 200 OK\r\nContent-Ty", b""),
        (b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"id": "run_', b'{"id": "run_'),
    ],
    ids=["mid-headers", "mid-body"],
)
def test_server_closes_early_after_the_status_line(api_key: str, reply: bytes, body: bytes) -> None:
    """Mojo: once a status line came, a close is no error; the code and what arrived are kept."""

    def handle(conn: socket.socket) -> None:
        read_request(conn)
        conn.sendall(reply)

    with raw_server(handle) as port:
        tx, elapsed = get_run(client_for(port))
    assert (tx.error, tx.res.code, tx.res.body) == (None, 200, body)
    assert elapsed < TIMEOUT * 3


def test_server_closes_before_the_status_line(api_key: str) -> None:
    def handle(conn: socket.socket) -> None:
        read_request(conn)
        conn.sendall(b"HTTP/1.1 20")

    with raw_server(handle) as port:
        client = client_for(port)
        tx, _ = get_run(client)
        assert_no_response(tx, "Premature connection close")
        assert_rejects(client, "Premature connection close")


def test_500_with_html(api_key: str) -> None:
    page = b"<html><body><h1>Oops</h1></body></html>"
    with raw_server(respond("500 Internal Server Error", ["Content-Type: text/html"], page)) as port:
        client = client_for(port)
        tx, _ = get_run(client)
        assert tx.error == {"message": "Internal Server Error", "code": 500}
        assert tx.res.json() is None and tx.res.body == page
        assert tx.result is tx.res  # a code: Perl's result does not croak
        assert client.getRun_p(thread_id="t", run_id="r").wait(10).res.code == 500


def test_invalid_json_labelled_json_and_204(api_key: str) -> None:
    with raw_server(respond("200 OK", ["Content-Type: application/json"], b'{"id": "run_1",')) as port:
        tx, _ = get_run(client_for(port))
        assert (tx.res.code, tx.error, tx.res.json(), tx.res.json("/id")) == (200, None, None, None)
    with raw_server(respond("204 No Content", [])) as port:
        tx, _ = get_run(client_for(port))
        assert (tx.res.code, tx.error, tx.res.body, tx.res.json()) == (204, None, b"", None)


def test_redirects_are_not_followed(api_key: str) -> None:
    with raw_server(respond("302 Found", ["Location: http://127.0.0.1:1/elsewhere"])) as port:
        tx, _ = get_run(client_for(port))
    assert (tx.res.code, tx.error, tx.res.headers["Location"]) == (302, None, "http://127.0.0.1:1/elsewhere")


def test_a_slow_drip_under_the_inactivity_timeout_completes(api_key: str) -> None:
    body = b'{"id":"run_abc123","object":"thread.run"}'

    def handle(conn: socket.socket) -> None:
        read_request(conn)
        conn.sendall(f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n\r\n".encode())
        for index in range(0, len(body), 4):
            time.sleep(TIMEOUT / 8)
            conn.sendall(body[index : index + 4])

    with raw_server(handle) as port:
        tx, elapsed = get_run(client_for(port))
    assert tx.error is None and tx.res.json("/id") == "run_abc123"
    assert elapsed > TIMEOUT  # longer than one inactivity period in all, yet no timeout


def test_a_50_mb_body_with_bounded_memory(api_key: str) -> None:
    size = 50 * 1024 * 1024
    chunk = b"x" * (1024 * 1024)

    def handle(conn: socket.socket) -> None:
        read_request(conn)
        conn.sendall(
            f"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {size}\r\n\r\n".encode()
        )
        for _ in range(size // len(chunk)):
            conn.sendall(chunk)

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with raw_server(handle) as port:
        tx, _ = get_run(client_for(port))
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert tx.error is None and len(tx.res.body) == size and tx.res.json() is None
    print(f"peak RSS grew {grown_mib:.0f} MiB for a 50 MiB body")
    assert grown_mib < 200  # the body once, plus buffers: not a copy per layer


def test_a_failure_fills_the_transaction_the_hooks_saw(api_key: str) -> None:
    """Perl fills the same $tx that after_build_tx and start saw; so do we."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = client_for(port)
    seen = []
    client.on("after_build_tx", lambda c, tx: seen.append(tx))
    tx, _ = get_run(client)
    assert seen == [tx] and seen[0].error == {"message": "Connection refused"}
