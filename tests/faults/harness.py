"""One scenario, every path: Perl (both forms) and each of ours, side by side.

A :class:`Scenario` names the misbehaving server(s), the client (OpenAI or a plain
Client, its base URL, ``client.ua`` settings, the environment) and the calls to
make. :func:`run` makes the same calls, each path in a forked child process under
a deadline (a hang fails one path of one scenario, never the run) with servers of
its own, and brings back what each path saw (:class:`PathResult`):

* ``perl``: the real OpenAPI::Client 1.07 on Mojolicious 9.31 through
  ``perl_compat``'s PerlClient (the embedded interpreter, set up once in the parent
  and inherited by every child), blocking as most Perl programs call it;
* ``perl-nonblocking``: the same in Perl's callback form on Mojo::IOLoop (Mojo's two
  forms must agree, so both of ours are held to one Perl result);
* ``blocking``: ``client.call(op, params)``;
* ``nonblocking``: the callback form, ``client.call(op, params, callback)``, with
  ``IOLoop.start()`` run until the callback stops it;
* ``session``: blocking again, once the caller holds ``client.ua.session`` (then, as
  while a requests-mocking library is active, calls go through requests).

Forking keeps each scenario cheap (no interpreter start, no spec load per child)
and contained: its environment, its servers, its sockets die with the child. It
also lets the paths run at once: each child has its own copy of the embedded
interpreter, whose calls are serialised under one lock within a process.
"""

from __future__ import annotations

import contextlib
import math
import os
import pickle
import re
import select
import signal
import tempfile
import time
import traceback
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .servers import Conn, Seen, Server

# What the user agents read from the environment: unset in every scenario unless it sets them.
HERMETIC = (
    *(
        f"MOJO_{name}"
        for name in (
            "CONNECT_TIMEOUT",
            "INACTIVITY_TIMEOUT",
            "REQUEST_TIMEOUT",
            "MAX_REDIRECTS",
            "MAX_MESSAGE_SIZE",
            "MAX_LINE_SIZE",
            "MAX_LINES",
            "MAX_BUFFER_SIZE",
            "MAX_LEFTOVER_SIZE",
            "PROXY",
            "INSECURE",
            "CA_FILE",
            "CERT_FILE",
            "KEY_FILE",
            "GZIP",
        )
    ),
    *("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy"),
)
PATHS = ("perl", "perl-nonblocking", "blocking", "nonblocking", "session")
OURS = PATHS[2:]
GET_RUN = {"thread_id": "thread_abc123", "run_id": "run_abc123"}


@dataclass(frozen=True)
class Call:
    """One operation call; ``upload=n`` makes it a createRun whose JSON body is over ``n`` bytes."""

    op: str = "getRun"
    params: Mapping[str, Any] = field(default_factory=lambda: dict(GET_RUN))
    upload: int = 0
    before: float = 0.0  # seconds to wait before this call (the loop not running, as in Perl)

    def arguments(self) -> tuple[str, dict]:
        if not self.upload:
            return self.op, dict(self.params)
        body = {"assistant_id": "asst_abc123", "additional_instructions": "x" * self.upload}
        return "createRun", {"thread_id": "thread_abc123", "body": body}


@dataclass(frozen=True)
class Deviation:
    """Where we deliberately differ from Perl, and why; ``ours`` asserts what we do instead.

    ``fields`` are the compared fields allowed to differ (the others must still be
    identical); ``paths`` the paths it concerns.
    """

    why: str
    fields: tuple[str, ...]
    ours: Callable[[PathResult], None]
    paths: tuple[str, ...] = OURS


@dataclass(frozen=True)
class Scenario:
    name: str
    row: str  # the row of issue #11's table, or "beyond"
    what: str  # one line for the table in docs/reliability.md
    serve: Mapping[str, Callable[[Conn], None]]  # "origin" (and "proxy") handlers
    calls: tuple[Call, ...] = (Call(),)
    client: str = "openai"  # or "plain": OpenAPI::Client / Client, no OpenAI layer
    base_url: str = "{origin}/v1"
    ua: Mapping[str, Any] = field(default_factory=dict)
    env: Mapping[str, str | bytes | None] = field(default_factory=dict)
    proxy_detect: bool = False
    tls: bool | str = False  # the origin speaks TLS: True, its certificate "cert"; "other": "other_cert"
    rcvbuf: int | None = None
    accepting: bool = True  # False: the origin's accept queue is full (connects never complete)
    deny_connect: int | None = None  # connect() fails with this errno in the child (seccomp.py)
    seen_headers: tuple[str, ...] = ()  # request headers compared as the server received them
    # What Perl must do here (the point of the scenario, so it cannot pass vacuously).
    perl_does: Callable[[PathResult], None] | None = None
    differs: tuple[Deviation, ...] = ()
    slack: float = 0.0  # extra elapsed-time tolerance for scenarios moving many bytes
    # Fields that race on any client (how many connections the server got to accept
    # before a timer fired at once, say): not compared, and why.
    unstable: Mapping[str, str] = field(default_factory=dict)
    # What of a body to compare, where its length depends on read sizes and timing.
    body_view: Callable[[bytes], Any] | None = None
    note: str = ""  # said in the docs' table beside the verdict
    deadline: float = 15.0  # per path, for the child process

    def deviation(self, path: str) -> Deviation | None:
        """Our documented deviation on ``path``, if any."""
        return next((one for one in self.differs if path in one.paths), None)


@dataclass
class Outcome:
    """What one call gave: the fields compared between paths."""

    raised: str | None = None  # "ExceptionClass: message" when the call raised
    method: str | None = None  # tx.req.method of the transaction returned (after redirects)
    url: str | None = None  # tx.req.url, the server's port masked
    error: dict | None = None
    code: int | None = None
    message: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    text: str | None = None
    elapsed: float = 0.0

    def compared(self, body_view: Callable[[bytes], Any] | None = None) -> dict[str, Any]:
        return {
            "raised": self.raised,
            "method": self.method,
            "url": self.url,
            "error": self.error,
            "code": self.code,
            "message": self.message,
            "headers": self.headers,
            "body": self.body if body_view is None else body_view(self.body),
            "text": self.text if body_view is None else None,
        }


@dataclass
class PathResult:
    path: str
    setup_raised: str | None = None  # making the client (or setting ua) raised
    calls: list[Outcome] = field(default_factory=list)
    connections: int = 0  # how many connections the origin accepted
    requests: list[Seen] = field(default_factory=list)  # what reached the origin
    proxied: list[Seen] = field(default_factory=list)  # what reached the proxy
    written: list[str] = field(default_factory=list)  # files left in the working directory
    crashed: str | None = None  # the child died, hung, or the harness failed

    def seen(self, header: str) -> list[list[bytes]]:
        """A request header's values, request by request, as the origin received them."""
        return [seen.header(header.encode()) for seen in self.requests]

    @property
    def only(self) -> Outcome:
        assert len(self.calls) == 1, self.calls
        return self.calls[0]


# -- the comparison ------------------------------------------------------------------------


def normal_headers(pairs: Any) -> tuple[tuple[str, str], ...]:
    """Headers in a stable order (by name, case-insensitively; values in arrival order)."""
    return tuple(sorted(((str(k), str(v)) for k, v in pairs), key=lambda kv: kv[0].lower()))


def normal_error(error: Any) -> dict | None:
    if not error:
        return None
    out = dict(error)
    if out.get("code") is not None:
        out["code"] = int(out["code"])
    return out


def close_enough(ours: float, perl: float, slack: float = 0.0) -> bool:
    """Elapsed times agree: within 0.3 s plus a quarter of the longer (a 2-core machine under load)."""
    return abs(ours - perl) <= 0.3 + slack + 0.25 * max(ours, perl)


# -- running one path ----------------------------------------------------------------------


Certs = Mapping[str, tuple[str, str]]  # name -> (certificate file, key file), made at test time


def _format(template: str, servers: Mapping[str, Server], certs: Certs) -> str:
    """Fill in ``{origin}``, ``{origin_port}``, ``{proxy}``... and ``{cert}``, ``{other_cert}`` (paths)."""
    values = {name: server.origin for name, server in servers.items()}
    values.update({f"{name}_port": str(server.port) for name, server in servers.items()})
    values.update({name: files[0] for name, files in certs.items()})
    return template.format(**values)


def _filled(value: Any, servers: Mapping[str, Server], certs: Certs) -> Any:
    return _format(value, servers, certs) if isinstance(value, str) else value


def _masked_url(url: str) -> str:
    return re.sub(r":\d+(?=/|$)", ":PORT", url)


def _raised(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _perl_ua_value(value: Any) -> Any:
    """A ua setting as a Perl program hands it over (JSON has no inf or nan: their strings)."""
    if isinstance(value, float) and (math.isinf(value) or math.isnan(value)):
        return str(value)
    return value


def _run_perl(scenario: Scenario, path: str, ua: dict, base_url: str, env: dict) -> PathResult:
    from perl_compat.bridge import PerlClient
    from perl_compat.errors import PerlError

    from ..conftest import BUNDLED_SPEC

    result = PathResult(path)
    try:
        client = PerlClient(
            BUNDLED_SPEC,
            base_url=base_url,
            mode="embedded",
            client_class="OpenAPI::Client" if scenario.client == "plain" else None,
            ua={k: _perl_ua_value(v) for k, v in ua.items()},
            proxy_detect=scenario.proxy_detect,
            env=env,
            nonblocking=path == "perl-nonblocking",
        )
    except PerlError as exc:
        result.setup_raised = f"PerlError: {exc}"
        return result
    for call in scenario.calls:
        op, params = call.arguments()
        time.sleep(call.before)
        try:
            tx = client.call(op, params)
        except PerlError as exc:
            elapsed = (client.last_result or {}).get("elapsed", 0.0)
            result.calls.append(Outcome(raised=f"PerlError: {exc}", elapsed=elapsed))
            continue
        raw = client.last_result or {}
        result.calls.append(
            Outcome(
                method=tx.req.method,
                url=_masked_url(str(tx.req.url)),
                error=normal_error(tx.error),
                code=tx.res.code,
                message=tx.res.message or None,
                headers=normal_headers(tx.res.headers.items()),
                body=tx.res.body,
                text=raw["res"].get("text"),
                elapsed=float(raw.get("elapsed", 0.0)),
            )
        )
    return result


def _python_outcome(tx: Any, elapsed: float) -> Outcome:
    res = tx.res
    try:
        text = res.text
    except Exception as exc:  # reported as a difference, not a crash
        text = f"<{_raised(exc)}>"
    return Outcome(
        method=tx.req.method,
        url=_masked_url(str(tx.req.url)),
        error=normal_error(tx.error),
        code=res.code,
        message=res.message or None,
        headers=normal_headers(res.headers.items()),
        body=res.body,
        text=text,
        elapsed=elapsed,
    )


def _run_python(scenario: Scenario, path: str, ua: dict, base_url: str) -> PathResult:
    from openapi_client_openai import Client, OpenAI
    from openapi_client_openai.ioloop import IOLoop

    from ..conftest import BUNDLED_SPEC

    result = PathResult(path)
    try:
        client = (OpenAI if scenario.client == "openai" else Client)(BUNDLED_SPEC, base_url=base_url)
        if path == "session":
            client.ua.session  # noqa: B018 (handed out: every blocking call now goes through requests)
        for name, value in ua.items():
            setattr(client.ua, name, value)
        if scenario.proxy_detect:
            client.ua.proxy.detect()
    except Exception as exc:  # what the user would see: compared with Perl's
        result.setup_raised = _raised(exc)
        return result
    for call in scenario.calls:
        op, params = call.arguments()
        time.sleep(call.before)
        started = time.monotonic()
        try:
            if path in ("blocking", "session"):
                tx = client.call(op, params)
            else:
                done: list[Any] = []

                def back(_client: Any, tx: Any, done: list = done) -> None:
                    done.append(tx)
                    IOLoop.stop()

                client.call(op, params, back)
                IOLoop.start()
                if not done:
                    raise RuntimeError("the loop stopped before the callback came")
                tx = done[0]
        except Exception as exc:
            result.calls.append(Outcome(raised=_raised(exc), elapsed=time.monotonic() - started))
            continue
        result.calls.append(_python_outcome(tx, time.monotonic() - started))
    return result


def _tls_context(scenario: Scenario, certs: Certs) -> Any:
    import ssl

    name = "other_cert" if scenario.tls == "other" else "cert"
    assert name in certs, "a TLS scenario needs the throwaway certificates"
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certs[name])
    return context


def run_path(scenario: Scenario, path: str, certs: Certs) -> PathResult:
    """One path of ``scenario``, in this process (the child): fresh servers, env, client."""
    servers = {
        name: Server(
            handler,
            tls=_tls_context(scenario, certs) if scenario.tls and name == "origin" else None,
            rcvbuf=scenario.rcvbuf if name == "origin" else None,
            accepting=scenario.accepting or name != "origin",
        )
        for name, handler in scenario.serve.items()
    }
    if scenario.deny_connect is not None:
        from .seccomp import deny_connect

        deny_connect(scenario.deny_connect)
    workdir = tempfile.mkdtemp(prefix="fault-cwd-")
    os.chdir(workdir)
    try:
        base_url = _format(scenario.base_url, servers, certs)
        env: dict[str, Any] = dict.fromkeys(HERMETIC)  # whatever the machine sets, unset here
        env.update({name: _filled(value, servers, certs) for name, value in scenario.env.items()})
        ua = {name: _filled(value, servers, certs) for name, value in scenario.ua.items()}
        for name, value in env.items():
            key = os.fsencode(name)
            if value is None:
                os.environb.pop(key, None)
            else:
                os.environb[key] = value if isinstance(value, bytes) else os.fsencode(value)
        if path.startswith("perl"):
            result = _run_perl(scenario, path, ua, base_url, env)
        else:
            result = _run_python(scenario, path, ua, base_url)
    finally:
        for server in servers.values():
            server.stop()
    if "origin" in servers:
        result.connections = servers["origin"].connections
        result.requests = list(servers["origin"].requests)
    if "proxy" in servers:
        result.proxied = list(servers["proxy"].requests)
    result.written = sorted(os.listdir(workdir))
    return result


# -- children ------------------------------------------------------------------------------


class _Child:
    def __init__(self, path: str, work: Callable[[], PathResult], deadline: float) -> None:
        self.path = path
        self.deadline = time.monotonic() + deadline
        self.seconds = deadline
        read, write = os.pipe()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # fork with threads: ours are idle
            pid = os.fork()
        if pid == 0:  # the child: do the work, send it back, leave without cleaning up
            os.close(read)
            try:
                payload = pickle.dumps(("ok", work()))
            except BaseException:
                payload = pickle.dumps(("crash", traceback.format_exc()))
            with contextlib.suppress(BaseException):
                view = memoryview(payload)
                while view:
                    view = view[os.write(write, view) :]
            os._exit(0)
        os.close(write)
        self.pid = pid
        self.fd = read
        self.data = b""
        self.done = False

    def pump(self) -> None:
        chunk = os.read(self.fd, 1 << 20)
        if chunk:
            self.data += chunk
        else:
            self.done = True

    def result(self) -> PathResult:
        os.close(self.fd)
        if not self.done:
            os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        if not self.done:
            return PathResult(self.path, crashed=f"hung: no result within {self.seconds:g} s")
        try:
            kind, value = pickle.loads(self.data)
        except Exception:
            return PathResult(self.path, crashed=f"died without a result ({len(self.data)} bytes came)")
        if kind != "ok":
            return PathResult(self.path, crashed=value)
        return value


def run(scenario: Scenario, certs: Certs) -> dict[str, PathResult]:
    """The three paths of ``scenario``, each in its own child, at once; bounded by its deadline."""

    def work(path: str) -> Callable[[], PathResult]:
        return lambda: run_path(scenario, path, certs)

    children = [_Child(path, work(path), scenario.deadline) for path in PATHS]
    pending = {child.fd: child for child in children}
    while pending:
        left = max(child.deadline for child in pending.values()) - time.monotonic()
        if left <= 0:
            break
        ready, _, _ = select.select(list(pending), [], [], left)
        for fd in ready:
            child = pending[fd]
            child.pump()
            if child.done:
                del pending[fd]
        for fd, child in list(pending.items()):
            if time.monotonic() > child.deadline:
                del pending[fd]
    return {child.path: child.result() for child in children}


def _masked(start_line: bytes) -> bytes:
    """A request line with the port numbers of the servers masked (each path has its own)."""
    return re.sub(rb":\d+(?=[/ ])", b":PORT", start_line)


def differences(
    scenario: Scenario, perl: PathResult, ours: PathResult, allowed: tuple[str, ...] = ()
) -> list[str]:
    """Every way ``ours`` differs from ``perl`` in the compared fields (less those ``allowed``)."""
    out: list[str] = []

    def note(name: str, theirs: Any, mine: Any) -> None:
        if name not in allowed and name not in scenario.unstable and theirs != mine:
            out.append(f"{name}: perl {theirs!r:.300} / {ours.path} {mine!r:.300}")

    note("setup", perl.setup_raised is not None, ours.setup_raised is not None)
    note("calls", len(perl.calls), len(ours.calls))
    for index, (theirs, mine) in enumerate(zip(perl.calls, ours.calls)):
        a, b = theirs.compared(scenario.body_view), mine.compared(scenario.body_view)
        if theirs.raised and mine.raised:  # both raised: same kind of failure is enough
            a["raised"] = b["raised"] = "raised"
        for name in a:
            note(f"call {index} {name}" if len(perl.calls) > 1 else name, a[name], b[name])
        if "elapsed" not in allowed and not close_enough(mine.elapsed, theirs.elapsed, scenario.slack):
            out.append(f"elapsed: perl {theirs.elapsed:.3f} s / {ours.path} {mine.elapsed:.3f} s")
    note("connections", perl.connections, ours.connections)
    note(
        "requests",
        [_masked(s.start_line) for s in perl.requests],
        [_masked(s.start_line) for s in ours.requests],
    )
    note(
        "proxied",
        [_masked(s.start_line) for s in perl.proxied],
        [_masked(s.start_line) for s in ours.proxied],
    )
    for header in scenario.seen_headers:
        note(f"sent {header}", perl.seen(header), ours.seen(header))
    note("written", perl.written, ours.written)
    return out
