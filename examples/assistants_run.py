#!/usr/bin/env python3
"""Ask an assistant one question: a thread holding the question, a run of the
assistant on it, polled until it is done, then the thread's messages in order.

    python assistants_run.py ASSISTANT_ID ["question"]
    (POLL_SECONDS sets the pause between polls, 1 by default)

Ported from assistants_run.pl.
"""

import os
import sys
import time

from openapi_client_openai import OpenAI

MAX_POLLS = 120
UNFINISHED = {"queued", "in_progress", "cancelling"}


def check(tx, what):
    err = tx.error
    if err is None:
        return
    detail = tx.res.json("/error/message") or err["message"]
    sys.exit(f"{what} failed: {detail}")


def main(argv):
    if not argv:
        sys.exit(f"usage: {sys.argv[0]} ASSISTANT_ID [QUESTION]")
    assistant_id = argv[0]
    question = argv[1] if len(argv) > 1 else "How does AI work? Explain it in simple terms."
    poll_seconds = float(os.environ.get("POLL_SECONDS", 1))

    client = OpenAI(assistants=True)

    tx = client.createThread(body={"messages": [{"role": "user", "content": question}]})
    check(tx, "createThread")
    thread_id = tx.res.json("/id")
    print(f"thread {thread_id}")

    tx = client.createRun(thread_id=thread_id, body={"assistant_id": assistant_id})
    check(tx, "createRun")
    run = tx.res.json()
    print(f"run {run['id']}: {run['status']}")

    polls = 0
    while run["status"] in UNFINISHED:
        polls += 1
        if polls > MAX_POLLS:
            sys.exit(f"run {run['id']} is still {run['status']} after {MAX_POLLS} polls")
        time.sleep(poll_seconds)
        tx = client.getRun(thread_id=thread_id, run_id=run["id"])
        check(tx, "getRun")
        run = tx.res.json()
        print(f"run {run['id']}: {run['status']}")
    if run["status"] != "completed":
        sys.exit(f"run {run['id']} ended {run['status']}")

    tx = client.listMessages(thread_id=thread_id, order="asc", limit=20)
    check(tx, "listMessages")
    for message in tx.res.json("/data") or []:
        for part in message["content"]:
            if part["type"] == "text":
                print(f"{message['role']}: {part['text']['value']}")


if __name__ == "__main__":
    main(sys.argv[1:])
