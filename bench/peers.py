"""This client beside Perl's OpenAPI::Client::OpenAI: start-up, per-call cost and memory.

    .venv/bin/python bench/peers.py [--rounds 7] [--calls 300] [--ref HEAD]

One run, interleaved round by round (the order flips every round), against a
loopback nginx serving a canned run object (``bench/nginx.py``):

* whole-process load + construct with OpenAI's spec: ``perl -e`` and ``python -c``,
  the Python spec cache cold (a fresh ``OPENAPI_CLIENT_OPENAI_CACHE``) and warm;
  the peak RSS of those processes (VmHWM, which each prints as it ends);
* per-call round trips of getRun and modifyRun: Perl's client (``bench/perl/calls.pl``),
  this client, ``requests`` (``Session.get``/``post``, and a prepared ``Session.send``)
  and ``http.client`` (``bench/probes/calls.py``), each timing N calls after a warm-up;
* validation alone: JSON::Validator's ``validate_request`` (``bench/perl/validate.pl``)
  and our ``OperationValidator.validate`` (``bench/probes/validate.py``);
* what a user feels first: a whole process that constructs and makes one getRun (time
  to the first answer, cache warm and cold, and its peak RSS), and the first access to
  an operation's method;
* fan-out: N = 16, 100, 400, 1000 concurrent ``getRun_p`` then ``Promise.all(...).wait``
  against a loopback server answering after 200 ms (``bench/probes/slow_server.py``),
  Perl's ``Mojo::Promise->all(@p)->wait`` beside ours (``bench/perl/concurrency.pl``,
  ``bench/probes/concurrency.py``): wall time, CPU per request, connections opened.

The servers run on CPU 0, every measured child on CPU 1 (where the machine has two).
``PYTHONDONTWRITEBYTECODE`` is unset for the children: with it every import recompiles.

Prints medians, ratios and each target's PASS/MISS, and writes them to
``bench/results/latest.json`` and ``latest.md``. Not a test: numbers depend on the
machine and its load; compare ratios from one run.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nginx import Nginx

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
SHARED = REPO.parent / "shared"
DEFAULT_SPEC = SHARED / "openapi" / "openai-openapi.yaml"
RESULTS = BENCH / "results"
CHILD_TIMEOUT = 300.0
CONSTRUCT_REPEATS = 3  # construct processes per peer per round
# The construct programs end by printing their VmHWM (peak RSS, KiB). Not wait4's ru_maxrss:
# Linux carries the forking parent's peak RSS over into an exec'd child's.
PYTHON_HWM = "print(open('/proc/self/status').read().split('VmHWM:')[1].split()[0])"
PERL_HWM = "open my $s, '<', '/proc/self/status'; print map { /^VmHWM:\\s+(\\d+)/ ? $1 : () } <$s>"

# A run object as the API returns it (our own values), served for GET and POST alike.
RUN = {
    "id": "run_abc123",
    "object": "thread.run",
    "created_at": 1699075072,
    "assistant_id": "asst_abc123",
    "thread_id": "thread_abc123",
    "status": "completed",
    "started_at": 1699075072,
    "expires_at": None,
    "cancelled_at": None,
    "failed_at": None,
    "completed_at": 1699075073,
    "last_error": None,
    "model": "gpt-4o",
    "instructions": "You are a helpful assistant.",
    "incomplete_details": None,
    "tools": [{"type": "code_interpreter"}],
    "tool_resources": {"code_interpreter": {"file_ids": ["file-abc123"]}},
    "metadata": {"user_id": "user_abc123"},
    "usage": {"prompt_tokens": 123, "completion_tokens": 456, "total_tokens": 579},
    "temperature": 1.0,
    "top_p": 1.0,
    "max_prompt_tokens": 1000,
    "max_completion_tokens": 1000,
    "truncation_strategy": {"type": "auto", "last_messages": None},
    "response_format": "auto",
    "tool_choice": "auto",
    "parallel_tool_calls": True,
}
ROUTES = {r"^/v1/threads/[^/]+/runs/[^/]+$": json.dumps(RUN)}


def chat_body(messages: int = 20) -> dict:
    """A createChatCompletion request: a system prompt, then user and assistant taking turns."""
    turns = [{"role": "system", "content": "You are a terse assistant that answers in one sentence."}]
    for i in range(1, messages):
        role = "user" if i % 2 else "assistant"
        turns.append({"role": role, "content": f"Message {i}: what is {i} squared, and why does it matter?"})
    return {"model": "gpt-4o", "messages": turns, "temperature": 0.2, "max_tokens": 256}


# -- the peers ----------------------------------------------------------------------


PERL = "Perl OpenAPI::Client::OpenAI"
PY_WARM = "this client, cache warm"
PY_COLD = "this client, cache cold"
PERL_BARE = "perl -e 1 (reference)"
PY_BARE = "python -c pass (reference)"
CLIENT = "this client"
REQUESTS = "requests Session.get/post"
PREPARED = "requests prepared Session.send"
HTTP_CLIENT = "http.client"
PYTHON = "this client's validator"
CLIENT_P = "this client, getRun_p(...).wait()"
PERL_POLL = "Perl, Mojo's Poll reactor (reference)"
FANOUT = (16, 100, 400, 1000)
FANOUT_DELAY = 0.2  # seconds the slow server waits before answering
DECODED = "getRun + JSON decode"
FIRST = "time to first answer"
RSS_FIRST = "peak RSS after construct + first getRun"
ACCESS = "first access to an operation's method"
FANOUT_CPU = "CPU per request, 1000 concurrent"
FANOUT_CONNECTIONS = "connections opened, 1000 concurrent"


def fanout_measure(n: int) -> str:
    return f"{n} concurrent getRun_p (server: 200 ms)"


MEASURES: dict[str, tuple[str, list[str]]] = {
    "construct": ("s", [PERL, PY_WARM, PY_COLD, PERL_BARE, PY_BARE]),
    "peak RSS after construct": ("MiB", [PERL, PY_WARM, PY_COLD, PERL_BARE, PY_BARE]),
    "getRun round trip": ("µs", [PERL, CLIENT, REQUESTS, PREPARED, HTTP_CLIENT]),
    "modifyRun round trip": ("µs", [PERL, CLIENT, REQUESTS, PREPARED, HTTP_CLIENT]),
    "validate modifyRun request": ("µs", [PERL, PYTHON]),
    "validate createChatCompletion, 20 messages": ("µs", [PERL, PYTHON]),
    DECODED: ("µs", [PERL, CLIENT, CLIENT_P, HTTP_CLIENT]),
    FIRST: ("s", [PERL, PY_WARM, PY_COLD]),
    RSS_FIRST: ("MiB", [PERL, PY_WARM, PY_COLD]),
    ACCESS: ("µs", [CLIENT]),
    **{fanout_measure(n): ("s", [PERL, CLIENT, PERL_POLL]) for n in FANOUT},
    FANOUT_CPU: ("µs", [PERL, CLIENT, PERL_POLL]),
    FANOUT_CONNECTIONS: ("", [PERL, CLIENT, PERL_POLL]),
}

# (what, measure, peer, against (None: an absolute limit; a (measure, peer) pair: another
# measure's figure), at most)
TARGETS: list[tuple[str, str, str, str | tuple[str, str] | None, float]] = [
    ("import + construct, cache warm", "construct", PY_WARM, PERL, 0.08),
    ("import + construct, cache cold", "construct", PY_COLD, PERL, 0.7),
    ("getRun round trip", "getRun round trip", CLIENT, PERL, 0.6),
    ("modifyRun round trip (validation included)", "modifyRun round trip", CLIENT, PERL, 0.5),
    ("peak RSS after construct (cache warm)", "peak RSS after construct", PY_WARM, PERL, 0.6),
    ("validate a modifyRun request", "validate modifyRun request", PYTHON, None, 20.0),
    (
        "validate a createChatCompletion request, 20 messages",
        "validate createChatCompletion, 20 messages",
        PYTHON,
        None,
        200.0,
    ),
    ("time to first answer, cache warm", FIRST, PY_WARM, PERL, 0.15),
    ("time to first answer, cache cold", FIRST, PY_COLD, PERL, 0.4),
    ("first access to an operation's method", ACCESS, CLIENT, None, 2000.0),
    ("blocking getRun + json(), vs http.client + json.loads", DECODED, CLIENT, HTTP_CLIENT, 1.4),
    ("getRun_p(...).wait(), vs blocking getRun", DECODED, CLIENT_P, (DECODED, CLIENT), 1.15),
    ("peak RSS after construct + first getRun (warm)", RSS_FIRST, PY_WARM, PERL, 0.4),
    ("peak RSS after construct + first getRun (warm), absolute", RSS_FIRST, PY_WARM, None, 24.0),
    ("16 concurrent getRun_p", fanout_measure(16), CLIENT, PERL, 1.05),
    ("400 concurrent getRun_p", fanout_measure(400), CLIENT, PERL, 0.6),
    ("1000 concurrent getRun_p", fanout_measure(1000), CLIENT, PERL, 0.6),
    ("CPU per request, 1000 concurrent", FANOUT_CPU, CLIENT, PERL, 1.0),
    ("connections opened, 1000 concurrent (at most N)", FANOUT_CONNECTIONS, CLIENT, None, 1000),
]


class Bench:
    """Runs the children and collects their samples: ``samples[measure][peer]``."""

    def __init__(
        self, spec: Path, base_url: str, slow_url: str, scratch: Path, tree: Path, warmup: int, calls: int
    ) -> None:
        self.spec = str(spec)
        self.base_url = base_url
        self.slow_url = slow_url
        self.scratch = scratch
        self.warmup = warmup
        self.calls = calls
        # every sample, and each child's median (the spread between rounds), per measure and peer
        self.samples = empty_samples()
        self.rounds = empty_samples()
        self.warm_cache = scratch / "spec-cache-warm"
        self.perl_class = perl_client_class()
        self.env = child_env(tree)
        self.perl_inc = f"-I{tree / 'perl_compat' / 'perl'}"  # the stand-in for OpenAPI::Client::OpenAI

    # -- children ---------------------------------------------------------------------

    def perl(self, script: str, *args: str) -> list[str]:
        return ["perl", self.perl_inc, str(BENCH / "perl" / script), *args]

    def python_env(self, cache: Path) -> dict:
        return {**self.env, "OPENAPI_CLIENT_OPENAI_CACHE": str(cache)}

    def record(self, measure: str, peer: str, values: list[float]) -> None:
        self.samples[measure][peer] += values
        self.rounds[measure][peer].append(statistics.median(values))

    def construct_perl(self) -> None:
        cls = self.perl_class
        argv = ["perl", self.perl_inc, f"-M{cls}", "-e", f"{cls}->new(shift); {PERL_HWM}", self.spec]
        self._construct(PERL, argv, self.env)

    def bare_interpreters(self) -> None:
        """What an empty program costs each side: the floor under the construct numbers."""
        self._construct(PERL_BARE, ["perl", "-e", PERL_HWM], self.env)
        self._construct(PY_BARE, [sys.executable, "-c", PYTHON_HWM], self.env)

    def construct_python(self, warm: bool) -> None:
        code = f"import sys; from openapi_client_openai import OpenAI; OpenAI(sys.argv[1]); {PYTHON_HWM}"
        argv = [sys.executable, "-c", code, self.spec]
        if warm:
            self._construct(PY_WARM, argv, self.python_env(self.warm_cache))
            return
        cold = Path(tempfile.mkdtemp(prefix="spec-cache-cold-", dir=self.scratch))
        try:
            self._construct(PY_COLD, argv, self.python_env(cold))
        finally:
            shutil.rmtree(cold, ignore_errors=True)

    def _construct(self, peer: str, argv: list[str], env: dict) -> None:
        start = time.perf_counter()
        done = run_child(argv, env)
        seconds = time.perf_counter() - start
        if done.returncode != 0:
            raise RuntimeError(f"{peer}: exited {done.returncode}: {done.stderr[-2000:]}")
        self.record("construct", peer, [seconds])
        self.record("peak RSS after construct", peer, [int(done.stdout) / 1024])

    def calls_perl(self) -> None:
        argv = self.perl("calls.pl", self.perl_class, self.spec, f"{self.base_url}/v1", *self._counts())
        self._calls(PERL, run_json(argv, self.env))

    def calls_python(self, peer: str, probe_peer: str) -> None:
        argv = [sys.executable, str(BENCH / "probes" / "calls.py"), probe_peer, self.spec, self.base_url]
        self._calls(peer, run_json([*argv, *self._counts()], self.python_env(self.warm_cache)))

    def _calls(self, peer: str, report: dict) -> None:
        self.record("getRun round trip", peer, report["getRun"])
        self.record("modifyRun round trip", peer, report["modifyRun"])
        if "getRun+json" in report:
            self.record(DECODED, peer, report["getRun+json"])
        if "getRun_p+json" in report:
            self.record(DECODED, CLIENT_P, report["getRun_p+json"])
        if "first access" in report:
            self.record(ACCESS, peer, [report["first access"]])

    def first_answer_perl(self) -> None:
        cls = self.perl_class
        code = (
            f"my $c = {cls}->new(shift, base_url => shift); "
            "$c->getRun({thread_id => 'thread_abc123', run_id => 'run_abc123'})->res->json; "
            f"{PERL_HWM}"
        )
        argv = ["perl", self.perl_inc, f"-M{cls}", "-e", code, self.spec, f"{self.base_url}/v1"]
        self._first_answer(PERL, argv, self.env)

    def first_answer_python(self, warm: bool) -> None:
        code = (
            "import sys; from openapi_client_openai import OpenAI; "
            "OpenAI(sys.argv[1], base_url=sys.argv[2]).getRun(thread_id='thread_abc123', "
            f"run_id='run_abc123').res.json(); {PYTHON_HWM}"
        )
        argv = [sys.executable, "-c", code, self.spec, f"{self.base_url}/v1"]
        if warm:
            self._first_answer(PY_WARM, argv, self.python_env(self.warm_cache))
            return
        cold = Path(tempfile.mkdtemp(prefix="spec-cache-cold-", dir=self.scratch))
        try:
            self._first_answer(PY_COLD, argv, self.python_env(cold))
        finally:
            shutil.rmtree(cold, ignore_errors=True)

    def _first_answer(self, peer: str, argv: list[str], env: dict) -> None:
        start = time.perf_counter()
        done = run_child(argv, env)
        seconds = time.perf_counter() - start
        if done.returncode != 0:
            raise RuntimeError(f"{peer}: exited {done.returncode}: {done.stderr[-2000:]}")
        self.record(FIRST, peer, [seconds])
        self.record(RSS_FIRST, peer, [int(done.stdout) / 1024])

    def fanout(self, peer: str) -> None:
        """The fan-out table for one peer. Perl runs with Mojo's own choice of reactor (EV,
        where it is installed, as on Debian with libev-perl) and, for reference, with its
        pure-Perl Poll reactor, which the rest of this benchmark's Perl runs use.

        The largest batch runs in a process of its own, so the connections the server
        counts are that batch's (and its warm-up call's) alone.
        """
        report = self._fanout(peer, FANOUT[:-1])
        http_get(f"{self.slow_url}/__reset")
        report.update(self._fanout(peer, FANOUT[-1:]))
        opened = json.loads(http_get(f"{self.slow_url}/__stats"))["connections"]
        for n in FANOUT:
            self.record(fanout_measure(n), peer, [report[str(n)]["wall"]])
        self.record(FANOUT_CPU, peer, [report["1000"]["cpu"] / 1000 * 1e6])
        self.record(FANOUT_CONNECTIONS, peer, [max(opened - 1, 0)])  # less the warm-up call's

    def _fanout(self, peer: str, counts: tuple[int, ...]) -> dict:
        numbers = [str(n) for n in counts]
        if peer in (PERL, PERL_POLL):
            argv = self.perl("concurrency.pl", self.perl_class, self.spec, self.slow_url, *numbers)
            env = {**self.env}
            env.pop("MOJO_REACTOR", None)  # Mojo's default: EV where installed
            if peer == PERL_POLL:
                env["MOJO_REACTOR"] = "Mojo::Reactor::Poll"
        else:
            probe = str(BENCH / "probes" / "concurrency.py")
            argv = [sys.executable, probe, self.spec, self.slow_url, *numbers]
            env = self.python_env(self.warm_cache)
        return run_json(argv, env)

    def validate_perl(self) -> None:
        argv = self.perl("validate.pl", self.perl_class, self.spec, *self._counts(validation=True))
        self._validated(PERL, run_json(argv, self.env))

    def validate_python(self) -> None:
        argv = [
            sys.executable,
            str(BENCH / "probes" / "validate.py"),
            self.spec,
            *self._counts(validation=True),
        ]
        self._validated(PYTHON, run_json(argv, self.python_env(self.warm_cache)))

    def _validated(self, peer: str, report: dict) -> None:
        self.record("validate modifyRun request", peer, report["modifyRun"])
        self.record("validate createChatCompletion, 20 messages", peer, report["createChatCompletion"])

    def _counts(self, validation: bool = False) -> tuple[str, str]:
        scale = 4 if validation else 1  # validations are cheap: take more of them
        return str(self.warmup * scale), str(self.calls * scale)

    def tasks(self) -> list[tuple[str, Callable[[], None]]]:
        construct = [
            ("construct: Perl", self.construct_perl),
            ("construct: Python, cache warm", lambda: self.construct_python(warm=True)),
            ("construct: Python, cache cold", lambda: self.construct_python(warm=False)),
            ("bare interpreters", self.bare_interpreters),
        ]
        # one process is one sample: take a few per round, side by side
        return construct * CONSTRUCT_REPEATS + [
            ("calls: Perl", self.calls_perl),
            ("calls: this client", lambda: self.calls_python(CLIENT, "client")),
            ("calls: requests", lambda: self.calls_python(REQUESTS, "requests")),
            ("calls: requests prepared", lambda: self.calls_python(PREPARED, "requests-prepared")),
            ("calls: http.client", lambda: self.calls_python(HTTP_CLIENT, "http.client")),
            ("validate: Perl", self.validate_perl),
            ("validate: Python", self.validate_python),
            ("first answer: Perl", self.first_answer_perl),
            ("first answer: Python, cache warm", lambda: self.first_answer_python(warm=True)),
            ("first answer: Python, cache cold", lambda: self.first_answer_python(warm=False)),
            ("fan-out: Perl", lambda: self.fanout(PERL)),
            ("fan-out: this client", lambda: self.fanout(CLIENT)),
            ("fan-out: Perl, Poll reactor", lambda: self.fanout(PERL_POLL)),
        ]

    def warm_up(self) -> None:
        """Compile the bytecode and fill the warm spec cache once, before anything is timed."""
        self.construct_python(warm=True)
        for measure in self.samples:
            for peer in self.samples[measure]:
                self.samples[measure][peer].clear()
                self.rounds[measure][peer].clear()


def empty_samples() -> dict[str, dict[str, list[float]]]:
    return {measure: {peer: [] for peer in peers} for measure, (_, peers) in MEASURES.items()}


def child_env(tree: Path) -> dict:
    """The children's environment: bytecode written and used, loopback never proxied."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    if tree != REPO:  # an exported commit: it comes first on the path, before the editable install
        env["PYTHONPATH"] = str(tree)
    env.update(
        OPENAI_API_KEY="sk-bench-not-a-real-key",
        JSON_VALIDATOR_CACHE_PATH=str(SHARED / "perl-peer" / "jvcache"),
        MOJO_REACTOR="Mojo::Reactor::Poll",
        BENCH_CHAT_BODY=json.dumps(chat_body()),
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
    )
    for name in ("OPENAPI_CLIENT_DEBUG", "OPENAI_OPENAPI_SPEC", "PYTHONSTARTUP", "PERL5OPT"):
        env.pop(name, None)
    return env


def perl_client_class() -> str:
    """The real OpenAPI::Client::OpenAI when installed, else its stand-in from perl_compat."""
    found = subprocess.run(
        ["perl", "-MOpenAPI::Client::OpenAI", "-e", "1"], capture_output=True, timeout=60, check=False
    )
    return "OpenAPI::Client::OpenAI" if found.returncode == 0 else "PerlCompat::OpenAI"


def measured_cpu() -> set[int]:
    """Where measured children run: the last CPU, the servers keeping CPU 0 to themselves."""
    cpus = sorted(os.sched_getaffinity(0))
    return {cpus[-1]} if len(cpus) > 1 else set(cpus)


def pin_child() -> None:
    os.sched_setaffinity(0, measured_cpu())


def run_child(argv: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        argv,
        env=env,
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT,
        check=False,
        preexec_fn=pin_child,
    )


def http_get(url: str) -> str:
    import urllib.request

    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read().decode()


class SlowServer:
    """bench/probes/slow_server.py on CPU 0: answers after FANOUT_DELAY, counts connections."""

    def __enter__(self) -> SlowServer:
        self.process = subprocess.Popen(
            [sys.executable, str(BENCH / "probes" / "slow_server.py"), str(FANOUT_DELAY)],
            stdout=subprocess.PIPE,
            text=True,
            preexec_fn=lambda: os.sched_setaffinity(0, {min(os.sched_getaffinity(0))}),
        )
        assert self.process.stdout is not None
        self.url = f"http://127.0.0.1:{int(self.process.stdout.readline())}"
        return self

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        self.process.wait(10)


def run_json(argv: list[str], env: dict) -> dict:
    done = run_child(argv, env)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:3])} exited {done.returncode}: {done.stderr[-2000:]}")
    return json.loads(done.stdout)


# -- the report ---------------------------------------------------------------------


def summarise(bench: Bench) -> dict[str, Any]:
    measures = {}
    for measure, (unit, peers) in MEASURES.items():
        medians = {peer: statistics.median(bench.samples[measure][peer]) for peer in peers}
        measures[measure] = {
            "unit": unit,
            "median": medians,
            "samples": {peer: len(bench.samples[measure][peer]) for peer in peers},
            "round_medians": bench.rounds[measure],
            "ratios": {a: {b: medians[a] / medians[b] for b in peers if b != a} for a in peers},
        }
    targets = []
    for what, measure, peer, against, limit in TARGETS:
        value = measures[measure]["median"][peer]
        other_measure, other_peer = against if isinstance(against, tuple) else (measure, against)
        actual = value / measures[other_measure]["median"][other_peer] if against else value
        # the same figure per child, paired with the other's from the same round: how firm the verdict is
        mine = bench.rounds[measure][peer]
        theirs = bench.rounds[other_measure][other_peer] if against else None
        per_round = [a / b for a, b in zip(mine, theirs)] if theirs else list(mine)
        against = f"{other_peer} ({other_measure})" if isinstance(against, tuple) else against
        targets.append(
            {
                "target": what,
                "measure": measure,
                "peer": peer,
                "against": against,
                "limit": limit,
                "actual": actual,
                "per_round": per_round,
                "unit": "x" if against else measures[measure]["unit"],
                "pass": actual <= limit,
            }
        )
    return {"measures": measures, "targets": targets}


def number(value: float, unit: str) -> str:
    if unit == "":
        return f"{value:.0f}"
    if unit == "s":
        return f"{value * 1000:.0f} ms"
    if unit == "MiB":
        return f"{value:.1f} MiB"
    return f"{value:.1f} µs" if value < 100 else f"{value:.0f} µs"


def markdown(summary: dict[str, Any], meta: dict[str, Any]) -> str:
    lines = [
        "# Peers benchmark: latest run",
        "",
        f"`{meta['command']}` — {meta['date']}, commit `{meta['commit']}`, {meta['rounds']} rounds "
        f"(order flipped each round), {meta['calls']} timed calls per peer per round after "
        f"{meta['warmup']} warm-up calls. Perl peer: `{meta['perl_class']}`. "
        f"{meta['machine']}; load average {meta['load_before']} before, {meta['load_after']} after.",
        "",
        "## Targets",
        "",
        "| target | limit | measured | paired runs | verdict |",
        "|---|---|---|---|---|",
    ]
    for t in summary["targets"]:
        low, high = min(t["per_round"]), max(t["per_round"])
        if t["against"]:
            versus = "Perl" if t["against"] == PERL else t["against"]
            limit, actual = f"<= {t['limit']:g}x {versus}", f"{t['actual']:.3f}x"
            spread = f"{low:.3f}x – {high:.3f}x"
        else:
            limit, actual = f"<= {t['limit']:g} {t['unit']}", number(t["actual"], t["unit"])
            spread = f"{number(low, t['unit'])} – {number(high, t['unit'])}"
        verdict = "PASS" if t["pass"] else "MISS"
        lines.append(f"| {t['target']} | {limit} | {actual} | {spread} | {verdict} |")
    lines += [
        "",
        "## Medians",
        "",
        "| measure | peer | median | vs Perl | vs this client | spread | samples |",
        "|---|---|---|---|---|---|---|",
    ]
    for measure, data in summary["measures"].items():
        peers = list(data["median"])
        mine = next((p for p in peers if p in (CLIENT, PY_WARM, PYTHON)), None)
        for peer in peers:
            ratios = data["ratios"][peer]
            vs_perl = "1" if peer == PERL else f"{ratios[PERL]:.3f}x" if PERL in ratios else ""
            vs_mine = f"{ratios[mine]:.3f}x" if mine and peer != mine else "1" if peer == mine else ""
            median = number(data["median"][peer], data["unit"])
            rounds = data["round_medians"][peer]
            spread = f"{number(min(rounds), data['unit'])} – {number(max(rounds), data['unit'])}"
            cells = [measure, peer, median, vs_perl, vs_mine, spread, str(data["samples"][peer])]
            lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        "Construct: whole process, from exec to exit (`perl -e 'use X; X->new($spec)'`, "
        "`python -c 'from openapi_client_openai import OpenAI; OpenAI(spec)'`); Perl has no "
        "spec cache, so both construct targets compare against the same Perl runs. Peak RSS: "
        "the VmHWM of that process. Round trips: one keep-alive connection, the response "
        "body read but not decoded. Spread: the lowest and highest median of one child "
        "process (of one run, for construct), a measure of the noise. Validation: see `docs/performance.md`.",
        "",
    ]
    return "\n".join(lines)


def print_summary(summary: dict[str, Any]) -> None:
    for measure, data in summary["measures"].items():
        print(f"\n{measure} (median)")
        peers = list(data["median"])
        for peer in peers:
            ratios = "  ".join(
                f"{data['ratios'][peer][other]:.3f}x {other}" for other in peers if other != peer
            )
            print(f"  {peer:34} {number(data['median'][peer], data['unit']):>10}   {ratios}")
    print("\ntargets")
    for t in summary["targets"]:
        if t["against"]:
            versus = "Perl" if t["against"] == PERL else t["against"]
            shown = f"{t['actual']:.3f}x {versus} (limit {t['limit']:g}x)"
        else:
            shown = f"{number(t['actual'], t['unit'])} (limit {t['limit']:g} {t['unit']})"
        print(f"  {'PASS' if t['pass'] else 'MISS'}  {t['target']}: {shown}")


def git(*args: str) -> str:
    done = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, timeout=60, check=True)
    return done.stdout.strip()


def git_commit(ref: str | None) -> str:
    if ref:
        return git("rev-parse", "--short", f"{ref}^{{commit}}")
    dirty = git("status", "--porcelain", "--", "openapi_client_openai", "perl_compat")
    return git("rev-parse", "--short", "HEAD") + (" + uncommitted changes" if dirty else "")


def export(ref: str, into: Path) -> Path:
    """The client and the Perl stand-in as committed at ``ref``, in a directory of their own."""
    into.mkdir()
    archive = subprocess.run(
        ["git", "archive", "--format=tar", ref, "openapi_client_openai", "perl_compat"],
        cwd=REPO,
        capture_output=True,
        timeout=120,
        check=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, timeout=120, check=True)
    return into


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds (default 7)")
    parser.add_argument("--calls", type=int, default=300, help="timed calls per peer per round (default 300)")
    parser.add_argument("--warmup", type=int, default=100, help="untimed calls first (default 100)")
    parser.add_argument(
        "--spec", type=Path, default=DEFAULT_SPEC, help="OpenAI's spec (default: %(default)s)"
    )
    parser.add_argument(
        "--ref", help="measure the client as committed at this git ref (default: the working tree)"
    )
    parser.add_argument("--no-write", action="store_true", help="print only; leave bench/results alone")
    args = parser.parse_args()
    # SIGTERM unwinds like Ctrl-C, so nginx and the scratch directory are always cleaned up.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    meta = {
        "command": " ".join(["python", "bench/peers.py", *sys.argv[1:]]),
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": git_commit(args.ref),
        "rounds": args.rounds,
        "calls": args.calls,
        "warmup": args.warmup,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "load_before": load(),
    }
    everywhere = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(everywhere)})  # nginx inherits CPU 0
    with (
        tempfile.TemporaryDirectory(prefix="bench-peers-") as scratch,
        Nginx(ROUTES) as server,
        SlowServer() as slow,
    ):
        os.sched_setaffinity(0, everywhere)
        tree = export(args.ref, Path(scratch) / "tree") if args.ref else REPO
        bench = Bench(args.spec, server.url, slow.url, Path(scratch), tree, args.warmup, args.calls)
        meta.update(perl_class=bench.perl_class, nginx=server.version, base_url=server.url)
        print(f"nginx {server.url}; Perl peer {bench.perl_class}; warming up", file=sys.stderr)
        bench.warm_up()
        tasks = bench.tasks()
        for index in range(args.rounds):
            order = tasks if index % 2 == 0 else tasks[::-1]
            for name, task in order:
                print(f"round {index + 1}/{args.rounds}: {name}", file=sys.stderr, flush=True)
                task()
    meta["load_after"] = load()
    summary = summarise(bench)
    print_summary(summary)
    if not args.no_write:
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "latest.json").write_text(json.dumps({"meta": meta, **summary}, indent=2) + "\n")
        (RESULTS / "latest.md").write_text(markdown(summary, meta))
        print(f"\nwritten: {RESULTS / 'latest.json'}, {RESULTS / 'latest.md'}")


if __name__ == "__main__":
    main()
