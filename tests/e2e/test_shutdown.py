"""Graceful shutdown: on SIGTERM /readyz turns 503 at once, new synthesis gets 503 with
Retry-After, probes still answer, running streams (HTTP and WebSocket) finish, and the server
exits 0; a stream still running at --drain-timeout is cut there, and the exit is still 0.
The test engine `tone` holds a segment with `[delay:MS]`, so the streams are provably running
when the signal comes."""

import json
import signal
import time
import unittest

from harness import LectorServer, parse_wav, tts_path, wait_for
from test_tone import RATE, WORD_BYTES, tone_built
from wsclient import WsClient, WsClosed


class Draining:
    """A LectorServer the test itself signals; cleans up whatever happens."""

    def __init__(self, drain_timeout):
        self.server = LectorServer(workers=2, engines="espeak,tone",
                                   extra_args=["--drain-timeout", str(drain_timeout)])

    def __enter__(self):
        return self.server.start()

    def __exit__(self, *exc):
        s = self.server
        if s.proc is not None:
            if s.proc.poll() is None:
                s.proc.kill()
                s.proc.wait()
            s._kill()
            s._discard_log()
            s.proc = None


def exit_status(server, timeout=15):
    return server.proc.wait(timeout=timeout)


@unittest.skipUnless(tone_built(), "this lector was built without LECTOR_TEST_ENGINE")
class ShutdownTest(unittest.TestCase):
    def test_running_streams_finish_while_new_work_is_refused(self):
        with Draining(drain_timeout=20) as s:
            status, _, body = s.get_json("/readyz")
            self.assertEqual(status, 200)
            self.assertEqual(body["status"], "ready")
            # Live workers per engine: at least the first of each (the second may still start).
            self.assertEqual(sorted(body["engines"]), ["espeak", "tone"])
            self.assertTrue(all(1 <= n <= 2 for n in body["engines"].values()), body)

            # An HTTP stream and a WebSocket utterance, each held by a delay mid-text.
            stream = s.stream({"voice": "tone:tone", "text": "One two. [delay:3000] Three four."})
            status, _ = stream.read_head()
            self.assertEqual(status, 200)
            first = stream.read_at_least(44 + 2 * WORD_BYTES)
            ws = WsClient(s.port, "/v1/stream")
            ws.send_json({"type": "config", "voice": "tone:tone"})
            ws.send_json({"type": "text", "text": "Five. [delay:3000] Six seven."})
            ws.send_json({"type": "flush"})
            # An idle WebSocket (nothing in flight) is closed at once with 1001.
            idle_ws = WsClient(s.port, "/v1/stream")
            wait_for(lambda: s.status()["requests_active"] == 2, 10, what="both streams running")

            s.proc.send_signal(signal.SIGTERM)
            # The signal is handled asynchronously: wait for it, then check that both streams
            # are still running (held by their delays) while the server answers as draining.
            status, headers, body = wait_for(
                lambda: (lambda r: r if r[0] == 503 else None)(s.get_json("/readyz")), 5,
                what="/readyz 503")
            self.assertEqual(body["status"], "draining")
            self.assertEqual(s.status()["requests_active"], 2)
            status, _, body = s.get_json("/livez")
            self.assertEqual(status, 200)
            status, headers, body = s.get_json(tts_path({"voice": "tone:tone", "text": "new"}))
            self.assertEqual(status, 503)
            self.assertEqual(headers["retry-after"], "1")
            self.assertEqual(body["error"], "server is shutting down; retry on another instance")
            self.assertEqual(headers["connection"], "close")
            with self.assertRaises(WsClosed) as closed:
                idle_ws.recv()
            self.assertEqual(closed.exception.code, 1001)
            idle_ws.close()
            # The running utterance's socket refuses new utterances but finishes this one.
            self.assertIsNone(s.proc.poll(), "exited with streams still running")

            rest = stream.read_all()
            stream.close()
            rate, _, _, pcm = parse_wav(first + rest, expect_unknown_sizes=True)
            self.assertEqual((rate, len(pcm)), (RATE, 4 * WORD_BYTES))
            audio, done = 0, None
            while done is None:
                kind, m = ws.recv_event()
                if kind == "audio":
                    audio += len(m)
                elif m["type"] == "done":
                    done = m
            self.assertEqual(audio, 3 * WORD_BYTES)
            with self.assertRaises(WsClosed) as closed:
                ws.recv()
            self.assertEqual(closed.exception.code, 1001)
            ws.close()

            self.assertEqual(exit_status(s), 0)
            log = s.log()
            self.assertIn("signal 15: draining", log)
            self.assertIn("workers stopped; exiting", log)
            self.assertRegex(log, r"route=/tts method=GET status=200 end=complete")
            self.assertRegex(log, r"route=/tts method=GET status=503 end=complete error=shutting_down")
            self.assertRegex(log, r"route=/v1/stream method=WS status=200 end=complete")

    def test_a_stream_past_the_deadline_is_cut_and_the_exit_is_still_0(self):
        with Draining(drain_timeout=1) as s:
            stream = s.stream({"voice": "tone:tone", "text": "One two. [delay:60000] Three."})
            status, _ = stream.read_head()
            self.assertEqual(status, 200)
            got = stream.read_at_least(44 + 2 * WORD_BYTES)
            wait_for(lambda: s.status()["requests_active"] == 1, 10, what="stream running")
            s.proc.send_signal(signal.SIGTERM)
            complete = True
            try:
                got += stream.read_all()
            except (ConnectionError, OSError):
                complete = False
            stream.close()
            self.assertFalse(complete, "a cut stream must not end like a complete one")
            self.assertEqual(len(got), 44 + 2 * WORD_BYTES)
            self.assertEqual(exit_status(s), 0)
            log = s.log()
            self.assertIn("drain deadline: cutting 1 stream(s)", log)
            self.assertRegex(log, r"route=/tts method=GET status=503 end=shutdown")

    def test_an_idle_server_exits_at_once_on_sigint(self):
        with Draining(drain_timeout=20) as s:
            s.proc.send_signal(signal.SIGINT)
            # Far below the 20 s drain: nothing ran, so nothing is waited for.
            self.assertEqual(exit_status(s, timeout=5), 0)
            self.assertIn("signal 2: draining", s.log())


if __name__ == "__main__":
    unittest.main()
