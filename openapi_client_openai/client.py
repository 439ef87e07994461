"""Client: OpenAPI::Client's generated class, one per spec, with a method per operationId.

Each operation answers to its operationId (``getRun``), its snake_case alias
(``get_run``) and the ``_p`` forms of both; kebab-case ids (``admin-api-keys-create``)
through ``call``, ``getattr`` and the alias. Two calling conventions:

* ``client.getRun({'thread_id': t, 'run_id': r}, json=...)``: a first positional
  dict is Perl's params hash, and keyword arguments are then content generators;
* ``client.getRun(thread_id=t, run_id=r)``: keyword arguments are params, except a
  content-generator name (``json``, ``body``, ``form``, ``multipart``,
  ``file_upload``) that the operation does not declare as a parameter.

A trailing callable makes the call non-blocking, as in Perl: ``callback(client, tx)``
runs later and the client is returned.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .errors import NoSuchOperation
from .events import EventEmitter
from .operations import Operation
from .promise import Promise, PromiseRejected, executor
from .request import GENERATORS, URL, Generator, build
from .schemas import SchemaValidator
from .spec import Spec, SpecSource, load_spec
from .transaction import Transaction
from .transport import Transport
from .validation import DEFAULT_COERCE, OperationValidator

NO_SUCH_OPERATION = NoSuchOperation.PERL_MESSAGE
# Set by perl_compat's compare-run, record and replay (and read for nothing else): every
# client the program makes sends to that local server instead, whatever base_url it was
# given, so a program is tested unmodified. Perl's side is PerlCompat::Redirect.
BASE_URL_OVERRIDE = "OPENAPI_CLIENT_OPENAI_BASE_URL"

_generated: dict[tuple[type, str], type] = {}
_generated_lock = threading.Lock()


def _debug_enabled() -> bool:
    return os.environ.get("OPENAPI_CLIENT_DEBUG", "") not in ("", "0")


def _log() -> Any:
    """The package logger; logging is imported when first needed, not at start-up."""
    import logging

    return logging.getLogger("openapi_client_openai")


class Client(EventEmitter):
    """Perl's ``OpenAPI::Client->new($spec, %attrs)``: a client generated from a spec."""

    generators: Mapping[str, Generator] = GENERATORS

    def __new__(cls, spec: SpecSource | Spec = None, *args: Any, **attrs: Any) -> Client:
        return super().__new__(_generated_class(cls, cls._load_spec(spec)))

    def __init__(
        self,
        spec: SpecSource | Spec = None,
        attrs: Mapping[str, Any] | None = None,
        *,
        base_url: str | URL | None = None,
        ua: Any = None,
        coerce: str | None = None,
        connect_timeout: float | None = None,
        inactivity_timeout: float | None = None,
    ) -> None:
        if attrs:  # Perl also takes the attributes as one hash: new($spec, {base_url => ...})
            options = dict(attrs)
            base_url = options.pop("base_url", base_url)
            ua = options.pop("ua", ua)
            coerce = options.pop("coerce", coerce)
            if options:
                raise TypeError(f"unknown attributes: {', '.join(sorted(options))}")
        super().__init__()
        self._transport = Transport(ua, connect_timeout, inactivity_timeout)
        self._coerce = _parse_coerce(coerce)
        base_url = os.environ.get(BASE_URL_OVERRIDE) or base_url
        self._base_url = URL(base_url) if base_url is not None else _default_base_url(self._spec)
        self._debug = _debug_enabled()
        if self._debug:  # like Perl's OPENAPI_CLIENT_DEBUG: say what happens, on stderr
            import logging

            log = _log()
            if not log.handlers:
                log.addHandler(logging.StreamHandler())
            log.setLevel(logging.DEBUG)

    @classmethod
    def _load_spec(cls, spec: SpecSource | Spec) -> Spec:
        if spec is None:
            raise TypeError("Client needs a spec: a path, a URL or a mapping (OpenAI() finds one itself)")
        return load_spec(spec)

    @classmethod
    def new(cls, spec: SpecSource | Spec = None, *args: Any, **attrs: Any) -> Client:
        """Perl's spelling of the constructor."""
        return cls(spec, *args, **attrs)

    # -- attributes ---------------------------------------------------------------------

    @property
    def spec(self) -> Spec:
        return self._spec

    @property
    def base_url(self) -> URL:
        """Where requests go; change it in place or assign a string."""
        return self._base_url

    @base_url.setter
    def base_url(self, value: str | URL) -> None:
        self._base_url = URL(value)

    @property
    def ua(self) -> Any:
        """The ``requests.Session`` requests go through."""
        return self._transport.session

    @property
    def connect_timeout(self) -> float:
        return self._transport.connect_timeout

    @connect_timeout.setter
    def connect_timeout(self, value: float) -> None:
        self._transport.connect_timeout = value

    @property
    def inactivity_timeout(self) -> float:
        return self._transport.inactivity_timeout

    @inactivity_timeout.setter
    def inactivity_timeout(self, value: float) -> None:
        self._transport.inactivity_timeout = value

    def operation(self, name: str) -> Operation:
        """An operation by operationId or snake_case alias."""
        op = self._spec.operations.lookup(name)
        if op is None:
            raise NoSuchOperation(name)
        return op

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._spec.source} base_url={self._base_url}>"

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(type(self)._method_names))

    # -- calling ------------------------------------------------------------------------

    def call(self, operation_id: str, *args: Any, **kwargs: Any) -> Any:
        """``$client->call(getRun => \\%params, %content)``; unknown names raise NoSuchOperation."""
        target = type(self)._method_names.get(operation_id)
        if target is None:
            raise NoSuchOperation(operation_id)
        op_id, promised = target
        return (self._call_p if promised else self._call)(op_id, args, kwargs)

    def call_p(self, operation_id: str, *args: Any, **kwargs: Any) -> Promise:
        """``$client->call_p(...)``: a promise; rejected with Perl's message for unknown names."""
        target = type(self)._method_names.get(f"{operation_id}_p")
        if target is None:
            return Promise.rejected(NO_SUCH_OPERATION)
        return self._call_p(target[0], args, kwargs)

    def _call(self, op_id: str, args: tuple, kwargs: dict) -> Any:
        operation = self._spec.operations[op_id]
        params, content, callback = self._arguments(operation, args, kwargs)
        tx = self.build_tx(operation, params, content)
        if callback is None:
            return tx if not tx.is_sent else self.start(tx)

        def later() -> None:
            try:
                callback(self, tx if not tx.is_sent else self.start(tx))
            except Exception:  # noqa: BLE001 (as in Mojo's event loop: report it, carry on)
                _log().exception("callback for %s raised", op_id)

        executor().submit(later)
        return self

    def _call_p(self, op_id: str, args: tuple, kwargs: dict) -> Promise:
        operation = self._spec.operations[op_id]
        params, content, _ = self._arguments(operation, args, kwargs, allow_callback=False)
        tx = self.build_tx(operation, params, content)
        if not tx.is_sent:
            return Promise.resolved(tx)

        def send() -> Transaction:
            done = self.start(tx)
            error = done.error
            if error and not error.get("code"):
                raise PromiseRejected(error["message"])
            return done

        return Promise.run(send)

    def _arguments(
        self, operation: Operation, args: tuple, kwargs: dict, allow_callback: bool = True
    ) -> tuple[dict, dict, Callable | None]:
        positional = list(args)
        callback = None
        if (
            allow_callback
            and positional
            and callable(positional[-1])
            and not isinstance(positional[-1], Mapping)
        ):
            callback = positional.pop()
        params, content = split_arguments(
            operation.operation_id, operation.param_names, type(self)._content_names, positional, kwargs
        )
        return params, content, callback

    def build_tx(self, operation: Operation, params: dict, content: dict) -> Transaction:
        """OpenAPI::Client's ``_build_tx``: validate, then a transaction ready to start.

        Invalid input gives the unsent 400 transaction. ``after_build_tx`` fires either way.
        """
        built = build(
            operation,
            self._validator(operation),
            self._base_url,
            params,
            content,
            self.generators,
            self._coerce,
        )
        if self._debug:
            outcome = "was successful"
            if built.errors:
                outcome = "failed: " + " ".join(f"{e['path']}: {e['message']}" for e in built.errors)
            _log().debug(
                "[%s] Validation for %s %s %s",
                type(self).__name__,
                operation.method,
                built.request.url,
                outcome,
            )
        if built.errors:
            tx = Transaction.invalid_input(built.request, built.errors)
        else:
            tx = Transaction(built.request)
        self.emit("after_build_tx", tx)
        return tx

    def start(self, tx: Transaction) -> Transaction:
        """Send a built transaction (Mojo's ``$ua->start``): ``start`` subscribers run first."""
        self.emit("start", tx)
        return self._transport.send(tx)

    def _validator(self, operation: Operation) -> OperationValidator:
        validators = type(self)._validators
        validator = validators.get(operation.operation_id)
        if validator is None:
            validator = validators.setdefault(
                operation.operation_id, OperationValidator(operation, type(self)._schemas)
            )
        return validator


def split_arguments(
    name: str, declared: frozenset, content_names: frozenset, args: Sequence, kwargs: dict
) -> tuple[dict, dict]:
    """DESIGN.md's rule for the two calling conventions: (params, content).

    A positional dict is Perl's params hash, and keywords are then content; with no
    positional dict, keywords are params, except a content name (``json``, ``form``...)
    that the operation does not declare as a parameter.
    """
    if args:
        if len(args) > 1 or not (args[0] is None or isinstance(args[0], Mapping)):
            raise TypeError(
                f"{name}() takes one params dict, then content keywords (and a trailing callback)"
            )
        return dict(args[0] or {}), dict(kwargs)
    params, content = {}, {}
    for key, value in kwargs.items():
        if key in content_names and key not in declared:
            content[key] = value
        else:
            params[key] = value
    return params, content


def _parse_coerce(setting: str | None) -> frozenset:
    if setting is None:
        return DEFAULT_COERCE
    return frozenset(part.strip() for part in setting.split(",") if part.strip())


def _default_base_url(spec: Spec) -> URL:
    """JSON::Validator's base_url: the first server, with http://localhost filling gaps."""
    url = URL(spec.server_url)
    if not url.scheme:
        url.scheme = "http"
    if not url.host:
        url.host = "localhost"
    return url


# -- the generated classes -------------------------------------------------------------


class _OperationMethod:
    """A class attribute that becomes a real method on first use, docstring rendered then.

    Rendering every operation's documentation up front would cost ~170 renders per
    spec; ``help(client.getRun)`` only needs one.
    """

    def __init__(self, name: str, operation_id: str, promised: bool) -> None:
        self.name = name
        self.operation_id = operation_id
        self.promised = promised

    def __get__(self, instance: Any, owner: type) -> Any:
        function = _method(owner, self.name, self.operation_id, self.promised)
        setattr(owner, self.name, function)
        return function if instance is None else function.__get__(instance, owner)


def _method(owner: type, name: str, operation_id: str, promised: bool) -> Callable:
    if promised:

        def method(self: Client, *args: Any, **kwargs: Any) -> Any:
            return self._call_p(operation_id, args, kwargs)

    else:

        def method(self: Client, *args: Any, **kwargs: Any) -> Any:
            return self._call(operation_id, args, kwargs)

    operation = owner._spec.operations[operation_id]
    method.__name__ = name
    method.__qualname__ = f"{owner.__name__}.{name}"
    method.__doc__ = _docstring(operation, promised)
    method.__signature__ = _signature(operation)  # type: ignore[attr-defined]
    return method


def _docstring(operation: Operation, promised: bool) -> str:
    try:
        from .docgen import operation_docstring

        text = operation_docstring(operation)
    except Exception:  # noqa: BLE001 (documentation must never break a call)
        text = f"{operation.method.upper()} {operation.path}\n\n{operation.summary}"
    if promised:
        text = f"Promise form of {operation.operation_id}: resolves with the transaction.\n\n{text}"
    return text


def _signature(operation: Operation) -> Any:
    import inspect

    params = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_ONLY)]
    params.append(inspect.Parameter("params", inspect.Parameter.POSITIONAL_ONLY, default=None))
    for name in sorted(operation.param_names):
        if name.isidentifier():
            params.append(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None))
    params.append(inspect.Parameter("content", inspect.Parameter.VAR_KEYWORD))
    return inspect.Signature(params)


def _generated_class(base: type, spec: Spec) -> type:
    key = (base, spec.digest)
    cls = _generated.get(key)
    if cls is not None:
        return cls
    with _generated_lock:
        cls = _generated.get(key)
        if cls is None:
            cls = _generated[key] = _generate(base, spec)
    return cls


def _generate(base: type, spec: Spec) -> type:
    """Perl's ``_generate_class``: a subclass of ``base`` with the spec's operations."""
    names: dict[str, tuple[str, bool]] = {}
    for op_id, operation in spec.operations.items():
        for name in (op_id, operation.snake_name):
            for promised in (False, True):
                method_name = f"{name}_p" if promised else name
                names.setdefault(method_name, (op_id, promised))
    namespace: dict[str, Any] = {
        name: _OperationMethod(name, op_id, promised)
        for name, (op_id, promised) in names.items()
        if not hasattr(base, name)  # existing methods are never replaced: call() still finds the op
    }
    namespace.update(
        _spec=spec,
        _method_names=names,
        _content_names=frozenset({"body", *base.generators}),
        _schemas=SchemaValidator(spec),
        _validators={},
        __module__=__name__,
        __doc__=f"{base.__name__} generated from {spec.source}.",
    )
    return type(f"{base.__name__}_{_class_suffix(spec.source)}", (base,), namespace)


def _class_suffix(source: str) -> str:
    # Perl: the spec URL with the scheme dropped and non-word characters as "_".
    suffix = re.sub(r"\W", "_", re.sub(r"^\w+?://", "", source)).strip("_")
    return suffix[-60:] or "spec"
