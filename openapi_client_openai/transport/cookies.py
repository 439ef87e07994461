"""Mojo's cookie jar on ``http.cookiejar``: cookies a server sets are sent back, as Mojo's UA does.

``http.cookiejar`` speaks ``urllib.request`` objects; these two small views give it
our request and response instead (what ``requests.cookies`` does for its own).
"""

from __future__ import annotations

import urllib.parse
from http.cookiejar import CookieJar
from typing import Any

from ..transaction import Transaction


class _RequestView:
    """The part of ``urllib.request.Request`` that CookieJar reads and writes."""

    def __init__(self, tx: Transaction) -> None:
        self._tx = tx
        self._url = str(tx.req.url)
        parts = urllib.parse.urlsplit(self._url)
        self.type = parts.scheme or "http"
        self.host = parts.netloc.rpartition("@")[2]
        self.origin_req_host = parts.hostname or ""
        self.unverifiable = False

    def get_full_url(self) -> str:
        return self._url

    def get_host(self) -> str:
        return self.host

    def get_type(self) -> str:
        return self.type

    def get_origin_req_host(self) -> str:
        return self.origin_req_host

    def is_unverifiable(self) -> bool:
        return False

    def has_header(self, name: str) -> bool:
        return name in self._tx.req.headers

    def get_header(self, name: str, default: Any = None) -> Any:
        return self._tx.req.headers.get(name, default)

    def header_items(self) -> list[tuple[str, str]]:
        return self._tx.req.headers.items()

    def add_unredirected_header(self, name: str, value: str) -> None:
        self._tx.req.headers.set(name, value)


class _ResponseView:
    def __init__(self, tx: Transaction) -> None:
        self._headers = tx.res.headers

    def info(self) -> _ResponseView:
        return self

    def get_all(self, name: str, default: Any = None) -> list[str] | Any:
        return self._headers.every(name) or default


def add_cookie_header(jar: CookieJar, tx: Transaction) -> None:
    jar.add_cookie_header(_RequestView(tx))  # type: ignore[arg-type]


def collect(jar: CookieJar, tx: Transaction) -> None:
    jar.extract_cookies(_ResponseView(tx), _RequestView(tx))  # type: ignore[arg-type]
