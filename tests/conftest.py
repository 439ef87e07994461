"""Fixtures shared by the suite: the test-bed spec in ../shared, the Perl stack, an API key.

In CI (``CI=true``) a missing ../shared or Perl stack is a failure, never a skip:
the parity promise cannot be tested without them.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent  # the checkout or the unpacked sdist: tests, data, examples
SHARED = REPO.parent / "shared"
OPENAI_SPEC = SHARED / "openapi" / "openai-openapi.yaml"
JV_CACHE = SHARED / "perl-peer" / "jvcache"


def installed_package(name: str) -> Path:
    """Where the package under test is installed, found without importing it (tests import that one)."""
    spec = importlib.util.find_spec(name)
    assert spec is not None and spec.submodule_search_locations, f"{name} is not installed"
    return Path(next(iter(spec.submodule_search_locations)))


BUNDLED_SPEC = installed_package("openapi_client_openai") / "data" / "openapi.yaml"
TEST_KEY = "sk-test-0123456789abcdefghijklmnopqrstuvwxyz"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require(condition: bool, reason: str) -> None:
    """Skip locally, fail in CI."""
    if condition:
        return
    if in_ci():
        pytest.fail(f"{reason} (CI=true: this is required)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def openai_spec_path() -> Path:
    require(OPENAI_SPEC.is_file(), f"OpenAI's spec is not at {OPENAI_SPEC}")
    return OPENAI_SPEC


@pytest.fixture(scope="session")
def openai_spec(openai_spec_path: Path):
    from openapi_client_openai.spec import load_spec

    return load_spec(openai_spec_path)


def perl_stack_available() -> bool:
    if not shutil.which("perl"):
        return False
    probe = subprocess.run(
        ["perl", "-MOpenAPI::Client", "-MYAML::XS", "-e", "1"], capture_output=True, timeout=60, check=False
    )
    return probe.returncode == 0


@pytest.fixture(scope="session")
def perl_env() -> dict:
    """Environment for a Perl process: the stack must be there, offline, with Poll reactor."""
    require(perl_stack_available(), "the Perl stack (libopenapi-client-perl) is not installed")
    require(JV_CACHE.is_dir(), f"JSON::Validator's offline cache is not at {JV_CACHE}")
    env = dict(os.environ)
    env.update(JSON_VALIDATOR_CACHE_PATH=str(JV_CACHE), MOJO_REACTOR="Mojo::Reactor::Poll")
    return env


@pytest.fixture
def api_key(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
    return TEST_KEY


@pytest.fixture(autouse=True)
def _private_spec_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    # One cache per session keeps tests fast without touching the user's cache.
    if "OPENAPI_CLIENT_OPENAI_CACHE" not in os.environ:
        cache = tmp_path_factory.getbasetemp() / "spec-cache"
        cache.mkdir(mode=0o700, exist_ok=True)
        monkeypatch.setenv("OPENAPI_CLIENT_OPENAI_CACHE", str(cache))


@pytest.fixture(scope="session")
def mojo(perl_env: dict):
    """The embedded Perl (perl_compat) with tests/perl/MojoSurface.pm loaded: Mojo's own answers.

    ``mojo.call('MojoSurface::url_facts', url)`` and friends; see that module.
    """
    from perl_compat.interpreter import available, get_interpreter

    status = available()
    require(bool(status), f"libperl cannot be embedded here: {status.reason}")
    os.environ.setdefault("JSON_VALIDATOR_CACHE_PATH", perl_env["JSON_VALIDATOR_CACHE_PATH"])
    perl = get_interpreter()
    perl.add_inc(REPO / "tests" / "perl")
    perl.use("MojoSurface")
    return perl
