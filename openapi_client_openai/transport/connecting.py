"""Opening a connection as Mojo does: IO::Socket::IP's non-blocking connect, Mojo's words.

One sequence for both engines, which differ only in how they wait for a socket to
become writable (``select`` on the blocking path, the event loop on the other):
each resolved address in turn; an address that fails at once is skipped, one that
fails later names its error; if every one failed at once, Mojo reports the socket
as not connected (IO::Socket::IP hands Mojo a socket whose connect never started).
"""

from __future__ import annotations

import errno
import os
import socket
from collections.abc import Generator

from .finish import Failure

IN_PROGRESS = (errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EAGAIN)
DEFAULT_ADDRESS = "127.0.0.1"  # Mojo::IOLoop::Client's address when the URL has no host


def resolve_failure(exc: BaseException) -> Failure:
    """A name that did not resolve, in Mojo's words (``Can't connect: <reason>``)."""
    if isinstance(exc, socket.gaierror):
        return Failure(f"Can't connect: {exc.strerror}")
    return Failure("Can't connect: Name or service not known")  # not even a valid name


def attempts(infos: list) -> Generator[socket.socket, None, socket.socket]:
    """Connect to the first address that takes it.

    Yields each socket whose connect is under way: the driver sends once it is
    writable (or raises the timer's Failure into the generator). Returns the
    connected socket (Nagle off, as Mojo sets it); raises Failure otherwise.
    """
    last_error = None
    waited = False
    for family, kind, proto, _, address in infos:
        try:
            sock = socket.socket(family, kind, proto)
        except OSError as exc:
            last_error = exc.errno
            continue
        try:
            sock.setblocking(False)
            code = sock.connect_ex(address)
            if code in IN_PROGRESS:
                waited = True
                yield sock
                code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if code == 0:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                return sock
            last_error = code
        except BaseException:
            sock.close()
            raise
        sock.close()
    if not waited or last_error is None:
        raise Failure(os.strerror(errno.ENOTCONN))
    raise Failure(os.strerror(last_error))
