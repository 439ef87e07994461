"""shadow(): the Perl client builds each sampled call too, and only mismatches are published."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from openapi_client_openai import IOLoop, OpenAI
from openapi_client_openai.mock import MockServer
from perl_compat import shadow
from perl_compat.shadow_calls import Mismatch

from .conftest import BUNDLED_SPEC, TEST_KEY

RUN = {"thread_id": "thread_abc123", "run_id": "run_abc123"}
WAIT = 30


@pytest.fixture
def server(perl_env: dict, monkeypatch: pytest.MonkeyPatch, api_key: str):
    for name in ("JSON_VALIDATOR_CACHE_PATH", "MOJO_REACTOR"):
        monkeypatch.setenv(name, perl_env[name])
    with MockServer(BUNDLED_SPEC) as mock:
        yield mock


@pytest.fixture
def client(server: MockServer) -> OpenAI:
    return OpenAI(BUNDLED_SPEC, base_url=server.base_url, assistants=True)


def every_kind_of_call(shadowed: OpenAI) -> int:
    """Blocking, invalid, body, snake_case, call(), callback and promise calls; how many were made."""
    shadowed.getRun(**RUN)
    shadowed.getRun(thread_id="thread_abc123")  # a local 400 on both sides
    shadowed.modifyRun(**RUN, body={"metadata": {"user": "u/1", "n\u00e4me": "\u00fc"}})
    shadowed.list_runs(thread_id="thread_abc123", limit=5, order="asc")
    shadowed.call("cancelRun", RUN)
    done = []
    shadowed.getRun(dict(RUN), lambda client, tx: done.append(tx))
    IOLoop.start()  # the callback runs when the loop does, as in Perl
    assert len(done) == 1
    shadowed.getRun_p(RUN).wait(WAIT)
    return 7


def test_identical_calls_publish_nothing_and_nothing_is_sent_twice(
    client: OpenAI, server: MockServer
) -> None:
    published: list[Mismatch] = []
    shadowed = shadow(client, publish=published.append)
    made = every_kind_of_call(shadowed)
    assert published == []
    stats = shadowed.perl_shadow.stats
    assert (stats.calls, stats.sampled, stats.compared, stats.mismatches, stats.errors) == (
        made,
        made,
        made,
        0,
        0,
    )
    sent = server.wait_for(made - 1, timeout=WAIT)  # the local 400 sends nothing
    assert len(sent) == made - 1


def test_a_planted_mismatch_is_published_and_nothing_else(client: OpenAI, server: MockServer) -> None:
    published: list[Mismatch] = []
    shadowed = shadow(client, publish=published.append)

    def plant(client: OpenAI, tx) -> None:  # a hook Perl does not have changes one kind of call
        if tx.req.env.get("operationId") == "modifyRun":
            tx.req.headers.add("X-Planted", "yes")

    shadowed.on("after_build_tx", plant)
    made = every_kind_of_call(shadowed)
    (mismatch,) = published
    assert mismatch.operation == "modifyRun"
    assert [(d.field, d.perl, d.python) for d in mismatch.differences] == [
        ("headers", [], ["x-planted: yes"])
    ]
    assert mismatch.params["body"]["metadata"]["user"] == "u/1"
    assert mismatch.python.res.code == 200  # the real call went through, answered as usual
    assert mismatch.perl.is_sent is False  # Perl built it and sent nothing
    assert (
        str(mismatch) == 'shadow: modifyRun differs from Perl: headers: Perl [] vs Python ["x-planted: yes"]'
    )
    assert len(server.wait_for(made - 1, timeout=WAIT)) == made - 1
    assert shadowed.perl_shadow.stats.mismatches == 1


def test_a_local_400_on_one_side_only_is_a_mismatch_of_outcome(server: MockServer) -> None:
    # Configured unlike Perl's client (no coercion): "5" is no longer taken for an integer.
    client = OpenAI(BUNDLED_SPEC, base_url=server.base_url, coerce="")
    published: list[Mismatch] = []
    shadowed = shadow(client, publish=published.append)
    tx = shadowed.listRuns({"thread_id": "thread_abc123", "limit": "5"})
    assert tx.res.code == 400 and not tx.is_sent
    (mismatch,) = published
    ((field, perl, python),) = [(d.field, d.perl, d.python) for d in mismatch.differences]
    assert field == "outcome"
    assert perl == f"request GET {server.base_url}/threads/thread_abc123/runs?limit=5"
    assert (
        python.startswith("local 400 ") and "/limit" in python and "Expected integer - got string." in python
    )
    shadowed.modifyRun(**RUN, body={"metadata": "not an object"})  # both refuse this one alike
    assert len(published) == 1


def test_the_default_publisher_is_a_logging_warning(client: OpenAI, caplog: pytest.LogCaptureFixture) -> None:
    shadowed = shadow(client)
    shadowed.on("after_build_tx", lambda c, tx: tx.req.headers.set("OpenAI-Beta", "assistants=v1"))
    with caplog.at_level(logging.WARNING, logger="perl_compat.shadow"):
        tx = shadowed.getRun(**RUN)
    assert tx.res.code == 200
    assert caplog.messages == []  # the OpenAI layer sets its own header when the request starts
    shadowed.on("after_build_tx", lambda c, tx: tx.req.headers.set("X-Trace", "1"))
    with caplog.at_level(logging.WARNING, logger="perl_compat.shadow"):
        shadowed.getRun(**RUN)
    assert caplog.messages == ['shadow: getRun differs from Perl: headers: Perl [] vs Python ["x-trace: 1"]']


def test_a_failing_publisher_never_reaches_the_caller(
    client: OpenAI, caplog: pytest.LogCaptureFixture
) -> None:
    def explode(mismatch: Mismatch) -> None:
        raise RuntimeError("the metrics backend is down")

    shadowed = shadow(client, publish=explode)
    shadowed.on("after_build_tx", lambda c, tx: tx.req.headers.set("X-Trace", "1"))
    with caplog.at_level(logging.ERROR, logger="perl_compat.shadow"):
        tx = shadowed.getRun(**RUN)
    assert tx.res.code == 200
    assert "the publish callback raised" in caplog.text and "metrics backend is down" in caplog.text


def test_sampling_decides_which_calls_perl_builds(client: OpenAI) -> None:
    never = shadow(client, sample=0.0)
    for _ in range(5):
        never.getRun(**RUN)
    assert (never.perl_shadow.stats.calls, never.perl_shadow.stats.sampled) == (5, 0)
    some = shadow(client, sample=0.5, seed=7)
    for _ in range(40):
        some.getRun(thread_id="thread_abc123")  # local 400s: nothing to send, quick
    assert 5 < some.perl_shadow.stats.sampled < 35
    assert some.perl_shadow.stats.compared == some.perl_shadow.stats.sampled


def test_the_shadow_is_the_same_client_seen_twice(client: OpenAI, server: MockServer) -> None:
    shadowed = shadow(client)
    assert isinstance(shadowed, type(client))
    client.inactivity_timeout = 7  # one state: a change through either view shows in both
    assert shadowed.inactivity_timeout == 7
    assert shadowed.base_url is client.base_url
    client.getRun(**RUN)  # a call through the original is not shadowed
    assert shadowed.perl_shadow.stats.calls == 0


def test_bad_arguments_are_refused_at_once(server: MockServer) -> None:
    from openapi_client_openai import Client

    with pytest.raises(TypeError, match="shadow\\(\\) takes an OpenAI client"):
        shadow(Client(BUNDLED_SPEC, base_url=server.base_url))
    client = OpenAI(BUNDLED_SPEC, base_url=server.base_url)
    for sample in (-0.1, 1.5, "all", True):
        with pytest.raises(ValueError, match="sample must be a fraction"):
            shadow(client, sample=sample)
    with pytest.raises(ValueError, match="mode must be"):
        shadow(client, mode="remote")


def test_without_perl_the_call_still_works_and_the_shadow_says_why_once(tmp_path: Path) -> None:
    # A fresh process whose PATH has no perl and which may not embed one.
    code = textwrap.dedent(
        f"""
        import logging
        logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
        from openapi_client_openai import OpenAI
        from openapi_client_openai.mock import MockServer
        from perl_compat import shadow
        with MockServer({str(BUNDLED_SPEC)!r}) as server:
            client = shadow(OpenAI({str(BUNDLED_SPEC)!r}, base_url=server.base_url), mode="subprocess")
            codes = [client.getRun(thread_id="t", run_id="r").res.code for _ in range(3)]
        print(codes, client.perl_shadow.stats.sampled, client.perl_shadow.disabled is not None)
        """
    )
    env = {**os.environ, "PATH": str(tmp_path), "OPENAI_API_KEY": TEST_KEY}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[0] == "[200, 200, 200] 1 True"
    warnings = [line for line in done.stderr.splitlines() if line.startswith("perl_compat.shadow")]
    assert len(warnings) == 1 and "cannot start 'perl'" in warnings[0]
