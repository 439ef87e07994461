"""The public names of openapi_client_openai, and its one tree of errors.

``__all__`` is pinned here: a name added or dropped is a decision, made in this file.
Every exception class of the package is in the OpenAPIClientError tree, is exported,
and is drawn in errors.py's docstring, except the few that never leave the module
that raises them (listed below with where they are caught).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import openapi_client_openai
from openapi_client_openai import (
    NoSuchOperation,
    OpenAI,
    OpenAPIClientError,
    PromiseRejected,
    errors,
)
from openapi_client_openai.mock import MockServer

from .conftest import BUNDLED_SPEC

PUBLIC = {
    # the client and what its calls give
    "Client",
    "OpenAI",
    "Transaction",
    "Promise",
    "IOLoop",
    "UserAgent",
    "Request",
    "Response",
    "Headers",
    "URL",
    # the errors
    "OpenAPIClientError",
    "SpecError",
    "NoSuchOperation",
    "MissingAPIKey",
    "TransportError",
    "PromiseRejected",
    "PromiseTimeout",
    "LoopError",
    "ArgumentError",
    "NoSuchPage",
    "UserAgentError",
    "EncodeError",
    "UnknownContent",
    "HeaderError",
    "UploadError",
}

# Raised and caught inside one module; a caller never sees them.
INTERNAL_EXCEPTIONS = {
    "openapi_client_openai.cli.UsageError",  # cli.main: one line on stderr, exit status 2
    "openapi_client_openai.examples._Cut",  # examples.py: stops a walk at its budget
    "openapi_client_openai.mock._Refused",  # mock.py: becomes the error response sent
    "openapi_client_openai.perl_data._Refused",  # perlify: becomes EncodeError
    "openapi_client_openai.spec_yaml._Refused",  # parse_fast: PyYAML parses instead
    "openapi_client_openai.transport.finish.Failure",  # transport: becomes tx.error
}


def _exception_classes() -> dict[str, type]:
    found = {}
    modules = pkgutil.walk_packages(openapi_client_openai.__path__, "openapi_client_openai.")
    for info in modules:
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if (
                inspect.isclass(value)
                and issubclass(value, BaseException)
                and value.__module__ == module.__name__
            ):
                found[f"{module.__name__}.{name}"] = value
    return found


def test_the_public_names_are_pinned() -> None:
    assert set(openapi_client_openai.__all__) == PUBLIC
    assert len(openapi_client_openai.__all__) == len(PUBLIC)  # no name twice
    namespace: dict = {}
    exec("from openapi_client_openai import *", namespace)
    assert {name for name in namespace if not name.startswith("__")} == PUBLIC


def test_every_error_is_in_the_tree_exported_and_drawn() -> None:
    classes = _exception_classes()
    assert len(classes) > len(INTERNAL_EXCEPTIONS) + 10, "the scan must see the package's errors"
    outside = sorted(name for name, cls in classes.items() if not issubclass(cls, OpenAPIClientError))
    assert outside == sorted(INTERNAL_EXCEPTIONS)
    tree = [cls for name, cls in classes.items() if name not in INTERNAL_EXCEPTIONS]
    assert all(cls.__module__ == "openapi_client_openai.errors" for cls in tree), "errors.py draws the tree"
    for cls in tree:
        assert cls.__name__ in PUBLIC, f"{cls.__name__} is not exported"
        assert getattr(openapi_client_openai, cls.__name__) is cls
        assert cls is OpenAPIClientError or f"── {cls.__name__} " in (errors.__doc__ or ""), cls.__name__


@pytest.fixture
def client(api_key: str):
    with MockServer(BUNDLED_SPEC) as server:
        yield OpenAI(BUNDLED_SPEC, base_url=server.base_url)


def test_call_p_of_an_unknown_name_rejects_with_no_such_operation_equal_to_perls_string(
    client: OpenAI,
) -> None:
    reasons: list = []
    client.call_p("listAllPets", {}).then(None, reasons.append).wait(10)
    (reason,) = reasons
    assert isinstance(reason, NoSuchOperation) and isinstance(reason, OpenAPIClientError)
    assert reason == "[OpenAPI::Client] No such operationId"  # Perl rejects with this string
    assert str(reason) == "[OpenAPI::Client] No such operationId"
    assert reason.operation_id == "listAllPets" and reason.source == str(BUNDLED_SPEC)
    with pytest.raises(NoSuchOperation) as caught:
        client.call_p("listAllPets").wait(10)
    assert not isinstance(caught.value, PromiseRejected)
    with pytest.raises(NoSuchOperation) as raised:
        client.call("listAllPets")
    assert raised.value == caught.value == reason  # call and call_p: the same error
    assert reason != "No such operationId" and reason != NoSuchOperation("other", reason.source)


def test_errors_keep_their_python_names(client: OpenAI) -> None:
    """Each error is also the builtin a Python caller would catch: TypeError, LookupError..."""
    from openapi_client_openai import docgen

    with pytest.raises(TypeError):
        OpenAI(BUNDLED_SPEC, no_such_attribute=1)
    with pytest.raises(TypeError):
        client.getRun({"thread_id": "t"}, {"run_id": "r"})
    with pytest.raises(LookupError) as missing:
        docgen.get("no-such-page", BUNDLED_SPEC)
    with pytest.raises(TimeoutError) as late:
        openapi_client_openai.Promise().wait(0.01)
    for error in (missing.value, late.value):
        assert isinstance(error, OpenAPIClientError)
