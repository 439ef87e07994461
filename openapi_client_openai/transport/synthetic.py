"""A response that did not come off our own socket, read by the same parser as one that did.

``requests`` (or a mock behind it) and WSGI apps hand over a status, headers and
body pieces already taken apart; written back as HTTP/1.1 and parsed by
``parser.py``, they get exactly Mojo's treatment too (1xx, gzip, limits, errors).
"""

from __future__ import annotations

from collections.abc import Iterable

from ..transaction import Transaction
from .finish import finish
from .parser import ResponseParser
from .settings import Settings


class Feed:
    """Feeds one response's pieces to the parser; ``end()`` closes the books."""

    def __init__(
        self,
        tx: Transaction,
        settings: Settings,
        code: int,
        reason: str | None,
        headers: Iterable[tuple[str, str]],
        version: str = "1.1",
    ) -> None:
        self.tx = tx
        pairs = list(headers)
        self.chunked = any(k.lower() == "transfer-encoding" and "chunked" in v.lower() for k, v in pairs)
        self.delimited = self.chunked or any(k.lower() == "content-length" for k, _ in pairs)
        self.parser = ResponseParser(tx.res, settings.limits, head=tx.req.method.upper() == "HEAD")
        head = f"HTTP/{version} {code}" + (f" {reason}" if reason else "") + "\r\n"
        head += "".join(f"{name}: {value}\r\n" for name, value in pairs) + "\r\n"
        self.parser.feed(head.encode("latin-1", "replace"))

    def body(self, piece: bytes) -> None:
        if not piece or self.parser.finished:
            return
        if self.chunked:
            piece = b"%x\r\n%s\r\n" % (len(piece), piece)
        self.parser.feed(piece)

    def end(self) -> Transaction:
        if self.chunked and not self.parser.finished:
            self.parser.feed(b"0\r\n\r\n")
        closed = not self.parser.finished
        if closed:
            self.parser.close()
        return finish(self.tx, closed=closed and not self.delimited)
