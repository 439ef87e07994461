"""port translate over our own Perl programs.

Three checks against Perl itself: the literal arguments read by PPI are what Perl
evaluates them to; the Python written for each literal call site runs and puts on
the wire exactly what Perl's client sends for the same call; and each construct
has the spelling the porting guide gives it.
"""

from __future__ import annotations

import ast
import json
import subprocess
import textwrap
from types import SimpleNamespace

import pytest

from openapi_client_openai import IOLoop, OpenAI
from openapi_client_openai.mock import MockServer
from openapi_client_openai.spec import load_spec
from perl_compat.bridge import PerlClient
from perl_compat.comparison import Wire
from perl_compat.port.parity import call_arguments
from perl_compat.port.reader import perl_files, read_files
from perl_compat.port.scan import Inventory, scan
from perl_compat.port.translate import Translation, translate_file

from ..conftest import BUNDLED_SPEC
from .conftest import PERL_DIR
from .markers import markers

RUNS = "lib/Acme/Runs.pm"


@pytest.fixture(scope="module")
def inventory(ppi: dict) -> Inventory:
    return scan(list(read_files(perl_files([PERL_DIR]), root=PERL_DIR)), load_spec(BUNDLED_SPEC))


@pytest.fixture(scope="module")
def translations(inventory: Inventory) -> dict[str, Translation]:
    out = {}
    for parsed in inventory.files:
        for t in translate_file(inventory, parsed):
            out.setdefault(f"{t.file}:{t.line}", t)
    return out


def python_of(translations: dict[str, Translation], where: str) -> str:
    return translations[where].python


# -- what Perl makes of the literals ------------------------------------------------------------

# A client that records its first method call as JSON and answers every other call
# with itself, so any chain on the result runs; the statement itself is the fixture's.
RECORDER = r"""
use strict; use warnings; use utf8;
use Mojo::JSON qw(true false);
package Recorder {
  our $FIRST;
  sub new { bless {}, shift }
  our $AUTOLOAD;
  sub AUTOLOAD { my $self = shift; (my $name = $AUTOLOAD) =~ s/.*:://;
    $FIRST //= Mojo::JSON::encode_json([$name, @_]); return $self }
  sub DESTROY {}
}
my $client = Recorder->new;
"""


def perl_arguments(statement: str, perl_env: dict) -> list:
    code = RECORDER + statement + "\nbinmode STDOUT; print $Recorder::FIRST;\n"
    done = subprocess.run(["perl", "-e", code], capture_output=True, timeout=60, env=perl_env, check=True)
    return json.loads(done.stdout)


def test_literal_arguments_are_what_perl_evaluates(inventory: Inventory, perl_env: dict) -> None:
    app = {parsed.path: parsed for parsed in inventory.files}["app.pl"]
    checked = 0
    for site in inventory.calls:
        if site.file != "app.pl" or not site.literal or not site.receiver == "$client":
            continue
        first, last = site.statement_lines
        perl = perl_arguments(app.source(first, last), perl_env)
        params, content = call_arguments(site)
        ours = [site.written, *([site.name] if site.form == "call" else [])]
        ours += [params] if site.params is not None else []
        for name, value in content.items():
            ours += [name, value]
        if site.callback is not None:
            ours.append(None)  # a code reference: Mojo::JSON writes it as null
        assert perl == ours, site.where
        checked += 1
    assert checked >= 10


# -- the Python runs and sends what Perl sends ---------------------------------------------------


def expected_runnable() -> set[str]:
    spec = load_spec(BUNDLED_SPEC).operations
    return {
        m.where
        for m in markers("call")
        if "literal" in m.words
        and not {"subs", "callback", "untraced"} & set(m.words)
        and spec.lookup(m.words[0]) is not None
    }


def test_the_literal_call_sites_are_the_runnable_ones(translations: dict[str, Translation]) -> None:
    runnable = {where for where, t in translations.items() if t.runnable}
    assert runnable == expected_runnable()


def run_python(code: str, base_url: str) -> None:
    client = OpenAI(BUNDLED_SPEC, base_url=base_url)
    self = SimpleNamespace(legacy=client, _client=client, openai=client, spec=BUNDLED_SPEC)
    body = f"def site(client, self):\n{textwrap.indent(code, '    ')}\n"
    names: dict = {}
    exec(compile(body, "<translation>", "exec"), names)
    names["site"](client, self)
    IOLoop.start()  # a promise's request goes when the loop runs (Perl: the $promise->wait after it)


def test_runnable_python_sends_what_perl_sends(
    inventory: Inventory, translations: dict[str, Translation], perl_env: dict, api_key: str
) -> None:
    sent = 0
    with MockServer(BUNDLED_SPEC) as server:
        perl = PerlClient(BUNDLED_SPEC, server.base_url, mode="subprocess")
        for where, translation in sorted(translations.items()):
            if not translation.runnable:
                continue
            site = translation.site
            server.clear()
            run_python(translation.python, server.base_url)
            python_wire = [Wire.from_captured(c) for c in server.wait_for(1, timeout=10)]
            server.clear()
            params, content = call_arguments(site)
            perl.call(site.operation_id, params, **content)
            perl_wire = [Wire.from_captured(c) for c in server.wait_for(1, timeout=10)]
            assert python_wire == perl_wire, where
            sent += len(perl_wire)
        perl.close()
    assert sent >= len(expected_runnable())


def test_every_translation_is_python(translations: dict[str, Translation]) -> None:
    for where, translation in translations.items():
        ast.parse(f"def site():\n{textwrap.indent(translation.python, '    ')}\n", where)


# -- spellings -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("where", "python"),
    [
        ("app.pl:10", "client = OpenAI(None, assistants=1)"),
        ("app.pl:11", "client.ua.inactivity_timeout = 600"),
        ("app.pl:12", "client.base_url.host = '127.0.0.1'"),
        ("app.pl:15", "tx = client.getRun(thread_id='thread_abc123', run_id='run_abc123')"),
        ("app.pl:16", "tx.res.json('/id')"),
        ("app.pl:18", "status = tx.res.code"),
        (
            "app.pl:21",
            "first = client.list_runs(thread_id='thread_abc123', limit=2, order='desc')"
            ".res.json()['data'][0]['id']",
        ),
        (
            "app.pl:65",
            "client.modifyRun(thread_id=thread, run_id=f'run_{n}', body={'metadata': {'user': f'user {n}'}})",
        ),
        (
            "app.pl:66",
            "client.listRunSteps({'thread_id': thread, 'run_id': 'run_abc123', 'include[]': steps})",
        ),
        ("app.pl:67", "client.listRuns({**defaults, 'limit': 1})"),
        (
            "app.pl:74",
            "promise = client.call_p('listRunSteps', {'thread_id': 'thread_abc123', 'run_id': 'run_abc123'})",
        ),
        ("app.pl:75", "promise.wait()"),
        ("app.pl:78", "client.call('cancelRun', {'thread_id': 'thread_abc123', 'run_id': 'run_abc123'})"),
        ("app.pl:87", "getattr(client, op)({'thread_id': 'thread_abc123', 'run_id': 'run_abc123'})"),
        ("app.pl:88", "client.call(op, {'thread_id': 'thread_abc123', 'run_id': 'run_abc123'})"),
        ("app.pl:92", "client.createThreadAndRun({}, json={'assistant_id': 'asst_abc123', 'stream': False})"),
        ("app.pl:94", "error = client.cancelRun(thread_id='thread_abc123', run_id='run_abc123').error"),
        (f"{RUNS}:11", "OpenAI()"),
        (
            f"{RUNS}:17",
            "if self.openai is None:\n    self.openai = Client(self.spec, base_url='http://127.0.0.1:3000/v1')",
        ),
        (f"{RUNS}:24", "return self._client.listRuns(thread_id=thread, limit=1).res.json('/data/0')"),
        (f"{RUNS}:29", "tx = self.openai.cancelRun({**args})"),
        (f"{RUNS}:31", "return tx.result.json()"),
        (f"{RUNS}:41", "return self._client.getRun(*args)"),
    ],
)
def test_spelling(translations: dict[str, Translation], where: str, python: str) -> None:
    assert python_of(translations, where) == python


def test_nested_data_heredocs_and_booleans(translations: dict[str, Translation]) -> None:
    code = python_of(translations, "app.pl:25")
    assert code.startswith("run = client.createRun(\n    {\n")  # 'include[]' is no identifier: the dict form
    params = ast.literal_eval(code[len("run = client.createRun(") : code.rindex(")")].strip().rstrip(","))
    body = params["body"]
    assert body["instructions"] == (
        "Answer in one line; $nothing is interpolated here.\n  Keep the indentation beyond the margin.\n"
    )
    assert body["additional_instructions"] == "Be kind: \u263a\tand brief.\n"
    assert (body["stream"], body["parallel_tool_calls"], body["response_format"]) == (False, True, None)
    assert body["max_prompt_tokens"] == 1000 and body["temperature"] == 0.5
    assert params["include[]"] == ["step_details.tool_calls[*].file_search.results[*].content"]


def test_what_cannot_be_translated_is_said_at_its_line(translations: dict[str, Translation]) -> None:
    def notes(where: str) -> str:
        return "\n".join(translations[where].notes)

    assert not any("not supported" in note for note in translations["app.pl:11"].notes)  # the ua's, now
    assert "line 17: $tx->res->dom is not supported" in notes("app.pl:17")
    assert "line 16: only the call chain is translated" in notes("app.pl:16")
    assert "line 71: the sub {...} (lines 71-71) is left to you: write it as def callback_71(tx)" in notes(
        "app.pl:70"
    )
    assert "def callback_80(c, tx)" in notes("app.pl:80")
    assert "line 87: the operation is chosen at run time by $op" in notes("app.pl:87")
    assert "line 93: createEdit is not an operation of the spec in use; closest: " in notes("app.pl:93")
    assert "t/passed_in.t:10" in translations and "is taken to be a client" in notes("t/passed_in.t:10")
    assert "uses the result of the call at line 15" in notes("app.pl:18")
    assert not translations["app.pl:15"].notes
