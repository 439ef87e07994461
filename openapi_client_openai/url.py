"""URL, Path and Parameters: Mojo::URL, Mojo::Path and Mojo::Parameters in Python.

``tx.req.url`` and ``client.base_url`` are URLs: ``tx.req.url.path`` prints as
Perl's ``$tx->req->url->path``, ``tx.req.url.query.param('limit')`` reads a query
parameter, ``str(url)`` is ``$url->to_string``. Hand-written for parity: the
requests this package sends must carry Mojo's bytes, and no Python URL library
parses, escapes and re-serialises as Mojo does (a path stays as given until a
segment is touched; ``%2F`` becomes a separator once it is; form escaping keeps
only ``*-._``; a host is punycoded on output). The tests compare with Perl's own.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterable, Iterator, Mapping
from functools import lru_cache
from typing import Any

from .perl_data import perl_str
from .perl_method import perl_method

# Mojo's url_escape patterns, as the characters each one leaves alone.
_PATH_SAFE = "-._~!$&'()*+,;=:@"  # one segment (Mojo::Path)
_RAW_PATH_SAFE = "-._~!$&'()*+,;=%:@/"  # a path not split into segments
_RAW_QUERY_SAFE = "-._~%!$&'()*+,;=:@/?"  # a query not split into pairs
_AUTHORITY_SAFE = "-._~!$&'()*+,;=:[]"
_USERINFO_SAFE = "-._~!$&'()*+,;=:"
_FRAGMENT_SAFE = "-._~!$&'()*+,;=:@/?"
_FORM_SAFE = "*-._"  # Mojo::Parameters: '^*\-.0-9A-Z_a-z'

# RFC 3986's regex, as Mojo::URL::parse uses it.
_URL = re.compile(r"(([^:/?#]+):)?(//([^/?#]*))?([^?#]*)(\?([^#]*))?(#(.*))?")
_ESCAPE = re.compile(r"%([0-9a-fA-F]{2})")
_PORT = re.compile(r":(\d+)$")
_PAIR = re.compile(r"([^=]+)(?:=(.*))?$")


def url_escape(text: str, safe: str) -> str:
    """Mojo::Util's url_escape of the UTF-8 bytes of ``text``: ``%XX`` for all but ``safe``."""
    return urllib.parse.quote(text.encode("utf-8", "surrogatepass"), safe=safe)


@lru_cache(maxsize=4096)
def path_escape(text: str) -> str:
    """Mojo::Path's escaping of one segment (UTF-8, RFC 3986 sub-delims kept)."""
    return url_escape(text, _PATH_SAFE)


@lru_cache(maxsize=256)
def _escape_authority(text: str) -> str:
    return url_escape(text, _AUTHORITY_SAFE)


def form_escape(text: str) -> str:
    """Mojo::Parameters' escaping: only ``*-._`` and alphanumerics kept, space as ``+``."""
    quoted = urllib.parse.quote(text.encode("utf-8", "surrogatepass"), safe=_FORM_SAFE)
    return quoted.replace("~", "%7E").replace("%20", "+")


def encode_pairs(pairs: Iterable[tuple[str, str]]) -> str:
    return "&".join(f"{form_escape(name)}={form_escape(value)}" for name, value in pairs)


def url_unescape(text: str) -> str:
    """Mojo::Util's url_unescape: each ``%XX`` becomes the character XX (a byte, in Perl)."""
    if "%" not in text:
        return text
    return _ESCAPE.sub(lambda match: chr(int(match.group(1), 16)), text)


def decode_utf8(text: str) -> str:
    """Mojo's ``decode('UTF-8', $s) // $s``: bytes that are UTF-8 become characters."""
    try:
        return text.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return text


class Path:
    """Mojo::Path: a path kept as given until its segments are used, then segments.

    ``str(path)`` is ``$path->to_string``; ``path.parts`` is ``$path->parts`` (a list
    you may change: ``push @{$url->path}, 'x'`` is ``url.path.append('x')``).
    """

    __slots__ = ("_leading", "_parts", "_raw", "_trailing")

    def __init__(self, path: str | None = None) -> None:
        self._raw: str | None = path if path is not None else None
        self._parts: list[str] | None = None
        self._leading = False
        self._trailing = False

    def parse(self, path: str) -> Path:
        self._raw, self._parts = path, None
        return self

    def _parse(self) -> list[str]:
        if self._parts is None:
            self._leading, self._trailing, parts = _split_path(self._raw or "")
            self._parts, self._raw = list(parts), None
        return self._parts

    @property
    def parts(self) -> list[str]:
        return self._parse()

    @parts.setter
    def parts(self, parts: Iterable[str]) -> None:
        self._parse()
        self._parts = list(parts)

    @property
    def leading_slash(self) -> bool:
        self._parse()
        return self._leading

    @leading_slash.setter
    def leading_slash(self, value: bool) -> None:
        self._parse()
        self._leading = bool(value)

    @property
    def trailing_slash(self) -> bool:
        self._parse()
        return self._trailing

    @trailing_slash.setter
    def trailing_slash(self, value: bool) -> None:
        self._parse()
        self._trailing = bool(value)

    def merge(self, path: str | Path) -> Path:
        """Mojo's ``merge``: an absolute path replaces, a relative one replaces the last segment."""
        text = str(path)
        if text.startswith("/"):
            return self.parse(text)
        parts = self._parse()
        if not self._trailing and parts:
            parts.pop()
        other = Path(text)
        parts += other.parts
        self._trailing = other.trailing_slash
        return self

    def canonicalize(self) -> Path:
        """Drop empty, ``.`` and ``...`` segments and resolve ``..``, as Mojo does."""
        parts = self._parse()
        i = 0
        while i < len(parts):
            part = parts[i]
            if part in ("", ".", "..."):
                del parts[i]
            elif i < 1 or part != ".." or parts[i - 1] == "..":
                i += 1
            else:
                i -= 1
                del parts[i : i + 2]
        if not parts:
            self._trailing = False
        return self

    def clone(self) -> Path:
        copy = Path.__new__(Path)
        copy._raw, copy._leading, copy._trailing = self._raw, self._leading, self._trailing
        copy._parts = None if self._parts is None else list(self._parts)
        return copy

    def contains(self, prefix: str) -> bool:
        return prefix == "/" or re.match(re.escape(prefix) + r"(?:/|$)", self.to_route()) is not None

    def to_abs_string(self) -> str:
        text = self.to_string()
        return text if text.startswith("/") else "/" + text

    def to_dir(self) -> Path:
        copy = self.clone()
        parts = copy._parse()
        if not copy._trailing and parts:
            parts.pop()
        copy._trailing = bool(parts)
        return copy

    def to_route(self) -> str:
        return "/" + "/".join([*self._parse(), *([""] if self._trailing else [])])

    @perl_method
    def to_string(self) -> str:
        if self._parts is None:
            return url_escape(self._raw or "", _RAW_PATH_SAFE)
        path = "/".join([path_escape(part) for part in self._parts])
        if self._leading:
            path = "/" + path
        if self._trailing:
            path += "/"
        return path

    # Python's ways: a path reads like its string and works like its list of segments.
    def __str__(self) -> str:
        return Path.to_string(self)

    def __repr__(self) -> str:
        return f"Path({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (Path, str)):
            return str(self) == str(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable: not hashable

    def __bool__(self) -> bool:
        return bool(str(self))

    def __iter__(self) -> Iterator[str]:
        return iter(self._parse())

    def __len__(self) -> int:
        return len(self._parse())

    def __getitem__(self, index: int) -> str:
        return self._parse()[index]

    def append(self, segment: str) -> Path:
        self._parse().append(segment)
        return self

    def extend(self, segments: Iterable[str]) -> Path:
        self._parse().extend(segments)
        return self


@lru_cache(maxsize=1024)
def _split_path(raw: str) -> tuple[bool, bool, tuple[str, ...]]:
    # Mojo::Path::_parse: unescape, decode, then note the slashes around the segments.
    path = decode_utf8(url_unescape(raw))
    leading = path.startswith("/")
    if leading:
        path = path[1:]
    trailing = path.endswith("/")
    if trailing:
        path = path[:-1]
    return leading, trailing, tuple(path.split("/")) if path else ()


class Parameters:
    """Mojo::Parameters: a query string kept as given until a parameter is touched.

    ``param(name)`` is the last value (None if absent), ``param(name, value, ...)``
    replaces; ``str(params)`` is ``$params->to_string``; ``pairs`` is Perl's flat
    ``[name, value, name, value, ...]`` list.
    """

    __slots__ = ("_pairs", "_string")

    def __init__(self, *args: Any) -> None:
        self._string: str | None = None
        self._pairs: list[str] = []
        if args:
            self.parse(*args)

    def parse(self, *args: Any) -> Parameters:
        """A query string, or name/value pairs to append."""
        if len(args) > 1:
            return self.append(*args)
        self._string = perl_str(args[0]) if args else ""
        return self

    @property
    def pairs(self) -> list[str]:
        if self._string is not None:
            text, self._string = self._string, None
            self._pairs = []
            for pair in text.split("&") if text else ():
                match = _PAIR.match(pair)
                if match:
                    name, value = match.group(1), match.group(2) or ""
                    self._pairs += [
                        decode_utf8(url_unescape(name.replace("+", " "))),
                        decode_utf8(url_unescape(value.replace("+", " "))),
                    ]
        return self._pairs

    @pairs.setter
    def pairs(self, pairs: Iterable[Any]) -> None:
        self._string, self._pairs = None, [perl_str(item) for item in pairs]

    def append(self, *args: Any) -> Parameters:
        """``append(name, value, ...)`` (a list value repeats the name; None is skipped),
        or ``append(other_parameters)``."""
        pairs = self.pairs
        new = list(args[0].pairs) if len(args) == 1 and isinstance(args[0], Parameters) else list(args)
        for i in range(0, len(new) - 1, 2):
            name, value = perl_str(new[i]), new[i + 1]
            if isinstance(value, (list, tuple)):
                for item in value:
                    pairs += [name, perl_str(item)]
            elif value is not None:
                pairs += [name, perl_str(value)]
        return self

    def param(self, name: str, *values: Any) -> Any:
        """``param(name)``: the last value or None; ``param(name, value...)``: replace them."""
        if not values:
            found = self.every_param(name)
            return found[-1] if found else None
        self.remove(name)
        return self.append(
            name, values[0] if len(values) == 1 and isinstance(values[0], (list, tuple)) else list(values)
        )

    def every_param(self, name: str) -> list[str]:
        pairs = self.pairs
        return [pairs[i + 1] for i in range(0, len(pairs) - 1, 2) if pairs[i] == name]

    def remove(self, name: str) -> Parameters:
        pairs = self.pairs
        self._pairs = [
            item for i in range(0, len(pairs) - 1, 2) if pairs[i] != name for item in pairs[i : i + 2]
        ]
        return self

    def merge(self, *args: Any) -> Parameters:
        """Set each parameter of a mapping (or Parameters), in sorted order; None removes it."""
        mapping = (
            args[0].to_hash()
            if len(args) == 1 and isinstance(args[0], Parameters)
            else (dict(args[0]) if len(args) == 1 else dict(zip(args[::2], args[1::2])))
        )
        for name in sorted(mapping):
            value = mapping[name]
            if value is None:
                self.remove(name)
            else:
                self.param(name, value)
        return self

    def names(self) -> list[str]:
        return sorted(self.to_hash())

    def to_hash(self) -> dict[str, Any]:
        """``{name: value}``, a list for a repeated name (as Mojo's ``to_hash``)."""
        result: dict[str, Any] = {}
        pairs = self.pairs
        for i in range(0, len(pairs) - 1, 2):
            name, value = pairs[i], pairs[i + 1]
            if name in result:
                if not isinstance(result[name], list):
                    result[name] = [result[name]]
                result[name].append(value)
            else:
                result[name] = value
        return result

    def clone(self) -> Parameters:
        copy = Parameters.__new__(Parameters)
        copy._string, copy._pairs = self._string, list(self._pairs)
        return copy

    @perl_method
    def to_string(self) -> str:
        if self._string is not None:
            return url_escape(self._string, _RAW_QUERY_SAFE)
        pairs = self._pairs
        return "&".join(
            f"{form_escape(pairs[i])}={form_escape(pairs[i + 1])}" for i in range(0, len(pairs) - 1, 2)
        )

    def __str__(self) -> str:
        return Parameters.to_string(self)

    def __repr__(self) -> str:
        return f"Parameters({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (Parameters, str)):
            return str(self) == str(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable: not hashable

    def __bool__(self) -> bool:
        return bool(str(self))


class URL:
    """Mojo::URL: a URL split as Mojo splits it, mutable, printed as Mojo prints it.

    ``scheme``, ``userinfo``, ``host``, ``port`` (an int), ``fragment`` are plain
    attributes (None when absent): Perl's ``$url->host('x')`` is ``url.host = 'x'``.
    ``path`` is a :class:`Path` and ``query`` a :class:`Parameters`; assigning a
    string to ``path`` merges it as ``$url->path('x')`` does. ``str(url)`` is
    ``$url->to_string`` (without userinfo, as Mojo leaves it out).
    """

    __slots__ = ("_base", "_path", "_query", "fragment", "host", "port", "scheme", "userinfo")

    def __init__(self, url: str | URL | None = None) -> None:
        self.scheme: str | None = None
        self.userinfo: str | None = None
        self.host: str | None = None
        self.port: int | None = None
        self.fragment: str | None = None
        self._path: Path | None = None
        self._query: Parameters | None = None
        self._base: URL | None = None
        if url is not None:
            self.parse(str(url))

    def parse(self, url: str) -> URL:
        match = _URL.match(url)
        assert match is not None  # every part of the pattern is optional
        scheme, authority, path, query, fragment = match.group(2, 4, 5, 7, 9)
        if scheme is not None:
            self.scheme = scheme
        if path is not None:
            self.path = path
        if query is not None:
            self.query = query
        if fragment is not None:
            self.fragment = decode_utf8(url_unescape(fragment))
        if authority is not None:
            info, at, rest = authority.partition("@")
            if at and info:
                self.userinfo = decode_utf8(url_unescape(info))
                authority = rest
            self.host_port(authority)
        return self

    # -- the parts that are objects ------------------------------------------------------

    @property
    def path(self) -> Path:
        if self._path is None:
            self._path = Path()
        return self._path

    @path.setter
    def path(self, value: str | Path) -> None:
        if isinstance(value, Path):
            self._path = value
        else:
            self.path.merge(value)

    @property
    def query(self) -> Parameters:
        if self._query is None:
            self._query = Parameters()
        return self._query

    @query.setter
    def query(self, value: str | Parameters | Mapping[str, Any] | list | tuple) -> None:
        """A string or Parameters replaces; a mapping merges; a list of pairs appends (as Mojo)."""
        if isinstance(value, Parameters):
            self._query = value
        elif isinstance(value, Mapping):
            self.query.merge(value)
        elif isinstance(value, (list, tuple)):
            flat = [item for pair in value for item in (pair if isinstance(pair, (list, tuple)) else (pair,))]
            self.query.append(*flat)
        else:
            self.query.parse(value)

    @property
    def base(self) -> URL:
        if self._base is None:
            self._base = URL()
        return self._base

    @base.setter
    def base(self, value: str | URL) -> None:
        self._base = value if isinstance(value, URL) else URL(value)

    # -- computed -------------------------------------------------------------------------

    @property
    def protocol(self) -> str:
        return (self.scheme or "").lower()

    @property
    def is_abs(self) -> bool:
        return bool(self.scheme)

    @property
    def username(self) -> str | None:
        match = re.match(r"([^:]+)", self.userinfo or "")
        return match.group(1) if match else None

    @property
    def password(self) -> str | None:
        match = re.search(r":(.*)$", self.userinfo or "", re.S)
        return match.group(1) if match else None

    @perl_method
    def host_port(self, value: str | None = None) -> Any:
        """``host_port()``: ``host:port`` (host punycoded); ``host_port('h:1')`` sets both."""
        if value is not None:
            port = _PORT.search(value)
            if port:
                self.port = int(port.group(1))
                value = value[: port.start()]
            host = url_unescape(value)
            if host.isascii():
                self.host = host
            else:
                URL.ihost(self, host)
            return self
        host = URL.ihost(self)
        if host is None:
            return None
        return host if self.port is None else f"{host}:{self.port}"

    @perl_method
    def ihost(self, value: str | None = None) -> Any:
        """The host with non-ASCII labels punycoded (``xn--...``); a setter decodes them."""
        if value is not None:
            self.host = ".".join(
                _punycode_decode(label[4:]) if label.startswith("xn--") and len(label) > 4 else label
                for label in value.split(".")
            )
            return self
        host = self.host
        if host is None or host.isascii():
            return host
        return ".".join(
            label if label.isascii() else "xn--" + _punycode_encode(label) for label in host.split(".")
        )

    @perl_method
    def path_query(self, value: str | None = None) -> Any:
        """``path_query()``: the path and ``?query``; ``path_query('/a?b=c')`` sets both."""
        if value is not None:
            match = re.match(r"([^?#]*)(?:\?([^#]*))?", value)
            if match:
                self.path = match.group(1)
                if match.group(2) is not None:
                    self.query = match.group(2)
            return self
        query = str(self.query) if self._query is not None else ""
        path = str(self._path) if self._path is not None else ""
        return f"{path}?{query}" if query else path

    # -- copies and conversions -----------------------------------------------------------

    def clone(self) -> URL:
        copy = URL.__new__(URL)
        copy.scheme, copy.userinfo, copy.host = self.scheme, self.userinfo, self.host
        copy.port, copy.fragment = self.port, self.fragment
        copy._path = None if self._path is None else self._path.clone()
        copy._query = None if self._query is None else self._query.clone()
        copy._base = None if self._base is None else self._base.clone()
        return copy

    def to_abs(self, base: str | URL | None = None) -> URL:
        """This URL made absolute against ``base`` (or ``self.base``), as Mojo's ``to_abs``."""
        absolute = self.clone()
        if absolute.is_abs:
            return absolute
        base_url = (base if isinstance(base, URL) else URL(base)) if base is not None else absolute.base
        absolute.base = base_url
        absolute.scheme = base_url.scheme
        if absolute.host:
            return absolute
        absolute.userinfo, absolute.host, absolute.port = base_url.userinfo, base_url.host, base_url.port
        path = absolute.path
        if path.leading_slash:
            return absolute
        if not path.parts:
            absolute.path = base_url.path.clone().canonicalize()
            if not str(absolute.query):
                absolute.query = base_url.query.clone()
        else:
            absolute.path = base_url.path.clone().merge(path).canonicalize()
        return absolute

    @perl_method
    def to_string(self) -> str:
        return self._string(unsafe=False)

    @perl_method
    def to_unsafe_string(self) -> str:
        """The URL with its userinfo (``to_string`` leaves it out, as Mojo does)."""
        return self._string(unsafe=True)

    def _string(self, unsafe: bool) -> str:
        scheme = self.scheme
        url = scheme.lower() + ":" if scheme else ""
        host = self.host
        authority = None
        if host is not None:  # host_port(), escaped; inlined: this runs for every request
            if not host.isascii():
                host = URL.ihost(self)
            authority = _escape_authority(host if self.port is None else f"{host}:{self.port}")
        if unsafe and self.userinfo is not None:
            authority = url_escape(self.userinfo, _USERINFO_SAFE) + "@" + (authority or "")
        if authority is not None:
            url += "//" + authority
        path = "" if self._path is None else Path.to_string(self._path)
        query = "" if self._query is None else Parameters.to_string(self._query)
        if query:
            path += "?" + query
        if not authority or authority == "0" or not path or path[0] in "/?":  # Perl's truth of $auth
            url += path
        else:
            url += "/" + path
        if self.fragment is not None:
            url += "#" + url_escape(self.fragment, _FRAGMENT_SAFE)
        return url

    def __str__(self) -> str:
        return self._string(unsafe=False)

    def __repr__(self) -> str:
        return f"URL({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (URL, str)):
            return str(self) == str(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(str(self))


def _punycode_encode(label: str) -> str:
    return label.encode("punycode").decode("ascii")


def _punycode_decode(label: str) -> str:
    try:
        return label.encode("ascii").decode("punycode")
    except UnicodeError:
        return "xn--" + label  # Mojo would croak; an undecodable label is kept as it came
