"""One call through the Perl client and the Python client, and what differs between them.

``compare("getRun", {"thread_id": "t", "run_id": "r"})`` sends the call through both
clients to one capturing loopback server (``openapi_client_openai.mock.MockServer``)
and returns a :class:`Comparison`: both requests as they arrived on the wire, both
results, and the differences field by field. The parity suite (tests/parity) uses
the same comparator (:func:`diff_sides`) for each of its cases.

What counts as the same: method, raw path, raw query string, headers (names
case-insensitively; Date, User-Agent, Host, Content-Length, Accept-Encoding and
Connection ignored; order of different names ignored), body bytes (a multipart
boundary normalised); for invalid input the local 400's code, ``errors`` list in
order and ``tx.error``, with nothing sent on either side; for a call that dies,
the message without Perl's " at FILE line N." suffix.

A streamed call (``stream=True``, or by default a body asking for a stream of an
operation that declares one) is read the Mojo way on both sides: a ``read``
handler set in ``after_build_tx``, after ``unsubscribe('read')``; Python also
iterates ``client.stream``. Then the bytes each handler got and the server-sent
events in them are compared too (Python's: the iterator's own events).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from openapi_client_openai.cli import DEMO_KEY, UsageError, parse_params
from openapi_client_openai.docgen import usage
from openapi_client_openai.message import Request, mask
from openapi_client_openai.streaming import DONE
from openapi_client_openai.transaction import Transaction

__all__ = [
    "IGNORED_HEADERS",
    "Comparison",
    "Difference",
    "Side",
    "Streamed",
    "Wire",
    "compare",
    "diff_errors",
    "diff_requests",
    "diff_sides",
    "diff_streamed",
    "main_compare",
    "perl_call",
    "python_call",
    "shown",
]

IGNORED_HEADERS = frozenset({"date", "user-agent", "host", "content-length", "accept-encoding", "connection"})
_PERL_LOCATION = re.compile(r" at \S+ line \d+\.?\n?\Z")
_BOUNDARY = re.compile(r"""boundary=("?)([^";,\s]+)\1""", re.IGNORECASE)
_ADDRESS = re.compile(r"\b(HASH|ARRAY|CODE|SCALAR)%280x[0-9a-f]+%29")
_ADDRESS_BYTES = re.compile(rb"\b(HASH|ARRAY|CODE|SCALAR)\(0x[0-9a-f]+\)")
SHOWN = 300  # characters of a body or value shown in a difference
SHOWN_EVENTS = 5  # events of a streamed call shown in a report


# -- what each side did ----------------------------------------------------------------


@dataclass(frozen=True)
class Wire:
    """One request as it arrived on the wire, normalised for comparison."""

    method: str
    path: str  # raw: percent-encoding exactly as sent
    query: str  # raw query string, "" when there is none
    headers: tuple[tuple[str, str], ...]  # (lower-case name, value), ignored names dropped
    body: bytes  # a multipart boundary replaced by "BOUNDARY"

    @classmethod
    def from_captured(cls, captured: Any) -> Wire:
        """From a MockServer ``CapturedRequest`` (raw target, headers as received)."""
        path, _, query = str(captured.target).partition("?")
        return cls.normalised(captured.method, path, query, captured.headers, bytes(captured.body))

    @classmethod
    def from_request(cls, req: Request) -> Wire:
        """From ``tx.req``, when no server captured the request (a real ``base_url``)."""
        target = re.sub(r"^[a-zA-Z][-+.\w]*://[^/?#]*", "", str(req.url)) or "/"
        path, _, query = target.partition("?")
        return cls.normalised(req.method.upper(), path, query, req.headers.items(), req.body)

    @classmethod
    def normalised(cls, method: str, path: str, query: str, headers: Iterable, body: bytes) -> Wire:
        pairs = [(str(k).lower(), str(v)) for k, v in headers if str(k).lower() not in IGNORED_HEADERS]
        boundary = None
        for name, value in pairs:
            if name == "content-type" and value.lower().startswith("multipart/"):
                match = _BOUNDARY.search(value)
                boundary = match.group(2) if match else None
        if boundary:
            pairs = [(k, v.replace(boundary, "BOUNDARY") if k == "content-type" else v) for k, v in pairs]
            body = body.replace(boundary.encode("latin-1"), b"BOUNDARY")
        # Perl stringifies a reference with its address ("HASH(0x55d0...)"), and so do
        # we on purpose; only the address may differ.
        query = _ADDRESS.sub(r"\1%280xADDR%29", query)
        body = _ADDRESS_BYTES.sub(rb"\1(0xADDR)", body)
        # Stable sort: repeated names keep their order, which does matter.
        return cls(method, path, query, tuple(sorted(pairs, key=lambda pair: pair[0])), body)


@dataclass(frozen=True)
class Streamed:
    """What a streamed call's ``read`` handler got, and the events in it."""

    body: bytes  # every piece the handler got, joined (how it was cut does not count)
    events: tuple[tuple[str, str, str | None], ...]  # (type, data, id), [DONE] left out
    done: bool  # the stream ended with [DONE]

    @classmethod
    def of(cls, body: bytes, events: Iterable[Any], done: bool | None = None) -> Streamed:
        kept = [(e.type, e.data, e.id) for e in events]
        ended = any(data == DONE for _, data, _ in kept)
        kept = [event for event in kept if event[1] != DONE]
        return cls(body, tuple(kept), ended if done is None else done)


@dataclass
class Side:
    """One client's part of one call: what reached the server, the transaction, or the death."""

    wire: list[Wire] | None  # None: nothing captured this call (compared through tx.req)
    tx: Transaction | None = None
    died: str | None = None  # exception text (Perl's location suffix removed)
    streamed: Streamed | None = None  # a streamed call's body and events

    @classmethod
    def of(
        cls,
        tx: Transaction | None,
        captured: Sequence | None,
        died: BaseException | str | None = None,
        streamed: Streamed | None = None,
    ) -> Side:
        wire = None if captured is None else [Wire.from_captured(c) for c in captured]
        text = None
        if died is not None:
            text = _PERL_LOCATION.sub("", died.message if hasattr(died, "message") else str(died))
        return cls(wire, None if died is not None else tx, text, streamed)

    @property
    def outcome(self) -> str:
        if self.died is not None:
            return "died"
        assert self.tx is not None
        if not self.tx.is_sent:
            return "local-400"
        if self.tx.res.code is None:
            return "no-response"
        return "sent"

    def requests(self) -> list[Wire]:
        """What was sent: the captures, else (no server of ours) what the transaction says."""
        if self.wire is not None:
            return self.wire
        if self.tx is not None and self.outcome in ("sent", "no-response"):
            return [Wire.from_request(self.tx.req)]
        return []

    def errors(self) -> Any:
        return self.tx.res.json("/errors") if self.tx is not None else None


@dataclass(frozen=True)
class Difference:
    """One field on which Perl and Python disagree."""

    field: str
    perl: Any
    python: Any

    def __str__(self) -> str:
        return f"{self.field}: Perl {shown(self.perl)} vs Python {shown(self.python)}"


def shown(value: Any) -> str:
    """A value as a difference shows it: strings quoted, bytes decoded, long ones cut."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "backslashreplace")
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=repr)
    text = repr(text) if isinstance(value, str) else text
    return text if len(text) <= SHOWN else text[:SHOWN] + f"... ({len(text)} chars)"


# -- the comparator ----------------------------------------------------------------------


def diff_sides(perl: Side, python: Side) -> list[Difference]:
    """Every difference between what the Perl and the Python client did for one call."""
    out: list[Difference] = []
    for side in (perl, python):
        if side.outcome == "local-400" and side.wire:
            out.append(
                Difference(
                    "sent-while-invalid",
                    len(perl.wire or []) if side is perl else None,
                    len(python.wire or []) if side is python else None,
                )
            )
    if perl.outcome != python.outcome:
        out.append(Difference("outcome", _summary(perl), _summary(python)))
        return out
    if perl.outcome == "died":
        if perl.died != python.died:
            out.append(Difference("died", perl.died, python.died))
        return out
    assert perl.tx is not None and python.tx is not None
    if perl.outcome == "local-400":
        out += _field("res.code", perl.tx.res.code, python.tx.res.code)
        out += diff_errors(perl.errors(), python.errors())
        out += _field("tx.error", perl.tx.error, python.tx.error)
        return out
    out += diff_requests(perl.requests(), python.requests())
    out += _field("res.code", perl.tx.res.code, python.tx.res.code)
    out += _field("tx.error", perl.tx.error, python.tx.error)
    if perl.streamed is not None or python.streamed is not None:
        out += diff_streamed(perl.streamed, python.streamed)
    return out


def diff_streamed(perl: Streamed | None, python: Streamed | None) -> list[Difference]:
    """A streamed call's bytes, events (the first that differs) and end."""
    if perl is None or python is None:
        return [Difference("streamed", perl is not None, python is not None)]
    out = _field("stream.body", perl.body, python.body)
    if perl.events != python.events:
        for index in range(max(len(perl.events), len(python.events))):
            left = perl.events[index] if index < len(perl.events) else None
            right = python.events[index] if index < len(python.events) else None
            if left != right:
                counts = f" (Perl has {len(perl.events)}, Python {len(python.events)})"
                detail = counts if len(perl.events) != len(python.events) else ""
                out.append(Difference(f"stream.events[{index}]{detail}", left, right))
                break
    out += _field("stream.done", perl.done, python.done)
    return out


def _summary(side: Side) -> Any:
    if side.outcome == "died":
        return f"died: {side.died}"
    if side.outcome == "local-400":
        return {"local-400": side.errors()}
    assert side.tx is not None
    error = side.tx.error
    return f"{side.outcome} ({side.tx.res.code or (error and error.get('message'))})"


def _field(name: str, perl: Any, python: Any) -> list[Difference]:
    return [] if perl == python else [Difference(name, perl, python)]


def diff_errors(perl: Any, python: Any) -> list[Difference]:
    """The first entry where two local 400s' ``errors`` lists part (one Difference at most)."""
    if perl == python:
        return []
    if not (isinstance(perl, list) and isinstance(python, list)):
        return [Difference("errors", perl, python)]
    for index in range(max(len(perl), len(python))):
        left = perl[index] if index < len(perl) else None
        right = python[index] if index < len(python) else None
        if left != right:
            detail = f"errors[{index}]" + (
                f" (Perl has {len(perl)}, Python {len(python)})" if len(perl) != len(python) else ""
            )
            return [Difference(detail, left, right)]
    return []


def diff_requests(perl: list[Wire], python: list[Wire]) -> list[Difference]:
    """Field by field; numbered ``request[i].`` when more than one request was sent."""
    if len(perl) != len(python):
        return [Difference("requests-sent", len(perl), len(python))]
    out: list[Difference] = []
    for index, (left, right) in enumerate(zip(perl, python)):
        prefix = "" if len(perl) == 1 else f"request[{index}]."
        out += _field(prefix + "method", left.method, right.method)
        out += _field(prefix + "path", left.path, right.path)
        out += _field(prefix + "query", left.query, right.query)
        if left.headers != right.headers:
            only_perl = [f"{k}: {mask(k, v)}" for k, v in left.headers if (k, v) not in right.headers]
            only_python = [f"{k}: {mask(k, v)}" for k, v in right.headers if (k, v) not in left.headers]
            if not only_perl and not only_python:
                only_perl, only_python = (
                    [f"{k}: {mask(k, v)}" for k, v in left.headers],
                    [f"{k}: {mask(k, v)}" for k, v in right.headers],
                )
            out.append(Difference(prefix + "headers", only_perl, only_python))
        out += _field(prefix + "body", left.body, right.body)
    return out


def _cut(text: str, width: int = 100) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


# -- one call, both ways -----------------------------------------------------------------


@dataclass
class Comparison:
    """One call made by both clients: the two sides and their differences."""

    op: str
    params: dict
    content: dict
    perl: Side
    python: Side
    which: str = ""  # which Perl client answered
    differences: list[Difference] = field(default_factory=list)

    @property
    def same(self) -> bool:
        return not self.differences

    def diff(self) -> str:
        """The differences, one per line ("" when the two clients agree)."""
        return "\n".join(str(d) for d in self.differences)

    def report(self) -> str:
        """Both calls, what each sent and got, and the verdict: the CLI's output."""
        lines = [
            f"Perl   ({self.which}):",
            _indented(perl_call(self.op, self.params, self.content)),
            *_side_lines(self.perl),
            "Python (openapi_client_openai):",
            _indented(python_call(self.op, self.params, self.content)),
            *_side_lines(self.python),
        ]
        lines.append(f"(headers not compared, so not shown: {', '.join(sorted(IGNORED_HEADERS))})")
        if self.perl.streamed is not None or self.python.streamed is not None:
            lines.append(
                "(read as a stream: each side with a read handler set in after_build_tx, "
                "Python also with client.stream; bytes and events compared)"
            )
        if self.same:
            lines.append("verdict: identical")
        else:
            lines.append(f"verdict: different ({len(self.differences)})")
            lines += [f"  {d}" for d in self.differences]
        return "\n".join(lines)


def _indented(code: str) -> str:
    return "  " + code.replace("\n", "\n  ")


def _side_lines(side: Side) -> list[str]:
    if side.outcome == "died":
        return [f"  died: {side.died}"]
    assert side.tx is not None
    lines = []
    for wire in side.requests():
        target = wire.path + (f"?{wire.query}" if wire.query else "")
        lines.append(f"  sent: {wire.method} {target}")
        lines += [f"    {k}: {mask(k, v)}" for k, v in wire.headers]
        if wire.body:
            lines.append(f"    body: {shown(wire.body)}")
    if not side.requests():
        lines.append("  sent: nothing")
    res = side.tx.res
    lines.append(f"  got: {res.code if res.code is not None else '-'} {res.message}".rstrip())
    if res.body:
        lines.append(f"    body: {shown(res.body)}")
    if side.streamed is not None:
        streamed = side.streamed
        end = ", then [DONE]" if streamed.done else ""
        lines.append(f"    streamed: {len(streamed.body)} bytes, {len(streamed.events)} events{end}")
        lines += [f"      {kind}: {_cut(data)}" for kind, data, _ in streamed.events[:SHOWN_EVENTS]]
        if len(streamed.events) > SHOWN_EVENTS:
            lines.append(f"      ... and {len(streamed.events) - SHOWN_EVENTS} more")
    lines.append(f"  tx.error: {json.dumps(side.tx.error, sort_keys=True)}")
    return lines


def compare(
    op: str,
    params: dict | None = None,
    content: dict | None = None,
    spec: Any = None,
    base_url: str | None = None,
    assistants: bool = False,
    *,
    mode: str = "auto",
    stream: bool | None = None,
) -> Comparison:
    """Make one call with both clients and compare: against a MockServer of ``spec``
    (the default), or against ``base_url`` (then the requests are compared as each
    client reports them, since nothing of ours captures them).

    ``stream``: read the body as a stream on both sides and compare bytes and events
    too; None (the default) streams when the body asks for a stream (``stream: true``)
    of an operation whose spec declares one.
    """
    from openapi_client_openai.mock import MockServer

    from .bridge import PerlClient

    params = dict(params or {})
    content = dict(content or {})
    if stream is None:
        stream = streams(spec, op, params)
    if base_url is not None:
        perl_side, which = _perl_side(
            PerlClient(spec, base_url, assistants, mode=mode), op, params, content, None, stream
        )
        python_side = _python_side(spec, base_url, assistants, op, params, content, None, stream)
    else:
        with MockServer(spec) as server:
            url = server.base_url
            perl_client = PerlClient(spec, url, assistants, mode=mode)
            perl_side, which = _perl_side(perl_client, op, params, content, server, stream)
            python_side = _python_side(spec, url, assistants, op, params, content, server, stream)
    return Comparison(op, params, content, perl_side, python_side, which, diff_sides(perl_side, python_side))


def streams(spec: Any, op: str, params: dict) -> bool:
    """Does this call ask for a stream the operation declares? (``compare``'s default)"""
    from openapi_client_openai.event_streams import event_stream
    from openapi_client_openai.spec import load_spec

    body = params.get("body")
    if not (isinstance(body, dict) and body.get("stream") is True):
        return False
    loaded = load_spec(spec)
    operation = loaded.operations.lookup(op)
    return operation is not None and event_stream(loaded, operation) is not None


def captured(server: Any, tx: Transaction | None) -> list | None:
    """What ``server`` received since it was last cleared; None without a server.

    A transaction that got a response was recorded before the server answered;
    ``wait_for`` only guards against a slow recording thread.
    """
    if server is None:
        return None
    if tx is not None and tx.is_sent and tx.res.code is not None:
        return server.wait_for(1, timeout=10)
    return list(server.requests)


def _perl_side(
    client: Any, op: str, params: dict, content: dict, server: Any, stream: bool = False
) -> tuple[Side, str]:
    from .errors import PerlError

    if server is not None:
        server.clear()
    try:
        if stream:
            streamed = client.stream(op, params, **content)
            tx = streamed.tx
            got = Streamed.of(streamed.body, streamed.events)
        else:
            tx, got = client.call(op, params, **content), None
    except PerlError as exc:
        side = Side.of(None, captured(server, None), exc)
    else:
        side = Side.of(tx, captured(server, tx), streamed=got if tx.is_sent else None)
    client.close()
    return side, client.which


def _python_side(
    spec: Any,
    base_url: str,
    assistants: bool,
    op: str,
    params: dict,
    content: dict,
    server: Any,
    stream: bool = False,
) -> Side:
    from openapi_client_openai.openai import OpenAI

    if server is not None:
        server.clear()
    try:
        client = OpenAI(spec, base_url=base_url, assistants=assistants)
        if stream:
            tx, got = python_stream(client, op, params, content)
        else:
            tx, got = client.call(op, params, **content), None
    except Exception as exc:  # noqa: BLE001 - any failure is this side's outcome, shown to the user
        return Side.of(None, captured(server, None), exc)
    return Side.of(tx, captured(server, tx), streamed=got if tx.is_sent else None)


def python_stream(client: Any, op: str, params: dict, content: dict) -> tuple[Transaction, Streamed]:
    """A streamed call in Python, read both ways: the Perl idiom (a ``read`` handler set in
    ``after_build_tx``) for the bytes, ``client.stream``'s iterator for the events."""
    pieces: list[bytes] = []

    def reader(_client: Any, tx: Transaction) -> None:
        tx.res.content.on("read", lambda _content, piece: pieces.append(piece))

    client.on("after_build_tx", reader)
    try:
        stream = client.stream(op, dict(params), **content)
        events = list(stream)
    finally:
        client.unsubscribe("after_build_tx", reader)
    return stream.tx, Streamed.of(b"".join(pieces), events, stream.done)


# -- call syntax, for people -------------------------------------------------------------


def perl_call(op: str, params: dict, content: dict) -> str:
    """The call as a Perl programmer writes it (the doc generator's layout)."""
    return usage.perl_call(usage.CallSample.of(op, params, content))


def python_call(op: str, params: dict, content: dict) -> str:
    return usage.python_call(usage.CallSample.of(op, params, content))


# -- the CLI -----------------------------------------------------------------------------


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse would exit; we want one clear line and status 2
        raise _UsageError(message)


def _parser() -> _Parser:
    parser = _Parser(
        prog="compare",
        description="Make one call with the Perl client and the Python client, and compare them.",
        epilog="Parameters: name=text gives a string, name:=JSON any other value (name:=10, name:='[1,2]').",
    )
    parser.add_argument("operation", help="operationId, e.g. getRun")
    parser.add_argument("params", nargs="*", metavar="name=value", help="call parameters")
    parser.add_argument("--body", metavar="JSON", help="the JSON body (params' body)")
    parser.add_argument("--spec", metavar="S", help="spec path or URL (default: as the client finds it)")
    target = parser.add_mutually_exclusive_group()
    target.add_argument("--mock", action="store_true", help="send to a capturing mock server (default)")
    target.add_argument(
        "--base-url", metavar="U", help="send to this server instead (each client sends it: twice in all)"
    )
    parser.add_argument("--assistants", action="store_true", help="add OpenAI-Beta: assistants=v2")
    parser.add_argument(
        "--stream",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="read the body as a stream and compare the events too (default: when the body has stream: true)",
    )
    parser.add_argument(
        "--mode", choices=("auto", "embedded", "subprocess"), default="auto", help=argparse.SUPPRESS
    )
    return parser


def main_compare(argv: Sequence[str] | None = None) -> int:
    """``compare OP name=value... [--body JSON] [--spec S] [--mock | --base-url U] [--assistants]
    [--stream]``.

    Exit status: 0 identical, 1 different, 2 usage error (one line on stderr).
    """
    from openapi_client_openai.errors import OpenAPIClientError

    from .errors import PerlCompatError

    try:
        args = _parser().parse_args(list(sys.argv[1:] if argv is None else argv))
        params = parse_params(args.params, args.body)
        if args.base_url is None:  # the mock server takes any key: none is needed to compare
            os.environ.setdefault("OPENAI_API_KEY", DEMO_KEY)
        comparison = compare(
            args.operation,
            params,
            spec=args.spec,
            base_url=args.base_url,
            assistants=args.assistants,
            mode=args.mode,
            stream=args.stream,
        )
    except (_UsageError, UsageError) as exc:
        print(f"compare: {exc}", file=sys.stderr)
        return 2
    except (OpenAPIClientError, PerlCompatError, OSError) as exc:
        print(f"compare: {exc}", file=sys.stderr)
        return 2
    print(comparison.report())
    return 0 if comparison.same else 1
