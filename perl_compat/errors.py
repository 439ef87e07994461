"""Exceptions of the embedded Perl interpreter, in one tree so callers can catch them all.

PerlCompatError
├── PerlUnavailable   no usable perl/libperl here; the message says what is missing
├── PerlError         Perl died (``die``, syntax error); ``.message`` is Perl's ``$@``
└── PerlExit          Perl called ``exit(N)``; ``.status`` is N (Python goes on)

PerlWarning (UserWarning)  a Perl ``warn`` re-emitted through Python's warnings module
"""

from __future__ import annotations


class PerlCompatError(Exception):
    """Base class of every error raised by perl_compat."""


class PerlUnavailable(PerlCompatError):
    """Perl cannot be embedded in this process (no perl, no shared libperl, ...)."""


class PerlError(PerlCompatError):
    """Perl code died; ``message`` keeps Perl's text exactly, trailing newline included."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message.rstrip("\n"))


class PerlExit(PerlCompatError):
    """Perl code called ``exit``; the interpreter is still usable afterwards."""

    def __init__(self, status: int) -> None:
        self.status = status
        super().__init__(f"Perl called exit({status})")


class PerlWarning(UserWarning):
    """Category of Perl warnings re-emitted through Python's ``warnings`` module."""
