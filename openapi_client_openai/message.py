"""Request and Response, shaped like Mojo::Message so ``$tx->res->json('/id')`` ports verbatim."""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Callable
from typing import Any

from .events import EventEmitter
from .headers import SECRET_HEADERS, Headers, mask
from .perl_method import perl_method
from .pointer import unescape
from .url import URL

__all__ = ["SECRET_HEADERS", "Headers", "Request", "Response", "json_pointer", "mask"]


class _Message:
    """What requests and responses share: Mojo::Message over a Mojo::Content::Single."""

    __slots__ = ("_json", "content")

    def __init__(self, headers: Headers | None = None, body: bytes = b"") -> None:
        self.content = Content(headers)
        if body:
            self.content.asset.add_chunk(body)
        self._json: Any = _UNSET

    @property
    def headers(self) -> Headers:
        return self.content.headers

    @headers.setter
    def headers(self, headers: Headers) -> None:
        self.content.headers = headers

    @property
    def body(self) -> bytes:
        """The body bytes (Mojo's ``body``: the asset, slurped)."""
        return self.content.asset.slurp()

    @body.setter
    def body(self, data: bytes) -> None:
        self.content.asset = Asset().add_chunk(bytes(data))
        self._json = _UNSET

    @property
    def body_size(self) -> int:
        return self.content.asset.size

    @property
    def text(self) -> str:
        """The body decoded with the charset the Content-Type declares (UTF-8 if none), as Mojo's ``text``.

        A body that is not valid in its charset (or an unknown charset) comes back
        byte for byte, one character per byte, as Perl's byte string would.
        """
        body = self.body
        try:
            return body.decode(self.content.charset or "UTF-8")
        except (LookupError, UnicodeDecodeError):
            return body.decode("latin-1")

    @perl_method
    def json(self, pointer: str | None = None) -> Any:
        """The body decoded as JSON (once), or None when it is not JSON; Mojo's ``json``.

        ``pointer`` is a JSON pointer such as ``/data/0/id``; a missing target gives None.
        """
        if self._json is _UNSET:
            self._json = _decode_json(self.body, self.headers.header("Content-Type"))
        if not pointer or pointer == "0":  # Perl: a false pointer means the whole document
            return self._json
        return json_pointer(self._json, pointer)

    def save_to(self, path: str | os.PathLike[str]) -> _Message:
        """Write the body to ``path`` (Mojo's ``save_to``); returns the message."""
        self.content.asset.move_to(path)
        return self

    # -- the message as text (Mojo's build_* and to_string) -------------------------------

    def build_start_line(self) -> str:
        raise NotImplementedError

    def fix_headers(self) -> _Message:
        """What Mojo adds before writing the message (Content-Length...): see the subclasses."""
        headers = self.headers
        if not headers.get("Content-Length") and not headers.get("Transfer-Encoding"):
            headers.set("Content-Length", str(self.body_size))
        return self

    def build_headers(self) -> str:
        """The header block as Mojo writes it, with the blank line after it."""
        text = self.fix_headers().headers.to_string()
        return f"{text}\r\n\r\n" if text else "\r\n"

    def build_body(self) -> str:
        return self.body.decode("utf-8", "replace")

    def to_string(self) -> str:
        """Start line, headers and body, as Mojo's ``to_string`` (a body that is not UTF-8 shows
        replacement characters: use ``body`` for the bytes)."""
        return self.build_start_line() + self.build_headers() + self.build_body()

    def _dump(self, first: str) -> str:
        """Status or request line, headers (credentials masked) and the start of the body."""
        body = self.body
        shown = body[:_DUMPED].decode("utf-8", "replace") + (
            f"... ({len(body)} bytes)" if len(body) > _DUMPED else ""
        )
        lines = [first, *(f"  {name}: {mask(name, value)}" for name, value in self.headers.items())]
        if body:
            lines.append(f"  body: {shown}")
        return "\n".join(lines)


class Asset:
    """The body's storage: Mojo::Asset::Memory, moving to a temporary file past a size.

    Mojo upgrades a response body to a Mojo::Asset::File once it passes
    ``MOJO_MAX_MEMORY_SIZE`` (256 KiB), so a large download does not sit in memory
    twice; so do we. Small bodies stay one ``bytes`` object, joined only when read.
    """

    __slots__ = ("__weakref__", "_chunks", "_file", "_finalizer", "path", "size")

    def __init__(self) -> None:
        self._chunks: list[bytes] = []
        self._file: Any = None
        self._finalizer: Any = None
        self.path: str | None = None
        self.size = 0

    @property
    def is_file(self) -> bool:
        return self._file is not None

    def add_chunk(self, chunk: bytes) -> Asset:
        if not chunk:
            return self
        self.size += len(chunk)
        if self._file is not None:
            self._file.seek(0, 2)
            self._file.write(chunk)
        else:
            self._chunks.append(chunk)
            if self.size > _max_memory_size():
                self._upgrade()
        return self

    def slurp(self) -> bytes:
        if self._file is not None:
            self._file.seek(0)
            return self._file.read()
        if len(self._chunks) > 1:
            self._chunks = [b"".join(self._chunks)]
        return self._chunks[0] if self._chunks else b""

    def get_chunk(self, offset: int, max_size: int = 131072) -> bytes:
        if self._file is not None:
            self._file.seek(offset)
            return self._file.read(max_size)
        return self.slurp()[offset : offset + max_size]

    def contains(self, data: bytes) -> int:
        """Offset of ``data`` in the body, -1 when absent (Mojo's ``contains``)."""
        return self.slurp().find(data)

    def move_to(self, path: str | os.PathLike[str]) -> Asset:
        """Write the body to ``path``; a file asset is moved there, as Mojo moves it."""
        if self._file is not None and self.path is not None:
            self._file.flush()
            try:
                os.replace(self.path, path)
            except OSError:  # another file system: copy instead
                with open(path, "wb") as out:
                    out.write(self.slurp())
                return self
            self._finalizer.detach()
            self.path = os.fspath(path)
            return self
        with open(path, "wb") as out:
            out.write(self.slurp())
        return self

    def _upgrade(self) -> None:
        import tempfile
        import weakref

        fd, self.path = tempfile.mkstemp(prefix="mojo-asset-", dir=os.environ.get("MOJO_TMPDIR") or None)
        self._file = os.fdopen(fd, "w+b")
        self._finalizer = weakref.finalize(self, _remove_file, self._file, self.path)
        for chunk in self._chunks:
            self._file.write(chunk)
        self._chunks = []


def _remove_file(handle: Any, path: str) -> None:
    handle.close()
    with contextlib.suppress(OSError):
        os.unlink(path)


def _max_memory_size() -> int:
    return int(os.environ.get("MOJO_MAX_MEMORY_SIZE") or 262144)


class Content(EventEmitter):
    """Mojo::Content::Single: the headers, the body asset, and the ``read`` event.

    The transport emits ``body`` once the headers are in and ``read`` with each piece
    of the body as it arrives; the default ``read`` subscriber adds it to the asset.
    ``unsubscribe('read')`` removes that too, so nothing is buffered: the Perl idiom
    for streaming, ``$tx->res->content->unsubscribe('read')->on(read => sub {...})``.
    The ``sse`` event (Mojolicious 9.41) parses an event-stream body as it is read:
    ``fn(content, None)`` when it starts, then ``fn(content, event)`` per event
    (``streaming.py``).
    """

    __slots__ = ("_sse", "asset", "headers")

    def __init__(self, headers: Headers | None = None) -> None:
        super().__init__()
        self.headers = headers if headers is not None else Headers()
        self.asset = Asset()
        self._sse: Any = None
        self.on("read", add_to_asset)

    def on(self, name: str, callback: Callable) -> Callable:
        if name == "sse" and self._sse is None:
            from .streaming import SSEFeed

            self._sse = SSEFeed(self)
        return super().on(name, callback)

    def emit(self, name: str, *args: Any) -> Content:
        sse = self._sse
        if sse is not None:  # fed before the subscribers, as Mojo parses before it emits read
            if name == "read":
                sse.read(*args)
            elif name == "body":
                sse.body()
        super().emit(name, *args)
        return self

    @property
    def charset(self) -> str | None:
        match = _CHARSET.search(self.headers.get("Content-Type") or "")
        return match.group(1) if match else None

    @property
    def body_size(self) -> int:
        return self.asset.size

    @property
    def is_sse(self) -> bool:
        """Mojo's ``is_sse``: is the body an event stream? (Here a charset may follow the type.)"""
        from .streaming import is_event_stream

        return is_event_stream(self.headers.get("Content-Type"))

    def __repr__(self) -> str:
        return f"<Content {self.asset.size} bytes>"


def add_to_asset(content: Content, chunk: bytes) -> None:
    """The default ``read`` subscriber: the piece goes into the body asset."""
    content.asset.add_chunk(chunk)


_CHARSET = re.compile(r'charset\s*=\s*"?([^"\s;]+)"?', re.IGNORECASE)


def json_pointer(data: Any, pointer: str) -> Any:
    """Mojo::JSON::Pointer's ``get``: the value at ``/a/0/b``, None when there is none.

    Hand-written for parity: an array index is any run of digits (``/01`` is element
    1), and a pointer that does not start with ``/`` finds nothing.
    """
    if not pointer.startswith("/"):
        return None if pointer else data
    for token in pointer[1:].split("/"):
        token = unescape(token)
        if isinstance(data, dict) and token in data:
            data = data[token]
        elif isinstance(data, list) and token.isascii() and token.isdigit() and int(token) < len(data):
            data = data[int(token)]
        else:
            return None
    return data


class Request(_Message):
    """What was (or would have been) sent: method, URL, headers, body, and ``env``.

    ``method`` is Perl's value: the spec's lower-case key (``'post'``) for a request
    built from a valid call, upper case for the unsent 400 of invalid input; the
    request line on the wire is always upper case. ``url`` is a :class:`URL`.
    """

    __slots__ = ("env", "method", "url")

    def __init__(
        self,
        method: str,
        url: str | URL,
        headers: Headers | None = None,
        body: bytes = b"",
        env: dict | None = None,
    ) -> None:
        super().__init__(headers, body)
        self.method = method
        self.url = url if isinstance(url, URL) else URL(url)
        self.env = env if env is not None else {}

    def __repr__(self) -> str:
        return f"<Request {self._dump(f'{self.method.upper()} {self.url}')}>"

    def build_start_line(self) -> str:
        from .transport.wire import target

        return f"{self.method.upper()} {target(str(self.url)).path_query} HTTP/1.1\r\n"

    def fix_headers(self) -> Request:
        from .transport.wire import fix_headers, target

        fix_headers(self, target(str(self.url)), None)
        return self


class Response(_Message):
    """What came back. ``code`` is None until a status line arrived (none: no response).

    ``error`` is Mojo's ``$res->error``: set by the transport for a failure (with the
    code and the partial body kept when they had arrived) and for 4xx/5xx answers.
    """

    __slots__ = ("code", "error", "finished", "message", "version")

    def __init__(
        self,
        code: int | None = None,
        message: str | None = "",
        headers: Headers | None = None,
        body: bytes = b"",
    ) -> None:
        super().__init__(headers, body)
        self.code = code
        self.message = message
        self.version = "1.1"
        self.error: dict | None = None
        self.finished = code is not None

    def __repr__(self) -> str:
        return f"<Response {self._dump(f'{self.code} {self.message}')}>"

    @property
    def default_message(self) -> str:
        from http import HTTPStatus

        try:
            return HTTPStatus(self.code or 404).phrase
        except ValueError:
            return ""

    def build_start_line(self) -> str:
        return f"HTTP/{self.version} {self.code or 404} {self.message or self.default_message}\r\n"

    def fix_headers(self) -> Response:
        """Mojo::Message::Response::fix_headers: a Date when there is none, no length when empty."""
        super().fix_headers()
        if not self.headers.get("Date"):
            from email.utils import formatdate

            self.headers.set("Date", formatdate(usegmt=True))
        if self.is_empty:
            self.headers.remove("Content-Length")
        return self

    @property
    def is_finished(self) -> bool:
        return self.finished

    @property
    def is_success(self) -> bool:
        return self.code is not None and 200 <= self.code < 300

    @property
    def is_error(self) -> bool:
        return self.code is not None and 400 <= self.code < 600

    @property
    def is_client_error(self) -> bool:
        return self.code is not None and 400 <= self.code < 500

    @property
    def is_server_error(self) -> bool:
        return self.code is not None and 500 <= self.code < 600

    @property
    def is_redirect(self) -> bool:
        return self.code is not None and 300 <= self.code < 400

    @property
    def is_info(self) -> bool:
        return self.code is not None and 100 <= self.code < 200

    @property
    def is_empty(self) -> bool:
        """No body by definition: 1xx, 204, 304 (Mojo's ``is_empty``)."""
        return self.code is not None and (100 <= self.code < 200 or self.code in (204, 304))


_UNSET = object()
_DUMPED = 500  # characters of a body a repr shows


def _decode_json(body: bytes, content_type: str | None) -> Any:
    # Mojo decodes whatever the body is and never dies: multipart and junk give undef.
    if not body or (content_type or "").lower().startswith("multipart/"):
        return None
    try:
        return _DECODER.decode(body.decode(json.detect_encoding(body), "surrogatepass"))
    except (ValueError, RecursionError):
        return None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # Perl's decoder refuses NaN and Infinity too


# One decoder for every body (json.loads with an option builds a new one per call).
_DECODER = json.JSONDecoder(parse_constant=_reject_constant)
