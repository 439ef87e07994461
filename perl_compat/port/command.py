"""``openapi-client-openai port``: scan a Perl codebase, translate one file.

    port scan PATH... [--json] [--spec S] [--compare]
    port translate FILE [--spec S] [--json]
    port idioms [--json]          the Mojo idiom table: Perl, Python, supported today

Registered under the ``openapi_client_openai.commands`` entry point (setup.py), so
``openapi_client_openai`` never imports perl_compat. Exit status of ``scan``: 0 when
every file was read, every operation is in the spec and (with ``--compare``) every
compared call is identical; 1 when something needs attention; 2 for a usage error.
``translate`` exits 0, or 2 for a usage error or a file PPI cannot read.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any, TextIO

PROG = "openapi-client-openai port"


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # one line and status 2, not argparse's exit
        raise _UsageError(message)


def _parser() -> _Parser:
    parser = _Parser(
        prog=PROG,
        description="Inventory the OpenAPI::Client::OpenAI calls of Perl code, and translate them to Python.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)
    scan = commands.add_parser(
        "scan",
        help="list clients, call sites, operations and Mojo idioms in .pl/.pm/.t files",
        description="Read Perl files with PPI (nothing is run) and report every OpenAI call: where, "
        "which operation, whether the spec has it, and which Mojo idioms its result meets.",
    )
    scan.add_argument("paths", nargs="+", metavar="PATH", help="files or directories (searched recursively)")
    scan.add_argument("--json", action="store_true", help="the report as JSON")
    scan.add_argument(
        "--spec", metavar="S", help="the spec the Python port will use (default: as OpenAI() finds it)"
    )
    scan.add_argument(
        "--compare",
        action="store_true",
        help="make each call whose arguments are all literals through Perl and Python against the mock",
    )
    scan.add_argument(
        "--mode", choices=("auto", "embedded", "subprocess"), default="subprocess", help=argparse.SUPPRESS
    )
    translate = commands.add_parser(
        "translate",
        help="print each call site of one Perl file beside its Python (the file is not changed)",
    )
    translate.add_argument("file", metavar="FILE")
    translate.add_argument("--spec", metavar="S", help="the spec the Python port will use")
    translate.add_argument("--json", action="store_true", help="the translations as JSON")
    translate.add_argument(
        "--mode", choices=("auto", "embedded", "subprocess"), default="subprocess", help=argparse.SUPPRESS
    )
    idioms = commands.add_parser(
        "idioms", help="the Mojo idioms and their Python spellings, supported or not"
    )
    idioms.add_argument("--json", action="store_true", help="the table as JSON")
    return parser


def main_port(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    from openapi_client_openai.errors import OpenAPIClientError

    from ..errors import PerlCompatError

    out = out or sys.stdout
    try:
        args = _parser().parse_args(list(sys.argv[1:] if argv is None else argv))
        if args.command == "scan":
            return _scan(args, out)
        if args.command == "idioms":
            return _idioms(args, out)
        return _translate(args, out)
    except (_UsageError, FileNotFoundError, NotADirectoryError) as exc:
        print(f"port: {exc}", file=sys.stderr)
        return 2
    except (OpenAPIClientError, PerlCompatError, OSError) as exc:
        print(f"port: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _spec(source: str | None) -> tuple[Any, Any]:
    from openapi_client_openai.spec import discover_spec, load_spec

    chosen = source or discover_spec()
    return chosen, load_spec(chosen)


def _scan(args: argparse.Namespace, out: TextIO) -> int:
    from .reader import common_root, perl_files, read_files
    from .report import as_json, as_text
    from .scan import scan, summary

    source, spec = _spec(args.spec)
    root = common_root(args.paths)
    files = list(read_files(perl_files(args.paths), mode=args.mode, root=root))
    inventory = scan(files, spec)
    verdicts = None
    if args.compare:
        from .parity import compare_sites

        verdicts = compare_sites(
            inventory.calls, source, mode="auto" if args.mode == "subprocess" else args.mode
        )
    if args.json:
        out.write(json.dumps(as_json(inventory, verdicts, root), indent=2, ensure_ascii=False) + "\n")
    else:
        out.write(as_text(inventory, verdicts, root))
    figures = summary(inventory)
    attention = (
        figures["files_unreadable"]
        or figures["operations_not_in_spec"]
        or any(v.outcome in ("different", "failed") for v in verdicts or [])
    )
    return 1 if attention else 0


def _translate(args: argparse.Namespace, out: TextIO) -> int:
    from pathlib import Path

    from .reader import read_files
    from .scan import scan
    from .translate import imports, render, translate_file

    path = Path(args.file)
    if not path.is_file():
        raise _UsageError(f"not a file: {args.file}")
    _, spec = _spec(args.spec)
    (parsed,) = list(read_files([path], mode=args.mode))
    if parsed.error:
        raise _UsageError(f"{args.file}: {parsed.error}")
    inventory = scan([parsed], spec)
    translations = translate_file(inventory, parsed)
    if args.json:
        rows = [
            {
                "line": t.line,
                "end_line": t.end_line,
                "what": t.what,
                "perl": t.perl,
                "python": t.python,
                "notes": t.notes,
            }
            for t in translations
        ]
        out.write(
            json.dumps({"file": parsed.path, "imports": imports(inventory, parsed), "sites": rows}, indent=2)
            + "\n"
        )
        return 0
    header = [
        f"# {parsed.path}: {len(translations)} statements (spec: {spec.source})",
        *imports(inventory, parsed),
    ]
    if not translations:
        header.append("# no OpenAI client or call found")
    out.write(render(translations, header))
    return 0


def _idioms(args: argparse.Namespace, out: TextIO) -> int:
    from .idioms import table_rows

    rows = table_rows()
    if args.json:
        out.write(json.dumps(rows, indent=2) + "\n")
        return 0
    width = max(len(row["perl"]) for row in rows)
    for row in rows:
        status = "supported" if row["supported"] else "not yet  "
        note = f"  ({row['note']})" if "note" in row else ""
        out.write(f"{status}  {row['perl']:<{width}}  {row['python']}{note}\n")
    return 0
