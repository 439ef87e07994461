"""How much the embedded Perl interpreter costs: start-up, loading the client, per call.

Run from the repository root: ``python bench/perl_interpreter.py [--calls N]``.
Not a test: the figures depend on the machine; compare runs on the same one.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

# Run as a script from a checkout: make the repository importable without installing.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from perl_compat.interpreter import Interpreter, get_interpreter

SPEC = {
    "openapi": "3.1.0",
    "info": {"title": "bench", "version": "1"},
    "servers": [{"url": "http://127.0.0.1:9/v1"}],
    "paths": {
        "/things/{id}": {
            "get": {
                "operationId": "getThing",
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "ok"}},
            }
        }
    },
}

# Builds a client once, then answers an invalid call locally: validation only, no I/O.
VALIDATE = r"""
sub Bench::client { $Bench::client = OpenAPI::Client->new($_[0]); 1 }
sub Bench::validate { return $Bench::client->getThing({})->res->code }
1;
"""


def _per_call(function: Callable[[], object], calls: int) -> float:
    """Microseconds per call, best of three rounds (the least disturbed by other load)."""
    rounds = []
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(calls):
            function()
        rounds.append((time.perf_counter() - start) / calls * 1e6)
    return min(rounds)


def _in_thread(function: Callable[[], float]) -> float:
    result: list[float] = []
    worker = threading.Thread(target=lambda: result.append(function()))
    worker.start()
    worker.join()
    return result[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20_000, help="calls per round (default 20000)")
    calls = parser.parse_args().calls

    start = time.perf_counter()
    perl: Interpreter = get_interpreter()
    started = time.perf_counter() - start

    start = time.perf_counter()
    perl.use("Mojo::UserAgent")
    perl.use("OpenAPI::Client")
    loaded = time.perf_counter() - start

    perl.eval("sub Bench::echo { return $_[0] } 1")
    print(f"libperl:                              {perl!r}")
    print(f"interpreter start-up:                 {started * 1e3:8.1f} ms")
    print(f"load Mojo::UserAgent + OpenAPI::Client: {loaded * 1e3:6.1f} ms")
    print(f"eval('1'), main thread:               {_per_call(lambda: perl.eval('1'), calls):8.1f} µs")
    print(
        "eval('1'), other thread:              "
        f"{_in_thread(lambda: _per_call(lambda: perl.eval('1'), calls)):8.1f} µs"
        "  (no SIGINT swap)"
    )
    echo_scalar = _per_call(lambda: perl.call("Bench::echo", 1), calls)
    print(f"call('Bench::echo', 1):               {echo_scalar:8.1f} µs")
    nested = {"thread_id": "t_1", "run_id": "r_1", "body": {"metadata": {"k": "v"}, "n": [1, 2, 3]}}
    echo_nested = _per_call(lambda: perl.call("Bench::echo", nested), calls)
    print(f"call('Bench::echo', <small dict>):    {echo_nested:8.1f} µs")

    with tempfile.TemporaryDirectory() as tmp:
        spec = Path(tmp) / "spec.json"
        spec.write_text(json.dumps(SPEC), encoding="utf-8")
        perl.eval(VALIDATE)
        start = time.perf_counter()
        perl.call("Bench::client", str(spec))
        built = time.perf_counter() - start
    print(f"OpenAPI::Client->new(small 3.1 spec): {built * 1e3:8.1f} ms")
    per_validation = _per_call(lambda: perl.call("Bench::validate"), max(calls // 20, 100))
    print(f"invalid call, validation only:        {per_validation:8.1f} µs")


if __name__ == "__main__":
    main()
