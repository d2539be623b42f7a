"""A worker that runs several syntheses at once (a neural engine's worker, played here by the
test engine `tone` with LECTOR_TONE_JOBS=4): one process, four slots. Concurrency is proven from
the server's own /status (busy slots) and from the order of events (every request's first audio
before any of them ends), never from wall-clock time. Faults on such a worker lose nothing: the
jobs that shared it with a killed or hung job are retried. An engine that says it cannot serve
(LECTOR_TONE_UNAVAILABLE) is listed with its reason and offered nowhere."""

import os
import signal
import unittest

from harness import ServerTestCase, wait_for
from test_tone import WORD_BYTES, tone_built

JOBS = 4
WAV_HEADER = 44


def tone_worker(st):
    workers = [w for w in st["workers"] if w["engine"] == "tone"]
    assert len(workers) == 1, workers
    return workers[0]


class ParallelJobsCase(ServerTestCase):
    """One tone worker with four slots; no cache, so every request reaches the worker."""
    workers = 1
    engines = "espeak,tone"
    extra_args = ("--pool", "tone=1", "--cache-bytes", "0")
    env = {"LECTOR_TONE_JOBS": str(JOBS)}

    def idle(self):
        return self.server.assert_idle(timeout=15)

    def open_held(self, texts):
        """Streams /tts for each text and reads each one's head and first word: when this
        returns, every request has had audio and none has ended (each is held by a delay)."""
        streams = []
        try:
            for text in texts:
                s = self.server.stream({"voice": "tone:tone", "text": text})
                streams.append(s)
            for s in streams:
                status, _ = s.read_head()
                self.assertEqual(status, 200)
                self.assertGreaterEqual(len(s.read_at_least(WAV_HEADER + WORD_BYTES)),
                                        WAV_HEADER + WORD_BYTES)
                self.assertFalse(s.done)
        except BaseException:
            for s in streams:
                s.close()
            raise
        for s in streams:
            self.addCleanup(s.close)
        return streams


@unittest.skipUnless(tone_built(), "this lector was built without LECTOR_TEST_ENGINE")
class ParallelJobsTest(ParallelJobsCase):
    def test_the_worker_announces_its_slots(self):
        st = self.server.status()
        w = tone_worker(st)
        self.assertEqual((w["capacity"], w["busy"], w["state"]), (JOBS, 0, "idle"))
        _, _, engines = self.server.get_json("/api/engines")
        tone = next(e for e in engines if e["name"] == "tone")
        self.assertEqual((tone["status"], tone["workers"], tone["slots"], tone["slots_busy"],
                          tone["parallel_jobs"]), ("available", 1, JOBS, 0, JOBS))
        espeak = next(e for e in engines if e["name"] == "espeak")
        self.assertEqual((espeak["slots"], espeak["parallel_jobs"]), (1, 1))
        _, _, metrics = self.server.request("GET", "/metrics")
        self.assertIn(b'lector_worker_slots{engine="tone"} 4', metrics)

    def test_four_run_at_once_a_fifth_waits_and_a_cancel_frees_a_slot(self):
        before = self.server.status()
        texts = [f"Word{i} [delay:4000] two three." for i in range(JOBS)]
        streams = self.open_held(texts)
        # All four had their first audio and none has ended: they run at once, on one process.
        st = self.server.status()
        w = tone_worker(st)
        self.assertEqual((w["busy"], w["capacity"], w["state"], w["pid"]),
                         (JOBS, JOBS, "busy", tone_worker(before)["pid"]))
        self.assertGreaterEqual(st["slots_busy"], JOBS)
        # A fifth request finds no free slot: its segment waits in the queue.
        fifth = self.server.stream({"voice": "tone:tone", "text": "Five six."})
        self.addCleanup(fifth.close)
        wait_for(lambda: self.server.status()["segments_queued"] == 1, 10,
                 what="the fifth request to wait for a slot")
        self.assertEqual(tone_worker(self.server.status())["busy"], JOBS)
        # Leaving one of the four cancels its job; the slot goes to the fifth, which completes
        # while the other three are still held by their delays.
        streams[0].close()
        status, _ = fifth.read_head()
        self.assertEqual(status, 200)
        body = fifth.read_all()
        self.assertTrue(fifth.done)
        self.assertEqual(len(body), WAV_HEADER + 2 * WORD_BYTES)
        for s in streams[1:]:
            self.assertFalse(s.done, "the fifth ran in the freed slot, not after the others")
        # The other three complete with their full audio: three words each.
        for s in streams[1:]:
            rest = s.read_all()
            self.assertTrue(s.done)
            self.assertEqual(WORD_BYTES + len(rest), 3 * WORD_BYTES)
        after = self.idle()
        self.assertEqual(after["requests_cancelled"], before["requests_cancelled"] + 1)
        self.assertEqual(after["worker_restarts"], before["worker_restarts"])
        self.assertEqual(after["requests_completed"], before["requests_completed"] + 4)

    def test_killing_the_worker_retries_every_job_it_held(self):
        before = self.server.status()
        pid = tone_worker(before)["pid"]
        streams = self.open_held([f"Kill{i} [delay:1500] two." for i in range(JOBS)])
        self.assertEqual(tone_worker(self.server.status())["busy"], JOBS)
        os.kill(pid, signal.SIGKILL)
        # Every request completes, each word heard once (the retries skip what was sent).
        for s in streams:
            rest = s.read_all()
            self.assertTrue(s.done, "a request on the killed worker must still complete")
            self.assertEqual(WORD_BYTES + len(rest), 2 * WORD_BYTES)
        after = self.idle()
        self.assertNotEqual(tone_worker(after)["pid"], pid, "the worker was respawned")
        self.assertEqual(tone_worker(after)["capacity"], JOBS)
        self.assertEqual(after["worker_restarts"], before["worker_restarts"] + 1)
        self.assertEqual(after["segments_retried"], before["segments_retried"] + JOBS)
        self.assertEqual(after["requests_failed"], before["requests_failed"])

@unittest.skipUnless(tone_built(), "this lector was built without LECTOR_TEST_ENGINE")
class HungJobTest(ParallelJobsCase):
    # A two-second segment deadline. The jobs that share the worker with the hung one take
    # 1.5 s (their own deadline is never at stake) and start after the hung job's second word,
    # which its [delay:1000] holds back a second: they are running when the hung job's deadline
    # kills the worker, which the retry count below proves.
    extra_args = ("--pool", "tone=1", "--cache-bytes", "0", "--segment-timeout", "2")

    def test_a_hung_job_kills_the_worker_and_the_others_are_retried(self):
        before = self.server.status()
        hung = self.open_held(["Alpha [delay:1000] beta [hang]"])[0]
        self.assertEqual(len(hung.read_at_least(WORD_BYTES)), WORD_BYTES)  # beta: a second on
        others = self.open_held([f"Held{i} [delay:1500] two." for i in range(JOBS - 1)])
        self.assertEqual(tone_worker(self.server.status())["busy"], JOBS)
        body = b""
        try:
            for _, data in hung.chunks():
                body += data
        except ConnectionError:
            pass
        self.assertEqual(body, b"", "nothing after beta, heard once")
        self.assertFalse(hung.done, "the hung request must not look complete")
        for s in others:
            rest = s.read_all()
            self.assertTrue(s.done, "a job that shared the worker with a hung one must complete")
            self.assertEqual(WORD_BYTES + len(rest), 2 * WORD_BYTES)
        after = self.idle()
        # Killed twice (the hung job is retried once); the others ran again each time without
        # using up their retry: three after the first kill, and those still running at the
        # second (none, unless the machine is very slow) again.
        self.assertEqual(after["worker_restarts"], before["worker_restarts"] + 2)
        self.assertEqual(after["requests_failed"], before["requests_failed"] + 1)
        self.assertEqual(after["requests_completed"], before["requests_completed"] + JOBS - 1)
        self.assertGreaterEqual(after["segments_retried"], before["segments_retried"] + 1 + JOBS - 1)
        self.assertIn("missed its deadline", self.server.log())


REASON = "no model for tone (a test of unavailable engines)"


@unittest.skipUnless(tone_built(), "this lector was built without LECTOR_TEST_ENGINE")
class UnavailableEngineTest(ServerTestCase):
    workers = 1
    engines = "espeak,tone"
    extra_args = ("--pool", "tone=1")
    env = {"LECTOR_TONE_UNAVAILABLE": REASON}

    def test_listed_with_its_reason_and_offered_nowhere(self):
        _, _, engines = self.server.get_json("/api/engines")
        tone = next(e for e in engines if e["name"] == "tone")
        self.assertEqual((tone["status"], tone["available"], tone["reason"]),
                         ("unavailable", False, REASON))
        espeak = next(e for e in engines if e["name"] == "espeak")
        self.assertEqual(espeak["status"], "available")
        _, _, names = self.server.get_json("/engines")
        self.assertEqual(names, ["espeak"])
        _, _, voices = self.server.get_json("/api/voices")
        self.assertEqual({v["engine"] for v in voices}, {"espeak"})
        # The worker stays up (and is not respawned in a loop), holding nothing.
        st = self.server.status()
        w = tone_worker(st)
        self.assertEqual((w["state"], w["reason"]), ("unavailable", REASON))
        self.assertEqual(st["worker_restarts"], 0)
        # Said once in the log, as a warning.
        self.server.wait_log(REASON)
        self.assertEqual(self.server.log().count(REASON), 1, self.server.log())

    def test_a_request_naming_it_gets_the_reason(self):
        for params, param in (({"engine": "tone", "text": "Hello."}, "engine"),
                              ({"voice": "tone:tone", "text": "Hello."}, "voice")):
            error = self.assert_error(self.server.tts(params), 400, contains=REASON)
            self.assertIn("tone", error)
        # The server goes on: the other engine serves, health and readiness hold.
        rate, pcm = self.server.tts_pcm({"engine": "espeak", "text": "Still here."})
        self.assertGreater(len(pcm), 0)
        self.assertEqual(self.server.request("GET", "/health")[0], 200)
        status, _, ready = self.server.get_json("/readyz")
        self.assertEqual(status, 200, ready)
        self.assertEqual(ready["unavailable"], {"tone": REASON})
        self.assertEqual(self.server.status()["worker_restarts"], 0)


if __name__ == "__main__":
    unittest.main()
