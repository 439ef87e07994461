"""``openapi-client-openai spec fetch [URL]`` and ``spec info``: OpenAI's whole API, one command away.

Perl's distribution ships OpenAI's spec; we may not, so a fresh ``OpenAI()`` has only
the bundled runs endpoints. ``spec fetch`` downloads the spec (default: the official
openai-openapi repository's YAML; any URL or file), checks that it loads as a client
would load it, and stores it atomically in the user's cache with its SHA-256, where
discovery finds it (spec_discovery.py). ``spec info`` says which spec a plain
``OpenAI()`` would use and why.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

from .errors import SpecError
from .spec import load_bytes, load_spec, read_source, remember, sha256
from .spec_discovery import (
    BUNDLED_SPEC,
    FETCHED_NAME,
    PERL_DIST,
    SPEC_ENV,
    discover,
    fetched_dir,
    fetched_spec_path,
    perl_distribution_spec,
)

DEFAULT_URL = "https://raw.githubusercontent.com/openai/openai-openapi/master/openapi.yaml"
MAX_BYTES = 64 * 1024 * 1024  # OpenAI's spec is ~2 MB; a bigger answer is not a spec
RECORD_NAME = "openapi.fetched.json"


def fetch(url: str = DEFAULT_URL) -> dict[str, Any]:
    """Download, check and store a spec; what was stored, as :func:`fetched_record` reads it back."""
    raw = read_source(url, limit=MAX_BYTES)
    spec = load_bytes(raw, url)  # parsed and checked as OpenAI() would: a broken spec is not stored
    directory = fetched_dir()
    if directory is None:
        raise SpecError(
            "no home directory to keep it in: set OPENAPI_CLIENT_OPENAI_CACHE or XDG_CACHE_HOME, "
            f"or point {SPEC_ENV} at a spec file",
            url,
        )
    path = os.path.join(directory, FETCHED_NAME)
    record = {
        "url": url,
        "sha256": spec.digest,
        "bytes": len(raw),
        "operations": len(spec.operations),
        "title": _info(spec.data, "title"),
        "version": _info(spec.data, "version"),
        "fetched_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
        os.replace(_write_atomically(directory, ".spec-", raw), path)
        record_file = _write_atomically(directory, ".record-", json.dumps(record, indent=2).encode() + b"\n")
        os.replace(record_file, os.path.join(directory, RECORD_NAME))
    except OSError as exc:
        raise SpecError(f"cannot store the spec: {exc.strerror or exc}", directory) from None
    remember(spec, path)  # the parse is cached for the stored file: the first OpenAI() is fast
    return {"path": path, **record}


def fetched_record() -> dict[str, Any] | None:
    """What ``spec fetch`` wrote about the stored spec, or None."""
    directory = fetched_dir()
    if directory is None:
        return None
    try:
        with open(os.path.join(directory, RECORD_NAME), encoding="utf-8") as handle:
            record = json.load(handle)
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def info() -> list[tuple[str, str]]:
    """(label, text) lines: the spec a plain ``OpenAI()`` uses, why, and what else was looked at."""
    chosen = discover()
    lines = [("spec", chosen.source), ("why", chosen.reason)]
    try:
        spec = load_spec(chosen.source)
        title = " ".join(part for part in (_info(spec.data, "title"), _info(spec.data, "version")) if part)
        lines.append(("operations", f"{len(spec.operations)}" + (f" ({title})" if title else "")))
        lines.append(("sha256", spec.digest))
    except SpecError as exc:
        lines.append(("error", str(exc)))
    fetched = fetched_spec_path()
    record = fetched_record()
    if record is not None and fetched is not None and os.path.isfile(fetched):
        same = _file_sha256(fetched) == record.get("sha256")
        state = "unchanged since" if same else "CHANGED since it was"
        lines.append(
            ("fetched", f"{fetched}, {state} fetched from {record.get('url')} at {record.get('fetched_at')}")
        )
    else:
        where = fetched or "no home directory"
        lines.append(("fetched", f"none (it would be {where}): run `openapi-client-openai spec fetch`"))
    lines.append((f"${SPEC_ENV}", os.environ.get(SPEC_ENV) or "not set"))
    lines.append((f"Perl {PERL_DIST}", perl_distribution_spec() or "not installed"))
    lines.append(("bundled", BUNDLED_SPEC))
    return lines


def _info(data: dict, key: str) -> str:
    value = data.get("info", {}).get(key) if isinstance(data.get("info"), dict) else None
    return str(value) if value is not None else ""


def _file_sha256(path: str) -> str | None:
    try:
        with open(path, "rb") as handle:
            return sha256(handle.read())
    except OSError:
        return None


def _write_atomically(directory: str, prefix: str, payload: bytes) -> str:
    """A new file holding ``payload``, flushed to disk; the caller renames it into place."""
    import tempfile

    fd, path = tempfile.mkstemp(dir=directory, prefix=prefix, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        _unlink(path)
        raise
    return path


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
