"""OpenAI: OpenAPI::Client::OpenAI's layer over the generated client.

It reads ``OPENAI_API_KEY`` once, at construction (and refuses to start without it,
with Perl's message), adds ``Authorization: Bearer ...`` (and ``OpenAI-Beta:
assistants=v2`` with ``assistants=True``) when each request starts, so they win over
headers set in ``after_build_tx``, and adds the ``file_upload`` content generator:
``{'file': path, **fields}`` sent as multipart/form-data.
"""

from __future__ import annotations

import os
from types import MappingProxyType
from typing import Any, Self

from .client import Client
from .errors import MissingAPIKey, UnknownContent
from .message import Headers
from .request import URL, form_generator
from .spec import Spec, SpecSource, load_spec
from .transaction import Transaction


def file_upload(value: Any, method: str, url: URL, headers: Headers) -> bytes:
    """The module's ``file_upload`` generator: ``{'file': path, **fields}`` as multipart.

    The file is read from its path and named by its basename, as Mojo's ``form``
    does for ``{file => $path}``.
    """
    if not isinstance(value, dict):
        raise UnknownContent("file_upload expects a mapping such as {'file': path, 'purpose': ...}")
    return form_generator({**value, "file": {"file": value.get("file")}}, method, url, headers)


class OpenAI(Client):
    """Perl's ``OpenAPI::Client::OpenAI->new($spec, %attrs)``; the spec is optional."""

    generators = MappingProxyType({**Client.generators, "file_upload": file_upload})
    _api_key: str
    _request_headers: list[tuple[str, str]]

    def __new__(cls, spec: SpecSource | Spec = None, *args: Any, **attrs: Any) -> Self:
        key = _api_key()
        if not key:
            raise MissingAPIKey()  # checked before the spec is read, as in Perl
        client = super().__new__(cls, spec, *args, **attrs)
        client._api_key = key  # read once, at construction, as Perl reads it
        return client

    def __init__(
        self, spec: SpecSource | Spec = None, *args: Any, assistants: bool = False, **attrs: Any
    ) -> None:
        key = self._api_key
        if args and isinstance(args[0], dict) and "assistants" in args[0]:
            options = dict(args[0])
            assistants = bool(options.pop("assistants"))
            args = (options, *args[1:])
        super().__init__(spec, *args, **attrs)
        self._request_headers = [("Authorization", f"Bearer {key}")]
        if assistants:
            self._request_headers.append(("OpenAI-Beta", "assistants=v2"))
        self.ua.on("start", lambda ua, tx: _add_openai_headers(self, tx))

    @classmethod
    def _load_spec(cls, spec: SpecSource | Spec) -> Spec:
        return load_spec(spec)  # None: OPENAI_OPENAPI_SPEC, an installed Perl dist, or ours

    @property
    def assistants(self) -> bool:
        return any(name == "OpenAI-Beta" for name, _ in self._request_headers)


def _add_openai_headers(client: OpenAI, tx: Transaction) -> None:
    for name, value in client._request_headers:
        tx.req.headers.set(name, value)


def _api_key() -> str | None:
    """``$ENV{OPENAI_API_KEY}``: the environment's bytes, each as one character (Latin-1).

    Perl sends the key's bytes as they are; read as Latin-1 they go on the wire
    unchanged, whatever their encoding (UTF-8, or not text at all).
    """
    environb = getattr(os, "environb", None)
    if environb is not None:
        raw = environb.get(b"OPENAI_API_KEY")
        return raw.decode("latin-1") if raw is not None else None
    return os.environ.get("OPENAI_API_KEY")
