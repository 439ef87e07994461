"""EventEmitter: Mojo::EventEmitter's ``on``/``once``/``unsubscribe``/``emit`` for the client."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


class EventEmitter:
    """Subscribers are called in subscription order with (emitter, *args), as in Perl."""

    def __init__(self) -> None:
        self._subscribers: dict[str, list[Callable]] = {}
        self._events_lock = threading.Lock()

    def on(self, name: str, callback: Callable) -> Callable:
        with self._events_lock:
            self._subscribers.setdefault(name, []).append(callback)
        return callback

    def once(self, name: str, callback: Callable) -> Callable:
        def wrapper(*args: Any) -> Any:
            self.unsubscribe(name, wrapper)
            return callback(*args)

        return self.on(name, wrapper)

    def unsubscribe(self, name: str, callback: Callable | None = None) -> EventEmitter:
        with self._events_lock:
            if callback is None:
                self._subscribers.pop(name, None)
            elif callback in self._subscribers.get(name, []):
                self._subscribers[name].remove(callback)
        return self

    def has_subscribers(self, name: str) -> bool:
        return bool(self._subscribers.get(name))

    def subscribers(self, name: str) -> list[Callable]:
        return list(self._subscribers.get(name, []))

    def emit(self, name: str, *args: Any) -> EventEmitter:
        for callback in self.subscribers(name):
            callback(self, *args)
        return self
