"""Operations of a spec: one frozen :class:`Operation` per operationId, in spec order."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from functools import cached_property
from typing import TYPE_CHECKING

from .errors import SpecError
from .pointer import escape

if TYPE_CHECKING:
    from .spec import Spec

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


_ACRONYM = re.compile(r"([A-Z]+)([A-Z][a-z])")
_WORD_START = re.compile(r"([a-z\d])([A-Z])")
_UNDERSCORES = re.compile(r"_+")


def snake_case(operation_id: str) -> str:
    """OpenAPI::Client::OpenAI 0.28's alias rule: kebab to snake, ``APIKey`` -> ``api_key``."""
    name = _ACRONYM.sub(r"\1_\2", operation_id.replace("-", "_"))
    return _UNDERSCORES.sub("_", _WORD_START.sub(r"\1_\2", name)).lower()


class Operation:
    """One operation: where it lives in the spec and what it declares, resolved lazily.

    Frozen: its fields cannot be reassigned. Equal (and hashed) by operationId, method
    and path. The details are computed on first use and kept (``cached_property``
    writes to the instance's ``__dict__``, past ``__setattr__``). Written out rather
    than a frozen dataclass: ``dataclasses`` imports ``inspect``, ~8 ms of every start.
    """

    operation_id: str
    method: str  # lower case, as in the spec
    path: str
    spec: Spec
    snake_name: str

    def __init__(self, operation_id: str, method: str, path: str, spec: Spec, snake_name: str = "") -> None:
        field = object.__setattr__
        field(self, "operation_id", operation_id)
        field(self, "method", method)
        field(self, "path", path)
        field(self, "spec", spec)
        field(self, "snake_name", snake_name or snake_case(operation_id))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Operation is frozen: cannot assign to {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"Operation is frozen: cannot delete {name!r}")

    def _key(self) -> tuple[str, str, str]:
        return (self.operation_id, self.method, self.path)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Operation):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"Operation({self.operation_id!r}, {self.method.upper()} {self.path})"

    @property
    def place(self) -> str:
        return f"/paths/{escape(self.path)}/{self.method}"

    @cached_property
    def path_item(self) -> dict:
        return self.spec.resolve(self.spec.data["paths"][self.path], f"/paths/{escape(self.path)}")

    @cached_property
    def definition(self) -> dict:
        return self.path_item[self.method]

    @cached_property
    def parameters(self) -> list[dict]:
        """Declared parameters, ``$ref``s followed, in JSON::Validator's order.

        That order is: document-level, then path-item, then operation parameters,
        with no de-duplication (``_find_all_nodes`` in JSON::Validator's OpenAPIv2).
        """
        found = []
        for owner, place in (
            (self.spec.data, ""),
            (self.path_item, f"/paths/{escape(self.path)}"),
            (self.definition, self.place),
        ):
            params = owner.get("parameters")
            if isinstance(params, list):
                for index, param in enumerate(params):
                    resolved = self.spec.resolve(param, f"{place}/parameters/{index}")
                    if isinstance(resolved, dict):
                        found.append(resolved)
        return found

    @cached_property
    def request_body(self) -> dict | None:
        body = self.definition.get("requestBody")
        if body is None:
            return None
        return self.spec.resolve(body, f"{self.place}/requestBody")

    @property
    def summary(self) -> str:
        return self.definition.get("summary") or ""

    @property
    def description(self) -> str:
        return self.definition.get("description") or ""

    @cached_property
    def param_names(self) -> frozenset:
        """Names a caller may pass: declared parameters, plus ``body`` when there is one."""
        names = {p.get("name") for p in self.parameters}
        if self.request_body is not None:
            names.add("body")
        return frozenset(n for n in names if isinstance(n, str))


def _check_shape(operation: Operation) -> None:
    """What the client reads of an operation must have the shape it expects."""
    source = operation.spec.source
    for owner, place in (
        (operation.path_item, f"/paths/{escape(operation.path)}"),
        (operation.definition, operation.place),
    ):
        params = owner.get("parameters")
        if params is not None and not isinstance(params, list):
            raise SpecError("'parameters' must be a list", source, f"{place}/parameters")
        for index, param in enumerate(params or []):
            param = operation.spec.resolve(param, f"{place}/parameters/{index}")
            if not isinstance(param, dict) or not isinstance(param.get("name"), str) or "in" not in param:
                raise SpecError(
                    "a parameter must be an object with 'name' and 'in'",
                    source,
                    f"{place}/parameters/{index}",
                )
    body = operation.definition.get("requestBody")
    if body is not None:
        body = operation.spec.resolve(body, f"{operation.place}/requestBody")
        if not isinstance(body, dict) or not isinstance(body.get("content", {}), dict):
            raise SpecError(
                "'requestBody' must be an object with a 'content' object",
                source,
                f"{operation.place}/requestBody",
            )


class OperationTable(Mapping[str, Operation]):
    """operationId -> Operation, in spec order, plus the snake_case aliases."""

    def __init__(self, spec: Spec, entries: list | None = None) -> None:
        self._by_id: dict[str, Operation] = {}
        self.aliases: dict[str, str] = {}  # snake_case alias -> operationId
        if entries is not None:  # from the cached index of a spec already checked
            for op_id, method, path, snake_name in entries:
                self._by_id[op_id] = Operation(op_id, method, path, spec, snake_name)
            self.aliases = {op.snake_name: op_id for op_id, op in self._by_id.items()}
            return
        paths = spec.data.get("paths") or {}
        if not isinstance(paths, dict):
            raise SpecError("'paths' must be an object", spec.source, "/paths")
        for path, item in paths.items():
            if not isinstance(path, str) or path.startswith("x-"):
                continue
            item = spec.resolve(item, f"/paths/{escape(str(path))}")
            if not isinstance(item, dict):
                continue
            for method, definition in item.items():
                if method not in HTTP_METHODS or not isinstance(definition, dict):
                    continue
                if "operationId" not in definition:
                    continue
                op_id = definition["operationId"]
                place = f"/paths/{escape(path)}/{method}/operationId"
                if not isinstance(op_id, str) or not op_id:
                    raise SpecError("operationId must be a non-empty string", spec.source, place)
                if op_id in self._by_id:
                    first = self._by_id[op_id]
                    raise SpecError(
                        f"duplicate operationId {op_id!r} (also {first.method.upper()} {first.path})",
                        spec.source,
                        place,
                    )
                operation = self._by_id[op_id] = Operation(op_id, method, path, spec)
                _check_shape(operation)
        for op_id, op in self._by_id.items():
            alias = op.snake_name
            other = self.aliases.get(alias)
            if other is not None:
                raise SpecError(
                    f"operationIds {other!r} and {op_id!r} have the same snake_case form {alias!r}",
                    spec.source,
                    f"{op.place}/operationId",
                )
            self.aliases[alias] = op_id

    def __getitem__(self, operation_id: str) -> Operation:
        return self._by_id[operation_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_id)

    def __len__(self) -> int:
        return len(self._by_id)

    def lookup(self, name: str) -> Operation | None:
        """An operation by its id or by its snake_case alias."""
        op = self._by_id.get(name)
        if op is None and name in self.aliases:
            op = self._by_id[self.aliases[name]]
        return op

    def by_path(self) -> dict[str, list[Operation]]:
        """Operations grouped by path, paths and methods in spec order."""
        grouped: dict[str, list[Operation]] = {}
        for op in self._by_id.values():
            grouped.setdefault(op.path, []).append(op)
        return grouped
