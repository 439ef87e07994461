"""The validator, keyword by keyword, against the real JSON::Validator (through the Perl client).

OpenAI's spec exercises what OpenAI uses (the parity suite covers it); this file
covers the JSON Schema keywords it does not, on small specs made here. Every
expectation comes from Perl running the same call: for invalid input the errors
list, for valid input the body Perl would send (coercions included).
"""

from __future__ import annotations

import json
import socket

import pytest

from openapi_client_openai import OpenAI

# (schema, values): each value is sent as the JSON body of POST /s<i>.
BODY_CASES: list[tuple[dict, list]] = [
    (
        {"type": "integer", "minimum": 1, "maximum": 10},
        [5, 0, 11, "5", "5.0", 5.0, 5.5, "x", True, None, [1]],
    ),
    ({"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1}, [0.5, 0, 1, "0.5", "1e-1", "-0"]),
    ({"type": "number", "multipleOf": 0.1}, [0.3, 0.35, "0.7", 3]),
    ({"type": "integer", "multipleOf": 3}, [9, 10, "12"]),
    (
        {"type": "string", "minLength": 2, "maxLength": 3, "pattern": "^a"},
        ["ab", "a", "abcd", "ba", 12, 1.5, True],
    ),
    ({"type": "string", "format": "uri"}, ["https://x.test/a", "no scheme", "http://é.test", "//host"]),
    ({"type": "integer", "format": "int64"}, [1, 9223372036854775807, "9223372036854775808", 1.5]),
    ({"type": "boolean"}, [True, False, "true", "false", "1", "0", "", 1, 0, "yes", None]),
    ({"type": "null"}, [None, 0, "", False]),
    ({"type": ["string", "null"]}, ["a", None, 5, True, {}]),
    ({"type": ["integer", "string"], "enum": [1, "a"]}, [1, "a", "1", 2, "b"]),
    ({"enum": ["a", 1, None, True, [1], {"k": "v"}]}, ["a", 1, "1", None, True, [1], {"k": "v"}, "z"]),
    ({"const": "fixed"}, ["fixed", "other", None]),
    ({"type": "object", "const": {"a": 1}}, [{"a": 1}, {"a": "1"}]),
    ({"type": "string", "nullable": True, "enum": ["x"]}, ["x", None, "y"]),
    ({"type": "integer", "nullable": True}, [None, 1, "a"]),
    (
        {
            "type": "object",
            "required": ["a", "b"],
            "additionalProperties": False,
            "properties": {"a": {"type": "integer"}, "b": {"type": "string"}},
        },
        [{"a": 1, "b": "x"}, {}, {"a": "1", "b": 2}, {"a": 1, "b": "x", "c": 1, "aa": 2}, {"c": 1}, []],
    ),
    (
        {
            "type": "object",
            "minProperties": 1,
            "maxProperties": 2,
            "patternProperties": {"^x-": {"type": "integer"}},
            "additionalProperties": {"type": "string"},
        },
        [{}, {"x-a": "1"}, {"x-a": "z"}, {"b": 5}, {"a": "1", "b": "2", "c": "3"}],
    ),
    (
        {
            "type": "object",
            "dependentRequired": {"a": ["b", "c"]},
            "dependentSchemas": {"d": {"required": ["e"]}},
        },
        [{"a": 1}, {"a": 1, "b": 2, "c": 3}, {"d": 1}, {"d": 1, "e": 2}],
    ),
    (
        {
            "type": "object",
            "properties": {"id": {"type": "string", "readOnly": True}, "n": {"type": "integer"}},
            "required": ["id", "n"],
        },
        [{"n": 1}, {"id": "x", "n": 1}, {}],
    ),
    (
        {"type": "array", "minItems": 1, "maxItems": 3, "uniqueItems": True, "items": {"type": "integer"}},
        [[1, 2], [], [1, 1], [1, 2, 3, 4], ["1", "2"], ["1", 1], [1, "x"]],
    ),
    ({"type": "array", "contains": {"type": "string"}, "minContains": 2}, [["a", "b", 1], ["a", 1], [], [1]]),
    (
        {"type": "array", "items": [{"type": "integer"}, {"type": "string"}], "additionalItems": False},
        [[1, "a"], [1, "a", 2], ["a"]],
    ),
    ({"anyOf": [{"type": "integer", "maximum": 3}, {"type": "string"}]}, [2, "5", 5, {}, None]),
    ({"oneOf": [{"type": "integer"}, {"type": "number"}]}, [1, 1.5, "x", "2"]),
    ({"oneOf": [{"type": "string"}, {"type": "integer"}]}, ["a", "5", 5, True]),
    (
        {"allOf": [{"type": "object", "required": ["a"]}, {"properties": {"a": {"type": "integer"}}}]},
        [{"a": 1}, {}, {"a": "x"}, "s"],
    ),
    ({"allOf": [{"type": "string"}, {"type": "integer"}]}, ["a", 1, {}]),
    ({"not": {"type": "string"}}, [1, "a"]),
    (
        {
            "if": {"properties": {"t": {"const": "a"}}},
            "then": {"required": ["x"]},
            "else": {"required": ["y"]},
        },
        [{"t": "a"}, {"t": "b"}, {"t": "a", "x": 1}],
    ),
    (
        {
            "type": "object",
            "discriminator": {
                "propertyName": "kind",
                "mapping": {"cat": "#/components/schemas/Cat", "dog": "#/components/schemas/Dog"},
            },
            "oneOf": [{"$ref": "#/components/schemas/Cat"}, {"$ref": "#/components/schemas/Dog"}],
        },
        [{"kind": "cat", "meow": True}, {"kind": "dog"}, {"kind": "cow"}, {}, {"kind": "cat", "meow": "yes"}],
    ),
    (
        {"$ref": "#/components/schemas/Tree"},
        [
            {"name": "a", "children": [{"name": "b", "children": []}]},
            {"name": 1, "children": [{"children": [{"name": {}}]}]},
        ],
    ),
    (
        {
            "$ref": "#/components/schemas/Cat",
            "description": "siblings of $ref",
            "required": ["kind", "lives"],
        },
        [{"kind": "cat", "meow": True}, {"kind": "cat", "lives": 9}],
    ),
    ({"properties": {"a": {"type": "string"}}}, [{"a": 1}, "not an object", None, 5]),
    (
        {"type": "object", "properties": {"x~/y": {"type": "integer"}, "-": {"type": "integer"}}},
        [{"x~/y": "q", "-": "r"}],
    ),
]
COMPONENTS = {
    "schemas": {
        "Cat": {
            "type": "object",
            "required": ["kind"],
            "properties": {"kind": {"type": "string"}, "meow": {"type": "boolean"}},
        },
        "Dog": {
            "type": "object",
            "required": ["kind", "bark"],
            "properties": {"kind": {"type": "string"}, "bark": {"type": "boolean"}},
        },
        "Tree": {
            "type": "object",
            "required": ["name"],
            "properties": {
                "name": {"type": "string"},
                "children": {"type": "array", "items": {"$ref": "#/components/schemas/Tree"}},
            },
        },
    }
}
QUERY_PARAMS = [
    {"name": "n", "in": "query", "schema": {"type": "integer", "default": 3, "minimum": 1}},
    {"name": "flag", "in": "query", "schema": {"type": "boolean"}},
    {
        "name": "tags",
        "in": "query",
        "schema": {"type": "array", "items": {"type": "string", "enum": ["a", "b"]}},
    },
    {
        "name": "csv",
        "in": "query",
        "explode": False,
        "schema": {"type": "array", "items": {"type": "integer"}},
    },
    {"name": "need", "in": "query", "required": True, "schema": {"type": "string", "minLength": 1}},
    {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}},
]
QUERY_VALUES = [
    {"id": 1, "need": "x"},
    {"id": "1", "need": "", "n": "0"},
    {"id": "x", "need": ["a", "b"], "n": [1, "2"], "flag": "maybe", "tags": ["a", "c"], "csv": "1,x,3"},
    {"need": "y", "flag": True, "tags": "a", "csv": ["1,2"]},
    {"id": 2},
]


def build_spec() -> dict:
    paths = {
        f"/s{i}": {
            "post": {
                "operationId": f"s{i}",
                "requestBody": {"required": True, "content": {"application/json": {"schema": schema}}},
                "responses": {"200": {"description": "ok"}},
            }
        }
        for i, (schema, _) in enumerate(BODY_CASES)
    }
    paths["/q/{id}"] = {
        "get": {
            "operationId": "query",
            "parameters": QUERY_PARAMS,
            "responses": {"200": {"description": "ok"}},
        }
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "keywords", "version": "1"},
        "servers": [{"url": "http://127.0.0.1/v1"}],
        "paths": paths,
        "components": COMPONENTS,
    }


def outcome(tx) -> tuple:
    """What must match: the local 400's errors, or what would go on the wire."""
    if tx.res.code == 400 and not tx.is_sent:
        return ("invalid", tx.res.json("/errors"))
    return ("sent", tx.req.method.upper(), str(tx.req.url).split("/v1", 1)[1], tx.req.body)  # Perl: "post"


@pytest.fixture(scope="module")
def clients(perl_env: dict, tmp_path_factory: pytest.TempPathFactory):
    from perl_compat.bridge import PerlClient

    path = tmp_path_factory.mktemp("keywords") / "keywords.json"
    path.write_text(json.dumps(build_spec()))
    with socket.socket() as sock:  # nothing listens: both clients build, neither needs an answer
        sock.bind(("127.0.0.1", 0))
        base_url = f"http://127.0.0.1:{sock.getsockname()[1]}/v1"
    mp = pytest.MonkeyPatch()
    mp.setenv("OPENAI_API_KEY", "sk-test")
    python = OpenAI(str(path), base_url=base_url)
    perl = PerlClient(str(path), base_url=base_url, mode="subprocess")
    yield python, perl
    perl.close()
    mp.undo()


@pytest.mark.parametrize("index", range(len(BODY_CASES)))
def test_body_keywords_match_json_validator(clients, index: int) -> None:
    python, perl = clients
    schema, values = BODY_CASES[index]
    for value in values:
        ours = outcome(python.call(f"s{index}", {"body": value}))
        theirs = outcome(perl.call(f"s{index}", {"body": value}))
        assert ours == theirs, f"schema {schema} value {value!r}"


@pytest.mark.parametrize("params", QUERY_VALUES, ids=range(len(QUERY_VALUES)))
def test_parameter_styles_defaults_and_coercion_match(clients, params: dict) -> None:
    python, perl = clients
    assert outcome(python.call("query", dict(params))) == outcome(perl.call("query", dict(params)))


def test_the_callers_data_is_never_changed(clients) -> None:
    python, _ = clients
    body = {"a": "1", "b": "x"}
    index = next(i for i, (s, _) in enumerate(BODY_CASES) if s.get("required") == ["a", "b"])
    tx = python.call(f"s{index}", {"body": body})
    assert json.loads(tx.req.body) == {"a": 1, "b": "x"}  # coerced on the wire, as Perl does
    assert body == {"a": "1", "b": "x"}  # but not in our caller's hands (Perl would change it)
