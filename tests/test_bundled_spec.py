"""The spec bundled in the package: well-formed, valid OpenAPI 3.1, and faithful.

``openapi_client_openai/data/openapi.yaml`` is written by hand for this project.
These tests check that it parses and every ``$ref`` resolves, that it validates
against the OpenAPI 3.1 meta-schema (and its schemas against JSON Schema
2020-12, its examples against its schemas), that it has the nine runs
operations, that their parameters and required body fields match OpenAI's own
spec (read in place from ``../shared`` as a test bed only, never copied), and
that the real Perl ``OpenAPI::Client`` accepts it.

Shared files and ``perl`` live outside the repository. When one is missing the
test skips with the reason, except under ``CI=true``, where it fails.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from .conftest import BUNDLED_SPEC, JV_CACHE, SHARED, require

SPEC_PATH = BUNDLED_SPEC  # the installed copy
META_SCHEMA_PATH = JV_CACHE / "33912dbbde6e1d936140f1c82b283d01"
REAL_SPEC_PATH = SHARED / "openapi" / "openai-openapi.yaml"
SPEC_URI = "urn:openapi-client-openai:bundled-spec"

OPERATIONS = {
    "createThreadAndRun": ("post", "/threads/runs"),
    "createRun": ("post", "/threads/{thread_id}/runs"),
    "listRuns": ("get", "/threads/{thread_id}/runs"),
    "getRun": ("get", "/threads/{thread_id}/runs/{run_id}"),
    "modifyRun": ("post", "/threads/{thread_id}/runs/{run_id}"),
    "cancelRun": ("post", "/threads/{thread_id}/runs/{run_id}/cancel"),
    "submitToolOuputsToRun": ("post", "/threads/{thread_id}/runs/{run_id}/submit_tool_outputs"),
    "listRunSteps": ("get", "/threads/{thread_id}/runs/{run_id}/steps"),
    "getRunStep": ("get", "/threads/{thread_id}/runs/{run_id}/steps/{step_id}"),
}
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _require(ok: bool, reason: str) -> None:
    """Skip (or fail under CI) when something outside the repo is missing: conftest's rule."""
    require(ok, reason)


def _load(path: Path):
    with path.open("rb") as fh:
        return yaml.load(fh, Loader=_Loader)


@pytest.fixture(scope="module")
def spec():
    return _load(SPEC_PATH)


@pytest.fixture(scope="module")
def real_spec():
    _require(REAL_SPEC_PATH.is_file(), f"OpenAI's spec (the test bed) not found at {REAL_SPEC_PATH}")
    return _load(REAL_SPEC_PATH)


@pytest.fixture(scope="module")
def meta_schema():
    _require(META_SCHEMA_PATH.is_file(), f"OpenAPI 3.1 meta-schema not found at {META_SCHEMA_PATH}")
    import json

    return json.loads(META_SCHEMA_PATH.read_text(encoding="utf-8"))


# --- helpers -----------------------------------------------------------------


def _walk(node, path=""):
    """Yield (json_pointer, mapping) for every mapping in the document."""
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from _walk(value, f"{path}/{str(key).replace('~', '~0').replace('/', '~1')}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, f"{path}/{i}")


def _pointer(doc, ref: str):
    """Resolve a local ``#/...`` reference; KeyError/IndexError when it does not."""
    assert ref.startswith("#"), f"non-local $ref {ref!r}"
    node = doc
    for raw in ref[1:].split("/")[1:]:
        token = raw.replace("~1", "/").replace("~0", "~")
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node


def _deref(doc, node, seen=()):
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        assert ref not in seen, f"$ref cycle through {ref}"
        seen = (*seen, ref)
        node = _pointer(doc, ref)
    return node


def _operations(doc):
    """operationId -> (method, path, operation, path-item) for the whole document."""
    found = {}
    for path, item in doc.get("paths", {}).items():
        item = _deref(doc, item)
        for method, op in item.items():
            if method in HTTP_METHODS and isinstance(op, dict) and "operationId" in op:
                found[op["operationId"]] = (method, path, op, item)
    return found


def _parameters(doc, op, item):
    """The effective parameters of an operation: path-item ones overridden by operation ones."""
    params = {}
    for raw in list(item.get("parameters", [])) + list(op.get("parameters", [])):
        param = _deref(doc, raw)
        params[(param["name"], param["in"])] = param
    return params


def _required_props(doc, schema):
    """Required property names of a schema, following $ref and allOf."""
    schema = _deref(doc, schema)
    required = set(schema.get("required", []))
    for part in schema.get("allOf", []):
        required |= _required_props(doc, part)
    return required


def _body_required(doc, op):
    body = op.get("requestBody")
    if body is None:
        return None
    body = _deref(doc, body)
    schema = body["content"]["application/json"]["schema"]
    return _required_props(doc, schema)


# --- (1) parses, every $ref resolves -----------------------------------------


def test_parses_as_a_mapping(spec):
    assert isinstance(spec, dict)
    assert spec["openapi"] == "3.1.0"
    assert spec["servers"][0]["url"] == "https://api.openai.com/v1"
    assert spec["info"]["license"]["name"] == "MIT"
    assert "written independently" in spec["info"]["description"]


def test_is_plain_yaml_without_anchors():
    # Anchors/aliases would make the YAML depend on the parser's sharing behaviour.
    text = SPEC_PATH.read_text(encoding="utf-8")
    for event in yaml.parse(text, Loader=_Loader):
        assert not getattr(event, "anchor", None), f"YAML anchor at {event.start_mark}"


def test_every_ref_resolves_locally(spec):
    refs = [(where, node["$ref"]) for where, node in _walk(spec) if isinstance(node.get("$ref"), str)]
    assert len(refs) > 50
    for where, ref in refs:
        assert ref.startswith("#/"), f"{where}: $ref {ref!r} is not local"
        try:
            target = _pointer(spec, ref)
        except (KeyError, IndexError, ValueError) as exc:
            pytest.fail(f"{where}: $ref {ref!r} does not resolve ({exc!r})")
        assert isinstance(target, dict), f"{where}: $ref {ref!r} points at a {type(target).__name__}"


def test_every_component_schema_is_used(spec):
    refs = {node["$ref"] for _, node in _walk(spec) if isinstance(node.get("$ref"), str)}
    for name in spec["components"]["schemas"]:
        assert f"#/components/schemas/{name}" in refs, f"schema {name} is never referenced"


def test_has_a_nested_ref_chain(spec):
    # request -> thread -> message -> attachment -> tool: four $ref hops, no cycle.
    s = spec["components"]["schemas"]
    thread = _deref(spec, s["CreateThreadAndRunRequest"]["properties"]["thread"])
    message = _deref(spec, thread["properties"]["messages"]["items"])
    attachment = _deref(spec, message["properties"]["attachments"]["items"])
    tool = _deref(spec, attachment["properties"]["tools"]["items"]["oneOf"][0])
    assert tool["properties"]["type"]["const"] == "code_interpreter"


def test_no_openapi_30_nullable(spec):
    for where, node in _walk(spec):
        assert "nullable" not in node or not isinstance(node["nullable"], bool), (
            f"{where}: use type: [X, 'null'] in OpenAPI 3.1, not nullable"
        )


# --- (2) OpenAPI 3.1 meta-schema, JSON Schema 2020-12, examples --------------


def test_meta_schema_is_self_contained(meta_schema):
    # Every $ref/$dynamicRef in the 2021-05-20 meta-schema is internal, so the
    # offline validation below is complete (no remote schema is skipped).
    for where, node in _walk(meta_schema):
        for key in ("$ref", "$dynamicRef"):
            if isinstance(node.get(key), str):
                assert node[key].startswith("#"), f"{where}: external {key} {node[key]}"


def test_validates_against_openapi_31_meta_schema(spec, meta_schema):
    import jsonschema

    jsonschema.Draft202012Validator.check_schema(meta_schema)
    validator = jsonschema.Draft202012Validator(meta_schema)
    errors = sorted(validator.iter_errors(spec), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"/{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors)


def test_schemas_are_valid_json_schema_2020_12(spec):
    import jsonschema

    for name, schema in spec["components"]["schemas"].items():
        try:
            jsonschema.Draft202012Validator.check_schema(schema)
        except jsonschema.SchemaError as exc:
            pytest.fail(f"components/schemas/{name}: {exc.message}")


def _validator_for(spec, ref: str):
    import jsonschema
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    registry = Registry().with_resource(
        SPEC_URI, Resource.from_contents(spec, default_specification=DRAFT202012)
    )
    return jsonschema.Draft202012Validator({"$ref": f"{SPEC_URI}{ref}"}, registry=registry)


def _examples(spec):
    """(where, schema $ref or inline schema, example) for every example in the document."""
    for name, schema in spec["components"]["schemas"].items():
        if "example" in schema:
            yield f"schema {name}", f"#/components/schemas/{name}", schema["example"]
    for op_id, (method, path, op, _item) in _operations(spec).items():
        for i, param in enumerate(op.get("parameters", [])):
            if "example" in param.get("schema", {}):
                where = f"#/paths/{path.replace('~', '~0').replace('/', '~1')}/{method}/parameters/{i}/schema"
                yield f"{op_id} parameter {param['name']}", where, param["schema"]["example"]
        media = op.get("requestBody", {}).get("content", {}).get("application/json", {})
        if "example" in media:
            yield f"{op_id} request body", media["schema"]["$ref"], media["example"]


def test_examples_match_their_schemas(spec):
    seen = set()
    for where, ref, example in _examples(spec):
        seen.add(where)
        errors = list(_validator_for(spec, ref).iter_errors(example))
        assert not errors, f"{where}: " + "; ".join(
            f"/{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors
        )
    assert {"schema RunObject", "schema RunStepObject", "schema ErrorResponse"} <= seen
    assert "getRunStep parameter step_id" in seen


def test_schemas_reject_what_the_api_rejects(spec):
    run = _validator_for(spec, "#/components/schemas/CreateRunRequest")
    assert run.is_valid({"assistant_id": "asst_1", "temperature": 2, "top_p": 0, "metadata": None})
    assert not run.is_valid({})
    assert not run.is_valid({"assistant_id": "asst_1", "no_such_field": 1})
    assert not run.is_valid({"assistant_id": "asst_1", "temperature": 2.5})
    assert not run.is_valid({"assistant_id": "asst_1", "max_prompt_tokens": 255})
    metadata = _validator_for(spec, "#/components/schemas/Metadata")
    assert metadata.is_valid({f"k{i}": "v" for i in range(16)})
    assert not metadata.is_valid({f"k{i}": "v" for i in range(17)})
    assert not metadata.is_valid({"k": "x" * 513})
    assert not metadata.is_valid({"k": 1})
    outputs = _validator_for(spec, "#/components/schemas/SubmitToolOutputsRunRequest")
    assert outputs.is_valid({"tool_outputs": [{"tool_call_id": "call_1", "output": "42"}], "stream": None})
    assert not outputs.is_valid({"tool_outputs": [{"tool_call_id": "call_1", "output": 42}]})


# --- (3) the nine operations --------------------------------------------------


def test_the_nine_operations_exist(spec):
    ops = _operations(spec)
    assert {op_id: (m, p) for op_id, (m, p, _op, _item) in ops.items()} == OPERATIONS


@pytest.mark.parametrize("op_id", sorted(OPERATIONS))
def test_operation_is_documented(spec, op_id):
    method, path, op, item = _operations(spec)[op_id]
    assert op.get("summary") and op.get("description") and op.get("tags"), op_id
    assert set(op["tags"]) <= {t["name"] for t in spec["tags"]}
    assert {"200", "default"} <= set(op["responses"])
    ok = _deref(spec, op["responses"]["200"])
    assert "$ref" in ok["content"]["application/json"]["schema"]
    for (name, where), param in _parameters(spec, op, item).items():
        assert param.get("description") and "schema" in param, f"{op_id}: parameter {name}"
        if where == "path":
            assert param.get("required") is True and f"{{{name}}}" in path
    if method == "post" and op_id != "cancelRun":
        assert op["requestBody"]["required"] is True, op_id


# --- (4) consistency with OpenAI's spec (test bed, read in place) -------------


@pytest.mark.parametrize("op_id", sorted(OPERATIONS))
def test_parameters_match_openai_spec(spec, real_spec, op_id):
    ours = _operations(spec)[op_id]
    real_ops = _operations(real_spec)
    assert op_id in real_ops, f"{op_id} is not in OpenAI's spec"
    real = real_ops[op_id]
    assert (ours[0], ours[1]) == (real[0], real[1])
    assert set(_parameters(spec, ours[2], ours[3])) == set(_parameters(real_spec, real[2], real[3]))


@pytest.mark.parametrize("op_id", sorted(OPERATIONS))
def test_required_body_properties_match_openai_spec(spec, real_spec, op_id):
    ours = _operations(spec)[op_id][2]
    real = _operations(real_spec)[op_id][2]
    assert _body_required(spec, ours) == _body_required(real_spec, real)


# --- (5) the real Perl stack accepts it ---------------------------------------


@pytest.fixture(scope="module")
def perl_env():
    perl = shutil.which("perl")
    _require(perl is not None, "perl is not installed")
    _require(JV_CACHE.is_dir(), f"JSON::Validator cache not found at {JV_CACHE}")
    env = dict(os.environ, JSON_VALIDATOR_CACHE_PATH=str(JV_CACHE))
    probe = subprocess.run([perl, "-MOpenAPI::Client", "-e", "1"], capture_output=True, env=env, timeout=60)
    _require(probe.returncode == 0, "Perl module OpenAPI::Client is not installed")
    return perl, env


def test_no_component_parameters(spec):
    # JSON::Validator (5.x, as installed) intermittently rejects any OAS 3.1
    # document with components/parameters ("/components/parameters/X/$ref:
    # Missing property.") in roughly one process run out of seven; the outcome
    # depends on memory layout, so it cannot be pinned with PERL_HASH_SEED.
    # Parameters are therefore written inline, as OpenAI's own spec does.
    assert "parameters" not in spec.get("components", {})


def test_perl_openapi_client_accepts_the_spec(perl_env):
    perl, env = perl_env
    # Several fresh processes: JSON::Validator's spec check has shown
    # layout-dependent flakes, and one lucky run would hide them.
    for _ in range(5):
        proc = subprocess.run(
            [perl, "-MOpenAPI::Client", "-e", "OpenAPI::Client->new(shift)", str(SPEC_PATH)],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
        assert proc.returncode == 0, f"OpenAPI::Client rejected the spec:\n{proc.stderr}"


# Each call is validated by JSON::Validator against this spec. Invalid input
# gives a local 400 naming the failing path; valid input reaches an in-process
# Mojolicious app that answers 200 (no network involved).
_PERL_CALLS = r"""
use strict; use warnings; use OpenAPI::Client; use Mojo::JSON qw(encode_json);
use Mojolicious;
my $app = Mojolicious->new;
$app->routes->any('/*any')->to(cb => sub { shift->render(json => {}) });
my $c = OpenAPI::Client->new(shift, app => $app);
my @calls = (
  [createRun => {thread_id => 't', body => {assistant_id => 'a', bogus => 1}}],
  [createRun => {thread_id => 't', body => {assistant_id => 'a', temperature => 3}}],
  [listRuns => {thread_id => 't', limit => 101}],
  [modifyRun => {thread_id => 't', run_id => 'r', body => {metadata => {k => 'x' x 513}}}],
  [getRunStep => {thread_id => 't', run_id => 'r', step_id => 's', 'include[]' => ['nope']}],
  [createThreadAndRun => {body => {assistant_id => 'a',
    thread => {messages => [{role => 'user', content => 'hi'}]}}}],
);
for my $call (@calls) {
  my ($op, $params) = @$call;
  my $res = $c->$op($params)->res;
  my $errors = $res->json->{errors} || [{}];
  print encode_json([$op, 0 + ($res->code // 0), $errors->[0]{path}]), "\n";
}
"""


def test_perl_client_validates_requests_with_the_spec(perl_env):
    import json

    perl, env = perl_env
    proc = subprocess.run(
        [perl, "-e", _PERL_CALLS, str(SPEC_PATH)], capture_output=True, text=True, env=env, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    results = [json.loads(line) for line in proc.stdout.splitlines()]
    assert results == [
        ["createRun", 400, "/body"],
        ["createRun", 400, "/body/temperature"],
        ["listRuns", 400, "/limit"],
        ["modifyRun", 400, "/body/metadata/k"],
        ["getRunStep", 400, "/include[]/0"],
        ["createThreadAndRun", 200, None],
    ]
