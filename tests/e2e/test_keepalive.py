"""Keep-alive reuse: a client (or a proxy such as nginx with upstream keepalive) that sends its
next request on the same connection the moment it has the previous response's last chunk is
answered every time. The server's disconnect watcher is still reading while the last chunk
goes out; bytes it reads then are the next request and must not be lost (they were: the
session then waited for a request that had already come, and the client hung)."""

import socket
import time
import unittest

from harness import HOST, ServerTestCase

ROUNDS = 600
ROUND_TIMEOUT = 10


class KeepAliveReuseTest(ServerTestCase):
    workers = 2

    def test_back_to_back_requests_on_one_connection(self):
        started = time.monotonic()
        with socket.create_connection((HOST, self.server.port), timeout=ROUND_TIMEOUT) as s:
            for i in range(ROUNDS):
                # Unique texts: a cached answer is written at once, which narrows the window.
                s.sendall(f"GET /tts?text=Round%20{i} HTTP/1.1\r\nHost: lector\r\n\r\n".encode())
                got = b""
                try:
                    while not got.endswith(b"\r\n0\r\n\r\n"):
                        data = s.recv(65536)
                        self.assertTrue(data, f"round {i}: the server closed the connection")
                        got += data
                except socket.timeout:
                    self.fail(f"round {i}: no complete answer within {ROUND_TIMEOUT} s "
                              f"({len(got)} bytes came) after {i} answered rounds")
                self.assertTrue(got.startswith(b"HTTP/1.1 200 "), got[:100])
        self.assertLess(time.monotonic() - started, 120)


if __name__ == "__main__":
    unittest.main()
