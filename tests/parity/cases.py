"""The parity cases: calls generated deterministically from OpenAI's spec.

Each case is one call (operation, params, content, client options) aimed at one
edge of the Perl client: valid minimal and full bodies, each kind of invalid
input JSON::Validator reports, coercion, escaping, falsy bodies, unknown
params, base URLs, the assistants header and file uploads. Ids are stable
(``<operationId>/<family>/<detail>``): exclusions.yaml refers to them.

Nothing here is random: the same spec gives the same cases in the same order.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openapi_client_openai.event_streams import event_stream
from openapi_client_openai.operations import Operation
from openapi_client_openai.spec import Spec, load_spec

TEST_BED = Path(__file__).resolve().parents[3] / "shared" / "openapi" / "openai-openapi.yaml"

# A string in params or content that stands for a small temp file of that name.
FILE_MARK = "\x00file:"
UPLOAD_FILES = {
    "hello.txt": b"hello, parity\n",
    "data.jsonl": b'{"prompt":"a","completion":"b"}\n',
    "speech.mp3": b"ID3\x03\x00\x00\x00\x00\x00\x00binary\xff\xfe\x00",
    "otter.png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    "n\u00e4me with space.txt": b"non-ASCII file name\n",
}

# Values that exercise Mojo's escaping of path segments and query values.
SPECIAL_STRINGS = (
    "a/b c",
    "100%",
    "%2F%41",
    "\u00fcber",
    "a?b#c",
    "\u65e5\u672c",
    "..",
    "~tilde",
    "a+b&c=d",
    "",
    "emoji \U0001f600",
    "semi;colon,comma",
    "quote\"'`",
    "[brackets]{braces}",
    "tab\there",
)
# JSON texts whose encoding is easy to get wrong: "/" escapes, U+2028, controls.
TRICKY_TEXT = ("a/b", "line\u2028sep", "ctrl\x01\x1f", "\u00fcnic\u00f6de \U0001f600", 'q"uote\\back')
# Numbers whose Perl form (%.15g, NV vs IV) is easy to get wrong.
TRICKY_NUMBERS = (1.0, 0.1 + 0.2, 1e20, 123456789012345678, -0.0, 2.5e-7, 9007199254740993)

# Operations that get the two-bodies-at-once cases (Perl's choice is hash-order dependent).
TWO_BODY_OPERATIONS = ("createRun", "createChatCompletion", "createAssistant", "modifyRun")
BASE_URLS = ("plain", "slash", "query")  # see runner.base_url_for
MAX_PROPERTIES = 12  # per operation and family: keeps the huge bodies from dominating


@dataclass
class Case:
    """One call: ``client.call(op, params, **content)`` with the given client options."""

    id: str
    kind: str
    op: str
    params: dict = field(default_factory=dict)
    content: dict = field(default_factory=dict)
    base_url: str = "plain"
    assistants: bool = False
    stream: bool = False  # read the body as a stream on both sides (bytes and events compared)

    def materialised(self, files: dict[str, str]) -> tuple[dict, dict]:
        """Params and content with file marks replaced by real paths (fresh copies)."""
        return _replace_files(copy.deepcopy(self.params), files), _replace_files(
            copy.deepcopy(self.content), files
        )


def _replace_files(value: Any, files: dict[str, str]) -> Any:
    if isinstance(value, str) and value.startswith(FILE_MARK):
        return files[value[len(FILE_MARK) :]]
    if isinstance(value, dict):
        return {k: _replace_files(v, files) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_files(v, files) for v in value]
    return value


def upload(name: str) -> str:
    return FILE_MARK + name


# -- schemas ----------------------------------------------------------------------------


class Schemas:
    """Just enough schema reading to make values: $ref with siblings, allOf, types."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec

    def resolve(self, schema: Any) -> dict:
        """Follow ``$ref``s; sibling keywords win over the target's, as JSON::Validator merges them."""
        seen = 0
        while isinstance(schema, dict) and isinstance(schema.get("$ref"), str) and seen < 50:
            target = self.spec.pointer(schema["$ref"])
            siblings = {k: v for k, v in schema.items() if k != "$ref"}
            schema = {**target, **siblings} if siblings else target
            seen += 1
        return schema if isinstance(schema, dict) else {}

    def flat(self, schema: Any) -> dict:
        """The schema with ``allOf`` folded in: properties and required are unions."""
        schema = self.resolve(schema)
        if "allOf" not in schema:
            return schema
        merged = {k: v for k, v in schema.items() if k != "allOf"}
        properties = dict(merged.get("properties") or {})
        required = list(merged.get("required") or [])
        for part in schema["allOf"]:
            part = self.flat(part)
            for key, value in part.items():
                if key == "properties":
                    properties.update(value)
                elif key == "required":
                    required += [r for r in value if r not in required]
                else:
                    merged.setdefault(key, value)
        if properties:
            merged["properties"] = properties
        if required:
            merged["required"] = required
        return merged

    def type_of(self, schema: Any) -> str:
        """The main type: declared, else guessed from keywords like JSON::Validator's schema_type."""
        s = self.flat(schema)
        declared = s.get("type")
        if isinstance(declared, list):
            declared = next((t for t in declared if t != "null"), "null")
        if declared:
            return declared
        if "properties" in s or "additionalProperties" in s or "required" in s:
            return "object"
        if "items" in s or "minItems" in s or "maxItems" in s:
            return "array"
        if "maxLength" in s or "minLength" in s or "pattern" in s:
            return "string"
        if any(k in s for k in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")):
            return "number"
        branches = s.get("anyOf") or s.get("oneOf")
        if branches:
            for branch in branches:
                kind = self.type_of(branch)
                if kind and kind != "null":
                    return kind
        if s.get("enum"):
            return _json_type(next((v for v in s["enum"] if v is not None), None))
        if "const" in s:
            return _json_type(s["const"])
        return ""

    def nullable(self, schema: Any) -> bool:
        s = self.flat(schema)
        if s.get("nullable") is True:
            return True
        declared = s.get("type")
        if declared == "null" or (isinstance(declared, list) and "null" in declared):
            return True
        return any(self.type_of(b) == "null" for b in (s.get("anyOf") or s.get("oneOf") or []))

    def branches(self, schema: Any) -> list:
        s = self.flat(schema)
        return list(s.get("anyOf") or s.get("oneOf") or [])

    def example(self, schema: Any, full: bool = False, depth: int = 0) -> Any:
        """A value the schema should accept: required properties only, or all (``full``)."""
        s = self.flat(schema)
        if "const" in s:
            return s["const"]
        enum = [v for v in s.get("enum") or [] if v is not None]
        if enum:
            return enum[0]
        kind = s.get("type")
        if isinstance(kind, list):
            kind = next((t for t in kind if t != "null"), "null")
        if not kind:
            branches = self.branches(s)
            usable = [b for b in branches if self.type_of(b) != "null"]
            if usable:
                return self.example(usable[0], full, depth + 1)
            kind = self.type_of(s)
        if kind == "object":
            properties = s.get("properties") or {}
            names = list(properties) if full and depth < 2 else list(s.get("required") or [])
            value = {}
            for name in names:
                prop = properties.get(name, {})
                if self.flat(prop).get("readOnly"):
                    continue
                value[name] = self.example(prop, full, depth + 1)
            return value
        if kind == "array":
            count = max(int(s.get("minItems") or 0), 1 if full else 0)
            return [self.example(s.get("items") or {}, full, depth + 1) for _ in range(count)]
        if kind == "string":
            return self._string(s)
        if kind in ("integer", "number"):
            return _number_in(s, kind)
        if kind == "boolean":
            return True
        if kind == "null":
            return None
        return "anything"

    def _string(self, s: dict) -> str:
        fmt = s.get("format")
        by_format = {
            "date-time": "2024-01-02T03:04:05Z",
            "date": "2024-01-02",
            "uri": "https://example.com/a",
            "email": "someone@example.com",
            "binary": "binary-data",
            "byte": "aGVsbG8=",
        }
        if isinstance(fmt, str) and fmt in by_format:
            text = by_format[fmt]
        elif isinstance(s.get("example"), str) and s["example"]:
            text = s["example"]
        else:
            text = "text"
        low, high = s.get("minLength"), s.get("maxLength")
        if isinstance(low, int) and len(text) < low:
            text += "x" * (low - len(text))
        if isinstance(high, int) and len(text) > high:
            text = text[:high]
        return text


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "string"


def _number_in(s: dict, kind: str) -> int | float:
    low, high = s.get("minimum"), s.get("maximum")
    if isinstance(s.get("exclusiveMinimum"), (int, float)) and not isinstance(s["exclusiveMinimum"], bool):
        low = s["exclusiveMinimum"] + 1
    if isinstance(s.get("exclusiveMaximum"), (int, float)) and not isinstance(s["exclusiveMaximum"], bool):
        high = s["exclusiveMaximum"] - 1
    value: float = 1
    if isinstance(low, (int, float)) and value < low:
        value = low
    if isinstance(high, (int, float)) and value > high:
        value = high
    if kind == "integer":
        return math.ceil(value) if not isinstance(value, int) else value
    return value


def wrong_type(kind: str) -> list[tuple[str, Any]]:
    """Values of another type that no coercion can turn into ``kind``."""
    return {
        "string": [("object", {"k": "v"}), ("array", ["a"]), ("boolean", True)],
        "integer": [("word", "abc"), ("fraction", 1.5), ("object", {"k": 1})],
        "number": [("word", "abc"), ("array", [1]), ("object", {"k": 1})],
        "boolean": [("word", "maybe"), ("two", 2), ("object", {})],
        "array": [("object", {"k": "v"}), ("number", 7)],
        "object": [("string", "text"), ("array", [1, 2]), ("number", 3)],
    }.get(kind, [("object", {"unexpected": True})])


def coercible(kind: str) -> list[tuple[str, Any]]:
    """Values of another type that coercion (booleans,numbers,strings) may accept."""
    return {
        "string": [("number", 42), ("float", 2.5), ("boolean-true", True)],
        "integer": [("numeric-string", "7"), ("float-string", "7.0"), ("exp-string", "1e3"), ("bool", True)],
        "number": [("numeric-string", "0.5"), ("int-string", "2"), ("neg-string", "-1.25e-2")],
        "boolean": [
            ("true-string", "true"),
            ("false-string", "false"),
            ("one-string", "1"),
            ("zero-string", "0"),
            ("empty-string", ""),
            ("int-1", 1),
            ("int-0", 0),
        ],
        "array": [("scalar", "single")],
    }.get(kind, [])


# -- generation -------------------------------------------------------------------------


class Generator:
    """Cases for every operation of a spec, in spec order."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.schemas = Schemas(spec)
        self._seen: set[str] = set()

    def cases(self) -> list[Case]:
        out: list[Case] = []
        for index, op in enumerate(self.spec.operations.values()):
            out += self._unique(self.operation_cases(op, index))
        out += self._unique(self.global_cases())
        return out

    def _unique(self, cases: Iterator[Case]) -> list[Case]:
        out = []
        for case in cases:
            if case.id in self._seen:
                raise ValueError(f"duplicate case id {case.id}")
            self._seen.add(case.id)
            out.append(case)
        return out

    # -- per operation ----------------------------------------------------------------

    def operation_cases(self, op: Operation, index: int) -> Iterator[Case]:
        oid = op.operation_id
        base = self.base_params(op)
        body_kind = self.body_media(op)
        body_min = self.body_example(op, full=False)
        body_full = self.body_example(op, full=True)

        def case(family: str, params: dict, content: dict | None = None, **options: Any) -> Case:
            return Case(f"{oid}/{family}", family.split("/")[0], oid, params, content or {}, **options)

        # Valid calls: minimal, full (every query parameter and every body property).
        minimal = dict(base)
        content: dict = {}
        if body_kind == "json" and body_min is not None:
            minimal["body"] = body_min
        elif body_kind == "multipart":
            content = {"file_upload": self.upload_fields(op, full=False)}
        yield case("valid/minimal", minimal, content)
        full = {**base, **self.all_query(op)}
        full_content: dict = {}
        if body_kind == "json":
            full["body"] = body_full
        elif body_kind == "multipart":
            full_content = {"file_upload": self.upload_fields(op, full=True)}
        yield case("valid/full", full, full_content)

        # A streamed answer, where the spec declares one: asked for as the body can ask.
        if event_stream(self.spec, op) is not None:
            asking = self.stream_fields(op)
            if body_kind == "json" and isinstance(body_min, dict) and asking:
                yield case("stream/minimal", {**minimal, "body": {**body_min, **asking}}, stream=True)
            elif body_kind == "multipart" and asking:
                fields = {
                    **content["file_upload"],
                    **{k: "true" if v is True else v for k, v in asking.items()},
                }
                yield case("stream/minimal", minimal, {"file_upload": fields}, stream=True)

        # Client options: base URL spelling and the assistants header.
        variant = BASE_URLS[1 + index % 2]
        yield case(f"base-url/{variant}", minimal, content, base_url=variant)
        if index % 3 == 0 or op.path.startswith(("/assistants", "/threads", "/vector_stores")):
            yield case("assistants/minimal", minimal, content, assistants=True)

        # Unknown parameters are dropped; "body" on an operation without one too.
        yield case("unknown-param/bogus", {**minimal, "bogus": "x", "another_one": [1, 2]}, content)
        if op.request_body is None:
            yield case("unknown-param/body", {**minimal, "body": {"a": 1}})

        yield from self.path_cases(op, index, minimal, content, case)
        yield from self.query_cases(op, minimal, content, case)
        if body_kind == "json":
            yield from self.json_body_cases(op, base, body_min, body_full, case)
        elif body_kind == "multipart":
            yield from self.multipart_cases(op, base, case)

    def base_params(self, op: Operation) -> dict:
        params: dict = {}
        for param in op.parameters:
            if param.get("in") == "path":
                params[param["name"]] = "abc_123"
            elif param.get("in") == "query" and param.get("required"):
                params[param["name"]] = self.schemas.example(param.get("schema") or {})
        return params

    def all_query(self, op: Operation) -> dict:
        out = {}
        for param in op.parameters:
            if param.get("in") == "query" and not self._deep_object(param):
                out[param["name"]] = self.schemas.example(param.get("schema") or {}, full=True)
        return out

    @staticmethod
    def _deep_object(param: dict) -> bool:
        return param.get("style") == "deepObject"

    def body_media(self, op: Operation) -> str | None:
        body = op.request_body
        if body is None:
            return None
        media = body.get("content") or {}
        if "multipart/form-data" in media:
            return "multipart"
        return "json" if "application/json" in media else "other"

    def body_schema(self, op: Operation) -> dict:
        body = op.request_body or {}
        media = body.get("content") or {}
        for name in ("application/json", "multipart/form-data"):
            if name in media:
                return self.schemas.resolve(media[name].get("schema") or {})
        return {}

    def body_example(self, op: Operation, full: bool) -> Any:
        if op.request_body is None:
            return None
        return self.schemas.example(self.body_schema(op), full=full)

    # -- families -----------------------------------------------------------------

    def path_cases(
        self, op: Operation, index: int, minimal: dict, content: dict, case: Any
    ) -> Iterator[Case]:
        path_params = [p["name"] for p in op.parameters if p.get("in") == "path"]
        for name in path_params:
            params = {k: v for k, v in minimal.items() if k != name}
            yield case(f"missing-path/{name}", params, content)
            yield case(f"null-path/{name}", {**minimal, name: None}, content)
        if path_params:
            first = path_params[0]
            # Every special value on a few operations, three rotating ones on the rest.
            picks = range(len(SPECIAL_STRINGS)) if index % 25 == 0 else (index % 15, (index + 5) % 15)
            for pick in picks:
                value = SPECIAL_STRINGS[pick]
                yield case(f"path-chars/{first}/{pick}", {**minimal, first: value}, content)
            yield case(f"path-number/{first}", {**minimal, first: 12.5}, content)

    def query_cases(self, op: Operation, minimal: dict, content: dict, case: Any) -> Iterator[Case]:
        params = [p for p in op.parameters if p.get("in") == "query"]
        for position, param in enumerate(params):
            name = param["name"]
            schema = self.schemas.flat(param.get("schema") or {})
            kind = self.schemas.type_of(schema)
            if param.get("required"):
                yield case(f"missing-query/{name}", {k: v for k, v in minimal.items() if k != name}, content)
            yield case(f"query-valid/{name}", {**minimal, name: self.schemas.example(schema, True)}, content)
            yield case(f"query-null/{name}", {**minimal, name: None}, content)
            for label, value in wrong_type(kind)[:2]:
                yield case(f"query-wrong-type/{name}/{label}", {**minimal, name: value}, content)
            for label, value in coercible(kind):
                yield case(f"query-coerce/{name}/{label}", {**minimal, name: value}, content)
            yield from self.limit_cases(f"query-limit/{name}", schema, kind, minimal, name, content, case)
            enum = schema.get("enum")
            if enum:
                yield case(f"query-enum/{name}", {**minimal, name: "not-in-enum"}, content)
            if kind == "array":
                item = self.schemas.example(schema.get("items") or {})
                yield case(f"query-array/{name}/two", {**minimal, name: [item, item]}, content)
                yield case(f"query-array/{name}/empty", {**minimal, name: []}, content)
                yield case(f"query-array/{name}/numbers", {**minimal, name: [1, 2.5]}, content)
                items = self.schemas.flat(schema.get("items") or {})
                if items.get("enum"):
                    yield case(f"query-array/{name}/bad-item", {**minimal, name: [item, "nope"]}, content)
            if kind == "object":
                yield case(f"query-object/{name}", {**minimal, name: {"key": "value"}}, content)
                inner = schema.get("properties") or {}
                if inner:
                    first = sorted(inner)[0]
                    bad = wrong_type(self.schemas.type_of(inner[first]))[0][1]
                    yield case(f"query-object/{name}/bad-property", {**minimal, name: {first: bad}}, content)
            if kind == "string" and position % 2 == 0:
                for pick in (position % 15, (position + 7) % 15):
                    value = SPECIAL_STRINGS[pick]
                    yield case(f"query-chars/{name}/{pick}", {**minimal, name: value}, content)

    def limit_cases(
        self, family: str, schema: dict, kind: str, base: dict, name: str, content: dict, case: Any
    ) -> Iterator[Case]:
        for label, value in limit_values(schema, kind):
            yield case(f"{family}/{label}", {**base, name: value}, content)

    def json_body_cases(
        self, op: Operation, base: dict, body_min: Any, body_full: Any, case: Any
    ) -> Iterator:
        schema = self.schemas.flat(self.body_schema(op))
        required = bool((op.request_body or {}).get("required"))

        # Where the body comes from: params, the json generator, form, raw bytes.
        yield case("body-source/json-generator", base, {"json": body_min})
        yield case("body-source/raw-json-text", base, {"body": '{"raw":true}'})
        if isinstance(body_min, dict) and all(isinstance(v, (str, int)) for v in body_min.values()):
            yield case("body-source/form", base, {"form": body_min})
        yield case("body-source/params-and-json", {**base, "body": body_min}, {"json": {"other": 1}})
        # A raw body beside a params body: Perl validates the params body but sends the
        # raw one (build_tx takes a defined $content{body} first): not hash order.
        yield case("body-source/params-and-raw", {**base, "body": body_min}, {"body": '{"raw":true}'})
        # Two bodies at once: Perl's pick follows hash order (a deviation we do not copy),
        # so a few operations show it; exclusions.yaml names each of these cases.
        if op.operation_id in TWO_BODY_OPERATIONS:
            yield case("body-source/params-and-form", {**base, "body": body_min}, {"form": {"other": "1"}})
            yield case("body-source/json-and-form", base, {"json": body_min, "form": {"other": "1"}})

        # Falsy and absent bodies: Perl treats a false body as no body at all.
        if required:
            yield case("missing-body/absent", base)
        for label, value in (
            ("zero", 0),
            ("empty-string", ""),
            ("null", None),
            ("false", False),
            ("empty-object", {}),
            ("empty-array", []),
            ("string-zero", "0"),
        ):
            yield case(f"falsy-body/params/{label}", {**base, "body": value})
        yield case("falsy-body/json/null", base, {"json": None})
        yield case("falsy-body/json/zero", base, {"json": 0})
        yield case("body-wrong-type/array", {**base, "body": [body_min]})
        yield case("body-wrong-type/string", {**base, "body": "text"})

        if self.schemas.type_of(schema) != "object" or not isinstance(body_min, dict):
            yield from self.branch_cases("body-branch", schema, base, case)
            return
        yield from self.property_cases(schema, base, body_min, case)

    def property_cases(self, schema: dict, base: dict, body_min: dict, case: Any) -> Iterator[Case]:
        properties = schema.get("properties") or {}
        required = [r for r in schema.get("required") or [] if r in properties]
        names = sorted(properties)
        chosen = required + [n for n in names if n not in required][: max(0, MAX_PROPERTIES - len(required))]

        def with_field(name: str, value: Any, label: str) -> Case:
            body = {**body_min, name: value}
            return case(f"{label}/{name}", {**base, "body": body})

        for name in required:
            body = {k: v for k, v in body_min.items() if k != name}
            yield case(f"missing-field/{name}", {**base, "body": body})
        if schema.get("additionalProperties") is False:
            yield case("additional-property/top", {**base, "body": {**body_min, "bogus_field": 1}})
        else:
            yield case("extra-property/top", {**base, "body": {**body_min, "bogus_field": 1}})

        seen_kinds: dict[str, int] = {}
        for name in chosen:
            prop = self.schemas.flat(properties[name])
            kind = self.schemas.type_of(prop)
            position = seen_kinds[kind] = seen_kinds.get(kind, -1) + 1  # n-th property of this type
            null_label = "null-nullable" if self.schemas.nullable(prop) else "null-not-nullable"
            yield with_field(name, None, null_label)
            for label, value in wrong_type(kind)[:2]:
                yield with_field(name, value, f"wrong-type/{label}")
            for label, value in coercible(kind)[:3]:
                yield with_field(name, value, f"body-coerce/{label}")
            if prop.get("enum"):
                yield with_field(name, "not-in-enum", "enum")
            for label, value in limit_values(prop, kind):
                yield with_field(name, value, f"limit/{label}")
            branches = self.schemas.branches(prop)
            for b_index, branch in enumerate(branches[:4]):
                yield with_field(name, self.schemas.example(branch, True), f"branch/{b_index}")
            if branches:
                yield with_field(name, {"surely": ["matches", "nothing"]}, "branch/none")
            if kind == "object":
                yield from self.nested_cases(name, prop, base, body_min, case)
            if kind == "string" and position < 3:
                for t_index, text in enumerate(TRICKY_TEXT):
                    yield with_field(name, text, f"text/{t_index}")
            if kind == "number" and position < 2:
                for n_index, number in enumerate(TRICKY_NUMBERS):
                    yield with_field(name, number, f"number/{n_index}")
            if kind == "array":
                item = self.schemas.example(prop.get("items") or {}, True)
                yield with_field(name, [item, item], "array/two")
                yield with_field(name, [None], "array/null-item")

    def nested_cases(self, name: str, prop: dict, base: dict, body_min: dict, case: Any) -> Iterator[Case]:
        inner = self.schemas.example(prop, full=True)
        if not isinstance(inner, dict):
            return
        yield case(f"nested-valid/{name}", {**base, "body": {**body_min, name: inner}})
        for req in (prop.get("required") or [])[:2]:
            without = {k: v for k, v in inner.items() if k != req}
            yield case(f"nested-missing/{name}/{req}", {**base, "body": {**body_min, name: without}})
        label = "nested-additional" if prop.get("additionalProperties") is False else "nested-extra"
        yield case(f"{label}/{name}", {**base, "body": {**body_min, name: {**inner, "bogus_inner": "x"}}})
        extra = prop.get("additionalProperties")
        if isinstance(extra, dict) and not prop.get("properties"):
            yield case(f"nested-map/{name}/wrong", {**base, "body": {**body_min, name: {"k": {"deep": 1}}}})

    def branch_cases(self, family: str, schema: dict, base: dict, case: Any) -> Iterator[Case]:
        for b_index, branch in enumerate(self.schemas.branches(schema)[:4]):
            yield case(f"{family}/{b_index}", {**base, "body": self.schemas.example(branch, True)})

    def stream_fields(self, op: Operation) -> dict:
        """What asks for a stream in this body: ``stream: true``, or a field whose enum has ``sse``."""
        properties = self.schemas.flat(self.body_schema(op)).get("properties") or {}
        if "stream" in properties:
            return {"stream": True}
        for name, prop in properties.items():
            if "sse" in (self.schemas.flat(prop).get("enum") or ()):
                return {name: "sse"}
        return {}

    def upload_fields(self, op: Operation, full: bool) -> dict:
        schema = self.schemas.flat(self.body_schema(op))
        properties = schema.get("properties") or {}
        names = list(properties) if full else list(schema.get("required") or [])
        fields: dict = {}
        for name in names:
            prop = self.schemas.flat(properties[name])
            if prop.get("format") == "binary" or self._binary_branch(prop):
                continue
            fields[name] = self.schemas.example(prop, full)
        file_field = next(
            (n for n, p in properties.items() if self.schemas.flat(p).get("format") == "binary"), None
        )
        fields["file"] = upload("hello.txt" if file_field in (None, "file") else "otter.png")
        return fields

    def _binary_branch(self, prop: dict) -> bool:
        return any(self.schemas.flat(b).get("format") == "binary" for b in self.schemas.branches(prop))

    def multipart_cases(self, op: Operation, base: dict, case: Any) -> Iterator[Case]:
        schema = self.schemas.flat(self.body_schema(op))
        fields = self.upload_fields(op, full=False)
        properties = schema.get("properties") or {}
        yield case("upload/no-file", base, {"file_upload": {k: v for k, v in fields.items() if k != "file"}})
        for name in UPLOAD_FILES:
            yield case(f"upload/file/{name}", base, {"file_upload": {**fields, "file": upload(name)}})
        # A path that is not there: relative (the run's cwd is a scratch directory) and in
        # a directory that does not exist either.
        yield case(
            "upload/missing-file/relative", base, {"file_upload": {**fields, "file": "no-such-upload.txt"}}
        )
        yield case(
            "upload/missing-file/no-dir", base, {"file_upload": {**fields, "file": "/no-such-dir/x.txt"}}
        )
        yield case("upload/extra-field", base, {"file_upload": {**fields, "bogus_field": "x"}})
        yield case("upload/array-field", base, {"file_upload": {**fields, "tags": ["a", "b"]}})
        yield case("upload/null-field", base, {"file_upload": {**fields, "purpose": None}})
        for name in schema.get("required") or []:
            if name in fields and name != "file":
                without = {k: v for k, v in fields.items() if k != name}
                yield case(f"upload/missing/{name}", base, {"file_upload": without})
        for name in sorted(properties)[:MAX_PROPERTIES]:
            prop = self.schemas.flat(properties[name])
            if prop.get("enum"):
                yield case(f"upload/enum/{name}", base, {"file_upload": {**fields, name: "not-in-enum"}})
            kind = self.schemas.type_of(prop)
            for label, value in coercible(kind)[:2]:
                yield case(f"upload/coerce/{name}/{label}", base, {"file_upload": {**fields, name: value}})
        yield case("upload/via-json", base, {"json": {k: v for k, v in fields.items() if k != "file"}})
        yield case("upload/via-form", base, {"form": {**fields, "file": {"file": fields["file"]}}})
        yield case("upload/via-params-body", {**base, "body": fields})

    # -- not tied to one operation ------------------------------------------------------

    def global_cases(self) -> Iterator[Case]:
        ops = self.spec.operations
        yield Case("_global/no-such-operation", "unknown-operation", "noSuchOperation", {})
        yield Case("_global/empty-operation-name", "unknown-operation", "", {})
        # Perl 0.28 makes snake_case aliases only for its shipped spec; we make them for every spec.
        for oid in ("getRun", "createChatCompletion", "listFiles"):
            if oid in ops:
                alias = ops[oid].snake_name
                params = self.base_params(ops[oid])
                if oid == "createChatCompletion":
                    params["body"] = self.body_example(ops[oid], full=False)
                yield Case(f"_global/alias/{alias}", "alias", alias, params)


def limit_values(schema: dict, kind: str) -> list[tuple[str, Any]]:
    """Values on and just past each declared limit."""
    out: list[tuple[str, Any]] = []
    for key, step in (("minimum", -1), ("maximum", 1), ("exclusiveMinimum", 0), ("exclusiveMaximum", 0)):
        bound = schema.get(key)
        if isinstance(bound, (int, float)) and not isinstance(bound, bool):
            out.append((f"{key}-at", bound))
            if step:
                out.append((f"{key}-past", bound + step if kind == "integer" else bound + step * 0.5))
    for key, step in (("minLength", -1), ("maxLength", 1)):
        bound = schema.get(key)
        if isinstance(bound, int) and bound + step >= 0:
            out.append((f"{key}-past", "y" * (bound + step)))
    for key, step in (("minItems", -1), ("maxItems", 1)):
        bound = schema.get(key)
        if isinstance(bound, int) and bound + step >= 0:
            out.append((f"{key}-past", ["y"] * (bound + step)))
    return out


def generate(spec_path: Path = TEST_BED) -> list[Case]:
    """Every case for the spec at ``spec_path``, in a stable order."""
    return Generator(load_spec(spec_path)).cases()
