"""Following ``$ref``: the one follower, with JSON::Validator's two merge rules.

JSON::Validator 5.14 follows a local ``$ref`` in two places and merges the
referring object's other keys ("siblings") with the target differently in each:

* :data:`READ` is ``JSON::Validator::Schema::get`` (``_get``'s ``follow_ref``),
  which reads the document: paths, parameters, request bodies, responses, and
  every ``get('/pointer')``. The referrer's keys win; ``$ref`` becomes the
  target's own ``$ref`` (and the chain goes on) or goes.
* :data:`VALIDATE` is Draft 2019-09's ``_state``, which picks the schema a value
  is validated against. The target's keys win; the referrers' ``$ref``,
  ``$recursiveRef``, ``$id``, ``$anchor`` and ``$recursiveAnchor`` are dropped.

:data:`TARGET` (the node the chain ends at, siblings ignored) is not a rule of
JSON::Validator's; the few callers that want it say why where they use it.

A referrer with no siblings gives its target itself under every rule, not a
copy: callers that memoise by identity keep working.
"""

from __future__ import annotations

import urllib.parse
from typing import TYPE_CHECKING, Any

from .errors import SpecError
from .pointer import unescape

if TYPE_CHECKING:
    from .spec import Spec

READ = "read"
VALIDATE = "validate"
TARGET = "target"

_VALIDATE_DROPS = ("$anchor", "$id", "$recursiveAnchor", "$recursiveRef", "$ref")


def ref_of(node: Any, rule: str = READ) -> str | None:
    """The reference a node makes under ``rule``, or None.

    ``_state`` takes ``$ref || $recursiveRef`` (Perl truth); ``get`` looks at both
    keys too; a plain read follows ``$ref`` alone.
    """
    if not isinstance(node, dict):
        return None
    ref = node.get("$ref")
    if rule != TARGET and not ref:
        ref = node.get("$recursiveRef")
    return ref if isinstance(ref, str) and ref else None


def target(spec: Spec, ref: str, place: str = "") -> Any:
    """The node a local ``#/...`` reference points at (its fragment URL-decoded, as Mojo::URL does)."""
    if not ref.startswith("#"):
        raise SpecError(f"only local $ref are supported, got {ref!r}", spec.source, place)
    pointer = ref[1:]
    node: Any = spec.data
    if not pointer:
        return node
    if not pointer.startswith("/"):
        raise SpecError(f"bad JSON pointer {pointer!r}", spec.source, place)
    for token in pointer[1:].split("/"):
        token = unescape(urllib.parse.unquote(token))
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            raise SpecError(f"$ref {ref!r} does not resolve", spec.source, place)
    return node


def step(spec: Spec, node: Any, rule: str = READ, place: str = "") -> Any:
    """One link of a ``$ref`` chain, merged by ``rule``; a node without ``$ref`` is returned as is."""
    ref = ref_of(node, rule)
    if ref is None:
        return node
    found = target(spec, ref, place)
    if rule == TARGET or not isinstance(found, dict) or len(node) == 1:
        return found
    if rule == READ:
        merged = {**found, **node}
        for key in ("$ref", "$recursiveRef"):
            if key in found:
                merged[key] = found[key]
            else:
                merged.pop(key, None)
        return merged
    alongside = {key: value for key, value in node.items() if key not in _VALIDATE_DROPS}
    return {**alongside, **found} if alongside else found


def follow(spec: Spec, node: Any, rule: str = READ, place: str = "") -> Any:
    """Follow a chain of ``$ref``s to its end, merged by ``rule``; a cycle is a SpecError."""
    if ref_of(node, rule) is None:
        return node
    ends = spec.ref_ends if rule == TARGET else None
    chain: dict[str, None] = {}  # in order, and a linear walk however long the chain
    while True:
        ref = ref_of(node, rule)
        if ref is None:
            break
        if ref in chain:
            raise SpecError(f"$ref cycle: {' -> '.join([*chain, ref])}", spec.source, place)
        if ends is not None and ref in ends:
            node = ends[ref]
            break
        chain[ref] = None
        node = step(spec, node, rule, place)
    if ends is not None:
        for link in chain:  # a long chain is walked once, however many refer into it
            ends[link] = node
    return node


def get(spec: Spec, pointer: str) -> Any:
    """JSON::Validator's ``$schema->get('/a/b')``: walk a pointer, following ``$ref``s (:data:`READ`).

    None where the pointer leads nowhere, as Perl's undef; as in ``_get``, a
    ``$ref`` is not followed when the next token reads the ``$ref`` itself.
    """
    if not pointer.startswith("/"):
        return None if pointer else follow(spec, spec.data, READ)
    tokens = [unescape(token) for token in pointer[1:].split("/")]
    node = spec.data
    for index, token in enumerate(tokens):
        if token != "$ref":
            node = follow(spec, node, READ)
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return None
        if index + 1 == len(tokens):
            return follow(spec, node, READ)
    return node
