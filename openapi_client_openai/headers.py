"""Headers: Mojo::Headers in Python, so ``$tx->res->headers->header('x-request-id')`` ports verbatim.

Case-insensitive and multi-valued, with Mojo's exact surface and output: names
come out sorted (by their lower-case form), the names Mojo knows in their usual
capitalisation (``content-type`` prints as ``Content-Type``), any other name as
first seen; ``header(name)`` joins repeated values with ``", "`` and gives None
for an absent header. Hand-written because no Python header class prints what
Mojo prints (``to_string``, ``names``, ``to_hash`` are compared with Perl's own in
the tests). ``repr`` masks credentials; the values themselves stay intact, as in Perl.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from .errors import HeaderError
from .perl_data import perl_str
from .perl_method import perl_method

SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "openai-api-key", "api-key"})

# Mojo::Headers' %NAMES: printed in this case, and each has a get/set accessor.
KNOWN_NAMES = (
    "Accept Accept-Charset Accept-Encoding Accept-Language Accept-Ranges Access-Control-Allow-Origin Allow "
    "Authorization Cache-Control Connection Content-Disposition Content-Encoding Content-Language "
    "Content-Length Content-Location Content-Range Content-Security-Policy Content-Type Cookie DNT Date ETag "
    "Expect Expires Host If-Modified-Since If-None-Match Last-Modified Link Location Origin "
    "Proxy-Authenticate Proxy-Authorization Range Sec-WebSocket-Accept Sec-WebSocket-Extensions "
    "Sec-WebSocket-Key "
    "Sec-WebSocket-Protocol Sec-WebSocket-Version Server Server-Timing Set-Cookie Status "
    "Strict-Transport-Security TE Trailer Transfer-Encoding Upgrade User-Agent Vary WWW-Authenticate"
).split()
_CANONICAL = {name.lower(): name for name in KNOWN_NAMES}
HOP_BY_HOP = (
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
)

# Mojo::Headers::parse works on bytes; these are Perl's \s and \S there.
_LINE = re.compile(r"(.*?)\r?\n")
_FIELD = re.compile(r"([^ \t\n\r\f\v][^:]*):[ \t\n\r\f\v]*(.*)")
_CONTINUATION = re.compile(r"[ \t\n\r\f\v]+")


def _accessor(name: str) -> perl_method[Any]:
    key = name.lower()

    def accessor(self: Headers, *values: Any) -> Any:
        if values:  # Mojo sets the list as given, without add()'s checks
            self._values[key] = [value if value.__class__ is str else _text(value) for value in values]
            self._names[key] = name
            return self
        found = self._values.get(key)
        return None if found is None else ", ".join(found)

    accessor.__name__ = accessor.__qualname__ = key.replace("-", "_")
    accessor.__doc__ = f"``{name}``: get it (None when absent), or set it (replacing) and get the headers."
    return perl_method(accessor)


class _Parsing:
    """What ``parse`` keeps between chunks (only headers that are parsed carry one)."""

    __slots__ = ("buffer", "cache", "limit", "max_line_size", "max_lines", "state")

    def __init__(self) -> None:
        self.state = ""
        self.buffer = ""
        self.cache: list[list[str]] = []
        self.limit = False
        self.max_line_size = int(os.environ.get("MOJO_MAX_LINE_SIZE") or 0) or 8192
        self.max_lines = int(os.environ.get("MOJO_MAX_LINES") or 0) or 100


class Headers:
    """Mojo::Headers: case-insensitive, multi-valued headers that print as Mojo prints them.

    Perl's methods keep their names (``header``, ``every_header``, ``to_string``,
    ``to_hash``, ``names``, ``add``, ``remove``, ``append``, ``from_hash``, ``clone``,
    and an accessor per name Mojo knows: ``content_type()``, ``content_type(value)``).
    Python's ways work too: ``headers['X']`` (KeyError when absent),
    ``headers.get('X')``, ``'X' in headers``, ``items()``, ``to_dict()``.
    """

    __slots__ = ("_names", "_parsing", "_values")

    def __init__(self, pairs: Iterable[tuple[str, Any]] | Mapping[str, Any] = ()) -> None:
        self._values: dict[str, list[str]] = {}  # lower-case name -> values, in order
        self._names: dict[str, str] = {}  # lower-case name -> name as printed (never forgotten)
        self._parsing: _Parsing | None = None
        if not pairs:
            return
        if isinstance(pairs, Mapping):
            self.from_hash(pairs)
            return
        values, names = self._values, self._names
        for name, value in pairs:  # the per-response path: kept tight
            key = name.lower()
            if key in values:
                values[key].append(value if value.__class__ is str else _text(value))
            else:
                values[key] = [value if value.__class__ is str else _text(value)]
                names[key] = name

    # -- Mojo::Headers ------------------------------------------------------------------

    def add(self, name: str, *values: Any) -> Headers:
        """Add values to a header (Mojo's ``add``): CR or LF in a value is refused."""
        if len(values) == 1:  # the common case, on every call's path: kept short
            value = values[0]
            if value.__class__ is not str:
                value = _text(value)
            if "\r" in value or "\n" in value:
                raise HeaderError(f"Invalid characters in {name} header")
            key = name.lower()
            found = self._values.get(key)
            if found is None:
                self._values[key] = [value]
                if key not in self._names:
                    self._names[key] = name
            else:
                found.append(value)
            return self
        texts = [value if value.__class__ is str else _text(value) for value in values]
        for text in texts:
            if "\r" in text or "\n" in text:
                raise HeaderError(f"Invalid characters in {name} header")
        key = name.lower()
        if key not in self._names:
            self._names[key] = name
        self._values.setdefault(key, []).extend(texts)
        return self

    def header(self, name: str, *values: Any) -> Any:
        """``header(name)``: the values joined with ", ", None when absent;
        ``header(name, value, ...)``: replace them all, and return the headers."""
        if not values:
            found = self._values.get(name.lower())
            return None if found is None else ", ".join(found)
        key = name.lower()
        self._values.pop(key, None)  # Mojo: remove, then add
        return self.add(name, *values)

    def every_header(self, name: str) -> list[str]:
        """Every value of a header, in order (an empty list when absent)."""
        return list(self._values.get(name.lower(), ()))

    def remove(self, name: str) -> Headers:
        self._values.pop(name.lower(), None)
        return self

    def append(self, name: str, value: Any) -> Headers:
        """Add to the one value of a header, ", "-separated (Mojo's ``append``)."""
        old = self.header(name)
        text = value if value.__class__ is str else _text(value)
        return self.header(name, text if old is None else f"{old}, {text}")

    def names(self) -> list[str]:
        """Header names in Mojo's order and case: sorted, the usual case for the names it knows."""
        names = self._names
        return [_CANONICAL.get(key) or names[key] for key in sorted(self._values)]

    def to_hash(self, multi: bool = False) -> dict[str, Any]:
        """``{name: 'joined, values'}``, or ``{name: [values]}`` with ``multi``."""
        if multi:
            return {name: list(self._values[name.lower()]) for name in self.names()}
        return {name: ", ".join(self._values[name.lower()]) for name in self.names()}

    def to_string(self) -> str:
        """The header block as Mojo writes it: one line per value, CRLF between lines."""
        return "\r\n".join(f"{name}: {value}" for name, value in self.items())

    def from_hash(self, mapping: Mapping[str, Any]) -> Headers:
        """Add ``{name: value or [values]}``; an empty mapping removes every header."""
        if not mapping:
            self._values.clear()
        for name, value in mapping.items():
            if isinstance(value, (list, tuple)):
                self.add(name, *value)
            else:
                self.add(name, value)
        return self

    def clone(self) -> Headers:
        copy = Headers()
        copy._names = dict(self._names)
        copy._values = {key: list(values) for key, values in self._values.items()}
        return copy

    def dehop(self) -> Headers:
        """Remove the hop-by-hop headers."""
        for key in HOP_BY_HOP:
            self._values.pop(key, None)
        return self

    def referrer(self, *values: Any) -> Any:
        return self.header("Referer", *values)

    referer = referrer

    # -- parsing (Mojo::Headers::parse, its limits and state) ----------------------------

    def parse(self, chunk: str | bytes) -> Headers:
        """Parse a header block, possibly in pieces; stops at the empty line (or a limit)."""
        parsing = self._parsing or self._start_parsing()
        parsing.state = "headers"
        parsing.buffer += chunk.decode("latin-1") if isinstance(chunk, (bytes, bytearray)) else chunk
        cache = parsing.cache
        while True:
            match = _LINE.match(parsing.buffer)
            if match is None:
                break
            parsing.buffer = parsing.buffer[match.end() :]
            line = match.group(1)
            if match.end() > parsing.max_line_size or len(cache) >= parsing.max_lines:
                parsing.state, parsing.limit = "finished", True
                return self
            field = _FIELD.fullmatch(line)
            if field:
                cache.append([field.group(1), field.group(2)])
                continue
            continued = _CONTINUATION.match(line)
            if continued and cache:
                cache[-1][1] += " " + line[continued.end() :]
                continue
            for name, value in cache:  # the empty line: the block is complete
                self.add(name, value)
            parsing.state, parsing.cache = "finished", []
            return self
        if len(parsing.buffer) > parsing.max_line_size:
            parsing.state, parsing.limit = "finished", True
        return self

    def _start_parsing(self) -> _Parsing:
        self._parsing = _Parsing()
        return self._parsing

    def is_finished(self) -> bool:
        return self._parsing is not None and self._parsing.state == "finished"

    def is_limit_exceeded(self) -> bool:
        return self._parsing is not None and self._parsing.limit

    def leftovers(self) -> str | None:
        """What followed the header block in the parsed input (then forgotten, as in Mojo)."""
        if self._parsing is None:
            return None
        rest, self._parsing.buffer = self._parsing.buffer, ""
        return rest

    @property
    def max_line_size(self) -> int:
        return (self._parsing or self._start_parsing()).max_line_size

    @max_line_size.setter
    def max_line_size(self, value: int) -> None:
        (self._parsing or self._start_parsing()).max_line_size = value

    @property
    def max_lines(self) -> int:
        return (self._parsing or self._start_parsing()).max_lines

    @max_lines.setter
    def max_lines(self, value: int) -> None:
        (self._parsing or self._start_parsing()).max_lines = value

    # -- the accessors Mojo generates from its %NAMES: content_type(), content_type(value) --

    accept = _accessor("Accept")
    accept_charset = _accessor("Accept-Charset")
    accept_encoding = _accessor("Accept-Encoding")
    accept_language = _accessor("Accept-Language")
    accept_ranges = _accessor("Accept-Ranges")
    access_control_allow_origin = _accessor("Access-Control-Allow-Origin")
    allow = _accessor("Allow")
    authorization = _accessor("Authorization")
    cache_control = _accessor("Cache-Control")
    connection = _accessor("Connection")
    content_disposition = _accessor("Content-Disposition")
    content_encoding = _accessor("Content-Encoding")
    content_language = _accessor("Content-Language")
    content_length = _accessor("Content-Length")
    content_location = _accessor("Content-Location")
    content_range = _accessor("Content-Range")
    content_security_policy = _accessor("Content-Security-Policy")
    content_type = _accessor("Content-Type")
    cookie = _accessor("Cookie")
    dnt = _accessor("DNT")
    date = _accessor("Date")
    etag = _accessor("ETag")
    expect = _accessor("Expect")
    expires = _accessor("Expires")
    host = _accessor("Host")
    if_modified_since = _accessor("If-Modified-Since")
    if_none_match = _accessor("If-None-Match")
    last_modified = _accessor("Last-Modified")
    link = _accessor("Link")
    location = _accessor("Location")
    origin = _accessor("Origin")
    proxy_authenticate = _accessor("Proxy-Authenticate")
    proxy_authorization = _accessor("Proxy-Authorization")
    range = _accessor("Range")
    sec_websocket_accept = _accessor("Sec-WebSocket-Accept")
    sec_websocket_extensions = _accessor("Sec-WebSocket-Extensions")
    sec_websocket_key = _accessor("Sec-WebSocket-Key")
    sec_websocket_protocol = _accessor("Sec-WebSocket-Protocol")
    sec_websocket_version = _accessor("Sec-WebSocket-Version")
    server = _accessor("Server")
    server_timing = _accessor("Server-Timing")
    set_cookie = _accessor("Set-Cookie")
    status = _accessor("Status")
    strict_transport_security = _accessor("Strict-Transport-Security")
    te = _accessor("TE")
    trailer = _accessor("Trailer")
    transfer_encoding = _accessor("Transfer-Encoding")
    upgrade = _accessor("Upgrade")
    user_agent = _accessor("User-Agent")
    vary = _accessor("Vary")
    www_authenticate = _accessor("WWW-Authenticate")

    # -- Python's ways ------------------------------------------------------------------

    def set(self, name: str, value: Any) -> Headers:
        """Replace every value of ``name`` (Mojo's ``header($name => $value)``)."""
        self._values.pop(name.lower(), None)
        return self.add(name, value)

    def every(self, name: str) -> list[str]:
        return self.every_header(name)

    def get(self, name: str, default: Any = None) -> Any:
        found = self._values.get(name.lower())
        return default if found is None else ", ".join(found)

    def __getitem__(self, name: str) -> str:
        found = self._values.get(name.lower())
        if found is None:
            raise KeyError(name)
        return ", ".join(found)

    def __setitem__(self, name: str, value: Any) -> None:
        if isinstance(value, (list, tuple)):
            self.header(name, *value)
        else:
            self.header(name, value)

    def __delitem__(self, name: str) -> None:
        if self._values.pop(name.lower(), None) is None:
            raise KeyError(name)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._values

    def keys(self) -> list[str]:
        return self.names()

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self._values)

    def items(self) -> list[tuple[str, str]]:
        """Every (name, value) pair in Mojo's order, repeated names included."""
        names, canonical = self._names, _CANONICAL.get
        return [
            (canonical(key) or names[key], value)
            for key, found in sorted(self._values.items())
            for value in found
        ]

    def to_dict(self) -> dict[str, str]:
        return self.to_hash()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Headers):
            return self._values == other._values
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable: not hashable

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}: {mask(name, value)}" for name, value in self.items())
        return f"Headers({shown})"


def _text(value: Any) -> str:
    """A header value as Perl would stringify it (bytes as Latin-1, as they are on the wire)."""
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("latin-1")
    return perl_str(value)


def mask(name: str, value: str) -> str:
    """A header value fit for logs and reprs: credentials keep only their scheme."""
    if name.lower() not in SECRET_HEADERS:
        return value
    scheme, _, secret = value.partition(" ")
    return f"{scheme} ***" if secret else "***"
