"""The pages of one spec, found by Perl name or by path, rendered on demand.

A page is only built when asked for (``help()`` on one method must not pay for
170), and everything built is kept per spec digest: the same spec text gives
the same pages, whichever ``Spec`` object carries it.
"""

from __future__ import annotations

import difflib
import textwrap
import threading
from collections import OrderedDict
from collections.abc import Callable
from functools import cached_property

from ..errors import ArgumentError, NoSuchPage
from ..operations import Operation
from ..spec import Spec
from .layout import index_blocks, method_blocks, page_blocks
from .markdown import render_markdown
from .model import PERL_NAMESPACE, Method, PathPage, build_index, build_method, colophon, page_names
from .pod import render_pod
from .text import render_text

FORMATS = ("pod", "text", "md")
EXTENSIONS = {"pod": ".pod", "text": ".txt", "md": ".md"}


class Document:
    """One page: ``.name`` (its Perl name) and ``.pod``, ``.text``, ``.markdown``."""

    def __init__(self, name: str, path: str | None, build: Callable[[], list]) -> None:
        self.name = name
        self.path = path  # the API path, None for the index
        self._build = build

    def __repr__(self) -> str:
        return f"<Document {self.name}>"

    @property
    def short_name(self) -> str:
        """The name's last part (``threads-thread_id``); ``Path`` for the index."""
        return self.name.rsplit("::", 1)[-1]

    @cached_property
    def blocks(self) -> list:
        return self._build()

    @cached_property
    def pod(self) -> str:
        return render_pod(self.blocks)

    @cached_property
    def text(self) -> str:
        return render_text(self.blocks)

    @cached_property
    def markdown(self) -> str:
        return render_markdown(self.blocks)

    def render(self, fmt: str) -> str:
        """The page in one of FORMATS (``pod``, ``text``, ``md``)."""
        if fmt == "pod":
            return self.pod
        if fmt == "text":
            return self.text
        if fmt in ("md", "markdown"):
            return self.markdown
        raise ArgumentError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")


class DocumentSet:
    """The index and the path pages of one spec, in spec order."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self._grouped = spec.operations.by_path()
        self._names = page_names(list(self._grouped))
        self._methods: dict = {}
        self._docstrings: dict = {}
        self._lock = threading.Lock()
        self.index = Document(PERL_NAMESPACE, None, lambda: index_blocks(build_index(spec)))
        self.pages = OrderedDict(
            (name, Document(f"{PERL_NAMESPACE}::{name}", path, self._page_builder(path, name)))
            for path, name in self._names.items()
        )

    def __iter__(self):
        yield self.index
        yield from self.pages.values()

    def __len__(self) -> int:
        return 1 + len(self.pages)

    def method(self, operation: Operation) -> Method:
        with self._lock:
            found = self._methods.get(operation.operation_id)
        if found is None:
            found = build_method(self.spec, operation)
            with self._lock:
                self._methods[operation.operation_id] = found
        return found

    def _page_builder(self, path: str, name: str) -> Callable[[], list]:
        def build() -> list:
            methods = tuple(self.method(op) for op in self._grouped[path])
            return page_blocks(
                PathPage(f"{PERL_NAMESPACE}::{name}", name, path, methods, colophon(self.spec))
            )

        return build

    def find(self, name_or_path: str) -> Document:
        """A page by short name, full Perl name, or API path; LookupError names close matches."""
        key = name_or_path.strip()
        if key in (PERL_NAMESPACE, "", "Path"):
            return self.index
        if key.startswith(PERL_NAMESPACE + "::"):
            key = key[len(PERL_NAMESPACE) + 2 :]
        if key in self.pages:
            return self.pages[key]
        if key in self._names:
            return self.pages[self._names[key]]
        if "/" + key.lstrip("/") in self._names:
            return self.pages[self._names["/" + key.lstrip("/")]]
        candidates = list(self.pages) + list(self._names)
        close = difflib.get_close_matches(key, candidates, n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise NoSuchPage(f"no page {name_or_path!r} in the docs of {self.spec.source}{hint}")

    def docstring(self, operation: Operation) -> str:
        found = self._docstrings.get(operation.operation_id)
        if found is None:
            text = textwrap.dedent(render_text(method_blocks(self.method(operation))))
            page = f"{PERL_NAMESPACE}::{self._names[operation.path]}"
            # The last line sits at column 0, so inspect.cleandoc (help()) keeps the layout.
            found = self._docstrings.setdefault(
                operation.operation_id, f"{text.rstrip()}\n\nFull page: {page}\n"
            )
        return found


_SETS: OrderedDict = OrderedDict()
_SETS_LOCK = threading.Lock()
_KEEP = 4


def document_set(spec: Spec) -> DocumentSet:
    """The (cached) pages of a spec, keyed by the digest of its text."""
    with _SETS_LOCK:
        found = _SETS.get(spec.digest)
        if found is not None:
            _SETS.move_to_end(spec.digest)
            return found
    made = DocumentSet(spec)
    with _SETS_LOCK:
        found = _SETS.setdefault(spec.digest, made)
        while len(_SETS) > _KEEP:
            _SETS.popitem(last=False)
    return found
