"""The bad-input catalogue of issue 16, part 1: what a request carries. Each case has its
expected answer; after each test the harness checks the server is idle (no request active, none
held, nothing queued, every worker idle), and each case ends with a normal request answered.

Part 2 (test_catalogue_conn.py) holds what a connection does: oversize bodies and headers,
slowloris, idle connections, slots after rejections on every route, SIGTERM mid-stream.

Cases of the issue's list covered elsewhere, not repeated here:
- empty and whitespace-only text: test_routes TtsErrorsTest.test_text_errors (GET /tts),
  test_slots (upload), test_openai SpeechErrorsTest (input ""), test_marytts
  test_errors_name_marytts_parameters (INPUT_TEXT ""), test_wyoming MalformedInputTest
  ("empty text");
- one character over the cap, counted in characters: test_routes TextLimitTest
  (test_limit_counts_characters_not_bytes: 2-byte "é"), test_openai SpeechErrorsTest (301);
- invalid UTF-8 in the query and a text body: test_routes TtsErrorsTest.test_text_not_utf8,
  test_stream PostTtsTest.test_invalid_utf8_upload_is_a_400; in a WebSocket frame:
  test_stream NativeStreamTest.test_invalid_utf8_and_oversize_messages_close_the_socket_only;
  in a Wyoming header: test_wyoming MalformedInputTest ("invalid UTF-8");
- malformed JSON, wrong types, missing fields: test_stream PostTtsTest
  .test_json_errors_name_the_parameter, test_openai SpeechErrorsTest;
- out-of-range and non-numbers in the query (nan, inf, 1e999, -1): test_routes TtsErrorsTest
  .test_numbers_out_of_range and .test_numbers_not_numbers;
- unknown engine and voice: test_routes TtsErrorsTest.test_unknown_voice_and_engine; unknown
  format and sample rate on /tts: test_formats TtsFormatsTest.test_bad_format_and_rate_name_the_
  parameter; on /v1/stream: test_formats StreamFormatsTest;
- a request line over the limit: test_routes TtsErrorsTest.test_request_line_too_large;
- pipelined and HTTP/1.0 requests: test_routes RawHttpTest;
- a client that disconnects mid-stream: test_disconnect, test_slots
  .test_disconnect_mid_stream_more_times_than_the_limit, test_wyoming DisconnectTest;
- a client that never reads: test_scheduling WriteTimeoutTest, test_slots
  StalledWebSocketReaderIsCutOff, test_wyoming WriteTimeoutTest;
- a worker killed mid-segment (full audio via retry): test_faults WorkerDeathTest
  .test_busy_worker_killed_mid_request_stream_stays_whole; a worker that hangs (killed at the
  deadline): test_tone FaultTest.test_a_hung_worker_is_killed_at_its_deadline;
- rejections more times than --max-requests on /tts (GET, JSON, upload) and /v1/stream:
  test_slots RejectedRequestsFreeTheirSlots;
- WebSocket /v1/stream: oversize message, invalid UTF-8, binary, unknown message type:
  test_stream NativeStreamTest.test_bad_messages_get_error_events and
  .test_invalid_utf8_and_oversize_messages_close_the_socket_only;
- Wyoming malformed input: test_wyoming MalformedInputTest.

Added here: invalid UTF-8 in JSON bodies (/tts, /v1/audio/speech) and in /process; NUL and
control characters inside speakable text; emoji-only and right-to-left text; one character over
the cap with 4-byte characters, on /tts, /v1/audio/speech and /process; non-finite and huge
numbers in JSON (NaN, 1e308, 1e999, -1); wrong JSON types and shapes; unknown engine, voice,
format and sample rate on /v1/audio/speech and /process; the RealtimeTTS /ws socket's bad
messages (binary, invalid UTF-8, oversize, empty).
"""

import json
import unittest
import urllib.parse

from harness import ServerTestCase, parse_wav, rms
from wsclient import WsClient, WsClosed

JSON = {"Content-Type": "application/json"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


class CatalogueCase(ServerTestCase):
    workers = 1
    extra_args = ("--max-text-chars", "40", "--openai-max-input", "40")

    def still_serving(self):
        """A normal request after a case: speech comes back."""
        rate, pcm = self.server.tts_pcm({"text": "Still here."})
        self.assertGreater(rms(pcm), 300)

    def post(self, path, body, headers=JSON):
        if not isinstance(body, bytes):
            body = json.dumps(body).encode()
        return self.server.request("POST", path, body=body, headers=headers)

    def openai_error(self, result, status, param):
        got, headers, body = result
        self.assertEqual(got, status, body[:300])
        err = json.loads(body)["error"]
        self.assertIsInstance(err, dict, body)
        self.assertEqual(err["param"], param, err)
        return err["message"]


class TextContentTest(CatalogueCase):
    def test_control_characters_are_removed_and_the_rest_is_spoken(self):
        clean = self.server.tts_pcm({"text": "Hello world."})[1]
        for dirty in ("Hello\x00 world.", "Hel\x01lo wor\x7fld.", "\x1bHello world.\x07"):
            with self.subTest(text=dirty):
                self.assertEqual(self.server.tts_pcm({"text": dirty})[1], clean)
        # In a JSON body ("\u0000" escapes) and a text upload too.
        status, _, body = self.post("/tts", {"text": "Hello\u0000 world."})
        self.assertEqual(status, 200, body[:200])
        self.assertEqual(parse_wav(body)[3], clean)
        status, _, body = self.post("/tts", b"Hello\x00 world.", {"Content-Type": "text/plain"})
        self.assertEqual(status, 200, body[:200])
        self.assertEqual(parse_wav(body)[3], clean)
        # Nothing but control characters is empty text.
        self.assert_error(self.server.tts({"text": "\x00\x01\x02"}), 400, "parameter 'text': empty")
        self.still_serving()

    def test_emoji_only_and_right_to_left_text_are_spoken(self):
        # Emoji are left out by default, so emoji alone leave nothing to speak: a clear 400.
        # With emoji_names they are read by their Unicode names; Hebrew and Arabic with their
        # own voices.
        self.assert_error(self.server.tts({"text": "😀🎉👍"}), 400,
                          "parameter 'text': has nothing to speak")
        for params in ({"text": "😀🎉👍", "emoji_names": "1"},
                       {"text": "שלום עולם.", "voice": "he"},
                       {"text": "مرحبا بالعالم.", "voice": "ar"},
                       {"text": "Mixed שלום text."}):
            with self.subTest(**params):
                rate, pcm = self.server.tts_pcm(params)
                self.assertEqual(rate, 22050)
                self.assertGreater(len(pcm), 22050, "less than half a second of audio")
                self.assertGreater(rms(pcm), 300)
        self.still_serving()

    def test_one_character_over_the_cap_in_four_byte_characters(self):
        # 40 emoji are 160 bytes: within a 40-character cap. 41 are one over. (Named, so that
        # there is something to speak.)
        self.assertEqual(self.server.tts({"text": "😀" * 40, "emoji_names": "1"})[0], 200)
        self.assert_error(self.server.tts({"text": "😀" * 41}), 400,
                          "parameter 'text': too long: 41 characters, the limit is 40")
        self.assert_error(self.post("/tts", ("😀" * 41).encode(), {"Content-Type": "text/plain"}),
                          400, contains="too long: over 40 characters")
        self.assertIn("too long", self.openai_error(self.post("/v1/audio/speech", {"input": "😀" * 41}),
                                                    400, "input"))
        self.assertEqual(self.post("/v1/audio/speech", {"input": "😀" * 40, "emoji_names": True,
                                                        "response_format": "wav"})[0], 200)
        self.assert_error(self.server.request("GET", "/process?" + urllib.parse.urlencode(
            {"INPUT_TEXT": "é" * 41})), 400, contains="'INPUT_TEXT': too long")
        self.still_serving()

    def test_invalid_utf8_in_json_bodies_and_forms(self):
        self.assert_error(self.post("/tts", b'{"text": "caf\xff"}'), 400, contains="JSON")
        self.assertIn("JSON", self.openai_error(self.post("/v1/audio/speech", b'{"input": "caf\xc3"}'),
                                                400, None))
        # A JSON escape of a lone surrogate decodes to invalid UTF-8: refused as text.
        status, headers, body = self.post("/tts", b'{"text": "a\\ud800b"}')
        self.assertEqual(status, 400, body[:200])
        self.assert_error(self.server.request("POST", "/process", body=b"INPUT_TEXT=caf%FF",
                                              headers=FORM), 400,
                          "parameter 'INPUT_TEXT': not valid UTF-8")
        self.assert_error(self.server.request("GET", "/process?INPUT_TEXT=%C0%AF"), 400,
                          "parameter 'INPUT_TEXT': not valid UTF-8")
        self.still_serving()


class JsonShapeTest(CatalogueCase):
    def test_numbers_non_finite_huge_and_negative(self):
        for raw, fragment in ((b'{"text":"hi","speed":NaN}', "JSON"),
                              (b'{"text":"hi","speed":Infinity}', "JSON"),
                              (b'{"text":"hi","speed":1e999}', "JSON"),
                              (b'{"text":"hi","speed":1e308}', "parameter 'speed': 1e+308 is out of range"),
                              (b'{"text":"hi","pitch":-1}', "parameter 'pitch': -1 is out of range"),
                              (b'{"text":"hi","volume":-1e-300}', "parameter 'volume'"),
                              (b'{"text":"hi","sample_rate":-1}', "parameter 'sample_rate'"),
                              (b'{"text":"hi","sample_rate":1e308}', "parameter 'sample_rate'")):
            with self.subTest(body=raw):
                self.assert_error(self.post("/tts", raw), 400, contains=fragment)
        for raw, param in ((b'{"input":"hi","speed":NaN}', None),
                           (b'{"input":"hi","speed":1e308}', "speed"),
                           (b'{"input":"hi","speed":-1}', "speed"),
                           (b'{"input":"hi","sample_rate":-1}', "sample_rate"),
                           (b'{"input":"hi","sample_rate":1e308}', "sample_rate")):
            with self.subTest(body=raw):
                self.openai_error(self.post("/v1/audio/speech", raw), 400, param)
        self.still_serving()

    def test_wrong_shapes_and_types(self):
        for raw, fragment in ((b"", "JSON"), (b"[1,2]", "JSON"), (b'"text"', "JSON"), (b"null", "JSON"),
                              (b'{"text":"hi"} trailing', "JSON"), (b'{"text":"hi",}', "JSON"),
                              (b'{"text":true}', "parameter 'text'"),
                              (b'{"text":{"a":1}}', "parameter 'text'"),
                              (b'{"text":null}', "parameter 'text': missing"),
                              (b'{"text":"hi","engine":5}', "parameter 'engine'"),
                              (b'{"text":"hi","format":["wav"]}', "parameter 'format'"),
                              (b'{"text":"hi","speed":"1x"}', "parameter 'speed'"),
                              (b"{" * 10000, "JSON")):
            with self.subTest(body=raw[:40]):
                self.assert_error(self.post("/tts", raw), 400, contains=fragment)
        self.still_serving()


class UnknownNamesTest(CatalogueCase):
    def test_unknown_engine_voice_format_and_rate_on_every_http_route(self):
        self.assert_error(self.post("/tts", {"text": "hi", "engine": "nope"}), 400,
                          "parameter 'engine': unknown engine 'nope'")
        self.assert_error(self.post("/tts", {"text": "hi", "format": "wma"}), 400, contains="'format'")
        self.assert_error(self.post("/tts", {"text": "hi", "sample_rate": 7999}), 400,
                          contains="'sample_rate'")
        self.openai_error(self.post("/v1/audio/speech", {"input": "hi", "voice": "espeak:nope"}),
                          400, "voice")
        self.openai_error(self.post("/v1/audio/speech", {"input": "hi", "model": "nope"}), 400, "model")
        self.openai_error(self.post("/v1/audio/speech", {"input": "hi", "response_format": "wma"}),
                          400, "response_format")
        self.openai_error(self.post("/v1/audio/speech", {"input": "hi", "sample_rate": 96000}),
                          400, "sample_rate")
        self.assert_error(self.server.request("GET", "/process?INPUT_TEXT=hi&VOICE=nope"), 400,
                          contains="'VOICE'")
        self.assert_error(self.server.request("GET", "/process?INPUT_TEXT=hi&AUDIO=MP3_FILE"), 400,
                          contains="'AUDIO'")
        self.still_serving()


class RealtimeTtsSocketTest(CatalogueCase):
    """/ws (RealtimeTTS's protocol: a text message is an utterance); /v1/stream's cases are in
    test_stream."""

    def error_message(self, ws):
        binary, payload = ws.recv()
        self.assertFalse(binary)
        return json.loads(payload)["error"]

    def test_binary_is_an_error_and_the_socket_goes_on(self):
        with WsClient(self.server.port, "/ws") as ws:
            ws.send_binary(b"\x00\x01\x02")
            self.assertIn("binary messages are not accepted", self.error_message(ws))
            ws.send_text("x" * 41)
            self.assertIn("too long", self.error_message(ws))
            ws.send_text("\x01\x02")
            self.assertIn("empty", self.error_message(ws))
            ws.send_text("Still here.")
            binary, payload = ws.recv()
            self.assertIn("audioOutput", json.loads(payload))
            while "finalOutput" not in json.loads(ws.recv()[1]):
                pass

    def test_invalid_utf8_and_oversize_close_the_socket(self):
        with WsClient(self.server.port, "/ws") as ws:
            ws.send_text(b"caf\xff")
            with self.assertRaises(WsClosed) as closed:
                ws.recv()
            self.assertEqual(closed.exception.code, 1007)
        with WsClient(self.server.port, "/ws") as ws:
            ws.send_text("x" * (70 * 1024))
            with self.assertRaises(WsClosed) as closed:
                ws.recv()
            self.assertEqual(closed.exception.code, 1009)
        self.still_serving()


if __name__ == "__main__":
    unittest.main()
