#!/usr/bin/env python3
"""Upload a file for the assistants, list the files of that purpose, then delete
the one just uploaded.

    python files.py PATH [PURPOSE]

Ported from files.pl.
"""

import os
import sys

from openapi_client_openai import OpenAI


def main(argv):
    if not argv:
        sys.exit(f"usage: {sys.argv[0]} PATH [PURPOSE]")
    path = argv[0]
    purpose = argv[1] if len(argv) > 1 else "assistants"
    if not os.access(path, os.R_OK):
        sys.exit(f"cannot read {path}")

    client = OpenAI()

    tx = client.createFile({}, file_upload={"file": path, "purpose": purpose})
    if tx.error:
        sys.exit(f"upload failed: {tx.res.json('/error/message') or tx.error['message']}")
    file = tx.res.json()
    print(f"uploaded {path} as {file['id']} ({file['bytes']} bytes, {file['status']})")

    tx = client.listFiles(purpose=purpose, limit=100, order="desc")
    if tx.error:
        sys.exit(f"list failed: {tx.error['message']}")
    files = tx.res.json("/data")
    print(f"{len(files)} file(s) for {purpose}:")
    for entry in files:
        print(f"  {entry['id']:<24} {entry['bytes']:>10}  {entry['filename']}")

    tx = client.deleteFile(file_id=file["id"])
    if tx.error:
        print(f"could not delete {file['id']}: {tx.error['message']}")
        sys.exit(1)
    print(f"deleted {file['id']}" if tx.res.json("/deleted") else f"{file['id']} was not deleted")


if __name__ == "__main__":
    main(sys.argv[1:])
