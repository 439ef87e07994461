"""Which spec a client uses when it is given none (DESIGN.md's order, first found wins).

1. ``$OPENAI_OPENAPI_SPEC`` (a path or URL);
2. the ``openapi.yaml`` of an installed Perl OpenAPI-Client-OpenAI distribution, so a
   porting team gets exactly the operations its Perl code has;
3. the spec ``openapi-client-openai spec fetch`` stored in the user's cache
   (OpenAI's whole API, which we may not ship: see spec_fetch.py);
4. the spec bundled in this package (the runs endpoints, written by us).

Finding the Perl distribution asks ``perl`` for its ``@INC``: that subprocess runs at
most once per process, and only when discovery gets that far.
"""

from __future__ import annotations

import os
import threading

from .spec_cache import user_cache_dir

BUNDLED_SPEC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "openapi.yaml")
PERL_DIST = "OpenAPI-Client-OpenAI"
SPEC_ENV = "OPENAI_OPENAPI_SPEC"
FETCHED_NAME = "openapi.yaml"


class Discovery:
    """The spec discovery picked and why (``openapi-client-openai spec info`` prints it)."""

    __slots__ = ("reason", "source")

    def __init__(self, source: str, reason: str) -> None:
        self.source = source
        self.reason = reason

    def __repr__(self) -> str:
        return f"Discovery({self.source!r}, {self.reason!r})"


def discover() -> Discovery:
    """The first source of DESIGN.md's order that is there, and why it was picked."""
    from_env = os.environ.get(SPEC_ENV)
    if from_env:
        return Discovery(from_env, f"${SPEC_ENV} is set")
    perl_share = perl_distribution_spec()
    if perl_share:
        return Discovery(perl_share, f"the installed Perl distribution {PERL_DIST} ships it")
    fetched = fetched_spec_path()
    if fetched is not None and os.path.isfile(fetched):
        return Discovery(fetched, "`openapi-client-openai spec fetch` stored it")
    return Discovery(
        BUNDLED_SPEC,
        f"nothing else was found (no ${SPEC_ENV}, no Perl {PERL_DIST}, no fetched spec): "
        "the spec bundled with this package",
    )


def discover_spec() -> str:
    """Where the spec comes from when none is given."""
    return discover().source


def fetched_dir() -> str | None:
    """Where ``spec fetch`` keeps its spec: ``<user cache>/spec``; None without a home."""
    base = user_cache_dir()
    return os.path.join(base, "spec") if base is not None else None


def fetched_spec_path() -> str | None:
    directory = fetched_dir()
    return os.path.join(directory, FETCHED_NAME) if directory is not None else None


_perl_lock = threading.Lock()
_perl_answer: list[str | None] = []  # empty until perl was asked, once


def perl_distribution_spec() -> str | None:
    """The ``openapi.yaml`` of an installed Perl OpenAPI-Client-OpenAI, if any (asked once)."""
    with _perl_lock:
        if not _perl_answer:
            _perl_answer.append(_ask_perl())
        return _perl_answer[0]


def forget_perl_distribution() -> None:
    """Ask ``perl`` again next time (tests change ``PERL5LIB`` and ``PATH``)."""
    with _perl_lock:
        _perl_answer.clear()


def _ask_perl() -> str | None:
    """File::ShareDir keeps a distribution's files in ``<@INC dir>/auto/share/dist/<dist>/``;
    we ask the local perl for its @INC rather than guess the layout."""
    import subprocess

    try:
        out = subprocess.run(
            ["perl", "-e", 'print join "\\n", @INC'],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    for inc in out.splitlines():
        candidate = os.path.join(inc, "auto", "share", "dist", PERL_DIST, "openapi.yaml")
        if os.path.isfile(candidate):
            return candidate
    return None
