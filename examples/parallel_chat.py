#!/usr/bin/env python3
"""Several chat completions at once: one promise per prompt, all awaited
together, answers printed in the order of the prompts.

    python parallel_chat.py ["prompt" ...]

Ported from parallel_chat.pl.
"""

import sys

from openapi_client_openai import OpenAI, Promise, PromiseRejected

MODEL = "gpt-4o-mini"


def transaction_of(result):
    # Promise.all resolves as Mojo::Promise->all does, one list per promise ([tx]);
    # releases before that gave the transaction itself. Drop this once they are gone.
    return result[0] if isinstance(result, (list, tuple)) else result


def main(argv):
    prompts = argv or ["Name a colour.", "Name a fruit.", "Name a planet."]
    client = OpenAI()
    client.inactivity_timeout = 120

    promises = [
        client.createChatCompletion_p(
            body={"model": MODEL, "messages": [{"role": "user", "content": prompt}], "n": 1}
        )
        for prompt in prompts
    ]

    status = 0
    try:
        results = Promise.all(promises).wait()
    except PromiseRejected as exc:
        print(f"a request failed: {exc.reason}")
        status = 2
    else:
        for prompt, result in zip(prompts, results):
            tx = transaction_of(result)
            err = tx.error
            if err is not None:
                print(f"{prompt} => error {tx.res.json('/error/message') or err['message']}")
                status = 1
                continue
            print(f"{prompt} => {tx.res.json('/choices/0/message/content')}")

    print(f"{len(prompts)} prompts answered")
    return status


if __name__ == "__main__":
    sys.stdout.reconfigure(encoding="utf-8")
    sys.exit(main(sys.argv[1:]))
