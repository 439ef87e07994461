"""The Mojo idioms a Perl program uses on the client and on what calls return, with
their Python spellings and whether this package supports each one today.

This table is data, meant to be edited: when the package gains a spelling, flip its
``supported`` to ``YES``. tests/port/test_idioms.py runs every row against the
package itself (a loopback mock call gives a real transaction, promise and client):
a ``YES`` row must work and a ``NO`` row must fail, so the table cannot go stale in
either direction.

A row reads: on an object of kind ``on`` (``$tx``, ``$tx->res``, ...), Perl's
``->method(ARGS)`` is written in Python as ``python`` (``{recv}`` is the object,
``{0}``, ``{1}`` the arguments) and gives an object of kind ``gives`` ("" for plain
data). A ``python`` containing `` = `` is a statement (a setter). ``callback``
names the kinds a callback argument receives (``then(sub { my $tx = shift })``).
``probe`` holds the Python arguments the test calls it with.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

YES, NO = True, False

# How each kind of object is written in Perl, for reports.
KIND_PERL = {
    "client": "$client",
    "ua": "$client->ua",
    "base_url": "$client->base_url",
    "tx": "$tx",
    "req": "$tx->req",
    "res": "$tx->res",
    "url": "$tx->req->url",
    "headers": "$headers",
    "content": "$tx->res->content",
    "asset": "$tx->res->content->asset",
    "promise": "$promise",
    "data": "$data",
    "": "$value",
}


@dataclass(frozen=True)
class Idiom:
    on: str
    method: str
    args: tuple[str, ...]
    python: str
    gives: str
    supported: bool
    callback: tuple[str, ...] = ()
    probe: tuple[str, ...] = ()
    note: str = ""

    @property
    def key(self) -> str:
        return f"{self.on}->{self.method}/{len(self.args)}"

    @property
    def perl(self) -> str:
        """``$tx->res->json(POINTER)``: the idiom as a Perl programmer writes it."""
        args = f"({', '.join(self.args)})" if self.args else ""
        return f"{KIND_PERL[self.on]}->{self.method}{args}"

    @property
    def is_statement(self) -> bool:
        return " = " in self.python

    def spell(self, receiver: str, args: Iterable[str] = ()) -> str:
        """The Python for this idiom applied to ``receiver`` with ``args`` (Python source)."""
        return self.python.format(*args, recv=receiver)

    @property
    def python_display(self) -> str:
        return self.spell(KIND_PYTHON[self.on], self.args)


KIND_PYTHON = {
    "client": "client",
    "ua": "client.ua",
    "base_url": "client.base_url",
    "tx": "tx",
    "req": "tx.req",
    "res": "tx.res",
    "url": "tx.req.url",
    "headers": "headers",
    "content": "tx.res.content",
    "asset": "tx.res.content.asset",
    "promise": "promise",
    "data": "data",
    "": "value",
}

_ = Idiom  # keeps the rows below short enough to read as a table

# fmt: off
IDIOMS: tuple[Idiom, ...] = (
    # -- the client (OpenAPI::Client) ----------------------------------------------------------
    _("client", "ua", (), "{recv}.ua", "ua", YES),
    _("client", "base_url", (), "{recv}.base_url", "base_url", YES),
    _("client", "base_url", ("URL",), "{recv}.base_url = {0}", "", YES),
    _("client", "on", ("EVENT", "CALLBACK"), "{recv}.on({0}, {1})", "", YES, ("client", "tx"),
      probe=("'after_build_tx'", "lambda client, tx: None")),
    _("client", "can", ("NAME",), "hasattr({recv}, {0})", "", YES, probe=("'getRun_p'",)),
    # -- the user agent (Mojo::UserAgent) ------------------------------------------------------
    _("ua", "inactivity_timeout", ("SECONDS",), "{recv}.inactivity_timeout = {0}", "", YES),
    _("ua", "inactivity_timeout", (), "{recv}.inactivity_timeout", "", YES),
    _("ua", "connect_timeout", ("SECONDS",), "{recv}.connect_timeout = {0}", "", YES),
    _("ua", "request_timeout", ("SECONDS",), "{recv}.request_timeout = {0}", "", YES),
    _("ua", "max_response_size", ("BYTES",), "{recv}.max_response_size = {0}", "", YES),
    _("ua", "max_redirects", ("COUNT",), "{recv}.max_redirects = {0}", "", YES),
    _("ua", "insecure", ("FLAG",), "{recv}.insecure = {0}", "", YES),
    _("ua", "on", ("EVENT", "CALLBACK"), "{recv}.on({0}, {1})", "", YES, ("ua", "tx"),
      probe=("'start'", "lambda ua, tx: None")),
    # -- the base URL (Mojo::URL) --------------------------------------------------------------
    _("base_url", "host", (), "{recv}.host", "", YES),
    _("base_url", "host", ("HOST",), "{recv}.host = {0}", "", YES),
    _("base_url", "port", ("PORT",), "{recv}.port = {0}", "", YES),
    _("base_url", "scheme", ("SCHEME",), "{recv}.scheme = {0}", "", YES),
    _("base_url", "path", (), "{recv}.path", "", YES),
    _("base_url", "path", ("PATH",), "{recv}.path = {0}", "", YES),
    _("base_url", "to_string", (), "str({recv})", "", YES),
    # -- the transaction (Mojo::Transaction::HTTP) ---------------------------------------------
    _("tx", "res", (), "{recv}.res", "res", YES),
    _("tx", "req", (), "{recv}.req", "req", YES),
    _("tx", "result", (), "{recv}.result", "res", YES),
    _("tx", "error", (), "{recv}.error", "data", YES),
    # -- the response (Mojo::Message::Response) ------------------------------------------------
    _("res", "json", (), "{recv}.json()", "data", YES),
    _("res", "json", ("POINTER",), "{recv}.json({0})", "data", YES, probe=("'/id'",)),
    _("res", "code", (), "{recv}.code", "", YES),
    _("res", "message", (), "{recv}.message", "", YES),
    _("res", "body", (), "{recv}.body", "", YES, note="bytes in Python; tx.res.text is the decoded text"),
    _("res", "text", (), "{recv}.text", "", YES),
    _("res", "headers", (), "{recv}.headers", "headers", YES),
    _("res", "is_success", (), "{recv}.is_success", "", YES),
    _("res", "is_error", (), "{recv}.is_error", "", YES),
    _("res", "is_client_error", (), "{recv}.is_client_error", "", YES),
    _("res", "is_server_error", (), "{recv}.is_server_error", "", YES),
    _("res", "content", (), "{recv}.content", "content", YES),
    _("res", "to_string", (), "{recv}.to_string()", "", YES),
    _("res", "dom", (), "{recv}.dom", "", NO, note="Mojo::DOM is not ported: parse tx.res.text instead"),
    _("res", "save_to", ("PATH",), "{recv}.save_to({0})", "", YES, probe=("'/dev/null'",)),
    # -- the request (Mojo::Message::Request) --------------------------------------------------
    _("req", "method", (), "{recv}.method", "", YES),
    _("req", "url", (), "{recv}.url", "url", YES),
    _("req", "headers", (), "{recv}.headers", "headers", YES),
    _("req", "body", (), "{recv}.body", "", YES, note="bytes in Python"),
    _("req", "json", (), "{recv}.json()", "data", YES),
    _("req", "env", (), "{recv}.env", "data", YES),
    _("req", "to_string", (), "{recv}.to_string()", "", YES),
    # -- the request URL (Mojo::URL) -----------------------------------------------------------
    _("url", "to_string", (), "str({recv})", "", YES),
    _("url", "path", (), "{recv}.path", "", YES),
    _("url", "host", (), "{recv}.host", "", YES),
    _("url", "query", (), "{recv}.query", "", YES),
    # -- headers (Mojo::Headers) ---------------------------------------------------------------
    _("headers", "header", ("NAME",), "{recv}.header({0})", "", YES, probe=("'Content-Type'",),
      note="today: headers.get(NAME)"),
    _("headers", "header", ("NAME", "VALUE"), "{recv}.header({0}, {1})", "", YES,
      probe=("'X-Port'", "'1'"), note="today: headers.set(NAME, VALUE)"),
    _("headers", "content_type", (), "{recv}.content_type", "", YES),
    _("headers", "every_header", ("NAME",), "{recv}.every_header({0})", "", YES, probe=("'Content-Type'",),
      note="today: headers.every(NAME)"),
    _("headers", "names", (), "{recv}.names()", "", YES),
    _("headers", "add", ("NAME", "VALUE"), "{recv}.add({0}, {1})", "", YES, probe=("'X-Port'", "'1'")),
    _("headers", "remove", ("NAME",), "{recv}.remove({0})", "", YES, probe=("'X-Port'",)),
    _("headers", "to_hash", (), "{recv}.to_hash()", "data", YES),
    # -- streamed content (Mojo::Content) ------------------------------------------------------
    _("content", "on", ("EVENT", "CALLBACK"), "{recv}.on({0}, {1})", "", YES, ("content", ""),
      probe=("'read'", "lambda content, chunk: None"),
      note="today: for event in client.stream(...)"),
    _("content", "asset", (), "{recv}.asset", "asset", YES),
    _("asset", "slurp", (), "{recv}.slurp()", "", YES),
    # -- promises (Mojo::Promise) --------------------------------------------------------------
    _("promise", "then", ("CALLBACK",), "{recv}.then({0})", "promise", YES, ("tx",),
      probe=("lambda tx: tx",)),
    _("promise", "then", ("CALLBACK", "CALLBACK"), "{recv}.then({0}, {1})", "promise", YES, ("tx",),
      probe=("lambda tx: tx", "lambda error: error")),
    _("promise", "catch", ("CALLBACK",), "{recv}.catch({0})", "promise", YES, ("",),
      probe=("lambda error: error",)),
    _("promise", "finally", ("CALLBACK",), "{recv}.finally_({0})", "promise", YES, probe=("lambda: None",)),
    _("promise", "wait", (), "{recv}.wait()", "", YES),
)
# fmt: on

# Probe arguments for placeholders, when a row gives none of its own.
SAMPLE_ARGUMENTS = {
    "SECONDS": "600",
    "BYTES": "1048576",
    "COUNT": "3",
    "FLAG": "True",
    "URL": "'http://127.0.0.1:9/v1'",
    "HOST": "'127.0.0.1'",
    "PORT": "9",
    "SCHEME": "'http'",
    "PATH": "'/v2'",
}

# Methods of OpenAPI::Client itself (and of Mojo::EventEmitter): never operations.
CLIENT_METHODS = frozenset(
    (
        *("new", "call", "call_p", "ua", "base_url", "validator"),
        *("on", "once", "emit", "unsubscribe", "has_subscribers", "subscribers", "catch"),
        *("can", "isa", "DOES", "VERSION", "attr", "tap", "with_roles"),
    )
)

_BY_KEY = {idiom.key: idiom for idiom in IDIOMS}


def lookup(kind: str, method: str, nargs: int) -> Idiom | None:
    return _BY_KEY.get(f"{kind}->{method}/{nargs}")


def probe_arguments(idiom: Idiom) -> tuple[str, ...]:
    return idiom.probe or tuple(SAMPLE_ARGUMENTS[name] for name in idiom.args)


@dataclass(frozen=True)
class Unknown:
    """A method the table does not know on an object of a known kind."""

    on: str
    method: str
    nargs: int

    @property
    def key(self) -> str:
        return f"{self.on}->{self.method}/{self.nargs}"

    @property
    def perl(self) -> str:
        args = f"({', '.join(['ARG'] * self.nargs)})" if self.nargs else ""
        return f"{KIND_PERL.get(self.on, '$' + self.on)}->{self.method}{args}"

    supported = False
    python = ""
    note = "not in the table: no Python spelling known"


@dataclass
class Step:
    """One link of a chain, matched: the idiom (or Unknown), or a subscript into data."""

    link: dict
    kind: str  # the kind of the object the link applies to
    idiom: Idiom | Unknown | None  # None for a subscript into plain data


def follow(kind: str, links: list[dict]) -> tuple[list[Step], str | None]:
    """Match ``links`` starting from an object of ``kind``; returns the steps and the final
    kind (None once a link is unknown: nothing after it can be told)."""
    steps: list[Step] = []
    current: str | None = kind
    for link in links:
        if current is None:
            break
        if link.get("k") == "subscript":
            steps.append(Step(link, current, None if current in ("data", "") else Unknown(current, "{}", 0)))
            current = "data" if current in ("data", "") else None
            continue
        if link.get("k") != "method":
            steps.append(Step(link, current, Unknown(current, str(link.get("name", "->()")), 0)))
            current = None
            continue
        nargs = len(link.get("args") or [])
        idiom = lookup(current, link["name"], nargs)
        if idiom is None:
            steps.append(Step(link, current, Unknown(current, link["name"], nargs)))
            current = None
            continue
        steps.append(Step(link, current, idiom))
        current = idiom.gives
    return steps, current


def table_rows() -> list[dict[str, Any]]:
    """The table as plain rows (for ``--json`` and the docs)."""
    return [
        {
            "perl": idiom.perl,
            "python": idiom.python_display,
            "supported": idiom.supported,
            **({"note": idiom.note} if idiom.note else {}),
        }
        for idiom in IDIOMS
    ]
