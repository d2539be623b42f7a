"""Request slots come back and workers stay isolated: regression tests for two defects found by
trying the server as a new user would (issue 8).

1. A rejected text upload kept its request slot for ever: with --max-requests 3, the fourth bad
   upload got 503 and so did every request after it.
2. Respawned workers inherited the server's sockets (its listening socket and open client
   connections), so a hung worker kept ports and clients alive.
"""

import os
import socket
import time
import unittest

from harness import HOST, ServerTestCase, wait_for
from wsclient import WsClient


class RejectedRequestsFreeTheirSlots(ServerTestCase):
    workers = 1
    MAX = 3
    extra_args = ("--max-requests", str(MAX), "--max-text-chars", "200")

    def upload(self, body, content_type="text/plain"):
        return self.server.request("POST", "/tts", body=body,
                                   headers={"Content-Type": content_type})

    def assert_slots_free(self):
        st = wait_for(lambda: (lambda s: s if s["requests_active"] == 0 else None)(self.server.status()),
                      10, what="every request slot to be free")
        self.assertEqual(st["requests_active"], 0)
        rate, pcm = self.server.tts_pcm({"text": "Still here."})
        self.assertGreater(len(pcm), 0)

    def test_bad_uploads_more_times_than_the_limit(self):
        cases = [
            (b"caf\xff", "not valid UTF-8"),
            (b"Hello \xc3", "not valid UTF-8"),          # truncated at the end of the body
            ("x" * 201, "too long"),
            (b"   ", "empty"),
        ]
        for body, problem in cases:
            for _ in range(self.MAX + 2):
                status, headers, data = self.upload(body)
                self.assert_error((status, headers, data), 400, contains=problem)
        self.assert_slots_free()

    def test_rejections_on_every_route_more_times_than_the_limit(self):
        for _ in range(self.MAX + 2):
            self.assert_error(self.server.tts({"text": "hi", "speed": "9"}), 400, contains="speed")
            self.assert_error(self.server.tts({"text": "hi", "voice": "nope"}), 400, contains="voice")
            self.assert_error(self.upload(b'{"text": [1]}', "application/json"), 400)
            self.assert_error(self.server.request("POST", "/tts?text=x", body=b"y",
                                                  headers={"Content-Type": "text/plain"}), 400,
                              contains="both")
        self.assert_slots_free()

    def test_websocket_errors_and_disconnects_free_their_slots(self):
        for _ in range(self.MAX + 2):
            with WsClient(self.server.port, "/v1/stream") as ws:
                ws.send_json({"type": "text", "text": "A sentence that is started. And another"})
                ws.send_json({"type": "bogus"})
                while True:
                    kind, event = ws.recv_event()
                    if kind == "event" and event["type"] == "error":
                        break
                self.assertEqual(event["code"], "bad_parameter")
            # The socket closed with an utterance open: its request must be cancelled.
        self.assert_slots_free()

    def test_disconnect_mid_stream_more_times_than_the_limit(self):
        text = "This sentence is long enough to keep a worker busy for a while. " * 3
        for _ in range(self.MAX + 2):
            with self.server.stream({"text": text}) as s:
                status, _ = s.read_head()
                self.assertEqual(status, 200)
                s.read_at_least(1000)
        self.assert_slots_free()


class RejectedUploadAnswersAtOnce(ServerTestCase):
    """A text upload rejected at its first bytes while the rest of its body is already in the
    server's socket buffer: the answer is a 400, every time. (The writer used to cancel the
    body watcher's read, which misses a read that has already completed; the watcher then read
    again and the response waited for ever — seen about once in a few tries.)"""
    workers = 1

    def test_many_times(self):
        body = b"\xff" + b"a" * 1000
        for _ in range(30):
            with socket.create_connection((HOST, self.server.port), timeout=10) as s:
                s.sendall(b"POST /tts HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
                          b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
                head = b""
                while b"\r\n\r\n" not in head:
                    chunk = s.recv(4096)  # a hang fails here with socket.timeout
                    if not chunk:
                        break
                    head += chunk
                self.assertTrue(head.startswith(b"HTTP/1.1 400 "), head[:200])


class StalledWebSocketReaderIsCutOff(ServerTestCase):
    """A /v1/stream client that stops reading is disconnected after --write-timeout, and its
    request's slot comes back (it used to wait for Beast's 300 s idle timeout)."""
    workers = 1
    extra_args = ("--write-timeout", "1", "--max-buffered-bytes", "65536")

    def test_slot_comes_back(self):
        ws = WsClient(self.server.port, "/v1/stream")
        try:
            ws.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            text = " ".join(["This sentence is spoken again and again."] * 60)
            ws.send_json({"type": "text", "text": text})
            ws.send_json({"type": "flush"})
            wait_for(lambda: self.server.status()["requests_active"] == 1, 10,
                     what="the utterance to start")
            # Never read: the server's writes stall, and past the timeout it closes.
            wait_for(lambda: self.server.status()["requests_active"] == 0, 20,
                     what="the stalled WebSocket to be cut off")
        finally:
            ws.sock.close()


class WorkersHoldOnlyTheirOwnSocket(ServerTestCase):
    workers = 2

    def fds_of(self, pid):
        """{fd number: link target} of a process."""
        out = {}
        for name in os.listdir(f"/proc/{pid}/fd"):
            try:
                out[int(name)] = os.readlink(f"/proc/{pid}/fd/{name}")
            except OSError:
                pass
        return out

    def assert_only_own_socket(self, pid):
        """The worker's only socket is fd 3 (files the engine opens itself may come and go)."""
        fds = self.fds_of(pid)
        sockets = {fd: target for fd, target in fds.items()
                   if fd != 3 and target.startswith("socket:")}
        self.assertEqual(sockets, {}, f"worker {pid} holds sockets besides its own (fd 3)")
        self.assertTrue(fds.get(3, "").startswith("socket:"), f"worker {pid} fd 3: {fds.get(3)}")

    def test_initial_and_respawned_workers(self):
        for pid in self.server.worker_pids():
            self.assert_only_own_socket(pid)
        # Open client connections while the worker respawns: it must inherit none of them.
        clients = [socket.create_connection((HOST, self.server.port)) for _ in range(3)]
        try:
            victim = self.server.worker_pids()[0]
            os.kill(victim, 9)

            def respawned():
                st = self.server.status()
                pids = [w["pid"] for w in st["workers"] if w["state"] == "idle"]
                return pids if len(pids) == 2 and victim not in pids else None
            pids = wait_for(respawned, 15, what="the killed worker to be respawned")
            for pid in pids:
                self.assert_only_own_socket(pid)
        finally:
            for c in clients:
                c.close()


if __name__ == "__main__":
    unittest.main()
