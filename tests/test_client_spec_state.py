"""Where a client's spec lives: per client, in classes that are bounded and named for people.

Also: an operation the spec lacks says so and how to get it; the first access to an
operation's method costs no documentation; ``perl`` is asked at most once.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from openapi_client_openai import Client, NoSuchOperation, OpenAI, SpecError
from openapi_client_openai import client as client_module
from openapi_client_openai.mock import MockServer

from .conftest import BUNDLED_SPEC, REPO


def spec_operations(path: Path) -> dict[str, tuple[str, str]]:
    """operationId -> (method, path), read from the spec file itself."""
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    found = {}
    for route, item in document["paths"].items():
        for method, operation in item.items():
            if isinstance(operation, dict) and "operationId" in operation:
                found[operation["operationId"]] = (method, route)
    return found


@pytest.fixture
def mock():
    with MockServer(BUNDLED_SPEC) as server:
        yield server


def test_two_files_of_one_content_each_keep_their_own_source(
    api_key: str, mock: MockServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """#11 row 16: each client reports its own file and keeps working when the other is edited."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("OPENAPI_CLIENT_OPENAI_CACHE", str(cache))
    first, second = tmp_path / "first.yaml", tmp_path / "second.yaml"
    first.write_bytes(BUNDLED_SPEC.read_bytes())
    second.write_bytes(BUNDLED_SPEC.read_bytes())
    OpenAI(first), OpenAI(second)  # the cache now knows both files
    one = OpenAI(first, base_url=mock.base_url)
    two = OpenAI(second, base_url=mock.base_url)
    assert one.spec.source == str(first) and two.spec.source == str(second)
    assert one.spec.digest == two.spec.digest
    assert one.spec._data is None and two.spec._data is None  # both read their document later
    for document in cache.glob("*.document"):
        document.unlink()  # so each must read its own file when it first validates
    first.write_text(first.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")

    with pytest.raises(SpecError, match="changed after the client was made") as caught:
        one.getRun(thread_id="thread_abc123", run_id="run_abc123")  # its own file did change
    assert str(first) in str(caught.value)
    tx = two.getRun(thread_id="thread_abc123", run_id="run_abc123")  # the other one did not
    assert tx.res.code == 200 and two.spec.source == str(second)


def test_generated_classes_are_kept_for_a_bounded_number_of_specs(api_key: str) -> None:
    base = yaml.safe_load(BUNDLED_SPEC.read_text(encoding="utf-8"))
    clients = []
    for number in range(client_module.CLASS_CACHE_SIZE + 8):
        spec = {**base, "servers": [{"url": f"https://example.test/v{number}"}]}
        clients.append(Client(spec))
    assert len(client_module._generated) <= client_module.CLASS_CACHE_SIZE
    oldest = clients[0]  # its class was let go by the cache, not by the client
    assert str(oldest.base_url) == "https://example.test/v0"
    assert oldest.getRun(thread_id="t").res.code == 400  # run_id missing: validated, unsent


def test_class_names_are_readable(api_key: str, tmp_path: Path) -> None:
    named = tmp_path / "my-spec.v2.yaml"
    named.write_bytes(BUNDLED_SPEC.read_bytes())
    assert type(OpenAI(BUNDLED_SPEC)).__name__ == "OpenAI_openapi"
    assert type(OpenAI(named)).__name__ == "OpenAI_my_spec_v2"
    assert type(Client(named)).__name__ == "Client_my_spec_v2"


def test_an_operation_the_spec_lacks_says_what_and_how_to_get_it(api_key: str) -> None:
    client = OpenAI(BUNDLED_SPEC)
    count = len(spec_operations(BUNDLED_SPEC))
    assert "createChatCompletion" not in spec_operations(BUNDLED_SPEC)
    with pytest.raises(NoSuchOperation) as caught:
        client.createChatCompletion  # noqa: B018 (the attribute access is the test)
    message = str(caught.value)
    assert "createChatCompletion" in message and str(BUNDLED_SPEC) in message
    assert f"has {count} operations" in message
    assert "openapi-client-openai spec fetch" in message and "openapi-client-openai spec info" in message
    assert isinstance(caught.value, AttributeError) and not hasattr(client, "createChatCompletion")
    assert caught.value.perl_message == "[OpenAPI::Client] No such operationId"
    with pytest.raises(NoSuchOperation) as called:  # call keeps Perl's words, for parity
        client.call("createChatCompletion", {})
    assert str(called.value) == "[OpenAPI::Client] No such operationId"
    assert called.value.operation_count == count and called.value.source == str(BUNDLED_SPEC)
    with pytest.raises(AttributeError) as private:
        client._no_such_thing  # noqa: B018
    assert not isinstance(private.value, NoSuchOperation)


def test_first_access_renders_no_docs_and_help_shows_them(api_key: str) -> None:
    method, route = spec_operations(BUNDLED_SPEC)["getRun"]
    program = """
import json, pydoc, sys
from openapi_client_openai import OpenAI
client = OpenAI(sys.argv[1])
client.getRun, client.get_run_p
docs_loaded = sorted(m for m in sys.modules if m.startswith(("openapi_client_openai.docgen", "markdown_it")))
text = pydoc.render_doc(client.getRun, renderer=pydoc.plaintext)
print(json.dumps({"before": docs_loaded, "doc": client.getRun.__doc__, "help": text,
                  "promise": client.get_run_p.__doc__}))
"""
    child = subprocess.run(
        [sys.executable, "-c", program, str(BUNDLED_SPEC)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        check=False,
    )
    assert child.returncode == 0, child.stderr
    seen = json.loads(child.stdout)
    assert seen["before"] == []  # nothing of the doc generator on first access
    assert seen["doc"].startswith(f"{method.upper()} {route}\n")
    assert seen["doc"] in seen["help"].replace("\n    ", "\n")  # help() shows the same docstring
    assert "getRun(params=None, /, *, run_id=None, thread_id=None, **content) method of" in seen["help"]
    assert seen["promise"].startswith("Promise form of getRun") and seen["doc"] in seen["promise"]


def test_perl_is_asked_once_and_only_when_discovery_needs_it(api_key: str, tmp_path: Path) -> None:
    perl = shutil.which("perl")
    assert perl, "discovery asks perl: perl must be on PATH here"
    tools = tmp_path / "bin"
    tools.mkdir()
    log = tmp_path / "perl-calls"
    wrapper = tools / "perl"  # the real perl, counted
    wrapper.write_text(f'#!/bin/sh\necho called >> "{log}"\nexec "{perl}" "$@"\n')
    wrapper.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_OPENAPI_SPEC"}
    env["PATH"] = f"{tools}{os.pathsep}{env.get('PATH', '')}"
    program = (
        "import sys\nfrom openapi_client_openai import OpenAI\n"
        "for spec in sys.argv[1:]:\n    OpenAI(spec or None)\n"
    )

    def perl_calls(*specs: str, **extra: str) -> int:
        log.write_text("")
        subprocess.run(
            [sys.executable, "-c", program, *specs],
            env={**env, **extra},
            cwd=REPO,
            timeout=120,
            check=True,
            capture_output=True,
        )
        return len(log.read_text().splitlines())

    assert perl_calls("", "", "") == 1  # three discoveries, one perl
    assert perl_calls(str(BUNDLED_SPEC), str(BUNDLED_SPEC)) == 0  # a spec was given
    assert perl_calls("", OPENAI_OPENAPI_SPEC=str(BUNDLED_SPEC)) == 0  # the environment answered first
