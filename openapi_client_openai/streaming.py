"""Server-sent events: the content's ``sse`` event (Mojo's way) and ``client.stream`` (Python's).

Mojolicious (9.31, what Debian ships) hands a body over as it arrives through the
``read`` event of the response's content; ``unsubscribe('read')`` removes the
subscriber that stores it, so nothing is buffered. Both work here as in Perl
(``message.Content``; the transport emits ``read`` per piece on every path).

Mojolicious 9.41 adds an ``sse`` event: once with no event when an event-stream
body starts, then once per event, a hash ``{type, text, id}`` (its docs say
``data``; its code and tests say ``text``). ``tx.res.content.on('sse', fn)`` does
the same here, with an :class:`Event` that answers to ``type``, ``data``/``text``,
``id`` and ``json()``, and to ``event['text']`` as Perl code reads it. Events are
read by Mojo::SSE's ``parse_event`` rules (written out in :class:`SSEParser`).
One difference, on purpose: Mojo 9.41 parses only a body whose Content-Type is
exactly ``text/event-stream`` and that is not chunked, so never OpenAI's
(``text/event-stream; charset=utf-8``, chunked); here any event-stream body is
parsed, whatever its framing.

``client.stream(op, ...)`` is the Python way: a :class:`Stream` to iterate with
``for`` (blocking) or ``async for`` (on the running asyncio loop), one
:class:`Event` per server-sent event, ending at ``[DONE]`` (not yielded) or at
the end of the body, closing the connection when the loop is left early. It
raises nothing new: ``stream.tx`` is the call's transaction, as any call gives it
(the local 400 of invalid input, nothing sent; a 4xx/5xx answer, its body kept;
a transport failure in ``tx.error``).
"""

from __future__ import annotations

import asyncio
import collections
import json
import os
import re
import weakref
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .client import Client
    from .message import Content
    from .transaction import Transaction

__all__ = ["DONE", "Event", "SSEFeed", "SSEParser", "Stream", "is_event_stream"]

DONE = "[DONE]"  # the data of the last event of OpenAI's streams; ends the loop
BUFFER_LIMIT_MESSAGE = "Maximum buffer size exceeded"

# Mojo::SSE's line and event terminators: CRLF, a LF not after CR, a CR not before LF.
_TERMINATOR = rb"(?:\r\n|(?<!\r)\n|\r(?!\n))"
_BLOCK_END = re.compile(_TERMINATOR + _TERMINATOR)
_LINE_END = re.compile(r"\r\n|(?<!\r)\n|\r(?!\n)")
_COMMENT = re.compile(r"\s*:")
_EVENT_LINE = re.compile(r"event(?::\s*(\S.*))?")
_DATA_LINE = re.compile(r"data(?::\s*(.*))?")
_ID_LINE = re.compile(r"id(?::\s*(.*))?")


def is_event_stream(content_type: str | None) -> bool:
    """Is this a ``text/event-stream`` body (parameters such as a charset allowed)?"""
    return (content_type or "").split(";", 1)[0].strip().lower() == "text/event-stream"


@dataclass(frozen=True)
class Event:
    """One server-sent event: ``type`` (``message`` unless named), ``data``, ``id`` (or None).

    ``event['text']`` (Mojo's key), ``event['data']``, ``event['type']`` and
    ``event['id']`` read as Perl's ``$event->{text}`` does.
    """

    type: str = "message"
    data: str = ""
    id: str | None = None

    @property
    def text(self) -> str:
        """Mojo's name for the data."""
        return self.data

    def json(self) -> Any:
        """The data decoded as JSON, or None when it is not JSON (``[DONE]``), as Mojo's ``json``."""
        try:
            return json.loads(self.data)
        except (ValueError, RecursionError):
            return None

    def __getitem__(self, key: str) -> Any:
        if key in ("data", "text"):
            return self.data
        if key in ("type", "id"):
            return getattr(self, key)
        raise KeyError(key)

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default


class SSEParser:
    """Mojo::SSE's ``parse_event`` (Mojolicious 9.41), fed a piece at a time.

    Written by hand for parity, rule for rule: an event ends at two line
    terminators (CRLF, LF or CR); a block that is not UTF-8, or whose first line is
    a comment (``:``), is skipped whole; ``event:`` sets the type (an empty one
    means ``message``), each ``data:`` line adds a line of data, ``id:`` sets the id;
    whitespace after the colon is dropped; a block without data still is an event
    (with ``''``). One refinement: a CR at the very end of what has arrived waits
    for the next piece (it may be half of a CRLF), so the events do not depend on
    how the body was cut. An unfinished event larger than ``limit`` bytes (Mojo's
    ``MOJO_MAX_BUFFER_SIZE``, 256 KiB) stops the parse: ``limit_exceeded``.
    """

    __slots__ = ("_buffer", "limit", "limit_exceeded")

    def __init__(self, limit: int | None = None) -> None:
        self._buffer = bytearray()
        self.limit = limit if limit is not None else _buffer_limit()
        self.limit_exceeded = False

    def feed(self, data: bytes) -> list[Event]:
        """The events completed by ``data``."""
        if self.limit_exceeded:
            return []
        buffer = self._buffer
        buffer += data
        events = self._events(final=False)
        if len(buffer) > self.limit:
            self.limit_exceeded = True
            buffer.clear()
        return events

    def close(self) -> list[Event]:
        """The body ended: an event whose last terminator was a final CR is complete now."""
        if self.limit_exceeded:
            return []
        events = self._events(final=True)
        self._buffer.clear()  # an unfinished event is dropped, as Mojo drops it
        return events

    def _events(self, final: bool) -> list[Event]:
        buffer = self._buffer
        events = []
        start = 0
        if buffer.find(b"\r") < 0:  # the usual case, LF only: two LFs end an event
            while True:
                end = buffer.find(b"\n\n", start)
                if end < 0:
                    break
                event = _parse_block(bytes(buffer[start:end]))
                start = end + 2
                if event is not None:
                    events.append(event)
            if start:
                del buffer[:start]
            return events
        while True:
            match = _BLOCK_END.search(buffer, start)
            if match is None:
                break
            end = match.end()
            if not final and end == len(buffer) and buffer[end - 1] == 0x0D:
                break  # a CR at the end may be the first half of a CRLF
            event = _parse_block(bytes(buffer[start : match.start()]))
            start = end
            if event is not None:
                events.append(event)
        if start:
            del buffer[:start]
        return events


def _parse_block(block: bytes) -> Event | None:
    try:
        text = block.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if _COMMENT.match(text):
        return None
    kind, data, ident = "message", None, None
    for line in _LINE_END.split(text) if "\r" in text else text.split("\n"):
        if line.startswith("data"):
            match = _DATA_LINE.fullmatch(line)
            if match is not None:
                piece = match.group(1) or ""
                data = piece if data is None else f"{data}\n{piece}"
        elif line.startswith("event"):
            match = _EVENT_LINE.fullmatch(line)
            if match is not None:
                kind = match.group(1) or "message"
        elif line.startswith("id"):
            match = _ID_LINE.fullmatch(line)
            if match is not None:
                ident = match.group(1)
    return Event(kind, data or "", ident)


def _buffer_limit() -> int:
    text = os.environ.get("MOJO_MAX_BUFFER_SIZE") or ""
    return int(text) if text.isdigit() and int(text) > 0 else 262144


# -- the content's sse event ---------------------------------------------------------------


class SSEFeed:
    """The ``sse`` event of one response content: its body parsed as it is read.

    Made when the first ``sse`` subscriber comes (``Content.on``); fed by the content
    itself (``Content.emit``) with the ``body`` and ``read`` events, so unsubscribing
    ``read`` (to buffer nothing) does not stop it.
    """

    __slots__ = ("_content", "_parser", "_started")

    def __init__(self, content: Content) -> None:
        self._content = weakref.ref(content)  # the content owns the feed: no cycle
        self._parser: SSEParser | None = None
        self._started = False

    def body(self) -> None:
        """The headers are in (Mojo's ``body`` event): is this an event stream?"""
        content = self._content()
        if content is None:
            return
        self._started = True
        self._parser = SSEParser() if is_event_stream(content.headers.get("Content-Type")) else None
        if self._parser is not None:
            content.emit("sse", None)  # Mojo: the event-stream "connection established"

    def read(self, chunk: bytes) -> None:
        if not self._started:
            self.body()
        parser = self._parser
        content = self._content()
        if parser is None or content is None:
            return
        for event in parser.feed(chunk):
            content.emit("sse", event)


# -- client.stream ---------------------------------------------------------------------------


class Stream:
    """The events of one streamed call: ``for event in client.stream(...)`` or ``async for``.

    ``tx`` is the transaction (built and validated already; sent when the loop
    starts). The loop yields an :class:`Event` per server-sent event of a 2xx
    ``text/event-stream`` answer, and nothing otherwise (the body is then kept in
    ``tx.res`` as usual); it ends at ``[DONE]`` (``done`` is then True) or at the end
    of the body. Leaving it early closes the connection; so does ``close()`` and
    leaving a ``with``/``async with`` block. A stream is read once, like a file.
    """

    def __init__(self, client: Client, tx: Transaction) -> None:
        self._client = client
        self.tx = tx
        self.done = False  # [DONE] was received
        self._pending: collections.deque[Event] = collections.deque()
        self._parser: SSEParser | None = None
        self._decided = False
        self._buffering = False
        self._wakeup: asyncio.Event | None = None
        self._claimed = False
        self._running: weakref.ref | None = None  # the loop's iterator, while it runs

    def __repr__(self) -> str:
        return f"<Stream {self.tx!r}{' done' if self.done else ''}>"

    @property
    def error(self) -> Any:
        """``tx.error``: None, or Mojo's error dict (a 4xx/5xx answer, a transport failure)."""
        return self.tx.error

    @property
    def res(self) -> Any:
        return self.tx.res

    # -- for ------------------------------------------------------------------------------

    def __iter__(self) -> Iterator[Event]:
        if not self._claim():
            return iter(())
        events = self._run()
        self._running = weakref.ref(events)
        return events

    def _run(self) -> Iterator[Event]:
        tx = self.tx
        if not tx.is_sent:  # invalid input: the local 400, nothing to send
            return
        steps = self._begin()
        try:
            for _ in steps:
                while self._pending:
                    yield self._pending.popleft()
                if self._stopped():
                    break
            else:
                self._end_of_body()
                while self._pending:
                    yield self._pending.popleft()
        finally:
            self._finish_steps(steps)

    def _begin(self) -> Iterator[None]:
        """Emit the start events (the OpenAI layer's headers), listen to the body, and go."""
        client, tx = self._client, self.tx
        client._emit_start(tx)
        ua = client.ua
        ua.emit("start", tx)
        self._listen()
        return ua._exchange(tx)

    def _finish_steps(self, steps: Iterator[None]) -> None:
        if self.done and self.tx.res.finished:
            for _ in steps:  # the body ended with [DONE]: no more I/O, the connection is kept
                pass
        else:
            steps.close()  # type: ignore[attr-defined]

    # -- async for ------------------------------------------------------------------------

    def __aiter__(self) -> AsyncIterator[Event]:
        if not self._claim():
            return _NoEvents()
        events = _AsyncEvents(self)
        self._running = weakref.ref(events)
        return events

    # -- closing --------------------------------------------------------------------------

    def close(self) -> None:
        """Stop reading: the connection is closed (nothing more is read)."""
        running = self._running() if self._running is not None else None
        if isinstance(running, _AsyncEvents):
            running.cancel()
        elif running is not None:
            running.close()

    async def aclose(self) -> None:
        running = self._running() if self._running is not None else None
        if isinstance(running, _AsyncEvents):
            await running.aclose()
        else:
            self.close()

    def __enter__(self) -> Stream:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    async def __aenter__(self) -> Stream:
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.aclose()

    # -- the body, as it arrives ----------------------------------------------------------

    def _claim(self) -> bool:
        if self._claimed:
            return False
        self._claimed = True
        return True

    def _listen(self) -> None:
        """Put our reader in place of the one that stores the body (kept for other answers)."""
        from .message import add_to_asset

        content = self.tx.res.content
        self._buffering = add_to_asset in content.subscribers("read")
        content.unsubscribe("read", add_to_asset)
        content.on("read", self._read)

    def _read(self, content: Content, chunk: bytes) -> None:
        if not self._decided:
            self._decided = True
            res = self.tx.res
            if res.is_success and is_event_stream(res.headers.get("Content-Type")):
                self._parser = SSEParser()
        parser = self._parser
        if parser is None:
            if self._buffering:
                content.asset.add_chunk(chunk)
            return
        if not self.done:
            self._take(parser.feed(chunk))
            if parser.limit_exceeded:
                self.tx.fail(BUFFER_LIMIT_MESSAGE)
        if self._wakeup is not None:
            self._wakeup.set()

    def _take(self, events: list[Event]) -> None:
        for event in events:
            if event.data == DONE:
                self.done = True
                return
            self._pending.append(event)

    def _stopped(self) -> bool:
        return self.done or (self._parser is not None and self._parser.limit_exceeded)

    def _end_of_body(self) -> None:
        if self._parser is not None and not self.done:
            self._take(self._parser.close())


class _AsyncEvents:
    """``async for`` over a stream: the request runs as a task on the running loop."""

    def __init__(self, stream: Stream) -> None:
        self.stream = stream
        self.task: asyncio.Task | None = None
        self.steps: Iterator[None] | None = None  # app=: the in-process exchange, step by step
        self.finished = False

    def __aiter__(self) -> _AsyncEvents:
        return self

    async def __anext__(self) -> Event:
        stream = self.stream
        if stream._pending and self.finished:  # what the end of the body completed
            return stream._pending.popleft()
        if self.finished or not stream.tx.is_sent:
            raise StopAsyncIteration
        if self.task is None and self.steps is None:
            self._start()
        while True:
            if stream._pending:
                return stream._pending.popleft()
            if stream._stopped():
                await self.aclose()
                raise StopAsyncIteration
            if self.steps is not None:
                if next(self.steps, _END) is _END:
                    self._ended()
                    if not stream._pending:
                        raise StopAsyncIteration
                continue
            task = self.task
            assert task is not None and stream._wakeup is not None
            if task.done():
                self.finished = True
                error = task.exception()
                if error is not None:
                    raise error
                self._ended()
                if stream._pending:
                    return stream._pending.popleft()
                raise StopAsyncIteration
            stream._wakeup.clear()
            try:
                await stream._wakeup.wait()
            except BaseException:
                self.cancel()
                raise

    def _start(self) -> None:
        stream = self.stream
        client, tx = stream._client, stream.tx
        client._emit_start(tx)
        ua = client.ua
        ua.emit("start", tx)
        stream._listen()
        if ua._app is not None:  # in-process: each step is a piece the app produced
            self.steps = ua._exchange(tx)
            return
        stream._wakeup = asyncio.Event()
        self.task = asyncio.ensure_future(ua._send_async(tx))
        self.task.add_done_callback(lambda _: stream._wakeup.set() if stream._wakeup else None)

    def _ended(self) -> None:
        self.finished = True
        self.stream._end_of_body()

    def cancel(self) -> None:
        """Stop: the request's task is cancelled, which closes its connection."""
        self.finished = True
        if self.steps is not None:
            self.steps.close()  # type: ignore[attr-defined]
        task = self.task
        if task is not None and not task.done():
            try:
                task.cancel()
            except RuntimeError:  # its loop is closed: the connection went with it
                pass

    async def aclose(self) -> None:
        stream = self.stream
        task = self.task
        if stream.done and stream.tx.res.finished and task is not None and not task.done():
            self.finished = True
            await task  # the body ended with [DONE]: let the request finish (and keep its connection)
            return
        if self.steps is not None and stream.done and stream.tx.res.finished:
            self.finished = True
            for _ in self.steps:
                pass
            return
        self.cancel()

    def __del__(self) -> None:
        if not self.finished:
            self.cancel()


class _NoEvents:
    def __aiter__(self) -> _NoEvents:
        return self

    async def __anext__(self) -> Event:
        raise StopAsyncIteration


_END = object()
