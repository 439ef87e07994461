"""The event streams the mock sends: a realistic, deterministic sequence built from the spec.

``events(spec, stream, request)`` gives the SSE bytes of one answer, event by
event, for an :class:`~.event_streams.EventStream` (what the spec declares). The
same text, ``Hello! How can I help you today?``, is told in pieces, each piece one
delta event, so every stream is the same for the same request:

* a chunk stream (chat completions): a first chunk giving the role, one chunk per
  piece, a last chunk with the finish reason, then ``data: [DONE]`` when the spec
  says the stream ends so;
* a union stream (responses, runs): the lifecycle of the main subject (the
  shortest event name with a ``completed``/``done`` form: ``response``,
  ``thread.run``) opened, the text subject's deltas (``response.output_text``,
  ``thread.message``: a subject with ``delta`` events), both closed, and the
  ``done`` event when the spec has one. Failure events (``failed``, ``cancelled``,
  ``error``...) are never sent.

Event data is built from the event's schema (``examples.py``), trimmed to what a
real event carries (required fields, and optional scalars; optional objects and
lists are left out), with the text put where the schema has a text field
(``delta``, ``content``, ``value``, ``text``), a ``status`` set to the event's
stage where its enum allows, a ``sequence_number`` counting up, and top-level
strings the request also sent (``model``) echoed. Nothing names an operation.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Iterator
from typing import Any

from .event_streams import DONE, EventKind, EventStream, object_view, union_branches
from .examples import build_example
from .spec import Spec

__all__ = ["PIECES", "TEXT", "events"]

PIECES = ("Hello", "!", " How", " can", " I", " help", " you", " today", "?")
TEXT = "".join(PIECES)

# Names of fields that carry the streamed text, most telling first.
_TEXT_FIELDS = ("delta", "content", "value", "text", "transcript")
# Where the text is looked for first when descending into an event.
_TEXT_CONTAINERS = ("data", "delta", "choices", "content", "text", "message", "item", "part")
# The subject whose deltas tell the text, when several have deltas.
_TEXT_SUBJECTS = ("output_text", "message", "text", "content", "transcript")
_OPENING = ("created", "queued", "in_progress")
_CLOSING = ("done", "completed")
_FAILURES = frozenset(
    {"failed", "incomplete", "cancelled", "cancelling", "expired", "requires_action", "error", "interrupted"}
)
_STATUS_FOR = {"created": ("queued", "in_progress"), "queued": ("queued",), "in_progress": ("in_progress",)}
_STATUS_FOR.update({"completed": ("completed",), "done": ("completed",)})
_ROLE = "assistant"  # a role field takes this when its enum has it: the model speaks
_SEQ = "\x00sequence\x00"  # placeholder of a counter inside a rendered template
_MAX_DEPTH = 24


def events(
    spec: Spec, stream: EventStream, request: Any = None, deltas: float = len(PIECES)
) -> Iterator[bytes]:
    """The SSE bytes of one streamed answer, one event at a time (lazily: ``deltas`` may be ``inf``)."""
    echo = {k: v for k, v in request.items() if isinstance(v, str)} if isinstance(request, dict) else {}
    if stream.chunked:
        yield from _chunk_stream(spec, stream, echo, deltas)
    else:
        yield from _union_stream(spec, stream, echo, deltas)
    if stream.terminator is not None:
        yield _encode(None, stream.terminator)


def _pieces(deltas: float) -> Iterator[str]:
    count = 0
    while count < deltas:
        yield PIECES[count % len(PIECES)]
        count += 1


def _full_text(deltas: float) -> str:
    if math.isinf(deltas):
        return ""
    whole, rest = divmod(int(deltas), len(PIECES))
    return TEXT * whole + "".join(PIECES[:rest])


# -- chunk streams ---------------------------------------------------------------------------


def _chunk_stream(spec: Spec, stream: EventStream, echo: dict, deltas: float) -> Iterator[bytes]:
    value = _example(spec, stream.schema)
    path = _text_path(spec, stream.schema, value)
    value = _trim(spec, stream.schema, value, path or [])
    _echo(spec, stream.schema, value, echo)
    if not path:  # nothing to tell the text in: the example, once per piece
        for _ in _pieces(deltas):
            yield _encode(None, value)
        return
    container = _at(value, path[:-2]) if len(path) >= 2 else None
    delta = _at(value, path[:-1])
    leaf = path[-1]
    finishes = _finish_fields(spec, stream.schema, value, path[:-2]) if isinstance(container, dict) else {}
    for name in finishes:
        container[name] = None  # type: ignore[index]
    opening = {k: v for k, v in delta.items() if not isinstance(v, (dict, list))}
    opening[leaf] = ""
    _set_role(spec, stream.schema, path[:-1], value, opening)
    yield _with(value, path[:-1], opening)
    for piece in _pieces(deltas):
        yield _with(value, path[:-1], {leaf: piece})
    if isinstance(container, dict):
        container.update(finishes)
    yield _with(value, path[:-1], {})


def _with(value: Any, path: list, replacement: Any) -> bytes:
    parent = _at(value, path[:-1])
    kept = parent[path[-1]]
    parent[path[-1]] = replacement
    try:
        return _encode(None, value)
    finally:
        parent[path[-1]] = kept


def _finish_fields(spec: Spec, schema: Any, value: Any, path: list) -> dict:
    """The fields beside the delta that say why the stream ended (an enum that may be null)."""
    node = _schema_at(spec, schema, value, path)
    view = object_view(spec, node)
    out = {}
    for name, prop in view.properties.items():
        prop = spec.resolve(prop)
        enum = prop.get("enum") if isinstance(prop, dict) else None
        if isinstance(enum, list) and enum and _nullable(spec, prop):
            out[name] = next((v for v in enum if v is not None), None)
    return out


def _set_role(spec: Spec, schema: Any, path: list, value: Any, delta: dict) -> None:
    view = object_view(spec, _schema_at(spec, schema, value, path))
    prop = spec.resolve(view.properties.get("role"))
    enum = prop.get("enum") if isinstance(prop, dict) else None
    if isinstance(enum, list) and _ROLE in enum:
        delta["role"] = _ROLE


# -- union streams ---------------------------------------------------------------------------


def _union_stream(spec: Spec, stream: EventStream, echo: dict, deltas: float) -> Iterator[bytes]:
    plan = _plan(stream.kinds)
    counter = iter(range(1 << 62))
    for kind, stage in plan:
        if stage == "delta":
            yield from _deltas(spec, kind, echo, deltas, counter)
            continue
        value = _event_value(spec, kind, echo)
        path = _text_path(spec, kind.schema, value) if stage == "text-close" else None
        value = _trim(spec, kind.schema, value, path or [])
        if path:
            _put(value, path, _full_text(deltas))
        _set_stage(spec, kind.schema, value, _STATUS_FOR.get(kind.verb, ()))
        yield _render(kind, value, counter)


def _deltas(
    spec: Spec, kind: EventKind, echo: dict, deltas: float, counter: Iterator[int]
) -> Iterator[bytes]:
    """One event per piece, rendered from one template (a stream may be long, or endless)."""
    value = _event_value(spec, kind, echo)
    path = _text_path(spec, kind.schema, value)
    value = _trim(spec, kind.schema, value, path or [])
    if not path:
        for _ in _pieces(deltas):
            yield _render(kind, value, counter)
        return
    marker = "\x00text\x00"
    _put(value, path, marker)
    _set_stage(spec, kind.schema, value, ())
    counted = _counts(value)
    if counted:
        value["sequence_number"] = _SEQ
    template = _encode(kind.name, value)
    slot = json.dumps(marker).encode()
    seq = json.dumps(_SEQ).encode()
    for piece in _pieces(deltas):
        event = template.replace(slot, json.dumps(piece, ensure_ascii=False).encode())
        if counted:
            event = event.replace(seq, b"%d" % next(counter))
        yield event


def _plan(kinds: tuple[EventKind, ...]) -> list[tuple[EventKind, str]]:
    """Which events, in which order: (kind, stage); a "delta" stage stands for all the deltas."""
    usable = [k for k in kinds if k.verb not in _FAILURES and k.name not in _FAILURES]
    subjects: dict[str, dict[str, EventKind]] = {}
    for kind in usable:
        subjects.setdefault(kind.subject, {}).setdefault(kind.verb, kind)
    finishing = [s for s, verbs in subjects.items() if s and any(v in verbs for v in _CLOSING)]
    root = min(finishing, key=lambda s: s.count("."), default=None)
    talking = [s for s, verbs in subjects.items() if "delta" in verbs]
    text = next((s for want in _TEXT_SUBJECTS for s in talking if s.rsplit(".", 1)[-1] == want), None)
    text = text or (talking[0] if talking else None)
    if root is None and text is None:
        return [(kind, "once") for kind in usable if kind.name != "done"] + _done(usable)
    plan: list[tuple[EventKind, str]] = []
    if root is not None:
        for subject, verbs in subjects.items():  # a parent's creation first (thread.created)
            if subject and root.startswith(subject + ".") and "created" in verbs:
                plan.append((verbs["created"], "open"))
        plan += [(subjects[root][v], "open") for v in _OPENING if v in subjects[root]]
    if text is not None and text != root:
        plan += [(subjects[text][v], "open") for v in _OPENING if v in subjects[text]]
    if root is not None:
        known = {*_OPENING, *_CLOSING, "delta"}
        plan += [(kind, "once") for verb, kind in subjects[root].items() if verb not in known]
    if text is not None:
        plan.append((subjects[text]["delta"], "delta"))
        if text != root:
            plan += [(subjects[text][v], "text-close") for v in _CLOSING if v in subjects[text]]
    if root is not None:
        stage = "text-close" if root == text else "close"
        plan += [(subjects[root][v], stage) for v in _CLOSING if v in subjects[root]]
    return plan + _done(usable)


def _done(kinds: list[EventKind]) -> list[tuple[EventKind, str]]:
    return [(kind, "once") for kind in kinds if kind.name == "done"]


def _event_value(spec: Spec, kind: EventKind, echo: dict) -> Any:
    value = _example(spec, kind.schema)
    if kind.name == "done" and value == DONE:
        return value
    _echo(spec, kind.schema, value, echo)
    return value


def _render(kind: EventKind, value: Any, counter: Iterator[int]) -> bytes:
    if _counts(value):
        value = {**value, "sequence_number": next(counter)}
    return _encode(kind.name, value)


def _counts(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("sequence_number"), int)


def _set_stage(spec: Spec, schema: Any, value: Any, wanted: tuple[str, ...], depth: int = 0) -> None:
    """Set ``status`` fields (the event's, or its object's) to the event's stage where the
    enum allows, and ``role`` fields to the assistant's."""
    if not isinstance(value, dict) or depth > 2:
        return
    view = object_view(spec, schema)
    for name, choices in (("status", wanted), ("role", (_ROLE,))):
        prop = spec.resolve(view.properties.get(name))
        enum = prop.get("enum") if isinstance(prop, dict) else None
        if isinstance(enum, list) and name in value:
            choice = next((c for c in choices if c in enum), None)
            if choice is not None:
                value[name] = choice
    for name, child in value.items():
        if isinstance(child, dict) and name in view.properties:
            _set_stage(spec, view.properties[name], child, wanted, depth + 1)


# -- values ----------------------------------------------------------------------------------


def _encode(name: str | None, value: Any) -> bytes:
    data = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    head = f"event: {name}\n" if name else ""
    return f"{head}data: {data}\n\n".encode()


def _example(spec: Spec, schema: Any) -> Any:
    return copy.deepcopy(build_example(spec, schema))


def _echo(spec: Spec, schema: Any, value: Any, echo: dict) -> None:
    """Top-level string fields the request also sent (the model) say what the request said."""
    if not isinstance(value, dict):
        return
    view = object_view(spec, schema)
    for name, sent in echo.items():
        if isinstance(value.get(name), str) and _plain_string(spec, view.properties.get(name)):
            value[name] = sent


def _text_path(spec: Spec, schema: Any, value: Any, depth: int = 0) -> list | None:
    """Where the text goes in ``value``: a path to a text field, found through the schema.

    Where the schema is a union, the first branch with a text field is built and put
    in place (a message's content may be an image or a text part: the text part).
    """
    if depth > _MAX_DEPTH:
        return None
    node = spec.resolve(schema) if isinstance(schema, dict) else None
    if not isinstance(node, dict):
        return None
    if isinstance(value, dict):
        view = object_view(spec, node)
        for name in _TEXT_FIELDS:
            if name in view.properties and _plain_string(spec, view.properties[name]):
                if name in value and (value[name] is None or isinstance(value[name], str)):
                    return [name]
        names = sorted(view.properties, key=lambda n: (n not in _TEXT_CONTAINERS, _rank(n)))
        for name in names:
            child = value.get(name)
            if isinstance(child, (dict, list)):
                found = _text_path(spec, view.properties[name], child, depth + 1)
                if found is not None:
                    return [name, *found]
                rebuilt = _from_branches(spec, view.properties[name], depth)
                if rebuilt is not None:
                    value[name] = rebuilt[0]
                    return [name, *rebuilt[1]]
        return None
    if isinstance(value, list):
        items = node.get("items")
        if items is None:
            return None
        if not value:
            value.append(_example(spec, items))
        found = _text_path(spec, items, value[0], depth + 1)
        if found is not None:
            del value[1:]
            return [0, *found]
        rebuilt = _from_branches(spec, items, depth)
        if rebuilt is not None:
            value[:] = [rebuilt[0]]
            return [0, *rebuilt[1]]
    return None


def _from_branches(spec: Spec, schema: Any, depth: int) -> tuple[Any, list] | None:
    for branch in union_branches(spec, schema):
        value = _example(spec, branch)
        found = _text_path(spec, branch, value, depth + 1)
        if found is not None:
            return value, found
    return None


def _rank(name: str) -> int:
    return _TEXT_CONTAINERS.index(name) if name in _TEXT_CONTAINERS else len(_TEXT_CONTAINERS)


def _plain_string(spec: Spec, schema: Any) -> bool:
    """A string any text fits: no enum, pattern, format or length bounds."""
    node = spec.resolve(schema) if isinstance(schema, dict) else None
    if not isinstance(node, dict) or not _is_string(spec, node):
        return False
    return not any(k in node for k in ("enum", "const", "pattern", "format", "maxLength", "minLength"))


def _is_string(spec: Spec, schema: Any) -> bool:
    node = spec.resolve(schema) if isinstance(schema, dict) else None
    if not isinstance(node, dict):
        return False
    kind = node.get("type")
    if kind == "string" or (isinstance(kind, list) and "string" in kind):
        return True
    return any(_is_string(spec, branch) for branch in union_branches(spec, node))


def _nullable(spec: Spec, schema: Any) -> bool:
    node = spec.resolve(schema) if isinstance(schema, dict) else None
    if not isinstance(node, dict):
        return False
    kind = node.get("type")
    if node.get("nullable") is True or (isinstance(kind, list) and "null" in kind):
        return True
    branches = node.get("anyOf") or node.get("oneOf") or ()
    return any(isinstance(b, dict) and spec.resolve(b).get("type") == "null" for b in branches)


def _trim(spec: Spec, schema: Any, value: Any, keep: list, depth: int = 0) -> Any:
    """What a real event carries, off the text's path ``keep``: optional objects and lists
    left out, optional scalars null where they may be; required objects and lists null
    where they may be, lists otherwise empty (a run's messages start with no content)."""
    if depth > _MAX_DEPTH:
        return value
    if isinstance(value, list):
        node = spec.resolve(schema) if isinstance(schema, dict) else None
        items = node.get("items") if isinstance(node, dict) else None
        for index, item in enumerate(value):
            branch = _branch_of(spec, items, item)
            if branch is not None:
                value[index] = _trim(
                    spec, branch, item, keep[1:] if keep and keep[0] == index else [], depth + 1
                )
        return value
    if not isinstance(value, dict):
        return value
    view = object_view(spec, schema)
    if not view.properties:
        return value
    for name in list(value):
        on_path = bool(keep) and keep[0] == name
        prop = view.properties.get(name)
        child = value[name]
        bulky = isinstance(child, (dict, list))
        nullable = prop is not None and _nullable(spec, prop)
        if not on_path:
            if name not in view.required:
                if bulky:
                    del value[name]
                elif nullable and name not in _TEXT_FIELDS:
                    value[name] = None
                continue
            if bulky and nullable:
                value[name] = None
                continue
            if isinstance(child, list) and not _needs_items(spec, prop):
                value[name] = []
                continue
        branch = _branch_of(spec, prop, child) if bulky else None
        if branch is not None:
            value[name] = _trim(spec, branch, child, keep[1:] if on_path else [], depth + 1)
    return value


def _needs_items(spec: Spec, schema: Any) -> bool:
    node = spec.resolve(schema) if isinstance(schema, dict) else None
    return isinstance(node, dict) and isinstance(node.get("minItems"), int) and node["minItems"] > 0


def _branch_of(spec: Spec, schema: Any, value: Any) -> Any:
    """The schema ``value`` was built from: ``schema`` itself, or the union branch that
    declares every key it has; None when that cannot be told."""
    branches = union_branches(spec, schema)
    if not branches:
        return schema
    if isinstance(value, dict):
        for branch in branches:
            if set(value) <= set(object_view(spec, branch).properties):
                return branch
    return None


def _at(value: Any, path: list) -> Any:
    for step in path:
        value = value[step]
    return value


def _put(value: Any, path: list, text: str) -> None:
    _at(value, path[:-1])[path[-1]] = text


def _schema_at(spec: Spec, schema: Any, value: Any, path: list) -> Any:
    """The schema of the node at ``path`` (the branch that was built, for a union)."""
    node = schema
    for step in path:
        resolved = spec.resolve(node) if isinstance(node, dict) else None
        if not isinstance(resolved, dict):
            return None
        node = (
            resolved.get("items")
            if isinstance(step, int)
            else object_view(spec, resolved).properties.get(step)
        )
        value = value[step]
        node = _branch_of(spec, node, value)
        if node is None:
            return None
    return node
