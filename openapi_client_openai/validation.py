"""Request validation: JSON::Validator's ``validate_request`` with OpenAPI::Client's getters.

Which value each parameter is read from, how its style turns text into arrays and
objects, what counts as a body, and in which order errors come: as Perl does it,
parameters in spec order, the body last, each value's errors sorted by path. The
schema checks themselves are in schemas.py.
"""

from __future__ import annotations

import re
from typing import Any

from .errors import EncodeError
from .operations import Operation
from .perl_data import perl_str
from .schemas import Error, Run, SchemaValidator, schema_type, truthy

__all__ = ["DEFAULT_COERCE", "OperationValidator", "getter_key", "query_values"]

DEFAULT_COERCE = frozenset({"booleans", "numbers", "strings"})
_WORD = re.compile(r"\w")


# -- one operation's request --------------------------------------------------------------


class _Parameter:
    """One declared parameter, with what JSON::Validator derives from it worked out once."""

    __slots__ = (
        "array_split",
        "check",
        "default",
        "explode",
        "key",
        "kind",
        "name",
        "required",
        "style",
        "where",
    )

    def __init__(self, param: dict, schemas: SchemaValidator) -> None:
        self.name = perl_str(param.get("name"))
        self.where = param.get("in")
        schema = param.get("schema")
        self.kind = schema_type(schema)  # of the schema as written: a $ref is no array
        self.style = parameter_style(param)
        self.key = getter_key(param)
        explode = param.get("explode")
        if self.kind == "array":
            explode = explode if explode is not None else self.style == "form"
        self.explode = truthy(explode)
        splits = self.style in ("form", "pipeDelimited", "spaceDelimited", "simple")
        self.array_split = self.kind == "array" and not (splits and self.explode)
        self.required = truthy(param.get("required"))
        self.default: tuple = ()
        if isinstance(schema, dict) and "default" in schema:
            self.default = (schema["default"],)
        elif "default" in param:
            self.default = (param["default"],)
        self.check = schemas.compile(schema if schema is not None else param)

    def validate(self, params: dict, run: Run) -> list[Error]:
        if self.where == "path":
            exists = self.key in params
            value = params.get(self.key)
        elif self.where in ("query", "header"):
            value = query_values(params, self.key)
            exists = bool(value)
        else:  # OpenAPI::Client provides no cookie getter
            exists, value = False, None
        if exists:
            if self.style == "deepObject":
                exists, value = False, None  # Perl dies here on a non-hash; nothing is sent either way
            elif self.array_split:
                value = _split_style(value, self.style, self.name, self.explode)
            elif self.kind == "array":
                value = value if isinstance(value, list) else [value]
            elif self.kind == "object":
                value = _object_style(value, self.style, self.name, self.explode)
        if not exists:
            if not self.default:
                return [Error(f"/{self.name}", ["object", "required"])] if self.required else []
            value = self.default[0]
        if self.kind == "array":
            if not isinstance(value, list):
                value = [value]
        elif isinstance(value, list):
            value = value[-1] if value else None
        errors: list[Error] = []
        self.check(value, (), run, errors)
        if len(errors) > 1:
            errors.sort(key=lambda e: e.path)
        return _prefixed(self.name, errors)


class OperationValidator:
    """validate_request of JSON::Validator's OpenAPIv3, with OpenAPI::Client's getters.

    Made once per operation, on its first call.
    """

    def __init__(self, operation: Operation, schemas: SchemaValidator) -> None:
        self.operation = operation
        self.parameters = [_Parameter(param, schemas) for param in operation.parameters]
        body = operation.request_body
        self.body_required = body is not None and truthy(body.get("required"))
        content: dict[str, Any] = {}
        if body is not None and isinstance(body.get("content"), dict):
            content = body["content"]
        accepts = sorted(content)
        self.content_type = accepts[0] if accepts else None
        media = content.get(self.content_type) if self.content_type else None
        self.body_check = schemas.compile(media.get("schema", {}) if isinstance(media, dict) else {})
        self.form_body = self.content_type in ("application/x-www-form-urlencoded", "multipart/form-data")

    def validate(self, params: dict, body_exists: bool, coerce: frozenset = DEFAULT_COERCE) -> list[dict]:
        """Errors for ``params`` (a private, perlified copy; its body is coerced in place)."""
        errors: list[Error] = []
        run = Run(coerce)
        for parameter in self.parameters:
            errors += parameter.validate(params, run)
        if self.operation.request_body is not None:
            try:
                errors += self._body(params, body_exists, coerce)
            except RecursionError:  # only a recursive schema with very deep data gets here
                raise EncodeError("nested too deeply to validate", "/body") from None
        return [e.to_dict() for e in errors] if errors else []

    def _body(self, params: dict, exists: bool, coerce: frozenset) -> list[Error]:
        if not exists:
            return [Error("/body", ["object", "required"])] if self.body_required else []
        errors: list[Error] = []
        params["body"] = self.body_check(params["body"], (), Run(coerce, arrays=self.form_body), errors)
        if len(errors) > 1:
            errors.sort(key=lambda e: e.path)
        return _prefixed("body", errors)


def parameter_style(param: dict) -> str:
    """The style JSON::Validator assumes when the spec gives none."""
    defaults = {"cookie": "form", "header": "simple", "path": "simple"}
    return param.get("style") or defaults.get(str(param.get("in")), "form")


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
    return _perl_split(separator, text)


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
