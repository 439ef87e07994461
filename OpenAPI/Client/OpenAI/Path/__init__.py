"""``OpenAPI::Client::OpenAI::Path::*`` by their Perl names: the per-path pages.

Perl users read ``perldoc OpenAPI::Client::OpenAI::Path::threads-thread_id-runs-run_id``;
here the same page comes from the spec in use::

    from OpenAPI.Client.OpenAI import Path
    page = Path.get("threads-thread_id-runs-run_id")   # or the Perl name, or the API path
    print(page.text)                                   # .pod, .text, .markdown, .name

and on the command line ``python -m OpenAPI.Client.OpenAI.Path threads-thread_id-runs-run_id``.
Without ``spec`` the spec is found as ``load_spec()`` finds it (OPENAI_OPENAPI_SPEC, an
installed Perl distribution's, then the bundled one).
"""

from __future__ import annotations

from openapi_client_openai.docgen import FORMATS, Document, documents, get
from openapi_client_openai.spec import SpecSource

__all__ = ["FORMATS", "Document", "get", "index", "names"]


def index(spec: SpecSource = None) -> Document:
    """The ``OpenAPI::Client::OpenAI::Path`` index page."""
    return documents(spec).index


def names(spec: SpecSource = None) -> list[str]:
    """The short names of all path pages, in spec order."""
    return list(documents(spec).pages)
