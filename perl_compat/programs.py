"""Whole programs side by side: a Perl program and its Python port, against one mock.

``compare_run("perl app.pl", "python app.py", spec=S)`` starts the mock server of
``S`` on 127.0.0.1 and runs the two programs, unmodified, one after the other,
each with an environment that points every client it makes at the mock
(:func:`redirect_environment`: ``PerlCompat::Redirect`` through ``PERL5OPT`` for
Perl, ``OPENAPI_CLIENT_OPENAI_BASE_URL`` for Python). The mock answers both the
same way, so their control flow can match. Then the two request sequences are
aligned (:func:`align`) and compared call by call with ``compare``'s
normalisation (``comparison.Wire``), and the exit statuses and standard output
are compared too. Cassettes (``cassettes.py``) reuse the running and the
call-by-call report.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import shlex
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from openapi_client_openai.cli import DEMO_KEY
from openapi_client_openai.client import BASE_URL_OVERRIDE
from openapi_client_openai.mock import CapturedRequest, MockServer
from openapi_client_openai.pointer import escape

from .comparison import Difference, Wire, diff_requests, shown
from .environment import perl_settings

__all__ = [
    "DEFAULT_TIMEOUT",
    "ORDERS",
    "Call",
    "CallPair",
    "ProgramRun",
    "RunComparison",
    "align",
    "body_differences",
    "call_lines",
    "compare_run",
    "main_compare_run",
    "redirect_environment",
    "run_program",
]

PERL_LIB = Path(__file__).resolve().with_name("perl")
REDIRECT_MODULE = "PerlCompat::Redirect"
DEFAULT_TIMEOUT = 120.0  # seconds one program may run
ORDERS = ("any", "strict")
MAX_BODY_DIFFERENCES = 10  # JSON places listed for one body
MAX_STDOUT_DIFF_LINES = 40
STDERR_TAIL_LINES = 15
OPERATION_HEADER = "x-mock-operation-id"  # the mock names the operation it answered


# -- running a program against a local server ---------------------------------------------


def redirect_environment(
    base_url: str, spec: str | None = None, base: Mapping[str, str] | None = None
) -> dict[str, str]:
    """``base`` (default: this process's environment) pointing any program at ``base_url``.

    Python: ``OPENAPI_CLIENT_OPENAI_BASE_URL``, read by every client at construction.
    Perl: ``PERL5LIB`` and ``PERL5OPT`` load ``PerlCompat::Redirect``, which sets the
    same base URL on every OpenAPI::Client. ``OPENAI_OPENAPI_SPEC`` (when ``spec`` is
    given) is the spec both find when the program names none. Plus what the Perl
    stack needs offline (environment.py).
    """
    env = dict(os.environ if base is None else base)
    env.update(perl_settings(env))
    env[BASE_URL_OVERRIDE] = base_url
    env["PERL5LIB"] = os.pathsep.join(p for p in (str(PERL_LIB), env.get("PERL5LIB", "")) if p)
    env["PERL5OPT"] = " ".join(p for p in (env.get("PERL5OPT", ""), f"-M{REDIRECT_MODULE}") if p)
    if spec is not None:
        env["OPENAI_OPENAPI_SPEC"] = spec
    return env


def spec_location(spec: str | os.PathLike[str] | None) -> str:
    """The spec as both programs will find it: an absolute path or a URL (discovery for None)."""
    from openapi_client_openai.spec import discover_spec

    text = os.fspath(spec) if spec is not None else discover_spec()
    return text if "://" in text else os.path.abspath(text)


def command_line(command: str | Sequence[str]) -> list[str]:
    """A command given as one string (split as a shell would, without running one) or a list."""
    words = shlex.split(command) if isinstance(command, str) else [str(word) for word in command]
    if not words:
        raise ValueError("the command is empty")
    return words


@dataclass
class ProgramRun:
    """One program's run: how it ended, what it printed, what it sent."""

    label: str  # "Perl", "Python", "program"
    command: list[str]
    exit_status: int | None  # None: it was killed at the timeout
    stdout: str
    stderr: str
    requests: list[CapturedRequest] = field(default_factory=list)
    timed_out: bool = False

    def status_text(self) -> str:
        if self.timed_out:
            return "killed after the timeout"
        if self.exit_status is not None and self.exit_status < 0:
            return f"killed by signal {-self.exit_status}"
        return str(self.exit_status)

    def stderr_tail(self, lines: int = STDERR_TAIL_LINES) -> list[str]:
        return self.stderr.rstrip("\n").splitlines()[-lines:] if self.stderr.strip() else []


def run_program(
    command: str | Sequence[str],
    server: MockServer,
    env: Mapping[str, str],
    *,
    label: str = "program",
    stdin: bytes | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    passthrough: bool = False,
) -> ProgramRun:
    """Run ``command`` to its end (or ``timeout``) and take what ``server`` received meanwhile.

    Captured: stdin is ``stdin`` (else empty), output is kept, and the program runs in
    its own process group, all of which is killed at the timeout. ``passthrough``: the
    program shares our terminal instead (for record and replay), so it stays in our
    process group, where it can read the terminal; only it is killed at the timeout.
    Raises OSError when the command cannot be started.
    """
    words = command_line(command)
    server.clear()
    if passthrough:
        process = subprocess.Popen(words, env=dict(env))
    else:
        process = subprocess.Popen(
            words,
            env=dict(env),
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    timed_out = False
    try:
        out, err = process.communicate(stdin if not passthrough else None, timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill(process, passthrough)
        out, err = process.communicate()
    except BaseException:  # Ctrl-C included: never leave the program running
        _kill(process, passthrough)
        process.wait()
        raise
    return ProgramRun(
        label,
        words,
        None if timed_out else process.returncode,
        (out or b"").decode("utf-8", "replace"),
        (err or b"").decode("utf-8", "replace"),
        list(server.requests),
        timed_out,
    )


def _kill(process: subprocess.Popen, passthrough: bool) -> None:
    """Kill what we started: its process group (its own session), else the process alone."""
    if not passthrough:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass  # the group is gone already
    if process.poll() is None:
        process.kill()


# -- calls and their alignment ----------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """One request of a sequence: its 1-based position, normalised wire form and operation."""

    index: int
    wire: Wire
    operation: str | None = None  # operationId, when the server said which one answered
    status: int | None = None  # what the server answered

    @classmethod
    def of(cls, index: int, captured: CapturedRequest) -> Call:
        reply = captured.reply
        operation = None
        if reply is not None:
            operation = next((v for k, v in reply.headers if k.lower() == OPERATION_HEADER), None)
        return cls(index, Wire.from_captured(captured), operation, reply.status if reply else None)

    @property
    def identity(self) -> tuple[str, str]:
        """What makes two calls "the same call" when their details differ."""
        return (self.wire.method, self.operation or self.wire.path)

    def title(self) -> str:
        target = self.wire.path + (f"?{self.wire.query}" if self.wire.query else "")
        return f"{self.wire.method} {target}" + (f" ({self.operation})" if self.operation else "")


@dataclass
class CallPair:
    """A call of the left sequence beside its counterpart on the right (either may be missing)."""

    left: Call | None
    right: Call | None
    differences: list[Difference] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        if self.left is None:
            return "only-right"
        if self.right is None:
            return "only-left"
        return "different" if self.differences else "identical"

    @property
    def moved(self) -> bool:
        return self.left is not None and self.right is not None and self.left.index != self.right.index

    def name(self, labels: tuple[str, str]) -> str:
        """``call 3``, or ``Perl call 3 / Python call 4`` when the positions differ."""
        if self.left is not None and self.right is not None and not self.moved:
            return f"call {self.left.index}"
        parts = [f"{label} call {c.index}" for label, c in zip(labels, (self.left, self.right)) if c]
        return " / ".join(parts)

    def lines(self, labels: tuple[str, str]) -> list[str]:
        call = self.left or self.right
        assert call is not None
        head = f"{self.name(labels)}: {call.title()}"
        if self.verdict == "identical":
            return [f"{head}: identical" + (", sent in a different order" if self.moved else "")]
        if self.verdict == "only-left":
            return [f"{head}: only {labels[0]} sent it"]
        if self.verdict == "only-right":
            return [f"{head}: only {labels[1]} sent it"]
        assert self.right is not None
        if self.right.title() != call.title():
            head += f" vs {self.right.title()}"
        return [f"{head}: different"] + [f"    {difference_line(d, labels)}" for d in self.differences]

    def as_json(self) -> dict:
        return {
            "verdict": self.verdict,
            "left": _call_json(self.left),
            "right": _call_json(self.right),
            "differences": [
                {"field": d.field, "left": _json_value(d.perl), "right": _json_value(d.python)}
                for d in self.differences
            ],
        }


def call_lines(pairs: Sequence[CallPair], labels: tuple[str, str]) -> list[str]:
    """Each pair's lines; a run of calls one side alone made, alike and in a row, as one line.

    A port stuck in a loop can send hundreds of requests the other never did.
    """
    out: list[str] = []
    index = 0
    while index < len(pairs):
        pair = pairs[index]
        end = index + 1
        if pair.verdict in ("only-left", "only-right"):
            while end < len(pairs) and _continues(pairs[end - 1], pairs[end]):
                end += 1
        if end - index < 3:
            for single in pairs[index:end]:
                out += single.lines(labels)
        else:
            first, last = pair.left or pair.right, pairs[end - 1].left or pairs[end - 1].right
            assert first is not None and last is not None
            label = labels[0] if pair.verdict == "only-left" else labels[1]
            out.append(
                f"{label} calls {first.index}-{last.index}: {first.title()}: only {label} sent them"
                f" ({end - index} calls)"
            )
        index = end
    return out


def _continues(previous: CallPair, pair: CallPair) -> bool:
    one, other = previous.left or previous.right, pair.left or pair.right
    return (
        pair.verdict == previous.verdict
        and one is not None
        and other is not None
        and other.index == one.index + 1
        and other.title() == one.title()
    )


def _call_json(call: Call | None) -> dict | None:
    if call is None:
        return None
    return {
        "index": call.index,
        "method": call.wire.method,
        "target": call.wire.path + (f"?{call.wire.query}" if call.wire.query else ""),
        "operation": call.operation,
    }


def _json_value(value: Any) -> Any:
    if value is ABSENT:
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8", "backslashreplace")
    return value


class _Absent:
    def __repr__(self) -> str:
        return "(absent)"


ABSENT = _Absent()  # a JSON member or element one side does not have


def difference_line(difference: Difference, labels: tuple[str, str]) -> str:
    left, right = (
        "(absent)" if value is ABSENT else shown(value) for value in (difference.perl, difference.python)
    )
    return f"{difference.field}: {labels[0]} {left} vs {labels[1]} {right}"


def call_differences(left: Wire, right: Wire) -> list[Difference]:
    """``compare``'s field differences, a JSON body's given place by place."""
    out = []
    for difference in diff_requests([left], [right]):
        if difference.field == "body":
            out += body_differences(left.body, right.body)
        else:
            out.append(difference)
    return out


def body_differences(left: bytes, right: bytes) -> list[Difference]:
    """Where two bodies differ: by JSON pointer when both are JSON, else the bytes."""
    if left == right:
        return []
    left_json, right_json = _json_or_absent(left), _json_or_absent(right)
    if left_json is ABSENT or right_json is ABSENT:
        return [Difference("body", left, right)]
    places = []
    for pointer, one, other in _json_differences(left_json, right_json, ""):
        places.append(Difference(f"body {pointer or '/'}", one, other))
        if len(places) == MAX_BODY_DIFFERENCES:
            break
    return places or [Difference("body (the same JSON, written differently)", left, right)]


def _json_or_absent(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8")) if body else ABSENT
    except ValueError:
        return ABSENT


def _json_differences(left: Any, right: Any, pointer: str) -> Iterator[tuple[str, Any, Any]]:
    if isinstance(left, dict) and isinstance(right, dict):
        for key in sorted(set(left) | set(right)):
            place = f"{pointer}/{escape(key)}"
            yield from _json_differences(left.get(key, ABSENT), right.get(key, ABSENT), place)
    elif isinstance(left, list) and isinstance(right, list):
        for index in range(max(len(left), len(right))):
            one = left[index] if index < len(left) else ABSENT
            other = right[index] if index < len(right) else ABSENT
            yield from _json_differences(one, other, f"{pointer}/{index}")
    elif type(left) is not type(right) or left != right:  # 1, 1.0 and true are not the same JSON
        yield pointer, left, right


def align(left: Sequence[Call], right: Sequence[Call], order: str = "any") -> list[CallPair]:
    """Pair the calls of two sequences, in left order (calls only on the right follow).

    ``order="any"`` (concurrent calls may arrive in any order): identical requests
    are paired first, in sequence where they are in sequence (difflib), else
    wherever they are; what is left is paired by operation (method and operationId,
    else path), then by position between those when method or path agree.
    ``order="strict"``: the calls are
    paired in sequence by operation alone, so the n-th call of an operation is
    compared with the n-th, and a reordering shows as differences. Unpaired calls
    are one side's alone.
    """
    if order not in ORDERS:
        raise ValueError(f"order must be one of {', '.join(ORDERS)}, not {order!r}")
    pairs: dict[int, int] = {}  # left position -> right position
    if order == "any":
        _match(left, right, range(len(left)), range(len(right)), lambda c: c.wire, pairs, by_position=False)
        free_right = [j for j in range(len(right)) if j not in pairs.values()]
        for i in (i for i in range(len(left)) if i not in pairs):
            j = next((j for j in free_right if right[j].wire == left[i].wire), None)
            if j is not None:
                pairs[i] = j
                free_right.remove(j)
    free_left = [i for i in range(len(left)) if i not in pairs]
    free_right = [j for j in range(len(right)) if j not in pairs.values()]
    _match(left, right, free_left, free_right, lambda c: c.identity, pairs, by_position=True)

    out = [
        CallPair(left[i], right[pairs[i]], call_differences(left[i].wire, right[pairs[i]].wire))
        if i in pairs
        else CallPair(left[i], None)
        for i in range(len(left))
    ]
    paired_right = set(pairs.values())
    out += [CallPair(None, right[j]) for j in range(len(right)) if j not in paired_right]
    return out


def _match(
    left: Sequence[Call],
    right: Sequence[Call],
    left_positions: Sequence[int],
    right_positions: Sequence[int],
    key: Any,
    pairs: dict[int, int],
    by_position: bool,
) -> None:
    left_positions, right_positions = list(left_positions), list(right_positions)
    matcher = difflib.SequenceMatcher(
        None, [key(left[i]) for i in left_positions], [key(right[j]) for j in right_positions], autojunk=False
    )
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal" or (tag == "replace" and by_position):
            for offset in range(min(i2 - i1, j2 - j1)):
                i, j = left_positions[i1 + offset], right_positions[j1 + offset]
                if tag == "equal" or _alike(left[i], right[j]):
                    pairs[i] = j


def _alike(one: Call, other: Call) -> bool:
    """Worth comparing field by field (else each is reported as one side's alone)."""
    return one.wire.method == other.wire.method or one.wire.path == other.wire.path


# -- the comparison of two runs ----------------------------------------------------------


@dataclass
class RunComparison:
    """Two programs' runs against the same mock, and what differs between them."""

    perl: ProgramRun
    python: ProgramRun
    calls: list[CallPair]
    base_url: str
    spec: str
    order: str = "any"
    labels: tuple[str, str] = ("Perl", "Python")

    @property
    def calls_same(self) -> bool:
        return all(pair.verdict == "identical" for pair in self.calls)

    @property
    def exit_same(self) -> bool:
        return self.perl.exit_status == self.python.exit_status and not self.perl.timed_out

    @property
    def stdout_same(self) -> bool:
        return self.perl.stdout == self.python.stdout

    @property
    def same(self) -> bool:
        return self.calls_same and self.exit_same and self.stdout_same

    def differing_calls(self) -> list[CallPair]:
        return [pair for pair in self.calls if pair.verdict != "identical"]

    def report(self) -> str:
        left, right = self.labels
        lines = [
            f"{left}:   {shlex.join(self.perl.command)}",
            f"{right}: {shlex.join(self.python.command)}",
            f"mock server: {self.base_url} (spec {self.spec})",
            "",
            f"Requests: {left} sent {len(self.perl.requests)}, {right} sent {len(self.python.requests)}"
            + (" (compared in the order sent)" if self.order == "strict" else ""),
        ]
        lines += [f"  {line}" for line in call_lines(self.calls, self.labels)]
        if not self.calls:
            lines.append("  (none)")
        lines.append(
            f"Exit status: {left} {self.perl.status_text()}, {right} {self.python.status_text()}"
            + ("" if self.exit_same else "  <- different")
        )
        for run in (self.perl, self.python):
            if run.exit_status != 0 and run.stderr_tail():
                lines.append(f"  {run.label}'s stderr ends with:")
                lines += [f"    {line}" for line in run.stderr_tail()]
        lines += self._stdout_lines()
        lines.append(self.verdict())
        return "\n".join(lines)

    def _stdout_lines(self) -> list[str]:
        left, right = self.labels
        if self.stdout_same:
            count = len(self.perl.stdout.splitlines())
            return [f"Standard output: identical ({count} line{'s' if count != 1 else ''})"]
        diff = list(
            difflib.unified_diff(
                self.perl.stdout.splitlines(),
                self.python.stdout.splitlines(),
                fromfile=left,
                tofile=right,
                lineterm="",
            )
        )
        if not diff:  # the same lines: a difference in line endings or the final newline
            diff = [f"{left} {self.perl.stdout[-40:]!r}", f"{right} {self.python.stdout[-40:]!r}"]
        shown_lines = diff[:MAX_STDOUT_DIFF_LINES]
        more = len(diff) - len(shown_lines)
        return (
            ["Standard output: different"]
            + [f"    {line}" for line in shown_lines]
            + ([f"    ... ({more} more lines)"] if more else [])
        )

    def verdict(self) -> str:
        if self.same:
            return "verdict: identical"
        parts = []
        if not self.calls_same:
            count = len(self.differing_calls())
            parts.append(f"{count} call{'s' if count != 1 else ''}")
        if not self.exit_same:
            parts.append("exit status")
        if not self.stdout_same:
            parts.append("standard output")
        return f"verdict: different ({', '.join(parts)})"

    def as_json(self) -> dict:
        return {
            "identical": self.same,
            "labels": list(self.labels),
            "base_url": self.base_url,
            "spec": self.spec,
            "order": self.order,
            "calls": [pair.as_json() for pair in self.calls],
            "programs": [_run_json(self.perl), _run_json(self.python)],
            "exit_status_identical": self.exit_same,
            "stdout_identical": self.stdout_same,
        }


def _run_json(run: ProgramRun) -> dict:
    return {
        "label": run.label,
        "command": run.command,
        "exit_status": run.exit_status,
        "timed_out": run.timed_out,
        "requests": len(run.requests),
        "stdout": run.stdout,
        "stderr": run.stderr,
    }


def calls_of(run: ProgramRun) -> list[Call]:
    return [Call.of(index, captured) for index, captured in enumerate(run.requests, 1)]


def compare_run(
    perl: str | Sequence[str],
    python: str | Sequence[str],
    *,
    spec: str | os.PathLike[str] | None = None,
    stdin: bytes | str | None = None,
    order: str = "any",
    timeout: float = DEFAULT_TIMEOUT,
    env: Mapping[str, str] | None = None,
) -> RunComparison:
    """Run a Perl program and its Python port against one mock of ``spec``; compare them.

    Each program gets ``stdin`` (text or bytes; else an empty stdin), the key
    ``sk-demo-not-a-real-key`` (the mock takes any; a real key is never needed or
    passed) and at most ``timeout`` seconds. Perl runs first, then Python, against
    the same server, so both see the same base URL and the same answers.
    """
    if order not in ORDERS:
        raise ValueError(f"order must be one of {', '.join(ORDERS)}, not {order!r}")
    perl_words, python_words = command_line(perl), command_line(python)
    data = stdin.encode("utf-8") if isinstance(stdin, str) else stdin
    location = spec_location(spec)
    with MockServer(location) as server:
        environment = redirect_environment(server.base_url, location, env)
        environment["OPENAI_API_KEY"] = DEMO_KEY
        runs = [
            run_program(words, server, environment, label=label, stdin=data, timeout=timeout)
            for label, words in (("Perl", perl_words), ("Python", python_words))
        ]
    calls = align(calls_of(runs[0]), calls_of(runs[1]), order)
    return RunComparison(runs[0], runs[1], calls, server.base_url, location, order)


# -- the command --------------------------------------------------------------------------


class UsageError(Exception):
    """Bad command-line input: one line on stderr, exit status 2."""


class CommandParser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse would exit; the caller prints one line
        raise UsageError(message)


def _parser() -> CommandParser:
    parser = CommandParser(
        prog="openapi-client-openai compare-run",
        description=(
            "Run a Perl program and its Python port, unmodified, against the mock server, "
            "and compare what they sent call by call, their exit statuses and their output."
        ),
        epilog="Exit status: 0 identical, 1 different, 2 usage error.",
    )
    parser.add_argument("--perl", required=True, metavar="COMMAND", help="e.g. 'perl app.pl ARGS'")
    parser.add_argument("--python", required=True, metavar="COMMAND", help="e.g. 'python app.py ARGS'")
    parser.add_argument("--spec", metavar="S", help="the spec the mock serves and both programs use")
    parser.add_argument("--stdin", metavar="FILE", help="fed to each program's standard input")
    parser.add_argument("--json", action="store_true", help="print the comparison as JSON")
    parser.add_argument(
        "--order", choices=ORDERS, default="any", help="'strict': identical calls must come in the same order"
    )
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="SECONDS")
    return parser


def main_compare_run(argv: Sequence[str] | None = None) -> int:
    """``compare-run --perl CMD --python CMD [--spec S] [--stdin FILE] [--json]``."""
    from openapi_client_openai.errors import OpenAPIClientError

    try:
        args = _parser().parse_args(list(sys.argv[1:] if argv is None else argv))
        stdin = Path(args.stdin).read_bytes() if args.stdin is not None else None
        if args.timeout <= 0:
            raise UsageError("--timeout must be positive")
        comparison = compare_run(
            args.perl, args.python, spec=args.spec, stdin=stdin, order=args.order, timeout=args.timeout
        )
    except (UsageError, ValueError, OSError, OpenAPIClientError) as exc:
        print(f"compare-run: {_one_line(exc)}", file=sys.stderr)
        return 2
    text = (
        json.dumps(comparison.as_json(), indent=2, ensure_ascii=False) if args.json else comparison.report()
    )
    emit(text, sys.stdout)
    return 0 if comparison.same else 1


def emit(text: str, stream: TextIO) -> None:
    """Print a report; a reader that went away (``| head``) is no error of ours."""
    try:
        print(text, file=stream, flush=True)
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())  # so the interpreter's last flush does not fail either
        os.close(devnull)


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, FileNotFoundError) and exc.filename:
        return f"{exc.filename}: {exc.strerror or 'not found'}"
    return " ".join(str(exc).split()) or type(exc).__name__
