"""Request building checked against Mojolicious itself: URLs, query strings, form and multipart bodies."""

from __future__ import annotations

import json
import re
import subprocess

from openapi_client_openai.message import Headers
from openapi_client_openai.perl_data import perlify
from openapi_client_openai.request import GENERATORS, URL, encode_pairs, form_generator

BASES = [
    "http://h/v1",
    "http://h/v1/",
    "http://h",
    "http://h/",
    "http://h:8080/a%20b/v1?x=1&limit=3",
    "https://H.example/v1",
]
SEGMENTS = ["threads", "a/b c", "100%", "é☃", "~!$&'()*+,;=:@", "?#[]"]
QUERY = [["limit", [None, 5, "a b", "&=+~", "é", True, False, 1.0, 0.5]], ["x", ["y"]]]


def perl(perl_env: dict, code: str, payload: object) -> object:
    out = subprocess.run(
        [
            "perl",
            "-MMojo::Base=-strict",
            "-MMojo::URL",
            "-MMojo::JSON=encode_json,decode_json",
            "-MMojo::UserAgent",
            "-e",
            code,
        ],
        input=json.dumps(payload).encode(),
        capture_output=True,
        timeout=60,
        check=True,
        env=perl_env,
    )
    return json.loads(out.stdout)


def test_urls_are_built_as_mojo_url_builds_them(perl_env: dict) -> None:
    code = r"""
    my $in = decode_json(join '', <STDIN>); my @out;
    for my $base (@{$in->{bases}}) {
      my $url = Mojo::URL->new($base);
      push @{$url->path}, @{$in->{segments}};
      $url->query->param($_->[0] => $_->[1]) for @{$in->{query}};
      push @out, "$url";
      my $plain = Mojo::URL->new($base); push @{$plain->path}, 'x'; push @out, "$plain";
    }
    print encode_json(\@out);
    """
    expected = perl(perl_env, code, {"bases": BASES, "segments": SEGMENTS, "query": QUERY})
    ours = []
    for base in BASES:
        url = URL(base)
        url.path.parts += SEGMENTS
        for name, values in QUERY:
            url.query.param(name, perlify(values))
        ours.append(str(url))
        plain = URL(base)
        plain.path.append("x")
        ours.append(str(plain))
    assert ours == expected


def test_form_bodies_and_query_merges_as_mojo_transactor(perl_env: dict) -> None:
    form = {"b": ["1", "2"], "a b": "c~d é", "skip": None, "n": 1.5}
    code = r"""
    my $form = decode_json(join '', <STDIN>); my $t = Mojo::UserAgent->new->transactor;
    my $post = $t->tx(POST => 'http://h/v1/x' => form => $form);
    my $get = $t->tx(GET => 'http://h/v1/x?b=0&keep=1' => form => $form);
    print encode_json([$post->req->body, $post->req->headers->content_type, $get->req->url->to_string]);
    """
    body, content_type, get_url = perl(perl_env, code, form)
    headers = Headers()
    assert form_generator(perlify(form), "POST", URL("http://h/v1/x"), headers).decode() == body
    assert headers.content_type() == content_type
    url = URL("http://h/v1/x?b=0&keep=1")
    assert form_generator(perlify(form), "GET", url, Headers()) == b""
    assert str(url) == get_url


def test_multipart_bodies_as_mojo_transactor(perl_env: dict, tmp_path) -> None:
    upload = tmp_path / 'we"ird é.txt'
    upload.write_bytes(b"line\r\n\x00\xff")
    form = {
        "purpose": "fine-tune",
        "file": {"file": str(upload)},
        "many": ["a", "b"],
        "custom": {"content": "x", "Content-Type": "text/plain", "filename": "c.txt"},
    }
    parts = ["plain", {"content": "two", "X-Header": "1", "Content-Type": "text/x"}]
    code = r"""
    my $in = decode_json(join '', <STDIN>); my $t = Mojo::UserAgent->new->transactor;
    my @out;
    for my $tx ($t->tx(POST => 'http://h/' => form => $in->{form}),
                $t->tx(POST => 'http://h/' => multipart => $in->{parts})) {
      my $body = ''; my $offset = 0;
      while (defined(my $chunk = $tx->req->content->get_body_chunk($offset))) {
        last unless length $chunk; $body .= $chunk; $offset += length $chunk;
      }
      push @out, [$tx->req->headers->content_type, unpack('H*', $body)];
    }
    print encode_json(\@out);
    """
    expected = perl(perl_env, code, {"form": form, "parts": parts})
    for generator, value, (content_type, hex_body) in zip(("form", "multipart"), (form, parts), expected):
        headers = Headers()
        body = GENERATORS[generator](perlify(value), "POST", URL("http://h/"), headers)
        ours_boundary = headers.content_type().split("boundary=")[1]
        perl_boundary = content_type.split("boundary=")[1]
        assert headers.content_type().replace(ours_boundary, "B") == content_type.replace(perl_boundary, "B")
        assert body.replace(ours_boundary.encode(), b"B") == bytes.fromhex(hex_body).replace(
            perl_boundary.encode(), b"B"
        )


def test_pairs_escape_like_mojo_parameters(perl_env: dict) -> None:
    pairs = [["a b", "c+d"], ["é", "~*-._"], ["x", "/?#&="]]
    code = (
        "use Mojo::Parameters; my $p = Mojo::Parameters->new(map {@$_} @{decode_json(join '', <STDIN>)});"
        "print encode_json([$p->to_string]);"
    )
    (expected,) = perl(perl_env, code, pairs)
    assert encode_pairs([tuple(p) for p in pairs]) == expected
    assert re.fullmatch(r"[A-Za-z0-9%+*._=&-]*", expected)
