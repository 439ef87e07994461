"""perl_compat.comparison: one call through both clients, and the ``compare`` command."""

from __future__ import annotations

import subprocess

import pytest

import openapi_client_openai.openai as openai_module
from openapi_client_openai.mock import MockServer
from perl_compat.comparison import Comparison, compare, main_compare, perl_call, python_call

from .conftest import BUNDLED_SPEC, TEST_KEY, require

RUN = {"thread_id": "thread_abc", "run_id": "run_abc"}


@pytest.fixture(autouse=True)
def perl_ready(perl_env: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("JSON_VALIDATOR_CACHE_PATH", "MOJO_REACTOR"):
        monkeypatch.setenv(name, perl_env[name])
    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)


def same(comparison: Comparison) -> Comparison:
    assert comparison.same, comparison.report()
    return comparison


def test_get_run_is_identical() -> None:
    comparison = same(compare("getRun", RUN, spec=BUNDLED_SPEC, mode="subprocess"))
    assert comparison.perl.outcome == comparison.python.outcome == "sent"
    (wire,) = comparison.perl.requests()
    assert (wire.method, wire.path) == ("GET", "/v1/threads/thread_abc/runs/run_abc")
    assert ("authorization", f"Bearer {TEST_KEY}") in wire.headers
    assert comparison.perl.tx.res.code == comparison.python.tx.res.code == 200


def test_get_run_without_run_id_gives_the_same_local_400() -> None:
    comparison = same(compare("getRun", {"thread_id": "t"}, spec=BUNDLED_SPEC, mode="subprocess"))
    assert comparison.perl.outcome == "local-400"
    assert comparison.perl.errors() == [{"message": "Missing property.", "path": "/run_id"}]
    assert comparison.perl.requests() == comparison.python.requests() == []


def test_modify_run_is_identical() -> None:
    params = {**RUN, "body": {"metadata": {"user": "u/1", "n\u00e4me": "\u00fc"}}}
    comparison = same(compare("modifyRun", params, spec=BUNDLED_SPEC, assistants=True, mode="subprocess"))
    (wire,) = comparison.python.requests()
    assert ("openai-beta", "assistants=v2") in wire.headers
    assert wire.body == '{"metadata":{"n\u00e4me":"\u00fc","user":"u\\/1"}}'.encode()


def test_modify_run_with_a_bad_body_gives_the_same_errors() -> None:
    params = {**RUN, "body": {"metadata": "not an object", "bogus": 1}}
    comparison = same(compare("modifyRun", params, spec=BUNDLED_SPEC, mode="subprocess"))
    assert comparison.perl.outcome == "local-400"
    assert len(comparison.perl.errors()) >= 1


def test_against_a_base_url_the_reported_requests_are_compared() -> None:
    with MockServer(BUNDLED_SPEC) as server:
        comparison = same(
            compare("getRun", RUN, spec=BUNDLED_SPEC, base_url=server.base_url, mode="subprocess")
        )
    assert comparison.perl.wire is None  # nothing of ours captured: compared from tx.req
    assert comparison.perl.requests()[0].path == "/v1/threads/thread_abc/runs/run_abc"


def test_a_deliberately_different_call_says_different(monkeypatch: pytest.MonkeyPatch) -> None:
    original = openai_module._add_openai_headers

    def with_extra_header(client, tx) -> None:
        original(client, tx)
        tx.req.headers.add("X-Deliberate", "difference")

    monkeypatch.setattr(openai_module, "_add_openai_headers", with_extra_header)
    comparison = compare("getRun", RUN, spec=BUNDLED_SPEC, mode="subprocess")
    assert not comparison.same
    assert [d.field for d in comparison.differences] == ["headers"]
    assert "x-deliberate: difference" in comparison.diff()
    assert "verdict: different" in comparison.report()


def test_both_bridges_agree() -> None:
    from perl_compat.interpreter import available

    status = available()
    require(bool(status), f"libperl cannot be embedded here: {status.reason}")
    for params in (RUN, {"thread_id": "t"}, {**RUN, "body": {"metadata": {"k": "v"}}}):
        op = "modifyRun" if "body" in params else "getRun"
        inside = compare(op, params, spec=BUNDLED_SPEC, mode="embedded")
        outside = compare(op, params, spec=BUNDLED_SPEC, mode="subprocess")
        assert inside.same and outside.same
        assert inside.perl.requests() == outside.perl.requests()
        assert inside.perl.errors() == outside.perl.errors()


def test_call_syntax_shown_for_both_languages_compiles(perl_env: dict) -> None:
    calls = [
        ("modifyRun", {**RUN, "body": {"metadata": {"k": True, "n": None, "q": "it's"}}}, {}),
        ("admin-api-keys-list", {"limit": 5}, {}),
        ("createFile", {}, {"file_upload": {"file": "/tmp/x.jsonl", "purpose": "fine-tune"}}),
        ("getRun", RUN, {}),
    ]
    for op, params, content in calls:
        perl, python = perl_call(op, params, content), python_call(op, params, content)
        checked = subprocess.run(
            ["perl", "-c", "-e", f"use strict; use Mojo::JSON; my $client; {perl}"],
            capture_output=True,
            text=True,
            timeout=60,
            env=perl_env,
        )
        assert checked.returncode == 0, (perl, checked.stderr)
        compile(python, "<python_call>", "eval")
        assert ("call(" in python) == (not op.isidentifier()) and ("call(" in perl) == (not op.isidentifier())
        for value in ("thread_abc", "it\\'s", "fine-tune"):
            if value.replace("\\", "") in repr((params, content)):
                assert value in perl


# -- the command ------------------------------------------------------------------------------


def test_command_identical_exits_0(capsys: pytest.CaptureFixture) -> None:
    status = main_compare(["getRun", "thread_id=thread_abc", "run_id=run_abc", "--spec", str(BUNDLED_SPEC)])
    out = capsys.readouterr().out
    assert status == 0, out
    assert "$client->getRun({thread_id => 'thread_abc', run_id => 'run_abc'});" in out
    assert "client.getRun(thread_id='thread_abc', run_id='run_abc')" in out
    assert "sent: GET /v1/threads/thread_abc/runs/run_abc" in out
    assert out.rstrip().endswith("verdict: identical")


def test_command_body_and_typed_params(capsys: pytest.CaptureFixture) -> None:
    argv = [
        "modifyRun",
        "thread_id=t",
        "run_id=r",
        "--body",
        '{"metadata": {"a": "b"}}',
        "--spec",
        str(BUNDLED_SPEC),
    ]
    assert main_compare(argv) == 0, capsys.readouterr().out
    assert main_compare(["listRuns", "thread_id=t", "limit:=5", "--spec", str(BUNDLED_SPEC)]) == 0


def test_command_different_exits_1(capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    original = openai_module._add_openai_headers
    monkeypatch.setattr(
        openai_module, "_add_openai_headers", lambda c, tx: (original(c, tx), tx.req.headers.add("X-D", "1"))
    )
    assert main_compare(["getRun", "thread_id=t", "run_id=r", "--spec", str(BUNDLED_SPEC)]) == 1
    assert "verdict: different (1)" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        ([], "the following arguments are required: operation"),
        (["getRun", "thread_id"], "expected key=value or key:=json, got 'thread_id'"),
        (["getRun", "limit:=[1,"], "limit: not valid JSON"),
        (["modifyRun", "--body", "{nope"], "--body: not valid JSON"),
        (["getRun", "--mock", "--base-url", "http://127.0.0.1:9"], "not allowed with argument"),
        (["getRun", "--spec", "/no/such/spec.yaml"], "/no/such/spec.yaml"),
    ],
)
def test_command_usage_errors_exit_2_with_one_line(
    argv: list, says: str, capsys: pytest.CaptureFixture
) -> None:
    assert main_compare(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert len(captured.err.strip().splitlines()) == 1, captured.err
    assert says in captured.err
    assert "Traceback" not in captured.err


def test_a_header_difference_never_shows_the_key() -> None:
    from openapi_client_openai.message import Request, Response
    from openapi_client_openai.mock import CapturedRequest
    from openapi_client_openai.transaction import Transaction
    from perl_compat.comparison import Side, diff_sides

    def side(key: str) -> Side:
        headers = (("Authorization", f"Bearer {key}"), ("X-Extra", key[-4:]))
        captured = CapturedRequest("GET", "/v1/x", "/v1/x", "", headers, b"", "HTTP/1.1")
        return Side.of(Transaction(Request("GET", "http://x/v1/x"), Response(200, "OK")), [captured])

    differences = diff_sides(side("sk-secret-one-aaaa"), side("sk-secret-two-bbbb"))
    shown = "\n".join(str(d) for d in differences)
    assert differences and "headers" in shown
    assert "sk-secret" not in shown and "Bearer ***" in shown


# -- streamed calls ------------------------------------------------------------------------------

STREAMED_CHAT = {"model": "gpt-4o", "messages": [{"role": "user", "content": "Hi"}], "stream": True}


@pytest.mark.parametrize("mode", ["subprocess", "embedded"])
def test_a_streamed_chat_completion_gives_both_the_same_bytes_and_events(openai_spec_path, mode: str) -> None:
    if mode == "embedded":
        from perl_compat.interpreter import available

        status = available()
        require(bool(status), f"libperl cannot be embedded here: {status.reason}")
    comparison = same(
        compare("createChatCompletion", {"body": STREAMED_CHAT}, spec=openai_spec_path, mode=mode)
    )
    perl, python = comparison.perl.streamed, comparison.python.streamed
    assert perl is not None and python is not None  # streamed by default: the body asks for it
    assert perl.body == python.body and len(perl.body) > 1000
    assert perl.events == python.events and len(perl.events) == 11 and perl.done and python.done
    assert comparison.perl.tx.res.body == b""  # Perl buffered nothing: its read handler had it all
    assert "streamed: " in comparison.report() and "then [DONE]" in comparison.report()


def test_a_streamed_run_of_the_bundled_spec_is_identical() -> None:
    params = {"thread_id": "thread_1", "body": {"assistant_id": "asst_1", "stream": True}}
    comparison = same(compare("createRun", params, spec=BUNDLED_SPEC, assistants=True, mode="subprocess"))
    names = [kind for kind, _, _ in comparison.python.streamed.events]
    assert names[0] == "thread.run.created" and names[-1] == "thread.run.completed"
    assert comparison.perl.streamed.done


def test_stream_can_be_switched_off_and_then_the_bodies_are_compared_as_usual(openai_spec_path) -> None:
    comparison = same(
        compare(
            "createChatCompletion",
            {"body": STREAMED_CHAT},
            spec=openai_spec_path,
            mode="subprocess",
            stream=False,
        )
    )
    assert comparison.perl.streamed is None and comparison.python.streamed is None
    assert comparison.perl.tx.res.body.startswith(b"data: ")  # buffered, as any body


def test_invalid_streamed_input_sends_nothing_on_either_side(openai_spec_path) -> None:
    comparison = same(
        compare(
            "createChatCompletion",
            {"body": {"stream": True}},
            spec=openai_spec_path,
            mode="subprocess",
            stream=True,
        )
    )
    assert comparison.perl.outcome == comparison.python.outcome == "local-400"


def test_a_difference_in_the_streamed_events_is_reported() -> None:
    from openapi_client_openai.message import Request, Response
    from openapi_client_openai.streaming import Event
    from openapi_client_openai.transaction import Transaction
    from perl_compat.comparison import Side, Streamed, diff_sides

    def side(events: list, done: bool) -> Side:
        tx = Transaction(Request("POST", "http://x/v1/x"), Response(200, "OK"))
        body = "".join(f"event: {e.type}\ndata: {e.data}\n\n" for e in events).encode()
        return Side.of(tx, [], streamed=Streamed.of(body, events, done))

    one = [Event(data="a"), Event(data="b")]
    two = [Event(data="a"), Event("other", "b")]
    fields = [d.field for d in diff_sides(side(one, True), side(two, True))]
    assert fields == ["stream.body", "stream.events[1]"]
    fields = [d.field for d in diff_sides(side(one, True), side(one[:1], False))]
    assert fields == ["stream.body", "stream.events[1] (Perl has 2, Python 1)", "stream.done"]
    assert diff_sides(side(one, True), side(list(one), True)) == []


def test_command_streams_when_the_body_asks(capsys: pytest.CaptureFixture, openai_spec_path) -> None:
    argv = [
        "createChatCompletion",
        "--body",
        '{"model": "gpt-4o", "messages": [{"role": "user", "content": "Hi"}], "stream": true}',
    ]
    assert main_compare([*argv, "--spec", str(openai_spec_path)]) == 0, capsys.readouterr().out
    out = capsys.readouterr().out
    assert out.count("streamed: ") == 2 and "verdict: identical" in out
    assert main_compare([*argv, "--spec", str(openai_spec_path), "--no-stream"]) == 0
    assert "streamed: " not in capsys.readouterr().out
