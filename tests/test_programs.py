"""compare-run: whole Perl programs beside their Python ports, against the mock (perl_compat.programs)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from openapi_client_openai.mock import MockServer, Reply
from perl_compat.comparison import Wire
from perl_compat.programs import (
    Call,
    align,
    body_differences,
    call_lines,
    compare_run,
    redirect_environment,
    run_program,
)

from .conftest import BUNDLED_SPEC, REPO, TEST_KEY

EXAMPLES = REPO / "examples"
DATA = EXAMPLES / "data"
CLI_TIMEOUT = 300  # seconds for one compare-run of two programs (each bounded by --timeout)

# Each pair in examples/: its arguments and the standard input it reads.
PAIRS = {
    "assistants_run": (["asst_abc123", "What is 6 x 7?"], None),
    "chat_loop": (["gpt-4o-mini"], DATA / "questions.txt"),
    "embeddings_batch": ([str(DATA / "sentences.txt"), "3"], None),
    "files": ([str(DATA / "notes.txt")], None),
    "parallel_chat": (["Name a colour.", "Name a fruit.", "Name a planet.", "Name a river."], None),
    "error_handling": ([], None),
}


@pytest.fixture
def program_env(perl_env: dict, openai_spec_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict:
    """What a user's shell has: the Perl stack's offline settings; polls without pauses."""
    for name in ("JSON_VALIDATOR_CACHE_PATH", "MOJO_REACTOR"):
        monkeypatch.setenv(name, perl_env[name])
    monkeypatch.setenv("POLL_SECONDS", "0")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)  # compare-run needs none
    monkeypatch.delenv("OPENAI_OPENAPI_SPEC", raising=False)
    return dict(os.environ)


def compare_run_cli(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "openapi_client_openai", "compare-run", *args],
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT,
        env=env,
        cwd=REPO,
    )


def pair_arguments(name: str, spec: Path, python_file: Path | None = None) -> list[str]:
    args, stdin = PAIRS[name]
    words = " ".join(f"'{a}'" for a in args)
    python_file = python_file or EXAMPLES / f"{name}.py"
    out = [
        "--spec",
        str(spec),
        "--timeout",
        "60",
        "--perl",
        f"perl {EXAMPLES / name}.pl {words}",
        "--python",
        f"{sys.executable} {python_file} {words}",
    ]
    return out + (["--stdin", str(stdin)] if stdin else [])


# -- the examples: every pair identical ------------------------------------------------------


def test_every_example_has_both_halves() -> None:
    perl = {p.stem for p in EXAMPLES.glob("*.pl")}
    python = {p.stem for p in EXAMPLES.glob("*.py")}
    assert perl == python == set(PAIRS)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(PAIRS))
def test_each_example_pair_is_identical(name: str, program_env: dict, openai_spec_path: Path) -> None:
    result = compare_run_cli(*pair_arguments(name, openai_spec_path), env=program_env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.rstrip().endswith("verdict: identical")
    assert "Requests: Perl sent 0" not in result.stdout  # they did call the API


def test_the_json_report_of_a_pair(program_env: dict, openai_spec_path: Path) -> None:
    result = compare_run_cli(*pair_arguments("error_handling", openai_spec_path), "--json", env=program_env)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["identical"] is True
    perl, python = report["programs"]
    assert perl["exit_status"] == python["exit_status"] == 1  # the program reports its failures
    assert perl["stdout"] == python["stdout"]
    assert "404 Not Found: Invalid URL (GET /v1/threads//messages)" in perl["stdout"]
    assert [c["right"]["target"] for c in report["calls"]] == ["/v1/threads//messages?limit=5", "/v1/models"]


# -- broken ports are caught, and the call is named ----------------------------------------------


def broken_port(tmp_path: Path, name: str, old: str, new: str) -> Path:
    source = (EXAMPLES / f"{name}.py").read_text(encoding="utf-8")
    assert source.count(old) == 1, f"the example changed: {old!r} is not in it once"
    path = tmp_path / f"{name}_broken.py"
    path.write_text(source.replace(old, new), encoding="utf-8")
    return path


def test_a_port_sending_a_different_query_is_caught_at_that_call(
    tmp_path: Path, program_env: dict, openai_spec_path: Path
) -> None:
    broken = broken_port(tmp_path, "assistants_run", 'order="asc"', 'order="desc"')
    result = compare_run_cli(*pair_arguments("assistants_run", openai_spec_path, broken), env=program_env)
    assert result.returncode == 1, result.stdout + result.stderr
    assert (
        "call 4: GET /v1/threads/thread_abc123/messages?limit=20&order=asc (listMessages)"
        " vs GET /v1/threads/thread_abc123/messages?limit=20&order=desc (listMessages): different"
    ) in result.stdout
    assert "query: Perl 'limit=20&order=asc' vs Python 'limit=20&order=desc'" in result.stdout
    assert "call 3: GET /v1/threads/thread_abc123/runs/run_abc123 (getRun): identical" in result.stdout
    assert result.stdout.rstrip().endswith("verdict: different (1 call)")


def test_a_port_with_a_different_body_names_the_json_place(
    tmp_path: Path, program_env: dict, openai_spec_path: Path
) -> None:
    broken = broken_port(tmp_path, "chat_loop", '"temperature": 0.2', '"temperature": 0.2, "top_p": 1')
    result = compare_run_cli(*pair_arguments("chat_loop", openai_spec_path, broken), env=program_env)
    assert result.returncode == 1
    assert "call 1: POST /v1/chat/completions (createChatCompletion): different" in result.stdout
    assert "body /top_p: Perl (absent) vs Python 1" in result.stdout


def test_a_port_that_skips_a_call_and_prints_otherwise(
    tmp_path: Path, program_env: dict, openai_spec_path: Path
) -> None:
    broken = broken_port(
        tmp_path,
        "files",
        '    tx = client.deleteFile(file_id=file["id"])\n',
        "    tx = tx  # forgot the delete\n",
    )
    result = compare_run_cli(*pair_arguments("files", openai_spec_path, broken), env=program_env)
    assert result.returncode == 1
    assert "call 3: DELETE /v1/files/string (deleteFile): only Perl sent it" in result.stdout
    assert "Standard output: different" in result.stdout
    assert result.stdout.rstrip().endswith("verdict: different (1 call, standard output)")


# -- running programs ---------------------------------------------------------------------------


def test_the_redirect_reaches_every_perl_client_even_one_given_a_base_url(
    program_env: dict, openai_spec_path: Path
) -> None:
    script = (
        "use OpenAPI::Client::OpenAI;"
        "my $c = OpenAPI::Client::OpenAI->new(undef, base_url => 'https://api.example.com/v1');"
        "print ref($c), ' ', $c->base_url, qq{\\n}; $c->listModels;"
        "my $plain = OpenAPI::Client->new($ENV{OPENAI_OPENAPI_SPEC}); $plain->listModels;"
    )
    with MockServer(openai_spec_path) as server:
        env = redirect_environment(server.base_url, str(openai_spec_path), program_env)
        env["OPENAI_API_KEY"] = TEST_KEY
        run = run_program(["perl", "-e", script], server, env, timeout=60)
    assert run.exit_status == 0, run.stderr
    assert run.stdout.split()[1] == server.base_url  # the stand-in, given the mock's URL
    assert run.stdout.startswith("OpenAPI::Client::OpenAI::")
    assert [r.target for r in run.requests] == ["/v1/models", "/v1/models"]
    assert run.requests[0].header("Authorization") == f"Bearer {TEST_KEY}"
    assert run.requests[1].header("Authorization") is None  # the plain client adds no key


def test_without_the_variable_the_perl_module_changes_nothing(program_env: dict) -> None:
    env = {k: v for k, v in redirect_environment("http://unused", None, program_env).items()}
    del env["OPENAPI_CLIENT_OPENAI_BASE_URL"]
    script = (
        f"use OpenAPI::Client; my $c = OpenAPI::Client->new('{BUNDLED_SPEC}', base_url => 'http://localhost:1/v1');"
        "print $c->base_url, qq{\\n}"
    )
    done = subprocess.run(["perl", "-e", script], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "http://localhost:1/v1\n"


def test_the_python_client_reads_the_variable_for_every_client(
    monkeypatch: pytest.MonkeyPatch, api_key: str
) -> None:
    from openapi_client_openai import Client, OpenAI

    with MockServer(BUNDLED_SPEC) as server:
        monkeypatch.setenv("OPENAPI_CLIENT_OPENAI_BASE_URL", server.base_url)
        OpenAI(BUNDLED_SPEC, base_url="https://api.example.com/v1").getRun(thread_id="t", run_id="r")
        Client(BUNDLED_SPEC).getRun(thread_id="t", run_id="r")
        assert [r.target for r in server.wait_for(2)] == ["/v1/threads/t/runs/r"] * 2


def test_a_program_past_its_timeout_is_killed_and_said_so(program_env: dict) -> None:
    comparison = compare_run(
        [sys.executable, "-c", "import time; print('started', flush=True); time.sleep(60)"],
        [sys.executable, "-c", "print('started')"],
        spec=BUNDLED_SPEC,
        timeout=2,
        env=program_env,
    )
    assert comparison.perl.timed_out and comparison.perl.exit_status is None
    assert comparison.perl.stdout == "started\n"  # what it printed before is kept
    assert not comparison.same
    assert "Exit status: Perl killed after the timeout, Python 0  <- different" in comparison.report()


def test_stdin_is_given_to_both_and_is_empty_by_default(program_env: dict) -> None:
    echo = [sys.executable, "-c", "import sys; print(repr(sys.stdin.read()))"]
    given = compare_run(echo, echo, spec=BUNDLED_SPEC, stdin="l\u00e4ne\n", env=program_env)
    assert given.perl.stdout == given.python.stdout == "'l\u00e4ne\\n'\n"
    empty = compare_run(echo, echo, spec=BUNDLED_SPEC, env=program_env)
    assert empty.perl.stdout == "''\n"
    assert empty.same


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--python", "python x.py"], "the following arguments are required: --perl"),
        (["--perl", "", "--python", "python x.py"], "the command is empty"),
        (["--perl", "no-such-program-here", "--python", "python"], "no-such-program-here: No such file"),
        (["--perl", "perl", "--python", "python", "--stdin", "/no/such/file"], "/no/such/file: No such file"),
        (["--perl", "perl", "--python", "python", "--order", "sideways"], "invalid choice: 'sideways'"),
        (["--perl", "perl", "--python", "python", "--spec", "/no/spec.yaml"], "/no/spec.yaml"),
    ],
)
def test_usage_errors_are_one_line_and_status_2(args: list[str], message: str, program_env: dict) -> None:
    result = compare_run_cli(*args, env=program_env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert lines[0].startswith("compare-run: ") and message in lines[0]


# -- aligning two sequences (no programs needed) ----------------------------------------------


def call(index: int, method: str, path: str, body: bytes = b"", operation: str | None = None) -> Call:
    return Call(
        index, Wire.normalised(method, path, "", [("Content-Type", "application/json")], body), operation
    )


def test_identical_sequences_pair_in_order() -> None:
    calls = [call(1, "POST", "/v1/threads"), call(2, "GET", "/v1/models")]
    pairs = align(calls, list(calls))
    assert [(p.left.index, p.right.index, p.verdict) for p in pairs] == [
        (1, 1, "identical"),
        (2, 2, "identical"),
    ]


def test_concurrent_calls_in_another_order_match_unless_order_is_strict() -> None:
    perl = [call(1, "POST", "/v1/chat", b'{"p":"a"}'), call(2, "POST", "/v1/chat", b'{"p":"b"}')]
    python = [call(1, "POST", "/v1/chat", b'{"p":"b"}'), call(2, "POST", "/v1/chat", b'{"p":"a"}')]
    anywhere = align(perl, python, "any")
    assert [(p.left.index, p.right.index, p.verdict) for p in anywhere] == [
        (1, 2, "identical"),
        (2, 1, "identical"),
    ]
    strict = align(perl, python, "strict")
    assert [(p.left.index, p.right.index, p.verdict) for p in strict] == [
        (1, 1, "different"),
        (2, 2, "different"),
    ]
    assert [(d.field, d.perl, d.python) for d in strict[0].differences] == [("body /p", "a", "b")]


def test_a_missing_call_and_an_extra_call_are_each_sides_alone() -> None:
    perl = [call(1, "POST", "/v1/threads"), call(2, "GET", "/v1/runs/1"), call(3, "GET", "/v1/messages")]
    python = [
        call(1, "POST", "/v1/threads"),
        call(2, "GET", "/v1/messages"),
        call(3, "DELETE", "/v1/threads/1"),
    ]
    pairs = align(perl, python)
    verdicts = [(p.left and p.left.index, p.right and p.right.index, p.verdict) for p in pairs]
    assert (2, None, "only-left") in verdicts
    assert (None, 3, "only-right") in verdicts
    assert (3, 2, "identical") in verdicts
    assert pairs[1].lines(("Perl", "Python")) == ["Perl call 2: GET /v1/runs/1: only Perl sent it"]


def test_the_same_operation_on_another_path_is_one_call_that_differs() -> None:
    perl = [call(1, "GET", "/v1/threads/a/runs/r", operation="getRun")]
    python = [call(1, "GET", "/v1/threads/b/runs/r", operation="getRun")]
    (pair,) = align(perl, python)
    assert pair.verdict == "different"
    assert [(d.field, d.perl, d.python) for d in pair.differences] == [
        ("path", "/v1/threads/a/runs/r", "/v1/threads/b/runs/r")
    ]


def test_json_bodies_differ_place_by_place_and_types_count() -> None:
    left = b'{"a":1,"list":[1,2],"nested":{"x":"y"},"same":true}'
    right = b'{"a":1.0,"list":[1],"nested":{"x":"z"},"same":true,"extra":null}'
    places = {d.field: (d.perl, d.python) for d in body_differences(left, right)}
    assert set(places) == {"body /a", "body /extra", "body /list/1", "body /nested/x"}
    assert places["body /a"] == (1, 1.0)
    assert places["body /nested/x"] == ("y", "z")


def test_the_same_json_written_differently_and_non_json_bodies() -> None:
    (written,) = body_differences(b'{"u":"a/b"}', b'{"u":"a\\/b"}')
    assert written.field == "body (the same JSON, written differently)"
    (raw,) = body_differences(b"--x\r\n", b"--y\r\n")
    assert (raw.field, raw.perl, raw.python) == ("body", b"--x\r\n", b"--y\r\n")
    assert body_differences(b"same", b"same") == []


def test_a_call_is_named_by_the_operation_the_mock_answered() -> None:
    with MockServer(BUNDLED_SPEC) as server:
        import urllib.request

        urllib.request.urlopen(f"{server.base_url}/threads/t/runs/r", timeout=10).read()
        (captured,) = server.wait_for(1)
    named = Call.of(1, captured)
    assert named.operation == "getRun" and named.status == 200
    assert named.title() == "GET /v1/threads/t/runs/r (getRun)"
    assert isinstance(captured.reply, Reply) and captured.reply.status == 200


def test_redirect_environment_adds_to_perl_settings_rather_than_replacing_them() -> None:
    env = redirect_environment(
        "http://127.0.0.1:1/v1", "/specs/s.yaml", {"PERL5OPT": "-w", "PERL5LIB": "/mine", "PATH": "/bin"}
    )
    assert env["PERL5OPT"] == "-w -MPerlCompat::Redirect"
    assert env["PERL5LIB"].split(os.pathsep)[1] == "/mine"
    assert Path(env["PERL5LIB"].split(os.pathsep)[0], "PerlCompat", "Redirect.pm").is_file()
    assert env["OPENAPI_CLIENT_OPENAI_BASE_URL"] == "http://127.0.0.1:1/v1"
    assert env["OPENAI_OPENAPI_SPEC"] == "/specs/s.yaml"
    assert env["MOJO_REACTOR"] == "Mojo::Reactor::Poll"


def test_a_long_run_of_one_sided_calls_is_one_line() -> None:
    perl = [call(1, "POST", "/v1/chat", operation="createChatCompletion")]
    python = [call(i, "POST", "/v1/chat", operation="createChatCompletion") for i in range(1, 301)]
    lines = call_lines(align(perl, python), ("Perl", "Python"))
    assert lines == [
        "call 1: POST /v1/chat (createChatCompletion): identical",
        "Python calls 2-300: POST /v1/chat (createChatCompletion): only Python sent them (299 calls)",
    ]
    two = call_lines(align(perl, python[:3]), ("Perl", "Python"))
    assert len(two) == 3  # two in a row are still shown one by one


def test_a_reader_that_goes_away_is_no_traceback(program_env: dict) -> None:
    command = (
        f"{sys.executable} -m openapi_client_openai compare-run --spec {BUNDLED_SPEC} "
        f"--perl '{sys.executable} -c \"print(1)\"' --python '{sys.executable} -c \"print(2)\"' | true"
    )  # true reads nothing and is gone long before the report is written
    done = subprocess.run(
        ["sh", "-c", command], capture_output=True, text=True, timeout=CLI_TIMEOUT, env=program_env, cwd=REPO
    )
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr, done.stderr


def test_the_commands_are_listed_in_help(program_env: dict) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "openapi_client_openai", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        env=program_env,
    )
    assert done.returncode == 0
    for command in ("compare-run", "record", "replay"):
        assert f"\n    {command}" in done.stdout, done.stdout
    helped = compare_run_cli("--help", env=program_env)
    assert helped.returncode == 0 and "--perl COMMAND" in helped.stdout
