"""Transaction: one request and its response, with Mojo's ``error`` and ``result`` rules."""

from __future__ import annotations

from typing import Any

from .errors import TransportError
from .message import Headers, Request, Response
from .perl_data import encode_json


class Transaction:
    """A request and its response (Mojo::Transaction::HTTP).

    ``error`` is None for 1xx-3xx; ``{'message': reason, 'code': N}`` for 4xx/5xx;
    ``{'message': 'Invalid input', 'code': 400}`` for input the spec rejects (nothing
    was sent); ``{'message': 'Connection refused'}`` (no code) when no response came.
    """

    __slots__ = ("_error", "is_sent", "req", "res")

    def __init__(self, req: Request, res: Response | None = None, error: dict | None = None) -> None:
        self.req = req
        self.res = res if res is not None else Response()
        self._error = error
        self.is_sent = True  # False for the local 400 of invalid input: nothing went on the wire

    @classmethod
    def invalid_input(cls, req: Request, errors: list[dict]) -> Transaction:
        """The unsent transaction OpenAPI::Client returns for invalid input."""
        body = encode_json({"errors": errors})  # as Mojo::JSON writes it, "\/" and all
        res = Response(400, "Bad Request", Headers([("Content-Type", "application/json")]), body)
        tx = cls(req, res, {"message": "Invalid input", "code": 400})
        tx.is_sent = False
        return tx

    def fail(self, message: str) -> Transaction:
        """No response came (connection refused, timeout, ...): Mojo's error, no code."""
        self.res = Response()
        self._error = {"message": message}
        return self

    @property
    def error(self) -> dict | None:
        if self._error is not None:
            return dict(self._error)
        code = self.res.code
        if code is not None and code >= 400:
            return {"message": self.res.message, "code": code}
        return None

    @property
    def result(self) -> Response:
        """The response; raises TransportError only when none was received."""
        error = self.error
        if error and not error.get("code"):
            raise TransportError(error["message"])
        return self.res

    def __repr__(self) -> str:
        status: Any = self.res.code if self.res.code is not None else (self.error or {}).get("message")
        return f"<Transaction {self.req.method} {self.req.url} -> {status}>"
