"""A loopback HTTP server that answers every request after a delay, and counts connections.

    python bench/probes/slow_server.py DELAY_SECONDS   # prints its port, serves until killed

Any path answers with a run object after DELAY_SECONDS (keep-alive kept); ``GET
/__stats`` answers at once with ``{"connections": N}`` (connections accepted since the
last ``GET /__reset``). The stand-in for OpenAI's slow answers in the concurrency
benchmark; asyncio, so a thousand waiting requests cost it nothing.
"""

from __future__ import annotations

import asyncio
import json
import sys

RUN = json.dumps({"id": "run_abc123", "object": "thread.run", "status": "completed"}).encode()


def reply(body: bytes) -> bytes:
    head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    return head.encode() + body


class Server(asyncio.Protocol):
    connections = 0

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.buffer = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        Server.connections += 1
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while b"\r\n\r\n" in self.buffer:
            head, _, rest = self.buffer.partition(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            if len(rest) < length:
                return
            self.buffer = rest[length:]
            target = head.split(b" ", 2)[1]
            if target == b"/__stats":
                self.transport.write(reply(json.dumps({"connections": Server.connections}).encode()))
            elif target == b"/__reset":
                Server.connections = 0
                self.transport.write(reply(b"{}"))
            else:
                asyncio.get_running_loop().call_later(self.delay, self._answer)

    def _answer(self) -> None:
        if not self.transport.is_closing():
            self.transport.write(reply(RUN))


async def main(delay: float) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: Server(delay), "127.0.0.1", 0, backlog=4096)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(float(sys.argv[1])))
