"""The ``replay`` fixture for cassettes. A project turns it on in its conftest.py with
``pytest_plugins = ["perl_compat.pytest_plugin"]``.

    def test_port_replays_the_perl_session(replay):
        with replay("cassettes/session.jsonl") as server:   # relative to the test file
            main()                                           # the Python port, unmodified

The block fails the test (``ReplayMismatch``, an AssertionError with the call-by-call
report) when the code's requests differ from the recorded ones. Not registered as
an automatic plugin: a project opts in, so no other test suite gets the fixture.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def replay(request: pytest.FixtureRequest) -> Callable[..., Any]:
    """``replay(cassette, order="strict", spec=None)``: the context manager, paths relative to the test."""
    from .cassettes import replay as replay_cassette

    here = Path(str(request.node.fspath)).parent

    def bound(cassette: str | os.PathLike[str], **options: Any) -> Any:
        path = Path(cassette)
        return replay_cassette(path if path.is_absolute() else here / path, **options)

    return bound
