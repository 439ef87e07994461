"""How a transfer ends, on every path: Mojo::UserAgent's ``_finish`` and the keep-alive rule."""

from __future__ import annotations

from ..message import Request, Response
from ..transaction import Transaction

UNSUPPORTED = "Unsupported protocol: {}"


class Failure(Exception):
    """The transfer failed with Mojo's words for it (``message``)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


PREMATURE_CLOSE = "Premature connection close"


def finish(tx: Transaction, closed: bool = False) -> Transaction:
    """Close the books on ``tx`` as Mojo does once its connection is done with it.

    A connection that closed before any status line came is a premature close; an
    answer that is an HTTP error becomes ``res.error`` with its code (after any
    transport error, which it replaces, as in Mojo).
    """
    res = tx.res
    res.finished = True
    if closed and res.code is None and res.error is None:
        res.error = {"message": PREMATURE_CLOSE}
    if res.code is not None and 400 <= res.code < 600:
        res.error = {"message": res.message, "code": res.code}
    return tx


def keep_alive(req: Request, res: Response) -> bool:
    """Mojo::Transaction::HTTP::keep_alive: may this connection carry the next request?"""
    req_conn = (req.headers.get("Connection") or "").lower()
    res_conn = (res.headers.get("Connection") or "").lower()
    if req_conn == "close" or res_conn == "close":
        return False
    if res.version == "1.0":
        return res_conn == "keep-alive"
    return True
