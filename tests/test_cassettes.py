"""Cassettes: record a program's session as JSON Lines, replay it to another (perl_compat.cassettes)."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from openapi_client_openai.mock import CapturedRequest, MockServer
from perl_compat import replay
from perl_compat.cassettes import (
    Cassette,
    CassetteError,
    Exchange,
    Message,
    Replayer,
    ReplayMismatch,
    record,
    replay_run,
)

from .conftest import BUNDLED_SPEC, REPO, TEST_KEY

EXAMPLES = REPO / "examples"
RUN_LOOP = ["asst_abc123", "What is 6 x 7?"]
CLI_TIMEOUT = 300


@pytest.fixture
def program_env(perl_env: dict, openai_spec_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict:
    for name in ("JSON_VALIDATOR_CACHE_PATH", "MOJO_REACTOR"):
        monkeypatch.setenv(name, perl_env[name])
    monkeypatch.setenv("POLL_SECONDS", "0")
    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
    monkeypatch.delenv("OPENAI_OPENAPI_SPEC", raising=False)
    return dict(os.environ)


@pytest.fixture
def perl_session(tmp_path: Path, program_env: dict, openai_spec_path: Path) -> Path:
    """The Perl assistants example's session, recorded against the mock."""
    out = tmp_path / "session.jsonl"
    result = record(
        out, ["perl", str(EXAMPLES / "assistants_run.pl"), *RUN_LOOP], spec=openai_spec_path, timeout=60
    )
    assert result.run.exit_status == 0, result.run.stderr
    return out


def cli(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "openapi_client_openai", *args],
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT,
        env=env,
        cwd=REPO,
    )


# -- recording ------------------------------------------------------------------------------


def test_a_recorded_session_is_json_lines_in_order_without_the_key(perl_session: Path) -> None:
    text = perl_session.read_text(encoding="utf-8")
    assert TEST_KEY not in text
    lines = text.splitlines()
    assert json.loads(lines[0]) == {
        "base_path": "/v1",
        "cassette": "openapi-client-openai",
        "upstream": None,
        "version": 1,
    }
    exchanges = [json.loads(line) for line in lines[1:]]
    assert [(e["request"]["method"], e["request"]["target"]) for e in exchanges] == [
        ("POST", "/v1/threads"),
        ("POST", "/v1/threads/thread_abc123/runs"),
        ("GET", "/v1/threads/thread_abc123/runs/run_abc123"),
        ("GET", "/v1/threads/thread_abc123/messages?limit=20&order=asc"),
    ]
    first = exchanges[0]
    assert ["Authorization", "Bearer ***"] in first["request"]["headers"]
    assert ["OpenAI-Beta", "assistants=v2"] in first["request"]["headers"]
    assert not any(name.lower() == "host" for name, _ in first["request"]["headers"])  # varies by run
    assert json.loads(first["request"]["body"]) == {
        "messages": [{"content": "What is 6 x 7?", "role": "user"}]
    }
    assert first["response"]["status"] == 200
    assert json.loads(first["response"]["body"])["object"] == "thread"
    assert ["X-Mock-Operation-Id", "createThread"] in first["response"]["headers"]


def test_recording_the_same_program_twice_gives_the_same_bytes(
    perl_session: Path, tmp_path: Path, openai_spec_path: Path, program_env: dict
) -> None:
    again = tmp_path / "again.jsonl"
    record(again, ["perl", str(EXAMPLES / "assistants_run.pl"), *RUN_LOOP], spec=openai_spec_path, timeout=60)
    assert again.read_bytes() == perl_session.read_bytes()


def test_record_through_a_forwarder_passes_the_key_upstream_and_writes_none(
    tmp_path: Path, program_env: dict, openai_spec_path: Path
) -> None:
    out = tmp_path / "upstream.jsonl"
    with MockServer(openai_spec_path) as upstream:  # the "real API", on 127.0.0.1
        result = record(
            out,
            [sys.executable, str(EXAMPLES / "files.py"), str(EXAMPLES / "data" / "notes.txt")],
            spec=openai_spec_path,
            upstream=upstream.base_url,
            timeout=60,
        )
        received = upstream.wait_for(3)
    assert result.run.exit_status == 0, result.run.stderr
    assert [r.header("Authorization") for r in received] == [f"Bearer {TEST_KEY}"] * 3
    assert {r.header("Host") for r in received} == {f"127.0.0.1:{upstream.port}"}
    assert {r.header("Accept-Encoding") for r in received} == {"identity"}
    text = out.read_text(encoding="utf-8")
    assert TEST_KEY not in text and text.count("Bearer ***") == 3
    cassette = Cassette.read(out)
    assert cassette.upstream == upstream.base_url
    assert [e.request.target for e in cassette.exchanges] == [
        "/v1/files",
        "/v1/files?purpose=assistants&limit=100&order=desc",
        "/v1/files/string",
    ]
    assert b'name="file"; filename="notes.txt"' in cassette.exchanges[0].request.body


def test_an_upstream_that_does_not_answer_is_a_502_said_plainly(tmp_path: Path, program_env: dict) -> None:
    import socket

    with socket.socket() as holder:  # a port nothing listens on
        holder.bind(("127.0.0.1", 0))
        port = holder.getsockname()[1]
    out = tmp_path / "down.jsonl"
    script = (
        "from openapi_client_openai import OpenAI\n"
        "tx = OpenAI().getRun(thread_id='t', run_id='r')\n"
        "print(tx.res.code, tx.res.json('/error/message'))"
    )
    result = record(out, [sys.executable, "-c", script], upstream=f"http://127.0.0.1:{port}/v1", timeout=60)
    assert result.run.stdout.startswith(f"502 record: http://127.0.0.1:{port}/v1 did not answer:")
    (exchange,) = Cassette.read(out).exchanges
    assert exchange.response.status == 502


def test_the_record_command_reports_and_returns_the_programs_status(
    tmp_path: Path, program_env: dict, openai_spec_path: Path
) -> None:
    out = tmp_path / "cli.jsonl"
    done = cli(
        "record", "--out", str(out), "--spec", str(openai_spec_path), "--",
        "perl", str(EXAMPLES / "error_handling.pl"),
        env=program_env,
    )  # fmt: skip
    assert done.returncode == 1  # the program's own status: it reports four failures
    assert "4 call(s) failed" in done.stdout  # its output passes through
    assert done.stderr.strip().splitlines()[-1] == (
        f"record: 2 exchanges written to {out}; the program's exit status: 1"
    )
    assert len(Cassette.read(out).exchanges) == 2  # local 400s and dies send nothing


# -- replaying ------------------------------------------------------------------------------


def test_the_perl_session_replays_against_the_python_port(
    perl_session: Path, program_env: dict, openai_spec_path: Path
) -> None:
    command = [sys.executable, str(EXAMPLES / "assistants_run.py"), *RUN_LOOP]
    result = replay_run(perl_session, command, spec=openai_spec_path)
    assert result.same, result.report()
    assert result.run.stdout.splitlines()[:2] == ["thread thread_abc123", "run run_abc123: queued"]
    assert [p.verdict for p in result.calls] == ["identical"] * 4


def test_the_replay_command_names_the_call_a_broken_port_changes(
    perl_session: Path, openai_spec_path: Path, program_env: dict
) -> None:
    done = cli(
        "replay", str(perl_session), "--spec", str(openai_spec_path), "--",
        sys.executable, str(EXAMPLES / "assistants_run.py"), "asst_other", RUN_LOOP[1],
        env=program_env,
    )  # fmt: skip
    assert done.returncode == 1
    assert (
        "call 2: POST /v1/threads/thread_abc123/runs (createRun): different\n"
        "      body /assistant_id: recorded 'asst_abc123' vs program 'asst_other'"
    ) in done.stderr
    assert done.stderr.rstrip().endswith("verdict: different (1 call)")


def test_replay_in_a_test_with_the_context_manager(
    perl_session: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture, openai_spec_path: Path
) -> None:
    monkeypatch.setenv("OPENAI_OPENAPI_SPEC", str(openai_spec_path))
    port = _load_example("assistants_run")
    with replay(perl_session) as server:
        assert os.environ["OPENAPI_CLIENT_OPENAI_BASE_URL"] == server.base_url
        port.main(RUN_LOOP)
    assert "OPENAPI_CLIENT_OPENAI_BASE_URL" not in os.environ  # restored
    assert capsys.readouterr().out.startswith("thread thread_abc123\n")
    assert server.result().same


def test_replay_fails_the_test_when_the_code_strays(
    perl_session: Path, monkeypatch: pytest.MonkeyPatch, openai_spec_path: Path
) -> None:
    monkeypatch.setenv("OPENAI_OPENAPI_SPEC", str(openai_spec_path))
    port = _load_example("assistants_run")
    with pytest.raises(ReplayMismatch) as caught, replay(perl_session):
        port.main(["asst_other"])  # another assistant, and the default question
    report = str(caught.value)
    assert "call 1: POST /v1/threads (createThread): different" in report
    assert "call 2: POST /v1/threads/thread_abc123/runs (createRun): different" in report


def test_the_pytest_fixture_resolves_paths_against_the_test_file(tmp_path: Path) -> None:
    cassette = Cassette(
        [exchange("GET", "/v1/threads/t/runs/r", 200, b'{"status":"completed"}')], base_path="/v1"
    )
    (tmp_path / "cassettes").mkdir()
    cassette.write(tmp_path / "cassettes" / "run.jsonl")
    (tmp_path / "conftest.py").write_text('pytest_plugins = ["perl_compat.pytest_plugin"]\n')
    (tmp_path / "test_port.py").write_text(
        f"""
from openapi_client_openai import OpenAI

def test_replayed(replay):
    with replay("cassettes/run.jsonl", spec={str(BUNDLED_SPEC)!r}):
        tx = OpenAI({str(BUNDLED_SPEC)!r}).getRun(thread_id="t", run_id="r")
    assert tx.res.json("/status") == "completed"

def test_strays(replay):
    with replay("cassettes/run.jsonl", spec={str(BUNDLED_SPEC)!r}):
        OpenAI({str(BUNDLED_SPEC)!r}).getRun(thread_id="t", run_id="other")
"""
    )
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}  # replay lends a demo key
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env=env,
    )
    assert "1 failed, 1 passed" in done.stdout, done.stdout + done.stderr
    assert "ReplayMismatch" in done.stdout
    assert "call 1: GET /v1/threads/t/runs/other: only program sent it" in done.stdout


# -- the replayer's matching (no programs needed) ------------------------------------------


def exchange(method: str, target: str, status: int = 200, body: bytes = b"{}") -> Exchange:
    return Exchange(
        Message((("Authorization", "Bearer ***"),), b"", method=method, target=target),
        Message((("Content-Type", "application/json"),), body, status=status),
    )


def incoming(method: str, target: str, key: str = TEST_KEY) -> CapturedRequest:
    path, _, query = target.partition("?")
    return CapturedRequest(
        method, target, path, query, (("Authorization", f"Bearer {key}"),), b"", "HTTP/1.1"
    )


def test_strict_order_answers_in_sequence_and_refuses_an_unexpected_call() -> None:
    replayer = Replayer(Cassette([exchange("GET", "/v1/a", body=b"1"), exchange("GET", "/v1/b", body=b"2")]))
    assert replayer(incoming("GET", "/v1/b")).status == 404  # not next: refused, not used up
    assert replayer(incoming("GET", "/v1/a")).body == b"1"
    assert replayer(incoming("GET", "/v1/b")).body == b"2"
    result = replayer.result()
    assert [p.verdict for p in result.calls] == ["only-right", "identical", "identical"]
    assert not result.same


def test_any_order_prefers_the_identical_recording() -> None:
    replayer = Replayer(
        Cassette([exchange("GET", "/v1/a?x=1", body=b"1"), exchange("GET", "/v1/a?x=2", body=b"2")]),
        order="any",
    )
    assert replayer(incoming("GET", "/v1/a?x=2")).body == b"2"
    assert replayer(incoming("GET", "/v1/a?x=3")).body == b"1"  # same path: answered, noted as different
    calls = replayer.result().calls
    assert [p.verdict for p in calls] == ["identical", "different"]
    assert [(d.field, d.perl, d.python) for d in calls[1].differences] == [("query", "x=1", "x=3")]


def test_recordings_never_asked_for_make_the_replay_different() -> None:
    replayer = Replayer(Cassette([exchange("GET", "/v1/a"), exchange("DELETE", "/v1/a")]))
    replayer(incoming("GET", "/v1/a"))
    result = replayer.result()
    assert [p.verdict for p in result.calls] == ["identical", "only-left"]
    assert "call 2: DELETE /v1/a: only recorded sent it" in result.report()


def test_any_key_matches_a_recorded_bearer_but_not_another_scheme() -> None:
    replayer = Replayer(Cassette([exchange("GET", "/v1/a"), exchange("GET", "/v1/a")]))
    replayer(incoming("GET", "/v1/a", key="sk-something-else"))
    replayer(CapturedRequest("GET", "/v1/a", "/v1/a", "", (("Authorization", "Basic abc"),), b"", "HTTP/1.1"))
    first, second = replayer.result().calls
    assert first.verdict == "identical"
    assert second.verdict == "different" and second.differences[0].field == "headers"


# -- the format -------------------------------------------------------------------------------


def test_a_cassette_round_trips_binary_and_text_bodies(tmp_path: Path) -> None:
    original = Cassette(
        [
            Exchange(
                Message(
                    (("Content-Type", "text/plain; charset=UTF-8"),), "caf\u00e9".encode(), "POST", "/v1/x"
                ),
                Message((("Content-Type", "audio/mpeg"),), bytes(range(256)), status=200),
            )
        ],
        base_path="/v1",
    )
    path = tmp_path / "round.jsonl"
    original.write(path)
    line = path.read_text(encoding="utf-8").splitlines()[1]
    assert '"body":"café"' in line and '"body_base64":"AAECAwQF' in line
    assert Cassette.read(path) == original


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty, not a cassette"),
        ('{"cassette":"something-else","version":1}\n', "line 1: not a cassette header"),
        ('{"cassette":"openapi-client-openai","version":99}\n', "cassette version 99; this reads 1"),
        ('{"cassette":"openapi-client-openai","version":1}\n{oops\n', "line 2: not JSON"),
        (
            '{"cassette":"openapi-client-openai","version":1}\n'
            '{"request":{"method":"GET","target":"/x"},"response":{"status":"ok"}}\n',
            "line 2 response: a response needs a status from 100 to 999",
        ),
        (
            '{"cassette":"openapi-client-openai","version":1}\n'
            '{"request":{"method":"GET","target":"x"},"response":{"status":200}}\n',
            "line 2 request: a request needs a method and a target starting with '/'",
        ),
        (
            '{"cassette":"openapi-client-openai","version":1}\n'
            '{"request":{"method":"GET","target":"/x","body_base64":"@@"},"response":{"status":200}}\n',
            "line 2 request: body_base64 is not base64",
        ),
    ],
)
def test_a_broken_cassette_is_named_with_its_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "broken.jsonl"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CassetteError) as caught:
        Cassette.read(path)
    assert str(caught.value).startswith(str(path)) and message in str(caught.value)


def test_replay_usage_errors_are_one_line(tmp_path: Path, program_env: dict) -> None:
    missing = cli("replay", str(tmp_path / "none.jsonl"), "--", "true", env=program_env)
    assert (
        missing.returncode == 2 and missing.stderr.startswith("replay: ") and "none.jsonl" in missing.stderr
    )
    no_command = cli("record", "--out", str(tmp_path / "x.jsonl"), env=program_env)
    assert no_command.returncode == 2
    assert no_command.stderr.strip() == "record: give the program after '--': record ... -- COMMAND [ARGS...]"
    keyless = {k: v for k, v in program_env.items() if k != "OPENAI_API_KEY"}
    upstream = cli(
        "record", "--out", "x", "--upstream", "https://api.openai.com/v1", "--", "true", env=keyless
    )
    assert upstream.returncode == 2 and "--upstream needs OPENAI_API_KEY" in upstream.stderr
    assert not (tmp_path / "x.jsonl").exists()


def _load_example(name: str):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
