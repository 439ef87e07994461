"""Porting corpus: making the client and calling operations (sources: corpus.py).

Each test states the Perl idiom in its docstring and checks the Python line a
porter writes for it, against loopback mocks of OpenAI's API (its whole spec) or
of the runs subset.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from openapi_client_openai import Client, IOLoop, NoSuchOperation, OpenAI
from openapi_client_openai.mock import MockServer
from openapi_client_openai.spec import load_spec
from openapi_client_openai.transaction import Transaction

from ..conftest import BUNDLED_SPEC

CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hello!"}], "temperature": 0.5}


def test_construct_default(api_key: str, openai_spec_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Perl: ``my $client = OpenAPI::Client::OpenAI->new;`` (the spec found, the key from the environment).

    From: nferraz/perl-openapi-client-openai examples/*.pl, t/lib/OpenAITests.pm; cosmaname/aisubtitles;
    davorg/git-month-summary; nferraz/babyagi-perl; Ovid/ovid.github.com; curtispoe.org's chatbot.
    """
    monkeypatch.setenv("OPENAI_OPENAPI_SPEC", str(openai_spec_path))
    client = OpenAI()
    assert str(client.base_url) == "https://api.openai.com/v1"
    assert callable(client.createChatCompletion) and callable(client.createTranscription)
    monkeypatch.delenv("OPENAI_API_KEY")
    with pytest.raises(Exception, match="OPENAI_API_KEY environment variable must be set"):
        OpenAI()


def test_construct_assistants(
    openai_mock: MockServer, api_key: str, openai_spec_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Perl: ``OpenAPI::Client::OpenAI->new(undef, assistants => 1)``.

    From: nferraz/perl-openapi-client-openai t/list_assistants.t.
    """
    monkeypatch.setenv("OPENAI_OPENAPI_SPEC", str(openai_spec_path))
    client = OpenAI(None, assistants=True, base_url=openai_mock.base_url)
    tx = client.listAssistants({"order": "asc"})
    assert tx.res.is_success
    (captured,) = openai_mock.wait_for(1)
    assert captured.header("OpenAI-Beta") == "assistants=v2"


def test_construct_client_from_spec(runs_mock: MockServer) -> None:
    """Perl: ``my $client = OpenAPI::Client->new($spec_url);`` (no OpenAI layer, no key needed).

    From: jhthorsen/openapi-client t/*.t and lib/Mojolicious/Command/openapi.pm;
    UCLOrengoGroup/genome3d-openapi-client; iamb/lenderxdemo.
    """
    client = Client(BUNDLED_SPEC)
    assert isinstance(client, Client) and not isinstance(client, OpenAI)
    client.base_url = runs_mock.base_url
    assert client.getRun({"thread_id": "t", "run_id": "r"}).res.code == 200


def test_construct_client_from_data(runs_mock: MockServer) -> None:
    """Perl: ``OpenAPI::Client->new($schema->data, %args)`` (a parsed document, not a file).

    From: graphql-perl/GraphQL-Plugin-Convert-OpenAPI lib/GraphQL/Plugin/Convert/OpenAPI.pm.
    """
    data = copy.deepcopy(load_spec(BUNDLED_SPEC).data)
    client = Client(data, base_url=runs_mock.base_url)
    assert client.listRuns({"thread_id": "t"}).res.is_success


def test_can_operation(openai: OpenAI) -> None:
    """Perl: ``$client->can($op)`` before calling it; ``die qq(Unknown operationId "$op")`` otherwise.

    From: jhthorsen/openapi-client lib/Mojolicious/Command/openapi.pm.
    """
    assert hasattr(openai, "createChatCompletion") and hasattr(openai, "create_chat_completion")
    assert not hasattr(openai, "noSuchOperation")


def test_unknown_operation_dies(openai: OpenAI) -> None:
    """Perl: ``$api->$operation(\\%params)`` dies "Can't locate object method" for an unknown name.

    From: UCLOrengoGroup/genome3d-openapi-client lib/Genome3D/Api/Client.pm.
    """
    with pytest.raises(AttributeError):
        openai.noSuchOperation({"x": 1})


def test_call_with_body(openai: OpenAI, openai_mock: MockServer) -> None:
    """Perl: ``$client->createChatCompletion({body => {model => ..., messages => [...]}})``.

    From: most of the corpus (nferraz/perl-openapi-client-openai examples, cosmaname/aisubtitles,
    davorg/git-month-summary, Ovid/ovid.github.com, curtispoe.org's chatbot).
    """
    tx = openai.createChatCompletion({"body": CHAT})
    assert tx.res.code == 200
    (captured,) = openai_mock.wait_for(1)
    assert (captured.method, captured.path) == ("POST", "/v1/chat/completions")
    assert captured.body.startswith(b'{"messages":[{"content":"Hello!","role":"user"}],"model":"gpt-4o-mini"')


def test_call_snake_case(openai: OpenAI, openai_mock: MockServer) -> None:
    """Perl: ``$self->openai->create_chat_completion({body => {...}})->res->json`` (0.28's aliases).

    From: nferraz/babyagi-perl lib/BabyAGI.pm; nferraz/perl-openapi-client-pinecone (its own aliases).
    """
    data = openai.create_chat_completion({"body": CHAT}).res.json()
    assert data["choices"][0]["message"]["role"] == "assistant"
    embedding = openai.create_embedding({"body": {"model": "text-embedding-ada-002", "input": "x"}})
    assert isinstance(embedding.res.json()["data"][0]["embedding"], list)


def test_call_dynamic_name(openai: OpenAI) -> None:
    """Perl: ``my $tx = $openai->$method({ body => $params });`` with the name in a variable.

    From: nferraz/perl-openapi-client-openai t/lib/OpenAITests.pm, t/list_assistants.t.
    """
    method = "createChatCompletion"
    tx = getattr(openai, method)({"body": CHAT})
    assert tx.res.json()["choices"][0]["message"]["content"]


def test_call_by_name(runs: Client, openai: OpenAI) -> None:
    """Perl: ``$client->call($op => \\%parameters, json => $data)``; ``call('list pets', {page => 2})``.

    From: jhthorsen/openapi-client lib/Mojolicious/Command/openapi.pm, t/client.t.
    """
    tx = runs.call("listRuns", {"thread_id": "t", "limit": 2})
    assert tx.res.code == 200 and str(tx.req.url).endswith("/threads/t/runs?limit=2")
    chat = openai.call("createChatCompletion", {}, json=CHAT)
    assert chat.res.is_success and chat.req.headers.content_type() == "application/json"


def test_call_unknown_by_name(runs: Client) -> None:
    """Perl: ``eval { $client->call('nope') }; like $@, qr{No such operationId}``.

    From: jhthorsen/openapi-client t/client.t.
    """
    with pytest.raises(NoSuchOperation, match=r"\[OpenAPI::Client\] No such operationId"):
        runs.call("nope")


def test_call_p_then(runs: Client) -> None:
    """Perl: ``$client->call_p($op => \\%args)->then(sub { my $res = shift->res; ... }, sub { ... })``.

    From: graphql-perl/GraphQL-Plugin-Convert-OpenAPI; jhthorsen/openapi-client t/client.t.
    """
    results, errors = [], []
    promise = runs.call_p("getRun", {"thread_id": "t", "run_id": "r"})
    promise.then(lambda tx: results.append(tx.res.json()["id"]), errors.append).wait(30)
    assert len(results) == 1 and errors == []


def test_call_p_unknown_rejects(runs: Client) -> None:
    """Perl: ``$client->call_p('list all pets')`` rejects with "No such operationId".

    From: jhthorsen/openapi-client t/client.t.
    """
    reasons: list = []
    runs.call_p("listAllPets", {}).then(None, reasons.append).wait(10)
    assert reasons == ["[OpenAPI::Client] No such operationId"]  # a NoSuchOperation, equal to it
    with pytest.raises(NoSuchOperation):
        runs.call_p("listAllPets").wait(10)


def test_promise_wait(runs: Client) -> None:
    """Perl: ``my $p = $client->addUser_p({...})->then(sub { $tx = shift }); $p->wait;``.

    From: jhthorsen/openapi-client t/path-templating.t, t/json-request.t, t/client.t.
    """
    got: list[Transaction] = []
    runs.getRun_p({"thread_id": "t", "run_id": "r"}).then(got.append).wait(30)
    assert got[0].res.json()["object"] == "thread.run"
    invalid = runs.getRun_p({"thread_id": "t"}).wait(30)  # the local 400 resolves, as in Perl
    assert invalid.res.code == 400 and invalid.error == {"message": "Invalid input", "code": 400}


def test_callback_form(runs: Client) -> None:
    """Perl: ``is $client->listPetsByType(sub { ($obj, $tx) = @_; ... }), $client``.

    From: jhthorsen/openapi-client t/client.t.
    """
    seen: list = []

    def callback(client: Client, tx: Transaction) -> None:
        seen.append((client, tx.res.code))

    assert runs.getRun({"thread_id": "t"}, callback) is runs
    IOLoop.start()  # Perl: Mojo::IOLoop->start unless Mojo::IOLoop->is_running
    assert seen == [(runs, 400)]


def test_no_argument_call(openai: OpenAI, runs: Client) -> None:
    """Perl: ``$client->list_collections()``, ``$c->app->client->list_events`` with no arguments.

    From: nferraz/perl-openapi-client-pinecone t/list_collections.t; iamb/lenderxdemo.
    """
    assert openai.listModels().res.json()["object"] == "list"
    assert openai.list_models().res.is_success
    assert runs.listRuns().res.code == 400  # a required parameter missing: the local 400, as in Perl


def test_empty_params_with_content(openai: OpenAI, openai_mock: MockServer) -> None:
    """Perl: ``$client->manage_events({} => json => {...})`` (an empty params hash, then content).

    From: iamb/lenderxdemo lib/LenderXDemo/Command/subscriptions.pm, lib/LenderXDemo/Controller/Demo.pm.
    """
    tx = openai.createModeration({}, json={"input": "hello"})
    assert tx.res.is_success
    (captured,) = openai_mock.wait_for(1)
    assert captured.body == b'{"input":"hello"}'


def test_file_upload(openai: OpenAI, openai_mock: MockServer, tmp_path: Path) -> None:
    """Perl: ``$client->createTranscription({}, file_upload => {file => $file, model => 'whisper-1'})``.

    From: nferraz/perl-openapi-client-openai examples/transcribe-audio.pl;
    cosmaname/aisubtitles atranscribe.pm.
    """
    audio = tmp_path / "speech.mp3"
    audio.write_bytes(b"ID3\x03\x00fake mp3 bytes")
    tx = openai.createTranscription(
        {}, file_upload={"file": str(audio), "model": "whisper-1", "language": "en"}
    )
    assert tx.res.is_success and tx.res.json()["text"]
    (captured,) = openai_mock.wait_for(1)
    assert b'filename="speech.mp3"' in captured.body and b"fake mp3 bytes" in captured.body
    assert captured.header("Content-Type").startswith("multipart/form-data; boundary=")


def test_after_build_tx_header(runs: Client, runs_mock: MockServer) -> None:
    """Perl: ``$self->on(after_build_tx => sub { my ($c, $tx) = @_;
    $tx->req->headers->header(Authorization => "$type $token") })``.

    From: iamb/lenderxdemo lib/LenderXDemo/Client.pm.
    """
    runs.on("after_build_tx", lambda client, tx: tx.req.headers.header("Authorization", "Bearer t0k"))
    runs.getRun({"thread_id": "t", "run_id": "r"})
    (captured,) = runs_mock.wait_for(1)
    assert captured.header("Authorization") == "Bearer t0k"
