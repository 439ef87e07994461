"""JSON::Validator 5.14's schema checks (OpenAPIv3 on Draft 2019-09), compiled.

Written by hand because parity demands it: a generic JSON Schema validator gives
other messages, another error order, and no coercion. Each schema node becomes one
check function, made on first use and kept, with its keywords read once; a check
walks the *data*, never the spec. Semantics follow JSON::Validator method by method:

* ``check(value, path, run, errors) -> value``: errors are appended; the returned
  value is the input after coercion (``booleans,numbers,strings`` by default),
  which callers store back where it came from, as Perl's ``$_[1] = ...`` does;
* keyword order: not, allOf, anyOf, oneOf, if/then/else, the type, and only when
  all of those passed, const and enum;
* ``$ref`` siblings are merged into the target as ``_state`` does (spec_refs.py's
  VALIDATE rule; reading the document, ``get``, is its READ rule); request mode: readOnly
  properties are refused, discriminators (with a mapping) pick the schema.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable
from typing import Any

from .messages import render
from .perl_data import data_type, encode_json, is_num, looks_like_number, numify, perl_number, perl_str
from .pointer import escape
from .spec import Spec
from .spec_refs import READ, VALIDATE, follow, get, ref_of

Check = Callable[[Any, tuple, "Run", list], Any]

_NUMERIC = re.compile(r"^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$")
_INTEGER = re.compile(r"^-?\d+$")
_FALSE_TEXT = re.compile(r"^(0|false|)$")
_TRUE_TEXT = re.compile(r"^(1|true)$")
_FRACTION = re.compile(r"\.[^0]+$")
_COLLAPSE = re.compile(r"(\d+)\s/")
_NO_DATA = object()
_CONTAINERS = (dict, list, bool)


def truthy(value: Any) -> bool:
    """Perl's truth: undef, "", "0" and 0 are false; every reference is true."""
    if value is None:
        return False
    if isinstance(value, (bool, int, float)):
        return bool(value)
    if isinstance(value, str):
        return value not in ("", "0")
    return True


class Run:
    """What JSON::Validator keeps in ``local`` variables during one validation."""

    __slots__ = ("arrays", "booleans", "inside_discriminator", "numbers", "strings")

    def __init__(self, coerce: frozenset, arrays: bool = False, inside_discriminator: bool = False) -> None:
        self.booleans = "booleans" in coerce
        self.numbers = "numbers" in coerce
        self.strings = "strings" in coerce
        self.arrays = arrays  # coerce scalars to arrays: form and multipart bodies only
        self.inside_discriminator = inside_discriminator

    def discriminated(self) -> Run:
        inner = Run.__new__(Run)
        inner.booleans, inner.numbers, inner.strings = self.booleans, self.numbers, self.strings
        inner.arrays, inner.inside_discriminator = self.arrays, True
        return inner


class Error:
    """A JSON::Validator::Error: a JSON-pointer path, details, and a message.

    Inside the checks a path is a linked pair ``(parent, key)`` (``()`` at the
    root): cheap to extend, turned into a JSON pointer only for errors that survive.
    """

    __slots__ = ("_message", "_path", "details", "linked")

    def __init__(self, path: tuple | str, details: list | None = None, message: str | None = None) -> None:
        if isinstance(path, str):
            self._path: str | None = path
            self.linked: tuple | None = None
        else:
            self._path, self.linked = None, path
        self.details = details if details is not None else ["generic", "generic"]
        self._message = message

    @property
    def path(self) -> str:
        if self._path is None:
            self._path = pointer(self.linked or ())
        return self._path

    @path.setter
    def path(self, value: str) -> None:
        self._path, self.linked = value, None

    @property
    def message(self) -> str:
        if self._message is None:
            self._message = render(self.details)
        return self._message

    def is_type_at(self, path: tuple) -> bool:
        if len(self.details) < 2 or self.details[1] != "type":
            return False
        return self.linked == path if self.linked is not None else self.path == pointer(path)

    def to_dict(self) -> dict:
        return {"message": self.message, "path": self.path}

    def __repr__(self) -> str:
        return f"{self.path}: {self.message}"


def pointer(path: tuple) -> str:
    """The JSON pointer of a linked path."""
    keys = []
    while path:
        path, key = path
        keys.append(escape(key))
    return "/" + "/".join(reversed(keys)) if keys else "/"


def schema_type(schema: Any, data: Any = _NO_DATA) -> Any:
    """JSON::Validator::Util's ``schema_type``: the declared or guessed type of a schema."""
    if not isinstance(schema, dict):
        return ""
    if truthy(schema.get("type")):
        return schema["type"]
    guess = guess_type(schema)
    if guess == "const" or not guess or data is _NO_DATA or data is None:
        return guess
    return guess if guess == data_type(data) else ""


def guess_type(schema: dict) -> str:
    """JSON::Validator::Util's ``_guess_schema_type``: the type a schema without ``type`` implies.

    ``object``, ``array``, ``string``, ``number``, ``const`` (a ``const`` and nothing
    that implies more) or ``""``; keyword values are read with Perl's truth, as there.
    The one type guesser of the package: validation, examples and docs all use it.
    """
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
        return "object"
    if (
        "items" in schema
        or truthy(schema.get("uniqueItems"))
        or "contains" in schema
        or "maxItems" in schema
        or "minItems" in schema
    ):
        return "array"
    if truthy(schema.get("pattern")) or "maxLength" in schema or schema.get("minLength") is not None:
        return "string"
    if truthy(schema.get("multipleOf")) or any(
        schema.get(k) is not None for k in ("maximum", "minimum", "exclusiveMaximum", "exclusiveMinimum")
    ):
        return "number"
    return "const" if "const" in schema else ""


def checksum(value: Any) -> Any:
    """A key equal where JSON::Validator's ``data_checksum`` is equal.

    Plain scalars compare by their string form; references (objects, arrays and
    booleans, which are objects in Perl) compare by structure and scalar type.
    """
    if isinstance(value, _CONTAINERS):
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


def as_number(value: Any) -> int | float:
    """Perl's numeric value of a scalar, for comparisons with schema limits."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return value
    return numify(perl_str(value).strip())


def prefix_errors(kind: str, groups: list[tuple[int, list[Error]]]) -> list[Error]:
    """``/anyOf/0 <message>``, as JSON::Validator::Util's ``prefix_errors`` writes it."""
    out = []
    for index, errors in groups:
        for error in errors:
            text = _COLLAPSE.sub(r"\1/", f"/{kind}/{index} {error.message}")
            prefixed = Error(error.linked if error.linked is not None else error.path, error.details, text)
            out.append(prefixed)
    return out


def _unique(items: Any) -> list:
    return list(dict.fromkeys(items))


def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else []


# -- formats (JSON::Validator::Formats, the ones OpenAPIv3 registers) -------------------


def _match_number(name: str, text: str, bits: str) -> str | None:
    if name.startswith("int") and not re.match(r"^-?\d+(\.\d+)?$", text):
        return "Does not look like an integer"
    if not looks_like_number(text):
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


def _check_uuid(text: str) -> str | None:
    hexdigit = "[0-9A-Fa-f]"
    pattern = f"^{hexdigit}{{8}}-{hexdigit}{{4}}-[0-9]{hexdigit}{{3}}-{hexdigit}{{4}}-{hexdigit}{{12}}$"
    return None if re.match(pattern, text) else "Does not match uuid format."


FORMATS: dict[str, Callable[[str], str | None]] = {
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
    "uuid": _check_uuid,
}


def _accept(value: Any, path: tuple, run: Run, errors: list) -> Any:
    return value


# -- the compiler ----------------------------------------------------------------------


class SchemaValidator:
    """Compiles and runs the schemas of one spec; every compiled check is kept."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self._merged: dict[int, Any] = {}
        self._checks: dict[int, Check] = {}
        self._keep: list[Any] = []  # dicts made here, so their ids stay unique
        self._pointed: dict[str, Any] = {}

    # Draft 2019-09 ``_state``: follow $ref, the target's keys over its referrers'.
    def state(self, schema: Any) -> Any:
        if ref_of(schema, VALIDATE) is None:
            return schema
        merged = self._merged.get(id(schema))
        if merged is None:
            merged = self._merged[id(schema)] = follow(self.spec, schema, VALIDATE)
            self._keep.append(schema)
        return merged

    # JSON::Validator's ``get``: walk a pointer, following $ref, the referrer's keys winning.
    def get(self, path: str) -> Any:
        if path not in self._pointed:
            self._pointed[path] = get(self.spec, path)
        return self._pointed[path]

    def _follow(self, node: Any) -> Any:
        return follow(self.spec, node, READ)

    def compile(self, schema: Any) -> Check:
        """The check of a schema (``$ref`` followed and merged), made once."""
        merged = self.state(schema)
        key = id(merged)
        check = self._checks.get(key)
        if check is None:
            cell: list[Check] = []

            def recursive(value: Any, path: tuple, run: Run, errors: list) -> Any:
                return cell[0](value, path, run, errors)

            self._checks[key] = recursive  # a schema that contains itself finds this
            self._keep.append(merged)
            cell.append(self._build(merged))
            check = self._checks[key] = cell[0]
        return check

    # -- one schema node ----------------------------------------------------------------

    def _build(self, schema: Any) -> Check:
        if isinstance(schema, bool):
            if schema:
                return _accept

            def never(value: Any, path: tuple, run: Run, errors: list) -> Any:
                errors.append(Error(path, ["not", "not"]))
                return value

            return never
        if not isinstance(schema, dict):
            return _accept

        steps: list[Check] = []
        if truthy(schema.get("not")):
            steps.append(self._not(schema["not"]))
        for kind, make in (("allOf", self._all_of), ("anyOf", self._any_of), ("oneOf", self._one_of)):
            if truthy(schema.get(kind)):
                steps.append(make([self.compile(rule) for rule in _as_list(schema[kind])]))
        if "if" in schema:
            steps.append(self._if(schema))
        declared = schema.get("type") if truthy(schema.get("type")) else None
        if isinstance(declared, list):
            steps.append(self._any_of_types(schema, declared))
        elif declared:
            typed = self._type_check(declared, schema)
            if typed is not None:
                steps.append(typed)
        else:
            guess = guess_type(schema)
            if guess:
                steps.append(self._guessed(guess, schema))
        finals = []
        if "const" in schema:
            finals.append(_const_check(schema["const"]))
        if truthy(schema.get("enum")):
            finals.append(_enum_check(_as_list(schema["enum"]), bool(schema.get("nullable"))))

        if not finals and len(steps) == 1:
            return steps[0]
        if not finals and not steps:
            return _accept
        if len(steps) == 1 and len(finals) == 1:  # the common "type plus enum": no loops
            step, final = steps[0], finals[0]

            def typed_then_final(value: Any, path: tuple, run: Run, errors: list) -> Any:
                count = len(errors)
                value = step(value, path, run, errors)
                if len(errors) == count:
                    final(value, path, errors)
                return value

            return typed_then_final

        def check(value: Any, path: tuple, run: Run, errors: list) -> Any:
            count = len(errors)
            for step in steps:
                value = step(value, path, run, errors)
            if len(errors) == count:
                for final in finals:
                    final(value, path, errors)
            return value

        return check

    def _type_check(self, kind: Any, schema: dict) -> Check | None:
        if kind == "object":
            return self._object(schema)
        if kind == "array":
            return self._array(schema)
        if kind == "string":
            return _string_check(schema, self._format(schema))
        if kind in ("number", "integer"):
            return _number_check(schema, kind, self._format(schema))
        if kind == "boolean":
            return _boolean_check(schema)
        if kind == "null":
            return _null_check
        if kind == "const":
            const = _const_check(schema.get("const"))

            def check_const(value: Any, path: tuple, run: Run, errors: list) -> Any:
                const(value, path, errors)
                return value

            return check_const
        return None  # JSON::Validator would die on a type it has no method for

    def _guessed(self, guess: str, schema: dict) -> Check:
        """A schema with no ``type``: its keywords apply when the data has the guessed type."""
        typed = self._type_check(guess, schema) or _accept
        if guess == "const":
            return typed

        def check(value: Any, path: tuple, run: Run, errors: list) -> Any:
            if value is None or data_type(value) == guess:
                return typed(value, path, run, errors)
            return value

        return check

    def _format(self, schema: dict) -> Callable[[Any, tuple, list], None] | None:
        name = schema.get("format")
        if not name:
            return None
        check = FORMATS.get(name) if isinstance(name, str) else None
        if check is None:  # JSON::Validator warns and accepts a format it does not know
            return None

        def check_format(value: Any, path: tuple, errors: list) -> None:
            problem = check(perl_str(value))
            if problem:
                errors.append(Error(path, ["format", name, problem]))

        return check_format

    # -- combinators ----------------------------------------------------------------------

    def _not(self, rule: Any) -> Check:
        inner = self.compile(rule)

        def check(value: Any, path: tuple, run: Run, errors: list) -> Any:
            found: list = []
            value = inner(value, path, run, found)
            if not found:
                errors.append(Error(path, ["not", "not"]))
            return value

        return check

    def _if(self, schema: dict) -> Check:
        condition = self.compile(schema["if"]) if truthy(schema["if"]) else None
        then = self.compile(schema["then"] if schema.get("then") is not None else {})
        otherwise = self.compile(schema["else"] if schema.get("else") is not None else {})

        def check(value: Any, path: tuple, run: Run, errors: list) -> Any:
            chosen = otherwise
            if condition is not None:
                found: list = []
                value = condition(value, path, run, found)
                chosen = otherwise if found else then
            return chosen(value, path, run, errors)

        return check

    def _all_of(self, rules: list[Check]) -> Check:
        def check(value: Any, path: tuple, run: Run, errors: list) -> Any:
            groups = []
            for index, rule in enumerate(rules):
                found: list = []
                value = rule(value, path, run, found)
                if found:
                    groups.append((index, found))
            if groups:
                errors += _combine("allOf", groups, path)
            return value

        return check

    def _any_of(self, rules: list[Check]) -> Check:
        def check(value: Any, path: tuple, run: Run, errors: list) -> Any:
            groups = []
            for index, rule in enumerate(rules):
                found: list = []
                value = rule(value, path, run, found)
                if not found:
                    return value
                groups.append((index, found))
            errors += _combine("anyOf", groups, path)
            return value

        return check

    def _one_of(self, rules: list[Check]) -> Check:
        def check(value: Any, path: tuple, run: Run, errors: list) -> Any:
            groups = []
            passed = []
            for index, rule in enumerate(rules):
                found: list = []
                value = rule(value, path, run, found)
                if found:
                    groups.append((index, found))
                else:
                    passed.append(index)
            if len(passed) == 1:
                return value
            if not groups:
                errors.append(Error(path, ["oneOf", "all_rules_match"]))
            elif passed:
                errors.append(Error(path, ["oneOf", "n_rules_match", ", ".join(map(str, passed))]))
            else:
                errors += _combine("oneOf", groups, path)
            return value

        return check

    def _any_of_types(self, schema: dict, kinds: list) -> Check:
        variants = []
        for kind in kinds:
            variant = {**schema, "type": kind}
            self._keep.append(variant)
            variants.append(self.compile(variant))

        def check(value: Any, path: tuple, run: Run, errors: list) -> Any:
            found: list = []
            for variant in variants:
                tried: list = []
                value = variant(value, path, run, tried)
                if not tried:
                    return value
                found += tried
            preferred = [e for e in found if not e.is_type_at(path)]
            if preferred:
                errors += preferred
                return value
            errors.append(Error(path, _wanted_types(found)))
            return value

        return check

    # -- objects and arrays ---------------------------------------------------------------

    def _object(self, schema: dict) -> Check:
        nullable = bool(schema.get("nullable"))
        discriminator = schema.get("discriminator")
        if not (isinstance(discriminator, dict) and truthy(discriminator.get("propertyName"))):
            discriminator = None
        raw_properties = schema.get("properties") or {}
        properties = raw_properties if isinstance(raw_properties, dict) else {}
        read_only = tuple(name for name, rule in properties.items() if _read_only(self._follow(rule)))
        required = tuple(
            _unique(
                r for r in _as_list(schema.get("required") or []) if isinstance(r, str) and r not in read_only
            )
        )
        most, least = schema.get("maxProperties"), schema.get("minProperties")
        dependent_schemas = schema.get("dependentSchemas") or {}
        dependent_required = schema.get("dependentRequired") or {}
        has_rules = truthy(raw_properties) and isinstance(raw_properties, dict)
        compiled_props: dict[str, Check] = {}
        patterns = (
            [(re.compile(pattern), rule) for pattern, rule in (schema.get("patternProperties") or {}).items()]
            if isinstance(schema.get("patternProperties"), dict)
            else []
        )
        additional_rule = schema["additionalProperties"] if "additionalProperties" in schema else {}
        forbid_others = not truthy(additional_rule)
        additional: Check | None = None
        if not forbid_others:
            additional = self.compile(additional_rule if isinstance(additional_rule, dict) else {})
        compiled_patterns: list[tuple[re.Pattern, Check]] = []
        compiled: list[bool] = []

        def check(value: Any, path: tuple, run: Run, errors: list) -> Any:
            if value is None and nullable:
                return value
            if type(value) is not dict:
                errors.append(Error(path, ["object", "type", data_type(value)]))
                return value
            if discriminator is not None and not run.inside_discriminator:
                return self._discriminated(value, discriminator, path, run, errors)
            for name in read_only:
                if name in value:
                    errors.append(Error((path, name), message="Read-only."))
            count = len(value)
            if most is not None and as_number(most) < count:
                errors.append(Error(path, ["object", "maxProperties", str(count), perl_str(most)]))
            if least is not None and as_number(least) > count:
                errors.append(Error(path, ["object", "minProperties", str(count), perl_str(least)]))
            if dependent_schemas or dependent_required:
                self._dependencies(value, dependent_schemas, dependent_required, path, run, errors)
            # Draft 4's properties. The final sort by path makes one pass as good as Perl's
            # two (required first): a missing key and a present key never share a path.
            if not compiled:  # compiled on first use: a schema may contain itself
                compiled.append(True)
                if has_rules:
                    compiled_props.update(
                        (name, self.compile(rule)) for name, rule in properties.items() if rule is not None
                    )
                compiled_patterns.extend((regex, self.compile(rule)) for regex, rule in patterns)
            if forbid_others:
                extra = [
                    name
                    for name in value
                    if name not in compiled_props
                    and not any(regex.search(name) for regex, _ in compiled_patterns)
                ]
                if extra:
                    errors.append(Error(path, ["object", "additionalProperties", ", ".join(sorted(extra))]))
                    return value
            for name in required:
                if name not in value:
                    errors.append(Error((path, name), ["object", "required"]))
            for name in value:
                rule = compiled_props.get(name)
                if rule is not None:
                    value[name] = rule(value[name], (path, name), run, errors)
                matched = rule is not None
                for regex, pattern_rule in compiled_patterns:
                    if regex.search(name):
                        value[name] = pattern_rule(value[name], (path, name), run, errors)
                        matched = True
                if not matched and additional is not None and additional is not _accept:
                    value[name] = additional(value[name], (path, name), run, errors)
            return value

        return check

    def _discriminated(self, value: dict, discriminator: dict, path: tuple, run: Run, errors: list) -> Any:
        name = perl_str(discriminator["propertyName"])
        chosen = value.get(name)
        if not truthy(chosen):
            errors.append(Error(path, message=f"Discriminator {name} has no value."))
            return value
        mapping = discriminator.get("mapping")
        chosen = perl_str(chosen)
        url = mapping.get(chosen) if isinstance(mapping, dict) else None
        if not truthy(url):
            errors.append(Error(path, message=f"No definition for discriminator {chosen}."))
            return value
        url = perl_str(url)
        if not url.startswith("#"):
            errors.append(Error(path, message=f"TODO: Not yet supported: {url}"))
            return value
        return self.compile(self.get(url[1:]))(value, path, run.discriminated(), errors)

    def _dependencies(
        self, value: dict, schemas: Any, required: Any, path: tuple, run: Run, errors: list
    ) -> None:
        if isinstance(schemas, dict):
            for name, rule in schemas.items():
                if name not in value:
                    continue
                if isinstance(rule, list):
                    errors += [
                        Error((path, k), ["object", "dependencies", name]) for k in rule if k not in value
                    ]
                else:
                    self.compile(rule)(value, path, run, errors)
        if isinstance(required, dict):
            for name, needed in required.items():
                if name in value:
                    errors += [
                        Error((path, k), ["object", "dependencies", name])
                        for k in _as_list(needed)
                        if k not in value
                    ]

    def _array(self, schema: dict) -> Check:
        nullable = bool(schema.get("nullable"))
        least, most = schema.get("minItems"), schema.get("maxItems")
        unique = truthy(schema.get("uniqueItems"))
        contains = self._contains(schema) if "contains" in schema else None
        items = schema.get("items")
        tuple_rules = [self.compile(rule) for rule in items] if isinstance(items, list) else None
        additional_items = schema.get("additionalItems", {})
        extra_rule = (
            self.compile(additional_items) if tuple_rules is not None and truthy(additional_items) else None
        )
        item_rule = self.compile(items) if "items" in schema and tuple_rules is None else None

        def check(value: Any, path: tuple, run: Run, errors: list) -> Any:
            if type(value) is not list and run.arrays:
                value = [value]
            if value is None and nullable:
                return value
            if type(value) is not list:
                errors.append(Error(path, ["array", "type", data_type(value)]))
                return value
            count = len(value)
            if least is not None and as_number(least) > count:
                errors.append(Error(path, ["array", "minItems", str(count), perl_str(least)]))
            if most is not None and as_number(most) < count:
                errors.append(Error(path, ["array", "maxItems", str(count), perl_str(most)]))
            if unique:
                seen = set()
                for item in value:
                    key = checksum(item)
                    if key in seen:
                        errors.append(Error(path, ["array", "uniqueItems"]))
                        break
                    seen.add(key)
            if contains is not None:
                contains(value, path, run, errors)
            if item_rule is not None:
                for index in range(count):
                    value[index] = item_rule(value[index], (path, index), run, errors)
            elif tuple_rules is not None:
                rules = list(tuple_rules)
                if extra_rule is not None:
                    rules += [extra_rule] * max(0, count - len(rules))
                if len(rules) >= count:
                    for index in range(count):
                        value[index] = rules[index](value[index], (path, index), run, errors)
                else:
                    errors.append(Error(path, ["array", "additionalItems", str(count), str(len(rules))]))
            return value

        return check

    def _contains(self, schema: dict) -> Callable[[list, tuple, Run, list], None]:
        low, high = schema.get("minContains"), schema.get("maxContains")
        rule = self.compile(schema["contains"])
        has_high = "maxContains" in schema

        def check(value: list, path: tuple, run: Run, errors: list) -> None:
            if low is not None and as_number(low) == 0 and (not truthy(high) or not value):
                return
            failures = []
            valid = 0
            for index in range(len(value)):
                found: list = []
                value[index] = rule(value[index], (path, index), run, found)
                if found:
                    failures.append(found)
                else:
                    valid += 1
            if len(failures) >= len(value):
                for found in failures:
                    errors += found
            if has_high and valid > as_number(high):
                errors.append(Error(path, ["array", "maxContains", str(len(value)), perl_str(high)]))
            if truthy(low) and valid < as_number(low):
                errors.append(Error(path, ["array", "minContains", str(len(value)), perl_str(low)]))
            if not value:
                errors.append(Error(path, ["array", "contains"]))

        return check


def _read_only(rule: Any) -> bool:
    return isinstance(rule, dict) and truthy(rule.get("readOnly"))


def _combine(kind: str, groups: list, path: tuple) -> list[Error]:
    """allOf/anyOf/oneOf failures: prefixed, or one "Expected a/b - got c." when all are types."""
    errors = [error for _, found in groups for error in found]
    if len(errors) == 1 or any(not e.is_type_at(path) for e in errors):
        return prefix_errors(kind, groups)
    wanted, _, got = _wanted_types(errors)
    return [Error(path, [kind, "type", wanted, got])]


def _wanted_types(errors: list[Error]) -> list:
    """Type errors of one value combined: ``["string/null", "type", <the last got>]``."""
    wanted = "/".join(_unique(str(e.details[0]) for e in errors))
    got = errors[-1].details[2] if errors and len(errors[-1].details) > 2 else None
    return [wanted, "type", got]


# -- scalar types (closures over the keywords of one schema) -----------------------------


def _string_check(schema: dict, check_format: Callable | None) -> Check:
    nullable = bool(schema.get("nullable"))
    declared = truthy(schema.get("type"))
    most, least = schema.get("maxLength"), schema.get("minLength")
    most = None if most is None else (most, as_number(most))
    least = None if least is None else (least, as_number(least))
    pattern = schema.get("pattern")
    regex = re.compile(perl_str(pattern)) if pattern is not None else None

    def check(value: Any, path: tuple, run: Run, errors: list) -> Any:
        kind = type(value)
        if kind is str:
            text = value
        elif value is None:
            if nullable or not declared:
                return value
            errors.append(Error(path, ["string", "type", "null"]))
            return value
        elif kind is dict or kind is list or kind is bool:
            errors.append(Error(path, ["string", "type", data_type(value)]))
            return value
        else:
            text = perl_str(value)  # what Perl measures and matches: the number's own text
            if is_num(value):
                if not run.strings:
                    errors.append(Error(path, ["string", "type", "number"]))
                    return value
                value = text
        if check_format is not None:
            check_format(text, path, errors)
        if most is not None and len(text) > most[1]:
            errors.append(Error(path, ["string", "maxLength", str(len(text)), perl_str(most[0])]))
        if least is not None and len(text) < least[1]:
            errors.append(Error(path, ["string", "minLength", str(len(text)), perl_str(least[0])]))
        if regex is not None and not regex.search(text):
            errors.append(Error(path, ["string", "pattern", perl_str(pattern)]))
        return value

    return check


def _number_check(schema: dict, expected: str, check_format: Callable | None) -> Check:
    nullable = bool(schema.get("nullable"))
    maximum, minimum = schema.get("maximum"), schema.get("minimum")
    ex_maximum, ex_minimum = schema.get("exclusiveMaximum"), schema.get("exclusiveMinimum")
    limits = (maximum, minimum, ex_maximum, ex_minimum)
    has_limits = any(limit is not None for limit in limits)
    divisor = schema.get("multipleOf")
    divisor = divisor if truthy(divisor) else None
    integer = expected == "integer"

    def check(value: Any, path: tuple, run: Run, errors: list) -> Any:
        kind = type(value)
        if value is None:
            if not nullable:
                errors.append(Error(path, [expected, "type", "null"]))
            return value
        if kind is dict or kind is list or kind is bool:
            errors.append(Error(path, [expected, "type", data_type(value)]))
            return value
        original = value
        if not is_num(value):
            text = perl_str(value)
            if not run.numbers or not _NUMERIC.match(text):
                errors.append(Error(path, [expected, "type", data_type(value)]))
                return value
            value = numify(text)
        count = len(errors)
        if check_format is not None:
            check_format(original, path, errors)
        if has_limits:
            _number_limits(original, limits, path, expected, errors)
        if divisor is not None:
            quotient = float(as_number(original)) / float(as_number(divisor))
            if _FRACTION.search(perl_number(quotient)):
                errors.append(Error(path, [expected, "multipleOf", perl_str(divisor)]))
        if integer and len(errors) == count and not _INTEGER.match(perl_str(original)):
            errors.append(Error(path, ["integer", "type", data_type(original)]))
        return value

    return check


def _number_limits(original: Any, limits: tuple, path: tuple, expected: str, errors: list) -> None:
    # Draft 6: the first failing limit of each side is reported; a 3.0-style boolean
    # exclusive bound compares as 1 or 0, as it does in Perl.
    maximum, minimum, ex_maximum, ex_minimum = limits
    number = as_number(original)
    shown = perl_str(original)
    if maximum is not None and number > as_number(maximum):
        errors.append(Error(path, [expected, "maximum", shown, perl_str(maximum)]))
    elif ex_maximum is not None and number >= as_number(ex_maximum):
        errors.append(Error(path, [expected, "ex_maximum", shown, perl_str(ex_maximum)]))
    if minimum is not None and number < as_number(minimum):
        errors.append(Error(path, [expected, "minimum", shown, perl_str(minimum)]))
    elif ex_minimum is not None and number <= as_number(ex_minimum):
        errors.append(Error(path, [expected, "ex_minimum", shown, perl_str(ex_minimum)]))


def _boolean_check(schema: dict) -> Check:
    nullable = bool(schema.get("nullable"))

    def check(value: Any, path: tuple, run: Run, errors: list) -> Any:
        if type(value) is bool:
            return value
        if value is None:
            if not nullable:
                errors.append(Error(path, ["boolean", "type", "null"]))
            return value
        original = value
        if run.booleans:
            text = perl_str(value)
            if _FALSE_TEXT.match(text):
                value = False
            if _TRUE_TEXT.match(text):
                value = True
        if type(value) is bool:
            return value
        errors.append(Error(path, ["boolean", "type", data_type(original)]))
        return value

    return check


def _null_check(value: Any, path: tuple, run: Run, errors: list) -> Any:
    if value is not None:
        errors.append(Error(path, ["null", "type", data_type(value)]))
    return value


def _enum_check(values: list, nullable: bool) -> Callable[[Any, tuple, list], None]:
    scalars = {perl_str(v) for v in values if v is not None and not isinstance(v, _CONTAINERS)}
    others = {checksum(v) for v in values if v is None or isinstance(v, _CONTAINERS)}
    text = ", ".join(
        encode_json(v).decode("utf-8") if v is None or isinstance(v, _CONTAINERS) else perl_str(v)
        for v in values
    )

    def check(value: Any, path: tuple, errors: list) -> None:
        if value is None:
            if nullable or ("undef",) in others:
                return
        elif not isinstance(value, _CONTAINERS):
            if (value if type(value) is str else perl_str(value)) in scalars:
                return
        elif checksum(value) in others:
            return
        errors.append(Error(path, ["enum", "enum", text]))

    return check


def _const_check(const: Any) -> Callable[[Any, tuple, list], None]:
    wanted = checksum(const)
    shown = encode_json(const).decode("utf-8")

    def check(value: Any, path: tuple, errors: list) -> None:
        if checksum(value) != wanted:
            errors.append(Error(path, ["const", "const", shown]))

    return check
