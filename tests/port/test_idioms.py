"""The idiom table against the package itself: a supported row must work, an unsupported
row must fail, so the table cannot claim what the package does not do (or the reverse).

Every row is run on real objects: a client, and a transaction and a promise from a
loopback call to the mock server. When a spelling starts to work (the Mojo surface
grows), its unsupported row fails here until it is flipped to YES in idioms.py.
"""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from openapi_client_openai import OpenAI
from openapi_client_openai.mock import MockServer
from openapi_client_openai.promise import Promise
from perl_compat.port import idioms
from perl_compat.port.idioms import IDIOMS, KIND_PYTHON, Idiom, follow, lookup, probe_arguments

from ..conftest import BUNDLED_SPEC

RUN = "thread_id='thread_abc123', run_id='run_abc123'"
# How to reach an object of each kind: a kind reached two ways is probed both ways.
RECEIVERS = {
    "headers": ["tx.res.headers", "tx.req.headers"],
    "promise": [f"client.getRun_p({RUN})"],
}


# Mojo::UserAgent's attributes, read from Perl: a Python user agent that has an
# attribute of the same name but another default (requests.Session.max_redirects is
# 30, Mojo's 0) does not support the idiom.
UA_ATTRIBUTES = (
    "connect_timeout",
    "inactivity_timeout",
    "request_timeout",
    "max_response_size",
    "max_redirects",
)


@pytest.fixture(scope="module")
def server():
    with MockServer(BUNDLED_SPEC) as mock:
        yield mock


@pytest.fixture(scope="module")
def mojo_defaults(perl_env: dict) -> dict:
    env = {k: v for k, v in perl_env.items() if not k.startswith("MOJO_") or k == "MOJO_REACTOR"}
    code = "my $ua = Mojo::UserAgent->new; print Mojo::JSON::encode_json({map { $_ => $ua->$_ } @ARGV})"
    done = subprocess.run(
        ["perl", "-MMojo::UserAgent", "-MMojo::JSON", "-e", code, *UA_ATTRIBUTES],
        capture_output=True, text=True, timeout=60, env=env, check=True,
    )  # fmt: skip
    return json.loads(done.stdout)


def probe(idiom: Idiom, base_url: str, defaults: dict) -> str | None:
    """None when the row's Python works on every object of its kind; else what failed."""
    for receiver in RECEIVERS.get(idiom.on, [KIND_PYTHON[idiom.on]]):
        client = OpenAI(BUNDLED_SPEC, base_url=base_url)
        names: dict[str, Any] = {
            "client": client,
            "tx": client.getRun(thread_id="thread_abc123", run_id="run_abc123"),
        }
        code = idiom.spell("recv", probe_arguments(idiom))
        try:
            names["recv"] = eval(receiver, names)
            if idiom.on == "ua" and idiom.method in defaults:
                before = eval(f"recv.{idiom.method}", names)
                assert before == defaults[idiom.method], (
                    f"starts at {before!r}, Mojo's at {defaults[idiom.method]!r}"
                )
            if idiom.is_statement:
                target, value = code.split(" = ", 1)
                eval(target, names)  # a setter only counts if the attribute is there to begin with
                exec(code, names)
                assert str(eval(target, names)) == str(eval(value, names)), "the value did not stick"
            else:
                result = eval(code, names)
                if isinstance(result, Promise):
                    result = result.wait(timeout=30)
                if idiom.gives not in ("", "data"):
                    assert result is not None, f"gave None, not a {idiom.gives}"
        except Exception as exc:
            return f"{receiver} -> {code}: {type(exc).__name__}: {exc}"
    return None


@pytest.mark.parametrize("idiom", [i for i in IDIOMS if i.supported], ids=lambda i: i.perl)
def test_a_supported_idiom_works_with_the_package(
    idiom: Idiom, server: MockServer, api_key: str, mojo_defaults: dict
) -> None:
    failure = probe(idiom, server.base_url, mojo_defaults)
    assert failure is None, f"{idiom.perl} is marked supported but {failure}"


@pytest.mark.parametrize("idiom", [i for i in IDIOMS if not i.supported], ids=lambda i: i.perl)
def test_an_unsupported_idiom_fails_with_the_package(
    idiom: Idiom, server: MockServer, api_key: str, mojo_defaults: dict
) -> None:
    failure = probe(idiom, server.base_url, mojo_defaults)
    assert failure is not None, (
        f"{idiom.perl} works now ({idiom.python_display}): flip it to YES in idioms.py"
    )


def test_the_probe_can_tell_a_missing_spelling(server: MockServer, api_key: str, mojo_defaults: dict) -> None:
    invented = Idiom("res", "no_such_method", (), "{recv}.no_such_method", "", True)
    assert "AttributeError" in (probe(invented, server.base_url, mojo_defaults) or "")
    # A setter on an object that does not have the attribute (requests.Session takes any).
    silent = Idiom("ua", "no_such_timeout", ("SECONDS",), "{recv}.no_such_timeout = {0}", "", True)
    assert probe(silent, server.base_url, mojo_defaults) is not None


def test_rows_are_unique_and_complete() -> None:
    keys = [idiom.key for idiom in IDIOMS]
    assert len(keys) == len(set(keys))
    for idiom in IDIOMS:
        assert idiom.on in KIND_PYTHON and idiom.gives in KIND_PYTHON, idiom
        assert len(probe_arguments(idiom)) == len(idiom.args), idiom
        assert idiom.python.count("{recv}") == 1, idiom


def test_a_chain_is_matched_link_by_link() -> None:
    links = [
        {"k": "method", "name": "res", "args": None},
        {"k": "method", "name": "headers", "args": []},
        {"k": "method", "name": "header", "args": [{"t": "str", "v": "x-request-id"}]},
    ]
    steps, final = follow("tx", links)
    assert [step.idiom.perl for step in steps] == ["$tx->res", "$tx->res->headers", "$headers->header(NAME)"]
    assert [step.kind for step in steps] == ["tx", "res", "headers"]
    assert final == ""


def test_an_unknown_method_stops_the_chain() -> None:
    links = [{"k": "method", "name": "res"}, {"k": "method", "name": "tree"}, {"k": "method", "name": "find"}]
    steps, final = follow("tx", links)
    assert len(steps) == 2 and isinstance(steps[1].idiom, idioms.Unknown)
    assert steps[1].idiom.perl == "$tx->res->tree" and final is None


def test_subscripts_go_into_data_only() -> None:
    data = [{"k": "method", "name": "json"}, {"k": "subscript", "brace": "{", "key": {"t": "str", "v": "id"}}]
    steps, final = follow("res", data)
    assert steps[1].idiom is None and final == "data"
    steps, final = follow("tx", [{"k": "subscript", "brace": "{", "key": {"t": "str", "v": "res"}}])
    assert isinstance(steps[0].idiom, idioms.Unknown) and final is None


def test_arity_picks_getter_or_setter() -> None:
    assert lookup("base_url", "host", 0).python == "{recv}.host"
    assert lookup("base_url", "host", 1).is_statement
    assert lookup("base_url", "host", 2) is None
