"""The documents, as data: what each page says, read from the spec.

One page per path (named as Perl names it) with its methods in spec order,
and the index of all paths. Nothing here decides how a page looks; layout.py
does, from these records. Examples come from ``examples.py`` and are kept with
the schema they illustrate, so tests can validate every one of them.
"""

from __future__ import annotations

import dataclasses
import re
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..event_streams import event_stream, stream_fields
from ..examples import build_example, media_example, request_example
from ..operations import Operation
from ..spec import BUNDLED_SPEC, Spec
from . import schemas
from .markdown_pod import markdown_blocks, markdown_inlines
from .usage import CallSample, perl_call, perl_stream, python_call, python_stream

PERL_NAMESPACE = "OpenAPI::Client::OpenAI::Path"
PROJECT = "openapi-client-openai"


def short_name(path: str) -> str:
    """Perl's page name for a path: ``/threads/{thread_id}`` -> ``threads-thread_id``."""
    name = path[1:] if path.startswith("/") else path
    name = re.sub(r"-+", "-", re.sub(r"[/{}]", "-", name)).rstrip("-")
    return name or "root"


def page_names(paths: list) -> dict:
    """path -> short name; a name two paths would share gets ``-2``, ``-3``..."""
    names: dict = {}
    used: set = set()
    for path in paths:
        base = name = short_name(path)
        counter = 1
        while name in used:
            counter += 1
            name = f"{base}-{counter}"
        used.add(name)
        names[path] = name
    return names


# -- records ---------------------------------------------------------------------


@dataclass(frozen=True)
class Example:
    """A value shown in the docs and the schema it must satisfy."""

    label: str
    value: Any
    schema: Any


@dataclass(frozen=True)
class Field:
    """A parameter (``location`` set) or a request body property (``location`` empty)."""

    name: str
    location: str
    required: bool
    description: tuple
    facts: schemas.SchemaFacts


@dataclass(frozen=True)
class BodyContent:
    content_type: str
    type_label: str
    fields: tuple
    example: Example | None
    same_as: str  # an earlier content type with the very same example
    schema: Any
    trimmable: bool  # optional top-level properties can go without breaking validity


@dataclass(frozen=True)
class RequestBody:
    required: bool
    description: tuple
    contents: tuple


@dataclass(frozen=True)
class ResponseContent:
    content_type: str
    example: Example | None
    same_as: str


@dataclass(frozen=True)
class Response:
    status: str
    description: tuple
    contents: tuple


@dataclass(frozen=True)
class StreamDoc:
    """How a method streams: what asks for it, the events, and the call both ways."""

    media_type: str
    asking: dict  # the body fields that ask for the stream ({"stream": True})
    events: tuple  # event names, in spec order; () for data-only chunks
    chunk_title: str  # the chunks' schema title or name, for data-only streams
    terminator: str  # "[DONE]" when the stream ends with a data-only [DONE], else ""
    perl_usage: str
    python_usage: str
    example: Example | None  # the streaming call's body, checked against its schema


@dataclass(frozen=True)
class Method:
    verb: str
    path: str
    operation_id: str
    snake_name: str
    summary: tuple  # inline spans
    description: tuple  # blocks
    deprecated: bool
    perl_usage: str
    python_usage: str
    parameters: tuple
    request_body: RequestBody | None
    responses: tuple
    usage_examples: tuple
    stream: StreamDoc | None = None

    def examples(self):
        """Every example value this method's docs show, with its schema."""
        yield from self.usage_examples
        if self.stream is not None and self.stream.example is not None:
            yield self.stream.example
        if self.request_body:
            for content in self.request_body.contents:
                if content.example is not None:
                    yield content.example
        for response in self.responses:
            for content in response.contents:
                if content.example is not None:
                    yield content.example


@dataclass(frozen=True)
class Colophon:
    """Where the docs come from: spec title, version and source."""

    title: str
    version: str
    source: str


@dataclass(frozen=True)
class PathPage:
    name: str  # the full Perl name
    short_name: str
    path: str
    methods: tuple
    colophon: Colophon


@dataclass(frozen=True)
class IndexEntry:
    path: str
    name: str
    methods: tuple  # (verb, operation_id, summary spans)


@dataclass(frozen=True)
class IndexPage:
    name: str
    api_title: str
    entries: tuple
    colophon: Colophon


# -- building --------------------------------------------------------------------


def colophon(spec: Spec) -> Colophon:
    info = _info(spec)
    return Colophon(str(info.get("title") or "OpenAPI"), str(info.get("version") or ""), source_label(spec))


def _info(spec: Spec) -> dict[str, Any]:
    found = spec.data.get("info")
    return found if isinstance(found, dict) else {}


def source_label(spec: Spec) -> str:
    """The spec's source, stable across checkouts (no absolute paths in the docs)."""
    source = spec.source
    if source == "<mapping>":
        return "a spec given as a mapping"
    scheme = urllib.parse.urlsplit(source).scheme.lower()
    if scheme in ("http", "https"):
        return source
    local = (
        Path(urllib.parse.unquote(urllib.parse.urlsplit(source).path)) if scheme == "file" else Path(source)
    )
    try:
        if local.resolve() == Path(BUNDLED_SPEC).resolve():
            return "openapi_client_openai/data/openapi.yaml, the spec bundled with openapi_client_openai"
    except OSError:
        pass
    return local.name


def build_index(spec: Spec) -> IndexPage:
    info = _info(spec)
    grouped = spec.operations.by_path()
    names = page_names(list(grouped))
    entries = []
    for path, operations in grouped.items():
        methods = tuple(
            (
                op.method.upper(),
                op.operation_id,
                markdown_inlines(op.summary or _first_paragraph(op.description)),
            )
            for op in operations
        )
        entries.append(IndexEntry(path, f"{PERL_NAMESPACE}::{names[path]}", methods))
    return IndexPage(PERL_NAMESPACE, str(info.get("title") or "OpenAPI"), tuple(entries), colophon(spec))


def build_method(spec: Spec, op: Operation) -> Method:
    summary = markdown_inlines(op.summary)
    description = markdown_blocks(op.description)
    if op.description.strip() == op.summary.strip():
        description = ()
    parameters = _parameters(spec, op)
    request_body = _request_body(spec, op)
    usage_params: dict = {}
    usage_examples = []
    for field, schema, param in parameters:
        if not field.required or field.location not in ("path", "query", "header"):
            continue
        value = _parameter_value(spec, field.name, schema, param)
        usage_params[field.name] = value
        usage_examples.append(Example(f"{op.operation_id} parameter {field.name}", value, schema))
    body, kind, body_schema = _usage_body(request_body)
    if kind:
        usage_examples.append(Example(f"{op.operation_id} usage body", body, body_schema))
    sample = CallSample(op.operation_id, usage_params, body, kind)
    return Method(
        verb=op.method.upper(),
        path=op.path,
        operation_id=op.operation_id,
        snake_name=op.snake_name,
        summary=summary,
        description=description,
        deprecated=bool(op.definition.get("deprecated")),
        perl_usage=perl_call(sample),
        python_usage=python_call(sample),
        parameters=tuple(field for field, _, _ in parameters),
        request_body=request_body,
        responses=_responses(spec, op),
        usage_examples=tuple(usage_examples),
        stream=_stream(spec, op, sample, body_schema),
    )


def _stream(spec: Spec, op: Operation, sample: CallSample, body_schema: Any) -> StreamDoc | None:
    """The streaming section's facts, when a success response declares an event stream."""
    stream = event_stream(spec, op)
    if stream is None:
        return None
    asking = stream_fields(spec, op)
    body, example = sample.body, None
    if isinstance(body, dict) and asking:
        if sample.body_kind == "json":
            body = {**body, **asking}
            example = Example(f"{op.operation_id} streaming body", body, body_schema)
        else:  # a form: the field as text
            body = {**body, **{k: "true" if v is True else v for k, v in asking.items()}}
    streaming = CallSample(sample.operation_id, sample.params, body, sample.body_kind)
    node = spec.resolve(stream.schema) if isinstance(stream.schema, dict) else {}
    ref = stream.schema.get("$ref") if isinstance(stream.schema, dict) else None
    title = (node.get("title") if isinstance(node, dict) else None) or (ref or "").rsplit("/", 1)[-1]
    return StreamDoc(
        media_type=stream.media_type,
        asking=asking,
        events=tuple(stream.names),
        chunk_title=str(title or ""),
        terminator=stream.terminator or "",
        perl_usage=perl_stream(streaming),
        python_usage=python_stream(streaming),
        example=example,
    )


def _first_paragraph(text: str) -> str:
    return (text or "").strip().split("\n\n", 1)[0]


def _parameters(spec: Spec, op: Operation) -> list:
    """(Field, schema, raw parameter) per parameter; a later (name, in) overrides an earlier."""
    found: dict = {}
    for param in op.parameters:
        name, location = str(param.get("name", "")), str(param.get("in", ""))
        if not name:
            continue
        schema = param.get("schema")
        if schema is None and isinstance(param.get("content"), dict):
            media: Any = next(iter(param["content"].values()), {})
            schema = media.get("schema") if isinstance(media, dict) else None
        schema = schema if schema is not None else {}
        field = Field(
            name=name,
            location=location,
            required=bool(param.get("required")) or location == "path",
            description=markdown_blocks(param.get("description") or _schema_description(spec, schema)),
            facts=_with_deprecation(schemas.facts(spec, schema), bool(param.get("deprecated"))),
        )
        found[(name, location)] = (field, schema, param)
    return list(found.values())


def _with_deprecation(facts: schemas.SchemaFacts, deprecated: bool) -> schemas.SchemaFacts:
    return dataclasses.replace(facts, deprecated=True) if deprecated else facts


def _schema_description(spec: Spec, schema: Any) -> str:
    node = spec.resolve(schema)
    return (
        node.get("description", "")
        if isinstance(node, dict) and isinstance(node.get("description"), str)
        else ""
    )


_ID_NAME = re.compile(r"\A(?:(.+)_)?id\Z")


def _parameter_value(spec: Spec, name: str, schema: Any, param: dict) -> Any:
    """The value a usage line shows: the spec's example, an ``*_abc123`` id, or one built."""
    if "example" in param:
        return param["example"]
    if isinstance(param.get("examples"), dict) and param["examples"]:
        first = spec.resolve(next(iter(param["examples"].values())))
        if isinstance(first, dict) and "value" in first:
            return first["value"]
    node = spec.resolve(schema)
    if isinstance(node, dict):
        if "example" in node and node["example"] is not None:
            return node["example"]
        if isinstance(node.get("examples"), list) and node["examples"]:
            return node["examples"][0]
    match = _ID_NAME.match(name)
    if match and schemas.type_label(spec, schema) in ("string", "any"):
        return f"{match.group(1)}_abc123" if match.group(1) else "abc123"
    return build_example(spec, schema)


def _request_body(spec: Spec, op: Operation) -> RequestBody | None:
    body = op.request_body
    if not isinstance(body, dict):
        return None
    contents = []
    shown: dict = {}
    for content_type, media in (body.get("content") or {}).items():
        media = spec.resolve(media) if isinstance(media, dict) else {}
        schema = media.get("schema", {})
        properties, required = schemas.object_shape(spec, schema)
        fields = tuple(
            Field(
                name=name,
                location="",
                required=name in required,
                description=markdown_blocks(
                    (prop.get("description") if isinstance(prop, dict) else None)
                    or _schema_description(spec, prop)
                ),
                facts=schemas.facts(spec, prop),
            )
            for name, prop in properties.items()
        )
        value = request_example(spec, op, content_type)
        if _is_multipart(content_type) and isinstance(value, dict):
            value = _upload_paths(spec, properties, value)
        example = Example(f"{op.operation_id} request {content_type}", value, schema) if media else None
        key = repr(value)
        contents.append(
            BodyContent(
                content_type=content_type,
                type_label=schemas.type_label(spec, schema),
                fields=fields,
                example=None if key in shown else example,
                same_as=shown.get(key, ""),
                schema=schema,
                trimmable=schemas.optional_properties_droppable(spec, schema),
            )
        )
        shown.setdefault(key, content_type)
    return RequestBody(
        bool(body.get("required")), markdown_blocks(body.get("description") or ""), tuple(contents)
    )


def _is_multipart(content_type: str) -> bool:
    return content_type.lower().startswith("multipart/")


def _upload_paths(spec: Spec, properties: dict, value: dict) -> dict:
    """Binary fields of an upload hold a file path, as ``file_upload`` takes them."""
    out = dict(value)
    for name, prop in properties.items():
        if name not in out:
            continue
        node = spec.resolve(prop)
        if _is_binary(spec, node):
            out[name] = f"/path/to/{name}"
        elif isinstance(node, dict) and _is_binary(spec, node.get("items")) and isinstance(out[name], list):
            out[name] = [f"/path/to/{name}"]
    return out


def _is_binary(spec: Spec, schema: Any) -> bool:
    node = spec.resolve(schema)
    return isinstance(node, dict) and (node.get("format") == "binary" or "contentMediaType" in node)


def _usage_body(body: RequestBody | None) -> tuple:
    """(value, kind, schema) of the body a usage line passes: JSON first, then uploads, then forms.

    A usage line shows the required properties only (the full example follows in the
    Request Body section), where leaving the others out keeps the body valid.
    """
    chosen = None
    if body is not None:
        by_type = {c.content_type.lower(): c for c in body.contents}
        for content_type, kind in (("application/json", "json"), ("multipart/form-data", "file_upload")):
            if content_type in by_type:
                chosen = by_type[content_type], kind
                break
        for content in body.contents if chosen is None else ():
            lowered = content.content_type.lower()
            if "json" in lowered or lowered == "application/x-www-form-urlencoded":
                chosen = content, "json" if "json" in lowered else "form"
                break
    if chosen is None or body is None:
        return None, "", None
    content, kind = chosen
    value = _example_value(body, content)
    if content.trimmable and isinstance(value, dict):
        required = {field.name for field in content.fields if field.required}
        trimmed = {name: inner for name, inner in value.items() if name in required}
        if trimmed:
            value = trimmed
    return value, kind, content.schema


def _example_value(body: RequestBody, content: BodyContent) -> Any:
    if content.example is not None:
        return content.example.value
    same = next(c for c in body.contents if c.content_type == content.same_as)
    return same.example.value if same.example else None


def _responses(spec: Spec, op: Operation) -> tuple:
    found = []
    responses = op.definition.get("responses") or {}
    for status, response in responses.items():
        response = spec.resolve(response)
        if not isinstance(response, dict):
            continue
        contents = []
        shown: dict = {}
        for content_type, media in (response.get("content") or {}).items():
            media = spec.resolve(media) if isinstance(media, dict) else {}
            example = None
            same_as = ""
            if "schema" in media and shows_example(content_type):
                value = media_example(spec, media)  # not response_example: x-oaiMeta samples break schemas
                key = repr(value)
                if key in shown:
                    same_as = shown[key]
                else:
                    shown[key] = content_type
                    example = Example(f"{op.operation_id} {status} {content_type}", value, media["schema"])
            contents.append(ResponseContent(content_type, example, same_as))
        found.append(
            Response(str(status), markdown_blocks(response.get("description") or ""), tuple(contents))
        )
    return tuple(found)


def shows_example(content_type: str) -> bool:
    """JSON bodies (and the JSON data of event streams) get examples; files do not."""
    lowered = content_type.lower()
    return "json" in lowered or lowered == "text/event-stream"
