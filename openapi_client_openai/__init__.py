"""openapi_client_openai: Perl's OpenAPI::Client::OpenAI, call for call, in Python.

from openapi_client_openai import OpenAI
client = OpenAI()                      # OPENAI_API_KEY must be set, as in Perl
tx = client.getRun(thread_id="thread_abc123", run_id="run_abc123")
tx.res.json("/status")
"""

from __future__ import annotations

from .client import Client
from .errors import (
    ArgumentError,
    EncodeError,
    HeaderError,
    LoopError,
    MissingAPIKey,
    NoSuchOperation,
    NoSuchPage,
    OpenAPIClientError,
    PromiseRejected,
    PromiseTimeout,
    SpecError,
    TransportError,
    UnknownContent,
    UploadError,
    UserAgentError,
)
from .headers import Headers
from .ioloop import IOLoop
from .message import Request, Response
from .openai import OpenAI
from .promise import Promise
from .transaction import Transaction
from .url import URL
from .useragent import UserAgent

__version__ = "0.1.0"

__all__ = [
    "URL",
    "ArgumentError",
    "Client",
    "EncodeError",
    "HeaderError",
    "Headers",
    "IOLoop",
    "LoopError",
    "MissingAPIKey",
    "NoSuchOperation",
    "NoSuchPage",
    "OpenAI",
    "OpenAPIClientError",
    "Promise",
    "PromiseRejected",
    "PromiseTimeout",
    "Request",
    "Response",
    "SpecError",
    "Transaction",
    "TransportError",
    "UnknownContent",
    "UploadError",
    "UserAgent",
    "UserAgentError",
]
