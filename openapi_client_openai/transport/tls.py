"""TLS as Mojo::IOLoop::TLS sets it up: verified against the system's CAs unless ``insecure``.

``ca`` replaces the trusted CAs, ``cert``/``key`` present a client certificate, as
the user agent's attributes of the same names do in Mojo. Contexts are made once per
combination and shared (an ``SSLContext`` is safe to share between connections).
"""

from __future__ import annotations

import functools
import ssl


@functools.lru_cache(maxsize=32)
def context(insecure: bool, ca: str | None, cert: str | None, key: str | None) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=ca) if ca else ssl.create_default_context()
    if insecure:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if cert:
        ctx.load_cert_chain(cert, key or None)
    return ctx


def failure_message(exc: BaseException) -> str:
    """Words for a failed handshake, shaped like IO::Socket::SSL's (``SSL connect attempt failed ...``)."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"SSL connect attempt failed error:certificate verify failed ({exc.verify_message})"
    reason = getattr(exc, "reason", None) or str(exc)
    return f"SSL connect attempt failed {reason}"
