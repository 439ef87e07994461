"""The Python side of bench/streaming.py: one way of reading a chat stream, then a JSON line of figures.

    python stream.py SPEC BASE_URL MODE [CALLS]

MODE is ``baseline`` (one call without stream: a small body), or a way to read the
stream: ``read`` (the Perl idiom: ``unsubscribe('read')`` in ``after_build_tx``,
a handler counting bytes), ``sse`` (the same with the ``sse`` event), ``iterator``
(``for event in client.stream(...)``), ``async`` (``async for``) or ``buffered``
(the default subscriber keeps the body: Mojo's asset, moved to a file past 256 KiB).
Each streamed call notes ``time.time()`` when its first event (or first non-empty
piece) reaches user code. Peak RSS is VmHWM from /proc/self/status, read at the end.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

MESSAGES = [{"role": "user", "content": "Hi"}]


def main() -> None:
    spec, base_url, mode = sys.argv[1:4]
    calls = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    from openapi_client_openai import OpenAI

    client = OpenAI(spec, base_url=base_url)
    body = {"model": "gpt-4o", "messages": MESSAGES, "stream": mode != "baseline"}
    totals = {"bytes": 0, "events": 0}
    first: list[float] = []  # per call: when its first event (or piece) reached user code

    if mode in ("read", "sse", "buffered"):

        def listen(c: object, tx: object) -> None:
            content = tx.res.content  # type: ignore[attr-defined]
            calls_before = len(first)

            def on_read(content: object, piece: bytes) -> None:
                if len(first) == calls_before:
                    first.append(time.time())
                totals["bytes"] += len(piece)

            def on_sse(content: object, event: object) -> None:
                if event is None:
                    return
                if len(first) == calls_before:
                    first.append(time.time())
                totals["events"] += 1

            if mode == "buffered":
                content.on("read", on_read)
            elif mode == "read":
                content.unsubscribe("read").on("read", on_read)
            else:
                content.unsubscribe("read").on("sse", on_sse)

        client.on("after_build_tx", listen)

    def iterate() -> object:
        stream = client.stream("createChatCompletion", body=body)
        for _event in stream:
            if len(first) < len(done) + 1:
                first.append(time.time())
            totals["events"] += 1
        return stream.tx

    async def iterate_async() -> list:
        txs = []
        for _ in range(calls):
            stream = client.stream("createChatCompletion", body=body)
            async for _event in stream:
                if len(first) < len(txs) + 1:
                    first.append(time.time())
                totals["events"] += 1
            txs.append(stream.tx)
        return txs

    done: list = []
    started = time.perf_counter()
    if mode == "async":
        done = asyncio.run(iterate_async())
    else:
        for _ in range(calls):
            if mode in ("baseline", "read", "sse", "buffered"):
                done.append(client.createChatCompletion({"body": body}))
            elif mode == "iterator":
                done.append(iterate())
            else:
                raise SystemExit(f"unknown mode {mode!r}")
    seconds = time.perf_counter() - started
    error = next((tx.error["message"] for tx in done if tx.error), None)  # type: ignore[attr-defined]
    print(json.dumps({"peak_kib": _peak_kib(), "seconds": seconds, "first": first, "error": error, **totals}))


def _peak_kib() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


if __name__ == "__main__":
    main()
