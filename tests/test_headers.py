"""Headers against Mojo::Headers itself (through the embedded Perl).

The same steps go to a Mojo::Headers (tests/perl/MojoSurface.pm) and to ours;
what each then prints (to_string, names, to_hash, header, every_header) must agree.
"""

from __future__ import annotations

import pytest

from openapi_client_openai.errors import HeaderError
from openapi_client_openai.headers import KNOWN_NAMES, Headers

ASKED = ["content-type", "X-Foo", "x-ratelimit-remaining-requests", "set-cookie", "Empty", "nope"]

SCENARIOS = {
    "case of known and unknown names": [
        ["add", "content-type", "application/json"],
        ["add", "x-Foo", "1"],
        ["add", "X-FOO", "2"],
        ["add", "WWW-authenticate", "Basic"],
        ["add", "etag", '"abc"'],
    ],
    "the first spelling is remembered after a remove": [
        ["add", "x-Foo", "1"],
        ["remove", "X-FOO"],
        ["add", "X-FOO", "3"],
    ],
    "header() replaces, append() extends": [
        ["add", "X-Foo", "a"],
        ["add", "X-Foo", "b"],
        ["header", "x-foo", "c", "d"],
        ["append", "X-Foo", "e"],
        ["append", "X-New", "f"],
    ],
    "an accessor sets the list as given": [
        ["content_type", "text/plain"],
        ["content_length", "42"],
        ["set_cookie", "a=1", "b=2"],
        ["user_agent", "Mojo-OpenAPI (Perl)"],
        ["dnt", "1"],
    ],
    "a name added with no values": [["add", "Empty"]],
    "from_hash merges, an empty hash clears": [
        ["add", "X-Old", "1"],
        ["from_hash", {"X-Foo": ["1", "2"], "Content-Type": "a/b"}],
        ["from_hash", {}],
        ["add", "X-After", "ok"],
    ],
    "CR or LF is refused, naming the header": [
        ["add", "Authorization", "Bearer sk-123\r\nX-Injected: 1"],
        ["add", "X-Fine", "yes"],
        ["header", "X-Bad", "line\n"],
    ],
    "dehop removes the hop-by-hop headers": [
        ["add", "Connection", "close"],
        ["add", "Keep-Alive", "timeout=5"],
        ["add", "TE", "trailers"],
        ["add", "X-Stays", "1"],
        ["dehop"],
    ],
    "parse a block, multi-line values, leftovers": [
        ["parse", "Content-Type: application/json\r\nX-Foo: 1\r\n  continued\r\nx-foo:2\r\n"],
        ["parse", "Set-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\nbody starts"],
    ],
    "parse stops at the line-size limit": [
        ["max_line_size", 20],
        ["parse", "X-Short: 1\r\nX-Long: 01234567890123456789\r\n\r\n"],
    ],
    "parse stops at the line-count limit": [
        ["max_lines", 2],
        ["parse", "A: 1\r\nB: 2\r\nC: 3\r\n\r\n"],
    ],
    "an unfinished line over the limit": [["max_line_size", 10], ["parse", "X-Unfinished-Line: still going"]],
    "parse in pieces": [["parse", "X-Foo: "], ["parse", "1\r\nX-Ba"], ["parse", "r: 2\r\n\r\n"]],
}


def run_steps(steps: list) -> tuple[Headers, list[str]]:
    """Our spelling of each Perl step: the same method names, attributes for the two limits."""
    headers, died = Headers(), []
    for name, *args in steps:
        try:
            if name in ("max_line_size", "max_lines"):
                setattr(headers, name, args[0])
            else:
                getattr(headers, name)(*args)
        except HeaderError as exc:
            died.append(str(exc))
    return headers, died


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_headers_print_as_mojo_headers_print(mojo, scenario: str) -> None:
    steps = SCENARIOS[scenario]
    headers, died = run_steps(steps)
    ours = {
        "to_string": headers.to_string(),
        "names": headers.names(),
        "to_hash": headers.to_hash(),
        "to_hash_multi": headers.to_hash(multi=True),
        "header": {name: headers.header(name) for name in ASKED},
        "every_header": {name: headers.every_header(name) for name in ASKED},
        "is_finished": int(headers.is_finished()),
        "is_limit_exceeded": int(headers.is_limit_exceeded()),
        "leftovers": headers.leftovers(),
        "died": died,
    }
    assert ours == mojo.call("MojoSurface::headers_after", steps, ASKED)


def test_every_name_mojo_knows_has_an_accessor(mojo) -> None:
    subs = mojo.eval(
        "no strict 'refs'; [sort grep { defined &{\"Mojo::Headers::$_\"} } keys %Mojo::Headers::]"
    )
    methods = {
        "add",
        "append",
        "clone",
        "dehop",
        "every_header",
        "from_hash",
        "header",
        "is_finished",
        "is_limit_exceeded",
        "leftovers",
        "links",
        "max_line_size",
        "max_lines",
        "names",
        "parse",
        "referer",
        "referrer",
        "remove",
        "to_hash",
        "to_string",
        "new",
        "has",
        "attr",
        "tap",
        "with_roles",
        "croak",
        "header_params",
        "monkey_patch",
        "import",
        "BEGIN",
    }
    accessors = sorted(set(subs) - methods)
    assert accessors == sorted(name.lower().replace("-", "_") for name in KNOWN_NAMES)
    steps = [[name.lower().replace("-", "_"), f"v-{name}"] for name in KNOWN_NAMES]
    headers, died = run_steps(steps)
    assert not died
    assert headers.to_string() == mojo.call("MojoSurface::headers_after", steps, [])["to_string"]


def test_python_ways_agree_with_perls() -> None:
    headers = Headers(
        [("content-type", "application/json"), ("X-Request-Id", "req_1"), ("x-request-id", "req_2")]
    )
    assert headers["X-REQUEST-ID"] == headers.header("x-request-id") == "req_1, req_2"
    assert headers.get("x-ratelimit-remaining-requests") is None
    assert headers.header("x-ratelimit-remaining-requests") is None  # Perl's undef, not an exception
    with pytest.raises(KeyError):
        headers["x-ratelimit-remaining-requests"]
    assert "Content-Type" in headers and "nope" not in headers and 42 not in headers
    assert headers.items() == [
        ("Content-Type", "application/json"),
        ("X-Request-Id", "req_1"),
        ("X-Request-Id", "req_2"),
    ]
    assert list(headers) == headers.keys() == ["Content-Type", "X-Request-Id"] and len(headers) == 2
    assert headers.to_dict() == {"Content-Type": "application/json", "X-Request-Id": "req_1, req_2"}
    headers["X-New"] = ["1", "2"]
    del headers["x-request-id"]
    assert headers.every_header("X-New") == ["1", "2"] and "X-Request-Id" not in headers
    with pytest.raises(KeyError):
        del headers["x-request-id"]
    assert Headers({"A": "1", "b": ["2", "3"]}).to_hash(multi=True) == {"A": ["1"], "b": ["2", "3"]}


def test_setters_chain_and_clone_is_independent() -> None:
    headers = Headers().content_type("text/plain").header("X-A", "1").add("X-A", "2")
    copy = headers.clone()
    copy.remove("X-A").content_length(5)
    assert headers.to_hash() == {"Content-Type": "text/plain", "X-A": "1, 2"}
    assert copy.to_hash() == {"Content-Length": "5", "Content-Type": "text/plain"}
    assert headers != copy and headers == headers.clone()


def test_repr_masks_credentials_but_the_values_stay() -> None:
    headers = Headers([("Authorization", "Bearer sk-secret"), ("api-key", "k"), ("X-Other", "shown")])
    assert repr(headers) == "Headers(api-key: ***, Authorization: Bearer ***, X-Other: shown)"
    assert headers.authorization() == "Bearer sk-secret"


def test_an_accessor_used_without_the_call_is_an_error_not_a_wrong_answer() -> None:
    headers = Headers([("Content-Type", "application/json")])
    assert headers.content_type() == "application/json"
    with pytest.raises(TypeError, match=r"Headers\.content_type is a method.*headers\.content_type\(\)"):
        headers.content_type == "application/json"  # noqa: B015 (the comparison itself must raise)
    with pytest.raises(TypeError, match="call it"):
        if headers.location:
            pass
    with pytest.raises(TypeError, match="call it"):
        f"{headers.content_type}"
