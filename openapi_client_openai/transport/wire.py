"""The request as Mojo::UserAgent writes it, and where it goes; no I/O.

Mojo::Message::Request's ``fix_headers`` adds ``Host``, ``Content-Length`` (also
``0`` for a GET: OpenAPI::Client's method is the spec's lower-case ``get``, which
Mojo's "drop a zero length for GET" test does not match) and ``Authorization:
Basic`` from a ``user:pass@`` in the URL, to the request's own headers, as the
caller then sees them. Mojo::Headers writes names in sorted order, one line per
value. A proxied ``http`` request names the absolute URL; ``https`` goes through a
``CONNECT`` tunnel (see the engines).
"""

from __future__ import annotations

import base64
import re
import urllib.parse
from typing import NamedTuple

from ..errors import HeaderError
from ..message import Request
from ..url import URL

DEFAULT_PORTS = {"http": 80, "https": 443}


class Target(NamedTuple):
    """Where one request goes: the origin, the request-target, and the proxy if any."""

    scheme: str  # as written in the URL, lower-cased ("" when the URL has none)
    host: str  # without brackets for IPv6
    port: int
    host_port: str  # the Host header: host, and the port when the URL names one
    path_query: str  # the origin-form request-target
    userinfo: str | None
    absolute: str  # the URL without userinfo and fragment (the proxy request-target)

    @property
    def key(self) -> str:
        """Connections are shared between requests with the same key (Mojo: ``proto:host:port``)."""
        return f"{self.scheme}:{self.host}:{self.port}"


class Proxy(NamedTuple):
    """A proxy to go through (Mojo::UserAgent::Proxy's choice for one request)."""

    scheme: str
    host: str
    port: int
    userinfo: str | None

    @classmethod
    def parse(cls, url: str) -> Proxy:
        parts = urllib.parse.urlsplit(url if "://" in url else f"http://{url}")
        scheme = parts.scheme.lower()
        host = parts.hostname or ""
        try:
            port = parts.port
        except ValueError:
            port = None
        userinfo = parts.netloc.rpartition("@")[0] or None if "@" in parts.netloc else None
        return cls(scheme, host, port or DEFAULT_PORTS.get(scheme, 80), userinfo)

    @property
    def key(self) -> str:
        return f"{self.scheme}:{self.host}:{self.port}"


_SCHEME = re.compile(r"^([^:/?#]+):")


def target(url: str | URL) -> Target:
    """Split a request URL (already escaped as Mojo escapes it) into what the wire needs.

    A URL object gives its userinfo too (its ``str`` leaves it out, as Mojo's
    ``to_string`` does), for the ``Authorization: Basic`` Mojo makes of it. A URL
    with a scheme but no ``//`` (``127.0.0.1:8080/v1``) has that scheme, as in
    Mojo::URL, and so an unsupported protocol.
    """
    if not isinstance(url, str):
        url = url.to_unsafe_string()
    scheme, separator, rest = url.partition("://")
    if not separator:
        loose = _SCHEME.match(url)
        if loose is not None:
            scheme = loose.group(1).lower()
            return Target(scheme, "", 0, "", "/" + url[loose.end() :].lstrip("/"), None, url)
    scheme = scheme.lower() if separator else ""
    if separator:
        slash = len(rest)
        for mark in "/?#":
            index = rest.find(mark)
            if 0 <= index < slash:
                slash = index
        authority, tail = rest[:slash], rest[slash:]
    else:
        authority, tail = "", url
    userinfo, _, hostport = authority.rpartition("@")
    host, port_text = _split_host_port(hostport)
    port = None
    if port_text:
        port = int(port_text) if port_text.isdigit() else -1
    path_query = tail.split("#", 1)[0]
    if not path_query.startswith("/"):
        path_query = "/" + path_query
    shown_host = f"[{host}]" if ":" in host else host
    host_port = shown_host if port is None else f"{shown_host}:{port_text}"
    absolute = f"{scheme}://{host_port}{path_query}" if scheme else path_query
    return Target(
        scheme=scheme,
        host=host,
        port=port if port is not None else DEFAULT_PORTS.get(scheme, 80),
        host_port=host_port,
        path_query=path_query,
        userinfo=urllib.parse.unquote(userinfo) if userinfo else None,
        absolute=absolute,
    )


def _split_host_port(hostport: str) -> tuple[str, str]:
    if hostport.startswith("["):
        end = hostport.find("]")
        if end > 0:
            rest = hostport[end + 1 :]
            return hostport[1:end], rest[1:] if rest.startswith(":") else ""
    host, _, port = hostport.partition(":")
    return host, port


def fix_headers(req: Request, where: Target, proxy: Proxy | None) -> None:
    """Mojo::Message::Request::fix_headers: what Mojo adds to a request before writing it."""
    headers = req.headers
    if not headers.get("Content-Length"):
        headers.set("Content-Length", str(req.body_size))
    if headers.get("Content-Length") == "0" and req.method == "GET":
        headers.remove("Content-Length")
    if not headers.get("Host"):
        headers.set("Host", where.host_port)
    if where.userinfo and not headers.get("Authorization"):
        headers.set("Authorization", "Basic " + _b64(where.userinfo))
    if proxy is not None and proxy.userinfo and not headers.get("Proxy-Authorization"):
        headers.set("Proxy-Authorization", "Basic " + _b64(proxy.userinfo))


def _b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8", "surrogateescape")).decode("ascii")


def head_bytes(req: Request, where: Target, proxy: Proxy | None) -> bytes:
    """The start line and headers, as Mojo writes them (names sorted, a line per value)."""
    fix_headers(req, where, proxy)
    path = where.absolute if proxy is not None and where.scheme == "http" else where.path_query
    lines = [f"{req.method.upper()} {path} HTTP/1.1"]
    pairs = req.headers.items()
    pairs.sort(key=lambda pair: pair[0].lower())
    for name, value in pairs:
        if "\r" in value or "\n" in value:
            raise HeaderError(f"Invalid characters in {name} header")
        lines.append(f"{name}: {value}")
    lines.append("\r\n")
    try:
        return "\r\n".join(lines).encode("latin-1")
    except UnicodeEncodeError:
        bad = next(n for n, v in pairs if not _latin1(v))
        raise HeaderError(f"Invalid characters in {bad} header (not Latin-1)") from None


def _latin1(text: str) -> bool:
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


def connect_head(where: Target, proxy: Proxy) -> bytes:
    """The ``CONNECT host:port`` request that opens a tunnel through a proxy for https."""
    lines = [
        f"CONNECT {where.host_port if ':' in where.host_port else f'{where.host_port}:{where.port}'} HTTP/1.1"
    ]
    headers = [("Connection", "keep-alive"), ("Host", where.host_port)]
    if proxy.userinfo:
        headers.append(("Proxy-Authorization", "Basic " + _b64(proxy.userinfo)))
    headers.append(("User-Agent", "Mojo-OpenAPI (Python)"))
    headers.sort(key=lambda pair: pair[0].lower())
    lines += [f"{name}: {value}" for name, value in headers]
    lines.append("\r\n")
    return "\r\n".join(lines).encode("latin-1")
