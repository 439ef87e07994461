"""The exceptions this package raises, kept in one tree so callers can catch them all.

    OpenAPIClientError
    ├── SpecError          the spec cannot be read, parsed or resolved (names file and place)
    ├── NoSuchOperation    unknown operationId (Perl: "[OpenAPI::Client] No such operationId")
    ├── MissingAPIKey      OPENAI_API_KEY is unset (Perl croaks with the same message)
    ├── TransportError     tx.result on a transaction that got no response (Perl croaks)
    ├── EncodeError        a value that cannot go on the wire (cycle, unknown type); also a TypeError
    ├── UnknownContent     a content keyword with no generator, or content of the wrong shape;
    │                      also a TypeError (request.py)
    ├── HeaderError        a header value Mojo would refuse (CR/LF, not Latin-1); also a ValueError
    └── UploadError        a file_upload path that cannot be read; also a FileNotFoundError

Invalid *input* is not an exception: like Perl, it gives an unsent transaction whose
response is a local 400 (see transaction.py).
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
    """Raised by ``call`` for an unknown operationId, with Perl's exact message."""

    PERL_MESSAGE = "[OpenAPI::Client] No such operationId"

    def __init__(self, operation_id: str = "") -> None:
        self.operation_id = operation_id
        super().__init__(self.PERL_MESSAGE)


class MissingAPIKey(OpenAPIClientError):
    """OPENAI_API_KEY is not set when the OpenAI client is constructed."""

    PERL_MESSAGE = "OPENAI_API_KEY environment variable must be set"

    def __init__(self) -> None:
        super().__init__(self.PERL_MESSAGE)


class TransportError(OpenAPIClientError):
    """No response was received (connection refused, timeout, closed early)."""


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
