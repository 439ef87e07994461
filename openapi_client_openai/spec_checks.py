"""Structural checks of a freshly parsed spec: what would fail a call fails at load.

Each check names the file and the JSON pointer of the place. Run once per spec
content: a spec read back from the cache was checked when it was written.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from .errors import SpecError
from .pointer import escape
from .spec_refs import TARGET, follow

if TYPE_CHECKING:
    from .spec import Spec


def check_document(spec: Spec) -> None:
    """Every ``$ref`` resolves (JSON::Validator resolves them all, so does this), every
    schema keyword we compile is usable, every operation is well formed; else a
    SpecError naming the place."""
    name = spec.source
    for place, node, is_data in _nodes(spec.data, name):
        if isinstance(node.get("$ref"), str):
            # The chain's end only: resolving is the check. Chains are memoised, so a
            # long one is walked once however many refer into it.
            follow(spec, node, TARGET, f"{place}/$ref")
        if not is_data:
            _check_keywords(node, name, place)
    _ = spec.operations  # duplicate and colliding operationIds are spec errors too


def _check_keywords(node: dict, name: str, place: str) -> None:
    # Keywords the validator compiles: refuse here, with the place, what would fail a call.
    pattern = node.get("pattern")
    if isinstance(pattern, str):
        _compiles(pattern, name, f"{place}/pattern")
    patterns = node.get("patternProperties")
    if isinstance(patterns, dict):
        for key in patterns:
            _compiles(str(key), name, f"{place}/patternProperties")
    divisor = node.get("multipleOf")
    if divisor is not None and not isinstance(divisor, (dict, list)):
        if isinstance(divisor, bool) or not isinstance(divisor, (int, float)) or divisor <= 0:
            if divisor not in (0, "", "0", False):  # Perl skips a false multipleOf
                raise SpecError(
                    f"multipleOf must be a number above 0, got {divisor!r}", name, f"{place}/multipleOf"
                )


def _compiles(pattern: str, name: str, place: str) -> None:
    try:
        re.compile(pattern)
    except (re.error, RecursionError, OverflowError) as exc:
        raise SpecError(
            f"pattern {pattern!r} is not a regular expression we can use: {exc}", name, place
        ) from None


_DATA_KEYS = frozenset({"example", "examples", "default", "enum", "const"})


def _nodes(root: Any, name: str) -> Iterator[tuple[str, dict, bool]]:
    """Every object of the document with its JSON pointer, each visited once, and
    whether it is data (under an example, default, enum, const or an ``x-`` key).

    Iterative, so depth is no limit; YAML aliases may share nodes (visited once: an
    alias bomb stays small) but not contain themselves (a SpecError).
    """
    done: set[int] = set()
    open_nodes: set[int] = set()
    stack: list[tuple[str, Any, bool, bool]] = [("", root, False, False)]
    while stack:
        place, node, leaving, is_data = stack.pop()
        key = id(node)
        if leaving:
            open_nodes.discard(key)
            done.add(key)
            continue
        if key in open_nodes:
            raise SpecError("a YAML alias makes the document contain itself", name, place or "/")
        if key in done:
            continue
        open_nodes.add(key)
        stack.append((place, node, True, is_data))
        if isinstance(node, dict):
            yield place, node, is_data
            children: Any = node.items()
        else:
            children = enumerate(node)
        for child_key, value in children:
            if isinstance(value, (dict, list)):
                token = escape(child_key)
                data = is_data or (
                    isinstance(child_key, str) and (child_key in _DATA_KEYS or child_key.startswith("x-"))
                )
                stack.append((f"{place}/{token}", value, False, data))
