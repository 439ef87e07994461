"""Time rendering every path page of OpenAI's spec in all three formats.

    python bench/docs_render.py [--spec PATH] [--runs N]

Target: under 3 s on the project's 2-core machines for one cold pass (pages
built from the spec, examples included, then written as POD, text and
Markdown in memory). Each run starts from a fresh page set with the Markdown
cache cleared; the spec parse is not counted (it is cached on disk anyway).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from openapi_client_openai.docgen.markdown_pod import markdown_blocks  # noqa: E402
from openapi_client_openai.docgen.pages import FORMATS, DocumentSet  # noqa: E402
from openapi_client_openai.spec import load_spec  # noqa: E402

DEFAULT_SPEC = REPO.parent / "shared" / "openapi" / "openai-openapi.yaml"
TARGET_SECONDS = 3.0


def one_pass(spec) -> tuple:
    markdown_blocks.cache_clear()
    started = time.perf_counter()
    pages = DocumentSet(spec)
    size = 0
    for page in pages:
        for fmt in FORMATS:
            size += len(page.render(fmt))
    return time.perf_counter() - started, len(pages), size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--spec", default=str(DEFAULT_SPEC))
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    if not Path(options.spec).is_file():
        print(f"spec not found: {options.spec}", file=sys.stderr)
        return 2
    spec = load_spec(options.spec)
    timings = []
    for _ in range(max(1, options.runs)):
        seconds, count, size = one_pass(spec)
        timings.append(seconds)
    best, median = min(timings), statistics.median(timings)
    verdict = "within" if timings[0] < TARGET_SECONDS else "OVER"
    print(
        f"{count} pages ({len(spec.operations.by_path())} paths, {len(spec.operations)} operations) x "
        f"{len(FORMATS)} formats, {size / 1e6:.1f} MB of text: first {timings[0]:.2f} s, "
        f"median {median:.2f} s, best {best:.2f} s over {len(timings)} runs "
        f"({verdict} the {TARGET_SECONDS:.0f} s target)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
