"""Porting corpus: the user agent, its events and streaming (sources: corpus.py).

Written as a porter would write them, each checks the effect (a timeout that
fires, a header that arrives), not merely that the spelling exists.
"""

from __future__ import annotations

import pytest

from openapi_client_openai import Client, OpenAI
from openapi_client_openai.mock import MockServer

from ..conftest import BUNDLED_SPEC

CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hello!"}]}


def test_ua_inactivity_timeout(api_key: str, slow_url: str) -> None:
    """Perl: ``$client->ua->inactivity_timeout( 60 * 10 );`` before a long call.

    From: nferraz/perl-openapi-client-openai examples/transcribe-audio.pl; cosmaname/aisubtitles.
    """
    client = OpenAI(BUNDLED_SPEC, base_url=slow_url)
    client.ua.inactivity_timeout = 0.5
    assert client.ua.inactivity_timeout == 0.5
    tx = client.getRun({"thread_id": "t", "run_id": "r"})  # the server waits 3 s before answering
    assert tx.error == {"message": "Inactivity timeout"}


def test_ua_attributes_loop(openai: OpenAI) -> None:
    """Perl: ``$self->_client->ua->$_($ua{$_}) for keys %ua;`` (connect_timeout, inactivity_timeout,
    max_response_size from the command line).

    From: jhthorsen/openapi-client lib/Mojolicious/Command/openapi.pm.
    """
    for name, value in {"connect_timeout": 3, "inactivity_timeout": 4, "max_response_size": 100}.items():
        setattr(openai.ua, name, value)
    tx = openai.createChatCompletion({"body": CHAT})  # its answer is over 100 bytes
    assert tx.error == {"message": "Maximum message size exceeded"}


def test_ua_start_event_header(runs: Client, runs_mock: MockServer) -> None:
    """Perl: ``$self->ua->on(start => sub { $_[1]->req->headers->header('Api-Key' => $key) })``.

    From: nferraz/perl-openapi-client-pinecone lib/OpenAPI/Client/Pinecone.pm;
    UCLOrengoGroup/genome3d-openapi-client.
    """
    runs.ua.on("start", lambda ua, tx: tx.req.headers.header("Api-Key", "k-1"))
    runs.getRun({"thread_id": "t", "run_id": "r"})
    (captured,) = runs_mock.wait_for(1)
    assert captured.header("Api-Key") == "k-1"


def test_ua_unsubscribe_start(runs: Client, runs_mock: MockServer) -> None:
    """Perl: ``$ua->unsubscribe('start');`` then a new ``$ua->on(start => ...)`` adding the new token.

    From: UCLOrengoGroup/genome3d-openapi-client lib/Genome3D/Api/Client.pm.
    """
    runs.ua.on("start", lambda ua, tx: tx.req.headers.header("Authorization", "Bearer old"))
    runs.ua.unsubscribe("start")
    runs.ua.on("start", lambda ua, tx: tx.req.headers.header("Authorization", "Bearer new"))
    runs.getRun({"thread_id": "t", "run_id": "r"})
    (captured,) = runs_mock.wait_for(1)
    assert captured.header("Authorization") == "Bearer new"


def test_ua_transactor_name(runs: Client, runs_mock: MockServer) -> None:
    """Perl: ``$self->ua->transactor->name('LenderXDemo');`` (the User-Agent header).

    From: iamb/lenderxdemo lib/LenderXDemo/Client.pm.
    """
    runs.ua.transactor.name = "LenderXDemo"
    runs.getRun({"thread_id": "t", "run_id": "r"})
    (captured,) = runs_mock.wait_for(1)
    assert captured.header("User-Agent") == "LenderXDemo"


def test_ua_proxy_detect(runs_mock: MockServer, monkeypatch: pytest.MonkeyPatch, closed_url: str) -> None:
    """Perl: ``$self->ua->proxy->detect;`` (HTTP_PROXY and friends are used only after this).

    From: iamb/lenderxdemo lib/LenderXDemo/Client.pm;
    jhthorsen/openapi-client lib/Mojolicious/Command/openapi.pm.
    """
    monkeypatch.setenv("HTTP_PROXY", runs_mock.url)
    monkeypatch.setenv("NO_PROXY", "")
    client = Client(BUNDLED_SPEC, base_url=closed_url)  # nothing listens there: only the proxy answers
    client.ua.proxy.detect()
    client.getRun({"thread_id": "t", "run_id": "r"})
    (captured,) = runs_mock.wait_for(1)
    assert captured.target == f"{closed_url}/threads/t/runs/r"  # absolute-form: it came through a proxy


def test_ua_raw_requests(runs: Client, runs_mock: MockServer) -> None:
    """Perl: ``$self->ua->post($url, form => {grant_type => 'client_credentials'})``,
    ``$client->ua->delete($url, {Authorization => ...})``, each a transaction.

    From: iamb/lenderxdemo (Client.pm, Controller/Demo.pm); UCLOrengoGroup/genome3d-openapi-client.
    """
    tx = runs.ua.post(f"{runs_mock.base_url}/threads/t/runs/r", form={"grant_type": "client_credentials"})
    assert tx.res.code == 200
    gone = runs.ua.delete(f"{runs_mock.base_url}/threads/t/runs/r", {"Authorization": "Bearer x"})
    assert gone.res.code == 405 and gone.result.is_error
    first, second = runs_mock.wait_for(2)
    assert first.body == b"grant_type=client_credentials" and second.header("Authorization") == "Bearer x"


def test_ua_post_json(openai_mock: MockServer) -> None:
    """Perl: ``Mojo::UserAgent->new->post($url => {Authorization => "Bearer $key"} => json => {...})``.

    From: chu-shen/LANraragi lib/LANraragi/Plugin/Metadata/TranslateTitleByAI.pm.
    """
    from openapi_client_openai.useragent import UserAgent  # DESIGN.md's Mojo::UserAgent

    tx = UserAgent().post(
        f"{openai_mock.base_url}/chat/completions",
        {"Authorization": "Bearer k"},
        json={**CHAT, "stream": False},
    )
    assert tx.error is None and tx.res.json()["choices"][0]["message"]["content"]


def test_ua_post_p_then_catch(openai_mock: MockServer, closed_url: str) -> None:
    """Perl: ``$ua->post_p($endpoint => \\%headers => json => $payload)->then(sub {...})->catch(sub {...})``.

    From: Getty/langertha-skeid examples/skeid-parallel-smoke.pl.
    """
    from openapi_client_openai.useragent import UserAgent

    ua, done, failed = UserAgent(), [], []
    ua.post_p(
        f"{openai_mock.base_url}/chat/completions", {"Content-Type": "application/json"}, json=CHAT
    ).then(lambda tx: done.append(tx.res.code)).catch(failed.append).wait(30)
    ua.post_p(f"{closed_url}/chat/completions", json=CHAT).then(done.append).catch(failed.append).wait(30)
    assert done == [200] and failed == ["Connection refused"]


def test_streaming_read_event(openai: OpenAI) -> None:
    """Perl: ``$tx->res->content->unsubscribe('read')->on(read => sub { $body .= $_[1] })``.

    From: Getty/langertha-skeid t/23-proxy-stream.t.
    """
    chunks: list[bytes] = []
    openai.ua.on(
        "start", lambda ua, tx: tx.res.content.unsubscribe("read").on("read", lambda c, b: chunks.append(b))
    )
    tx = openai.createChatCompletion({"body": {**CHAT, "stream": True}})
    assert b"".join(chunks).startswith(b"data: ") and tx.res.code == 200


def test_content_on_body(runs: Client) -> None:
    """Perl: ``$ua->on(start => sub { $tx->res->content->on(body => sub { warn _header($tx->res) }) })``.

    From: jhthorsen/openapi-client lib/Mojolicious/Command/openapi.pm (--verbose).
    """
    seen: list[int] = []
    runs.ua.on("start", lambda ua, tx: tx.res.content.on("body", lambda content: seen.append(tx.res.code)))
    runs.getRun({"thread_id": "t", "run_id": "r"})
    assert seen == [200]
