"""Run the real Perl client next to the Python one: libperl embedded through cffi.

Importing this package loads nothing (no dlopen, no perl process); the interpreter
starts on first use of ``perl_compat.interpreter.get_interpreter()``.
"""

from .errors import PerlCompatError, PerlError, PerlExit, PerlUnavailable, PerlWarning

__all__ = ["PerlCompatError", "PerlError", "PerlExit", "PerlUnavailable", "PerlWarning"]
