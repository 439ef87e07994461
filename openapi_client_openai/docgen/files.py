"""Writing the docs tree: ``DIR/OpenAPI/Client/OpenAI/Path.<ext>`` and ``Path/<name>.<ext>``.

Each file is written to a temporary name beside it and renamed into place, so
a reader never sees half a page; a file whose text is unchanged is left alone.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from ..errors import ArgumentError
from .pages import EXTENSIONS, FORMATS, DocumentSet

SUBDIR = Path("OpenAPI", "Client", "OpenAI")


def check_formats(formats) -> tuple:
    """The formats asked for, as a tuple; ``"pod,md"`` is accepted too."""
    chosen = tuple(f.strip() for f in formats.split(",")) if isinstance(formats, str) else tuple(formats)
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown or not chosen:
        raise ArgumentError(
            f"unknown format(s) {', '.join(map(repr, unknown)) or '(none)'}; choose from {', '.join(FORMATS)}"
        )
    return chosen


def write_set(documents: DocumentSet, out_dir: os.PathLike, formats) -> list:
    formats = check_formats(formats)
    base = Path(out_dir) / SUBDIR
    pages_dir = base / "Path"
    make_dir(pages_dir)
    written = []
    for document in documents:
        target_dir = base if document.path is None else pages_dir
        for fmt in formats:
            target = target_dir / f"{document.short_name}{EXTENSIONS[fmt]}"
            write_atomically(target, document.render(fmt))
            written.append(target)
    return written


def make_dir(directory: Path) -> None:
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OSError(exc.errno, f"cannot create directory: {exc.strerror}", str(directory)) from None


def write_atomically(target: Path, text: str) -> None:
    data = text.encode("utf-8")
    try:
        if target.is_file() and target.read_bytes() == data:
            return
    except OSError:
        pass
    temporary = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        with open(temporary, "xb") as handle:
            handle.write(data)
        os.replace(temporary, target)
    except OSError as exc:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise OSError(exc.errno, f"cannot write docs: {exc.strerror}", str(target)) from None
