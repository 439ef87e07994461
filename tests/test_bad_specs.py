"""Bad specs: a SpecError naming the file and the place, or a working client; never a hang or a crash.

Each spec is loaded by a fresh Python under a timeout (``probe``), so a hang, a
``RecursionError`` or a crash fails the one case instead of stalling or killing
pytest. A spec that loads must give a client whose calls come back as
transactions (sent, or the local 400); those calls go to a closed loopback port,
so nothing needs a server. Specs are written into pytest's tmp: the bundled spec
(ours) is the one cut short; OpenAI's is never copied.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from openapi_client_openai import Client, SpecError

from .conftest import BUNDLED_SPEC

QUICK = 60  # seconds for a batch of small specs: each loads in well under one
BIG = 300  # seconds for the 50 MB spec (parsed in 9 to 20 s here, then cached)
CLOSED = "http://127.0.0.1:9/v1"  # the discard port: nothing listens, nothing is sent anywhere

PROBE = r"""
import json, sys
from openapi_client_openai import Client, EncodeError, SpecError

def attempt(client, op_id, params):
    try:
        tx = client.call(op_id, params)
    except EncodeError as exc:
        return {"encode_error": exc.field}
    except BaseException as exc:
        return {"escaped": f"{type(exc).__name__}: {str(exc)[:300]}"}
    return {"code": tx.res.code, "sent": tx.is_sent, "error": tx.error, "errors": tx.res.json("/errors")}

for job in json.loads(sys.argv[1]):
    try:
        client = Client(job["spec"], base_url=sys.argv[2])
    except SpecError as exc:
        out = {"spec_error": str(exc), "source": exc.source, "place": exc.place}
    except BaseException as exc:
        out = {"escaped": f"{type(exc).__name__}: {str(exc)[:300]}"}
    else:
        operations = client.spec.operations
        calls = job["calls"]
        if calls == "each":  # every operation, bare and with every declared name given
            calls = []
            for op_id, op in operations.items():
                calls.append([op_id, {}])
                calls.append([op_id, {**{name: "1" for name in op.param_names}, "body": {}}])
        out = {"operations": len(operations), "calls": [attempt(client, *call) for call in calls]}
    print(json.dumps(out), flush=True)
"""


def probe(jobs: list[dict], cache: Path, timeout: float = QUICK) -> list[dict]:
    """Load each spec (and make its calls) in a fresh Python; one outcome per job, in order."""
    env = {**os.environ, "OPENAPI_CLIENT_OPENAI_CACHE": str(cache)}
    try:
        done = subprocess.run(
            [sys.executable, "-c", PROBE, json.dumps(jobs), CLOSED],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        finished = (exc.stdout or b"").decode() if isinstance(exc.stdout, bytes) else exc.stdout or ""
        stuck = jobs[len(finished.splitlines())]["spec"]
        pytest.fail(f"hang: loading {stuck} (or calling it) did not finish within {timeout} s")
    lines = done.stdout.splitlines()
    assert done.returncode == 0 and len(lines) == len(jobs), (
        f"the probe died (status {done.returncode}) after {len(lines)} of {len(jobs)} specs:\n"
        f"{done.stderr[-3000:]}"
    )
    return [json.loads(line) for line in lines]


def assert_spec_error(outcome: dict, path: Path, place: str) -> None:
    """A SpecError whose message names the file and contains ``place``."""
    assert "spec_error" in outcome, f"{path.name}: expected a SpecError, got {outcome}"
    assert outcome["source"] == str(path) and str(path) in outcome["spec_error"], outcome
    assert place in outcome["spec_error"], f"{path.name}: {place!r} not in {outcome['spec_error']!r}"


def assert_working(outcome: dict, path: Path, operations: int | None = None) -> None:
    """A client, and no call on it let anything but an EncodeError escape."""
    assert "operations" in outcome, f"{path.name}: expected a working client, got {outcome}"
    if operations is not None:
        assert outcome["operations"] == operations, outcome
    escaped = [call["escaped"] for call in outcome["calls"] if "escaped" in call]
    assert not escaped, f"{path.name}: calls let errors escape: {escaped}"
    for call in outcome["calls"]:
        if "code" in call and not call["sent"]:
            assert call["code"] == 400 and call["errors"], call
        elif "code" in call:
            assert call["error"] == {"message": "Connection refused"}, call  # it did go out


def mini(operation: dict | None = None, **top: Any) -> dict:
    """A small valid spec with one POST operation ``op`` on ``/a``, changed by the arguments."""
    op = {"operationId": "op", "responses": {"200": {"description": "ok"}}, **(operation or {})}
    return {"openapi": "3.0.0", "info": {"title": "t", "version": "1"}, "paths": {"/a": {"post": op}}, **top}


def body(schema: Any) -> dict:
    return {"requestBody": {"content": {"application/json": {"schema": schema}}}}


def write(tmp_path: Path, name: str, content: str | bytes | dict) -> Path:
    path = tmp_path / name
    if isinstance(content, dict):
        content = json.dumps(content)
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path


HEAD = "openapi: 3.0.0\ninfo: {title: t, version: '1'}\nservers: [{url: 'http://x/v1'}]\n"
OK_RESPONSES = "responses: {'200': {description: ok}}"


# -- broken documents: a SpecError naming file and place ------------------------------------


def bundled_cut(fraction: float) -> bytes:
    raw = BUNDLED_SPEC.read_bytes()
    return raw[: int(len(raw) * fraction)]


BROKEN: dict[str, tuple[Callable[[], str | bytes], str]] = {
    # name: (the document, a fragment the SpecError must contain: the place)
    "cut-inside-a-quoted-string.yaml": (
        lambda: bundled_cut(1)[: bundled_cut(1).index(b'"Sort by') + 9],
        "line ",
    ),
    "cut-inside-a-flow-mapping.yaml": (
        lambda: bundled_cut(1)[: bundled_cut(1).index(b"{$ref: '#/components/schemas/Create") + 12],
        "line ",
    ),
    "tab-indented.yaml": (lambda: HEAD + "paths:\n\t/a: {}\n", "line 5 column 1"),
    "unclosed-bracket.yaml": (lambda: HEAD + "paths:\n  /a:\n    get:\n      tags: [a, b\n", "line "),
    "bad.json": (lambda: '{"openapi": "3.0.0", "paths": {"/a": }', "line 1 column 38"),
    "not-utf8.yaml": (lambda: HEAD.encode() + b"paths: {}\nx: caf\xe9\n", "not UTF-8 text (byte "),
    "cut-inside-a-utf8-character.yaml": (lambda: HEAD.encode() + "x: é".encode()[:-1], "not UTF-8"),
    "root-list.yaml": (lambda: "- openapi: 3.0.0\n- paths: {}\n", "root must be an object, got list"),
    "root-scalar.yaml": (lambda: "openapi 3.0.0\n", "root must be an object, got str"),
    "empty.yaml": (lambda: "", "root must be an object"),
    "paths-not-an-object.yaml": (lambda: HEAD + "paths: 5\n", "/paths"),
    "ref-cycle.yaml": (
        lambda: (
            HEAD + "paths:\n  /a:\n    get:\n      operationId: a\n"
            "      responses: {'200': {$ref: '#/components/responses/x'}}\n"
            "components:\n  responses:\n    x: {$ref: '#/components/responses/y'}\n"
            "    y: {$ref: '#/components/responses/x'}\n"
        ),
        "$ref cycle",
    ),
    "ref-to-itself.yaml": (
        lambda: HEAD + "paths: {}\ncomponents:\n  schemas:\n    A: {$ref: '#/components/schemas/A'}\n",
        "/components/schemas/A/$ref",
    ),
    "ref-dangling.yaml": (
        lambda: (
            HEAD + "paths:\n  /a:\n    get:\n      operationId: a\n      parameters:\n"
            f"        - $ref: '#/components/parameters/nope'\n      {OK_RESPONSES}\n"
        ),
        "/paths/~1a/get/parameters/0/$ref",
    ),
    "ref-remote.yaml": (
        lambda: (
            HEAD + "paths:\n  /a:\n    get:\n      operationId: a\n"
            f"      parameters: [{{$ref: 'http://127.0.0.1:9/other.yaml#/p'}}]\n      {OK_RESPONSES}\n"
        ),
        "/paths/~1a/get/parameters/0/$ref",
    ),
    "operation-id-twice.yaml": (
        lambda: (
            HEAD + f"paths:\n  /a:\n    get: {{operationId: a, {OK_RESPONSES}}}\n"
            f"  /b:\n    get: {{operationId: a, {OK_RESPONSES}}}\n"
        ),
        "/paths/~1b/get/operationId",
    ),
    "operation-id-not-a-string.yaml": (
        lambda: HEAD + f"paths:\n  /a:\n    get: {{operationId: [a], {OK_RESPONSES}}}\n",
        "/paths/~1a/get/operationId",
    ),
    "operation-ids-one-alias.yaml": (
        lambda: (
            HEAD + f"paths:\n  /a:\n    get: {{operationId: getRun, {OK_RESPONSES}}}\n"
            f"  /b:\n    get: {{operationId: get_run, {OK_RESPONSES}}}\n"
        ),
        "operationId",
    ),
    "nested-100000-deep.yaml": (lambda: "a: " + "[" * 100_000 + "]" * 100_000 + "\n", "line 1"),
    "nested-100000-deep-blocks.yaml": (
        lambda: "".join(" " * i + "- \n" for i in range(0, 20_000, 2)),
        "nest",
    ),
    "nested-100000-deep.json": (lambda: '{"a": ' + "[" * 100_000 + "]" * 100_000 + "}", "nest"),
}


def test_broken_documents_are_spec_errors_naming_file_and_place(tmp_path: Path) -> None:
    """Each broken document: SpecError(source=the file), the place in its message; all in time."""
    paths = [write(tmp_path, name, make()) for name, (make, _) in BROKEN.items()]
    outcomes = probe([{"spec": str(p), "calls": []} for p in paths], tmp_path / "cache")
    failures = []
    for path, outcome in zip(paths, outcomes):
        try:
            assert_spec_error(outcome, path, BROKEN[path.name][1])
        except AssertionError as exc:
            failures.append(str(exc).splitlines()[0])
    print(f"\n{len(paths)} broken documents tried, {len(paths) - len(failures)} refused as they should be")
    assert not failures, "\n".join(failures)


def test_unreadable_sources_are_spec_errors(tmp_path: Path) -> None:
    """A missing file, a directory: SpecError naming the path, not an OSError."""
    for source in (tmp_path / "missing.yaml", tmp_path):
        with pytest.raises(SpecError, match="cannot read spec") as caught:
            Client(source)
        assert caught.value.source == str(source)


def test_mappings_that_are_not_json_data_are_spec_errors() -> None:
    """A spec mapping with a cycle or a set: SpecError for "<mapping>", checked before any walk."""
    looped: dict = mini()
    looped["components"] = {"schemas": {"Loop": looped}}
    for spec in (looped, mini(x={1, 2})):
        with pytest.raises(SpecError, match="not JSON data") as caught:
            Client(spec, base_url=CLOSED)
        assert caught.value.source == "<mapping>"


# -- strange but loadable: a working client whose calls never crash --------------------------


STRANGE: dict[str, tuple[dict, list]] = {
    # name: (spec, calls as [operationId, params]); "each" calls every operation twice
    "missing-operation-id": (
        {**mini(), "paths": {"/a": {"get": {"responses": {}}}, "/b": {"get": {"operationId": "b"}}}},
        "each",
    ),
    "path-item-not-an-object": ({**mini(), "paths": {"/a": 5, "/b": {"get": {"operationId": "b"}}}}, "each"),
    "operation-not-an-object": (
        {**mini(), "paths": {"/a": {"get": 5, "post": {"operationId": "p"}}}},
        "each",
    ),
    "parameters-not-a-list": (mini({"parameters": 5}), "each"),
    "parameter-without-name": (mini({"parameters": [{"in": "query"}, {"name": 5, "in": "path"}]}), "each"),
    "parameter-schema-junk": (
        mini({"parameters": [{"name": "q", "in": "query", "schema": 5, "style": 5, "explode": "x"}]}),
        [["op", {"q": [1, 2]}], ["op", {"q": {"a": 1}}]],
    ),
    "parameter-in-nowhere": (mini({"parameters": [{"name": "q", "in": "body"}]}), [["op", {"q": 1}]]),
    "request-body-not-an-object": (mini({"requestBody": 5}), [["op", {}], ["op", {"body": {}}]]),
    "request-body-content-junk": (mini({"requestBody": {"content": 5}}), [["op", {"body": {}}]]),
    "servers-junk": (mini(servers=5), "each"),
    "server-url-broken": (mini(servers=[{"url": "http://[::1"}]), "each"),
    "schema-keywords-of-the-wrong-type": (
        mini(
            body(
                {
                    "type": [1, None, {}],
                    "required": 5,
                    "properties": [1],
                    "enum": 5,
                    "items": 5,
                    "allOf": 5,
                    "anyOf": [5, "x", None],
                    "not": 5,
                    "if": 5,
                    "then": 5,
                    "format": 5,
                    "maxLength": "x",
                    "minimum": "abc",
                    "dependentRequired": {"a": 5},
                }
            )
        ),
        [["op", {"body": v}] for v in ({}, {"a": 1}, [1], "text", 1, None)],
    ),
    "multiple-of-not-a-number": (mini(body({"type": "number", "multipleOf": "x"})), [["op", {"body": 3}]]),
    "discriminator-junk": (
        mini(
            body({"type": "object", "discriminator": {"propertyName": "k", "mapping": {"a": 5, "b": "#/no"}}})
        ),
        [["op", {"body": {"k": "a"}}], ["op", {"body": {"k": "b"}}]],
    ),
    "pattern-python-cannot-compile": (
        mini(body({"type": "object", "properties": {"a": {"type": "string", "pattern": "^\\p{L}+\\z"}}})),
        [["op", {"body": {"a": "abc"}}]],
    ),
    "pattern-properties-python-cannot-compile": (
        mini(body({"type": "object", "patternProperties": {"^\\p{Lu}": {"type": "string"}}})),
        [["op", {"body": {"A": "x"}}]],
    ),
    "pattern-nobody-can-compile": (
        mini(body({"type": "string", "pattern": "("})),
        [["op", {"body": "x"}]],
    ),
}


def test_strange_specs_give_clients_whose_calls_do_not_crash(tmp_path: Path) -> None:
    """Junk where the spec has shapes: load (or a SpecError), and every call a transaction."""
    paths = [write(tmp_path, f"{name}.json", spec) for name, (spec, _) in STRANGE.items()]
    jobs = [{"spec": str(p), "calls": calls} for p, (_, calls) in zip(paths, STRANGE.values())]
    outcomes = probe(jobs, tmp_path / "cache")
    failures = []
    for path, outcome in zip(paths, outcomes):
        if "spec_error" in outcome:  # refusing at load is fine, if it says where
            if outcome["source"] != str(path) or not outcome["place"]:
                failures.append(f"{path.name}: a SpecError without file or place: {outcome}")
            continue
        try:
            assert_working(outcome, path)
        except AssertionError as exc:
            failures.append(str(exc).splitlines()[0])
    print(f"\n{len(paths)} strange specs tried, {len(paths) - len(failures)} handled")
    assert not failures, "\n".join(failures)


# -- depth, length and size ---------------------------------------------------------------------


def test_yaml_nested_as_deep_as_libyaml_allows_still_loads(tmp_path: Path) -> None:
    """900 levels of nesting inside the document (libyaml stops at 1000): a client."""
    text = (
        HEAD
        + "x-deep: "
        + "[" * 900
        + "]" * 900
        + f"\npaths:\n  /a:\n    get: {{operationId: a, {OK_RESPONSES}}}\n"
    )
    path = write(tmp_path, "deep-900.yaml", text)
    (outcome,) = probe([{"spec": str(path), "calls": "each"}], tmp_path / "cache")
    assert_working(outcome, path, operations=1)


def ref_chain(length: int) -> str:
    """A body schema reached through ``length`` schemas that each only ``$ref`` the next."""
    lines = [
        HEAD,
        "paths:\n  /a:\n    post:\n      operationId: a\n",
        "      requestBody: {content: {application/json: {schema: {$ref: '#/components/schemas/s0'}}}}\n",
        f"      {OK_RESPONSES}\ncomponents:\n  schemas:\n",
    ]
    lines += [f"    s{i}: {{$ref: '#/components/schemas/s{i + 1}'}}\n" for i in range(length - 1)]
    lines.append(f"    s{length - 1}: {{type: object, properties: {{n: {{type: integer}}}}}}\n")
    return "".join(lines)


@pytest.mark.slow
def test_a_ref_chain_10000_long_loads_and_validates(tmp_path: Path) -> None:
    """10,000 ``$ref`` hops to the body schema: loaded and used in bounded time, no RecursionError."""
    path = write(tmp_path, "chain-10000.yaml", ref_chain(10_000))
    calls = [["a", {"body": {"n": 1}}], ["a", {"body": {"n": "one"}}]]
    (outcome,) = probe([{"spec": str(path), "calls": calls}], tmp_path / "cache")
    assert_working(outcome, path, operations=1)
    sent, refused = outcome["calls"]
    assert sent["sent"] and refused["errors"] == [
        {"message": "Expected integer - got string.", "path": "/body/n"}
    ]


def recursive_spec() -> dict:
    node = {"$ref": "#/components/schemas/Node"}
    return mini(
        {**body(node), "parameters": [{"name": "filter", "in": "query", "schema": node}]},
        components={
            "schemas": {
                "Node": {
                    "type": "object",
                    "properties": {"name": {"type": "string"}, "children": {"type": "array", "items": node}},
                }
            }
        },
    )


def tree(levels: int) -> dict:
    node: dict = {"name": "leaf"}
    for _ in range(levels):
        node = {"name": "node", "children": [node]}
    return node


@pytest.mark.parametrize("where", ["body", "filter"])
def test_a_recursive_schema_with_deep_data(tmp_path: Path, where: str) -> None:
    """A tree schema fed trees up to Perl's 512 levels of data: transactions or EncodeError, never more."""
    path = write(tmp_path, "tree.json", recursive_spec())
    levels = (10, 100, 200, 255, 256, 300)
    calls = [["op", {where: tree(n)}] for n in levels]
    (outcome,) = probe([{"spec": str(path), "calls": calls}], tmp_path / "cache")
    assert "operations" in outcome, outcome
    for n, call in zip(levels, outcome["calls"]):
        assert "escaped" not in call, f"a tree {n} levels deep in {where}: {call['escaped']}"
        if "encode_error" in call:  # too deep for the client: it must say where
            assert call["encode_error"].startswith(f"/{where}"), call
        else:
            assert call["sent"] and call["error"] == {"message": "Connection refused"}, call
    assert outcome["calls"][0].get("sent"), "a shallow tree is valid and sent"


@pytest.mark.parametrize(
    "name, text",
    [
        ("alias-to-itself.yaml", HEAD + "paths: {}\nx-loop: &loop [*loop]\n"),
        ("alias-map-to-itself.yaml", HEAD + "paths: {}\nx-loop: &loop {again: *loop}\n"),
        (
            "alias-bomb.yaml",  # ten levels of ten aliases: 10**10 nodes if walked as a tree
            HEAD
            + "paths: {}\nx-l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
            + "".join(f"x-l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]\n" for i in range(1, 10)),
        ),
    ],
    ids=["list-alias-cycle", "mapping-alias-cycle", "billion-laughs"],
)
def test_yaml_aliases_that_loop_or_explode(tmp_path: Path, name: str, text: str) -> None:
    """YAML anchors make shared and cyclic data: a SpecError or a client, in bounded time."""
    path = write(tmp_path, name, text)
    (outcome,) = probe([{"spec": str(path), "calls": "each"}], tmp_path / "cache", timeout=30)
    if "spec_error" not in outcome:
        assert_working(outcome, path, operations=0)


WORDS = "the of a to and in is for that this with as are it on be by an or from run thread file".split()


def write_big_spec(path: Path, size: int) -> int:
    """A spec of ``size`` bytes shaped like real ones (prose, paths, schemas); its operation count."""
    count = written = 0
    schemas = []
    with path.open("w") as out:
        out.write("openapi: 3.0.0\ninfo: {title: big, version: '1'}\npaths:\n")
        while written < size:
            prose = " ".join(WORDS[(count * 7 + k * 13) % len(WORDS)] for k in range(120))
            item = (
                f"  /things{count}/{{thing_id}}:\n"
                f"    get:\n      operationId: getThing{count}\n      summary: Get thing {count}\n"
                f"      description: |\n        {prose}\n        {prose}\n"
                "      parameters:\n        - name: thing_id\n          in: path\n          required: true\n"
                f"          description: {prose}\n          schema: {{type: string}}\n"
                f"      responses:\n        '200':\n          description: {prose}\n"
                "          content:\n            application/json:\n"
                f"              schema: {{$ref: '#/components/schemas/Thing{count}'}}\n"
                f"    post:\n      operationId: updateThing{count}\n      description: {prose}\n"
                "      parameters:\n"
                "        - {name: thing_id, in: path, required: true, schema: {type: string}}\n"
                "      requestBody:\n        content:\n          application/json:\n"
                f"            schema: {{$ref: '#/components/schemas/Thing{count}'}}\n"
                "      responses:\n        '200': {description: ok}\n"
            )
            schema = (
                f"    Thing{count}:\n      type: object\n      description: {prose}\n      required: [id]\n"
                f"      properties:\n        id: {{type: string, description: {prose}}}\n"
                "        count: {type: integer, minimum: 0}\n"
            )
            out.write(item)
            schemas.append(schema)
            written += len(item) + len(schema)
            count += 1
        out.write("components:\n  schemas:\n")
        out.writelines(schemas)
    return count * 2


@pytest.mark.slow
def test_a_50_mb_spec_gives_a_working_client(tmp_path: Path) -> None:
    """50 MB of paths and schemas: loaded, cached, and every part of it callable, in bounded time."""
    path = tmp_path / "big.yaml"
    operations = write_big_spec(path, 50 * 1024 * 1024)
    last = operations // 2 - 1
    calls = [
        ["getThing0", {"thing_id": "a"}],
        [f"updateThing{last}", {"thing_id": "a", "body": {"id": "x", "count": -1}}],
        [f"update_thing{last}", {"thing_id": "a", "body": {"id": "x"}}],
    ]
    job = {"spec": str(path), "calls": calls}
    first, again = probe([job, job], tmp_path / "cache", timeout=BIG)  # the second from the cache
    size_mb = path.stat().st_size / 1024 / 1024
    print(f"\n{size_mb:.0f} MB spec, {operations} operations: loaded twice (parsed, then cached)")
    for outcome in (first, again):
        assert_working(outcome, path, operations=operations)
        sent, refused, alias = outcome["calls"]
        assert sent["sent"] and alias["sent"]
        assert refused["errors"] == [{"message": "-1 < minimum(0)", "path": "/body/count"}]
