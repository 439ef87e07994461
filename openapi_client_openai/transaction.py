"""Transaction: one request and its response, with Mojo's ``error`` and ``result`` rules."""

from __future__ import annotations

from typing import Any

from .errors import TransportError
from .message import Headers, Request, Response
from .perl_data import encode_json


def connection_addresses(sock: Any) -> tuple[str, int, str, int] | None:
    """(remote address, remote port, local address, local port) of a connected socket."""
    try:
        peer, local = sock.getpeername(), sock.getsockname()
    except (OSError, AttributeError):
        return None
    return peer[0], peer[1], local[0], local[1]


class TxError(dict[str, Any]):
    """``tx.error``: a dict whose missing keys read as None, as a Perl hash's do.

    ``$tx->error->{code}`` is undef for a transport error; ``tx.error['code']`` is
    None here, not a KeyError.
    """

    def __missing__(self, key: Any) -> None:
        return None


class Transaction:
    """A request and its response (Mojo::Transaction::HTTP).

    ``error`` is None for 1xx-3xx; ``{'message': reason, 'code': N}`` for 4xx/5xx;
    ``{'message': 'Invalid input', 'code': 400}`` for input the spec rejects (nothing
    was sent); ``{'message': 'Connection refused'}`` (no code) when no response came,
    or when the response broke off (the code and partial body are kept then).
    """

    __slots__ = (
        "is_sent",
        "local_address",
        "local_port",
        "previous",
        "remote_address",
        "remote_port",
        "req",
        "res",
    )

    def __init__(self, req: Request, res: Response | None = None, error: dict | None = None) -> None:
        self.req = req
        self.res = res if res is not None else Response()
        if error is not None:
            self.res.error = error
        self.is_sent = True  # False for the local 400 of invalid input: nothing went on the wire
        self.previous: Transaction | None = None  # the transaction this one is a redirect of
        # Mojo's addresses of the connection the transaction went over (None: it did not).
        self.remote_address: str | None = None
        self.remote_port: int | None = None
        self.local_address: str | None = None
        self.local_port: int | None = None

    def _connected(self, sock: Any) -> None:
        """Note the connection's addresses, as Mojo::UserAgent does when it starts writing."""
        addresses = connection_addresses(sock)
        if addresses is not None:
            self.remote_address, self.remote_port, self.local_address, self.local_port = addresses

    @classmethod
    def invalid_input(cls, req: Request, errors: list[dict]) -> Transaction:
        """The unsent transaction OpenAPI::Client returns for invalid input."""
        body = encode_json({"errors": errors})  # as Mojo::JSON writes it, "\/" and all
        res = Response(400, "Bad Request", Headers([("Content-Type", "application/json")]), body)
        tx = cls(req, res, {"message": "Invalid input", "code": 400})
        tx.is_sent = False
        return tx

    def fail(self, message: str) -> Transaction:
        """The transfer failed (connection refused, timeout, ...): Mojo's error, no code.

        What had arrived stays, as in Mojo: a timeout in the middle of a body keeps the
        status and the partial body beside the error.
        """
        self.res.error = {"message": message}
        self.res.finished = True
        return self

    @property
    def error(self) -> TxError | None:
        error = self.res.error
        if error is not None:
            return TxError(error)
        code = self.res.code
        if code is not None and 400 <= code < 600:
            return TxError(message=self.res.message, code=code)
        return None

    @property
    def result(self) -> Response:
        """The response; raises TransportError only when the transfer failed."""
        error = self.res.error
        if error is not None and not error.get("code"):
            raise TransportError(error["message"])
        return self.res

    @property
    def is_finished(self) -> bool:
        return self.res.finished

    def __repr__(self) -> str:
        error = self.error
        status: Any = self.res.code if self.res.code is not None else error and error.get("message")
        return f"<Transaction {self.req.method.upper()} {self.req.url} -> {status}>"
