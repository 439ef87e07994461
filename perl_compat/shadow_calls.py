"""Shadow calls, Scientist-style: the Perl client builds each sampled call too, and a mismatch is published.

    shadowed = shadow(client, sample=0.05, publish=report)   # report(mismatch) on a mismatch
    tx = shadowed.getRun(thread_id=t, run_id=r)             # exactly client.getRun(...)

The Python call is made and returned as usual; nothing else changes for the caller.
For a sampled call the embedded Perl client (``PerlClient.build``) builds the same
call (validation included) but never sends it, so nothing is sent twice. The two
requests (method, path, raw query, headers, body, as ``compare`` normalises them)
or the two local 400s are compared, and a mismatch goes to ``publish``, by default
a warning through ``logging`` (logger ``perl_compat.shadow``). No failure of the
shadow, in Perl or in ``publish``, ever reaches the caller.

The shadowed client is a second view of the same client: an instance of its class
sharing its state (base URL, session, listeners), so changing one changes the other;
only calls made through the shadowed view are shadowed. The Python request is
taken when its ``start`` event fires (after the OpenAI layer has added its
headers; a ``start`` listener subscribed after ``shadow()`` is not seen). Hooks have
no Perl counterpart: an ``after_build_tx`` listener that changes requests shows as
a mismatch, which is the point. Overhead: see docs/programs.md.
"""

from __future__ import annotations

import copy
import logging
import random
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from openapi_client_openai.openai import OpenAI
from openapi_client_openai.operations import Operation
from openapi_client_openai.transaction import Transaction

from .comparison import Difference, Wire, diff_errors, diff_requests, shown

__all__ = ["PENDING_LIMIT", "Mismatch", "ShadowState", "ShadowStats", "shadow"]

LOG = logging.getLogger("perl_compat.shadow")
PENDING_LIMIT = 1024  # built but not yet started transactions remembered; the oldest are dropped


@dataclass(frozen=True)
class Mismatch:
    """One sampled call on which the Perl client would have done otherwise."""

    operation: str
    params: dict
    content: dict
    differences: tuple[Difference, ...]
    perl: Transaction | None  # what Perl built (never sent); None when it died
    python: Transaction
    perl_died: str | None = None

    def __str__(self) -> str:
        details = "; ".join(str(d) for d in self.differences)
        return f"shadow: {self.operation} differs from Perl: {details}"


@dataclass
class ShadowStats:
    """Counts since ``shadow()``: calls seen, sampled, compared, mismatched, and shadow failures."""

    calls: int = 0
    sampled: int = 0
    compared: int = 0
    mismatches: int = 0
    errors: int = 0


@dataclass
class _Pending:
    python: Transaction
    operation: str
    params: dict
    content: dict
    perl: Transaction | None
    perl_died: str | None


@dataclass
class ShadowState:
    """What one ``shadow()`` keeps: its settings, its Perl clients and its counts."""

    sample: float
    publish: Callable[[Mismatch], Any]
    mode: str
    random: random.Random
    stats: ShadowStats = field(default_factory=ShadowStats)
    disabled: str | None = None  # why shadowing stopped (no Perl here), once said
    _perl: dict = field(default_factory=dict)  # base URL -> PerlClient
    _pending: OrderedDict = field(default_factory=OrderedDict)  # id(tx) -> _Pending
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # -- the two moments of a call -------------------------------------------------------

    def built(
        self, client: OpenAI, operation: Operation, params: dict, content: dict, tx: Transaction
    ) -> None:
        """After the Python client built ``tx``: sample, and have Perl build the same call."""
        with self._lock:
            self.stats.calls += 1
            if self.disabled is not None or self.random.random() >= self.sample:
                return
            self.stats.sampled += 1
        try:
            params, content = copy.deepcopy(params), copy.deepcopy(content)
            perl_tx, died = self._perl_build(client, operation.operation_id, params, content)
        except Exception as exc:  # noqa: BLE001 (the shadow never fails the call)
            self._failed(exc)
            return
        pending = _Pending(tx, operation.operation_id, params, content, perl_tx, died)
        if not tx.is_sent:  # a local 400: no start event will come
            self._compare(pending)
            return
        with self._lock:
            self._pending[id(tx)] = pending
            while len(self._pending) > PENDING_LIMIT:
                self._pending.popitem(last=False)

    def started(self, client: Any, tx: Transaction) -> None:
        """The ``start`` listener: the Python request is complete; compare it."""
        with self._lock:
            pending = self._pending.get(id(tx))
            if pending is None or pending.python is not tx:
                return
            del self._pending[id(tx)]
        self._compare(pending)

    # -- Perl's side -----------------------------------------------------------------------

    def _perl_build(
        self, client: OpenAI, op: str, params: dict, content: dict
    ) -> tuple[Transaction | None, str | None]:
        from .errors import PerlError

        perl = self._perl_client(client)
        try:
            return perl.build(op, params, **content), None
        except PerlError as exc:
            from .comparison import Side

            return None, Side.of(None, None, exc).died

    def _perl_client(self, client: OpenAI) -> Any:
        from .bridge import PerlClient

        base_url = str(client.base_url)
        with self._lock:
            perl = self._perl.get(base_url)
        if perl is None:
            spec = client.spec
            perl = PerlClient(
                spec.data if spec.source == "<mapping>" else spec.source,
                base_url,
                client.assistants,
                mode=self.mode,
                api_key=getattr(client, "_api_key", None),
            )
            with self._lock:
                perl = self._perl.setdefault(base_url, perl)
        return perl

    def _failed(self, exc: BaseException) -> None:
        from .errors import PerlUnavailable

        with self._lock:
            self.stats.errors += 1
            first = self.stats.errors == 1
            if isinstance(exc, PerlUnavailable):
                self.disabled = str(exc)
        if first or isinstance(exc, PerlUnavailable):
            LOG.warning("shadow: the Perl side failed, the call itself is unaffected: %s", exc)

    # -- the comparison ----------------------------------------------------------------------

    def _compare(self, pending: _Pending) -> None:
        try:
            differences = built_differences(pending.perl, pending.perl_died, pending.python)
        except Exception as exc:  # noqa: BLE001
            self._failed(exc)
            return
        with self._lock:
            self.stats.compared += 1
            if differences:
                self.stats.mismatches += 1
        if not differences:
            return
        mismatch = Mismatch(
            pending.operation,
            pending.params,
            pending.content,
            tuple(differences),
            pending.perl,
            pending.python,
            pending.perl_died,
        )
        try:
            self.publish(mismatch)
        except Exception:
            LOG.exception("shadow: the publish callback raised")


def built_differences(
    perl: Transaction | None, perl_died: str | None, python: Transaction
) -> list[Difference]:
    """Perl's built (unsent) transaction against Python's, about to be sent or a local 400."""
    python_outcome = "local-400" if not python.is_sent else "request"
    if perl is None:
        return [Difference("outcome", f"died: {perl_died}", _outcome(python, python_outcome))]
    perl_outcome = "local-400" if perl.error is not None else "request"
    if perl_outcome != python_outcome:
        return [Difference("outcome", _outcome(perl, perl_outcome), _outcome(python, python_outcome))]
    if perl_outcome == "local-400":
        out = (
            []
            if perl.res.code == python.res.code
            else [Difference("res.code", perl.res.code, python.res.code)]
        )
        out += diff_errors(perl.res.json("/errors"), python.res.json("/errors"))
        if perl.error != python.error:
            out.append(Difference("tx.error", perl.error, python.error))
        return out
    return diff_requests([Wire.from_request(perl.req)], [Wire.from_request(python.req)])


def _outcome(tx: Transaction, outcome: str) -> str:
    if outcome == "local-400":
        return f"local 400 {shown(tx.res.json('/errors'))}"
    return f"request {tx.req.method.upper()} {tx.req.url}"


def _warn(mismatch: Mismatch) -> None:
    LOG.warning("%s", mismatch)


def shadow(
    client: OpenAI,
    sample: float = 1.0,
    publish: Callable[[Mismatch], Any] | None = None,
    *,
    mode: str = "auto",
    seed: int | None = None,
) -> OpenAI:
    """``client``, with a fraction ``sample`` of its calls also built by Perl and compared.

    ``publish(mismatch)`` receives each :class:`Mismatch` (default: a logging
    warning). ``mode`` picks the Perl bridge (``auto``: embedded where libperl
    loads); ``seed`` makes the sampling repeatable. The counts are in
    ``shadowed.perl_shadow.stats``.
    """
    if not isinstance(client, OpenAI):
        raise TypeError(
            "shadow() takes an OpenAI client (the Perl side is OpenAPI::Client::OpenAI), "
            f"not {type(client).__name__}"
        )
    if isinstance(sample, bool) or not isinstance(sample, (int, float)) or not 0.0 <= sample <= 1.0:
        raise ValueError(f"sample must be a fraction from 0.0 to 1.0, not {sample!r}")
    if mode not in ("auto", "embedded", "subprocess"):
        raise ValueError(f"mode must be 'auto', 'embedded' or 'subprocess', not {mode!r}")
    state = ShadowState(float(sample), publish or _warn, mode, random.Random(seed))
    base = type(client)

    def build_tx(self: OpenAI, operation: Operation, params: dict, content: dict) -> Transaction:
        tx = base.build_tx(self, operation, params, content)
        state.built(self, operation, params, content, tx)
        return tx

    shadowed_class = type(
        f"Shadowed{base.__name__}",
        (base,),
        {
            "build_tx": build_tx,
            "perl_shadow": state,
            "__module__": __name__,
            "__doc__": f"{base.__name__}, its sampled calls also built by Perl and compared.",
        },
    )
    shadowed: OpenAI = object.__new__(shadowed_class)
    shadowed.__dict__ = client.__dict__  # one client, two views: every attribute is shared
    client.ua.on("start", lambda ua, tx: state.started(client, tx))  # after the OpenAI layer's
    return shadowed
