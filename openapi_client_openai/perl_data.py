"""Python values as Perl sees them: stringified, numified, typed and JSON-encoded.

Hand-written because parity demands it: the bytes Perl puts on the wire and the
words in its error messages depend on Perl's scalar rules (``"%.15g"`` numbers,
``JSON::PP::Boolean`` stringifying to 1/0, integers only up to 64 bits) and on how
Mojo::JSON (through Cpanel::JSON::XS) writes JSON. Checked against the real Perl
stack by the parity suite.
"""

from __future__ import annotations

import math
import re
from json.encoder import encode_basestring
from typing import Any

from .errors import EncodeError
from .pointer import join

IV_MIN = -(2**63)
UV_MAX = 2**64 - 1
MAX_DEPTH = 512  # Cpanel::JSON::XS's default max_depth: deeper data makes Perl croak


def is_num(value: Any) -> bool:
    """JSON::Validator's ``is_num``: a finite number (booleans are objects in Perl)."""
    return type(value) in (int, float) and math.isfinite(value)


def data_type(value: Any) -> str:
    """JSON::Validator's ``data_type`` as used in "Expected X - got Y." messages."""
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if is_num(value):
        return "number"
    return "string"


def perl_number(value: float) -> str:
    """How Perl prints an NV: ``%.15g``, with Inf/-Inf/NaN spelled Perl's way."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Inf" if value > 0 else "-Inf"
    if value == 0:
        return "0"  # Perl prints -0.0 as 0
    return "%.15g" % value  # noqa: UP031 (the C format Perl itself uses)


def perl_str(value: Any) -> str:
    """Perl's stringification of a scalar (undef is the empty string)."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return perl_number(value)
    if isinstance(value, dict):
        return f"HASH(0x{id(value):x})"
    if isinstance(value, list):
        return f"ARRAY(0x{id(value):x})"
    return str(value)


_ASCII_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?")


_LOOKS_LIKE_NUMBER = re.compile(
    r"^\s*[-+]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|inf(?:inity)?|nan)\s*\Z", re.IGNORECASE
)
_LEADING_NUMBER = re.compile(
    r"\s*([-+]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|inf(?:inity)?|nan))", re.IGNORECASE
)


def looks_like_number(text: str) -> bool:
    """Scalar::Util::looks_like_number for a string."""
    return bool(_LOOKS_LIKE_NUMBER.match(text))


def leading_number(text: str) -> float:
    """A string in numeric context, as Perl reads it (``$text + 0``): its leading number, else 0."""
    match = _LEADING_NUMBER.match(text)
    return float(match.group(1)) if match else 0.0


def numify(text: str) -> int | float:
    """``0 + $text`` for text JSON::Validator already found numeric.

    Perl keeps an integer an IV; a decimal point makes an NV even when integral
    ("1.0" stays 1.0); an exponent makes an NV that turns back into an IV when it is
    integral and fits ("1e3" is 1000). ``0 +`` also turns -0.0 into 0.0.
    """
    match = _ASCII_NUMBER.match(text)
    if not match:
        return 0  # Perl's \d also matches non-ASCII digits, which numify to 0
    literal = match.group(0)
    if match.group(1) is None and match.group(2) is None:
        number = int(literal)
        return number if IV_MIN <= number <= UV_MAX else float(number) + 0.0
    real = float(literal) + 0.0
    if match.group(2) is not None and real.is_integer() and IV_MIN <= real <= UV_MAX:
        return int(real)
    return real


def perlify(value: Any, path: str = "") -> Any:
    """A private copy of caller data holding only values Perl could hold.

    Validation coerces in place as Perl does, so it works on this copy and the
    caller's data is never touched. Integers beyond 64 bits become strings, as
    Perl's JSON decoder makes them; bytes are Latin-1 text, as a Perl byte string.
    Cycles, depth beyond Perl's limit and unknown types raise :class:`EncodeError`
    naming the field (``path`` is the pointer of ``value`` itself).
    """
    try:
        return _perlify(value, set(), 0)
    except _Refused as refused:
        raise EncodeError(refused.reason, path + refused.where() or "/") from None


class _Refused(Exception):
    """Raised deep inside _perlify; the keys are collected on the way out, only then."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        self.keys: list[str] = []

    def where(self) -> str:
        return join(reversed(self.keys))


def _perlify(value: Any, active: set, depth: int) -> Any:
    # One frame per level of nesting: MAX_DEPTH levels fit Python's default recursion limit.
    kind = type(value)
    if kind is str or kind is bool or kind is float or value is None:
        return value
    if kind is int:
        return value if IV_MIN <= value <= UV_MAX else str(value)
    if kind is dict or kind is list or isinstance(value, (dict, list, tuple)):
        if depth >= MAX_DEPTH:
            raise _Refused(f"nested deeper than {MAX_DEPTH} levels")
        key = id(value)
        if key in active:
            raise _Refused("cyclic structure: a value contains itself")
        active.add(key)
        copy: Any
        name: Any = None
        try:
            if isinstance(value, dict):
                copy = {}
                for name, item in value.items():
                    if type(name) is not str:
                        name = perl_str(name)
                    copy[name] = _perlify(item, active, depth + 1)
            else:
                copy = []
                for name, item in enumerate(value):  # noqa: B007 (the except clause reads name)
                    copy.append(_perlify(item, active, depth + 1))
        except _Refused as refused:
            refused.keys.append(name)
            raise
        active.discard(key)
        return copy
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("latin-1")
    for plain in (str, bool, int, float):  # subclasses (enums, numpy-likes) as their base value
        if isinstance(value, plain):
            return _perlify(plain(value), active, depth)
    raise _Refused(f"cannot send a value of type {type(value).__name__}")


def encode_json(value: Any) -> bytes:
    """JSON exactly as Mojo::JSON's ``encode_json`` writes it with Cpanel::JSON::XS.

    Compact, keys sorted, ``/`` escaped as ``\\/``, UTF-8; NVs by ``%.15g`` with
    ``.0`` kept on integral values; Inf and NaN as the strings "inf", "-inf", "nan".
    Expects data from :func:`perlify`.
    """
    parts: list[str] = []
    _encode(value, parts.append)
    return "".join(parts).encode("utf-8", "surrogatepass")


def _encode(value: Any, out: Any) -> None:
    kind = type(value)
    if kind is str:
        out(encode_basestring(value).replace("/", "\\/"))
    elif kind is dict:
        out("{")
        first = True
        for name in sorted(value):
            if not first:
                out(",")
            first = False
            out(encode_basestring(name).replace("/", "\\/"))
            out(":")
            _encode(value[name], out)
        out("}")
    elif kind is list:
        out("[")
        for index, item in enumerate(value):
            if index:
                out(",")
            _encode(item, out)
        out("]")
    elif value is None:
        out("null")
    elif kind is bool:
        out("true" if value else "false")
    elif kind is int:
        out(str(value))
    elif kind is float:
        out(_cpanel_number(value))
    else:
        raise EncodeError(f"cannot encode a value of type {kind.__name__}")


def _cpanel_number(value: float) -> str:
    if math.isnan(value):
        return '"-nan"' if math.copysign(1.0, value) < 0 else '"nan"'
    if math.isinf(value):
        return '"inf"' if value > 0 else '"-inf"'
    text = "%.15g" % value  # noqa: UP031 (the C format Cpanel::JSON::XS uses)
    if text.lstrip("-").isdigit():
        text += ".0"
    return text
