"""The per-path docs: Perl's page layout, rendered three ways, and better than Perl's.

Checked here: every path of OpenAI's spec (the test bed, read in place from
``../shared``) renders as POD, text and Markdown; podchecker passes every POD
file; the text equals ``pod2text`` of the POD; every example shown validates
against its schema and has no ``null`` where the schema wants a value; the
seed page's headings appear in its order; Markdown in descriptions became
POD markup with absolute links; defaults of ``0``/``false`` are shown; the
output is reproducible; ``OpenAPI.Client.OpenAI.Path`` finds pages and its
``-m`` command prints them; and ``docs/`` matches a fresh generation of the
bundled spec.

Shared files and the Perl tools (podchecker, pod2text) live outside the
repository. When one is missing the test skips with the reason, except under
``CI=true``, where it fails.
"""

from __future__ import annotations

import inspect
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from openapi_client_openai import docgen
from openapi_client_openai.docgen.markdown_pod import markdown_blocks
from openapi_client_openai.docgen.model import short_name
from openapi_client_openai.docgen.pages import DocumentSet
from openapi_client_openai.docgen.pod import render_pod
from openapi_client_openai.docgen.text import render_text
from openapi_client_openai.errors import SpecError
from openapi_client_openai.spec import BUNDLED_SPEC, load_spec

from .conftest import OPENAI_SPEC as REAL_SPEC_PATH
from .conftest import REPO, SHARED, require

SEED_PATH = SHARED / "seed" / "000_1762b6fe1bfab540.txt"
DOCS_TREE = REPO / "docs" / "OpenAPI"
SEED_PATH_NAME = "/threads/{thread_id}/runs/{run_id}"
TIMEOUT = 120

# Headings of Perl's page layout (PERL-BEHAVIOUR.md, "The generated POD"); the seed
# shows them unindented, so this is how its headings are told from its paragraphs.
PERL_HEADING = re.compile(
    r"^(?:NAME|DESCRIPTION|PATHS|SEE ALSO|COPYRIGHT AND LICENSE|Operation ID|Parameters|Request Body"
    r"|Responses|Content Types:|Content Type: \S+|Status Code: \S+"
    r"|(?:GET|PUT|POST|DELETE|OPTIONS|HEAD|PATCH|TRACE) /\S*)$"
)
# In pod2text's layout headings sit in columns 0-3 and everything else from column 4.
TEXT_HEADING = re.compile(r"^ {0,3}(\S.*)$")


def _tool(name: str) -> str:
    path = shutil.which(name)
    require(path is not None, f"{name} (Debian perl) is not installed")
    return path


def _run(argv: list, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, timeout=TIMEOUT, check=False, **kwargs)


def _subprocess_env() -> dict:
    env = dict(os.environ)  # the child imports the installed package, as the tests do
    env.pop("OPENAI_OPENAPI_SPEC", None)
    return env


# -- fixtures --------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_spec():
    require(REAL_SPEC_PATH.is_file(), f"OpenAI's spec (the test bed) not found at {REAL_SPEC_PATH}")
    return load_spec(str(REAL_SPEC_PATH))


@pytest.fixture(scope="module")
def bundled_spec():
    return load_spec(str(BUNDLED_SPEC))


@pytest.fixture(scope="module")
def real_docs(real_spec, tmp_path_factory):
    out = tmp_path_factory.mktemp("openai-docs")
    written = docgen.write_docs(real_spec, out)
    return out / "OpenAPI" / "Client" / "OpenAI", written


@pytest.fixture(scope="module")
def bundled_docs(bundled_spec, tmp_path_factory):
    out = tmp_path_factory.mktemp("bundled-docs")
    written = docgen.write_docs(str(BUNDLED_SPEC), out)
    return out, written


def _pods(root: Path) -> list:
    return [root / "Path.pod", *sorted((root / "Path").glob("*.pod"))]


# -- all paths, all formats ---------------------------------------------------------


def test_every_path_of_openais_spec_renders_in_every_format(real_spec, real_docs):
    root, written = real_docs
    paths = list(real_spec.operations.by_path())
    assert len(paths) == 113
    assert len(written) == (len(paths) + 1) * len(docgen.FORMATS)
    for fmt, ext in docgen.EXTENSIONS.items():
        files = sorted((root / "Path").glob(f"*{ext}"))
        assert len(files) == len(paths), fmt
        assert (root / f"Path{ext}").is_file(), fmt
    for path in paths:
        name = short_name(path)
        for ext in (".pod", ".txt", ".md"):
            text = (root / "Path" / f"{name}{ext}").read_text(encoding="utf-8")
            if ext == ".txt":  # pod2text breaks words longer than a line
                text = re.sub(r"\n +", "", text)
            assert f"OpenAPI::Client::OpenAI::Path::{name}" in text
            for op in real_spec.operations.by_path()[path]:
                assert f"{op.method.upper()} {path}" in text
                assert op.operation_id in text


def test_page_names_follow_perls_rule():
    assert short_name("/threads/{thread_id}/runs/{run_id}") == "threads-thread_id-runs-run_id"
    assert short_name("/organization/admin_api_keys/{key_id}") == "organization-admin_api_keys-key_id"
    assert short_name("/files/{file_id}/content") == "files-file_id-content"
    assert short_name("/a//{b}/") == "a-b"


def test_podchecker_finds_nothing_in_any_pod_file(real_docs, bundled_docs):
    podchecker = _tool("podchecker")
    files = _pods(real_docs[0]) + _pods(bundled_docs[0] / "OpenAPI" / "Client" / "OpenAI")
    result = _run([podchecker, *map(str, files)])
    report = (result.stdout + result.stderr).decode("utf-8", "replace")
    assert result.returncode == 0, report
    findings = [line for line in report.splitlines() if "WARNING" in line or "ERROR" in line]
    assert findings == []
    assert report.count("pod syntax OK") == len(files) == 114 + 8


# -- text is what pod2text makes of the POD --------------------------------------------

SAMPLE_PAGES = (
    "Path.pod",
    "Path/files.pod",
    "Path/chat-completions.pod",
    "Path/responses.pod",
    "Path/threads-thread_id-runs-run_id.pod",
    "Path/organization-admin_api_keys.pod",
    "Path/fine_tuning-checkpoints-fine_tuned_model_checkpoint-permissions.pod",
    "Path/images-edits.pod",
    "Path/audio-speech.pod",
    "Path/evals-eval_id-runs.pod",
)


def _pod2text(pod2text: str, pod: Path) -> str:
    result = _run([pod2text, str(pod)])
    assert result.returncode == 0, result.stderr.decode("utf-8", "replace")
    return result.stdout.decode("utf-8")


def test_text_equals_pod2text_for_a_sample_of_openais_pages(real_docs):
    pod2text = _tool("pod2text")
    root = real_docs[0]
    for page in SAMPLE_PAGES:
        pod = root / page
        assert pod.is_file(), page
        assert pod.with_suffix(".txt").read_text(encoding="utf-8") == _pod2text(pod2text, pod), page


def test_text_equals_pod2text_for_every_page_of_the_bundled_spec(bundled_docs):
    pod2text = _tool("pod2text")
    pods = _pods(bundled_docs[0] / "OpenAPI" / "Client" / "OpenAI")
    assert len(pods) == 8
    for pod in pods:
        assert pod.with_suffix(".txt").read_text(encoding="utf-8") == _pod2text(pod2text, pod), pod.name


def test_text_renderer_follows_pod_text_on_the_tricky_cases(tmp_path):
    pod2text = _tool("pod2text")
    markdown = textwrap.dedent(
        """\
        Quoting: `getRun`, `200`, `1.5e3`, `$x`, `"quoted"`, `foo()`, `f(x)`, *em*, **strong**.

        A [link](/docs/guides) and <https://example.com/a> and
        a-very-long-word-that-cannot-be-broken-anywhere-at-all-by-the-wrapping-code-x.

        - one
        - two with a long sentence that has to wrap past the seventy-six column limit of Pod::Text

          a second paragraph

          ```
          verbatim in an item

          after a blank line
          ```
        1. first
        2. second

        > quoted *text*

        ================
        """
    )
    blocks = list(markdown_blocks(markdown))
    pod = tmp_path / "tricky.pod"
    pod.write_text(render_pod(blocks), encoding="utf-8")
    assert render_text(blocks) == _pod2text(pod2text, pod)


# -- examples ---------------------------------------------------------------------------


def _json_schema(node):
    """An OAS 3.0/3.1 schema as JSON Schema 2020-12: ``nullable`` honoured, refs into urn:spec."""
    if isinstance(node, list):
        return [_json_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key == "$ref" and isinstance(value, str):
            out[key] = "urn:spec" + value if value.startswith("#") else value
        elif key in ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas"):
            out[key] = {k: _json_schema(v) for k, v in value.items()} if isinstance(value, dict) else value
        elif key in ("nullable", "discriminator", "example", "xml", "externalDocs") or key.startswith("x-"):
            continue
        else:
            out[key] = _json_schema(value)
    if node.get("nullable") is True:
        kind = out.get("type")
        if isinstance(kind, str):
            out["type"] = [kind, "null"]
        elif isinstance(kind, list) and "null" not in kind:
            out["type"] = [*kind, "null"]
        if isinstance(out.get("enum"), list) and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
        if kind is None:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


def _validators(spec):
    jsonschema = pytest.importorskip("jsonschema")
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    document = _json_schema(spec.data)
    registry = Registry().with_resource("urn:spec", Resource.from_contents(document, DRAFT202012))

    def errors(value, schema):
        validator = jsonschema.Draft202012Validator(_json_schema(schema), registry=registry)
        return [
            f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}" for e in validator.iter_errors(value)
        ]

    return errors


def _all_examples(spec):
    pages = DocumentSet(spec)
    found = []
    for op in spec.operations.values():
        found.extend(pages.method(op).examples())
    return found


@pytest.mark.parametrize("which", ["bundled", "openai"])
def test_every_example_in_the_docs_validates_against_its_schema(which, bundled_spec, request, capsys):
    spec = bundled_spec if which == "bundled" else request.getfixturevalue("real_spec")
    errors = _validators(spec)
    examples = _all_examples(spec)
    failures = {}
    for example in examples:
        problems = errors(example.value, example.schema)
        if problems:
            failures[example.label] = problems[:3]
    with capsys.disabled():
        print(f"\n{which} spec: {len(examples)} examples validated, {len(failures)} invalid")
    assert failures == {}
    minimum = len(spec.operations)  # at least one response example each
    assert len(examples) >= minimum


def _null_only(node) -> bool:
    if not isinstance(node, dict):
        return False
    kind = node.get("type")
    if kind == "null" or kind == ["null"] or ("const" in node and node["const"] is None):
        return True
    if node.get("enum") == [None]:
        return True
    options = (node.get("anyOf") or []) + (node.get("oneOf") or [])
    return bool(options) and all(_null_only(o) for o in options)


def _unconstrained(node) -> bool:
    keys = {"type", "properties", "items", "anyOf", "oneOf", "allOf", "enum", "const", "$ref", "not"}
    return node is True or not isinstance(node, dict) or not (keys & node.keys())


def _null_holes(spec, value, schema, where="", depth=0) -> list:
    """Where the example holds null although the schema there has a non-null choice."""
    node = spec.resolve(schema) if isinstance(schema, dict) else schema
    if depth > 60 or _unconstrained(node):
        return []
    if value is None:
        return [] if _null_only(node) else [where or "/"]
    options = (node.get("anyOf") or []) + (node.get("oneOf") or [])
    if options:  # the example fits some branch without holes, or it has holes
        results = [_null_holes(spec, value, o, where, depth + 1) for o in options]
        return min(results, key=len)
    properties, extra, items = {}, node.get("additionalProperties"), node.get("items")
    for part in [node, *[spec.resolve(p) for p in node.get("allOf") or []]]:
        if isinstance(part, dict):
            properties.update(part.get("properties") or {})
            items = items if items is not None else part.get("items")
    holes = []
    if isinstance(value, dict):
        for key, inner in value.items():
            sub = properties.get(key, extra if isinstance(extra, dict) else True)
            holes += _null_holes(spec, inner, sub, f"{where}/{key}", depth + 1)
    elif isinstance(value, list) and isinstance(items, dict):
        for index, inner in enumerate(value):
            holes += _null_holes(spec, inner, items, f"{where}/{index}", depth + 1)
    return holes


@pytest.mark.parametrize("which", ["bundled", "openai"])
def test_no_example_is_null_where_the_schema_has_a_value(which, bundled_spec, request):
    spec = bundled_spec if which == "bundled" else request.getfixturevalue("real_spec")
    holes = {}
    for example in _all_examples(spec):
        found = _null_holes(spec, example.value, example.schema)
        if found:
            holes[example.label] = found[:5]
    assert holes == {}


def test_null_hole_finder_can_fail(bundled_spec):
    run = {"$ref": "#/components/schemas/RunObject"}
    assert _null_holes(bundled_spec, {"id": None}, run) == ["/id"]
    assert _null_holes(bundled_spec, {"usage": None}, run) == ["/usage"]  # anyOf [Usage, null]
    assert _null_holes(bundled_spec, {"id": "run_1"}, run) == []


def test_examples_shown_are_the_examples_checked(bundled_spec):
    pages = DocumentSet(bundled_spec)
    shown_count = 0
    for path, operations in bundled_spec.operations.by_path().items():
        pod = pages.find(path).pod
        for op in operations:
            method = pages.method(op)
            bodies = method.request_body.contents if method.request_body else ()
            contents = [*bodies, *(c for r in method.responses for c in r.contents)]
            for example in (c.example for c in contents if c.example is not None):
                shown = textwrap.indent(json.dumps(example.value, indent=2, ensure_ascii=False), "    ")
                assert shown in pod, example.label
                shown_count += 1
            checked = list(method.examples())
            for name, value in (("perl", method.perl_usage), ("python", method.python_usage)):
                assert textwrap.indent(value, "    ") in pod, (op.operation_id, name)
            assert len(checked) >= len(contents) - sum(1 for c in contents if c.example is None)
    assert shown_count >= 2 * len(bundled_spec.operations)


# -- the seed page's layout -------------------------------------------------------------


def _seed_headings() -> list:
    require(SEED_PATH.is_file(), f"the seed page is not at {SEED_PATH}")
    lines = SEED_PATH.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if PERL_HEADING.match(line.strip())]


def _text_headings(text: str) -> list:
    return [m.group(1).rstrip() for m in map(TEXT_HEADING.match, text.splitlines()) if m]


def _in_order(wanted: list, have: list) -> list:
    """The wanted items missing from ``have`` as an ordered subsequence."""
    position = 0
    missing = []
    for item in wanted:
        try:
            position = have.index(item, position) + 1
        except ValueError:
            missing.append(item)
    return missing


@pytest.mark.parametrize("which", ["bundled", "openai"])
def test_text_page_has_the_seeds_headings_in_the_seeds_order(which, bundled_spec, request):
    seed = _seed_headings()
    assert len(seed) >= 15, seed  # NAME ... COPYRIGHT AND LICENSE, both methods
    assert seed[0] == "NAME" and seed[-1] == "COPYRIGHT AND LICENSE"
    spec = bundled_spec if which == "bundled" else request.getfixturevalue("real_spec")
    text = docgen.get(SEED_PATH_NAME, spec=spec).text
    assert _in_order(seed, _text_headings(text)) == []


def test_heading_order_check_can_fail():
    assert _in_order(["NAME", "DESCRIPTION"], ["DESCRIPTION", "NAME"]) == ["DESCRIPTION"]


# -- better than Perl's generator ------------------------------------------------------------


def _spec(paths: dict, schemas: dict | None = None) -> dict:
    return {
        "openapi": "3.1.0",
        "info": {"title": "Test API", "version": "1.0"},
        "servers": [{"url": "https://api.example.com/v1"}],
        "paths": paths,
        "components": {"schemas": schemas or {}},
    }


def _ok(schema=None) -> dict:
    content = {"application/json": {"schema": schema or {"type": "object", "properties": {}}}}
    return {"200": {"description": "OK", "content": content}}


TYPED = _spec(
    {
        "/things/{thing_id}": {
            "post": {
                "operationId": "updateThing",
                "summary": "Update a thing.",
                "description": "Uses `code`, *emphasis*, **strong**, [docs](/docs/things) and `a<b>`.\n\n"
                "- first\n- second\n\n```\nfenced <code>\n```\n",
                "parameters": [
                    {"name": "thing_id", "in": "path", "required": True, "schema": {"type": "string"}},
                    {
                        "name": "count",
                        "in": "query",
                        "description": "How many; see [the guide](/docs/guides/count).",
                        "schema": {"type": "integer", "default": 0},
                    },
                    {"name": "verbose", "in": "query", "schema": {"type": "boolean", "default": False}},
                    {
                        "name": "mode",
                        "in": "query",
                        "schema": {"anyOf": [{"type": "string", "enum": ["fast", "slow"]}, {"type": "null"}]},
                    },
                ],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Update"}}},
                },
                "responses": _ok({"$ref": "#/components/schemas/Thing"}),
            },
            "get": {
                "operationId": "getThing",
                "summary": "Get a thing.",
                "parameters": [
                    {"name": "thing_id", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "responses": _ok({"$ref": "#/components/schemas/Thing"}),
            },
        },
        "/admin/keys": {
            "post": {
                "operationId": "admin-keys-create",
                "summary": "Create a key.",
                "requestBody": {
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["name"],
                                "properties": {"name": {"type": "string", "example": "ci"}},
                            }
                        }
                    }
                },
                "responses": _ok(),
            }
        },
        "/uploads": {
            "post": {
                "operationId": "createUpload",
                "summary": "Upload a file.",
                "requestBody": {
                    "content": {
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "required": ["file", "purpose"],
                                "properties": {
                                    "file": {"type": "string", "format": "binary"},
                                    "purpose": {"type": "string", "enum": ["fine-tune"]},
                                },
                            }
                        }
                    }
                },
                "responses": _ok(),
            }
        },
    },
    {
        "Update": {
            "type": "object",
            "required": ["name"],
            "properties": {
                "name": {"type": "string", "description": "The new name."},
                "archived": {"type": "boolean", "default": False, "description": "Hide it."},
                "note": {"type": ["string", "null"]},
            },
        },
        "Thing": {
            "type": "object",
            "required": ["id", "parent"],
            "properties": {
                "id": {"type": "string"},
                "parent": {"anyOf": [{"$ref": "#/components/schemas/Update"}, {"type": "null"}]},
            },
        },
    },
)


@pytest.fixture(scope="module")
def typed_pages(tmp_path_factory):
    # A file, not a mapping: load_spec() sorts a mapping's keys, and order is under test.
    path = tmp_path_factory.mktemp("typed") / "typed-api.json"
    path.write_text(json.dumps(TYPED), encoding="utf-8")
    return docgen.documents(load_spec(str(path)))


def test_markdown_in_descriptions_becomes_pod_markup(typed_pages):
    pod = typed_pages.find("things-thing_id").pod
    assert "C<code>" in pod
    assert "I<emphasis>" in pod
    assert "B<strong>" in pod
    assert "L<docs|https://platform.openai.com/docs/things>" in pod
    assert "C<aE<lt>bE<gt>>" in pod
    assert "=over 4\n\n=item *\n\nfirst\n\n=item *\n\nsecond\n\n=back" in pod
    assert "\n    fenced E<lt>code>" not in pod and "\n    fenced <code>\n" in pod  # verbatim is literal
    for raw in ("`code`", "*emphasis*", "**strong**", "](/docs", "```"):
        assert raw not in pod, raw


def test_relative_docs_links_become_absolute(typed_pages, bundled_spec):
    pages = [*typed_pages, *docgen.documents(bundled_spec)]
    for page in pages:
        for text in (page.pod, page.text, page.markdown):
            assert "(/docs/" not in text and "|/docs/" not in text and "</docs/" not in text, page.name
    bundled = docgen.get(SEED_PATH_NAME, spec=bundled_spec)
    assert "L<thread|https://platform.openai.com/docs/api-reference/threads>" in bundled.pod
    assert "[thread](https://platform.openai.com/docs/api-reference/threads)" in bundled.markdown


def test_parameters_show_type_allowed_values_default_and_requiredness(typed_pages):
    text = typed_pages.find("things-thing_id").text
    assert '"thing_id" (in path) (Required)' in text
    assert '"count" (in query) (Optional) - How many; see the guide' in text
    assert "Default: 0\n" in text
    assert "Default: false\n" in text
    assert "Type: string | null" in text
    assert 'Allowed values: "fast", "slow"' in text


def test_openais_docs_show_false_and_zero_defaults(real_docs):
    texts = [p.read_text(encoding="utf-8") for p in sorted((real_docs[0] / "Path").glob("*.txt"))]
    assert any("Default: false\n" in t for t in texts)
    assert any("Default: 0\n" in t for t in texts)
    assert any("| null" in t for t in texts)


def test_request_body_lists_its_properties_and_a_full_example(typed_pages):
    text = typed_pages.find("things-thing_id").text
    body = text.split("Request Body", 1)[1].split("Responses", 1)[0]
    assert '"name" (Required) - The new name.' in body
    assert '"archived" (Optional) - Hide it.' in body
    assert "Type: boolean" in body
    assert "Example:" in body and '"name":' in body
    assert "null" not in body.split("Example:", 1)[1]


def test_usage_lines_show_real_params_in_perl_and_python(bundled_spec, typed_pages):
    page = docgen.get(SEED_PATH_NAME, spec=bundled_spec).text
    assert "$client->getRun({thread_id => 'thread_abc123', run_id => 'run_abc123'});" in page
    assert "client.getRun(thread_id='thread_abc123', run_id='run_abc123')" in page
    flat = _one_line(page)
    assert "$client->modifyRun({thread_id => 'thread_abc123', run_id => 'run_abc123', body => {" in flat
    assert "client.modifyRun(thread_id='thread_abc123', run_id='run_abc123', body={" in flat

    keys = _one_line(typed_pages.find("admin-keys").text)
    assert "$client->call('admin-keys-create' => {body => {name => 'ci'}});" in keys
    assert "client.call('admin-keys-create', {'body': {'name': 'ci'}})" in keys
    uploads = _one_line(typed_pages.find("uploads").text)
    assert (
        "$client->createUpload({}, file_upload => {file => '/path/to/file', purpose => 'fine-tune'});"
        in uploads
    )
    assert "client.createUpload({}, file_upload={'file': '/path/to/file', 'purpose': 'fine-tune'})" in uploads


def _one_line(code: str) -> str:
    """Multi-line call samples as they would read on one line."""
    code = re.sub(r",?\s*\n\s*([)}\]])", r"\1", code)
    code = re.sub(r"([({\[])\s*\n\s*", r"\1", code)
    return re.sub(r"\s+", " ", code)


def test_python_usage_lines_compile(real_spec):
    pages = DocumentSet(real_spec)
    for op in real_spec.operations.values():
        compile(pages.method(op).python_usage, op.operation_id, "eval")


def test_perl_usage_lines_compile(bundled_spec, typed_pages, tmp_path):
    perl = _tool("perl")
    methods = [docgen.documents(bundled_spec).method(op) for op in bundled_spec.operations.values()]
    methods += [typed_pages.method(op) for op in typed_pages.spec.operations.values()]
    script = "use strict; use warnings; use Mojo::JSON ();\nmy $client;\nsub never {\n"
    script += "\n".join(m.perl_usage for m in methods) + "\n}\n1;\n"
    (tmp_path / "usage.pl").write_text(script, encoding="utf-8")
    result = _run([perl, "-c", str(tmp_path / "usage.pl")])
    assert result.returncode == 0, result.stderr.decode()


def _declares_a_stream(spec, op) -> bool:
    """Read straight off the document: does a success response offer text/event-stream?"""
    for code, response in (op.definition.get("responses") or {}).items():
        content = spec.resolve(response).get("content") or {}
        if str(code).startswith("2") and any(str(t).startswith("text/event-stream") for t in content):
            return True
    return False


def test_the_operations_that_stream_and_only_they_have_a_streaming_section(real_spec, bundled_spec):
    for spec in (real_spec, bundled_spec):
        pages = DocumentSet(spec)
        streaming = [
            op.operation_id for op in spec.operations.values() if pages.method(op).stream is not None
        ]
        declared = [op.operation_id for op in spec.operations.values() if _declares_a_stream(spec, op)]
        assert streaming == declared and declared
    chat = DocumentSet(real_spec).find("/chat/completions").text
    section = chat[chat.index("\n   Streaming\n") :]
    assert 'With "stream: true" in the request body' in section and '"data: [DONE]"' in section
    assert "unsubscribe('read')->on(read => sub {" in section
    assert "for event in client.stream('createChatCompletion', body={" in section
    runs = docgen.documents(bundled_spec).find("/threads/{thread_id}/runs").text
    assert '"thread.run.created"' in runs and '"done"' in runs
    assert "Streaming" not in docgen.documents(bundled_spec).find("/threads/{thread_id}/runs/{run_id}").text


def test_streaming_usage_compiles_in_both_languages(real_spec, bundled_spec, tmp_path):
    perl = _tool("perl")
    streams = [
        m.stream
        for spec in (real_spec, bundled_spec)
        for m in (DocumentSet(spec).method(op) for op in spec.operations.values())
        if m.stream is not None
    ]
    for stream in streams:
        compile(stream.python_usage, "<stream usage>", "exec")
        assert "stream" in _one_line(stream.python_usage)
    script = "use strict; use warnings; use Mojo::JSON ();\nmy $client;\nsub never {\n"
    script += "\n".join(stream.perl_usage for stream in streams) + "\n}\n1;\n"
    (tmp_path / "stream.pl").write_text(script, encoding="utf-8")
    result = _run([perl, "-c", str(tmp_path / "stream.pl")])
    assert result.returncode == 0, result.stderr.decode()


def test_methods_and_paths_keep_spec_order(typed_pages):
    text = typed_pages.find("things-thing_id").text
    assert text.index("POST /things/{thing_id}") < text.index("GET /things/{thing_id}")
    index = typed_pages.index.text
    assert index.index("/things/{thing_id}") < index.index("/admin/keys") < index.index("/uploads")


def test_index_lists_paths_with_methods_and_ends_with_one_cut(bundled_spec):
    index = docgen.documents(bundled_spec).index
    assert index.name == "OpenAPI::Client::OpenAI::Path"
    for path, operations in bundled_spec.operations.by_path().items():
        assert f"=head2 {path}\n" in index.pod
        for op in operations:
            assert f"{op.method.upper()} C<{op.operation_id}> - " in index.pod
    assert index.pod.count("=cut") == 1 and index.pod.endswith("\n\n=cut\n")
    assert "L<OpenAPI::Client::OpenAI::Path::threads-thread_id-runs-run_id>" in index.pod


def test_colophon_names_the_project_and_the_spec_but_no_year(bundled_spec, typed_pages):
    text = docgen.get(SEED_PATH_NAME, spec=bundled_spec).text
    colophon = re.sub(r"\s+", " ", text.split("COPYRIGHT AND LICENSE", 1)[1])
    assert "openapi-client-openai" in colophon
    assert "openapi_client_openai/data/openapi.yaml" in colophon
    assert "OpenAI API (Assistants runs subset)" in colophon
    assert not re.search(r"\b(19|20)\d\d\b", colophon)
    assert "(typed-api.json)" in re.sub(r"\s+", " ", typed_pages.index.text)
    mapping = docgen.documents(load_spec(TYPED)).index.text
    assert "(a spec given as a mapping)" in re.sub(r"\s+", " ", mapping)


def test_rendering_is_reproducible(real_spec):
    first = DocumentSet(real_spec)
    second = DocumentSet(real_spec)
    for a, b in zip(first, second):
        assert (a.pod, a.text, a.markdown) == (b.pod, b.text, b.markdown), a.name


def test_markdown_output_has_no_stray_markup(bundled_spec):
    from markdown_it import MarkdownIt

    parser = MarkdownIt("commonmark")
    for page in docgen.documents(bundled_spec):
        tokens = parser.parse(page.markdown)
        assert not [t for t in tokens if t.type == "html_block"], page.name
        inline = [c for t in tokens for c in t.children or []]
        assert not [c for c in inline if c.type == "html_inline"], page.name
        headings = [t for t in tokens if t.type == "heading_open"]
        assert len(headings) == page.pod.count("\n=head"), page.name


# -- access like Perl's -------------------------------------------------------------------


def test_path_get_accepts_short_name_perl_name_and_path(bundled_spec):
    from OpenAPI.Client.OpenAI import Path as PathDocs

    by_short = PathDocs.get("threads-thread_id-runs-run_id", spec=str(BUNDLED_SPEC))
    by_perl = PathDocs.get(
        "OpenAPI::Client::OpenAI::Path::threads-thread_id-runs-run_id", spec=str(BUNDLED_SPEC)
    )
    by_path = PathDocs.get(SEED_PATH_NAME, spec=str(BUNDLED_SPEC))
    assert by_short is by_perl is by_path
    assert by_short.name == "OpenAPI::Client::OpenAI::Path::threads-thread_id-runs-run_id"
    assert by_short.pod.startswith("=encoding UTF-8\n\n=head1 NAME\n")
    assert by_short.text.startswith("NAME\n    OpenAPI::Client::OpenAI::Path::threads-thread_id-runs-run_id")
    assert by_short.markdown.startswith("# NAME\n")
    assert PathDocs.index(spec=str(BUNDLED_SPEC)).name == "OpenAPI::Client::OpenAI::Path"
    assert "threads-runs" in PathDocs.names(spec=str(BUNDLED_SPEC))


def test_path_get_names_close_matches_for_an_unknown_page():
    from OpenAPI.Client.OpenAI import Path as PathDocs

    with pytest.raises(LookupError, match="threads-thread_id-runs-run_id"):
        PathDocs.get("threads-thread_id-run-run_id", spec=str(BUNDLED_SPEC))


def test_path_get_uses_the_discovered_spec(monkeypatch):
    from OpenAPI.Client.OpenAI import Path as PathDocs

    monkeypatch.setenv("OPENAI_OPENAPI_SPEC", str(BUNDLED_SPEC))
    assert PathDocs.get("threads-runs").path == "/threads/runs"


def _module_cli(*args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "OpenAPI.Client.OpenAI.Path", *args]
    return _run(command, cwd=str(REPO), env=_subprocess_env())


def test_module_cli_prints_the_text_page_and_the_index(bundled_spec):
    pages = docgen.documents(bundled_spec)
    page = _module_cli("threads-thread_id-runs-run_id", "--spec", str(BUNDLED_SPEC))
    assert page.returncode == 0, page.stderr
    assert page.stdout.decode("utf-8") == pages.find("threads-thread_id-runs-run_id").text
    index = _module_cli("--spec", str(BUNDLED_SPEC))
    assert index.returncode == 0 and index.stdout.decode("utf-8") == pages.index.text
    pod = _module_cli(SEED_PATH_NAME, "--spec", str(BUNDLED_SPEC), "--format", "pod")
    assert pod.stdout.decode("utf-8") == pages.find(SEED_PATH_NAME).pod
    md = _module_cli("threads-runs", "--spec", str(BUNDLED_SPEC), "--format", "md")
    assert md.stdout.decode("utf-8") == pages.find("threads-runs").markdown


def test_module_cli_reports_an_unknown_page_in_one_line():
    result = _module_cli("no-such-page", "--spec", str(BUNDLED_SPEC))
    assert result.returncode == 2
    assert result.stdout == b""
    lines = result.stderr.decode().splitlines()
    assert len(lines) == 1 and "no-such-page" in lines[0]


# -- docstrings and files ---------------------------------------------------------------------


def test_operation_docstring_is_the_methods_section(bundled_spec):
    op = bundled_spec.operations["getRun"]
    doc = docgen.operation_docstring(op)
    assert doc.startswith("GET /threads/{thread_id}/runs/{run_id}\n")
    for part in (
        "Retrieve a run.",
        "$client->getRun({",
        "client.getRun(thread_id=",
        "Parameters",
        "Responses",
    ):
        assert part in doc
    assert "POST /threads" not in doc  # only this operation
    assert inspect.cleandoc(doc) == doc.strip("\n")  # help() shows it as laid out
    assert docgen.operation_docstring(op) is doc  # cached


def test_write_docs_writes_the_tree_and_only_the_formats_asked(tmp_path):
    written = docgen.write_docs(str(BUNDLED_SPEC), tmp_path, formats=("md",))
    root = tmp_path / "OpenAPI" / "Client" / "OpenAI"
    assert written[0] == root / "Path.md"
    assert {p.suffix for p in written} == {".md"}
    assert sorted(written) == sorted([root / "Path.md", *(root / "Path").glob("*.md")])
    assert not list(tmp_path.rglob("*.tmp"))
    with pytest.raises(ValueError, match="pod, text, md"):
        docgen.write_docs(str(BUNDLED_SPEC), tmp_path, formats=("html",))
    both = docgen.write_docs(str(BUNDLED_SPEC), tmp_path / "two", formats="pod,text")
    assert {p.suffix for p in both} == {".pod", ".txt"}


def test_write_docs_raises_spec_error_for_a_bad_spec(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("openapi: [unclosed\n", encoding="utf-8")
    with pytest.raises(SpecError):
        docgen.write_docs(str(bad), tmp_path / "out")


def test_write_docs_raises_os_error_naming_the_path(tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("", encoding="utf-8")
    with pytest.raises(OSError) as caught:
        docgen.write_docs(str(BUNDLED_SPEC), blocker)
    assert str(blocker) in str(caught.value)


def test_docs_tree_matches_a_fresh_generation_of_the_bundled_spec(bundled_docs):
    out, _ = bundled_docs
    fresh = _tree(out / "OpenAPI")
    committed = _tree(DOCS_TREE)
    assert sorted(committed) == sorted(fresh), REGENERATE
    stale = [str(name) for name in fresh if committed[name] != fresh[name]]
    assert stale == [], REGENERATE


REGENERATE = (
    "docs/ is stale; regenerate it with: "
    "python -m openapi_client_openai docs --spec openapi_client_openai/data/openapi.yaml --out docs"
)


def _tree(root: Path) -> dict:
    return {p.relative_to(root): p.read_bytes() for p in root.rglob("*") if p.is_file()}
