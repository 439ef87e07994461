"""Type stubs for a spec: each operation a typed, documented method, for editors and mypy.

``openapi-client-openai stubs --spec S --out DIR`` writes a module named after the
spec (``openai_openapi`` for ``openai-openapi.yaml``; ``--module`` chooses another):

* ``DIR/openai_openapi.py`` re-exports this package's ``OpenAI`` and ``Client``, so
  nothing changes at run time;
* ``DIR/openai_openapi.pyi`` declares them as subclasses with one method for every
  name an operation answers to (operationId, snake_case alias, ``_p`` forms), typed
  and documented from the spec.

    from openai_openapi import OpenAI        # was: from openapi_client_openai import OpenAI
    client = OpenAI("openai-openapi.yaml")
    tx = client.createChatCompletion(body={"model": "gpt-4o", "messages": [...]})

Each operation's overloads are client.py's calling conventions: keyword parameters
(path and query parameters required as the spec requires them; ``body`` typed from
its schema), Perl's params dict (a TypedDict of the parameters), each of the two with
a trailing callback (non-blocking: the client comes back), and ``_p`` forms that give
a Promise. Request bodies and the objects in them are TypedDicts, so a misspelt or
missing key is reported; a name the spec has no operation for is not callable
(``NotAnOperationOfThisSpec``), as at run time it raises NoSuchOperation. The
TypedDicts exist for type checkers only: import them under ``if TYPE_CHECKING:``.
"""

from __future__ import annotations

import keyword
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import spec_refs
from ..client import class_suffix, method_names
from ..errors import ArgumentError, SpecError
from ..openai import OpenAI
from ..operations import Operation
from ..schemas import guess_type
from ..spec import Spec, SpecSource, load_spec
from .files import make_dir, write_atomically
from .schemas import json_type, object_shape

ANY = "_t.Any"
TRANSACTION = "_oco.Transaction"
PROMISE = "_oco.Promise"
CALLBACK = "_t.Callable[[_t.Self, _oco.Transaction], object]"
NOT_AN_OPERATION = "NotAnOperationOfThisSpec"
# Names the stub module defines itself; a schema of the same name is renamed.
RESERVED = {"Client", "OpenAI", NOT_AN_OPERATION, "Operations"}
# Keys that document a schema without changing what it accepts: a $ref with only
# these beside it is the named type itself.
DOC_KEYS = {"description", "title", "example", "examples", "default", "deprecated", "readOnly", "writeOnly"}
SCALARS = {"string": "str", "integer": "int", "number": "float", "boolean": "bool", "null": "None"}
MAX_DEPTH = 40
DESCRIPTION_LIMIT = 600


@dataclass(frozen=True)
class StubFiles:
    """What :func:`write_stubs` wrote."""

    module: str
    stub: Path
    runtime: Path
    operations: int


def module_name(spec: Spec) -> str:
    """The module's default name: the spec file's, as a Python identifier."""
    name = class_suffix(spec.source).lower()
    if not name.isidentifier() or keyword.iskeyword(name):
        name = f"spec_{name}"
    return name


def write_stubs(
    spec_source: SpecSource | Spec, out_dir: os.PathLike[str] | str, module: str | None = None
) -> StubFiles:
    """Write ``MODULE.py`` and ``MODULE.pyi`` for a spec under ``out_dir``; SpecError for a bad spec."""
    if module is not None and (not module.isidentifier() or keyword.iskeyword(module)):
        raise ArgumentError(f"--module: {module!r} is not a Python module name")
    spec = spec_source if isinstance(spec_source, Spec) else load_spec(spec_source)
    module = module or module_name(spec)
    directory = Path(out_dir)
    make_dir(directory)
    stub, runtime = directory / f"{module}.pyi", directory / f"{module}.py"
    write_atomically(stub, render_stub(spec))
    write_atomically(runtime, render_runtime(spec, module))
    return StubFiles(module, stub, runtime, len(spec.operations))


def render_runtime(spec: Spec, module: str) -> str:
    """The module as Python runs it: the package's own classes, nothing else."""
    return (
        f'"""Typed entry point for the operations of {_docstring_text(spec.source)}.\n\n'
        f"    from {module} import OpenAI     # instead of: from openapi_client_openai import OpenAI\n\n"
        "At run time these are openapi_client_openai's own classes; the .pyi beside this file\n"
        "gives type checkers and editors one typed, documented method per operation, and\n"
        "TypedDicts of the request bodies (for annotations: import them under TYPE_CHECKING).\n"
        'Written by `openapi-client-openai stubs`: regenerate it when the spec changes.\n"""\n\n'
        "from openapi_client_openai import Client, OpenAI\n\n"
        '__all__ = ["Client", "OpenAI"]\n'
    )


def render_stub(spec: Spec) -> str:
    """The ``.pyi`` text for a spec."""
    types = _Types(spec)
    methods: list[str] = []
    by_operation: dict[str, list[tuple[str, bool]]] = {}
    for name, (op_id, promised) in method_names(spec).items():
        if name.isidentifier() and not keyword.iskeyword(name) and not hasattr(OpenAI, name):
            by_operation.setdefault(op_id, []).append((name, promised))
    for op_id, operation in spec.operations.items():
        names = by_operation.get(op_id)
        if names:  # none when the client's own methods have every name: call() reaches it
            methods.append(_Methods(types, operation, names).render())
    header = (
        f"# Types for the {len(spec.operations)} operations of {_comment_text(spec.source)},\n"
        "# written by `openapi-client-openai stubs` (see openapi_client_openai/docgen/stubs.py).\n"
        "# Do not edit: regenerate it when the spec changes.\n\n"
        "import collections.abc as _abc\n"
        "import typing as _t\n\n"
        "import openapi_client_openai as _oco\n\n"
        "__all__ = ['Client', 'OpenAI']\n\n"
        f"class {NOT_AN_OPERATION}:\n"
        '    """A name the spec has no operation for: not callable (at run time: NoSuchOperation)."""\n\n'
        "class Operations:\n"
        f"    def __getattr__(self, name: str) -> {NOT_AN_OPERATION}: ...\n"
    )
    classes = (
        "\n\nclass Client(Operations, _oco.Client):\n"
        f'    """OpenAPI::Client for {_docstring_text(spec.source)}: a method per operation."""\n\n'
        "class OpenAI(Operations, _oco.OpenAI):\n"
        f'    """OpenAPI::Client::OpenAI for {_docstring_text(spec.source)}: a method per operation."""\n'
    )
    definitions = "\n\n".join(types.definitions)
    return header + "".join(methods) + classes + ("\n\n" + definitions + "\n" if definitions else "")


# -- schemas as types -----------------------------------------------------------------


class _Types:
    """Python type expressions for schemas; named schemas and objects become definitions."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.definitions: list[str] = []
        self.by_ref: dict[str, str] = {}
        self.taken = set(RESERVED)

    def name(self, wanted: str) -> str:
        """A fresh identifier for a definition, from a schema name or a hint."""
        base = re.sub(r"\W", "_", wanted) or "Schema"
        if base[0].isdigit():
            base = f"_{base}"
        if keyword.iskeyword(base):
            base = f"{base}_"
        name, number = base, 2
        while name in self.taken:
            name, number = f"{base}{number}", number + 1
        self.taken.add(name)
        return name

    def of(self, schema: Any, hint: str, depth: int = 0) -> str:
        """The type of values valid for ``schema``; ``hint`` names an inline object's TypedDict."""
        if depth > MAX_DEPTH or not isinstance(schema, dict):
            return ANY
        ref = spec_refs.ref_of(schema, spec_refs.TARGET)
        if ref is not None and ref.startswith("#/"):
            siblings = {key for key in schema if key != "$ref" and not key.startswith("x-")}
            if siblings <= DOC_KEYS | {"nullable"}:
                named = self.named(ref, depth)
                return f"{named} | None" if schema.get("nullable") is True else named
        try:
            node = self.spec.resolve(schema)
        except SpecError:
            return ANY
        return self.inline(node, hint, depth)

    def named(self, ref: str, depth: int) -> str:
        found = self.by_ref.get(ref)
        if found is not None:
            return found
        name = self.by_ref[ref] = self.name(ref.rsplit("/", 1)[-1])
        try:
            node = self.spec.resolve({"$ref": ref})
        except SpecError:
            node = {}
        expression = self.inline(node, name, depth + 1, own_name=name)
        if expression != name:
            self.definitions.append(f"{name}: _t.TypeAlias = {expression}")
        return name

    def inline(self, node: Any, hint: str, depth: int, own_name: str | None = None) -> str:
        if not isinstance(node, dict) or depth > MAX_DEPTH:
            return ANY
        parts: list[str] = []
        nullable = node.get("nullable") is True
        choices = [option for key in ("oneOf", "anyOf") for option in node.get(key) or []]
        literal = _literal(node)
        if literal is not None:
            parts.append(literal)
        elif choices:
            for index, option in enumerate(choices):
                parts.append(self.of(option, f"{hint}{index + 1}" if len(choices) > 1 else hint, depth + 1))
        else:
            declared = node.get("type")
            kinds = (
                declared if isinstance(declared, list) else [declared] if isinstance(declared, str) else []
            )
            if not kinds:
                guessed = guess_type(node)
                kinds = [guessed] if guessed and guessed != "const" else []
            if not kinds and isinstance(node.get("enum"), list):  # values no Literal can hold
                kinds = [json_type(value) for value in node["enum"]]
            parts_of_all = node.get("allOf")
            if not kinds and isinstance(parts_of_all, list) and parts_of_all:
                if len(parts_of_all) == 1:
                    parts.append(self.of(parts_of_all[0], hint, depth + 1))
                else:
                    kinds = ["object"]
            plain_object = kinds == ["object"] and not nullable
            for kind in kinds:
                if kind == "null":
                    parts.append("None")
                elif kind == "array":
                    parts.append(f"_abc.Sequence[{self.of(node.get('items'), f'{hint}Item', depth + 1)}]")
                elif kind == "object":
                    parts.append(self.object(node, hint, depth, own_name if plain_object else None))
                elif kind in SCALARS:
                    parts.append(SCALARS[kind])
        return _union(parts or [ANY], nullable)

    def object(self, node: dict, hint: str, depth: int, own_name: str | None) -> str:
        properties, required = object_shape(self.spec, node)
        if not properties:
            extra = node.get("additionalProperties")
            if isinstance(extra, dict) and extra:
                return f"dict[str, {self.of(extra, f'{hint}Value', depth + 1)}]"
            return f"dict[str, {ANY}]"
        name = own_name or self.name(hint)
        fields = []
        for key, schema in properties.items():
            if not isinstance(key, str):
                continue
            kind = self.of(schema, f"{name}{_camel(key)}", depth + 1)
            fields.append((key, kind if key in required else f"_t.NotRequired[{kind}]"))
        self.definitions.append(typed_dict(name, fields, _first_line(node.get("description"))))
        return name


def typed_dict(name: str, fields: list[tuple[str, str]], doc: str = "") -> str:
    """A TypedDict definition: class syntax where every key is an identifier, else the functional one."""
    if all(key.isidentifier() and not keyword.iskeyword(key) for key, _ in fields):
        lines = [f"class {name}(_t.TypedDict):"]
        if doc:
            lines.append(f'    """{_docstring_text(doc)}"""')
        lines += [f"    {key}: {kind}" for key, kind in fields]
        if len(lines) == 1:
            lines.append("    pass")
        return "\n".join(lines)
    items = ", ".join(f"{key!r}: {kind}" for key, kind in fields)
    return f"{name} = _t.TypedDict({name!r}, {{{items}}})"


def _literal(node: dict) -> str | None:
    """``Literal[...]`` for an ``enum`` or ``const`` of strings, integers, booleans (None: nullable)."""
    if "const" in node:
        values = [node["const"]]
    elif isinstance(node.get("enum"), list) and node["enum"]:
        values = node["enum"]
    else:
        return None
    written: list[str] = []
    for value in values:
        if value is None:
            continue
        if not isinstance(value, (str, int)):  # bool is an int; floats and objects have no Literal
            return None
        if repr(value) not in written:
            written.append(repr(value))
    literal = f"_t.Literal[{', '.join(written)}]" if written else "None"
    return _union([literal], None in values)


def _union(parts: list[str], nullable: bool) -> str:
    unique: list[str] = []
    for part in parts:
        for piece in _split_union(part):
            if piece not in unique:
                unique.append(piece)
    if ANY in unique:
        return ANY
    if nullable and "None" not in unique:
        unique.append("None")
    if "None" in unique:  # reads best last
        unique.remove("None")
        unique.append("None")
    return " | ".join(unique)


def _split_union(expression: str) -> list[str]:
    """The top-level members of ``A | B[C | D]``."""
    members, depth, start = [], 0, 0
    for index, char in enumerate(expression):
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        elif char == "|" and depth == 0:
            members.append(expression[start:index].strip())
            start = index + 1
    members.append(expression[start:].strip())
    return members


# -- operations as methods --------------------------------------------------------------


class _Methods:
    """The overloads of one operation's methods, under each name it answers to."""

    def __init__(self, types: _Types, operation: Operation, names: list[tuple[str, bool]]) -> None:
        self.types = types
        self.operation = operation
        self.names = names
        title = _camel(operation.operation_id)
        self.params = [p for p in operation.parameters if isinstance(p.get("name"), str)]
        self.declared = {p["name"] for p in self.params}
        self.positional = "params_" if "params" in self.declared else "params"
        self.callback = "callback_" if "callback" in self.declared else "callback"
        body = operation.request_body
        self.has_body = body is not None
        self.body_schema, self.body_media = _body_schema(operation)
        self.body_type = types.of(self.body_schema, f"{title}Body") if self.has_body else ""
        # A required JSON body is a required keyword; a multipart body may come as file_upload=.
        self.body_required = (
            isinstance(body, dict) and body.get("required") is True and self.body_media == "application/json"
        )
        self.param_types = {
            p["name"]: types.of(p.get("schema"), f"{title}{_camel(p['name'])}") for p in self.params
        }
        self.params_dict = self._params_dict(types.name(f"{title}Params"))

    def _params_dict(self, name: str) -> str:
        fields = []
        for param in self.params:
            kind = self.param_types[param["name"]]
            required = param.get("required") is True or param.get("in") == "path"
            fields.append((param["name"], kind if required else f"_t.NotRequired[{kind}]"))
        if self.has_body:
            fields.append(
                ("body", self.body_type if self.body_required else f"_t.NotRequired[{self.body_type}]")
            )
        self.types.definitions.append(
            typed_dict(name, fields, f"The params dict of {self.operation.operation_id} (Perl's hash).")
        )
        return name

    def keyword_params(self) -> list[str]:
        """Keyword-only parameters of the keyword form: the spec's params, then the body."""
        written = []
        for param in self.params:
            name = param["name"]
            if not name.isidentifier() or keyword.iskeyword(name) or name == "self":
                continue  # reachable through the params dict only
            required = param.get("required") is True or param.get("in") == "path"
            kind = self.param_types[name]
            written.append(f"{name}: {kind}" if required else f"{name}: {kind} = ...")
        if self.has_body:
            written.append(
                f"body: {self.body_type}" if self.body_required else f"body: {self.body_type} = ..."
            )
            if not self.body_required:
                written += self.generators(raw_body=False)
        return written

    def generators(self, raw_body: bool) -> list[str]:
        """Content keywords (Mojo's generators and OpenAI's file_upload) the spec does not take as params."""
        if not self.has_body:
            return []
        multipart = self.body_media == "multipart/form-data"
        kinds = {
            "json": ANY if multipart else self.body_type,
            "form": f"dict[str, {ANY}]",
            "multipart": ANY,
            "file_upload": self.body_type if multipart else f"dict[str, {ANY}]",
        }
        written = [f"{name}: {kind} = ..." for name, kind in kinds.items() if name not in self.declared]
        if raw_body:
            written.append("body: str | bytes = ...")  # in the params-dict form, 'body' is raw bytes
        return written

    def render(self) -> str:
        keywords = self.keyword_params()
        content = self.generators(raw_body=True)
        doc = self.docstring()
        params_type = f"{self.params_dict} | None"
        lines = []
        for name, promised in self.names:  # each name in full: mypy's messages name the method
            returns = PROMISE if promised else TRANSACTION
            forms = [
                (f"self, /, *, {', '.join(keywords)}" if keywords else "self, /", returns, doc),
                (_signature(f"self, {self.positional}: {params_type}, /", content), returns, ""),
            ]
            if not promised:
                forms += [
                    (
                        _signature(
                            f"self, {self.positional}: {params_type}, {self.callback}: {CALLBACK}, /", content
                        ),
                        "_t.Self",
                        "",
                    ),
                    (_signature(f"self, {self.callback}: {CALLBACK}, /", keywords), "_t.Self", ""),
                ]
            for arguments, result, text in forms:
                body = f'\n        """{text}"""\n' if text else " ...\n"
                lines.append(f"    @_t.overload\n    def {name}({arguments}) -> {result}:{body}")
        return "\n" + "".join(lines)

    def docstring(self) -> str:
        operation = self.operation
        summary = _first_line(operation.summary)
        lines = [f"{operation.method.upper()} {operation.path}: {summary or operation.operation_id}"]
        description = _paragraph(operation.description)
        if description and description != summary:
            lines += ["", description]
        entries = []
        for param in self.params:
            where = param.get("in", "")
            required = ", required" if param.get("required") is True or where == "path" else ""
            entries.append(
                _entry(
                    param["name"],
                    f"{self.param_types[param['name']]}, {where}{required}",
                    param.get("description"),
                )
            )
        if self.has_body:
            multipart = self.body_media == "multipart/form-data"
            sent = "the request body, sent as " + (
                "multipart/form-data (file_upload=)" if multipart else "JSON"
            )
            about = self.body_schema.get("description") if isinstance(self.body_schema, dict) else None
            kind = f"{self.body_type}{', required' if self.body_required else ''}"
            entries.append(
                _entry("body", kind, f"{sent}; {_first_line(about)}" if _first_line(about) else sent)
            )
        if entries:
            lines += ["", "Parameters (keywords, or keys of the params dict):", *entries]
        lines += [
            "",
            "Returns the transaction (tx.res.json()); with a trailing callback, the client;",
            "the _p form, a Promise of the transaction.",
        ]
        text = re.sub(r"\b_(?:t|abc|oco)\.", "", "\n".join(lines))  # the types as a reader writes them
        indented = "\n".join(f"        {line}" if line else "" for line in _docstring_text(text).split("\n"))
        return indented.lstrip() + "\n        "


def _entry(name: str, kind: str, description: Any) -> str:
    text = _first_line(description)
    return f"    {name} ({kind}){': ' + text if text else ''}"


def _signature(head: str, keywords: list[str]) -> str:
    return f"{head}, *, {', '.join(keywords)}" if keywords else head


def _body_schema(operation: Operation) -> tuple[Any, str]:
    """The request body's schema and media type: JSON's when there is one, else the first."""
    body = operation.request_body or {}
    content = body.get("content") if isinstance(body, dict) else None
    if not isinstance(content, dict) or not content:
        return {}, ""
    media = "application/json" if "application/json" in content else next(iter(content))
    entry = content.get(media)
    schema = entry.get("schema") if isinstance(entry, dict) else None
    return (schema if isinstance(schema, dict) else {}), str(media)


# -- text ----------------------------------------------------------------------------------


def _camel(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[\W_]+", name) if part)


def _first_line(text: Any) -> str:
    if not isinstance(text, str):
        return ""
    return _paragraph(text).split("\n", 1)[0].strip()


def _paragraph(text: Any) -> str:
    """The first paragraph of a description, shortened for a docstring."""
    if not isinstance(text, str):
        return ""
    paragraph = text.strip().split("\n\n", 1)[0].strip()
    if len(paragraph) > DESCRIPTION_LIMIT:
        paragraph = paragraph[: DESCRIPTION_LIMIT - 3].rstrip() + "..."
    return paragraph


def _docstring_text(text: str) -> str:
    """Text safe inside a triple-quoted string: backslashes and quotes escaped."""
    escaped = text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    return escaped + " " if escaped.endswith('"') else escaped


def _comment_text(text: str) -> str:
    return text.replace("\n", " ")
