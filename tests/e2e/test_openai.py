"""OpenAI's speech API on the real server: /v1/audio/speech in every response format (decoded
by lector-decode and compared with the WAV result), streaming and SSE, the model and voice
names, /v1/models and /v1/audio/voices, and OpenAI-shaped errors naming the parameter. The
official `openai` npm SDK drives the same routes in tests/openai."""

import base64
import json
import time
import unittest

from audio_decode import decode
from harness import ServerTestCase
from test_tone import tone_built

TEXT = "The quick brown fox jumps over the lazy dog. It was not amused."
FORMATS = {"mp3": "audio/mpeg", "opus": "audio/ogg", "flac": "audio/flac", "wav": "audio/wav",
           "pcm": "audio/pcm"}


class OpenAiTestCase(ServerTestCase):
    workers = 2
    extra_args = ("--openai-max-input", "300")

    def speech(self, body, raw=None):
        data = raw if raw is not None else json.dumps(body).encode()
        return self.server.request("POST", "/v1/audio/speech", body=data,
                                   headers={"Content-Type": "application/json"})

    def speech_ok(self, body):
        status, headers, data = self.speech(body)
        self.assertEqual(status, 200, data[:300])
        return headers, data

    def assert_openai_error(self, result, status, param):
        got, headers, body = result
        self.assertEqual(got, status, body[:300])
        self.assertTrue(headers.get("content-type", "").startswith("application/json"))
        err = json.loads(body)["error"]
        self.assertIsInstance(err, dict, body)
        self.assertEqual(set(err), {"message", "type", "param", "code"})
        self.assertEqual(err["param"], param, err)
        self.assertIsInstance(err["message"], str)
        self.assertTrue(err["message"])
        self.assertEqual(err["type"], "invalid_request_error" if status < 500 else "server_error")
        return err


class SpeechFormatsTest(OpenAiTestCase):
    def test_every_format_decodes_at_24_khz_with_the_wav_duration(self):
        _, wav = self.speech_ok({"model": "tts-1", "voice": "alloy", "input": TEXT,
                                 "response_format": "wav"})
        reference = decode("wav", wav)
        self.assertEqual(reference["sample_rate"], 24000)
        self.assertGreater(reference["seconds"], 2.0)
        for fmt, ctype in FORMATS.items():
            with self.subTest(format=fmt):
                headers, data = self.speech_ok({"model": "tts-1", "voice": "alloy", "input": TEXT,
                                                "response_format": fmt})
                self.assertTrue(headers["content-type"].startswith(ctype), headers)
                got = decode(fmt, data, 24000 if fmt == "pcm" else None)
                self.assertEqual(got["sample_rate"], 24000)
                self.assertEqual(got["channels"], 1)
                self.assertLessEqual(abs(got["seconds"] - reference["seconds"]),
                                     0.03 * reference["seconds"], (got, reference))

    def test_mp3_is_the_default_format(self):
        headers, data = self.speech_ok({"model": "tts-1", "voice": "echo", "input": "Hello."})
        self.assertEqual(headers["content-type"], "audio/mpeg")
        self.assertEqual(decode("mp3", data)["sample_rate"], 24000)

    def test_sample_rate_is_honoured(self):
        for fmt, rate in (("flac", 16000), ("wav", 8000), ("opus", 48000), ("mp3", 44100),
                          ("pcm", 22050)):
            with self.subTest(format=fmt, rate=rate):
                _, data = self.speech_ok({"input": "Sample rates.", "voice": "nova",
                                          "response_format": fmt, "sample_rate": rate})
                self.assertEqual(decode(fmt, data, rate if fmt == "pcm" else None)["sample_rate"],
                                 rate)

    def test_speed_changes_the_duration(self):
        def seconds(speed):
            _, data = self.speech_ok({"input": TEXT, "voice": "onyx", "response_format": "wav",
                                      "speed": speed})
            return decode("wav", data)["seconds"]
        normal = seconds(1.0)
        self.assertAlmostEqual(seconds(2.0) / normal, 0.5, delta=0.12)
        self.assertAlmostEqual(seconds(0.5) / normal, 2.0, delta=0.4)

    def test_voice_names_and_ids(self):
        for voice in ("alloy", "ash", "ballad", "coral", "echo", "fable", "nova", "onyx", "sage",
                      "shimmer", "verse", "marin", "cedar", {"id": "shimmer"}, "en-gb",
                      "espeak:de"):
            with self.subTest(voice=voice):
                _, data = self.speech_ok({"input": "Hi.", "voice": voice, "response_format": "wav"})
                self.assertGreater(decode("wav", data)["seconds"], 0.2)
        # The female and male names are different voices.
        _, a = self.speech_ok({"input": TEXT, "voice": "nova", "response_format": "pcm"})
        _, b = self.speech_ok({"input": TEXT, "voice": "onyx", "response_format": "pcm"})
        self.assertNotEqual(a, b)

    def test_model_names_an_engine(self):
        _, data = self.speech_ok({"model": "espeak", "input": "Hi.", "voice": "coral",
                                  "response_format": "wav"})
        self.assertGreater(decode("wav", data)["seconds"], 0.2)
        for model in ("tts-1-hd", "gpt-4o-mini-tts"):
            with self.subTest(model=model):
                self.speech_ok({"model": model, "input": "Hi.", "voice": "alloy",
                                "instructions": "Speak cheerfully."})


class SpeechStreamingTest(OpenAiTestCase):
    def test_sse_events_carry_the_audio_and_usage(self):
        status, headers, body = self.speech({"input": TEXT, "voice": "alloy",
                                             "response_format": "opus", "stream_format": "sse"})
        self.assertEqual(status, 200, body[:200])
        self.assertEqual(headers["content-type"], "text/event-stream")
        events = [json.loads(block[len("data: "):]) for block in body.decode().split("\n\n")
                  if block.startswith("data: ")]
        deltas = [e for e in events if e["type"] == "speech.audio.delta"]
        self.assertGreater(len(deltas), 1)
        self.assertEqual(events[-1]["type"], "speech.audio.done")
        usage = events[-1]["usage"]
        self.assertEqual(usage["input_tokens"], len(TEXT))
        self.assertEqual(usage["total_tokens"], usage["input_tokens"] + usage["output_tokens"])
        audio = b"".join(base64.b64decode(e["audio"]) for e in deltas)
        got = decode("opus", audio)
        self.assertEqual(got["sample_rate"], 24000)
        self.assertGreater(got["seconds"], 2.0)

    def test_mp3_and_opus_cut_at_any_chunk_boundary_still_decode(self):
        long_text = " ".join([TEXT] * 4)
        for fmt in ("mp3", "opus"):
            with self.subTest(format=fmt):
                body = json.dumps({"input": long_text, "voice": "alloy", "response_format": fmt})
                with self.server.stream_request("POST", "/v1/audio/speech", body.encode(),
                                                {"Content-Type": "application/json"},
                                                recv_size=4096) as s:
                    status, _ = s.read_head()
                    self.assertEqual(status, 200)
                    prefixes, data = [], b""
                    for _, piece in s.chunks():
                        data += piece
                        prefixes.append(len(data))
                self.assertGreater(len(prefixes), 3)
                full = decode(fmt, data)["seconds"]
                last = 0.0
                for n in prefixes[:: max(1, len(prefixes) // 12)]:
                    got = decode(fmt, data[:n])["seconds"]
                    self.assertGreaterEqual(got, last - 0.01, f"prefix of {n} bytes")
                    last = got
                self.assertAlmostEqual(last, full, delta=full)


@unittest.skipUnless(tone_built(), "this lector was built without LECTOR_TEST_ENGINE")
class FirstBytesBeforeSynthesisEndsTest(OpenAiTestCase):
    engines = "espeak,tone"

    def test_every_format_streams(self):
        # Two words (200 ms of tone), then the engine holds the rest back for 1.5 s: in every
        # format, bytes that decode reach the client before the held-back words are made. Each
        # format's text differs (in the delay), so no answer comes from the cache.
        for i, fmt in enumerate(FORMATS):
            with self.subTest(format=fmt):
                body = json.dumps({"model": "tone", "voice": "tone", "response_format": fmt,
                                   "input": f"one two three four [delay:{1500 + i}] five six"})
                with self.server.stream_request("POST", "/v1/audio/speech", body.encode(),
                                                {"Content-Type": "application/json"}) as s:
                    start = time.monotonic()
                    status, _ = s.read_head()
                    self.assertEqual(status, 200)
                    first_t, first = next(s.chunks())
                    rest = b"".join(piece for _, piece in s.chunks())
                    end = time.monotonic()
                self.assertLess(first_t - start, 1.0, "first bytes only after the delay")
                self.assertGreater(end - start, 1.4)
                got = decode(fmt, first + rest, 24000 if fmt == "pcm" else None)
                self.assertAlmostEqual(got["seconds"], 0.6, delta=0.08)


@unittest.skipUnless(tone_built(), "this lector was built without LECTOR_TEST_ENGINE")
class OverloadTest(OpenAiTestCase):
    engines = "espeak,tone"
    extra_args = ("--max-requests", "1")

    def test_a_full_server_answers_503_with_retry_after_in_openai_shape(self):
        body = json.dumps({"model": "tone", "voice": "tone", "response_format": "wav",
                           "input": "one [delay:60000] two"}).encode()
        with self.server.stream_request("POST", "/v1/audio/speech", body,
                                        {"Content-Type": "application/json"}) as s:
            self.assertEqual(s.read_head()[0], 200)
            result = self.speech({"input": "Hi.", "voice": "alloy"})
            err = self.assert_openai_error(result, 503, None)
            self.assertEqual(err["code"], "overloaded")
            self.assertEqual(result[1]["retry-after"], "1")
        # Leaving the held request frees the slot (checked by the idle check after the test).


class ModelsAndVoicesTest(OpenAiTestCase):
    def test_models_list(self):
        status, _, body = self.server.get_json("/v1/models")
        self.assertEqual(status, 200)
        self.assertEqual(body["object"], "list")
        ids = [m["id"] for m in body["data"]]
        for m in ("tts-1", "tts-1-hd", "gpt-4o-mini-tts", "espeak"):
            self.assertIn(m, ids)
        for m in body["data"]:
            self.assertEqual(m["object"], "model")
            self.assertIn("owned_by", m)

    def test_voices_list(self):
        status, _, body = self.server.get_json("/v1/audio/voices")
        self.assertEqual(status, 200)
        voices = body["voices"]
        self.assertGreater(len(voices), 50)
        for v in voices:
            self.assertEqual(v["id"], v["engine"] + ":" + v["name"])
            self.assertIsInstance(v["languages"], list)
            self.assertIn(v["gender"], ("male", "female", "unknown"))
            self.assertGreater(v["sample_rate"], 0)


class SpeechErrorsTest(OpenAiTestCase):
    def test_bad_parameters_get_openai_errors_naming_them(self):
        cases = [
            ({"voice": "alloy"}, "input"),
            ({"input": "", "voice": "alloy"}, "input"),
            ({"input": 5, "voice": "alloy"}, "input"),
            ({"input": "x" * 301, "voice": "alloy"}, "input"),
            ({"input": "Hi.", "voice": "nobody"}, "voice"),
            ({"input": "Hi.", "voice": 3}, "voice"),
            ({"input": "Hi.", "voice": {"name": "alloy"}}, "voice"),
            ({"input": "Hi.", "model": "tts-9"}, "model"),
            ({"input": "Hi.", "model": 1}, "model"),
            ({"input": "Hi.", "response_format": "aac"}, "response_format"),
            ({"input": "Hi.", "response_format": "ogg"}, "response_format"),
            ({"input": "Hi.", "speed": 4.5}, "speed"),
            ({"input": "Hi.", "speed": 0.1}, "speed"),
            ({"input": "Hi.", "speed": "fast"}, "speed"),
            ({"input": "Hi.", "sample_rate": 4000}, "sample_rate"),
            ({"input": "Hi.", "sample_rate": 22050.5}, "sample_rate"),
            ({"input": "Hi.", "response_format": "mp3", "sample_rate": 9000}, "sample_rate"),
            ({"input": "Hi.", "stream_format": "chunks"}, "stream_format"),
            ({"input": "Hi.", "instructions": ["loud"]}, "instructions"),
        ]
        for body, param in cases:
            with self.subTest(body=body):
                err = self.assert_openai_error(self.speech(body), 400, param)
                self.assertIn(param, err["message"])
        err = self.assert_openai_error(self.speech(None, raw=b"{not json"), 400, None)
        self.assertIn("JSON", err["message"])
        aac = self.assert_openai_error(self.speech({"input": "Hi.", "response_format": "aac"}),
                                       400, "response_format")
        self.assertIn("mp3", aac["message"])

    def test_unknown_paths_and_methods_answer_in_openai_shape(self):
        self.assert_openai_error(self.server.request("GET", "/v1/audio/nothing"), 404, None)
        result = self.server.request("GET", "/v1/audio/speech")
        self.assert_openai_error(result, 405, None)
        self.assertEqual(result[1]["allow"], "POST")


if __name__ == "__main__":
    unittest.main()
