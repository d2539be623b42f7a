"""Formats and sample rates on every synthesis route but the OpenAI one (test_openai.py):
GET /tts, a streamed POST /tts upload, /v1/stream utterances and `lector say`, each decoded by
lector-decode; every engine's native rate into MP3 and Opus."""

import os
import subprocess
import tempfile
import unittest

from audio_decode import decode
from harness import LECTOR_BIN, ServerTestCase, parse_wav
from test_stream import collect_utterance
from wsclient import WsClient

TEXT = "Formats are containers. The words inside stay the same."
FORMATS = ("wav", "pcm", "mp3", "opus", "flac")


class TtsFormatsTest(ServerTestCase):
    workers = 2

    def reference_seconds(self, voice="en-us"):
        status, _, body = self.server.tts({"text": TEXT, "voice": voice})
        self.assertEqual(status, 200)
        rate, _, _, pcm = parse_wav(body)
        return len(pcm) / 2 / rate

    def test_every_format_and_rate_on_get_tts(self):
        reference = self.reference_seconds()
        for fmt in FORMATS:
            for rate in (None, 8000, 16000, 44100, 48000):
                with self.subTest(format=fmt, rate=rate):
                    params = {"text": TEXT, "format": fmt}
                    if rate:
                        params["sample_rate"] = rate
                    status, headers, body = self.server.tts(params)
                    self.assertEqual(status, 200, body[:200])
                    expected_rate = rate or 22050
                    if fmt == "pcm":
                        self.assertEqual(headers["x-sample-rate"], str(expected_rate))
                    if fmt == "mp3" and rate is None:
                        self.assertEqual(headers["content-type"], "audio/mpeg")
                    got = decode(fmt, body, expected_rate if fmt == "pcm" else None)
                    self.assertEqual(got["sample_rate"], expected_rate)
                    # MP3 adds the encoder's delay and padding (at most ~0.14 s at 8 kHz).
                    self.assertLessEqual(abs(got["seconds"] - reference), 0.03 * reference + 0.15)

    def test_bad_format_and_rate_name_the_parameter(self):
        for params, param in (({"format": "aac"}, "format"), ({"format": "ogg"}, "format"),
                              ({"sample_rate": "7999"}, "sample_rate"),
                              ({"sample_rate": "48001"}, "sample_rate"),
                              ({"sample_rate": "16k"}, "sample_rate"),
                              ({"format": "mp3", "sample_rate": "9000"}, "sample_rate")):
            with self.subTest(params=params):
                message = self.assert_error(self.server.tts({"text": "Hi.", **params}), 400)
                self.assertIn(f"parameter '{param}'", message)

    def test_streamed_upload_in_opus(self):
        reference = self.reference_seconds()
        status, headers, body = self.server.request(
            "POST", "/tts?format=opus&sample_rate=24000", body=TEXT.encode(),
            headers={"Content-Type": "text/plain"})
        self.assertEqual(status, 200, body[:200])
        self.assertEqual(headers["content-type"], "audio/ogg")
        got = decode("opus", body)
        self.assertEqual(got["sample_rate"], 24000)
        self.assertLessEqual(abs(got["seconds"] - reference), 0.03 * reference)

    def test_lector_say_writes_the_format(self):
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "out.flac")
            proc = subprocess.run([LECTOR_BIN, "say", "--server", self.server.url, "--format",
                                   "flac", "--sample-rate", "16000", "-o", out, TEXT],
                                  capture_output=True, text=True, timeout=60)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            with open(out, "rb") as f:
                got = decode("flac", f.read())
            self.assertEqual(got["sample_rate"], 16000)
            self.assertGreater(got["seconds"], 2.0)


class EngineRatesTest(ServerTestCase):
    """Every engine's voices at their own rates (8, 16, 22.05, 32 kHz ...) into MP3 and Opus."""
    workers = 1
    engines = None  # all built in

    def test_each_engines_native_rate_encodes(self):
        engines = {e for e in self.server.get_json("/engines")[2]}
        voices = [v for v in ("espeak:en-us", "flite:kal", "flite:slt", "festival:kal_diphone",
                              "festival:cmu_us_slt_arctic_hts") if v.split(":")[0] in engines]
        for voice in voices:
            for fmt in ("mp3", "opus"):
                with self.subTest(voice=voice, format=fmt):
                    status, _, body = self.server.tts({"text": "Hello there.", "voice": voice,
                                                       "format": fmt})
                    self.assertEqual(status, 200, body[:200])
                    info = self.server.get_json("/api/voices")[2]
                    native = next(v["sample_rate"] for v in info if v["id"] == voice)
                    self.assertEqual(decode(fmt, body)["sample_rate"], native)


class StreamFormatsTest(ServerTestCase):
    workers = 2

    def test_each_utterance_is_one_stream_of_the_format(self):
        with WsClient(self.server.port, "/v1/stream") as ws:
            ws.send_json({"type": "config", "format": "opus", "sample_rate": 16000})
            kind, event = ws.recv_event()
            self.assertEqual(event["type"], "config")
            self.assertEqual(event["format"], "opus")
            self.assertEqual(event["sample_rate"], 16000)
            for n in range(2):
                ws.send_json({"type": "text", "text": TEXT})
                ws.send_json({"type": "flush"})
                events, audio = collect_utterance(ws)
                start = next(e for e in events if e["type"] == "utterance_start")
                self.assertEqual(start["encoding"], "opus")
                self.assertEqual(start["sample_rate"], 16000)
                self.assertEqual(events[-1]["type"], "done")
                got = decode("opus", audio)
                self.assertEqual(got["sample_rate"], 16000)
                self.assertAlmostEqual(got["seconds"], events[-1]["audio_seconds"], delta=0.05)
                # Word events still come (the second time the audio is the cache's, which keeps
                # no words yet).
                words = [e for e in events if e["type"] == "word"]
                if n == 0:
                    self.assertGreater(len(words), 5)

    def test_default_stays_raw_pcm_and_bad_format_is_an_error_event(self):
        with WsClient(self.server.port, "/v1/stream") as ws:
            ws.send_json({"type": "config", "format": "aac"})
            _, event = ws.recv_event()
            self.assertEqual(event["type"], "error")
            self.assertEqual(event["code"], "bad_parameter")
            self.assertIn("'format'", event["message"])
            ws.send_json({"type": "text", "text": "Still raw."})
            ws.send_json({"type": "flush"})
            events, audio = collect_utterance(ws)
            start = next(e for e in events if e["type"] == "utterance_start")
            self.assertEqual(start["encoding"], "pcm_s16le")
            self.assertEqual(start["sample_rate"], 22050)
            self.assertAlmostEqual(len(audio) / 2 / 22050, events[-1]["audio_seconds"], delta=0.001)


if __name__ == "__main__":
    unittest.main()
