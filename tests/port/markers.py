"""What the fixture programs say the scan must find: their ``#> ...`` comments.

Each fixture line that holds a client, a call or an idiom ends with a marker
written by hand: ``#> call getRun literal promise``, ``#> call dynamic``
(``subs``: anonymous subs on its chain, left to the porter),
``#> client OpenAPI::Client::OpenAI $client``, ``#> idiom $tx->res->code``. The
expectations come from these comments, never from the code under test.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .conftest import PERL_DIR

MARKER = re.compile(r"#> (call|client|idiom) (.+?)\s*$")


@dataclass(frozen=True)
class Marker:
    file: str  # relative to PERL_DIR
    line: int
    kind: str  # call, client or idiom
    words: tuple[str, ...]

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


def markers(kind: str | None = None) -> list[Marker]:
    found = []
    for path in sorted(PERL_DIR.rglob("*")):
        if path.suffix not in (".pl", ".pm", ".t"):
            continue
        for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            match = MARKER.search(text)
            if match and (kind is None or match.group(1) == kind):
                words = tuple(match.group(2).split(" ", 2 if match.group(1) == "client" else -1))
                found.append(Marker(str(path.relative_to(PERL_DIR)), number, match.group(1), words))
    assert found, "the fixtures must carry markers"
    return found


def fixture(name: str) -> Path:
    return PERL_DIR / name
