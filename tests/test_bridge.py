"""perl_compat.bridge: the real Perl client behind PerlClient, embedded or as a subprocess."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from openapi_client_openai.message import Headers, Request, Response
from openapi_client_openai.transaction import Transaction
from perl_compat.bridge import PERL_DIR, PerlClient, PerlDriverError, SubprocessDriver
from perl_compat.comparison import Side, diff_sides
from perl_compat.errors import PerlError, PerlUnavailable

from .conftest import BUNDLED_SPEC, TEST_KEY, require

HELPERS = Path(__file__).resolve().parent / "perl"
CLOSED = "http://127.0.0.1:9/v1"  # discard port: nothing listens, connection refused


@pytest.fixture
def perl_ready(perl_env: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("JSON_VALIDATOR_CACHE_PATH", "MOJO_REACTOR"):
        monkeypatch.setenv(name, perl_env[name])
    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)


@pytest.fixture
def driver(perl_ready: None):
    made = SubprocessDriver(timeout=60)
    yield made
    made.close()


@pytest.fixture
def misbehaving(perl_ready: None):
    made = SubprocessDriver(
        timeout=5, perl_args=("-I", str(PERL_DIR), "-I", str(HELPERS), "-MMisbehavingDriver")
    )
    yield made
    made.close()


def embedded_available() -> None:
    from perl_compat.interpreter import available

    status = available()
    require(bool(status), f"libperl cannot be embedded here: {status.reason}")


# -- what comes back ----------------------------------------------------------------------


def test_invalid_input_gives_perls_unsent_400(driver: SubprocessDriver) -> None:
    client = PerlClient(BUNDLED_SPEC, CLOSED, driver=driver)
    tx = client.getRun(thread_id="thread_1")
    assert isinstance(tx, Transaction)
    assert isinstance(tx.req, Request) and isinstance(tx.res, Response)
    assert tx.res.code == 400 and tx.res.message == "Bad Request"
    assert tx.res.json() == {"errors": [{"message": "Missing property.", "path": "/run_id"}]}
    assert tx.error == {"message": "Invalid input", "code": 400}
    assert not tx.is_sent and client.last_result["sent"] is False
    assert tx.req.url == "http://127.0.0.1:9/v1/threads/thread_1/runs/"
    assert tx.req.env == {"operationId": "getRun"}


def test_a_sent_request_carries_what_perl_put_on_it(driver: SubprocessDriver) -> None:
    client = PerlClient(BUNDLED_SPEC, CLOSED, assistants=True, driver=driver)
    tx = client.call("modifyRun", {"thread_id": "t", "run_id": "r", "body": {"metadata": {"k": "v/w"}}})
    assert client.last_result["sent"] is True
    assert tx.error == {"message": "Connection refused"}
    assert tx.res.code is None
    assert isinstance(tx.req.headers, Headers)
    assert tx.req.headers["Authorization"] == f"Bearer {TEST_KEY}"
    assert tx.req.headers["OpenAI-Beta"] == "assistants=v2"
    assert tx.req.headers["Content-Type"] == "application/json"
    assert tx.req.body == b'{"metadata":{"k":"v\\/w"}}'  # Mojo::JSON escapes "/"
    assert tx.req.method.upper() == "POST"


def test_keyword_and_dict_forms_make_the_same_call(driver: SubprocessDriver) -> None:
    client = PerlClient(BUNDLED_SPEC, CLOSED, driver=driver)
    by_keywords = client.modifyRun(thread_id="t", run_id="r", body={"metadata": {}})
    by_dict = client.modifyRun({"thread_id": "t", "run_id": "r"}, json={"metadata": {}})
    assert by_keywords.req.body == by_dict.req.body == b'{"metadata":{}}'
    assert by_keywords.req.url == by_dict.req.url


def test_raw_body_bytes_cross_intact(driver: SubprocessDriver) -> None:
    client = PerlClient(BUNDLED_SPEC, CLOSED, driver=driver)
    raw = b'{"k":"\xc3\xbc"}\x00\xff'
    # cancelRun declares no body, so nothing validates this one and it is sent as given.
    tx = client.call("cancelRun", {"thread_id": "t", "run_id": "r"}, body=raw)
    assert tx.req.body == raw


def test_perl_coerces_its_own_params_and_ours_stay_untouched(driver: SubprocessDriver) -> None:
    client = PerlClient(BUNDLED_SPEC, CLOSED, driver=driver)
    params = {"thread_id": "t", "body": {"assistant_id": "a", "temperature": "0.5"}}
    tx = client.createRun(params)
    assert tx.req.body == b'{"assistant_id":"a","temperature":0.5}'
    assert params == {"thread_id": "t", "body": {"assistant_id": "a", "temperature": "0.5"}}
    # What the Perl caller's hash holds afterwards: coerced in place.
    assert client.last_result["params_after"]["body"]["temperature"] == 0.5


# -- when Perl fails -----------------------------------------------------------------------


def test_a_perl_die_is_a_perl_error_and_the_driver_goes_on(driver: SubprocessDriver) -> None:
    client = PerlClient(BUNDLED_SPEC, CLOSED, driver=driver)
    with pytest.raises(PerlError, match=r"^\[OpenAPI::Client\] No such operationId"):
        client.call("noSuchOperation")
    assert client.getRun(thread_id="t").res.code == 400


def test_without_a_key_perl_croaks_as_the_real_module(driver: SubprocessDriver, monkeypatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    with pytest.raises(PerlError, match=r"^OPENAI_API_KEY environment variable must be set"):
        PerlClient(BUNDLED_SPEC, CLOSED, driver=driver)


def test_a_client_set_up_as_a_perl_program_would(driver: SubprocessDriver) -> None:
    """ua attributes (as given), the environment (as bytes, during the call too), the class, the
    callback form, and what comes back: elapsed time and res->text. The fault suite uses them all."""
    plain = PerlClient(
        BUNDLED_SPEC,
        CLOSED,
        driver=driver,
        client_class="OpenAPI::Client",
        env={"MOJO_CONNECT_TIMEOUT": b"-1", "OPENAI_API_KEY": None},
    )
    tx = plain.getRun(thread_id="t", run_id="r")
    assert tx.error == {"message": "Connect timeout"}  # read by Mojo at call time: fires at once
    assert "Authorization" not in tx.req.headers  # a plain client: no OpenAI layer, no key needed
    assert isinstance(plain.last_result["elapsed"], float) and plain.last_result["res"]["text"] == ""
    called_back = PerlClient(
        BUNDLED_SPEC, CLOSED, driver=driver, ua={"request_timeout": -1}, nonblocking=True
    )
    assert called_back.getRun(thread_id="t", run_id="r").error == {"message": "Request timeout"}
    with pytest.raises(PerlError, match="Mojo::UserAgent has no nonsense"):
        PerlClient(BUNDLED_SPEC, CLOSED, driver=driver, ua={"nonsense": 1})
    with pytest.raises(PerlError, match="class must be OpenAPI::Client"):
        PerlClient(BUNDLED_SPEC, CLOSED, driver=driver, client_class="Some::Other")


def test_exit_in_perl_code_is_an_error_not_the_end(misbehaving: SubprocessDriver) -> None:
    client = PerlClient(BUNDLED_SPEC, CLOSED, driver=misbehaving)
    with pytest.raises(PerlError, match=r"exit\(3\) called"):
        client.call("perl_exit")
    generation = misbehaving.generation
    assert client.getRun(thread_id="t").res.code == 400
    assert misbehaving.generation == generation  # the same process answered


def test_a_driver_that_dies_is_restarted_after_a_clear_error(misbehaving: SubprocessDriver) -> None:
    client = PerlClient(BUNDLED_SPEC, CLOSED, driver=misbehaving)
    with pytest.raises(PerlDriverError, match=r"died while handling 'call' \(exit status 4\)"):
        client.call("core_exit")
    assert client.getRun(thread_id="t").res.code == 400  # a new driver, a new Perl client


def test_a_hung_driver_is_stopped_at_the_timeout(misbehaving: SubprocessDriver) -> None:
    client = PerlClient(BUNDLED_SPEC, CLOSED, driver=misbehaving)
    misbehaving.timeout = 1  # for the hanging call only; starting a driver may take longer
    with pytest.raises(PerlDriverError, match=r"did not answer 'call' within 1 s"):
        client.call("hang")
    misbehaving.timeout = 5
    assert client.getRun(thread_id="t").res.code == 400


def test_prints_to_stdout_do_not_corrupt_the_protocol(misbehaving: SubprocessDriver) -> None:
    client = PerlClient(BUNDLED_SPEC, CLOSED, driver=misbehaving)
    assert client.call("noise", {"thread_id": "t"}).res.code == 400
    # The print went to stderr; the thread collecting it may need a moment.
    deadline = time.monotonic() + 10
    while "not JSON at all" not in misbehaving.stderr_tail() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "not JSON at all" in misbehaving.stderr_tail()


def test_a_missing_perl_is_unavailable(perl_ready: None) -> None:
    broken = SubprocessDriver(perl=str(Path(sys.prefix) / "no-such-perl"))
    with pytest.raises(PerlUnavailable, match="cannot start"):
        PerlClient(BUNDLED_SPEC, CLOSED, driver=broken)


def test_peer_says_which_perl_client_answers(driver: SubprocessDriver) -> None:
    client = PerlClient(BUNDLED_SPEC, CLOSED, driver=driver)
    peer = client.peer
    assert peer["which"] == client.which
    assert peer["which"].startswith(
        ("OpenAPI::Client::OpenAI ", "PerlCompat::OpenAI shim over OpenAPI::Client")
    )
    assert set(peer["versions"]) >= {"OpenAPI::Client", "Mojolicious", "JSON::Validator"}


# -- embedded and subprocess agree ---------------------------------------------------------


def sample_calls() -> list[tuple[str, dict, dict]]:
    return [
        ("getRun", {"thread_id": "t"}, {}),
        ("getRun", {"thread_id": "a/b c", "run_id": "\u00fc?#"}, {}),
        ("listRuns", {"thread_id": "t", "limit": "7", "order": "sideways", "bogus": 1}, {}),
        ("listRuns", {"thread_id": "t", "limit": 0}, {}),
        ("modifyRun", {"thread_id": "t", "run_id": "r", "body": {"metadata": {"k": 1}}}, {}),
        ("modifyRun", {"thread_id": "t", "run_id": "r"}, {"json": {"metadata": {"k": "v"}}}),
        ("modifyRun", {"thread_id": "t", "run_id": "r", "body": 0}, {}),
        ("createRun", {"thread_id": "t", "body": {"assistant_id": "a", "temperature": "0.5"}}, {}),
        ("createRun", {"thread_id": "t", "body": {"assistant_id": "a", "bogus": True}}, {}),
        ("createThreadAndRun", {"body": {"assistant_id": "a", "stream": "true"}}, {}),
        ("cancelRun", {"thread_id": "t", "run_id": "r"}, {"body": b"raw"}),
    ]


def test_embedded_and_subprocess_give_identical_results(driver: SubprocessDriver) -> None:
    embedded_available()
    from perl_compat.bridge import EmbeddedDriver

    inside = PerlClient(BUNDLED_SPEC, CLOSED, driver=EmbeddedDriver())
    outside = PerlClient(BUNDLED_SPEC, CLOSED, driver=driver)
    assert inside.which == outside.which
    for op, params, content in sample_calls():
        one = inside.call(op, params, **content)
        two = outside.call(op, params, **content)
        timed = (inside.last_result or {}).pop("elapsed"), (outside.last_result or {}).pop("elapsed")
        assert all(isinstance(seconds, float) and seconds >= 0 for seconds in timed)  # each took its own time
        assert inside.last_result == outside.last_result, (op, params)
        assert diff_sides(Side.of(one, None), Side.of(two, None)) == []
