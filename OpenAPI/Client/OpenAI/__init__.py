"""``OpenAPI::Client::OpenAI`` by its Perl name: ``OpenAPI.Client.OpenAI.new(...)``.

import OpenAPI.Client.OpenAI
client = OpenAPI.Client.OpenAI.new()     # $client = OpenAPI::Client::OpenAI->new;
tx = client.getRun(thread_id="thread_abc123", run_id="run_abc123")
"""

from __future__ import annotations

from typing import Any

from openapi_client_openai.openai import OpenAI

__all__ = ["OpenAI", "new"]


def new(spec: Any = None, *args: Any, **attrs: Any) -> OpenAI:
    """``OpenAPI::Client::OpenAI->new($spec, %attrs)``; the spec is optional."""
    return OpenAI(spec, *args, **attrs)


def __getattr__(name: str) -> Any:
    # ``OpenAPI.Client.OpenAI.Path`` works without importing it first, as in Perl.
    if name == "Path":
        import importlib

        return importlib.import_module(f"{__name__}.Path")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
