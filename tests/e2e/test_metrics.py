"""GET /metrics after known traffic: exact values of the lector_* series (Prometheus text format
0.0.4), and the request log line each request leaves (one per HTTP request and per WebSocket
utterance, as text or JSON, with its X-Request-Id). Uses the deterministic test engine `tone`:
each word is 100 ms of tone at 16 kHz, `[delay:MS]` holds a worker, `[fail]` fails."""

import json
import re
import time
import unittest

from harness import LectorServer, ServerTestCase, TtsStream, tts_path, wait_for
from test_tone import RATE, tone_built
from wsclient import WsClient

SAMPLE = re.compile(r'^([a-z_]+)(\{[^}]*\})? (\S+)$')


def parse_metrics(text):
    """{(name, frozenset of (label, value)): float}, checking every line's shape: each family
    has HELP and TYPE before its samples, and samples are `name{labels} value`."""
    samples, typed = {}, set()
    for line in text.splitlines():
        if line.startswith("# HELP "):
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            if kind not in ("counter", "gauge", "histogram"):
                raise AssertionError(f"unknown type in {line!r}")
            typed.add(name)
            continue
        m = SAMPLE.match(line)
        if not m:
            raise AssertionError(f"not a sample line: {line!r}")
        name, labels, value = m.groups()
        family = re.sub(r"_(bucket|sum|count)$", "", name)
        if name not in typed and family not in typed:
            raise AssertionError(f"sample before its # TYPE: {line!r}")
        pairs = frozenset(re.findall(r'([a-z_]+)="((?:[^"\\]|\\.)*)"', labels or ""))
        samples[(name, pairs)] = float(value)
    return samples


def value(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())))


@unittest.skipUnless(tone_built(), "this lector was built without LECTOR_TEST_ENGINE")
class MetricsTest(ServerTestCase):
    workers = 1
    engines = "espeak,tone"
    extra_args = ("--max-requests", "1")

    def scrape(self):
        status, headers, body = self.server.request("GET", "/metrics")
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-type"], "text/plain; version=0.0.4; charset=utf-8")
        return parse_metrics(body.decode())

    def test_values_after_known_traffic(self):
        s = self.server
        # Two identical requests: the second comes from the cache.
        text = "One two. Three four five."
        status, headers, body1 = s.request("GET", tts_path({"voice": "tone:tone", "text": text}),
                                           headers={"X-Request-Id": "metrics-test-1"})
        self.assertEqual(status, 200)
        self.assertEqual(headers["x-request-id"], "metrics-test-1")
        status, headers, body2 = s.request("GET", tts_path({"voice": "tone:tone", "text": text}))
        self.assertEqual(status, 200)
        generated = headers["x-request-id"]
        self.assertTrue(generated)
        self.assertEqual(body1, body2)
        audio = 2 * (len(body1) - 44) / 2 / RATE
        self.assertAlmostEqual(audio, 2 * 0.5, places=2)
        # A bad parameter.
        status, headers, _ = s.request("GET", tts_path({"voice": "tone:tone", "text": "x",
                                                         "speed": "9"}))
        self.assertEqual(status, 400)
        # Held, and a second request meanwhile: --max-requests 1 refuses it. Then the first
        # client leaves: a cancellation.
        with s.stream({"voice": "tone:tone", "text": "[delay:20000] held"}) as held:
            wait_for(lambda: s.status()["requests_active"] == 1, 10, what="request held")
            status, headers, _ = s.tts({"voice": "tone:tone", "text": "refused"})
            self.assertEqual(status, 503)
            self.assertEqual(headers["retry-after"], "1")
        wait_for(lambda: s.status()["requests_active"] == 0, 10, what="held request cancelled")
        # One utterance on /v1/stream: three words.
        with WsClient(s.port, "/v1/stream") as ws:
            ws.send_json({"type": "config", "voice": "tone:tone"})
            ws.send_json({"type": "text", "text": "Six seven eight."})
            ws.send_json({"type": "flush"})
            ws_audio = 0
            while True:
                kind, m = ws.recv_event()
                if kind == "audio":
                    ws_audio += len(m)
                elif m["type"] == "done":
                    break
        self.assertEqual(ws_audio, 3 * RATE // 10 * 2)
        # A synthesis that fails before any audio: 500.
        status, _, _ = s.tts({"voice": "tone:tone", "text": "[fail]"})
        self.assertEqual(status, 500)
        s.assert_idle()
        # Requests are counted when their responses have ended on the server's side (just
        # after the client read the last byte): the last one's log line says it was.
        s.wait_log(" status=500 ")

        m = self.scrape()
        req = lambda route, status: value(m, "lector_requests_total", route=route, status=str(status))
        self.assertEqual(req("/tts", 200), 2)
        self.assertEqual(req("/tts", 400), 1)
        self.assertEqual(req("/tts", 503), 1)
        self.assertEqual(req("/tts", 499), 1)
        self.assertEqual(req("/tts", 500), 1)
        self.assertEqual(req("/v1/stream", 200), 1)
        self.assertEqual(value(m, "lector_rejections_total", reason="overloaded"), 1)
        self.assertEqual(value(m, "lector_cancellations_total", reason="client_gone"), 1)
        # Segments: 2 by a worker then 2 from the cache, 1 held (cancelled before done),
        # 1 for the utterance, 1 failed.
        self.assertEqual(value(m, "lector_segments_total", engine="tone", source="worker"), 3)
        self.assertEqual(value(m, "lector_segments_total", engine="tone", source="cache"), 2)
        self.assertEqual(value(m, "lector_cache_hits_total"), 2)
        self.assertAlmostEqual(value(m, "lector_audio_seconds_total", engine="tone"), audio + 0.3,
                               places=6)
        # Per key: no keys configured, so everything is "anonymous": 6 /tts and 1 utterance.
        self.assertEqual(value(m, "lector_key_requests_total", key="anonymous"), 7)
        self.assertAlmostEqual(value(m, "lector_key_audio_seconds_total", key="anonymous"),
                               audio + 0.3, places=6)
        # Histograms: the two complete /tts and the utterance had audio.
        self.assertEqual(value(m, "lector_time_to_first_audio_seconds_count", route="/tts"), 2)
        self.assertEqual(value(m, "lector_time_to_first_audio_seconds_count", route="/v1/stream"), 1)
        self.assertEqual(value(m, "lector_request_duration_seconds_count", route="/tts"), 2)
        self.assertEqual(value(m, "lector_real_time_factor_count", engine="tone"), 3)
        self.assertEqual(value(m, "lector_time_to_first_audio_seconds_bucket", route="/tts",
                               le="+Inf"), 2)
        # Every request that reached a worker or the cache waited in the queue once.
        self.assertEqual(value(m, "lector_queue_wait_seconds_count", engine="tone"), 5)
        # Gauges from the scheduler.
        self.assertEqual(value(m, "lector_requests_in_flight"), 0)
        self.assertEqual(value(m, "lector_queue_depth"), 0)
        self.assertEqual(value(m, "lector_workers_alive", engine="tone"), 1)
        self.assertEqual(value(m, "lector_workers_alive", engine="espeak"), 1)
        self.assertEqual(value(m, "lector_worker_restarts_total", engine="tone"), 0)
        self.assertEqual(value(m, "lector_draining"), 0)

        # The log: one line per request, with its id; never the text.
        log = s.wait_log(" request id=metrics-test-1 ")
        first = [l for l in log.splitlines() if " request id=metrics-test-1 " in l]
        self.assertEqual(len(first), 1, log[-3000:])
        for field in ("route=/tts", "method=GET", "status=200", "end=complete", "engine=tone",
                      "voice=tone", "format=wav", "rate=16000", "chars=25", "key=anonymous",
                      f"bytes={len(body1)}"):
            self.assertIn(" " + field, first[0])
        self.assertRegex(first[0], r" ttfa_ms=\d+\.\d{3} ")
        self.assertEqual(len([l for l in log.splitlines() if f" request id={generated} " in l]), 1)
        self.assertIn("status=499 end=client_gone", log)
        self.assertIn("status=503 end=complete error=overloaded", log)
        self.assertRegex(log, r" request id=\S+/1 route=/v1/stream method=WS status=200 ")
        self.assertNotIn("Three four five", log)
        self.assertNotIn("Six seven", log)

    def test_a_second_scrape_counts_the_first(self):
        def count(scrape):
            return value(scrape, "lector_requests_total", route="/metrics", status="200") or 0

        first = count(self.scrape())
        # A request is counted when its response has ended on the server's side, which can be
        # just after the client has read the last byte: a later scrape counts the first one and,
        # at most, every scrape before it.
        for later in range(1, 50):
            seen = count(self.scrape())
            self.assertLessEqual(seen, first + later)
            if seen >= first + 1:
                break
            time.sleep(0.02)
        self.assertGreaterEqual(seen, first + 1)

    def test_request_ids(self):
        s = self.server
        for path in ("/livez", "/nope", "/engines"):
            status, headers, _ = s.request("GET", path, headers={"X-Request-Id": "abc 123"})
            self.assertEqual(headers.get("x-request-id"), "abc 123", path)
        # Too long, or not printable ASCII: replaced by a generated one.
        status, headers, _ = s.request("GET", "/livez", headers={"X-Request-Id": "x" * 129})
        self.assertNotEqual(headers["x-request-id"], "x" * 129)
        self.assertTrue(1 <= len(headers["x-request-id"]) <= 128)
        # Unknown paths share one route label, so they cannot multiply the series.
        m = self.scrape()
        self.assertGreaterEqual(value(m, "lector_requests_total", route="other", status="404"), 1)
        self.assertIsNone(value(m, "lector_requests_total", route="/nope", status="404"))
        # And the WebSocket upgrade answers with one too.
        with WsClient(s.port, "/v1/stream") as ws:
            self.assertRegex(ws.handshake, r"(?i)\r\nx-request-id: \S+")


@unittest.skipUnless(tone_built(), "this lector was built without LECTOR_TEST_ENGINE")
class JsonLogTest(unittest.TestCase):
    def test_every_line_is_a_json_object(self):
        with LectorServer(workers=1, engines="espeak,tone",
                          extra_args=["--log-format", "json"]) as s:
            status, _, body = s.request("GET", tts_path({"voice": "tone:tone", "text": "Hi \"there\""}),
                                        headers={"X-Request-Id": "json-1"})
            self.assertEqual(status, 200)
            log = s.wait_log('"id":"json-1"')
        lines = [l for l in log.splitlines() if l.strip()]
        self.assertGreater(len(lines), 2)
        records = [json.loads(l) for l in lines]
        for r in records:
            self.assertIn("time", r)
            self.assertIn("level", r)
            self.assertIn("msg", r)
        mine = [r for r in records if r.get("id") == "json-1"]
        self.assertEqual(len(mine), 1)
        r = mine[0]
        self.assertEqual((r["msg"], r["route"], r["status"], r["engine"], r["voice"], r["key"]),
                         ("request", "/tts", 200, "tone", "tone", "anonymous"))
        self.assertEqual(r["bytes"], len(body))
        self.assertGreaterEqual(r["ttfa_ms"], 0)
        self.assertNotIn("there", log)

    def test_a_bad_format_is_refused(self):
        import subprocess
        from harness import LECTOR_BIN
        r = subprocess.run([LECTOR_BIN, "serve", "--port", "0", "--log-format", "xml"],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 2)
        self.assertIn("--log-format", r.stderr)
        self.assertIn("'xml'", r.stderr)


if __name__ == "__main__":
    unittest.main()
