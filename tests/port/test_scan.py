"""port scan over our own Perl programs: every construct found, nothing invented.

The fixtures (tests/port/perl) carry ``#>`` markers saying what each line holds;
the scan must find exactly the marked calls and clients, and the marked idioms.
"""

from __future__ import annotations

import pytest

from openapi_client_openai.spec import load_spec
from perl_compat.port.reader import perl_files, read_files
from perl_compat.port.scan import Inventory, scan, summary

from ..conftest import BUNDLED_SPEC
from .conftest import PERL_DIR
from .markers import markers


@pytest.fixture(scope="module")
def inventory(ppi: dict) -> Inventory:
    files = list(read_files(perl_files([PERL_DIR]), root=PERL_DIR))
    return scan(files, load_spec(BUNDLED_SPEC))


def test_every_marked_call_is_found_and_nothing_else(inventory: Inventory) -> None:
    expected = {m.where: m for m in markers("call")}
    found = {site.where: site for site in inventory.calls}
    assert sorted(found) == sorted(expected)
    for where, marker in expected.items():
        site = found[where]
        name, flags = marker.words[0], set(marker.words[1:])
        if name == "dynamic":
            assert site.form == "dynamic" and site.name is None, where
        else:
            assert (site.operation_id or site.name) == name, where
        assert site.promise == ("promise" in flags), where
        assert (site.callback is not None) == ("callback" in flags), where
        assert site.literal == ("literal" in flags), where
        assert site.traced == ("untraced" not in flags), where


def test_every_marked_client_is_found(inventory: Inventory) -> None:
    expected = {m.where: m.words for m in markers("client")}
    found = {f"{c.file}:{c.line}": (c.cls, c.kept_in) for c in inventory.clients}
    assert found == {where: (words[0], words[1]) for where, words in expected.items()}


def test_every_marked_idiom_is_found_where_it_is(inventory: Inventory) -> None:
    used = {(place, idiom.perl) for idiom, places in inventory.idioms().values() for place in places}
    for marker in markers("idiom"):
        assert (marker.where, marker.words[0]) in used, marker


def test_code_after_end_in_data_and_in_pod_is_not_read(inventory: Inventory) -> None:
    app = (PERL_DIR / "app.pl").read_text().splitlines()
    end = app.index("__END__") + 1
    pod = [n for n, text in enumerate(app, 1) if text in ("=pod", "=cut")]
    assert len(pod) == 2
    for site in inventory.calls:
        if site.file == "app.pl":
            assert site.line < end and not pod[0] < site.line < pod[1], site.where
    runs = (PERL_DIR / "lib/Acme/Runs.pm").read_text().splitlines()
    data = runs.index("__DATA__") + 1
    assert all(site.line < data for site in inventory.calls if site.file.endswith("Runs.pm"))


def test_files_without_the_client_and_other_files(inventory: Inventory) -> None:
    names = [parsed.path for parsed in inventory.files]
    assert "plain.pl" in names and "README.txt" not in names
    assert not [site for site in inventory.calls if site.file == "plain.pl"]
    assert all(parsed.error is None for parsed in inventory.files)


def test_call_arguments_are_split_into_params_and_content(inventory: Inventory) -> None:
    (site,) = [s for s in inventory.calls if s.operation_id == "createThreadAndRun"]
    assert site.generators == ["json"]
    assert site.params == {"t": "hash", "items": [], "line": site.line}
    (snake,) = [s for s in inventory.calls if s.written == "list_runs"]
    assert snake.operation_id == "listRuns" and snake.form == "method"
    (by_call,) = [s for s in inventory.calls if s.operation_id == "getRunStep" and s.file == "app.pl"]
    assert by_call.form == "call" and by_call.written == "call"


def test_an_operation_missing_from_the_spec_has_a_closest_one(inventory: Inventory) -> None:
    (site,) = [s for s in inventory.calls if s.name == "createEdit"]
    assert not site.in_spec
    assert site.closest in inventory.spec.operations and site.closest.startswith("create")


def test_the_summary_adds_up(inventory: Inventory) -> None:
    figures = summary(inventory)
    calls = markers("call")
    assert figures["call_sites"] == len(calls)
    assert figures["call_sites_dynamic"] == sum(1 for m in calls if m.words[0] == "dynamic")
    assert figures["call_sites_literal"] == sum(1 for m in calls if "literal" in m.words)
    assert figures["clients_created"] == len(markers("client"))
    assert figures["operations_not_in_spec"] == ["createEdit"]
    named = {m.words[0] for m in calls if m.words[0] != "dynamic"}
    assert figures["operations"] == len(named)
    assert figures["files_scanned"] == 4 and figures["files_using_openai"] == 3


def test_the_same_code_against_openai_s_spec(ppi: dict, openai_spec_path) -> None:
    files = list(read_files(perl_files([PERL_DIR / "app.pl"]), root=PERL_DIR))
    found = scan(files, load_spec(openai_spec_path))
    (site,) = [s for s in found.calls if s.name == "createEdit"]
    assert not site.in_spec  # OpenAI retired it: the Python port must move to another operation
    assert {s.operation_id for s in found.calls if s.form != "dynamic"} >= {"getRun", "listRuns", "createRun"}
