"""Request and Response, shaped like Mojo::Message so ``$tx->res->json('/id')`` ports verbatim."""

from __future__ import annotations

import json
from typing import Any

from .headers import SECRET_HEADERS, Headers, mask
from .perl_method import perl_method
from .url import URL

__all__ = ["SECRET_HEADERS", "Headers", "Request", "Response", "json_pointer", "mask"]


class _Message:
    __slots__ = ("_json", "body", "headers")

    def __init__(self, headers: Headers | None = None, body: bytes = b"") -> None:
        self.headers = headers if headers is not None else Headers()
        self.body = body
        self._json: Any = _UNSET

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

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


def json_pointer(data: Any, pointer: str) -> Any:
    """Mojo::JSON::Pointer's ``get``: the value at ``/a/0/b``, None when there is none.

    Hand-written for parity: an array index is any run of digits (``/01`` is element
    1), and a pointer that does not start with ``/`` finds nothing.
    """
    if not pointer.startswith("/"):
        return None if pointer else data
    for token in pointer[1:].split("/"):
        token = token.replace("~1", "/").replace("~0", "~")
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
        return f"<Request {self.method} {self.url} {self.headers!r} {len(self.body)} bytes>"


class Response(_Message):
    """What came back: ``code`` is None when no response was received."""

    __slots__ = ("code", "message")

    def __init__(
        self,
        code: int | None = None,
        message: str = "",
        headers: Headers | None = None,
        body: bytes = b"",
    ) -> None:
        super().__init__(headers, body)
        self.code = code
        self.message = message

    def __repr__(self) -> str:
        return f"<Response {self.code} {self.message} {len(self.body)} bytes>"

    @property
    def is_success(self) -> bool:
        return self.code is not None and 200 <= self.code < 300

    @property
    def is_error(self) -> bool:
        return self.code is not None and self.code >= 400


_UNSET = object()


def _decode_json(body: bytes, content_type: str | None) -> Any:
    # Mojo decodes whatever the body is and never dies: multipart and junk give undef.
    if not body or (content_type or "").lower().startswith("multipart/"):
        return None
    try:
        return json.loads(body, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        return None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # Perl's decoder refuses NaN and Infinity too
