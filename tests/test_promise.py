"""Promise: Mojo::Promise's chaining rules, combinators, and ``await`` from asyncio."""

from __future__ import annotations

import asyncio
import socket
import threading

import pytest

from openapi_client_openai import OpenAI, Promise, PromiseRejected
from openapi_client_openai.mock import MockServer

from .conftest import BUNDLED_SPEC

WAIT = 10


def test_then_transforms_and_follows_a_returned_promise() -> None:
    later = Promise()
    chained = Promise.resolved(2).then(lambda v: v * 10).then(lambda v: later).then(lambda v: v + 1)
    assert not chained.is_settled
    later.resolve(5)
    assert chained.wait(WAIT) == 6


def test_catch_gets_the_reason_and_recovers() -> None:
    recovered = (
        Promise.rejected("Connection refused").then(lambda v: "not here").catch(lambda r: f"caught {r}")
    )
    assert recovered.wait(WAIT) == "caught Connection refused"
    with pytest.raises(PromiseRejected) as caught:
        Promise.resolved(1).then(lambda v: Promise.rejected("later")).wait(WAIT)
    assert caught.value.reason == "later"


def test_an_exception_in_a_callback_rejects_the_next_promise() -> None:
    def boom(value: int) -> int:
        raise ValueError("bad value")

    with pytest.raises(ValueError, match="bad value"):
        Promise.resolved(1).then(boom).wait(WAIT)


def test_finally_runs_either_way_and_passes_the_outcome_on() -> None:
    ran = []
    assert Promise.resolved("v").finally_(lambda: ran.append("ok")).wait(WAIT) == "v"
    with pytest.raises(PromiseRejected):
        Promise.rejected("r").finally_(lambda: ran.append("err")).wait(WAIT)
    assert ran == ["ok", "err"]


def test_all_keeps_order_and_rejects_with_the_first_rejection() -> None:
    first, second = Promise(), Promise()
    combined = Promise.all([first, second])
    second.resolve("b")
    first.resolve("a")
    assert combined.wait(WAIT) == ["a", "b"]
    assert Promise.all([]).wait(WAIT) == []
    with pytest.raises(PromiseRejected) as caught:
        Promise.all([Promise.resolved(1), Promise.rejected("no")]).wait(WAIT)
    assert caught.value.reason == "no"


def test_race_settles_like_the_first_to_settle() -> None:
    slow, fast = Promise(), Promise()
    raced = Promise.race([slow, fast])
    fast.reject("fast failed")
    slow.resolve("slow")
    with pytest.raises(PromiseRejected, match="fast failed"):
        raced.wait(WAIT)


def test_await_in_asyncio_gives_the_transaction_or_raises(api_key: str) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]

    async def main(base_url: str) -> tuple:
        client = OpenAI(BUNDLED_SPEC, base_url=base_url)
        gathered = await asyncio.gather(
            client.getRun_p(thread_id="t", run_id="r"), client.getRun_p(thread_id="t", run_id="s")
        )
        client.base_url = f"http://127.0.0.1:{closed}/v1"
        try:
            await client.getRun_p(thread_id="t", run_id="r")
        except PromiseRejected as exc:
            return gathered, exc.reason
        return gathered, None

    with MockServer(BUNDLED_SPEC) as server:
        (first, second), reason = asyncio.run(main(server.base_url))
    assert (first.res.code, second.res.code) == (200, 200)
    assert str(first.req.url).endswith("/runs/r") and str(second.req.url).endswith("/runs/s")
    assert reason == "Connection refused"


def test_callbacks_run_off_the_calling_thread() -> None:
    seen = []
    done = threading.Event()
    Promise.run(lambda: threading.current_thread().name).then(lambda name: (seen.append(name), done.set()))
    assert done.wait(WAIT)
    assert seen and seen[0].startswith("openapi-client")
