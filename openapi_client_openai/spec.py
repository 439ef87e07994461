"""Load an OpenAPI document, check its local ``$ref``s, and cache the parse on disk.

This is the only module that imports ``yaml``. The parsed document keeps its
``$ref`` objects (JSON::Validator merges a ``$ref``'s sibling keywords into the
target, so the validator needs to see both); :meth:`Spec.resolve` follows them.

Parsing OpenAI's 2 MB spec takes ~0.35 s with libyaml; the on-disk cache, keyed by
the SHA-256 of the spec's bytes, makes later constructions cost milliseconds.
"""

from __future__ import annotations

import marshal
import os
import re
import stat
import sys
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from functools import lru_cache
from typing import Any, Union

from .errors import SpecError

SpecSource = Union[str, os.PathLike, Mapping[str, Any], None]

BUNDLED_SPEC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "openapi.yaml")
PERL_DIST = "OpenAPI-Client-OpenAI"

# Bump when the cached structure or the YAML typing rules change. marshal (safer and
# faster than pickle for plain data) is Python-version specific: the version is part of it.
CACHE_FORMAT = b"openapi-client-openai spec cache v4 py%d.%d\n" % sys.version_info[:2]
CACHE_ENV = "OPENAPI_CLIENT_OPENAI_CACHE"  # a directory, or "0"/"off" to disable


@lru_cache(maxsize=1)
def _yaml_loader() -> type:
    """A YAML loader typing scalars as YAML::XS does, so spec values mean what they mean to Perl.

    Hand-written because PyYAML follows YAML 1.1 (``yes``/``on`` are booleans,
    ``2024-01-01`` a date, ``0x1F`` an integer) while YAML::XS, which JSON::Validator
    uses, only knows ``true``/``false``/``null``/``~`` and plain decimal numbers.
    Built on first use, so a start from the cache never imports yaml.
    """
    import yaml

    base = yaml.CSafeLoader if hasattr(yaml, "CSafeLoader") else yaml.SafeLoader

    class PerlYamlLoader(base):  # type: ignore[misc, valid-type]
        pass

    PerlYamlLoader.yaml_implicit_resolvers = {}

    resolvers = [
        ("bool", r"^(?:true|false)$", "tf"),
        ("null", r"^(?:~|null|)$", ["~", "n", ""]),
        ("int", r"^-?(?:0|[1-9][0-9]*)$", "-0123456789"),
        ("float", r"^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?$", "-0123456789"),
    ]
    for tag, pattern, first in resolvers:
        PerlYamlLoader.add_implicit_resolver(f"tag:yaml.org,2002:{tag}", re.compile(pattern), list(first))
    PerlYamlLoader.add_constructor("tag:yaml.org,2002:float", _construct_perl_float)
    PerlYamlLoader.add_constructor("tag:yaml.org,2002:int", _construct_perl_int)
    PerlYamlLoader.add_constructor("tag:yaml.org,2002:timestamp", yaml.SafeLoader.construct_yaml_str)
    return PerlYamlLoader


def _construct_perl_float(loader: Any, node: Any) -> float | str:
    # YAML::XS keeps "1.0" or "0.10" a string: only text that reads back the same is a number.
    text = loader.construct_scalar(node)
    number = float(text)
    return number if "%.15g" % number == text else text  # noqa: UP031 (Perl's own format)


def _construct_perl_int(loader: Any, node: Any) -> int | str:
    text = loader.construct_scalar(node)
    return int(text) if str(int(text)) == text else text  # "-0" stays text too


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
        """The node a local ``#/...`` reference points at."""
        if not ref.startswith("#"):
            raise SpecError(f"only local $ref are supported, got {ref!r}", self.source, place)
        node: Any = self.data
        for token in _pointer_tokens(ref[1:]):
            if isinstance(node, dict) and token in node:
                node = node[token]
            elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
                node = node[int(token)]
            else:
                raise SpecError(f"$ref {ref!r} does not resolve", self.source, place)
        return node

    def resolve(self, node: Any, place: str = "") -> Any:
        """Follow a chain of ``$ref``s to the node it ends at (siblings are not merged)."""
        seen = []
        while isinstance(node, dict) and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            if ref in seen:
                raise SpecError(f"$ref cycle: {' -> '.join([*seen, ref])}", self.source, place)
            seen.append(ref)
            node = self.pointer(ref, place)
        return node


def _pointer_tokens(pointer: str) -> Iterator[str]:
    if not pointer:
        return
    if not pointer.startswith("/"):
        raise SpecError(f"bad JSON pointer {pointer!r}")
    for token in pointer[1:].split("/"):
        yield urllib.parse.unquote(token).replace("~1", "/").replace("~0", "~")


def load_spec(source: SpecSource = None) -> Spec:
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
        digest = _sha256(canonical.encode())
        return _checked(data, "<mapping>", digest)
    if source is None:
        source = discover_spec()
    name = os.fspath(source)
    cache = _Cache.open()
    local = _local_path(name)
    if cache is not None and local is not None:
        digest = cache.digest_of(local)
        index = cache.read(digest, "index") if digest else None
        if digest and isinstance(index, dict):
            return Spec(None, name, digest, index=index, loader=lambda: _document(local, digest))
    raw = _read(name)
    digest = _sha256(raw)
    data = cache.read(digest, "document") if cache is not None else None
    if isinstance(data, dict):
        spec = Spec(data, name, digest)
    else:
        spec = _checked(_parse(raw, name), name, digest)
        if cache is not None:
            cache.write(digest, "document", spec.data)
    if cache is not None:
        cache.write(digest, "index", spec.index())
        if local is not None:
            cache.remember(local, digest)
    return spec


def _sha256(raw: bytes) -> str:
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
    cache = _Cache.open()
    data = cache.read(digest, "document") if cache is not None else None
    if isinstance(data, dict):
        return data
    raw = _read(name)
    if _sha256(raw) != digest:
        raise SpecError("the spec changed after the client was made; make a new client", name)
    data = _parse(raw, name)
    if cache is not None:
        cache.write(digest, "document", data)  # the cached copy was missing or corrupt
    return data


def discover_spec() -> str:
    """Where the spec comes from when none is given (DESIGN.md's order)."""
    from_env = os.environ.get("OPENAI_OPENAPI_SPEC")
    if from_env:
        return from_env
    perl_share = perl_distribution_spec()
    if perl_share:
        return perl_share
    return BUNDLED_SPEC


@lru_cache(maxsize=1)
def perl_distribution_spec() -> str | None:
    """The ``openapi.yaml`` of an installed Perl OpenAPI-Client-OpenAI, if any.

    File::ShareDir keeps a distribution's files in ``<@INC dir>/auto/share/dist/<dist>/``;
    we ask the local perl for its @INC rather than guess the layout.
    """
    import subprocess

    try:
        out = subprocess.run(
            ["perl", "-e", 'print join "\\n", @INC'],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    for inc in out.splitlines():
        candidate = os.path.join(inc, "auto", "share", "dist", PERL_DIST, "openapi.yaml")
        if os.path.isfile(candidate):
            return candidate
    return None


def _read(name: str) -> bytes:
    scheme = urllib.parse.urlsplit(name).scheme.lower()
    try:
        if scheme in ("http", "https"):
            from urllib.request import urlopen

            with urlopen(name, timeout=40) as response:
                return response.read()
        if scheme == "file":
            from urllib.request import url2pathname

            name = url2pathname(urllib.parse.urlsplit(name).path)
        with open(name, "rb") as handle:
            return handle.read()
    except OSError as exc:
        reason = getattr(exc, "strerror", None) or getattr(exc, "reason", None) or exc
        raise SpecError(f"cannot read spec: {reason}", name) from None


def _parse(raw: bytes, name: str) -> Any:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SpecError(f"not UTF-8 text (byte {exc.start})", name) from None
    if text.lstrip().startswith("{"):
        import json

        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            place = f"line {exc.lineno} column {exc.colno}"
            raise SpecError(f"invalid JSON: {exc.msg}", name, place) from None
        except RecursionError:
            raise SpecError("invalid JSON: nested too deeply", name) from None
    import gc

    import yaml

    collecting = gc.isenabled()
    gc.disable()  # a third of a large parse is the collector walking PyYAML's nodes: no cycles there
    try:
        return yaml.load(text, Loader=_yaml_loader())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        place = f"line {mark.line + 1} column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise SpecError(f"invalid YAML: {problem}", name, place) from None
    except RecursionError:
        raise SpecError("invalid YAML: nested too deeply", name) from None
    finally:
        if collecting:
            gc.enable()


def _checked(data: Any, name: str, digest: str) -> Spec:
    """A spec whose every ``$ref`` resolves, every schema keyword we compile is usable,
    and every operation is well formed; else a SpecError naming the place."""
    if not isinstance(data, dict):
        raise SpecError(f"the document root must be an object, got {type(data).__name__}", name)
    spec = Spec(data, name, digest)
    resolved: dict[str, Any] = {}
    for place, node, is_data in _nodes(data, name):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref not in resolved:  # JSON::Validator resolves them all
            resolved[ref] = _resolve_once(spec, ref, f"{place}/$ref", resolved)
        if not is_data:
            _check_keywords(node, name, place)
    _ = spec.operations  # duplicate and colliding operationIds are spec errors too
    return spec


def _resolve_once(spec: Spec, ref: str, place: str, resolved: dict[str, Any]) -> Any:
    """Follow a ``$ref`` chain, reusing chains already followed: a long chain stays linear."""
    chain = []
    node: Any = {"$ref": ref}
    while isinstance(node, dict) and isinstance(node.get("$ref"), str):
        current = node["$ref"]
        if current in resolved and current != ref:
            node = resolved[current]
            break
        if current in chain:
            raise SpecError(f"$ref cycle: {' -> '.join([*chain, current])}", spec.source, place)
        chain.append(current)
        node = spec.pointer(current, place)
    for link in chain:
        resolved[link] = node
    return node


def _check_keywords(node: dict, name: str, place: str) -> None:
    # Keywords the validator compiles: refuse here, with the place, what would fail a call.
    pattern = node.get("pattern")
    if isinstance(pattern, str):
        _compiles(pattern, name, f"{place}/pattern")
    patterns = node.get("patternProperties")
    if isinstance(patterns, dict):
        for key in patterns:
            _compiles(str(key), name, f"{place}/patternProperties")
    divisor = node.get("multipleOf")
    if divisor is not None and not isinstance(divisor, (dict, list)):
        if isinstance(divisor, bool) or not isinstance(divisor, (int, float)) or divisor <= 0:
            if divisor not in (0, "", "0", False):  # Perl skips a false multipleOf
                raise SpecError(
                    f"multipleOf must be a number above 0, got {divisor!r}", name, f"{place}/multipleOf"
                )


def _compiles(pattern: str, name: str, place: str) -> None:
    try:
        re.compile(pattern)
    except (re.error, RecursionError, OverflowError) as exc:
        raise SpecError(
            f"pattern {pattern!r} is not a regular expression we can use: {exc}", name, place
        ) from None


_DATA_KEYS = frozenset({"example", "examples", "default", "enum", "const"})


def _nodes(root: Any, name: str) -> Iterator[tuple[str, dict, bool]]:
    """Every object of the document with its JSON pointer, each visited once, and
    whether it is data (under an example, default, enum, const or an ``x-`` key).

    Iterative, so depth is no limit; YAML aliases may share nodes (visited once: an
    alias bomb stays small) but not contain themselves (a SpecError).
    """
    done: set[int] = set()
    open_nodes: set[int] = set()
    stack: list[tuple[str, Any, bool, bool]] = [("", root, False, False)]
    while stack:
        place, node, leaving, is_data = stack.pop()
        key = id(node)
        if leaving:
            open_nodes.discard(key)
            done.add(key)
            continue
        if key in open_nodes:
            raise SpecError("a YAML alias makes the document contain itself", name, place or "/")
        if key in done:
            continue
        open_nodes.add(key)
        stack.append((place, node, True, is_data))
        if isinstance(node, dict):
            yield place, node, is_data
            children: Any = node.items()
        else:
            children = enumerate(node)
        for child_key, value in children:
            if isinstance(value, (dict, list)):
                token = str(child_key).replace("~", "~0").replace("/", "~1")
                data = is_data or (
                    isinstance(child_key, str) and (child_key in _DATA_KEYS or child_key.startswith("x-"))
                )
                stack.append((f"{place}/{token}", value, False, data))


# -- the on-disk cache -------------------------------------------------------------


def cache_dir() -> str | None:
    """The cache directory, or None when caching is switched off."""
    setting = os.environ.get(CACHE_ENV, "")
    if setting.lower() in ("0", "off", "no", "false"):
        return None
    if setting:
        return setting
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "openapi-client-openai")


def _private(path: str, want_dir: bool) -> bool:
    """True if only we could have written ``path``: a planted cache file could crash or fool us."""
    try:
        info = os.lstat(path)
    except OSError:
        return False
    if want_dir != stat.S_ISDIR(info.st_mode) or (not want_dir and not stat.S_ISREG(info.st_mode)):
        return False
    return info.st_uid == os.getuid() and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _crc32(payload: bytes) -> int:
    import zlib

    return zlib.crc32(payload)


class _Cache:
    """Parsed specs by content hash: the document, its index, and which file had which hash.

    Every file starts with a header naming the format, its key and a CRC of the rest;
    anything else (corrupt, foreign, from another Python) is ignored and rebuilt. Writes are
    atomic (a temporary file, then rename). Files are only read from a directory
    nobody else can write to.
    """

    def __init__(self, directory: str) -> None:
        self.directory = directory

    @classmethod
    def open(cls) -> _Cache | None:
        directory = cache_dir()
        return cls(directory) if directory is not None else None

    def _file(self, key: str, kind: str) -> str:
        return os.path.join(self.directory, f"{key}.{kind}")

    def read(self, key: str, kind: str) -> Any:
        path = self._file(key, kind)
        if not (_private(self.directory, True) and _private(path, False)):
            return None
        header = CACHE_FORMAT + f"{kind} {key} ".encode()
        try:
            with open(path, "rb") as handle:
                blob = handle.read()
            if not blob.startswith(header):
                return None
            start = blob.index(b"\n", len(header)) + 1
            payload = blob[start:]
            if blob[len(header) : start - 1] != b"%08x" % _crc32(payload):
                return None  # damaged: a flipped byte would otherwise be believed
            return marshal.loads(payload)
        except (ValueError, EOFError, TypeError, OSError):  # junk is ignored, and rebuilt
            return None

    def write(self, key: str, kind: str, value: Any) -> None:
        try:
            os.makedirs(self.directory, mode=0o700, exist_ok=True)
            if not _private(self.directory, True):
                return
            import tempfile

            payload = marshal.dumps(value)
            blob = CACHE_FORMAT + f"{kind} {key} {_crc32(payload):08x}\n".encode() + payload
            fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=f".{kind}")
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(blob)
                os.replace(tmp, self._file(key, kind))
            except BaseException:
                os.unlink(tmp)
                raise
        except (OSError, ValueError, RecursionError):
            return  # a read-only or full cache directory only costs speed

    @staticmethod
    def _file_key(path: str) -> str:
        # A short name for a path (the path itself is stored and compared): hashlib
        # would cost more to import than everything else a cached start does.
        import zlib

        raw = path.encode("utf-8", "surrogateescape")
        return f"{zlib.crc32(raw):08x}{zlib.adler32(raw):08x}"

    @staticmethod
    def _identity(path: str) -> tuple | None:
        try:
            info = os.stat(path)
        except OSError:
            return None
        return (info.st_size, info.st_mtime_ns, info.st_ino, info.st_dev)

    def digest_of(self, path: str) -> str | None:
        """The content hash of a file we hashed before, if it has not changed since."""
        remembered = self.read(self._file_key(path), "source")
        identity = self._identity(path)
        if isinstance(remembered, tuple) and len(remembered) == 3 and identity is not None:
            if remembered[:2] == (path, identity) and isinstance(remembered[2], str):
                return remembered[2]
        return None

    def remember(self, path: str, digest: str) -> None:
        identity = self._identity(path)
        if identity is not None:
            self.write(self._file_key(path), "source", (path, identity, digest))
