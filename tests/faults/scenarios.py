"""The scenario table: one misbehaviour each, run through Perl and both of our paths.

``row`` is the row of issue #11's table (or "beyond"). ``perl_does`` states what
Perl does there, checked against the real Perl every run, so a scenario cannot
pass by testing nothing; our two paths must then give exactly Perl's result
(``test_conformance.py``) unless ``differs`` documents a deliberate deviation,
which is asserted too (and repeated in docs/differences-from-perl.md).
"""

from __future__ import annotations

import errno
import gzip
import zlib
from collections.abc import Callable
from typing import Any

from .harness import OURS, Call, Deviation, PathResult, Scenario
from .servers import Conn, answer_each, per_connection, response, script, tunnel_proxy

T = 0.5  # the user agent's timeouts in these scenarios (seconds): short, so the suite is quick
UA = {"connect_timeout": T, "inactivity_timeout": T}
RUN = b'{"id":"run_abc123","object":"thread.run","status":"completed"}'
LATER = 0.8  # an answer that comes after one timeout period (T) has passed


def ok(body: bytes = RUN, *headers: str) -> bytes:
    return response("200 OK", ("Content-Type: application/json", *headers), body)


# -- what Perl does, stated once -----------------------------------------------------------


def answered(code: int = 200, body: bytes | None = RUN, calls: int = 1) -> Any:
    def check(perl: PathResult) -> None:
        assert len(perl.calls) == calls
        for outcome in perl.calls:
            assert (outcome.code, outcome.error) == (code, None), outcome
            if body is not None:
                assert outcome.body == body, outcome.body[:200]

    return check


def failed(message: str, code: int | None = None, prefix: bool = False) -> Any:
    def check(perl: PathResult) -> None:
        (outcome,) = perl.calls
        assert outcome.code == code, outcome
        got = (outcome.error or {}).get("message", "")
        assert got.startswith(message) if prefix else got == message, outcome.error

    return check


def refused_at_once(perl: PathResult) -> None:
    (outcome,) = perl.calls
    assert outcome.code is None and outcome.error and outcome.elapsed < T, outcome


def holds(predicate: Callable[[PathResult], bool]) -> Callable[[PathResult], None]:
    """A check from a predicate over a path's result; the result is shown when it fails."""

    def check(result: PathResult) -> None:
        assert predicate(result), result

    return check


def both(*checks: Any) -> Any:
    def check(perl: PathResult) -> None:
        for one in checks:
            one(perl)

    return check


def took(low: float, high: float) -> Any:
    def check(perl: PathResult) -> None:
        for outcome in perl.calls:
            assert low <= outcome.elapsed <= high, outcome.elapsed

    return check


def connections(count: int) -> Any:
    def check(perl: PathResult) -> None:
        assert perl.connections == count, perl.connections

    return check


def decoded_headers(perl: PathResult) -> None:
    """Mojo decodes gzip and says so: no Content-Encoding, the decoded Content-Length."""
    headers = dict(perl.only.headers)
    assert "Content-Encoding" not in headers and headers["Content-Length"] == str(len(RUN)), headers


# -- servers --------------------------------------------------------------------------------


def interim(*codes: str) -> bytes:
    return b"".join(f"HTTP/1.1 {code}\r\n\r\n".encode() for code in codes)


def numbered(conn: Conn) -> None:
    """Answers the server's n-th request with run_n, after 100 Continue and 102 Processing."""
    while conn.read_request() is not None:
        conn.send(interim("100 Continue", "102 Processing"))
        conn.send(ok(b'{"id":"run_%d"}' % (len(conn.server.requests) - 1)))


def endless(head: bytes) -> Any:
    """A head, then a body that never ends (64 KiB at a time until the client goes)."""

    def handle(conn: Conn) -> None:
        conn.read_request()
        conn.send(head)
        piece = b"x" * 65536
        while not conn.server.stopping.is_set():
            conn.send(piece)

    return handle


def stalled_reader(stall: float) -> Any:
    """Reads the head of an upload, then nothing for ``stall`` seconds, then the rest; answers 200."""

    def handle(conn: Conn) -> None:
        if conn.read_request(body=False) is None:
            return
        if conn.server.stopping.wait(stall):
            return
        length = int((conn.server.requests[-1].header(b"Content-Length") or [b"0"])[0])
        have = len(conn.buffer)
        while have < length:
            chunk = conn.sock.recv(1 << 20)
            if not chunk:
                return
            have += len(chunk)
        conn.server.requests[-1].body_size = have
        conn.send(ok())
        conn.drain()

    return handle


def proxy_answer(conn: Conn) -> None:
    """A forward proxy that answers for the origin itself (what matters is who got the request)."""
    while conn.read_request() is not None:
        conn.send(ok(b'{"id":"run_via_proxy"}'))


GZIPPED = gzip.compress(RUN)
RAW_DEFLATE = zlib.compress(RUN)[2:-4]
BIG_PLAIN = b"x" * (300 * 1024)
STRAY = b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nbad"
LATIN1 = "caf\u00e9 cr\u00e8me br\u00fbl\u00e9e".encode("latin-1")


def past_the_limit(body: bytes) -> str:
    """An endless body cut at 1 MiB: what was kept is the server's bytes, and the limit held
    (the last read, up to 128 KiB, may go past it, as in Mojo)."""
    if body.strip(b"x"):
        return "not the server's bytes"
    return (
        "1 MiB, plus the last read"
        if (1 << 20) - 65536 <= len(body) <= (1 << 20) + 262144
        else f"{len(body)} bytes"
    )


def drips_in(seconds: float) -> Any:
    """A body dripped 4 bytes every 0.1 s and cut by a timer: about that many drips came
    (a drip either side of the timer is timing, not behaviour)."""

    def view(body: bytes) -> str:
        drips = len(body) / 4
        expected = seconds / 0.1 - 1
        if body.strip(b"z") or abs(drips - expected) > 1.5:
            return f"{len(body)} bytes"
        return "about right"

    return view


# -- our deliberate deviations ---------------------------------------------------------------


def refuses_at_assignment(name: str) -> Any:
    def check(ours: PathResult) -> None:
        assert ours.setup_raised is not None and ours.setup_raised.startswith("UserAgentError: "), ours
        assert name in ours.setup_raised, ours.setup_raised
        assert not ours.calls and not ours.requests

    return check


def not_a_number(name: str) -> Deviation:
    return Deviation(
        why=(
            f"{name} = 'abc' raises UserAgentError when set, naming the attribute; in Perl the "
            "string is true (a timer is armed) but 0 as a number (it fires at once, with an "
            '"isn\'t numeric" warning): a typo would fail every call, far from its cause'
        ),
        fields=("setup", "calls", "connections", "requests"),
        ours=refuses_at_assignment(name),
    )


def gives(connections: int | None = None, **expected: Any) -> Any:
    """Our (deviating) path gives these fields on each call, and that many connections."""

    def check(ours: PathResult) -> None:
        if connections is not None:
            assert ours.connections == connections, ours.connections
        assert ours.calls, ours
        for outcome in ours.calls:
            got = {name: getattr(outcome, name) for name in expected}
            assert got == expected, got

    return check


def on_session(why: str, fields: tuple[str, ...], ours: Any) -> Deviation:
    """A deviation of the requests path only (calls made while the caller holds ua.session)."""
    return Deviation(why=why, fields=fields, ours=ours, paths=("session",))


HEAD_FIRST = (
    "http.client reads the whole head before requests hands anything over, and raises "
    "on what it refuses, so the status line Mojo kept is lost"
)
DECHUNKED = (
    "http.client undoes the chunking itself: the body comes with Content-Length, "
    "and trailer headers are dropped"
)


def limit_not_a_number(variable: str) -> Deviation:
    def check(ours: PathResult) -> None:
        (outcome,) = ours.calls
        assert (outcome.raised or "").startswith(f"UserAgentError: {variable}="), outcome
        assert not ours.requests

    return Deviation(
        why=(
            f"{variable}=abc makes each call raise UserAgentError naming the variable, before "
            "anything is sent; in Perl the string is a limit that is on (true) and 0 (as a "
            "number), so every response fails with the limit exceeded"
        ),
        fields=(
            "raised",
            "method",
            "url",
            "error",
            "code",
            "message",
            "headers",
            "body",
            "text",
            "requests",
            "connections",
        ),
        ours=check,
    )


# -- the table -------------------------------------------------------------------------------

SCENARIOS: list[Scenario] = [
    # row 1: interim responses
    Scenario(
        "103 Early Hints before the answer",
        "1",
        "a 103 with a Link header, then the 200",
        {"origin": script(b"HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n" + ok())},
        ua=UA,
        perl_does=answered(),
    ),
    Scenario(
        "102 Processing twice, in separate packets",
        "1",
        "two 102s, 0.1 s apart, then the 200",
        {"origin": script(interim("102 Processing"), 0.1, interim("102 Processing"), 0.1, ok())},
        ua=UA,
        perl_does=answered(),
    ),
    Scenario(
        "1xx before each of three answers on one keep-alive connection",
        "1",
        "100 and 102 before each 200; three calls",
        {"origin": numbered},
        calls=(Call(), Call(), Call()),
        ua=UA,
        perl_does=both(
            connections(1),
            holds(lambda perl: [o.body for o in perl.calls] == [b'{"id":"run_%d"}' % n for n in range(3)]),
        ),
        differs=(
            on_session(
                "requests (http.client) takes a 102 or 103 for the answer; the real one is read "
                "from the socket after it, and the connection closed, as requests' view of it is out of step",
                ("connections",),
                gives(connections=3, code=200),
            ),
        ),
    ),
    # row 2: a stalled upload
    Scenario(
        "the server stops reading an upload longer than connect_timeout",
        "2",
        "8 MiB upload, the server reads nothing for 1 s; connect_timeout 0.3, inactivity_timeout 3",
        {"origin": stalled_reader(1.0)},
        calls=(Call(upload=8 << 20),),
        ua={"connect_timeout": 0.3, "inactivity_timeout": 3},
        rcvbuf=16384,
        perl_does=both(answered(), took(0.9, 3.0)),
        slack=1.0,
        differs=(
            on_session(
                "urllib3 writes the body under the connect timeout: the upload fails when the "
                "server stalls longer than connect_timeout (row 2 as it was, on this path only)",
                ("error", "code", "message", "headers", "body", "text", "elapsed"),
                gives(error={"message": "Inactivity timeout"}, code=None),
            ),
        ),
    ),
    Scenario(
        "the server stops reading an upload longer than inactivity_timeout",
        "2",
        "8 MiB upload, the server reads nothing for 2 s; inactivity_timeout 0.5",
        {"origin": stalled_reader(2.0)},
        calls=(Call(upload=8 << 20),),
        ua=UA,
        rcvbuf=16384,
        perl_does=both(failed("Inactivity timeout"), took(0.4, 1.5)),
        slack=1.0,
    ),
]


def _timer_scenarios() -> list[Scenario]:
    """Row 3: each timer given 0, inf, 1e10, nan, -1 and 'abc', as attributes; and MOJO_* variables."""
    out = []
    late = {"origin": script(LATER, ok())}
    values = (
        ("0", 0),
        ("inf", float("inf")),
        ("1e10", 1e10),
        ("nan", float("nan")),
        ("-1", -1),
        ("abc", "abc"),
    )
    for name in ("inactivity_timeout", "connect_timeout", "request_timeout"):
        # The other timers out of the way: only the one under test can end the call early.
        base = {"connect_timeout": T, "inactivity_timeout": 2 * LATER}
        for shown, value in values:
            out.append(
                Scenario(
                    f"{name} = {shown}",
                    "3",
                    f"ua.{name} = {shown}; the answer comes after {LATER} s",
                    late,
                    ua={**base, name: value},
                    perl_does=_timer_does(name, shown),
                    differs=(not_a_number(name),) if shown == "abc" else (),
                    unstable={"connections": RACE} if shown in ("-1", "abc") else {},
                )
            )
    for variable, value, ua in (
        ("MOJO_INACTIVITY_TIMEOUT", "0", {"connect_timeout": T}),
        ("MOJO_CONNECT_TIMEOUT", "0", {"inactivity_timeout": 2 * LATER}),
        ("MOJO_REQUEST_TIMEOUT", "-1", UA),
        ("MOJO_INACTIVITY_TIMEOUT", "abc", {"connect_timeout": T}),
    ):
        name = variable[5:].lower()
        out.append(
            Scenario(
                f"{variable}={value}",
                "3",
                f"{variable}={value} in the environment; the answer comes after {LATER} s",
                late,
                ua=ua,
                env={variable: value},
                perl_does=_timer_does(name, value),
                differs=(
                    Deviation(
                        why=(
                            f"{variable}=abc makes the user agent raise UserAgentError naming the "
                            "variable when the client is made; Perl reads it as a timer that fires at once"
                        ),
                        fields=("setup", "calls", "connections", "requests"),
                        ours=refuses_at_assignment(variable),
                    ),
                )
                if value == "abc"
                else (),
                unstable={"connections": RACE} if value in ("-1", "abc") else {},
            )
        )
    return out


RACE = "a timer that fires at once races the kernel's accept: the server may or may not count the connection"


def _timer_does(name: str, shown: str) -> Any:
    """Mojo: 0 (inactivity, request) is no timer and connect's 0 is 10 s; inf, 1e10 and nan never
    fire; -1 and 'abc' (read as 0 but true) fire at once, with the timer's own words."""
    words = {"inactivity_timeout": "Inactivity timeout", "connect_timeout": "Connect timeout"}
    if shown in ("-1", "abc"):
        return both(failed(words.get(name, "Request timeout")), took(0.0, 0.3))
    return both(answered(), took(LATER - 0.05, LATER + 0.6))


SCENARIOS += _timer_scenarios()

SCENARIOS += [
    # row 4, 5: content encodings
    Scenario(
        "gzip",
        "4",
        "Content-Encoding: gzip with the compressed Content-Length",
        {"origin": script(ok(GZIPPED, "Content-Encoding: gzip"))},
        ua=UA,
        perl_does=both(answered(), decoded_headers),
    ),
    Scenario(
        "gzip, chunked",
        "4",
        "Content-Encoding: gzip over Transfer-Encoding: chunked",
        {
            "origin": script(
                b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n"
                + b"%x\r\n%s\r\n0\r\n\r\n" % (len(GZIPPED), GZIPPED)
            )
        },
        ua=UA,
        perl_does=both(answered(), decoded_headers),
    ),
    Scenario(
        "deflate (raw), never asked for",
        "5",
        "Content-Encoding: deflate, a raw deflate stream",
        {"origin": script(ok(RAW_DEFLATE, "Content-Encoding: deflate"))},
        ua=UA,
        perl_does=both(
            answered(body=RAW_DEFLATE),
            holds(lambda perl: ("Content-Encoding", "deflate") in perl.only.headers),
        ),
    ),
    Scenario(
        "gzip label on a plain body",
        "5",
        "Content-Encoding: gzip on a JSON body that is not compressed",
        {"origin": script(ok(RUN, "Content-Encoding: gzip"))},
        ua=UA,
        perl_does=answered(body=b""),
    ),
    Scenario(
        "gzip label on a plain body over 256 KiB",
        "5",
        "Content-Encoding: gzip on 300 KiB that are not compressed (Mojo's buffer limit)",
        {"origin": script(ok(BIG_PLAIN, "Content-Encoding: gzip"))},
        ua=UA,
        perl_does=failed("Maximum buffer size exceeded", code=200),
    ),
    # row 6: a body that never ends
    Scenario(
        "an endless body against ua.max_response_size",
        "6",
        "no length, no end; max_response_size 1 MiB",
        {"origin": endless(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n")},
        ua={**UA, "max_response_size": 1 << 20},
        perl_does=failed("Maximum message size exceeded", code=200),
        body_view=past_the_limit,
    ),
    Scenario(
        "an endless body against MOJO_MAX_MESSAGE_SIZE",
        "6",
        "no length, no end; MOJO_MAX_MESSAGE_SIZE=1048576",
        {"origin": endless(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n")},
        ua=UA,
        env={"MOJO_MAX_MESSAGE_SIZE": "1048576"},
        perl_does=failed("Maximum message size exceeded", code=200),
        body_view=past_the_limit,
    ),
    Scenario(
        "ua.max_response_size = 0",
        "6",
        "no limit: a 3 MiB body with its length",
        {"origin": script(ok(b"x" * (3 << 20)))},
        ua={**UA, "max_response_size": 0},
        perl_does=answered(body=b"x" * (3 << 20)),
    ),
    Scenario(
        "ua.max_response_size = -1",
        "6",
        "a negative limit: the head alone is over it (the body follows 0.1 s later)",
        {"origin": script(ok()[: -len(RUN)], 0.1, RUN)},
        ua={**UA, "max_response_size": -1},
        perl_does=both(
            failed("Maximum message size exceeded", code=200),
            holds(lambda perl: perl.only.body == b""),
        ),
    ),
    Scenario(
        "MOJO_MAX_MESSAGE_SIZE=abc",
        "6",
        "a size limit that is not a number",
        {"origin": answer_each(ok())},
        ua=UA,
        env={"MOJO_MAX_MESSAGE_SIZE": "abc"},
        perl_does=failed("Maximum message size exceeded", code=200),
        differs=(limit_not_a_number("MOJO_MAX_MESSAGE_SIZE"),),
    ),
    Scenario(
        "MOJO_MAX_LINE_SIZE=abc",
        "6",
        "a line limit that is not a number",
        {"origin": answer_each(ok())},
        ua=UA,
        env={"MOJO_MAX_LINE_SIZE": "abc"},
        perl_does=failed("Maximum start-line size exceeded"),
        differs=(limit_not_a_number("MOJO_MAX_LINE_SIZE"),),
    ),
    Scenario(
        "an endless chunked body against ua.max_response_size",
        "6",
        "chunked, chunks forever; max_response_size 1 MiB",
        {"origin": endless(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")},
        ua={**UA, "max_response_size": 1 << 20},
        differs=(
            on_session(
                "http.client undoes the chunking and ends the body at framing it cannot read "
                "(a close, to us); Mojo buffers it until its buffer limit",
                ("error", "headers"),
                gives(error=None, code=200),
            ),
        ),
    ),
    # row 7: cannot connect
    Scenario(
        "unknown host",
        "7",
        "a name under .invalid (RFC 6761: never resolves)",
        {},
        base_url="http://nonexistent.invalid/v1",
        ua=UA,
        perl_does=failed("Can't connect: ", prefix=True),
    ),
    Scenario(
        "connection refused",
        "7",
        "a port nobody listens on",
        {},
        base_url="http://127.0.0.1:9/v1",
        ua=UA,
        perl_does=failed("Connection refused"),
    ),
    Scenario(
        "EACCES from connect",
        "7",
        "connect() fails with EACCES at once, as behind a firewall or security module (seccomp here)",
        {},
        base_url="http://127.0.0.1:9/v1",
        ua=UA,
        deny_connect=errno.EACCES,
        perl_does=refused_at_once,
    ),
    Scenario(
        "nobody accepts",
        "7",
        "the server's accept queue is full: the handshake never completes",
        {"origin": script()},
        ua=UA,
        accepting=False,
        perl_does=both(failed("Connect timeout"), took(0.4, 1.2)),
    ),
    Scenario(
        "unreachable at once (broadcast address)",
        "7",
        "255.255.255.255: the kernel refuses the connect at once (ENETUNREACH or EACCES, by routes)",
        {},
        base_url="http://255.255.255.255/v1",
        ua=UA,
        perl_does=refused_at_once,
    ),
    # row 8: base URLs that cannot work
    Scenario(
        "base_url ftp://",
        "8",
        "ftp://127.0.0.1/v1",
        {},
        base_url="ftp://127.0.0.1/v1",
        ua=UA,
        perl_does=failed("Unsupported protocol: ftp"),
    ),
    Scenario(
        "base_url without a scheme: host:port/v1",
        "8",
        "127.0.0.1:PORT/v1: Mojo::URL reads 127.0.0.1 as the scheme",
        {"origin": answer_each(ok())},
        base_url="127.0.0.1:{origin_port}/v1",
        ua=UA,
        perl_does=failed("Unsupported protocol: 127.0.0.1"),
    ),
    Scenario(
        "base_url without a scheme or host: PORT/v1",
        "8",
        "a relative base URL and no app",
        {"origin": answer_each(ok())},
        base_url="{origin_port}/v1",
        ua=UA,
        perl_does=holds(lambda perl: "PerlError" in (perl.only.raised or "")),
        note=(
            "both raise from the call; Perl's words come from deep inside Mojo::Server::Daemon "
            '(Can\'t call method "server" on an undefined value), ours say the URL has no scheme and host'
        ),
    ),
    Scenario(
        "base_url http:///v1",
        "8",
        "http:///v1: no host (Mojo connects to 127.0.0.1:80)",
        {},
        base_url="http:///v1",
        ua=UA,
        perl_does=failed("Connection refused"),
    ),
    Scenario(
        "base_url port 99999",
        "8",
        "http://127.0.0.1:99999/v1 (the port is taken modulo 65536, as IO::Socket::IP packs it)",
        {},
        base_url="http://127.0.0.1:99999/v1",
        ua=UA,
        perl_does=failed("Connection refused"),
    ),
    # row 9: userinfo in the base URL
    Scenario(
        "user:pass@ in base_url, plain client",
        "9",
        "OpenAPI::Client with http://user:p%40ss@127.0.0.1/v1",
        {"origin": answer_each(ok())},
        client="plain",
        base_url="http://user:p%40ss@127.0.0.1:{origin_port}/v1",
        ua=UA,
        seen_headers=("Authorization",),
        perl_does=holds(lambda perl: perl.seen("Authorization") == [[b"Basic dXNlcjpwQHNz"]]),
    ),
    Scenario(
        "user:pass@ in base_url, OpenAI client",
        "9",
        "OpenAI with http://user:pass@127.0.0.1/v1: the Bearer wins",
        {"origin": answer_each(ok())},
        base_url="http://user:pass@127.0.0.1:{origin_port}/v1",
        ua=UA,
        seen_headers=("Authorization",),
    ),
    # row 10: the key's bytes
    Scenario(
        "OPENAI_API_KEY in UTF-8",
        "10",
        "the key holds UTF-8 bytes (sk-ключ)",
        {"origin": answer_each(ok())},
        env={"OPENAI_API_KEY": "sk-ключ-0123".encode()},
        ua=UA,
        seen_headers=("Authorization",),
        perl_does=holds(lambda perl: perl.seen("Authorization") == [[b"Bearer " + "sk-ключ-0123".encode()]]),
    ),
    Scenario(
        "OPENAI_API_KEY not UTF-8",
        "10",
        "the key holds bytes that are no encoding (\\xff\\xfe)",
        {"origin": answer_each(ok())},
        env={"OPENAI_API_KEY": b"sk-\xff\xfe-0123"},
        ua=UA,
        seen_headers=("Authorization",),
        perl_does=holds(lambda perl: perl.seen("Authorization") == [[b"Bearer sk-\xff\xfe-0123"]]),
    ),
    # row 11: proxies
    Scenario(
        "HTTP_PROXY without MOJO_PROXY",
        "11",
        "HTTP_PROXY names a loopback proxy; MOJO_PROXY unset",
        {"origin": answer_each(ok()), "proxy": proxy_answer},
        env={"HTTP_PROXY": "{proxy}"},
        ua=UA,
        perl_does=holds(lambda perl: (len(perl.requests), len(perl.proxied)) == (1, 0)),
    ),
    Scenario(
        "HTTP_PROXY with MOJO_PROXY=1",
        "11",
        "HTTP_PROXY names a loopback proxy; MOJO_PROXY=1",
        {"origin": answer_each(ok()), "proxy": proxy_answer},
        env={"HTTP_PROXY": "{proxy}", "MOJO_PROXY": "1"},
        ua=UA,
        perl_does=holds(lambda perl: (len(perl.requests), len(perl.proxied)) == (0, 1)),
    ),
    Scenario(
        "HTTP_PROXY with ua.proxy.detect()",
        "11",
        "HTTP_PROXY names a loopback proxy; $ua->proxy->detect",
        {"origin": answer_each(ok()), "proxy": proxy_answer},
        env={"HTTP_PROXY": "{proxy}"},
        proxy_detect=True,
        ua=UA,
        perl_does=holds(lambda perl: (len(perl.requests), len(perl.proxied)) == (0, 1)),
    ),
    Scenario(
        "HTTPS_PROXY with MOJO_PROXY=1: a CONNECT tunnel",
        "11",
        "https through a loopback proxy that tunnels CONNECT to the TLS origin (ca given)",
        {"origin": answer_each(ok()), "proxy": tunnel_proxy},
        tls=True,
        env={"HTTPS_PROXY": "{proxy}", "MOJO_PROXY": "1"},
        ua={**UA, "ca": "{cert}"},
        perl_does=holds(
            lambda perl: (
                (perl.only.code, [s.start_line.split()[0] for s in perl.proxied]) == (200, [b"CONNECT"])
            )
        ),
        differs=(
            on_session(
                "urllib3 opens the tunnel with CONNECT ... HTTP/1.0",
                ("proxied",),
                holds(lambda ours: ours.proxied[0].start_line.endswith(b"HTTP/1.0")),
            ),
        ),
    ),
    Scenario(
        "HTTP_PROXY with detect() and NO_PROXY naming the host",
        "11",
        "NO_PROXY=127.0.0.1: direct again",
        {"origin": answer_each(ok()), "proxy": proxy_answer},
        env={"HTTP_PROXY": "{proxy}", "NO_PROXY": "127.0.0.1"},
        proxy_detect=True,
        ua=UA,
    ),
    # row 12: charsets
    Scenario(
        "text/plain; charset=ISO-8859-1",
        "12",
        "tx.res.text of a Latin-1 body",
        {"origin": script(response("200 OK", ("Content-Type: text/plain; charset=ISO-8859-1",), LATIN1))},
        ua=UA,
        perl_does=holds(lambda perl: perl.only.text == LATIN1.decode("latin-1")),
    ),
    Scenario(
        "text/plain without a charset, Latin-1 bytes",
        "12",
        "tx.res.text when the bytes are not UTF-8 and no charset is declared",
        {"origin": script(response("200 OK", ("Content-Type: text/plain",), LATIN1))},
        ua=UA,
    ),
    # row 13: strange heads
    Scenario(
        "150 response headers",
        "13",
        "150 X-Header-n lines (Mojo's MOJO_MAX_LINES is 100)",
        {"origin": script(ok(RUN, *(f"X-Header-{n}: {n}" for n in range(150))))},
        ua=UA,
        perl_does=failed("Maximum header size exceeded", code=200),
        differs=(
            on_session(
                HEAD_FIRST + " (more than 100 header lines)",
                ("code", "message", "body", "text", "headers"),
                gives(error={"message": "Maximum header size exceeded"}, code=None),
            ),
        ),
    ),
    Scenario(
        "a 70 KB header",
        "13",
        "one 70,000-byte header line (MOJO_MAX_LINE_SIZE is 8 KiB)",
        {"origin": script(ok(RUN, "X-Big: " + "b" * 70000))},
        ua=UA,
        perl_does=failed("Maximum header size exceeded", code=200),
        unstable={
            "body": "what is left after the limit depends on where the reads split the 70 KB line",
            "text": "the same",
        },
        differs=(
            on_session(
                HEAD_FIRST + " (a line over 64 KiB)",
                ("code", "message", "body", "text", "headers"),
                gives(error={"message": "Maximum header size exceeded"}, code=None),
            ),
        ),
    ),
    Scenario(
        "a bad status line",
        "13",
        "HTTP/1.1 OK (no code)",
        {"origin": script(b"HTTP/1.1 OK\r\nContent-Length: 2\r\n\r\n{}")},
        ua=UA,
        perl_does=failed("Bad response start-line"),
        differs=(
            on_session(
                HEAD_FIRST + "; Mojo goes on to parse what follows as headers and body",
                ("headers", "body", "text"),
                gives(error={"message": "Bad response start-line"}, code=None, body=b""),
            ),
        ),
    ),
    Scenario(
        "status 999",
        "13",
        "HTTP/1.1 999 Whatever",
        {"origin": script(response("999 Whatever", (), RUN))},
        ua=UA,
        perl_does=answered(999),
    ),
    Scenario(
        "duplicate Content-Length, same value",
        "13",
        "Content-Length twice, both right",
        {"origin": script(response("200 OK", (f"Content-Length: {len(RUN)}",), RUN))},
        ua=UA,
        perl_does=answered(body=b""),
    ),
    Scenario(
        "duplicate Content-Length, different values",
        "13",
        "Content-Length twice: right, then 5",
        {"origin": script(response("200 OK", ("Content-Length: 5",), RUN))},
        ua=UA,
        differs=(
            on_session(
                "urllib3 refuses two different lengths, in its words; Mojo reads the joined "
                "value as no number, so no body",
                ("error", "code", "message", "headers"),
                holds(lambda ours: "Content-Length" in (ours.only.error or {}).get("message", "")),
            ),
        ),
        perl_does=answered(body=b""),
    ),
    # row 14: an inactivity timeout in the middle of the body
    Scenario(
        "inactivity timeout mid-body",
        "14",
        "Content-Length 100, 40 bytes, then silence",
        {"origin": script(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + b"y" * 40, "hold")},
        ua=UA,
        perl_does=both(
            failed("Inactivity timeout", code=200),
            holds(lambda perl: perl.only.body == b"y" * 40),
        ),
    ),
    # row 15: no home
    Scenario(
        "HOME unset",
        "15",
        "HOME, XDG_CACHE_HOME and the cache variable unset; nothing may be written",
        {"origin": answer_each(ok())},
        env={"HOME": None, "XDG_CACHE_HOME": None, "OPENAPI_CLIENT_OPENAI_CACHE": None},
        ua=UA,
        perl_does=holds(lambda perl: perl.written == []),
    ),
]

SCENARIOS += [
    # beyond the table: redirects
    Scenario(
        "302, not followed by default",
        "beyond",
        "302 with a Location",
        {"origin": answer_each(response("302 Found", ("Location: /v1/elsewhere",), b""))},
        ua=UA,
        perl_does=both(answered(302, b""), connections(1)),
    ),
    Scenario(
        "302 followed with max_redirects",
        "beyond",
        "302 then 200, max_redirects 3: the Bearer is dropped and added again by the start event",
        {"origin": answer_each(response("302 Found", ("Location: /v1/elsewhere",), b""), ok())},
        ua={**UA, "max_redirects": 3},
        seen_headers=("Authorization",),
        perl_does=holds(lambda perl: (perl.only.code, len(perl.requests)) == (200, 2)),
    ),
    Scenario(
        "302 followed with max_redirects, plain client with userinfo",
        "beyond",
        "Basic from user:pass@ in the base URL; the redirect target has none",
        {"origin": answer_each(response("302 Found", ("Location: /v1/elsewhere",), b""), ok())},
        client="plain",
        base_url="http://user:pass@127.0.0.1:{origin_port}/v1",
        ua={**UA, "max_redirects": 3},
        seen_headers=("Authorization",),
    ),
    Scenario(
        "307 of a POST followed",
        "beyond",
        "createRun answered 307: method and body go again",
        {"origin": answer_each(response("307 Temporary Redirect", ("Location: /v1/again",), b""), ok())},
        calls=(Call(upload=10),),
        ua={**UA, "max_redirects": 1},
        seen_headers=("Content-Length",),
    ),
    Scenario(
        "redirect loop past max_redirects",
        "beyond",
        "302 to itself forever, max_redirects 2",
        {"origin": answer_each(response("302 Found", ("Location: /v1/loop",), b""))},
        ua={**UA, "max_redirects": 2},
        perl_does=holds(lambda perl: (perl.only.code, len(perl.requests)) == (302, 3)),
    ),
    # empty responses with a body
    Scenario(
        "204 with a body, then another call",
        "beyond",
        "204 sent with Content-Length 5 and 5 bytes, then a second call on the connection",
        {"origin": answer_each(response("204 No Content", (), b"oops!"), ok())},
        calls=(Call(), Call()),
        ua=UA,
    ),
    Scenario(
        "304 with a body, then another call",
        "beyond",
        "304 sent with a body, then a second call",
        {"origin": answer_each(response("304 Not Modified", (), b"oops!"), ok())},
        calls=(Call(), Call()),
        ua=UA,
    ),
    # keep-alive closed at each point
    Scenario(
        "keep-alive: closed before the next request",
        "beyond",
        "the server closes the idle connection 0.1 s after answering; the second call comes at 0.3 s",
        {"origin": per_connection(script(ok(), 0.1, "close"), answer_each(ok()))},
        calls=(Call(), Call(before=0.3)),
        ua=UA,
        perl_does=both(answered(calls=2), connections(2)),
    ),
    Scenario(
        "keep-alive: closed as the next request goes",
        "beyond",
        "the server closes the idle connection 0.1 s after answering; the second call is already on it",
        {"origin": per_connection(script(ok(), 0.1, "close"), answer_each(ok()))},
        calls=(Call(), Call()),
        ua=UA,
        perl_does=holds(lambda perl: perl.calls[1].error == {"message": "Premature connection close"}),
    ),
    Scenario(
        "keep-alive: closed after reading the next request",
        "beyond",
        "the second request is read, then the connection closed unanswered",
        {"origin": script(ok(), "read", "close")},
        calls=(Call(), Call()),
        ua=UA,
    ),
    Scenario(
        "keep-alive: closed while the next request's body is sent",
        "beyond",
        "the second call uploads 4 MiB; the server reads its head and closes (a reset, with data unread)",
        {"origin": script(ok(), "read-head", "close")},
        calls=(Call(), Call(upload=4 << 20)),
        ua=UA,
        rcvbuf=16384,
        slack=0.5,
    ),
    Scenario(
        "closed while the request body is sent",
        "beyond",
        "a 4 MiB upload; the server reads the head and closes",
        {"origin": script("read-head", "close", first_read=False)},
        calls=(Call(upload=4 << 20),),
        ua=UA,
        rcvbuf=16384,
        slack=0.5,
    ),
    Scenario(
        "keep-alive: closed inside the next response's head",
        "beyond",
        "half of the second status line, then a close",
        {"origin": script(ok(), "read", b"HTTP/1.1 20", "close")},
        calls=(Call(), Call()),
        ua=UA,
    ),
    Scenario(
        "keep-alive: closed inside the next response's body",
        "beyond",
        "the second response stops after 10 of its bytes",
        {"origin": script(ok(), "read", ok()[:-30], "close")},
        calls=(Call(), Call()),
        ua=UA,
    ),
    Scenario(
        "keep-alive: the server talks while idle",
        "beyond",
        "an unasked-for answer arrives on the idle connection 0.1 s later; the second call at 0.3 s",
        {"origin": per_connection(script(ok(), 0.1, STRAY), answer_each(ok(b'{"id":"second"}')))},
        calls=(Call(), Call(before=0.3)),
        ua=UA,
        perl_does=both(connections(2), holds(lambda perl: perl.calls[1].body == b'{"id":"second"}')),
    ),
    Scenario(
        "keep-alive: extra bytes right after an answer",
        "beyond",
        "an unasked-for answer in the same packet as the first; the second call on that connection",
        {"origin": script(ok() + STRAY, "read", ok(b'{"id":"second"}'))},
        calls=(Call(), Call()),
        ua=UA,
        perl_does=both(connections(1), holds(lambda perl: perl.calls[1].body == b'{"id":"second"}')),
    ),
    # closes and resets
    Scenario(
        "closed after the status line",
        "beyond",
        "a status line, part of a header, then a close",
        {"origin": script(b"HTTP/1.1 200 OK\r\nContent-Ty", "close")},
        ua=UA,
        perl_does=answered(body=b""),
    ),
    Scenario(
        "closed before the status line",
        "beyond",
        "HTTP/1.1 20, then a close",
        {"origin": script(b"HTTP/1.1 20", "close")},
        ua=UA,
        perl_does=failed("Premature connection close"),
    ),
    Scenario(
        "closed without a word",
        "beyond",
        "the request is read, the connection closed",
        {"origin": script("close")},
        ua=UA,
        perl_does=failed("Premature connection close"),
    ),
    Scenario(
        "RST mid-body",
        "beyond",
        "Content-Length 100, 40 bytes, then a TCP reset",
        {"origin": script(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + b"y" * 40, 0.1, "reset")},
        ua=UA,
    ),
    Scenario(
        "RST before any answer",
        "beyond",
        "the request is read, then a TCP reset",
        {"origin": script(0.05, "reset")},
        ua=UA,
    ),
    Scenario(
        "closed mid-chunk",
        "beyond",
        "chunked, the connection closes inside a chunk",
        {"origin": script(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n20\r\n0123456789", "close")},
        ua=UA,
        differs=(on_session(DECHUNKED, ("headers",), gives(code=200, body=b"0123456789")),),
    ),
    # slow and silent servers
    Scenario(
        "silence after the request",
        "beyond",
        "the request is read, nothing ever comes",
        {"origin": script("hold")},
        ua=UA,
        perl_does=both(failed("Inactivity timeout"), took(0.4, 1.2)),
    ),
    Scenario(
        "slow headers, each gap under the timeout",
        "beyond",
        "the head dripped 8 bytes every 0.1 s (about 2 s in all)",
        {"origin": script(lambda conn: conn.drip(ok(), 8, 0.1))},
        ua=UA,
        perl_does=both(answered(), took(1.0, 4.0)),
    ),
    Scenario(
        "slow headers, a gap over the timeout",
        "beyond",
        "the status line and one header, then silence",
        {"origin": script(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n", "hold")},
        ua=UA,
        differs=(
            on_session(
                HEAD_FIRST, ("code", "message"), gives(error={"message": "Inactivity timeout"}, code=None)
            ),
        ),
    ),
    Scenario(
        "request_timeout while the body drips",
        "beyond",
        "request_timeout 0.7; the body comes 4 bytes every 0.1 s",
        {
            "origin": script(
                b"HTTP/1.1 200 OK\r\nContent-Length: 200\r\n\r\n", lambda conn: conn.drip(b"z" * 200, 4, 0.1)
            )
        },
        ua={**UA, "request_timeout": 0.7},
        perl_does=failed("Request timeout", code=200),
        body_view=drips_in(0.7),
    ),
    # chunked
    Scenario(
        "chunked with trailers",
        "beyond",
        "two chunks, then trailer headers",
        {
            "origin": script(
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n\r\n"
                b'5\r\n{"id"\r\n9\r\n:"run_1"}\r\n0\r\nX-Checksum: abc\r\nX-More: 1\r\n\r\n'
            )
        },
        ua=UA,
        perl_does=answered(body=b'{"id":"run_1"}'),
        differs=(on_session(DECHUNKED, ("headers",), gives(code=200, body=b'{"id":"run_1"}')),),
    ),
    # plain failures
    Scenario(
        "500 with an HTML page",
        "beyond",
        "an error page instead of JSON",
        {
            "origin": answer_each(
                response("500 Internal Server Error", ("Content-Type: text/html",), b"<h1>Oops</h1>")
            )
        },
        ua=UA,
        perl_does=failed("Internal Server Error", code=500),
    ),
    Scenario(
        "HTTP/1.0 without a length",
        "beyond",
        "an HTTP/1.0 answer with no Content-Length, body to the close",
        {"origin": script(b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n" + RUN, "close")},
        ua=UA,
        perl_does=answered(),
    ),
    # TLS (a throwaway certificate made at test time)
    Scenario(
        "TLS, certificate not trusted",
        "beyond",
        "https to a self-signed certificate, verification on (Mojo's default)",
        {"origin": answer_each(ok())},
        tls=True,
        ua=UA,
        perl_does=failed("SSL connect attempt failed", prefix=True),
    ),
    Scenario(
        "TLS, insecure",
        "beyond",
        "the same server, ua.insecure = 1",
        {"origin": answer_each(ok())},
        tls=True,
        ua={**UA, "insecure": 1},
        perl_does=answered(),
    ),
    Scenario(
        "TLS, ca",
        "beyond",
        "the same server, ua.ca = the certificate",
        {"origin": answer_each(ok())},
        tls=True,
        ua={**UA, "ca": "{cert}"},
        perl_does=answered(),
    ),
    Scenario(
        "TLS, MOJO_CA_FILE",
        "beyond",
        "the same server, MOJO_CA_FILE naming the certificate",
        {"origin": answer_each(ok())},
        tls=True,
        ua=UA,
        env={"MOJO_CA_FILE": "{cert}"},
        perl_does=answered(),
    ),
    Scenario(
        "TLS, ca, but the name does not match",
        "beyond",
        "a trusted certificate for another name (other.invalid)",
        {"origin": answer_each(ok())},
        tls="other",
        ua={**UA, "ca": "{other_cert}"},
        perl_does=failed("hostname verification failed\n"),
    ),
    Scenario(
        "https to a server that answers in clear text at once",
        "beyond",
        "https:// to a server that sends an HTTP answer before any handshake",
        {
            "origin": script(
                b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n", "close", first_read=False
            )
        },
        base_url="https://127.0.0.1:{origin_port}/v1",
        ua=UA,
        perl_does=failed("SSL connect attempt failed", prefix=True),
    ),
    Scenario(
        "https to a server that closes at once",
        "beyond",
        "https:// to a server that reads the TLS hello and closes",
        {"origin": script(lambda conn: conn.sock.recv(65536), "close", first_read=False)},
        base_url="https://127.0.0.1:{origin_port}/v1",
        ua=UA,
    ),
    Scenario(
        "https to a plain HTTP server",
        "beyond",
        "https:// to a server that answers in clear text",
        {"origin": answer_each(ok())},
        base_url="https://127.0.0.1:{origin_port}/v1",
        ua=UA,
        differs=(
            on_session(
                "urllib3 reports a TLS handshake that stalls as a read timeout",
                ("error",),
                gives(error={"message": "Inactivity timeout"}, code=None),
            ),
        ),
    ),
    Scenario(
        "http to a TLS server",
        "beyond",
        "http:// to a server that expects a TLS handshake",
        {"origin": answer_each(ok())},
        tls=True,
        base_url="http://127.0.0.1:{origin_port}/v1",
        ua=UA,
    ),
]


# -- the table in docs/reliability.md ----------------------------------------------------------


def verdict(scenario: Scenario, path: str) -> str:
    return "deliberately different" if scenario.deviation(path) else "identical"


def outcome_words(perl: PathResult) -> str:
    """Perl's outcome in a few words: code and error per call (and connections, for several)."""
    if perl.setup_raised:
        return "raises when made"
    parts = []
    for outcome in perl.calls:
        if outcome.raised:
            parts.append("raises")
            continue
        bits = [str(outcome.code)] if outcome.code is not None else []
        if outcome.error and outcome.error.get("message") != outcome.message:
            bits.append(outcome.error["message"].strip())
        parts.append("`" + " + ".join(bits) + "`")
    text = "; ".join(parts)
    if len(perl.calls) > 1 or perl.connections > 1:
        text += f" ({perl.connections} connection{'s' if perl.connections != 1 else ''})"
    return text


def docs_row(scenario: Scenario, perl_outcome: str) -> str:
    cells = [
        scenario.name,
        scenario.row,
        scenario.what.replace("|", "\\|"),
        perl_outcome,
        verdict(scenario, "blocking"),
        verdict(scenario, "nonblocking"),
        verdict(scenario, "session"),
    ]
    notes = []
    for deviation in scenario.differs:
        where = "" if deviation.paths == OURS else f"{', '.join(deviation.paths)}: "
        notes.append(where + deviation.why)
    if scenario.note:
        notes.append(scenario.note)
    notes += [f"{name} not compared: {why}" for name, why in scenario.unstable.items()]
    cells.append("; ".join(notes).replace("|", "\\|"))
    return "| " + " | ".join(cells) + " |"


def docs_parts(scenario: Scenario) -> tuple[str, str]:
    """A scenario's row around Perl's outcome (which a run measures): what the docs test checks."""
    before, after = docs_row(scenario, "\0").split("\0")
    return before, after


if __name__ == "__main__":  # python -m tests.faults.scenarios: run everything, print the docs table
    import sys
    import time

    from perl_compat.bridge import PerlClient

    from ..conftest import BUNDLED_SPEC
    from .harness import run

    PerlClient(BUNDLED_SPEC, mode="embedded").close()
    PerlClient(BUNDLED_SPEC, mode="embedded", client_class="OpenAPI::Client").close()
    certificates = {
        name: (sys.argv[1 + 2 * i], sys.argv[2 + 2 * i])
        for i, name in enumerate(("cert", "other_cert"))
        if len(sys.argv) > 2 + 2 * i
    }
    started = time.monotonic()
    print("| scenario | row | the fault | Perl | blocking | non-blocking | session | why, notes |")
    print("|---|---|---|---|---|---|---|---|")
    for one in SCENARIOS:
        print(docs_row(one, outcome_words(run(one, certificates)["perl"])), flush=True)
    print(f"\n{len(SCENARIOS)} scenarios in {time.monotonic() - started:.1f} s", file=sys.stderr)
