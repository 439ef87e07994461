"""The porting corpus: public Perl programs that use OpenAPI::Client::OpenAI, OpenAPI::Client,
or Mojo::UserAgent against OpenAI, and the idioms each one uses.

The programs were read in place (found with the code search, fetched as snapshots)
and are named here by repository and path; none of their code is in this project.
Each idiom is a test in this package named ``test_<idiom>``, which states the Perl
idiom and checks its Python translation; ``test_corpus.py`` keeps this table and
the tests in step and ``python -m tests.porting.corpus`` prints the figures.
"""

from __future__ import annotations

from typing import NamedTuple


class Program(NamedTuple):
    source: str  # "owner/repo:path", or the address of the article it comes from
    uses: str  # what it is, in a few words
    idioms: tuple[str, ...]


OPENAI_MODULE = "nferraz/perl-openapi-client-openai"
OPENAPI_CLIENT = "jhthorsen/openapi-client"
LENDERX = "iamb/lenderxdemo"

PROGRAMS = (
    Program(
        f"{OPENAI_MODULE}:examples/chat.pl",
        "the module's chat example",
        ("construct_default", "call_with_body", "res_is_success", "res_json_deref", "res_dump"),
    ),
    Program(
        f"{OPENAI_MODULE}:examples/describe-image.pl",
        "image description (Moo class)",
        ("construct_default", "call_with_body", "res_is_success", "res_json_deref", "res_to_string"),
    ),
    Program(
        f"{OPENAI_MODULE}:examples/get-embeddings.pl",
        "embeddings",
        ("construct_default", "call_with_body", "res_is_success", "content_asset_slurp", "res_dump"),
    ),
    Program(
        f"{OPENAI_MODULE}:examples/transcribe-audio.pl",
        "audio transcription",
        (
            "construct_default",
            "ua_inactivity_timeout",
            "file_upload",
            "res_is_success",
            "content_asset_slurp",
            "res_dump",
        ),
    ),
    Program(
        f"{OPENAI_MODULE}:examples/translate.pl",
        "CSV translation with rate-limit headers",
        ("construct_default", "call_with_body", "result_is_success_json", "ratelimit_headers", "res_dump"),
    ),
    Program(
        f"{OPENAI_MODULE}:t/lib/OpenAITests.pm",
        "the module's live test driver",
        ("construct_default", "call_dynamic_name", "res_json_deref"),
    ),
    Program(
        f"{OPENAI_MODULE}:t/list_assistants.t",
        "the assistants header",
        ("construct_assistants", "call_dynamic_name", "res_json_deref"),
    ),
    Program(
        "cosmaname/aisubtitles:atranscribe.pm",
        "subtitle transcription",
        (
            "construct_default",
            "ua_inactivity_timeout",
            "file_upload",
            "result_is_success_json",
            "content_asset_slurp",
            "res_dump",
        ),
    ),
    Program(
        "cosmaname/aisubtitles:aimage.pm",
        "image description",
        ("construct_default", "call_with_body", "res_json_deref"),
    ),
    Program(
        "cosmaname/aisubtitles:atranslate.pm",
        "subtitle translation",
        (
            "construct_default",
            "ua_inactivity_timeout",
            "call_with_body",
            "result_is_success_json",
            "res_dump",
        ),
    ),
    Program(
        "davorg/git-month-summary:lib/App/GitSummarise.pm",
        "monthly git summaries",
        ("construct_default", "call_with_body", "res_is_success", "res_body_decode", "res_json_deref"),
    ),
    Program(
        "nferraz/babyagi-perl:lib/BabyAGI.pm",
        "BabyAGI port",
        ("construct_default", "call_snake_case", "res_json_deref"),
    ),
    Program(
        "Ovid/ovid.github.com:lib/Ovid/Site/AI/Images.pm",
        "alt text for a web site",
        ("construct_default", "call_with_body", "res_is_success", "res_json_deref", "res_to_string"),
    ),
    Program(
        "https://curtispoe.org/articles/an-openai-chatbot-in-perl.html",
        "chatbot class from the article",
        ("construct_default", "call_with_body", "res_is_success", "res_json_deref", "res_to_string"),
    ),
    Program(
        f"{OPENAPI_CLIENT}:t/base-url.t",
        "OpenAPI::Client's base_url tests",
        (
            "construct_client_from_spec",
            "base_url_isa_url",
            "base_url_equals_string",
            "base_url_chain_host_path",
            "base_url_replace",
        ),
    ),
    Program(
        f"{OPENAPI_CLIENT}:t/client.t",
        "OpenAPI::Client's client tests",
        (
            "construct_client_from_spec",
            "base_url_host_port",
            "invalid_input_error",
            "invalid_input_method",
            "req_url_query_param",
            "remote_address",
            "callback_form",
            "promise_wait",
            "call_by_name",
            "call_unknown_by_name",
            "call_p_then",
            "call_p_unknown_rejects",
            "res_json_deref",
        ),
    ),
    Program(
        f"{OPENAPI_CLIENT}:t/path-templating.t",
        "path parameters",
        ("construct_client_from_spec", "res_json_deref", "promise_wait"),
    ),
    Program(
        f"{OPENAPI_CLIENT}:t/json-request.t",
        "JSON bodies, a cleared base URL",
        ("construct_client_from_spec", "base_url_clear_host", "req_header_content_type", "promise_wait"),
    ),
    Program(
        f"{OPENAPI_CLIENT}:lib/Mojolicious/Command/openapi.pm",
        "the `mojo openapi` command",
        (
            "construct_client_from_spec",
            "can_operation",
            "ua_proxy_detect",
            "ua_attributes_loop",
            "content_on_body",
            "call_by_name",
            "invalid_input_error",
            "res_json_pointer",
            "validator_bundle_data",
            "validator_routes",
            "validator_get_operation",
            "build_start_line",
            "req_headers_to_string",
            "base_url_equals_string",
        ),
    ),
    Program(
        "UCLOrengoGroup/genome3d-openapi-client:lib/Genome3D/Api/Client.pm",
        "a command-line API client",
        (
            "construct_client_from_spec",
            "base_url_set_host",
            "validator_routes",
            "ua_unsubscribe_start",
            "ua_start_event_header",
            "ua_raw_requests",
            "unknown_operation_dies",
            "req_url_printed",
            "req_headers_to_string",
            "res_is_error",
            "res_body_decode",
            "result_is_error_message",
        ),
    ),
    Program(
        f"{LENDERX}:lib/LenderXDemo/Client.pm",
        "an OpenAPI::Client subclass with OAuth",
        (
            "ua_proxy_detect",
            "ua_transactor_name",
            "after_build_tx_header",
            "url_userinfo",
            "ua_raw_requests",
            "result_is_error_message",
            "res_json_undef_for_non_json",
            "invalid_input_error",
        ),
    ),
    Program(
        f"{LENDERX}:lib/LenderXDemo/Command/subscriptions.pm",
        "a command over the client",
        (
            "construct_client_from_spec",
            "no_argument_call",
            "empty_params_with_content",
            "result_is_error_message",
            "res_body_decode",
        ),
    ),
    Program(
        f"{LENDERX}:lib/LenderXDemo/Controller/Demo.pm",
        "a web controller over the client",
        (
            "no_argument_call",
            "empty_params_with_content",
            "result_is_error_message",
            "url_clone_trailing_slash_merge",
            "ua_raw_requests",
        ),
    ),
    Program(
        "graphql-perl/GraphQL-Plugin-Convert-OpenAPI:lib/GraphQL/Plugin/Convert/OpenAPI.pm",
        "GraphQL over OpenAPI::Client",
        (
            "construct_client_from_data",
            "call_p_then",
            "res_is_error",
            "res_body_decode",
            "validator_bundle_data",
        ),
    ),
    Program(
        "nferraz/perl-openapi-client-pinecone:lib/OpenAPI/Client/Pinecone.pm",
        "a sibling client module",
        ("ua_start_event_header", "base_url_replace", "call_snake_case", "res_json_deref"),
    ),
    Program(
        "nferraz/perl-openapi-client-pinecone:t/list_collections.t",
        "its test",
        ("no_argument_call", "res_isa_response", "res_body_decode"),
    ),
    Program(
        "Getty/langertha-skeid:examples/skeid-parallel-smoke.pl",
        "Mojo::UserAgent load test of an OpenAI-compatible endpoint",
        ("ua_post_p_then_catch", "res_code_default", "res_is_success", "res_json_deref", "res_body_decode"),
    ),
    Program(
        "Getty/langertha-skeid:t/23-proxy-stream.t",
        "streamed chat completions through Mojo::UserAgent",
        ("streaming_read_event", "res_header_named"),
    ),
    Program(
        "chu-shen/LANraragi:lib/LANraragi/Plugin/Metadata/TranslateTitleByAI.pm",
        "Mojo::UserAgent POST to OpenAI",
        ("ua_post_json", "transport_error_code_undef", "res_json_deref"),
    ),
)


def idioms() -> dict[str, list[str]]:
    """Each idiom and the programs that use it."""
    found: dict[str, list[str]] = {}
    for program in PROGRAMS:
        for idiom in program.idioms:
            found.setdefault(idiom, []).append(program.source)
    return found


def pending() -> set[str]:
    """Idioms whose tests are strict xfails (waiting for other work), read from the test files."""
    import ast
    from pathlib import Path

    found = set()
    for path in Path(__file__).resolve().parent.glob("test_*.py"):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.FunctionDef) and any(
                "xfail" in ast.unparse(d) for d in node.decorator_list
            ):
                found.add(node.name.removeprefix("test_"))
    return found


if __name__ == "__main__":
    waiting = pending()
    whole = [p for p in PROGRAMS if not set(p.idioms) & waiting]
    print(
        f"{len(PROGRAMS)} programs, {len(idioms())} idioms; {len(idioms()) - len(waiting)} idioms work, "
        f"{len(waiting)} wait for other work; {len(whole)} programs port with every idiom working"
    )
    for idiom, sources in sorted(idioms().items()):
        mark = "pending" if idiom in waiting else "works"
        print(f"{idiom:32} {mark:8} {len(sources):2}  {', '.join(sources)}")
