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
import types
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Self, cast

from . import ioloop
from .errors import ArgumentError, NoSuchOperation
from .events import EventEmitter
from .operations import Operation
from .promise import Promise
from .request import GENERATORS, URL, Generator, build
from .schemas import SchemaValidator
from .spec import Spec, SpecSource, load_spec
from .spec_schema import SpecSchema
from .transaction import Transaction
from .useragent import UserAgent
from .validation import DEFAULT_COERCE, OperationValidator

if TYPE_CHECKING:
    from .streaming import Stream

NO_SUCH_OPERATION = NoSuchOperation.PERL_MESSAGE
# Set by perl_compat's compare-run, record and replay (and read for nothing else): every
# client the program makes sends to that local server instead, whatever base_url it was
# given, so a program is tested unmodified. Perl's side is PerlCompat::Redirect.
BASE_URL_OVERRIDE = "OPENAPI_CLIENT_OPENAI_BASE_URL"


def _debug_enabled() -> bool:
    return os.environ.get("OPENAPI_CLIENT_DEBUG", "") not in ("", "0")


def _log() -> Any:
    """The package logger; logging is imported when first needed, not at start-up."""
    import logging

    return logging.getLogger("openapi_client_openai")


class Client(EventEmitter):
    """Perl's ``OpenAPI::Client->new($spec, %attrs)``: a client generated from a spec."""

    generators: Mapping[str, Generator] = GENERATORS
    # Set on each generated class (_generate) and on each client (__new__):
    _method_names: ClassVar[dict[str, tuple[str, bool]]] = {}
    _compiled: ClassVar[_Compiled]
    _spec: Spec

    def __new__(cls, spec: SpecSource | Spec = None, *args: Any, **attrs: Any) -> Self:
        loaded = cls._load_spec(spec)
        client = cast(Self, super().__new__(_generated_class(cls, loaded)))  # a subclass of cls
        client._spec = loaded  # per client: two files of the same content are two sources
        return client

    def __init__(
        self,
        spec: SpecSource | Spec = None,
        attrs: Mapping[str, Any] | None = None,
        *,
        base_url: str | URL | None = None,
        ua: Any = None,
        app: Callable | None = None,
        coerce: str | None = None,
        connect_timeout: float | None = None,
        inactivity_timeout: float | None = None,
    ) -> None:
        if attrs:  # Perl also takes the attributes as one hash: new($spec, {base_url => ...})
            options = dict(attrs)
            base_url = options.pop("base_url", base_url)
            ua = options.pop("ua", ua)
            app = options.pop("app", app)
            coerce = options.pop("coerce", coerce)
            if options:
                raise ArgumentError(f"unknown attributes: {', '.join(sorted(options))}")
        super().__init__()
        self._ua = _user_agent(ua, app, type(self).generators)
        if connect_timeout is not None:
            self._ua.connect_timeout = connect_timeout
        if inactivity_timeout is not None:
            self._ua.inactivity_timeout = inactivity_timeout
        self._coerce = _parse_coerce(coerce)
        base_url = os.environ.get(BASE_URL_OVERRIDE) or base_url
        self._base_url = URL(base_url) if base_url is not None else _default_base_url(self._spec)
        if app is not None:  # Perl: the base URL loses scheme, host and port; the app serves it
            self._base_url.scheme, self._base_url.host, self._base_url.port = None, None, None
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
            raise ArgumentError("Client needs a spec: a path, a URL or a mapping (OpenAI() finds one itself)")
        return load_spec(spec)

    @classmethod
    def new(cls, spec: SpecSource | Spec = None, *args: Any, **attrs: Any) -> Self:
        """Perl's spelling of the constructor."""
        return cls(spec, *args, **attrs)

    # -- attributes ---------------------------------------------------------------------

    @property
    def spec(self) -> Spec:
        return self._spec

    @property
    def validator(self) -> SpecSchema:
        """``$client->validator``: the spec as JSON::Validator's schema (``get(pointer)``, ``data``)."""
        return SpecSchema.of(self._spec)

    @property
    def base_url(self) -> URL:
        """Where requests go; change it in place or assign a string."""
        return self._base_url

    @base_url.setter
    def base_url(self, value: str | URL) -> None:
        self._base_url = URL(value)

    @property
    def ua(self) -> UserAgent:
        """The user agent (Mojo::UserAgent's attributes: ``client.ua.inactivity_timeout = 600``)."""
        return self._ua

    @property
    def connect_timeout(self) -> float:
        """Alias of ``client.ua.connect_timeout``."""
        return self._ua.connect_timeout

    @connect_timeout.setter
    def connect_timeout(self, value: float) -> None:
        self._ua.connect_timeout = value

    @property
    def inactivity_timeout(self) -> float:
        """Alias of ``client.ua.inactivity_timeout``."""
        return self._ua.inactivity_timeout

    @inactivity_timeout.setter
    def inactivity_timeout(self, value: float) -> None:
        self._ua.inactivity_timeout = value

    def operation(self, name: str) -> Operation:
        """An operation by operationId or snake_case alias."""
        op = self._spec.operations.lookup(name)
        if op is None:
            raise self._no_such_operation(name, owner=type(self).__name__)
        return op

    def __getattr__(self, name: str) -> Any:
        # Only reached when nothing else has the name: an operation the spec lacks, named as such.
        if name.startswith("_") or "_spec" not in self.__dict__:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        raise self._no_such_operation(name, owner=type(self).__name__)

    def _no_such_operation(self, name: str, owner: str = "") -> NoSuchOperation:
        spec = self._spec
        return NoSuchOperation(name, spec.source, len(spec.operations), owner=owner)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._spec.source} base_url={self._base_url}>"

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(type(self)._method_names))

    # -- calling ------------------------------------------------------------------------

    def call(self, operation_id: str, *args: Any, **kwargs: Any) -> Any:
        """``$client->call(getRun => \\%params, %content)``; unknown names raise NoSuchOperation."""
        target = type(self)._method_names.get(operation_id)
        if target is None:
            raise self._no_such_operation(operation_id)  # Perl's message, for parity
        op_id, promised = target
        return (self._call_p if promised else self._call)(op_id, args, kwargs)

    def call_p(self, operation_id: str, *args: Any, **kwargs: Any) -> Promise:
        """``$client->call_p(...)``: a promise; for unknown names rejected with NoSuchOperation,
        which equals the string Perl rejects with."""
        target = type(self)._method_names.get(f"{operation_id}_p")
        if target is None:
            return Promise.rejected(self._no_such_operation(operation_id))
        return self._call_p(target[0], args, kwargs)

    def stream(self, operation_id: str, *args: Any, **kwargs: Any) -> Stream:
        """Call an operation and iterate its server-sent events (``streaming.py``).

        ``for event in client.stream('createChatCompletion', body={..., 'stream': True}):``
        (or ``async for``) gets an Event per event (``event.type``, ``.data``, ``.id``,
        ``.json()``) until ``[DONE]`` or the end of the body; arguments are those of
        the operation's method. It is validated now (invalid input: the local 400 in
        ``stream.tx``, nothing sent) and sent when the loop starts; any answer,
        events or not, is in ``stream.tx`` as a call gives it.
        """
        from .streaming import Stream

        target = type(self)._method_names.get(operation_id)
        if target is None or target[1]:  # an operation by id or alias; a _p name is not one
            missing = self._no_such_operation(operation_id)
            missing.args = (f"stream: {missing.detail}",)
            raise missing
        operation = self._spec.operations[target[0]]
        params, content, _ = self._arguments(operation, args, kwargs, allow_callback=False)
        return Stream(self, self.build_tx(operation, params, content))

    def _call(self, op_id: str, args: tuple, kwargs: dict) -> Any:
        operation = self._spec.operations[op_id]
        params, content, callback = self._arguments(operation, args, kwargs)
        tx = self.build_tx(operation, params, content)
        if callback is None:
            return tx if not tx.is_sent else self.start(tx)
        if not tx.is_sent:  # Perl: the callback still comes, on the next tick
            loop = ioloop.current()
            loop.post(lambda: _call_back(callback, self, tx, op_id))
        else:
            self._emit_start(tx)
            self._ua.start(tx, lambda ua, done: _call_back(callback, self, done, op_id))
        return self

    def _call_p(self, op_id: str, args: tuple, kwargs: dict) -> Promise:
        operation = self._spec.operations[op_id]
        params, content, _ = self._arguments(operation, args, kwargs, allow_callback=False)
        tx = self.build_tx(operation, params, content)
        if not tx.is_sent:
            return Promise.resolved(tx)
        self._emit_start(tx)
        return self._ua.start_p(tx)

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
            operation.operation_id,
            operation.param_names,
            self._ua.transactor.content_names,
            positional,
            kwargs,
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
            self._ua.transactor.generators,
            self._coerce,
            self._ua.transactor.name,
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
        """Send a built transaction, blocking (Mojo's ``$ua->start``); ``start`` subscribers run first."""
        self._emit_start(tx)
        return self._ua.start(tx)

    def _emit_start(self, tx: Transaction) -> None:
        if self.has_subscribers("start"):  # the client's own start event, kept for older code
            self.emit("start", tx)

    def _validator(self, operation: Operation) -> OperationValidator:
        compiled = type(self)._compiled
        validator = compiled.validators.get(operation.operation_id)
        return validator if validator is not None else compiled.validator(operation, self._spec)


def _call_back(callback: Callable, client: Client, tx: Transaction, op_id: str) -> None:
    try:
        callback(client, tx)
    except Exception:  # noqa: BLE001 (as in Mojo's event loop: report it, carry on)
        _log().exception("callback for %s raised", op_id)


def _user_agent(ua: Any, app: Callable | None, generators: Mapping[str, Generator]) -> UserAgent:
    """The client's user agent: a given UserAgent, one over a given requests.Session, or a new one."""
    if isinstance(ua, UserAgent):
        agent = ua
    else:
        agent = UserAgent(session=ua, app=app)
    if app is not None:
        agent._app = app
    for name, generator in generators.items():
        agent.transactor.generators.setdefault(name, generator)
    agent.transactor._content_names = None
    return agent


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
            raise ArgumentError(
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
#
# One class per (base class, spec source, spec content), as Perl makes one package per
# spec URL; it holds the operations' names and the validators compiled for that content.
# The Spec itself is each client's own (client._spec): its source is where that client's
# spec came from. Generated classes are kept for the last CLASS_CACHE_SIZE specs.

CLASS_CACHE_SIZE = 32


class _Compiled:
    """The validators compiled for one spec, shared by the clients of its generated class."""

    def __init__(self) -> None:
        self.schemas: SchemaValidator | None = None
        self.validators: dict[str, OperationValidator] = {}

    def validator(self, operation: Operation, spec: Spec) -> OperationValidator:
        if self.schemas is None:
            self.schemas = SchemaValidator(spec)  # the same source and content as every client's
        return self.validators.setdefault(operation.operation_id, OperationValidator(operation, self.schemas))


class _OperationMethod:
    """An operation's attribute on the generated class: a method, its function made on first use.

    Nothing is rendered on access: the docstring and signature are computed when
    ``help()``, ``__doc__`` or ``inspect`` ask (see :class:`OperationFunction`). The
    function is kept here, per class (every client of a class has the same spec);
    each access binds it to the client asked, never caching a bound method on a
    client (a view sharing its state, such as ``perl_compat.shadow``'s, would call
    the wrong one).
    """

    __slots__ = ("function", "name", "operation_id", "promised")

    def __init__(self, name: str, operation_id: str, promised: bool) -> None:
        self.name = name
        self.operation_id = operation_id
        self.promised = promised
        self.function: OperationFunction | None = None

    def __get__(self, instance: Any, owner: type) -> Any:
        if instance is None:
            return self
        function = self.function
        if function is None:
            function = self.function = OperationFunction(
                self.name, self.operation_id, self.promised, instance._spec, owner
            )
        return types.MethodType(function, instance)

    @property
    def __doc__(self) -> str:  # type: ignore[override]
        form = " (promise form)" if self.promised else ""
        return f"The {self.operation_id} operation{form}: see help(client.{self.name})."


class OperationFunction:
    """What ``client.getRun`` is bound to: calls the operation; its docs are made when asked.

    A plain function's ``__doc__`` cannot wait to be read, and rendering one costs
    a docs import and ~10-70 ms; this object's ``__doc__`` and ``__signature__`` are
    properties, so ``help(client.getRun)``, ``client.getRun.__doc__`` and
    ``inspect.signature`` see the same text and signature as before, made on demand.
    """

    __slots__ = ("__name__", "__qualname__", "_doc", "_signature", "operation_id", "promised", "spec")

    def __init__(self, name: str, operation_id: str, promised: bool, spec: Spec, owner: type) -> None:
        self.__name__ = name
        self.__qualname__ = f"{owner.__name__}.{name}"
        self.operation_id = operation_id
        self.promised = promised
        self.spec = spec
        self._doc: str | None = None
        self._signature: Any = None

    def __call__(self, client: Client, *args: Any, **kwargs: Any) -> Any:
        if self.promised:
            return client._call_p(self.operation_id, args, kwargs)
        return client._call(self.operation_id, args, kwargs)

    @property
    def __doc__(self) -> str:  # type: ignore[override]
        if self._doc is None:
            self._doc = _docstring(self.spec.operations[self.operation_id], self.promised)
        return self._doc

    @property
    def __signature__(self) -> Any:
        if self._signature is None:
            self._signature = _signature(self.spec.operations[self.operation_id])
        return self._signature

    def __repr__(self) -> str:
        return f"<operation {self.__qualname__}>"


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


_generated: OrderedDict[tuple[type, str, str], type] = OrderedDict()  # (base, source, digest)
_generated_lock = threading.Lock()


def _generated_class(base: type[Client], spec: Spec) -> type:
    key = (base, spec.source, spec.digest)
    with _generated_lock:
        cls = _generated.get(key)
        if cls is not None:
            _generated.move_to_end(key)
            return cls
    made = _generate(base, spec)
    with _generated_lock:
        cls = _generated.setdefault(key, made)
        _generated.move_to_end(key)
        while len(_generated) > CLASS_CACHE_SIZE:
            _generated.popitem(last=False)  # its clients keep their class; new ones get a new one
    return cls


def method_names(spec: Spec) -> dict[str, tuple[str, bool]]:
    """Every name an operation answers to: name -> (operationId, promise form?), first one wins.

    The operationId, its snake_case alias and the ``_p`` form of each, as
    OpenAPI::Client::OpenAI makes them (the stubs generator lists the same names).
    """
    names: dict[str, tuple[str, bool]] = {}
    for op_id, operation in spec.operations.items():
        for name in (op_id, operation.snake_name):
            for promised in (False, True):
                method_name = f"{name}_p" if promised else name
                names.setdefault(method_name, (op_id, promised))
    return names


def _generate(base: type[Client], spec: Spec) -> type:
    """Perl's ``_generate_class``: a subclass of ``base`` with the spec's operations."""
    names = method_names(spec)
    namespace: dict[str, Any] = {
        name: _OperationMethod(name, op_id, promised)
        for name, (op_id, promised) in names.items()
        if not hasattr(base, name)  # existing methods are never replaced: call() still finds the op
    }
    name = f"{base.__name__}_{class_suffix(spec.source)}"
    namespace.update(
        _method_names=names,
        _compiled=_Compiled(),
        __module__=__name__,
        __qualname__=name,
        __doc__=f"{base.__name__} generated from {spec.source} ({len(spec.operations)} operations).",
    )
    return type(name, (base,), namespace)


def class_suffix(source: str) -> str:
    """A readable name for a spec source: its file name without the extension, as a word.

    Perl names the package after the whole URL; a class name is for reading, so
    ``/usr/share/.../openai-openapi.yaml`` gives ``openai_openapi``.
    """
    path = re.sub(r"[?#].*$", "", source).rstrip("/")
    stem = re.sub(r"\.(?:ya?ml|json)$", "", path.rsplit("/", 1)[-1], flags=re.IGNORECASE)
    return re.sub(r"\W+", "_", stem).strip("_")[:60] or "spec"
