"""Porting corpus: reading the transaction, its request and its response (sources: corpus.py)."""

from __future__ import annotations

import json

from openapi_client_openai import Client, OpenAI
from openapi_client_openai.message import Response
from openapi_client_openai.mock import MockServer

from ..conftest import BUNDLED_SPEC

CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hello!"}]}


def test_res_json_deref(openai: OpenAI) -> None:
    """Perl: ``$tx->res->json->{choices}[0]{message}{content}`` and ``exists $response->{error}``.

    From: most of the corpus (e.g. cosmaname/aisubtitles aimage.pm, nferraz/babyagi-perl,
    nferraz/perl-openapi-client-openai t/lib/OpenAITests.pm, Getty/langertha-skeid).
    """
    tx = openai.createChatCompletion({"body": CHAT})
    content = tx.res.json()["choices"][0]["message"]["content"]
    assert isinstance(content, str) and content
    assert "error" not in tx.res.json()
    assert tx.res.json("/choices/0/message/content") == content


def test_res_json_pointer(runs: Client) -> None:
    """Perl: ``Mojo::JSON::Pointer->new($tx->res->json)->get($selector)`` (the command's JSON pointer).

    From: jhthorsen/openapi-client lib/Mojolicious/Command/openapi.pm.
    """
    tx = runs.listRuns({"thread_id": "t"})
    assert tx.res.json("/object") == "list" and tx.res.json("/data/0/object") == "thread.run"
    assert tx.res.json("/nope") is None and tx.res.json("") == tx.res.json()


def test_res_json_undef_for_non_json(runs: Client) -> None:
    """Perl: ``my $token = $tx->res->json; die 'invalid token response (no json)' unless $token``.

    From: iamb/lenderxdemo lib/LenderXDemo/Client.pm.
    """
    assert Response(200, "OK", body=b"not json").json() is None
    assert Response(200, "OK", body=b"").json() is None
    assert runs.getRun({"thread_id": "t", "run_id": "r"}).res.json() is not None


def test_res_is_success(openai: OpenAI) -> None:
    """Perl: ``if ($response->res->is_success) { ... } else { die ... }``.

    From: nferraz/perl-openapi-client-openai examples; davorg/git-month-summary; Ovid/ovid.github.com;
    curtispoe.org's chatbot; Getty/langertha-skeid.
    """
    tx = openai.createChatCompletion({"body": CHAT})
    assert tx.res.is_success  # a property: no parentheses in Python
    invalid = openai.createChatCompletion({"body": {"model": "gpt-4o-mini"}})  # messages missing
    assert not invalid.res.is_success and invalid.res.code == 400


def test_res_is_error(runs: Client, runs_mock: MockServer) -> None:
    """Perl: ``die $res->body."\\n" if $res->is_error;``, ``if ($tx->res->is_error) {...}``.

    From: graphql-perl/GraphQL-Plugin-Convert-OpenAPI; UCLOrengoGroup/genome3d-openapi-client.
    """
    assert runs.getRun({"thread_id": "t"}).res.is_error
    assert not runs.getRun({"thread_id": "t", "run_id": "r"}).res.is_error
    runs.base_url.path = "/nowhere/"  # a route the mock does not have: 404 from the server
    missing = runs.getRun({"thread_id": "t", "run_id": "r"})
    assert missing.res.code == 404 and missing.res.is_error and missing.res.json()["error"]


def test_result_is_success_json(openai: OpenAI) -> None:
    """Perl: ``my $result = $response->result; if ($result->is_success) { my $json = $result->json }``.

    From: nferraz/perl-openapi-client-openai examples/translate.pl; cosmaname/aisubtitles.
    """
    result = openai.createCompletion({"body": {"model": "gpt-3.5-turbo-instruct", "prompt": "x"}}).result
    assert result.is_success and result.json()["choices"][0]["text"]


def test_result_is_error_message(runs: Client, runs_mock: MockServer) -> None:
    """Perl: ``die $tx->res->code.' '.$tx->res->message if $tx->result->is_error;``.

    From: iamb/lenderxdemo (Client.pm, Command/subscriptions.pm, Controller/Demo.pm);
    UCLOrengoGroup/genome3d-openapi-client.
    """
    tx = runs.getRun({"thread_id": "t"})
    assert tx.result.is_error and f"{tx.res.code} {tx.res.message}" == "400 Bad Request"
    assert tx.res.json()["errors"][0] == {"message": "Missing property.", "path": "/run_id"}


def test_res_code_default(closed_url: str) -> None:
    """Perl: ``my $code = $tx->res->code // 599;`` (no code when no response came).

    From: Getty/langertha-skeid examples/skeid-parallel-smoke.pl.
    """
    client = Client(BUNDLED_SPEC, base_url=closed_url)
    tx = client.getRun({"thread_id": "t", "run_id": "r"})
    code = tx.res.code if tx.res.code is not None else 599
    assert code == 599 and tx.error == {"message": "Connection refused"}


def test_res_body_decode(runs: Client) -> None:
    """Perl: ``decode_json($tx->res->body)``, ``print $tx->res->body``, ``$res->body // ''``.

    From: UCLOrengoGroup/genome3d-openapi-client; iamb/lenderxdemo; davorg/git-month-summary;
    nferraz/perl-openapi-client-pinecone t/list_collections.t; Getty/langertha-skeid.
    """
    tx = runs.listRuns({"thread_id": "t"})
    assert isinstance(tx.res.body, bytes) and json.loads(tx.res.body) == tx.res.json()
    assert tx.res.text == tx.res.body.decode("utf-8")


def test_res_isa_response(runs: Client) -> None:
    """Perl: ``isa_ok($transaction->res(), 'Mojo::Message::Response')``.

    From: nferraz/perl-openapi-client-pinecone t/list_collections.t.
    """
    assert isinstance(runs.listRuns({"thread_id": "t"}).res, Response)


def test_invalid_input_error(runs: Client) -> None:
    """Perl: ``if ($tx->error and $tx->error->{message} eq 'Invalid input')``, and the errors list.

    From: jhthorsen/openapi-client t/client.t, lib/Mojolicious/Command/openapi.pm; iamb/lenderxdemo.
    """
    tx = runs.getRun({"thread_id": "t"})
    assert tx.error and tx.error["message"] == "Invalid input" and tx.error["code"] == 400
    assert [e["message"] for e in tx.res.json()["errors"]] == ["Missing property."]


def test_invalid_input_method(runs: Client) -> None:
    """Perl: ``is $tx->req->method, 'POST', 'correct method on invalid input'`` (and 'post' when sent).

    From: jhthorsen/openapi-client t/client.t.
    """
    assert runs.cancelRun({"thread_id": "t"}).req.method == "POST"
    assert runs.cancelRun({"thread_id": "t", "run_id": "r"}).req.method == "post"


def test_content_asset_slurp(openai: OpenAI) -> None:
    """Perl: ``decode_json($response->res->content->asset->slurp)``.

    From: nferraz/perl-openapi-client-openai examples/get-embeddings.pl, examples/transcribe-audio.pl;
    cosmaname/aisubtitles atranscribe.pm.
    """
    tx = openai.createEmbedding({"body": {"model": "text-embedding-3-small", "input": "x"}})
    assert json.loads(tx.res.content.asset.slurp()) == tx.res.json()


def test_res_to_string(runs: Client) -> None:
    """Perl: ``croak( $response->res->to_string )`` (status line, headers, body).

    From: nferraz/perl-openapi-client-openai examples/describe-image.pl; Ovid/ovid.github.com;
    curtispoe.org's chatbot.
    """
    tx = runs.getRun({"thread_id": "t"})
    text = tx.res.to_string()
    text = text.decode() if isinstance(text, bytes) else text
    assert text.startswith("HTTP/1.1 400 Bad Request\r\n")
    assert "Content-Type: application/json\r\n" in text and text.endswith(tx.res.body.decode())


def test_res_dump(runs: Client) -> None:
    """Perl: ``die Dumper( $response->res )`` / ``p $res`` to see what came back.

    From: nferraz/perl-openapi-client-openai examples (chat, get-embeddings, transcribe-audio,
    translate); cosmaname/aisubtitles.
    """
    tx = runs.getRun({"thread_id": "t"})
    shown = repr(tx.res)
    assert "400" in shown and "Content-Type" in shown and "Missing property." in shown


def test_build_start_line(runs: Client) -> None:
    """Perl: ``$tx->req->build_start_line, $tx->req->headers->to_string`` (the command's --verbose).

    From: jhthorsen/openapi-client lib/Mojolicious/Command/openapi.pm.
    """
    tx = runs.getRun({"thread_id": "t", "run_id": "r"})
    line = tx.req.build_start_line()
    line = line.decode() if isinstance(line, bytes) else line
    assert line == "GET /v1/threads/t/runs/r HTTP/1.1\r\n"


def test_remote_address(runs: Client) -> None:
    """Perl: ``ok $tx->remote_address, 'server side response'``; ``ok !$tx->remote_address`` for the 400.

    From: jhthorsen/openapi-client t/client.t.
    """
    assert runs.getRun({"thread_id": "t", "run_id": "r"}).remote_address == "127.0.0.1"
    assert runs.getRun({"thread_id": "t"}).remote_address is None


def test_transport_error_code_undef(closed_url: str, api_key: str) -> None:
    """Perl: ``if (my $err = $tx->error) { my $error = "[$err->{code}] $err->{message}"; ... }``.

    From: chu-shen/LANraragi lib/LANraragi/Plugin/Metadata/TranslateTitleByAI.pm.
    """
    tx = OpenAI(BUNDLED_SPEC, base_url=closed_url).getRun({"thread_id": "t", "run_id": "r"})
    err = tx.error
    assert err and err["code"] is None and err["message"] == "Connection refused"
