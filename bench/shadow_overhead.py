"""What ``perl_compat.shadow`` costs a caller per call, by sample rate and Perl bridge.

Run from the repository root: ``python bench/shadow_overhead.py [--calls N] [--spec S]``.
Each line is the wall time of one call (median and mean) made from Python to the mock server on
127.0.0.1 (so the network cost is as small as it gets and the shadow's share as large):
the plain client, then the same client shadowed with ``sample`` 1.0, 0.1 and 0.0, with
Perl embedded and as a subprocess. Three calls: a getRun (path parameters), a
modifyRun (a JSON body) and a local 400 (nothing sent: validation alone). Not a test:
figures depend on the machine; compare runs made on the same one.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run from a checkout without installing

SPEC = REPO / "openapi_client_openai" / "data" / "openapi.yaml"
RUN = {"thread_id": "thread_abc123", "run_id": "run_abc123"}
CALLS = {
    "getRun": lambda c: c.getRun(**RUN),
    "modifyRun": lambda c: c.modifyRun(**RUN, body={"metadata": {"user_id": "user_abc123"}}),
    "local 400": lambda c: c.getRun(thread_id="thread_abc123"),
}


def timed(client, call, calls: int) -> list[float]:
    times = []
    for _ in range(calls):
        started = time.perf_counter()
        call(client)
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--spec", default=str(SPEC))
    args = parser.parse_args()

    from openapi_client_openai import OpenAI
    from openapi_client_openai.mock import MockServer
    from perl_compat import shadow
    from perl_compat.environment import perl_settings

    os.environ.update(perl_settings())
    os.environ.setdefault("OPENAI_API_KEY", "sk-bench-not-a-key")
    published = []
    with MockServer(args.spec) as server:
        plain = OpenAI(args.spec, base_url=server.base_url)
        setups = [("plain client", plain)]
        for mode in ("embedded", "subprocess"):
            for sample in (1.0, 0.1, 0.0):
                setups.append(
                    (
                        f"shadow {mode:<10} sample={sample}",
                        shadow(plain, sample, published.append, mode=mode, seed=1),
                    )
                )
        # Interleaved rounds, so a busy neighbour slows every setup alike.
        times: dict = {(label, name): [] for label, _ in setups for name in CALLS}
        for _label, client in setups:  # warm up: caches, connections, Perl's validators
            for call in CALLS.values():
                timed(client, call, 10)
        rounds = 10
        for _ in range(rounds):
            for label, client in setups:
                for name, call in CALLS.items():
                    times[label, name] += timed(client, call, max(1, args.calls // rounds))
        print(f"microseconds per call: median / mean of {args.calls} calls, spec {Path(args.spec).name}")
        print(f"{'':34}" + "".join(f"{name:>18}" for name in CALLS))
        for label, _ in setups:
            medians = [statistics.median(times[label, n]) * 1e6 for n in CALLS]
            means = [statistics.mean(times[label, n]) * 1e6 for n in CALLS]
            cells = "".join(f"{median:>10.0f} /{mean:>6.0f}" for median, mean in zip(medians, means))
            print(f"{label:34}{cells}")
    print(f"mismatches published: {len(published)}")


if __name__ == "__main__":
    main()
