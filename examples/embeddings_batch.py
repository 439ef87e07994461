#!/usr/bin/env python3
"""Embed every line of a text file, a few lines per request, and print one
summary line per text: its number, the vector's length and first value.

    python embeddings_batch.py FILE [BATCH_SIZE]

Ported from embeddings_batch.pl.
"""

import sys

from openapi_client_openai import OpenAI

MODEL = "text-embedding-3-small"


def main(argv):
    if not argv:
        sys.exit(f"usage: {sys.argv[0]} FILE [BATCH_SIZE]")
    path = argv[0]
    batch_size = int(argv[1]) if len(argv) > 1 else 3

    with open(path, encoding="utf-8") as handle:
        texts = [line.rstrip("\n") for line in handle if line.strip()]

    client = OpenAI()
    requests = tokens = 0

    for start in range(0, len(texts), batch_size):
        batch = texts[start : start + batch_size]
        tx = client.createEmbedding(
            body={"model": MODEL, "input": batch, "encoding_format": "float", "dimensions": 256}
        )
        requests += 1
        err = tx.error
        if err is not None:
            sys.exit(f"batch {requests} failed: {tx.res.json('/error/message') or err['message']}")
        result = tx.res.json()
        for item in result["data"]:
            vector = item["embedding"]
            first = vector[0] if vector else 0
            text = batch[item["index"]] if item["index"] < len(batch) else "?"
            print(
                f"batch {requests} item {item['index']}: {len(vector)} dimensions, first {first:.6f} ({text})"
            )
        tokens += result["usage"].get("total_tokens") or 0
    print(f"{requests} requests, {tokens} tokens")


if __name__ == "__main__":
    sys.stdout.reconfigure(encoding="utf-8")
    main(sys.argv[1:])
