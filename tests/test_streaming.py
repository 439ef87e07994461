"""Streaming on the client side: the Perl way (``read``, ``sse``) and the Python way (``client.stream``).

Servers are on 127.0.0.1 and bounded: the mock, or a scripted socket server for
what the mock will not do (stall, send after [DONE], wait for the client to have
seen an event before sending the next, notice the client hanging up). Ctrl-C
and an endless stream run in a child process under a timeout.
"""

from __future__ import annotations

import asyncio
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

from openapi_client_openai import Client, OpenAI
from openapi_client_openai.errors import NoSuchOperation
from openapi_client_openai.mock import MockServer
from openapi_client_openai.spec import BUNDLED_SPEC
from openapi_client_openai.streaming import Event, SSEParser

from .conftest import REPO

TIMEOUT = 10.0
TEXT = "Hello! How can I help you today?"
CHAT = {"model": "gpt-4o", "messages": [{"role": "user", "content": "Hi"}]}
STREAMED_CHAT = {**CHAT, "stream": True}


# -- servers --------------------------------------------------------------------------------


class ScriptedServer:
    """A loopback server answering each connection with ``script(conn)``; it notes when the
    client hung up (``closed``) and never outlives the test."""

    def __init__(self, script: Callable[[socket.socket], None]) -> None:
        self.script = script
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(TIMEOUT)
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}/v1"
        self.closed = threading.Event()
        self.requests: list[bytes] = []
        self.conn: socket.socket | None = None
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        try:
            conn, _ = self.listener.accept()
        except OSError:
            return
        self.conn = conn
        with conn:
            conn.settimeout(TIMEOUT)
            try:
                self.requests.append(_read_request(conn))
                self.script(conn)
            except OSError:
                self.closed.set()
                return
            try:  # did the client hang up? (EOF or a reset)
                if conn.recv(1) == b"":
                    self.closed.set()
            except OSError:
                self.closed.set()

    def close(self) -> None:
        self.listener.close()
        if self.conn is not None:  # a client that keeps its connection alive: stop waiting for it
            try:
                self.conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.thread.join(TIMEOUT)


def _read_request(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        data += conn.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        (
            int(line.split(b":")[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length")
        ),
        0,
    )
    while len(body) < length:
        body += conn.recv(65536)
    return head + b"\r\n\r\n" + body


SSE_HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"


def chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


def sse(data: str, name: str | None = None) -> bytes:
    return chunk((f"event: {name}\n" if name else "").encode() + f"data: {data}\n\n".encode())


@pytest.fixture
def scripted() -> Iterator[Callable[[Callable[[socket.socket], None]], ScriptedServer]]:
    made: list[ScriptedServer] = []

    def make(script: Callable[[socket.socket], None]) -> ScriptedServer:
        server = ScriptedServer(script)
        made.append(server)
        return server

    yield make
    for server in made:
        server.close()


@pytest.fixture(scope="module")
def chat_mock(openai_spec) -> Iterator[MockServer]:
    with MockServer(openai_spec) as server:
        yield server


@pytest.fixture
def openai(api_key: str, openai_spec_path, chat_mock: MockServer) -> OpenAI:
    chat_mock.clear()
    return OpenAI(openai_spec_path, base_url=chat_mock.base_url)


def contents(events: list[Event]) -> list:
    return [e.json()["choices"][0]["delta"].get("content") for e in events]


# -- Mojo::SSE's parse_event, rule for rule ---------------------------------------------------
# Expected values from Mojolicious 9.41's own t/mojo/sse.t (mojolicious/mojo on GitHub).


@pytest.mark.parametrize(
    ("stream", "expected"),
    [
        (b"event: foo\r\ndata: bar\r\nid: 23\r\n\r\n", [("foo", "bar", "23")]),
        (b"data: bar\r\n\r\n", [("message", "bar", None)]),
        ("event: fo\u2665o\r\ndata: I \u2665 Mojolicious\r\nid: 1\u26653\r\n\r\n".encode(),
         [("fo\u2665o", "I \u2665 Mojolicious", "1\u26653")]),
        (b"data: YHOO\r\ndata: +2\r\ndata: 10\r\n\r\n", [("message", "YHOO\n+2\n10", None)]),
        (b"data: This is the first message.\n\ndata: This is the second message, it\n"
         b"data: has two lines.\n\ndata: This is the third message.\n\n",
         [("message", "This is the first message.", None),
          ("message", "This is the second message, it\nhas two lines.", None),
          ("message", "This is the third message.", None)]),
        (b"event: add\rdata: 73857293\r\revent: remove\rdata: 2153\r\revent: add\rdata: 113411\r\r",
         [("add", "73857293", None), ("remove", "2153", None), ("add", "113411", None)]),
        (b"data:test\r\n\r\ndata: test\r\n\r\n", [("message", "test", None), ("message", "test", None)]),
        (b": test stream\n\rdata: first event\rid: 1\r\rdata:second event\rid\r\r"
         b"data:  third event\n\n",
         [("message", "first event", "1"), ("message", "second event", None),
          ("message", "third event", None)]),
        (b"data\n\ndata\ndata\n\ndata:\n\n",
         [("message", "", None), ("message", "\n", None), ("message", "", None)]),
    ],
)  # fmt: skip
def test_the_parser_reads_mojos_test_streams_as_mojo_does(stream, expected):
    parser = SSEParser()
    got = parser.feed(stream) + parser.close()
    assert [(e.type, e.data, e.id) for e in got] == expected
    # However the body is cut, the same events: byte by byte here.
    parser = SSEParser()
    one_by_one = [e for i in range(len(stream)) for e in parser.feed(stream[i : i + 1])] + parser.close()
    assert one_by_one == got


def test_the_parser_skips_a_block_that_is_not_utf8_and_waits_for_an_unfinished_one():
    parser = SSEParser()
    assert parser.feed(b"data: \xff\xfe\n\ndata: ok\n\ndata: half") == [Event("message", "ok")]
    assert parser.feed(b" done\n\n") == [Event("message", "half done")]
    assert parser.close() == []


def test_an_unfinished_event_past_the_limit_stops_the_parse():
    parser = SSEParser(limit=100)
    assert parser.feed(b"data: " + b"x" * 200) == [] and parser.limit_exceeded
    assert parser.feed(b"\n\ndata: later\n\n") == []


def test_an_event_reads_as_perls_hash_and_as_json():
    event = Event("thread.run.created", '{"id": "run_1"}', "7")
    assert (event["text"], event["data"], event["type"], event["id"]) == (event.data,) * 2 + (
        "thread.run.created",
        "7",
    )
    assert event.text == event.data and event.json() == {"id": "run_1"}
    assert Event(data="[DONE]").json() is None and Event().type == "message"
    assert event.get("nothing") is None
    with pytest.raises(KeyError):
        event["nothing"]


# -- the Perl way: read, unsubscribe('read'), sse ---------------------------------------------


def test_perl_idiom_in_after_build_tx_streams_and_buffers_nothing(openai, chat_mock):
    """Perl: ``$client->on(after_build_tx => sub { my ($c, $tx) = @_;
    $tx->res->content->unsubscribe('read')->on(read => sub { push @chunks, $_[1] }) });``"""
    chunks = []
    openai.on(
        "after_build_tx",
        lambda c, tx: tx.res.content.unsubscribe("read").on("read", lambda content, b: chunks.append(b)),
    )
    tx = openai.createChatCompletion({"body": STREAMED_CHAT})
    (captured,) = chat_mock.wait_for(1)
    assert tx.res.code == 200 and tx.error is None
    assert b"".join(chunks) == captured.reply.body and len(captured.reply.body) > 1000
    assert tx.res.body == b"" and tx.res.content.asset.size == 0  # nothing buffered


def test_perl_idiom_in_the_user_agents_start_event(openai, chat_mock):
    """Perl: ``$client->ua->on(start => sub { my ($ua, $tx) = @_;
    $tx->res->content->unsubscribe('read')->on(read => sub { $body .= $_[1] }) });``"""
    body = []
    openai.ua.on(
        "start",
        lambda ua, tx: tx.res.content.unsubscribe("read").on("read", lambda content, b: body.append(b)),
    )
    tx = openai.createChatCompletion({"body": STREAMED_CHAT})
    (captured,) = chat_mock.wait_for(1)
    assert b"".join(body) == captured.reply.body and tx.res.body == b""


def test_read_without_unsubscribe_streams_and_still_keeps_the_body(openai, chat_mock):
    seen = []
    openai.on("after_build_tx", lambda c, tx: tx.res.content.on("read", lambda content, b: seen.append(b)))
    tx = openai.createChatCompletion({"body": STREAMED_CHAT})
    assert b"".join(seen) == tx.res.body == chat_mock.wait_for(1)[0].reply.body


def test_sse_event_as_mojolicious_941_gives_it(openai):
    """Mojolicious 9.41: ``$tx->res->content->on(sse => sub ($content, $event) {...})``: once with
    no event when the stream starts, then ``{type, text, id}`` per event."""
    got = []
    openai.on(
        "after_build_tx",
        lambda c, tx: tx.res.content.unsubscribe("read").on("sse", lambda co, e: got.append(e)),
    )
    tx = openai.createChatCompletion({"body": STREAMED_CHAT})
    assert got[0] is None
    assert got[-1]["text"] == "[DONE]" and got[-1]["type"] == "message"
    assert "".join(contents(got[1:-1])[1:-1]) == TEXT
    assert tx.res.body == b""
    assert tx.res.content.is_sse


def test_sse_subscribers_get_nothing_from_a_json_answer(openai):
    got = []
    openai.on("after_build_tx", lambda c, tx: tx.res.content.on("sse", lambda co, e: got.append(e)))
    tx = openai.createChatCompletion({"body": CHAT})
    assert got == [] and tx.res.json()["object"] == "chat.completion"


def test_the_sse_event_works_on_the_non_blocking_path(openai):
    got = []
    openai.on("after_build_tx", lambda c, tx: tx.res.content.on("sse", lambda co, e: got.append(e)))
    tx = openai.createChatCompletion_p({"body": STREAMED_CHAT}).wait(TIMEOUT)
    assert tx.res.code == 200 and got[0] is None and got[-1].data == "[DONE]" and len(got) == 13


# -- the Python way: client.stream ---------------------------------------------------------------


def test_client_stream_yields_the_deltas(openai, chat_mock):
    stream = openai.stream("createChatCompletion", body={**STREAMED_CHAT})
    assert stream.tx.res.code is None  # built and validated; nothing sent until the loop starts
    assert chat_mock.requests == []
    events = list(stream)
    assert contents(events)[0] == "" and "".join(contents(events)[1:-1]) == TEXT
    assert all(e.type == "message" and e.id is None for e in events)
    assert stream.done and stream.tx.res.code == 200 and stream.error is None
    assert stream.tx.res.body == b""  # the events went to the loop, not into memory
    assert list(stream) == []  # read once, like a file
    (captured,) = chat_mock.wait_for(1)
    assert json.loads(captured.body)["stream"] is True
    assert captured.header("Authorization") == f"Bearer {os.environ['OPENAI_API_KEY']}"


def test_async_for_yields_the_same_events(openai):
    async def read() -> tuple[list[Event], object]:
        stream = openai.stream("create_chat_completion", {"body": STREAMED_CHAT})  # alias, Perl-style params
        return [event async for event in stream], stream

    events, stream = asyncio.run(read())
    assert "".join(contents(events)[1:-1]) == TEXT
    assert stream.done and stream.tx.res.code == 200 and stream.tx.res.body == b""


def test_invalid_input_gives_the_local_400_and_sends_nothing(openai, chat_mock):
    stream = openai.stream("createChatCompletion", body={"stream": True})
    assert list(stream) == [] and stream.tx.res.code == 400 and not stream.tx.is_sent
    assert stream.tx.error == {"message": "Invalid input", "code": 400}
    assert stream.tx.res.json("/errors/0/path") == "/body/messages"

    async def read() -> list:
        return [e async for e in openai.stream("createChatCompletion", body={"stream": True})]

    assert asyncio.run(read()) == []
    assert chat_mock.requests == []


def test_an_http_error_is_the_transaction_as_usual(api_key, openai_spec_path, chat_mock):
    client = OpenAI(openai_spec_path, base_url=chat_mock.url + "/v2")  # nothing lives there: 404
    stream = client.stream("createChatCompletion", body=STREAMED_CHAT)
    assert list(stream) == []
    assert stream.tx.error == {"message": "Not Found", "code": 404}
    assert stream.tx.res.json("/error/message").startswith("Invalid URL")  # the body is kept


def test_a_json_answer_yields_nothing_and_keeps_its_body(openai):
    stream = openai.stream("createChatCompletion", body=CHAT)  # no stream: true
    assert list(stream) == [] and not stream.done
    assert stream.tx.res.json()["object"] == "chat.completion"


def test_unknown_operations_are_refused_by_name(openai):
    with pytest.raises(NoSuchOperation, match=r"^stream: the spec in use, .* has no operation 'noSuchThing'"):
        openai.stream("noSuchThing")
    with pytest.raises(NoSuchOperation, match="no operation 'createChatCompletion_p'"):
        openai.stream("createChatCompletion_p")


def test_runs_stream_from_the_bundled_spec(api_key):
    with MockServer(BUNDLED_SPEC) as server:
        client = OpenAI(base_url=server.base_url, assistants=True)
        stream = client.stream(
            "createRun", thread_id="thread_1", body={"assistant_id": "asst_1", "stream": True}
        )
        events = list(stream)
    names = [e.type for e in events]
    assert names[0] == "thread.run.created" and names[-1] == "thread.run.completed" and stream.done
    told = [
        e.json()["delta"]["content"][0]["text"]["value"] for e in events if e.type == "thread.message.delta"
    ]
    assert "".join(told) == TEXT
    assert server.requests[0].header("OpenAI-Beta") == "assistants=v2"


def test_done_ends_the_loop_even_if_more_follows(scripted, api_key):
    def script(conn: socket.socket) -> None:
        conn.sendall(SSE_HEAD + sse('{"n": 1}') + sse("[DONE]") + sse('{"n": 2}'))
        time.sleep(0.5)  # the body never ends: the client must close
        conn.sendall(b"0\r\n\r\n")

    server = scripted(script)
    client = Client(BUNDLED_SPEC, base_url=server.url)
    stream = client.stream("getRun", thread_id="t", run_id="r")
    assert [e.json() for e in stream] == [{"n": 1}] and stream.done
    assert server.closed.wait(TIMEOUT)  # the body had not ended: the connection was dropped


# -- each piece as it arrives, on every path ---------------------------------------------------


def _paced(seen: list) -> Callable[[socket.socket], None]:
    """Sends an event, then waits until the client's loop got it before sending the next."""

    def script(conn: socket.socket) -> None:
        conn.sendall(SSE_HEAD + sse('{"n": 1}'))
        deadline = time.monotonic() + TIMEOUT
        while not seen and time.monotonic() < deadline:
            time.sleep(0.01)
        conn.sendall(sse('{"n": 2}') + b"0\r\n\r\n")

    return script


@pytest.mark.parametrize("way", ["own sockets", "requests.Session"])
def test_each_event_reaches_the_loop_before_the_next_is_sent(scripted, way):
    seen: list = []
    server = scripted(_paced(seen))
    client = Client(BUNDLED_SPEC, base_url=server.url)
    client.ua.inactivity_timeout = 3  # were it buffered, the server would wait for ever
    if way == "requests.Session":
        assert client.ua.session is not None  # handed out: every blocking call now goes through it
    for event in client.stream("getRun", thread_id="t", run_id="r"):
        seen.append(event.json()["n"])
    assert seen == [1, 2]


def test_each_event_reaches_the_async_loop_before_the_next_is_sent(scripted):
    seen: list = []
    server = scripted(_paced(seen))
    client = Client(BUNDLED_SPEC, base_url=server.url)
    client.ua.inactivity_timeout = 3

    async def read() -> None:
        async for event in client.stream("getRun", thread_id="t", run_id="r"):
            seen.append(event.json()["n"])

    asyncio.run(read())
    assert seen == [1, 2]


def test_a_wsgi_app_streams_piece_by_piece():
    produced: list = []

    def app(environ: dict, start_response: Callable) -> Iterator[bytes]:
        start_response("200 OK", [("Content-Type", "text/event-stream")])
        for n in (1, 2, 3):
            produced.append(n)
            yield f'data: {{"n": {n}}}\n\n'.encode()

    client = Client(BUNDLED_SPEC, app=app)
    seen = []
    for event in client.stream("getRun", thread_id="t", run_id="r"):
        seen.append((event.json()["n"], list(produced)))
    assert seen == [(1, [1]), (2, [1, 2]), (3, [1, 2, 3])]

    async def read() -> list:
        return [
            e.json()["n"]
            async for e in Client(BUNDLED_SPEC, app=app).stream("getRun", thread_id="t", run_id="r")
        ]

    assert asyncio.run(read()) == [1, 2, 3]


def test_a_wsgi_answer_without_length_keeps_its_body_and_headers():
    def app(environ: dict, start_response: Callable) -> list:
        start_response("201 Created", [("Content-Type", "application/json")])
        return [b'{"a":', b"1}"]

    tx = Client(BUNDLED_SPEC, app=app).getRun(thread_id="t", run_id="r")
    assert tx.res.code == 201 and tx.res.json() == {"a": 1}
    assert tx.res.headers.get("Content-Length") == "7" and tx.res.headers.get("Transfer-Encoding") is None


# -- leaving early, timeouts -----------------------------------------------------------------


def _endless(conn: socket.socket) -> None:
    conn.sendall(SSE_HEAD)
    n = 0
    while True:  # until the client goes away (the write fails)
        n += 1
        conn.sendall(sse(json.dumps({"n": n})))
        time.sleep(0.02)


def test_leaving_the_loop_early_closes_the_connection(scripted):
    server = scripted(_endless)
    client = Client(BUNDLED_SPEC, base_url=server.url)
    for event in client.stream("getRun", thread_id="t", run_id="r"):
        if event.json()["n"] == 3:
            break
    assert server.closed.wait(TIMEOUT)


def test_leaving_an_async_loop_early_closes_the_connection(scripted):
    server = scripted(_endless)
    client = Client(BUNDLED_SPEC, base_url=server.url)

    async def read() -> None:
        async with client.stream("getRun", thread_id="t", run_id="r") as stream:
            async for event in stream:
                if event.json()["n"] == 3:
                    break

    asyncio.run(read())
    assert server.closed.wait(TIMEOUT)


def test_close_and_with_close_the_connection(scripted):
    server = scripted(_endless)
    client = Client(BUNDLED_SPEC, base_url=server.url)
    with client.stream("getRun", thread_id="t", run_id="r") as stream:
        events = iter(stream)
        assert next(events).json() == {"n": 1}
    assert server.closed.wait(TIMEOUT)


def _slow_events(gap: float, count: int) -> Callable[[socket.socket], None]:
    def script(conn: socket.socket) -> None:
        conn.sendall(SSE_HEAD)
        for n in range(count):
            conn.sendall(sse(json.dumps({"n": n})))
            time.sleep(gap)
        conn.sendall(b"0\r\n\r\n")

    return script


@pytest.mark.parametrize("loop", ["for", "async for"])
def test_the_inactivity_timeout_restarts_with_each_piece(scripted, loop):
    # Five pieces 0.4 s apart take 2 s in all: longer than the 1.5 s timeout, which
    # still never fires, because each piece restarts it.
    server = scripted(_slow_events(0.4, 5))
    client = Client(BUNDLED_SPEC, base_url=server.url)
    client.ua.inactivity_timeout = 1.5
    stream = client.stream("getRun", thread_id="t", run_id="r")
    if loop == "for":
        events = list(stream)
    else:

        async def read() -> list:
            return [e async for e in stream]

        events = asyncio.run(read())
    assert [e.json()["n"] for e in events] == [0, 1, 2, 3, 4]
    assert stream.error is None and stream.tx.res.is_finished


@pytest.mark.parametrize("loop", ["for", "async for"])
def test_an_inactivity_timeout_mid_stream_ends_the_loop_with_mojos_error(scripted, loop):
    server = scripted(_slow_events(2.0, 3))
    client = Client(BUNDLED_SPEC, base_url=server.url)
    client.ua.inactivity_timeout = 0.3
    stream = client.stream("getRun", thread_id="t", run_id="r")
    if loop == "for":
        events = list(stream)
    else:

        async def read() -> list:
            return [e async for e in stream]

        events = asyncio.run(read())
    assert [e.json()["n"] for e in events] == [0]
    assert stream.error == {"message": "Inactivity timeout"} and stream.tx.res.code == 200


def test_an_event_past_the_buffer_limit_fails_the_transfer(scripted, monkeypatch):
    monkeypatch.setenv("MOJO_MAX_BUFFER_SIZE", "1024")

    def script(conn: socket.socket) -> None:
        conn.sendall(SSE_HEAD + sse('{"n": 1}') + chunk(b"data: " + b"x" * 5000))
        time.sleep(1)

    server = scripted(script)
    stream = Client(BUNDLED_SPEC, base_url=server.url).stream("getRun", thread_id="t", run_id="r")
    assert [e.json() for e in stream] == [{"n": 1}]
    assert stream.error == {"message": "Maximum buffer size exceeded"}
    assert server.closed.wait(TIMEOUT)


# -- Ctrl-C and endless streams, in a child process ---------------------------------------------

CHILD = """
import asyncio, math, sys
from openapi_client_openai import OpenAI
from openapi_client_openai.mock import MockServer

spec, mode = sys.argv[1], sys.argv[2]
server = MockServer(spec, stream_delay=0.01, stream_deltas=math.inf).start()
client = OpenAI(spec, base_url=server.base_url)
body = {"model": "gpt-4o", "messages": [{"role": "user", "content": "Hi"}], "stream": True}

def report(n):
    if n == 5:
        print("streaming", flush=True)

if mode == "async":
    async def main():
        n = 0
        async for event in client.stream("createChatCompletion", body=body):
            n += 1
            report(n)
    asyncio.run(main())
elif mode == "endless":
    n = 0
    for event in client.stream("createChatCompletion", body=body):
        n += 1
        if n == 300:
            break
    print("left after", n, flush=True)
    server.stop()
else:
    n = 0
    for event in client.stream("createChatCompletion", body=body):
        n += 1
        report(n)
"""


def _child(mode: str, openai_spec_path) -> subprocess.Popen:
    env = {**os.environ, "OPENAI_API_KEY": "sk-test", "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(CHILD), str(openai_spec_path), mode],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


@pytest.mark.parametrize("mode", ["for", "async"])
def test_ctrl_c_during_an_endless_stream_ends_the_program(mode, openai_spec_path):
    child = _child(mode, openai_spec_path)
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "streaming"
        child.send_signal(signal.SIGINT)
        _, err = child.communicate(timeout=TIMEOUT)
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()
    assert child.returncode != 0 and "KeyboardInterrupt" in err


def test_an_endless_stream_can_be_left(openai_spec_path):
    child = _child("endless", openai_spec_path)
    try:
        out, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()
    assert child.returncode == 0, err
    assert out.strip() == "left after 300"
