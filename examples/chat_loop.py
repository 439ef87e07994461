#!/usr/bin/env python3
"""A chat on standard input: each line is sent with the conversation so far, and
the answer is printed and remembered. "quit" or the end of input stops it.

    python chat_loop.py [MODEL] < questions.txt

Ported from chat_loop.pl.
"""

import re
import sys

from openapi_client_openai import OpenAI


def main(argv):
    model = argv[0] if argv else "gpt-4o-mini"
    client = OpenAI()
    messages = [{"role": "system", "content": "You are a helpful assistant. Answer briefly."}]

    for line in sys.stdin:
        line = line.rstrip("\n")
        if not line.strip():
            continue
        if re.fullmatch(r"\s*(?:quit|exit)\s*", line, re.IGNORECASE):
            break

        messages.append({"role": "user", "content": line})
        tx = client.createChatCompletion(body={"model": model, "messages": messages, "temperature": 0.2})
        err = tx.error
        if err is not None:
            detail = tx.res.json("/error/message") or err["message"]
            print(f"(no answer: {detail})")
            messages.pop()  # forget the question, so the next one can go on
            continue
        reply = tx.res.json("/choices/0/message")
        messages.append({"role": reply["role"], "content": reply["content"]})
        print(f"you: {line}\nassistant: {reply['content']}")
    print(f"{len(messages) - 1} messages exchanged")


if __name__ == "__main__":
    sys.stdin.reconfigure(encoding="utf-8")
    sys.stdout.reconfigure(encoding="utf-8")
    main(sys.argv[1:])
