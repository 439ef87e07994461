"""Call samples that compile: the same call written in Perl and in Python.

Perl's generator printed ``$client->getRun( ... );`` -- no arguments, and for
kebab-case ids (``admin-api-keys-create``) a method call that does not parse.
Here the real parameters are filled in, ids that are not identifiers go
through ``call``, multipart bodies through ``file_upload``, and long calls
are laid out one argument per line.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass
from typing import Any

WIDTH = 72  # verbatim blocks sit 8 columns in, in pod2text's 80
_PERL_NAME = re.compile(r"\A[A-Za-z_][A-Za-z0-9_]*\Z")


@dataclass(frozen=True)
class CallSample:
    """What one call passes: params (the Perl hash) and an optional body by kind."""

    operation_id: str
    params: dict  # name -> value, in the order they are shown
    body: Any = None
    body_kind: str = ""  # "" (none), "json" (the params body), else a content keyword (file_upload, form...)

    @classmethod
    def of(cls, operation_id: str, params: dict, content: dict | None = None) -> CallSample:
        """The sample of a call as made: its params dict and its content keywords."""
        params = dict(params)
        if "body" in params:
            return cls(operation_id, params, params.pop("body"), "json")
        for kind, body in (content or {}).items():
            return cls(operation_id, params, body, kind)
        return cls(operation_id, params)


def perl_call(sample: CallSample) -> str:
    params = dict(sample.params)
    if sample.body_kind == "json":
        params["body"] = sample.body
    content = sample.body_kind not in ("", "json")
    args = []
    if params or content:
        args.append(params)
    extra = [(sample.body_kind, sample.body)] if content else []
    if _PERL_NAME.match(sample.operation_id):
        head = f"$client->{sample.operation_id}"
        if not args:
            return head + ";"
        return _call(head, [_PerlArg(a) for a in args] + [_PerlArg(v, k) for k, v in extra], perl=True) + ";"
    head = "$client->call"
    name = _perl_scalar(sample.operation_id)
    parts = [_PerlArg(a) for a in args] + [_PerlArg(v, k) for k, v in extra]
    return (
        _call(head, [_Raw(name + (" =>" if parts else "")), *parts], perl=True, fat_first=bool(parts)) + ";"
    )


def perl_stream(sample: CallSample) -> str:
    """The call with its body streamed the Mojo way: a ``read`` handler set in ``after_build_tx``."""
    return "\n".join(
        (
            "$client->on(after_build_tx => sub {",
            "  my ($client, $tx) = @_;",
            "  $tx->res->content->unsubscribe('read')->on(read => sub {",
            "    my ($content, $bytes) = @_;",
            "    print $bytes;    # server-sent events, as they arrive",
            "  });",
            "});",
            "my $tx = " + perl_call(sample),
        )
    )


def python_stream(sample: CallSample) -> str:
    """The call as ``client.stream``'s loop."""
    call = python_call(sample, stream=True)
    return f"for event in {call}:\n    print(event.type, event.data)"


def python_call(sample: CallSample, stream: bool = False) -> str:
    params = dict(sample.params)
    kwargs_ok = all(_python_name(name) for name in params) and "body" not in params
    extra = [(sample.body_kind, sample.body)] if sample.body_kind not in ("", "json") else []
    if stream:
        head = "client.stream"
        leading: list = [_Raw(repr(sample.operation_id))]
    elif _python_name(sample.operation_id):
        head = f"client.{sample.operation_id}"
        leading = []
    else:
        head = "client.call"
        leading = [_Raw(repr(sample.operation_id))]
    if sample.body_kind == "json":
        if kwargs_ok and (not leading or stream):
            args = [_PyArg(v, k) for k, v in params.items()] + [_PyArg(sample.body, "body")]
            return _call(head, [*leading, *args], perl=False)
        params["body"] = sample.body
        return _call(head, [*leading, _PyArg(params)], perl=False)
    if extra:
        return _call(head, [*leading, _PyArg(params)] + [_PyArg(v, k) for k, v in extra], perl=False)
    if leading:
        return _call(head, [*leading, _PyArg(params)] if params else leading, perl=False)
    if kwargs_ok:
        return _call(head, [_PyArg(v, k) for k, v in params.items()], perl=False)
    return _call(head, [_PyArg(params)], perl=False)


def _python_name(name: str) -> bool:
    return name.isidentifier() and name.isascii() and not keyword.iskeyword(name)


# -- layout ----------------------------------------------------------------------

HUG_LIMIT = 48  # a call line this short keeps its arguments, the last one opening there


@dataclass(frozen=True)
class _Raw:
    text: str

    def flat(self) -> str:
        return self.text

    def render(self, indent: int, used: int = 0) -> str:
        return self.text


@dataclass(frozen=True)
class _PerlArg:
    value: Any
    key: str = ""

    def _prefix(self) -> str:
        return f"{_perl_key(self.key)} => " if self.key else ""

    def flat(self) -> str:
        return self._prefix() + _perl_flat(self.value)

    def render(self, indent: int, used: int = 0) -> str:
        prefix = self._prefix()
        return prefix + _perl(self.value, indent, used + len(prefix))


@dataclass(frozen=True)
class _PyArg:
    value: Any
    key: str = ""

    def flat(self) -> str:
        return (f"{self.key}=" if self.key else "") + _python_flat(self.value)

    def render(self, indent: int, used: int = 0) -> str:
        prefix = f"{self.key}=" if self.key else ""
        return prefix + _python(self.value, indent, used + len(prefix))


def _call(head: str, args: list, perl: bool, fat_first: bool = False) -> str:
    """``head(args)`` on one line if it fits, else hugging the last argument, else one per line.

    Hugging (``createFile({}, file_upload => {`` ... ``})``) is kept for calls whose
    other arguments are positional; keyword calls go one argument per line.
    """
    flats = [a.flat() for a in args]
    if len(head) + len(_join_args(flats, fat_first)) + 3 <= WIDTH:
        return f"{head}({_join_args(flats, fat_first)})"
    last = args[-1]
    positional_lead = all(isinstance(a, _Raw) or not a.key for a in args[:-1])
    if (
        positional_lead
        and isinstance(last, (_PerlArg, _PyArg))
        and isinstance(last.value, (dict, list))
        and last.value
    ):
        lead = _join_args(flats[:-1], fat_first)
        separator = " " if fat_first and len(args) == 2 else ", "
        opening = f"{head}({lead}{separator if lead else ''}"
        if len(opening) <= HUG_LIMIT:
            return opening + last.render(0, len(opening)) + ")"
    rendered = [a.render(4) for a in args]
    if fat_first:
        rendered = [f"{rendered[0]} {rendered[1]}", *rendered[2:]]
    inner = ",\n".join("    " + r for r in rendered)
    return f"{head}(\n{inner},\n)"


def _join_args(parts: list, fat_first: bool) -> str:
    if fat_first and len(parts) > 1:
        return ", ".join([f"{parts[0]} {parts[1]}", *parts[2:]])
    return ", ".join(parts)


def _perl(value: Any, indent: int, used: int) -> str:
    flat = _perl_flat(value)
    if indent + used + len(flat) <= WIDTH or not isinstance(value, (dict, list)) or not value:
        return flat
    pad = " " * (indent + 4)
    if isinstance(value, dict):
        lines = [
            f"{pad}{_perl_key(k)} => {_perl(v, indent + 4, len(_perl_key(k)) + 4)}," for k, v in value.items()
        ]
        return "{\n" + "\n".join(lines) + "\n" + " " * indent + "}"
    lines = [f"{pad}{_perl(v, indent + 4, 0)}," for v in value]
    return "[\n" + "\n".join(lines) + "\n" + " " * indent + "]"


def _perl_flat(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_perl_key(k)} => {_perl_flat(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_perl_flat(v) for v in value) + "]"
    return _perl_scalar(value)


def _perl_key(key: str) -> str:
    return key if _PERL_NAME.match(key) else _perl_scalar(key)


def _perl_scalar(value: Any) -> str:
    if value is None:
        return "undef"
    if value is True:
        return "Mojo::JSON::true"
    if value is False:
        return "Mojo::JSON::false"
    if isinstance(value, (int, float)):
        return repr(value)
    text = str(value)
    if re.search(r"[\x00-\x1f\x7f]", text):
        escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$").replace("@", "\\@")
        escaped = re.sub(
            r"[\x00-\x1f\x7f]",
            lambda m: {"\n": "\\n", "\t": "\\t", "\r": "\\r"}.get(m.group(), f"\\x{{{ord(m.group()):02x}}}"),
            escaped,
        )
        return f'"{escaped}"'
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _python(value: Any, indent: int, used: int) -> str:
    flat = _python_flat(value)
    if indent + used + len(flat) <= WIDTH or not isinstance(value, (dict, list)) or not value:
        return flat
    pad = " " * (indent + 4)
    if isinstance(value, dict):
        lines = [f"{pad}{k!r}: {_python(v, indent + 4, len(repr(k)) + 2)}," for k, v in value.items()]
        return "{\n" + "\n".join(lines) + "\n" + " " * indent + "}"
    lines = [f"{pad}{_python(v, indent + 4, 0)}," for v in value]
    return "[\n" + "\n".join(lines) + "\n" + " " * indent + "]"


def _python_flat(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {_python_flat(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_python_flat(v) for v in value) + "]"
    return repr(value)
