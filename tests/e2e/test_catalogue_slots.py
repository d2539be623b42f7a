"""The fault catalogue of issue 16, part 3: request slots come back on the routes test_slots
does not cover (/v1/audio/speech with and without SSE, /process, the RealtimeTTS /ws socket,
Wyoming), after rejections and disconnects repeated more times than --max-requests; and
SIGTERM while audio streams on every transport. Which cases live in other files:
test_catalogue.py's docstring.
"""

import json
import socket
import unittest
import urllib.parse

from harness import (HOST, LectorServer, ServerTestCase, TtsStream, free_port, read_text, rms,
                     wait_for)
from wsclient import WsClient
from wyoming_client import WyomingClient, encode

LONG = "This sentence is long enough to keep a worker busy for a little while. " * 4


class SlotsOnEveryRouteTest(ServerTestCase):
    workers = 1
    MAX = 3
    REPEAT = MAX + 2

    @classmethod
    def _start_server(cls):
        cls.wyoming_port = free_port()
        cls.extra_args = ("--max-requests", str(cls.MAX), "--max-text-chars", "400",
                          "--cache-bytes", "0", "--wyoming-port", str(cls.wyoming_port))
        super()._start_server()

    def assert_every_slot_free(self):
        """MAX requests at once all get 200 (one leaked slot would make the last a 503), then
        the server is idle again."""
        wait_for(lambda: self.server.status()["requests_active"] == 0, 10,
                 what="every request slot to be free")
        streams = [self.server.stream({"text": LONG}) for _ in range(self.MAX)]
        try:
            for s in streams:
                self.assertEqual(s.read_head()[0], 200)
        finally:
            for s in streams:
                s.close()
        self.server.assert_idle()
        rate, pcm = self.server.tts_pcm({"text": "Still here."})
        self.assertGreater(rms(pcm), 300)

    def speech(self, body):
        return self.server.request("POST", "/v1/audio/speech", body=json.dumps(body).encode(),
                                   headers={"Content-Type": "application/json"})

    def test_openai_rejections_and_disconnects(self):
        for _ in range(self.REPEAT):
            self.assertEqual(self.speech({"input": "Hi.", "speed": 9})[0], 400)
            self.assertEqual(self.speech({"input": "Hi.", "voice": "nobody"})[0], 400)
            self.assertEqual(self.speech({"input": "x" * 4097})[0], 400)  # --openai-max-input
            for fmt, sse in (("wav", False), ("mp3", False), ("pcm", True)):
                body = {"input": LONG, "response_format": fmt}
                if sse:
                    body["stream_format"] = "sse"
                with self.server.stream_request("POST", "/v1/audio/speech", json.dumps(body).encode(),
                                                {"Content-Type": "application/json"}) as s:
                    self.assertEqual(s.read_head()[0], 200)
                    s.read_at_least(2000)
        self.assert_every_slot_free()

    def test_marytts_rejections_and_disconnects(self):
        for _ in range(self.REPEAT):
            self.assertEqual(self.server.request("GET", "/process?INPUT_TEXT=%FF")[0], 400)
            self.assertEqual(self.server.request("GET", "/process?INPUT_TEXT=Hi&VOICE=nope")[0], 400)
            self.assertEqual(self.server.request("POST", "/process", body=b"INPUT_TEXT=%zz")[0], 400)
            for audio in ("WAVE_FILE", "WAVE"):
                query = urllib.parse.urlencode({"INPUT_TEXT": LONG, "AUDIO": audio})
                with TtsStream(self.server.port, "/process?" + query) as s:
                    status, _ = s.read_head()
                    if audio == "WAVE":
                        self.assertEqual(status, 200)
                        s.read_at_least(2000)
            # WAVE_FILE waits for the whole text before its head: leaving before it also counts.
        self.assert_every_slot_free()

    def test_realtimetts_socket_errors_and_disconnects(self):
        for _ in range(self.REPEAT):
            with WsClient(self.server.port, "/ws") as ws:
                ws.send_binary(b"\x00")
                self.assertIn("error", json.loads(ws.recv()[1]))
                ws.send_text(LONG)
                binary, payload = ws.recv()
                self.assertIn("audioOutput", json.loads(payload))
            # Closed with the utterance still being spoken.
        self.assert_every_slot_free()

    def test_wyoming_errors_and_disconnects(self):
        for _ in range(self.REPEAT):
            with WyomingClient(self.wyoming_port, timeout=20) as c:
                c.send_raw(encode("synthesize", {"text": "Hi.", "voice": {"name": "espeak:xx"}}))
                self.assertEqual(c.recv().type, "error")
            with WyomingClient(self.wyoming_port, timeout=20) as c:
                c.synthesize(LONG, {"name": "espeak:en-us"})
                self.assertEqual(c.recv().type, "audio-start")
            with WyomingClient(self.wyoming_port, timeout=20) as c:
                c.send("synthesize-start", {"voice": {"name": "espeak:en-us"}})
                c.send("synthesize-chunk", {"text": LONG + " And then"})
                self.assertEqual(c.recv().type, "audio-start")
        self.assert_every_slot_free()


class SigtermWhileStreamingTest(unittest.TestCase):
    """SIGTERM with audio streaming on every transport: the server exits 0 (LectorServer.stop
    raises otherwise, and on any sanitizer report) and every client sees its connection end.
    The drain itself (streams ending complete, /readyz 503, new requests refused) is
    test_shutdown.py's; this one adds Wyoming and the three transports at once."""

    def test_exit_0_and_every_client_sees_the_end(self):
        wyoming_port = free_port()
        # The streams are held unread: the drain would wait its whole default 25 s for them.
        server = LectorServer(workers=2, extra_args=["--wyoming-port", str(wyoming_port),
                                                     "--drain-timeout", "1"]).start()
        clients = []
        try:
            text = read_text("long")
            tts = server.stream({"text": text})
            clients.append(tts)
            self.assertEqual(tts.read_head()[0], 200)
            tts.read_at_least(1000)
            ws = WsClient(server.port, "/v1/stream")
            clients.append(ws)
            ws.send_json({"type": "text", "text": text})
            ws.send_json({"type": "flush"})
            ws.recv()
            wy = WyomingClient(wyoming_port, timeout=20)
            clients.append(wy)
            wy.synthesize(text, {"name": "espeak:en-us"})
            self.assertEqual(wy.recv().type, "audio-start")
            # SIGTERM; raises unless the exit status is 0 and the log holds no sanitizer report.
            self.assertEqual(server.stop(), 0)
            for c in clients:
                c.sock.settimeout(15)
                with self.subTest(client=type(c).__name__):
                    # Reads until the end; a client left hanging would time out here.
                    with self.assertRaises((ConnectionError, EOFError)) as ended:
                        while True:
                            if not c.sock.recv(65536):
                                raise EOFError
                    self.assertNotIsInstance(ended.exception, socket.timeout)
        finally:
            for c in clients:
                c.sock.close()
            server.stop()  # a no-op once stopped


if __name__ == "__main__":
    unittest.main()
