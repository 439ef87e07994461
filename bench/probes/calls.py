"""Per-call round trips from Python: getRun and modifyRun, interleaved, timed in-process.

    python calls.py PEER SPEC BASE_URL WARMUP CALLS

PEER is one of ``client`` (this package's ``OpenAI``), ``requests`` (``Session.get``/
``post`` as users write them), ``requests-prepared`` (one prepared request per
operation, ``Session.send`` each time) and ``http.client`` (one keep-alive
``HTTPConnection``). Prints one JSON object: the microseconds of each timed call.
Every response must be a 200. ``getRun`` and ``modifyRun`` read the body without
decoding it; ``getRun+json`` decodes it too (``tx.res.json()``, ``json.loads``), on
every peer that has it, and the client adds ``getRun_p+json`` (the promise form,
waited for) and ``first access`` (the first ``client.getRun`` attribute access).
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable

IDS = {"thread_id": "thread_abc123", "run_id": "run_abc123"}
BODY = {"metadata": {"user_id": "user_abc123"}}
RUN_PATH = "/v1/threads/thread_abc123/runs/run_abc123"

Call = Callable[[], int]  # makes one request, returns its status code
FIRST_ACCESS: list[float] = []  # microseconds of the client's first client.getRun access


def client_calls(spec: str, base_url: str) -> dict[str, Call]:
    from openapi_client_openai import OpenAI

    client = OpenAI(spec, base_url=f"{base_url}/v1")
    start = time.perf_counter_ns()
    client.getRun  # noqa: B018 (the first access is what is timed)
    FIRST_ACCESS.append((time.perf_counter_ns() - start) / 1000)

    def get_run() -> int:
        return client.getRun(**IDS).res.code

    def modify_run() -> int:
        return client.modifyRun(**IDS, body={"metadata": {"user_id": "user_abc123"}}).res.code

    def get_run_json() -> int:
        res = client.getRun(**IDS).res
        return res.code if res.json()["id"] == "run_abc123" else 0

    def get_run_p_json() -> int:
        res = client.getRun_p(**IDS).wait().res
        return res.code if res.json()["id"] == "run_abc123" else 0

    return {
        "getRun": get_run,
        "modifyRun": modify_run,
        "getRun+json": get_run_json,
        "getRun_p+json": get_run_p_json,
    }


def requests_calls(base_url: str, prepared: bool) -> dict[str, Call]:
    import requests

    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {os.environ['OPENAI_API_KEY']}"
    url = base_url + RUN_PATH
    if not prepared:

        def get_run() -> int:
            response = session.get(url)
            _ = response.content
            return response.status_code

        def modify_run() -> int:
            response = session.post(url, json={"metadata": {"user_id": "user_abc123"}})
            _ = response.content
            return response.status_code

        return {"getRun": get_run, "modifyRun": modify_run}

    get = session.prepare_request(requests.Request("GET", url))
    post = session.prepare_request(requests.Request("POST", url, json=BODY))

    def send(request: requests.PreparedRequest) -> Call:
        def call() -> int:
            response = session.send(request)
            _ = response.content
            return response.status_code

        return call

    return {"getRun": send(get), "modifyRun": send(post)}


def http_client_calls(base_url: str) -> dict[str, Call]:
    import http.client
    import urllib.parse

    split = urllib.parse.urlsplit(base_url)
    connection = http.client.HTTPConnection(split.hostname, split.port, timeout=30)
    auth = {"Authorization": f"Bearer {os.environ['OPENAI_API_KEY']}"}

    def get_run() -> int:
        connection.request("GET", RUN_PATH, headers=auth)
        response = connection.getresponse()
        response.read()
        return response.status

    def modify_run() -> int:
        body = json.dumps({"metadata": {"user_id": "user_abc123"}}).encode()
        connection.request("POST", RUN_PATH, body, {**auth, "Content-Type": "application/json"})
        response = connection.getresponse()
        response.read()
        return response.status

    def get_run_json() -> int:
        connection.request("GET", RUN_PATH, headers=auth)
        response = connection.getresponse()
        return response.status if json.loads(response.read())["id"] == "run_abc123" else 0

    return {"getRun": get_run, "modifyRun": modify_run, "getRun+json": get_run_json}


def peer_calls(peer: str, spec: str, base_url: str) -> dict[str, Call]:
    if peer == "client":
        return client_calls(spec, base_url)
    if peer in ("requests", "requests-prepared"):
        return requests_calls(base_url, prepared=peer == "requests-prepared")
    if peer == "http.client":
        return http_client_calls(base_url)
    raise SystemExit(f"unknown peer {peer!r}")


def main() -> None:
    peer, spec, base_url, warmup, calls = sys.argv[1:6]
    operations = peer_calls(peer, spec, base_url)
    times: dict[str, list[float]] = {name: [] for name in operations}
    clock = time.perf_counter_ns
    for i in range(int(warmup) + int(calls)):
        for name, call in operations.items():
            start = clock()
            code = call()
            spent = clock() - start
            if code != 200:
                raise SystemExit(f"{peer} {name}: HTTP {code}")
            if i >= int(warmup):
                times[name].append(spent / 1000)
    extra = {"first access": FIRST_ACCESS[0]} if FIRST_ACCESS else {}
    json.dump({"peer": peer, **times, **extra}, sys.stdout)


if __name__ == "__main__":
    main()
