"""JSON Pointer tokens (RFC 6901): ``~`` is written ``~0`` and ``/`` is written ``~1``.

One spelling for the whole package: error paths (JSON::Validator's), places in a
spec, ``$ref`` targets and ``res.json('/a/b')`` (Mojo::JSON::Pointer's) all use it.
"""

from __future__ import annotations

from collections.abc import Iterable


def escape(token: object) -> str:
    """One pointer token: ``a/b`` -> ``a~1b``, ``a~b`` -> ``a~0b``."""
    return str(token).replace("~", "~0").replace("/", "~1")


def unescape(token: str) -> str:
    """The key a pointer token names; ``~1`` before ``~0``, so ``~01`` stays ``~1``."""
    return token.replace("~1", "/").replace("~0", "~")


def join(tokens: Iterable[object]) -> str:
    """``('paths', '/a/{b}', 'get')`` -> ``/paths/~1a~1{b}/get``; no tokens -> ``""``."""
    return "".join("/" + escape(token) for token in tokens)
