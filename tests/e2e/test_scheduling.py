"""How the scheduler shares its workers: one long text uses every worker yet its sentences come
out whole and in order; a new request is not kept waiting behind another request's look-ahead;
listeners who stop reading hold a bounded amount of the server's memory.

(The cache half of this area, a repeat served from cache with identical bytes, is
test_audio.CacheTest.)"""

import math
import mmap
import threading
import time
import unittest

from harness import (LECTOR_BIN, ServerTestCase, espeak_reference, parse_wav, read_text,
                     samples, speech_frames, wait_for)

ENGINE = "espeak"
VOICE = "en-us"

# Distinct sentences of clearly different lengths and rhythms, one long (but under
# --max-segment-chars 300, so it stays one segment). The first has no comma, so the server's
# early first cut (--first-fragment-words 4) does not split it: each sentence is one segment.
SENTENCES = [
    "The early train to the coast leaves at seven in the morning.",
    "Bring a coat.",
    "The old keeper wrote down the weather at dawn and at dusk, the names of the fishing boats "
    "that passed, and the birds that struck the lantern glass during the autumn migration, and "
    "her logbooks now fill a whole shelf in the village library.",
    "Nobody answered the door when we knocked twice.",
    "Seven hundred and twelve steps lead up to the chapel on the hill.",
    "Stop.",
    "Children gathered at the old stone bridge to watch the river carry branches downstream.",
]

# Measured over 15 runs (2 workers, warm): the whole text is within 2,900 samples of the
# sentences synthesized one by one, either way (espeak's pauses move by up to ~900 samples a
# segment with what the worker spoke before), and its speech (10 ms frames above the noise
# floor) is 1-9 frames shorter. The bounds: 1,000 samples and 3 frames per segment, under the shortest
# sentence ("Stop.": 16,468 samples, 39 frames), so a lost or repeated sentence fails.
SAMPLES_PER_SEGMENT = 1000
FRAMES_PER_SEGMENT = 3
# Each piece of the whole, cut where the solo lengths say its sentence ends, held up to 4
# frames of speech more or less than its sentence alone, and the last one 6-7 fewer.
PIECE_FRAMES_TOLERANCE = 10
# Envelope correlation of a piece with its own sentence: measured 0.90-1.00 for the short
# sentences, 0.73-0.76 for the long one (espeak's comma pauses inside it move by 40-60 ms with
# what the worker spoke before); of a piece with another sentence at most 0.71. With two
# sentences swapped in the stream, some piece scores at most 0.44 against its own sentence.
OWN_SENTENCE_MIN_SCORE = 0.6
ENVELOPE_FRAME = 441   # 20 ms at 22,050 Hz
ENVELOPE_MAX_LAG = 8   # frames: +-160 ms of drift between the cut and the true boundary


def envelope(pcm):
    """Log energy of each 20 ms frame."""
    a = samples(pcm)
    out = []
    for i in range(0, len(a) - ENVELOPE_FRAME + 1, ENVELOPE_FRAME):
        seg = a[i:i + ENVELOPE_FRAME]
        out.append(math.log10(1.0 + sum(v * v for v in seg) / ENVELOPE_FRAME))
    return out


def correlation(x, y):
    n = len(x)
    mx, my = sum(x) / n, sum(y) / n
    sxy = sum((a - mx) * (b - my) for a, b in zip(x, y))
    sxx = sum((a - mx) ** 2 for a in x)
    syy = sum((b - my) ** 2 for b in y)
    return sxy / math.sqrt(sxx * syy) if sxx > 0 and syy > 0 else 0.0


def envelope_score(piece, ref):
    """How well the envelope ref (a sentence alone, padded with silence) matches piece over the
    piece's whole length, at the best shift within +-ENVELOPE_MAX_LAG frames (Pearson r)."""
    n = len(piece)
    if n < 2:
        return 0.0
    best = -1.0
    for lag in range(-ENVELOPE_MAX_LAG, ENVELOPE_MAX_LAG + 1):
        shifted = [ref[i - lag] if 0 <= i - lag < len(ref) else 0.0 for i in range(n)]
        best = max(best, correlation(piece, shifted))
    return best


def cut_and_match(whole, solo):
    """Cuts whole where the lengths of the solo PCMs say each sentence ends (scaled to the
    whole, so espeak's drift is spread over the segments) and scores each piece against every
    sentence alone. Returns (pieces, scores[piece][sentence], the best sentence of each piece,
    the scores as a printable table)."""
    scale = len(whole) / sum(len(p) for p in solo)
    cuts = [0]
    for p in solo:
        cuts.append(cuts[-1] + len(p))
    cuts = [int(c * scale) & ~1 for c in cuts]
    cuts[-1] = len(whole)
    pieces = [whole[cuts[i]:cuts[i + 1]] for i in range(len(solo))]
    solo_env = [envelope(p) for p in solo]
    scores = [[envelope_score(envelope(piece), ref) for ref in solo_env] for piece in pieces]
    best = [row.index(max(row)) for row in scores]
    table = "\n".join(" ".join(f"{v:5.2f}" for v in row) for row in scores)
    return pieces, scores, best, table


def espeak_workers(st, state):
    return [w for w in st["workers"] if w["engine"] == ENGINE and w["state"] == state]


def rss_bytes(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmRSS in /proc/{pid}/status")


def built_with_asan():
    """Whether the server binary is instrumented by AddressSanitizer (linked in statically)."""
    with open(LECTOR_BIN, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
        return m.find(b"__asan_init") != -1


class SettledMixin:
    def settled(self):
        """/status once no request is in flight and every espeak worker is idle."""
        def check():
            st = self.server.status()
            ok = st["requests_active"] == 0 and not espeak_workers(st, "busy")
            return st if ok else None
        return wait_for(check, 20, what="no request in flight and the workers idle")


class ParallelAssemblyTest(SettledMixin, ServerTestCase):
    workers = 2
    # Default --lookahead 4. Without the cache every request is synthesized.
    extra_args = ("--cache-bytes", "0")

    def test_sentences_come_out_complete_and_in_order(self):
        for s in SENTENCES:
            self.assertLess(len(s), 300, "a fixture sentence would be cut by --max-segment-chars")
        self.assertNotIn(",", SENTENCES[0], "the first sentence would be cut early")
        text = " ".join(SENTENCES)
        # Warm both workers: a fresh espeak instance pauses differently on its first text.
        self.server.tts_pcm({"text": text, "voice": VOICE})

        solo = []
        for s in SENTENCES:
            rate, pcm = self.server.tts_pcm({"text": s, "voice": VOICE})
            solo.append(pcm)
        before = self.settled()
        rate, whole = self.server.tts_pcm({"text": text, "voice": VOICE})
        after = self.settled()
        n = len(SENTENCES)
        self.assertEqual(after["segments_done"] - before["segments_done"], n,
                         "the text was not synthesized as one segment per sentence")

        # Length: the whole is the sum of its sentences.
        solo_samples = [len(p) // 2 for p in solo]
        solo_frames = [speech_frames(p, rate) for p in solo]
        self.assert_close(len(whole) // 2, sum(solo_samples), abs_tol=SAMPLES_PER_SEGMENT * n,
                          msg=f"samples of the whole text vs its sentences alone {solo_samples}")
        self.assert_close(speech_frames(whole, rate), sum(solo_frames), abs_tol=FRAMES_PER_SEGMENT * n,
                          msg=f"frames of speech of the whole text vs its sentences alone {solo_frames}")

        # Order: each piece of the whole, cut at the solo lengths, is most like its own sentence.
        pieces, scores, matched, table = cut_and_match(whole, solo)
        self.assertEqual(matched, list(range(n)),
                         f"pieces of the stream matched these sentences (rows: pieces, columns: "
                         f"sentences, envelope correlation):\n{table}")
        for i in range(n):
            self.assertGreaterEqual(scores[i][i], OWN_SENTENCE_MIN_SCORE,
                                    f"piece {i} resembles its sentence only weakly:\n{table}")
            self.assert_close(speech_frames(pieces[i], rate), solo_frames[i], abs_tol=PIECE_FRAMES_TOLERANCE,
                              msg=f"frames of speech of piece {i} vs sentence {i} alone")

        # The check has teeth: the same sentences alone, joined with two neighbours swapped
        # (as if their workers had finished them in the other order), do not pass it.
        swapped = solo[:3] + [solo[4], solo[3]] + solo[5:]
        _, scores, matched, table = cut_and_match(b"".join(swapped), solo)
        self.assertFalse(matched == list(range(n)) and
                         all(scores[i][i] >= OWN_SENTENCE_MIN_SCORE for i in range(n)),
                         f"the order check does not notice two swapped sentences:\n{table}")

    def test_one_long_request_keeps_both_workers_busy(self):
        text = "\n\n".join([read_text("long")] * 2)
        before = self.settled()
        result = {}

        def reader():
            try:
                with self.server.stream({"text": text, "voice": VOICE}, recv_size=16384,
                                        rcvbuf=65536) as s:
                    result["status"], _ = s.read_head()
                    body = []
                    for _, data in s.chunks():
                        body.append(data)
                        time.sleep(0.002)  # a slowish reader, so the request stays in flight
                    result["body"] = b"".join(body)
            except Exception as e:  # reported after join
                result["error"] = e

        thread = threading.Thread(target=reader)
        thread.start()
        seen = None
        last = None
        try:
            deadline = time.monotonic() + 60
            while seen is None and thread.is_alive() and time.monotonic() < deadline:
                st = self.server.status()
                last = st
                if st["requests_active"] == 1 and len(espeak_workers(st, "busy")) == 2:
                    seen = st
                time.sleep(0.002)
        finally:
            thread.join(timeout=120)
        self.assertFalse(thread.is_alive(), "the reader did not finish")
        self.assertNotIn("error", result)
        self.assertIsNotNone(seen, f"never saw both workers busy on the one request in flight; "
                                   f"last /status: {last!r}")
        self.assertEqual(result["status"], 200)
        parse_wav(result["body"], expect_unknown_sizes=True)
        after = self.settled()
        self.assertEqual(after["requests_completed"], before["requests_completed"] + 1)
        self.assertEqual(after["requests_failed"], before["requests_failed"])


class FairnessTest(SettledMixin, ServerTestCase):
    workers = 1
    # A deep look-ahead: a scheduler that served it before a new request's first segment would
    # keep that request waiting for up to 12 segments, far past the bound below.
    extra_args = ("--cache-bytes", "0", "--lookahead", "12")

    SHORT = "The early train to the coast leaves at seven in the morning."

    def test_new_request_goes_before_long_requests_look_ahead(self):
        _, short_alone = self.server.tts_pcm({"text": self.SHORT, "voice": VOICE})
        long_text = "\n\n".join([read_text("long")] * 2)
        before = self.settled()

        pause, resume = threading.Event(), threading.Event()
        received = [0]
        result = {}

        def long_reader():
            # Reads at full speed (so the long request always has look-ahead waiting for the
            # worker) until paused, then stops reading, which keeps the request in flight.
            try:
                with self.server.stream({"text": long_text, "voice": VOICE}, recv_size=16384,
                                        rcvbuf=65536) as s:
                    result["status"], _ = s.read_head()
                    body = []
                    for _, data in s.chunks():
                        body.append(data)
                        received[0] += len(data)
                        if pause.is_set():
                            resume.wait(120)
                    result["body"] = b"".join(body)
            except Exception as e:  # reported after join
                result["error"] = e

        thread = threading.Thread(target=long_reader)
        thread.start()
        try:
            wait_for(lambda: received[0] > 1_000_000 or not thread.is_alive(), 60,
                     what="the long request to stream its first megabyte")
            pause.set()
            s0 = self.server.status()
            self.assertEqual(s0["requests_active"], 1)
            # The reader keeps up with synthesis, so the worker is busy on the long request and
            # its look-ahead window is open: up to 12 of its segments are waiting for the worker.
            self.assertEqual(len(espeak_workers(s0, "busy")), 1,
                             "the worker was not busy on the long request when the short one came")

            with self.server.stream({"text": self.SHORT, "voice": VOICE}, rcvbuf=16384) as s:
                status, _ = s.read_head()
                self.assertEqual(status, 200)
                during = self.server.status()
                first = s.read_at_least(45)  # the header and the first PCM bytes
                at_first_audio = self.server.status()
                body = first + s.read_all()
            _, _, _, pcm = parse_wav(body, expect_unknown_sizes=True)

            # The long listener has stopped reading: its look-ahead and socket buffers fill and
            # the worker idles.
            def long_window_full():
                st = self.server.status()
                return st if not espeak_workers(st, "busy") else None
            idle = wait_for(long_window_full, 30, what="the worker to finish the long look-ahead")
            still_running = thread.is_alive()
        finally:
            resume.set()
            thread.join(timeout=120)

        # The short request may finish synthesis before /status is asked (its one segment
        # takes milliseconds), but the long one must still be in flight beside it.
        self.assertLessEqual(during["requests_completed"] - s0["requests_completed"], 1,
                             "the long request finished before the short one was served")
        self.assertGreaterEqual(during["requests_active"], 1)
        self.assertAlmostEqual(len(pcm) / len(short_alone), 1.0, delta=0.03,
                               msg="short request's audio beside the long one vs alone")
        self.assertTrue(still_running, "the long request had finished")
        self.assertEqual(idle["requests_active"], 1, "the long request was not in flight after the short one")
        self.assertEqual(idle["requests_completed"], s0["requests_completed"] + 1)

        # Of the long request's segments waiting when the short one arrived, at most the one on
        # the worker (and the long request's own next one, in round-robin) may go first; the
        # rest of its look-ahead waits. Measured: 1-2.
        long_before_short = at_first_audio["segments_done"] - s0["segments_done"]
        print(f"\n  long-request segments synthesized before the short request's first audio: "
              f"{long_before_short}", flush=True)
        self.assertLessEqual(long_before_short, 3,
                             f"the short request waited for {long_before_short} segments of the long "
                             f"request's look-ahead")

        # The long request then completes, whole.
        self.assertNotIn("error", result)
        self.assertEqual(result["status"], 200)
        _, _, _, long_pcm = parse_wav(result["body"], expect_unknown_sizes=True)
        expected = 2 * espeak_reference(read_text("long"), VOICE)
        # As test_audio's LONG_TOLERANCE: measured 0.7-0.9% shorter than the CLI.
        self.assert_close(len(long_pcm) // 2, expected, rel=0.02, msg="samples of the long request")
        after = self.settled()
        self.assertEqual(after["requests_completed"], before["requests_completed"] + 2)
        self.assertEqual(after["requests_failed"], before["requests_failed"])


class SlowReadersTest(SettledMixin, ServerTestCase):
    workers = 2
    extra_args = ("--cache-bytes", "0")

    LISTENERS = 50
    # Buffering all the audio would take 50 x ~550 s x 44 KB/s = ~1.2 GB. The scheduler stops a
    # request at --max-buffered-bytes (256 KiB; it was 512 KiB when +52 MiB was measured, and
    # +131 to +138 MiB with the former 2 MiB bound). Under AddressSanitizer, whose quarantine
    # keeps up to 256 MiB of freed blocks and whose redzones and shadow add more, it grows more.
    MAX_GROWTH = 300 * 2 ** 20
    MAX_GROWTH_ASAN = 700 * 2 ** 20

    def test_stalled_listeners_hold_bounded_memory(self):
        text = "\n\n".join([read_text("long")] * 3)  # ~10,000 characters, ~550 s of audio
        self.assertLessEqual(len(text), 20000, "the text must fit the default --max-text-chars")
        pid = self.server.proc.pid
        self.server.tts_pcm({"text": read_text("paragraph"), "voice": VOICE})  # warm-up
        before = self.settled()
        rss_before = rss_bytes(pid)

        streams = []
        try:
            for _ in range(self.LISTENERS):
                # 16 KiB receive buffer, set before connect: the window stays small.
                streams.append(self.server.stream({"text": text, "voice": VOICE}, recv_size=4096,
                                                  rcvbuf=16384))
            for s in streams:
                status, _ = s.read_head()
                self.assertEqual(status, 200)
                self.assertEqual(s.read_at_least(4096)[:4], b"RIFF")

            # Then nobody reads. Wait for the scheduler to stop: segments_done unchanged for 1 s.
            progress = {"done": None, "since": time.monotonic()}

            def stalled():
                st = self.server.status()
                now = time.monotonic()
                if st["segments_done"] != progress["done"]:
                    progress["done"], progress["since"] = st["segments_done"], now
                    return None
                return st if now - progress["since"] >= 1.0 else None
            stall = wait_for(stalled, 120, interval=0.1, what="synthesis to stop for stalled listeners")
            rss_after = rss_bytes(pid)
            growth = rss_after - rss_before
            segments = stall["segments_done"] - before["segments_done"]
            limit = self.MAX_GROWTH_ASAN if built_with_asan() else self.MAX_GROWTH
            print(f"\n  {self.LISTENERS} stalled listeners: server RSS {rss_before / 2**20:.0f} MiB -> "
                  f"{rss_after / 2**20:.0f} MiB (+{growth / 2**20:.0f} MiB, limit {limit / 2**20:.0f} MiB); "
                  f"{segments} segments synthesized ({segments / self.LISTENERS:.1f} per listener)",
                  flush=True)
            self.assertEqual(stall["requests_active"], self.LISTENERS,
                             "stalled requests ended before their listeners left")
            self.assertLess(growth, limit,
                            f"RSS grew by {growth / 2**20:.0f} MiB for {self.LISTENERS} stalled listeners")
        finally:
            for s in streams:
                s.close()

        def drained():
            st = self.server.status()
            return st if st["requests_active"] == 0 else None
        after = wait_for(drained, 30, what="the abandoned requests to be dropped")
        self.assertEqual(after["requests_cancelled"], before["requests_cancelled"] + self.LISTENERS)
        self.assertEqual(after["requests_failed"], before["requests_failed"])
        rate, pcm = self.server.tts_pcm({"text": FairnessTest.SHORT, "voice": VOICE})
        self.assertGreater(speech_frames(pcm, rate), 100, "the next request got no speech")


class WriteTimeoutTest(ServerTestCase):
    workers = 1
    extra_args = ("--cache-bytes", "0", "--write-timeout", "2")

    def test_a_client_that_stops_reading_is_disconnected(self):
        text = "\n\n".join([read_text("long")] * 2)
        before = self.server.status()
        with self.server.stream({"text": text, "voice": VOICE}, recv_size=4096, rcvbuf=16384) as s:
            status, _ = s.read_head()
            self.assertEqual(status, 200)
            s.read_at_least(4096)
            # Nobody reads now; within a few write timeouts the server gives up on the client.
            wait_for(lambda: self.server.status()["requests_cancelled"] > before["requests_cancelled"],
                     30, interval=0.2, what="the stalled request to be cancelled")
            # What is still in flight can be read, then the stream ends short of its final chunk
            # (ConnectionError is an OSError; a reset counts too).
            with self.assertRaises(OSError):
                for _ in s.chunks():
                    pass
        after = wait_for(lambda: self.server.status() if self.server.status()["requests_active"] == 0 else None,
                         30, what="the request to be dropped")
        self.assertEqual(after["requests_failed"], before["requests_failed"])
        _, pcm = self.server.tts_pcm({"text": "Still serving.", "voice": VOICE})
        self.assertGreater(len(pcm), 10000)


if __name__ == "__main__":
    unittest.main()
