"""PerlClient: the real Perl OpenAI client, called like the Python one, answering in the same types.

``PerlClient(spec, base_url=...).getRun(thread_id=t, run_id=r)`` makes the call with
Perl's OpenAPI::Client (through ``perl/PerlCompat/Driver.pm``) and returns an
``openapi_client_openai.transaction.Transaction`` built from what Perl sent and
received, so one comparator serves both clients.

Two ways to reach Perl, with identical results:

* ``embedded``: libperl inside this process (``perl_compat.interpreter``);
* ``subprocess``: a ``perl perl/driver.pl`` process speaking JSON lines, shared by
  every PerlClient using the same ``perl``; every read is bounded by a timeout, a
  hung driver is killed, and a dead one is restarted on the next call after a
  clear error (its stderr tail included).

``mode="auto"`` embeds where libperl can be loaded, else uses the subprocess.
Data crosses as JSON: params and content must be JSON data (a raw ``body`` may be
str or bytes).
"""

from __future__ import annotations

import atexit
import base64
import collections
import json
import os
import select
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openapi_client_openai.client import split_arguments
from openapi_client_openai.message import Headers, Request, Response
from openapi_client_openai.streaming import Event, SSEParser
from openapi_client_openai.transaction import Transaction

from .environment import perl_settings
from .errors import PerlCompatError, PerlError, PerlUnavailable

__all__ = ["CONTENT_NAMES", "PerlClient", "PerlDriverError", "PerlStream", "SubprocessDriver", "driver_for"]

PERL_DIR = Path(__file__).resolve().with_name("perl")
DRIVER_SCRIPT = PERL_DIR / "driver.pl"
# Content generators a call may name (OpenAPI::Client's, plus the OpenAI layer's file_upload).
CONTENT_NAMES = ("body", "file_upload", "form", "json", "multipart")
DEFAULT_TIMEOUT = 60.0
STDERR_LINES_KEPT = 200


class PerlDriverError(PerlCompatError):
    """The perl driver process hung or died; the next request starts a new one."""


def perl_environment() -> dict[str, str]:
    """This process's environment, with what the Perl stack needs (environment.py)."""
    return {**os.environ, **perl_settings()}


# -- the two ways to reach PerlCompat::Driver ---------------------------------------------


class SubprocessDriver:
    """``perl driver.pl`` speaking JSON lines; thread-safe, restarted after a crash or hang."""

    mode = "subprocess"

    def __init__(
        self, perl: str = "perl", timeout: float = DEFAULT_TIMEOUT, perl_args: tuple[str, ...] = ()
    ) -> None:
        self.perl = perl
        self.timeout = timeout
        self.perl_args = tuple(perl_args)  # e.g. ("-I", dir): options put before driver.pl
        self.generation = 0  # bumped at every (re)start: clients made before are gone
        self._lock = threading.RLock()
        self._process: subprocess.Popen | None = None
        self._stderr: collections.deque[str] = collections.deque(maxlen=STDERR_LINES_KEPT)
        self._buffer = b""
        self._next_id = 0

    def ensure(self) -> int:
        """Start the driver if it is not running; the generation that now answers."""
        with self._lock:
            self._ensure_started()
            return self.generation

    def request(self, method: str, args: dict | None = None, timeout: float | None = None) -> Any:
        """Send one request and wait (bounded) for its reply; Perl-side errors raise PerlError."""
        with self._lock:
            process = self._ensure_started()
            self._next_id += 1
            ident = self._next_id
            line = json.dumps({"id": ident, "method": method, "args": args or {}}, allow_nan=False)
            try:
                assert process.stdin is not None
                process.stdin.write(line.encode() + b"\n")
                process.stdin.flush()
            except OSError:
                self._fail(f"the perl driver died before '{method}' could be sent")
            reply = self._read_reply(ident, method, timeout if timeout is not None else self.timeout)
        if "error" in reply:
            raise PerlError(reply["error"])
        return reply.get("result")

    def stderr_tail(self) -> str:
        return "".join(self._stderr)

    def close(self) -> None:
        """End the driver: EOF first (it exits by itself), then a kill if it lingers."""
        with self._lock:
            process, self._process = self._process, None
            if process is None:
                return
            try:
                if process.stdin:
                    process.stdin.close()
                process.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                process.kill()
                process.wait(timeout=5)
            finally:
                if process.stdout:
                    process.stdout.close()

    # -- internals ----------------------------------------------------------------

    def _ensure_started(self) -> subprocess.Popen:
        if self._process is not None and self._process.poll() is None:
            return self._process
        self._process = None
        self._buffer = b""
        self._stderr.clear()
        try:
            process = subprocess.Popen(
                [self.perl, *self.perl_args, str(DRIVER_SCRIPT)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=perl_environment(),
            )
        except OSError as exc:
            raise PerlUnavailable(f"cannot start {self.perl!r}: {exc.strerror or exc}") from None
        threading.Thread(target=self._drain_stderr, args=(process,), daemon=True).start()
        self._process = process
        self.generation += 1
        return process

    def _drain_stderr(self, process: subprocess.Popen) -> None:
        assert process.stderr is not None
        with process.stderr:
            for raw in iter(process.stderr.readline, b""):
                self._stderr.append(raw.decode("utf-8", "replace"))

    def _read_reply(self, ident: int, method: str, timeout: float) -> dict:
        process = self._process
        assert process is not None and process.stdout is not None
        fd = process.stdout.fileno()
        deadline = time.monotonic() + timeout
        while True:
            newline = self._buffer.find(b"\n")
            if newline >= 0:
                line, self._buffer = self._buffer[:newline], self._buffer[newline + 1 :]
                try:
                    reply = json.loads(line)
                except ValueError:
                    self._fail(f"the perl driver wrote a line that is not JSON: {line[:200]!r}")
                if isinstance(reply, dict) and reply.get("id") == ident:
                    return reply
                continue  # a reply to nothing we are waiting for
            left = deadline - time.monotonic()
            if left <= 0:
                self._fail(f"the perl driver did not answer '{method}' within {timeout:g} s", kill=True)
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                self._fail(f"the perl driver died while handling '{method}'")
            self._buffer += chunk

    def _fail(self, what: str, kill: bool = False) -> None:
        process, self._process = self._process, None
        status = None
        if process is not None:
            if kill:
                process.kill()
            try:
                status = process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                status = process.wait(timeout=5)
            if process.stdout:
                process.stdout.close()
        time.sleep(0.05)  # let the stderr thread collect the last words
        tail = self.stderr_tail().strip()
        detail = f" (exit status {status})" if status is not None else ""
        detail += f"; its stderr ends with:\n{tail[-2000:]}" if tail else ""
        raise PerlDriverError(f"{what}{detail}; the next call starts a new one")


class EmbeddedDriver:
    """PerlCompat::Driver inside this process, through perl_compat.interpreter."""

    mode = "embedded"
    generation = 1  # one interpreter for the life of the process

    def __init__(self) -> None:
        from .interpreter import get_interpreter

        self._interpreter = get_interpreter()
        self._interpreter.add_inc(PERL_DIR)
        self._interpreter.use("PerlCompat::Driver")

    def ensure(self) -> int:
        return self.generation

    def request(self, method: str, args: dict | None = None, timeout: float | None = None) -> Any:
        # No timeout can be enforced in-process; Mojo's own timeouts bound each call.
        return self._interpreter.call(f"PerlCompat::Driver::{method}", args or {})

    def close(self) -> None:
        """The interpreter belongs to the process, not to us: nothing to do."""


_shared: dict[tuple, Any] = {}
_shared_lock = threading.Lock()


def driver_for(mode: str = "auto", perl: str = "perl", timeout: float = DEFAULT_TIMEOUT) -> Any:
    """The process-wide driver for ``mode`` (``auto``, ``embedded`` or ``subprocess``)."""
    if mode not in ("auto", "embedded", "subprocess"):
        raise ValueError(f"mode must be 'auto', 'embedded' or 'subprocess', not {mode!r}")
    if mode == "auto":
        from .interpreter import available

        mode = "embedded" if perl == "perl" and available() else "subprocess"
    key = (mode, perl) if mode == "subprocess" else (mode,)
    with _shared_lock:
        driver = _shared.get(key)
        if driver is None:
            driver = SubprocessDriver(perl, timeout) if mode == "subprocess" else EmbeddedDriver()
            _shared[key] = driver
            if len(_shared) == 1:
                atexit.register(_close_all)
        return driver


def _close_all() -> None:
    with _shared_lock:
        for driver in _shared.values():
            driver.close()
        _shared.clear()


# -- the client -------------------------------------------------------------------------


class PerlClient:
    """Perl's OpenAPI::Client::OpenAI (or our shim of it), called like ``OpenAI``.

    ``peer`` says which Perl client runs; ``base_url`` is Perl's resolved base URL.
    The API key is ``api_key``, else the one in this process's environment when the
    client is made.
    """

    def __init__(
        self,
        spec: Any = None,
        base_url: str | None = None,
        assistants: bool = False,
        *,
        mode: str = "auto",
        perl: str = "perl",
        timeout: float = DEFAULT_TIMEOUT,
        driver: SubprocessDriver | EmbeddedDriver | None = None,
        api_key: str | None = None,
        client_class: str | None = None,
        ua: Mapping[str, Any] | None = None,
        proxy_detect: bool = False,
        env: Mapping[str, str | bytes | None] | None = None,
        nonblocking: bool = False,
    ) -> None:
        # The process-wide driver for the mode, unless the caller brings its own.
        self._driver = driver if driver is not None else driver_for(mode, perl, timeout)
        self.mode: str = self._driver.mode
        self._spec = spec
        self._options: dict[str, Any] = {
            "spec": _spec_argument(spec),
            "base_url": None if base_url is None else str(base_url),
            "assistants": bool(assistants),
            "api_key": api_key if api_key is not None else os.environ.get("OPENAI_API_KEY"),
        }
        # What a Perl program could set up around its client: the class
        # ("OpenAPI::Client" for a plain one), $client->ua's attributes (values as
        # given: the string "abc" stays a string), $ua->proxy->detect, and the
        # environment (bytes exactly; None unsets), in force while the client is made
        # and during each call (Mojo reads MOJO_* lazily).
        if client_class is not None:
            self._options["class"] = client_class
        if ua:
            self._options["ua"] = dict(ua)
        if proxy_detect:
            self._options["proxy_detect"] = True
        env = dict(env or {})
        key = self._options["api_key"]
        if "OPENAI_API_KEY" in env:
            del self._options["api_key"]  # the environment given wins
        elif isinstance(key, str) and not _is_utf8_text(key):
            del self._options["api_key"]  # bytes that are not UTF-8 cross as bytes
            env["OPENAI_API_KEY"] = key
        if env:
            self._options["env_b64"] = {name: _b64_or_none(value) for name, value in env.items()}
        # Calls in Perl's callback form on Mojo::IOLoop instead of blocking.
        self.nonblocking = nonblocking
        self._operations: Any = None  # the spec's operation table, loaded on first need
        # The raw driver result of the last call: Perl's "sent" flag and the params
        # hash as Perl left it (coerced in place) live only here.
        self.last_result: dict | None = None
        self._client_id: int | None = None
        self._generation = -1
        self._connect()

    def _connect(self) -> None:
        made = self._driver.request("new_client", self._options)
        if "died" in made:
            raise PerlError(made["died"])
        self._client_id = made["client"]
        self._generation = self._driver.generation
        self.which: str = made["which"]
        self.base_url: str = made["base_url"]

    @property
    def peer(self) -> dict:
        """Which Perl client and module versions answer: ``{'which', 'real', 'versions'}``."""
        return self._driver.request("peer")

    def call(self, op: str, params: Mapping | None = None, /, **content: Any) -> Transaction:
        """``$client->call($op => \\%params, %content)``; a Perl die raises PerlError."""
        if self._generation != self._driver.ensure():
            self._connect()  # the driver was restarted: our Perl client went with it
        result = self._driver.request(
            "call",
            {
                "client": self._client_id,
                "op": op,
                "params": dict(params) if params is not None else {},
                "content": _content_argument(content),
                "nonblocking": self.nonblocking,
            },
        )
        self.last_result = result
        if "died" in result:
            raise PerlError(result["died"])
        return transaction_from(result)

    def stream(self, op: str, params: Mapping | None = None, /, **content: Any) -> PerlStream:
        """The call with its body streamed the Mojo way: a ``read`` handler set in
        ``after_build_tx`` (``unsubscribe('read')`` first, so Perl buffers nothing).

        A Perl die raises PerlError. The pieces are what the handler got, in order.
        """
        if self._generation != self._driver.ensure():
            self._connect()
        result = self._driver.request(
            "call",
            {
                "client": self._client_id,
                "op": op,
                "params": dict(params) if params is not None else {},
                "content": _content_argument(content),
                "read": True,
            },
        )
        self.last_result = result
        if "died" in result:
            raise PerlError(result["died"])
        read = result.get("read") or {}
        pieces = [base64.b64decode(piece) for piece in read.get("pieces_b64") or ()]
        return PerlStream(transaction_from(result), pieces, read.get("first_at"))

    def build(self, op: str, params: Mapping | None = None, /, **content: Any) -> Transaction:
        """What ``call`` would send, built (and validated) by Perl but never sent.

        The transaction is unsent either way: ``tx.error`` is the local 400's for
        invalid input and None for a request that would have gone out, headers of
        the OpenAI layer included. A Perl die raises PerlError.
        """
        if self._generation != self._driver.ensure():
            self._connect()
        result = self._driver.request(
            "build",
            {
                "client": self._client_id,
                "op": op,
                "params": dict(params) if params is not None else {},
                "content": _content_argument(content),
            },
        )
        if "died" in result:
            raise PerlError(result["died"])
        return transaction_from(result)

    def __getattr__(self, name: str) -> Callable[..., Transaction]:
        if name.startswith("_"):
            raise AttributeError(name)

        def method(*args: Any, **kwargs: Any) -> Transaction:
            declared = self._declared(name) if any(k in CONTENT_NAMES for k in kwargs) else frozenset()
            params, content = split_arguments(name, declared, frozenset(CONTENT_NAMES), args, kwargs)
            return self.call(name, params, **content)

        method.__name__ = name
        return method

    def _declared(self, op: str) -> frozenset:
        """The operation's parameter names, from the spec loaded once per client."""
        if self._operations is None:
            from openapi_client_openai.spec import load_spec

            self._operations = load_spec(self._spec).operations
        operation = self._operations.lookup(op)
        return operation.param_names if operation else frozenset()

    def close(self) -> None:
        """Forget our Perl client (the shared driver itself lives on)."""
        if self._client_id is not None and self._generation == self._driver.generation:
            try:
                self._driver.request("free_client", {"client": self._client_id})
            except PerlCompatError:
                pass
        self._client_id = None

    def __enter__(self) -> PerlClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<PerlClient {self.which} via {self.mode} at {self.base_url}>"


@dataclass(frozen=True)
class PerlStream:
    """A call whose body Perl streamed to a ``read`` handler: the transaction (its body
    empty, nothing buffered) and the pieces the handler got."""

    tx: Transaction
    pieces: list[bytes]
    first_at: float | None  # time.time() when the first non-empty piece reached the handler

    @property
    def body(self) -> bytes:
        return b"".join(self.pieces)

    @property
    def events(self) -> list[Event]:
        """The server-sent events in the pieces (parsed here; Perl 9.31 has no parser of its own)."""
        parser = SSEParser()
        found = [event for piece in self.pieces for event in parser.feed(piece)]
        return found + parser.close()


def _spec_argument(spec: Any) -> Any:
    """What Perl gets as its spec: the same file the Python client would load."""
    if spec is None:
        from openapi_client_openai.spec import discover_spec

        spec = discover_spec()
    if isinstance(spec, Mapping):
        return dict(spec)
    text = os.fspath(spec)
    if "://" in text:
        return text
    return os.path.abspath(text)


def _is_utf8_text(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # os.environ's surrogate escapes: bytes that are no UTF-8
        return False
    return True


def _b64_or_none(value: str | bytes | None) -> str | None:
    if value is None:
        return None
    raw = value if isinstance(value, bytes) else os.fsencode(value)
    return base64.b64encode(raw).decode("ascii")


def _content_argument(content: dict) -> dict:
    out = {}
    for name, value in content.items():
        if name == "body":
            raw = value.encode("utf-8") if isinstance(value, str) else bytes(value)
            out["body_b64"] = base64.b64encode(raw).decode("ascii")
        else:
            out[name] = value
    return out


def transaction_from(result: Mapping) -> Transaction:
    """The Transaction for one PerlCompat::Driver ``call`` result."""
    req, res = result["req"], result["res"]
    request = Request(
        req["method"],
        req["url"],
        _headers(req["headers"]),
        base64.b64decode(req["body_b64"]),
        env=dict(req.get("env") or {}),
    )
    response = Response(
        res["code"],
        res["message"] or "",
        _headers(res["headers"]),
        base64.b64decode(res["body_b64"]),
    )
    error = result.get("error")
    tx = Transaction(request, response, dict(error) if error else None)
    tx.is_sent = bool(result.get("sent", True))
    return tx


def _headers(pairs: list) -> Headers:
    return Headers((name, value) for name, value in pairs)
