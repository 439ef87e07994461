"""JSON::Validator 5.14's error message templates, as data, and how it fills them.

An error carries ``details``: ``[category, test, arg3, arg4]``; ``%3``/``%4`` in the
template are replaced by the third and fourth details (JSON::Validator::Error).
"""

from __future__ import annotations

import re
from typing import Any

TEMPLATES: dict[str, dict[str, str]] = {
    "allOf": {"type": "/allOf Expected %3 - got %4."},
    "anyOf": {"type": "/anyOf Expected %3 - got %4."},
    "array": {
        "additionalItems": "Invalid number of items: %3/%4.",
        "maxContains": "Contains too many items: %3/%4.",
        "maxItems": "Too many items: %3/%4.",
        "minContains": "Contains not enough items: %3/%4.",
        "minItems": "Not enough items: %3/%4.",
        "uniqueItems": "Unique items required.",
        "contains": "No items contained.",
    },
    "const": {"const": "Does not match const: %3."},
    "enum": {"enum": "Not in enum list: %3."},
    "integer": {
        "ex_maximum": "%3 >= maximum(%4)",
        "ex_minimum": "%3 <= minimum(%4)",
        "maximum": "%3 > maximum(%4)",
        "minimum": "%3 < minimum(%4)",
        "multipleOf": "Not multiple of %3.",
    },
    "not": {"not": "Should not match."},
    "null": {"type": "Not null."},
    "number": {
        "ex_maximum": "%3 >= maximum(%4)",
        "ex_minimum": "%3 <= minimum(%4)",
        "maximum": "%3 > maximum(%4)",
        "minimum": "%3 < minimum(%4)",
        "multipleOf": "Not multiple of %3.",
    },
    "object": {
        "additionalProperties": "Properties not allowed: %3.",
        "maxProperties": "Too many properties: %3/%4.",
        "minProperties": "Not enough properties: %3/%4.",
        "required": "Missing property.",
        "dependencies": "Missing property. Dependee: %3.",
    },
    "oneOf": {
        "all_rules_match": "All of the oneOf rules match.",
        "n_rules_match": "oneOf rules %3 match.",
        "type": "/oneOf Expected %3 - got %4.",
    },
    "string": {
        "pattern": "String does not match %3.",
        "maxLength": "String is too long: %3/%4.",
        "minLength": "String is too short: %3/%4.",
    },
}

_PLACEHOLDER = re.compile(r"%(\d)\b")


def render(details: list[Any]) -> str:
    """The message JSON::Validator::Error builds from ``details`` (arguments already text)."""
    template: str | None
    if details and details[0] == "format":
        template = "%3"
    elif len(details) == 3 and details[1] == "type":
        template = "Expected %1 - got %3."
    else:
        group = TEMPLATES.get(details[0]) if details else None
        template = group.get(details[1] if len(details) > 1 and details[1] else "default") if group else None
    if template is None:
        return " ".join(["Failed", *(str(d) for d in details)])

    def fill(match: re.Match) -> str:
        index = int(match.group(1)) - 1
        value = details[index] if 0 <= index < len(details) else None
        return "" if value is None else str(value)

    return _PLACEHOLDER.sub(fill, template)
