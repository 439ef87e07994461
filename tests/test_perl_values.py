"""Values a ported program prints are Perl's, and Perl's method calls have one Python spelling.

``tx.req.method`` and ``tx.req.url`` are compared with what the real Perl client
reports for the same calls (perl_compat's bridge); the wire still says ``POST``.
Where Perl calls a method and Python has a property (``is_success``, ``code``,
``result``, ``error``), the documented spelling works and the Perl-shaped one
fails loudly; where Python keeps a method (``json``, the header accessors),
using it without the call raises instead of being silently true.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from openapi_client_openai import OpenAI
from openapi_client_openai.mock import MockServer
from perl_compat.bridge import PerlClient

from .conftest import BUNDLED_SPEC, TEST_KEY


@pytest.fixture
def mock() -> Iterator[MockServer]:
    with MockServer(BUNDLED_SPEC) as server:
        yield server


@pytest.fixture
def perl_client(perl_env: dict, mock: MockServer, monkeypatch: pytest.MonkeyPatch) -> PerlClient:
    for name in ("JSON_VALIDATOR_CACHE_PATH", "MOJO_REACTOR"):
        monkeypatch.setenv(name, perl_env[name])
    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
    return PerlClient(BUNDLED_SPEC, mock.base_url)


CALLS = [
    ("getRun", {"thread_id": "t1", "run_id": "r1"}),  # valid, GET
    ("modifyRun", {"thread_id": "t1", "run_id": "r1", "body": {"metadata": {"k": "v"}}}),  # valid, POST
    ("cancelRun", {"thread_id": "t1"}),  # invalid: the local 400, nothing sent
    ("listRuns", {"thread_id": "t 1/x", "limit": 5, "order": "desc"}),  # escaping and a query
]


@pytest.mark.parametrize(("op", "params"), CALLS, ids=[c[0] for c in CALLS])
def test_method_and_url_are_perls(perl_client: PerlClient, mock: MockServer, op: str, params: dict) -> None:
    client = OpenAI(BUNDLED_SPEC, base_url=mock.base_url)
    ours = client.call(op, dict(params))
    theirs = perl_client.call(op, dict(params))
    assert ours.req.method == theirs.req.method  # "get"/"post" when sent, "POST" for the local 400
    assert str(ours.req.url) == str(theirs.req.url)
    assert ours.req.url.path == theirs.req.url.path and ours.req.url.query == theirs.req.url.query


def test_the_wire_says_post_while_perl_says_post_in_lower_case(api_key: str, mock: MockServer) -> None:
    client = OpenAI(BUNDLED_SPEC, base_url=mock.base_url)
    tx = client.modifyRun(thread_id="t", run_id="r", body={"metadata": {}})
    assert tx.req.method == "post"
    (captured,) = mock.wait_for(1)
    assert captured.method == "POST"
    invalid = client.modifyRun(thread_id="t")
    assert invalid.req.method == "POST" and not invalid.is_sent


def test_a_header_the_server_did_not_send_is_none(api_key: str, mock: MockServer) -> None:
    tx = OpenAI(BUNDLED_SPEC, base_url=mock.base_url).getRun(thread_id="t", run_id="r")
    headers = tx.res.headers
    assert headers.header("x-ratelimit-remaining-requests") is None
    assert headers.get("x-ratelimit-remaining-requests") is None
    assert headers.header("content-type") == headers.content_type() == "application/json"
    assert tx.req.headers.authorization() == f"Bearer {TEST_KEY}"


def test_properties_where_perl_calls_a_method(api_key: str, mock: MockServer) -> None:
    tx = OpenAI(BUNDLED_SPEC, base_url=mock.base_url).getRun(thread_id="t", run_id="r")
    assert tx.res.is_success is True and tx.res.is_error is False
    assert tx.res.code == 200 and tx.error is None and tx.result is tx.res
    # The Perl shape of each is a loud TypeError, never a silent wrong value.
    for wrong in (lambda: tx.res.is_success(), lambda: tx.res.code(), lambda: tx.result()):
        with pytest.raises(TypeError, match="not callable"):
            wrong()
    with pytest.raises(TypeError, match="not callable"):
        tx.error()  # type: ignore[misc]


def test_methods_python_keeps_refuse_to_be_values(api_key: str, mock: MockServer) -> None:
    tx = OpenAI(BUNDLED_SPEC, base_url=mock.base_url).getRun(thread_id="t", run_id="r")
    assert tx.res.json()["id"] == tx.res.json("/id")
    with pytest.raises(TypeError, match=r"Response\.json is a method.*response\.json\(\)"):
        if tx.res.json:
            pass
    with pytest.raises(TypeError, match="call it"):
        tx.res.json == {}  # noqa: B015 (the comparison itself must raise)
    with pytest.raises(TypeError, match="call it"):
        tx.res.json["id"]
    with pytest.raises(TypeError, match="call it"):
        print(tx.res.json)
    assert "bound method Response.json" in repr(tx.res.json)  # a debugger still shows what it is
    assert tx.res.json.__name__ == "json" and callable(tx.res.json)
