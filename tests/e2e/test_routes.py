"""Every route and every error answer, with exact status codes and messages."""

import json
import os
import socket
import unittest

from harness import (HOST, LectorServer, ServerTestCase, parse_wav, raw_exchange,
                     split_response, tts_path, wait_for)

# Long enough that en-us and de differ by far more than espeak's run-to-run jitter.
GERMAN_TEXT = "Guten Morgen, wie geht es Ihnen heute? Das Wetter ist wirklich schön."


class PageAndListsTest(ServerTestCase):
    workers = 2

    def test_page_is_html_under_a_strict_policy(self):
        status, headers, body = self.server.request("GET", "/")
        self.assertEqual(status, 200)
        self.assertTrue(headers["content-type"].startswith("text/html"), headers["content-type"])
        policy = headers["content-security-policy"]
        self.assertIn("default-src 'none'", policy)
        self.assertIn("script-src 'self';", policy)
        self.assertNotIn("unsafe", policy)
        page = body.decode("utf-8").lower()
        for control in ('id="voice"', 'id="language"', 'id="gender"', 'id="search"',
                        'id="speed"', 'id="pitch"', 'id="volume"', 'id="pause"', 'id="rate"',
                        'id="format"', "<textarea", 'id="live"', 'id="speak"', 'id="stop"',
                        'id="download"', "<audio", 'role="status"'):
            self.assertIn(control, page)
        # No inline code: the policy would block it.
        self.assertNotIn("<style", page)
        self.assertNotIn("<script>", page)
        self.assertNotIn(" style=", page)

    def test_page_files(self):
        for path, kind, needle in (("/web/page.css", "text/css", "#status"),
                                   ("/web/page.js", "text/javascript", "/tts?"),
                                   ("/web/voices.js", "text/javascript", "/api/voices"),
                                   ("/web/stream.js", "text/javascript", "/v1/stream"),
                                   ("/web/live.js", "text/javascript", "LiveFeed"),
                                   ("/web/worklet.js", "text/javascript", "registerProcessor")):
            status, headers, body = self.server.request("GET", path)
            self.assertEqual(status, 200, path)
            self.assertTrue(headers["content-type"].startswith(kind), (path, headers))
            self.assertEqual(headers["x-content-type-options"], "nosniff")
            self.assertIn(needle, body.decode("utf-8"), path)
        status, _, _ = self.server.request("GET", "/web/nothing.js")
        self.assertEqual(status, 404)

    def test_engines(self):
        status, headers, body = self.server.get_json("/engines")
        self.assertEqual(status, 200)
        self.assertTrue(headers["content-type"].startswith("application/json"))
        self.assertEqual(body, ["espeak"])

    def test_voices_of_default_engine(self):
        status, headers, voices = self.server.get_json("/voices")
        self.assertEqual(status, 200)
        self.assertTrue(headers["content-type"].startswith("application/json"))
        self.assertIsInstance(voices, list)
        self.assertTrue(all(isinstance(v, str) and v for v in voices))
        self.assertIn("en-us", voices)
        for v in ("de", "fr-fr", "es", "en-gb"):
            self.assertIn(v, voices)
        self.assertGreater(len(voices), 100)
        self.assertEqual(len(voices), len(set(voices)), "duplicate voice names")

    def test_voices_of_named_engine(self):
        _, _, default = self.server.get_json("/voices")
        status, _, named = self.server.get_json("/voices?engine=espeak")
        self.assertEqual(status, 200)
        self.assertEqual(named, default)

    def test_voices_unknown_engine(self):
        self.assert_error(self.server.get_json("/voices?engine=nope"), 400,
                          "parameter 'engine': unknown engine 'nope'")
        self.assert_error(self.server.get_json("/voices?engine="), 400,
                          "parameter 'engine': unknown engine ''")

    def test_health(self):
        status, headers, body = self.server.get_json("/health")
        self.assertEqual(status, 200)
        self.assertEqual(body, {"status": "ok"})

    def test_status_lists_live_workers(self):
        st = self.server.status()
        self.assertEqual(len(st["workers"]), self.workers)
        pids = [w["pid"] for w in st["workers"]]
        self.assertEqual(len(set(pids)), len(pids), "workers share a pid")
        for w in st["workers"]:
            self.assertEqual(w["engine"], "espeak")
            self.assertIn(w["state"], ("starting", "idle", "busy", "cancelling"))
            self.assertIsInstance(w["pid"], int)
            self.assertGreater(w["pid"], 0)
            self.assertNotEqual(w["pid"], self.server.proc.pid)
            os.kill(w["pid"], 0)  # the process exists (raises otherwise)
            self.assertGreaterEqual(w["segments_done"], 0)
        for key in ("requests_active", "segments_queued", "requests_total", "requests_completed",
                    "requests_rejected", "requests_cancelled", "requests_failed", "segments_done",
                    "segments_retried", "worker_restarts"):
            self.assertIsInstance(st[key], int, key)
            self.assertGreaterEqual(st[key], 0, key)

    def test_status_counts_a_request(self):
        before = self.server.status()
        self.server.tts_pcm({"text": "Counting this one."})
        def counted():
            st = self.server.status()
            return st if st["requests_completed"] > before["requests_completed"] and st["requests_active"] == 0 else None
        after = wait_for(counted, 10, what="the request to be counted as completed")
        self.assertEqual(after["requests_total"], before["requests_total"] + 1)
        self.assertEqual(after["requests_completed"], before["requests_completed"] + 1)
        self.assertGreater(after["segments_done"], before["segments_done"])


class DefaultsTest(ServerTestCase):
    """/set_engine and /setvoice change server-wide defaults; each test restores them."""
    workers = 1

    def setUp(self):
        super().setUp()
        self.addCleanup(self.server.request, "GET", "/setvoice?voice_name=en-us")

    def test_set_engine(self):
        status, headers, body = self.server.get_json("/set_engine?engine_name=espeak")
        self.assertEqual(status, 200)
        self.assertTrue(headers["content-type"].startswith("application/json"))
        self.assertEqual(body, {"message": "Switched to espeak engine"})

    def test_set_engine_errors(self):
        self.assert_error(self.server.get_json("/set_engine"), 400, "parameter 'engine_name': missing")
        self.assert_error(self.server.get_json("/set_engine?engine_name="), 400,
                          "parameter 'engine_name': empty")
        self.assert_error(self.server.get_json("/set_engine?engine_name=nope"), 400,
                          "parameter 'engine_name': unknown engine 'nope'")
        # A failed switch leaves the default engine working.
        self.server.tts_pcm({"text": "Still speaking."})

    def test_setvoice_changes_the_default_voice_of_tts(self):
        _, en_pcm = self.server.tts_pcm({"text": GERMAN_TEXT, "voice": "en-us"})
        _, de_pcm = self.server.tts_pcm({"text": GERMAN_TEXT, "voice": "de"})
        # The two voices must be told apart by length for this test to mean anything.
        self.assertGreater(abs(len(en_pcm) - len(de_pcm)), 0.08 * len(de_pcm))

        status, _, body = self.server.get_json("/setvoice?voice_name=de")
        self.assertEqual(status, 200)
        self.assertEqual(body, {"message": "Voice set to de"})
        _, default_pcm = self.server.tts_pcm({"text": GERMAN_TEXT})
        self.assert_close(len(default_pcm), len(de_pcm), rel=0.03, msg="default voice after setvoice de")

        status, _, body = self.server.get_json("/setvoice?voice_name=en-us")
        self.assertEqual(status, 200)
        self.assertEqual(body, {"message": "Voice set to en-us"})
        _, default_pcm = self.server.tts_pcm({"text": GERMAN_TEXT})
        self.assert_close(len(default_pcm), len(en_pcm), rel=0.03, msg="default voice after setvoice en-us")

    def test_setvoice_errors(self):
        self.assert_error(self.server.get_json("/setvoice"), 400, "parameter 'voice_name': missing")
        self.assert_error(self.server.get_json("/setvoice?voice_name="), 400, "parameter 'voice_name': empty")
        self.assert_error(self.server.get_json("/setvoice?voice_name=nope"), 400,
                          "parameter 'voice_name': unknown voice 'nope' for engine 'espeak'")

    def test_explicit_voice_overrides_default(self):
        _, de_pcm = self.server.tts_pcm({"text": GERMAN_TEXT, "voice": "de"})
        self.assertEqual(self.server.get_json("/setvoice?voice_name=de")[0], 200)
        _, en_pcm = self.server.tts_pcm({"text": GERMAN_TEXT, "voice": "en-us"})
        self.assertGreater(abs(len(en_pcm) - len(de_pcm)), 0.08 * len(de_pcm),
                           "voice=en-us was ignored in favour of the default voice de")


class TtsErrorsTest(ServerTestCase):
    workers = 1

    def tts_error(self, query, message):
        with self.subTest(query=query):
            self.assert_error(self.server.request("GET", "/tts?" + query), 400, message)

    def test_text_errors(self):
        self.tts_error("", "parameter 'text': missing")
        self.tts_error("voice=en-us", "parameter 'text': missing")
        self.tts_error("text=", "parameter 'text': empty")
        self.tts_error("text", "parameter 'text': empty")
        self.tts_error("text=%20%20%09%0A", "parameter 'text': empty")
        self.tts_error("text=%C2%A0%E3%80%80", "parameter 'text': empty")  # NBSP, ideographic space

    def test_text_not_utf8(self):
        self.tts_error("text=%FF%FE", "parameter 'text': not valid UTF-8")
        self.tts_error("text=abc%C3", "parameter 'text': not valid UTF-8")      # truncated sequence
        self.tts_error("text=%C0%AF", "parameter 'text': not valid UTF-8")      # overlong '/'
        self.tts_error("text=%ED%A0%80", "parameter 'text': not valid UTF-8")   # UTF-16 surrogate

    def test_unknown_voice_and_engine(self):
        self.tts_error("text=hi&voice=nope", "parameter 'voice': unknown voice 'nope' for engine 'espeak'")
        self.tts_error("text=hi&voice=", "parameter 'voice': unknown voice '' for engine 'espeak'")
        self.tts_error("text=hi&engine=nope", "parameter 'engine': unknown engine 'nope'")
        # Values quoted back are cut short.
        long_voice = "v" * 200
        self.tts_error("text=hi&voice=" + long_voice,
                       "parameter 'voice': unknown voice '" + "v" * 64 + "...' for engine 'espeak'")

    def test_numbers_out_of_range(self):
        self.tts_error("text=hi&speed=9", "parameter 'speed': 9 is out of range [0.25, 4]")
        self.tts_error("text=hi&speed=4.0001", "parameter 'speed': 4.0001 is out of range [0.25, 4]")
        self.tts_error("text=hi&speed=0.1", "parameter 'speed': 0.1 is out of range [0.25, 4]")
        self.tts_error("text=hi&speed=-1", "parameter 'speed': -1 is out of range [0.25, 4]")
        self.tts_error("text=hi&pitch=0.1", "parameter 'pitch': 0.1 is out of range [0.5, 2]")
        self.tts_error("text=hi&pitch=3", "parameter 'pitch': 3 is out of range [0.5, 2]")
        self.tts_error("text=hi&volume=-1", "parameter 'volume': -1 is out of range [0, 2]")
        self.tts_error("text=hi&volume=2.5", "parameter 'volume': 2.5 is out of range [0, 2]")

    def test_numbers_not_numbers(self):
        for name in ("speed", "pitch", "volume"):
            for value, quoted in (("abc", "abc"), ("", ""), ("nan", "nan"), ("inf", "inf"),
                                  ("1e999", "1e999"), ("0x10", "0x10"), ("%201", " 1"), ("1.0x", "1.0x")):
                self.tts_error(f"text=hi&{name}={value}", f"parameter '{name}': not a number: '{quoted}'")

    def test_boundary_values_are_accepted(self):
        for params in ({"speed": "0.25"}, {"speed": "4"}, {"pitch": "0.5"}, {"pitch": "2"},
                       {"volume": "0"}, {"volume": "2"}):
            with self.subTest(**params):
                rate, pcm = self.server.tts_pcm({"text": "Edge.", **params})
                self.assertGreater(len(pcm), 0)

    def test_malformed_percent_escape(self):
        self.assert_error(self.server.request("GET", "/tts?text=%ZZ"), 400,
                          "malformed percent-escape in the query string")
        self.assert_error(self.server.request("GET", "/tts?text=ab%4"), 400,
                          "malformed percent-escape in the query string")

    def test_unknown_route(self):
        self.assert_error(self.server.request("GET", "/nope"), 404, "no route '/nope'")
        self.assert_error(self.server.request("GET", "/tts/extra?text=hi"), 404, "no route '/tts/extra'")

    def test_wrong_method(self):
        self.assert_error(self.server.request("POST", "/engines"), 405, "method POST is not allowed on /engines")
        self.assert_error(self.server.request("PUT", "/tts?text=hi", body=b"x"), 405,
                          "method PUT is not allowed on /tts")
        self.assert_error(self.server.request("DELETE", "/setvoice?voice_name=de"), 405,
                          "method DELETE is not allowed on /setvoice")
        self.assert_error(self.server.request("PUT", "/set_engine?engine_name=espeak"), 405,
                          "method PUT is not allowed on /set_engine")
        # RFC 9110 section 15.5.6: a 405 lists the methods the route takes.
        for method, path, allow in (("POST", "/engines", "GET, HEAD"), ("PUT", "/tts", "GET, HEAD, POST"),
                                    ("DELETE", "/", "GET, HEAD")):
            with self.subTest(method=method, path=path):
                status, headers, _ = self.server.request(method, path)
                self.assertEqual(status, 405)
                self.assertEqual(headers.get("allow"), allow)

    def test_malformed_percent_escape_in_the_path(self):
        self.assert_error(self.server.request("GET", "/tts%G1?text=hi"), 400,
                          "malformed percent-escape in the path")
        # The connection is still usable after it: the error is answered after the body.
        raw = raw_exchange(self.server.port,
                           b"GET /%ZZ HTTP/1.1\r\nHost: x\r\n\r\n"
                           b"GET /engines HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        self.assertIn(b"HTTP/1.1 400 ", raw)
        self.assertIn(b'["espeak"]', raw)

    def test_query_plus_is_a_space_and_stray_characters_are_accepted(self):
        self.assert_error(self.server.request("GET", "/voices?engine=esp+eak"), 400,
                          "parameter 'engine': unknown engine 'esp eak'")
        self.assert_error(self.server.request("GET", "/voices?engine=a|b{c}"), 400,
                          "parameter 'engine': unknown engine 'a|b{c}'")

    def test_request_line_too_large(self):
        # 17000 characters of query do not fit the 16 KiB header limit: a JSON 431, not a reset.
        status, headers, body = self.server.request("GET", tts_path({"text": "a" * 17000}))
        self.assert_error((status, headers, body), 431, "request headers too large (limit 16384 bytes)")

    def test_bad_input_never_gets_200_or_500(self):
        bad = ["/tts?text=%FF", "/tts?text=hi&speed=", "/tts?text=hi&pitch=x", "/tts?text=hi&volume=3",
               "/tts?voice=de", "/tts?text=%00%01%02", "/voices?engine=%FF", "/setvoice?voice_name=%FF",
               "/set_engine?engine_name=%FF", "/%FF", "/tts?text=hi&engine=%FF"]
        for path in bad:
            with self.subTest(path=path):
                status, headers, body = self.server.request("GET", path)
                self.assertGreaterEqual(status, 400, body[:200])
                self.assertLess(status, 500, body[:200])
                self.assert_error((status, headers, body), status)
        # And the server is still fine afterwards.
        self.assertEqual(self.server.get_json("/health")[0], 200)


class RawHttpTest(ServerTestCase):
    """What a client that speaks HTTP imperfectly, or differently, gets back."""
    workers = 1

    def raw(self, data):
        return split_response(raw_exchange(self.server.port, data))

    def test_malformed_request_is_a_json_400(self):
        for data in (b"GARBAGE\r\n\r\n",
                     b"GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: zz\r\n\r\n"):
            with self.subTest(data=data):
                line, headers, body = self.raw(data)
                self.assertTrue(line.startswith("HTTP/1.1 400 "), line)
                self.assertEqual(headers.get("content-type"), "application/json")
                self.assertTrue(json.loads(body)["error"].startswith("malformed HTTP request"), body)

    def test_body_too_large_is_a_json_413(self):
        line, headers, body = self.raw(b"POST /tts?text=hi HTTP/1.1\r\nHost: x\r\nContent-Length: 70000\r\n"
                                       b"Connection: close\r\n\r\n" + b"a" * 70000)
        self.assertTrue(line.startswith("HTTP/1.1 413 "), line)
        self.assertEqual(json.loads(body), {"error": "request body too large (limit 65536 bytes)"})

    def test_pipelined_requests_are_answered_in_order(self):
        raw = raw_exchange(self.server.port,
                           b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
                           b"GET /engines HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        first = raw.index(b'{"status":"ok"}')
        second = raw.index(b'["espeak"]')
        self.assertLess(first, second)
        self.assertEqual(raw.count(b"HTTP/1.1 200 "), 2)

    def test_http_1_0_client_gets_a_plain_wav_body(self):
        # HTTP/1.0 has no chunked encoding (RFC 9112 section 6.1: a server must not send
        # Transfer-Encoding to a 1.0 client): the audio must come unframed, ended by the close.
        line, headers, body = self.raw(b"GET /tts?text=Hello%20there. HTTP/1.0\r\n\r\n")
        self.assertRegex(line, r"^HTTP/1\.[01] 200 ")
        self.assertNotIn("transfer-encoding", headers, f"chunked answer to an HTTP/1.0 request: {line} {headers}")
        rate, channels, bits, pcm = parse_wav(body, expect_unknown_sizes=True)
        _, direct = self.server.tts_pcm({"text": "Hello there."})
        self.assert_close(len(pcm), len(direct), abs_tol=4000, msg="bytes via HTTP/1.0 vs 1.1")

    def test_http_1_0_json_route(self):
        line, headers, body = self.raw(b"GET /engines HTTP/1.0\r\n\r\n")
        self.assertRegex(line, r"^HTTP/1\.[01] 200 ")
        self.assertEqual(json.loads(body), ["espeak"])


class TextLimitTest(ServerTestCase):
    workers = 1
    extra_args = ("--max-text-chars", "50")

    def test_text_over_the_limit(self):
        self.assert_error(self.server.tts({"text": "a" * 51}), 400,
                          "parameter 'text': too long: 51 characters, the limit is 50")

    def test_text_at_the_limit(self):
        text = ("Short words. " * 5)[:50]
        self.assertEqual(len(text), 50)
        rate, pcm = self.server.tts_pcm({"text": text})
        self.assertGreater(len(pcm), 0)

    def test_limit_counts_characters_not_bytes(self):
        # 50 characters, 100 bytes: within the limit.
        rate, pcm = self.server.tts_pcm({"text": "é" * 50})
        self.assertGreater(len(pcm), 0)
        self.assert_error(self.server.tts({"text": "é" * 51}), 400,
                          "parameter 'text': too long: 51 characters, the limit is 50")


class RejectedUploadTest(ServerTestCase):
    """Issue 8, defect 1: a text upload refused for its content must free its request slot."""
    workers = 1
    extra_args = ("--max-requests", "3")

    def test_rejected_uploads_free_their_slots(self):
        for i in range(5):
            with self.subTest(upload=i):
                status, _, data = self.server.request(
                    "POST", "/tts", body=b"bad \xff byte", headers={"Content-Type": "text/plain"})
                self.assertEqual(status, 400, data[:200])
                self.assertEqual(json.loads(data)["error"], "parameter 'text': not valid UTF-8")
        wait_for(lambda: self.server.status()["requests_active"] == 0, 10,
                 what="the rejected uploads to leave the scheduler")
        rate, pcm = self.server.tts_pcm({"text": "Still serving."})
        self.assertGreater(len(pcm), 0)


class ShutdownTest(unittest.TestCase):
    def test_sigterm_stops_server_and_workers(self):
        server = LectorServer(workers=2).start()
        try:
            pids = server.worker_pids()
            server.tts_pcm({"text": "Goodbye."})
            server.assert_idle()
        finally:
            code = server.stop()  # raises unless the exit status is 0
        self.assertEqual(code, 0)
        with socket.socket() as s:
            self.assertNotEqual(s.connect_ex((HOST, server.port)), 0, "port still accepting after exit")

        def gone(pid):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return True
            # A zombie would be reaped by init eventually; an orphan still running is a leak.
            try:
                with open(f"/proc/{pid}/stat") as f:
                    return f.read().split(")")[-1].split()[0] == "Z"
            except FileNotFoundError:
                return True
        wait_for(lambda: all(gone(p) for p in pids), 10, what=f"worker processes {pids} to exit")


if __name__ == "__main__":
    unittest.main()
