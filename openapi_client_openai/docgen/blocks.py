"""The vocabulary every page is written in: POD's own structures, as plain data.

Pages are built once as these blocks and then serialised three ways (POD, the
text ``pod2text`` makes of that POD, Markdown), so the three formats cannot
drift apart. The set is deliberately POD's: headings, paragraphs of inline
spans, verbatim blocks and ``=over`` lists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# -- inline spans --------------------------------------------------------------


@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class Code:
    """``C<...>``: literal text, never holding other spans."""

    text: str


@dataclass(frozen=True)
class Emph:
    children: tuple


@dataclass(frozen=True)
class Strong:
    children: tuple


@dataclass(frozen=True)
class Link:
    """``L<text|url>``; with no children the URL is its own text."""

    children: tuple
    url: str


@dataclass(frozen=True)
class PageLink:
    """``L<Page::Name>``: another page of these docs; ``href`` is its Markdown file, relatively."""

    name: str
    href: str


Inline = Text | Code | Emph | Strong | Link | PageLink

# -- blocks --------------------------------------------------------------------


@dataclass(frozen=True)
class Heading:
    level: int  # 1..4, as =head1..=head4
    inlines: tuple


@dataclass(frozen=True)
class Paragraph:
    inlines: tuple


@dataclass(frozen=True)
class Verbatim:
    text: str
    language: str = ""  # a hint for Markdown fences: "json", "perl", "python"


@dataclass(frozen=True)
class Item:
    blocks: tuple


@dataclass(frozen=True)
class ItemList:
    """``=over 4`` with ``=item *`` (start None) or ``=item 1.``, ``=item 2.``..."""

    items: tuple
    start: int | None = None


@dataclass(frozen=True)
class Indented:
    """``=over 4`` without items: a block quote."""

    blocks: tuple


Block = Heading | Paragraph | Verbatim | ItemList | Indented

# -- text hygiene --------------------------------------------------------------

# Anything pod2text would treat differently from a plain space (tabs, NBSP,
# line and paragraph separators, control characters) becomes one, so that all
# three renderers agree on where words break.
_ODD_SPACE = re.compile(r"[\s\x00-\x1f\x7f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+")
_SOFT_HYPHEN = "\xad"


def clean_text(text: str) -> str:
    """Inline text with every whitespace run folded to one space."""
    return _ODD_SPACE.sub(" ", text.replace(_SOFT_HYPHEN, ""))


def clean_verbatim(text: str) -> str:
    """Verbatim text: tabs expanded, odd spaces plain, no trailing blank lines."""
    lines = []
    for line in text.expandtabs(8).replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = re.sub(r"[\x00-\x08\x0b-\x1f\x7f\x85\xa0\u2028\u2029]", " ", line.replace(_SOFT_HYPHEN, ""))
        lines.append(line.rstrip())
    while lines and not lines[-1].strip():
        lines.pop()
    while lines and not lines[0].strip():
        lines.pop(0)
    return "\n".join(lines)


def plain(inlines: tuple) -> str:
    """The bare text of some spans (for names, comparisons and search)."""
    parts = []
    for span in inlines:
        if isinstance(span, (Text, Code)):
            parts.append(span.text)
        elif isinstance(span, Link):
            parts.append(plain(span.children) if span.children else span.url)
        elif isinstance(span, PageLink):
            parts.append(span.name)
        else:
            parts.append(plain(span.children))
    return "".join(parts)


def text(value: str) -> tuple:
    """A one-span inline tuple, the common case."""
    return (Text(clean_text(value)),) if value else ()
