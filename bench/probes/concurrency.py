"""N concurrent getRun_p calls, then Promise.all(...).wait(): wall and CPU time, as JSON.

    python bench/probes/concurrency.py SPEC BASE_URL N [N ...]

For each N (after one warm-up call): ``{"N": {"wall": s, "cpu": s}}``. CPU is this
process's user + system time for the batch, so CPU per request is cpu / N.
"""

from __future__ import annotations

import json
import resource
import sys
import time

from openapi_client_openai import OpenAI, Promise


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    spec, base_url, *counts = sys.argv[1:]
    client = OpenAI(spec, base_url=f"{base_url}/v1")
    client.getRun_p(thread_id="thread_abc123", run_id="warm-up").wait()
    report = {}
    for n in map(int, counts):
        started, cpu_started = time.perf_counter(), cpu()
        promises = [client.getRun_p(thread_id="thread_abc123", run_id=f"run_{i}") for i in range(n)]
        results = Promise.all(promises).wait()
        wall, used = time.perf_counter() - started, cpu() - cpu_started
        assert len(results) == n and all(tx.res.code == 200 for (tx,) in results)
        report[str(n)] = {"wall": wall, "cpu": used}
    print(json.dumps(report))


if __name__ == "__main__":
    main()
