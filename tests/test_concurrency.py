"""Concurrency: one client shared by threads, a thousand promises at once, and the spec cache raced.

Every request carries its own path parameters, so a response handed to the wrong
caller, or a request that never arrived or arrived twice, shows up by name. The
cache races run in fresh Pythons started together (a file is the starting gun),
under a timeout.
"""

from __future__ import annotations

import collections
import concurrent.futures
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from openapi_client_openai import OpenAI, Promise
from openapi_client_openai.mock import MockServer

from .conftest import BUNDLED_SPEC

THREADS = 8
CALLS_PER_THREAD = 500
PROMISES = 1000
WAIT = 120  # seconds for any one batch; a healthy run needs a fraction
PROCESS_TIMEOUT = 120

# Calls that differ in operation, method and body, each naming worker and call in its path.
CALLS = (
    ("getRun", "GET", "thread.run"),
    ("listRuns", "GET", "list"),
    ("getRunStep", "GET", "thread.run.step"),
    ("cancelRun", "POST", "thread.run"),
    ("modifyRun", "POST", "thread.run"),
)


def call_for(worker: int, index: int) -> tuple[str, dict, str]:
    """The operation, params and expected request path of one worker's ``index``-th call."""
    op_id = CALLS[(worker + index) % len(CALLS)][0]
    thread, run = f"thread_{worker}_{index}", f"run_{worker}_{index}"
    params: dict = {"thread_id": thread, "run_id": run}
    path = f"/v1/threads/{thread}/runs/{run}"
    if op_id == "listRuns":
        params = {"thread_id": thread, "limit": 1 + index % 100}
        path = f"/v1/threads/{thread}/runs?limit={1 + index % 100}"
    elif op_id == "getRunStep":
        params["step_id"] = f"step_{worker}_{index}"
        path += f"/steps/step_{worker}_{index}"
    elif op_id == "cancelRun":
        path += "/cancel"
    elif op_id == "modifyRun":
        params["body"] = {"metadata": {"worker": str(worker), "index": str(index)}}
    return op_id, params, path


def check(tx, op_id: str, params: dict, path: str) -> str | None:
    """Why ``tx`` is not the answer to its own call, or None."""
    method, kind = next((m, k) for name, m, k in CALLS if name == op_id)
    if tx.req.method.upper() != method or not str(tx.req.url).endswith(path):
        return f"{op_id}: request {tx.req.method} {tx.req.url}, expected {method} ...{path}"
    if tx.res.code != 200 or tx.error is not None:
        return f"{op_id} {path}: {tx.res.code} {tx.error}"
    if tx.res.headers.get("X-Mock-Operation-Id") != op_id or tx.res.json("/object") != kind:
        return f"{op_id} {path}: got the answer to {tx.res.headers.get('X-Mock-Operation-Id')}"
    if op_id == "modifyRun" and json.loads(tx.req.body) != params["body"]:
        return f"{op_id} {path}: sent another body {tx.req.body!r}"
    return None


@pytest.fixture
def mock():
    with MockServer(BUNDLED_SPEC) as server:
        yield server


def test_one_client_shared_by_8_threads_making_500_calls_each(api_key: str, mock: MockServer) -> None:
    """4,000 calls through one client at once: each answer is its own, each request arrives once."""
    client = OpenAI(BUNDLED_SPEC, base_url=mock.base_url)

    def work(worker: int) -> list[str]:
        problems = []
        for index in range(CALLS_PER_THREAD):
            op_id, params, path = call_for(worker, index)
            problem = check(client.call(op_id, params), op_id, params, path)
            if problem:
                problems.append(problem)
        return problems

    with concurrent.futures.ThreadPoolExecutor(THREADS) as pool:
        results = [pool.submit(work, worker) for worker in range(THREADS)]
        problems = [
            p for done in concurrent.futures.as_completed(results, timeout=WAIT) for p in done.result()
        ]
    total = THREADS * CALLS_PER_THREAD
    captured = mock.wait_for(total, timeout=10)
    expected = collections.Counter(call_for(w, i)[2] for w in range(THREADS) for i in range(CALLS_PER_THREAD))
    arrived = collections.Counter(request.target for request in captured)
    print(f"\n{THREADS} threads x {CALLS_PER_THREAD} calls: {total - len(problems)} answered right")
    assert problems == []
    assert arrived == expected  # every request once, none lost, none doubled, none garbled


def test_1000_promises_at_once_all_settle_with_their_own_answers(api_key: str, mock: MockServer) -> None:
    """Promise.all over 1,000 ``_p`` calls, all in flight at once: all resolve, in order."""
    client = OpenAI(BUNDLED_SPEC, base_url=mock.base_url)
    calls = [call_for(PROMISES, index) for index in range(PROMISES)]
    promises = [getattr(client, f"{op_id}_p")(params) for op_id, params, _ in calls]
    transactions = [tx for (tx,) in Promise.all(promises).wait(WAIT)]  # Perl's shape: [[tx], ...]
    assert len(transactions) == PROMISES
    problems = [check(tx, *call) for tx, call in zip(transactions, calls)]
    assert [p for p in problems if p] == []
    arrived = collections.Counter(request.target for request in mock.wait_for(PROMISES, timeout=10))
    assert arrived == collections.Counter(path for _, _, path in calls)
    print(f"\n{PROMISES} promises at once: all resolved with their own transactions")


# -- the spec cache -----------------------------------------------------------------------------

LOADER = r"""
import hashlib, json, os, sys, time
ready, go = sys.argv[2], sys.argv[3]
open(ready, "w").close()
deadline = time.monotonic() + 60
while not os.path.exists(go):  # the starting gun: every loader starts within a millisecond
    if time.monotonic() > deadline:
        sys.exit("no starting gun")
    time.sleep(0.001)
from openapi_client_openai import Client
client = Client(sys.argv[1], base_url="http://127.0.0.1:9/v1")
ops = sorted(client.spec.operations)
tx = client.call(ops[0], {})
data = json.dumps(client.spec.data, sort_keys=True).encode()
print(json.dumps({"operations": len(ops), "digest": hashlib.sha256(data).hexdigest(), "code": tx.res.code}))
"""


def load_together(spec: Path, cache: Path | str, count: int, tmp_path: Path) -> list[dict]:
    """Start ``count`` fresh Pythons loading ``spec``, release them at once, collect what they saw."""
    gun = tmp_path / f"go-{time.monotonic_ns()}"
    readies = [tmp_path / f"ready-{gun.name}-{n}" for n in range(count)]
    env = {**os.environ, "OPENAPI_CLIENT_OPENAI_CACHE": str(cache)}
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", LOADER, str(spec), str(ready), str(gun)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for ready in readies
    ]
    try:
        deadline = time.monotonic() + PROCESS_TIMEOUT
        while not all(ready.exists() for ready in readies):
            assert time.monotonic() < deadline, "the loaders never got ready"
            time.sleep(0.005)
        gun.touch()
        outputs = [process.communicate(timeout=PROCESS_TIMEOUT) for process in processes]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait(5)
    results = []
    for process, (out, err) in zip(processes, outputs):
        assert process.returncode == 0, f"a loader failed (status {process.returncode}):\n{err[-3000:]}"
        results.append(json.loads(out.splitlines()[-1]))
    return results


def test_two_processes_building_the_cache_at_once(openai_spec_path: Path, tmp_path: Path) -> None:
    """Both parse OpenAI's spec and write the cache together; both, and a third later, agree."""
    cache = tmp_path / "cache"
    first, second = load_together(openai_spec_path, cache, 2, tmp_path)
    (third,) = load_together(openai_spec_path, cache, 1, tmp_path)  # from what they left
    assert first == second == third
    assert first["operations"] == 170 and first["code"] in (200, 400, None)
    left = sorted(path.name for path in cache.iterdir())
    assert left and not [name for name in left if name.startswith(".tmp-")], left  # no half-written files


def corruptions(blob: bytes) -> dict[str, list[bytes]]:
    """Ways a cache file can be damaged, each with one or more damaged copies of ``blob``."""
    middle = len(blob) // 2
    flips = []
    for fifth in range(1, 5):  # one byte flipped at four places: the header, the payload, its end
        flipped = bytearray(blob)
        flipped[len(blob) * fifth // 5] ^= 0xFF
        flips.append(bytes(flipped))
    return {
        "empty": [b""],
        "cut in half": [blob[:middle]],
        "one byte flipped": flips,
        "random bytes": [os.urandom(len(blob))],
        "header only": [blob[: blob.index(b"\n") + 1] if b"\n" in blob else b"x"],
        "another file's content": [b"openapi: 3.0.0\n"],
    }


@pytest.mark.parametrize("how", list(corruptions(b"header\npayload")))
def test_a_corrupted_cache_file_still_gives_the_same_client(tmp_path: Path, how: str) -> None:
    """Each cache file damaged in turn: a working client, with the spec as it really is."""
    cache = tmp_path / "cache"
    (clean,) = load_together(BUNDLED_SPEC, cache, 1, tmp_path)
    files = sorted(path for path in cache.iterdir() if path.is_file())
    assert files, "the first load wrote no cache"
    for target in files:
        original = target.read_bytes()
        for damaged in corruptions(original)[how]:
            target.write_bytes(damaged)
            (again,) = load_together(BUNDLED_SPEC, cache, 1, tmp_path)
            assert again == clean, f"{target.name} {how}: the client saw another spec"
        target.write_bytes(original)


def test_an_unusable_cache_directory_only_costs_speed(api_key: str, tmp_path: Path, monkeypatch) -> None:
    """A cache path under a regular file, a cache path that is a file, a directory others can write."""
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o777)
    shared.chmod(0o777)  # anyone could plant a file here: it must not be read
    places = {"under a file": blocker / "cache", "a file": blocker, "world-writable": shared}
    if os.geteuid() != 0:  # root writes through permissions; the file trick above covers it
        read_only = tmp_path / "read-only"
        read_only.mkdir(mode=0o500)
        places["read-only"] = read_only
    for name, place in places.items():
        monkeypatch.setenv("OPENAPI_CLIENT_OPENAI_CACHE", str(place))
        for _ in range(2):  # the second time finds nothing usable either
            client = OpenAI(BUNDLED_SPEC, base_url="http://127.0.0.1:9/v1")
            tx = client.getRun(thread_id="t")
            assert tx.res.code == 400 and len(client.spec.operations) > 5, name
    assert blocker.read_text() == "not a directory"
    assert list(shared.iterdir()) == []  # nothing written where others could have planted it
