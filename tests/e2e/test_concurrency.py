"""Many users at once: simultaneous requests each get their own, complete audio; beyond
--max-requests the server answers 503 with Retry-After and recovers when load drops."""

import socket
import threading
import unittest

from harness import (HOST, ServerTestCase, parse_wav, read_text, speech_frames, tts_path, wait_for)

# Different voices and texts of clearly different lengths (each at least ~15% apart from the
# others), so a response carrying another request's audio, or missing some, shows in its length.
REQUESTS = [
    ("en-us", "Good morning."),
    ("de", "Der Zug fährt heute pünktlich um acht Uhr ab."),
    ("fr-fr", "Le marché ouvre tôt le samedi et ferme à midi, sauf pendant les vacances d'été."),
    ("es", "La biblioteca del barrio tiene libros antiguos, mapas de la ciudad y una sala tranquila "
           "donde los estudiantes leen hasta tarde."),
    ("it", "Il treno per Firenze partirà con venti minuti di ritardo a causa di un guasto sulla linea. "
           "I passeggeri sono pregati di attendere sul binario tre e di seguire le indicazioni del "
           "personale."),
    ("en-gb", read_text("paragraph")),
    ("nl", "De fietsenmaker op de hoek repareert banden, remmen en verlichting. Hij is al dertig jaar "
           "open en kent iedereen in de buurt bij naam."),
    ("pl", "Pociąg do Krakowa odjeżdża z peronu drugiego. W wagonie restauracyjnym można zamówić zupę, "
           "kanapki i gorącą herbatę. Podróż trwa około trzech godzin, a widoki za oknem są piękne, "
           "zwłaszcza jesienią, kiedy lasy mienią się wszystkimi kolorami. Konduktor sprawdza bilety "
           "tuż po odjeździe, więc warto mieć je pod ręką. Na stacji końcowej czekają taksówki i "
           "autobusy miejskie."),
]

# espeak's pauses move by up to ~900 samples per segment with what the worker spoke before
# (measured: up to 1.2% of the total for these texts), so total lengths get 2%; the speech
# without its pauses moved by at most 9 frames of 1700 (0.5%), so it gets 1% + 3 frames.
def tolerance(samples):
    return max(0.02 * samples, 2500)


def frames_tolerance(frames):
    return 0.01 * frames + 3


class ConcurrentRequestsTest(ServerTestCase):
    workers = 2
    # Without the cache, the simultaneous requests are synthesized again, side by side.
    extra_args = ("--cache-bytes", "0")

    def test_simultaneous_requests_get_their_own_audio(self):
        alone, alone_frames = [], []
        for voice, text in REQUESTS:
            rate, pcm = self.server.tts_pcm({"text": text, "voice": voice})
            alone.append(len(pcm) // 2)
            alone_frames.append(speech_frames(pcm, rate))
        # Sanity of the design: the solo lengths are far apart.
        ordered = sorted(alone)
        for a, b in zip(ordered, ordered[1:]):
            self.assertGreater(b - a, tolerance(b) * 2, f"texts too close in length: {alone}")

        barrier = threading.Barrier(len(REQUESTS))
        results = [None] * len(REQUESTS)
        errors = []

        def run(i, voice, text):
            try:
                barrier.wait(timeout=30)
                results[i] = self.server.tts({"text": text, "voice": voice})
            except Exception as e:  # kept and reported after join
                errors.append((voice, e))

        threads = [threading.Thread(target=run, args=(i, v, t)) for i, (v, t) in enumerate(REQUESTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        self.assertEqual(errors, [])
        for i, (voice, text) in enumerate(REQUESTS):
            with self.subTest(voice=voice):
                status, headers, body = results[i]
                self.assertEqual(status, 200, body[:300])
                self.assertEqual(headers.get("content-type"), "audio/wav")
                rate, channels, bits, pcm = parse_wav(body, expect_unknown_sizes=True)
                self.assertEqual((rate, channels, bits), (22050, 1, 16))
                self.assert_close(len(pcm) // 2, alone[i], abs_tol=tolerance(alone[i]),
                                  msg=f"{voice}: samples under load vs alone")
                self.assert_close(speech_frames(pcm, rate), alone_frames[i],
                                  abs_tol=frames_tolerance(alone_frames[i]),
                                  msg=f"{voice}: 10 ms frames of speech under load vs alone")

        def settled():
            st = self.server.status()
            return st if st["requests_active"] == 0 else None
        st = wait_for(settled, 10, what="all requests to finish")
        self.assertEqual(st["requests_failed"], 0)
        # Both workers took part.
        self.assertTrue(all(w["segments_done"] > 0 for w in st["workers"]), st["workers"])


class SaturationTest(ServerTestCase):
    workers = 1
    extra_args = ("--max-requests", "2")

    def open_unread(self, text):
        """Sends a /tts request on a raw socket with a small receive window and never reads."""
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
        s.connect((HOST, self.server.port))
        s.sendall(f"GET {tts_path({'text': text})} HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode())
        return s

    def test_503_beyond_max_requests_then_recovery(self):
        text = read_text("long")
        before = self.server.status()
        holders = [self.open_unread(text) for _ in range(2)]
        try:
            def both_in_flight():
                st = self.server.status()
                return st if st["requests_active"] == 2 else None
            wait_for(both_in_flight, 10, what="two requests in flight")

            for _ in range(3):
                status, headers, body = self.server.tts({"text": "One more, please."})
                self.assert_error((status, headers, body), 503,
                                  "server is saturated: 2 requests in flight (limit 2); retry later")
                self.assertIn("retry-after", headers)
                self.assertGreaterEqual(int(headers["retry-after"]), 1)
            st = self.server.status()
            self.assertEqual(st["requests_rejected"], before["requests_rejected"] + 3)
            # Saturation is about synthesis: the rest of the API still answers.
            status, _, body = self.server.get_json("/health")
            self.assertEqual((status, body), (200, {"status": "ok"}))
            self.assertEqual(self.server.get_json("/engines")[2], ["espeak"])
        finally:
            for s in holders:
                s.close()

        def drained():
            st = self.server.status()
            return st if st["requests_active"] == 0 else None
        st = wait_for(drained, 15, what="the abandoned requests to be dropped")
        self.assertEqual(st["requests_cancelled"], before["requests_cancelled"] + 2)
        rate, pcm = self.server.tts_pcm({"text": "Back to normal."})
        self.assertGreater(len(pcm), 0)


if __name__ == "__main__":
    unittest.main()
