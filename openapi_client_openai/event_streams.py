"""What a spec says about an operation's server-sent events: whether it streams, and which events.

Nothing here knows an operation by name. An operation streams when one of its
success responses declares ``text/event-stream``; its events are what that media
type's schema describes, in one of the two shapes OpenAI's spec uses:

* a union (``anyOf``/``oneOf``) of event objects told apart by a ``type``
  property (``response.created``; the SSE ``event:`` line repeats it and the whole
  object is the data) or by an ``event`` property (``thread.run.created``; the
  SSE ``event:`` line carries it and the object's ``data`` is the data);
* one object schema, sent again and again as data-only chunks
  (``chat.completion.chunk``).

The stream ends with ``[DONE]`` when the spec says so: an event whose data can
only be ``[DONE]``, or request stream settings described as ending with
``data: [DONE]``. The mock (``mock_streams.py``) builds its streams from these
facts and the docs (``docgen/``) list them.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .operations import Operation
from .spec import Spec

__all__ = [
    "EVENT_STREAM",
    "EventKind",
    "EventStream",
    "asks_for_stream",
    "event_stream",
    "object_view",
    "stream_fields",
]

EVENT_STREAM = "text/event-stream"
DONE = "[DONE]"
_MAX_DEPTH = 32
_DONE_MENTION = re.compile(r"data:\s*\[DONE\]")
_FORM_FIELD = re.compile(
    rb'Content-Disposition:[^\r\n]*\bname="([^"]*)"[^\r\n]*\r?\n(?:[^\r\n]+\r?\n)*\r?\n([^\r\n]{0,16})\r?\n',
    re.IGNORECASE,
)


@dataclass(frozen=True)
class EventKind:
    """One kind of event of a union stream: its name and the schema of what it carries."""

    name: str  # the discriminating value: "response.created", "thread.run.created", "done"
    field: str  # "type": the name is inside the data; "event": the SSE event line carries it
    schema: Any  # the data's schema: the whole variant ("type"), or its "data" property ("event")

    @property
    def subject(self) -> str:
        """What the event is about: the name without its last word (``response.output_text``)."""
        return self.name.rpartition(".")[0]

    @property
    def verb(self) -> str:
        """What happened: the name's last word (``delta``, ``created``, ``completed``)."""
        return self.name.rpartition(".")[2]


@dataclass(frozen=True)
class EventStream:
    """An operation's event stream, as its spec describes it."""

    operation_id: str
    status: str  # the success response that declares it ("200")
    media_type: str  # as the spec writes it
    schema: Any  # the media type's schema
    kinds: tuple[EventKind, ...]  # the union's events, in spec order; empty for a chunk stream
    terminator: str | None  # "[DONE]" as a data-only last event, when the spec says so

    @property
    def chunked(self) -> bool:
        """Data-only chunks of one schema (no event names), as chat completions stream."""
        return not self.kinds

    @property
    def names(self) -> list[str]:
        return [kind.name for kind in self.kinds]


def event_stream(spec: Spec, operation: Operation) -> EventStream | None:
    """The operation's event stream, or None when no success response declares one."""
    responses = operation.definition.get("responses")
    if not isinstance(responses, dict):
        return None
    for status, response in responses.items():
        if not str(status).startswith("2"):
            continue
        response = spec.resolve(response)
        content = response.get("content") if isinstance(response, dict) else None
        if not isinstance(content, dict):
            continue
        for media_type, media in content.items():
            if str(media_type).split(";")[0].strip().lower() != EVENT_STREAM:
                continue
            media = spec.resolve(media)
            schema = media.get("schema") if isinstance(media, dict) else None
            kinds = tuple(_kinds(spec, schema))
            terminator = None
            if not any(kind.name == "done" and _only_done(spec, kind.schema) for kind in kinds):
                terminator = DONE if _request_mentions_done(spec, operation) else None
            return EventStream(
                operation.operation_id, str(status), str(media_type), schema, kinds, terminator
            )
    return None


def asks_for_stream(content_type: str, body: bytes) -> bool:
    """Does a request body ask for a stream? ``stream`` true, or a value ``sse`` (``stream_format``).

    JSON, urlencoded and multipart bodies are read; only top-level fields count.
    """
    kind = content_type.split(";")[0].strip().lower()
    fields: list[tuple[str, Any]] = []
    if kind == "application/json" or kind.endswith("+json"):
        try:
            data = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            return False
        if isinstance(data, dict):
            fields = list(data.items())
    elif kind == "application/x-www-form-urlencoded":
        fields = urllib.parse.parse_qsl(body.decode("latin-1"), keep_blank_values=True)
    elif kind.startswith("multipart/"):
        fields = [
            (name.decode("latin-1"), value.decode("latin-1")) for name, value in _FORM_FIELD.findall(body)
        ]
    for name, value in fields:
        if name == "stream" and (
            value is True or (isinstance(value, str) and value.lower() in ("true", "1"))
        ):
            return True
        if value == "sse":
            return True
    return False


def stream_fields(spec: Spec, operation: Operation) -> dict[str, Any]:
    """What a request body sets to ask for the stream: ``{"stream": True}``, or a field
    whose enum has ``sse`` (``{"stream_format": "sse"}``); {} when the body has neither."""
    body = spec.resolve(operation.request_body) if operation.request_body else None
    content = body.get("content") if isinstance(body, dict) else None
    if not isinstance(content, dict):
        return {}
    for media in content.values():
        media = spec.resolve(media)
        properties = object_view(spec, media.get("schema") if isinstance(media, dict) else None).properties
        if "stream" in properties:
            return {"stream": True}
        for name, prop in properties.items():
            if "sse" in allowed_values(spec, prop):
                return {name: "sse"}
    return {}


# -- reading schemas ----------------------------------------------------------------------


@dataclass(frozen=True)
class ObjectView:
    """An object schema with its ``allOf`` parts merged: properties and required names."""

    properties: dict[str, Any]
    required: frozenset[str]


def object_view(spec: Spec, schema: Any, depth: int = 0) -> ObjectView:
    """The properties and required names of ``schema``, through ``$ref`` and ``allOf``."""
    node = spec.resolve(schema) if isinstance(schema, dict) else None
    properties: dict[str, Any] = {}
    required: set[str] = set()
    if not isinstance(node, dict) or depth > _MAX_DEPTH:
        return ObjectView(properties, frozenset())
    for part in node.get("allOf") or ():
        inner = object_view(spec, part, depth + 1)
        properties.update(inner.properties)
        required |= inner.required
    own = node.get("properties")
    if isinstance(own, dict):
        properties.update(own)
    names = node.get("required")
    if isinstance(names, list):
        required |= {name for name in names if isinstance(name, str)}
    return ObjectView(properties, frozenset(required))


def union_branches(spec: Spec, schema: Any, depth: int = 0) -> list[Any]:
    """The alternatives of an ``anyOf``/``oneOf``, nested unions flattened; [] for no union."""
    node = spec.resolve(schema) if isinstance(schema, dict) else None
    if not isinstance(node, dict) or depth > _MAX_DEPTH:
        return []
    branches = node.get("anyOf") or node.get("oneOf")
    if not isinstance(branches, list):
        return []
    out = []
    for branch in branches:
        inner = union_branches(spec, branch, depth + 1)
        out.extend(inner if inner else [branch])
    return out


def single_value(spec: Spec, schema: Any) -> Any:
    """The one value a schema allows (``const``, or a one-entry ``enum``), else None."""
    values = allowed_values(spec, schema)
    return values[0] if len(values) == 1 else None


def allowed_values(spec: Spec, schema: Any) -> list:
    """The values a schema lists (``const``, or its ``enum`` without null); [] for any value."""
    node = spec.resolve(schema) if isinstance(schema, dict) else None
    if not isinstance(node, dict):
        return []
    if "const" in node:
        return [node["const"]]
    enum = node.get("enum")
    return [v for v in enum if v is not None] if isinstance(enum, list) else []


def _kinds(spec: Spec, schema: Any) -> Iterator[EventKind]:
    """The union's events; a branch whose name field lists several names is one kind per name."""
    for branch in union_branches(spec, schema):
        view = object_view(spec, branch)
        for field in ("event", "type"):  # "event": the SSE envelope (its data is a property)
            names = [n for n in allowed_values(spec, view.properties.get(field)) if isinstance(n, str) and n]
            for name in names:
                if field == "event" and "data" in view.properties:
                    yield EventKind(name, "event", view.properties["data"])
                else:
                    yield EventKind(name, "type", branch)
            if names:
                break


def _only_done(spec: Spec, schema: Any) -> bool:
    return single_value(spec, schema) == DONE


def _request_mentions_done(spec: Spec, operation: Operation) -> bool:
    """Do the request's stream settings say the stream ends with ``data: [DONE]``?

    Read in the descriptions of the body's ``stream`` and ``stream_*`` properties and
    of their own properties (chat completions say it under ``stream_options``).
    """
    body = spec.resolve(operation.request_body) if operation.request_body else None
    content = body.get("content") if isinstance(body, dict) else None
    if not isinstance(content, dict):
        return False
    for media in content.values():
        media = spec.resolve(media)
        schema = media.get("schema") if isinstance(media, dict) else None
        for name, prop in object_view(spec, schema).properties.items():
            if name != "stream" and not name.startswith("stream_"):
                continue
            described = [prop, *object_view(spec, prop).properties.values()]
            for node in described:
                node = spec.resolve(node)
                if isinstance(node, dict) and _DONE_MENTION.search(str(node.get("description") or "")):
                    return True
    return False
