"""A second opinion on valid/invalid: jsonschema (Draft 2020-12) on the same cases.

Perl's verdict is the one we copy; this says where a standard validator disagrees
and, for the disagreements we understand, who is right and why. The checking is
"ideal" OpenAPI semantics: params as given (no coercion), a body that exists when
it is given (whatever its truth), a raw body parsed as JSON.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import jsonschema
import referencing
from referencing.jsonschema import DRAFT202012

from openapi_client_openai.operations import Operation
from openapi_client_openai.spec import Spec

SPEC_URI = "urn:parity:spec"
BODY_SOURCES = ("body", "file_upload", "form", "json", "multipart")
_ANY: dict = {}  # one shared object: validators are cached by id(schema)


@dataclass(frozen=True)
class Disagreement:
    case_id: str
    perl_valid: bool
    jsonschema_valid: bool
    detail: str  # jsonschema's first complaint, or what it accepted
    reason: str
    right: str  # "Perl", "jsonschema" or "unclear"

    def verdicts(self) -> str:
        return (
            f"Perl {'valid' if self.perl_valid else 'invalid'}, "
            f"jsonschema {'valid' if self.jsonschema_valid else 'invalid'}"
        )

    def __str__(self) -> str:
        return f"{self.case_id}: {self.verdicts()} ({self.detail}) -> right: {self.right}: {self.reason}"


class Oracle:
    """jsonschema's verdict on a call, built from the same spec document."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        resource = referencing.Resource.from_contents(spec.data, default_specification=DRAFT202012)
        self.registry = referencing.Registry().with_resource(SPEC_URI, resource)
        self._validators: dict[int, jsonschema.Draft202012Validator] = {}

    def _validator(self, schema: Any) -> jsonschema.Draft202012Validator:
        key = id(schema)
        if key not in self._validators:
            self._validators[key] = jsonschema.Draft202012Validator(_absolute(schema), registry=self.registry)
        return self._validators[key]

    def problems(self, op: Operation, params: dict, content: dict) -> list[str]:
        """What jsonschema finds wrong with the call ([] when it is valid)."""
        out: list[str] = []
        for param in op.parameters:
            name = param.get("name")
            if name not in params:
                if param.get("required") or param.get("in") == "path":
                    out.append(f"/{name}: missing")
                continue
            errors = self._validator(param.get("schema") or _ANY).iter_errors(params[name])
            out += [f"/{name}: {e.message}" for e in errors][:1]
        body = op.request_body
        if body is None:
            return out
        present, value = self._body(params, content)
        if not present:
            if body.get("required"):
                out.append("/body: missing")
            return out
        media = body.get("content") or {}
        name = "application/json" if "application/json" in media else next(iter(media), None)
        if name is None:
            return out
        errors = self._validator(media[name].get("schema") or _ANY).iter_errors(value)
        out += [f"/body{_where(e)}: {e.message}" for e in errors][:1]
        return out

    @staticmethod
    def _body(params: dict, content: dict) -> tuple[bool, Any]:
        if "body" in params:
            return True, params["body"]
        for source in BODY_SOURCES:
            if source in content:
                value = content[source]
                if source == "body" and isinstance(value, (str, bytes)):
                    try:
                        value = json.loads(value)
                    except ValueError:
                        pass
                return True, value
        return False, None


def _absolute(schema: Any) -> Any:
    """The schema with local ``#/...`` references pointed at the whole spec document."""
    if isinstance(schema, dict):
        return {
            k: (SPEC_URI + v if k == "$ref" and isinstance(v, str) and v.startswith("#") else _absolute(v))
            for k, v in schema.items()
        }
    if isinstance(schema, list):
        return [_absolute(v) for v in schema]
    return schema


def _where(error: jsonschema.ValidationError) -> str:
    return "".join(f"/{p}" for p in error.absolute_path)


# Disagreements we have read the Perl source for: (reason, who is right), first match wins.
RIGHT_PERL = "Perl"
RIGHT_JSONSCHEMA = "jsonschema"


def explain(
    case: Any, op: Operation, perl_valid: bool, perl_errors: Any, problems: list[str]
) -> tuple[str, str]:
    """Why Perl and jsonschema disagree on this case, and who is right."""
    messages = " ".join(e.get("message", "") for e in perl_errors or [] if isinstance(e, dict))
    parts = case.id.split("/")
    param = next((p for p in op.parameters if len(parts) > 2 and p.get("name") == parts[2]), None)
    schema = (param or {}).get("schema") or {}
    value = case.params.get(parts[2]) if param is not None else None
    if "No definition for discriminator" in messages:
        return (
            "JSON::Validator needs discriminator.mapping and rejects every value without one; OAS "
            "allows a discriminator without mapping (anyOf then decides)",
            RIGHT_JSONSCHEMA,
        )
    if case.kind == "falsy-body":
        return (
            "OpenAPI::Client passes exists => $params->{body} (the body's truth): a false body "
            "(0, '', undef) counts as absent: 'Missing property.' or not validated at all",
            RIGHT_JSONSCHEMA,
        )
    if param is not None and param.get("style") == "deepObject":
        return (
            "a deepObject parameter is never read: OpenAPIv3 asks for it with name undef and "
            "OpenAPI::Client finds nothing, so it is neither validated nor sent",
            RIGHT_JSONSCHEMA,
        )
    if param is not None and schema.get("type") == "object":
        return (
            "an object query parameter (style form, explode read as false by an operator-precedence "
            "slip) is made a hash by splitting its last value on commas, so any value passes",
            RIGHT_JSONSCHEMA,
        )
    if param is not None and schema.get("type") != "array" and isinstance(value, list):
        return (
            "for a scalar parameter given several values JSON::Validator validates only the last "
            "(_coerce_arrays) while all of them are sent",
            RIGHT_JSONSCHEMA,
        )
    if param is not None and schema.get("type") == "array" and not isinstance(value, list):
        return ("OpenAPI form/explode serialisation: one value is a one-item array", RIGHT_PERL)
    numbers_for_strings = case.kind == "query-array" and case.id.endswith("/numbers")
    form_stream = case.kind == "stream" and "file_upload" in case.content  # stream=true as form text
    if (
        case.kind in ("query-coerce", "body-coerce", "path-number")
        or "/coerce/" in case.id
        or numbers_for_strings
        or form_stream
    ):
        return (
            "coercion: JSON::Validator's default (booleans,numbers,strings) accepts text for "
            "numbers and booleans and numbers for strings; jsonschema has no coercion",
            RIGHT_PERL,
        )
    if not perl_valid and not problems and re.search(r"Expected \w+ - got null", messages):
        return (
            "JSON::Validator guesses a type from keywords (items -> array) where JSON Schema "
            "applies them only to values of that type, so null fails a schema without `type`",
            RIGHT_JSONSCHEMA,
        )
    if case.kind in ("null-nullable", "query-null"):
        return (
            "`nullable: true` is an OAS 3.0 keyword that OAS 3.1 (this spec) dropped; "
            "JSON::Validator's OpenAPIv3 honours it, Draft 2020-12 ignores it",
            "Perl (the authors' intent) / jsonschema (the 3.1 letter)",
        )
    if "raw" in case.id:
        return (
            "a raw body is validated as a string, not as the JSON it carries; a schema without "
            "`type` accepts any string",
            RIGHT_JSONSCHEMA,
        )
    return ("not yet explained: read both verdicts", "unclear")
