"""IOLoop: where non-blocking calls run, in Mojo::IOLoop's role, on asyncio.

Mojo has one event loop per process, and it runs only while the program waits
(``$promise->wait``, ``Mojo::IOLoop->start``): requests progress and callbacks run
then, in the program's own flow. Here each thread has its own loop, run the same
way: while that thread waits on a promise or sits in ``IOLoop.start()``. Promise
callbacks and the callback form run in that thread, *outside* asyncio's own run, so
a callback may itself wait on another promise without deadlocking.

Inside a running asyncio loop (``async def`` code), calls run on that loop instead
and their callbacks are scheduled on it: ``await`` the promises there.

After ``os.fork()`` a child never touches its parent's loop (Mojo resets its user
agent when the pid changes): the parent's loop is left untouched, referenced so
nothing closes what the parent still uses, and the child starts a new one.
"""

from __future__ import annotations

import collections
import os
import sys
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .errors import LoopError, PromiseTimeout

__all__ = ["IOLoop", "Loop", "LoopError", "current", "generation"]

if TYPE_CHECKING:  # asyncio is imported with the first loop: a blocking program never pays for it
    import asyncio


def _get_running_loop() -> Any:
    """The asyncio loop running in this thread, if any (none can be while asyncio is not imported)."""
    events = sys.modules.get("asyncio.events")
    return None if events is None else events._get_running_loop()


_generation = 0  # bumped in a forked child; a loop from an older generation is the parent's
_graveyard: list[object] = []  # a child's inherited loops and sockets: never used, never closed
_local = threading.local()
_TAG = "_openapi_client_openai_loop"  # our Loop, kept on its asyncio loop (no global map to leak)


def _after_fork_in_child() -> None:
    global _generation
    _generation += 1


os.register_at_fork(after_in_child=_after_fork_in_child)


def generation() -> int:
    """Which process this is, for objects that must not cross a fork (connections)."""
    return _generation


def _tag(aio: asyncio.AbstractEventLoop, loop: Loop) -> None:
    try:
        setattr(aio, _TAG, loop)
    except AttributeError:  # a loop type without attributes (uvloop): wrapped anew each time
        pass


class Loop:
    """One thread's event loop: an asyncio loop plus the callbacks waiting to run.

    ``owned`` loops are ours and run only while a thread drives them (``run_until``);
    a caller's running asyncio loop is wrapped unowned: its owner drives it.
    """

    def __init__(self, aio: asyncio.AbstractEventLoop | None = None) -> None:
        self.owned = aio is None
        self._aio = aio
        self._ready: collections.deque[Callable[[], Any]] = collections.deque()
        self._driver = threading.RLock()
        self._driving_thread: int | None = None
        self._sleeping = False
        self._depth = 0
        self._stop_requested = False
        self._pending = 0  # transactions and timers in flight
        self._pending_lock = threading.Lock()
        self._cross_waiters = 0
        self._changed = threading.Condition(threading.Lock())
        self._tasks: set[asyncio.Task] = set()
        self.generation = _generation
        if aio is not None:
            _tag(aio, self)

    @property
    def aio(self) -> asyncio.AbstractEventLoop:
        """The asyncio loop, made on first need (a loop that only runs callbacks needs none)."""
        if self._aio is None:
            import asyncio

            self._aio = asyncio.new_event_loop()
            _tag(self._aio, self)
        return self._aio

    # -- work in flight ----------------------------------------------------------------

    def hold(self) -> None:
        """A transaction or timer started: ``IOLoop.start()`` keeps running until it is done."""
        with self._pending_lock:
            self._pending += 1

    def release(self) -> None:
        with self._pending_lock:
            self._pending -= 1
        self.wake()

    @property
    def idle(self) -> bool:
        return not self._ready and self._pending <= 0

    # -- callbacks -----------------------------------------------------------------------

    def post(self, fn: Callable[[], Any]) -> None:
        """Run ``fn`` on this loop's thread, after the current callback (never right now)."""
        if not self.owned:
            aio = self.aio
            if _get_running_loop() is aio:
                aio.call_soon(fn)
            else:
                aio.call_soon_threadsafe(fn)
            return
        self._ready.append(fn)
        self.wake()

    def wake(self) -> None:
        """Bring the driving thread back from asyncio to run callbacks and re-check its wait."""
        if self._sleeping:
            aio = self._aio
            if aio is not None:
                if threading.get_ident() == self._driving_thread:
                    aio.stop()
                else:
                    aio.call_soon_threadsafe(aio.stop)
        if self._cross_waiters:
            with self._changed:
                self._changed.notify_all()

    def call_later(self, delay: float, fn: Callable[[], Any]) -> Any:
        """Run ``fn`` (as a callback) after ``delay`` seconds; returns a handle with ``cancel()``."""
        if not self.owned:
            return self.aio.call_later(max(delay, 0), fn)
        self.hold()

        def fire() -> None:
            self.release()
            self.post(fn)

        return _Timer(self, self.aio.call_later(max(delay, 0), fire))

    def call(self, fn: Callable[[], Any]) -> None:
        """Run ``fn`` as code of this asyncio loop: now, from the loop's own thread (a request
        on a kept-alive connection is written at once), else on the loop's next turn."""
        aio = self.aio
        if (self.owned and self._driving_thread not in (None, threading.get_ident())) or (
            not self.owned and _get_running_loop() is not aio
        ):
            aio.call_soon_threadsafe(fn)
        else:
            fn()

    def spawn(self, coroutine: Any) -> None:
        """Start ``coroutine`` as a task on this loop; it runs while the loop is driven."""
        aio = self.aio
        here = threading.get_ident()
        if (self.owned and self._driving_thread not in (None, here)) or (
            not self.owned and _get_running_loop() is not aio
        ):
            aio.call_soon_threadsafe(self._create_task, coroutine)
        else:
            self._create_task(coroutine)

    def _create_task(self, coroutine: Any) -> None:
        task = self.aio.create_task(coroutine)
        self._tasks.add(task)  # asyncio keeps only a weak reference to running tasks
        task.add_done_callback(self._tasks.discard)

    # -- running ---------------------------------------------------------------------------

    @property
    def is_running(self) -> bool:
        if not self.owned:
            return self.aio.is_running()
        return self._depth > 0

    def run_until(self, done: Callable[[], bool], timeout: float | None = None) -> None:
        """Drive the loop until ``done()``; TimeoutError after ``timeout`` seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        if not self.owned:
            if _get_running_loop() is self._aio:
                raise LoopError("wait() inside a running asyncio loop would block that loop: use await")
            self._wait_for_other_thread(done, deadline)
            return
        if self._sleeping and self._driving_thread == threading.get_ident():
            raise LoopError(
                "wait() from code that runs inside the event loop (a 'read' event handler?) "
                "cannot block it; chain with then() instead"
            )
        while not done():
            if self._driver.acquire(blocking=False):
                try:
                    self._drive(done, deadline)
                finally:
                    self._driver.release()
                return
            self._wait_for_other_thread(done, deadline, until_free=True)

    def _wait_for_other_thread(
        self, done: Callable[[], bool], deadline: float | None, until_free: bool = False
    ) -> None:
        """Another thread drives this loop: wait for it to settle our promise (or let go)."""
        with self._changed:
            self._cross_waiters += 1
            try:
                while not done():
                    if until_free and self._depth == 0:
                        return
                    remaining = None if deadline is None else deadline - time.monotonic()
                    if remaining is not None and remaining <= 0:
                        raise PromiseTimeout("the promise did not settle in time")
                    self._changed.wait(0.05 if remaining is None else min(remaining, 0.05))
            finally:
                self._cross_waiters -= 1

    def _drive(self, done: Callable[[], bool], deadline: float | None) -> None:
        previous = self._driving_thread
        self._driving_thread = threading.get_ident()
        self._depth += 1
        try:
            ready = self._ready
            while not done():
                if ready:
                    ready.popleft()()  # a callback, outside asyncio: it may wait() itself
                    continue
                if deadline is not None and time.monotonic() >= deadline:
                    raise PromiseTimeout("the promise did not settle in time")
                self._sleep(done, deadline)
        finally:
            self._depth -= 1
            self._driving_thread = previous

    def _sleep(self, done: Callable[[], bool], deadline: float | None) -> None:
        """Let asyncio do I/O until something posts a callback or settles (or the deadline)."""
        aio = self.aio
        timer = None
        if deadline is not None:
            timer = aio.call_later(max(deadline - time.monotonic(), 0), aio.stop)
        self._sleeping = True  # set before the last look, so a post() from now on wakes us
        try:
            if self._ready or done():
                return
            aio.run_forever()
        finally:
            self._sleeping = False
            if timer is not None:
                timer.cancel()
        if self._cross_waiters:
            with self._changed:
                self._changed.notify_all()

    def start(self) -> None:
        """``Mojo::IOLoop->start``: run until ``stop()``, or until nothing is left to do."""
        if self.is_running:
            raise LoopError("Mojo::IOLoop already running")
        self._stop_requested = False
        self.run_until(lambda: self._stop_requested or self.idle)
        self._stop_requested = False

    def stop(self) -> None:
        self._stop_requested = True
        self.wake()


class _Timer:
    """A timer on an owned loop: cancelling it also lets the loop go idle."""

    __slots__ = ("_handle", "_loop")

    def __init__(self, loop: Loop, handle: asyncio.TimerHandle) -> None:
        self._loop = loop
        self._handle = handle

    def cancel(self) -> None:
        if not self._handle.cancelled():
            self._handle.cancel()
            self._loop.release()


def current() -> Loop:
    """The loop for calls made here: the running asyncio loop, else this thread's own."""
    running = _get_running_loop()
    if running is not None:
        loop = getattr(running, _TAG, None)
        if loop is None:
            loop = Loop(running)
        return loop
    loop = getattr(_local, "loop", None)
    if loop is None or loop.generation != _generation:
        if loop is not None:
            _graveyard.append(loop)  # the parent's: left as it is
        loop = _local.loop = Loop()
    return loop


def _guarded(callback: Callable[..., Any], loop: Loop) -> None:
    """A user's timer or tick: an exception is reported and the loop goes on, as in Mojo."""
    try:
        callback(loop)
    except Exception:
        import logging

        logging.getLogger("openapi_client_openai").exception("IOLoop callback raised")


class IOLoop:
    """Mojo::IOLoop's class methods, for ported code: ``IOLoop.start()`` after callback-form calls.

    ``Mojo::IOLoop->start unless Mojo::IOLoop->is_running;`` becomes
    ``if not IOLoop.is_running(): IOLoop.start()``; it returns when a callback calls
    ``IOLoop.stop()``, or when nothing is left in flight.
    """

    @staticmethod
    def singleton() -> Loop:
        return current()

    @staticmethod
    def start() -> None:
        current().start()

    @staticmethod
    def stop() -> None:
        current().stop()

    @staticmethod
    def is_running() -> bool:
        return current().is_running

    @staticmethod
    def timer(seconds: float, callback: Callable[..., Any]) -> Any:
        """Call ``callback(loop)`` after ``seconds``; returns a handle with ``cancel()``."""
        loop = current()
        return loop.call_later(seconds, lambda: _guarded(callback, loop))

    @staticmethod
    def next_tick(callback: Callable[..., Any]) -> None:
        loop = current()
        loop.post(lambda: _guarded(callback, loop))

    @staticmethod
    def one_tick() -> None:
        """Run what is ready now, and poll for I/O once."""
        loop = current()
        ticked = [False]

        def tick() -> None:
            ticked[0] = True

        loop.post(tick)
        loop.run_until(lambda: ticked[0])
