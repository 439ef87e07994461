"""``python -m OpenAPI.Client.OpenAI.Path [NAME] [--spec S] [--format pod|text|md]``: perldoc for paths.

Prints one page (by short name, Perl name or API path), or the index without a
name. An unknown page is one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import sys

from openapi_client_openai.docgen import FORMATS, documents
from openapi_client_openai.errors import SpecError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m OpenAPI.Client.OpenAI.Path",
        description="Show the documentation page of one API path (the index without NAME).",
    )
    parser.add_argument("name", nargs="?", help="threads-thread_id-runs-run_id, its Perl name, or its path")
    parser.add_argument("--spec", help="spec file or URL (default: as load_spec() finds it)")
    parser.add_argument("--format", choices=FORMATS, default="text", help="output format (default: text)")
    options = parser.parse_args(argv)
    try:
        pages = documents(options.spec)
        page = pages.find(options.name) if options.name else pages.index
    except SpecError as exc:
        print(f"{parser.prog}: {exc}", file=sys.stderr)
        return 2
    except LookupError as exc:
        print(f"{parser.prog}: {exc.args[0] if exc.args else exc}", file=sys.stderr)
        return 2
    data = page.render(options.format).encode("utf-8")
    stream = getattr(sys.stdout, "buffer", None)
    if stream is not None:
        sys.stdout.flush()
        stream.write(data)
        stream.flush()
    else:
        sys.stdout.write(data.decode("utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
