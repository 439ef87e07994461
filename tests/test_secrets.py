"""The API key never leaks: not in reprs, exceptions, logs, CLI output or generated docs.

A canary key (``sk-canary-`` and 40 random hex digits) is set, and everything the
client can show or write is searched for it, whole and as a 16-character slice
from its random middle (a partial leak is still a leak). The one place it must be
is the request itself: ``tx.req.headers`` carries it, as Perl's ``$tx->req->headers``
does, and so does the wire.
"""

from __future__ import annotations

import logging
import os
import secrets
import subprocess
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest

from openapi_client_openai import (
    EncodeError,
    IOLoop,
    NoSuchOperation,
    OpenAI,
    Promise,
    PromiseRejected,
    TransportError,
)
from openapi_client_openai.docgen import FORMATS, write_docs
from openapi_client_openai.mock import MockServer

from .conftest import BUNDLED_SPEC

CANARY = f"sk-canary-{secrets.token_hex(20)}"
SLICE = CANARY[18:34]  # from the random middle
CLOSED = "http://127.0.0.1:9/v1"  # nothing listens on the discard port: connection refused
CLI_TIMEOUT = 180  # seconds; the demo also starts the Perl client when perl_compat is there


def assert_clean(where: str, text: str) -> None:
    """Neither the key nor its middle slice appears in ``text``."""
    for secret, what in ((CANARY, "the key"), (SLICE, "a slice of the key")):
        at = text.find(secret)
        assert at < 0, f"{what} leaks in {where}: ...{text[max(0, at - 60) : at]}<KEY>..."


def shown(exc: BaseException) -> str:
    """Everything an exception shows: str, repr, args, and the whole traceback with its chain."""
    return "\n".join([str(exc), repr(exc), repr(exc.args), *traceback.format_exception(exc)])


@pytest.fixture
def canary(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("OPENAI_API_KEY", CANARY)
    monkeypatch.setenv("OPENAPI_CLIENT_DEBUG", "1")  # Perl's OPENAPI_CLIENT_DEBUG: the chattiest mode
    logger = logging.getLogger("openapi_client_openai")
    level, handlers = logger.level, logger.handlers[:]
    yield CANARY
    logger.setLevel(level)  # debug mode sets these up for the process: leave no trace for other tests
    logger.handlers[:] = handlers


class Collector(logging.Handler):
    """Keeps every record, formatted with its traceback, as a log file would."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


LOGGERS = ("", "urllib3", "requests", "openapi_client_openai")


@pytest.fixture
def logs() -> Iterator[Collector]:
    """Everything logged at DEBUG, on the root logger and on the loggers that might be quiet."""
    collector = Collector()
    saved = {
        name: (logging.getLogger(name).level, list(logging.getLogger(name).handlers)) for name in LOGGERS
    }
    for name in LOGGERS:
        logger = logging.getLogger(name)
        logger.setLevel(logging.DEBUG)
        if name in ("", "urllib3", "requests"):  # the client's own logger propagates to root
            logger.addHandler(collector)
    yield collector
    for name, (level, handlers) in saved.items():  # also drops the handler debug mode added
        logger = logging.getLogger(name)
        logger.setLevel(level)
        logger.handlers[:] = handlers


@pytest.fixture
def mock() -> Iterator[MockServer]:
    with MockServer(BUNDLED_SPEC) as server:
        yield server


# -- objects -------------------------------------------------------------------------------


def test_reprs_of_client_transactions_and_messages_hide_the_key(canary: str, mock: MockServer) -> None:
    """Sent, invalid and unanswered calls: every repr and str is clean; the request still has it."""
    client = OpenAI(BUNDLED_SPEC, base_url=mock.base_url, assistants=True)
    sent = client.getRun(thread_id="thread_abc123", run_id="run_abc123")
    invalid = client.getRun(thread_id="thread_abc123")
    client.base_url = CLOSED
    refused = client.getRun(thread_id="t", run_id="r")
    assert (sent.res.code, invalid.res.code, refused.error) == (200, 400, {"message": "Connection refused"})
    for name, tx in (("sent", sent), ("invalid", invalid), ("refused", refused)):
        for part in (tx, tx.req, tx.res, tx.req.headers, tx.res.headers, tx.error, tx.req.env, tx.res.body):
            assert_clean(f"repr/str of {name} {type(part).__name__}", f"{part!r} {part}")
    for part in (client, client.spec, client.base_url, client.ua, client.ua.proxy):
        assert_clean(f"repr/str of {type(part).__name__}", f"{part!r} {part}")
    # Where it belongs: on the request, as Perl's $tx->req->headers has it, and on the wire.
    assert sent.req.headers["Authorization"] == refused.req.headers["Authorization"] == f"Bearer {CANARY}"
    (captured,) = mock.wait_for(1)
    assert captured.header("Authorization") == f"Bearer {CANARY}"
    assert "Bearer ***" in repr(sent.req.headers)  # masked, not dropped
    with pytest.raises(AssertionError, match="a slice of the key"):  # the check sees partial leaks
        assert_clean("a self-check", sent.req.headers["Authorization"][24:44])


# -- exceptions -------------------------------------------------------------------------------


def test_exceptions_and_their_chains_hide_the_key(canary: str, logs: Collector) -> None:
    """Every error a caller can meet, shown in full (str, repr, args, traceback and chain)."""
    client = OpenAI(BUNDLED_SPEC, base_url=CLOSED)
    raised: list[BaseException] = []

    def catch(call) -> None:
        try:
            call()
        except Exception as exc:
            raised.append(exc)

    tx = client.getRun(thread_id="t", run_id="r")
    catch(lambda: tx.result)  # Perl's $tx->result croaks: TransportError
    catch(lambda: client.getRun_p(thread_id="t", run_id="r").wait(30))  # rejected: TransportError
    catch(
        lambda: (
            client.getRun_p(thread_id="t", run_id="r")
            .then(lambda tx: tx)
            .catch(lambda err: Promise.rejected(f"wrapped: {err}"))
            .wait(30)
        )
    )  # a string reason: PromiseRejected
    catch(lambda: client.modifyRun(thread_id="t", run_id="r", body={"metadata": {"k": {1, 2}}}))
    catch(lambda: client.call("getRun", {"thread_id": "t"}, bogus=1))  # unknown content keyword
    catch(lambda: client.call("noSuchOperation", {}))
    catch(
        lambda: client.call("cancelRun", {"thread_id": "t", "run_id": "r"}, file_upload={"file": "/no/such"})
    )

    def wrapped() -> None:  # a caller's own exception, chained onto the client's
        try:
            tx.result  # noqa: B018
        except TransportError as exc:
            raise RuntimeError(f"calling OpenAI failed: {exc}") from exc

    catch(wrapped)
    for kind in (TransportError, PromiseRejected, EncodeError, TypeError, NoSuchOperation, FileNotFoundError):
        assert any(isinstance(exc, kind) for exc in raised), f"no {kind.__name__} was raised"
    assert isinstance(raised[-1].__cause__, TransportError)
    for exc in raised:
        assert_clean(f"{type(exc).__name__}", shown(exc))
        logging.getLogger("app").error("call failed", exc_info=exc)  # what an application logs
    assert_clean("the logged tracebacks", "\n".join(logs.lines))


def test_debug_logging_hides_the_key(canary: str, logs: Collector, mock: MockServer, capfd) -> None:
    """OPENAPI_CLIENT_DEBUG=1 and every logger at DEBUG, over every kind of call."""
    client = OpenAI(BUNDLED_SPEC, base_url=mock.base_url, assistants=True)
    client.getRun(thread_id="t", run_id="r")
    client.getRun(thread_id="t")  # invalid: the debug line lists the errors
    client.modifyRun(thread_id="t", run_id="r", body={"metadata": {"user": "u"}})
    client.getRun_p(thread_id="t", run_id="r").wait(30)

    def callback(c: OpenAI, tx) -> None:  # the client logs what a callback raises, with its traceback
        raise RuntimeError(f"a failing callback, holding {tx!r} and {tx.req.headers!r}")

    client.getRun({"thread_id": "t", "run_id": "r"}, callback)
    IOLoop.start()  # the callback runs (and fails) in the loop, as in Perl
    assert any("callback for getRun raised" in line for line in logs.lines), (
        "the failing callback was never logged"
    )
    client.base_url = CLOSED
    client.getRun(thread_id="t", run_id="r")
    out, err = capfd.readouterr()
    text = "\n".join([*logs.lines, out, err])
    assert "Validation for get" in text, "debug mode said nothing: this test would prove nothing"
    assert "a failing callback" in text
    assert_clean("log records and the debug output", text)


# -- the command line and generated files ---------------------------------------------------------


def cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    environment = {**os.environ, "OPENAI_API_KEY": CANARY, "OPENAPI_CLIENT_DEBUG": "1", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "openapi_client_openai", *args],
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT,
        env=environment,
        check=False,
    )


def test_cli_output_hides_the_key(mock: MockServer) -> None:
    """``call`` that succeeds, is refused locally, finds nobody or names nothing; then ``demo``."""
    spec = str(BUNDLED_SPEC)
    at_mock = ("--spec", spec, "--base-url", mock.base_url)
    nowhere = ("--spec", spec, "--base-url", CLOSED)
    runs = {
        "success": (cli("call", "getRun", "thread_id=t", "run_id=r", *at_mock), 0),
        "invalid input": (cli("call", "getRun", "thread_id=t", *at_mock), 1),
        "connection refused": (cli("call", "getRun", "thread_id=t", "run_id=r", *nowhere), 1),
        "unknown operation": (cli("call", "noSuchOperation", *nowhere), 1),
        "bad JSON argument": (cli("call", "modifyRun", "--body", "{", *nowhere), 2),
        "demo": (cli("demo", "--spec", spec), 0),
    }
    for name, (done, status) in runs.items():
        assert done.returncode == status, f"{name}: exit {done.returncode}\n{done.stderr[-2000:]}"
        assert_clean(f"the output of {name}", done.stdout + done.stderr)
    assert '"object": "thread.run"' in runs["success"][0].stdout
    assert "Connection refused" in runs["connection refused"][0].stderr
    assert runs["demo"][0].stdout.count("got: 200 OK") >= 2  # both clients, both calls


def test_generated_docs_hide_the_key(canary: str, tmp_path: Path) -> None:
    """The docs of a spec, in every format, with the key in the environment."""
    written = write_docs(BUNDLED_SPEC, tmp_path, FORMATS)
    assert written
    for path in written:
        assert_clean(str(path.relative_to(tmp_path)), path.read_text(encoding="utf-8", errors="replace"))


# -- keys as they come out of real files --------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    [f"{CANARY}\n", f"{CANARY}\r", f"{CANARY} \r\n", f"{CANARY}\u00a0ключ"],
    ids=["trailing-LF", "trailing-CR", "CRLF-from-a-dotenv", "not-latin-1"],
)
def test_a_malformed_key_never_reaches_an_error_message(
    monkeypatch: pytest.MonkeyPatch, logs: Collector, mock: MockServer, key: str
) -> None:
    """A key read from a file with its line end, or not Latin-1: refused or sent, but never shown.

    Perl's Mojo::Headers croaks "Invalid characters in Authorization header" for CR/LF,
    which names the header and not its value.
    """
    monkeypatch.setenv("OPENAI_API_KEY", key)
    client = OpenAI(BUNDLED_SPEC, base_url=mock.base_url)
    outcomes = []
    for call in (
        lambda: client.getRun(thread_id="t", run_id="r"),
        lambda: client.getRun_p(thread_id="t", run_id="r").wait(30),
    ):
        try:
            tx = call()
        except Exception as exc:
            outcomes.append(type(exc).__name__)
            assert_clean(f"{type(exc).__name__} for a malformed key", shown(exc))
            logging.getLogger("app").exception("call failed")
        else:
            outcomes.append(tx.error)
            assert_clean("the transaction", f"{tx!r} {tx.error} {tx.req!r} {tx.res.body!r}")
    assert len(outcomes) == 2
    assert_clean("the logs", "\n".join(logs.lines))
