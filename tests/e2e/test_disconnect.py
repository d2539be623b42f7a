"""A listener who goes away mid-stream must not keep a worker busy for audio nobody hears."""

import socket
import struct
import unittest

from harness import ServerTestCase, parse_wav, read_text, wait_for


class DisconnectTest(ServerTestCase):
    workers = 1
    # Without the cache, every segment of the long text would need the single worker.
    extra_args = ("--cache-bytes", "0")

    def settled(self):
        def check():
            st = self.server.status()
            ok = (st["requests_active"] == 0 and st["segments_queued"] == 0
                  and all(w["state"] == "idle" for w in st["workers"]))
            return st if ok else None
        return wait_for(check, 10, what="no request in flight and the worker idle")

    def long_text(self):
        text = "\n\n".join([read_text("long")] * 3)
        self.assertLessEqual(len(text), 20000, "the text must fit the default --max-text-chars")
        return text

    def disconnect_after(self, nbytes, reset):
        """Starts /tts of the long text x3, reads the header and nbytes, then closes the socket
        (with an RST when reset, else an orderly FIN). Returns /status from before."""
        before = self.settled()
        s = self.server.stream({"text": self.long_text(), "voice": "en-us"}, rcvbuf=65536)
        status, headers = s.read_head()
        self.assertEqual(status, 200)
        got = s.read_at_least(44 + nbytes)
        self.assertEqual(got[:4], b"RIFF")
        if reset:
            s.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()
        return before

    def check_cancelled(self, before):
        after = self.settled()
        self.assertEqual(after["requests_cancelled"], before["requests_cancelled"] + 1)
        self.assertEqual(after["requests_completed"], before["requests_completed"])
        self.assertEqual(after["requests_failed"], before["requests_failed"])
        return after

    def test_disconnect_frees_the_worker(self):
        before = self.disconnect_after(8192, reset=False)
        after = self.check_cancelled(before)
        cancelled_segments = after["segments_done"] - before["segments_done"]

        # The same text read to the end, for the number of segments it really takes.
        status, _, body = self.server.tts({"text": self.long_text(), "voice": "en-us"})
        self.assertEqual(status, 200)
        parse_wav(body, expect_unknown_sizes=True)
        full = self.settled()
        all_segments = full["segments_done"] - after["segments_done"]
        self.assertLess(cancelled_segments, all_segments / 2,
                        f"{cancelled_segments} of {all_segments} segments were synthesized for a "
                        f"listener who left after 8 KB")

    def test_reset_connection_frees_the_worker(self):
        before = self.disconnect_after(4096, reset=True)
        self.check_cancelled(before)
        # The worker serves the next listener.
        rate, pcm = self.server.tts_pcm({"text": "Is anyone there?", "voice": "en-us"})
        self.assertGreater(len(pcm), 0)

    def test_disconnect_right_after_the_header(self):
        before = self.disconnect_after(0, reset=False)
        self.check_cancelled(before)
        rate, pcm = self.server.tts_pcm({"text": "Next, please.", "voice": "en-us"})
        self.assertGreater(len(pcm), 0)

    def test_disconnect_before_the_answer(self):
        # The request is sent and the socket closed at once, before any answer.
        before = self.settled()
        s = self.server.stream({"text": self.long_text(), "voice": "en-us"})
        s.close()

        def dropped():
            st = self.server.status()
            done = (st["requests_total"] == before["requests_total"] + 1 and st["requests_active"] == 0
                    and all(w["state"] == "idle" for w in st["workers"]))
            return st if done else None
        after = wait_for(dropped, 10, what="the abandoned request to be received and dropped")
        self.assertEqual(after["requests_cancelled"], before["requests_cancelled"] + 1)
        self.assertEqual(after["requests_completed"], before["requests_completed"],
                         "audio was synthesized to the end for a closed connection")
        rate, pcm = self.server.tts_pcm({"text": "Still fine.", "voice": "en-us"})
        self.assertGreater(len(pcm), 0)


if __name__ == "__main__":
    unittest.main()
