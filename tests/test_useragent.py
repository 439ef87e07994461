"""client.ua: Mojo::UserAgent's attributes and their effect on every path, how requests leave
(our sockets, the requests.Session, the event loop, a WSGI app), keep-alive, fork and Ctrl-C.

Scenarios that must behave alike on the blocking and non-blocking paths run through both
(``PATHS``). What Perl itself does with each network fault is the fault suite's job
(``tests/faults/``); here the user agent's own contract is checked.
"""

from __future__ import annotations

import collections
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator

import pytest
import requests

from openapi_client_openai import IOLoop, OpenAI, Transaction, UserAgent, UserAgentError
from openapi_client_openai.mock import MockServer

from .conftest import BUNDLED_SPEC, REPO

RUN = {"thread_id": "thread_abc123", "run_id": "run_abc123"}
CHILD_TIMEOUT = 60


# -- one call, three ways ---------------------------------------------------------------------


def blocking(client: OpenAI) -> Transaction:
    return client.getRun(**RUN)


def promised(client: OpenAI) -> Transaction:
    try:
        return client.getRun_p(**RUN).wait(30)
    except Exception as exc:  # a TransportError: the transaction is what the tests look at
        return exc.__traceback__ and _last_tx(client)  # type: ignore[return-value]


def called_back(client: OpenAI) -> Transaction:
    got: list[Transaction] = []
    client.getRun(dict(RUN), lambda c, tx: got.append(tx))
    IOLoop.start()
    return got[0]


PATHS: dict[str, Callable[[OpenAI], Transaction]] = {
    "blocking": blocking,
    "promise": promised,
    "callback": called_back,
}


def _last_tx(client: OpenAI) -> Transaction:
    return client._last_built  # set by the fixture's after_build_tx subscriber


def client_for(base_url: str, **attrs: object) -> OpenAI:
    client = OpenAI(BUNDLED_SPEC, base_url=base_url)
    client.on("after_build_tx", lambda c, tx: setattr(c, "_last_built", tx))
    for name, value in attrs.items():
        setattr(client.ua, name, value)
    return client


@contextlib.contextmanager
def raw_server(handle: Callable[[socket.socket], None]) -> Iterator[tuple[int, list[int]]]:
    """A loopback server; ``handle(conn)`` per connection; yields (port, connections accepted)."""
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    listener.settimeout(0.1)
    accepted = [0]
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            accepted[0] += 1
            conn.settimeout(10)
            threading.Thread(target=_guarded, args=(handle, conn), name="test-server", daemon=True).start()

    thread = threading.Thread(target=serve, name="test-server", daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1], accepted
    finally:
        stop.set()
        thread.join(5)
        listener.close()


def _guarded(handle: Callable[[socket.socket], None], conn: socket.socket) -> None:
    with conn, contextlib.suppress(OSError):
        handle(conn)


def read_request(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return b""
        data += chunk
    return data


def answer(body: bytes = b'{"id":"run_abc123"}', delay: float = 0.0, keep: bool = True) -> Callable:
    def handle(conn: socket.socket) -> None:
        while True:
            if not read_request(conn):
                return
            time.sleep(delay)
            head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            conn.sendall(head.encode() + (b"" if keep else b"Connection: close\r\n") + b"\r\n" + body)
            if not keep:
                return

    return handle


# -- attributes -----------------------------------------------------------------------------------


def test_mojos_defaults_and_names(api_key: str) -> None:
    ua = OpenAI(BUNDLED_SPEC).ua
    assert isinstance(ua, UserAgent)
    assert (ua.connect_timeout, ua.inactivity_timeout, ua.request_timeout) == (10, 40, 0)
    assert (ua.max_redirects, ua.max_connections, ua.max_response_size, ua.insecure) == (0, 5, None, False)
    assert (ua.ca, ua.cert, ua.key) == (None, None, None)
    assert (ua.proxy.http, ua.proxy.https) == (None, None)
    ua.inactivity_timeout = 600  # the first line of many real Perl OpenAI programs
    assert ua.inactivity_timeout == 600


def test_an_attribute_it_does_not_have_is_refused(api_key: str) -> None:
    ua = OpenAI(BUNDLED_SPEC).ua
    with pytest.raises(AttributeError, match=r"no attribute 'inactivity_timout'.*inactivity_timeout"):
        ua.inactivity_timout = 600  # a typo must not be a silent no-op
    with pytest.raises(UserAgentError, match="inactivity_timeout = 'abc' is not a number"):
        ua.inactivity_timeout = "abc"
    with pytest.raises(UserAgentError, match="connect_timeout must be a number"):
        ua.connect_timeout = [10]


@pytest.mark.parametrize(
    ("variable", "value", "attribute", "expected"),
    [
        ("MOJO_CONNECT_TIMEOUT", "3", "connect_timeout", 3),
        ("MOJO_CONNECT_TIMEOUT", "0", "connect_timeout", 10),  # Mojo: $ENV{...} || 10
        ("MOJO_INACTIVITY_TIMEOUT", "0", "inactivity_timeout", 0),  # Mojo: $ENV{...} // 40
        ("MOJO_INACTIVITY_TIMEOUT", "2.5", "inactivity_timeout", 2.5),
        ("MOJO_REQUEST_TIMEOUT", "7", "request_timeout", 7),
        ("MOJO_MAX_REDIRECTS", "3", "max_redirects", 3),
    ],
)
def test_mojos_environment_variables(
    api_key: str, monkeypatch: pytest.MonkeyPatch, variable: str, value: str, attribute: str, expected: float
) -> None:
    monkeypatch.setenv(variable, value)
    assert getattr(OpenAI(BUNDLED_SPEC).ua, attribute) == expected


def test_a_value_mojo_would_misread_is_an_error_at_construction(api_key: str, monkeypatch) -> None:
    monkeypatch.setenv("MOJO_INACTIVITY_TIMEOUT", "ten minutes")
    with pytest.raises(UserAgentError, match="MOJO_INACTIVITY_TIMEOUT"):
        OpenAI(BUNDLED_SPEC)


# -- the attributes take effect, on every path ----------------------------------------------------


@pytest.mark.parametrize("path", PATHS)
def test_inactivity_timeout_against_a_server_that_stalls(api_key: str, path: str) -> None:
    with raw_server(answer(delay=3)) as (port, _):
        client = client_for(f"http://127.0.0.1:{port}/v1", inactivity_timeout=1)
        started = time.monotonic()
        tx = PATHS[path](client)
        elapsed = time.monotonic() - started
    assert tx.error == {"message": "Inactivity timeout"} and tx.res.code is None
    assert 0.9 <= elapsed < 2.5


@pytest.mark.parametrize("path", PATHS)
def test_request_timeout_covers_a_slow_drip(api_key: str, path: str) -> None:
    def drip(conn: socket.socket) -> None:
        read_request(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n")
        for _ in range(100):
            time.sleep(0.05)  # never idle long enough for the inactivity timeout
            conn.sendall(b"x")

    with raw_server(drip) as (port, _):
        client = client_for(f"http://127.0.0.1:{port}/v1", request_timeout=1, inactivity_timeout=2)
        started = time.monotonic()
        tx = PATHS[path](client)
        elapsed = time.monotonic() - started
    assert tx.error == {"message": "Request timeout"} and tx.res.code == 200  # the code came
    assert 0 < len(tx.res.body) < 100 and 0.9 <= elapsed < 2.5


@pytest.mark.parametrize("path", PATHS)
def test_max_response_size(api_key: str, path: str) -> None:
    with raw_server(answer(body=b"x" * 5000)) as (port, _):
        client = client_for(f"http://127.0.0.1:{port}/v1", max_response_size=1000)
        tx = PATHS[path](client)
    assert tx.error == {"message": "Maximum message size exceeded"}


@pytest.mark.parametrize("path", PATHS)
def test_environment_proxies_only_after_detect(api_key: str, path: str, monkeypatch) -> None:
    """Mojo: HTTP_PROXY is ignored unless MOJO_PROXY is set or proxy.detect() was called."""
    proxied: list[bytes] = []

    def proxy(conn: socket.socket) -> None:
        proxied.append(read_request(conn))
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")

    with raw_server(answer()) as (origin, _), raw_server(proxy) as (proxy_port, _):
        monkeypatch.setenv("HTTP_PROXY", f"http://user:pw@127.0.0.1:{proxy_port}")
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        client = client_for(f"http://127.0.0.1:{origin}/v1")
        assert PATHS[path](client).res.json("/id") == "run_abc123"  # straight to the origin
        assert proxied == []
        client.ua.proxy.detect()
        assert PATHS[path](client).res.json() == {}  # now through the proxy
    (request,) = proxied
    assert request.startswith(f"GET http://127.0.0.1:{origin}/v1/threads/".encode())  # absolute form
    assert b"\r\nProxy-Authorization: Basic dXNlcjpwdw==\r\n" in request


@pytest.mark.parametrize("path", PATHS)
def test_max_redirects_follows_and_the_start_event_sees_each_hop(api_key: str, path: str) -> None:
    with raw_server(answer()) as (target, _):

        def redirect(conn: socket.socket) -> None:
            read_request(conn)
            location = f"http://127.0.0.1:{target}/v1/threads/t/runs/moved"
            head = f"HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\n"
            conn.sendall(head.encode() + b"Connection: close\r\n\r\n")  # one answer: said so

        with raw_server(redirect) as (port, _):
            client = client_for(f"http://127.0.0.1:{port}/v1")
            assert PATHS[path](client).res.code == 302  # none followed by default
            client.ua.max_redirects = 2
            started: list[str] = []
            client.ua.on("start", lambda ua, tx: started.append(str(tx.req.url)))
            tx = PATHS[path](client)
    assert tx.res.json("/id") == "run_abc123" and tx.previous is not None and tx.previous.res.code == 302
    assert started[-1].endswith("/runs/moved") and tx.req.headers["Authorization"].startswith("Bearer ")


def test_the_openai_headers_come_before_a_users_start_subscriber(api_key: str) -> None:
    """Perl: the OpenAI layer's start listener is the first; a user's sees the Bearer already."""
    with MockServer(BUNDLED_SPEC) as server:
        client = client_for(server.base_url)
        seen: list[str] = []
        client.ua.on("start", lambda ua, tx: seen.append(tx.req.headers.header("Authorization")))
        client.getRun(**RUN)
    assert seen == [f"Bearer {api_key}"]


def test_a_generator_added_on_the_transactor_is_used(api_key: str) -> None:
    def xml(transactor: object, tx: Transaction, value: dict) -> None:
        tx.req.headers.header("Content-Type", "application/xml")
        tx.req.body = "".join(f"<{k}>{v}</{k}>" for k, v in value.items()).encode()

    with MockServer(BUNDLED_SPEC) as server:
        client = client_for(server.base_url)
        client.ua.transactor.add_generator("xml", xml)
        client.cancelRun(dict(RUN), xml={"why": "test"})
        (captured,) = server.wait_for(1)
    assert captured.body == b"<why>test</why>" and captured.header("Content-Type") == "application/xml"


# -- keep-alive -----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", PATHS)
def test_sequential_calls_reuse_one_connection(api_key: str, path: str) -> None:
    with raw_server(answer()) as (port, accepted):
        client = client_for(f"http://127.0.0.1:{port}/v1")
        for _ in range(20):
            assert PATHS[path](client).res.code == 200
    assert accepted[0] == 1


def test_a_fan_out_opens_at_most_one_connection_per_call_and_keeps_five(api_key: str) -> None:
    with raw_server(answer(delay=0.2)) as (port, accepted):
        client = client_for(f"http://127.0.0.1:{port}/v1")
        client.ua.max_connections = 5
        from openapi_client_openai import Promise

        for _ in range(2):
            results = Promise.all(client.getRun_p(**RUN) for _ in range(30)).wait(30)
            assert [tx.res.code for (tx,) in results] == [200] * 30
    assert 30 <= accepted[0] <= 30 + 25  # the second batch reused the five kept alive


# -- which way blocking calls leave ----------------------------------------------------------------


def test_an_adapter_mounted_after_the_first_call_sees_the_next(api_key: str) -> None:
    from requests.adapters import HTTPAdapter

    seen: list[str] = []

    class Recording(HTTPAdapter):
        def send(self, request, **kwargs):  # type: ignore[no-untyped-def]
            seen.append(request.url)
            return super().send(request, **kwargs)

    with MockServer(BUNDLED_SPEC) as server:
        client = client_for(server.base_url)
        client.getRun(**RUN)  # our own sockets: no session involved yet
        client.ua.session.mount("http://", Recording())
        tx = client.getRun(**RUN)
        assert tx.res.json("/object") == "thread.run"
        first, second = server.wait_for(2)
    assert seen == [str(tx.req.url)]
    assert (first.target, first.body) == (second.target, second.body)
    assert sorted(first.headers) == sorted(second.headers)  # the same bytes either way


def test_responses_intercepts_a_blocking_call(api_key: str) -> None:
    import responses

    with responses.RequestsMock() as mocked:
        mocked.add(
            responses.GET, "http://127.0.0.1:9/v1/threads/thread_abc123/runs/run_abc123", json={"id": "m"}
        )
        client = client_for("http://127.0.0.1:9/v1")  # nothing listens there: only the mock answers
        tx = client.getRun(**RUN)
        assert tx.res.json("/id") == "m" and tx.error is None
        assert mocked.calls[0].request.headers["Authorization"] == f"Bearer {api_key}"


def test_requests_mock_intercepts_a_blocking_call(api_key: str) -> None:
    import requests_mock

    with requests_mock.Mocker() as mocked:
        url = "http://127.0.0.1:9/v1/threads/thread_abc123/runs/run_abc123"
        mocked.get(url, json={"id": "rm"}, headers={"X-Request-Id": "req_1"})
        tx = client_for("http://127.0.0.1:9/v1").getRun(**RUN)
    assert tx.res.json("/id") == "rm" and tx.res.headers.header("x-request-id") == "req_1"
    assert mocked.call_count == 1


def test_a_callers_session_carries_every_blocking_call(api_key: str) -> None:
    sent: list[tuple] = []

    class Recording(requests.Session):
        def send(self, request, **kwargs):  # type: ignore[no-untyped-def]
            sent.append(kwargs["timeout"])
            return super().send(request, **kwargs)

    with MockServer(BUNDLED_SPEC) as server:
        client = OpenAI(BUNDLED_SPEC, base_url=server.base_url, ua=Recording())
        client.ua.inactivity_timeout = 7
        client.getRun(**RUN)
    assert sent == [(10, 7)]


# -- Perl's app => : a WSGI app in-process ---------------------------------------------------------


def wsgi_app(environ: dict, start_response: Callable) -> list[bytes]:
    body = json.dumps(
        {
            "method": environ["REQUEST_METHOD"],
            "path": environ["PATH_INFO"],
            "auth": environ.get("HTTP_AUTHORIZATION"),
        }
    ).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body]


@pytest.mark.parametrize("path", PATHS)
def test_app_serves_requests_in_process(api_key: str, path: str) -> None:
    client = OpenAI(BUNDLED_SPEC, app=wsgi_app)
    assert str(client.base_url) == "/v1"  # Perl: the base URL loses scheme, host and port
    tx = PATHS[path](client)
    assert tx.res.json() == {
        "method": "GET",
        "path": "/v1/threads/thread_abc123/runs/run_abc123",
        "auth": f"Bearer {api_key}",
    }


# -- fork, Ctrl-C: in a child process each, under a timeout ---------------------------------------


def run_child(code: str, *args: str, signal_after: float | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO), "OPENAI_API_KEY": "sk-child"}
    process = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), str(BUNDLED_SPEC), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    if signal_after is not None:
        time.sleep(signal_after)
        process.send_signal(signal.SIGINT)
    try:
        out, err = process.communicate(timeout=CHILD_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        pytest.fail(f"the child hung: {err[-2000:]}")
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


FORK = """
import os, sys
from openapi_client_openai import OpenAI, Promise
client = OpenAI(sys.argv[1], base_url=sys.argv[2])
client.getRun(thread_id="warm", run_id="up")  # a kept-alive connection, then a fork
client.getRun_p(thread_id="warm", run_id="loop").wait(10)  # and a loop with one
pid = os.fork()
me = "child" if pid == 0 else "parent"
wrong = 0
for i in range(30):
    tx = client.getRun(thread_id=me, run_id=str(i))
    wrong += tx.res.json("/thread_id") != me or tx.res.json("/id") != str(i)
results = Promise.all(client.getRun_p(thread_id=me, run_id=f"p{i}") for i in range(10)).wait(10)
wrong += sum(tx.res.json("/thread_id") != me for (tx,) in results)
print(me, wrong, flush=True)
if pid:
    _, status = os.waitpid(pid, 0)
    sys.exit(os.waitstatus_to_exitcode(status))
os._exit(0)
"""


def test_after_fork_parent_and_child_never_share_a_connection() -> None:
    def echo(conn: socket.socket) -> None:
        while True:
            request = read_request(conn)
            if not request:
                return
            parts = request.split(b" ")[1].decode().split("/")  # /v1/threads/T/runs/R
            body = json.dumps({"thread_id": parts[3], "id": parts[5]}).encode()
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))

    with raw_server(echo) as (port, _):
        done = run_child(FORK, f"http://127.0.0.1:{port}/v1")
    assert done.returncode == 0, done.stderr
    assert sorted(done.stdout.split("\n")[:2]) == ["child 0", "parent 0"]


INTERRUPTED = """
import sys, time, asyncio
from openapi_client_openai import OpenAI, IOLoop
client = OpenAI(sys.argv[1], base_url=sys.argv[2])
client.ua.inactivity_timeout = 0  # no timeout: only Ctrl-C ends the wait
way = sys.argv[3]
started = time.monotonic()
try:
    if way == "blocking":
        client.getRun(thread_id="t", run_id="r")
    elif way == "wait":
        client.getRun_p(thread_id="t", run_id="r").wait()
    elif way == "callback":
        client.getRun({"thread_id": "t", "run_id": "r"}, lambda c, tx: None)
        IOLoop.start()
    elif way == "await":
        async def main():
            await client.getRun_p(thread_id="t", run_id="r")
        asyncio.run(main())
except KeyboardInterrupt:
    print(f"interrupted after {time.monotonic() - started:.1f}s", flush=True)
    sys.exit(130)
print("finished?!")
"""


@pytest.mark.parametrize("way", ["blocking", "wait", "callback", "await"])
@pytest.mark.parametrize("server", ["silent", "endless"])
def test_ctrl_c_ends_any_wait_promptly(way: str, server: str) -> None:
    def silent(conn: socket.socket) -> None:
        read_request(conn)
        time.sleep(CHILD_TIMEOUT)

    def endless(conn: socket.socket) -> None:
        read_request(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n")
        with contextlib.suppress(OSError):
            while True:
                conn.sendall(b" " * 4096)
                time.sleep(0.001)

    with raw_server(silent if server == "silent" else endless) as (port, _):
        started = time.monotonic()
        done = run_child(INTERRUPTED, f"http://127.0.0.1:{port}/v1", way, signal_after=2.0)
        elapsed = time.monotonic() - started
    assert done.returncode == 130, (done.stdout, done.stderr[-2000:])
    assert done.stdout.startswith("interrupted after") and elapsed < 10


def test_no_thread_per_request(api_key: str) -> None:
    with raw_server(answer(delay=0.3)) as (port, _):
        client = client_for(f"http://127.0.0.1:{port}/v1")
        from openapi_client_openai import Promise

        def ours() -> set[str]:  # every thread but the test server's own
            return {t.name for t in threading.enumerate() if t.name != "test-server"}

        before = ours()
        promises = [client.getRun_p(**RUN) for _ in range(50)]
        during: list[set[str]] = []
        tick = Promise.timer(0.1).then(lambda _: during.append(ours()))
        Promise.all([*promises, tick]).wait(30)
    assert during == [before], "non-blocking calls started threads"
    assert collections.Counter(type(p) for p in promises)[Promise] == 50
