"""TLS as Mojo::IOLoop::TLS sets it up: verified against the system's CAs unless ``insecure``.

``ca`` replaces the trusted CAs, ``cert``/``key`` present a client certificate, as
the user agent's attributes of the same names do in Mojo. Contexts are made once per
combination and shared (an ``SSLContext`` is safe to share between connections).
"""

from __future__ import annotations

import _ssl
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


# OpenSSL's names for the libraries a handshake error can come from (ERR_lib_error_string).
_LIBRARIES = {"SSL": "SSL routines", "X509": "x509 certificate routines", "SYS": "system library"}
# X509_V_ERR_HOSTNAME_MISMATCH, _EMAIL_MISMATCH, _IP_ADDRESS_MISMATCH: IO::Socket::SSL checks
# the name itself, in its verify callback, and says only this.
_NAME_MISMATCH = frozenset({62, 63, 64})


def failure_message(exc: BaseException) -> str:
    """IO::Socket::SSL's words for a failed handshake, as Mojo hands them on.

    ``SSL connect attempt failed`` and OpenSSL's error string for the error
    (``ERR_error_string``: ``error:0A000086:SSL routines::certificate verify failed``),
    newline included, as IO::Socket::SSL writes it; a certificate for another name
    is ``hostname verification failed``. Python's exception names the library and
    the reason; OpenSSL 3 packs the code as ``lib << 23 | reason`` and its reason
    text is the name in lower case (Python rewrites some texts, so the name is used).
    asyncio reports an EOF during the handshake as a bare ConnectionResetError.
    Where the string cannot be rebuilt (OpenSSL 1.1 names a function too), the
    reason in Python's words is given instead.
    """
    if isinstance(exc, ssl.SSLCertVerificationError) and exc.verify_code in _NAME_MISMATCH:
        return "hostname verification failed\n"
    library, reason = getattr(exc, "library", None), getattr(exc, "reason", None)
    if isinstance(exc, ConnectionResetError) and not exc.args:
        library, reason = "SSL", "UNEXPECTED_EOF_WHILE_READING"
    codes = getattr(_ssl, "err_names_to_codes", {}).get(reason) if isinstance(reason, str) else None
    if library and isinstance(reason, str) and codes and ssl.OPENSSL_VERSION_INFO >= (3,):
        lib_code, reason_code = codes
        code = (lib_code & 0xFF) << 23 | (reason_code & 0x7FFFFF)
        text = reason.lower().replace("_", " ")
        return f"SSL connect attempt failed error:{code:08X}:{_LIBRARIES.get(library, library)}::{text}\n"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"SSL connect attempt failed error:certificate verify failed ({exc.verify_message})"
    return f"SSL connect attempt failed {reason or exc}"
