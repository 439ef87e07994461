"""Promise: Mojo::Promise's ``then``/``catch``/``finally``/``wait``/``all``/``race``, awaitable.

Calls run on a small shared thread pool (``concurrent.futures``); a promise settles
when its future does. As in Perl, ``op_p`` resolves with the transaction for every
HTTP status and for a local 400, and rejects (with a string) only when no response
came. ``wait`` returns the value or raises :class:`PromiseRejected`.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Generator, Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # concurrent.futures is imported with the first promise, not at start-up
    from concurrent.futures import Future, ThreadPoolExecutor

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def executor() -> ThreadPoolExecutor:
    """The pool that runs non-blocking calls, created on first use."""
    global _pool
    if _pool is None:
        with _pool_lock:
            if _pool is None:
                from concurrent.futures import ThreadPoolExecutor

                workers = int(os.environ.get("OPENAPI_CLIENT_WORKERS") or 16)
                _pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="openapi-client")
    return _pool


class PromiseRejected(Exception):
    """Raised by ``wait`` and ``await`` for a rejected promise; ``reason`` is what it held."""

    def __init__(self, reason: Any) -> None:
        self.reason = reason
        super().__init__(reason)


class Promise:
    """A value that will be there later (Mojo::Promise)."""

    __slots__ = ("_future",)

    def __init__(self, future: Future | None = None) -> None:
        if future is None:
            from concurrent.futures import Future

            future = Future()
        self._future: Future = future

    # -- making promises ----------------------------------------------------------------

    @classmethod
    def run(cls, fn: Callable[[], Any]) -> Promise:
        """Run ``fn`` on the pool; its return value resolves, its exception rejects."""
        promise = cls()

        def work() -> None:
            try:
                promise.resolve(fn())
            except BaseException as exc:  # noqa: BLE001 (a promise carries any failure)
                promise.reject(exc)

        executor().submit(work)
        return promise

    @classmethod
    def resolved(cls, value: Any = None) -> Promise:
        return cls().resolve(value)

    @classmethod
    def rejected(cls, reason: Any) -> Promise:
        return cls().reject(reason)

    def resolve(self, value: Any = None) -> Promise:
        if isinstance(value, Promise):
            value._future.add_done_callback(lambda f: _copy(f, self._future))
        elif not self._future.done():
            self._future.set_result(value)
        return self

    def reject(self, reason: Any) -> Promise:
        if not self._future.done():
            self._future.set_exception(
                reason if isinstance(reason, BaseException) else PromiseRejected(reason)
            )
        return self

    # -- using promises -----------------------------------------------------------------

    def then(self, on_fulfilled: Callable | None = None, on_rejected: Callable | None = None) -> Promise:
        """A new promise with the callback's result; a callback returning a Promise is followed."""
        nxt = Promise()

        def settle(done: Future) -> None:
            error = done.exception()
            handler = on_rejected if error is not None else on_fulfilled
            if handler is None:
                _copy(done, nxt._future)
                return
            try:
                nxt.resolve(handler(_reason(error) if error is not None else done.result()))
            except BaseException as exc:  # noqa: BLE001
                nxt.reject(exc)

        self._future.add_done_callback(settle)
        return nxt

    def catch(self, on_rejected: Callable) -> Promise:
        return self.then(None, on_rejected)

    def finally_(self, fn: Callable[[], Any]) -> Promise:
        """Run ``fn`` either way; the outcome passes through unchanged (Mojo's ``finally``)."""
        nxt = Promise()

        def settle(done: Future) -> None:
            try:
                fn()
            except BaseException as exc:  # noqa: BLE001
                nxt.reject(exc)
                return
            _copy(done, nxt._future)

        self._future.add_done_callback(settle)
        return nxt

    def wait(self, timeout: float | None = None) -> Any:
        """Block until settled: the value, or PromiseRejected (or the callback's exception)."""
        return self._future.result(timeout)

    @property
    def is_settled(self) -> bool:
        return self._future.done()

    def __await__(self) -> Generator[Any, None, Any]:
        import asyncio  # only for callers already in asyncio: no import cost for the rest

        return asyncio.wrap_future(self._future).__await__()

    def __repr__(self) -> str:
        if not self._future.done():
            return "<Promise pending>"
        error = self._future.exception()
        return f"<Promise rejected {_reason(error)!r}>" if error else "<Promise resolved>"

    # -- combining ------------------------------------------------------------------------

    @classmethod
    def all(cls, promises: Iterable[Promise]) -> Promise:
        """Resolves with every value, in order; rejects with the first rejection."""
        promises = list(promises)
        combined = cls()
        if not promises:
            return combined.resolve([])
        values: list[Any] = [None] * len(promises)
        remaining = [len(promises)]
        lock = threading.Lock()

        def track(index: int, done: Future) -> None:
            error = done.exception()
            if error is not None:
                _copy(done, combined._future)
                return
            with lock:
                values[index] = done.result()
                remaining[0] -= 1
                finished = remaining[0] == 0
            if finished:
                combined.resolve(values)

        for index, promise in enumerate(promises):
            promise._future.add_done_callback(lambda f, i=index: track(i, f))
        return combined

    @classmethod
    def race(cls, promises: Iterable[Promise]) -> Promise:
        """Settles like the first promise to settle."""
        combined = cls()
        for promise in promises:
            promise._future.add_done_callback(lambda f: _copy(f, combined._future))
        return combined


def _reason(error: BaseException) -> Any:
    return error.reason if isinstance(error, PromiseRejected) else error


def _invalid_state() -> type[Exception]:
    from concurrent.futures import InvalidStateError

    return InvalidStateError


def _copy(source: Future, target: Future) -> None:
    if target.done():
        return
    error = source.exception()
    try:
        if error is not None:
            target.set_exception(error)
        else:
            target.set_result(source.result())
    except _invalid_state():  # another callback settled it first
        pass
