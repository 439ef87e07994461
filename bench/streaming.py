"""Streaming: peak memory over a 100 MB stream of events, and the time to the first event, beside Perl.

Run from the repository root: ``python bench/streaming.py [--megabytes 100] [--latency-calls 30]``.
Not a test: figures depend on the machine (2 shared cores here); compare runs made on
the same one.

Memory. The mock (OpenAI's spec, ``createChatCompletion`` with ``stream: true``)
streams about ``--megabytes`` of chat chunks; each way of reading them runs in a
child process of its own, which reports its peak RSS (VmHWM). The baseline is the
same child making one call without ``stream`` (a small JSON body): the target is a
peak within 10 MiB of it when ``read`` is unsubscribed and in the iterator.

Latency. A loopback server answers each call by writing the headers and the first
event in one write, noting ``time.time()`` just before it, then the rest 50 ms
later; each child notes ``time.time()`` when that first event (or its first
non-empty piece) reaches user code. Both clocks are the machine's wall clock.
Reported: the median and the 90th percentile over ``--latency-calls`` calls on one
kept-alive connection, for each Python way and for Perl's read handler.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run from a checkout without installing

OPENAI_SPEC = REPO.parent / "shared" / "openapi" / "openai-openapi.yaml"
PROBE = REPO / "bench" / "probes" / "stream.py"
PERL_PROBE = REPO / "bench" / "perl" / "stream.pl"
PYTHON_MODES = ("iterator", "async", "read", "sse", "buffered")
TARGET_MIB = 10.0


def run_child(argv: list[str], env: dict, timeout: float = 900) -> dict:
    done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=timeout, check=False)
    if done.returncode != 0 or not done.stdout.strip():
        raise SystemExit(f"{' '.join(argv[:3])} ... failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def python(spec: str, url: str, mode: str, env: dict, calls: int = 1) -> dict:
    return run_child([sys.executable, str(PROBE), spec, url, mode, str(calls)], env)


def perl(spec: str, url: str, mode: str, env: dict, calls: int = 1) -> dict:
    argv = ["perl", "-I", str(REPO / "perl_compat" / "perl"), str(PERL_PROBE), spec, url, mode, str(calls)]
    return run_child(argv, env)


def deltas_for(spec: object, megabytes: float) -> tuple[int, float]:
    """How many text pieces make a stream of ``megabytes``, and the bytes of one."""
    from openapi_client_openai.event_streams import event_stream
    from openapi_client_openai.mock_streams import events

    stream = event_stream(spec, spec.operations["createChatCompletion"])  # type: ignore[attr-defined]
    request = {"model": "gpt-4o"}
    small = sum(len(e) for e in events(spec, stream, request, 100))  # type: ignore[arg-type]
    large = sum(len(e) for e in events(spec, stream, request, 200))  # type: ignore[arg-type]
    per_delta = (large - small) / 100
    return int(megabytes * 1e6 / per_delta), per_delta


class FirstEventServer:
    """Answers every request on a connection with a short chat stream; notes when its first byte went."""

    HEAD = (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
    )

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(600)
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}/v1"
        self.sent: list[float] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @staticmethod
    def _chunk(data: str) -> bytes:
        raw = f"data: {data}\n\n".encode()
        return b"%x\r\n%s\r\n" % (len(raw), raw)

    def _serve(self) -> None:
        first = self._chunk(
            json.dumps({"object": "chat.completion.chunk", "choices": [{"delta": {"role": "assistant"}}]})
        )
        rest = self._chunk(json.dumps({"choices": [{"delta": {"content": "Hello"}}]})) + self._chunk("[DONE]")
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=self._answer, args=(conn, first, rest), daemon=True).start()

    def _answer(self, conn: socket.socket, first: bytes, rest: bytes) -> None:
        with conn:
            conn.settimeout(60)
            buffer = b""
            while True:
                try:
                    while b"\r\n\r\n" not in buffer:
                        piece = conn.recv(65536)
                        if not piece:
                            return
                        buffer += piece
                    head, _, buffer = buffer.partition(b"\r\n\r\n")
                    length = next(
                        (
                            int(v)
                            for k, _, v in (h.partition(b":") for h in head.split(b"\r\n"))
                            if k.lower() == b"content-length"
                        ),
                        0,
                    )
                    while len(buffer) < length:
                        buffer += conn.recv(65536)
                    buffer = buffer[length:]
                    self.sent.append(time.time())
                    conn.sendall(self.HEAD + first)
                    time.sleep(0.05)
                    conn.sendall(rest + b"0\r\n\r\n")
                except OSError:
                    return

    def close(self) -> None:
        self.listener.close()


def mib(kib: float) -> str:
    return f"{kib / 1024:.1f} MiB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--megabytes", type=float, default=100.0)
    parser.add_argument("--latency-calls", type=int, default=30)
    parser.add_argument(
        "--spec", default=str(OPENAI_SPEC), help="a spec with createChatCompletion (OpenAI's)"
    )
    parser.add_argument("--skip-perl", action="store_true")
    args = parser.parse_args()

    from openapi_client_openai.mock import MockServer
    from openapi_client_openai.spec import load_spec
    from perl_compat.environment import perl_settings

    cache = tempfile.mkdtemp(prefix="bench-streaming-cache-")
    env = {
        **os.environ,
        **perl_settings(),
        "OPENAI_API_KEY": "sk-bench-not-a-key",
        "OPENAPI_CLIENT_OPENAI_CACHE": cache,
    }
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    spec = load_spec(args.spec)
    deltas, per_delta = deltas_for(spec, args.megabytes)
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    lines = [
        "# Streaming benchmark",
        "",
        f"`python bench/streaming.py --megabytes {args.megabytes:g} --latency-calls {args.latency_calls}` — "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}; load average {load} before.",
        "",
        f"## Peak RSS: {deltas} chat chunks ({deltas * per_delta / 1e6:.0f} MB of events) vs one small call",
        "",
        "| client | way | peak RSS | over its baseline | MB read | seconds | MB/s (the mock sets the pace) |",
        "|---|---|---|---|---|---|---|",
    ]
    with MockServer(spec, capture=False, stream_deltas=deltas) as server:
        python(args.spec, server.base_url, "baseline", env)  # warms the spec cache for every child
        base = python(args.spec, server.base_url, "baseline", env)
        lines.append(f"| Python | one call, no stream (baseline) | {mib(base['peak_kib'])} | | | | |")
        verdicts = []
        for mode in PYTHON_MODES:
            got = python(args.spec, server.base_url, mode, env)
            over = (got["peak_kib"] - base["peak_kib"]) / 1024
            size = (got["bytes"] or deltas * per_delta) / 1e6
            lines.append(
                f"| Python | {mode} | {mib(got['peak_kib'])} | {over:+.1f} MiB | {size:.0f} | "
                f"{got['seconds']:.1f} | {size / got['seconds']:.0f} |"
            )
            if got["error"]:
                lines[-1] += f" error: {got['error']}"
            if mode in ("iterator", "async", "read"):
                verdicts.append((mode, over))
        if not args.skip_perl:
            perl_base = perl(args.spec, server.base_url, "baseline", env)
            got = perl(args.spec, server.base_url, "read", env)
            over = (got["peak_kib"] - perl_base["peak_kib"]) / 1024
            lines.append(f"| Perl | one call, no stream (baseline) | {mib(perl_base['peak_kib'])} | | | | |")
            size = got["bytes"] / 1e6
            lines.append(
                f"| Perl | read (unsubscribed) | {mib(got['peak_kib'])} | {over:+.1f} MiB | {size:.0f} | "
                f"{got['seconds']:.1f} | {size / got['seconds']:.0f} |"
            )
    lines += ["", f"Target: within {TARGET_MIB:g} MiB of the baseline (read unsubscribed, the iterators):"]
    lines += [
        f"- {mode}: {over:+.1f} MiB: {'PASS' if over <= TARGET_MIB else 'FAIL'}" for mode, over in verdicts
    ]

    lines += [
        "",
        f"## From the server's first byte to the first event in user code ({args.latency_calls} calls each)",
        "",
        "| client | way | median | p90 |",
        "|---|---|---|---|",
    ]
    ways = [("Python", mode) for mode in ("iterator", "async", "read", "sse")]
    ways += [] if args.skip_perl else [("Perl", "read")]
    for who, mode in ways:
        server = FirstEventServer()
        try:
            run = (python if who == "Python" else perl)(args.spec, server.url, mode, env, args.latency_calls)
        finally:
            server.close()
        gaps = sorted((seen - sent) * 1e6 for seen, sent in zip(run["first"], server.sent))
        if len(gaps) != args.latency_calls:
            raise SystemExit(f"{who} {mode}: {len(gaps)} first events for {args.latency_calls} calls ({run})")
        p90 = gaps[int(0.9 * (len(gaps) - 1))]
        lines.append(f"| {who} | {mode} | {statistics.median(gaps):.0f} µs | {p90:.0f} µs |")
    text = "\n".join(lines) + "\n"
    print(text)
    (REPO / "bench" / "results" / "streaming.md").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
