"""A fault-injecting TCP proxy for loopback tests, standard library only.

It sits between a node and the hub and, per connection, does what its ``mode`` says: ``pass`` (forward), ``drop``
(accept, close at once), ``reset`` (accept, read the request, reset the connection), ``stall`` (read the request, never
answer), ``truncate`` (forward the request, return only the first bytes of the reply), ``slow`` (2G-like: 300 ms
latency each way and about 30 KB/s), or ``flaky`` (one of those at random per connection).
"""

from __future__ import annotations

import contextlib
import random
import socket
import struct
import threading
import time

BAD_MODES = ("drop", "reset", "stall", "truncate")


class FaultProxy:
    def __init__(self, target_port: int, seed: int = 1):
        self.target_port = target_port
        self.mode = "pass"
        self.rnd = random.Random(seed)
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.open_sockets: list[socket.socket] = []
        self.running = True
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self.running = False
        self.server.close()
        for sock in self.open_sockets:
            sock.close()

    def _accept(self) -> None:
        while self.running:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            mode = self.mode if self.mode != "flaky" else self.rnd.choice([*BAD_MODES, "pass", "slow"])
            threading.Thread(target=self._handle, args=(client, mode), daemon=True).start()

    def _handle(self, client: socket.socket, mode: str) -> None:
        self.open_sockets.append(client)
        try:
            if mode == "drop":
                return
            if mode in ("reset", "stall"):
                client.recv(65536)
                if mode == "reset":
                    client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                else:
                    time.sleep(30)
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            self.open_sockets.append(upstream)
            delay, rate = (0.3, 30_000) if mode == "slow" else (0.0, 0)
            limit = self.rnd.randint(1, 400) if mode == "truncate" else None
            threading.Thread(target=self._pipe, args=(client, upstream, delay, rate, None), daemon=True).start()
            self._pipe(upstream, client, delay, rate, limit)
        except OSError:
            pass
        finally:
            client.close()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket, delay: float, rate: int, limit: int | None) -> None:
        sent = 0
        first = True
        try:
            while True:
                data = source.recv(16384)
                if not data:
                    break
                if first and delay:
                    time.sleep(delay)
                first = False
                if limit is not None:
                    data = data[: max(0, limit - sent)]
                sink.sendall(data)
                sent += len(data)
                if rate:
                    time.sleep(len(data) / rate)
                if limit is not None and sent >= limit:
                    break
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
