"""The Spec: a parsed OpenAPI document, where it came from, and its operations.

A spec is loaded from a path, a ``file://`` or ``http(s)://`` URL, a mapping, or by
discovery. The jobs around it live beside this module: parsing with YAML::XS's
typing (spec_yaml.py), following ``$ref`` (spec_refs.py), discovery
(spec_discovery.py), structural checks (spec_checks.py), the on-disk cache
(spec_cache.py) and ``spec fetch`` (spec_fetch.py).

The parsed document keeps its ``$ref`` objects (JSON::Validator merges a ``$ref``'s
siblings into the target, so the validator needs to see both).
"""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Callable, Mapping
from typing import Any

from . import spec_refs
from .errors import SpecError
from .spec_cache import Cache
from .spec_discovery import BUNDLED_SPEC, discover_spec
from .spec_yaml import parse

__all__ = ["BUNDLED_SPEC", "Spec", "SpecSource", "load_spec"]

SpecSource = str | os.PathLike | Mapping[str, Any] | None


class Spec:
    """A parsed OpenAPI document and where it came from.

    From the cache, a spec starts with only its index (operations and server URL);
    the document itself is read on first use, so constructing a client costs little.
    """

    def __init__(
        self,
        data: dict | None,
        source: str,
        digest: str,
        index: dict | None = None,
        loader: Callable[[], dict] | None = None,
    ) -> None:
        self._data = data
        self._index = index
        self._loader = loader
        self.source = source
        self.digest = digest
        self._operations = None
        self.ref_ends: dict[str, Any] = {}  # spec_refs.follow's memo of chain ends

    def __repr__(self) -> str:
        return f"<Spec {self.source} {self.digest[:12]}>"

    @property
    def data(self) -> dict:
        if self._data is None:
            self._data = self._loader() if self._loader is not None else {}
        return self._data

    @property
    def operations(self):  # -> OperationTable (operations.py imports this module)
        if self._operations is None:
            from .operations import OperationTable

            if self._data is None and self._index is not None:
                self._operations = OperationTable(self, self._index["operations"])
            else:
                self._operations = OperationTable(self)
        return self._operations

    @property
    def server_url(self) -> str:
        """The first server's URL, as JSON::Validator's ``base_url`` reads it."""
        if self._data is None and self._index is not None:
            return self._index["server_url"]
        servers = self.data.get("servers")
        if isinstance(servers, list) and servers and isinstance(servers[0], dict):
            url = servers[0].get("url")
            if isinstance(url, str):
                return url
        return ""

    def index(self) -> dict:
        """What a client needs at construction, small enough to cache apart from the document."""
        entries = [(op.operation_id, op.method, op.path, op.snake_name) for op in self.operations.values()]
        return {"operations": entries, "server_url": self.server_url}

    def pointer(self, ref: str, place: str = "") -> Any:
        """The node a local ``#/...`` reference points at, not followed further."""
        return spec_refs.target(self, ref, place)

    def resolve(self, node: Any, place: str = "") -> Any:
        """A node with its ``$ref`` chain followed as JSON::Validator reads the document.

        The referrer's other keys win over the target's (``Schema::get``; see spec_refs.py).
        """
        return spec_refs.follow(self, node, spec_refs.READ, place)

    def get(self, pointer: str) -> Any:
        """JSON::Validator's ``get``: the node at ``/a/b``, ``$ref``s followed; None if none."""
        return spec_refs.get(self, pointer)


def load_spec(source: SpecSource | Spec = None) -> Spec:
    """Load a spec from a path, a ``file://``/``http(s)://`` URL, a mapping, or by discovery."""
    if isinstance(source, Spec):
        return source
    if isinstance(source, Mapping):
        import json

        try:  # a private copy (the caller may go on changing its mapping), in its key order
            data = json.loads(json.dumps(source))
            canonical = json.dumps(source, sort_keys=True)
        except (TypeError, ValueError, RecursionError) as exc:
            raise SpecError(f"the mapping is not JSON data: {exc}", "<mapping>") from None
        digest = sha256(canonical.encode())
        return _checked(data, "<mapping>", digest)
    name = discover_spec() if source is None else os.fspath(source)
    cache = Cache.open()
    local = _local_path(name)
    if cache is not None and local is not None:
        known = cache.digest_of(local)
        index = cache.read(known, "index") if known else None
        if known and isinstance(index, dict):
            return Spec(None, name, known, index=index, loader=lambda: _document(local, known))
    raw = read_source(name)
    digest = sha256(raw)
    data = cache.read(digest, "document") if cache is not None else None
    if isinstance(data, dict):
        spec = Spec(data, name, digest)
    else:
        spec = _checked(parse(raw, name), name, digest)
        if cache is not None:
            cache.write(digest, "document", spec.data)
    if cache is not None:
        remember(spec, local, cache)
    return spec


def load_bytes(raw: bytes, name: str) -> Spec:
    """A spec from bytes already read (``spec fetch``): parsed and checked, errors naming ``name``."""
    return _checked(parse(raw, name), name, sha256(raw))


def remember(spec: Spec, local: str | None, cache: Cache | None = None) -> None:
    """Put a loaded spec in the on-disk cache, and which file had its content when ``local`` is given."""
    cache = cache or Cache.open()
    if cache is None:
        return
    if cache.read(spec.digest, "document") is None:
        cache.write(spec.digest, "document", spec.data)
    cache.write(spec.digest, "index", spec.index())
    if local is not None:
        cache.remember(os.path.realpath(local), spec.digest)


def sha256(raw: bytes) -> str:
    import hashlib

    return hashlib.sha256(raw).hexdigest()


def _local_path(name: str) -> str | None:
    scheme = urllib.parse.urlsplit(name).scheme.lower()
    if scheme in ("http", "https"):
        return None
    if scheme == "file":
        from urllib.request import url2pathname

        return os.path.realpath(url2pathname(urllib.parse.urlsplit(name).path))
    return os.path.realpath(name)


def _document(name: str, digest: str) -> dict:
    """The document of a spec made from its cached index: from the cache, else re-read."""
    cache = Cache.open()
    data = cache.read(digest, "document") if cache is not None else None
    if isinstance(data, dict):
        return data
    raw = read_source(name)
    if sha256(raw) != digest:
        raise SpecError("the spec changed after the client was made; make a new client", name)
    data = parse(raw, name)
    if cache is not None:
        cache.write(digest, "document", data)  # the cached copy was missing or corrupt
    return data


def read_source(name: str, limit: int = -1) -> bytes:
    """The bytes of a spec file or URL; a SpecError naming it when they cannot be read.

    With a ``limit``, more bytes than that is an error too (nothing past it is read).
    """
    scheme = urllib.parse.urlsplit(name).scheme.lower()
    try:
        if scheme in ("http", "https"):
            from urllib.request import urlopen

            with urlopen(name, timeout=40) as response:
                raw = response.read(limit + 1 if limit >= 0 else -1)
        else:
            path = name
            if scheme == "file":
                from urllib.request import url2pathname

                path = url2pathname(urllib.parse.urlsplit(name).path)
            with open(path, "rb") as handle:
                raw = handle.read(limit + 1 if limit >= 0 else -1)
    except (OSError, ValueError) as exc:  # ValueError: a URL urllib cannot even parse
        reason = getattr(exc, "strerror", None) or getattr(exc, "reason", None) or exc
        raise SpecError(f"cannot read spec: {reason}", name) from None
    if 0 <= limit < len(raw):
        raise SpecError(f"larger than {limit} bytes: not a spec", name)
    return raw


def _checked(data: Any, name: str, digest: str) -> Spec:
    if not isinstance(data, dict):
        raise SpecError(f"the document root must be an object, got {type(data).__name__}", name)
    from .spec_checks import check_document

    spec = Spec(data, name, digest)
    check_document(spec)
    return spec
