"""URL, Path and Parameters against Mojo::URL itself (through the embedded Perl).

Every expected value comes from Perl: tests/perl/MojoSurface.pm reads the same
facts from Mojo::URL in the same order as these tests read them from ours.
"""

from __future__ import annotations

import pytest

from openapi_client_openai.url import URL, Parameters, Path

URLS = [
    "http://h/v1",
    "http://h/v1/",
    "https://api.openai.com/v1",
    "http://127.0.0.1:9/v1/threads/t/runs?limit=5&order=desc",
    "http://u:p@[::1]:3000/a%2Fb/c?x=1+2&y=%C3%A9#fr%20ag",
    "HTTP://Example.COM:8080/A/B?C=D",
    "http://h/a b/é?q=a b&é=1#a b",
    "foo/bar",
    "/abs/path?x",
    "?only=query",
    "#frag",
    "http://h",
    "http:///p",
    "http://b%C3%BCcher.de/x",
    "http://bücher.de/ä",
    "http://xn--bcher-kva.de/",
    "mailto:a@b.c",
    "http://h/%FF%FE/%C3%A9",
    "http://h/a%2Fb%3Bc/d;e",
    "http://@h/",
    "http://0/path",
    "http://h/?",
    "http://h/#",
    "file:///tmp/x y",
    "http://h/a/../b/./c",
    "http://user@h/?a=1&a=2&b&=c&d=",
    "http://h/~user/%7Eother?t=~&s=%7E",
    "",
]


def ours(text: str) -> dict:
    """The same facts, in the same order, as MojoSurface::url_facts reads them."""
    url = URL(text)
    facts = {
        "to_string": url.to_string(),
        "to_unsafe_string": url.to_unsafe_string(),
        "scheme": url.scheme,
        "protocol": url.protocol,
        "userinfo": url.userinfo,
        "username": url.username,
        "password": url.password,
        "host": url.host,
        "ihost": url.ihost(),
        "port": None if url.port is None else str(url.port),  # Perl keeps the digits as text
        "host_port": url.host_port(),
        "fragment": url.fragment,
        "is_abs": int(url.is_abs),
        "path": str(url.path),
        "query": str(url.query),
        "path_query": url.path_query(),
        "query_hash": url.query.to_hash(),
        "query_names": url.query.names(),
    }
    facts["parts"] = list(url.path.parts)
    facts["leading_slash"] = int(url.path.leading_slash)
    facts["trailing_slash"] = int(url.path.trailing_slash)
    facts["path_parsed"] = url.path.to_string()
    facts["to_string_after"] = str(url)
    facts["clone"] = str(url.clone())
    return facts


@pytest.mark.parametrize("text", URLS)
def test_a_url_reads_as_mojo_url_reads_it(mojo, text: str) -> None:
    assert ours(text) == mojo.call("MojoSurface::url_facts", text)


STEPS = [
    ("http://h/v1/", [["path", "threads"]]),
    ("http://h/v1", [["path", "threads"]]),
    ("http://h/v1/", [["path", "/threads"]]),
    ("http://h/v1", [["path", "a/b/"], ["path", "../c"]]),
    ("http://h/base", [["trailing_slash", 1], ["path", "event/subscription/e1"]]),
    ("http://localhost/", [["host", "other.example.com"], ["path", "/test"]]),
    ("http://h/v1", [["push", "a/b c", "100%", "é☃", "?#[]"], ["param", "limit", 5]]),
    ("http://h/v1?x=1&y=2", [["param", "x", ["a", "b"]], ["append", "z", "3"], ["remove", "y"]]),
    ("http://h/v1?b=0&keep=1", [["merge", "b", None, "n", "1.5"]]),
    ("http://h/v1", [["query", {"b": "2", "a": "1"}]]),
    ("http://h/v1?z=9", [["query", ["a", "1", "b", "2"]]]),
    ("http://h/v1?z=9", [["query", "replaced=yes"]]),
    ("http://h/v1", [["host_port", "example.com:8080"]]),
    ("http://h/v1", [["path_query", "/other/p?q=1"]]),
    ("http://h/a/b/../c/./d", [["canonicalize"]]),
    ("http://h", [["scheme", "https"], ["port", 8443], ["fragment", "top of page"]]),
    ("http://h/x", [["userinfo", "me:secret"]]),
    ("http://h/x", [["host", "bücher.de"]]),
    ("http://h/x/", [["leading_slash", 0], ["trailing_slash", 0]]),
    ("http://0", [["path", "x"]]),  # Perl's "0" is false: no "/" goes between host and path
    ("http://h", [["path", "x"]]),
]


def apply(url: URL, steps: list) -> None:
    """Our spelling of each Perl step (MojoSurface::url_after's)."""
    for name, *args in steps:
        if name == "push":
            url.path.parts += args
        elif name in ("trailing_slash", "leading_slash"):
            setattr(url.path, name, bool(args[0]))
        elif name == "canonicalize":
            url.path.canonicalize()
        elif name in ("param", "append", "merge", "remove"):
            getattr(url.query, name)(*args)
        elif name in ("host_port", "path_query"):
            getattr(url, name)(*args)
        else:  # Perl's $url->host('x') is an assignment here
            setattr(url, name, args[0])


@pytest.mark.parametrize(("text", "steps"), STEPS)
def test_a_url_changes_as_mojo_url_changes(mojo, text: str, steps: list) -> None:
    url = URL(text)
    apply(url, steps)
    expected = mojo.call("MojoSurface::url_after", text, steps)
    assert {"to_string": str(url), "path": str(url.path), "query": str(url.query)} == expected


@pytest.mark.parametrize(
    ("text", "base"),
    [
        ("threads/t", "http://h/v1/"),
        ("threads/t", "http://h/v1"),
        ("/abs", "https://u@h:1/v1/x?q=1"),
        ("", "http://h/a/b?q=1"),
        ("?z=1", "http://h/a/b?q=1"),
        ("../up", "http://h/a/b/c"),
        ("//other/p", "https://h/a"),
        ("http://already/abs", "http://h/"),
    ],
)
def test_to_abs_as_mojo(mojo, text: str, base: str) -> None:
    assert str(URL(text).to_abs(URL(base))) == mojo.call("MojoSurface::to_abs", text, base)


def test_a_url_is_a_python_value_too() -> None:
    url = URL("http://h/v1/threads?limit=5")
    assert url == "http://h/v1/threads?limit=5" and str(url) == f"{url}"
    assert url.path == "/v1/threads" and url.path.parts == ["v1", "threads"]
    assert url.query == "limit=5" and url.query.param("limit") == "5" and url.query.param("nope") is None
    assert url.clone() == url and url.clone() is not url
    copy = url.clone()
    copy.path.append("t1")
    copy.query.param("limit", 9)
    assert (str(copy), str(url)) == ("http://h/v1/threads/t1?limit=9", "http://h/v1/threads?limit=5")
    assert {url: 1}[URL("http://h/v1/threads?limit=5")] == 1
    assert repr(url) == "URL('http://h/v1/threads?limit=5')"
    assert repr(url.path) == "Path('/v1/threads')" and list(url.path) == ["v1", "threads"]
    assert url.path[1] == "threads" and len(url.path) == 2


def test_parameters_alone() -> None:
    params = Parameters("a=1&b=2&a=3")
    assert params.every_param("a") == ["1", "3"] and params.param("a") == "3"
    assert params.to_hash() == {"a": ["1", "3"], "b": "2"} and params.names() == ["a", "b"]
    assert params.pairs == ["a", "1", "b", "2", "a", "3"]
    assert str(Parameters("x", "1", "y", ["2", "3"])) == "x=1&y=2&y=3"


def test_a_path_alone() -> None:
    path = Path("/a/b/")
    assert (path.leading_slash, path.parts, path.trailing_slash) == (True, ["a", "b"], True)
    assert path.to_route() == "/a/b/" and path.to_dir() == "/a/b/" and Path("/a/b").to_dir() == "/a/"
    assert Path("/a/b").contains("/a") and not Path("/ab").contains("/a")
    assert Path("a").to_abs_string() == "/a" and not Path("") and Path("/")


def test_a_port_with_leading_zeros_is_a_number_here() -> None:
    """Deviation (docs/differences-from-perl.md): Mojo keeps '0080' as text; the port is an int here."""
    url = URL("http://h:0080/x")
    assert url.port == 80 and str(url) == "http://h:80/x"


def test_a_perl_style_setter_call_fails_loudly() -> None:
    url = URL("http://h/")
    with pytest.raises(TypeError, match="not callable"):
        url.host("other")  # type: ignore[operator]  (Perl's $url->host('other') is url.host = 'other')
    with pytest.raises(TypeError, match=r"URL\.to_string is a method.*url\.to_string\(\)"):
        if url.to_string:  # a bound method is not a string: the mistake is named, not swallowed
            pass
