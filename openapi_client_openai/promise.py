"""Promise: Mojo::Promise on the event loop (``ioloop.py``), also awaitable from asyncio.

As in Mojo, callbacks never run at once: ``then`` callbacks run on a later turn of
the loop, in the thread that drives it (the one in ``wait()`` or ``IOLoop.start()``),
or on the caller's asyncio loop for promises made inside ``async`` code. ``op_p``
resolves with the transaction for every HTTP status and for a local 400, and rejects
with a :class:`TransportError` (equal to Perl's string) only when no response came.

A Perl promise resolves with a list of values; a Python one with one value. The
combinators keep Perl's shapes: ``Promise.all(p1, p2)`` resolves with one list per
promise, ``[[tx1], [tx2]]``, as ``Mojo::Promise->all`` passes ``([$tx1], [$tx2])``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Generator, Iterable
from typing import Any

from . import ioloop
from .errors import ArgumentError, PromiseRejected

__all__ = ["Promise", "PromiseRejected"]

_PENDING, _FULFILLED, _REJECTED = "pending", "resolved", "rejected"
_lock = threading.Lock()  # state changes are short; one lock keeps cross-thread settling safe

Callback = Callable[[Any], Any]


class Promise:
    """A value that will be there later (Mojo::Promise).

    ``Promise(lambda resolve, reject: ...)`` runs the function at once, as
    ``Mojo::Promise->new(sub { my ($resolve, $reject) = @_; ... })`` does.
    """

    __slots__ = ("__weakref__", "_callbacks", "_handled", "_loop", "_state", "_value", "_waited")

    def __init__(
        self,
        executor: Callable[[Callable[[Any], Any], Callable[[Any], Any]], Any] | None = None,
        *,
        loop: ioloop.Loop | None = None,
    ) -> None:
        self._loop = loop if loop is not None else ioloop.current()
        self._state = _PENDING
        self._value: Any = None
        self._callbacks: list[tuple[Callback | None, Callback | None, Promise]] | None = None
        self._handled = False
        self._waited = False
        if executor is not None:
            try:
                executor(self.resolve, self.reject)
            except Exception as exc:  # noqa: BLE001 (Perl: a die in the executor rejects)
                self.reject(exc)

    # -- making promises ------------------------------------------------------------------

    @classmethod
    def resolved(cls, value: Any = None) -> Promise:
        return cls().resolve(value)

    @classmethod
    def rejected(cls, reason: Any) -> Promise:
        return cls().reject(reason)

    @classmethod
    def timer(cls, seconds: float, value: Any = None) -> Promise:
        """Resolves with ``value`` after ``seconds`` (``Mojo::Promise->timer``)."""
        promise = cls()
        promise._loop.call_later(seconds, lambda: promise.resolve(value))
        return promise

    @classmethod
    def timeout(cls, seconds: float, reason: Any = "Promise timeout") -> Promise:
        """Rejects with ``reason`` after ``seconds`` (``Mojo::Promise->timeout``)."""
        promise = cls()
        promise._loop.call_later(seconds, lambda: promise.reject(reason))
        return promise

    def resolve(self, value: Any = None) -> Promise:
        """Settle with ``value``; a promise given as the value is followed instead."""
        if isinstance(value, Promise):
            if value._state is not _PENDING:  # settled: take its outcome now (no chain to follow)
                value._handled = True
                self._settle(value._state, value._value)
            else:
                value.then(self._fulfil_quietly, self._reject_quietly)
        else:
            self._settle(_FULFILLED, value)
        return self

    def _fulfil_quietly(self, value: Any) -> None:
        self.resolve(value)  # returns nothing, so the promise then() made is not a new chain

    def _reject_quietly(self, reason: Any) -> None:
        self._settle(_REJECTED, reason)

    def reject(self, reason: Any = None) -> Promise:
        self._settle(_REJECTED, reason)
        return self

    def _settle(self, state: str, value: Any) -> None:
        with _lock:
            if self._state is not _PENDING:
                return
            self._state, self._value = state, value
            callbacks, self._callbacks = self._callbacks, None
        loop = self._loop
        if callbacks:
            loop.post(lambda: self._run(callbacks))
        elif self._waited:
            loop.wake()

    # -- using promises -------------------------------------------------------------------

    def then(self, on_fulfilled: Callback | None = None, on_rejected: Callback | None = None) -> Promise:
        """A new promise with the callback's result; a callback returning a Promise is followed.

        The callback runs later, never during this call, even if this promise has
        settled already (Mojo defers it to the next tick).
        """
        nxt = Promise(loop=self._loop)
        entry = (on_fulfilled, on_rejected, nxt)
        with _lock:
            self._handled = True
            if self._state is _PENDING:
                if self._callbacks is None:
                    self._callbacks = [entry]
                else:
                    self._callbacks.append(entry)
                return nxt
        self._loop.post(lambda: self._run([entry]))
        return nxt

    def catch(self, on_rejected: Callback) -> Promise:
        return self.then(None, on_rejected)

    def finally_(self, fn: Callable[[], Any]) -> Promise:
        """Run ``fn`` either way; the outcome passes through unchanged (Mojo's ``finally``).

        If ``fn`` returns a promise, it is waited for first; if ``fn`` raises, the
        next promise rejects with that.
        """

        def passthrough(state: str) -> Callback:
            def after(value: Any) -> Any:
                done = Promise(loop=self._loop).resolve(fn())
                return done.then(lambda _: Promise(loop=self._loop)._settled(state, value))

            return after

        return self.then(passthrough(_FULFILLED), passthrough(_REJECTED))

    def _settled(self, state: str, value: Any) -> Promise:
        self._settle(state, value)
        return self

    def _run(self, entries: list[tuple[Callback | None, Callback | None, Promise]]) -> None:
        state, value = self._state, self._value
        for on_fulfilled, on_rejected, nxt in entries:
            handler = on_fulfilled if state is _FULFILLED else on_rejected
            if handler is None:
                nxt._settle(state, value)
                continue
            try:
                result = handler(value)
            except Exception as exc:  # noqa: BLE001 (Perl: a die in a callback rejects the next)
                nxt.reject(exc)
            else:
                nxt.resolve(result)

    def wait(self, timeout: float | None = None) -> Any:
        """Run the loop until settled: the value, or the rejection raised.

        A rejection with an exception (a :class:`TransportError`, or what a callback
        raised) raises that exception; any other reason raises :class:`PromiseRejected`.
        ``TimeoutError`` after ``timeout`` seconds. Mojo's ``wait`` returns nothing.
        """
        if self._state is _PENDING:
            self._waited = True
            self._loop.run_until(self._is_settled, timeout)
        return self._outcome()

    def _is_settled(self) -> bool:
        return self._state is not _PENDING

    def _outcome(self) -> Any:
        self._handled = True
        if self._state is _FULFILLED:
            return self._value
        reason = self._value
        if isinstance(reason, BaseException):
            raise reason
        raise PromiseRejected(reason)

    @property
    def is_settled(self) -> bool:
        return self._state is not _PENDING

    @property
    def state(self) -> str:
        """``'pending'``, ``'resolved'`` or ``'rejected'``."""
        return self._state

    def __await__(self) -> Generator[Any, None, Any]:
        if self._state is _PENDING:
            import asyncio

            aio = asyncio.get_running_loop()
            if self._loop.owned:
                raise ioloop.LoopError(
                    "this promise was made outside asyncio, so its requests run when a thread "
                    "waits on it: call .wait(), or make the call inside your async code"
                )
            # One future per awaiter: cancelling it (asyncio.wait_for timing out) leaves
            # this promise, and its other consumers, untouched.
            future = aio.create_future()

            def wake(_: Any) -> None:
                if not future.done():
                    future.set_result(None)

            self.then(wake, wake)
            yield from future.__await__()
        return self._outcome()

    def __repr__(self) -> str:
        if self._state is _PENDING:
            return "<Promise pending>"
        if self._state is _REJECTED:
            return f"<Promise rejected {self._value!r}>"
        return "<Promise resolved>"

    # -- combining --------------------------------------------------------------------------

    @classmethod
    def all(cls, *promises: Promise | Iterable[Promise]) -> Promise:
        """Resolves with one list per promise, in order (``[[v1], [v2]]``); rejects with the first rejection.

        Takes ``Promise.all(p1, p2)`` (Perl's ``->all(@p)``) or one iterable.
        """
        items = _promises(promises)
        combined = cls(loop=_loop_of(items))
        tally = _Tally(len(items), combined._fulfil_quietly)
        for index, promise in enumerate(items):
            promise.then(tally.slot(index, _listed), combined._reject_quietly)
        return combined

    @classmethod
    def all_settled(cls, *promises: Promise | Iterable[Promise]) -> Promise:
        """Resolves when every promise has settled, with ``{'status': 'fulfilled', 'value': [v]}``
        or ``{'status': 'rejected', 'reason': [r]}`` per promise, as Mojo's ``all_settled``."""
        items = _promises(promises)
        combined = cls(loop=_loop_of(items))
        tally = _Tally(len(items), combined._fulfil_quietly)
        for index, promise in enumerate(items):
            promise.then(tally.slot(index, _fulfilled), tally.slot(index, _rejected))
        return combined

    @classmethod
    def any(cls, *promises: Promise | Iterable[Promise]) -> Promise:
        """Resolves like the first promise to fulfil; rejects with one list per reason when all reject."""
        items = _promises(promises)
        combined = cls(loop=_loop_of(items))
        tally = _Tally(len(items), combined._reject_quietly)
        for index, promise in enumerate(items):
            promise.then(combined._fulfil_quietly, tally.slot(index, _listed))
        return combined

    @classmethod
    def race(cls, *promises: Promise | Iterable[Promise]) -> Promise:
        """Settles like the first promise to settle."""
        items = _promises(promises)
        combined = cls(loop=_loop_of(items))
        for promise in items:
            promise.then(combined._fulfil_quietly, combined._reject_quietly)
        return combined

    @classmethod
    def map(
        cls, fn: Callable[[Any], Promise], items: Iterable[Any], concurrency: int | None = None
    ) -> Promise:
        """``Mojo::Promise->map({concurrency => n}, sub {...}, @items)``: ``fn`` per item, at most
        ``concurrency`` at a time; resolves like :meth:`all` (one list per item, in order)."""
        pending = list(items)
        if not concurrency or len(pending) <= concurrency:
            return cls.all([fn(item) for item in pending])
        slots = [cls() for _ in pending]
        position = [0]

        def start_next(_: Any = None) -> None:
            index = position[0]
            if index >= len(pending):
                return
            position[0] += 1
            started = fn(pending[index])
            started.then(slots[index]._fulfil_quietly, slots[index]._reject_quietly)
            started.then(start_next, lambda _: None)

        for _ in range(concurrency):
            start_next()
        return cls.all(slots)


class _Tally:
    """One slot per promise, in order; ``done(slots)`` once every slot is filled (Mojo's ``_all``)."""

    __slots__ = ("done", "left", "slots")

    def __init__(self, count: int, done: Callable[[list[Any]], None]) -> None:
        self.slots: list[Any] = [None] * count
        self.left = count
        self.done = done
        if not count:
            done([])

    def slot(self, index: int, shape: Callable[[Any], Any]) -> Callback:
        def fill(value: Any) -> None:
            self.slots[index] = shape(value)
            self.left -= 1
            if self.left == 0:
                self.done(self.slots)

        return fill


def _listed(value: Any) -> list[Any]:
    return [value]  # Perl's @_ of one promise


def _fulfilled(value: Any) -> dict[str, Any]:
    return {"status": "fulfilled", "value": [value]}


def _rejected(reason: Any) -> dict[str, Any]:
    return {"status": "rejected", "reason": [reason]}


def _promises(args: tuple) -> list[Promise]:
    if len(args) == 1 and not isinstance(args[0], Promise):
        items = list(args[0])
    else:
        items = list(args)
    for item in items:
        if not isinstance(item, Promise):
            raise ArgumentError(f"expected promises, got {type(item).__name__}")
    return items


def _loop_of(items: list[Promise]) -> ioloop.Loop:
    return items[0]._loop if items else ioloop.current()
