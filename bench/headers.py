"""Micro-benchmark of the header work one call does, this tree against a git ref.

    .venv/bin/python bench/headers.py [--ref HEAD~5] [--rounds 7]

Per call, the request side: build the request headers (three ``in`` checks and
adds, the OpenAI layer's ``Authorization`` set), read one back, list them all for
the wire; the response side: take a 12-header response and read three of them. The two trees run interleaved,
round by round, each in its own process; the best of each round is printed.
Not a test: numbers depend on the machine and its load; compare the two columns.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

PROBE = r"""
import sys, timeit
sys.path.insert(0, sys.argv[1])
from openapi_client_openai.message import Headers

RESPONSE = [("date", "Mon, 01 Jan 2024 00:00:00 GMT"), ("content-type", "application/json"),
            ("content-length", "123"), ("connection", "keep-alive"), ("openai-organization", "org"),
            ("openai-processing-ms", "12"), ("openai-version", "2020-10-01"), ("x-request-id", "req_1"),
            ("x-ratelimit-remaining-requests", "99"), ("set-cookie", "a=1"), ("set-cookie", "b=2"),
            ("server", "cloudflare")]

def request_side():
    h = Headers()
    for name, value in (("User-Agent", "Mojo-OpenAPI (Python)"), ("Accept-Encoding", "gzip"),
                        ("Content-Type", "application/json")):
        if name not in h:
            h.add(name, value)
    h.set("Authorization", "Bearer sk-xxx")
    h.get("Content-Type")
    for name, value in h.items():
        pass

def response_side():
    r = Headers(RESPONSE)
    r.get("Content-Type"); r.get("x-request-id"); r.get("x-ratelimit-remaining-tokens")

n = 2000
print(*(min(timeit.repeat(f, number=n, repeat=60)) / n * 1e6 for f in (request_side, response_side)))
"""


def run(root: Path) -> tuple[float, float]:
    out = subprocess.run([sys.executable, "-c", PROBE, str(root)], capture_output=True, text=True, check=True)
    request, response = (float(word) for word in out.stdout.split())
    return request, response


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ref", default="HEAD", help="the git ref to compare with (default HEAD)")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(
            ["git", "-C", str(REPO), "archive", args.ref, "openapi_client_openai"],
            capture_output=True,
            check=True,
        )
        subprocess.run(["tar", "-x", "-C", tmp], input=archive.stdout, check=True)
        ours, theirs = [], []
        for i in range(args.rounds):
            pair = [(ours, REPO), (theirs, Path(tmp))]
            for results, root in pair if i % 2 == 0 else pair[::-1]:
                results.append(run(root))
    print(f"best of {args.rounds} rounds, microseconds per call: this tree / {args.ref}")
    for i, what in enumerate(("request side", "response side")):
        mine, base = min(r[i] for r in ours), min(r[i] for r in theirs)
        print(f"  {what:14} {mine:6.2f} / {base:6.2f}  ({(mine / base - 1) * 100:+.1f}%)")
    mine, base = min(sum(r) for r in ours), min(sum(r) for r in theirs)
    print(f"  {'both':14} {mine:6.2f} / {base:6.2f}  ({(mine / base - 1) * 100:+.1f}%)")


if __name__ == "__main__":
    main()
