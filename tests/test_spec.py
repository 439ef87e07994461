"""Loading specs: sources, $ref checks, discovery order, YAML typing, the on-disk cache."""

from __future__ import annotations

import http.server
import json
import os
import stat
import subprocess
import threading
from pathlib import Path

import pytest
import yaml

from openapi_client_openai import SpecError
from openapi_client_openai.spec import BUNDLED_SPEC, load_spec
from openapi_client_openai.spec_cache import cache_dir
from openapi_client_openai.spec_discovery import discover_spec, forget_perl_distribution

MINIMAL = {
    "openapi": "3.1.0",
    "info": {"title": "t", "version": "1"},
    "servers": [{"url": "https://example.test/v9"}],
    "paths": {
        "/things/{id}": {
            "parameters": [{"$ref": "#/components/schemas/IdParam"}],
            "get": {"operationId": "getThing", "responses": {"200": {"description": "ok"}}},
        }
    },
    "components": {
        "schemas": {
            "IdParam": {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}},
            "Tree": {
                "type": "object",
                "properties": {"children": {"type": "array", "items": {"$ref": "#/components/schemas/Tree"}}},
            },
        }
    },
}


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_yaml_and_json_files_give_the_same_document(tmp_path: Path) -> None:
    from_yaml = load_spec(write(tmp_path, "a.yaml", yaml.safe_dump(MINIMAL)))
    from_json = load_spec(write(tmp_path, "a.json", json.dumps(MINIMAL)))
    assert from_yaml.data == from_json.data == MINIMAL
    assert list(from_yaml.operations) == ["getThing"]


def test_file_url_and_mapping(tmp_path: Path) -> None:
    path = write(tmp_path, "a.yaml", yaml.safe_dump(MINIMAL))
    assert load_spec(path.as_uri()).data == MINIMAL
    mapping = json.loads(json.dumps(MINIMAL))
    spec = load_spec(mapping)
    mapping["paths"].clear()  # our copy is private
    assert list(spec.operations) == ["getThing"]


def test_http_url(tmp_path: Path) -> None:
    body = json.dumps(MINIMAL).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        spec = load_spec(f"http://127.0.0.1:{server.server_address[1]}/openapi.json")
    finally:
        server.shutdown()
        thread.join(5)
    assert spec.data == MINIMAL


def test_refs_resolve_including_recursive_schemas() -> None:
    spec = load_spec(MINIMAL)
    (param,) = spec.operations["getThing"].parameters
    assert param["name"] == "id"
    tree = spec.pointer("#/components/schemas/Tree")
    item = spec.resolve(tree["properties"]["children"]["items"])
    assert item is tree


@pytest.mark.parametrize(
    ("mutate", "message", "place"),
    [
        (
            lambda d: d["paths"]["/things/{id}"]["parameters"].append({"$ref": "#/components/schemas/Nope"}),
            "does not resolve",
            "/paths/~1things~1{id}/parameters/1/$ref",
        ),
        (
            lambda d: d["paths"].update({"/other": {"get": {"operationId": "getThing", "responses": {}}}}),
            "duplicate operationId 'getThing'",
            "/paths/~1other/get/operationId",
        ),
        (
            lambda d: d["paths"].update({"/other": {"get": {"operationId": "get_thing", "responses": {}}}}),
            "same snake_case form 'get_thing'",
            "/paths/~1other/get/operationId",
        ),
        (
            lambda d: d["components"]["schemas"].update(
                {"A": {"$ref": "#/components/schemas/B"}, "B": {"$ref": "#/components/schemas/A"}}
            ),
            "$ref cycle",
            "/components/schemas/",
        ),
    ],
)
def test_bad_specs_name_the_file_and_the_place(tmp_path: Path, mutate, message: str, place: str) -> None:
    document = json.loads(json.dumps(MINIMAL))
    mutate(document)
    path = write(tmp_path, "bad.json", json.dumps(document))
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    text = str(caught.value)
    assert str(path) in text and message in text and place in text


def test_unreadable_invalid_and_non_object(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="cannot read spec") as caught:
        load_spec(tmp_path / "missing.yaml")
    assert "missing.yaml" in str(caught.value)
    bad = write(tmp_path, "bad.yaml", "openapi: 3.1.0\npaths:\n  /x: [unclosed\n")
    with pytest.raises(SpecError, match=r"bad.yaml: line \d+ column \d+: invalid YAML: ") as caught:
        load_spec(bad)
    assert "bad.yaml" in str(caught.value)
    with pytest.raises(SpecError, match="root must be an object"):
        load_spec(write(tmp_path, "list.yaml", "- 1\n- 2\n"))


def test_yaml_is_typed_as_yaml_xs_types_it(tmp_path: Path, perl_env: dict) -> None:
    text = "a: [yes, no, on, true, false, ~, null, '', 2024-01-01, 1e3, 1.0, 0.10, 3.14, 017, 0x1F, -0, 12]\n"
    path = write(tmp_path, "types.yaml", text)
    perl = subprocess.run(
        [
            "perl",
            "-MYAML::XS",
            "-MMojo::JSON=encode_json",
            "-e",
            'local $YAML::XS::Boolean = "JSON::PP"; print encode_json(YAML::XS::LoadFile(shift))',
            str(path),
        ],
        capture_output=True,
        timeout=60,
        check=True,
        env=perl_env,
    )
    from openapi_client_openai.spec_yaml import parse

    # Cpanel::JSON::XS writes a dual-valued "1.0" as a string, like YAML::XS reads it.
    assert parse(path.read_bytes(), str(path)) == json.loads(perl.stdout)


def test_discovery_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_OPENAPI_SPEC", raising=False)
    share = tmp_path / "lib" / "auto" / "share" / "dist" / "OpenAPI-Client-OpenAI"
    share.mkdir(parents=True)
    (share / "openapi.yaml").write_text(yaml.safe_dump(MINIMAL))
    forget_perl_distribution()
    monkeypatch.setenv("PERL5LIB", str(tmp_path / "lib"))
    try:
        assert discover_spec() == str(share / "openapi.yaml")
        monkeypatch.setenv("OPENAI_OPENAPI_SPEC", "/from/env.yaml")
        assert discover_spec() == "/from/env.yaml"
        monkeypatch.delenv("OPENAI_OPENAPI_SPEC")
        monkeypatch.setenv("PATH", str(tmp_path / "no-perl-here"))  # no perl, no Perl distribution
        forget_perl_distribution()
        assert discover_spec() == str(BUNDLED_SPEC)
    finally:
        forget_perl_distribution()


def test_cache_is_used_and_survives_corruption(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAPI_CLIENT_OPENAI_CACHE", str(tmp_path / "cache"))
    path = write(tmp_path, "a.yaml", yaml.safe_dump(MINIMAL))
    first = load_spec(path)
    cached = tmp_path / "cache" / f"{first.digest}.document"
    assert cached.is_file() and stat.S_IMODE(cached.stat().st_mode) & 0o022 == 0
    second = load_spec(path)
    assert second._data is None  # from the cached index: the document is not even read yet
    assert list(second.operations) == ["getThing"] and second._data is None
    assert second.data == MINIMAL
    cached.write_bytes(b"garbage")
    assert load_spec(path).data == MINIMAL
    assert cached.read_bytes() != b"garbage"  # rebuilt


def test_cache_from_a_writable_by_others_place_is_never_loaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = tmp_path / "shared-cache"
    monkeypatch.setenv("OPENAPI_CLIENT_OPENAI_CACHE", str(directory))
    path = write(tmp_path, "a.yaml", yaml.safe_dump(MINIMAL))
    digest = load_spec(path).digest
    os.chmod(directory, 0o777)
    # A planted cache file would be trusted: this one would change the answer.
    import marshal
    import zlib

    from openapi_client_openai.spec_cache import CACHE_FORMAT

    payload = marshal.dumps({"planted": True})
    planted = CACHE_FORMAT + f"document {digest} {zlib.crc32(payload):08x}\n".encode() + payload
    (directory / f"{digest}.document").write_bytes(planted)
    (directory / f"{digest}.index").unlink()  # so the document itself is read
    assert load_spec(path).data == MINIMAL


def test_cache_off_switch_and_read_only_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAPI_CLIENT_OPENAI_CACHE", "off")
    assert cache_dir() is None
    path = write(tmp_path, "a.yaml", yaml.safe_dump(MINIMAL))
    assert load_spec(path).data == MINIMAL
    blocker = tmp_path / "a-file"  # a cache directory that cannot be created, even by root
    blocker.write_text("")
    monkeypatch.setenv("OPENAPI_CLIENT_OPENAI_CACHE", str(blocker / "cache"))
    assert load_spec(path).data == MINIMAL


def test_openai_spec_loads_with_every_operation(openai_spec) -> None:
    table = openai_spec.operations
    assert len(table) == 170
    assert table["getRun"].path == "/threads/{thread_id}/runs/{run_id}"
    assert table.lookup("admin_api_keys_create").operation_id == "admin-api-keys-create"
    assert len(table.by_path()) == 113
