"""``OpenAPI::Client`` by its Perl name: ``OpenAPI.Client.new(spec, base_url=...)``."""

from __future__ import annotations

from typing import Any

from openapi_client_openai.client import Client

__all__ = ["Client", "new"]


def new(spec: Any, *args: Any, **attrs: Any) -> Client:
    """``OpenAPI::Client->new($spec, %attrs)``."""
    return Client(spec, *args, **attrs)
