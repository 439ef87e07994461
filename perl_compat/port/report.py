"""The ``port scan`` report: a summary a team lead can read, then the details; or JSON."""

from __future__ import annotations

from typing import Any

from .idioms import Idiom, Unknown
from .parity import Verdict
from .scan import CallSite, Inventory, summary

SHOWN_SITES = 6  # call sites listed per operation or idiom in the text report


def as_json(inventory: Inventory, verdicts: list[Verdict] | None = None, root: Any = None) -> dict[str, Any]:
    """Everything the scan found, as plain data (``--json``); files are named from ``root``."""
    operations = inventory.operations()
    idioms = inventory.idioms()
    out: dict[str, Any] = {
        "root": None if root is None else str(root),
        "spec": {"source": inventory.spec.source, "operations": len(inventory.spec.operations)},
        "summary": summary(inventory),
        "files": [
            {"path": parsed.path, **({"error": parsed.error} if parsed.error else {})}
            for parsed in inventory.files
        ],
        "clients": [
            {
                "site": f"{client.file}:{client.line}",
                "class": client.cls,
                "perl": client.chain.get("text", ""),
                "kept_in": client.kept_in,
            }
            for client in inventory.clients
        ],
        "operations": {
            name: {
                "in_spec": sites[0].in_spec,
                **({"closest": sites[0].closest} if not sites[0].in_spec else {}),
                "sites": [site.where for site in sites],
            }
            for name, sites in operations.items()
        },
        "call_sites": [_site_json(site) for site in inventory.calls],
        "idioms": {
            key: {
                "perl": idiom.perl,
                "python": idiom.python_display if isinstance(idiom, Idiom) else None,
                "supported": idiom.supported,
                **({"note": idiom.note} if idiom.note else {}),
                "known": isinstance(idiom, Idiom),
                "places": places,
            }
            for key, (idiom, places) in sorted(idioms.items())
        },
    }
    if verdicts is not None:
        out["compare"] = [verdict.as_dict() for verdict in verdicts]
    return out


def _site_json(site: CallSite) -> dict[str, Any]:
    return {
        "site": site.where,
        "written": site.written,
        "operation": site.operation_id or site.name,
        "form": site.form,
        "promise": site.promise,
        "callback": site.callback is not None,
        "traced": site.traced,
        "receiver": site.receiver,
        "in_spec": site.in_spec,
        **({"closest": site.closest} if site.name is not None and not site.in_spec else {}),
        **({"dynamic": site.dynamic_text} if site.form == "dynamic" else {}),
        "generators": site.generators,
        "literal": site.literal,
        "idioms": sorted(
            {step.idiom.perl for use in site.uses for step in use.steps if step.idiom is not None}
        ),
        **({"problems": site.problems} if site.problems else {}),
    }


def as_text(inventory: Inventory, verdicts: list[Verdict] | None = None, root: Any = None) -> str:
    figures = summary(inventory)
    operations = inventory.operations()
    idioms = inventory.idioms()
    under = f" under {root}" if root is not None else ""
    lines = [
        f"Port inventory of Perl files{under}",
        f"(spec: {inventory.spec.source}, {len(inventory.spec.operations)} operations)",
        "",
        "Summary",
        f"  files:        {figures['files_scanned']} scanned, {figures['files_using_openai']} use the OpenAI "
        f"client, {figures['files_unreadable']} could not be read",
        f"  clients:      {figures['clients_created']} created" + _classes(inventory),
        f"  call sites:   {figures['call_sites']} ({figures['call_sites_dynamic']} dynamic, "
        f"{figures['call_sites_untraced']} on a receiver not traced to a client, "
        f"{figures['call_sites_promise']} promise, {figures['call_sites_callback']} callback); "
        f"{figures['call_sites_literal']} with literal arguments only",
        f"  operations:   {figures['operations']} distinct: {figures['operations_in_spec']} in the spec"
        + (
            f", {len(figures['operations_not_in_spec'])} not: {', '.join(figures['operations_not_in_spec'])}"
            if figures["operations_not_in_spec"]
            else ", none missing"
        ),
        "  generators:   "
        + (", ".join(f"{name} x{count}" for name, count in figures["content_generators"].items()) or "none"),
        f"  Mojo idioms:  {figures['idioms']} distinct: {figures['idioms_supported']} supported"
        + (
            f", {len(figures['idioms_unsupported'])} not yet: {', '.join(figures['idioms_unsupported'])}"
            if figures["idioms_unsupported"]
            else ", none missing"
        ),
    ]
    if verdicts is not None:
        counts = {outcome: sum(1 for v in verdicts if v.outcome == outcome) for outcome in _OUTCOMES}
        lines.append(
            "  compared:     " + ", ".join(f"{count} {outcome}" for outcome, count in counts.items())
        )

    lines += ["", "Operations"]
    width = max((len(name) for name in operations), default=10)
    for name, sites in operations.items():
        status = "in the spec" if sites[0].in_spec else "NOT IN THE SPEC"
        if not sites[0].in_spec and sites[0].closest:
            status += f" (closest: {sites[0].closest})"
        lines.append(f"  {name:<{width}}  {status}; {_sites(sites)}")
    dynamic = [site for site in inventory.calls if site.form == "dynamic"]
    if dynamic:
        lines.append(f"  {'(dynamic)':<{width}}  chosen at run time; {_sites(dynamic)}")
    if not operations and not dynamic:
        lines.append("  (no OpenAI calls found)")

    lines += ["", "Call sites"]
    for site in inventory.calls:
        lines.append(f"  {site.where}  {_site_line(site)}")
    if not inventory.calls:
        lines.append("  (none)")

    if inventory.clients:
        lines += ["", "Clients"]
        for client in inventory.clients:
            kept = f", kept in {client.kept_in}" if client.kept_in else ""
            written = " ".join(str(client.chain.get("text", client.cls)).split())
            lines.append(f"  {client.file}:{client.line}  {written}{kept}")

    lines += ["", "Mojo idioms (Perl -> Python with this package)"]
    for _, (idiom, places) in sorted(idioms.items(), key=lambda item: (item[1][0].supported, item[0])):
        status = (
            "supported" if idiom.supported else "UNKNOWN  " if isinstance(idiom, Unknown) else "NOT YET  "
        )
        python = idiom.python_display if isinstance(idiom, Idiom) else "(no Python spelling known)"
        note = f"  [{idiom.note}]" if idiom.note and not idiom.supported else ""
        where = ", ".join(places[:SHOWN_SITES])
        more = f", ... ({len(places)} places)" if len(places) > SHOWN_SITES else ""
        lines.append(f"  {status}  {idiom.perl}  ->  {python}{note}; {where}{more}")
    if not idioms:
        lines.append("  (none)")

    if verdicts is not None:
        lines += ["", "Compared (literal call sites, Perl and Python against the mock)"]
        for verdict in verdicts:
            site = verdict.site
            name = site.operation_id or site.name or f"{site.written} (dynamic)"
            if verdict.outcome in ("skipped", "failed"):
                lines.append(f"  {verdict.outcome:<9}  {site.where}  {name}: {verdict.detail}")
                continue
            lines.append(f"  {verdict.outcome:<9}  {site.where}  {name}")
            lines += [f"             {detail}" for detail in verdict.detail.splitlines()]

    unreadable = [parsed for parsed in inventory.files if parsed.error]
    if unreadable:
        lines += ["", "Files not read"]
        lines += [f"  {parsed.path}: {parsed.error}" for parsed in unreadable]
    return "\n".join(lines) + "\n"


_OUTCOMES = ("identical", "different", "skipped", "failed")


def _classes(inventory: Inventory) -> str:
    counts: dict[str, int] = {}
    for client in inventory.clients:
        counts[client.cls] = counts.get(client.cls, 0) + 1
    return f" ({', '.join(f'{cls} x{n}' for cls, n in counts.items())})" if counts else ""


def _sites(sites: list[CallSite]) -> str:
    shown = ", ".join(site.where for site in sites[:SHOWN_SITES])
    more = f", ... ({len(sites)} sites)" if len(sites) > SHOWN_SITES else ""
    return f"{len(sites)} site{'s' if len(sites) != 1 else ''}: {shown}{more}"


def _site_line(site: CallSite) -> str:
    if site.form == "dynamic":
        what = f"{site.written} (dynamic: {site.dynamic_text})"
    else:
        what = site.operation_id or f"{site.name} (not in the spec)"
        if site.written not in (site.name, site.operation_id):
            what += f" as {site.written}"
        elif site.form == "call":
            what += " via call"
    flags = [
        flag
        for flag, on in (
            ("promise", site.promise),
            ("callback", site.callback is not None),
            ("untraced receiver " + site.receiver, not site.traced),
            ("literal", site.literal),
        )
        if on
    ]
    if site.generators:
        flags.append("content: " + ", ".join(site.generators))
    idioms = sorted({step.idiom.perl for use in site.uses for step in use.steps if step.idiom is not None})
    if idioms:
        flags.append("then: " + ", ".join(idioms))
    return what + (f"  [{'; '.join(flags)}]" if flags else "")
