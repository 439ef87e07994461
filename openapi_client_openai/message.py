"""Request and Response, shaped like Mojo::Message so ``$tx->res->json('/id')`` ports verbatim."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from .pointer import unescape

SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "openai-api-key", "api-key"})


class Headers:
    """Case-insensitive, multi-valued, order-keeping headers (Mojo::Headers' semantics).

    ``headers['X']`` joins repeated values with ``", "`` as Mojo's ``header`` does.
    ``repr`` masks credentials; the values themselves stay intact, as in Perl.
    """

    __slots__ = ("_pairs",)

    def __init__(self, pairs: Iterable[tuple[str, str]] = ()) -> None:
        self._pairs: list[tuple[str, str]] = [(str(k), str(v)) for k, v in pairs]

    def add(self, name: str, value: str) -> None:
        self._pairs.append((name, value))

    def set(self, name: str, value: str) -> None:
        """Replace every value of ``name`` (Mojo's ``header($name => $value)``)."""
        self.remove(name)
        self._pairs.append((name, value))

    def remove(self, name: str) -> None:
        lower = name.lower()
        self._pairs = [(k, v) for k, v in self._pairs if k.lower() != lower]

    def every(self, name: str) -> list[str]:
        lower = name.lower()
        return [v for k, v in self._pairs if k.lower() == lower]

    def get(self, name: str, default: str | None = None) -> str | None:
        values = self.every(name)
        return ", ".join(values) if values else default

    def __getitem__(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and bool(self.every(name))

    def names(self) -> list[str]:
        seen: dict[str, str] = {}
        for k, _ in self._pairs:
            seen.setdefault(k.lower(), k)
        return list(seen.values())

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self.names())

    def items(self) -> list[tuple[str, str]]:
        """Every (name, value) pair, repeated names included."""
        return list(self._pairs)

    def to_dict(self) -> dict[str, str]:
        return {name: self[name] for name in self.names()}

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Headers):
            return sorted((k.lower(), v) for k, v in self._pairs) == sorted(
                (k.lower(), v) for k, v in other._pairs
            )
        return NotImplemented

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}: {mask(k, v)}" for k, v in self._pairs)
        return f"Headers({shown})"

    @property
    def content_type(self) -> str | None:
        return self.get("Content-Type")


def mask(name: str, value: str) -> str:
    """A header value fit for logs and reprs: credentials keep only their scheme."""
    if name.lower() not in SECRET_HEADERS:
        return value
    scheme, _, secret = value.partition(" ")
    return f"{scheme} ***" if secret else "***"


class _Message:
    __slots__ = ("_json", "body", "headers")

    def __init__(self, headers: Headers | None = None, body: bytes = b"") -> None:
        self.headers = headers if headers is not None else Headers()
        self.body = body
        self._json: Any = _UNSET

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self, pointer: str | None = None) -> Any:
        """The body decoded as JSON (once), or None when it is not JSON; Mojo's ``json``.

        ``pointer`` is a JSON pointer such as ``/data/0/id``; a missing target gives None.
        """
        if self._json is _UNSET:
            self._json = _decode_json(self.body, self.headers.content_type)
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
        token = unescape(token)
        if isinstance(data, dict) and token in data:
            data = data[token]
        elif isinstance(data, list) and token.isascii() and token.isdigit() and int(token) < len(data):
            data = data[int(token)]
        else:
            return None
    return data


class Request(_Message):
    """What was (or would have been) sent: method, URL, headers, body, and ``env``."""

    __slots__ = ("env", "method", "url")

    def __init__(
        self,
        method: str,
        url: str,
        headers: Headers | None = None,
        body: bytes = b"",
        env: dict | None = None,
    ) -> None:
        super().__init__(headers, body)
        self.method = method
        self.url = url
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
