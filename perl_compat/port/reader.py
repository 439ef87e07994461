"""Perl files found on disk and parsed by PPI, through the perl_compat driver.

Perl is parsed only by Perl: each file's text goes to ``PerlCompat::Port::scan``
(``perl/PerlCompat/Port.pm``), which returns its method-call chains as plain data.
The subprocess driver is the default because it bounds every file by a timeout and
survives a crash; one file that PPI cannot read is reported, never fatal.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import PerlCompatError, PerlError, PerlUnavailable

PERL_SUFFIXES = (".pl", ".pm", ".t")
# Larger files are reported, not parsed: PPI holds the whole document in memory.
MAX_FILE_BYTES = 4 * 1024 * 1024
PARSE_TIMEOUT = 120.0  # seconds for one file, in the subprocess driver


@dataclass
class ParsedFile:
    """One Perl file: its lines, the modules it uses, its call chains, or why it was not read."""

    path: str
    lines: list[str] = field(default_factory=list)
    uses: list[str] = field(default_factory=list)
    utf8: bool = False
    chains: list[dict] = field(default_factory=list)
    subs: list[str] = field(default_factory=list)  # named subs it defines
    error: str | None = None

    def source(self, first: int, last: int) -> str:
        """Lines ``first``..``last`` (1-based, inclusive), as written."""
        return "\n".join(self.lines[first - 1 : last]).rstrip("\n")


def common_root(paths: Iterable[str | os.PathLike[str]]) -> Path:
    """The directory the report names files from: the deepest one holding every path given."""
    dirs = [os.path.abspath(p if os.path.isdir(p) else os.path.dirname(os.path.abspath(p))) for p in paths]
    return Path(os.path.commonpath(dirs)) if dirs else Path.cwd()


def perl_files(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """The ``.pl``/``.pm``/``.t`` files under ``paths`` (a file named explicitly is taken as is).

    Sorted, each once; a path that does not exist raises FileNotFoundError.
    """
    found: dict[Path, None] = {}
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    if name.endswith(PERL_SUFFIXES):
                        found.setdefault(Path(root) / name)
        elif path.is_file():
            found.setdefault(path)
        else:
            raise FileNotFoundError(f"no such file or directory: {raw}")
    return list(found)


def read_files(
    paths: Iterable[Path], mode: str = "subprocess", root: Path | None = None
) -> Iterator[ParsedFile]:
    """Parse each file with PPI; a file that cannot be read or parsed carries its error.

    Files are named relative to ``root`` when given.
    """
    driver = None
    for path in paths:
        parsed = ParsedFile(os.path.relpath(path, root) if root is not None else str(path))
        try:
            raw = path.read_bytes()
        except OSError as exc:
            parsed.error = f"cannot read it: {exc.strerror or exc}"
            yield parsed
            continue
        if len(raw) > MAX_FILE_BYTES:
            parsed.error = f"not parsed: larger than {MAX_FILE_BYTES // (1024 * 1024)} MB"
            yield parsed
            continue
        text = _decode(raw)
        parsed.lines = text.splitlines()
        if driver is None:
            driver = _driver(mode)
        try:
            result = _request(driver, text, str(path))
        except PerlUnavailable:
            raise
        except PerlCompatError as exc:
            parsed.error = f"PPI could not read it: {_first_line(str(exc))}"
            yield parsed
            continue
        _fill(parsed, result)
        yield parsed


def read_source(text: str, name: str = "-", mode: str = "subprocess") -> ParsedFile:
    """Parse Perl source held in memory (for tests and for text that is not a file)."""
    parsed = ParsedFile(name, lines=text.splitlines())
    _fill(parsed, _request(_driver(mode), text, name))
    return parsed


def _request(driver: Any, text: str, name: str) -> Any:
    """One file through PerlCompat::Port; a missing PPI is said once, not per file."""
    try:
        return driver.request("port_scan", {"source": text, "name": name}, timeout=PARSE_TIMEOUT)
    except PerlError as exc:
        if "Can't locate PPI.pm" in str(exc):
            raise PerlUnavailable(
                "PPI is not installed for this perl: install Debian's libppi-perl (.ci/setup does)"
            ) from None
        raise


def _fill(parsed: ParsedFile, result: Any) -> None:
    if not isinstance(result, dict) or "error" in result:
        why = result.get("error") if isinstance(result, dict) else "no answer"
        parsed.error = f"PPI could not parse it: {_first_line(str(why))}"
        return
    parsed.uses = [use["module"] for use in result.get("uses", []) if use.get("type") in ("use", "require")]
    parsed.utf8 = bool(result.get("utf8"))
    parsed.chains = list(result.get("chains", []))
    parsed.subs = list(result.get("subs", []))


def _decode(raw: bytes) -> str:
    """Source text as Perl's own tools would show it: UTF-8, else Latin-1 (never fails)."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else "unknown error"


def _driver(mode: str) -> Any:
    from ..bridge import driver_for

    return driver_for(mode, timeout=PARSE_TIMEOUT)
