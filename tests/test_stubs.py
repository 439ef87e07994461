"""``openapi-client-openai stubs``: typed, documented methods for every operation of a spec.

The proof is mypy's: stubs are written for OpenAI's spec, then a user's program is
type-checked against them in a child ``python -m mypy`` (one program that must pass,
under ``--strict``, and one whose every marked line must be reported), and the
passing program is also run, against the mock server, to show the types tell the truth.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from openapi_client_openai import OpenAI
from openapi_client_openai.cli import main
from openapi_client_openai.mock import MockServer
from openapi_client_openai.spec import Spec, load_spec

from .conftest import BUNDLED_SPEC, TEST_KEY

MYPY_TIMEOUT = 600
RUN_TIMEOUT = 120

GOOD_PROGRAM = """
from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, assert_type

import openapi_client_openai as oco
from openai_openapi import OpenAI

if TYPE_CHECKING:
    from openai_openapi import CreateChatCompletionRequest

client = OpenAI(sys.argv[1])
client.ua.inactivity_timeout = 600
request: CreateChatCompletionRequest = {
    "model": "gpt-4o",
    "messages": [{"role": "user", "content": "Hello"}],
    "temperature": 0.2,
}
chat = client.createChatCompletion(body=request)
assert_type(chat, oco.Transaction)
runs = client.listRuns(thread_id="thread_abc123", limit=5, order="asc")
run = client.get_run({"thread_id": "thread_abc123", "run_id": "run_abc123"})
Path("notes.jsonl").write_text("{}\\n")
upload = client.createFile(file_upload={"file": "notes.jsonl", "purpose": "fine-tune"})
promise = client.getRun_p(thread_id="thread_abc123", run_id="run_abc123")
assert_type(promise, oco.Promise)
same = client.cancelRun(thread_id="thread_abc123", run_id="run_abc123").res.code
back = client.getRun({"thread_id": "thread_abc123", "run_id": "run_abc123"}, lambda c, tx: None)
assert_type(back, OpenAI)
waited = promise.wait()
status: object = chat.res.json("/object")
print(chat.res.code, runs.res.code, run.res.code, upload.res.code, same, back is client,
      isinstance(waited, oco.Transaction), status, isinstance(client, oco.OpenAI))
"""

BAD_HEAD = """
from typing import TYPE_CHECKING

from openai_openapi import OpenAI

if TYPE_CHECKING:
    from openai_openapi import CreateChatCompletionRequest

client = OpenAI()
"""
# Each line and what mypy must say of it (a part of its message).
BAD_LINES = [
    (
        'request: CreateChatCompletionRequest = {"model": "gpt-4o", "mesages": []}',
        'Extra key "mesages" for TypedDict "CreateChatCompletionRequest"',
    ),
    (
        'client.createChatCompletion(body={"model": "gpt-4o", "mesages": []})',
        'No overload variant of "createChatCompletion"',
    ),
    ('client.getRun(thread_id="thread_abc123")', 'No overload variant of "getRun"'),
    ('client.listFiles(limit="ten")', 'No overload variant of "listFiles"'),
    ('client.list_runs(thread_id="thread_abc123", order="newest")', 'No overload variant of "list_runs"'),
    ("client.createChatCompletions(body={})", '"NotAnOperationOfThisSpec" not callable'),
    (
        'count: int = client.getRun(thread_id="thread_abc123", run_id="run_abc123")',
        'expression has type "Transaction"',
    ),
    (
        'promised: int = client.getRun_p(thread_id="thread_abc123", run_id="run_abc123")',
        'expression has type "Promise"',
    ),
]


@pytest.fixture(scope="module")
def real_spec(openai_spec_path: Path) -> Spec:
    return load_spec(openai_spec_path)


@pytest.fixture(scope="module")
def stubs(openai_spec_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("stubs")
    assert main(["stubs", "--spec", str(openai_spec_path), "--out", str(out)]) == 0
    return out


def _operations_class(stub: Path) -> ast.ClassDef:
    tree = ast.parse(stub.read_text(encoding="utf-8"), str(stub))
    (found,) = [node for node in tree.body if isinstance(node, ast.ClassDef) and node.name == "Operations"]
    return found


def test_every_operation_is_a_method_under_each_of_its_names(stubs: Path, real_spec: Spec) -> None:
    members = _operations_class(stubs / "openai_openapi.pyi").body
    defined = {node.name for node in members if isinstance(node, ast.FunctionDef)}
    aliases = {  # none today: every name is defined in full
        target.id
        for node in members
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    expected = set()
    for op_id, operation in real_spec.operations.items():
        for name in (op_id, operation.snake_name):
            for form in (name, f"{name}_p"):
                if form.isidentifier() and not hasattr(OpenAI, form):
                    expected.add(form)
    assert len(real_spec.operations) == 170
    assert len(expected) >= 4 * 170 - 100  # snake_case ids have one name for both
    assert (defined | aliases) == expected | {"__getattr__"}


def test_parameters_are_typed_keywords_and_documented(stubs: Path) -> None:
    members = _operations_class(stubs / "openai_openapi.pyi").body
    overloads = [node for node in members if isinstance(node, ast.FunctionDef) and node.name == "listFiles"]
    keyword_form = overloads[0]
    keywords = {
        arg.arg: ast.unparse(arg.annotation) for arg in keyword_form.args.kwonlyargs if arg.annotation
    }
    # OpenAI's spec: purpose a string, limit an integer, order an enum of asc/desc, after a string.
    assert keywords == {
        "purpose": "str",
        "limit": "int",
        "order": "_t.Literal['asc', 'desc']",
        "after": "str",
    }
    assert all(default is not None for default in keyword_form.args.kw_defaults)  # all optional
    doc = ast.get_docstring(keyword_form) or ""
    assert doc.startswith("GET /files: ")
    assert re.search(r"^\s+limit \(int, query\): A limit on the number of objects", doc, re.M)

    (get_run,) = [node for node in members if isinstance(node, ast.FunctionDef) and node.name == "getRun"][:1]
    assert [arg.arg for arg in get_run.args.kwonlyargs] == ["thread_id", "run_id"]
    assert get_run.args.kw_defaults == [None, None]  # path parameters are required
    (chat,) = [
        node for node in members if isinstance(node, ast.FunctionDef) and node.name == "createChatCompletion"
    ][:1]
    assert [(arg.arg, ast.unparse(arg.annotation)) for arg in chat.args.kwonlyargs if arg.annotation] == [
        ("body", "CreateChatCompletionRequest")
    ]


def test_request_bodies_are_typed_dicts(stubs: Path) -> None:
    tree = ast.parse((stubs / "openai_openapi.pyi").read_text(encoding="utf-8"))
    classes = {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}
    request = classes["CreateChatCompletionRequest"]
    assert [ast.unparse(base) for base in request.bases] == ["_t.TypedDict"]
    fields = {
        node.target.id: ast.unparse(node.annotation)
        for node in request.body
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
    }
    assert fields["messages"].startswith("_abc.Sequence[")  # required: no NotRequired
    assert fields["model"] == "ModelIdsShared"
    assert fields["temperature"].startswith("_t.NotRequired[")


def _user_env(**settings: str) -> dict[str, str]:
    """A user's environment: the program's own directory on sys.path (tox sets PYTHONSAFEPATH)."""
    env = {**os.environ, **settings}
    env.pop("PYTHONSAFEPATH", None)
    return env


def _mypy(directory: Path, *programs: str, strict: bool = False) -> list[str]:
    config = directory / "mypy.ini"
    config.write_text("[mypy]\nshow_error_codes = True\n" + ("strict = True\n" if strict else ""))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            str(config),
            "--cache-dir",
            str(directory / ".mypy"),
            *programs,
        ],
        capture_output=True,
        text=True,
        timeout=MYPY_TIMEOUT,
        cwd=directory,
        check=False,
    )
    assert done.returncode in (0, 1), done.stdout + done.stderr  # 2: mypy itself failed
    return [line for line in done.stdout.splitlines() if ": error:" in line]


def test_a_correct_program_type_checks_strictly_and_runs(
    stubs: Path, openai_spec_path: Path, api_key: str
) -> None:
    (stubs / "good.py").write_text(textwrap.dedent(GOOD_PROGRAM), encoding="utf-8")
    assert _mypy(stubs, "good.py", strict=True) == []
    with MockServer(openai_spec_path) as server:
        env = _user_env(OPENAI_API_KEY=TEST_KEY, OPENAPI_CLIENT_OPENAI_BASE_URL=str(server.base_url))
        done = subprocess.run(
            [sys.executable, "good.py", str(openai_spec_path)],
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT,
            cwd=stubs,
            env=env,
            check=False,
        )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [
        "200",
        "200",
        "200",
        "200",
        "200",
        "True",
        "True",
        "chat.completion",
        "True",
    ]


def test_a_wrong_program_is_reported_line_by_line(stubs: Path) -> None:
    program = BAD_HEAD + "".join(f"{line}\n" for line, _ in BAD_LINES)
    (stubs / "bad.py").write_text(program, encoding="utf-8")
    first = len(BAD_HEAD.splitlines()) + 1
    expected = {first + index: text for index, (_, text) in enumerate(BAD_LINES)}
    reported: dict[int, list[str]] = {}
    errors = _mypy(stubs, "bad.py")
    for error in errors:
        match = re.match(r"bad\.py:(\d+): error: (.*)", error)
        assert match, error
        reported.setdefault(int(match[1]), []).append(match[2])
    assert sorted(reported) == sorted(expected), "\n".join(errors)
    for number, text in expected.items():
        assert any(text in message for message in reported[number]), (number, text, reported[number])


def test_the_stub_module_runs_as_the_package_itself(stubs: Path) -> None:
    code = (
        "import openai_openapi, openapi_client_openai as o; "
        "print(openai_openapi.OpenAI is o.OpenAI, openai_openapi.Client is o.Client)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        cwd=stubs,
        env=_user_env(),
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "True"]


def test_bad_input_is_one_line_and_a_status(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stubs", "--spec", str(tmp_path / "missing.yaml"), "--out", str(tmp_path)]) == 1
    assert main(["stubs", "--spec", str(BUNDLED_SPEC), "--out", str(tmp_path), "--module", "no-dash"]) == 1
    assert main(["stubs", "--spec", str(BUNDLED_SPEC), "--out", str(tmp_path / "f" / "x")]) == 0
    (tmp_path / "file").write_text("")
    assert main(["stubs", "--spec", str(BUNDLED_SPEC), "--out", str(tmp_path / "file")]) == 1
    errors = capsys.readouterr().err.splitlines()
    assert len(errors) == 3 and all(line.startswith("openapi-client-openai: ") for line in errors), errors
    assert "missing.yaml" in errors[0]
    assert "'no-dash' is not a Python module name" in errors[1]
    assert "cannot create directory" in errors[2]
    assert sorted(p.name for p in (tmp_path / "f" / "x").iterdir()) == ["openapi.py", "openapi.pyi"]


AWKWARD_SPEC = """
openapi: 3.0.0
info: {title: awkward, version: "1"}
servers: [{url: "http://localhost/v1"}]
paths:
  /keys/{self}:
    post:
      operationId: admin-api-keys-create
      parameters:
        - {name: self, in: path, required: true, schema: {type: string}}
        - {name: from, in: query, schema: {type: integer}}
        - {name: "include[]", in: query, schema: {type: array, items: {type: string, enum: [a, b]}}}
        - {name: params, in: query, schema: {type: boolean}}
        - {name: json, in: query, schema: {type: string}}
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [class]
              properties:
                class: {type: string, nullable: true}
                "x-y": {$ref: "#/components/schemas/Node"}
                counts: {type: object, additionalProperties: {type: integer}}
                ratio: {enum: [1.5, 2.5]}
                brand: {$ref: "#/components/schemas/OpenAI"}
      responses: {"200": {description: ok}}
  /other:
    get:
      operationId: call
      responses: {"200": {description: ok}}
components:
  schemas:
    Node:
      type: object
      properties:
        children: {type: array, items: {$ref: "#/components/schemas/Node"}}
        kind: {$ref: "#/components/schemas/Kind"}
    Kind:
      oneOf:
        - {type: string, enum: [x, "y'z"]}
        - {type: "null"}
    OpenAI: {type: string}
"""

AWKWARD_PROGRAM = """
from __future__ import annotations

from typing import TYPE_CHECKING, assert_type

import openapi_client_openai as oco
from awkward import OpenAI

if TYPE_CHECKING:
    from awkward import AdminApiKeysCreateBody, Node

client = OpenAI("awkward.yaml")
# Names Python cannot take as keywords go in Perl's params dict; the others are keywords too.
tx = client.admin_api_keys_create({"self": "k", "from": 1, "include[]": ["a"], "body": {"class": None}})
assert_type(tx, oco.Transaction)
tree: Node = {"children": [{"children": [], "kind": "y'z"}], "kind": None}
body: AdminApiKeysCreateBody = {"class": "c", "x-y": tree, "counts": {"n": 1}, "ratio": 2.5, "brand": "b"}
assert_type(client.admin_api_keys_create_p(params=True, json="j", body=body), oco.Promise)
client.call("call")
"""


def test_awkward_names_and_schemas_give_stubs_mypy_accepts(tmp_path: Path) -> None:
    (tmp_path / "awkward.yaml").write_text(AWKWARD_SPEC, encoding="utf-8")
    assert main(["stubs", "--spec", str(tmp_path / "awkward.yaml"), "--out", str(tmp_path)]) == 0
    stub = (tmp_path / "awkward.pyi").read_text(encoding="utf-8")
    members = _operations_class(tmp_path / "awkward.pyi").body
    names = {node.name for node in members if isinstance(node, ast.FunctionDef)}
    # kebab-case: the snake alias only; 'call' and 'call_p' are the client's own methods
    assert names == {"__getattr__", "admin_api_keys_create", "admin_api_keys_create_p"}
    assert "Kind: _t.TypeAlias = _t.Literal['x', \"y'z\"] | None" in stub
    assert "OpenAI2: _t.TypeAlias = str" in stub  # a schema named like the stub's own class
    (tmp_path / "use.py").write_text(AWKWARD_PROGRAM, encoding="utf-8")
    assert _mypy(tmp_path, "use.py", "awkward.pyi", strict=True) == []
