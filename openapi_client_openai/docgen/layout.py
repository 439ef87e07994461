"""How a page reads: the model's records laid out as POD-shaped blocks.

The section order is the Perl distribution's (NAME, DESCRIPTION, PATHS, per
method ``METHOD /path``, Operation ID, Parameters, Request Body, Responses,
SEE ALSO, COPYRIGHT AND LICENSE); what goes into each section is ours, and so
is a method's Streaming section, after its Responses, when it can stream.
"""

from __future__ import annotations

import json
from typing import Any

from . import schemas
from .blocks import Code, Emph, Heading, Item, ItemList, Link, PageLink, Paragraph, Text, Verbatim
from .model import PERL_NAMESPACE, Colophon, Field, IndexPage, Method, PathPage, StreamDoc

INDEX_HREF_FROM_PAGE = "../Path.md"


def page_blocks(page: PathPage) -> list:
    blocks = [
        Heading(1, (Text("NAME"),)),
        Paragraph((Text(f"{page.name} - Documentation for the {page.path} path."),)),
        Heading(1, (Text("DESCRIPTION"),)),
        Paragraph((Text("This document describes the API endpoint at "), Code(page.path), Text("."))),
        Paragraph(
            (
                Text("In Python, "),
                Code(f"python -m OpenAPI.Client.OpenAI.Path {page.short_name}"),
                Text(" shows this page, and "),
                Code("help()"),
                Text(" on a client method shows its section."),
            )
        ),
        Heading(1, (Text("PATHS"),)),
    ]
    for method in page.methods:
        blocks.extend(method_blocks(method))
    blocks.extend(_see_also(INDEX_HREF_FROM_PAGE))
    blocks.extend(_colophon(page.colophon))
    return blocks


def method_blocks(method: Method) -> list:
    """One method's section: the page's part that is also the method's docstring."""
    blocks: list = [Heading(2, (Text(f"{method.verb} {method.path}"),))]
    if method.deprecated:
        blocks.append(Paragraph((Text("Deprecated."),)))
    if method.summary:
        blocks.append(Paragraph(method.summary))
    blocks.extend(method.description)
    blocks.append(Heading(3, (Text("Operation ID"),)))
    alias: tuple[Text | Code, ...] = ()
    if method.snake_name != method.operation_id:
        alias = (Text(" (also "), Code(method.snake_name), Text(")"))
    blocks.append(Paragraph((Code(method.operation_id), *alias)))
    blocks.append(Verbatim(method.perl_usage, "perl"))
    blocks.append(Verbatim(method.python_usage, "python"))
    if method.parameters:
        blocks.append(Heading(3, (Text("Parameters"),)))
        blocks.append(ItemList(tuple(_field_item(field) for field in method.parameters)))
    if method.request_body is not None:
        body = method.request_body
        blocks.append(Heading(3, (Text("Request Body"),)))
        blocks.append(Paragraph((Text("Required." if body.required else "Optional."),)))
        blocks.extend(body.description)
        for content in body.contents:
            blocks.append(Heading(4, (Text(f"Content Type: {content.content_type}"),)))
            if content.fields:
                blocks.append(Paragraph((Text("Properties:"),)))
                blocks.append(ItemList(tuple(_field_item(field) for field in content.fields)))
            else:
                blocks.append(Paragraph((Text(f"Type: {content.type_label}"),)))
            blocks.extend(_example(content.example, content.same_as, content.content_type))
    if method.responses:
        blocks.append(Heading(3, (Text("Responses"),)))
    for response in method.responses:
        blocks.append(Heading(4, (Text(f"Status Code: {response.status}"),)))
        blocks.extend(response.description)
        if response.contents:
            blocks.append(Heading(4, (Text("Content Types:"),)))
            items = []
            for content in response.contents:
                inner = [Paragraph((Code(content.content_type),))]
                inner.extend(_example(content.example, content.same_as, content.content_type))
                items.append(Item(tuple(inner)))
            blocks.append(ItemList(tuple(items)))
    if method.stream is not None:
        blocks.extend(_streaming(method.stream))
    return blocks


def _streaming(stream: StreamDoc) -> list:
    """The method's streaming section: how to ask, which events come, and the loop both ways."""
    asking: tuple = (Text("When the request asks for it"),)
    if stream.asking:
        shown = ", ".join(f"{name}: {json.dumps(value)}" for name, value in stream.asking.items())
        asking = (Text("With "), Code(shown), Text(" in the request body"))
    spans: list = [*asking, Text(", the answer is a stream of server-sent events ("), Code(stream.media_type)]
    spans.append(Text(") instead, read as it arrives. "))
    if stream.events:
        spans.append(Text("Events: "))
        for index, name in enumerate(stream.events):
            spans += [Text(", " if index else ""), Code(name)]
        spans.append(Text("."))
    else:
        what = f"a {stream.chunk_title} object" if stream.chunk_title else "a JSON object"
        spans.append(Text(f"Each event is data only: {what}."))
    if stream.terminator:
        spans += [Text(" The stream ends with "), Code(f"data: {stream.terminator}"), Text(".")]
    return [
        Heading(3, (Text("Streaming"),)),
        Paragraph(tuple(spans)),
        Paragraph(
            (
                Text("Perl reads the body with the content's "),
                Code("read"),
                Text(" event (nothing is buffered once the default subscriber is gone):"),
            )
        ),
        Verbatim(stream.perl_usage, "perl"),
        Paragraph(
            (
                Text("Python iterates the events ("),
                Code("event.type"),
                Text(", "),
                Code("event.data"),
                Text(", "),
                Code("event.json()"),
                Text("; "),
                Code("async for"),
                Text(" works too); "),
                Code("stream.tx"),
                Text(" is the transaction:"),
            )
        ),
        Verbatim(stream.python_usage, "python"),
    ]


def index_blocks(index: IndexPage) -> list:
    blocks = [
        Heading(1, (Text("NAME"),)),
        Paragraph((Text(f"{index.name} - Index of the paths of the {index.api_title}"),)),
        Heading(1, (Text("DESCRIPTION"),)),
        Paragraph(
            (
                Text("This document lists every path of the API with its methods and their summaries. "),
                Text("Each path has its own page, named after the path as Perl's "),
                Code("OpenAPI::Client::OpenAI"),
                Text(" names it; in Python, "),
                Code("python -m OpenAPI.Client.OpenAI.Path NAME"),
                Text(" shows one."),
            )
        ),
        Heading(1, (Text("PATHS"),)),
    ]
    for entry in index.entries:
        blocks.append(Heading(2, (Text(entry.path),)))
        items = []
        for verb, operation_id, summary in entry.methods:
            spans = (Text(f"{verb} "), Code(operation_id), *((Text(" - "), *summary) if summary else ()))
            items.append(Item((Paragraph(spans),)))
        blocks.append(ItemList(tuple(items)))
        short = entry.name.rsplit("::", 1)[-1]
        blocks.append(Paragraph((Text("See "), PageLink(entry.name, f"Path/{short}.md"), Text("."))))
    blocks.extend(_see_also(None))
    blocks.extend(_colophon(index.colophon))
    return blocks


def _field_item(field: Field) -> Item:
    where = f" (in {field.location})" if field.location else ""
    flags = f"{where} ({'Required' if field.required else 'Optional'})"
    if field.facts.deprecated:
        flags += " (Deprecated)"
    head = [Code(field.name), Text(flags)]
    rest = list(field.description)
    if rest and isinstance(rest[0], Paragraph):
        head.extend((Text(" - "), *rest.pop(0).inlines))
    blocks = [Paragraph(tuple(head)), *rest, Paragraph((Text(f"Type: {field.facts.type_label}"),))]
    if field.facts.allowed:
        label = "Allowed values: " if field.facts.allowed_exhaustive else "Known values: "
        spans: list = [Text(label)]
        for position, value in enumerate(field.facts.allowed):
            if position:
                spans.append(Text(", "))
            spans.append(_value_span(value))
        blocks.append(Paragraph(tuple(spans)))
    if field.facts.default is not schemas.MISSING:
        blocks.append(Paragraph((Text("Default: "), _value_span(field.facts.default))))
    return Item(tuple(blocks))


def _value_span(value: Any):
    """Strings and structures as code; numbers, booleans and null as they read in JSON."""
    if isinstance(value, str):
        return Code(value) if value.strip() else Code(json.dumps(value))
    if isinstance(value, (dict, list)):
        return Code(json.dumps(value, ensure_ascii=False))
    return Text(json.dumps(value))


def _example(example, same_as: str, content_type: str) -> list:
    if same_as:
        return [Paragraph((Text("Example: as for "), Code(same_as), Text(".")))]
    if example is None:
        return []
    label = "Example (the data of one event):" if content_type.lower() == "text/event-stream" else "Example:"
    return [
        Paragraph((Text(label),)),
        Verbatim(json.dumps(example.value, indent=2, ensure_ascii=False), "json"),
    ]


def _see_also(index_href) -> list:
    spans: list = []
    if index_href:
        spans = [PageLink(PERL_NAMESPACE, index_href), Text(", the index of all paths; ")]
    spans += [
        Code("docs/porting.md"),
        Text(", the Perl-to-Python porting guide; "),
        Link((Text("OpenAPI::Client::OpenAI"),), "https://metacpan.org/pod/OpenAPI::Client::OpenAI"),
        Text(", the Perl distribution these pages mirror."),
    ]
    return [Heading(1, (Text("SEE ALSO"),)), Paragraph(tuple(spans))]


def _colophon(colophon: Colophon) -> list:
    version = f" version {colophon.version}" if colophon.version else ""
    return [
        Heading(1, (Text("COPYRIGHT AND LICENSE"),)),
        Paragraph(
            (Text("Copyright (C) the openapi-client-openai project. Released under the MIT license."),)
        ),
        Paragraph(
            (
                Text("Generated by openapi-client-openai from the OpenAPI spec "),
                Emph((Text(colophon.title),)),
                Text(f"{version} ({colophon.source}); the descriptions are the spec's own."),
            )
        ),
    ]
