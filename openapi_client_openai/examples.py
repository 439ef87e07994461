"""Example JSON values for a spec's schemas and operations: the docs show them, the mock serves them.

Perl's generator leaves ``null`` holes for nested schemas; these examples are
complete instead: every declared property is filled, ``null`` appears only where
a schema allows nothing else, and a recursive schema is cut where it first
repeats, with the shortest valid form there (an optional property left out, an
empty array). The spec's own examples are preferred; a schema-level ``example``
or ``default`` is used only when it fits its schema, so a wrong one in the spec
cannot spoil a built example. Results are memoised per schema node and spec,
which builds the examples of OpenAI's whole spec in a fraction of a second.
"""

from __future__ import annotations

import json
import math
import re
import threading
import weakref
from typing import Any

from .errors import SpecError
from .operations import Operation
from .schemas import guess_type
from .spec import Spec
from .spec_refs import READ, TARGET, ref_of, step

__all__ = ["build_example", "request_example", "response_example", "success_status"]

# Schemas nested deeper than this in one example are treated like recursion.
MAX_DEPTH = 64

_FORMAT_EXAMPLES = {
    "date-time": "2024-01-01T00:00:00Z",
    "date": "2024-01-01",
    "time": "12:00:00Z",
    "duration": "P1D",
    "email": "user@example.com",
    "idn-email": "user@example.com",
    "hostname": "example.com",
    "idn-hostname": "example.com",
    "ipv4": "192.0.2.1",
    "ipv6": "2001:db8::1",
    "uri": "https://example.com/",
    "url": "https://example.com/",
    "iri": "https://example.com/",
    "uri-reference": "https://example.com/",
    "iri-reference": "https://example.com/",
    "uri-template": "https://example.com/{id}",
    "uuid": "123e4567-e89b-42d3-a456-426614174000",
    "json-pointer": "/example",
    "relative-json-pointer": "0",
    "regex": "^example$",
    "byte": "ZXhhbXBsZQ==",
    "binary": "<binary data>",
    "password": "secret",
}
_STRING = "string"
# Tried, in order, when a ``pattern`` rejects the first choice.
_PATTERN_CANDIDATES = ("example", "a", "A", "0", "1", "abc", "abc123", "a-b", "a_b", "a.b", "x", "")

# Keywords that change what the builder makes; a ``$ref`` whose siblings have none of
# them (only description, title, ...) is built as its target, which the memo then shares.
_SHAPING = frozenset(
    {
        "example",
        "examples",
        "default",
        "type",
        "enum",
        "const",
        "properties",
        "required",
        "items",
        "allOf",
        "anyOf",
        "oneOf",
        "additionalProperties",
        "minProperties",
        "minItems",
        "maxItems",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "format",
        "pattern",
        "minLength",
        "maxLength",
        "discriminator",
    }
)

_ABSENT = object()  # "no value": None is a value (JSON null)
# A required property no schema describes (``anyOf: [{required: [a]}, ...]`` next to
# ``properties``): it yields to a described value when parts merge, else becomes a string.
_UNDESCRIBED = object()


class _Cut(Exception):
    """Raised where building would recurse; caught where a shorter valid form exists."""

    def __init__(self, ref: str) -> None:
        super().__init__(ref)
        self.ref = ref


# -- public API -----------------------------------------------------------------------


def build_example(spec: Spec, schema: Any, *, use_spec_examples: bool = True) -> Any:
    """A JSON value valid for ``schema`` (a node of ``spec``, ``$ref``s allowed).

    With ``use_spec_examples=False`` the schema-level ``example``/``examples`` are
    ignored and everything is built from the schema's structure.
    """
    if schema is None:
        return None
    builder = _Builder(spec, _memo(spec, use_spec_examples), use_spec_examples)
    try:
        value = builder.build(schema)
    except _Cut:
        value = _shortest(spec, schema)
    return _copy(value)


def success_status(operation: Operation) -> str | None:
    """The operation's first 2xx response code as written in the spec (``"200"``, ``"2XX"``)."""
    for code in _responses(operation):
        if code[:1] == "2":
            return code
    return None


def response_example(
    spec: Spec, operation: Operation, status: str | None = None, content_type: str = "application/json"
) -> Any:
    """The example body of one response; None when it declares no such content.

    Order of preference: the media type's ``example``/``examples``, then (for the
    success response) OpenAI's ``x-oaiMeta`` example response, then a built one.
    """
    responses = _responses(operation)
    success = success_status(operation)
    code = str(status) if status is not None else success
    if code is None or code not in responses:
        return None
    response = spec.resolve(responses[code])
    content = response.get("content") if isinstance(response, dict) else None
    media = spec.resolve(content.get(content_type)) if isinstance(content, dict) else None
    if not isinstance(media, dict):
        return None
    found = _media_example(spec, media)
    if found is _ABSENT and code == success and is_json(content_type):
        found = _meta_response(operation.definition)
    if found is not _ABSENT:
        return _copy(found)
    return build_example(spec, media.get("schema"))


def request_example(spec: Spec, operation: Operation, content_type: str | None = None) -> Any | None:
    """The example request body; None when the operation takes none.

    ``content_type`` defaults to the first of the body's content types in sorted
    order (``application/json`` before ``multipart/form-data``).
    """
    body = operation.request_body
    content = body.get("content") if isinstance(body, dict) else None
    if not isinstance(content, dict) or not content:
        return None
    if content_type is None:
        content_type = sorted(content)[0]
    media = spec.resolve(content.get(content_type))
    if not isinstance(media, dict):
        return None
    return media_example(spec, media)


def media_example(spec: Spec, media: dict) -> Any:
    """A media type's own example (``example``, else its first ``examples``), else one
    built from its schema; never OpenAI's ``x-oaiMeta`` samples, which often break
    their own schema."""
    found = _media_example(spec, media)
    if found is not _ABSENT:
        return _copy(found)
    return build_example(spec, media.get("schema"))


# -- operation-level examples ----------------------------------------------------------


def _responses(operation: Operation) -> dict[str, Any]:
    responses = operation.definition.get("responses")
    if not isinstance(responses, dict):
        return {}
    return {str(code): response for code, response in responses.items()}


def is_json(content_type: str) -> bool:
    """A JSON media type: ``application/json`` or any ``+json``."""
    essence = content_type.split(";", 1)[0].strip().lower()
    return essence == "application/json" or essence.endswith("+json")


def _media_example(spec: Spec, media: dict) -> Any:
    """A media type's ``example``, else the value of its first ``examples`` entry."""
    if media.get("example") is not None:
        return media["example"]
    examples = media.get("examples")
    if isinstance(examples, list) and examples and examples[0] is not None:
        return examples[0]  # not OpenAPI (a map of Example objects) but JSON Schema's spelling
    if isinstance(examples, dict) and examples:
        first = spec.resolve(next(iter(examples.values())))
        if isinstance(first, dict) and first.get("value") is not None:
            return first["value"]
    return _ABSENT


def _meta_response(definition: dict) -> Any:
    """OpenAI's ``x-oaiMeta.examples`` response: a JSON string, or a list of titled examples."""
    meta = definition.get("x-oaiMeta")
    examples = meta.get("examples") if isinstance(meta, dict) else None
    if isinstance(examples, dict):
        examples = [examples]
    if not isinstance(examples, list):
        return _ABSENT
    for example in examples:
        text = example.get("response") if isinstance(example, dict) else None
        if isinstance(text, str):
            try:
                return json.loads(text)
            except ValueError:
                continue  # a streamed ("data: ...") or abbreviated example
    return _ABSENT


# -- building from schemas -------------------------------------------------------------

_MEMOS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_MEMOS_LOCK = threading.Lock()


def _memo(spec: Spec, use_spec_examples: bool) -> dict:
    """id(schema node) -> (node, example), one table per spec and mode.

    Only context-free results are stored: those whose building cut no recursion
    that started outside the node. Holding the node keeps its id from being reused.
    """
    with _MEMOS_LOCK:
        memos = _MEMOS.get(spec)
        if memos is None:
            memos = _MEMOS[spec] = ({}, {})
        return memos[use_spec_examples]


class _Builder:
    """One example build: the ``$ref``s being expanded and the recursion cuts made so far."""

    def __init__(self, spec: Spec, memo: dict, use_spec_examples: bool) -> None:
        self.spec = spec
        self.memo = memo
        self.use_spec_examples = use_spec_examples
        self.expanding: list[str] = []
        self.cuts: list[set] = [set()]  # per node being built: the refs its value was cut at

    def build(self, schema: Any) -> Any:
        if not isinstance(schema, dict):
            return {} if schema is not False else None
        key = id(schema)
        hit = self.memo.get(key)
        if hit is not None and hit[0] is schema:
            return hit[1]
        if len(self.cuts) > MAX_DEPTH:
            raise _Cut("<depth>")
        self.cuts.append(set())
        try:
            value = self._value(schema)
        finally:
            cuts = self.cuts.pop()
        if cuts:
            self.cuts[-1] |= cuts
        else:
            self.memo[key] = (schema, value)
        return value

    def _note_cut(self, cut: _Cut) -> None:
        self.cuts[-1].add(cut.ref)

    def _value(self, schema: dict) -> Any:
        if self.use_spec_examples:
            own = _own_example(self.spec, schema)
            if own is not _ABSENT:
                return own
        ref = ref_of(schema, TARGET)
        if ref is not None:
            return self._follow(schema, ref)
        if "const" in schema and schema["const"] is not None:
            return schema["const"]
        enum = schema.get("enum")
        if isinstance(enum, list):
            values = [v for v in enum if v is not None]
            if values:
                return values[0]
        default = schema.get("default")
        # Scalars only: a default [] or {} is valid but shows nothing of the shape.
        if isinstance(default, (str, int, float)) and _conforms(default, schema, self.spec):
            return default
        parts = []
        base = self._base(schema)
        if base is not _ABSENT:
            parts.append(base)
        all_of = schema.get("allOf")
        if isinstance(all_of, list):
            parts.extend(self.build(sub) for sub in all_of)
        for keyword in ("anyOf", "oneOf"):
            if isinstance(schema.get(keyword), list):
                parts.append(self._choose(schema, keyword))
        return _merge(parts)

    def _follow(self, schema: dict, ref: str) -> Any:
        if ref in self.expanding:
            raise _Cut(ref)
        # One link at a time, so recursion is seen per ref. Siblings are merged as
        # JSON::Validator reads them (READ: local example/default win), but only when
        # they would change the value: a plain target is built once and memoised.
        rule = READ if _SHAPING.intersection(schema) else TARGET
        try:
            target = step(self.spec, schema, rule)
        except SpecError:
            return {}
        self.expanding.append(ref)
        try:
            value = self.build(target)
        finally:
            self.expanding.pop()
        self.cuts[-1].discard(ref)  # a cut at ref itself happened inside this expansion
        return value

    def _choose(self, schema: dict, keyword: str) -> Any:
        """The first branch that is not null-only and builds without recursing."""
        first_cut = None
        branches = [b for b in schema[keyword] if not _null_only(self.spec, b)]
        usable = [b for b in branches if not _perl_rejects(self.spec, b)] or branches
        for branch in usable:
            try:
                value = self.build(branch)
            except _Cut as cut:
                self._note_cut(cut)
                first_cut = first_cut or cut
                continue
            return _discriminated(self.spec, schema, branch, value)
        if first_cut is not None:
            raise first_cut
        return None  # every branch allows only null

    def _base(self, schema: dict) -> Any:
        kind = _kind(schema)
        if kind == "object":
            return self._object(schema)
        if kind == "array":
            return self._array(schema)
        if kind == "string":
            return _string(schema)
        if kind in ("integer", "number"):
            return _number(schema, integer=kind == "integer")
        if kind == "boolean":
            return True
        if kind == "null":
            return None
        return _ABSENT

    def _object(self, schema: dict) -> dict:
        properties = schema.get("properties")
        properties = properties if isinstance(properties, dict) else {}
        required = schema.get("required")
        required = [name for name in required if isinstance(name, str)] if isinstance(required, list) else []
        extra = schema.get("additionalProperties")
        out: dict = {}
        for name, sub in properties.items():
            if name not in required and _perl_rejects(self.spec, sub):
                continue
            try:
                out[name] = self.build(sub)
            except _Cut as cut:
                if name in required:
                    raise
                self._note_cut(cut)  # an optional recursive property: leave it out
        for name in required:
            if name not in out:
                out[name] = self.build(extra) if isinstance(extra, dict) else _UNDESCRIBED
        wanted = schema.get("minProperties")
        wanted = wanted if isinstance(wanted, int) else 0
        if not properties and isinstance(extra, dict) and ("$ref" in extra or _SHAPING.intersection(extra)):
            wanted = max(wanted, 1)  # a map: show one entry
        index = 0
        while len(out) < wanted and extra is not False:
            index += 1
            name = "key" if index == 1 else f"key{index}"
            if name in out:
                continue
            try:
                out[name] = self.build(extra) if isinstance(extra, dict) else _STRING
            except _Cut as cut:
                if len(out) < (schema.get("minProperties") or 0):
                    raise
                self._note_cut(cut)
                break
        return out

    def _array(self, schema: dict) -> list:
        least = schema.get("minItems")
        least = least if isinstance(least, int) else 0
        most = schema.get("maxItems")
        count = max(1, least)
        if isinstance(most, int):
            count = min(count, most)
        items = schema.get("items")
        if count == 0 or (items is None and least == 0):
            return []
        try:
            item = self.build(items if items is not None else {})
        except _Cut as cut:
            if least:
                raise
            self._note_cut(cut)
            return []
        return [item] * count  # shared on purpose: build_example copies the result


def _perl_rejects(spec: Spec, schema: Any) -> bool:
    """True for a schema no request value passes in Perl, so examples avoid it where they may.

    JSON::Validator (OpenAPIv3) checks a ``discriminator`` on object schemas (typed
    or guessed from their keywords) through its ``mapping`` alone: without one,
    every value fails with "No definition for discriminator ...".
    """
    try:
        node = spec.resolve(schema)
    except SpecError:
        return False
    if not isinstance(node, dict):
        return False
    discriminator = node.get("discriminator")
    if not isinstance(discriminator, dict) or not discriminator.get("propertyName"):
        return False
    if isinstance(discriminator.get("mapping"), dict) and discriminator["mapping"]:
        return False
    declared = node.get("type")
    guessed = any(
        k in node
        for k in ("additionalProperties", "patternProperties", "properties", "propertyNames", "required")
    )
    return declared == "object" or (declared is None and guessed)


def _kind(schema: dict) -> str | None:
    """The JSON type to build: the first non-null ``type``, else the one JSON::Validator guesses."""
    declared = schema.get("type")
    if isinstance(declared, list):
        named = [t for t in declared if isinstance(t, str)]
        declared = next((t for t in named if t != "null"), named[0] if named else None)
    if isinstance(declared, str):
        return declared
    guess = guess_type(schema)
    return guess if guess and guess != "const" else None  # a const is built before types are


def _merge(parts: list) -> Any:
    """allOf/anyOf parts of one value: objects merged in order; otherwise the most specific."""
    parts = [p for p in parts if p is not None] or parts
    if not parts:
        return {}
    if all(isinstance(p, dict) for p in parts):
        merged: dict = {}
        for part in parts:
            for name, value in part.items():
                if value is not _UNDESCRIBED or name not in merged:
                    merged[name] = value
        return merged
    return next(p for p in reversed(parts) if not isinstance(p, dict))


def _discriminated(spec: Spec, schema: dict, branch: Any, value: Any) -> Any:
    """Set the discriminator property to the name that selects ``branch``."""
    discriminator = schema.get("discriminator")
    if not isinstance(discriminator, dict) or not isinstance(value, dict):
        return value
    prop = discriminator.get("propertyName")
    ref = branch.get("$ref") if isinstance(branch, dict) else None
    if not isinstance(prop, str) or not isinstance(ref, str):
        return value
    mapping = discriminator.get("mapping")
    schema_name = ref.rsplit("/", 1)[-1]
    name = None
    if isinstance(mapping, dict):
        name = next((k for k, v in mapping.items() if v in (ref, schema_name)), None)
    if name is None:
        # The implicit name, unless the branch itself pins the property to other values.
        if not all(_conforms(schema_name, own, spec) for own in _property_schemas(spec, branch, prop)):
            return value
        name = schema_name
    if value.get(prop) == name:
        return value
    return {**value, prop: name}


def _property_schemas(spec: Spec, schema: Any, name: str, depth: int = 0) -> list[dict]:
    """The schemas a property gets from ``schema`` and what it is made of ($ref, allOf)."""
    node = spec.resolve(schema) if isinstance(schema, dict) else None
    if not isinstance(node, dict) or depth > MAX_DEPTH:
        return []
    found = []
    props = node.get("properties")
    if isinstance(props, dict) and isinstance(spec.resolve(props.get(name)), dict):
        found.append(spec.resolve(props[name]))
    for part in node.get("allOf") or ():
        found += _property_schemas(spec, part, name, depth + 1)
    return found


def _own_example(spec: Spec, schema: dict) -> Any:
    """The schema's ``example`` or first ``examples`` entry, if it fits the schema."""
    candidates = []
    if "example" in schema:
        candidates.append(schema["example"])
    examples = schema.get("examples")
    if isinstance(examples, list) and examples:
        candidates.append(examples[0])
    for candidate in candidates:
        if _conforms(candidate, schema, spec):
            return candidate
    return _ABSENT


def _string(schema: dict) -> str:
    fmt = schema.get("format")
    text = _FORMAT_EXAMPLES.get(fmt, _STRING) if isinstance(fmt, str) else _STRING
    pattern = schema.get("pattern")
    if isinstance(pattern, str) and not _matches(pattern, text):
        text = next((c for c in _PATTERN_CANDIDATES if _matches(pattern, c)), text)
    least = schema.get("minLength")
    if isinstance(least, int) and len(text) < least:
        text += "x" * (least - len(text))
    most = schema.get("maxLength")
    if isinstance(most, int) and len(text) > most:
        text = text[:most]
    return text


def _matches(pattern: str, text: str) -> bool:
    try:
        return re.search(pattern, text) is not None
    except re.error:
        return True  # a pattern Python cannot read: nothing to steer by


def _bounds(schema: dict, inclusive: str, exclusive: str) -> tuple[float | None, bool]:
    """A numeric bound and whether it is exclusive, in OpenAPI 3.0 or 3.1 spelling."""
    limit = _numeric(schema.get(inclusive))
    strict = schema.get(exclusive)
    if strict is True:  # OpenAPI 3.0: a flag on the inclusive keyword
        return limit, limit is not None
    strict = _numeric(strict)
    if strict is None:
        return limit, False
    if limit is None:
        return strict, True
    tighter = strict >= limit if inclusive == "minimum" else strict <= limit
    return (strict, True) if tighter else (limit, False)


def _numeric(value: Any) -> float | None:
    """A bound as Perl compares it: YAML::XS keeps ``0.00001`` a string, still a number to Perl."""
    if _is_number(value):
        return value
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def _number(schema: dict, integer: bool) -> int | float:
    low, low_strict = _bounds(schema, "minimum", "exclusiveMinimum")
    high, high_strict = _bounds(schema, "maximum", "exclusiveMaximum")
    if integer:
        value = 0
        if low is not None:
            value = max(value, math.floor(low) + 1 if low_strict else math.ceil(low))
        if high is not None:
            value = min(value, math.ceil(high) - 1 if high_strict else math.floor(high))
        step = schema.get("multipleOf")
        if isinstance(step, int) and not isinstance(step, bool) and step > 0 and value % step:
            value += step - value % step
        return value
    number: float = 0
    if low is not None and (number < low or (low_strict and number <= low)):
        if not low_strict:
            number = low
        else:
            number = (low + high) / 2 if high is not None else low + 1
    if high is not None and (number > high or (high_strict and number >= high)):
        if not high_strict:
            number = high
        else:
            number = (low + high) / 2 if low is not None else high - 1
    return int(number) if float(number).is_integer() else number


def _shortest(spec: Spec, schema: Any) -> Any:
    """A last resort for a schema that can only recurse: the emptiest value of its type."""
    node = spec.resolve(schema) if isinstance(schema, dict) else schema
    if not isinstance(node, dict):
        return {}
    kind = _kind(node)
    return {"object": {}, "array": [], "string": "", "integer": 0, "number": 0, "boolean": False}.get(
        kind or "object", None
    )


def _copy(value: Any) -> Any:
    """A private copy for the caller (memoised values are shared), placeholders filled."""
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return _STRING if value is _UNDESCRIBED else value


# -- fitting a given value to a schema -------------------------------------------------


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _has_type(value: Any, kind: Any) -> bool:
    if kind == "null":
        return value is None
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "integer":
        return _is_number(value) and float(value).is_integer()
    if kind == "number":
        return _is_number(value)
    if kind == "string":
        return isinstance(value, str)
    if kind == "array":
        return isinstance(value, list)
    if kind == "object":
        return isinstance(value, dict)
    return True


def _same(a: Any, b: Any) -> bool:
    return a == b and isinstance(a, bool) == isinstance(b, bool)


def _null_only(spec: Spec, schema: Any) -> bool:
    """True for a schema that admits null and nothing else."""
    try:
        node = spec.resolve(schema)
    except SpecError:
        return False
    if not isinstance(node, dict):
        return False
    declared = node.get("type")
    if declared == "null" or declared == ["null"]:
        return True
    if "const" in node and node["const"] is None:
        return True
    enum = node.get("enum")
    return isinstance(enum, list) and bool(enum) and all(v is None for v in enum)


def _conforms(value: Any, schema: Any, spec: Spec, depth: int = 0) -> bool:
    """Whether a spec-given ``example``/``default`` may stand in for a built value.

    Stricter than validation on one point: ``null`` fits only a null-only schema,
    because examples never show ``null`` where a real value could stand.
    Looser on rare keywords it does not know, which it ignores.
    """
    if not isinstance(schema, dict):
        return schema is not False
    if depth > MAX_DEPTH:
        return False
    if value is None:
        return _null_only(spec, schema)
    if ref_of(schema, TARGET) is not None:
        # Not a merge: the value must fit the target and, below, the referrer's own keywords.
        try:
            target = step(spec, schema, TARGET)
        except SpecError:
            return False
        if not _conforms(value, target, spec, depth + 1):
            return False
    declared = schema.get("type")
    if declared is not None:
        kinds = declared if isinstance(declared, list) else [declared]
        if not any(_has_type(value, kind) for kind in kinds):
            return False
    if "const" in schema and not _same(value, schema["const"]):
        return False
    enum = schema.get("enum")
    if isinstance(enum, list) and not any(_same(value, option) for option in enum):
        return False
    if isinstance(value, str) and not _string_fits(value, schema):
        return False
    if _is_number(value) and not _number_fits(value, schema):
        return False
    if isinstance(value, list) and not _array_fits(value, schema, spec, depth):
        return False
    if isinstance(value, dict) and not _object_fits(value, schema, spec, depth):
        return False
    all_of = schema.get("allOf")
    if isinstance(all_of, list) and not all(_conforms(value, sub, spec, depth + 1) for sub in all_of):
        return False
    for keyword in ("anyOf", "oneOf"):
        branches = schema.get(keyword)
        if isinstance(branches, list) and not any(_conforms(value, sub, spec, depth + 1) for sub in branches):
            return False
    return True


def _string_fits(value: str, schema: dict) -> bool:
    least, most = schema.get("minLength"), schema.get("maxLength")
    if isinstance(least, int) and len(value) < least:
        return False
    if isinstance(most, int) and len(value) > most:
        return False
    pattern = schema.get("pattern")
    return not isinstance(pattern, str) or _matches(pattern, value)


def _number_fits(value: float, schema: dict) -> bool:
    low, low_strict = _bounds(schema, "minimum", "exclusiveMinimum")
    high, high_strict = _bounds(schema, "maximum", "exclusiveMaximum")
    if low is not None and (value < low or (low_strict and value <= low)):
        return False
    return high is None or not (value > high or (high_strict and value >= high))


def _array_fits(value: list, schema: dict, spec: Spec, depth: int) -> bool:
    least, most = schema.get("minItems"), schema.get("maxItems")
    if isinstance(least, int) and len(value) < least:
        return False
    if isinstance(most, int) and len(value) > most:
        return False
    items = schema.get("items")
    return items is None or all(_conforms(item, items, spec, depth + 1) for item in value)


def _object_fits(value: dict, schema: dict, spec: Spec, depth: int) -> bool:
    required = schema.get("required")
    if isinstance(required, list) and any(name not in value for name in required):
        return False
    properties = schema.get("properties")
    properties = properties if isinstance(properties, dict) else {}
    extra = schema.get("additionalProperties")
    for name, item in value.items():
        if name in properties:
            if not _conforms(item, properties[name], spec, depth + 1):
                return False
        elif extra is False or (isinstance(extra, dict) and not _conforms(item, extra, spec, depth + 1)):
            return False
    return True
