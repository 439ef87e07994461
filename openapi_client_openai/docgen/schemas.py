"""What a reader needs to know about a schema, in a few words.

Types read ``string | null`` for ``anyOf``/``oneOf``/``nullable``/type lists,
allowed values come from ``enum``/``const``, and a default is reported even
when it is ``0`` or ``false`` (Perl's generator tested it for truth and lost
those).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..schemas import guess_type
from ..spec import Spec

MISSING = object()


@dataclass(frozen=True)
class SchemaFacts:
    type_label: str
    allowed: tuple  # enum/const values, nulls left out (they show in the type)
    allowed_exhaustive: bool  # False when other values are also accepted
    default: Any  # MISSING when there is none
    deprecated: bool


def facts(spec: Spec, schema: Any) -> SchemaFacts:
    node = spec.resolve(schema)
    allowed, exhaustive = _allowed(spec, node, 0)
    return SchemaFacts(
        type_label=type_label(spec, node),
        allowed=allowed,
        allowed_exhaustive=exhaustive,
        default=_default(spec, node),
        deprecated=bool(node.get("deprecated")) if isinstance(node, dict) else False,
    )


def type_label(spec: Spec, schema: Any, depth: int = 0) -> str:
    """``string``, ``string | null``, ``array of object``, ``integer | string``..."""
    labels = _type_labels(spec, schema, depth)
    return " | ".join(labels) if labels else "any"


def _type_labels(spec: Spec, schema: Any, depth: int) -> list:
    node = spec.resolve(schema)
    if depth > 8 or not isinstance(node, dict) or not node:
        return []
    found: list = []

    def add(label: str) -> None:
        if label not in found:
            found.append(label)

    declared = node.get("type")
    types = declared if isinstance(declared, list) else [declared] if isinstance(declared, str) else []
    for kind in types:
        if kind == "array":
            items = _type_labels(spec, node.get("items"), depth + 1)
            if len(items) == 1:
                add(f"array of {items[0]}")
            elif items:
                add(f"array of ({' | '.join(items)})")
            else:
                add("array")
        else:
            add(str(kind))
    if not types:
        for key in ("anyOf", "oneOf"):
            for option in node.get(key) or []:
                for label in _type_labels(spec, option, depth + 1):
                    add(label)
        for part in node.get("allOf") or []:
            labels = _type_labels(spec, part, depth + 1)
            if labels:
                for label in labels:
                    add(label)
                break
    if not found:
        guess = guess_type(node)
        if guess == "const":
            add(json_type(node["const"]))
        elif guess:
            add(guess)
        elif isinstance(node.get("enum"), list):
            for value in node["enum"]:
                add(json_type(value))
    if node.get("nullable") is True and "null" not in found:
        add("null")
    if "null" in found:  # "string | null" reads best with null last
        found.remove("null")
        found.append("null")
    return found


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _allowed(spec: Spec, node: Any, depth: int) -> tuple:
    """(values, exhaustive): enum/const of the schema or of all its alternatives."""
    if not isinstance(node, dict) or depth > 4:
        return (), False
    if isinstance(node.get("enum"), list):
        return tuple(v for v in node["enum"] if v is not None), True
    if "const" in node:
        return ((node["const"],) if node["const"] is not None else ()), True
    if isinstance(node.get("items"), dict) and not node.get("anyOf") and not node.get("oneOf"):
        return _allowed(spec, spec.resolve(node["items"]), depth + 1)  # an array's item values
    values: list = []
    exhaustive = True
    options = (node.get("anyOf") or []) + (node.get("oneOf") or [])
    for option in options:
        option = spec.resolve(option)
        if isinstance(option, dict) and option.get("type") == "null":
            continue
        found, whole = _allowed(spec, option, depth + 1)
        exhaustive = exhaustive and whole
        values.extend(v for v in found if v not in values)
    for part in node.get("allOf") or []:
        found, whole = _allowed(spec, spec.resolve(part), depth + 1)
        if found:
            return found, whole
    return tuple(values), exhaustive and bool(values)


def _default(spec: Spec, node: Any) -> Any:
    if not isinstance(node, dict):
        return MISSING
    if "default" in node:
        return node["default"]
    for part in node.get("allOf") or []:
        found = _default(spec, spec.resolve(part))
        if found is not MISSING:
            return found
    return MISSING


def object_shape(spec: Spec, schema: Any) -> tuple:
    """(properties, required) of an object schema, ``allOf`` parts merged in order."""
    properties: dict = {}
    required: list = []
    stack = [spec.resolve(schema)]
    seen = 0
    while stack and seen < 64:
        seen += 1
        node = stack.pop(0)
        if not isinstance(node, dict):
            continue
        for name, prop in (node.get("properties") or {}).items():
            properties.setdefault(name, prop)
        for name in node.get("required") or []:
            if name not in required:
                required.append(name)
        stack[:0] = [spec.resolve(part) for part in node.get("allOf") or []]
    return properties, required


_NEEDS_WHOLE_OBJECT = (
    "anyOf",
    "oneOf",
    "not",
    "if",
    "minProperties",
    "dependentRequired",
    "dependentSchemas",
)


def optional_properties_droppable(spec: Spec, schema: Any) -> bool:
    """True when an object valid for ``schema`` stays valid without its optional properties.

    That holds for plain objects (``allOf`` parts included); a top-level choice
    (``oneOf``/``anyOf``), ``minProperties`` or a dependency may need the others.
    """
    stack = [spec.resolve(schema)]
    seen = 0
    while stack and seen < 64:
        seen += 1
        node = stack.pop()
        if not isinstance(node, dict) or any(key in node for key in _NEEDS_WHOLE_OBJECT):
            return False
        stack.extend(spec.resolve(part) for part in node.get("allOf") or [])
    return True
