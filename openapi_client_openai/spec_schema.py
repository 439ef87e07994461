"""SpecSchema: what ``$client->validator`` returns in Perl, the spec as a JSON::Validator schema.

Perl programs call it to read their own spec: ``$client->validator->get('/info/title')``,
``->get(['paths', $path, $method])``, ``->data``, ``->routes``, ``->base_url``.
``get`` follows ``$ref`` as JSON::Validator::Schema's does (at every step, sibling
keys of a ``$ref`` laid over its target, unless the next token is ``$ref`` itself),
so the answers are Perl's; the tests compare them with the real JSON::Validator.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from typing import Any

from . import spec_refs
from .perl_method import perl_method
from .pointer import join, unescape
from .spec import Spec
from .url import URL

# OpenAPIv2::routes leaves these out: extensions and the path item's own fields.
_NOT_METHODS = frozenset({"description", "parameters", "servers", "summary"})

_SPECIFICATIONS = {
    "openapiv3": "https://spec.openapis.org/oas/3.0/schema/2019-04-02",
    "openapiv2": "http://swagger.io/v2/schema.json",
}

_by_spec: weakref.WeakKeyDictionary[Spec, SpecSchema] = weakref.WeakKeyDictionary()


class SpecSchema:
    """JSON::Validator::Schema::OpenAPIv3 (or v2) over a loaded :class:`Spec`."""

    def __init__(self, spec: Spec) -> None:
        self._spec = spec

    @classmethod
    def of(cls, spec: Spec) -> SpecSchema:
        """One schema object per spec, as Perl's generated class has one validator."""
        schema = _by_spec.get(spec)
        if schema is None:
            schema = _by_spec.setdefault(spec, cls(spec))
        return schema

    @property
    def data(self) -> Any:
        """The whole document, ``$ref`` nodes as written (Perl's ``$validator->data``)."""
        return self._spec.data

    @property
    def moniker(self) -> str:
        return "openapiv2" if str(self.data.get("swagger", "")).startswith("2") else "openapiv3"

    @property
    def specification(self) -> str:
        return _SPECIFICATIONS[self.moniker]

    @property
    def errors(self) -> list:
        """A spec that loaded has none (one that did not raised SpecError instead)."""
        return []

    @property
    def is_invalid(self) -> bool:
        return False

    def get(
        self, pointer: str | Sequence[str | None], callback: Callable[[Any, str], Any] | None = None
    ) -> Any:
        """The data at a JSON pointer (``'/paths/~1threads/post'``) or a list of keys
        (``['paths', '/threads', 'post']``), ``$ref`` followed; None when there is none.

        As in Perl: ``''`` is the whole document, a pointer that does not start
        with ``/`` finds nothing, trailing empty tokens are dropped (``'/a/'`` is
        ``'/a'``), and a None key in a list means every child (a list comes back).
        ``callback(value, path)`` gets the value and its JSON pointer instead.
        """
        if isinstance(pointer, str):
            if not pointer.startswith("/"):
                return None if pointer else self.data
            tokens: list[str | None] = list(_perl_split(pointer[1:]))
        else:
            tokens = list(pointer)
        return self._get(tokens, self.data, [], callback)

    def _get(self, tokens: list[str | None], node: Any, path: list[str], callback: Callable | None) -> Any:
        node = self._follow(node, tokens)
        while tokens:
            token = tokens.pop(0)
            if token is None:
                if isinstance(node, list):
                    children = [(child, str(i)) for i, child in enumerate(node)]
                elif isinstance(node, dict):
                    children = [(node[key], key) for key in sorted(node)]
                else:
                    children = [(node, "")]
                return [self._get(list(tokens), child, [*path, key], callback) for child, key in children]
            token = unescape(str(token))
            path.append(token)
            if isinstance(node, dict):
                if token not in node:
                    return None
                node = node[token]
            elif isinstance(node, list):
                if not (token.isascii() and token.isdigit() and int(token) < len(node)):
                    return None
                node = node[int(token)]
            else:
                return None
            node = self._follow(node, tokens)
        if callback is not None:
            return callback(node, _error_path(path))
        return node

    def _follow(self, node: Any, tokens: list[str | None]) -> Any:
        """JSON::Validator's follow_ref: ``$ref`` resolved, its siblings laid over the target
        (spec_refs' READ rule), link by link."""
        if tokens and tokens[0] == "$ref":
            return node
        seen: set[str] = set()
        while (ref := spec_refs.ref_of(node, spec_refs.READ)) is not None:
            if ref in seen:  # Perl would loop here for ever; a cycle ends where it closes
                break
            seen.add(ref)
            node = spec_refs.step(self._spec, node, spec_refs.READ)
        return node

    @perl_method
    def base_url(self, url: str | URL | None = None) -> Any:
        """The first server's URL (a new :class:`URL`); with an argument, set it (made absolute)."""
        if url is None:
            return URL(self.get("/servers/0/url") or "")
        absolute = (url if isinstance(url, URL) else URL(url)).to_abs(self.base_url())
        servers = self.data.setdefault("servers", [{}])
        servers[0]["url"] = str(absolute)
        return self

    def bundle(self) -> SpecSchema:
        """JSON::Validator's ``bundle``: one self-contained document. Specs here only have
        local references, which bundling leaves as they are, so it is the same document."""
        return SpecSchema(self._spec)

    def routes(self) -> list[dict[str, Any]]:
        """Every operation as ``{'method', 'operation_id', 'path'}``, in OpenAPIv2::routes' order."""
        weighted = []
        for path in self.get("/paths") or {}:
            if path.startswith("x-"):
                continue
            weight = "1" + "".join("0" if part.startswith("{") else "1" for part in _perl_split(path))
            weighted.append((int(weight), path))
        routes = []
        for _, path in sorted(weighted, key=lambda item: (-item[0], item[1])):
            item = self.get(["paths", path])
            if not isinstance(item, dict):
                continue
            for method in sorted(item):
                if method.startswith("x-") or method in _NOT_METHODS:
                    continue
                operation = item[method]
                operation_id = operation.get("operationId") if isinstance(operation, dict) else None
                routes.append({"method": method, "operation_id": operation_id, "path": path})
        return routes

    def __repr__(self) -> str:
        return f"<SpecSchema {self.moniker} {self._spec.source}>"


def _perl_split(text: str) -> list[str]:
    """Perl's ``split '/', $text``: trailing empty fields are dropped."""
    parts = text.split("/")
    while parts and parts[-1] == "":
        parts.pop()
    return parts


def _error_path(path: list[str]) -> str:
    """JSON::Validator::Error's path for a list of keys."""
    return join(path) or "/"
