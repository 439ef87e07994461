"""The mock's streams: server-sent events built from the spec's event schemas, over real HTTP.

Each stream is read off a raw socket (no client of ours), framing checked, and
every event's data validated with jsonschema against the event schema the spec
declares for the operation, so "built from the schema" is checked by a second
opinion. The text told is the one the mock's docs promise.
"""

from __future__ import annotations

import json
import math
import socket
import threading
import time

import pytest

from openapi_client_openai.cli import main as cli_main
from openapi_client_openai.event_streams import asks_for_stream, event_stream, stream_fields
from openapi_client_openai.mock import MockServer
from openapi_client_openai.spec import BUNDLED_SPEC, load_spec

from .test_examples import SpecValidator

TIMEOUT = 10.0
TEXT = "Hello! How can I help you today?"  # what the mock's docs say every stream tells
CHAT = {"model": "gpt-4o", "messages": [{"role": "user", "content": "Hi"}]}


def post(server: MockServer, path: str, body: bytes, content_type: str = "application/json") -> bytes:
    """One request on a raw socket; the whole answer, read to the end of its chunked body."""
    with socket.create_connection((server.host, server.port), timeout=TIMEOUT) as sock:
        head = (
            f"POST {server.base_url.split(str(server.port), 1)[1]}{path} HTTP/1.1\r\nHost: x\r\n"
            f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        )
        sock.sendall(head.encode() + body)
        data = b""
        while True:
            piece = sock.recv(65536)
            if not piece:
                return data
            data += piece


def dechunk(answer: bytes, status: int = 200) -> tuple[dict, bytes, list[bytes]]:
    """Headers, body and the chunks as sent, checked to be valid HTTP/1.1 chunked framing."""
    head, _, rest = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value for name, _, value in (line.partition(": ") for line in lines[1:])}
    assert lines[0].startswith(f"HTTP/1.1 {status} "), lines[0]
    chunks = []
    while True:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line, 16)
        if size == 0:
            assert rest == b"\r\n", rest
            return headers, b"".join(chunks), chunks
        chunks.append(rest[:size])
        assert rest[size : size + 2] == b"\r\n"
        rest = rest[size + 2 :]


def events_of(body: bytes) -> list[tuple[str | None, str]]:
    """(event name, data) per event, read by the SSE text format's plain rules."""
    out = []
    for block in body.decode("utf-8").split("\n\n"):
        if not block:
            continue
        name, data = None, []
        for line in block.split("\n"):
            field, _, value = line.partition(": ")
            if field == "event":
                name = value
            elif field == "data":
                data.append(value)
        out.append((name, "\n".join(data)))
    return out


def stream_pointer(spec, op_id: str) -> str:
    op = spec.operations[op_id]
    escaped = op.path.replace("~", "~0").replace("/", "~1")
    return f"/paths/{escaped}/{op.method}/responses/200/content/text~1event-stream/schema"


@pytest.fixture(scope="module")
def openai_mock(openai_spec):
    with MockServer(openai_spec) as server:
        yield server


@pytest.fixture(scope="module")
def runs_mock():
    with MockServer(load_spec(str(BUNDLED_SPEC))) as server:
        yield server


# -- chat completions: data-only chunks ---------------------------------------------------------


def test_chat_stream_is_a_role_delta_content_deltas_a_finish_chunk_and_done(openai_mock, openai_spec):
    answer = post(openai_mock, "/chat/completions", json.dumps({**CHAT, "stream": True}).encode())
    headers, body, chunks = dechunk(answer)
    assert headers["content-type"].startswith("text/event-stream")
    assert headers["transfer-encoding"] == "chunked" and "content-length" not in headers
    events = events_of(body)
    assert len(chunks) == len(events)  # one event per chunk, as a live stream sends them
    assert events[-1] == (None, "[DONE]")
    chunks_data = [json.loads(data) for name, data in events[:-1]]
    assert all(name is None for name, _ in events)
    validator = SpecValidator(openai_spec)
    for data in chunks_data:
        assert validator.errors(data, stream_pointer(openai_spec, "createChatCompletion")) == []
        assert data["object"] == "chat.completion.chunk" and data["model"] == "gpt-4o"  # echoed
    deltas = [data["choices"][0]["delta"] for data in chunks_data]
    assert deltas[0] == {"role": "assistant", "content": "", "refusal": None}
    assert "".join(d["content"] for d in deltas[1:-1]) == TEXT and len(deltas) > 3
    assert deltas[-1] == {}
    reasons = [data["choices"][0]["finish_reason"] for data in chunks_data]
    assert reasons[:-1] == [None] * (len(reasons) - 1) and reasons[-1] == "stop"


def test_a_request_without_stream_true_gets_json_as_before(openai_mock):
    answer = post(openai_mock, "/chat/completions", json.dumps({**CHAT, "stream": False}).encode())
    head, _, body = answer.partition(b"\r\n\r\n")
    assert b"Content-Type: application/json" in head and b"Transfer-Encoding" not in head
    assert json.loads(body)["object"] == "chat.completion"


def test_an_operation_that_declares_no_stream_answers_json_even_when_asked(openai_mock):
    # OpenAI's spec declares no event stream for runs: the mock follows the spec in use.
    answer = post(openai_mock, "/threads/t/runs", json.dumps({"assistant_id": "a", "stream": True}).encode())
    head, _, body = answer.partition(b"\r\n\r\n")
    assert b"application/json" in head and json.loads(body)["object"] == "thread.run"


# -- responses and runs: named events --------------------------------------------------------


def test_responses_stream_runs_from_created_through_text_deltas_to_completed(openai_mock, openai_spec):
    body = json.dumps({"model": "gpt-4o", "input": "Hi", "stream": True}).encode()
    _, raw, _ = dechunk(post(openai_mock, "/responses", body))
    events = events_of(raw)
    names = [name for name, _ in events]
    assert names[0] == "response.created" and names[-1] == "response.completed"
    assert "[DONE]" not in raw.decode()  # the spec says no such end for this stream
    validator = SpecValidator(openai_spec)
    datas = [json.loads(data) for _, data in events]
    for name, data in zip(names, datas):
        assert data["type"] == name
        assert validator.errors(data, stream_pointer(openai_spec, "createResponse")) == [], name
    assert [d["sequence_number"] for d in datas] == list(range(len(datas)))
    told = "".join(d["delta"] for n, d in zip(names, datas) if n == "response.output_text.delta")
    assert told == TEXT
    done = next(d for n, d in zip(names, datas) if n == "response.output_text.done")
    assert done["text"] == TEXT
    assert datas[0]["response"]["status"] != "completed" and datas[-1]["response"]["status"] == "completed"
    failures = ("failed", "incomplete", "cancelled", "error")
    assert not [n for n in names if n.rsplit(".", 1)[-1] in failures]


@pytest.mark.parametrize(
    ("op_id", "path", "first"),
    [
        ("createRun", "/threads/thread_abc/runs", "thread.run.created"),
        ("createThreadAndRun", "/threads/runs", "thread.created"),
        ("submitToolOuputsToRun", "/threads/t/runs/r/submit_tool_outputs", "thread.run.created"),
    ],
)
def test_run_streams_of_the_bundled_spec_go_from_created_to_completed_then_done(
    runs_mock, op_id, path, first
):
    spec = runs_mock.spec
    body = {"assistant_id": "asst_1", "stream": True}
    if op_id == "submitToolOuputsToRun":
        body = {"tool_outputs": [{"tool_call_id": "c", "output": "o"}], "stream": True}
    _, raw, _ = dechunk(post(runs_mock, path, json.dumps(body).encode()))
    events = events_of(raw)
    names = [name for name, _ in events]
    assert names[0] == first
    assert names[-3:] == ["thread.message.completed", "thread.run.completed", "done"]
    assert events[-1] == ("done", "[DONE]")  # the spec's done event: its data is not JSON
    validator = SpecValidator(spec)
    for name, data in events:
        envelope = {"event": name, "data": data if data == "[DONE]" else json.loads(data)}
        assert validator.errors(envelope, stream_pointer(spec, op_id)) == [], name
    runs = [json.loads(data) for name, data in events if name.startswith("thread.run.")]
    assert [run["status"] for run in runs] == ["queued", "queued", "in_progress", "completed"]
    deltas = [json.loads(data) for name, data in events if name == "thread.message.delta"]
    assert "".join(d["delta"]["content"][0]["text"]["value"] for d in deltas) == TEXT
    message = json.loads(next(data for name, data in events if name == "thread.message.completed"))
    assert message["role"] == "assistant" and message["content"][0]["text"]["value"] == TEXT


def test_a_spec_of_ones_own_streams_its_own_events(tmp_path):
    """Nothing names an operation: a made-up API with made-up events streams what it declares."""
    spec = {
        "openapi": "3.1.0",
        "info": {"title": "jobs", "version": "1"},
        "servers": [{"url": "http://localhost/api"}],
        "paths": {
            "/jobs": {
                "post": {
                    "operationId": "startJob",
                    "requestBody": {
                        "content": {
                            "application/json": {
                                "schema": {"type": "object", "properties": {"stream": {"type": "boolean"}}}
                            }
                        }
                    },
                    "responses": {
                        "201": {
                            "description": "the job, or its events",
                            "content": {
                                "text/event-stream": {"schema": {"$ref": "#/components/schemas/JobEvent"}}
                            },
                        }
                    },
                }
            }
        },
        "components": {
            "schemas": {
                "JobEvent": {
                    "anyOf": [
                        {"$ref": "#/components/schemas/Started"},
                        {"$ref": "#/components/schemas/Output"},
                        {"$ref": "#/components/schemas/Finished"},
                    ]
                },
                "Started": {
                    "type": "object",
                    "required": ["type", "job"],
                    "properties": {"type": {"const": "job.created"}, "job": {"type": "string"}},
                },
                "Output": {
                    "type": "object",
                    "required": ["type", "delta"],
                    "properties": {"type": {"const": "job.log.delta"}, "delta": {"type": "string"}},
                },
                "Finished": {
                    "type": "object",
                    "required": ["type"],
                    "properties": {"type": {"const": "job.completed"}},
                },
            }
        },
    }
    with MockServer(spec, stream_deltas=3) as server:
        _, raw, _ = dechunk(post(server, "/jobs", b'{"stream": true}'), status=201)  # the spec's success
    assert events_of(raw) == [
        ("job.created", '{"type":"job.created","job":"string"}'),
        ("job.log.delta", '{"type":"job.log.delta","delta":"Hello"}'),
        ("job.log.delta", '{"type":"job.log.delta","delta":"!"}'),
        ("job.log.delta", '{"type":"job.log.delta","delta":" How"}'),
        ("job.completed", '{"type":"job.completed"}'),
    ]


# -- what asks for a stream ------------------------------------------------------------------


def test_multipart_and_sse_format_requests_ask_for_a_stream(openai_mock):
    boundary = "XyZ"
    form = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="model"\r\n\r\nwhisper-1\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="stream"\r\n\r\ntrue\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.mp3"\r\n\r\nID3\r\n'
        f"--{boundary}--\r\n"
    ).encode()
    _, raw, _ = dechunk(
        post(openai_mock, "/audio/transcriptions", form, f"multipart/form-data; boundary={boundary}")
    )
    names = [name for name, _ in events_of(raw)]
    assert names[-1] == "transcript.text.done" and names.count("transcript.text.delta") > 1
    speech = json.dumps({"model": "gpt-4o-mini-tts", "input": "Hi", "voice": "alloy", "stream_format": "sse"})
    _, raw, _ = dechunk(post(openai_mock, "/audio/speech", speech.encode()))
    assert [name for name, _ in events_of(raw)][-1] == "speech.audio.done"


@pytest.mark.parametrize(
    ("content_type", "body", "asks"),
    [
        ("application/json", b'{"stream": true}', True),
        ("application/json; charset=utf-8", b'{"stream": false}', False),
        ("application/json", b'{"stream": "true"}', True),
        ("application/json", b'{"options": {"stream": true}}', False),  # only top-level fields
        ("application/json", b'{"stream_format": "sse"}', True),
        ("application/json", b"not json", False),
        ("application/json", b"[true]", False),
        ("application/x-www-form-urlencoded", b"a=1&stream=1", True),
        (
            "multipart/form-data; boundary=b",
            b'--b\r\nContent-Disposition: form-data; name="stream"\r\n\r\nfalse\r\n--b--',
            False,
        ),
        ("text/plain", b"stream=true", False),
    ],
)
def test_what_asks_for_a_stream(content_type, body, asks):
    assert asks_for_stream(content_type, body) is asks


def test_the_fields_that_ask_are_read_from_the_request_schema(openai_spec):
    ops = openai_spec.operations
    assert stream_fields(openai_spec, ops["createChatCompletion"]) == {"stream": True}
    assert stream_fields(openai_spec, ops["createSpeech"]) == {"stream_format": "sse"}
    declared = {op_id for op_id, op in ops.items() if event_stream(openai_spec, op) is not None}
    by_hand = set()
    for op_id, op in ops.items():  # the same question, read straight off the document
        for code, response in (op.definition.get("responses") or {}).items():
            response = openai_spec.resolve(response)
            if str(code).startswith("2") and "text/event-stream" in (response.get("content") or {}):
                by_hand.add(op_id)
    assert declared == by_hand and "createChatCompletion" in declared and len(declared) >= 6


# -- how many, how fast, how long ------------------------------------------------------------


def test_stream_deltas_sets_how_many_pieces_of_text_are_told(openai_spec):
    body = json.dumps({**CHAT, "stream": True}).encode()
    for count in (0, 3, 25):
        with MockServer(openai_spec, stream_deltas=count) as server:
            _, raw, _ = dechunk(post(server, "/chat/completions", body))
        datas = [json.loads(d) for _, d in events_of(raw)[:-1]]
        told = [d["choices"][0]["delta"].get("content") for d in datas[1:-1]]
        assert len(told) == count
        assert "".join(told) == (TEXT * 3)[: len("".join(told))]  # the text, again and again


def test_stream_delay_spaces_the_events_so_a_reader_sees_them_one_by_one(openai_spec):
    body = json.dumps({**CHAT, "stream": True}).encode()
    with MockServer(openai_spec, stream_delay=0.3, stream_deltas=1) as server:
        sock = socket.create_connection((server.host, server.port), timeout=TIMEOUT)
        with sock:
            sock.sendall(
                b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
            )
            first = b""
            while b"data: " not in first:
                first += sock.recv(65536)
            sock.settimeout(0.1)  # the next event is 0.3 s away: nothing more yet
            with pytest.raises(socket.timeout):
                sock.recv(65536)


def test_an_endless_stream_ends_when_the_server_stops(openai_spec):
    body = json.dumps({**CHAT, "stream": True}).encode()
    server = MockServer(openai_spec, stream_delay=0.01, stream_deltas=math.inf).start()
    received = []
    sock = socket.create_connection((server.host, server.port), timeout=TIMEOUT)
    sock.sendall(
        b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
    )

    def read() -> None:
        while True:
            try:
                piece = sock.recv(65536)
            except OSError:
                return
            if not piece:
                return
            received.append(piece)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    deadline = time.monotonic() + TIMEOUT
    while b"".join(received).count(b"data: ") < 20 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert b"".join(received).count(b"data: ") >= 20
    assert server.requests[0].reply.body == b""  # an endless stream is not kept in the record
    server.stop()
    reader.join(TIMEOUT)
    sock.close()
    assert not reader.is_alive()
    assert not b"".join(received).endswith(b"0\r\n\r\n")  # cut off, never ended as complete


def test_a_finished_stream_is_kept_in_the_record(openai_mock):
    openai_mock.clear()
    _, raw, _ = dechunk(post(openai_mock, "/chat/completions", json.dumps({**CHAT, "stream": True}).encode()))
    (captured,) = openai_mock.wait_for(1)
    assert captured.reply is not None and captured.reply.body == raw


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--stream-delay", "-1"], "--stream-delay"),
        (["--stream-delay", "nan"], "--stream-delay"),
        (["--stream-deltas", "1.5"], "--stream-deltas"),
        (["--stream-deltas", "-2"], "--stream-deltas"),
    ],
)
def test_the_mock_command_refuses_bad_stream_settings(args, message, capsys):
    assert cli_main(["mock", *args, "--lifetime", "0.1"]) == 2
    assert message in capsys.readouterr().err


def test_the_mock_server_refuses_bad_stream_settings(openai_spec):
    with pytest.raises(ValueError, match="stream_delay"):
        MockServer(openai_spec, stream_delay=-0.5)
    with pytest.raises(ValueError, match="stream_deltas"):
        MockServer(openai_spec, stream_deltas=float("nan"))
