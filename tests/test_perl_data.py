"""Perl scalar semantics, checked against perl itself (never against values copied from our code)."""

from __future__ import annotations

import json
import subprocess

import pytest

from openapi_client_openai import EncodeError
from openapi_client_openai.perl_data import encode_json, numify, perl_str, perlify

# Values as they arrive in Perl from JSON: what the parity suite and users send.
JSON_VALUES = [
    '{"b":"a/b","a":[1,2.5,-0.0,1.0,1e20,1.5e-7,100.0,12345678901234567890,-9223372036854775808]}',
    '"\\u00e9\\u2028\\u0001\\u001f\\t\\n\\r\\b\\f\\"\\\\/\\u007f \\ud83d\\ude00"',
    '{"t":true,"f":false,"n":null,"e":{},"l":[]}',
    "0.1",
    "3.0",
    "1e15",
    "123456789012345.0",
]
NUMERIC_TEXTS = [
    "5",
    "-0",
    "1.0",
    "1e3",
    "1.5e3",
    "2e0",
    "1e-1",
    "10e-1",
    "1e19",
    "1e20",
    "0.0",
    "-0.0",
    "18446744073709551615",
    "18446744073709551616",
    "-9223372036854775809",
    "5\n",
]


def run_perl(perl_env: dict, code: str, lines: list[str]) -> list[str]:
    result = subprocess.run(
        ["perl", "-CSDA", "-MMojo::JSON=encode_json,decode_json", "-e", code],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env=perl_env,
    )
    return result.stdout.splitlines()


def test_encode_json_writes_what_mojo_json_writes(perl_env: dict) -> None:
    code = 'binmode STDOUT; while (my $l = <STDIN>) { chomp $l; print encode_json(decode_json($l)), "\\n" }'
    perl_out = subprocess.run(
        ["perl", "-MMojo::JSON=encode_json,decode_json", "-e", code],
        input=("\n".join(JSON_VALUES) + "\n").encode(),
        capture_output=True,
        timeout=60,
        check=True,
        env=perl_env,
    ).stdout.split(b"\n")[:-1]
    ours = [encode_json(perlify(json.loads(text))) for text in JSON_VALUES]
    assert ours == perl_out


def test_numify_is_perls_zero_plus(perl_env: dict) -> None:
    code = 'while (my $l = <STDIN>) { chomp $l; $l =~ s/\\\\n/\\n/; print encode_json([0 + $l]), "\\n" }'
    texts = [t.replace("\n", "\\n") for t in NUMERIC_TEXTS]
    perl_out = run_perl(perl_env, code, texts)
    ours = [encode_json([numify(t)]).decode() for t in NUMERIC_TEXTS]
    assert ours == perl_out


def test_perl_str_of_numbers_and_booleans(perl_env: dict) -> None:
    values = [0.1 + 0.2, 1 / 3, 1e21, 1e15, -0.0, 3.0, 2**53 + 1.0, 7, True, False]
    code = 'my $d = decode_json(<STDIN>); print join("\\n", map { "$_" } @$d), "\\n"'
    perl_out = run_perl(perl_env, code, [json.dumps(values)])
    assert [perl_str(v) for v in values] == perl_out


def test_perlify_copies_and_refuses_what_perl_cannot_hold() -> None:
    data = {"a": [1, {"b": b"\xff"}], 2: (1, 2), "big": 2**70}
    copy = perlify(data)
    assert copy == {"a": [1, {"b": "\xff"}], "2": [1, 2], "big": str(2**70)}
    copy["a"].append(3)
    assert data["a"] == [1, {"b": b"\xff"}]
    cyclic: dict = {"x": []}
    cyclic["x"].append(cyclic)
    with pytest.raises(EncodeError, match="cyclic structure") as caught:
        perlify({"body": cyclic})
    assert caught.value.field == "/body/x/0"
    with pytest.raises(EncodeError) as caught:
        perlify({"body": {"when": object()}})
    assert caught.value.field == "/body/when" and isinstance(caught.value, TypeError)
    deep: list = []
    for _ in range(600):
        deep = [deep]
    with pytest.raises(EncodeError, match="deeper than 512"):
        perlify(deep)


def test_json_pointers_read_as_mojo_reads_them(perl_env: dict) -> None:
    from openapi_client_openai.message import json_pointer

    document = {"a": [{"b": 1}, {"b": 2}], "c/d": {"~e": "x"}, "": 3, "n": None}
    pointers = ["/a/0/b", "/a/01/b", "/a/2", "/a/-", "/c~1d/~0e", "/", "/n", "/nope", "a", "/a/x"]
    code = (
        "use Mojo::JSON::Pointer; my ($doc, @p) = @{decode_json(<STDIN>)};"
        "my $p = Mojo::JSON::Pointer->new($doc); print encode_json([map { [$p->get($_)] } @p])"
    )
    (line,) = run_perl(perl_env, code, [json.dumps([document, *pointers])])
    expected = [values[0] if values else None for values in json.loads(line)]
    assert [json_pointer(document, p) for p in pointers] == expected
