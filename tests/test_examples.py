"""Examples built from schemas: valid, complete (no null holes), deterministic, for every operation.

Validity is judged by ``jsonschema`` (Draft 2020-12) over the whole spec document,
taught the two OpenAPI 3.0 spellings OpenAI's 3.1 spec still uses: ``nullable``
and boolean ``exclusiveMinimum``/``exclusiveMaximum``.
"""

from __future__ import annotations

import json
import time
import urllib.parse

import pytest
from jsonschema import Draft202012Validator
from jsonschema.validators import extend
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from openapi_client_openai.examples import (
    build_example,
    request_example,
    response_example,
    success_status,
)
from openapi_client_openai.operations import Operation
from openapi_client_openai.spec import BUNDLED_SPEC, load_spec

SPEC_URI = "urn:openapi-spec"


# -- validation over a whole spec document -----------------------------------------------


def _nullable_aware(check):
    def wrapped(validator, value, instance, schema):
        if instance is None and schema.get("nullable") is True:
            return
        yield from check(validator, value, instance, schema)

    return wrapped


def _perl_number(value):
    """Bounds as Perl compares them: the YAML loader keeps ``0.00001`` a string."""
    return float(value) if isinstance(value, str) else value


def _exclusive(bound, beyond):
    """3.0's boolean exclusiveMinimum/Maximum next to 3.1's numeric one."""
    base = Draft202012Validator.VALIDATORS[f"exclusive{bound.capitalize()}imum"]

    def check(validator, value, instance, schema):
        if value is True:
            limit = _perl_number(schema.get(f"{bound}imum"))
            if validator.is_type(instance, "number") and limit is not None and not beyond(instance, limit):
                yield from base(validator, limit, instance, schema)
        elif value is not False:
            yield from base(validator, _perl_number(value), instance, schema)

    return check


def _inclusive(bound):
    base = Draft202012Validator.VALIDATORS[f"{bound}imum"]

    def check(validator, value, instance, schema):
        if schema.get(f"exclusive{bound.capitalize()}imum") is True:
            return  # checked, exclusively, by the keyword above
        yield from base(validator, _perl_number(value), instance, schema)

    return check


_KEYWORDS = {name: _nullable_aware(check) for name, check in Draft202012Validator.VALIDATORS.items()}
_KEYWORDS["exclusiveMinimum"] = _nullable_aware(_exclusive("min", lambda value, limit: value > limit))
_KEYWORDS["exclusiveMaximum"] = _nullable_aware(_exclusive("max", lambda value, limit: value < limit))
_KEYWORDS["minimum"] = _nullable_aware(_inclusive("min"))
_KEYWORDS["maximum"] = _nullable_aware(_inclusive("max"))
OpenAPIValidator = extend(Draft202012Validator, validators=_KEYWORDS)


class SpecValidator:
    """Validate values against schemas that live at JSON pointers of one spec document."""

    def __init__(self, spec) -> None:
        self.registry = Registry().with_resource(SPEC_URI, DRAFT202012.create_resource(spec.data))

    def errors(self, value, pointer: str) -> list[str]:
        ref = SPEC_URI + "#" + urllib.parse.quote(pointer, safe="/~")
        validator = OpenAPIValidator({"$ref": ref}, registry=self.registry)
        return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(value)]


def _escape(token) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


def _located(spec, node, pointer: str):
    """Follow a $ref chain, keeping track of where the final node lives."""
    while isinstance(node, dict) and isinstance(node.get("$ref"), str):
        pointer = node["$ref"][1:]
        node = spec.pointer(node["$ref"])
    return node, pointer


def schema_sites(spec):
    """(label, kind, operation, status, content_type, schema, pointer) for every body schema."""
    for op in spec.operations.values():
        place = f"/paths/{_escape(op.path)}/{op.method}"
        body, where = _located(spec, op.definition.get("requestBody"), place + "/requestBody")
        for content_type, media in ((body or {}).get("content") or {}).items():
            media, at = _located(spec, media, f"{where}/content/{_escape(content_type)}")
            if isinstance(media, dict) and "schema" in media:
                label = f"{op.operation_id} request {content_type}"
                yield label, "request", op, None, content_type, media["schema"], at + "/schema"
        for status, response in (op.definition.get("responses") or {}).items():
            response, where = _located(spec, response, f"{place}/responses/{_escape(status)}")
            for content_type, media in ((response or {}).get("content") or {}).items():
                media, at = _located(spec, media, f"{where}/content/{_escape(content_type)}")
                if isinstance(media, dict) and "schema" in media:
                    label = f"{op.operation_id} {status} {content_type}"
                    yield label, "response", op, str(status), content_type, media["schema"], at + "/schema"


# -- null holes -----------------------------------------------------------------------------


def _alternatives(spec, schema, seen=None) -> list[dict]:
    """The schema and every schema it is made of at the same place ($ref, allOf, anyOf, oneOf)."""
    seen = set() if seen is None else seen
    if not isinstance(schema, dict) or id(schema) in seen:
        return []
    seen.add(id(schema))
    found = [schema]
    if isinstance(schema.get("$ref"), str):
        found += _alternatives(spec, spec.pointer(schema["$ref"]), seen)
    for keyword in ("allOf", "anyOf", "oneOf"):
        for branch in schema.get(keyword) or ():
            found += _alternatives(spec, branch, seen)
    return found


def _null_only(schema: dict) -> bool:
    kind = schema.get("type")
    enum = schema.get("enum")
    return (
        kind in ("null", ["null"])
        or ("const" in schema and schema["const"] is None)
        or (isinstance(enum, list) and bool(enum) and all(v is None for v in enum))
    )


def null_holes(spec, value, schema, place="") -> list[str]:
    """Places where ``value`` holds null although no schema there demands null."""
    schemas = _alternatives(spec, schema)
    if value is None:
        return [] if not schemas or any(_null_only(s) for s in schemas) else [place or "/"]
    holes = []
    if isinstance(value, dict):
        for key, item in value.items():
            subs = []
            for s in schemas:
                props = s.get("properties") if isinstance(s.get("properties"), dict) else {}
                if key in props:
                    subs.append(props[key])
                elif isinstance(s.get("additionalProperties"), dict):
                    subs.append(s["additionalProperties"])
            inner = {"anyOf": subs} if subs else None
            holes += null_holes(spec, item, inner, f"{place}/{key}") if inner else _bare_nulls(item, place)
    elif isinstance(value, list):
        subs = [s["items"] for s in schemas if isinstance(s.get("items"), dict)]
        for index, item in enumerate(value):
            inner = {"anyOf": subs} if subs else None
            holes += null_holes(spec, item, inner, f"{place}/{index}") if inner else _bare_nulls(item, place)
    return holes


def _bare_nulls(value, place) -> list[str]:
    """Nulls under a place no schema describes: holes all the same, since nothing asked for them."""
    if value is None:
        return [place or "/"]
    if isinstance(value, dict):
        return [h for k, v in value.items() for h in _bare_nulls(v, f"{place}/{k}")]
    if isinstance(value, list):
        return [h for i, v in enumerate(value) for h in _bare_nulls(v, f"{place}/{i}")]
    return []


# -- the specs ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bundled_spec():
    return load_spec(str(BUNDLED_SPEC))


def _check_spec(spec, capsys, name: str) -> None:
    validator = SpecValidator(spec)
    failures, invalid_given, sites = [], [], 0
    for label, kind, op, status, content_type, schema, pointer in schema_sites(spec):
        sites += 1
        # Built purely from the structure: must be valid and free of null holes.
        pure = build_example(spec, schema, use_spec_examples=False)
        failures += [f"{label} (built): {e}" for e in validator.errors(pure, pointer)]
        failures += [f"{label} (built): null at {h}" for h in null_holes(spec, pure, schema)]
        # With the schemas' own examples: those are checked before use, so still no nulls.
        with_examples = build_example(spec, schema)
        holes = null_holes(spec, with_examples, schema)
        failures += [f"{label} (schema examples): null at {h}" for h in holes]
        if validator.errors(with_examples, pointer):
            invalid_given.append(f"{label}: a schema-level example")
        # What docs and mock use: an operation-level example may come straight from the spec.
        if kind == "request":
            chosen = request_example(spec, op, content_type)
        else:
            chosen = response_example(spec, op, status, content_type)
        if chosen != with_examples and validator.errors(chosen, pointer):
            invalid_given.append(f"{label}: the operation's example")
    assert not failures, "\n".join(failures[:40])
    assert sites > 0
    with capsys.disabled():
        print(f"\n{name}: {sites} body schemas, {len(invalid_given)} invalid spec-provided examples")
        for line in invalid_given:
            print(f"  {line}")


def test_every_example_of_openai_spec_is_valid_and_complete(openai_spec, capsys):
    _check_spec(openai_spec, capsys, "OpenAI spec")


def test_every_example_of_bundled_spec_is_valid_and_complete(bundled_spec, capsys):
    _check_spec(bundled_spec, capsys, "bundled spec")


def _all_examples(spec, order=1) -> str:
    sites = list(schema_sites(spec))[::order]
    built = {}
    for label, _kind, _op, _status, _content_type, schema, _pointer in sites:
        built[label] = [build_example(spec, schema), build_example(spec, schema, use_spec_examples=False)]
    return json.dumps({k: built[k] for k in sorted(built)})


def test_openai_examples_are_deterministic_and_fast(openai_spec, openai_spec_path, capsys):
    # openai_spec and openai_spec_path (conftest.py) skip locally, and fail under CI=true,
    # when ../shared is missing.
    fresh = load_spec(str(openai_spec_path))  # another Spec object: a cold memo
    assert fresh is not openai_spec
    started = time.perf_counter()
    first = _all_examples(fresh)
    elapsed = time.perf_counter() - started
    again = load_spec(str(openai_spec_path))
    # Reverse order on a cold memo: a memoised value that depends on context would show here.
    assert _all_examples(again, order=-1) == first
    assert _all_examples(fresh) == first  # warm memo
    with capsys.disabled():
        print(f"\nOpenAI spec: all examples built (cold) in {elapsed * 1000:.0f} ms")


# -- behaviour on small specs ---------------------------------------------------------------

SCHEMAS = {
    "Pet": {
        "type": "object",
        "required": ["id"],
        "properties": {
            "name": {"type": "string", "nullable": True},
            "id": {"type": "integer", "minimum": 1},
            "tag": {"type": ["null", "string"]},
            "owner": {"anyOf": [{"type": "null"}, {"$ref": "#/components/schemas/Owner"}]},
            "kind": {"type": "string", "enum": [None, "cat", "dog"]},
            "version": {"const": "v1"},
        },
    },
    "Owner": {"type": "object", "properties": {"email": {"type": "string", "format": "email"}}},
    "Node": {
        "type": "object",
        "required": ["name"],
        "properties": {
            "name": {"type": "string"},
            "parent": {"$ref": "#/components/schemas/Node"},
            "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
        },
    },
    "Expr": {"anyOf": [{"$ref": "#/components/schemas/Sum"}, {"type": "integer"}]},
    "Sum": {
        "type": "object",
        "required": ["left", "right"],
        "properties": {
            "left": {"$ref": "#/components/schemas/Expr"},
            "right": {"$ref": "#/components/schemas/Expr"},
        },
    },
    "Cat": {"type": "object", "properties": {"pet_type": {"type": "string"}, "purrs": {"type": "boolean"}}},
    "Dog": {"type": "object", "properties": {"pet_type": {"type": "string", "enum": ["doggo"]}}},
    "Bird": {
        "allOf": [
            {
                "type": "object",
                "properties": {
                    "pet_type": {"anyOf": [{"type": "string", "enum": ["bird"]}, {"type": "null"}]}
                },
            }
        ]
    },
    "Flyer": {
        "anyOf": [{"$ref": "#/components/schemas/Bird"}, {"$ref": "#/components/schemas/Cat"}],
        "discriminator": {"propertyName": "pet_type"},
    },
    "Animal": {
        "anyOf": [{"$ref": "#/components/schemas/Cat"}, {"$ref": "#/components/schemas/Dog"}],
        "discriminator": {"propertyName": "pet_type"},
    },
    "MappedAnimal": {
        "anyOf": [{"$ref": "#/components/schemas/Dog"}, {"$ref": "#/components/schemas/Cat"}],
        "discriminator": {"propertyName": "pet_type", "mapping": {"dog": "#/components/schemas/Dog"}},
    },
    "Strategy": {
        "type": "object",
        "anyOf": [{"properties": {"type": {"enum": ["auto"]}}}],
        "discriminator": {"propertyName": "type"},
    },
    "Store": {
        "type": "object",
        "required": ["id"],
        "properties": {
            "id": {"type": "string"},
            "strategy": {"$ref": "#/components/schemas/Strategy"},
            "either": {"anyOf": [{"$ref": "#/components/schemas/Strategy"}, {"type": "integer"}]},
        },
    },
    "Run": {"type": "object", "properties": {"id": {"type": "string"}, "object": {"const": "thread.run"}}},
}

PATHS = {
    "/runs/{run_id}": {
        "get": {
            "operationId": "getRun",
            "responses": {
                "404": {"description": "no", "content": {"application/json": {"schema": {"type": "object"}}}},
                "201": {
                    "description": "ok",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Run"}},
                        "text/plain": {"schema": {"type": "string"}, "example": "plain"},
                    },
                },
            },
            "x-oaiMeta": {"examples": {"response": '{"id": "run_from_meta", "object": "thread.run"}'}},
        },
        "post": {
            "operationId": "modifyRun",
            "requestBody": {
                "content": {
                    "multipart/form-data": {
                        "schema": {"type": "object", "properties": {"f": {"type": "string"}}}
                    },
                    "application/json": {
                        "schema": {"$ref": "#/components/schemas/Run"},
                        "example": {"id": "r1"},
                    },
                }
            },
            "responses": {
                "200": {
                    "description": "ok",
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/Run"},
                            "examples": {
                                "first": {"value": {"id": "from_examples"}},
                                "second": {"value": {}},
                            },
                        }
                    },
                }
            },
            "x-oaiMeta": {"examples": {"response": '{"id": "never used: the media type has examples"}'}},
        },
        "delete": {
            "operationId": "deleteRun",
            "responses": {
                "200": {
                    "description": "ok",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Run"}}},
                }
            },
            "x-oaiMeta": {
                "examples": [
                    {"title": "streamed", "response": "data: {...}"},
                    {"title": "plain", "response": '{"id": "second_example"}'},
                ]
            },
        },
    },
    "/runs": {
        "get": {
            "operationId": "listRuns",
            "responses": {
                "200": {
                    "description": "ok",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Run"}}},
                }
            },
            "x-oaiMeta": {"examples": {"response": "not JSON at all"}},
        }
    },
}


@pytest.fixture(scope="module")
def small_spec(tmp_path_factory):
    # Written as a file: a mapping given to load_spec comes back with its keys sorted.
    document = {"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": PATHS}
    document["components"] = {"schemas": SCHEMAS}
    path = tmp_path_factory.mktemp("spec") / "small.json"
    path.write_text(json.dumps(document))
    return load_spec(str(path))


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def test_objects_have_every_property_in_order_and_never_null(small_spec):
    pet = build_example(small_spec, ref("Pet"))
    assert list(pet) == ["name", "id", "tag", "owner", "kind", "version"]
    assert pet == {
        "name": "string",
        "id": 1,
        "tag": "string",
        "owner": {"email": "user@example.com"},
        "kind": "cat",
        "version": "v1",
    }


def test_null_only_where_nothing_else_is_allowed(small_spec):
    assert build_example(small_spec, {"type": "null"}) is None
    assert build_example(small_spec, {"anyOf": [{"type": "null"}, {"enum": [None]}]}) is None
    assert build_example(small_spec, {"type": ["null", "boolean"]}) is True


def test_recursion_ends_with_the_shortest_valid_form(small_spec):
    assert build_example(small_spec, ref("Node")) == {"name": "string", "children": []}
    # A required recursion falls back to the next anyOf branch.
    assert build_example(small_spec, ref("Expr")) == 0
    assert build_example(small_spec, ref("Sum")) == {"left": 0, "right": 0}


def test_memoised_parts_do_not_leak_a_cut_into_other_contexts():
    spec = load_spec(
        {
            "openapi": "3.1.0",
            "info": {"title": "t", "version": "1"},
            "paths": {},
            "components": {"schemas": SCHEMAS},
        }
    )
    inner = SCHEMAS["Node"]["properties"]["children"]
    assert build_example(spec, ref("Node")) == {"name": "string", "children": []}
    # Outside Node's own expansion the same array node holds a (cut) Node.
    assert build_example(spec, inner) == [{"name": "string", "children": []}]


def test_ref_siblings_and_allof_merge(small_spec):
    assert build_example(small_spec, {"$ref": "#/components/schemas/Run", "example": {"id": "x"}}) == {
        "id": "x"
    }
    assert build_example(small_spec, {"$ref": "#/components/schemas/Run", "description": "d"}) == {
        "id": "string",
        "object": "thread.run",
    }
    merged = build_example(
        small_spec,
        {
            "allOf": [
                ref("Run"),
                {"type": "object", "properties": {"n": {"type": "integer", "maximum": -3}}},
            ],
            "anyOf": [{"required": ["id"]}, {"required": ["n"]}],
        },
    )
    assert merged == {"id": "string", "object": "thread.run", "n": -3}


def test_discriminator_names_the_chosen_branch(small_spec):
    assert build_example(small_spec, ref("Animal")) == {"pet_type": "Cat", "purrs": True}
    assert build_example(small_spec, ref("MappedAnimal")) == {"pet_type": "dog"}
    # A branch that pins the property keeps its own value.
    assert build_example(small_spec, ref("Flyer")) == {"pet_type": "bird"}


def test_what_perl_never_accepts_is_left_out_where_optional(small_spec):
    # JSON::Validator checks a discriminator on an object schema through its mapping
    # only: with none, no value passes ("No definition for discriminator auto.").
    assert build_example(small_spec, ref("Store")) == {"id": "string", "either": 0}
    assert build_example(small_spec, ref("Strategy")) == {"type": "auto"}  # nothing else to show


def test_spec_examples_and_defaults_only_when_they_fit(small_spec):
    assert build_example(small_spec, {"type": "integer", "example": 7}) == 7
    assert build_example(small_spec, {"type": "integer", "example": "seven"}) == 0
    assert build_example(small_spec, {"type": "string", "example": None}) == "string"
    assert build_example(small_spec, {"type": "string", "examples": ["first", "second"]}) == "first"
    assert build_example(small_spec, {"type": "integer", "default": 3, "example": 9}) == 9
    assert build_example(small_spec, {"type": "integer", "default": 3}) == 3
    assert build_example(small_spec, {"type": "integer", "minimum": 5, "default": 3}) == 5
    assert build_example(small_spec, {"type": "integer", "example": 7}, use_spec_examples=False) == 0
    # An example with a null inside does not fit: examples never show null holes.
    assert build_example(small_spec, {**SCHEMAS["Run"], "example": {"id": None}}) == {
        "id": "string",
        "object": "thread.run",
    }


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ({"type": "integer", "minimum": 0, "exclusiveMinimum": True}, 1),  # OpenAPI 3.0
        ({"type": "integer", "exclusiveMinimum": 0}, 1),  # OpenAPI 3.1
        ({"type": "number", "exclusiveMinimum": 0, "maximum": 2}, 1),
        ({"type": "number", "minimum": 0, "exclusiveMinimum": True, "maximum": 1}, 0.5),
        ({"type": "number", "minimum": 0.25}, 0.25),
        ({"type": "number", "minimum": "0.00001", "exclusiveMinimum": True}, 1.00001),  # YAML::XS typing
        ({"type": "integer", "maximum": -3}, -3),
        ({"type": "integer", "exclusiveMaximum": -3}, -4),
        ({"type": "integer", "minimum": 1, "multipleOf": 5}, 5),
        ({"type": "string", "format": "date-time"}, "2024-01-01T00:00:00Z"),
        ({"type": "string", "format": "uri"}, "https://example.com/"),
        ({"type": "string", "format": "binary"}, "<binary data>"),
        ({"type": "string", "minLength": 10}, "stringxxxx"),
        ({"type": "string", "maxLength": 3}, "str"),
        ({"type": "string", "pattern": "^[0-9]+$"}, "0"),
        ({"type": "array", "items": {"type": "boolean"}}, [True]),
        ({"type": "array", "items": {"type": "integer"}, "minItems": 3}, [0, 0, 0]),
        ({"type": "array", "items": {"type": "integer"}, "maxItems": 0}, []),
        ({"type": "object", "additionalProperties": {"type": "integer"}}, {"key": 0}),
        ({"type": "object", "additionalProperties": True}, {}),
        ({"enum": [None, "b", "a"]}, "b"),
        ({"type": "string", "nullable": True}, "string"),
        ({}, {}),
    ],
)
def test_scalars_and_containers_respect_their_keywords(small_spec, schema, expected):
    built = build_example(small_spec, schema)
    assert built == expected
    assert type(built) is type(expected)


def test_results_are_private_copies(small_spec):
    first = build_example(small_spec, ref("Pet"))
    first["owner"]["email"] = "changed"
    assert build_example(small_spec, ref("Pet"))["owner"]["email"] == "user@example.com"


def test_response_example_prefers_the_spec(small_spec):
    ops = small_spec.operations
    assert success_status(ops["getRun"]) == "201"
    assert response_example(small_spec, ops["getRun"]) == {"id": "run_from_meta", "object": "thread.run"}
    assert response_example(small_spec, ops["getRun"], "201", "text/plain") == "plain"
    assert response_example(small_spec, ops["getRun"], "404") == {}
    assert response_example(small_spec, ops["getRun"], "500") is None
    assert response_example(small_spec, ops["getRun"], "201", "audio/mpeg") is None
    assert response_example(small_spec, ops["modifyRun"]) == {"id": "from_examples"}
    assert response_example(small_spec, ops["deleteRun"]) == {"id": "second_example"}
    assert response_example(small_spec, ops["listRuns"]) == {"id": "string", "object": "thread.run"}


def test_request_example(small_spec):
    ops = small_spec.operations
    assert request_example(small_spec, ops["getRun"]) is None
    assert request_example(small_spec, ops["modifyRun"]) == {"id": "r1"}  # application/json sorts first
    assert request_example(small_spec, ops["modifyRun"], "multipart/form-data") == {"f": "string"}


def test_operation_type_is_the_one_examples_take(small_spec):
    assert isinstance(small_spec.operations["getRun"], Operation)
