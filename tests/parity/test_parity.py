"""Perl parity: every generated case through both clients, one capturing server, compared.

The report (``perl parity: N/M identical (P%)``, counts per kind, each difference,
the exclusions, the jsonschema cross-check and the Perl peer) is printed at the
end of the run (at most a few cases per jsonschema reason) and in full to
``$PARITY_REPORT`` (default: ``parity-report.txt`` in pytest's base temp dir). Set
``PARITY_PERL_MODE=embedded`` to drive libperl in-process instead of the
long-lived ``perl`` driver process.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
import yaml

from openapi_client_openai.spec import load_spec

from ..conftest import TEST_KEY, require
from . import conftest as parity_conftest
from .cases import TEST_BED, Case, Generator
from .crosscheck import Disagreement, Oracle, explain
from .runner import Report, Runner, timed_run

EXCLUSIONS = Path(__file__).with_name("exclusions.yaml")
MIN_CASES = 1500


def load_exclusions() -> dict[str, str]:
    data = yaml.safe_load(EXCLUSIONS.read_text(encoding="utf-8")) or {}
    return {case_id: f"{entry['reason']} ({entry['see']})" for case_id, entry in data.items()}


@pytest.fixture(scope="module")
def generated(openai_spec_path: Path) -> list[Case]:
    return Generator(load_spec(openai_spec_path)).cases()


@pytest.fixture(scope="module")
def report(generated: list[Case], perl_env: dict, tmp_path_factory: pytest.TempPathFactory) -> Report:
    try:
        from openapi_client_openai.mock import MockServer
    except ImportError as exc:
        require(False, f"the capturing server openapi_client_openai.mock is missing: {exc}")
    mode = os.environ.get("PARITY_PERL_MODE", "subprocess")
    files = tmp_path_factory.mktemp("uploads")
    exclusions = load_exclusions()
    with pytest.MonkeyPatch.context() as patch:
        for name, value in perl_env.items():
            if name in ("JSON_VALIDATOR_CACHE_PATH", "MOJO_REACTOR"):
                patch.setenv(name, value)
        patch.setenv("OPENAI_API_KEY", TEST_KEY)
        patch.chdir(files)  # relative upload paths: the same scratch directory for both clients
        with MockServer(TEST_BED) as server:
            runner = Runner(TEST_BED, server, files, mode=mode)
            try:
                results, seconds = timed_run(runner, generated, exclusions)
            finally:
                runner.close()
    started = time.monotonic()
    disagreements = cross_check(generated, results)
    seconds += time.monotonic() - started
    made = Report(results, runner.which, seconds, disagreements)
    full = Path(os.environ.get("PARITY_REPORT") or tmp_path_factory.getbasetemp() / "parity-report.txt")
    full.write_text("\n".join(made.lines()) + "\n", encoding="utf-8")
    parity_conftest.REPORT_LINES[:] = [*made.lines(full=False), f"full report: {full}"]
    return made


def cross_check(generated: list[Case], results: list) -> list[Disagreement]:
    spec = load_spec(TEST_BED)
    oracle = Oracle(spec)
    out = []
    for result in results:
        case = result.case
        op = spec.operations.get(case.op)
        if op is None or result.perl.outcome == "died":
            continue
        perl_valid = result.perl.outcome != "local-400"
        problems = oracle.problems(op, case.params, case.content)
        if perl_valid != (not problems):
            reason, right = explain(case, op, perl_valid, result.perl.errors(), problems)
            detail = problems[0] if problems else "accepted"
            out.append(Disagreement(case.id, perl_valid, not problems, detail, reason, right))
    return out


def test_cases_cover_every_operation(generated: list[Case], openai_spec_path: Path) -> None:
    operations = set(load_spec(openai_spec_path).operations)
    assert len(operations) == 170
    assert operations <= {case.op for case in generated}
    assert len(generated) >= MIN_CASES
    assert len({case.id for case in generated}) == len(generated)


def test_cases_are_deterministic(generated: list[Case], openai_spec_path: Path) -> None:
    again = Generator(load_spec(openai_spec_path)).cases()
    assert [(c.id, c.params, c.content) for c in again] == [(c.id, c.params, c.content) for c in generated]


def test_exclusions_name_existing_cases(generated: list[Case]) -> None:
    ids = {case.id for case in generated}
    stale = sorted(set(load_exclusions()) - ids)
    assert not stale, f"exclusions.yaml names cases that no longer exist: {stale}"


def test_nothing_sent_for_a_local_400(report: Report) -> None:
    sent = [
        f"{r.case.id} ({name})"
        for r in report.results
        for name, side in (("Perl", r.perl), ("Python", r.python))
        if side.outcome == "local-400" and side.wire
    ]
    assert not sent, f"a local 400 still put requests on the wire: {sent[:20]}"


def test_the_perl_side_answered(report: Report) -> None:
    # A suite where Perl only died or only refused would compare nothing useful.
    outcomes = {r.perl.outcome for r in report.results}
    assert {"sent", "local-400"} <= outcomes, outcomes


def test_perl_parity(report: Report) -> None:
    shown = [f"{r.case.id}: {d}" for r in report.differing for d in r.differences]
    assert not report.differing, "\n".join([report.headline(), *shown])
