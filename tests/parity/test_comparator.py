"""The comparator can fail: fed two different captured requests, it names the difference."""

from __future__ import annotations

from dataclasses import replace

import pytest

from openapi_client_openai.message import Headers, Request, Response
from openapi_client_openai.mock import CapturedRequest
from openapi_client_openai.transaction import Transaction
from perl_compat.comparison import Side, Wire, diff_sides

GOOD = CapturedRequest(
    method="POST",
    target="/v1/threads/t/runs?limit=5",
    path="/v1/threads/t/runs",
    query="limit=5",
    headers=(
        ("Authorization", "Bearer k"),
        ("Content-Type", "application/json"),
        ("User-Agent", "Mojo-OpenAPI (Perl)"),
        ("Content-Length", "17"),
    ),
    body=b'{"assistant_id":1}',
    http_version="HTTP/1.1",
)


def sent(captured: CapturedRequest, code: int = 200) -> Side:
    tx = Transaction(Request("POST", "http://x/v1/threads/t/runs"), Response(code, "OK"))
    return Side.of(tx, [captured])


def invalid(errors: list[dict], captured: list | None = None) -> Side:
    tx = Transaction.invalid_input(Request("GET", "http://x/v1/runs/"), errors)
    return Side.of(tx, captured or [])


def fields(perl: Side, python: Side) -> list[str]:
    return [d.field for d in diff_sides(perl, python)]


def test_the_same_request_is_identical() -> None:
    assert diff_sides(sent(GOOD), sent(GOOD)) == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"method": "PUT"}, "method"),
        ({"target": "/v1/threads/t%2F/runs?limit=5"}, "path"),
        ({"target": "/v1/threads/t/runs?limit=05"}, "query"),
        ({"body": b'{"assistant_id":"1"}'}, "body"),
        ({"headers": (("Authorization", "Bearer other"),)}, "headers"),
        ({"headers": (*GOOD.headers, ("OpenAI-Beta", "assistants=v2"))}, "headers"),
    ],
)
def test_each_difference_is_caught(change: dict, field: str) -> None:
    assert fields(sent(GOOD), sent(replace(GOOD, **change))) == [field]


def test_only_the_agreed_headers_and_name_case_are_ignored() -> None:
    other = replace(
        GOOD,
        headers=(
            ("authorization", "Bearer k"),
            ("content-type", "application/json"),
            ("User-Agent", "Mojo-OpenAPI (Python)"),
            ("Accept-Encoding", "gzip"),
            ("Connection", "keep-alive"),
            ("Host", "127.0.0.1:1"),
            ("Date", "today"),
        ),
    )
    assert diff_sides(sent(GOOD), sent(other)) == []
    with_accept = replace(other, headers=(*other.headers, ("Accept", "*/*")))
    assert fields(sent(GOOD), sent(with_accept)) == ["headers"]


def test_a_multipart_boundary_is_normalised_but_nothing_else() -> None:
    def upload(boundary: str, content: bytes) -> CapturedRequest:
        body = f'--{boundary}\r\nContent-Disposition: form-data; name="file"\r\n\r\n'.encode()
        body += content + f"\r\n--{boundary}--\r\n".encode()
        headers = (("Content-Type", f"multipart/form-data; boundary={boundary}"),)
        return replace(GOOD, headers=headers, body=body)

    assert diff_sides(sent(upload("AbC1x", b"data")), sent(upload("zZ9yy", b"data"))) == []
    assert fields(sent(upload("AbC1x", b"data")), sent(upload("zZ9yy", b"DATA"))) == ["body"]


def test_local_400s_compare_the_errors_in_order() -> None:
    first = {"message": "Missing property.", "path": "/run_id"}
    second = {"message": "Expected integer - got string.", "path": "/limit"}
    assert diff_sides(invalid([first, second]), invalid([first, second])) == []
    differences = diff_sides(invalid([first, second]), invalid([second, first]))
    assert [d.field for d in differences] == ["errors[0]"]
    assert differences[0].perl == first and differences[0].python == second


def test_a_local_400_that_sent_something_is_reported() -> None:
    errors = [{"message": "Missing property.", "path": "/run_id"}]
    assert fields(invalid(errors), invalid(errors, [GOOD])) == ["sent-while-invalid"]


def test_sent_against_invalid_is_an_outcome_difference() -> None:
    errors = [{"message": "Missing property.", "path": "/run_id"}]
    assert fields(sent(GOOD), invalid(errors)) == ["outcome"]


def test_deaths_compare_messages_without_perls_location() -> None:
    perl = Side.of(None, [], "[OpenAPI::Client] No such operationId at /x/Driver.pm line 113.\n")
    python = Side.of(None, [], "[OpenAPI::Client] No such operationId")
    assert diff_sides(perl, python) == []
    assert fields(perl, Side.of(None, [], "No such operation")) == ["died"]


def test_perl_reference_addresses_are_the_only_normalised_values() -> None:
    one = replace(GOOD, target="/v1/x?m=HASH%280x55d0aa%29")
    two = replace(GOOD, target="/v1/x?m=HASH%280x7f3b11%29")
    assert diff_sides(sent(one), sent(two)) == []
    assert fields(sent(one), sent(replace(GOOD, target="/v1/x?m=ARRAY%280x7f3b11%29"))) == ["query"]


def test_without_captures_the_transactions_requests_are_compared() -> None:
    def built(body: bytes) -> Side:
        req = Request("post", "http://h:1/v1/a?b=c", Headers([("Content-Type", "application/json")]), body)
        return Side(None, Transaction(req, Response(None), {"message": "Connection refused"}))

    assert diff_sides(built(b"{}"), built(b"{}")) == []
    assert fields(built(b"{}"), built(b"[]")) == ["body"]
    assert Wire.from_request(built(b"").tx.req).method == "POST"
