"""Causality, ordering and faults, proven with the deterministic test engine `tone` (built with
LECTOR_TEST_ENGINE, as the ci and asan presets do): each word is 100 ms of tone, `[delay:MS]`
holds a worker, `[crash]` kills it, `[hang]` makes it ignore everything. The tests observe the
server's state (/status) at the moment audio arrives instead of timing it."""

import json
import subprocess
import unittest

from harness import LECTOR_BIN, ServerTestCase, wait_for
from wsclient import WsClient

RATE = 16000
WORD_BYTES = RATE // 10 * 2  # 100 ms of s16 mono


def tone_built():
    """Whether this binary knows the engine: one without it rejects `--engines tone` at once.
    (`--pool tone=0` leaves no engine to run, so a binary with it exits at once too.)"""
    probe = subprocess.run([LECTOR_BIN, "serve", "--engines", "tone", "--pool", "tone=0",
                            "--port", "0"], capture_output=True, text=True, timeout=30)
    return "unknown engine" not in probe.stderr


@unittest.skipUnless(tone_built(), "this lector was built without LECTOR_TEST_ENGINE")
class ToneTestCase(ServerTestCase):
    workers = 2
    engines = "espeak,tone"

    def idle(self):
        return self.server.assert_idle(timeout=15)

    def tone_workers(self, st, state):
        return [w for w in st["workers"] if w["engine"] == "tone" and w["state"] == state]


class CausalityTest(ToneTestCase):
    def test_first_sentence_heard_while_the_next_is_still_being_made(self):
        before = self.server.status()
        with self.server.stream({"voice": "tone:tone", "text": "One two. Three [delay:60000] four."}) as s:
            status, headers = s.read_head()
            self.assertEqual(status, 200)
            first = s.read_at_least(44 + 2 * WORD_BYTES)
            self.assertGreaterEqual(len(first), 44 + 2 * WORD_BYTES)
            # The second segment is on a worker, held by its delay: the first one's audio came
            # before it was made, not after the whole text.
            st = self.server.status()
            self.assertEqual(st["requests_active"], 1)
            self.assertEqual(len(self.tone_workers(st, "busy")), 1, st["workers"])
            # The first segment's Done may trail its audio by a moment; the second stays busy.
            st = wait_for(lambda: (lambda x: x if x["segments_done"] == before["segments_done"] + 1
                                   else None)(self.server.status()), 10, what="segment 1 done")
            self.assertEqual(len(self.tone_workers(st, "busy")), 1, st["workers"])
        # Leaving cancels the delayed segment: the worker stops waiting at once (a worker that
        # ignored the cancel would stay busy for 60 s, past the idle wait).
        after = self.idle()
        self.assertEqual(after["requests_cancelled"], before["requests_cancelled"] + 1)
        self.assertEqual(after["worker_restarts"], before["worker_restarts"])

    def test_segments_finished_out_of_order_are_heard_in_order(self):
        # The first segment waits, the later ones are quick: with two workers they finish first.
        text = "[delay:400] Alpha bravo. Charlie. Delta echo foxtrot. Golf."
        with WsClient(self.server.port, "/v1/stream") as ws:
            ws.send_json({"type": "config", "voice": "tone:tone"})
            ws.send_json({"type": "text", "text": text})
            ws.send_json({"type": "end"})
            words, audio, offsets = [], 0, []
            while True:
                try:
                    kind, m = ws.recv_event()
                except Exception:
                    break
                if kind == "audio":
                    audio += len(m)
                elif m["type"] == "word":
                    words.append(m["text"])
                    offsets.append(m["audio_offset_seconds"])
                elif m["type"] == "done":
                    break
        self.assertEqual(words, ["Alpha", "bravo.", "Charlie.", "Delta", "echo", "foxtrot.", "Golf."])
        self.assertEqual(offsets, sorted(offsets))
        self.assertEqual(audio, 7 * WORD_BYTES)
        self.idle()


class FaultTest(ToneTestCase):
    extra_args = ("--segment-timeout", "1")

    def read_incomplete(self, params):
        """A /tts stream whose synthesis fails after audio was sent: (status, body, complete)."""
        with self.server.stream(params) as s:
            status, _ = s.read_head()
            body = b""
            try:
                for _, data in s.chunks():
                    body += data
            except ConnectionError:
                pass
            return status, body, s.done

    def test_a_segment_that_kills_two_workers_fails_the_request(self):
        before = self.server.status()
        # The delay makes the worker hand over the two words before it crashes (workers batch
        # audio after the first chunk); the retry makes them again and crashes again.
        status, body, complete = self.read_incomplete(
            {"voice": "tone:tone", "text": "Alpha beta [delay:1] [crash]"})
        self.assertEqual(status, 200)
        # The client heard the two words exactly once (the retry skipped them), then the body
        # ended without its last chunk.
        self.assertEqual(len(body), 44 + 2 * WORD_BYTES)
        self.assertFalse(complete, "a failed synthesis must not look like a complete body")
        after = self.idle()
        self.assertEqual(after["worker_restarts"], before["worker_restarts"] + 2)
        self.assertEqual(after["requests_failed"], before["requests_failed"] + 1)
        self.assertEqual(after["segments_retried"], before["segments_retried"] + 1)
        rate, pcm = self.server.tts_pcm({"voice": "tone:tone", "text": "Still fine."})
        self.assertEqual((rate, len(pcm)), (RATE, 2 * WORD_BYTES))

    def test_a_hung_worker_is_killed_at_its_deadline(self):
        before = self.server.status()
        status, body, complete = self.read_incomplete({"voice": "tone:tone", "text": "Alpha [hang]"})
        self.assertEqual(status, 200)
        self.assertEqual(len(body), 44 + WORD_BYTES)
        self.assertFalse(complete)
        after = self.idle()
        self.assertEqual(after["worker_restarts"], before["worker_restarts"] + 2)
        self.assertEqual(after["requests_failed"], before["requests_failed"] + 1)

    def test_failure_before_any_audio_is_a_500(self):
        status, headers, body = self.server.tts({"voice": "tone:tone", "text": "[fail]"})
        self.assertEqual(status, 500, body)
        self.assertIn("failed", json.loads(body)["error"])
        self.idle()

    def test_cancel_on_the_websocket_reaches_the_worker(self):
        before = self.server.status()
        with WsClient(self.server.port, "/v1/stream") as ws:
            ws.send_json({"type": "config", "voice": "tone:tone"})
            ws.send_json({"type": "text", "text": "One. Two [delay:60000] three."})
            ws.send_json({"type": "flush"})
            while True:
                kind, m = ws.recv_event()
                if kind == "audio":
                    break
            st = self.server.status()
            self.assertEqual(len(self.tone_workers(st, "busy")), 1, st["workers"])
            ws.send_json({"type": "cancel"})
            while True:
                kind, m = ws.recv_event()
                if kind == "event" and m["type"] == "cancelled":
                    break
            after = self.idle()
        self.assertEqual(after["worker_restarts"], before["worker_restarts"])


if __name__ == "__main__":
    unittest.main()
