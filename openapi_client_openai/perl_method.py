"""Methods that Perl calls without parentheses, guarded against being used as values.

In Perl ``$tx->res->json`` and ``$headers->content_type`` are calls; a line-by-line
Python port writes ``tx.res.json`` and gets a bound method, which is always true
and never equal to anything: ``if tx.res.json:`` or ``headers.content_type ==
'application/json'`` would silently take the wrong branch. A :func:`perl_method`
still calls like any method, but truth-testing, comparing, printing or indexing
it without the call raises a TypeError that names the right spelling.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Generic, TypeVar, overload

Result = TypeVar("Result")


class perl_method(Generic[Result]):
    """Decorator: a method whose bound form refuses to pass for a value."""

    def __init__(self, function: Callable[..., Result]) -> None:
        self.function = function
        functools.update_wrapper(self, function)  # type: ignore[arg-type]

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, instance: None, owner: type) -> Callable[..., Result]: ...

    @overload
    def __get__(self, instance: object, owner: type) -> BoundPerlMethod[Result]: ...

    def __get__(self, instance: object, owner: type) -> Any:
        if instance is None:
            return self.function
        return BoundPerlMethod(self.function, instance)


class BoundPerlMethod(Generic[Result]):
    """A bound :func:`perl_method`: call it; any other use raises TypeError."""

    __slots__ = ("__func__", "__self__")

    def __init__(self, function: Callable[..., Result], instance: object) -> None:
        self.__func__ = function
        self.__self__ = instance

    def __call__(self, *args: Any, **kwargs: Any) -> Result:
        return self.__func__(self.__self__, *args, **kwargs)

    @property
    def __name__(self) -> str:
        return self.__func__.__name__

    @property
    def __doc__(self) -> str | None:  # type: ignore[override]
        return self.__func__.__doc__

    @property
    def __wrapped__(self) -> Callable[..., Result]:
        return self.__func__.__get__(self.__self__)

    def _misuse(self, what: str) -> TypeError:
        owner = type(self.__self__).__name__
        name = self.__func__.__name__
        return TypeError(
            f"{owner}.{name} is a method, as in Perl; {what} its result: call it, {owner.lower()}.{name}()"
        )

    def __bool__(self) -> bool:
        raise self._misuse("test")

    def __eq__(self, other: object) -> bool:
        if isinstance(other, BoundPerlMethod):
            return self.__func__ is other.__func__ and self.__self__ is other.__self__
        raise self._misuse("compare")

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return hash((self.__func__, id(self.__self__)))

    def __str__(self) -> str:
        raise self._misuse("print")

    def __format__(self, spec: str) -> str:
        raise self._misuse("format")

    def __iter__(self) -> Any:
        raise self._misuse("iterate over")

    def __getitem__(self, key: object) -> Any:
        raise self._misuse("index")

    def __contains__(self, item: object) -> bool:
        raise self._misuse("search")

    def __repr__(self) -> str:
        return f"<bound method {type(self.__self__).__name__}.{self.__func__.__name__}>"
