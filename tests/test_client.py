"""The client's public API, over real HTTP to the capturing mock server on 127.0.0.1."""

from __future__ import annotations

import json
import re
import socket
import threading

import pytest
import requests

import OpenAPI.Client
import OpenAPI.Client.OpenAI
from openapi_client_openai import (
    Client,
    IOLoop,
    MissingAPIKey,
    NoSuchOperation,
    OpenAI,
    Promise,
    Transaction,
    UserAgent,
)
from openapi_client_openai.mock import MockServer
from openapi_client_openai.operations import snake_case

from .conftest import BUNDLED_SPEC, TEST_KEY


@pytest.fixture
def mock():
    with MockServer(BUNDLED_SPEC) as server:
        yield server


@pytest.fixture
def client(api_key: str, mock: MockServer) -> OpenAI:
    return OpenAI(BUNDLED_SPEC, base_url=mock.base_url)


def only_request(mock: MockServer):
    (captured,) = mock.wait_for(1)
    return captured


def header(captured, name: str) -> list[str]:
    return [v for k, v in captured.headers if k.lower() == name.lower()]


def test_imports_by_perl_name(api_key: str, mock: MockServer) -> None:
    client = OpenAPI.Client.OpenAI.new(str(BUNDLED_SPEC), base_url=mock.base_url)
    assert isinstance(client, OpenAI)
    plain = OpenAPI.Client.new(str(BUNDLED_SPEC), {"base_url": mock.base_url})
    assert isinstance(plain, Client) and not isinstance(plain, OpenAI)
    tx = client.getRun(thread_id="thread_abc123", run_id="run_abc123")
    assert isinstance(tx, Transaction) and tx.res.code == 200
    assert tx.res.json("/object") == "thread.run"


def test_the_run_from_the_mock_is_the_spec_example(client: OpenAI, mock: MockServer) -> None:
    tx = client.getRun(thread_id="thread_abc123", run_id="run_abc123")
    # The bundled spec's own examples for these fields:
    assert tx.res.json("/id") == "run_abc123" and tx.res.json("/thread_id") == "thread_abc123"
    assert tx.res.json("/object") == "thread.run" and tx.res.json("/created_at") == 1699075072
    captured = only_request(mock)
    assert (captured.method, captured.target) == ("GET", "/v1/threads/thread_abc123/runs/run_abc123")


def test_key_and_beta_header_are_added_when_the_request_starts(api_key: str, mock: MockServer) -> None:
    client = OpenAI(BUNDLED_SPEC, base_url=mock.base_url, assistants=True)
    client.on("after_build_tx", lambda c, tx: tx.req.headers.set("Authorization", "Bearer mine"))
    tx = client.getRun(thread_id="t", run_id="r")
    captured = only_request(mock)
    assert header(captured, "Authorization") == [f"Bearer {TEST_KEY}"]  # Perl's start hook wins
    assert header(captured, "OpenAI-Beta") == ["assistants=v2"]
    assert tx.req.headers["Authorization"] == f"Bearer {TEST_KEY}"  # as Perl's $tx->req->headers


def test_missing_key_is_perls_croak_before_the_spec_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(MissingAPIKey, match=r"^OPENAI_API_KEY environment variable must be set$"):
        OpenAI("/no/such/spec.yaml")


def test_every_operation_has_its_method_alias_and_promise_form(api_key: str, openai_spec) -> None:
    client = OpenAI(openai_spec)
    for op_id, operation in openai_spec.operations.items():
        for name in (op_id, f"{op_id}_p", snake_case(op_id), f"{snake_case(op_id)}_p"):
            method = getattr(client, name)
            assert callable(method), name
        assert operation.snake_name == snake_case(op_id)
    assert "admin-api-keys-create" in dir(client)
    assert client.admin_api_keys_create.__name__ == "admin_api_keys_create"


def test_call_and_call_p_for_unknown_names(client: OpenAI) -> None:
    with pytest.raises(NoSuchOperation, match=r"^\[OpenAPI::Client\] No such operationId$"):
        client.call("noSuchThing", {})
    promise = client.call_p("noSuchThing", {})
    with pytest.raises(NoSuchOperation) as caught:
        promise.wait(5)
    assert caught.value == "[OpenAPI::Client] No such operationId"


def test_both_argument_forms_send_the_same_request(client: OpenAI, mock: MockServer) -> None:
    body = {"metadata": {"user": "u/1 é"}}
    client.modifyRun({"thread_id": "t 1", "run_id": "r", "body": body})
    client.modifyRun(thread_id="t 1", run_id="r", body=body)
    client.call("modifyRun", {"thread_id": "t 1", "run_id": "r"}, json=body)
    client.modify_run(thread_id="t 1", run_id="r", json=body)  # json is content: not a parameter
    first, *rest = mock.wait_for(4)
    for other in rest:
        assert (other.method, other.target, other.body) == (first.method, first.target, first.body)
    assert first.target == "/v1/threads/t%201/runs/r"
    assert json.loads(first.body) == body
    assert b"u\\/1" in first.body  # Mojo::JSON writes "/" as "\/"


def test_invalid_input_is_an_unsent_400_with_perls_shape(client: OpenAI, mock: MockServer) -> None:
    seen = []
    client.on("after_build_tx", lambda c, tx: seen.append(tx.req.env["operationId"]))
    tx = client.modifyRun(thread_id="t", run_id="r", body={"metadata": {}, "bogus": 1})
    assert (tx.res.code, tx.res.message) == (400, "Bad Request")
    assert tx.error == {"message": "Invalid input", "code": 400}
    assert tx.res.headers["Content-Type"] == "application/json"
    assert tx.res.json() == {"errors": [{"message": "Properties not allowed: bogus.", "path": "/body"}]}
    assert tx.res.body.startswith(b'{"errors":[{"message":') and b"\\/body" in tx.res.body
    assert tx.result is tx.res  # a code, so no exception
    assert seen == ["modifyRun"]
    assert mock.requests == []


def test_callback_form_returns_the_client_and_calls_back_when_the_loop_runs(client: OpenAI) -> None:
    r"""Perl: ``$client->getRun(\%p, sub {...}); Mojo::IOLoop->start``: the callback runs in the loop."""
    got = []

    def callback(c, tx):
        got.append((c, tx, threading.get_ident()))

    assert client.getRun({"thread_id": "t", "run_id": "r"}, callback) is client
    assert client.getRun({"thread_id": "t"}, callback) is client  # invalid input calls back too
    assert got == []  # nothing runs until the loop does, as in Perl
    IOLoop.start()  # returns once nothing is left in flight
    assert len(got) == 2
    by_code = {tx.res.code: (c, tx, thread) for c, tx, thread in got}
    assert by_code[200][0] is client and by_code[200][2] == threading.get_ident()
    assert by_code[400][1].res.json("/errors/0") == {"message": "Missing property.", "path": "/run_id"}


def test_promises_resolve_for_every_status_and_reject_without_response(client: OpenAI) -> None:
    assert isinstance(client.getRun_p(thread_id="t", run_id="r"), Promise)
    assert client.getRun_p(thread_id="t", run_id="r").wait(10).res.code == 200
    assert client.getRun_p(thread_id="t").wait(10).res.code == 400
    client.base_url.path = "/nowhere"
    assert client.getRun_p(thread_id="t", run_id="r").wait(10).res.code == 404
    client.base_url = f"http://127.0.0.1:{closed_port()}/v1"
    rejected = client.get_run_p(thread_id="t", run_id="r").catch(lambda reason: reason)
    assert rejected.wait(10) == "Connection refused"


def test_base_url_default_mutable_and_string(api_key: str, mock: MockServer) -> None:
    client = OpenAI(BUNDLED_SPEC)
    assert str(client.base_url) == "https://api.openai.com/v1"
    client.base_url.scheme, client.base_url.host, client.base_url.port = "http", "127.0.0.1", mock.port
    assert client.getRun(thread_id="t", run_id="r").res.code == 200
    client.base_url = mock.base_url + "/"
    client.getRun(thread_id="t", run_id="r")
    assert mock.requests[-1].target == "/v1/threads/t/runs/r/"  # Mojo keeps the trailing slash


def test_ua_is_a_user_agent_and_a_callers_session_is_used(api_key: str, mock: MockServer) -> None:
    used = []

    class Recording(requests.Session):
        def send(self, request, **kwargs):
            used.append(kwargs["timeout"])
            return super().send(request, **kwargs)

    session = Recording()
    client = OpenAI(BUNDLED_SPEC, base_url=mock.base_url, ua=session, connect_timeout=3, inactivity_timeout=7)
    assert isinstance(client.ua, UserAgent) and client.ua.session is session
    client.getRun(thread_id="t", run_id="r")
    assert used == [(3, 7)]
    fresh = OpenAI(BUNDLED_SPEC)
    assert (fresh.ua.connect_timeout, fresh.ua.inactivity_timeout, fresh.ua.request_timeout) == (10, 40, 0)
    assert (fresh.connect_timeout, fresh.inactivity_timeout) == (10, 40)  # the older aliases


def test_file_upload_is_multipart_like_perls_module(api_key: str, openai_spec, tmp_path) -> None:
    upload = tmp_path / "train data.jsonl"
    upload.write_bytes(b'{"x": 1}\n')
    with MockServer(openai_spec) as server:
        client = OpenAI(openai_spec, base_url=server.base_url)
        tx = client.createFile({}, file_upload={"file": str(upload), "purpose": "fine-tune"})
        assert tx.error is None, tx.res.body
        captured = only_request(server)
    content_type = header(captured, "Content-Type")[0]
    assert content_type.startswith("multipart/form-data; boundary=")
    boundary = content_type.split("boundary=")[1]
    disposition = 'Content-Disposition: form-data; name="file"; filename="train data.jsonl"'
    expected = (
        f'--{boundary}\r\n{disposition}\r\n\r\n{{"x": 1}}\n\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nfine-tune\r\n'
        f"--{boundary}--\r\n"
    )
    assert captured.body == expected.encode()


def test_every_operation_valid_minimal_call_is_sent_invalid_is_not(
    api_key: str, openai_spec, tmp_path
) -> None:
    from openapi_client_openai.examples import request_example

    upload = tmp_path / "upload.bin"
    upload.write_bytes(b"data")
    unreachable: list[str] = []
    with MockServer(openai_spec) as server:
        client = OpenAI(openai_spec, base_url=server.base_url)
        for op_id, operation in openai_spec.operations.items():
            params, content = minimal_params(operation), {}
            body = request_example(openai_spec, operation)
            multipart = operation.request_body and "multipart/form-data" in operation.request_body["content"]
            if body is not None and not multipart:
                params["body"] = body
            elif multipart:
                content["file_upload"] = {**body, "file": str(upload)} if "file" in body else body
            server.clear()
            tx = client.call(op_id, params, **content)
            if not tx.is_sent:  # JSON::Validator cannot pass a discriminator without a mapping
                messages = {e["message"] for e in tx.res.json("/errors")}
                assert all("No definition for discriminator" in m for m in messages), (op_id, messages)
                unreachable.append(op_id)
                continue
            (captured,) = server.wait_for(1)
            assert captured.method == operation.method.upper(), op_id
            expected = "/v1" + "/".join(
                "x" if part.startswith("{") else part for part in operation.path.split("/")
            )
            assert captured.path == expected, op_id
            required = [p["name"] for p in operation.parameters if p.get("required")]
            if required or (operation.request_body or {}).get("required"):
                server.clear()
                missing = {k: v for k, v in params.items() if k not in required[:1]}
                if not required:
                    missing.pop("body", None)
                    content = {}
                tx = client.call(op_id, missing, **content)
                assert not tx.is_sent and tx.res.code == 400, op_id
                assert server.requests == [], op_id
    print(f"operations whose body JSON::Validator cannot accept: {unreachable}")
    assert len(unreachable) <= 2


def minimal_params(operation) -> dict:
    from openapi_client_openai.examples import build_example

    # Every placeholder of the template: some operations use one they do not declare.
    params = {name: "x" for name in re.findall(r"\{([-\w]+)\}", operation.path)}
    for param in operation.parameters:
        if param.get("in") == "path":
            params[param["name"]] = "x"
        elif param.get("required"):
            params[param["name"]] = build_example(operation.spec, param.get("schema", {}))
    return params


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_sessions_own_send_and_the_direct_pool_put_the_same_bytes_on_the_wire(
    api_key: str, mock: MockServer
) -> None:
    from requests.adapters import HTTPAdapter

    class Mounted(HTTPAdapter):  # any adapter of the caller's takes requests' own way out
        pass

    direct = OpenAI(BUNDLED_SPEC, base_url=mock.base_url)
    session = requests.Session()
    session.mount("http://", Mounted())
    through_session = OpenAI(BUNDLED_SPEC, base_url=mock.base_url, ua=session)
    body = {"metadata": {"user": "u/1 é"}}
    for client in (direct, through_session):
        tx = client.modifyRun(thread_id="t 1", run_id="r", body=body)
        assert tx.res.code == 200 and tx.res.json("/object") == "thread.run"
    first, second = mock.wait_for(2)
    assert (first.method, first.target, first.body) == (second.method, second.target, second.body)
    assert sorted(first.headers) == sorted(second.headers)


def test_cookies_come_back_as_mojos_cookie_jar_sends_them(api_key: str) -> None:
    from .test_faults import raw_server, read_request

    seen: list[bytes] = []

    def handle(conn) -> None:
        while True:
            request = read_request(conn)
            if not request:
                return
            seen.append(request)
            body = b'{"id":"run_1"}'
            conn.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nSet-Cookie: visit=1; Path=/\r\n"
                + f"Content-Length: {len(body)}\r\n\r\n".encode()
                + body
            )

    with raw_server(handle) as port:
        client = OpenAI(BUNDLED_SPEC, base_url=f"http://127.0.0.1:{port}/v1")
        client.getRun(thread_id="t", run_id="r")
        client.getRun(thread_id="t", run_id="r")
    assert b"cookie:" not in seen[0].lower()
    assert b"\r\nCookie: visit=1\r\n" in seen[1]


def test_an_operation_named_like_a_client_method_is_reached_through_call(
    api_key: str, mock: MockServer
) -> None:
    spec = {
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "paths": {"/go": {"get": {"operationId": "start", "responses": {"200": {"description": "ok"}}}}},
    }
    client = OpenAI(spec, base_url=mock.base_url)
    assert client.start.__func__ is Client.start  # the client's own method stays
    tx = client.call("start", {})
    assert tx.req.url == f"{mock.base_url}/go" and tx.req.env["operationId"] == "start"
