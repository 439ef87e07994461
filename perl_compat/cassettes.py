"""Cassettes: a program's HTTP session kept as JSON Lines, replayed to another program.

``record(out, command)`` runs a program against the mock (or, with ``upstream``,
through a recording forwarder on 127.0.0.1 to a real API) and writes every
exchange, request and response, in order. ``replay(cassette)`` serves the recorded
responses to other code and checks each request against the recorded one, with
the same normalisation and call-by-call report as ``compare-run``. The format is
described in docs/programs.md; in short, one JSON object per line:

    {"base_path":"/v1","cassette":"openapi-client-openai","upstream":null,"version":1}
    {"request":{"body":"","headers":[["Authorization","Bearer ***"]],"method":"GET",
     "target":"/v1/models"},"response":{"body":"{...}","headers":[...],"status":200}}

(each object on one line). Credentials are never written: ``Authorization`` keeps
only its scheme (``Bearer ***``), cookies are masked or dropped, and the key itself
is struck from every line as a last guard.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import sys
import tempfile
import threading
import urllib.parse
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openapi_client_openai.cli import DEMO_KEY
from openapi_client_openai.client import BASE_URL_OVERRIDE
from openapi_client_openai.message import mask
from openapi_client_openai.mock import CapturedRequest, MockServer, Reply

from .comparison import Wire
from .programs import (
    DEFAULT_TIMEOUT,
    ORDERS,
    Call,
    CallPair,
    CommandParser,
    ProgramRun,
    UsageError,
    _one_line,
    call_differences,
    call_lines,
    command_line,
    emit,
    redirect_environment,
    run_program,
    spec_location,
)

__all__ = [
    "CASSETTE",
    "VERSION",
    "Cassette",
    "CassetteError",
    "Exchange",
    "Forwarder",
    "Message",
    "ReplayMismatch",
    "ReplayResult",
    "ReplayServer",
    "Replayer",
    "main_record",
    "main_replay",
    "record",
    "replay",
    "replay_run",
]

CASSETTE = "openapi-client-openai"
VERSION = 1
# Not kept: they change from run to run (the port in Host) or are the transport's business.
UNKEPT_REQUEST_HEADERS = frozenset(
    {"host", "content-length", "connection", "keep-alive", "transfer-encoding"}
)
UNKEPT_RESPONSE_HEADERS = frozenset(
    {"content-length", "connection", "keep-alive", "transfer-encoding", "set-cookie", "set-cookie2"}
)
MASKED_HEADERS = frozenset({"cookie", "x-api-key"})  # beyond those the client masks in logs
FORWARD_TIMEOUT = 600.0  # seconds the forwarder waits for the upstream API
ORDER_DEFAULT = "strict"
LABELS = ("recorded", "program")


class CassetteError(ValueError):
    """A cassette that cannot be read: names the file and line."""


def masked(name: str, value: str) -> str:
    """A header value as a cassette keeps it: credentials reduced to their scheme."""
    if name.lower() in MASKED_HEADERS:
        return "***"
    return mask(name, value)


# -- the format ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Message:
    """One side of an exchange: a request (method, target) or a response (status)."""

    headers: tuple[tuple[str, str], ...]
    body: bytes
    method: str = ""
    target: str = ""
    status: int = 0

    def body_json(self) -> dict:
        try:
            return {"body": self.body.decode("utf-8")}
        except UnicodeDecodeError:
            return {"body_base64": base64.b64encode(self.body).decode("ascii")}

    @classmethod
    def from_json(cls, data: Any, where: str, request: bool) -> Message:
        if not isinstance(data, dict):
            raise CassetteError(f"{where}: expected an object")
        headers = data.get("headers", [])
        if not (
            isinstance(headers, list)
            and all(
                isinstance(h, list) and len(h) == 2 and all(isinstance(x, str) for x in h) for h in headers
            )
        ):
            raise CassetteError(f"{where}: headers must be a list of [name, value] strings")
        if "body_base64" in data:
            try:
                body = base64.b64decode(str(data["body_base64"]), validate=True)
            except ValueError:
                raise CassetteError(f"{where}: body_base64 is not base64") from None
        else:
            text = data.get("body", "")
            if not isinstance(text, str):
                raise CassetteError(f"{where}: body must be a string")
            body = text.encode("utf-8")
        pairs = tuple((name, value) for name, value in headers)
        if request:
            method, target = data.get("method"), data.get("target")
            if not (
                isinstance(method, str) and method and isinstance(target, str) and target.startswith("/")
            ):
                raise CassetteError(f"{where}: a request needs a method and a target starting with '/'")
            return cls(pairs, body, method=method, target=target)
        status = data.get("status")
        if not (isinstance(status, int) and 100 <= status <= 999):
            raise CassetteError(f"{where}: a response needs a status from 100 to 999")
        return cls(pairs, body, status=status)


@dataclass(frozen=True)
class Exchange:
    """One request as it was sent and the response it got."""

    request: Message
    response: Message

    @classmethod
    def from_captured(cls, captured: CapturedRequest) -> Exchange:
        reply = captured.reply or Reply(502, (), b"")
        request = Message(
            tuple(
                (name, masked(name, value))
                for name, value in captured.headers
                if name.lower() not in UNKEPT_REQUEST_HEADERS
            ),
            captured.body,
            method=captured.method,
            target=captured.target,
        )
        response = Message(
            tuple((n, masked(n, v)) for n, v in reply.headers if n.lower() not in UNKEPT_RESPONSE_HEADERS),
            reply.body,
            status=reply.status,
        )
        return cls(request, response)

    def to_json(self) -> dict:
        req, res = self.request, self.response
        return {
            "request": {"method": req.method, "target": req.target, "headers": [list(h) for h in req.headers]}
            | req.body_json(),
            "response": {"status": res.status, "headers": [list(h) for h in res.headers]} | res.body_json(),
        }

    def wire(self) -> Wire:
        path, _, query = self.request.target.partition("?")
        return Wire.normalised(self.request.method, path, query, self.request.headers, self.request.body)

    def reply(self) -> Reply:
        return Reply(self.response.status, self.response.headers, self.response.body)


@dataclass
class Cassette:
    """A header and the exchanges, in the order they happened."""

    exchanges: list[Exchange] = field(default_factory=list)
    base_path: str = ""  # the path prefix of the base URL the program used ("/v1")
    upstream: str | None = None  # the API it was recorded from; None: the mock

    def lines(self, secrets: Iterable[str] = ()) -> list[str]:
        header = {
            "cassette": CASSETTE,
            "version": VERSION,
            "base_path": self.base_path,
            "upstream": self.upstream,
        }
        out = [_line(header)] + [_line(exchange.to_json()) for exchange in self.exchanges]
        for secret in secrets:  # belt and braces: the key can be nowhere
            if secret and len(secret) >= 8:
                out = [line.replace(secret, "***") for line in out]
        return out

    def write(self, path: str | os.PathLike[str], secrets: Iterable[str] = ()) -> None:
        """Write atomically: a crash leaves the old file or the new one, never half of one."""
        target = Path(path)
        text = "\n".join(self.lines(secrets)) + "\n"
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent or Path("."))
        try:
            with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
                out.write(text)
            os.replace(temporary, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise

    @classmethod
    def read(cls, path: str | os.PathLike[str]) -> Cassette:
        name = os.fspath(path)
        try:
            text = Path(name).read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise CassetteError(f"{name}: not UTF-8 text") from None
        return cls.parse(text.splitlines(), name)

    @classmethod
    def parse(cls, lines: Sequence[str], name: str = "<cassette>") -> Cassette:
        records = []
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                records.append((number, json.loads(line)))
            except ValueError as exc:
                raise CassetteError(f"{name} line {number}: not JSON ({exc})") from None
        if not records:
            raise CassetteError(f"{name}: empty, not a cassette")
        number, header = records[0]
        if not isinstance(header, dict) or header.get("cassette") != CASSETTE:
            raise CassetteError(
                f'{name} line {number}: not a cassette header ({{"cassette": "{CASSETTE}", ...}})'
            )
        if header.get("version") != VERSION:
            raise CassetteError(f"{name}: cassette version {header.get('version')!r}; this reads {VERSION}")
        exchanges = []
        for number, record in records[1:]:
            where = f"{name} line {number}"
            if not isinstance(record, dict):
                raise CassetteError(f"{where}: expected an object with request and response")
            exchanges.append(
                Exchange(
                    Message.from_json(record.get("request"), f"{where} request", True),
                    Message.from_json(record.get("response"), f"{where} response", False),
                )
            )
        base_path = header.get("base_path") or ""
        upstream = header.get("upstream")
        return cls(exchanges, str(base_path), upstream if isinstance(upstream, str) else None)


def _line(value: Any) -> str:
    # Sorted keys and no spaces: the same session always gives the same bytes.
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


# -- recording ----------------------------------------------------------------------------


class Forwarder:
    """A MockServer responder that passes each request on to ``upstream`` and returns its answer.

    The request goes out as it came (headers in order, the key included: it has to
    reach the API), except for ``Host`` and hop-by-hop headers, and with
    ``Accept-Encoding: identity`` so the cassette holds readable bodies. Standard
    library only (``http.client``): the client's transport is not what is tested here.
    """

    HOP_BY_HOP = frozenset(
        {"host", "connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "upgrade"}
    )

    def __init__(self, upstream: str, timeout: float = FORWARD_TIMEOUT) -> None:
        parts = urllib.parse.urlsplit(upstream)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"--upstream must be an http(s) URL, not {upstream!r}")
        self.upstream = upstream
        self.scheme = parts.scheme
        self.host = parts.hostname
        self.port = parts.port
        self.netloc = parts.netloc.rpartition("@")[2]
        self.base_path = parts.path.rstrip("/")
        self.timeout = timeout

    def __call__(self, request: CapturedRequest) -> Reply:
        import http.client

        connection_class = (
            http.client.HTTPSConnection if self.scheme == "https" else http.client.HTTPConnection
        )
        connection = connection_class(self.host, self.port, timeout=self.timeout)
        try:
            connection.putrequest(request.method, request.target, skip_host=True, skip_accept_encoding=True)
            connection.putheader("Host", self.netloc)
            for name, value in request.headers:
                lower = name.lower()
                if lower in self.HOP_BY_HOP or lower in ("accept-encoding", "content-length"):
                    continue
                connection.putheader(name, value)
            connection.putheader("Accept-Encoding", "identity")
            connection.putheader("Content-Length", str(len(request.body)))
            connection.endheaders(request.body or None)
            response = connection.getresponse()
            body = response.read()
            headers = tuple(
                (name, value)
                for name, value in response.getheaders()
                if name.lower() not in self.HOP_BY_HOP and name.lower() != "content-length"
            )
            return Reply(response.status, headers, body)
        except (OSError, http.client.HTTPException) as exc:
            message = f"record: {self.upstream} did not answer: {_one_line(exc)}"
            error = {
                "error": {"message": message, "type": "record_forwarder_error", "param": None, "code": None}
            }
            return Reply(502, (("Content-Type", "application/json"),), _line(error).encode("utf-8"))
        finally:
            connection.close()


@dataclass
class RecordResult:
    cassette: Cassette
    run: ProgramRun
    path: str


def record(
    out: str | os.PathLike[str],
    command: str | Sequence[str],
    *,
    spec: str | os.PathLike[str] | None = None,
    upstream: str | None = None,
    stdin: bytes | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    passthrough: bool = False,
    env: Mapping[str, str] | None = None,
) -> RecordResult:
    """Run ``command`` against the mock (or through a forwarder to ``upstream``); write its session.

    Against the mock the program gets a demo key when it has none; through
    ``upstream`` it needs its own ``OPENAI_API_KEY``, which goes to the API and
    nowhere else. The cassette is written even when the program fails.
    """
    words = command_line(command)
    forwarder = Forwarder(upstream) if upstream is not None else None
    # The mock's spec is the program's too; a real API's is whatever the program finds.
    location = spec_location(spec) if spec is not None or forwarder is None else None
    with MockServer(location, responder=forwarder) as server:
        base_path = forwarder.base_path if forwarder is not None else server.base_url[len(server.url) :]
        environment = redirect_environment(server.url + base_path, location, env)
        if forwarder is None:
            environment.setdefault("OPENAI_API_KEY", DEMO_KEY)
        run = run_program(words, server, environment, stdin=stdin, timeout=timeout, passthrough=passthrough)
    cassette = Cassette([Exchange.from_captured(c) for c in run.requests], base_path, upstream)
    cassette.write(out, secrets=[environment.get("OPENAI_API_KEY", "")])
    return RecordResult(cassette, run, os.fspath(out))


# -- replaying ----------------------------------------------------------------------------


class Replayer:
    """A MockServer responder that answers from a cassette and notes what each request matched.

    ``order="strict"``: each request is checked against the next recorded one (an
    unexpected operation gets a 404 and does not use it up). ``order="any"``: the
    first unused recorded request that is identical, else the first for the same
    method and path.
    """

    def __init__(self, cassette: Cassette, order: str = ORDER_DEFAULT) -> None:
        if order not in ORDERS:
            raise ValueError(f"order must be one of {', '.join(ORDERS)}, not {order!r}")
        self.cassette = cassette
        self.order = order
        self._wires = [exchange.wire() for exchange in cassette.exchanges]
        self._used = [False] * len(self._wires)
        self._served: list[tuple[CapturedRequest, int | None]] = []
        self._lock = threading.Lock()

    def __call__(self, request: CapturedRequest) -> Reply:
        wire = request_wire(request)
        with self._lock:
            index = self._pick(wire)
            self._served.append((request, index))
            if index is not None:
                self._used[index] = True
        if index is None:
            target = request.target
            message = f"replay: nothing recorded for {request.method} {target} at this point"
            error = {"error": {"message": message, "type": "replay_error", "param": None, "code": None}}
            return Reply(404, (("Content-Type", "application/json"),), _line(error).encode("utf-8"))
        return self.cassette.exchanges[index].reply()

    def _pick(self, wire: Wire) -> int | None:
        free = [i for i, used in enumerate(self._used) if not used]
        if not free:
            return None
        if self.order == "strict":
            first = free[0]
            recorded = self._wires[first]
            return first if (recorded.method, recorded.path) == (wire.method, wire.path) else None
        same = next((i for i in free if self._wires[i] == wire), None)
        if same is not None:
            return same
        return next(
            (i for i in free if (self._wires[i].method, self._wires[i].path) == (wire.method, wire.path)),
            None,
        )

    def result(self, run: ProgramRun | None = None) -> ReplayResult:
        """What happened so far: each request beside the recorded one it was answered from."""
        with self._lock:
            served = list(self._served)
            used = list(self._used)
        pairs = []
        for number, (request, index) in enumerate(served, 1):
            program_call = Call(number, request_wire(request))
            if index is None:
                pairs.append(CallPair(None, program_call))
                continue
            recorded = Call(index + 1, self._wires[index], _operation(self.cassette.exchanges[index]))
            program_call = Call(number, program_call.wire, recorded.operation)
            pairs.append(CallPair(recorded, program_call, call_differences(recorded.wire, program_call.wire)))
        for index, was_used in enumerate(used):
            if not was_used:
                exchange = self.cassette.exchanges[index]
                pairs.append(CallPair(Call(index + 1, self._wires[index], _operation(exchange)), None))
        return ReplayResult(pairs, len(self.cassette.exchanges), self.order, run)


def request_wire(request: CapturedRequest) -> Wire:
    """An incoming request normalised as a recorded one is: credentials masked the same way."""
    headers = [(name, masked(name, value)) for name, value in request.headers]
    return Wire.normalised(request.method, request.path, request.query, headers, request.body)


def _operation(exchange: Exchange) -> str | None:
    return next((v for k, v in exchange.response.headers if k.lower() == "x-mock-operation-id"), None)


@dataclass
class ReplayResult:
    """Each request the program made beside the recorded one; recorded ones never asked for."""

    calls: list[CallPair]
    recorded: int
    order: str
    run: ProgramRun | None = None

    @property
    def calls_same(self) -> bool:
        return all(pair.verdict == "identical" for pair in self.calls)

    @property
    def same(self) -> bool:
        """Every request matched its recording, every recording was asked for (and the program succeeded)."""
        return self.calls_same and (self.run is None or self.run.exit_status == 0)

    def report(self) -> str:
        requested = sum(1 for pair in self.calls if pair.right is not None)
        lines = [f"Replay ({self.order} order): {self.recorded} recorded, {requested} requested"]
        lines += [f"  {line}" for line in call_lines(self.calls, LABELS)]
        if self.run is not None:
            lines.append(f"Exit status: {self.run.status_text()}")
        different = sum(1 for pair in self.calls if pair.verdict != "identical")
        failed = self.run is not None and self.run.exit_status != 0
        if self.same:
            lines.append("verdict: identical")
        else:
            parts = [f"{different} call{'s' if different != 1 else ''}"] if different else []
            parts += ["exit status"] if failed else []
            lines.append(f"verdict: different ({', '.join(parts)})")
        return "\n".join(lines)


class ReplayMismatch(AssertionError):
    """A replayed session that did not go as recorded; the message is the report."""


@dataclass
class ReplayServer:
    """The running replay: where it listens and, at any time, what happened."""

    server: MockServer
    replayer: Replayer
    base_url: str

    def result(self) -> ReplayResult:
        return self.replayer.result()


@contextlib.contextmanager
def replay(
    cassette: str | os.PathLike[str] | Cassette,
    *,
    order: str = ORDER_DEFAULT,
    spec: str | os.PathLike[str] | None = None,
    check: bool = True,
) -> Iterator[ReplayServer]:
    """Serve a cassette on 127.0.0.1 while the block runs; every client made inside sends there.

    The block's clients find the server through ``OPENAPI_CLIENT_OPENAI_BASE_URL``
    (and get a demo ``OPENAI_API_KEY`` if none is set); both are restored after.
    On leaving, with ``check``, a session that differs from the recording raises
    :class:`ReplayMismatch` (an AssertionError, so pytest shows the report).
    """
    tape = cassette if isinstance(cassette, Cassette) else Cassette.read(cassette)
    replayer = Replayer(tape, order)
    with MockServer(spec, responder=replayer) as server:
        base_url = server.url + tape.base_path
        saved = {name: os.environ.get(name) for name in (BASE_URL_OVERRIDE, "OPENAI_API_KEY")}
        os.environ[BASE_URL_OVERRIDE] = base_url
        os.environ.setdefault("OPENAI_API_KEY", DEMO_KEY)
        try:
            yield ReplayServer(server, replayer, base_url)
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
    if check:
        result = replayer.result()
        if not result.same:
            raise ReplayMismatch(result.report())


def replay_run(
    cassette: str | os.PathLike[str] | Cassette,
    command: str | Sequence[str],
    *,
    order: str = ORDER_DEFAULT,
    spec: str | os.PathLike[str] | None = None,
    stdin: bytes | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    passthrough: bool = False,
    env: Mapping[str, str] | None = None,
) -> ReplayResult:
    """Run ``command`` against a cassette's recorded responses; how its requests compared."""
    words = command_line(command)
    tape = cassette if isinstance(cassette, Cassette) else Cassette.read(cassette)
    replayer = Replayer(tape, order)
    location = spec_location(spec) if spec is not None else None  # None: the program finds its own
    with MockServer(location, responder=replayer) as server:
        environment = redirect_environment(server.url + tape.base_path, location, env)
        environment.setdefault("OPENAI_API_KEY", DEMO_KEY)
        run = run_program(words, server, environment, stdin=stdin, timeout=timeout, passthrough=passthrough)
    return replayer.result(run)


# -- the commands -------------------------------------------------------------------------


def _split_command(argv: Sequence[str], prog: str) -> tuple[list[str], list[str]]:
    """Options before ``--``, the program's command after it."""
    args = list(argv)
    if "--" not in args:
        raise UsageError(f"give the program after '--': {prog} ... -- COMMAND [ARGS...]")
    at = args.index("--")
    if at == len(args) - 1:
        raise UsageError("the command after '--' is empty")
    return args[:at], args[at + 1 :]


def _record_parser() -> CommandParser:
    parser = CommandParser(
        prog="openapi-client-openai record",
        description="Run a program against the mock (or a real API) and keep its session as a cassette.",
        epilog="Exit status: the program's; 2 for a usage error.",
    )
    parser.add_argument("--out", required=True, metavar="FILE", help="the cassette to write (JSON Lines)")
    parser.add_argument("--spec", metavar="S", help="the spec the mock serves and the program uses")
    parser.add_argument(
        "--upstream",
        metavar="URL",
        help="record from this API (e.g. https://api.openai.com/v1) through a forwarder on 127.0.0.1",
    )
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="SECONDS")
    return parser


def main_record(argv: Sequence[str] | None = None) -> int:
    """``record --out session.jsonl [--upstream URL] [--spec S] -- COMMAND...``."""
    from openapi_client_openai.errors import OpenAPIClientError

    try:
        options, command = _split_command(sys.argv[1:] if argv is None else argv, "record")
        args = _record_parser().parse_args(options)
        if args.timeout <= 0:
            raise UsageError("--timeout must be positive")
        if args.upstream is not None and not os.environ.get("OPENAI_API_KEY"):
            raise UsageError("--upstream needs OPENAI_API_KEY: the program's key goes to the API")
        result = record(
            args.out, command, spec=args.spec, upstream=args.upstream, timeout=args.timeout, passthrough=True
        )
    except (UsageError, ValueError, OSError, OpenAPIClientError) as exc:
        print(f"record: {_one_line(exc)}", file=sys.stderr)
        return 2
    count = len(result.cassette.exchanges)
    print(
        f"record: {count} exchange{'s' if count != 1 else ''} written to {result.path}; "
        f"the program's exit status: {result.run.status_text()}",
        file=sys.stderr,
    )
    return result.run.exit_status if result.run.exit_status is not None else 1


def _replay_parser() -> CommandParser:
    parser = CommandParser(
        prog="openapi-client-openai replay",
        description="Serve a cassette's responses to a program and check its requests against the record.",
        epilog="Exit status: 0 as recorded (and the program succeeded), 1 not, 2 usage error.",
    )
    parser.add_argument("cassette", help="the cassette (JSON Lines) written by record")
    parser.add_argument("--order", choices=ORDERS, default=ORDER_DEFAULT, help="default: strict")
    parser.add_argument("--spec", metavar="S", help="the spec the program uses (default: as it finds one)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="SECONDS")
    return parser


def main_replay(argv: Sequence[str] | None = None) -> int:
    """``replay session.jsonl [--order strict|any] [--spec S] -- COMMAND...``."""
    from openapi_client_openai.errors import OpenAPIClientError

    try:
        options, command = _split_command(sys.argv[1:] if argv is None else argv, "replay")
        args = _replay_parser().parse_args(options)
        if args.timeout <= 0:
            raise UsageError("--timeout must be positive")
        result = replay_run(
            args.cassette, command, order=args.order, spec=args.spec, timeout=args.timeout, passthrough=True
        )
    except (UsageError, ValueError, OSError, OpenAPIClientError) as exc:
        print(f"replay: {_one_line(exc)}", file=sys.stderr)
        return 2
    if args.json:
        payload = {
            "identical": result.same,
            "order": result.order,
            "recorded": result.recorded,
            "exit_status": result.run.exit_status if result.run else None,
            "calls": [pair.as_json() for pair in result.calls],
        }
        emit(json.dumps(payload, indent=2, ensure_ascii=False), sys.stderr)
    else:
        emit(result.report(), sys.stderr)
    return 0 if result.same else 1
