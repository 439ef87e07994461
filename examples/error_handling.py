#!/usr/bin/env python3
"""The three ways a call can go wrong, and how a program tells them apart:
input the spec rejects (a local 400, nothing sent), an error from the API
(here a 404 for an empty thread id), and a call the client cannot make at all.

    python error_handling.py [THREAD_ID]

Ported from error_handling.pl.
"""

import os
import sys

from openapi_client_openai import NoSuchOperation, OpenAI

failures = 0


def report(what, tx):
    global failures
    err = tx.error
    if not err:
        print(f"{what}: ok, {tx.res.code} {tx.res.json('/object') or ''}")
        return
    failures += 1
    if not err.get("code"):
        print(f"{what}: no response: {err['message']}")
        return
    errors = tx.res.json("/errors")
    if errors:  # the local 400 of invalid input
        details = "; ".join(f"{e['path']} {e['message']}" for e in errors)
        print(f"{what}: {err['code']} {err['message']}: {details}")
        return
    detail = tx.res.json("/error/message") or "no details"
    print(f"{what}: {err['code']} {err['message']}: {detail}")


def main(argv):
    global failures
    thread_id = argv[0] if argv else os.environ.get("THREAD_ID", "")  # empty: the classic unset variable
    client = OpenAI(assistants=True)

    report("retrieveModel without a model", client.retrieveModel({}))
    report(
        "createEmbedding with a bad body",
        client.createEmbedding(body={"model": "text-embedding-3-small", "input": "x", "dimensions": "many"}),
    )
    report(f"listMessages of thread '{thread_id}'", client.listMessages(thread_id=thread_id, limit=5))
    report("listModels", client.listModels())

    try:
        client.call("retrieveAnything", {"id": 1})
    except NoSuchOperation as exc:
        print(f"call retrieveAnything: died: {exc}")
        failures += 1

    print(f"{failures} call(s) failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
