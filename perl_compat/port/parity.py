"""``port scan --compare``: each call site whose arguments are all literals, made by
Perl's client and by this one against the mock server, and whether they agree.

The call goes through ``perl_compat.comparison.compare`` (the ``compare`` command's
engine), with the operationId the spec resolves (a snake_case alias is called by
its operationId: the Perl peer may be the shim, which has no aliases) and always in
the blocking form, which builds the same request as the ``_p`` and callback forms.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from openapi_client_openai.cli import DEMO_KEY

from .scan import CallSite
from .values import NotLiteral, to_data


@dataclass
class Verdict:
    site: CallSite
    outcome: str  # "identical", "different", "skipped", "failed"
    detail: str = ""  # the differences, why it was skipped, or what failed

    def as_dict(self) -> dict[str, Any]:
        out = {"site": self.site.where, "operation": self.site.operation_id or self.site.name}
        return {**out, "outcome": self.outcome, **({"detail": self.detail} if self.detail else {})}


def call_arguments(site: CallSite) -> tuple[dict, dict]:
    """The params and content of a literal call site, as Python data (NotLiteral otherwise)."""
    params = to_data(site.params) if site.params is not None else {}
    if not isinstance(params, dict):
        raise NotLiteral(site.params or {})
    content = {name: to_data(value) for name, value in site.content}
    return params, content


def why_not_comparable(site: CallSite) -> str | None:
    if site.form == "dynamic":
        return "the operation is chosen at run time"
    if not site.in_spec:
        return f"{site.name} is not in the spec"
    if site.problems:
        return site.problems[0]
    if not site.literal:
        return "not every argument is a literal"
    return None


def compare_sites(
    sites: Iterable[CallSite],
    spec: Any,
    mode: str = "auto",
    progress: Callable[[Verdict], None] | None = None,
) -> list[Verdict]:
    """Compare every comparable call site; the others are listed as skipped, with why."""
    from ..comparison import compare
    from ..errors import PerlCompatError

    os.environ.setdefault("OPENAI_API_KEY", DEMO_KEY)  # the mock takes any key
    verdicts = []
    for site in sites:
        reason = why_not_comparable(site)
        if reason is not None:
            verdict = Verdict(site, "skipped", reason)
        else:
            params, content = call_arguments(site)
            assert site.operation_id is not None
            try:
                comparison = compare(site.operation_id, params, content, spec=spec, mode=mode)
            except (PerlCompatError, OSError, ValueError, TypeError) as exc:
                verdict = Verdict(
                    site, "failed", str(exc).strip().splitlines()[0] if str(exc).strip() else ""
                )
            else:
                outcome = "identical" if comparison.same else "different"
                verdict = Verdict(site, outcome, comparison.diff())
        verdicts.append(verdict)
        if progress is not None:
            progress(verdict)
    return verdicts
