"""The import rules of DESIGN.md: each third-party library enters through one module."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("openapi_client_openai", "perl_compat", "OpenAPI")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def sources() -> list[Path]:
    files = [p for package in PACKAGES for p in (REPO / package).rglob("*.py")]
    assert len(files) > 10, "the scan must see the packages"
    return files


@pytest.mark.parametrize(
    ("library", "allowed"),
    [
        ("requests", {"openapi_client_openai/transport/session.py"}),
        ("yaml", {"openapi_client_openai/spec_yaml.py"}),
        ("ryml", {"openapi_client_openai/spec_yaml.py"}),
        ("cffi", {"perl_compat/_ffi.py"}),
    ],
)
def test_each_library_has_one_door(library: str, allowed: set[str]) -> None:
    users = {str(p.relative_to(REPO)) for p in sources() if library in imported_modules(p)}
    assert users <= allowed, f"{library} imported outside {allowed}: {sorted(users - allowed)}"
    assert users, f"nothing imports {library}: the rule would be vacuous"


def test_the_client_never_imports_perl_compat() -> None:
    offenders = [
        str(p.relative_to(REPO))
        for p in sources()
        if not str(p.relative_to(REPO)).startswith("perl_compat")
        and "perl_compat" in imported_modules(p) | set(_string_imports(p))
    ]
    assert offenders == []


def _string_imports(path: Path) -> list[str]:
    # importlib.import_module("perl_compat...") would dodge the AST check above.
    text = path.read_text(encoding="utf-8")
    return (
        ["perl_compat"] if 'import_module("perl_compat' in text or '__import__("perl_compat' in text else []
    )


def test_perl_compat_exports_its_functions_without_loading_perl() -> None:
    # A fresh interpreter: what importing the exports loads, and that they are the functions.
    code = textwrap.dedent(
        """
        import sys
        from perl_compat import compare, compare_run, record, replay, shadow
        import perl_compat.comparison, perl_compat.programs, perl_compat.cassettes, perl_compat.shadow_calls
        perl_side = ("cffi", "perl_compat._ffi", "perl_compat.interpreter", "perl_compat.bridge")
        loaded = sorted(m for m in perl_side if m in sys.modules)
        from perl_compat import compare as again  # still the function once every module is loaded
        print(loaded)
        print(compare is perl_compat.comparison.compare is again, shadow is perl_compat.shadow_calls.shadow,
              compare_run is perl_compat.programs.compare_run, record is perl_compat.cassettes.record,
              replay is perl_compat.cassettes.replay, callable(compare))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=REPO, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["[]", "True True True True True True"]


def test_an_unknown_name_is_an_attribute_error() -> None:
    import perl_compat

    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        perl_compat.nothing_here  # noqa: B018
    with pytest.raises(ImportError):
        exec("from perl_compat import nothing_here")
