"""Run parity cases through the Perl and the Python client against one capturing server."""

from __future__ import annotations

import copy
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openapi_client_openai.openai import OpenAI
from perl_compat.bridge import PerlClient, SubprocessDriver
from perl_compat.comparison import Difference, Side, Streamed, captured, diff_sides, python_stream
from perl_compat.errors import PerlError

from .cases import UPLOAD_FILES, Case

PERL_TIMEOUT = 30.0  # seconds for any one answer of the perl driver (spec loading included)
SAMPLES = 3  # cases shown per jsonschema reason in the short report


@dataclass
class CaseResult:
    case: Case
    perl: Side
    python: Side
    differences: list[Difference]
    excluded: str | None = None  # the reason, when exclusions.yaml names this case
    perl_mutated: bool = False  # Perl changed the caller's params (a deviation we do not copy)

    @property
    def identical(self) -> bool:
        return not self.differences


class Runner:
    """Both clients, one per (base URL variant, assistants) pair, and the upload files."""

    def __init__(self, spec_path: Path, server: Any, files_dir: Path, mode: str = "subprocess") -> None:
        self.spec_path = str(spec_path)
        self.server = server
        self.mode = mode
        self.files_dir = files_dir
        self.files: dict[str, str] = {}
        for name, data in UPLOAD_FILES.items():
            path = files_dir / name
            path.write_bytes(data)
            self.files[name] = str(path)
        self._perl: dict[tuple, PerlClient] = {}
        self._python: dict[tuple, OpenAI] = {}
        # A driver of our own, started in the current directory, so relative upload
        # paths mean the same file to both clients.
        self._driver = SubprocessDriver(timeout=PERL_TIMEOUT) if mode == "subprocess" else None

    def base_url(self, variant: str) -> str:
        plain = str(self.server.base_url).rstrip("/")
        return {"plain": plain, "slash": plain + "/", "query": plain + "?api-version=2024-01"}[variant]

    def perl_client(self, case: Case) -> PerlClient:
        key = (case.base_url, case.assistants)
        if key not in self._perl:
            self._perl[key] = PerlClient(
                self.spec_path,
                self.base_url(case.base_url),
                case.assistants,
                mode=self.mode,
                driver=self._driver,
            )
        return self._perl[key]

    def python_client(self, case: Case) -> OpenAI:
        key = (case.base_url, case.assistants)
        if key not in self._python:
            self._python[key] = OpenAI(
                self.spec_path, base_url=self.base_url(case.base_url), assistants=case.assistants
            )
        return self._python[key]

    @property
    def which(self) -> str:
        client = next(iter(self._perl.values()), None)
        return client.which if client else "no Perl client made"

    def run(self, case: Case, excluded: str | None = None) -> CaseResult:
        params, content = case.materialised(self.files)
        perl, mutated = self._perl_side(case, params, content)
        if perl.outcome == "died":
            # A die inside Mojo's blocking loop (an upload that cannot be opened) can leave
            # the user agent broken for later calls: a fresh Perl client for the next case.
            self._perl.pop((case.base_url, case.assistants)).close()
        self._remove_strays()
        params, content = case.materialised(self.files)
        python, python_mutated = self._python_side(case, params, content)
        differences = diff_sides(perl, python)
        if python_mutated:
            differences.append(Difference("caller-params", "(Perl: deviation, not copied)", python_mutated))
        return CaseResult(case, perl, python, differences, excluded, mutated)

    def _remove_strays(self) -> None:
        """Mojo creates a missing upload file (empty, removed later): not for Python to find."""
        for path in self.files_dir.iterdir():
            if path.name not in UPLOAD_FILES:
                path.unlink()

    def _perl_side(self, case: Case, params: dict, content: dict) -> tuple[Side, bool]:
        client = self.perl_client(case)
        self.server.clear()
        streamed = None
        try:
            if case.stream:
                read = client.stream(case.op, params, **content)
                tx, streamed = read.tx, Streamed.of(read.body, read.events)
            else:
                tx = client.call(case.op, params, **content)
        except PerlError as exc:
            return Side.of(None, captured(self.server, None), exc), False
        after = (client.last_result or {}).get("params_after")
        side = Side.of(tx, captured(self.server, tx), streamed=streamed if tx.is_sent else None)
        return side, after is not None and after != params

    def _python_side(self, case: Case, params: dict, content: dict) -> tuple[Side, Any]:
        client = self.python_client(case)
        snapshot = copy.deepcopy((params, content))
        self.server.clear()
        try:
            if case.stream:
                tx, streamed = python_stream(client, case.op, params, content)
            else:
                tx, streamed = client.call(case.op, params, **content), None
        except Exception as exc:  # any failure is this side's outcome
            side = Side.of(None, captured(self.server, None), exc)
        else:
            side = Side.of(tx, captured(self.server, tx), streamed=streamed if tx.is_sent else None)
        changed = None if (params, content) == snapshot else {"params": params, "content": content}
        return side, changed

    def close(self) -> None:
        for client in self._perl.values():
            client.close()
        if self._driver is not None:
            self._driver.close()


@dataclass
class Report:
    """The suite's verdict, in numbers and lines."""

    results: list[CaseResult]
    which: str
    seconds: float
    disagreements: list = field(default_factory=list)

    @property
    def counted(self) -> list[CaseResult]:
        return [r for r in self.results if r.excluded is None]

    @property
    def differing(self) -> list[CaseResult]:
        return [r for r in self.counted if not r.identical]

    def headline(self) -> str:
        total = len(self.counted)
        same = total - len(self.differing)
        percent = 100.0 * same / total if total else 0.0
        return f"perl parity: {same}/{total} identical ({percent:.1f}%)"

    def lines(self, full: bool = True) -> list[str]:
        """The report; ``full=False`` lists at most a few cases per jsonschema reason."""
        out = [self.headline(), f"perl peer: {self.which}"]
        excluded = [r for r in self.results if r.excluded is not None]
        differed = sum(1 for r in excluded if not r.identical)
        out.append(
            f"excluded by case id (tests/parity/exclusions.yaml): {len(excluded)} "
            f"({differed} of them differed this run)"
        )
        outcomes = Counter(r.perl.outcome for r in self.results)
        out.append("Perl outcomes: " + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())))
        mutated = sum(1 for r in self.results if r.perl_mutated)
        out.append(f"Perl changed the caller's params in {mutated} cases (deviation: Python never does)")
        out.append(f"runtime: {self.seconds:.1f} s for {len(self.results)} cases")
        out.append("per kind (identical/total):")
        kinds: dict[str, list[int]] = {}
        for r in self.counted:
            tally = kinds.setdefault(r.case.kind, [0, 0])
            tally[0] += r.identical
            tally[1] += 1
        out += [f"  {kind:<22} {same}/{total}" for kind, (same, total) in sorted(kinds.items())]
        fields = Counter(_field_kind(d.field) for r in self.differing for d in r.differences)
        if fields:
            out.append("differences per field:")
            out += [f"  {name:<22} {count}" for name, count in fields.most_common()]
            out.append("differences:")
            for r in self.differing:
                out += [f"  {r.case.id}: {d}" for d in r.differences]
        if self.disagreements:
            out.append(f"jsonschema (Draft 2020-12) disagrees with Perl on {len(self.disagreements)} cases:")
            reasons = Counter((d.right, d.reason) for d in self.disagreements)
            for (right, reason), count in reasons.most_common():
                out.append(f"  {count:>5} right: {right}: {reason}")
                cases = [d for d in self.disagreements if (d.right, d.reason) == (right, reason)]
                shown = cases if full else cases[:SAMPLES]
                out += [f"        {d.case_id}: {d.verdicts()} ({d.detail})" for d in shown]
                if len(shown) < len(cases):
                    out.append(f"        ... and {len(cases) - len(shown)} more (see the full report)")
        return out


def _field_kind(name: str) -> str:
    return name.split("[")[0].split(" ")[0]


def timed_run(
    runner: Runner, cases: list[Case], exclusions: dict[str, str]
) -> tuple[list[CaseResult], float]:
    started = time.monotonic()
    results = [runner.run(case, exclusions.get(case.id)) for case in cases]
    return results, time.monotonic() - started
