"""The two YAML parsers give one result, and it is the one YAML::XS gives Perl.

spec_yaml.py parses with rapidyaml where it is trusted and with PyYAML elsewhere;
a parser is acceptable only if its result is identical: values, their types and
the order of keys. Proven here on OpenAI's spec and on a table of edge-case
scalars read by the real YAML::XS.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from openapi_client_openai.errors import SpecError
from openapi_client_openai.spec_yaml import _REFUSED, _ryml, parse, parse_fast, parse_pyyaml

from .conftest import REPO, require

# Every kind of plain scalar YAML 1.1 (PyYAML) and YAML::XS might type differently,
# in flow and block context, as values and as keys, beside quoted and block forms.
SCALARS = """\
plain: [true, false, True, TRUE, yes, no, on, off, y, n, ~, null, Null, NULL, 0, -0, 00, 017, 1,
  -1, +1, 12, 1_000, 0x1F, 0o17, 0b101, 1.0, 0.10, 3.14, -3.14, .5, 5., 1e3, 1E3, 1e+3, 1.5e-3,
  1.5e300, 1e400, .inf, -.inf, .nan, 2024-01-01, 2024-01-01T00:00:00Z, '12:30', 12:30, 1:20:30,
  9007199254740993, 99999999999999999999, -9223372036854775808, -9223372036854775809,
  18446744073709551615, 18446744073709551616, 0.1, 100, 1e2, 1.5, 2.50, 123abc, 1,000, ., a-b, -x]
block:
  - yes
  - 0x1F
  - 1.0
  - 42
  - -7
  - 2.5
  - null
  -
  - 'quoted 42'
  - "tab\\tand \\u00e9"
  - plain text with: a colon
empty:
quoted: ['12', "true", 'null', "", '1.0', "3.14", 'it''s']
literal: |
  12
  two lines
folded: >
  true
  folded
200: an int key
'201': a quoted key
true: a bool key
null: a null key
1.5: a float key
0x1F: a hex key
"""


def typed(value: Any, perl_keys: bool = False) -> Any:
    """A value with every scalar's type beside it and every mapping's keys in order.

    ``perl_keys`` stringifies keys as Perl does (hash keys are strings: true is 1,
    null is the empty string), for comparing with data that went through Perl.
    """
    if isinstance(value, dict):
        return [(_key(k) if perl_keys else typed(k), typed(v, perl_keys)) for k, v in value.items()]
    if isinstance(value, list):
        return [typed(v, perl_keys) for v in value]
    return (type(value).__name__, value)


def _key(key: Any) -> str:
    if key is None:
        return ""
    if isinstance(key, bool):
        return "1" if key else ""
    return str(key)


def needs_ryml() -> None:
    require(_ryml() is not None, "rapidyaml (ryml) is not installed")


def test_both_parsers_give_identical_data_for_openai_spec(openai_spec_path: Path) -> None:
    needs_ryml()
    text = openai_spec_path.read_text(encoding="utf-8")
    fast = parse_fast(text, quiet=False)
    assert fast is not _REFUSED, "the fast parser must take OpenAI's spec, or it buys nothing"
    slow = parse_pyyaml(text, str(openai_spec_path))
    assert typed(fast) == typed(slow)  # values, types and key order, all the way down
    assert len(fast["paths"]) > 100  # the comparison saw the document, not an empty one


def test_scalar_typing_is_yaml_xs_typing_in_both_parsers(tmp_path: Path, perl_env: dict) -> None:
    needs_ryml()
    path = tmp_path / "scalars.yaml"
    path.write_text(SCALARS, encoding="utf-8")
    perl = subprocess.run(
        [
            "perl",
            "-MYAML::XS",
            "-MMojo::JSON=encode_json",
            "-e",
            'local $YAML::XS::Boolean = "JSON::PP"; print encode_json(YAML::XS::LoadFile(shift))',
            str(path),
        ],
        capture_output=True,
        timeout=60,
        check=True,
        env=perl_env,
    )
    from_perl = json.loads(perl.stdout)
    fast = parse_fast(SCALARS, quiet=False)
    slow = parse_pyyaml(SCALARS, str(path))
    assert fast is not _REFUSED
    assert typed(fast) == typed(slow)
    # Integers past 64 bits are Perl dualvars (a number, NOK, that keeps its text, POK): the
    # validator uses them as numbers, Mojo::JSON writes their text. We keep the number.
    dualvars = {"99999999999999999999", "-9223372036854775809", "18446744073709551616"}
    from_perl["plain"] = [int(v) if v in dualvars else v for v in from_perl["plain"]]
    # Perl's hash has no order: compare by key, values typed exactly (JSON keeps 1 apart from "1").
    assert sorted(typed(slow, perl_keys=True)) == sorted(typed(from_perl, perl_keys=True))
    assert len(from_perl["plain"]) == 63  # every scalar of the table was compared


@pytest.mark.parametrize(
    "text",
    [
        "a: !!str 12\n",  # a tag
        "base: &b {x: 1}\nderived:\n  <<: *b\n  y: 2\n",  # a merge key: PyYAML merges, YAML::XS does not
        "? complex\n: key\n",  # an explicit key
        "---\na: 1\n",  # a document marker
        "a: 1\n---\nb: 2\n",  # two documents
        "%YAML 1.1\n---\na: 1\n",  # a directive
        "a:\tb\n",  # a tab
        "a: 1\r\nb: 2\r\n",  # carriage returns
        "a: x\u0085y\n",  # NEL, a line break to YAML 1.1 only
        "a: *nowhere\n",  # an alias with no anchor
        "&k a: 1\n",  # an anchor on a key
        "a: [1, -, 2]\n",  # what ryml refuses and libyaml reads
    ],
)
def test_what_the_fast_parser_is_not_trusted_with_goes_to_pyyaml(text: str) -> None:
    needs_ryml()
    assert parse_fast(text, quiet=False) is _REFUSED
    try:
        expected: Any = typed(parse_pyyaml(text, "t.yaml"))
    except SpecError as exc:
        expected = str(exc)
    try:
        got: Any = typed(parse(text.encode(), "t.yaml"))
    except SpecError as exc:
        got = str(exc)
    assert got == expected


def test_aliases_are_shared_as_pyyaml_shares_them() -> None:
    needs_ryml()
    text = "a: &list [1, 2]\nb: *list\n"
    fast = parse_fast(text, quiet=False)
    assert typed(fast) == typed(parse_pyyaml(text, "t.yaml"))
    assert fast["a"] is fast["b"]


def test_invalid_yaml_is_one_error_and_the_fast_parser_says_nothing(tmp_path: Path) -> None:
    # ryml writes its own report on file descriptor 2 before it raises; in a process
    # of one thread it is silenced, and the error is PyYAML's, with line and column.
    program = (
        "from openapi_client_openai.spec_yaml import parse\n"
        "from openapi_client_openai.errors import SpecError\n"
        "try:\n"
        "    parse(b'openapi: 3.1.0\\npaths: [1, , 2]\\n', 'bad.yaml')\n"
        "except SpecError as exc:\n"
        "    print(exc)\n"
    )
    child = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=120, cwd=REPO, check=False
    )
    assert child.returncode == 0, child.stderr
    assert child.stderr == ""
    assert child.stdout.startswith("bad.yaml: line 2 column ") and "invalid YAML" in child.stdout


def test_deep_nesting_is_a_spec_error_in_a_child_that_survives() -> None:
    program = (
        "from openapi_client_openai.spec_yaml import parse\n"
        "from openapi_client_openai.errors import SpecError\n"
        "n = 100000\n"
        "for text in ('a: ' + '[' * n + ']' * n, 'a: ' + '{b: ' * n + '1' + '}' * n):\n"
        "    try:\n"
        "        parse(text.encode(), 'deep.yaml')\n"
        "    except SpecError as exc:\n"
        "        print(exc)\n"
    )
    child = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=120, cwd=REPO, check=False
    )
    assert child.returncode == 0, child.stderr
    lines = child.stdout.splitlines()
    assert len(lines) == 2 and all(line.startswith("deep.yaml: ") for line in lines)


@pytest.mark.parametrize(
    "text",
    [
        "a: 1\n",
        "%YAML 1.2\n---\na: 1",
        "a: 1\n---\nb: 2",
        "a: 1\n...\n",
        "? a\n: b",
        "a:\n  ? b\n  : c",
        "  ? x",
        "a: '?'\n",
        "a: -- x\n",
        "a: \x01",
        "a: \x85",
        "a: \x7f",
        "a: \u2028",
        "a: \ufeff",
        "a: \ufffe",
        "a: \xa0b",
        "a: é\n",
        "a: \t1",
        "a: \r\n",
        "a: \U0001f600",
    ],
)
def test_the_quick_plain_subset_check_agrees_with_the_full_pattern(text: str) -> None:
    """The fast pre-check (printable characters, line starts) answers as the one regex did."""
    import re

    from openapi_client_openai import spec_yaml

    expected = re.search(spec_yaml._NOT_PLAIN_SUBSET, text, re.MULTILINE) is None
    assert spec_yaml._plain_subset(text) is expected
