"""Promise and IOLoop: Mojo::Promise's rules (deferred callbacks, Perl's shapes), the loop that
runs them, and ``await`` from asyncio."""

from __future__ import annotations

import asyncio
import socket
import threading
import time

import pytest

from openapi_client_openai import IOLoop, OpenAI, Promise, PromiseRejected, TransportError
from openapi_client_openai.ioloop import LoopError
from openapi_client_openai.mock import MockServer

from .conftest import BUNDLED_SPEC

WAIT = 10


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- chaining -------------------------------------------------------------------------------


def test_then_transforms_and_follows_a_returned_promise() -> None:
    later = Promise()
    chained = Promise.resolved(2).then(lambda v: v * 10).then(lambda v: later).then(lambda v: v + 1)
    assert not chained.is_settled
    later.resolve(5)
    assert chained.wait(WAIT) == 6


def test_callbacks_are_deferred_even_on_a_settled_promise_and_run_in_the_waiting_thread() -> None:
    """Mojo::Promise runs then-callbacks on a later tick, in the loop: never during then()."""
    ran: list[int] = []
    settled = Promise.resolved("v")
    chained = settled.then(lambda v: ran.append(threading.get_ident()))
    assert ran == []  # not now, although the promise had settled
    chained.wait(WAIT)
    assert ran == [threading.get_ident()]


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


def test_resolving_with_another_promises_settling_method_ends() -> None:
    """``p.then(other.resolve)``: resolve returns its promise, which must not start an endless chain."""
    other = Promise()
    Promise.resolved("x").then(other.resolve)
    assert other.wait(WAIT) == "x"
    again = Promise()
    Promise.rejected("no").catch(again.reject)
    with pytest.raises(PromiseRejected):
        again.wait(WAIT)
    IOLoop.one_tick()  # nothing keeps posting callbacks


def test_the_executor_form_of_new() -> None:
    assert Promise(lambda resolve, reject: resolve(42)).wait(WAIT) == 42
    with pytest.raises(PromiseRejected):
        Promise(lambda resolve, reject: reject("nope")).wait(WAIT)


# -- combinators, with Perl's shapes ----------------------------------------------------------


@pytest.mark.parametrize("spelling", ["arguments", "iterable"])
def test_all_resolves_with_one_list_per_promise(spelling: str) -> None:
    first, second = Promise(), Promise()
    combined = Promise.all(first, second) if spelling == "arguments" else Promise.all([first, second])
    second.resolve("b")
    first.resolve("a")
    assert combined.wait(WAIT) == [["a"], ["b"]]  # Mojo::Promise->all passes ([a], [b])
    assert Promise.all([]).wait(WAIT) == []
    with pytest.raises(PromiseRejected) as caught:
        Promise.all(Promise.resolved(1), Promise.rejected("no")).wait(WAIT)
    assert caught.value.reason == "no"


def test_race_any_and_all_settled() -> None:
    slow, fast = Promise(), Promise()
    raced = Promise.race(slow, fast)
    fast.reject("fast failed")
    slow.resolve("slow")
    with pytest.raises(PromiseRejected, match="fast failed"):
        raced.wait(WAIT)
    assert Promise.any(Promise.rejected("a"), Promise.resolved("b")).wait(WAIT) == "b"
    with pytest.raises(PromiseRejected) as caught:
        Promise.any([Promise.rejected("a"), Promise.rejected("b")]).wait(WAIT)
    assert caught.value.reason == [["a"], ["b"]]
    assert Promise.all_settled(Promise.resolved(1), Promise.rejected("x")).wait(WAIT) == [
        {"status": "fulfilled", "value": [1]},
        {"status": "rejected", "reason": ["x"]},
    ]
    assert Promise.all_settled([]).wait(WAIT) == []  # nothing to wait for (Mojo dies on an empty list)
    with pytest.raises(PromiseRejected) as caught:
        Promise.any([]).wait(WAIT)
    assert caught.value.reason == []


def test_map_keeps_at_most_concurrency_in_flight() -> None:
    in_flight, most = [0], [0]

    def start(item: int) -> Promise:
        in_flight[0] += 1
        most[0] = max(most[0], in_flight[0])

        def done(_: object) -> int:
            in_flight[0] -= 1
            return item * 2

        return Promise.timer(0.01, item).then(done)

    assert Promise.map(start, range(7), concurrency=2).wait(WAIT) == [[n * 2] for n in range(7)]
    assert most[0] == 2


def test_timer_and_timeout() -> None:
    started = time.monotonic()
    assert Promise.timer(0.05, "late").wait(WAIT) == "late"
    assert time.monotonic() - started >= 0.05
    with pytest.raises(PromiseRejected, match="Promise timeout"):
        Promise.timeout(0.01).wait(WAIT)


# -- the loop ---------------------------------------------------------------------------------


def test_waiting_inside_a_callback_never_deadlocks(api_key: str) -> None:
    """Today's thread pool deadlocked at 16 callbacks waiting; the loop runs callbacks re-entrantly."""
    with MockServer(BUNDLED_SPEC) as server:
        client = OpenAI(BUNDLED_SPEC, base_url=server.base_url)

        def nested(tx):
            return client.getRun_p(thread_id="t", run_id=f"inner-{tx.req.env['operationId']}").wait(WAIT)

        outer = [client.getRun_p(thread_id="t", run_id=f"r{i}").then(nested) for i in range(40)]
        results = Promise.all(outer).wait(WAIT * 3)
    assert [tx.res.code for (tx,) in results] == [200] * 40


def test_ioloop_start_runs_callbacks_until_stopped_or_idle() -> None:
    seen: list[str] = []
    IOLoop.timer(0.01, lambda loop: (seen.append("timer"), seen.append(f"running={IOLoop.is_running()}")))
    IOLoop.next_tick(lambda loop: seen.append("tick"))
    IOLoop.start()  # nothing left after the timer: returns
    assert seen == ["tick", "timer", "running=True"]
    later = IOLoop.timer(30, lambda loop: seen.append("never"))
    IOLoop.next_tick(lambda loop: IOLoop.stop())
    started = time.monotonic()
    IOLoop.start()  # stop() ends it long before the 30 s timer
    assert time.monotonic() - started < 5 and "never" not in seen
    later.cancel()  # else the next IOLoop.start() in this thread would wait for it, as Mojo's would
    assert IOLoop.singleton().idle


def test_a_promise_from_another_thread_is_driven_by_the_waiter() -> None:
    made: list[Promise] = []
    thread = threading.Thread(
        target=lambda: made.append(Promise.timer(0.01, "from a thread").then(str.upper))
    )
    thread.start()
    thread.join(WAIT)
    assert made[0].wait(WAIT) == "FROM A THREAD"  # its thread never waits: we drive its loop


def test_wait_times_out_with_timeouterror() -> None:
    with pytest.raises(TimeoutError):
        Promise().wait(0.05)


# -- asyncio --------------------------------------------------------------------------------------


def test_await_in_asyncio_gives_the_transaction_or_raises(api_key: str) -> None:
    closed = closed_port()

    async def main(base_url: str) -> tuple:
        client = OpenAI(BUNDLED_SPEC, base_url=base_url)
        here = threading.get_ident()
        gathered = await asyncio.gather(
            client.getRun_p(thread_id="t", run_id="r"), client.getRun_p(thread_id="t", run_id="s")
        )
        seen_on = await client.getRun_p(thread_id="t", run_id="r").then(lambda tx: threading.get_ident())
        client.base_url = f"http://127.0.0.1:{closed}/v1"
        try:
            await client.getRun_p(thread_id="t", run_id="r")
        except TransportError as exc:
            return gathered, exc, seen_on == here
        return gathered, None, seen_on == here

    with MockServer(BUNDLED_SPEC) as server:
        (first, second), error, same_thread = asyncio.run(main(server.base_url))
    assert (first.res.code, second.res.code) == (200, 200)
    assert str(first.req.url).endswith("/runs/r") and str(second.req.url).endswith("/runs/s")
    assert error == "Connection refused" and same_thread


def test_cancelling_one_awaiter_leaves_the_promise_to_its_other_consumers() -> None:
    async def main() -> tuple:
        promise = Promise.timer(0.2, "done")
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(promise, 0.01)
        text = repr(promise)
        followers = await asyncio.gather(promise.then(str.upper), Promise.all([promise]), promise)
        return text, followers

    text, followers = asyncio.run(main())
    assert text == "<Promise pending>"
    assert followers == ["DONE", [["done"]], "done"]


def test_wait_inside_a_running_asyncio_loop_is_a_clear_error() -> None:
    async def main() -> None:
        Promise.timer(0.01).wait()

    with pytest.raises(LoopError, match="use await"):
        asyncio.run(main())


def test_awaiting_a_pending_promise_made_outside_asyncio_is_a_clear_error() -> None:
    outside = Promise.timer(0.01, "x")

    async def main() -> None:
        await outside

    with pytest.raises(LoopError, match=r"call \.wait\(\)"):
        asyncio.run(main())
    assert outside.wait(WAIT) == "x"
