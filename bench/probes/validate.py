"""Validation alone, from Python: the operation validators the client uses, no request built.

    BENCH_CHAT_BODY='{...}' python validate.py SPEC WARMUP CALLS

Times ``OperationValidator.validate`` for a modifyRun request and for a
createChatCompletion request whose body is ``$BENCH_CHAT_BODY``, interleaved.
The params are made Perl-shaped once (``perlify``, the copy every call makes
before validating), as Perl's getters hand JSON::Validator the caller's data.
Prints one JSON object: the microseconds of each timed validation.
"""

from __future__ import annotations

import json
import os
import sys
import time

from openapi_client_openai import OpenAI
from openapi_client_openai.perl_data import perlify
from openapi_client_openai.validation import OperationValidator, SchemaValidator


def main() -> None:
    spec, warmup, calls = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    client = OpenAI(spec)
    schemas = SchemaValidator(client.spec)
    cases = {
        "createChatCompletion": {"body": json.loads(os.environ["BENCH_CHAT_BODY"])},
        "modifyRun": {
            "thread_id": "thread_abc123",
            "run_id": "run_abc123",
            "body": {"metadata": {"user_id": "user_abc123"}},
        },
    }
    prepared = [
        (name, OperationValidator(client.operation(name), schemas), perlify(params))
        for name, params in cases.items()
    ]
    times: dict[str, list[float]] = {name: [] for name in cases}
    clock = time.perf_counter_ns
    for i in range(warmup + calls):
        for name, validator, params in prepared:
            start = clock()
            errors = validator.validate(params, True)
            spent = clock() - start
            if errors:
                raise SystemExit(f"{name}: {errors}")
            if i >= warmup:
                times[name].append(spent / 1000)
    json.dump({"peer": "python", **times}, sys.stdout)


if __name__ == "__main__":
    main()
