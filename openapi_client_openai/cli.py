"""The command line: ``python -m openapi_client_openai {call,mock,demo,docs,stubs,spec,port,...} ...``.

User errors are one line on stderr and a non-zero exit, never a traceback.
The side-by-side commands (``compare``, ``compare-run``, ``record``, ``replay``) and
``port`` come from ``perl_compat`` through the ``openapi_client_openai.commands``
entry point, so this package never imports it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from importlib import metadata
from typing import Any, TextIO

from .errors import NoSuchOperation, OpenAPIClientError

PROG = "openapi-client-openai"
DEMO_KEY = "sk-demo-not-a-real-key"  # the mock server accepts anything; no real key needed
DEMO_CALLS = (
    ("getRun", {"thread_id": "thread_abc123", "run_id": "run_abc123"}),
    (
        "modifyRun",
        {
            "thread_id": "thread_abc123",
            "run_id": "run_abc123",
            "body": {"metadata": {"user_id": "user_abc123"}},
        },
    ),
)


# Commands another distribution (perl_compat) provides; they parse their own arguments.
PLUGIN_COMMANDS = {
    "compare": "one call through Perl's client and this one, compared",
    "compare-run": "a Perl program and its Python port against the mock, compared call by call",
    "record": "run a program and keep its HTTP session as a cassette (JSON Lines)",
    "replay": "serve a cassette to a program and check its requests",
    "port": "inventory a Perl codebase's OpenAI calls (scan) and translate them (translate)",
}


class UsageError(Exception):
    """Bad command-line input: reported in one line with exit status 2."""


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in PLUGIN_COMMANDS:
        command = plugin(args[0])
        if command is None:
            return _fail(f"{args[0]} needs perl_compat (pip install the full distribution)", 2)
        return int(command(args[1:]))
    parser = _parser()
    try:
        options = parser.parse_args(args)
    except SystemExit as exc:  # argparse already printed the one-line reason
        return int(exc.code or 0)
    try:
        return int(options.run(options))
    except UsageError as exc:
        return _fail(str(exc), 2)
    except NoSuchOperation as exc:  # call's message is Perl's: say what is missing and how to get it
        return _fail(f"{exc}: {exc.detail}" if str(exc) == exc.perl_message else str(exc), 1)
    except RecursionError:
        return _fail("the input is nested too deeply", 1)
    except (OpenAPIClientError, OSError, ValueError, TypeError, OverflowError) as exc:
        return _fail(str(exc), 1)
    except KeyboardInterrupt:
        return 130


def _fail(message: str, status: int) -> int:
    print(f"{PROG}: {message}", file=sys.stderr)
    return status


def _plugins() -> list[metadata.EntryPoint]:
    return list(metadata.entry_points(group="openapi_client_openai.commands"))


def plugin(name: str) -> Callable | None:
    """A command another distribution registered under ``openapi_client_openai.commands``."""
    for entry in _plugins():
        if entry.name == name:
            try:
                return entry.load()
            except ImportError:
                return None
    return None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description="Perl's OpenAPI::Client::OpenAI, from Python.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    call = commands.add_parser("call", help="call one operation and print the response JSON")
    registered = {entry.name for entry in _plugins()}
    for name, text in PLUGIN_COMMANDS.items():  # dispatched before parsing: listed for --help
        if name in registered:
            commands.add_parser(name, help=text)
    call.add_argument("operation", help="operationId (getRun), alias (get_run) or kebab-case id")
    call.add_argument("params", nargs="*", metavar="key=value", help="params; key:=JSON for typed values")
    call.add_argument("--body", help="the JSON request body")
    call.add_argument("--spec", help="spec path or URL (default: discovery, as OpenAI() does)")
    call.add_argument("--base-url", help="send to this URL instead of the spec's server")
    call.add_argument("--assistants", action="store_true", help="add OpenAI-Beta: assistants=v2")
    call.set_defaults(run=run_call)

    mock = commands.add_parser("mock", help="serve the spec's examples on 127.0.0.1")
    mock.add_argument("--spec")
    mock.add_argument("--port", type=int, default=0, help="0 (the default) picks a free port")
    mock.add_argument("--lifetime", type=float, default=None, help="seconds before it stops (default 600)")
    mock.add_argument(
        "--stream-delay", type=float, default=0.0, metavar="SECONDS", help="pause between streamed events"
    )
    mock.add_argument(
        "--stream-deltas",
        type=float,
        default=None,
        metavar="N",
        help="text pieces per streamed answer (default 9; inf: endless)",
    )
    mock.set_defaults(run=run_mock)

    demo = commands.add_parser(
        "demo", help="getRun and modifyRun against the mock server, Perl beside Python"
    )
    demo.add_argument("--spec")
    demo.set_defaults(run=run_demo)

    docs = commands.add_parser("docs", help="write the POD/text/Markdown docs of a spec")
    docs.add_argument("--spec")
    docs.add_argument("--out", required=True)
    docs.add_argument("--format", default="pod,text,md", help="comma-separated: pod,text,md")
    docs.set_defaults(run=run_docs)

    stubs = commands.add_parser(
        "stubs", help="write type stubs of a spec: a typed, documented method per operation"
    )
    stubs.add_argument("--spec", help="spec path or URL (default: discovery, as OpenAI() does)")
    stubs.add_argument("--out", required=True, help="directory for MODULE.py and MODULE.pyi")
    stubs.add_argument("--module", help="module name (default: the spec file's name)")
    stubs.set_defaults(run=run_stubs)

    spec = commands.add_parser(
        "spec", help="get OpenAI's whole spec (fetch), or see which spec is used (info)"
    )
    spec_commands = spec.add_subparsers(dest="spec_command", required=True, metavar="{fetch,info}")
    fetch = spec_commands.add_parser("fetch", help="download a spec, check it loads, keep it for OpenAI()")
    fetch.add_argument("url", nargs="?", help="a URL or file (default: OpenAI's published spec)")
    fetch.set_defaults(run=run_spec_fetch)
    spec_commands.add_parser("info", help="which spec a plain OpenAI() uses, and why").set_defaults(
        run=run_spec_info
    )
    return parser


def parse_params(items: Sequence[str], body: str | None) -> dict[str, Any]:
    """``key=value`` (a string), ``key:=json`` (typed); a repeated key makes a list."""
    params: dict[str, Any] = {}
    for item in items:
        equals = item.find("=")
        if equals < 1:
            raise UsageError(f"expected key=value or key:=json, got {item!r}")
        typed = item[equals - 1] == ":"
        name, raw = item[: equals - 1 if typed else equals], item[equals + 1 :]
        if not name:
            raise UsageError(f"expected key=value or key:=json, got {item!r}")
        value = _json(raw, name) if typed else raw
        if name in params:
            previous = params[name]
            params[name] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            params[name] = value
    if body is not None:
        params["body"] = _json(body, "--body")
    return params


def _json(text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{what}: not valid JSON ({exc.msg})") from None
    except RecursionError:
        raise UsageError(f"{what}: JSON nested too deeply") from None


def run_call(options: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    from .openai import OpenAI

    params = parse_params(options.params, options.body)
    client = OpenAI(options.spec, base_url=options.base_url, assistants=options.assistants)
    body = params.get("body")
    if isinstance(body, dict) and (body.get("stream") is True or "sse" in body.values()):
        stream = client.stream(options.operation, params)  # each event printed as it arrives
        for event in stream:
            out.write((f"{event.type}: " if event.type != "message" else "") + event.data + "\n")
            out.flush()
        tx = stream.tx
        if tx.is_sent and stream.res.body == b"" and tx.res.code is not None and tx.error is None:
            return 0
    else:
        tx = client.call(options.operation, params)
    error = tx.error
    if not tx.is_sent:
        for item in tx.res.json("/errors") or []:
            print(f"{PROG}: {item['path']}: {item['message']}", file=sys.stderr)
        return 1
    if error and not error.get("code"):
        return _fail(f"{'broke off' if tx.res.code else 'no response'}: {error['message']}", 1)
    payload = tx.res.json()
    out.write(
        (json.dumps(payload, indent=2, ensure_ascii=False) if payload is not None else tx.res.text) + "\n"
    )
    return 1 if error else 0


def run_mock(options: argparse.Namespace) -> int:
    from .mock import CLI_LIFETIME, STREAM_DELTAS, main_mock

    if not 0 <= options.port <= 65535:
        raise UsageError(f"--port: a port is 0 to 65535, got {options.port}")
    lifetime = CLI_LIFETIME if options.lifetime is None else options.lifetime
    if not options.stream_delay >= 0:
        raise UsageError(f"--stream-delay: seconds, 0 or more, got {options.stream_delay:g}")
    deltas = STREAM_DELTAS if options.stream_deltas is None else options.stream_deltas
    if not deltas >= 0 or (deltas != int(deltas) if deltas != float("inf") else False):
        raise UsageError(f"--stream-deltas: a whole number, 0 or more, or inf; got {deltas:g}")
    return int(
        main_mock(
            options.spec,
            port=options.port,
            lifetime=lifetime,
            stream_delay=options.stream_delay,
            stream_deltas=deltas,
        )
    )


def run_docs(options: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    from .docgen import FORMATS, write_docs
    from .docgen.files import check_formats

    try:
        formats = check_formats(options.format)
    except ValueError:
        raise UsageError(f"--format takes {', '.join(FORMATS)}; got {options.format!r}") from None
    written = write_docs(options.spec, options.out, formats)
    out.write(f"wrote {len(written)} files under {options.out}\n")
    return 0


def run_stubs(options: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    from .docgen.stubs import write_stubs

    written = write_stubs(options.spec, options.out, options.module)
    out.write(
        f"wrote {written.stub} and {written.runtime}: {written.operations} operations; "
        f"use `from {written.module} import OpenAI`\n"
    )
    return 0


def run_spec_fetch(options: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    from .spec_fetch import DEFAULT_URL, fetch

    got = fetch(options.url or DEFAULT_URL)
    title = " ".join(part for part in (got["title"], got["version"]) if part)
    out.write(f"fetched {got['url']}\n")
    out.write(f"stored  {got['path']}\n")
    out.write(f"sha256  {got['sha256']}\n")
    out.write(f"{got['operations']} operations{f' ({title})' if title else ''}, {got['bytes']} bytes\n")
    return 0


def run_spec_info(options: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    from .spec_fetch import info

    lines = info()
    width = max(len(label) for label, _ in lines)
    for label, text in lines:
        out.write(f"{label + ':':<{width + 1}} {text}\n")
    return 1 if any(label == "error" for label, _ in lines) else 0


def run_demo(options: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    """getRun and modifyRun against the mock server: through Perl and Python when
    perl_compat is there (its side-by-side report), else through Python alone."""
    os.environ.setdefault("OPENAI_API_KEY", DEMO_KEY)
    compare = plugin("compare-call")
    status = 0
    out.write("The same calls through Perl's OpenAPI::Client::OpenAI and through this client,\n")
    out.write("each against a fresh mock server on 127.0.0.1 (no API key or internet needed).\n")
    for operation, params in DEMO_CALLS:
        out.write("\n" + "=" * 72 + "\n")
        if compare is not None:
            try:
                result = compare(operation, dict(params), spec=options.spec)
            except Exception as exc:  # noqa: BLE001 (the Python half of the demo still stands)
                out.write(f"Perl side not available ({exc}); Python alone:\n")
            else:
                out.write(result.report() + "\n")
                status = status or (0 if result.same else 1)
                continue
        _python_only(operation, params, options.spec, out)
    return status


def _python_only(operation: str, params: dict, spec: str | None, out: TextIO) -> None:
    from .docgen.usage import CallSample, perl_call, python_call
    from .mock import MockServer
    from .openai import OpenAI

    sample = CallSample.of(operation, params)
    out.write(f"Perl:   {_indented(perl_call(sample))}\n")
    out.write(f"Python: {_indented(python_call(sample))}\n")
    with MockServer(spec) as server:
        tx = OpenAI(spec, base_url=server.base_url).call(operation, dict(params))
    out.write(f"sent:     {tx.req.method.upper()} {tx.req.url}\n")
    if tx.req.body:
        out.write(f"          {tx.req.body.decode('utf-8', 'replace')}\n")
    out.write(f"received: {tx.res.code} {tx.res.message}\n{_summary(tx.res.json())}\n")


def _indented(code: str) -> str:
    return code.replace("\n", "\n        ")


def _summary(payload: Any) -> str:
    if isinstance(payload, dict):
        shown = {k: payload[k] for k in list(payload)[:6]}
        more = ", ..." if len(payload) > 6 else ""
        return "          " + json.dumps(shown, ensure_ascii=False)[:-1] + more + "}"
    return f"          {payload!r}"
