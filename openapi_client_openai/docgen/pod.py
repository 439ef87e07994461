"""Blocks written as POD that podchecker passes without errors or warnings.

``<`` and ``>`` are always written ``E<lt>``/``E<gt>`` (so no text can open a
formatting code), a ``|`` in link text is ``E<verbar>``, and a line that would
start with ``=`` or a paragraph that would start with a space is guarded with
``Z<>``. Paragraphs are wrapped at 78 columns, only at spaces outside
formatting codes, which POD treats like any other space.
"""

from __future__ import annotations

import re

from .blocks import (
    Code,
    Emph,
    Heading,
    Indented,
    ItemList,
    Link,
    PageLink,
    Paragraph,
    Strong,
    Text,
    Verbatim,
    plain,
)

WIDTH = 78


def render_pod(blocks: list) -> str:
    paragraphs = ["=encoding UTF-8"]
    _write(blocks, paragraphs)
    paragraphs.append("=cut")
    return "\n\n".join(paragraphs) + "\n"


def _write(blocks, out: list) -> None:
    for block in blocks:
        if isinstance(block, Heading):
            out.append(f"=head{block.level} {_guard(''.join(_words(block.inlines, joiner=' ')))}")
        elif isinstance(block, Paragraph):
            out.append(_paragraph(block.inlines))
        elif isinstance(block, Verbatim):
            out.append("\n".join("    " + line if line.strip() else "" for line in block.text.split("\n")))
        elif isinstance(block, ItemList):
            out.append("=over 4")
            for number, item in enumerate(block.items, start=1):
                out.append("=item *" if block.start is None else f"=item {number}.")
                _write(item.blocks, out)
            out.append("=back")
        elif isinstance(block, Indented):
            out.append("=over 4")
            _write(block.blocks, out)
            out.append("=back")
        else:
            raise TypeError(f"not a block: {block!r}")


def _paragraph(inlines: tuple) -> str:
    lines: list = []
    line = ""
    for word in _words(inlines):
        if line and len(line) + 1 + len(word) > WIDTH:
            lines.append(line)
            line = _guard(word)
        else:
            line = f"{line} {word}" if line else _guard(word)
    lines.append(line)
    return "\n".join(lines)


def _guard(line: str) -> str:
    """``Z<>`` before a leading ``=`` or space: neither may start a POD line or paragraph."""
    return "Z<>" + line if line[:1] in ("=", " ") else line


def _words(inlines: tuple, joiner: str = "") -> list:
    """The paragraph as words: POD text split at the spaces of top-level text only."""
    words = [""]
    for span in inlines:
        if isinstance(span, Text):
            pieces = _escape(span.text).split(" ")
            words[-1] += pieces[0]
            words.extend(pieces[1:])
        else:
            words[-1] += _span(span)
    words = [w for w in words if w]
    return [" ".join(words)] if joiner else words


def _span(span, in_link: bool = False) -> str:
    if isinstance(span, Text):
        return _escape(span.text, in_link)
    if isinstance(span, Code):
        return f"C<{_escape(span.text, in_link)}>"
    if isinstance(span, Emph):
        return f"I<{_spans(span.children, in_link)}>"
    if isinstance(span, Strong):
        return f"B<{_spans(span.children, in_link)}>"
    if isinstance(span, Link):
        if not span.children or plain(span.children) == span.url:
            return f"L<{span.url}>"
        return f"L<{_spans(span.children, True)}|{span.url}>"
    if isinstance(span, PageLink):
        return f"L<{span.name}>"
    raise TypeError(f"not an inline span: {span!r}")


def _spans(spans: tuple, in_link: bool) -> str:
    return "".join(_span(s, in_link) for s in spans)


_ESCAPES = {"<": "E<lt>", ">": "E<gt>", "|": "E<verbar>"}


def _escape(text: str, in_link: bool = False) -> str:
    return re.sub("[<>|]" if in_link else "[<>]", lambda m: _ESCAPES[m.group()], text)
