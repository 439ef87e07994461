"""Build the request OpenAPI::Client would build for a call, and validate it; no I/O.

The URL, query string, headers and body bytes follow Mojolicious to the byte
(Mojo::URL, Mojo::Parameters, Mojo::UserAgent::Transactor's generators), since
"the same call puts the same request on the wire" is the product. Hand-written for
that reason: ``requests`` and ``urllib`` escape differently.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from .errors import UnknownContent, UploadError
from .message import Headers, Request
from .operations import Operation
from .perl_data import encode_json, perl_str, perlify
from .url import URL, encode_pairs  # URL lives in url.py; imported from here by older code
from .validation import DEFAULT_COERCE, OperationValidator, query_values, truthy

USER_AGENT = "Mojo-OpenAPI (Python)"

# A content generator turns one call's content into body bytes (and headers): Mojo's
# ``$t->add_generator(name => sub ($t, $tx, $value) {...})``.
Generator = Callable[[Any, str, "URL", Headers], bytes]

_PLACEHOLDER = re.compile(r"\{([-\w]+)\}")


def fill_path(template: str, params: dict) -> list[str]:
    """OpenAPI::Client's path: each non-empty segment with ``{name}`` replaced, unescaped."""

    def value(match: re.Match) -> str:
        return perl_str(params.get(match.group(1)))

    return [_PLACEHOLDER.sub(value, segment) for segment in template.split("/") if segment]


class Built:
    """A request ready to send, or the errors that stop it."""

    __slots__ = ("errors", "request")

    def __init__(self, request: Request, errors: list[dict]) -> None:
        self.request = request
        self.errors = errors


def build(
    operation: Operation,
    validator: OperationValidator,
    base_url: URL,
    params: dict | None,
    content: dict,
    generators: Mapping[str, Generator] | None = None,
    coerce: frozenset = DEFAULT_COERCE,
    agent: str = USER_AGENT,
) -> Built:
    """The request for one call (and its validation errors), as OpenAPI::Client builds it."""
    generators = GENERATORS if generators is None else generators
    for name, value in content.items():
        if name != "body" and name not in generators:
            raise UnknownContent(
                f"unknown content generator {name!r} for {operation.operation_id}; "
                f"expected one of: body, {', '.join(sorted(generators))}"
            )
        if name == "body" and value is not None and not isinstance(value, (str, bytes, bytearray)):
            raise UnknownContent("a raw body (content 'body') must be str or bytes; use json= for data")
    # OpenAPI::Client looks for the body among the content in this order: 'body',
    # then the registered generators sorted by name; what it validates is what we send.
    sources = ("body", *sorted(generators))
    params = perlify(params if params is not None else {})
    content = {
        name: (perlify(value, f"/{name}") if name != "body" else _raw_body_value(value))
        for name, value in content.items()
    }

    url = base_url.clone()
    url.path.parts += fill_path(operation.path, params)
    headers = Headers()
    for parameter in validator.parameters:
        if parameter.where == "query":
            url.query.param(parameter.key, query_values(params, parameter.key))
        elif parameter.where == "header":
            for value in query_values(params, parameter.key):
                headers.add(parameter.key, perl_str(value))

    body_exists = False
    if operation.request_body is not None:
        if "body" in params:
            content["json"] = params["body"]
            for other in [k for k in content if k not in ("json", "body")]:
                del content[other]  # deviation: Perl's pick among these depends on hash order
        else:
            for source in sources:
                if source in content:
                    params["body"] = content[source]
                    break
        body_exists = truthy(params.get("body"))

    errors = validator.validate(params, body_exists, coerce)
    if errors:  # OpenAPI::Client upper-cases the method of this local transaction only
        method = operation.method.upper()
        return Built(Request(method, url, env={"operationId": operation.operation_id}), errors)
    method = operation.method.upper()  # what the generators compare with ("GET", "HEAD")

    if "User-Agent" not in headers:
        headers.add("User-Agent", agent)
    if "Accept-Encoding" not in headers:
        headers.add("Accept-Encoding", "gzip")
    body = b""
    for source in sources:  # a defined raw body first, as build_tx takes it; then a generator
        value = content.get(source)
        if source == "body":
            if value is not None:
                body = value.encode("utf-8", "surrogatepass") if isinstance(value, str) else bytes(value)
                break
        elif source in content:
            body = generators[source](value, method, url, headers)
            break
    # Perl's $tx->req->method is the spec's own key ("post"); the wire says POST.
    return Built(Request(operation.method, url, headers, body, {"operationId": operation.operation_id}), [])


def _raw_body_value(value: Any) -> Any:
    """What is validated for a raw body (a string, as Perl sees it); bytes are sent as given."""
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    return perlify(value, "/body")


def _content_type(headers: Headers, value: str) -> None:
    if "Content-Type" not in headers:
        headers.add("Content-Type", value)


def json_generator(value: Any, method: str, url: URL, headers: Headers) -> bytes:
    """Mojo's ``json``: Mojo::JSON's bytes, ``application/json``."""
    _content_type(headers, "application/json")
    return encode_json(value)


def form_generator(value: Any, method: str, url: URL, headers: Headers) -> bytes:
    """Mojo's ``form``: urlencoded, the query for GET/HEAD, multipart with uploads."""
    if not isinstance(value, dict):
        raise UnknownContent("form expects a mapping of field names to values")
    return _form(value, method, url, headers)


def multipart_generator(value: Any, method: str, url: URL, headers: Headers) -> bytes:
    """Mojo's ``multipart``: the parts as given, ``multipart/mixed``."""
    if not isinstance(value, list):
        raise UnknownContent("multipart expects a list of parts")
    boundary = _boundary()
    _content_type(headers, f"multipart/mixed; boundary={boundary}")
    return _multipart(_parts(None, value), boundary)


GENERATORS: Mapping[str, Generator] = MappingProxyType(
    {"json": json_generator, "form": form_generator, "multipart": multipart_generator}
)


def _form(form: dict, method: str, url: URL, headers: Headers) -> bytes:
    """Mojo::UserAgent::Transactor's ``_form``: uploads force multipart/form-data."""
    uploads = any(
        isinstance(v, dict)
        for value in form.values()
        for v in (value if isinstance(value, list) else [value])
    )
    if uploads or "multipart/form-data" in (headers.header("Content-Type") or "").lower():
        parts = []
        for name in sorted(form):
            values = form[name]
            if values is None:
                continue
            parts += _parts(name, values if isinstance(values, list) else [values])
        boundary = _boundary()
        _content_type(headers, "multipart/form-data")
        content_type = headers.get("Content-Type") or ""
        if "boundary=" not in content_type:
            headers.set("Content-Type", f"{content_type}; boundary={boundary}")
        else:
            boundary = content_type.split("boundary=", 1)[1].split(";")[0].strip('"')
        return _multipart(parts, boundary)
    if method in ("GET", "HEAD"):
        for name in sorted(form):  # Mojo::Parameters' merge replaces same-named pairs
            value = form[name]
            url.query.param(name, [] if value is None else value if isinstance(value, list) else [value])
        return b""
    pairs = []
    for name in sorted(form):
        value = form[name]
        if isinstance(value, list):
            pairs += [(name, perl_str(v)) for v in value]
        elif value is not None:
            pairs.append((name, perl_str(value)))
    _content_type(headers, "application/x-www-form-urlencoded")
    return encode_pairs(pairs).encode("ascii")


def _parts(name: str | None, values: list) -> list[tuple[list[tuple[str, str]], bytes]]:
    """Mojo's ``_parts``: (headers, content) per value; a mapping is a file or a custom part."""
    parts = []
    for value in values:
        part_headers: dict[str, tuple[str, str]] = {}
        filename = None
        if isinstance(value, dict):
            value = dict(value)
            data = b""
            upload = value.pop("file", None)
            if truthy(upload):
                path = perl_str(upload)
                data = _read_upload(path)
                value.setdefault("filename", os.path.basename(path))
            elif value.get("content") is not None:
                data = _bytes(value.pop("content"))
            filename = value.pop("filename", None)
            for key, header in value.items():
                if header is not None:
                    part_headers.setdefault(key.lower(), (_canonical(key), perl_str(header)))
            if name is not None:
                shown = perl_str(filename) if filename is not None else name
                filename = shown.replace('"', "%22")
        else:
            data = _bytes(value)
        if name is not None and "content-disposition" not in part_headers:
            disposition = f'form-data; name="{name.replace(chr(34), "%22")}"'
            if filename is not None:
                disposition += f'; filename="{filename}"'
            part_headers["content-disposition"] = ("Content-Disposition", disposition)
        parts.append(([part_headers[key] for key in sorted(part_headers)], data))
    return parts


def _canonical(name: str) -> str:
    # Mojo::Headers prints the headers it knows in their usual case, others as first given.
    known = {"content-type": "Content-Type", "content-disposition": "Content-Disposition"}
    return known.get(name.lower(), name)


def _multipart(parts: list[tuple[list[tuple[str, str]], bytes]], boundary: str) -> bytes:
    """Mojo::Content::MultiPart's layout: CRLF everywhere, ``--boundary--`` to close."""
    out = bytearray()
    for part_headers, data in parts:
        out += f"--{boundary}\r\n".encode()
        for key, value in part_headers:
            out += f"{key}: {value}\r\n".encode("utf-8", "surrogatepass")
        out += b"\r\n" + data + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return bytes(out)


def _bytes(value: Any) -> bytes:
    return perl_str(value).encode("utf-8", "surrogatepass")


def _read_upload(path: str) -> bytes:
    # Deviation: Mojo::Asset::File creates a missing file and uploads it empty; a typo
    # in a path must not turn into an empty upload, so we fail, in Perl's words.
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as exc:
        raise UploadError(f'Can\'t open file "{path}": {exc.strerror}') from None
    except ValueError:  # a NUL in the path: Perl's open fails with ENOENT there
        raise UploadError(f'Can\'t open file "{path}": No such file or directory') from None


def _boundary() -> str:
    import secrets

    return secrets.token_urlsafe(12).replace("-", "x").replace("_", "y")
