"""Blocks as ``perldoc``'s plain text: a faithful port of Pod::Text 4.14.

The output is exactly what ``pod2text`` prints for the POD that pod.py writes
for the same blocks (a test holds the two together), so a Python user sees
the page a Perl user sees, without needing Perl. Ported: the 76-column
wrapping with its margins, heading indents (0, 2, 3, 3), ``=item`` tags hung
in the margin, verbatim re-indenting, and the rules for ``C<>`` quoting,
``I<>`` stars and ``L<text|url>``.
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
)

INDENT = 4
WIDTH = 76
_HEADING_INDENT = {1: 0, 2: INDENT // 2, 3: int(INDENT * 2 / 3 + 0.5), 4: int(INDENT * 3 / 4 + 0.5)}

# Pod::Text::cmd_c: code that already reads as code (quoted text, a Perl
# variable, a call with at most one argument, a number) is not quoted again.
_INDEX = r"(?:\[.*\]|\{.*\})?"
_SELF_QUOTING = re.compile(
    r"^\s*(?:"
    r"([\'`\"]).*\1"
    r"|`.*'"
    r"|\$+[#^]?\S" + _INDEX + r"|[$@%&*]+#?[:'\w]+" + _INDEX + r"|[$@%&*]*[:'\w]+(?:->)?\(\s*[^\s,]\s*\)"
    r"|[+-]?(?:\d[\d.]*|\.\d+)(?:[eE][+-]?\d+)?"
    r"|0x[a-fA-F\d]+"
    r")\s*\Z"
)


def render_text(blocks: list) -> str:
    formatter = _PodText()
    formatter.blocks(blocks)
    return "".join(formatter.out)


def inline_text(spans: tuple) -> str:
    """Spans as Pod::Text renders them inside a paragraph (before wrapping)."""
    return "".join(_span(s) for s in spans)


def _span(span) -> str:
    if isinstance(span, Text):
        return span.text
    if isinstance(span, Code):
        return span.text if _SELF_QUOTING.match(span.text) else f'"{span.text}"'
    if isinstance(span, Emph):
        return f"*{inline_text(span.children)}*"
    if isinstance(span, Strong):
        return inline_text(span.children)
    if isinstance(span, Link):
        label = inline_text(span.children) if span.children else span.url
        return f"<{label}>" if label == span.url else f"{label} <{span.url}>"
    if isinstance(span, PageLink):
        return span.name
    raise TypeError(f"not an inline span: {span!r}")


class _PodText:
    """Pod::Text's state machine (margin, indent stack, pending item tag)."""

    def __init__(self) -> None:
        self.out: list = []
        self.margin = INDENT
        self.indents: list = []
        self.item_tag: str | None = None

    def blocks(self, blocks) -> None:
        for block in blocks:
            if isinstance(block, Heading):
                self.heading(inline_text(block.inlines), _HEADING_INDENT[block.level])
            elif isinstance(block, Paragraph):
                self.paragraph(inline_text(block.inlines))
            elif isinstance(block, Verbatim):
                lines = block.text.split("\n")
                self.verbatim("\n".join("    " + line if line.strip() else "" for line in lines))
            elif isinstance(block, ItemList):
                self.over_start()
                for number, item in enumerate(block.items, start=1):
                    self.item_start("*" if block.start is None else f"{number}.")
                    self.blocks(item.blocks)
                self.over_end()
            elif isinstance(block, Indented):
                self.over_start()
                self.blocks(block.blocks)
                self.over_end()
            else:
                raise TypeError(f"not a block: {block!r}")

    # -- Pod::Text's methods, one for one ------------------------------------------

    def wrap(self, text: str) -> str:
        output = ""
        spaces = " " * self.margin
        width = WIDTH - self.margin
        while len(text) > width:
            match = re.match(rf"([^\n]{{0,{width}}})[ \t\n]+", text) or re.match(rf"([^\n]{{{width}}})", text)
            if not match:
                break
            output += spaces + match.group(1) + "\n"
            text = text[match.end() :]
        output += spaces + text
        return re.sub(r"\s+$", "\n\n", output, count=1)

    def reformat(self, text: str) -> str:
        return self.wrap(re.sub(r"[ \t\n]+", " ", text))

    def item(self, text: str | None = None) -> None:
        tag = self.item_tag or ""  # always set: every caller checks item_tag first
        self.item_tag = None
        indent = self.indents[-1] if self.indents else INDENT
        fits = self.margin - indent >= len(tag) + 1
        if not text or re.fullmatch(r"\s+", text) or not fits:
            real_margin = self.margin
            self.margin = indent
            output = re.sub(r"\n*$", "\n", self.reformat(tag), count=1)
            if text and re.fullmatch(r"\s*", text):
                output += "\n"
            self.out.append(output)
            self.margin = real_margin
            if text and re.search(r"\S", text):
                self.out.append(self.reformat(text))
        else:
            text = self.reformat(text)
            head = " " * indent + " " * len(tag)
            if text.startswith(head):
                text = " " * indent + tag + text[len(head) :]
            self.out.append(text)

    def paragraph(self, text: str) -> None:
        text = re.sub(r"\s+$", "\n", text, count=1)
        if self.item_tag is not None:
            self.item(text + "\n")
        else:
            self.out.append(self.reformat(text + "\n"))

    def verbatim(self, text: str) -> None:
        if self.item_tag is not None:
            self.item()
        if re.fullmatch(r"\s*", text):
            return
        margin = " " * self.margin
        text = re.sub(r"^(\n*)([ \t]*\S+)", lambda m: m.group(1) + margin + m.group(2), text, flags=re.M)
        self.out.append(re.sub(r"\s*$", "\n\n", text, count=1))

    def heading(self, text: str, indent: int) -> None:
        if self.item_tag is not None:
            self.item("\n\n")
        self.out.append(" " * indent + re.sub(r"\s+$", "", text) + "\n")

    def over_start(self) -> None:
        if self.item_tag is not None:
            self.item("\n\n")
        self.indents.append(self.margin)
        self.margin += INDENT

    def over_end(self) -> None:
        if self.item_tag is not None:
            self.item("\n\n")
        self.margin = self.indents.pop()

    def item_start(self, tag: str) -> None:
        if self.item_tag is not None:
            self.item()
        self.item_tag = tag
