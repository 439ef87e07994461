"""What every fault scenario needs, made once: Perl warmed up in this process (children
inherit it), the Python clients' spec loaded, and throwaway TLS certificates."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from ..conftest import BUNDLED_SPEC, require


@pytest.fixture(scope="session")
def certs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[str, str]]:
    """Two self-signed certificates made now: one for 127.0.0.1, one for another name."""
    require(shutil.which("openssl") is not None, "the openssl command is not installed")
    where = tmp_path_factory.mktemp("tls")
    out = {}
    for name, names in (("cert", "IP:127.0.0.1,DNS:localhost"), ("other_cert", "DNS:other.invalid")):
        cert, key = where / f"{name}.pem", where / f"{name}.key"
        subprocess.run(
            [
                *("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"),
                *("-nodes", "-keyout", str(key), "-out", str(cert), "-subj", "/CN=fault-suite", "-days", "1"),
                *("-addext", f"subjectAltName={names}"),
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )
        out[name] = (str(cert), str(key))
    return out


@pytest.fixture(scope="session")
def warmed(perl_env: dict) -> None:
    """Load everything a call touches, here, once: each scenario's children start warm.

    The Perl clients' classes (OpenAI and plain) are generated per spec and process;
    IO::Socket::SSL and the zlib binding load on first use; our spec and ssl likewise.
    JSON::Validator's cache path is made absolute first (children change directory).
    """
    from perl_compat.bridge import PerlClient
    from perl_compat.interpreter import available, get_interpreter

    status = available()
    require(bool(status), f"libperl cannot be embedded here: {status.reason}")
    os.environ["JSON_VALIDATOR_CACHE_PATH"] = str(Path(perl_env["JSON_VALIDATOR_CACHE_PATH"]).resolve())
    os.environ.setdefault("OPENAI_API_KEY", "sk-warm-up")
    PerlClient(BUNDLED_SPEC, mode="embedded").close()
    PerlClient(BUNDLED_SPEC, mode="embedded", client_class="OpenAPI::Client").close()
    get_interpreter().eval(
        "require IO::Socket::SSL; require Compress::Raw::Zlib; require Mojo::IOLoop::TLS; 1"
    )

    import ssl  # noqa: F401

    from openapi_client_openai import Client, OpenAI

    OpenAI(BUNDLED_SPEC)
    Client(BUNDLED_SPEC)
