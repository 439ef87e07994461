"""The on-disk cache of parsed specs: by content hash, private, atomic, self-checking.

Parsing OpenAI's 2 MB spec takes ~0.1-0.2 s; the cache, keyed by the SHA-256 of the
spec's bytes, makes later constructions cost milliseconds. It lives in
``$OPENAPI_CLIENT_OPENAI_CACHE`` (a directory, or ``0``/``off`` to switch it off),
else ``$XDG_CACHE_HOME/openapi-client-openai``, else ``~/.cache/openapi-client-openai``.
With no home directory to be found (``HOME`` unset and no passwd entry, as in a
container run as ``--user 1000``) nothing is written anywhere.
"""

from __future__ import annotations

import marshal
import os
import stat
import sys
from typing import Any

# Bump when the cached structure or the YAML typing rules change. marshal (safer and
# faster than pickle for plain data) is Python-version specific: the version is part of it.
CACHE_FORMAT = b"openapi-client-openai spec cache v4 py%d.%d\n" % sys.version_info[:2]
CACHE_ENV = "OPENAPI_CLIENT_OPENAI_CACHE"  # a directory, or "0"/"off" to disable
APP_DIR = "openapi-client-openai"


def home_dir() -> str | None:
    """The user's home directory: ``$HOME``, else the passwd entry's; None when neither is known.

    ``os.path.expanduser("~")`` would answer ``"~"`` then, a directory named ``~``
    under the working directory.
    """
    home = os.environ.get("HOME")
    if home and os.path.isabs(home):
        return home
    try:
        import pwd

        home = pwd.getpwuid(os.getuid()).pw_dir
    except (ImportError, KeyError, OSError):
        return None
    return home if home and os.path.isabs(home) else None


def user_cache_dir() -> str | None:
    """Where this package keeps files for the user (the fetched spec too), switched off or not."""
    setting = os.environ.get(CACHE_ENV, "")
    if setting and not _switched_off(setting):
        return setting
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    if os.path.isabs(xdg):  # the XDG spec: a relative value is ignored
        return os.path.join(xdg, APP_DIR)
    home = home_dir()
    return os.path.join(home, ".cache", APP_DIR) if home is not None else None


def cache_dir() -> str | None:
    """The parse cache's directory, or None when caching is switched off or there is no home."""
    if _switched_off(os.environ.get(CACHE_ENV, "")):
        return None
    return user_cache_dir()


def _switched_off(setting: str) -> bool:
    return setting.lower() in ("0", "off", "no", "false")


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


class Cache:
    """Parsed specs by content hash: the document, its index, and which file had which hash.

    Every file starts with a header naming the format, its key and a CRC of the rest;
    anything else (corrupt, foreign, from another Python) is ignored and rebuilt. Writes are
    atomic (a temporary file, then rename). Files are only read from a directory
    nobody else can write to.
    """

    def __init__(self, directory: str) -> None:
        self.directory = directory

    @classmethod
    def open(cls) -> Cache | None:
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
