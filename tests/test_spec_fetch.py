"""``spec fetch`` / ``spec info`` against a loopback server, discovery's order, and no home.

A new user runs ``openapi-client-openai spec fetch`` once and ``OpenAI()`` has
OpenAI's whole API; a spec that does not load is never stored; with no home
directory nothing is written anywhere.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import http.server
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from openapi_client_openai import OpenAI, SpecError
from openapi_client_openai.mock import MockServer
from openapi_client_openai.spec import load_spec
from openapi_client_openai.spec_cache import cache_dir
from openapi_client_openai.spec_discovery import discover, forget_perl_distribution
from openapi_client_openai.spec_fetch import fetch

from .conftest import BUNDLED_SPEC, REPO


@contextlib.contextmanager
def serving(directory: Path) -> Iterator[str]:
    """A static file server on 127.0.0.1 for the test's duration; its base URL."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(directory))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.timeout = 10
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "openapi_client_openai", *args],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=REPO,
        env=env,
        check=False,
    )


@pytest.fixture
def user(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A user with an empty cache, no spec in the environment and no Perl distribution."""
    cache = tmp_path / "user-cache"
    monkeypatch.setenv("OPENAPI_CLIENT_OPENAI_CACHE", str(cache))
    monkeypatch.delenv("OPENAI_OPENAPI_SPEC", raising=False)
    no_perl = tmp_path / "no-perl"
    no_perl.mkdir()
    monkeypatch.setenv("PATH", str(no_perl))  # so no installed Perl distribution can answer first
    for proxy in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(proxy, raising=False)
    forget_perl_distribution()
    yield dict(os.environ)
    forget_perl_distribution()


def test_fetch_from_a_loopback_server_gives_openai_its_whole_api(
    user: dict, api_key: str, openai_spec_path: Path
) -> None:
    served = openai_spec_path.read_bytes()
    operations = len(re.findall(rb"^\s+operationId:", served, re.MULTILINE))
    with serving(openai_spec_path.parent) as base:
        result = cli(
            "spec", "fetch", f"{base}/{openai_spec_path.name}", env={**user, "OPENAI_API_KEY": api_key}
        )
    assert result.returncode == 0, result.stderr
    stored = Path(user["OPENAPI_CLIENT_OPENAI_CACHE"]) / "spec" / "openapi.yaml"
    assert stored.read_bytes() == served
    assert str(stored) in result.stdout and hashlib.sha256(served).hexdigest() in result.stdout
    assert f"{operations} operations" in result.stdout
    assert stat_mode(stored.parent) == 0o700

    assert discover().source == str(stored)
    client = OpenAI()
    assert client.spec.source == str(stored) and len(client.spec.operations) == operations
    with MockServer(stored) as mock:
        client.base_url = mock.base_url
        tx = client.createChatCompletion(
            body={"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}
        )
    assert tx.res.code == 200 and tx.res.json("/object") == "chat.completion"

    info = cli("spec", "info", env=user)
    assert info.returncode == 0, info.stderr
    assert info.stdout.startswith("spec:") and str(stored) in info.stdout.splitlines()[0]
    assert "spec fetch" in info.stdout.splitlines()[1] and "unchanged since fetched" in info.stdout


def stat_mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_a_spec_that_does_not_load_is_not_stored(user: dict, tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "good.yaml").write_bytes(BUNDLED_SPEC.read_bytes())
    (site / "broken.yaml").write_text("openapi: 3.1.0\npaths: [unclosed\n")
    (site / "unresolved.yaml").write_text(
        "openapi: 3.1.0\npaths:\n  /x:\n    get:\n      operationId: x\n"
        "      responses: {'200': {$ref: '#/components/responses/none'}}\n"
    )
    stored = Path(user["OPENAPI_CLIENT_OPENAI_CACHE"]) / "spec" / "openapi.yaml"
    with serving(site) as base:
        assert cli("spec", "fetch", f"{base}/good.yaml", env=user).returncode == 0
        for name, says in (
            ("broken.yaml", "invalid YAML"),
            ("unresolved.yaml", "does not resolve"),
            ("missing.yaml", "cannot read spec"),
        ):
            result = cli("spec", "fetch", f"{base}/{name}", env=user)
            lines = result.stderr.strip().splitlines()
            assert result.returncode == 1 and len(lines) == 1 and says in lines[0], result.stderr
            assert f"{base}/{name}" in lines[0]
            assert stored.read_bytes() == BUNDLED_SPEC.read_bytes()  # the good one stays
    assert sorted(p.name for p in stored.parent.iterdir()) == ["openapi.fetched.json", "openapi.yaml"]


def test_a_file_is_fetched_too_and_info_says_why(user: dict, tmp_path: Path) -> None:
    copy = tmp_path / "copy.yaml"
    copy.write_bytes(BUNDLED_SPEC.read_bytes())
    got = fetch(str(copy))
    assert got["sha256"] == hashlib.sha256(copy.read_bytes()).hexdigest()
    info = cli("spec", "info", env={**user, "OPENAI_OPENAPI_SPEC": str(copy)})
    lines = info.stdout.splitlines()
    assert lines[0].split()[-1] == str(copy) and "$OPENAI_OPENAPI_SPEC is set" in lines[1]
    Path(got["path"]).write_text(Path(got["path"]).read_text() + "# edited\n")
    info = cli("spec", "info", env=user)
    assert "CHANGED since it was fetched" in info.stdout


def test_discovery_order_env_then_perl_then_fetched_then_bundled(
    user: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert discover().source == str(BUNDLED_SPEC)
    fetched = Path(fetch(str(BUNDLED_SPEC))["path"])
    assert discover().source == str(fetched)
    share = tmp_path / "lib" / "auto" / "share" / "dist" / "OpenAPI-Client-OpenAI"
    share.mkdir(parents=True)
    (share / "openapi.yaml").write_bytes(BUNDLED_SPEC.read_bytes())
    monkeypatch.setenv("PATH", os.defpath)  # perl is back
    monkeypatch.setenv("PERL5LIB", str(tmp_path / "lib"))
    forget_perl_distribution()
    assert discover().source == str(share / "openapi.yaml")
    monkeypatch.setenv("OPENAI_OPENAPI_SPEC", "/from/the/environment.yaml")
    assert discover().source == "/from/the/environment.yaml"


def test_no_home_means_nothing_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, api_key: str) -> None:
    """#11 row 15: HOME unset and no passwd entry (a container run as --user 1000)."""
    import pwd

    def no_entry(uid: int) -> None:
        raise KeyError(f"getpwuid(): uid not found: {uid}")

    for name in ("HOME", "XDG_CACHE_HOME", "OPENAPI_CLIENT_OPENAI_CACHE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(pwd, "getpwuid", no_entry)
    work = tmp_path / "work"
    work.mkdir()
    spec = work / "spec.yaml"
    spec.write_bytes(BUNDLED_SPEC.read_bytes())
    monkeypatch.chdir(work)
    assert cache_dir() is None
    assert len(OpenAI(spec).spec.operations) > 0 and len(load_spec(spec).operations) > 0
    assert sorted(p.name for p in work.iterdir()) == ["spec.yaml"]  # no ./~/.cache
    with pytest.raises(SpecError, match="no home directory"):
        fetch(str(spec))
    assert sorted(p.name for p in work.iterdir()) == ["spec.yaml"]
