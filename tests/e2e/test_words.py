"""Word timings on every engine: `word` events on /v1/stream for espeak-ng, flite and festival,
the same events from the cache, the captioned-speech route, the OpenAI SSE stream's
`speech.word` events, `lector say --captions`, and no clicks where segments join."""

import base64
import json
import os
import re
import subprocess
import math
import struct
import tempfile
import unittest

from harness import LECTOR_BIN, ServerTestCase, parse_wav, samples
from test_stream import collect_utterance
from wsclient import WsClient

TEXT = "Hello there, my friend. The quick brown fox jumps. It costs $3.50 today!"
WORDS = ["Hello", "there", "my", "friend", "The", "quick", "brown", "fox", "jumps", "It",
         "costs", "$3.50", "today"]
# One voice of each engine (and of each kind of flite and festival synthesizer).
VOICES = [("espeak", "en-us"), ("flite", "slt"), ("flite", "kal"), ("festival", "kal_diphone"),
          ("festival", "cmu_us_slt_arctic_hts")]
# What the engines say: normalization writes "$3.50" out, and the four words it makes all point
# back at "$3.50" in the text as sent.
SPOKEN = WORDS[:11] + ["three", "dollars", "and", "fifty", "cents", "today"]


def written_words(words):
    """The words as written that a run of word events points at: consecutive events with the same
    source span (the spoken words of one written word) count once."""
    spans = []
    for w in words:
        span = (w["start"], w["end"])
        if not spans or spans[-1] != span:
            spans.append(span)
    return [TEXT[a:b] for a, b in spans]


# A click: a step between two samples at a seam above 10% of full scale that is also more than
# twice the largest step among the 2 ms of samples on either side of it. Speech itself has
# steps that large only where its neighbours are as steep, so the relative test keeps loud
# vowels from counting; a seam between a sentence's last sample and the next one's first (or
# silence) has no such neighbours.
CLICK_ABS = 0.1 * 32768
CLICK_REL = 2.0
SEAM_TEXT = "First sentence ends here. Second one follows it. A third closes the text."


def seam_jumps(pcm, rate, boundaries):
    """[(sample index, step, largest neighbouring step)] at each boundary (sample index)."""
    x = samples(pcm)
    around = max(2, rate // 500)
    out = []
    for b in boundaries:
        if b <= around or b + around >= len(x):
            continue
        step = abs(x[b] - x[b - 1])
        near = max(abs(x[i] - x[i - 1]) for i in range(b - around, b + around) if i != b)
        out.append((b, step, near))
    return out


class WordsTest(ServerTestCase):
    engines = "espeak,flite,festival"
    workers = 1
    # The cache stays on (a test below needs it); a cached sentence is the synthesis' own PCM,
    # so the seam test still measures real joins.

    def stream_words(self, engine, voice, text=TEXT, silence=None):
        config = {"type": "config", "engine": engine, "voice": voice}
        if silence is not None:
            config["sentence_silence"] = silence
        with WsClient(self.server.port, "/v1/stream") as ws:
            ws.send_json(config)
            ws.send_json({"type": "text", "text": text})
            ws.send_json({"type": "flush"})
            events, audio = collect_utterance(ws)
        return events, audio

    def rate_of(self, engine, voice):
        _, _, voices = self.server.get_json(f"/api/voices?engine={engine}")
        return next(v["sample_rate"] for v in voices if v["name"] == voice)

    def test_api_voices_reports_word_timings_for_every_engine(self):
        _, _, voices = self.server.get_json("/api/voices")
        for engine in ("espeak", "flite", "festival"):
            mine = [v for v in voices if v["engine"] == engine]
            self.assertTrue(mine, engine)
            self.assertTrue(all(v["word_timings"] for v in mine), engine)

    def test_word_events_name_the_words_in_order_within_the_audio(self):
        for engine, voice in VOICES:
            with self.subTest(engine=engine, voice=voice):
                events, audio = self.stream_words(engine, voice)
                rate = self.rate_of(engine, voice)
                words = [e for e in events if e["type"] == "word"]
                self.assertEqual([w["text"] for w in words], SPOKEN)
                self.assertEqual(written_words(words), WORDS)
                offsets = [w["audio_offset_seconds"] for w in words]
                self.assertEqual(offsets, sorted(offsets))
                self.assertEqual(len(set(offsets)), len(offsets), "two words at one instant")
                self.assertLess(offsets[-1], len(audio) / 2 / rate)

    def test_a_cache_hit_reports_the_same_words(self):
        text = "Cached words come back the same. Every time."
        first, audio1 = self.stream_words("flite", "rms", text)
        hits = self.server.status()["cache"]["hits"]
        second, audio2 = self.stream_words("flite", "rms", text)
        self.assertEqual(self.server.status()["cache"]["hits"], hits + 2, "both segments cached")
        self.assertEqual(audio1, audio2)

        def words(events):
            return [(e["text"], e["segment"], e["audio_offset_seconds"])
                    for e in events if e["type"] == "word"]
        self.assertEqual(len(words(first)), 8)
        self.assertEqual(words(first), words(second))

    def captioned(self, body):
        status, headers, data = self.server.request(
            "POST", "/dev/captioned_speech", body=json.dumps(body),
            headers={"Content-Type": "application/json"})
        return status, headers, data

    def test_captioned_speech_answers_audio_and_word_timestamps(self):
        status, headers, data = self.captioned({"model": "flite", "voice": "slt", "input": TEXT,
                                                "response_format": "wav"})
        self.assertEqual(status, 200, data[:300])
        self.assertTrue(headers["content-type"].startswith("application/json"))
        answer = json.loads(data)
        self.assertEqual(answer["audio_format"], "wav")
        wav = base64.b64decode(answer["audio"])
        rate, _, _, pcm = parse_wav(wav, expect_unknown_sizes=False)
        self.assertEqual(rate, 24000)
        duration = len(pcm) / 2 / rate
        stamps = answer["timestamps"]
        self.assertEqual([t["word"] for t in stamps], WORDS)
        for a, b in zip(stamps, stamps[1:]):
            self.assertLess(a["start_time"], b["start_time"])
            self.assertLessEqual(a["end_time"], b["start_time"] + 1e-6)
        for t in stamps:
            self.assertLess(t["start_time"], t["end_time"])
            self.assertLessEqual(t["end_time"], duration + 0.05)
            self.assertEqual(TEXT[t["start"]:t["end"]], t["word"])

    def test_captioned_speech_errors_name_the_field(self):
        status, _, data = self.captioned({"model": "flite", "voice": "slt"})
        self.assertEqual(status, 400)
        self.assertIn("input", json.loads(data)["error"])
        status, _, data = self.captioned({"input": "Hi.", "stream_format": "sse"})
        self.assertEqual(status, 400)
        self.assertIn("stream_format", json.loads(data)["error"])

    def test_sse_word_events_come_before_the_audio_that_holds_them(self):
        status, _, body = self.server.request(
            "POST", "/v1/audio/speech",
            body=json.dumps({"model": "festival", "voice": "kal_diphone", "input": TEXT,
                             "response_format": "pcm", "stream_format": "sse"}),
            headers={"Content-Type": "application/json"})
        self.assertEqual(status, 200, body[:300])
        events = [json.loads(b[len("data: "):]) for b in body.decode().split("\n\n")
                  if b.startswith("data: ")]
        words, received = [], 0
        for e in events:
            if e["type"] == "speech.audio.delta":
                received += len(base64.b64decode(e["audio"]))
            elif e["type"] == "speech.word":
                # 24 kHz s16: the word's first sample is not in the audio already sent.
                self.assertLessEqual(received, round(e["audio_offset_seconds"] * 24000) * 2 + 2,
                                     e)
                words.append(e)
        self.assertEqual([w["word"] for w in words], WORDS)
        for w in words:
            self.assertEqual(TEXT[w["start"]:w["end"]], w["word"])
        self.assertLess(words[-1]["audio_offset_seconds"], received / 2 / 24000)
        self.assertEqual(events[-1]["type"], "speech.audio.done")

    def test_say_writes_webvtt_captions_next_to_the_audio(self):
        with tempfile.TemporaryDirectory(prefix="lector-vtt-") as tmp:
            out, vtt = os.path.join(tmp, "a.wav"), os.path.join(tmp, "a.vtt")
            r = subprocess.run([LECTOR_BIN, "say", "--server", self.server.url, "--engine",
                                "flite", "--voice", "kal", "--captions", vtt, "-o", out, TEXT],
                               capture_output=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr.decode())
            with open(out, "rb") as f:
                rate, _, _, pcm = parse_wav(f.read(), expect_unknown_sizes=False)
            with open(vtt, encoding="utf-8") as f:
                captions = f.read()
        self.assertTrue(captions.startswith("WEBVTT\n"))
        blocks = captions.split("\n\n")[1:]
        cues = [re.fullmatch(r"(\d\d):(\d\d):(\d\d\.\d\d\d) --> (\d\d):(\d\d):(\d\d\.\d\d\d)\n(.*)\n?",
                             b).groups() for b in blocks]
        self.assertEqual([c[6] for c in cues], WORDS)
        seconds = lambda h, m, s: int(h) * 3600 + int(m) * 60 + float(s)
        starts = [seconds(*c[0:3]) for c in cues]
        ends = [seconds(*c[3:6]) for c in cues]
        self.assertEqual(starts, sorted(starts))
        self.assertTrue(all(s < e for s, e in zip(starts, ends)))
        self.assertLessEqual(ends[-1], len(pcm) / 2 / rate + 0.05)

    def test_no_clicks_where_segments_join(self):
        for engine, voice in VOICES:
            for silence in (0, 0.3):
                with self.subTest(engine=engine, voice=voice, silence=silence):
                    with WsClient(self.server.port, "/v1/stream") as ws:
                        ws.send_json({"type": "config", "engine": engine, "voice": voice,
                                      "sentence_silence": silence})
                        ws.send_json({"type": "text", "text": SEAM_TEXT})
                        ws.send_json({"type": "flush"})
                        events, audio = collect_utterance(ws)
                    _, _, voices = self.server.get_json(f"/api/voices?engine={engine}")
                    rate = next(v["sample_rate"] for v in voices if v["name"] == voice)
                    ends = [round(e["audio_offset_seconds"] * rate)
                            for e in events if e["type"] == "segment_done"][:-1]
                    self.assertEqual(len(ends), 2)
                    # The seam is where it is looked for: the first sentence alone is as long.
                    with WsClient(self.server.port, "/v1/stream") as ws:
                        ws.send_json({"type": "config", "engine": engine, "voice": voice})
                        ws.send_json({"type": "text", "text": SEAM_TEXT.split(". ")[0] + "."})
                        ws.send_json({"type": "flush"})
                        _, alone = collect_utterance(ws)
                    # (espeak's pauses vary by a few samples from one synthesis to the next.)
                    self.assertAlmostEqual(ends[0], len(alone) // 2, delta=rate // 100)
                    gap = round(silence * rate)
                    # Each segment's end, and with a pause also where the next one starts.
                    boundaries = ends + [b + gap for b in ends] if gap else ends
                    for b, step, near in seam_jumps(audio, rate, boundaries):
                        self.assertFalse(step > CLICK_ABS and step > CLICK_REL * near,
                                         f"click at sample {b}: step {step}, neighbours {near}")


class RealtimeTtsSilenceTest(ServerTestCase):
    """--sentence-silence on /ws too, RealtimeTTS's protocol, which has no parameters."""
    extra_args = ("--cache-bytes", "0", "--sentence-silence", "0.5")

    def test_ws_puts_the_sentence_silence_between_sentences(self):
        def utterance(text):
            with WsClient(self.server.port, "/ws") as ws:
                ws.send_text(text)
                chunks = []
                while True:
                    m = json.loads(ws.recv()[1])
                    if "finalOutput" in m:
                        break
                    chunks.append(base64.b64decode(m["audioOutput"]["audio"]))
            return parse_wav(b"".join(chunks))[3]
        text = "One sentence here. Another one follows."
        heard = utterance(text)
        _, _, body = self.server.tts({"text": text, "sentence_silence": 0})
        plain = parse_wav(body)[3]
        # Half a second of zeros (22050 Hz) after each sentence: between them and at the end.
        silence = 22050 // 2
        self.assertAlmostEqual(len(heard) // 2, len(plain) // 2 + 2 * silence, delta=220)
        self.assertEqual(heard[-2 * silence:], bytes(2 * silence))
        self.assertGreaterEqual(longest_zero_run(heard[:len(heard) // 2 + silence]), silence)
        self.assertLess(longest_zero_run(plain), silence, "espeak's own pause is shorter")


def longest_zero_run(pcm):
    """Samples in the longest run of zero samples."""
    best = run = 0
    for v in samples(pcm):
        run = run + 1 if v == 0 else 0
        best = max(best, run)
    return best


class ClickMeasureTest(unittest.TestCase):
    """The seam test's measure, on made-up audio: it must see a cut sine and pass a whole one."""

    def test_a_cut_sine_is_a_click_and_a_whole_one_is_not(self):
        rate = 16000
        wave = [int(12000 * math.sin(2 * math.pi * 200 * i / rate)) for i in range(1600)]
        cut = wave[:800] + wave[820:]  # a quarter period skipped: 0 jumps to the crest
        for audio, clicks in ((wave, False), (cut, True)):
            pcm = struct.pack(f"<{len(audio)}h", *audio)
            (_, step, near), = seam_jumps(pcm, rate, [800])
            self.assertEqual(step > CLICK_ABS and step > CLICK_REL * near, clicks, (step, near))
