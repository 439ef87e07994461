"""The installed distribution: what pip put in site-packages, not the checkout beside the tests.

tox builds the sdist, installs it and runs the suite with pytest's importlib mode
and ``PYTHONSAFEPATH=1``, so nothing puts the checkout on ``sys.path``; these tests
check that this holds (in this process and in a child started in the checkout), that
every file of the packages was installed, that the entry points and the version are
right, that the sdist carries every tracked file, and that the ``mindeps`` tox env
pins exactly the floors the distribution declares.
"""

from __future__ import annotations

import configparser
import importlib
import json
import os
import subprocess
import sys
import sysconfig
import tarfile
import tomllib
from importlib import metadata
from pathlib import Path
from urllib.parse import unquote, urlparse

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from .conftest import BUNDLED_SPEC, REPO, installed_package

DIST = "openapi-client-openai"
PACKAGES = ("openapi_client_openai", "perl_compat", "OpenAPI")
TIMEOUT = 300
# Build products and tools' caches: never part of the source.
NOT_SOURCE_DIRS = {
    ".git",
    ".tox",
    ".venv",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    ".mypy_cache",
    ".hypothesis",
    "build",
    "dist",
}
NOT_IN_SDIST = {".gitignore"}  # git's, not the build's


def _distribution() -> metadata.Distribution:
    return metadata.distribution(DIST)


def _editable_root() -> Path | None:
    """The checkout a ``pip install -e`` points at, or None for a real install."""
    text = _distribution().read_text("direct_url.json")
    if not text:
        return None
    direct = json.loads(text)
    if not direct.get("dir_info", {}).get("editable"):
        return None
    return Path(unquote(urlparse(direct["url"]).path)).resolve()


def _installed_files() -> set[Path]:
    dist = _distribution()
    assert dist.files, "the distribution has no RECORD: it was not installed by pip"
    return {Path(str(dist.locate_file(entry))).resolve() for entry in dist.files}


def _source_files(package: str) -> list[Path]:
    """Every file of a package in the checkout (or unpacked sdist), relative to the package."""
    root = REPO / package
    return sorted(
        path.relative_to(root)
        for path in root.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix not in (".pyc", ".pyo")
    )


# -- what the tests import ---------------------------------------------------------------


def test_the_tests_import_the_installed_package() -> None:
    editable = _editable_root()
    installed = set() if editable else _installed_files()
    for name in PACKAGES:
        where = Path(importlib.import_module(name).__file__ or "").resolve()
        if editable:  # pip install -e: the checkout is what is installed, by design
            assert where.is_relative_to(editable), f"{name} from {where}, not the editable {editable}"
        else:
            assert where in installed, f"{name} was imported from {where}, not from the installed files"
            assert not where.is_relative_to(REPO / name), f"{name} was imported from the source tree: {where}"


def test_a_child_started_in_the_checkout_imports_the_installed_package_too() -> None:
    code = (
        "import openapi_client_openai, perl_compat; "
        "print(openapi_client_openai.__file__, perl_compat.__file__)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=TIMEOUT, cwd=REPO, check=False
    )
    assert done.returncode == 0, done.stderr
    import openapi_client_openai
    import perl_compat

    assert done.stdout.split() == [openapi_client_openai.__file__, perl_compat.__file__]


# -- what was installed --------------------------------------------------------------------


def test_every_file_of_the_packages_is_installed() -> None:
    """Modules and data alike: the bundled spec, the Perl driver and modules, py.typed."""
    missing = []
    for package in PACKAGES:
        sources = _source_files(package)
        assert len(sources) > 2, f"the scan of {package} must see its files"
        installed = installed_package(package)
        missing += [f"{package}/{rel}" for rel in sources if not (installed / rel).is_file()]
    assert missing == []


def test_package_data_is_installed_and_recorded() -> None:
    data = [
        ("openapi_client_openai", "py.typed"),
        ("openapi_client_openai", "data/openapi.yaml"),
        ("perl_compat", "py.typed"),
        ("perl_compat", "perl/driver.pl"),
        ("OpenAPI", "py.typed"),
    ]
    data += [
        ("perl_compat", str(rel)) for rel in _source_files("perl_compat") if rel.suffix in (".pm", ".pl")
    ]
    assert any(rel.endswith("Driver.pm") for _, rel in data)
    editable = _editable_root()
    recorded = set() if editable else _installed_files()
    for package, rel in data:
        path = (installed_package(package) / rel).resolve()
        assert path.is_file(), f"{package}/{rel} is not installed"
        if not editable:
            assert path in recorded, f"{package}/{rel} is not in the distribution's RECORD"


def test_the_installed_bundled_spec_and_perl_driver_are_the_ones_used() -> None:
    from openapi_client_openai.spec import load_spec
    from openapi_client_openai.spec_discovery import BUNDLED_SPEC as used_spec
    from perl_compat.bridge import PERL_DIR

    assert Path(used_spec).resolve() == BUNDLED_SPEC.resolve()
    assert "getRun" in load_spec(BUNDLED_SPEC).operations
    assert PERL_DIR.resolve() == (installed_package("perl_compat") / "perl").resolve()
    assert (PERL_DIR / "PerlCompat" / "Driver.pm").is_file()


# -- metadata --------------------------------------------------------------------------------


def test_the_version_is_the_packages() -> None:
    import openapi_client_openai

    version = metadata.version(DIST)
    assert version == openapi_client_openai.__version__
    assert str(Version(version)) == version  # a normalised PEP 440 version


def test_the_entry_points_resolve() -> None:
    from openapi_client_openai import cli

    points = _distribution().entry_points
    scripts = [point for point in points if point.group == "console_scripts"]
    assert [point.name for point in scripts] == ["openapi-client-openai"]
    assert scripts[0].load() is cli.main
    commands = {point.name: point for point in points if point.group == "openapi_client_openai.commands"}
    assert set(cli.PLUGIN_COMMANDS) <= set(commands), "a command the CLI lists has no entry point"
    for name, point in commands.items():
        assert callable(point.load()), name


def test_the_installed_script_runs() -> None:
    script = Path(sysconfig.get_path("scripts")) / "openapi-client-openai"
    assert script.is_file(), f"no console script at {script}"
    done = subprocess.run(
        [str(script), "--help"], capture_output=True, text=True, timeout=TIMEOUT, cwd=REPO, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "stubs" in done.stdout and "compare" in done.stdout


def test_the_tools_target_the_python_floor() -> None:
    requires = SpecifierSet(_distribution().metadata["Requires-Python"] or "")
    floor = min(Version(spec.version) for spec in requires if spec.operator == ">=")
    assert Version(f"{sys.version_info.major}.{sys.version_info.minor}") in requires
    settings = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]
    assert settings["ruff"]["target-version"] == f"py{floor.major}{floor.minor}"
    assert settings["mypy"]["python_version"] == f"{floor.major}.{floor.minor}"


def test_the_mindeps_env_pins_every_floor() -> None:
    """tox -e mindeps installs each dependency at the floor setup.py declares, and nothing else."""
    tox = configparser.ConfigParser(interpolation=None)
    tox.read(REPO / "tox.ini", encoding="utf-8")
    pins = {}
    for line in tox["testenv:mindeps"]["deps"].split("\n"):
        if line.strip():
            pin = Requirement(line.strip())
            (spec,) = pin.specifier
            assert spec.operator == "==", f"{line}: a floor is pinned with =="
            pins[pin.name.lower()] = Version(spec.version)
    floors = {}
    for line in _distribution().requires or []:
        requirement = Requirement(line)
        lower = [Version(spec.version) for spec in requirement.specifier if spec.operator == ">="]
        assert len(lower) == 1, f"{line}: every dependency declares one floor"
        floors[requirement.name.lower()] = lower[0]
    assert pins == floors


# -- the sdist ---------------------------------------------------------------------------------


def _tracked_files() -> set[str]:
    """What the source is: git's files in a checkout, else (an unpacked sdist) the tree's."""
    listed = subprocess.run(
        ["git", "-C", str(REPO), "ls-files", "-z"], capture_output=True, timeout=TIMEOUT, check=False
    )
    if listed.returncode == 0 and listed.stdout:
        names = {name for name in listed.stdout.decode().split("\0") if name}
        return {name for name in names if (REPO / name).exists()} - NOT_IN_SDIST
    found = set()
    for folder, dirs, files in os.walk(REPO):
        dirs[:] = [d for d in dirs if d not in NOT_SOURCE_DIRS and not d.endswith(".egg-info")]
        for name in files:
            found.add(str((Path(folder) / name).relative_to(REPO)))
    return found - NOT_IN_SDIST


def test_the_sdist_carries_every_tracked_file(tmp_path: Path) -> None:
    """Tests, their data, .ci/, examples, docs, the tool settings: what the sdist's own tox needs."""
    build = "import sys; from setuptools import build_meta; print(build_meta.build_sdist(sys.argv[1]))"
    done = subprocess.run(
        [sys.executable, "-c", build, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        cwd=REPO,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    sdist = tmp_path / done.stdout.split()[-1]
    with tarfile.open(sdist) as archive:
        members = {member.name.split("/", 1)[1] for member in archive.getmembers() if member.isfile()}
    tracked = _tracked_files()
    assert {"pyproject.toml", "tox.ini", ".ci/setup", ".ci/run", "tests/conftest.py"} <= tracked
    assert sorted(tracked - members) == []
    assert not [name for name in members if "__pycache__" in name or name.endswith(".pyc")]
