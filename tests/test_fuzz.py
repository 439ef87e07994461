"""Bad input, fuzzed over every operation of OpenAI's spec: sent, refused locally, or a clear error.

For each of the 170 operations Hypothesis draws params and content (the spec's own
example, mutated examples, wrong types, deep nesting, huge strings, non-UTF-8
bytes, NaN and infinities, lone surrogates, cyclic structures, sets, datetimes and
other non-JSON objects) and calls the client against the capturing mock server.
Exactly one of these must happen, as DESIGN.md promises:

* the input is valid: the request is sent, and the mock captured those very bytes;
* the input is invalid: the unsent local 400 with Perl's error list, nothing captured;
* a value cannot go on the wire (a cycle, a non-JSON type, nesting beyond Perl's
  512 levels): ``EncodeError`` (a ``TypeError``) whose ``field`` points at it;
* a content keyword the client does not know: ``TypeError`` naming it; a content
  value of the wrong shape: ``TypeError`` naming the generator; an upload that
  cannot be read: the client's "cannot read upload file" error.

Anything else escaping is a bug. The caller's data must come back untouched.
``FUZZ_EXAMPLES`` (default 3400, about 20 per operation) sets the total number of
inputs; tox passes ``FUZZ_*`` through. Runs are derandomized and keep no database.
"""

from __future__ import annotations

import collections
import enum
import math
import os
import pathlib
import re
from collections.abc import Iterator
from typing import Any, NamedTuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openapi_client_openai import EncodeError, OpenAI, PromiseRejected, Transaction
from openapi_client_openai.examples import build_example, request_example
from openapi_client_openai.mock import MockServer
from openapi_client_openai.operations import Operation
from openapi_client_openai.perl_data import MAX_DEPTH, perl_str

from .conftest import BUNDLED_SPEC, TEST_KEY

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES") or 3400)
pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")
CONTENT_NAMES = ("body", "file_upload", "form", "json", "multipart")
UNKNOWN_CONTENT = ("bogus", "params", "headers")
SHAPE_ERRORS = {  # the content generators' TypeErrors for a value of the wrong shape
    "body": "a raw body (content 'body') must be str or bytes",
    "file_upload": "file_upload expects a mapping",
    "form": "form expects a mapping",
    "multipart": "multipart expects a list of parts",
}
NO_CAPTURE_CODES = (414, 431)  # http.server refuses these before the mock sees the request
LINE_LIMIT = 65_536  # http.server's longest request line; past it, it may hang up mid-send
WAIT = 30.0  # seconds a promise may take against the loopback mock


# -- values --------------------------------------------------------------------------------


class Colour(enum.IntEnum):
    RED = 1


class Label(str):
    """A str subclass: the client sends it as its text."""


class Point(NamedTuple):
    x: Any
    y: Any


class Opaque:
    """An object JSON cannot carry."""

    def __repr__(self) -> str:
        return "Opaque()"


SURROGATES = st.integers(0xD800, 0xDFFF).map(chr)
NAUGHTY = st.sampled_from(  # strings that mean something to some layer on the way
    [
        "",
        " ",
        "0",
        "-0",
        "1e999",
        "0x1F",
        "true",
        "null",
        "NaN",
        "-Infinity",
        "\x00",
        "a\x00b",
        "\ud800",
        "a\r\nX-Injected: 1",
        "\n",
        "..",
        ".",
        "/",
        "a/b",
        "%2F",
        "%",
        "?#&=+;",
        "{run_id}",
        "~0~1",
        "\\",
        '"',
        "\ufeff",
        "\u202e",
        "\U0001f600",
        "é",
        "\x7f",
        "HASH(0x1)",
        "x" * 300,
    ]
)
TEXT = st.text(st.characters(exclude_categories=()) | SURROGATES, max_size=12) | NAUGHTY
HUGE_CHARS = st.sampled_from(["x", "é", "\x00", "\ud800", "/", "\U0001f600"])
HUGE = st.builds(lambda char: char * 70_000, HUGE_CHARS)  # past http.server's 64 KiB lines
HUGE_BODY = st.builds(lambda char: char * 1_000_000, HUGE_CHARS)  # for bodies: URLs cost per char
EXTREMES = st.sampled_from(
    [2**63 - 1, 2**63, 2**64 - 1, 2**64, -(2**63), -(2**63) - 1, 10**100, -(10**100), 0, -1]
)
SPECIAL_FLOATS = st.sampled_from(
    [math.nan, -math.nan, math.inf, -math.inf, -0.0, 5e-324, 1.7976931348623157e308, 0.1]
)
NUMBERS = st.integers() | EXTREMES | st.floats() | SPECIAL_FLOATS
ACCEPTED_EXOTICS = st.one_of(  # not plain JSON types, but subclasses the client sends as their base
    st.just(Colour.RED),
    st.builds(Label, TEXT),
    st.builds(bytearray, st.binary(max_size=8)),
)
LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    NUMBERS,
    TEXT,
    st.binary(max_size=12),  # non-UTF-8 bytes: a Perl byte string
    ACCEPTED_EXOTICS,
)
NON_JSON = st.one_of(
    st.builds(set, st.lists(st.integers(), max_size=3)),
    st.builds(frozenset, st.lists(TEXT, max_size=3)),
    st.datetimes(),
    st.dates(),
    st.decimals(allow_nan=True),
    st.complex_numbers(),
    st.builds(Opaque),
    st.builds(object),
    st.just(Ellipsis),
    st.uuids(),
    st.builds(pathlib.PurePosixPath, TEXT),
    st.builds(memoryview, st.binary(max_size=4)),
    st.just(print),
    st.builds(range, st.integers(0, 3)),
)
KEYS = TEXT | st.integers() | st.sampled_from([None, True, 1.5, "~/", "a/b~c"])


def containers(children: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(KEYS, children, max_size=4),
        st.builds(Point, children, children),
        st.builds(collections.OrderedDict, st.dictionaries(TEXT, children, max_size=2)),
    )


PLAIN = st.recursive(LEAVES, containers, max_leaves=10)
TAINTED = st.recursive(LEAVES | NON_JSON, containers, max_leaves=10)


def nest(depth: int, leaf: Any, kind: str) -> Any:
    value = leaf
    for _ in range(depth):
        value = [value] if kind == "list" else {"a": value}
    return value


def cycle(inner: Any, kind: str, depth: int) -> Any:
    """A structure that contains itself ``depth`` levels down."""
    top: Any = [inner] if kind == "list" else {"inner": inner}
    holder = top
    for _ in range(depth):
        child: Any = [] if kind == "list" else {}
        if kind == "list":
            holder.append(child)
        else:
            holder["next"] = child
        holder = child
    if kind == "list":
        holder.append(top)
    else:
        holder["loop"] = top
    return top


DEEP = st.builds(
    nest,
    st.sampled_from([MAX_DEPTH - 2, MAX_DEPTH - 1, MAX_DEPTH, MAX_DEPTH + 1, 700]) | st.integers(1, 600),
    LEAVES,
    st.sampled_from(["list", "dict"]),
)
CYCLIC = st.builds(cycle, PLAIN, st.sampled_from(["list", "dict"]), st.integers(0, 3))
# Mostly encodable values, so most calls reach validation and the wire; one in three cannot go.
JUNK = st.sampled_from([PLAIN] * 6 + [TAINTED, HUGE, DEEP, CYCLIC]).flatmap(lambda strategy: strategy)


# -- what the client must accept or refuse --------------------------------------------------


def _plain_type(value: Any) -> bool:
    if value is None or isinstance(value, (str, bool, int, float, bytes, bytearray)):
        return True
    return isinstance(value, (dict, list, tuple))


def poisoned(value: Any) -> bool:
    """True when the client cannot encode ``value``: a cycle, a non-JSON type or too deep."""
    stack: list[tuple[Any, int, bool]] = [(value, 0, True)]
    path: set[int] = set()  # ids of the containers above the node being looked at
    while stack:
        node, level, entering = stack.pop()
        if not entering:
            path.discard(id(node))
            continue
        if not _plain_type(node):
            return True
        if isinstance(node, (dict, list, tuple)):
            if level >= MAX_DEPTH or id(node) in path:
                return True
            path.add(id(node))
            stack.append((node, level, False))
            items = node.values() if isinstance(node, dict) else node
            stack.extend((item, level + 1, True) for item in items)
    return False


def nodes_at(root: Any, tokens: list[str]) -> Iterator[tuple[Any, list]]:
    """Every node a field path may name (keys are matched by their Perl string form)."""
    stack = [(root, 0, [root])]
    while stack:
        node, index, trail = stack.pop()
        if index == len(tokens):
            yield node, trail
            continue
        token = tokens[index]
        if isinstance(node, dict):
            for key, item in node.items():
                if perl_str(key).replace("~", "~0").replace("/", "~1") == token:
                    stack.append((item, index + 1, [*trail, item]))
        elif isinstance(node, (list, tuple)) and token.isdigit() and int(token) < len(node):
            stack.append((node[int(token)], index + 1, [*trail, node[int(token)]]))


def names_poison(field: str, params: dict, content: dict) -> bool:
    """``field`` names a value that cannot be encoded, in the params or the content."""
    tokens = field.split("/")[1:] if field.startswith("/") else []
    for root, skip in ((params, 0), (content, 1)):
        for node, trail in nodes_at(root, tokens):
            containers_above = trail[skip:-1]
            depth = len(tokens) - skip
            if not _plain_type(node):
                return True
            if isinstance(node, (dict, list, tuple)):
                if depth >= MAX_DEPTH or any(node is a for a in containers_above):
                    return True
    return False


def url_too_long(params: dict, content: dict) -> bool:
    """Some value that goes into the URL (a param, a GET form) is longer than http.server reads."""
    stack = [v for k, v in params.items() if k != "body"] + [content.get("form")]
    while stack:
        node = stack.pop()
        if isinstance(node, (str, bytes, bytearray)) and len(node) >= LINE_LIMIT // 6:
            return True  # escaping may grow a character to 12 bytes
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, (list, tuple)):
            stack.extend(node)
    return False


def upload_paths_in(content: dict) -> list[str]:
    """The file paths the content asks to upload, as the client reads them (Perl strings)."""
    found = []
    uploads = content.get("file_upload")
    if isinstance(uploads, dict):
        found.append(uploads.get("file"))
    form = content.get("form")
    for value in form.values() if isinstance(form, dict) else []:
        values = value if isinstance(value, list) else [value]
        found += [v.get("file") for v in values if isinstance(v, dict)]
    parts = content.get("multipart")
    found += [part.get("file") for part in parts if isinstance(part, dict)] if isinstance(parts, list) else []
    return [upload_name(path) for path in found if path is not None]


def upload_name(path: Any) -> str:
    """A pattern for the path as the client names it: a container is Perl's HASH(0x...)."""
    if isinstance(path, (dict, list, tuple)):
        return r"(?:HASH|ARRAY)\(0x[0-9a-f]+\)"
    text = path.decode("latin-1") if isinstance(path, (bytes, bytearray)) else perl_str(path)
    return re.escape(text)


class Case(NamedTuple):
    params: dict
    content: dict
    promised: bool


class Tally:
    """What the fuzzer saw, for the printed summary."""

    def __init__(self) -> None:
        self.tried = 0
        self.outcomes: collections.Counter = collections.Counter()
        self.operations: set[str] = set()


# -- inputs for one operation ----------------------------------------------------------------


@st.composite
def mutated(draw: st.DrawFn, value: Any) -> Any:
    """The spec's example with one place changed: replaced, dropped or given a stranger."""
    if isinstance(value, dict) and value and draw(st.booleans()):
        key = draw(st.sampled_from(sorted(value)))
        return {**value, key: draw(mutated(value[key]))}
    if isinstance(value, list) and value and draw(st.booleans()):
        index = draw(st.integers(0, len(value) - 1))
        copy = list(value)
        copy[index] = draw(mutated(value[index]))
        return copy
    action = draw(st.sampled_from(["junk", "drop", "add", "keep"]))
    if action == "junk":
        return draw(JUNK)
    if action == "drop" and isinstance(value, dict) and value:
        key = draw(st.sampled_from(sorted(value)))
        return {k: v for k, v in value.items() if k != key}
    if action == "add" and isinstance(value, dict):
        return {**value, draw(TEXT): draw(JUNK)}
    return value


def upload_paths(real_file: str, directory: str) -> st.SearchStrategy:
    return st.one_of(
        st.just(real_file),
        st.just(real_file),
        st.just(directory),
        st.just(os.path.join(directory, "no-such-file")),
        TEXT,
        JUNK,
    )


def content_strategy(example: Any, real_file: str, directory: str) -> st.SearchStrategy:
    paths = upload_paths(real_file, directory)
    fields = st.dictionaries(TEXT, JUNK | st.fixed_dictionaries({"file": paths}), max_size=3)
    values = {
        "body": st.one_of(TEXT, st.binary(max_size=64), HUGE_BODY, JUNK),
        "file_upload": st.one_of(
            st.builds(lambda path: {**example, "file": path}, paths)
            if isinstance(example, dict)
            else st.fixed_dictionaries({"file": paths}, optional={"purpose": JUNK}),
            mutated({"file": real_file, **(example if isinstance(example, dict) else {})}),
            JUNK,
        ),
        "form": fields | JUNK,
        "json": st.one_of(st.just(example), mutated(example), JUNK, st.lists(HUGE_BODY, max_size=1)),
        "multipart": st.lists(JUNK | st.fixed_dictionaries({"file": paths}), max_size=3) | JUNK,
    }
    names = st.sampled_from(CONTENT_NAMES) | st.sampled_from(UNKNOWN_CONTENT)
    one = names.flatmap(lambda name: st.tuples(st.just(name), values.get(name, JUNK)))
    return st.one_of(
        st.just({}),
        st.just({}),
        st.lists(one, max_size=2).map(dict),
    )


def cases(client: OpenAI, operation: Operation, real_file: str, directory: str) -> st.SearchStrategy:
    """Calls of three kinds: the spec's example, the example with one fault, and chaos."""
    spec = client.spec
    body_example = request_example(spec, operation) if operation.request_body is not None else None
    media = (operation.request_body or {}).get("content") or {}
    multipart = "multipart/form-data" in media
    examples: dict[str, Any] = {}
    required: set[str] = set()
    for param in operation.parameters:
        example = build_example(spec, param.get("schema") or {})
        examples[param["name"]] = "abc123" if example is None else example
        if param.get("required"):
            required.add(param["name"])
    if body_example is not None and not multipart:
        examples["body"] = body_example
        required.add("body")
    chaos_content = content_strategy(body_example, real_file, directory)

    @st.composite
    def draw_case(draw: st.DrawFn) -> Case:
        mode = draw(st.sampled_from(["example", "fault", "fault", "fault", "fault", "chaos", "chaos"]))
        params = {name: value for name, value in examples.items() if name in required or draw(st.booleans())}
        content: dict = {}
        if multipart and isinstance(body_example, dict):
            content["file_upload"] = {**body_example, "file": real_file}
        if mode == "fault":
            places = [*examples, "a stranger", "content"]
            place = draw(st.sampled_from(places))
            if place == "a stranger":
                params[draw(TEXT)] = draw(JUNK)  # undeclared params are dropped, whatever they hold
            elif place == "content":
                content = draw(chaos_content)
            elif draw(st.integers(0, 4)) == 0:
                params.pop(place, None)
            else:
                params[place] = draw(mutated(examples[place]))
        elif mode == "chaos":
            for name, example in examples.items():
                if draw(st.integers(0, 3)):
                    params[name] = draw(st.one_of(st.just(example), mutated(example), JUNK))
                else:
                    params.pop(name, None)
            params.update(draw(st.dictionaries(TEXT, JUNK, max_size=2)))
            content = draw(chaos_content)
        return Case(params, content, draw(st.integers(0, 4)) == 0)

    return draw_case()


# -- one call, checked ---------------------------------------------------------------------------


def check_call(client: OpenAI, mock: MockServer, op_id: str, case: Case, tally: Tally) -> None:
    """Make one call and check it ended in one of the allowed ways."""
    params, content = case.params, case.content
    before = (repr(params), repr(content))
    captured = len(mock.requests)
    try:
        if case.promised:
            tx = client.call_p(op_id, params, **content).wait(WAIT)
        else:
            tx = client.call(op_id, params, **content)
    except EncodeError as exc:
        assert not [n for n in content if n not in CONTENT_NAMES], "unknown content is refused first"
        assert poisoned(params) or any(
            poisoned(v)
            for n, v in content.items()
            if n != "body" or not isinstance(v, (str, bytes, bytearray))
        ), f"EncodeError for encodable input: {exc}"
        assert exc.field and names_poison(exc.field, params, content), (
            f"EncodeError.field {exc.field!r} does not name a value that cannot be encoded"
        )
        assert isinstance(exc, TypeError) and exc.field in str(exc)
        tally.outcomes["EncodeError naming the field"] += 1
    except TypeError as exc:
        unknown = [name for name in content if name not in CONTENT_NAMES]
        if unknown:
            assert any(repr(name) in str(exc) for name in unknown), exc
            tally.outcomes["TypeError: unknown content keyword"] += 1
        else:
            shape = [
                name for name, text in SHAPE_ERRORS.items() if name in content and str(exc).startswith(text)
            ]
            assert shape, f"unexpected TypeError: {exc!r}"
            tally.outcomes["TypeError: content of the wrong shape"] += 1
    except FileNotFoundError as exc:
        paths = upload_paths_in(content)
        assert any(re.search(path, str(exc)) for path in paths), f"{exc!r} names none of {paths!r}"
        tally.outcomes["unreadable upload file, named"] += 1
    except PromiseRejected as exc:  # only when no response came
        assert url_too_long(params, content), f"the promise rejected: {exc.reason!r}"
        tally.outcomes["sent, http.server hung up on a URL over 64 KiB"] += 1
    else:
        assert isinstance(tx, Transaction)
        arrived = mock.requests[captured:]
        if tx.is_sent and tx.res.code is None:
            assert len(str(tx.req.url)) > LINE_LIMIT, f"no response from the loopback mock: {tx.error}"
            assert not arrived and tx.error and "code" not in tx.error
            tally.outcomes["sent, http.server hung up on a URL over 64 KiB"] += 1
        elif tx.is_sent:
            if tx.res.code in NO_CAPTURE_CODES and not arrived:
                tally.outcomes[f"sent, refused by http.server ({tx.res.code})"] += 1
            else:
                assert len(arrived) == 1, f"{len(arrived)} requests captured for one call"
                got = arrived[0]
                target = str(tx.req.url).split("/", 3)[3]
                assert (got.method, got.target, got.body) == (
                    tx.req.method.upper(),
                    "/" + target,
                    tx.req.body,
                )
                assert got.header("Authorization") == f"Bearer {TEST_KEY}"
                tally.outcomes["valid: sent and captured"] += 1
        else:
            assert not arrived, "an invalid call put a request on the wire"
            assert (tx.res.code, tx.res.message) == (400, "Bad Request")
            assert tx.error == {"message": "Invalid input", "code": 400}
            errors = tx.res.json("/errors")
            assert errors and all(
                isinstance(e["message"], str) and e["path"].startswith("/") for e in errors
            ), tx.res.body[:300]
            tally.outcomes["invalid: local 400, nothing sent"] += 1
    assert (repr(params), repr(content)) == before, "the caller's data was changed"


# -- the test ------------------------------------------------------------------------------------


def test_every_operation_survives_arbitrary_input(
    openai_spec, api_key: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Thousands of drawn calls over all 170 operations: only the documented outcomes."""
    directory = tmp_path_factory.mktemp("uploads")
    real_file = directory / "data.jsonl"
    real_file.write_bytes(b'{"prompt": "\xc3\xa9"}\n\xff\xfe')
    operations = list(openai_spec.operations)
    per_operation = max(1, math.ceil(EXAMPLES / len(operations)))
    profile = settings(
        max_examples=per_operation,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
    tally = Tally()
    failures: list[str] = []
    with MockServer(openai_spec) as mock:
        client = OpenAI(openai_spec, base_url=mock.base_url)

        def fuzzer(op_id: str) -> Any:
            strategy = cases(client, openai_spec.operations[op_id], str(real_file), str(directory))

            @profile
            @given(strategy)
            def fuzz(case: Case) -> None:
                tally.tried += 1
                tally.operations.add(op_id)
                check_call(client, mock, op_id, case, tally)
                mock.clear()

            return fuzz

        for op_id in operations:
            try:
                fuzzer(op_id)()
            except Exception as exc:  # collected: one operation's bug must not hide the others'
                for each in getattr(exc, "exceptions", [exc]):  # Hypothesis groups distinct bugs
                    notes = "\n".join(getattr(each, "__notes__", []))
                    failures.append(f"{op_id}: {type(each).__name__}: {str(each)[:500]}\n{notes[:1500]}")
    print(f"\nfuzzed {tally.tried} calls over {len(tally.operations)} operations ({per_operation} each):")
    for outcome, count in tally.outcomes.most_common():
        print(f"  {count:6d}  {outcome}")
    assert not failures, f"{len(failures)} failures, other errors escaped:\n\n" + "\n\n".join(failures)
    assert len(tally.operations) == len(operations)
    assert tally.outcomes["valid: sent and captured"] > tally.tried // 10  # the fuzzer reaches the wire
    assert tally.outcomes["invalid: local 400, nothing sent"] > tally.tried // 10


# -- what the fuzzer found, kept as plain regression tests ----------------------------------------


def test_a_lone_surrogate_in_an_error_message_still_gives_the_local_400(api_key: str) -> None:
    """Found by fuzzing: an unknown body key "\\ud800" is named in the 400's message."""
    client = OpenAI(BUNDLED_SPEC, base_url="http://127.0.0.1:9/v1")
    tx = client.modifyRun(thread_id="t", run_id="r", body={"\ud800": None})
    assert not tx.is_sent and tx.res.code == 400
    assert tx.error == {"message": "Invalid input", "code": 400}
    assert tx.res.json("/errors/0/path") == "/body"


@pytest.mark.parametrize("path", ["a\x00b", "\ud800.jsonl"], ids=["NUL", "lone-surrogate"])
def test_an_upload_path_the_os_cannot_take_is_the_clear_upload_error(api_key: str, path: str) -> None:
    """Found by fuzzing: a path open() refuses with ValueError/UnicodeEncodeError, not OSError."""
    client = OpenAI(BUNDLED_SPEC, base_url="http://127.0.0.1:9/v1")
    with pytest.raises(FileNotFoundError) as caught:
        client.call("cancelRun", {"thread_id": "t", "run_id": "r"}, file_upload={"file": path})
    assert "Can't open file" in str(caught.value) or "cannot read upload file" in str(caught.value)
