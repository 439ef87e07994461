"""Markdown from spec descriptions turned into POD-shaped blocks.

Perl's generator pasted descriptions into POD verbatim, so readers saw raw
``[thread](/docs/...)`` and backticks. Here markdown-it-py parses them and the
result is written in POD's own vocabulary (see blocks.py): code spans become
``C<>``, emphasis ``I<>``/``B<>``, links ``L<text|url>`` with site-relative
URLs made absolute, lists ``=over``/``=item``, fenced code verbatim blocks.
"""

from __future__ import annotations

import re
import urllib.parse
from functools import lru_cache

from .blocks import (
    Code,
    Emph,
    Indented,
    Item,
    ItemList,
    Link,
    Paragraph,
    Strong,
    Text,
    Verbatim,
    clean_text,
    clean_verbatim,
)

PLATFORM = "https://platform.openai.com"
# Spec descriptions are written for the API reference, where they sit on an
# operation's page two levels below /docs/api-reference/ ("../admin-api-keys").
REFERENCE_PAGE = f"{PLATFORM}/docs/api-reference/section/operation"


def absolute_url(href: str) -> str | None:
    """The URL a link should point at, or None for in-page anchors we cannot follow."""
    href = href.strip()
    if not href or href.startswith("#"):
        return None
    scheme = urllib.parse.urlsplit(href).scheme
    if scheme:
        url = href
    elif href.startswith("//"):
        url = "https:" + href
    elif href.startswith("/"):
        url = PLATFORM + href
    else:
        url = urllib.parse.urljoin(REFERENCE_PAGE, href)
    # POD's L<> ends at whitespace, "|" or ">": keep those out of the target.
    return urllib.parse.quote(url, safe="%/:=&?~#+!$,;'@()*[]-._")


@lru_cache(maxsize=8192)
def markdown_blocks(source: str) -> tuple:
    """The blocks of a Markdown text (an empty tuple for empty text)."""
    if not source or not source.strip():
        return ()
    from markdown_it.tree import SyntaxTreeNode

    tree = SyntaxTreeNode(_parser().parse(source))
    return _blocks(tree.children)


@lru_cache(maxsize=1)
def _parser():
    """CommonMark as markdown-it-py reads it; imported on first use (help() should start fast)."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark")


def markdown_inlines(source: str) -> tuple:
    """A short Markdown text (a summary) as one run of inline spans."""
    spans: list = []
    for block in markdown_blocks(source):
        if isinstance(block, Paragraph):
            if spans:
                spans.append(Text(" "))
            spans.extend(block.inlines)
    return _tidy(spans)


def _blocks(nodes) -> tuple:
    out: list = []
    for node in nodes:
        kind = node.type
        if kind == "paragraph":
            inlines = _tidy(_inlines(node.children[0].children if node.children else []))
            if inlines:
                out.append(Paragraph(inlines))
        elif kind == "heading":
            inlines = _tidy(_inlines(node.children[0].children if node.children else []))
            if inlines:
                out.append(Paragraph((Strong(inlines),)))
        elif kind in ("fence", "code_block"):
            body = clean_verbatim(node.content)
            if body.strip():
                language = (node.info or "").split()[0] if kind == "fence" and node.info else ""
                out.append(Verbatim(body, language))
        elif kind in ("bullet_list", "ordered_list"):
            items = tuple(
                Item(blocks) for blocks in (_blocks(item.children) for item in node.children) if blocks
            )
            if items:
                start = None
                if kind == "ordered_list":
                    start = int(node.attrs.get("start", 1))
                out.append(ItemList(items, start))
        elif kind == "blockquote":
            inner = _blocks(node.children)
            if inner:
                out.append(Indented(inner))
        elif kind == "html_block":
            inlines = _tidy([Text(clean_text(node.content))])
            if inlines:
                out.append(Paragraph(inlines))
        # "hr" and anything unknown carry no words: dropped.
    return tuple(out)


def _inlines(nodes) -> list:
    spans: list = []
    for node in nodes:
        kind = node.type
        if kind == "text":
            spans.append(Text(clean_text(node.content)))
        elif kind in ("softbreak", "hardbreak"):
            spans.append(Text(" "))
        elif kind == "code_inline":
            code = clean_text(node.content)
            spans.append(Code(code) if code.strip() else Text(code))
        elif kind == "em":
            inner = _tidy(_inlines(node.children))
            if inner:
                spans.append(Emph(inner))
        elif kind == "strong":
            inner = _tidy(_inlines(node.children))
            if inner:
                spans.append(Strong(inner))
        elif kind == "link":
            inner = _tidy(_inlines(node.children))
            url = absolute_url(str(node.attrs.get("href", "")))
            if url is None:
                spans.extend(inner)
            else:
                spans.append(Link(inner, url))
        elif kind == "image":
            alt = clean_text(node.content) or "image"
            url = absolute_url(str(node.attrs.get("src", "")))
            spans.append(Link((Text(alt),), url) if url else Text(alt))
        elif kind == "html_inline":
            spans.append(Text(clean_text(node.content)))
        else:
            spans.extend(_inlines(node.children) if node.children else [Text(clean_text(node.content or ""))])
    return spans


def _tidy(spans: list) -> tuple:
    """Adjacent text merged, inner space runs folded, outer spaces trimmed."""
    merged: list = []
    for span in spans:
        if isinstance(span, Text):
            if not span.text:
                continue
            if merged and isinstance(merged[-1], Text):
                merged[-1] = Text(merged[-1].text + span.text)
                continue
        merged.append(span)
    merged = [Text(_fold(s.text)) if isinstance(s, Text) else s for s in merged]
    if merged and isinstance(merged[0], Text):
        merged[0] = Text(merged[0].text.lstrip(" "))
    if merged and isinstance(merged[-1], Text):
        merged[-1] = Text(merged[-1].text.rstrip(" "))
    return tuple(s for s in merged if not (isinstance(s, Text) and not s.text))


def _fold(value: str) -> str:
    return re.sub(" {2,}", " ", value)
