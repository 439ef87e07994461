"""Each call site of a Perl file written in Python with this package, beside the Perl.

Literal data becomes Python literals (hashes dicts, arrays lists, ``qw()`` strings,
``undef``/true/false ``None``/``True``/``False``), variables become names (``\\@list``
the list itself, ``%defaults`` in a hash ``**defaults``), a simply interpolated
string an f-string. The params hash becomes keyword arguments when every key is a
Python identifier that the operation takes as a parameter, else the dict form;
content generators become keyword content (``file_upload={...}``); the Mojo idioms
on the result take the spellings of the idiom table (``idioms.py``), which are the
porting guide's. ``$obj->name`` with no parentheses becomes an attribute
(``obj.name``, as a Moo accessor usually ports), ``$self->{key}`` ``self.key``.

Whatever cannot be translated (an expression, the body of a sub, an idiom this
package lacks) is said in a note naming its line; an untranslatable expression is
written ``...`` so the Python still parses but cannot run by accident. Files are
never changed.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..bridge import CONTENT_NAMES
from .idioms import Idiom, Step, Unknown
from .reader import ParsedFile
from .scan import CLIENT_CLASSES, CallSite, ClientSite, IdiomUse, Inventory
from .values import flat_items, hash_pairs, key_text, perl_text

WIDTH = 100


# -- Python expressions, laid out -----------------------------------------------------------


class _Node:
    def flat(self) -> str:
        raise NotImplementedError

    def render(self, indent: int) -> str:
        return self.flat()


@dataclass
class _Raw(_Node):
    text: str

    def flat(self) -> str:
        return self.text


@dataclass
class _Seq(_Node):
    """A dict, list or call: ``open`` items ``close``; items are (prefix, node)."""

    open: str
    close: str
    items: list[tuple[str, _Node]]

    def flat(self) -> str:
        return self.open + ", ".join(prefix + node.flat() for prefix, node in self.items) + self.close

    def render(self, indent: int) -> str:
        flat = self.flat()
        if indent + len(flat) <= WIDTH or not self.items:
            return flat
        pad = " " * (indent + 4)
        inner = ",\n".join(pad + prefix + node.render(indent + 4) for prefix, node in self.items)
        return f"{self.open}\n{inner},\n{' ' * indent}{self.close}"


@dataclass
class Translation:
    """One Perl statement and its Python, with what could not be translated."""

    file: str
    line: int
    end_line: int
    what: str  # "client", "call", "idiom", "result"
    perl: str
    python: str
    notes: list[str] = field(default_factory=list)
    site: CallSite | None = None
    runnable: bool = False  # a literal call site whose Python needs nothing else


class _Writer:
    """Turns values into Python nodes, collecting notes."""

    def __init__(self, utf8: bool = True) -> None:
        self.notes: list[str] = []
        self.utf8 = utf8  # whether the file says "use utf8" (its literals are text, not bytes)

    def note(self, line: object, text: str) -> None:
        message = f"line {line}: {text}" if line else text
        if message not in self.notes:
            self.notes.append(message)

    def value(self, value: dict, line: int) -> _Node:
        kind = value.get("t")
        line = int(value.get("line") or line)
        if kind in ("str", "interp") and not self.utf8 and not perl_text(value).isascii():
            self.note(
                line,
                "non-ASCII text in a file without 'use utf8': Perl sends its UTF-8 bytes encoded once "
                "more; Python sends the text",
            )
        if kind == "str":
            return _Raw(py_string(str(value["v"])))
        if kind == "num":
            return _Raw(repr(value["v"]))
        if kind == "bool":
            return _Raw("True" if value["v"] else "False")
        if kind == "undef":
            return _Raw("None")
        if kind == "qw":
            return _Seq("[", "]", [("", _Raw(py_string(word))) for word in value.get("words", [])])
        if kind == "array":
            return self._array(value, line)
        if kind == "hash":
            return self._hash(value, line)
        if kind == "var":
            return _Raw(py_name(value))
        if kind == "ref":
            inner = value.get("of") or {}
            if inner.get("t") in ("var", "str", "num", "hash", "array"):
                return self.value(inner, line)
            return self._untranslatable(value, line)
        if kind == "interp":
            return _Raw(self._fstring(value))
        if kind == "sub":
            name = f"callback_{value.get('line', line)}"
            params = ", ".join(
                py_name({"t": "var", "text": p, "name": p[1:]}) for p in value.get("params", [])
            )
            self.note(
                value.get("line", line),
                f"the sub {{...}} (lines {value.get('line')}-{value.get('end_line')}) is left to you: "
                f"write it as def {name}({params}): ...",
            )
            return _Raw(name)
        if kind == "chain":
            return _Raw(self.chain(value.get("base") or {}, value.get("links") or [], line))
        return self._untranslatable(value, line)

    def _untranslatable(self, value: dict, line: int) -> _Node:
        self.note(line, f"cannot translate {perl_text(value)!s}: written as ...")
        return _Raw("...")

    def _array(self, value: dict, line: int) -> _Node:
        items: list[tuple[str, _Node]] = []
        for item in value.get("items", []):
            if item.get("t") == "qw":
                items += [("", _Raw(py_string(word))) for word in item.get("words", [])]
            elif item.get("t") == "var" and item.get("sigil") in ("@", "%"):
                items.append(("*", _Raw(py_name(item))))
            else:
                items.append(("", self.value(item, line)))
        return _Seq("[", "]", items)

    def _hash(self, value: dict, line: int) -> _Node:
        pairs = hash_pairs(value)
        if pairs is not None:
            return _Seq(
                "{", "}", [(self._key(key, line) + ": ", self.value(item, line)) for key, item in pairs]
            )
        # {%defaults, key => value}: hashes spread into the dict, pairs between them.
        items: list[tuple[str, _Node]] = []
        pending: list[dict] = []
        for item in value.get("items", []):
            spread = item.get("t") == "var" and item.get("sigil") == "%"
            if spread and not pending:
                items.append(("**", _Raw(py_name(item))))
                continue
            expanded = flat_items([item])
            if expanded is None or spread:
                return self._untranslatable(value, line)
            pending += expanded
            while len(pending) >= 2:
                key, item_value = pending.pop(0), pending.pop(0)
                items.append((self._key(key, line) + ": ", self.value(item_value, line)))
        if pending:
            return self._untranslatable(value, line)
        return _Seq("{", "}", items)

    def _key(self, key: dict, line: int) -> str:
        text = key_text(key)
        return py_string(text) if text is not None else self.value(key, line).flat()

    def _fstring(self, value: dict) -> str:
        body = ""
        for part in value.get("parts", []):
            if "var" in part:
                body += "{" + py_name({"t": "var", "text": part["var"], "name": part["var"][1:]}) + "}"
            else:
                body += _string_body(str(part["s"])).replace("{", "{{").replace("}", "}}")
        return "f'" + body + "'"

    def chain(self, base: dict, links: list[dict], line: int) -> str:
        """A chain that is no OpenAI call: attributes, methods, subscripts."""
        text = self.receiver(base, line)
        for link in links:
            text = self.link(text, link, line)
        return text

    def receiver(self, base: dict, line: int) -> str:
        if base.get("t") == "var":
            return py_name(base)
        if base.get("t") == "word":
            word = str(base.get("text", "")).rstrip(":")
            return CLIENT_CLASSES.get(word, word.replace("::", "."))
        return self.value(base, line).flat()

    def link(self, text: str, link: dict, line: int) -> str:
        kind = link.get("k")
        if kind == "subscript":
            key = link.get("key") or {}
            if (
                link.get("brace") == "{"
                and text == "self"
                and key.get("t") == "str"
                and _identifier(str(key["v"]))
            ):
                return f"{text}.{key['v']}"
            inner = py_string(str(key["v"])) if key.get("t") == "str" else self.value(key, line).flat()
            return f"{text}[{inner}]"
        if kind == "method":
            if link.get("args") is None:
                return f"{text}.{link['name']}"
            return f"{text}.{link['name']}({self.args(link['args'], line)})"
        if kind == "dynamic":
            name = py_name({"t": "var", "text": link.get("name", ""), "name": str(link.get("name", ""))[1:]})
            self.note(line, f"the method is chosen at run time by {link.get('name')}")
            return f"getattr({text}, {name})({self.args(link.get('args') or [], line)})"
        self.note(line, "a code reference call ->(...) is left to you")
        return f"{text}(...)"

    def args(self, items: list[dict], line: int) -> str:
        return ", ".join(self.value(item, line).flat() for item in items)


# -- strings and names --------------------------------------------------------------------


def py_string(text: str) -> str:
    return "'" + _string_body(text) + "'"


def _string_body(text: str) -> str:
    out = []
    for char in text:
        if char == "\\":
            out.append("\\\\")
        elif char == "'":
            out.append("\\'")
        elif char == "\n":
            out.append("\\n")
        elif char == "\t":
            out.append("\\t")
        elif char == "\r":
            out.append("\\r")
        elif ord(char) < 32 or ord(char) == 127:
            out.append(f"\\x{ord(char):02x}")
        else:
            out.append(char)
    return "".join(out)


def py_name(var: dict) -> str:
    """``$client`` -> ``client``; Perl names that are Python keywords get a trailing ``_``."""
    name = str(var.get("name") or str(var.get("text", ""))[1:]).lstrip("$@%&*{").rstrip("}")
    name = name.replace("::", "_").replace("'", "_")
    if name == "_":
        return "_"
    if not _identifier(name) and not keyword.iskeyword(name):
        name = re.sub(r"\W", "_", name) or "_"
        if name[0].isdigit():
            name = "_" + name
    return name + "_" if keyword.iskeyword(name) else name


def _identifier(name: str) -> bool:
    return name.isidentifier() and name.isascii() and not keyword.iskeyword(name)


# -- call sites ------------------------------------------------------------------------------


def translate_file(inventory: Inventory, parsed: ParsedFile) -> list[Translation]:
    """Every client, call site and idiom use in ``parsed``, in source order."""
    out: list[Translation] = []
    for client in inventory.clients:
        if client.file == parsed.path:
            out.append(_client(parsed, client))
    for site in inventory.calls:
        if site.file == parsed.path:
            out.append(_call(inventory, parsed, site))
    for use in inventory.idiom_uses:
        # A use written on the call's own chain is translated with the call.
        if use.file == parsed.path and (use.site is None or use.chain is not use.site.chain):
            out.append(_use(parsed, use))
    out.sort(key=lambda t: (t.line, {"client": 0, "call": 1, "idiom": 2, "result": 3}[t.what]))
    return _merged(out)


def _merged(translations: list[Translation]) -> list[Translation]:
    """Uses of results written in one statement (``print $tx->res->code, $tx->res->body``)
    become one translation with a Python line each."""
    out: list[Translation] = []
    for t in translations:
        last = out[-1] if out else None
        if (
            last is not None
            and t.what in ("result", "idiom")
            and last.what == t.what
            and (last.line, last.end_line, last.perl) == (t.line, t.end_line, t.perl)
        ):
            last.python += "\n" + t.python
            last.notes += [note for note in t.notes if note not in last.notes]
            continue
        out.append(t)
    return out


def imports(inventory: Inventory, parsed: ParsedFile) -> list[str]:
    classes = sorted({CLIENT_CLASSES[c.cls] for c in inventory.clients if c.file == parsed.path})
    return [f"from openapi_client_openai import {', '.join(classes)}"] if classes else []


def _client(parsed: ParsedFile, client: ClientSite) -> Translation:
    writer = _Writer(parsed.utf8)
    chain = client.chain
    args = list(client.args)
    call_args: list[tuple[str, _Node]] = []
    if args:  # new($spec, %attrs): the first argument is always the spec, as Perl takes it
        call_args.append(("", writer.value(args.pop(0), client.line)))
    items = flat_items(args)
    if items is None or len(items) % 2:
        call_args += [("", writer.value(item, client.line)) for item in args]
        writer.note(client.line, "the attributes cannot be paired: passed as written")
    else:
        for key, value in zip(items[::2], items[1::2]):
            name = key_text(key)
            if name is not None and _identifier(name):
                call_args.append((f"{name}=", writer.value(value, client.line)))
            else:
                call_args.append(("", writer.value({"t": "hash", "items": [key, value]}, client.line)))
    expression = _Seq(CLIENT_CLASSES[client.cls] + "(", ")", call_args)
    rest = chain["links"][1:]
    text = expression.render(0)
    if rest:
        for link in rest:
            text = writer.link(text, link, client.line)
    return _statement(parsed, chain, text, "client", writer, None)


def _call(inventory: Inventory, parsed: ParsedFile, site: CallSite) -> Translation:
    writer = _Writer(parsed.utf8)
    chain = site.chain
    receiver = writer.chain(chain["base"], chain["links"][: site.index], site.line)
    if site.index == 1 and chain["base"].get("t") == "word":  # OpenAPI::Client::OpenAI->new->op
        receiver = _client_inline(chain, writer, site.line)
    if not site.traced:
        writer.note(site.line, f"{site.receiver} is taken to be a client (its method is an operation name)")
    head, lead = _head(site, receiver, writer)
    items = lead + _arguments(site, writer)
    text = _Seq(head + "(", ")", items).render(0)
    text = _result(text, site.result, writer, site.line)
    for problem in site.problems:
        writer.note(site.line, problem)
    if site.name is not None and not site.in_spec:
        closest = f"; closest: {site.closest}" if site.closest else ""
        writer.note(site.line, f"{site.name} is not an operation of the spec in use{closest}")
    translation = _statement(parsed, chain, text, "call", writer, site)
    translation.runnable = site.literal and site.in_spec and not translation.notes
    return translation


def _client_inline(chain: dict, writer: _Writer, line: int) -> str:
    cls = str(chain["base"].get("text", "")).rstrip(":")
    args = chain["links"][0].get("args") or []
    return f"{CLIENT_CLASSES.get(cls, cls)}({writer.args(args, line)})"


def _head(site: CallSite, receiver: str, writer: _Writer) -> tuple[str, list[tuple[str, _Node]]]:
    if site.form == "dynamic":
        name = site.dynamic_text
        var = {"t": "var", "text": name, "name": name[1:]} if name.startswith("$") else None
        writer.note(site.line, f"the operation is chosen at run time by {name}: check each value it takes")
        if site.written in ("call", "call_p"):
            return f"{receiver}.{site.written}", [("", _Raw(py_name(var) if var else "..."))]
        return f"getattr({receiver}, {py_name(var) if var else '...'})", []
    assert site.name is not None
    suffix = "_p" if site.promise else ""
    if site.form == "call":
        return f"{receiver}.call{suffix}", [("", _Raw(py_string(site.name)))]
    if _identifier(site.name):
        return f"{receiver}.{site.name}{suffix}", []
    return f"{receiver}.call{suffix}", [("", _Raw(py_string(site.name)))]


def _arguments(site: CallSite, writer: _Writer) -> list[tuple[str, _Node]]:
    items: list[tuple[str, _Node]] = []
    params = site.params
    keywords = _keyword_params(site) if not site.content and site.form == "method" else None
    if keywords is not None:
        items += [(f"{name}=", writer.value(value, site.line)) for name, value in keywords]
    elif params is not None and params.get("t") == "var" and params.get("sigil") in ("@", "%"):
        # Perl flattens it into the argument list: its first element is the params hash.
        items.append(("*" if params["sigil"] == "@" else "", writer.value(params, site.line)))
        if params["sigil"] == "%":
            writer.note(site.line, f"{params.get('text')} is flattened into the arguments in Perl")
    elif params is not None:
        items.append(("", writer.value(params, site.line)))
    elif site.content:
        items.append(("", _Raw("{}")))
    for name, value in site.content:
        items.append((f"{name}=", writer.value(value, site.line)))
    if site.callback is not None:
        items.append(("", writer.value(site.callback, site.line)))
    return items


def _keyword_params(site: CallSite) -> list[tuple[str, dict]] | None:
    """The params hash as keyword arguments, when that means the same call (DESIGN.md's rule)."""
    if site.params is None:
        return []
    if site.params.get("t") != "hash" or site.operation is None or site.callback is not None:
        return None
    pairs = hash_pairs(site.params)
    if pairs is None:
        return None
    declared = site.operation.param_names
    out = []
    for key, value in pairs:
        name = key_text(key)
        if name is None or not _identifier(name) or (name in CONTENT_NAMES and name not in declared):
            return None
        out.append((name, value))
    return out


def _result(text: str, steps: list[Step], writer: _Writer, line: int) -> str:
    for index, step in enumerate(steps):
        link_line = int(step.link.get("line") or line)
        if step.idiom is None:
            text = writer.link(text, step.link, link_line)
            continue
        if isinstance(step.idiom, Unknown):
            writer.note(link_line, f"{step.idiom.perl}: {step.idiom.note}; written as in Perl")
            rest = steps[index:]
            for later in rest:
                text = writer.link(text, later.link, link_line)
            return text
        idiom: Idiom = step.idiom
        args = [writer.value(arg, link_line).flat() for arg in step.link.get("args") or []]
        text = idiom.spell(text, args)
        if not idiom.supported:
            note = f" ({idiom.note})" if idiom.note else ""
            writer.note(link_line, f"{idiom.perl} is not supported by this package yet{note}")
        if idiom.is_statement and index != len(steps) - 1:
            writer.note(
                link_line, f"{idiom.perl} is a setter in Python: the rest of the chain is left to you"
            )
            return text
    return text


def _use(parsed: ParsedFile, use: IdiomUse) -> Translation:
    writer = _Writer(parsed.utf8)
    chain = use.chain
    prefix = writer.chain(chain["base"], chain["links"][: use.start], use.line)
    text = _result(prefix, use.steps, writer, use.line)
    what = "idiom" if use.site is None else "result"
    translation = _statement(parsed, chain, text, what, writer, use.site)
    if use.site is not None:
        translation.notes.insert(0, f"uses the result of the call at line {use.site.line}")
    return translation


def _statement(
    parsed: ParsedFile, chain: dict, expression: str, what: str, writer: _Writer, site: CallSite | None
) -> Translation:
    statement = chain.get("statement") or {"line": chain.get("line", 0), "end_line": chain.get("line", 0)}
    first, last = int(statement["line"]), int(statement["end_line"])
    perl = parsed.source(first, last) if parsed.lines else chain.get("text", "")
    python = expression
    assign = chain.get("assign")
    if chain.get("complete") and assign:
        python = _assignment(assign, expression, writer, first)
    elif chain.get("complete") and chain.get("prefix") == "return":
        python = f"return {expression}"
    elif not (chain.get("complete") and chain.get("prefix") == ""):
        writer.note(first, "only the call chain is translated; the rest of the statement is left to you")
    return Translation(
        parsed.path, int(chain.get("line", first)), last, what, perl, python, writer.notes, site
    )


def _assignment(assign: dict, expression: str, writer: _Writer, line: int) -> str:
    target = assign.get("target") or {}
    if target.get("t") == "var":
        name = py_name(target)
    elif target.get("t") == "chain":
        name = writer.chain(target["base"], target["links"], line)
    else:
        writer.note(line, f"the assignment to {assign.get('text')} is left to you")
        return expression
    if target.get("t") == "var" and target.get("sigil") in ("@", "%"):
        writer.note(line, f"{target.get('text')} receives a list in Perl")
    if assign.get("op") == "//=":
        return f"if {name} is None:\n    {name} = " + expression.replace("\n", "\n    ")
    if assign.get("op") == "||=":
        return f"{name} = {name} or {expression}"
    return f"{name} = {expression}"


def render(translations: Iterable[Translation], header: Iterable[str] = ()) -> str:
    """The text ``port translate`` prints: each Perl statement above its Python."""
    lines = [*header]
    for t in translations:
        span = f"line {t.line}" if t.line == t.end_line else f"lines {t.line}-{t.end_line}"
        lines.append("")
        lines.append(f"{span} ({t.what})")
        lines += _block("  Perl:    ", t.perl)
        lines += _block("  Python:  ", t.python)
        for note in t.notes:
            lines.append(f"  note:    {note}")
    return "\n".join(lines) + "\n"


def _block(label: str, text: str) -> list[str]:
    pad = " " * len(label)
    text_lines = _dedent(text.splitlines() or [""])
    return [label + text_lines[0], *(pad + line for line in text_lines[1:])]


def _dedent(lines: list[str]) -> list[str]:
    """Perl statements keep their relative indentation, without the common margin."""
    rest = [line for line in lines[1:] if line.strip()]
    margin = min((len(line) - len(line.lstrip()) for line in rest), default=0)
    first_indent = len(lines[0]) - len(lines[0].lstrip())
    margin = min(margin, first_indent) if rest else first_indent
    return [lines[0][first_indent:], *(line[margin:] if line.strip() else "" for line in lines[1:])]
