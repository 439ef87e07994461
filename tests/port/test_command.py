"""``openapi-client-openai port ...`` run as users run it, in a subprocess."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from perl_compat.port.idioms import IDIOMS

from ..conftest import BUNDLED_SPEC, JV_CACHE
from .conftest import PERL_DIR
from .markers import markers


def port(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    env["JSON_VALIDATOR_CACHE_PATH"] = str(JV_CACHE)
    return subprocess.run(
        [sys.executable, "-m", "openapi_client_openai", "port", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


def one_line(result: subprocess.CompletedProcess) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


@pytest.fixture(autouse=True)
def _ppi(ppi: dict) -> None:
    """Every command here reads Perl."""


def test_scan_reports_a_summary_first(tmp_path: Path) -> None:
    result = port("scan", str(PERL_DIR), "--spec", str(BUNDLED_SPEC))
    assert result.returncode == 1, result.stderr  # createEdit is not in the spec: attention needed
    lines = result.stdout.splitlines()
    assert lines[0] == f"Port inventory of Perl files under {PERL_DIR}"
    assert lines[3] == "Summary"
    summary = "\n".join(lines[4:12])
    assert f"call sites:   {len(markers('call'))} (" in summary
    assert "1 not: createEdit" in summary
    assert "$tx->res->dom" in summary  # not supported: named in the summary
    assert "  createEdit          NOT IN THE SPEC (closest: " in result.stdout
    assert "  app.pl:15  getRun  [literal; then: " in result.stdout
    assert "  t/passed_in.t:10  listRuns  [untraced receiver $openai; literal" in result.stdout


def test_scan_json_lists_every_call_site_with_its_status() -> None:
    result = port("scan", str(PERL_DIR), "--spec", str(BUNDLED_SPEC), "--json")
    report = json.loads(result.stdout)
    assert report["root"] == str(PERL_DIR)
    assert sorted(site["site"] for site in report["call_sites"]) == sorted(m.where for m in markers("call"))
    assert report["operations"]["createEdit"]["in_spec"] is False
    assert report["operations"]["getRun"] == {
        "in_spec": True,
        "sites": ["app.pl:15", "app.pl:70", "app.pl:80", "lib/Acme/Runs.pm:41"],
    }
    table = {idiom.perl: idiom.supported for idiom in IDIOMS}
    for entry in report["idioms"].values():
        assert entry["supported"] == table[entry["perl"]]
    assert report["summary"]["idioms_unsupported"] == ["$tx->res->dom"]


def test_scan_compare_runs_literal_calls_through_perl_and_python() -> None:
    result = port("scan", str(PERL_DIR / "t"), "--spec", str(BUNDLED_SPEC), "--compare")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "  identical  passed_in.t:10  listRuns" in result.stdout
    assert "compared:     1 identical, 0 different, 0 skipped, 0 failed" in result.stdout


def test_scan_compare_says_why_a_call_was_not_compared() -> None:
    result = port("scan", str(PERL_DIR / "app.pl"), "--spec", str(BUNDLED_SPEC), "--compare", "--json")
    verdicts = {v["site"]: v for v in json.loads(result.stdout)["compare"]}
    assert verdicts["app.pl:65"] == {
        "site": "app.pl:65",
        "operation": "modifyRun",
        "outcome": "skipped",
        "detail": "not every argument is a literal",
    }
    assert verdicts["app.pl:93"]["detail"] == "createEdit is not in the spec"
    assert verdicts["app.pl:87"]["detail"] == "the operation is chosen at run time"
    literal = {
        m.where
        for m in markers("call")
        if m.file == "app.pl" and "literal" in m.words and m.words[0] != "createEdit"
    }
    assert {where for where, v in verdicts.items() if v["outcome"] == "identical"} == literal


def test_translate_prints_perl_beside_python_and_leaves_the_file_alone() -> None:
    path = PERL_DIR / "app.pl"
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    result = port("translate", str(path), "--spec", str(BUNDLED_SPEC))
    assert result.returncode == 0, result.stderr
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    out = result.stdout
    assert "from openapi_client_openai import OpenAI\n" in out
    assert (
        "line 15 (call)\n"
        "  Perl:    my $tx = $client->getRun({thread_id => 'thread_abc123', run_id => 'run_abc123'});"
    ) in out
    assert "  Python:  tx = client.getRun(thread_id='thread_abc123', run_id='run_abc123')\n" in out
    assert "  note:    line 17: $tx->res->dom is not supported by this package yet" in out


def test_translate_json() -> None:
    result = port("translate", str(PERL_DIR / "lib/Acme/Runs.pm"), "--spec", str(BUNDLED_SPEC), "--json")
    report = json.loads(result.stdout)
    assert report["imports"] == ["from openapi_client_openai import Client, OpenAI"]
    lines = [site["line"] for site in report["sites"]]
    assert lines == sorted(lines) and 24 in lines


def test_translate_a_file_without_the_client(tmp_path: Path) -> None:
    result = port("translate", str(PERL_DIR / "plain.pl"), "--spec", str(BUNDLED_SPEC))
    assert result.returncode == 0
    assert "# no OpenAI client or call found" in result.stdout


def test_idioms_prints_the_table() -> None:
    result = port("idioms", "--json")
    rows = json.loads(result.stdout)
    assert [(row["perl"], row["supported"]) for row in rows] == [(i.perl, i.supported) for i in IDIOMS]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "port: the following arguments are required: COMMAND"),
        (("scan",), "port: the following arguments are required: PATH"),
        (("scan", "/nowhere/at/all"), "port: no such file or directory: /nowhere/at/all"),
        (("translate", str(PERL_DIR)), f"port: not a file: {PERL_DIR}"),
        (("scan", str(PERL_DIR), "--spec", "/nowhere.yaml"), "port: /nowhere.yaml: cannot read spec"),
    ],
)
def test_usage_errors_are_one_line(args: tuple, message: str) -> None:
    result = port(*args)
    assert result.returncode == 2
    assert one_line(result).startswith(message)


def test_without_ppi_the_scan_says_so_once(tmp_path: Path) -> None:
    fake = tmp_path / "lib"
    fake.mkdir()
    # A PPI.pm that fails to load the way a missing one does.
    (fake / "PPI.pm").write_text(
        'die "Can\'t locate PPI.pm in \\@INC (you may need to install the PPI module)\\n";\n'
    )
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    env.update(JSON_VALIDATOR_CACHE_PATH=str(JV_CACHE), PERL5LIB=str(fake))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "openapi_client_openai",
            "port",
            "scan",
            str(PERL_DIR),
            "--spec",
            str(BUNDLED_SPEC),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert result.returncode == 2
    assert one_line(result) == (
        "port: PPI is not installed for this perl: install Debian's libppi-perl (.ci/setup does)"
    )


def test_the_main_help_lists_port() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "openapi_client_openai", "--help"], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0
    assert re.search(r"^ +port +inventory a Perl codebase's OpenAI calls", result.stdout, re.M), result.stdout
