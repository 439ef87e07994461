"""Arguments as PerlCompat::Port describes them, and the literal data they stand for.

Each value is a dict with a type tag ``t``: ``str``, ``num``, ``bool``, ``undef``,
``hash``/``array`` (their ``items`` in source order), ``qw`` (words that flatten into
the enclosing list), ``var`` (``$x``, ``@x``, ``%x``), ``ref`` (``\\@x``), ``interp`` (a
string interpolating simple scalars), ``sub`` (an anonymous sub: its parameters and
lines), ``chain`` (``$self->{key}``, ``$obj->method``) and ``expr`` (anything else,
kept as text). Only the first six are *literal*: data known without running Perl.
"""

from __future__ import annotations

from typing import Any

from openapi_client_openai.perl_data import perl_str

LITERAL_TYPES = frozenset({"str", "num", "bool", "undef", "hash", "array", "qw"})


class NotLiteral(ValueError):
    """The value depends on running Perl (a variable, a call, ...); ``value`` is its description."""

    def __init__(self, value: dict) -> None:
        self.value = value
        super().__init__(f"not a literal: {perl_text(value)}")


def is_literal(value: dict) -> bool:
    try:
        to_data(value)
    except NotLiteral:
        return False
    return True


def flat_items(items: list[dict]) -> list[dict] | None:
    """List items with ``qw()`` expanded; None when an item flattens to an unknown length
    (``@list``, ``%hash``), since then the items cannot be counted or paired."""
    out: list[dict] = []
    for item in items:
        if item.get("t") == "qw":
            out += [{"t": "str", "v": word} for word in item.get("words", [])]
        elif item.get("t") == "var" and item.get("sigil") in ("@", "%"):
            return None
        else:
            out.append(item)
    return out


def hash_pairs(value: dict) -> list[tuple[dict, dict]] | None:
    """The (key, value) pairs of a ``{...}`` (or of a flat argument list); None if they
    cannot be paired (an odd count, or an item of unknown length)."""
    items = flat_items(value.get("items", [])) if value.get("t") == "hash" else None
    if items is None or len(items) % 2:
        return None
    return [(items[i], items[i + 1]) for i in range(0, len(items), 2)]


def key_text(key: dict) -> str | None:
    """A hash key as Perl stringifies it, when it is a literal; else None."""
    kind = key.get("t")
    if kind == "str":
        return str(key["v"])
    if kind == "num":
        return perl_str(key["v"])
    return None


def to_data(value: dict) -> Any:
    """The Python data a literal stands for (dict, list, str, int/float, bool, None).

    Raises NotLiteral for anything that needs Perl to run.
    """
    kind = value.get("t")
    if kind == "str":
        return value["v"]
    if kind == "num":
        return value["v"]
    if kind == "bool":
        return bool(value["v"])
    if kind == "undef":
        return None
    if kind == "array":
        items = flat_items(value.get("items", []))
        if items is None:
            raise NotLiteral(value)
        return [to_data(item) for item in items]
    if kind == "hash":
        pairs = hash_pairs(value)
        if pairs is None:
            raise NotLiteral(value)
        out = {}
        for key, item in pairs:
            name = key_text(key)
            if name is None:
                raise NotLiteral(key)
            out[name] = to_data(item)  # a repeated key: the last one wins, as in Perl
        return out
    raise NotLiteral(value)


def perl_text(value: dict) -> str:
    """A short Perl spelling of a value, for messages."""
    kind = value.get("t")
    if "text" in value:
        return str(value["text"])
    if kind == "str":
        return repr(value["v"])
    if kind == "num":
        return str(value["v"])
    if kind == "undef":
        return "undef"
    if kind == "qw":
        return f"qw({' '.join(value.get('words', []))})"
    if kind == "hash":
        return "{...}"
    if kind == "array":
        return "[...]"
    if kind == "sub":
        return "sub {...}"
    return kind or "?"
