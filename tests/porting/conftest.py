"""Fixtures for the porting corpus: loopback mocks of OpenAI's API and of the runs subset."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from openapi_client_openai import Client, OpenAI
from openapi_client_openai.mock import MockServer

from ..conftest import BUNDLED_SPEC


@pytest.fixture
def openai_mock(openai_spec_path: Path) -> Iterator[MockServer]:
    """OpenAI's whole API, answered from its spec's examples, on 127.0.0.1."""
    with MockServer(openai_spec_path) as server:
        yield server


@pytest.fixture
def openai(api_key: str, openai_spec_path: Path, openai_mock: MockServer) -> OpenAI:
    """``OpenAPI::Client::OpenAI->new`` with OpenAI's spec, pointed at the mock."""
    return OpenAI(openai_spec_path, base_url=openai_mock.base_url)


@pytest.fixture
def runs_mock() -> Iterator[MockServer]:
    with MockServer(BUNDLED_SPEC) as server:
        yield server


@pytest.fixture
def runs(runs_mock: MockServer) -> Client:
    """A plain ``OpenAPI::Client->new($spec)`` (no OpenAI layer) pointed at the runs mock."""
    return Client(BUNDLED_SPEC, base_url=runs_mock.base_url)


@pytest.fixture
def closed_url() -> str:
    """A loopback URL where nothing listens: connection refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


@pytest.fixture
def slow_url() -> Iterator[str]:
    """A loopback server that reads a request, then waits 3 s before answering (at most 10 s alive)."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(10)
    done = threading.Event()

    def serve() -> None:
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        with conn:
            conn.settimeout(5)
            try:
                conn.recv(65536)
                done.wait(3)
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
                )
            except OSError:
                pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/v1"
    done.set()
    listener.close()
    thread.join(10)


def wait_for(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.01)
