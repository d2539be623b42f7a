"""Worker processes die; users should not notice. A dead idle worker is replaced; a worker
killed mid-segment has its segment retried on a fresh one and the stream stays whole."""

import os
import signal
import threading
import time
import unittest

from harness import ServerTestCase, espeak_reference, parse_wav, read_text, wait_for


class WorkerKillingCase(ServerTestCase):
    """Helpers for tests that kill workers (no tests of its own)."""
    workers = 2

    def settled(self):
        """/status once every worker is live and idle and no request is in flight."""
        def check():
            st = self.server.status()
            ok = (st["requests_active"] == 0 and len(st["workers"]) == self.workers
                  and all(w["state"] == "idle" for w in st["workers"]))
            return st if ok else None
        return wait_for(check, 10, what="all workers idle")

    def stream_while_killing_a_busy_worker(self, params):
        """Streams /tts with params in a thread, reading slowly until a worker that is busy on it
        has been SIGKILLed (and its segment retried), then at full speed.
        Returns (status, body, killed pids, /status before)."""
        before = self.settled()
        killed = threading.Event()
        result = {}

        def reader():
            try:
                with self.server.stream(params, recv_size=16384, rcvbuf=65536) as s:
                    result["status"], result["headers"] = s.read_head()
                    body = []
                    for _, data in s.chunks():
                        body.append(data)
                        if not killed.is_set():
                            time.sleep(0.005)
                    result["body"] = b"".join(body)
            except Exception as e:  # kept and reported after join
                result["error"] = e

        thread = threading.Thread(target=reader)
        thread.start()
        killed_pids = []
        try:
            # A worker seen busy may finish its segment before the signal lands; then nothing
            # needs a retry, so try again (a few times at most).
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and thread.is_alive():
                st = self.server.status()
                if st["segments_retried"] > before["segments_retried"]:
                    break
                busy = [w["pid"] for w in st["workers"]
                        if w["state"] == "busy" and w["pid"] > 0 and w["pid"] not in killed_pids]
                if busy and len(killed_pids) < 5:
                    os.kill(busy[0], signal.SIGKILL)
                    killed_pids.append(busy[0])
                    wait_for(lambda: busy[0] not in self.server.worker_pids(), 10,
                             what="the scheduler to notice the dead worker")
                else:
                    time.sleep(0.002)
        finally:
            killed.set()
            thread.join(timeout=60)
        self.assertFalse(thread.is_alive(), "reader did not finish")
        if "error" in result:
            raise AssertionError(f"stream failed after a worker was killed: {result['error']!r}")
        self.assertTrue(killed_pids, "never saw a busy worker to kill")
        return result["status"], result["body"], killed_pids, before


class WorkerDeathTest(WorkerKillingCase):
    # Without the cache every request is synthesized, so the reference request and the one
    # whose worker is killed both run on workers.
    extra_args = ("--cache-bytes", "0")

    def test_idle_worker_killed_is_replaced(self):
        before = self.settled()
        slot = 0
        old_pid = before["workers"][slot]["pid"]
        other_pid = before["workers"][1]["pid"]
        os.kill(old_pid, signal.SIGKILL)

        def replaced():
            st = self.server.status()
            w = st["workers"][slot]
            return st if w["pid"] not in (old_pid, -1, 0) and w["state"] == "idle" else None
        after = wait_for(replaced, 10, what=f"worker slot {slot} to get a new idle process")
        new_pid = after["workers"][slot]["pid"]
        os.kill(new_pid, 0)  # exists
        self.assertEqual(after["workers"][1]["pid"], other_pid, "the other worker was restarted too")
        self.assertEqual(after["worker_restarts"], before["worker_restarts"] + 1)
        self.assertEqual(after["requests_failed"], before["requests_failed"])
        # The dead process was reaped, not left as a zombie.
        wait_for(lambda: not os.path.exists(f"/proc/{old_pid}"), 10,
                 what=f"killed worker {old_pid} to be reaped")
        status, _, body = self.server.get_json("/health")
        self.assertEqual((status, body), (200, {"status": "ok"}))
        rate, pcm = self.server.tts_pcm({"text": read_text("paragraph")})
        self.assertGreater(len(pcm), 0)

    def test_busy_worker_killed_mid_request_stream_stays_whole(self):
        params = {"text": read_text("long"), "voice": "en-us"}
        _, reference = self.server.tts_pcm(params)  # no cache here: this synthesizes again

        status, body, killed_pids, before = self.stream_while_killing_a_busy_worker(params)
        self.assertEqual(status, 200)
        rate, channels, bits, pcm = parse_wav(body, expect_unknown_sizes=True)
        self.assertEqual((rate, channels, bits), (22050, 1, 16))
        # Measured: within 0.1%. A sentence lost or played twice is typically 1-4% of this text.
        self.assert_close(len(pcm), len(reference), rel=0.01, msg="bytes with a worker killed vs without")

        after = self.settled()
        self.assertEqual(after["worker_restarts"], before["worker_restarts"] + len(killed_pids))
        self.assertGreaterEqual(after["segments_retried"], before["segments_retried"] + 1,
                                "no segment was retried")
        self.assertEqual(after["requests_failed"], before["requests_failed"])
        self.assertEqual(after["requests_completed"], before["requests_completed"] + 1)
        live = [w["pid"] for w in after["workers"]]
        for pid in killed_pids:
            self.assertNotIn(pid, live)
        # The server keeps serving, on fresh workers.
        for voice in ("en-us", "de"):
            rate, pcm = self.server.tts_pcm({"text": "Still here.", "voice": voice})
            self.assertGreater(len(pcm), 0)


class RetryAndCacheTest(WorkerKillingCase):
    """With the cache on (the default): a segment whose worker died must be cached with the
    retry's audio only, so replaying the request gives the same audio, not more."""

    def test_replay_after_a_retry_is_served_from_cache_intact(self):
        text = read_text("long")
        params = {"text": text, "voice": "en-us"}
        status, body, killed_pids, before = self.stream_while_killing_a_busy_worker(params)
        self.assertEqual(status, 200)
        _, _, _, pcm = parse_wav(body, expect_unknown_sizes=True)
        expected = espeak_reference(text, "en-us")
        # Measured: 0.7-0.9% shorter than the CLI, as without a kill (see test_audio).
        self.assert_close(len(pcm) // 2, expected, rel=0.02, msg="samples with a worker killed vs espeak-ng CLI")

        mid = self.settled()
        _, replay = self.server.tts_pcm(params)
        after = self.settled()
        self.assertGreater(after["cache"]["hits"], mid["cache"]["hits"], "the replay did not use the cache")
        self.assertEqual(after["segments_done"], mid["segments_done"], "the replay was synthesized again")
        self.assert_close(len(replay), len(pcm), rel=0.005, msg="bytes of the cached replay vs the first stream")


if __name__ == "__main__":
    unittest.main()
