"""The command line, run as users run it: ``python -m openapi_client_openai ...`` in a subprocess."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from openapi_client_openai.mock import MockServer

from .conftest import BUNDLED_SPEC, JV_CACHE, TEST_KEY


def cli(*args: str, key: str | None = TEST_KEY, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    if key is not None:
        env["OPENAI_API_KEY"] = key
    env["JSON_VALIDATOR_CACHE_PATH"] = str(JV_CACHE)
    return subprocess.run(
        [sys.executable, "-m", "openapi_client_openai", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


def one_line(result: subprocess.CompletedProcess) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


@pytest.fixture
def mock():
    with MockServer(BUNDLED_SPEC) as server:
        yield server


def test_call_prints_the_response_json(mock: MockServer) -> None:
    result = cli(
        "call",
        "getRun",
        "thread_id=thread_abc123",
        "run_id=run_abc123",
        "--spec",
        str(BUNDLED_SPEC),
        "--base-url",
        mock.base_url,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["object"] == "thread.run"
    (captured,) = mock.wait_for(1)
    assert captured.target == "/v1/threads/thread_abc123/runs/run_abc123"


def test_call_prints_each_event_of_a_stream(mock: MockServer) -> None:
    result = cli(
        "call",
        "createRun",
        "thread_id=t",
        "--body",
        '{"assistant_id": "asst_1", "stream": true}',
        "--spec",
        str(BUNDLED_SPEC),
        "--base-url",
        mock.base_url,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("thread.run.created: {") and lines[-1].startswith("thread.run.completed: {")
    assert json.loads(lines[0].split(": ", 1)[1])["object"] == "thread.run"
    assert "[DONE]" not in result.stdout


def test_call_with_a_body_and_typed_params(mock: MockServer) -> None:
    result = cli(
        "call",
        "modify_run",
        "thread_id=t",
        "run_id=r",
        "--body",
        '{"metadata": {"n": "1"}}',
        "--spec",
        str(BUNDLED_SPEC),
        "--base-url",
        mock.base_url,
    )
    assert result.returncode == 0, result.stderr
    (captured,) = mock.wait_for(1)
    assert json.loads(captured.body) == {"metadata": {"n": "1"}}
    result = cli(
        "call",
        "listRuns",
        "thread_id=t",
        "limit:=5",
        "order=asc",
        "--spec",
        str(BUNDLED_SPEC),
        "--base-url",
        mock.base_url,
    )
    assert result.returncode == 0, result.stderr
    assert mock.wait_for(2)[1].query == "limit=5&order=asc"


def test_a_local_400_prints_the_errors_and_sends_nothing(mock: MockServer) -> None:
    result = cli(
        "call",
        "listRuns",
        "thread_id=t",
        "order=sideways",
        "--spec",
        str(BUNDLED_SPEC),
        "--base-url",
        mock.base_url,
    )
    assert result.returncode == 1
    assert result.stderr.strip() == "openapi-client-openai: /order: Not in enum list: asc, desc."
    assert mock.requests == []


def test_no_response_is_one_line_and_non_zero() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = cli(
        "call",
        "getRun",
        "thread_id=t",
        "run_id=r",
        "--spec",
        str(BUNDLED_SPEC),
        "--base-url",
        f"http://127.0.0.1:{port}/v1",
    )
    assert result.returncode == 1
    assert one_line(result) == "openapi-client-openai: no response: Connection refused"


@pytest.mark.parametrize(
    ("args", "key", "status", "says"),
    [
        (("call", "getRun", "thread_id"), TEST_KEY, 2, "expected key=value or key:=json, got 'thread_id'"),
        (("call", "getRun", "--body", "{nope"), TEST_KEY, 2, "--body: not valid JSON"),
        (
            ("call", "noSuchOp", "--spec", str(BUNDLED_SPEC)),
            TEST_KEY,
            1,
            "[OpenAPI::Client] No such operationId",
        ),
        (
            ("call", "getRun", "--spec", "/no/such/spec.yaml"),
            TEST_KEY,
            1,
            "/no/such/spec.yaml: cannot read spec",
        ),
        (("call", "getRun"), None, 1, "OPENAI_API_KEY environment variable must be set"),
        (("docs", "--spec", "/no/such/spec.yaml", "--out", "/tmp"), TEST_KEY, 1, "/no/such/spec.yaml"),
        (("docs", "--out", "/tmp", "--format", "pdf"), TEST_KEY, 2, "--format takes pod, text, md"),
        # #11 row 17: one clear line, never a traceback
        (
            ("call", "getRun", "--body", "[" * 5000 + "]" * 5000),
            TEST_KEY,
            2,
            "--body: JSON nested too deeply",
        ),
        (("mock", "--port", "99999"), TEST_KEY, 2, "--port: a port is 0 to 65535, got 99999"),
        (("mock", "--port", "-1"), TEST_KEY, 2, "--port: a port is 0 to 65535, got -1"),
    ],
)
def test_user_errors_are_one_line_never_a_traceback(
    args: tuple, key: str | None, status: int, says: str
) -> None:
    result = cli(*args, key=key)
    assert result.returncode == status, result.stderr
    assert says in one_line(result)


def test_docs_writes_every_format_and_an_unwritable_dir_is_one_line(tmp_path: Path) -> None:
    result = cli("docs", "--spec", str(BUNDLED_SPEC), "--out", str(tmp_path / "out"), "--format", "pod,md")
    assert result.returncode == 0, result.stderr
    pages = tmp_path / "out" / "OpenAPI" / "Client" / "OpenAI"
    assert (pages / "Path.pod").is_file() and (pages / "Path.md").is_file()
    assert (pages / "Path" / "threads-thread_id-runs-run_id.pod").is_file()
    assert not list(pages.rglob("*.txt"))
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    result = cli("docs", "--spec", str(BUNDLED_SPEC), "--out", str(blocker / "out"))
    assert result.returncode == 1 and str(blocker) in one_line(result)


def test_mock_serves_until_its_lifetime_ends() -> None:
    result = cli("mock", "--spec", str(BUNDLED_SPEC), "--lifetime", "1", timeout=60)
    assert result.returncode == 0, result.stderr
    assert "127.0.0.1" in result.stdout


def test_demo_needs_no_key_and_shows_perl_and_python_agreeing(perl_env: dict) -> None:
    result = cli("demo", key=None, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("verdict: identical") == 2
    assert "$client->getRun({thread_id => 'thread_abc123', run_id => 'run_abc123'});" in result.stdout
    assert "client.getRun(thread_id='thread_abc123', run_id='run_abc123')" in result.stdout
