"""Read an HTTP response the way Mojo::Message::Response reads it; no I/O.

Hand-written, because parity demands Mojo's exact leniencies and limits, which no
HTTP library shares: a status line is anything matching ``HTTP/d.d ddd``; a header
line that is neither ``Name: value`` nor a continuation ends the headers; a
``Content-Length`` that is not a number (two of them joined, ``"5, 5"``) means no
body; 1xx answers are skipped; a body with neither length nor chunking runs to the
close; ``gzip`` (only) is decoded, and then the headers say so; and the limits
(``MOJO_MAX_LINE_SIZE``, ``MOJO_MAX_LINES``, ``MOJO_MAX_BUFFER_SIZE``, the message
size) fail with Mojo's words. The structure follows ``Mojo::Message::parse``,
``Mojo::Content::parse`` and ``Mojo::Headers::parse`` step for step, so each rule
can be checked against its Perl line.

The body goes out through the response content's ``read`` event (Mojo's), so a
subscriber can stream it and the default one stores it; ``body`` is emitted when
the headers are in, as Mojo emits it.
"""

from __future__ import annotations

import os
import re
import zlib
from typing import NamedTuple

from ..errors import UserAgentError
from ..message import Headers, Response
from ..perl_data import leading_number, looks_like_number

_START_LINE = re.compile(rb"^\s*HTTP/(\d\.\d)\s+(\d\d\d)\s*(.+)?$")
_HEADER = re.compile(rb"^(\S[^:]*):\s*(.*)$", re.S)
_SPACE = (b" ", b"\t", b"\r", b"\x0b", b"\x0c")
_CHUNK_SIZE = re.compile(rb"^(?:\r?\n)?([0-9a-fA-F]+)[^\n]*\n")


class Limits(NamedTuple):
    """Mojo's parser limits, read from its environment variables as Mojo reads them."""

    max_message_size: int  # 0: none
    max_line_size: int = 8192
    max_lines: int = 100
    max_buffer_size: int = 262144
    max_leftover_size: int = 262144

    @classmethod
    def from_environment(cls, max_response_size: int | None = None) -> Limits:
        size = max_response_size
        if size is None:
            size = _int("MOJO_MAX_MESSAGE_SIZE", 2147483648, zero_ok=True)
        return cls(
            max_message_size=size,
            max_line_size=_int("MOJO_MAX_LINE_SIZE", 8192),
            max_lines=_int("MOJO_MAX_LINES", 100),
            max_buffer_size=_int("MOJO_MAX_BUFFER_SIZE", 262144),
            max_leftover_size=_int("MOJO_MAX_LEFTOVER_SIZE", 262144),
        )


_ZERO = re.compile(r"^\s*[-+]?(?:0|\.0)")


def _int(variable: str, default: int, zero_ok: bool = False) -> int:
    """An environment value as Mojo reads it: ``$ENV{X} || default`` (``$ENV{X} // default``
    with ``zero_ok``), then the string in numeric context.

    Text with no number in front (``abc``) is refused, naming the variable, as the user
    agent refuses such a timeout: Mojo would keep it as a limit that is on (the string
    is true) and 0 (as a number), and every response would fail with a limit exceeded.
    """
    text = os.environ.get(variable)
    if text is None or (not zero_ok and text in ("", "0")):
        return default
    value = leading_number(text)
    if value == 0 and text.strip() and not _ZERO.match(text):
        raise UserAgentError(
            f"{variable}={text!r} is not a number (Mojo would read it as a limit of 0: "
            "every response would exceed it)"
        )
    return int(value) if value == value and abs(value) != float("inf") else 0


class ResponseParser:
    """One response, parsed from the bytes fed to it, into ``res``.

    ``feed`` takes what the connection read; ``close`` says the connection ended.
    ``finished`` tells when the response is complete; ``res.error`` holds a limit or
    start-line error. 1xx answers are read and dropped (``info`` counts them).
    """

    __slots__ = (
        "auto_relax",
        "buffer",
        "c_buffer",
        "c_limit",
        "c_raw_size",
        "c_state",
        "chunk_len",
        "chunk_state",
        "chunked",
        "compressed",
        "gz",
        "gz_broken",
        "h_buffer",
        "h_cache",
        "h_limit",
        "h_state",
        "head",
        "header_size",
        "inflated",
        "info",
        "leftovers",
        "limits",
        "post_buffer",
        "pre_buffer",
        "raw_size",
        "real_size",
        "relaxed",
        "res",
        "size",
        "skip_body",
        "state",
    )

    def __init__(self, res: Response, limits: Limits, head: bool = False, auto_relax: bool = True) -> None:
        self.res = res
        self.limits = limits
        self.head = head
        # Mojo's auto_relax: a body with no length runs to the close. The answer to a
        # CONNECT turns it off (Mojo::UserAgent::Transactor::proxy_connect): no length
        # means no body, and the tunnel starts right after the head.
        self.auto_relax = auto_relax
        self.info = 0
        self.leftovers = b""
        self._reset()

    def _reset(self) -> None:
        # Mojo::Message
        self.state: str | None = None  # None, 'content', 'finished'
        self.raw_size = 0
        self.buffer = bytearray()
        # Mojo::Content
        self.c_state: str | None = None  # None/'headers', 'body', 'finished'
        self.c_raw_size = 0
        self.pre_buffer = bytearray()
        self.c_buffer = bytearray()
        self.header_size = 0
        self.real_size = 0
        self.size = 0
        self.skip_body = self.head
        self.relaxed = False
        self.c_limit = False
        self.chunk_len = 0
        self.chunk_state: str | None = None
        self.chunked = False
        self.compressed = False
        self.gz: zlib._Decompress | None = None
        self.gz_broken = False
        self.inflated = 0  # Compress::Raw::Zlib's total_out
        self.post_buffer = 0  # bytes the inflater has not consumed
        # Mojo::Headers
        self.h_state: str | None = None
        self.h_buffer = bytearray()
        self.h_cache: list[list[bytes]] = []
        self.h_limit = False

    @property
    def finished(self) -> bool:
        return self.state == "finished"

    # -- Mojo::Message::parse (with Mojo::Transaction::HTTP::client_read's 1xx loop) ---------

    def feed(self, chunk: bytes) -> None:
        self._parse(chunk)
        while self.finished and self.res.is_info and self.res.error is None:
            if self.res.headers.get("Upgrade"):
                return
            # An interim answer: Mojo starts a new response and reads on from the leftovers.
            leftovers = bytes(self.c_buffer)
            self.info += 1
            self._start_next_response()
            if not leftovers:
                return
            self._parse(leftovers)

    def close(self) -> None:
        """The connection ended: a body that runs to the close is complete now (Mojo's finish)."""
        if self.state != "finished":
            self.state = "finished"
            self.res.finished = True

    def _start_next_response(self) -> None:
        res = self.res
        res.code = None
        res.message = ""
        res.version = "1.1"
        res.headers = Headers()
        res.body = b""
        res.finished = False
        self._reset()

    def _parse(self, chunk: bytes) -> None:
        res = self.res
        if res.error is not None:
            return
        self.raw_size += len(chunk)
        self.buffer += chunk
        limits = self.limits
        if self.state is None:
            length = self.buffer.find(b"\n")
            if length < 0:
                length = len(self.buffer)
            if length > limits.max_line_size:
                return self._limit("Maximum start-line size exceeded")
            if self._extract_start_line():
                self.state = "content"
        if self.state in ("content", "finished"):
            data = bytes(self.buffer)
            self.buffer = bytearray()
            self._content_parse(data)
        if limits.max_message_size and limits.max_message_size < self.raw_size:
            return self._limit("Maximum message size exceeded")
        if self.h_limit:
            return self._limit("Maximum header size exceeded")
        if self.c_limit:
            return self._limit("Maximum buffer size exceeded")
        if self.c_state == "finished":
            self._finish()

    def _extract_start_line(self) -> bool:
        newline = self.buffer.find(b"\n")
        if newline < 0:
            return False
        line = bytes(self.buffer[:newline])
        del self.buffer[: newline + 1]
        if line.endswith(b"\r"):
            line = line[:-1]
        match = _START_LINE.match(line)
        if match is None:
            self._error({"message": "Bad response start-line"})
            return False
        res = self.res
        res.code = int(match.group(2))
        if res.is_empty:
            self.skip_body = True
        res.version = match.group(1).decode("latin-1")
        reason = match.group(3)
        res.message = reason.decode("latin-1") if reason is not None else None
        return True

    def _limit(self, message: str) -> None:
        self._error({"message": message})

    def _error(self, error: dict) -> None:
        self.res.error = error
        self._finish()

    def _finish(self) -> None:
        self.state = "finished"
        self.res.finished = True

    # -- Mojo::Content::parse ---------------------------------------------------------------

    def _content_parse(self, chunk: bytes) -> None:
        self.c_raw_size += len(chunk)
        self.pre_buffer += chunk
        if self.c_state in (None, "headers"):
            self.c_state = "headers"
            self._parse_headers()
        if self.c_state == "headers":
            return
        if self.chunked and self.c_state != "headers":
            self._parse_chunked()
            if self.chunk_state == "finished":
                self.c_state = "finished"
        else:
            self.real_size += len(self.pre_buffer)
            over = self.c_state == "finished" and len(self.c_buffer) > self.limits.max_leftover_size
            if not over:
                self.c_buffer += self.pre_buffer
            self.pre_buffer = bytearray()
        if self.skip_body:
            self.c_state = "finished"
            return
        headers = self.res.headers
        length = headers.get("Content-Length")
        if not length and self.auto_relax:
            connection = (headers.get("Connection") or "").lower()
            if connection == "close" or not connection:
                self.relaxed = True
        if self.chunked or self.relaxed:
            body = bytes(self.c_buffer)
            self.c_buffer = bytearray()
            self._decompress(body)
            self.size += len(body)
            return
        need_total = int(leading_number(length)) if length and looks_like_number(length) else 0
        need = need_total - self.size
        if need > 0:
            take = min(need, len(self.c_buffer))
            piece = bytes(self.c_buffer[:take])
            del self.c_buffer[:take]
            self._decompress(piece)
            self.size += len(piece)
        if need_total <= self.c_raw_size - self.header_size:
            self.c_state = "finished"

    def _parse_headers(self) -> None:
        self._headers_parse()
        if self.h_state != "finished":
            return
        self.c_state = "body"
        leftovers = bytes(self.h_buffer)
        self.h_buffer = bytearray()
        self.pre_buffer = bytearray(leftovers)
        self.header_size = self.c_raw_size - len(leftovers)
        headers = self.res.headers
        self.chunked = bool(headers.get("Transfer-Encoding"))
        self.compressed = (headers.get("Content-Encoding") or "").lower() == "gzip"
        content = self.res.content
        if content.has_subscribers("body"):  # Mojo::Content's body event: the headers are in
            content.emit("body")

    def _parse_chunked(self) -> None:
        if self.chunk_state == "trailing_headers":
            self._parse_chunked_trailing_headers()
            return
        while self.pre_buffer:
            if not self.chunk_len:
                match = _CHUNK_SIZE.match(self.pre_buffer)
                if match is None:
                    break
                # Read the size before cutting the buffer: a match over a bytearray
                # slices the buffer as it is when asked, not as it was matched.
                self.chunk_len = int(match.group(1), 16)
                del self.pre_buffer[: match.end()]
                if self.chunk_len:
                    continue
                self.chunk_state = "trailing_headers"
                break
            take = min(self.chunk_len, len(self.pre_buffer))
            self.c_buffer += self.pre_buffer[:take]
            del self.pre_buffer[:take]
            self.real_size += take
            self.chunk_len -= take
        if self.chunk_state == "trailing_headers":
            self._parse_chunked_trailing_headers()
        if len(self.pre_buffer) > self.limits.max_buffer_size:
            self.c_state = "finished"
            self.c_limit = True

    def _parse_chunked_trailing_headers(self) -> None:
        self.h_buffer += self.pre_buffer
        self.pre_buffer = bytearray()
        self.h_state = None
        self._headers_parse()
        if self.h_state != "finished":
            return
        self.chunk_state = "finished"
        self.c_buffer += self.h_buffer
        self.h_buffer = bytearray()
        headers = self.res.headers
        headers.remove("Transfer-Encoding")
        self.chunked = False
        if not headers.get("Content-Length"):
            headers.set("Content-Length", str(self.real_size))

    def _decompress(self, chunk: bytes) -> None:
        content = self.res.content
        if not self.compressed:
            if chunk:
                content.emit("read", chunk)
            return
        # Compress::Raw::Zlib with WANT_GZIP: gzip only; a broken stream gives no more output.
        if self.gz is None:
            self.gz = zlib.decompressobj(16 + zlib.MAX_WBITS)
        out = b""
        if self.gz_broken or self.gz.eof:
            self.post_buffer += len(chunk)
        else:
            try:
                out = self.gz.decompress(chunk)
                self.post_buffer = len(self.gz.unused_data)
            except zlib.error:
                self.gz_broken = True
                self.post_buffer += len(chunk)
        self.inflated += len(out)
        if out:  # (Mojo also emits empty pieces; nothing is lost by not doing so)
            content.emit("read", out)
        if self.gz.eof and not self.gz_broken and self.compressed:
            headers = self.res.headers
            headers.set("Content-Length", str(self.inflated))
            headers.remove("Content-Encoding")
            self.compressed = False
            self.post_buffer = len(self.gz.unused_data)
        if self.post_buffer > self.limits.max_buffer_size:
            self.c_state = "finished"
            self.c_limit = True

    # -- Mojo::Headers::parse ----------------------------------------------------------------

    def _headers_parse(self) -> None:
        self.h_state = "headers"
        self.h_buffer += self.pre_buffer
        self.pre_buffer = bytearray()
        cache = self.h_cache
        limits = self.limits
        buffer = self.h_buffer
        start = 0
        while True:
            newline = buffer.find(b"\n", start)
            if newline < 0:
                break
            end = newline + 1
            line = bytes(buffer[start:newline])
            if line.endswith(b"\r"):
                line = line[:-1]
            if end - start > limits.max_line_size or len(cache) >= limits.max_lines:
                del buffer[:end]
                self.h_state = "finished"
                self.h_limit = True
                return
            start = end
            match = _HEADER.match(line)
            if match is not None:
                cache.append([match.group(1), match.group(2)])
            elif cache and line[:1] in _SPACE:  # a continuation line
                cache[-1][1] += b" " + line.lstrip(b" \t\r\n\x0b\x0c")
            else:
                headers = self.res.headers
                for name, value in cache:
                    headers.add(name.decode("latin-1"), value.decode("latin-1"))
                self.h_cache = []
                self.h_state = "finished"
                del buffer[:start]
                return
        del buffer[:start]
        if len(buffer) > limits.max_line_size:
            self.h_state = "finished"
            self.h_limit = True
