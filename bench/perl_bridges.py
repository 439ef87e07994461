"""The two ways to the Perl client, side by side: embedded libperl and a perl subprocess.

Run from the repository root: ``python bench/perl_bridges.py [--calls N]``. For each
bridge: start-up (a fresh Python process: import, ``PerlClient(spec)``, one call),
and per call, a local 400 (Perl validates, nothing is sent: the bridge's own cost
stands out) and a getRun sent to the mock server. Not a test: figures depend on
the machine; compare runs made on the same one.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run from a checkout without installing

SPEC = REPO / "openapi_client_openai" / "data" / "openapi.yaml"
MODES = ("embedded", "subprocess")
START = """
import time, sys
started = time.perf_counter()
from perl_compat.bridge import PerlClient
client = PerlClient(sys.argv[1], base_url="http://127.0.0.1:9/v1", mode=sys.argv[2])
client.getRun(thread_id="t")  # invalid: answered by Perl's validation, nothing sent
print(time.perf_counter() - started)
"""


def start_up(mode: str, runs: int) -> float:
    """Median seconds from a Python process's first line to a first answer from Perl."""
    env = {**os.environ, "OPENAI_API_KEY": os.environ.get("OPENAI_API_KEY", "sk-bench")}
    times = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", START, str(SPEC), mode],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
            env=env,
            cwd=REPO,
        )
        times.append(float(out.stdout.strip().splitlines()[-1]))
    return statistics.median(times)


def per_call(mode: str, calls: int) -> tuple[float, float]:
    """Median microseconds of a local 400 and of a getRun round trip to the mock server."""
    from openapi_client_openai.mock import MockServer
    from perl_compat.bridge import PerlClient

    os.environ.setdefault("OPENAI_API_KEY", "sk-bench")
    with MockServer(SPEC) as server, PerlClient(str(SPEC), base_url=server.base_url, mode=mode) as client:
        timings: dict[str, list[float]] = {"invalid": [], "getRun": []}
        for _ in range(calls):
            for name, call in (
                ("invalid", lambda: client.getRun(thread_id="t")),
                ("getRun", lambda: client.getRun(thread_id="t", run_id="r")),
            ):
                started = time.perf_counter()
                call()
                timings[name].append(time.perf_counter() - started)
            server.clear()
    return (statistics.median(timings["invalid"]) * 1e6, statistics.median(timings["getRun"]) * 1e6)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--starts", type=int, default=5)
    args = parser.parse_args()
    print(f"{'bridge':12} {'start-up':>10} {'local 400':>11} {'getRun':>10}")
    for mode in MODES:
        started = start_up(mode, args.starts)
        invalid, sent = per_call(mode, args.calls)
        print(f"{mode:12} {started * 1e3:8.0f} ms {invalid:8.0f} µs {sent:7.0f} µs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
