"""Per-path documentation, as Perl's OpenAPI::Client::OpenAI ships it, for any spec.

    from openapi_client_openai import docgen
    page = docgen.get("threads-thread_id-runs-run_id")   # or the Perl name, or the path
    print(page.text)                                     # as perldoc shows the POD
    docgen.write_docs("openapi.yaml", "out/")             # .pod, .txt and .md files

Modules: blocks (the POD-shaped vocabulary), markdown_pod (spec Markdown into
it), schemas and usage (type lines and call samples), model (the pages as
data), layout (their sections), pod / text / markdown (the three renderers),
pages (lookup and caching), files (writing the tree).
"""

from __future__ import annotations

import os
from pathlib import Path

from ..operations import Operation
from ..spec import Spec, SpecSource, load_spec
from .files import write_set
from .pages import EXTENSIONS, FORMATS, Document, DocumentSet, document_set

__all__ = ["EXTENSIONS", "FORMATS", "Document", "documents", "get", "operation_docstring", "write_docs"]


def documents(spec: SpecSource | None = None) -> DocumentSet:
    """All pages of a spec (default: the one ``load_spec()`` discovers): index first, then paths."""
    return document_set(spec if isinstance(spec, Spec) else load_spec(spec))


def get(name_or_path: str, spec: SpecSource | None = None) -> Document:
    """One page by short name, full Perl name or API path; LookupError names close matches."""
    return documents(spec).find(name_or_path)


def operation_docstring(operation: Operation) -> str:
    """The plain-text section of one operation, for the generated method's ``__doc__``."""
    return document_set(operation.spec).docstring(operation)


def write_docs(spec_source: SpecSource, out_dir: os.PathLike, formats=FORMATS) -> list[Path]:
    """Write every page of a spec under ``out_dir``; SpecError for a bad spec, OSError naming the path."""
    return write_set(documents(spec_source), out_dir, formats)
