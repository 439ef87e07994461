"""Porting corpus: headers, URLs and the spec the client reads (sources: corpus.py)."""

from __future__ import annotations

from openapi_client_openai import Client, OpenAI
from openapi_client_openai.mock import MockServer
from openapi_client_openai.url import URL

from ..conftest import BUNDLED_SPEC

CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hello!"}]}


def test_ratelimit_headers(openai: OpenAI) -> None:
    """Perl: ``$result->headers->header('x-ratelimit-remaining-requests')`` (undef when not sent).

    From: nferraz/perl-openapi-client-openai examples/translate.pl.
    """
    headers = openai.createChatCompletion({"body": CHAT}).result.headers
    assert headers.header("x-ratelimit-remaining-requests") is None  # the mock sends none: undef
    assert headers.header("Content-Type") == "application/json"


def test_res_header_named(runs: Client) -> None:
    """Perl: ``is($res_headers->header('x-skeid-node'), 'stream-1', ...)`` (a custom response header).

    From: Getty/langertha-skeid t/23-proxy-stream.t.
    """
    headers = runs.getRun({"thread_id": "t", "run_id": "r"}).res.headers
    assert headers.header("x-mock-operation-id") == headers.header("X-Mock-Operation-Id") == "getRun"


def test_req_header_content_type(openai: OpenAI) -> None:
    """Perl: ``like $tx->req->headers->header('Content-Type'), qr{application/json}``.

    From: jhthorsen/openapi-client t/json-request.t.
    """
    tx = openai.createChatCompletion({"body": CHAT})
    assert "application/json" in tx.req.headers.header("Content-Type")


def test_req_headers_to_string(runs: Client, runs_mock: MockServer) -> None:
    """Perl: ``$app->log_trace(... $tx->req->headers->to_string)`` (Mojo's sorted header block).

    Once sent, Mojo has added Host and Content-Length to the request's own headers
    (checked against OpenAPI::Client 1.07 on Mojolicious 9.31).

    From: UCLOrengoGroup/genome3d-openapi-client; jhthorsen/openapi-client lib/Mojolicious/Command/openapi.pm.
    """
    tx = runs.modifyRun({"thread_id": "t", "run_id": "r", "body": {"metadata": {}}})
    assert tx.req.headers.to_string() == (
        "Accept-Encoding: gzip\r\nContent-Length: 15\r\nContent-Type: application/json\r\n"
        f"Host: 127.0.0.1:{runs_mock.port}\r\nUser-Agent: Mojo-OpenAPI (Python)"
    )


def test_req_url_printed(runs: Client, runs_mock: MockServer) -> None:
    """Perl: ``$app->log_debug("REQUEST.URL: " . $tx->req->url)`` (a URL object that prints).

    From: UCLOrengoGroup/genome3d-openapi-client lib/Genome3D/Api/Client.pm.
    """
    tx = runs.getRun({"thread_id": "t 1", "run_id": "r/1"})
    assert f"REQUEST.URL: {tx.req.url}" == f"REQUEST.URL: {runs_mock.base_url}/threads/t%201/runs/r%2F1"
    assert tx.req.url.path == "/v1/threads/t%201/runs/r%2F1" and tx.req.url.path.parts[-1] == "r/1"


def test_req_url_query_param(runs: Client) -> None:
    """Perl: ``is $tx->req->url->query->param('p'), 12``.

    From: jhthorsen/openapi-client t/client.t.
    """
    tx = runs.listRuns({"thread_id": "t", "limit": 12, "order": "asc"})
    assert tx.req.url.query.param("limit") == "12" and tx.req.url.query.param("after") is None
    assert tx.req.url.query.to_hash() == {"limit": "12", "order": "asc"}


def test_base_url_equals_string(runs_mock: MockServer) -> None:
    """Perl: ``is($client->base_url, 'http://localhost/')``; ``"Operations for @{[$client->base_url]}"``.

    From: jhthorsen/openapi-client t/base-url.t, lib/Mojolicious/Command/openapi.pm.
    """
    client = Client(BUNDLED_SPEC)
    assert client.base_url == "https://api.openai.com/v1"
    assert f"--- Operations for {client.base_url}" == "--- Operations for https://api.openai.com/v1"


def test_base_url_isa_url() -> None:
    """Perl: ``isa_ok($client->base_url, 'Mojo::URL')``, also when given as a string.

    From: jhthorsen/openapi-client t/base-url.t.
    """
    assert isinstance(Client(BUNDLED_SPEC, base_url="https://example.com/v1/").base_url, URL)
    assert isinstance(Client(BUNDLED_SPEC).base_url, URL)


def test_base_url_host_port() -> None:
    """Perl: ``$client->base_url->host`` is 'api.example.com', ``->port`` is '3000'.

    From: jhthorsen/openapi-client t/client.t.
    """
    client = Client(BUNDLED_SPEC, base_url="http://api.example.com:3000/v1")
    assert client.base_url.host == "api.example.com" and client.base_url.port == 3000
    assert client.base_url.host_port() == "api.example.com:3000"


def test_base_url_set_host(runs_mock: MockServer) -> None:
    """Perl: ``$api->base_url->host($host) if $host;`` (the client follows the change).

    From: UCLOrengoGroup/genome3d-openapi-client lib/Genome3D/Api/Client.pm.
    """
    client = Client(BUNDLED_SPEC, base_url=runs_mock.base_url.replace("127.0.0.1", "localhost"))
    client.base_url.host = "127.0.0.1"
    tx = client.getRun({"thread_id": "t", "run_id": "r"})
    assert tx.req.url.host == "127.0.0.1" and tx.res.code == 200


def test_base_url_chain_host_path() -> None:
    """Perl: ``$client->base_url->host('other.example.com')->path('/test')``.

    From: jhthorsen/openapi-client t/base-url.t.
    """
    client = Client(BUNDLED_SPEC)
    client.base_url.host = "other.example.com"
    client.base_url.path = "/test"
    assert client.base_url == "https://other.example.com/test"


def test_base_url_clear_host() -> None:
    """Perl: ``$client->base_url->host(undef)->scheme(undef)->port(undef)`` (a path-only base).

    From: jhthorsen/openapi-client t/json-request.t.
    """
    client = Client(BUNDLED_SPEC, base_url="http://h:3000/v1")
    client.base_url.host = client.base_url.scheme = client.base_url.port = None
    assert client.base_url == "/v1"
    assert str(client.getRun({"thread_id": "t"}).req.url) == "/v1/threads/t/runs/"


def test_base_url_replace(runs_mock: MockServer) -> None:
    """Perl: ``$self->base_url( Mojo::URL->new("https://controller.$env.pinecone.io") )``;
    ``new($spec, base_url => Mojo::URL->new('https://example.com/v1/'))``.

    From: nferraz/perl-openapi-client-pinecone; jhthorsen/openapi-client t/base-url.t.
    """
    client = Client(BUNDLED_SPEC, base_url=URL("https://example.com/v1/"))
    assert client.base_url == "https://example.com/v1/"
    client.base_url = URL(runs_mock.base_url)
    assert client.getRun({"thread_id": "t", "run_id": "r"}).res.code == 200


def test_url_clone_trailing_slash_merge() -> None:
    """Perl: ``my $url = $client->base_url->clone; $url->path->trailing_slash(1);
    $url->path("event/subscription/$id");`` (a relative path merged under the base).

    From: iamb/lenderxdemo lib/LenderXDemo/Controller/Demo.pm.
    """
    client = Client(BUNDLED_SPEC, base_url="https://sandbox.example/api/v2")
    url = client.base_url.clone()
    url.path.trailing_slash = True
    url.path = "event/subscription/e-1"
    assert url == "https://sandbox.example/api/v2/event/subscription/e-1"
    assert client.base_url == "https://sandbox.example/api/v2"


def test_url_userinfo() -> None:
    """Perl: ``my $url = $self->auth_url->clone; $url->userinfo($key.':'.$secret);``.

    From: iamb/lenderxdemo lib/LenderXDemo/Client.pm.
    """
    url = URL("https://auth.example/token")
    url.userinfo = "key:se cret"
    assert str(url) == "https://auth.example/token"  # Mojo leaves the credentials out of to_string
    assert url.to_unsafe_string() == "https://key:se%20cret@auth.example/token"
    assert (url.username, url.password) == ("key", "se cret")


def test_validator_routes() -> None:
    """Perl: ``$_->{operation_id} && say $_->{operation_id} for $client->validator->routes->each``.

    From: jhthorsen/openapi-client lib/Mojolicious/Command/openapi.pm; UCLOrengoGroup/genome3d-openapi-client.
    """
    client = Client(BUNDLED_SPEC)
    ids = [route["operation_id"] for route in client.validator.routes() if route["operation_id"]]
    assert sorted(ids) == sorted(client.spec.operations)
    assert {"method": "get", "operation_id": "getRun", "path": "/threads/{thread_id}/runs/{run_id}"} in (
        client.validator.routes()
    )


def test_validator_get_operation() -> None:
    """Perl: ``$op_spec = $schema->get(['paths', @$route{qw(path method)}])``.

    From: jhthorsen/openapi-client lib/Mojolicious/Command/openapi.pm.
    """
    validator = Client(BUNDLED_SPEC).validator
    operation = validator.get(["paths", "/threads/{thread_id}/runs/{run_id}", "get"])
    assert operation["operationId"] == "getRun"
    assert validator.get("/paths/~1threads~1{thread_id}~1runs~1{run_id}/get/operationId") == "getRun"


def test_validator_bundle_data() -> None:
    """Perl: ``$client->validator->bundle->data`` (the whole spec, e.g. to dump or convert it).

    From: graphql-perl/GraphQL-Plugin-Convert-OpenAPI;
    jhthorsen/openapi-client lib/Mojolicious/Command/openapi.pm.
    """
    client = Client(BUNDLED_SPEC)
    data = client.validator.bundle().data
    assert data["openapi"].startswith("3.") and "/threads/{thread_id}/runs" in data["paths"]
