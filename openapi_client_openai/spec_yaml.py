"""Parse a spec's bytes (JSON or YAML), typing YAML scalars as YAML::XS types them.

This is the only module that imports a YAML library. JSON::Validator reads YAML
with YAML::XS, which only knows ``true``/``false``, ``null``/``~``/empty and plain
decimal numbers; PyYAML follows YAML 1.1 (``yes`` and ``on`` are booleans,
``2024-01-01`` a date, ``0x1F`` an integer). :data:`PLAIN_SCALARS` is that typing,
written once and used by both parsers below.

Two parsers, one result. rapidyaml (``ryml``, C++) parses OpenAI's 2 MB spec and
our walk of its tree builds the data in about 95 ms where PyYAML with libyaml
takes about 190 ms (measured on OpenAI's spec, ``gc`` off for both; see
docs/performance.md). It is used when it is installed and the text is in the
plain subset where the two parsers provably agree (no tags, no merge keys, no
directives or document markers, no tabs, no YAML 1.1-only line breaks); anything
else, including every text ryml refuses, goes to PyYAML, which also gives the
error message for invalid YAML. tests/test_spec_yaml.py checks that both parsers
give identical data (types and key order included) on OpenAI's spec and on a
table of scalars checked against YAML::XS through the real Perl.
"""

from __future__ import annotations

import json
import re
import threading
from functools import lru_cache
from typing import Any

from .errors import SpecError

_INT = r"-?(?:0|[1-9][0-9]*)"
_FLOAT = r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?"
# YAML::XS's implicit types for plain (unquoted) scalars, in the order they are tried:
# (tag, pattern, first characters). Everything else is a string.
PLAIN_SCALARS = (
    ("bool", r"true|false", "tf"),
    ("null", r"~|null|", "~n"),
    ("int", _INT, "-0123456789"),
    ("float", _FLOAT, "-0123456789"),
)
_WORDS = {"true": True, "false": False, "~": None, "null": None, "": None}

# Text the fast parser is not trusted with (PyYAML decides): tabs, carriage returns,
# YAML 1.1-only line breaks (NEL, LS, PS), a BOM past the start, characters libyaml
# refuses, directives, document markers and explicit keys. Tags, merge keys and
# aliases are seen in the tree (_TreeWalker).
_NOT_PLAIN_SUBSET = (
    "[^\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
    r"|^(?:%|---|\.\.\.|[ ]*\?[ \n])"
)


_LINE_START = re.compile(r"\n(?:%|---|\.\.\.| *\?[ \n])")


def _plain_subset(text: str) -> bool:
    """No character YAML::XS refuses and no directive, document marker or explicit key.

    The one regex of _NOT_PLAIN_SUBSET takes ~45 ms over OpenAI's 2 MB spec; these
    checks, with the same answer, take ~15: every character printable (then none is
    refused: each refused one is a control, a separator or a non-character, none of
    them printable), and the line starts found from the newlines.
    """
    if text.startswith(("%", "---", "...", "?")) or re.match(r" *\?[ \n]", text):
        return False
    if _LINE_START.search(text):
        return False
    if text.replace("\n", "").isprintable():
        return True
    return re.search(_NOT_PLAIN_SUBSET, text, re.MULTILINE) is None  # some are allowed: ask the full set


def perl_number(text: str) -> int | float | str:
    """A plain scalar that matched the int or float pattern, as YAML::XS keeps it.

    YAML::XS keeps ``1.0``, ``0.10``, ``1e3`` or ``-0`` strings: only text that reads
    back the same (Perl's ``%.15g``) is a number.
    """
    if re.fullmatch(_INT, text):
        number: int | float = int(text)
        # Past 64 bits YAML::XS gives a number that is also its text (NOK and POK); JSON::Validator
        # uses it as the number (minimum: -9223372036854776000 in OpenAI's spec), so it stays one.
        return number if str(number) == text else text
    number = float(text)
    return number if "%.15g" % number == text else text  # noqa: UP031 (Perl's own format)


def plain_scalar(text: str) -> Any:
    """The value of an unquoted scalar, as YAML::XS types it."""
    if text in _WORDS:
        return _WORDS[text]
    first = text[0]
    if (first == "-" or "0" <= first <= "9") and re.fullmatch(_FLOAT, text):
        return perl_number(text)  # _FLOAT's language contains _INT's
    return text


def parse(raw: bytes, name: str) -> Any:
    """The data of a spec file: JSON when it starts with ``{``, else YAML."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SpecError(f"not UTF-8 text (byte {exc.start})", name) from None
    if text.lstrip().startswith("{"):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            place = f"line {exc.lineno} column {exc.colno}"
            raise SpecError(f"invalid JSON: {exc.msg}", name, place) from None
        except RecursionError:
            raise SpecError("invalid JSON: nested too deeply", name) from None
    import gc

    collecting = gc.isenabled()
    gc.disable()  # a third of a large parse is the collector walking new objects: no cycles there
    try:
        data = parse_fast(text)
        return parse_pyyaml(text, name) if data is _REFUSED else data
    finally:
        if collecting:
            gc.enable()


# -- PyYAML: every text ---------------------------------------------------------------


@lru_cache(maxsize=1)
def _pyyaml_loader() -> type:
    """PyYAML's safe loader (libyaml's when built with it) with YAML::XS's implicit types."""
    import yaml

    base = yaml.CSafeLoader if hasattr(yaml, "CSafeLoader") else yaml.SafeLoader

    class PerlYamlLoader(base):  # type: ignore[misc, valid-type]
        pass

    PerlYamlLoader.yaml_implicit_resolvers = {}
    for tag, pattern, first in PLAIN_SCALARS:
        first_chars = [*first, ""] if tag == "null" else list(first)
        PerlYamlLoader.add_implicit_resolver(
            f"tag:yaml.org,2002:{tag}", re.compile(f"^(?:{pattern})$"), first_chars
        )
    PerlYamlLoader.add_constructor("tag:yaml.org,2002:float", _construct_number)
    PerlYamlLoader.add_constructor("tag:yaml.org,2002:int", _construct_number)
    PerlYamlLoader.add_constructor("tag:yaml.org,2002:timestamp", yaml.SafeLoader.construct_yaml_str)
    return PerlYamlLoader


def _construct_number(loader: Any, node: Any) -> int | float | str:
    return perl_number(loader.construct_scalar(node))


def parse_pyyaml(text: str, name: str) -> Any:
    import yaml

    try:
        return yaml.load(text, Loader=_pyyaml_loader())  # a safe loader, retyped
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        place = f"line {mark.line + 1} column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise SpecError(f"invalid YAML: {problem}", name, place) from None
    except RecursionError:
        raise SpecError("invalid YAML: nested too deeply", name) from None


# -- rapidyaml: the plain subset, fast ------------------------------------------------

_REFUSED = object()
_STDERR_LOCK = threading.Lock()


class _Refused(Exception):
    """The text is outside what the fast parser is trusted with; PyYAML parses it."""


def parse_fast(text: str, quiet: bool = True) -> Any:
    """The data, or ``_REFUSED`` when ryml is missing, refuses the text or is not trusted with it.

    ryml reports a parse error on file descriptor 2 itself (from C++) before it
    raises. ``quiet`` silences that by pointing descriptor 2 elsewhere while it
    parses, which is only safe with no other thread about: with other threads
    running, PyYAML parses instead.
    """
    ryml = _ryml()
    if ryml is None or not _plain_subset(text):
        return _REFUSED
    if quiet and threading.active_count() > 1:
        return _REFUSED
    try:
        if quiet:
            with _STDERR_LOCK, _SilencedStderr():
                tree = ryml.parse_in_arena(text.encode("utf-8"))
        else:
            tree = ryml.parse_in_arena(text.encode("utf-8"))
        return _TreeWalker(ryml, tree).document()
    except (_Refused, RecursionError, ryml.ExceptionBasic, UnicodeDecodeError):
        return _REFUSED


@lru_cache(maxsize=1)
def _ryml() -> Any:
    try:
        import ryml
    except ImportError:  # an optional speed-up: PyYAML does everything without it
        return None
    return ryml if hasattr(ryml, "parse_in_arena") and hasattr(ryml, "KEY_PLAIN") else None


class _SilencedStderr:
    def __enter__(self) -> None:
        import os

        self._saved = os.dup(2)
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 2)
        os.close(null)

    def __exit__(self, *exc: object) -> None:
        import os

        os.dup2(self._saved, 2)
        os.close(self._saved)


class _TreeWalker:
    """Python data from a ryml tree, typed by :func:`plain_scalar`, aliases shared as PyYAML shares them."""

    def __init__(self, ryml: Any, tree: Any) -> None:
        self.ryml = ryml
        self.tree = tree
        self.anchors: dict[str, Any] = {}
        self.refused = ryml.KEYTAG | ryml.VALTAG | ryml.KEYANCH | ryml.KEYREF
        self.special = self.refused | ryml.VALANCH | ryml.VALREF

    def document(self) -> Any:
        tree, ryml = self.tree, self.ryml
        root = tree.root_id()
        kind = tree.type(root)
        if kind & (ryml.STREAM | ryml.DOC) and not kind & (ryml.MAP | ryml.SEQ | ryml.VAL):
            raise _Refused("a stream of documents")
        return self.value(root, kind)

    def value(self, node: int, kind: int) -> Any:
        ryml, tree = self.ryml, self.tree
        if kind & self.special:
            return self._special(node, kind)
        none = ryml.NONE
        first_child, next_sibling, type_of = tree.first_child, tree.next_sibling, tree.type
        if kind & ryml.MAP:
            key_of, val_of, special = tree.key, tree.val, self.special
            containers, key_plain, val_plain = ryml.MAP | ryml.SEQ, ryml.KEY_PLAIN, ryml.VAL_PLAIN
            mapping: dict = {}
            child = first_child(node)
            while child != none:
                child_kind = type_of(child)
                raw_key = key_of(child)
                key: Any = "" if raw_key is None else str(raw_key, "utf-8")
                if child_kind & key_plain or raw_key is None:
                    if key == "<<":  # a merge key: PyYAML merges, YAML::XS does not
                        raise _Refused("a merge key")
                    key = plain_scalar(key)
                if child_kind & (containers | special):
                    mapping[key] = self.value(child, child_kind)
                else:
                    text = val_of(child)
                    if text is None:
                        mapping[key] = None
                    elif child_kind & val_plain:
                        mapping[key] = plain_scalar(str(text, "utf-8"))
                    else:
                        mapping[key] = str(text, "utf-8")
                child = next_sibling(child)
            return mapping
        if kind & ryml.SEQ:
            sequence = []
            child = first_child(node)
            while child != none:
                sequence.append(self.value(child, type_of(child)))
                child = next_sibling(child)
            return sequence
        text = tree.val(node)
        if text is None:
            return None
        return plain_scalar(str(text, "utf-8")) if kind & ryml.VAL_PLAIN else str(text, "utf-8")

    def _special(self, node: int, kind: int) -> Any:
        if kind & self.refused:
            raise _Refused("a tag, or an anchor on a key")
        if kind & self.ryml.VALREF:
            name = str(self.tree.val_ref(node), "utf-8")
            if name not in self.anchors:  # unknown, or an alias inside its own anchor
                raise _Refused(f"alias *{name}")
            return self.anchors[name]
        name = str(self.tree.val_anchor(node), "utf-8")
        self.anchors.pop(name, None)  # a redefined anchor: aliases inside see no old value
        value = self.value(node, kind & ~self.ryml.VALANCH)
        self.anchors[name] = value
        return value
