"""client.validator against $client->validator: get(), routes, base_url, as JSON::Validator answers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from openapi_client_openai import Client
from openapi_client_openai.spec_schema import SpecSchema

from .conftest import BUNDLED_SPEC

RUNS = "/paths/~1threads~1{thread_id}~1runs"
BUNDLED_POINTERS: list = [
    "",
    "/",
    "info/title",
    "/info/title",
    "/info/title/",
    "/servers/0/url",
    "/servers/5",
    "/servers/x",
    "/paths/nope",
    f"{RUNS}/post/requestBody/content/application~1json/schema",
    f"{RUNS}/post/requestBody/content/application~1json/schema/$ref",
    f"{RUNS}/post/requestBody/content/application~1json/schema/properties/model",
    f"{RUNS}/get/parameters/1/schema",
    f"{RUNS}/get/responses/default",
    "/components/schemas/RunObject/properties/status/enum/0",
    ["paths", "/threads/{thread_id}/runs", "post", "operationId"],
    ["paths", "/threads/{thread_id}/runs", "get", "parameters", "1", "schema", "maximum"],
    ["paths", "/threads/{thread_id}/runs", None, "operationId"],
]

# Sibling keys beside a $ref, a chain of $refs, a $ref'd path item and extensions.
MINI = {
    "openapi": "3.0.3",
    "info": {"title": "mini", "version": "1"},
    "servers": [{"url": "https://mini.example/api/"}],
    "paths": {
        "x-private": {"get": {"operationId": "hidden", "responses": {"200": {"description": "ok"}}}},
        "/items/{id}": {
            "summary": "one item",
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
            "get": {
                "operationId": "getItem",
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Wrapped"}}},
                    }
                },
            },
            "x-audit": True,
        },
        "/items": {
            "post": {"responses": {"201": {"description": "made"}}},
            "get": {"operationId": "listItems", "responses": {"200": {"description": "ok"}}},
        },
    },
    "components": {
        "schemas": {
            "Wrapped": {"$ref": "#/components/schemas/Item", "description": "laid over the target"},
            "Item": {"$ref": "#/components/schemas/Base"},
            "Base": {"type": "object", "description": "the base", "properties": {"id": {"type": "string"}}},
        }
    },
}
MINI_POINTERS: list = [
    "/components/schemas/Wrapped",
    "/components/schemas/Wrapped/description",
    "/components/schemas/Wrapped/properties/id/type",
    "/components/schemas/Item",
    "/components/schemas/Wrapped/$ref",
    "/paths/~1items~1{id}/get/responses/200/content/application~1json/schema",
    ["paths", "/items", None],
    ["components", "schemas", None, "description"],
]


def ours(client: Client, pointers: list) -> dict:
    validator = client.validator
    return {
        "get": [validator.get(pointer) for pointer in pointers],
        "paths": [validator.get(pointer, lambda value, path: path) for pointer in pointers],
        "routes": validator.routes(),
        "base_url": str(validator.base_url()),
        "moniker": validator.moniker,
        "bundle": validator.bundle().data,
    }


@pytest.mark.parametrize("which", ["bundled", "mini"])
def test_validator_answers_as_json_validator(mojo, tmp_path: Path, which: str) -> None:
    if which == "bundled":
        spec, pointers = str(BUNDLED_SPEC), BUNDLED_POINTERS
    else:
        path = tmp_path / "mini.json"
        path.write_text(json.dumps(MINI), encoding="utf-8")
        spec, pointers = str(path), MINI_POINTERS
    expected = mojo.call("MojoSurface::validator_facts", spec, pointers)
    assert ours(Client(spec), pointers) == expected


def test_validator_is_one_object_per_spec_and_reads_the_spec_in_use() -> None:
    client = Client(BUNDLED_SPEC)
    assert client.validator is client.validator is SpecSchema.of(client.spec)
    assert client.validator.data is client.spec.data
    assert client.validator.get("/openapi").startswith("3.")
    assert client.validator.errors == [] and client.validator.is_invalid is False


def test_base_url_setter_writes_the_first_server() -> None:
    client = Client(json.loads(json.dumps(MINI)))
    client.validator.base_url("/v2")
    assert client.validator.get("/servers/0/url") == "https://mini.example/v2"
