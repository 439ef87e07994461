"""What a Perl codebase does with OpenAPI::Client::OpenAI: clients, call sites, idioms.

From the chains PPI found (``reader``), this module tells which are OpenAI calls:

* a client is made by ``OpenAPI::Client::OpenAI->new(...)`` or ``OpenAPI::Client->new(...)``
  (also ``new OpenAPI::Client::OpenAI(...)``); what it is stored in becomes a client
  receiver: a variable (``$client``, in that file), an element (``$self->{openai}``),
  or an accessor (``has _client => (default => sub {...})``, ``sub openai {...}``,
  ``_build_openai``), the last two for every file scanned;
* a method called on a client receiver is an operation call (``getRun``, ``get_run``,
  the ``_p`` forms, ``call``/``call_p`` with a literal name), a dynamic call
  (``$client->$method``, ``call($name)``), or a client idiom (``ua``, ``base_url``, ``on``);
* a method called on an unknown receiver counts as an *untraced* call when its name is
  an operation of the spec and the file uses the module (a client passed in as an
  argument, say), unless the scanned code defines a sub of that name;
* what the call returns is followed along the chain (``->res->json``), into the
  variable it is assigned to (``my $tx = ...``; later ``$tx->res->code``) and into
  callbacks (``sub { my ($c, $tx) = @_ }``, ``->then(sub { my $tx = shift })``).

This is a reading of the source, not of the running program: it names what it
could not follow (dynamic calls, untraced receivers) instead of guessing.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from openapi_client_openai.operations import Operation
from openapi_client_openai.spec import Spec

from ..bridge import CONTENT_NAMES
from .idioms import CLIENT_METHODS, Idiom, Step, Unknown, follow
from .reader import ParsedFile
from .values import flat_items, is_literal, perl_text

CLIENT_CLASSES = {"OpenAPI::Client::OpenAI": "OpenAI", "OpenAPI::Client": "Client"}
OBJECT_KINDS = frozenset(
    {"client", "ua", "base_url", "tx", "req", "res", "url", "headers", "content", "promise"}
)
_SELF_NAMES = frozenset({"$self", "$class", "$this"})


@dataclass(eq=False)
class ClientSite:
    """Where a client is made, with what, and where it is kept."""

    file: str
    line: int
    cls: str  # OpenAPI::Client::OpenAI or OpenAPI::Client
    args: list[dict]
    kept_in: str | None  # "$client", "$self->{openai}", "->_client", or None
    chain: dict


@dataclass(eq=False)
class IdiomUse:
    """A chain of Mojo idioms used somewhere: on a call's result, or on a client."""

    file: str
    line: int
    steps: list[Step]
    chain: dict  # the chain as PPI read it
    start: int  # index of the chain's link the first step matches
    site: CallSite | None = None  # the call whose result this is

    @property
    def text(self) -> str:
        return str(self.chain.get("text", ""))


@dataclass(eq=False)
class CallSite:
    """One operation call in the source."""

    file: str
    line: int
    written: str  # the method as written: getRun, get_run_p, call_p, $method
    name: str | None  # the operation as written (no _p), None when dynamic
    form: str  # "method", "call" (call/call_p with a literal name) or "dynamic"
    promise: bool
    callback: dict | None  # the trailing sub {...}, if any
    params: dict | None  # the params argument (a value), None when none is given
    content: list[tuple[str, dict]]
    traced: bool  # the receiver is known to hold a client
    receiver: str  # Perl text of the receiver
    chain: dict
    index: int  # which link of the chain is the call
    operation: Operation | None = None
    closest: str | None = None
    result: list[Step] = field(default_factory=list)
    uses: list[IdiomUse] = field(default_factory=list)  # idioms on the result, via variables too
    problems: list[str] = field(default_factory=list)
    dynamic_text: str = ""  # for call($name): the Perl text of the name

    @property
    def in_spec(self) -> bool:
        return self.operation is not None

    @property
    def operation_id(self) -> str | None:
        return self.operation.operation_id if self.operation is not None else None

    @property
    def generators(self) -> list[str]:
        return [name for name, _ in self.content]

    @property
    def literal(self) -> bool:
        """Every argument is literal data, so the call can be made as written."""
        if self.form == "dynamic" or self.problems:
            return False
        if self.params is not None and (self.params.get("t") != "hash" or not is_literal(self.params)):
            return False
        return all(is_literal(value) for _, value in self.content)

    @property
    def statement_lines(self) -> tuple[int, int]:
        statement = self.chain.get("statement") or {}
        return int(statement.get("line", self.line)), int(statement.get("end_line", self.line))

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass
class Inventory:
    spec: Spec
    files: list[ParsedFile]
    clients: list[ClientSite] = field(default_factory=list)
    calls: list[CallSite] = field(default_factory=list)
    idiom_uses: list[IdiomUse] = field(default_factory=list)

    def operations(self) -> dict[str, list[CallSite]]:
        """Call sites by operation (as resolved in the spec, else as written), in first-seen order."""
        grouped: dict[str, list[CallSite]] = {}
        for site in self.calls:
            if site.name is None:
                continue
            grouped.setdefault(site.operation_id or site.name, []).append(site)
        return grouped

    def idioms(self) -> dict[str, tuple[Idiom | Unknown, list[str]]]:
        """Every idiom used, by key, with the places (``file:line``) it is written, each once."""
        found: dict[str, tuple[Idiom | Unknown, list[str]]] = {}
        for use in self.idiom_uses:
            for step in use.steps:
                if step.idiom is None:
                    continue
                place = f"{use.file}:{step.link.get('line') or use.line}"
                entry = found.setdefault(step.idiom.key, (step.idiom, []))
                if place not in entry[1]:
                    entry[1].append(place)
        return found


# -- the scan ----------------------------------------------------------------------------


def scan(files: Iterable[ParsedFile], spec: Spec) -> Inventory:
    """The inventory of ``files`` (already parsed) against ``spec``."""
    inventory = Inventory(spec, list(files))
    scanner = _Scanner(inventory)
    scanner.run()
    return inventory


@dataclass
class _Binding:
    var: str
    kind: str
    line: int
    end: int | None  # None: from ``line`` on; else the last line of a callback
    site: CallSite | None


class _Scanner:
    def __init__(self, inventory: Inventory) -> None:
        self.inventory = inventory
        self.table = inventory.spec.operations
        self.candidates = sorted(set(self.table) | set(self.table.aliases))
        self.accessors: set[str] = set()
        self.elements: set[str] = set()
        self.file_vars: dict[str, set[str]] = {}
        self.defined_subs = {name for parsed in inventory.files for name in parsed.subs}
        self.bindings: dict[str, list[_Binding]] = {}
        self.consumed: set[int] = set()

    def run(self) -> None:
        readable = [parsed for parsed in self.inventory.files if parsed.error is None]
        for parsed in readable:
            self._find_clients(parsed)
        for parsed in readable:
            uses_client = any(module in CLIENT_CLASSES for module in parsed.uses)
            for chain in parsed.chains:
                self._find_calls(parsed, chain, uses_client)
        for parsed in readable:
            for chain in parsed.chains:
                if id(chain) not in self.consumed:
                    self._follow_variable(parsed, chain)
        self.inventory.calls.sort(key=lambda site: (site.file, site.line))
        self.inventory.idiom_uses.sort(key=lambda use: (use.file, use.line))

    # -- clients ------------------------------------------------------------------------

    def _find_clients(self, parsed: ParsedFile) -> None:
        for chain in parsed.chains:
            cls = _client_class(chain)
            if cls is None:
                continue
            kept_in = None
            assign = chain.get("assign")
            if assign and chain.get("complete") and len(chain["links"]) == 1:
                target = assign.get("target") or {}
                if target.get("t") == "var" and target.get("sigil") == "$":
                    kept_in = target["text"]
                    self.file_vars.setdefault(parsed.path, set()).add(kept_in)
                elif target.get("t") == "chain":
                    kept_in = receiver_text(target["base"], target["links"])
                    self.elements.add(kept_in)
            for name in _accessor_names(chain, assign):
                self.accessors.add(name)
                kept_in = kept_in or f"->{name}"
            args = chain["links"][0].get("args") or []
            self.inventory.clients.append(ClientSite(parsed.path, chain["line"], cls, args, kept_in, chain))

    def _is_client(self, parsed: ParsedFile, chain: dict, index: int) -> bool:
        base, links = chain["base"], chain["links"]
        if index == 0:
            return base.get("t") == "var" and base.get("text") in self.file_vars.get(parsed.path, ())
        if index == 1 and _client_class(chain) is not None:
            return True  # OpenAPI::Client::OpenAI->new->listModels
        before = links[index - 1]
        if before.get("k") == "method" and before.get("name") in self.accessors and not before.get("args"):
            return True
        return receiver_text(base, links[:index]) in self.elements

    # -- calls --------------------------------------------------------------------------

    def _find_calls(self, parsed: ParsedFile, chain: dict, uses_client: bool) -> None:
        links = chain["links"]
        for index, link in enumerate(links):
            if link.get("k") not in ("method", "dynamic"):
                continue
            name = link.get("name", "")
            if self._is_client(parsed, chain, index):
                self.consumed.add(id(chain))
                if link["k"] == "method" and name in CLIENT_METHODS and name not in ("call", "call_p"):
                    steps, _ = follow("client", links[index:])
                    self._record_use(parsed, chain, index, steps, None)
                else:
                    self._call_site(parsed, chain, index, traced=True)
                return
            if (
                uses_client
                and link["k"] == "method"
                and name not in CLIENT_METHODS
                and name not in self.defined_subs
                and self._resolves(name)
                and receiver_text(chain["base"], links[:index]) not in _SELF_NAMES
                and not (index == 0 and chain["base"].get("t") == "word")
            ):
                self.consumed.add(id(chain))
                self._call_site(parsed, chain, index, traced=False)
                return

    def _resolves(self, name: str) -> bool:
        if self.table.lookup(name) is not None:
            return True
        return name.endswith("_p") and self.table.lookup(name[:-2]) is not None

    def _call_site(self, parsed: ParsedFile, chain: dict, index: int, traced: bool) -> None:
        link = chain["links"][index]
        args = list(link.get("args") or [])
        written = link["name"]
        site = CallSite(
            file=parsed.path,
            line=int(link.get("line") or chain["line"]),
            written=written,
            name=None,
            form="method",
            promise=False,
            callback=None,
            params=None,
            content=[],
            traced=traced,
            receiver=receiver_text(chain["base"], chain["links"][:index]),
            chain=chain,
            index=index,
        )
        if link["k"] == "dynamic":
            site.form = "dynamic"
            site.dynamic_text = written
        elif written in ("call", "call_p"):
            site.promise = written == "call_p"
            first = args.pop(0) if args else {"t": "expr", "text": "(nothing)"}
            if first.get("t") == "str":
                site.form, site.name = "call", str(first["v"])
            else:
                site.form, site.dynamic_text = "dynamic", perl_text(first)
        else:
            site.name = written
            if self.table.lookup(written) is None and written.endswith("_p"):
                site.name, site.promise = written[:-2], True
        if args and args[-1].get("t") == "sub":
            site.callback = args.pop()
        if args:
            site.params = args.pop(0)
        self._content(site, args)
        if site.name is not None:
            site.operation = self.table.lookup(site.name)
            if site.operation is None:
                site.closest = self._closest(site.name)
        start = "client" if site.callback is not None else "promise" if site.promise else "tx"
        site.result, final = follow(start, chain["links"][index + 1 :])
        self.inventory.calls.append(site)
        if site.result:
            self._record_use(parsed, chain, index + 1, site.result, site)
        if site.callback is not None:
            self._bind_callback(parsed, site.callback, ("client", "tx"), site)
        self._bind_assignment(parsed, chain, final, site)

    def _content(self, site: CallSite, args: list[dict]) -> None:
        items = flat_items(args)
        if items is None or len(items) % 2:
            if args:
                site.problems.append(f"content arguments that cannot be paired: {_texts(args)}")
            return
        for key, value in zip(items[::2], items[1::2]):
            if key.get("t") != "str":
                site.problems.append(f"a content generator named by {perl_text(key)}")
                continue
            name = str(key["v"])
            if name not in CONTENT_NAMES:
                site.problems.append(f"'{name}' is not a content generator ({', '.join(CONTENT_NAMES)})")
            site.content.append((name, value))

    def _closest(self, name: str) -> str | None:
        match = difflib.get_close_matches(name, self.candidates, n=1, cutoff=0.6)
        if not match:
            return None
        operation = self.table.lookup(match[0])
        return operation.operation_id if operation is not None else match[0]

    # -- results ------------------------------------------------------------------------

    def _record_use(
        self, parsed: ParsedFile, chain: dict, start: int, steps: list[Step], site: CallSite | None
    ) -> None:
        line = int(steps[0].link.get("line") or chain["line"]) if steps else int(chain["line"])
        use = IdiomUse(parsed.path, line, steps, chain, start, site)
        self.inventory.idiom_uses.append(use)
        if site is not None and use not in site.uses:
            site.uses.append(use)
        for step in steps:
            if isinstance(step.idiom, Idiom) and step.idiom.callback:
                for arg in step.link.get("args") or []:
                    if arg.get("t") == "sub":
                        self._bind_callback(parsed, arg, step.idiom.callback, site)

    def _bind_callback(
        self, parsed: ParsedFile, sub: dict, kinds: tuple[str, ...], site: CallSite | None
    ) -> None:
        for param, kind in zip(sub.get("params", []), kinds):
            if kind in OBJECT_KINDS and param.startswith("$"):
                binding = _Binding(param, kind, int(sub["line"]), int(sub.get("end_line", sub["line"])), site)
                self.bindings.setdefault(parsed.path, []).append(binding)

    def _bind_assignment(
        self, parsed: ParsedFile, chain: dict, kind: str | None, site: CallSite | None
    ) -> None:
        assign = chain.get("assign")
        if not assign or not chain.get("complete") or kind not in OBJECT_KINDS:
            return
        target = assign.get("target") or {}
        if target.get("t") == "var" and target.get("sigil") == "$":
            binding = _Binding(target["text"], kind, int(chain["line"]), None, site)
            self.bindings.setdefault(parsed.path, []).append(binding)

    def _follow_variable(self, parsed: ParsedFile, chain: dict) -> None:
        base = chain["base"]
        if base.get("t") != "var":
            return
        binding = self._binding(parsed.path, base.get("text", ""), int(chain["line"]))
        if binding is None:
            return
        steps, final = follow(binding.kind, chain["links"])
        self._record_use(parsed, chain, 0, steps, binding.site)
        self._bind_assignment(parsed, chain, final, binding.site)

    def _binding(self, path: str, var: str, line: int) -> _Binding | None:
        best = None
        for binding in self.bindings.get(path, []):
            if binding.var != var or binding.line > line:
                continue
            if binding.end is not None and line > binding.end:
                continue
            if best is None or binding.line >= best.line:
                best = binding
        return best


# -- helpers -------------------------------------------------------------------------------


def _client_class(chain: dict) -> str | None:
    """The client class when ``chain`` starts with ``Class->new`` for a client class."""
    base, links = chain["base"], chain["links"]
    if base.get("t") != "word" or not links:
        return None
    cls = str(base.get("text", "")).rstrip(":")
    first = links[0]
    if cls in CLIENT_CLASSES and first.get("k") == "method" and first.get("name") == "new":
        return cls
    return None


def _accessor_names(chain: dict, assign: dict | None) -> list[str]:
    names = []
    if chain.get("has"):
        names.append(str(chain["has"]))
    sub = chain.get("sub")
    if sub and not (assign and assign.get("declared") == "my"):
        names.append(str(sub))
        if str(sub).startswith("_build_"):
            names.append(str(sub)[len("_build_") :])
    return names


def receiver_text(base: dict, links: list[dict]) -> str:
    """A receiver as Perl text, spaced one way so that equal receivers compare equal."""
    text = str(base.get("text", ""))
    for link in links:
        kind = link.get("k")
        if kind == "subscript":
            key = link.get("key") or {}
            inner = str(key["v"]) if key.get("t") == "str" else perl_text(key)
            text += "->{" + inner + "}" if link.get("brace") == "{" else "->[" + inner + "]"
        elif kind in ("method", "dynamic"):
            text += f"->{link.get('name')}" + ("(...)" if link.get("args") else "")
        else:
            text += "->(...)"
    return text


def _texts(values: list[dict]) -> str:
    return ", ".join(perl_text(value) for value in values)


def summary(inventory: Inventory) -> dict[str, Any]:
    """The figures a team lead reads first."""
    operations = inventory.operations()
    in_spec = [name for name, sites in operations.items() if sites[0].in_spec]
    idioms = inventory.idioms()
    supported = [key for key, (idiom, _) in idioms.items() if idiom.supported]
    files_calling = {site.file for site in inventory.calls} | {client.file for client in inventory.clients}
    generators: dict[str, int] = {}
    for site in inventory.calls:
        for name in site.generators:
            generators[name] = generators.get(name, 0) + 1
    return {
        "files_scanned": len(inventory.files),
        "files_unreadable": sum(1 for parsed in inventory.files if parsed.error),
        "files_using_openai": len(files_calling),
        "clients_created": len(inventory.clients),
        "call_sites": len(inventory.calls),
        "call_sites_dynamic": sum(1 for site in inventory.calls if site.form == "dynamic"),
        "call_sites_untraced": sum(1 for site in inventory.calls if not site.traced),
        "call_sites_promise": sum(1 for site in inventory.calls if site.promise),
        "call_sites_callback": sum(1 for site in inventory.calls if site.callback is not None),
        "call_sites_literal": sum(1 for site in inventory.calls if site.literal),
        "operations": len(operations),
        "operations_in_spec": len(in_spec),
        "operations_not_in_spec": sorted(set(operations) - set(in_spec)),
        "content_generators": generators,
        "idioms": len(idioms),
        "idioms_supported": len(supported),
        "idioms_unsupported": sorted(
            idiom.perl for key, (idiom, _) in idioms.items() if key not in supported
        ),
    }
