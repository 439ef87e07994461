"""Run the real Perl client next to the Python one: libperl embedded through cffi.

Importing this package loads nothing (no dlopen, no perl process); the interpreter
starts on first use of ``perl_compat.interpreter.get_interpreter()``. The side-by-side
tools are exported lazily for the same reason: ``from perl_compat import compare,
shadow`` imports their modules, and those load Perl only when called.

* ``compare(op, params)``: one call through both clients (``comparison.py``);
* ``compare_run(perl_cmd, python_cmd)``: two whole programs against the mock (``programs.py``);
* ``record(out, cmd)`` / ``replay(cassette)``: sessions as JSON Lines cassettes (``cassettes.py``);
* ``shadow(client)``: Perl builds each sampled call too, Scientist-style (``shadow_calls.py``).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from .errors import PerlCompatError, PerlError, PerlExit, PerlUnavailable, PerlWarning

# name -> the module that defines it; the module is imported on first access.
_LAZY = {
    "compare": "comparison",
    "compare_run": "programs",
    "record": "cassettes",
    "replay": "cassettes",
    "shadow": "shadow_calls",
}

__all__ = [
    "PerlCompatError",
    "PerlError",
    "PerlExit",
    "PerlUnavailable",
    "PerlWarning",
    "compare",
    "compare_run",
    "record",
    "replay",
    "shadow",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'perl_compat' has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
