"""The fault-conformance suite: each scenario through Perl, our blocking path and our
non-blocking path, compared field by field (harness.py); the table is scenarios.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from .harness import OURS, PATHS, differences, run
from .scenarios import SCENARIOS, docs_parts

RELIABILITY = Path(__file__).resolve().parents[2] / "docs" / "reliability.md"
DIFFERENCES = Path(__file__).resolve().parents[2] / "docs" / "differences-from-perl.md"


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[scenario.name for scenario in SCENARIOS])
def test_same_result_as_perl(scenario, warmed, certs, api_key) -> None:
    results = run(scenario, certs)
    crashed = {path: results[path].crashed for path in PATHS if results[path].crashed}
    assert not crashed, crashed
    perl = results["perl"]
    if scenario.perl_does is not None:
        scenario.perl_does(perl)  # the fault did happen, and Perl did what Mojo's sources say
    problems = differences(scenario, perl, results["perl-nonblocking"])  # Mojo's two forms agree
    for path in OURS:
        ours = results[path]
        deviation = scenario.deviation(path)
        problems += differences(scenario, perl, ours, deviation.fields if deviation else ())
        if deviation is not None:
            deviation.ours(ours)
            assert differences(scenario, perl, ours), f"{path} now gives Perl's result: drop the deviation"
    assert not problems, "\n".join(problems)


def test_the_names_are_unique() -> None:
    names = [scenario.name for scenario in SCENARIOS]
    assert len(names) == len(set(names))


def test_docs_carry_the_table() -> None:
    """docs/reliability.md has a row per scenario with its verdicts as they are
    (``python -m tests.faults.scenarios CERT KEY OTHER_CERT OTHER_KEY`` prints the table)."""
    lines = RELIABILITY.read_text(encoding="utf-8").splitlines()
    missing = []
    for scenario in SCENARIOS:
        before, after = docs_parts(scenario)
        if not any(line.startswith(before) and line.endswith(after) for line in lines):
            missing.append(scenario.name)
    assert not missing, missing


def test_every_deviation_is_in_the_differences_page() -> None:
    text = DIFFERENCES.read_text(encoding="utf-8")
    missing = [
        scenario.name for scenario in SCENARIOS if scenario.differs and f"`{scenario.name}`" not in text
    ]
    assert not missing, missing
