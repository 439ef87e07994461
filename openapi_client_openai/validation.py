"""Request validation with JSON::Validator 5.14's verdicts, messages, paths and order.

Written by hand because parity demands it: a generic JSON Schema validator gives
other messages, another error order, and no coercion. This one follows
JSON::Validator::Schema::OpenAPIv3 (on Draft 2019-09) closely, method by method:

* coercion (default ``booleans,numbers,strings``) rewrites values in place, in the
  order JSON::Validator visits them, and that rewritten data is what goes on the
  wire; callers hand us a private copy (``perl_data.perlify``), never their own;
* errors of one value are sorted by path; parameters are validated in spec order,
  the body last;
* ``$ref`` siblings are merged into the target as JSON::Validator's ``_state`` does.

Schemas are visited as they are, with ``$ref`` merges memoised per node, so a
request costs a walk of the *data* it carries, never of the spec.
"""

from __future__ import annotations

import re
import struct
from typing import Any

from .errors import EncodeError
from .messages import render
from .operations import Operation
from .perl_data import data_type, encode_json, is_num, numify, perl_number, perl_str
from .spec import Spec

DEFAULT_COERCE = frozenset({"booleans", "numbers", "strings"})
_REF_KEYS = ("$ref", "$recursiveRef")
_NOT_MERGED = ("$anchor", "$id", "$recursiveAnchor", "$recursiveRef", "$ref")
_NUMERIC = re.compile(r"^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$")
_INTEGER = re.compile(r"^-?\d+$")
_FALSE_TEXT = re.compile(r"^(0|false|)$")
_TRUE_TEXT = re.compile(r"^(1|true)$")
_WORD = re.compile(r"\w")
_FRACTION = re.compile(r"\.[^0]+$")
_COLLAPSE = re.compile(r"(\d+)\s/")
_NO_DATA = object()


def truthy(value: Any) -> bool:
    """Perl's truth: undef, "", "0" and 0 are false; every reference is true."""
    if value is None:
        return False
    if isinstance(value, (bool, int, float)):
        return bool(value)
    if isinstance(value, str):
        return value not in ("", "0")
    return True


class Error:
    """A JSON::Validator::Error: a JSON-pointer path, details, and a message."""

    __slots__ = ("_message", "details", "path")

    def __init__(self, path: tuple | str, details: list | None = None, message: str | None = None):
        self.path = path if isinstance(path, str) else _pointer(path)
        self.details = details if details is not None else ["generic", "generic"]
        self._message = message

    @property
    def message(self) -> str:
        if self._message is None:
            self._message = render(self.details)
        return self._message

    def is_type_at(self, path: str) -> bool:
        return len(self.details) > 1 and self.details[1] == "type" and self.path == path

    def to_dict(self) -> dict:
        return {"message": self.message, "path": self.path}

    def __repr__(self) -> str:
        return f"{self.path}: {self.message}"


def _pointer(segments: tuple) -> str:
    if not segments:
        return "/"
    return "/" + "/".join(str(s).replace("~", "~0").replace("/", "~1") for s in segments)


def schema_type(schema: Any, data: Any = _NO_DATA) -> Any:
    """JSON::Validator::Util's ``schema_type``: the declared or guessed type of a schema."""
    if not isinstance(schema, dict):
        return ""
    if truthy(schema.get("type")):
        return schema["type"]
    guess = ""
    if (
        truthy(schema.get("additionalProperties"))
        or truthy(schema.get("patternProperties"))
        or truthy(schema.get("properties"))
        or "propertyNames" in schema
        or truthy(schema.get("required"))
        or truthy(schema.get("dependencies"))
        or truthy(schema.get("dependentSchemas"))
        or truthy(schema.get("dependentRequired"))
        or schema.get("maxProperties") is not None
        or schema.get("minProperties") is not None
    ):
        guess = "object"
    elif (
        "items" in schema
        or truthy(schema.get("uniqueItems"))
        or "contains" in schema
        or "maxItems" in schema
        or "minItems" in schema
    ):
        guess = "array"
    elif truthy(schema.get("pattern")) or "maxLength" in schema or schema.get("minLength") is not None:
        guess = "string"
    elif truthy(schema.get("multipleOf")) or any(
        schema.get(k) is not None for k in ("maximum", "minimum", "exclusiveMaximum", "exclusiveMinimum")
    ):
        guess = "number"
    elif "const" in schema:
        return "const"
    if not guess or data is _NO_DATA or data is None:
        return guess
    return guess if guess == data_type(data) else ""


def _checksum(value: Any) -> Any:
    """A key equal where JSON::Validator's ``data_checksum`` is equal.

    Plain scalars compare by their string form; references (objects, arrays and
    booleans, which are objects in Perl) compare by structure and scalar type.
    """
    if isinstance(value, (dict, list, bool)):
        return ("ref", _structure(value))
    if value is None:
        return ("undef",)
    return ("scalar", perl_str(value))


def _structure(value: Any) -> Any:
    if isinstance(value, dict):
        return ("hash", tuple(sorted((k, _structure(v)) for k, v in value.items())))
    if isinstance(value, list):
        return ("array", tuple(_structure(v) for v in value))
    return (type(value).__name__, value)


def _as_number(value: Any) -> int | float:
    """Perl's numeric value of a scalar, for comparisons with schema limits."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return value
    return numify(perl_str(value).strip())


def _enum_text(values: list) -> str:
    return ", ".join(
        encode_json(v).decode("utf-8") if v is None or isinstance(v, (dict, list, bool)) else perl_str(v)
        for v in values
    )


def prefix_errors(kind: str, groups: list[tuple[int, list[Error]]]) -> list[Error]:
    """``/anyOf/0 <message>``, as JSON::Validator::Util's ``prefix_errors`` writes it."""
    out = []
    for index, errors in groups:
        for error in errors:
            text = _COLLAPSE.sub(r"\1/", f"/{kind}/{index} {error.message}")
            out.append(Error(error.path, error.details, text))
    return out


# -- formats (JSON::Validator::Formats, the ones OpenAPIv3 registers) -------------------


def _looks_like_number(text: str) -> bool:
    return bool(
        re.match(r"^\s*[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)\s*$", text)
    ) or bool(re.match(r"^\s*[-+]?(?:inf(?:inity)?|nan)\s*$", text, re.I))


def _match_number(name: str, text: str, bits: str) -> str | None:
    if name.startswith("int") and not re.match(r"^-?\d+(\.\d+)?$", text):
        return "Does not look like an integer"
    if not _looks_like_number(text):
        return "Does not look like a number."
    if not bits:
        return None
    try:  # Perl: $val eq unpack $format, pack $format, $val
        number = int(float(text)) if not _INTEGER.match(text) else int(text)
        packed = struct.unpack(bits, struct.pack(bits, number))[0]
    except (struct.error, ValueError, OverflowError):
        packed = None
    return None if str(packed) == text else f"Does not match {name} format."


def _check_iri_reference(text: str, name: str) -> str | None:
    match = re.match(r"^(([^:/?#]+):)?(//([^/?#]*))?([^?#]*)(\?([^#]*))?(#(.*))?", text)
    if not match:
        return f"Does not match {name} format."
    scheme, auth, path, has_fragment = (match.group(i) or "" for i in (2, 4, 5, 8))
    if auth and not scheme:
        return "Scheme missing."
    if not (scheme or path or has_fragment):
        return "Scheme, path or fragment are required."
    if scheme and not re.match(r"^[a-z][a-z0-9+\-.]*$", scheme.lower()):
        return "Scheme must begin with a letter."
    if re.search(r"%[^0-9a-f]", text, re.I):
        return "Invalid hex escape."
    if re.search(r"%[0-9a-f](:?[^0-9a-f]|$)", text, re.I):
        return "Hex escapes are not complete."
    if auth:
        if path and not path.startswith("/"):
            return "Path cannot be empty and must begin with a /"
    elif path.startswith("//"):
        return "Path cannot not start with //."
    return None


def _check_uri(text: str) -> str | None:
    if re.search(r"[^\x00-\x7f]", text):
        return "An URI can only only contain ASCII characters."
    return _check_iri_reference(text, "uri")


def _check_iri(text: str) -> str | None:
    if not re.match(r"^\w+:", text):
        return "Scheme missing."
    return _check_iri_reference(text, "iri")


FORMATS = {
    "binary": lambda text: None,
    "password": lambda text: None,
    "float": lambda text: _match_number("float", text, ""),
    "double": lambda text: _match_number("double", text, ""),
    "int32": lambda text: _match_number("int32", text, "<l"),
    "int64": lambda text: _match_number("int64", text, "<q"),
    "uri": _check_uri,
    "uri-reference": lambda text: _check_iri_reference(text, "uri-reference"),
    "iri": _check_iri,
    "iri-reference": lambda text: _check_iri_reference(text, "iri-reference"),
    "json-pointer": lambda text: (
        None if not text or text.startswith("/") else "Does not match json-pointer format."
    ),
    "uuid": lambda text: (
        None
        if re.match(
            r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9][0-9A-Fa-f]{3}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$", text
        )
        else "Does not match uuid format."
    ),
}


# -- the schema walker --------------------------------------------------------------


class _Run:
    """What JSON::Validator keeps in ``local`` variables during one validation."""

    __slots__ = ("arrays", "coerce", "inside_discriminator")

    def __init__(self, coerce: frozenset, arrays: bool = False, inside_discriminator: bool = False) -> None:
        self.coerce = coerce
        self.arrays = arrays  # coerce scalars to arrays: form and multipart bodies only
        self.inside_discriminator = inside_discriminator


class SchemaValidator:
    """Validates data against schemas of one spec; merges of ``$ref`` are memoised."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self._merged: dict[int, Any] = {}
        self._typed: dict[tuple, dict] = {}
        self._regex: dict[str, re.Pattern] = {}
        self._pointed: dict[str, Any] = {}

    # Draft 2019-09 ``_state``: follow $ref, the target's keys over its referrers'.
    def state(self, schema: Any) -> Any:
        if not isinstance(schema, dict) or not any(isinstance(schema.get(k), str) for k in _REF_KEYS):
            return schema
        key = id(schema)
        merged = self._merged.get(key)
        if merged is None:
            alongside: dict = {}
            node: Any = schema
            seen: set = set()
            while isinstance(node, dict):
                ref = node.get("$ref") or node.get("$recursiveRef")
                if not ref or not isinstance(ref, str) or id(node) in seen:
                    break
                seen.add(id(node))
                alongside.update(node)
                node = self.spec.pointer(ref)
            if isinstance(node, dict):
                for name in _NOT_MERGED:
                    alongside.pop(name, None)
                merged = {**alongside, **node}
            else:
                merged = node
            self._merged[key] = merged
        return merged

    # JSON::Validator's ``get``: walk a pointer, following $ref, the referrer's keys winning.
    def get(self, pointer: str) -> Any:
        if pointer not in self._pointed:  # memoised: _any_of_types caches by the node's id
            self._pointed[pointer] = self._get(pointer)
        return self._pointed[pointer]

    def _get(self, pointer: str) -> Any:
        node = self._follow(self.spec.data)
        for token in pointer.split("/")[1:] if pointer.startswith("/") else []:
            token = token.replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict) and token in node:
                node = node[token]
            elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
                node = node[int(token)]
            else:
                return None
            node = self._follow(node)
        return node

    def _follow(self, node: Any) -> Any:
        seen: set = set()
        while isinstance(node, dict) and isinstance(node.get("$ref"), str) and id(node) not in seen:
            seen.add(id(node))
            target = self.spec.pointer(node["$ref"])
            if isinstance(target, dict):
                merged = {**target, **node}
                if "$ref" in target:
                    merged["$ref"] = target["$ref"]
                else:
                    del merged["$ref"]
                node = merged
            else:
                node = target
        return node

    def validate(self, value: Any, schema: Any, run: _Run) -> tuple[Any, list[Error]]:
        """JSON::Validator::Schema's ``validate``: errors sorted by path (stably)."""
        value, errors = self._validate(value, self.state(schema), (), run)
        errors.sort(key=lambda e: e.path)
        return value, errors

    def _validate(self, value: Any, schema: Any, path: tuple, run: _Run) -> tuple[Any, list[Error]]:
        if isinstance(schema, bool):
            return value, [] if schema else [Error(path, ["not", "not"])]
        if not isinstance(schema, dict):
            return value, []
        errors: list[Error] = []
        if truthy(schema.get("not")):
            value, found = self._validate(value, self.state(schema["not"]), path, run)
            if not found:
                errors.append(Error(path, ["not", "not"]))
        rules = schema.get("allOf")
        if truthy(rules):
            value, found = self._all_of(value, rules, path, run)
            errors += found
        rules = schema.get("anyOf")
        if truthy(rules):
            value, found = self._any_of(value, rules, path, run)
            errors += found
        rules = schema.get("oneOf")
        if truthy(rules):
            value, found = self._one_of(value, rules, path, run)
            errors += found
        if "if" in schema:
            condition = schema["if"]
            if truthy(condition):
                value, found = self._validate(value, self.state(condition), path, run)
                chosen = schema.get("else") if found else schema.get("then")
            else:
                chosen = schema.get("else")
            value, found = self._validate(value, self.state(chosen if chosen is not None else {}), path, run)
            errors += found

        kind = schema.get("type") if truthy(schema.get("type")) else schema_type(schema, value)
        if isinstance(kind, list):
            value, found = self._any_of_types(value, schema, kind, path, run)
            errors += found
        elif kind:
            check = _TYPE_CHECKS.get(kind)
            if check is not None:
                value, found = check(self, value, schema, path, run)
                errors += found
        if errors:
            return value, errors

        if "const" in schema:
            errors += self._const(value, schema, path)
        if truthy(schema.get("enum")):
            errors += self._enum(value, schema, path)
        return value, errors

    # -- combinators -------------------------------------------------------------------

    def _all_of(self, value: Any, rules: Any, path: tuple, run: _Run) -> tuple[Any, list[Error]]:
        errors: list[Error] = []
        groups = []
        for index, rule in enumerate(_as_list(rules)):
            value, found = self._validate(value, self.state(rule), path, run)
            if found:
                errors += found
                groups.append((index, found))
        if not errors:
            return value, []
        return value, self._combine("allOf", errors, groups, path)

    def _any_of(self, value: Any, rules: Any, path: tuple, run: _Run) -> tuple[Any, list[Error]]:
        errors: list[Error] = []
        groups = []
        for index, rule in enumerate(_as_list(rules)):
            value, found = self._validate(value, self.state(rule), path, run)
            if not found:
                return value, []
            errors += found
            groups.append((index, found))
        return value, self._combine("anyOf", errors, groups, path)

    def _one_of(self, value: Any, rules: Any, path: tuple, run: _Run) -> tuple[Any, list[Error]]:
        errors: list[Error] = []
        groups = []
        passed = []
        for index, rule in enumerate(_as_list(rules)):
            value, found = self._validate(value, self.state(rule), path, run)
            if not found:
                passed.append(index)
                continue
            groups.append((index, found))
            errors += found
        if len(passed) == 1:
            return value, []
        if not errors:
            return value, [Error(path, ["oneOf", "all_rules_match"])]
        if passed:
            return value, [Error(path, ["oneOf", "n_rules_match", ", ".join(map(str, passed))])]
        return value, self._combine("oneOf", errors, groups, path)

    def _combine(self, kind: str, errors: list[Error], groups: list, path: tuple) -> list[Error]:
        here = _pointer(path)
        if len(errors) == 1 or any(not e.is_type_at(here) for e in errors):
            return prefix_errors(kind, groups)
        wanted = "/".join(_unique(str(e.details[0]) for e in errors))
        got = errors[-1].details[2] if len(errors[-1].details) > 2 else None
        return [Error(path, [kind, "type", wanted, got])]

    def _any_of_types(self, value: Any, schema: dict, kinds: list, path: tuple, run: _Run):
        errors: list[Error] = []
        for kind in kinds:
            key = (id(schema), str(kind))
            typed = self._typed.get(key)
            if typed is None:
                typed = self._typed[key] = {**schema, "type": kind}
            value, found = self._validate(value, typed, path, run)
            if not found:
                return value, []
            errors += found
        here = _pointer(path)
        preferred = [e for e in errors if not e.is_type_at(here)]
        if preferred:
            return value, preferred
        wanted = "/".join(_unique(str(e.details[0]) for e in errors))
        got = errors[-1].details[2] if len(errors[-1].details) > 2 else None
        return value, [Error(path, [wanted, "type", got])]

    # -- enum and const -------------------------------------------------------------------

    def _enum(self, value: Any, schema: dict, path: tuple) -> list[Error]:
        if schema.get("nullable") and value is None:
            return []
        values = _as_list(schema["enum"])
        wanted = _checksum(value)
        if any(_checksum(v) == wanted for v in values):
            return []
        return [Error(path, ["enum", "enum", _enum_text(values)])]

    def _const(self, value: Any, schema: dict, path: tuple) -> list[Error]:
        const = schema.get("const")
        if _checksum(value) == _checksum(const):
            return []
        return [Error(path, ["const", "const", encode_json(const).decode("utf-8")])]

    # -- types ---------------------------------------------------------------------------

    def _type_const(self, value: Any, schema: dict, path: tuple, run: _Run):
        return value, self._const(value, schema, path)

    def _type_null(self, value: Any, schema: dict, path: tuple, run: _Run):
        if value is None:
            return value, []
        return value, [Error(path, ["null", "type", data_type(value)])]

    def _type_boolean(self, value: Any, schema: dict, path: tuple, run: _Run):
        if schema.get("nullable") and value is None:
            return value, []
        original = value
        if value is not None and "booleans" in run.coerce:
            text = perl_str(value)
            if _FALSE_TEXT.match(text):
                value = False
            if _TRUE_TEXT.match(text):
                value = True
        if isinstance(value, bool):
            return value, []
        return value, [Error(path, ["boolean", "type", data_type(original)])]

    def _type_number(self, value: Any, schema: dict, path: tuple, run: _Run, expected: str = "number"):
        if schema.get("nullable") and value is None:
            return value, []
        if value is None or isinstance(value, (dict, list, bool)):
            return value, [Error(path, [expected, "type", data_type(value)])]
        original = value
        if not is_num(value):
            text = perl_str(value)
            if "numbers" not in run.coerce or not _NUMERIC.match(text):
                return value, [Error(path, [expected, "type", data_type(value)])]
            value = numify(text)
        errors = []
        if schema.get("format"):
            errors += self._format(original, schema, path)
        errors += self._number_limits(original, schema, path, expected)
        divisor = schema.get("multipleOf")
        if truthy(divisor):
            quotient = float(_as_number(original)) / float(_as_number(divisor))
            if _FRACTION.search(perl_number(quotient)):
                errors.append(Error(path, [expected, "multipleOf", perl_str(divisor)]))
        return value, errors

    def _number_limits(self, original: Any, schema: dict, path: tuple, expected: str) -> list[Error]:
        # Draft 6: the first failing limit of each side is reported.
        number = _as_number(original)
        shown = perl_str(original)
        errors = []
        limit = schema.get("maximum")
        if limit is not None and number > _as_number(limit):
            errors.append(Error(path, [expected, "maximum", shown, perl_str(limit)]))
        else:
            limit = schema.get("exclusiveMaximum")  # a 3.0-style boolean compares as 1 or 0, as in Perl
            if limit is not None and number >= _as_number(limit):
                errors.append(Error(path, [expected, "ex_maximum", shown, perl_str(limit)]))
        limit = schema.get("minimum")
        if limit is not None and number < _as_number(limit):
            errors.append(Error(path, [expected, "minimum", shown, perl_str(limit)]))
        else:
            limit = schema.get("exclusiveMinimum")
            if limit is not None and number <= _as_number(limit):
                errors.append(Error(path, [expected, "ex_minimum", shown, perl_str(limit)]))
        return errors

    def _type_integer(self, value: Any, schema: dict, path: tuple, run: _Run):
        if schema.get("nullable") and value is None:
            return value, []
        original = value
        value, errors = self._type_number(value, schema, path, run, "integer")
        if errors:
            return value, errors
        if _INTEGER.match(perl_str(original)):
            return value, []
        return value, [Error(path, ["integer", "type", data_type(original)])]

    def _type_string(self, value: Any, schema: dict, path: tuple, run: _Run):
        if schema.get("nullable") and value is None:
            return value, []
        if not truthy(schema.get("type")) and value is None:
            return value, []
        if value is None or isinstance(value, (dict, list, bool)):
            return value, [Error(path, ["string", "type", data_type(value)])]
        original = value
        if is_num(value):
            if "strings" not in run.coerce:
                return value, [Error(path, ["string", "type", data_type(value)])]
            value = perl_str(value)
        text = perl_str(original)
        errors = []
        if schema.get("format"):
            errors += self._format(original, schema, path)
        limit = schema.get("maxLength")
        if limit is not None and len(text) > _as_number(limit):
            errors.append(Error(path, ["string", "maxLength", str(len(text)), perl_str(limit)]))
        limit = schema.get("minLength")
        if limit is not None and len(text) < _as_number(limit):
            errors.append(Error(path, ["string", "minLength", str(len(text)), perl_str(limit)]))
        pattern = schema.get("pattern")
        if pattern is not None and not self._compiled(perl_str(pattern)).search(text):
            errors.append(Error(path, ["string", "pattern", perl_str(pattern)]))
        return value, errors

    def _compiled(self, pattern: str) -> re.Pattern:
        compiled = self._regex.get(pattern)
        if compiled is None:
            compiled = self._regex[pattern] = re.compile(pattern)
        return compiled

    def _format(self, value: Any, schema: dict, path: tuple) -> list[Error]:
        name = schema["format"]
        check = FORMATS.get(name) if isinstance(name, str) else None
        if check is None:  # JSON::Validator warns and accepts a format it does not know
            return []
        problem = check(perl_str(value))
        return [Error(path, ["format", name, problem])] if problem else []

    def _type_array(self, value: Any, schema: dict, path: tuple, run: _Run):
        if not isinstance(value, list) and run.arrays:
            value = [value]
        if schema.get("nullable") and value is None:
            return value, []
        if not isinstance(value, list):
            return value, [Error(path, ["array", "type", data_type(value)])]
        errors = []
        count = len(value)
        limit = schema.get("minItems")
        if limit is not None and _as_number(limit) > count:
            errors.append(Error(path, ["array", "minItems", str(count), perl_str(limit)]))
        limit = schema.get("maxItems")
        if limit is not None and _as_number(limit) < count:
            errors.append(Error(path, ["array", "maxItems", str(count), perl_str(limit)]))
        if truthy(schema.get("uniqueItems")):
            seen = set()
            for item in value:
                key = _checksum(item)
                if key in seen:
                    errors.append(Error(path, ["array", "uniqueItems"]))
                    break
                seen.add(key)
        if "contains" in schema:
            errors += self._contains(value, schema, path, run)
        items = schema.get("items")
        if isinstance(items, list):
            additional = schema.get("additionalItems", {})
            rules = list(items)
            if truthy(additional):
                while len(rules) < count:
                    rules.append(additional)
            if len(rules) >= count:
                for index in range(count):
                    value[index], found = self._validate(
                        value[index], self.state(rules[index]), (*path, index), run
                    )
                    errors += found
            elif not truthy(additional):
                errors.append(Error(path, ["array", "additionalItems", str(count), str(len(rules))]))
        elif "items" in schema:
            rule = self.state(items)
            for index in range(count):
                value[index], found = self._validate(value[index], rule, (*path, index), run)
                errors += found
        return value, errors

    def _contains(self, value: list, schema: dict, path: tuple, run: _Run) -> list[Error]:
        low, high = schema.get("minContains"), schema.get("maxContains")
        if low is not None and _as_number(low) == 0 and not truthy(high):
            return []
        if low is not None and _as_number(low) == 0 and not value:
            return []
        rule = self.state(schema["contains"])
        failures = []
        valid = 0
        for index in range(len(value)):
            value[index], found = self._validate(value[index], rule, (*path, index), run)
            if found:
                failures.append(found)
            else:
                valid += 1
        errors: list[Error] = []
        if len(failures) >= len(value):
            for found in failures:
                errors += found
        if "maxContains" in schema and valid > _as_number(high):
            errors.append(Error(path, ["array", "maxContains", str(len(value)), perl_str(high)]))
        if truthy(low) and valid < _as_number(low):
            errors.append(Error(path, ["array", "minContains", str(len(value)), perl_str(low)]))
        if not value:
            errors.append(Error(path, ["array", "contains"]))
        return errors

    def _type_object(self, value: Any, schema: dict, path: tuple, run: _Run):
        if schema.get("nullable") and value is None:
            return value, []
        if not isinstance(value, dict):
            return value, [Error(path, ["object", "type", data_type(value)])]
        discriminator = schema.get("discriminator")
        if (
            isinstance(discriminator, dict)
            and truthy(discriminator.get("propertyName"))
            and not run.inside_discriminator
        ):
            return self._discriminated(value, discriminator, path, run)
        return value, self._object_request(value, schema, path, run)

    def _discriminated(self, value: dict, discriminator: dict, path: tuple, run: _Run):
        name = perl_str(discriminator["propertyName"])
        chosen = value.get(name)
        if not truthy(chosen):
            return value, [Error(path, message=f"Discriminator {name} has no value.")]
        mapping = discriminator.get("mapping")
        chosen = perl_str(chosen)
        url = mapping.get(chosen) if isinstance(mapping, dict) else None
        if not truthy(url):
            return value, [Error(path, message=f"No definition for discriminator {chosen}.")]
        url = perl_str(url)
        if not url.startswith("#"):
            return value, [Error(path, message=f"TODO: Not yet supported: {url}")]
        inner = _Run(run.coerce, run.arrays, True)
        return self._validate(value, self.state(self.get(url[1:])), path, inner)

    def _object_request(self, value: dict, schema: dict, path: tuple, run: _Run) -> list[Error]:
        errors: list[Error] = []
        properties = schema.get("properties") or {}
        read_only = set()
        if isinstance(properties, dict):
            for name, rule in properties.items():
                merged = self._follow(rule)
                if isinstance(merged, dict) and truthy(merged.get("readOnly")):
                    read_only.add(name)
                    if name in value:
                        errors.append(Error((*path, name), message="Read-only."))
        required = [r for r in _as_list(schema.get("required") or []) if r not in read_only]
        count = len(value)
        limit = schema.get("maxProperties")
        if limit is not None and _as_number(limit) < count:
            errors.append(Error(path, ["object", "maxProperties", str(count), perl_str(limit)]))
        limit = schema.get("minProperties")
        if limit is not None and _as_number(limit) > count:
            errors.append(Error(path, ["object", "minProperties", str(count), perl_str(limit)]))
        errors += self._dependencies(value, schema, path, run)
        errors += self._properties(value, schema, required, path, run)
        return errors

    def _dependencies(self, value: dict, schema: dict, path: tuple, run: _Run) -> list[Error]:
        errors: list[Error] = []
        dependent = schema.get("dependentSchemas") or {}
        if isinstance(dependent, dict):
            for name, rule in dependent.items():
                if name not in value:
                    continue
                if isinstance(rule, list):
                    errors += [
                        Error((*path, k), ["object", "dependencies", name]) for k in rule if k not in value
                    ]
                else:
                    _, found = self._validate(value, self.state(rule), path, run)
                    errors += found
        dependent = schema.get("dependentRequired") or {}
        if isinstance(dependent, dict):
            for name, needed in dependent.items():
                if name in value:
                    errors += [
                        Error((*path, k), ["object", "dependencies", name])
                        for k in _as_list(needed)
                        if k not in value
                    ]
        return errors

    def _properties(self, value: dict, schema: dict, required: list, path: tuple, run: _Run) -> list[Error]:
        errors: list[Error] = []
        rules: dict[str, list] = {}
        properties = schema.get("properties")
        if truthy(properties) and isinstance(properties, dict):
            for name in value:
                if properties.get(name) is not None:
                    rules[name] = [properties[name]]
        patterns = schema.get("patternProperties") or {}
        if isinstance(patterns, dict):
            for pattern, rule in patterns.items():
                regex = self._compiled(pattern)
                for name in value:
                    if regex.search(name):
                        rules.setdefault(name, []).append(rule)
        additional = schema["additionalProperties"] if "additionalProperties" in schema else {}
        if truthy(additional):
            if not isinstance(additional, dict):
                additional = {}
            for name in value:
                if name not in rules:
                    rules[name] = [additional]
        else:
            extra = [name for name in value if name not in rules]
            if extra:
                return [Error(path, ["object", "additionalProperties", ", ".join(sorted(extra))])]
        for name in _unique(required):
            if isinstance(name, str) and name not in value:
                errors.append(Error((*path, name), ["object", "required"]))
                rules.pop(name, None)
        for name, rule_list in rules.items():
            for rule in rule_list:
                if name not in value:
                    continue
                value[name], found = self._validate(value[name], self.state(rule), (*path, name), run)
                errors += found
        return errors


_TYPE_CHECKS = {
    "string": SchemaValidator._type_string,
    "number": SchemaValidator._type_number,
    "integer": SchemaValidator._type_integer,
    "boolean": SchemaValidator._type_boolean,
    "null": SchemaValidator._type_null,
    "array": SchemaValidator._type_array,
    "object": SchemaValidator._type_object,
    "const": SchemaValidator._type_const,
}


def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _unique(items: Any) -> list:
    return list(dict.fromkeys(items))


# -- one operation's request --------------------------------------------------------------


class OperationValidator:
    """validate_request of JSON::Validator's OpenAPIv3, with OpenAPI::Client's getters."""

    def __init__(self, operation: Operation, schemas: SchemaValidator) -> None:
        self.operation = operation
        self.schemas = schemas

    def validate(self, params: dict, body_exists: bool, coerce: frozenset = DEFAULT_COERCE) -> list[dict]:
        """Errors for ``params`` (a private, perlified copy; its body is coerced in place)."""
        errors: list[Error] = []
        for param in self.operation.parameters:
            errors += self._parameter(params, param, coerce)
        body = self.operation.request_body
        if body is not None:
            try:
                errors += self._body(params, body, body_exists, coerce)
            except RecursionError:  # only a recursive schema with very deep data gets here
                raise EncodeError("nested too deeply to validate", "/body") from None
        return [e.to_dict() for e in errors]

    def _parameter(self, params: dict, param: dict, coerce: frozenset) -> list[Error]:
        name = perl_str(param.get("name"))
        where = param.get("in")
        schema = param.get("schema")
        kind = schema_type(schema)
        style = parameter_style(param)
        key = getter_key(param)
        if where == "path":
            exists = key in params
            value = params.get(key)
        elif where in ("query", "header"):
            value = query_values(params, key)
            exists = bool(value)
        else:  # OpenAPI::Client provides no cookie getter
            exists, value = False, None

        if exists:
            if style == "deepObject":
                exists, value = False, None  # Perl dies here on a non-hash; nothing is sent either way
            elif kind == "array":
                explode = param["explode"] if param.get("explode") is not None else style == "form"
                if not (style in ("form", "pipeDelimited", "spaceDelimited", "simple") and truthy(explode)):
                    value = _split_style(value, style, name, truthy(explode))
                elif not isinstance(value, list):
                    value = [value]
            elif kind == "object":
                value = _object_style(value, style, name, truthy(param.get("explode")))
        if not exists and isinstance(schema, dict) and "default" in schema:
            exists, value = True, schema["default"]
        elif not exists and "default" in param:
            exists, value = True, param["default"]
        if not exists:
            if truthy(param.get("required")):
                return [Error(f"/{name}", ["object", "required"])]
            return []
        if kind == "array" and not isinstance(value, list):
            value = [value]
        elif kind != "array" and isinstance(value, list):
            value = value[-1] if value else None
        _, errors = self.schemas.validate(value, schema if schema is not None else param, _Run(coerce))
        return _prefixed(name, errors)

    def _body(self, params: dict, body: dict, exists: bool, coerce: frozenset) -> list[Error]:
        if truthy(body.get("required")) and not exists:
            return [Error("/body", ["object", "required"])]
        if not exists:
            return []
        content = body.get("content") if isinstance(body.get("content"), dict) else {}
        accepts = sorted(content)
        content_type = accepts[0] if accepts else None
        media = content.get(content_type) if content_type else None
        schema = media.get("schema", {}) if isinstance(media, dict) else {}
        run = _Run(
            coerce, arrays=content_type in ("application/x-www-form-urlencoded", "multipart/form-data")
        )
        params["body"], errors = self.schemas.validate(params["body"], schema, run)
        return _prefixed("body", errors)


def parameter_style(param: dict) -> str:
    """The style JSON::Validator assumes when the spec gives none."""
    return param.get("style") or {"cookie": "form", "header": "simple", "path": "simple"}.get(
        param.get("in"), "form"
    )


def getter_key(param: dict) -> str:
    """The key OpenAPI::Client reads a parameter's value from.

    JSON::Validator asks for no name at all (undef, so ``''``) for an exploded object
    in form or deepObject style: such a parameter is never sent or checked.
    """
    exploded_object = schema_type(param.get("schema")) == "object" and truthy(param.get("explode"))
    if exploded_object and parameter_style(param) in ("form", "deepObject"):
        return ""
    return perl_str(param.get("name"))


def query_values(params: dict, name: str) -> list:
    """OpenAPI::Client's ``_param_as_array``: absent is [], a list is itself, else [value]."""
    if name not in params:
        return []
    value = params[name]
    return value if isinstance(value, list) else [value]


def _split_style(value: Any, style: str, name: str, explode: bool) -> list:
    if isinstance(value, list):
        value = value[-1] if value else ""
    text = perl_str(value)
    if style == "pipeDelimited":
        separator = r"\|"
    elif style == "spaceDelimited":
        separator = "[ ]"
    elif style == "label":
        separator = r"\."
        if text.startswith("."):
            text = text[1:]
            separator = "," if not explode else separator
    elif style == "matrix":
        separator = ";" + re.escape(name) + "="
        if re.match(separator, text):
            text = re.sub("^" + separator, "", text)
            separator = "," if not explode else separator
    else:
        separator = ","
    parts = re.split(separator, text)
    while parts and parts[-1] == "":  # Perl's split drops trailing empty fields
        parts.pop()
    return parts


_OBJECT_SEPARATORS = {
    "form": ",",
    "label": r"\.",
    "matrix": ",",
    "pipeDelimited": r"\|",
    "simple": ",",
    "spaceDelimited": "[ ]",
}


def _object_style(value: Any, style: str, name: str, explode: bool) -> Any:
    """JSON::Validator's ``_coerce_parameter_style_object``: text made into an object.

    Its ``explode`` default compares the style with "cookie" and "query", never true,
    so unless the spec says ``explode: true`` a form-style value is split on commas
    into key/value pairs: any value becomes an object, as in Perl.
    """
    if explode:
        separator = {"label": r"\.", "matrix": ";", "simple": ","}.get(style)
        text = perl_str(value)
        if separator is None or (style == "matrix" and not text.startswith(";")):
            return value
        if style == "label" and not text.startswith("."):
            return value
        text = text[1:] if style in ("matrix", "label") else text
        pairs: list = []
        for piece in _perl_split(separator, text):
            for pair in piece.split("&") if piece else []:
                found = re.match(r"^([^=]+)(?:=(.*))?$", pair, re.S)
                if found:
                    pairs += [found.group(1), found.group(2) or ""]
        return _to_hash(pairs)
    separator = _OBJECT_SEPARATORS.get(style)
    if separator is None:
        return value
    if isinstance(value, list):
        value = value[-1] if value else ""
    text = perl_str(value)
    if style == "matrix":
        prefix = f";{name}="
        if not text.startswith(prefix):
            return value
        text = text[len(prefix) :]
    elif style == "label":
        if not text.startswith("."):
            return value
        text = text[1:]
    return _to_hash(_perl_split(separator, text))


def _perl_split(separator: str, text: str) -> list[str]:
    parts = re.split(separator, text)
    while parts and parts[-1] == "":  # Perl's split drops trailing empty fields
        parts.pop()
    return parts


def _to_hash(items: list) -> dict:
    """Mojo::Parameters' ``to_hash`` of name/value pairs: a repeated name collects a list."""
    result: dict = {}
    for index in range(0, len(items), 2):
        name = items[index]
        value = items[index + 1] if index + 1 < len(items) else None
        if name in result:
            previous = result[name]
            result[name] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            result[name] = value
    return result


def _prefixed(name: str, errors: list[Error]) -> list[Error]:
    for error in errors:
        error.path = f"/{name}" + (error.path if _WORD.search(error.path) else "")
    return errors
