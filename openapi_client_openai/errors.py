"""The exceptions this package raises, kept in one tree so callers can catch them all.

    OpenAPIClientError
    ├── SpecError          the spec cannot be read, parsed or resolved (names file and place)
    ├── NoSuchOperation    an operation the spec lacks; also an AttributeError. ``call``
    │                      raises it and ``call_p`` rejects with it, as Perl's
    │                      "[OpenAPI::Client] No such operationId", to which it is equal
    ├── MissingAPIKey      OPENAI_API_KEY is unset (Perl croaks with the same message)
    ├── TransportError     no response (or a broken one): tx.result raises it (Perl croaks), and
    │                      a promise of a call rejects with it; equal to Perl's string
    ├── PromiseRejected    wait()/await on a promise rejected with a value that is not an exception
    ├── PromiseTimeout     wait(timeout) ran out before the promise settled; also a TimeoutError
    ├── LoopError          a wait that would block its own loop (ioloop.py); also a RuntimeError
    ├── ArgumentError      arguments a call cannot take (an unknown client attribute, a second
    │                      params dict, not a promise, an unknown docs format); also a
    │                      TypeError and a ValueError
    ├── NoSuchPage         docgen.get of a page the docs do not have; also a LookupError
    ├── UserAgentError     a user agent setting Mojo would refuse; also a ValueError
    ├── EncodeError        a value that cannot go on the wire (cycle, unknown type); also a TypeError
    ├── UnknownContent     a content keyword with no generator, or content of the wrong shape;
    │                      also a TypeError (request.py)
    ├── HeaderError        a header value Mojo would refuse (CR/LF, not Latin-1); also a ValueError
    └── UploadError        a file_upload path that cannot be read; also a FileNotFoundError

Invalid *input* is not an exception: like Perl, it gives an unsent transaction whose
response is a local 400 (see transaction.py).

Outside the tree, on purpose: Python's own contracts, which callers catch by their
Python names. KeyError from a mapping's ``[]`` (Headers), AttributeError for an
attribute that is not there (other than an operation: NoSuchOperation), an AttributeError
on writing to an Operation (it is frozen), and OSError from the file system where
docs or stubs are written.
"""

from __future__ import annotations


class OpenAPIClientError(Exception):
    """Base class of every error raised by openapi_client_openai."""


class SpecError(OpenAPIClientError):
    """The spec is unusable; the message names the source and the place in it."""

    def __init__(self, message: str, source: str = "", place: str = "") -> None:
        self.source = source
        self.place = place
        where = ": ".join(part for part in (source, place) if part)
        super().__init__(f"{where}: {message}" if where else message)


class NoSuchOperation(OpenAPIClientError, AttributeError):
    """An operation the spec in use does not have.

    ``call`` raises it with Perl's exact message (``str(exc)`` is ``PERL_MESSAGE``,
    as ``$client->call`` croaks) and ``call_p`` rejects with it (Perl rejects with that
    string); attribute access (``client.createChatCompletion``) raises one whose message
    names the operation, the spec file, its operation count and the commands that get
    OpenAI's whole API. Either way ``operation_id``, ``source``, ``operation_count``,
    ``hint`` and ``perl_message`` are there to read, and the error compares equal to
    Perl's string, so a ported ``if ($err eq '[OpenAPI::Client] No such operationId')``
    keeps working (as :class:`TransportError` does).
    """

    PERL_MESSAGE = "[OpenAPI::Client] No such operationId"
    HINT = (
        "for OpenAI's whole API run `openapi-client-openai spec fetch` once; "
        "`openapi-client-openai spec info` says which spec OpenAI() uses and why"
    )

    def __init__(
        self, operation_id: str = "", source: str = "", operation_count: int | None = None, *, owner: str = ""
    ) -> None:
        self.operation_id = operation_id
        self.source = source
        self.operation_count = operation_count
        self.perl_message = self.PERL_MESSAGE
        self.name = operation_id  # AttributeError's: Python suggests a near name from it
        if owner:
            message = f"{owner!r} object has no attribute {operation_id!r}: {self.detail}"
        else:
            message = self.PERL_MESSAGE
        super().__init__(message)

    @property
    def detail(self) -> str:
        """What is missing and from where, and how to get the rest (for people, not for parity)."""
        if not self.source:
            return f"no operation {self.operation_id!r}"
        count = "" if self.operation_count is None else f" has {self.operation_count} operations and"
        return f"the spec in use, {self.source},{count} has no operation {self.operation_id!r}; {self.HINT}"

    @property
    def hint(self) -> str:
        return self.HINT

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            return self.perl_message == other
        if isinstance(other, NoSuchOperation):
            return (self.operation_id, self.source) == (other.operation_id, other.source)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.perl_message)


class MissingAPIKey(OpenAPIClientError):
    """OPENAI_API_KEY is not set when the OpenAI client is constructed."""

    PERL_MESSAGE = "OPENAI_API_KEY environment variable must be set"

    def __init__(self) -> None:
        super().__init__(self.PERL_MESSAGE)


class TransportError(OpenAPIClientError):
    """No response was received, or it broke off (connection refused, timeout, closed early).

    ``message`` is Mojo's words (``Connection refused``, ``Inactivity timeout``...). Perl
    rejects a promise with that plain string, so a ported ``if ($err eq '...')`` keeps
    working: the error compares equal to its message.
    """

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)

    @property
    def reason(self) -> str:
        """What Perl's promise would have been rejected with."""
        return self.message

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            return self.message == other
        if isinstance(other, TransportError):
            return self.message == other.message
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.message)


class PromiseRejected(OpenAPIClientError):
    """Raised by ``wait`` and ``await`` for a promise rejected with a value that is not an exception.

    ``reason`` is that value (Mojo::Promise rejects with any value, often a string).
    """

    def __init__(self, reason: object) -> None:
        self.reason = reason
        super().__init__(reason)


class PromiseTimeout(OpenAPIClientError, TimeoutError):
    """``wait(timeout)`` ran out first; the promise is still pending and may settle later."""


class LoopError(OpenAPIClientError, RuntimeError):
    """A wait that cannot work where it was asked for (it would block its own loop)."""


class ArgumentError(OpenAPIClientError, TypeError, ValueError):
    """Arguments a call cannot take; a TypeError or a ValueError, as Python would call them."""


class NoSuchPage(OpenAPIClientError, LookupError):
    """A docs page the spec's docs do not have; the message suggests close names."""


class UserAgentError(OpenAPIClientError, ValueError):
    """A user agent setting Mojo::UserAgent would not take (a timeout of ``abc``, say)."""


class EncodeError(OpenAPIClientError, TypeError):
    """A parameter or body value cannot be encoded; ``field`` is its JSON pointer."""

    def __init__(self, message: str, field: str = "") -> None:
        self.field = field
        super().__init__(f"{field}: {message}" if field else message)


class UnknownContent(OpenAPIClientError, TypeError):
    """A content keyword that is neither a generator nor ``body``, or content of the wrong shape."""


class HeaderError(OpenAPIClientError, ValueError):
    """A header value Mojo::Headers would refuse; the message names the header, never the value."""


class UploadError(OpenAPIClientError, FileNotFoundError):
    """The file of a ``file_upload`` cannot be read (Perl: ``Can't open file "..."``)."""
