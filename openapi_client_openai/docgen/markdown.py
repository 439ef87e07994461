"""Blocks as CommonMark, for reading the docs on GitHub or in an editor.

Headings keep POD's levels, lists are loose ``-``/``1.`` lists, verbatim
blocks are fenced with their language (``perl``, ``python``, ``json``), and
text is escaped so that nothing in a spec description turns into markup it
did not ask for.
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


def render_markdown(blocks: list) -> str:
    return "\n\n".join(_blocks(blocks)) + "\n"


def _blocks(blocks) -> list:
    """Each block as a chunk of lines (chunks are joined by blank lines)."""
    chunks = []
    for block in blocks:
        if isinstance(block, Heading):
            chunks.append("#" * block.level + " " + _inlines(block.inlines, line_start=False))
        elif isinstance(block, Paragraph):
            chunks.append(_inlines(block.inlines))
        elif isinstance(block, Verbatim):
            longest = max((len(run) for run in re.findall("`+", block.text)), default=0)
            fence = "`" * max(3, longest + 1)
            chunks.append(f"{fence}{block.language}\n{block.text}\n{fence}")
        elif isinstance(block, ItemList):
            for number, item in enumerate(block.items, start=block.start or 1):
                marker = "- " if block.start is None else f"{number}. "
                inner = "\n\n".join(_blocks(item.blocks))
                chunks.append(_hang(marker, inner))
        elif isinstance(block, Indented):
            inner = "\n\n".join(_blocks(block.blocks))
            chunks.append("\n".join(f"> {line}" if line else ">" for line in inner.split("\n")))
        else:
            raise TypeError(f"not a block: {block!r}")
    return chunks


def _hang(marker: str, text: str) -> str:
    pad = " " * len(marker)
    lines = text.split("\n")
    return "\n".join([marker + lines[0]] + [pad + line if line else "" for line in lines[1:]])


def _inlines(spans: tuple, line_start: bool = True) -> str:
    out = "".join(_span(span) for span in spans)
    if line_start:
        # Text that would open a list, heading, quote or setext underline at a line start.
        out = re.sub(r"\A([-+=#>])", r"\\\1", out)
        out = re.sub(r"\A(\d+)([.)])", r"\1\\\2", out)
    return out


def _span(span) -> str:
    if isinstance(span, Text):
        return _escape(span.text)
    if isinstance(span, Code):
        longest = max((len(run) for run in re.findall("`+", span.text)), default=0)
        ticks = "`" * (longest + 1)
        pad = " " if span.text.startswith(("`", " ")) or span.text.endswith(("`", " ")) else ""
        return f"{ticks}{pad}{span.text}{pad}{ticks}"
    if isinstance(span, Emph):
        return f"*{''.join(_span(s) for s in span.children)}*"
    if isinstance(span, Strong):
        return f"**{''.join(_span(s) for s in span.children)}**"
    if isinstance(span, Link):
        if not span.children or plain(span.children) == span.url:
            return f"<{span.url}>"
        label = "".join(_span(s) for s in span.children)
        return f"[{label}]({_destination(span.url)})"
    if isinstance(span, PageLink):
        return f"[{_escape(span.name)}]({_destination(span.href)})"
    raise TypeError(f"not an inline span: {span!r}")


def _destination(url: str) -> str:
    return f"<{url}>" if re.search(r"[\s()<>]", url) else url


_SPECIAL = re.compile(r"[\\`*\[\]<>&~]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")


def _escape(text: str) -> str:
    return _SPECIAL.sub(lambda m: "\\" + m.group(), text)
