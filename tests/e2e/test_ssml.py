"""SSML on /tts and /v1/audio/speech, and sentence_silence, against the real server: breaks and
prosody change the audio's length by what they say, <voice> switches voices (and engines, at
another native rate) mid-text in every format, hostile and malformed documents are 400s naming
the parameter, a client leaving mid-document leaves the server idle."""

import json
import unittest

from audio_decode import decode
from harness import ServerTestCase, parse_wav
from test_stream import collect_utterance
from wsclient import WsClient

FORMATS = ("wav", "pcm", "mp3", "opus", "flac")
TEXT_A = "The first part is spoken here."
TEXT_B = "And the second part follows it."


def ssml(body, **attrs):
    extra = "".join(f' {k}="{v}"' for k, v in attrs.items())
    return f'<speak version="1.1" xml:lang="en-US"{extra}>{body}</speak>'


class SsmlTest(ServerTestCase):
    workers = 2
    engines = "espeak,flite"

    def seconds(self, params):
        status, headers, body = self.server.tts(params)
        self.assertEqual(status, 200, body[:300])
        rate, _, _, pcm = parse_wav(body, expect_unknown_sizes=True)
        return len(pcm) / 2 / rate, rate

    def openai(self, payload):
        return self.server.request("POST", "/v1/audio/speech", body=json.dumps(payload),
                                   headers={"Content-Type": "application/json"})

    def test_breaks_lengthen_the_audio_by_their_duration(self):
        plain, _ = self.seconds({"text": f"{TEXT_A} {TEXT_B}"})
        for doc, pause in ((ssml(f'{TEXT_A}<break time="1500ms"/>{TEXT_B}'), 1.5),
                           (ssml(f'{TEXT_A}<break time="2s"/><break strength="strong"/>{TEXT_B}'),
                            3.0),
                           (ssml(f'<p>{TEXT_A}</p><break/><p>{TEXT_B}</p>'), 0.5)):
            with self.subTest(pause=pause):
                got, rate = self.seconds({"text": doc})
                self.assertEqual(rate, 22050)
                self.assertAlmostEqual(got - plain, pause, delta=0.1 * pause)

    def test_prosody_rate_changes_the_duration(self):
        plain, _ = self.seconds({"text": TEXT_A})
        slow, _ = self.seconds({"text": ssml(f'<prosody rate="50%">{TEXT_A}</prosody>')})
        fast, _ = self.seconds({"text": ssml(f'<prosody rate="x-fast">{TEXT_A}</prosody>')})
        self.assertGreater(slow / plain, 1.6)
        self.assertLess(slow / plain, 2.4)
        self.assertLess(fast / plain, 0.75)
        # The request's own speed multiplies with the document's prosody.
        both, _ = self.seconds({"text": ssml(f'<prosody rate="50%">{TEXT_A}</prosody>'),
                                "speed": "2"})
        self.assertAlmostEqual(both / plain, 1.0, delta=0.2)

    def test_voice_switches_voice_and_engine_in_every_format(self):
        espeak_part, _ = self.seconds({"text": TEXT_A, "voice": "en-us"})
        flite_part, flite_rate = self.seconds({"text": TEXT_B, "voice": "flite:slt"})
        self.assertEqual(flite_rate, 16000)
        expected = espeak_part + flite_part
        doc = ssml(f'{TEXT_A}<voice name="flite:slt">{TEXT_B}</voice>')
        reverse = ssml(f'<voice name="slt">{TEXT_B}</voice><voice name="en-us">{TEXT_A}</voice>')
        for fmt in FORMATS:
            for document, first_rate in ((doc, 22050), (reverse, 16000)):
                for rate in (None, 48000):
                    with self.subTest(format=fmt, first_rate=first_rate, rate=rate):
                        params = {"text": document, "format": fmt}
                        if rate:
                            params["sample_rate"] = rate
                        status, headers, body = self.server.tts(params)
                        self.assertEqual(status, 200, body[:300])
                        want_rate = rate or first_rate
                        if fmt == "pcm":
                            self.assertEqual(headers["x-sample-rate"], str(want_rate))
                        got = decode(fmt, body, want_rate if fmt == "pcm" else None)
                        self.assertEqual(got["sample_rate"], want_rate)
                        # MP3 adds its encoder's delay and padding.
                        slack = 0.15 if fmt == "mp3" else 0.0
                        self.assertAlmostEqual(got["seconds"], expected,
                                               delta=0.05 * expected + slack)

    def test_voice_switch_has_both_voices(self):
        # espeak's en-us speaks lower than flite's slt: the two halves differ in pitch.
        status, _, body = self.server.tts(
            {"text": ssml(f'{TEXT_A}<break time="1s"/><voice name="flite:slt">{TEXT_A}</voice>'),
             "format": "wav"})
        self.assertEqual(status, 200)
        rate, _, _, pcm = parse_wav(body, expect_unknown_sizes=True)
        from harness import median_f0
        half = len(pcm) // 2 // 2 * 2
        low, high = median_f0(pcm[:half], rate), median_f0(pcm[half:], rate)
        self.assertGreater(high, low * 1.3, (low, high))

    def test_ssml_on_the_openai_route_and_json(self):
        plain_status, _, plain = self.openai({"input": TEXT_A, "response_format": "wav"})
        self.assertEqual(plain_status, 200)
        status, _, body = self.openai(
            {"input": ssml(f'{TEXT_A}<break time="1s"/>'), "response_format": "wav"})
        self.assertEqual(status, 200, body[:300])
        a = decode("wav", plain)["seconds"]
        b = decode("wav", body)["seconds"]
        self.assertAlmostEqual(b - a, 1.0, delta=0.1)
        # POST /tts with JSON, ssml as a boolean.
        status, _, body = self.server.request(
            "POST", "/tts", body=json.dumps({"text": f'<speak>{TEXT_A}<break time="1s"/></speak>',
                                             "ssml": True}),
            headers={"Content-Type": "application/json"})
        self.assertEqual(status, 200, body[:300])
        self.assertAlmostEqual(decode("wav", body)["seconds"] - a, 1.0, delta=0.1)

    def test_ssml_body_with_its_content_type(self):
        doc = ssml(f'{TEXT_A}<break time="1s"/>')
        plain, _ = self.seconds({"text": TEXT_A})
        status, _, body = self.server.request("POST", "/tts?format=flac", body=doc.encode(),
                                              headers={"Content-Type": "application/ssml+xml"})
        self.assertEqual(status, 200, body[:300])
        self.assertAlmostEqual(decode("flac", body)["seconds"] - plain, 1.0, delta=0.1)
        status, _, body = self.server.request("POST", "/tts", body=b"<speak>x &bad;</speak>",
                                              headers={"Content-Type": "application/ssml+xml"})
        self.assertEqual(status, 400)
        self.assertIn("parameter 'text'", json.loads(body)["error"])

    def test_billion_laughs_and_external_entities_are_refused(self):
        laughs = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                  '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
                  '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
                  '<speak>&lol3;</speak>')
        xxe = ('<?xml version="1.0"?><!DOCTYPE speak [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
               '<speak>&xxe;</speak>')
        for doc in (laughs, xxe, "<speak>&xxe;</speak>"):
            with self.subTest(doc=doc[:40]):
                self.assert_error(self.server.tts({"text": doc}), 400,
                                  contains="parameter 'text': SSML")
                status, _, body = self.openai({"input": doc})
                self.assertEqual(status, 400)
                err = json.loads(body)["error"]
                self.assertEqual(err["param"], "input")
                self.assertIn("SSML", err["message"])

    def test_malformed_documents_name_the_parameter(self):
        for doc, part in (("<speak>unclosed", "unclosed element <speak>"),
                          ("<speak><p>a</s></speak>", "does not match <p>"),
                          ("<speak><prosody rate=fast>x</prosody></speak>", "quoted value"),
                          ("<speak>a < b</speak>", "&lt;"),
                          ("<speak><break time='30s'/></speak>", "cap of 10 s"),
                          ("<speak><prosody rate='quick'>x</prosody></speak>", "rate 'quick'"),
                          ("<speak><voice name='nobody'>x</voice></speak>", "no engine has"),
                          ("<speak><!-- only a comment --></speak>", "nothing to speak"),
                          ("<speak>x</speak> trailing", "after the </speak>")):
            with self.subTest(doc=doc):
                self.assert_error(self.server.tts({"text": doc}), 400,
                                  contains=f"parameter 'text'")
                _, _, body = self.server.tts({"text": doc})
                self.assertIn(part, json.loads(body)["error"])
        # ssml=1 makes any text a document, which then needs its root.
        self.assert_error(self.server.tts({"text": "Just text.", "ssml": "1"}), 400,
                          contains="<speak> root")
        self.assert_error(self.server.tts({"text": "Hi.", "ssml": "maybe"}), 400,
                          contains="parameter 'ssml'")

    def test_plain_text_starting_with_a_bracket_is_text(self):
        plain, _ = self.seconds({"text": "less than sign, bold, end bold, move on."})
        for text in ("<b>bold</b> move on.", "<speaker> said hello.", "< 5 apples"):
            with self.subTest(text=text):
                got, _ = self.seconds({"text": text})
                self.assertGreater(got, 0.5)
        # ssml=0 reads even a document as text: longer than what the document says.
        doc = ssml("Hi.")
        as_text, _ = self.seconds({"text": doc, "ssml": "0"})
        as_ssml, _ = self.seconds({"text": doc})
        self.assertGreater(as_text, as_ssml * 2)
        self.assertGreater(plain, 0)

    def test_sentence_silence_adds_a_pause_per_sentence(self):
        text = "One sentence here. Another one follows, with a comma. And a third one ends it."
        plain, _ = self.seconds({"text": text})
        got, _ = self.seconds({"text": text, "sentence_silence": "0.5"})
        self.assertAlmostEqual(got - plain, 3 * 0.5, delta=0.15)
        # The OpenAI route's extension field.
        _, _, a = self.openai({"input": text, "response_format": "wav"})
        _, _, b = self.openai({"input": text, "response_format": "wav", "sentence_silence": 1})
        self.assertAlmostEqual(decode("wav", b)["seconds"] - decode("wav", a)["seconds"], 3.0,
                               delta=0.3)
        # With SSML: every sentence of every run.
        got, _ = self.seconds({"text": ssml(f"{TEXT_A} {TEXT_B}"), "sentence_silence": "1"})
        base, _ = self.seconds({"text": ssml(f"{TEXT_A} {TEXT_B}")})
        self.assertAlmostEqual(got - base, 2.0, delta=0.2)
        for bad in ("-1", "11", "x"):
            self.assert_error(self.server.tts({"text": "Hi.", "sentence_silence": bad}), 400,
                              contains="parameter 'sentence_silence'")

    def test_client_leaving_mid_document_leaves_the_server_idle(self):
        part = " ".join([TEXT_A, TEXT_B] * 20)
        doc = ssml(f'{part}<break time="2s"/><voice name="flite:slt">{part}</voice>'
                   f'<voice name="flite:kal">{part}</voice>')
        before = self.server.status()
        s = self.server.stream({"text": doc}, rcvbuf=65536)
        status, _ = s.read_head()
        self.assertEqual(status, 200)
        self.assertEqual(s.read_at_least(44 + 4096)[:4], b"RIFF")
        s.close()
        after = self.server.assert_idle()
        self.assertGreater(after["requests_cancelled"], before["requests_cancelled"])


class StreamSilenceTest(ServerTestCase):
    workers = 2

    def utterance(self, config):
        with WsClient(self.server.port, "/v1/stream") as ws:
            ws.send_json({"type": "config", **config})
            ws.send_json({"type": "text", "text": "One sentence here. Another one follows. "})
            ws.send_json({"type": "text", "text": "And a third one ends it."})
            ws.send_json({"type": "end"})
            events, audio = collect_utterance(ws)
        return events, audio

    def test_sentence_silence_on_v1_stream(self):
        plain_events, plain = self.utterance({})
        events, audio = self.utterance({"sentence_silence": 0.5})
        config = [e for e in events if e["type"] == "config"][0]
        self.assertEqual(config["sentence_silence"], 0.5)
        rate = 22050
        self.assertAlmostEqual((len(audio) - len(plain)) / 2 / rate, 3 * 0.5, delta=0.15)
        done = [e for e in events if e["type"] == "done"][0]
        self.assertAlmostEqual(done["audio_seconds"], len(audio) / 2 / rate, delta=0.01)
        # Offsets count the silences before them: the last segment ends where the audio ends,
        # less the last pause.
        ends = [e["audio_offset_seconds"] for e in events if e["type"] == "segment_done"]
        self.assertEqual(len(ends), 3)
        self.assertAlmostEqual(ends[-1], len(audio) / 2 / rate - 0.5, delta=0.01)


class SsmlOneSlotTest(ServerTestCase):
    """With one request slot, an SSML response of several runs still completes: the next run
    waits for the slot of the one playing."""

    workers = 2
    engines = "espeak,flite"
    extra_args = ("--max-requests", "1", "--sentence-silence", "0.25")

    def test_runs_share_the_slot_and_the_server_default_silence(self):
        doc = ssml(f'{TEXT_A}<voice name="flite:slt">{TEXT_B}</voice>'
                   f'<break time="500ms"/>{TEXT_A}<voice name="flite:kal">{TEXT_B}</voice>')
        status, _, body = self.server.tts({"text": doc})
        self.assertEqual(status, 200, body[:300])
        with_silence = decode("wav", body)["seconds"]
        status, _, body = self.server.tts({"text": doc, "sentence_silence": "0"})
        self.assertEqual(status, 200, body[:300])
        self.assertAlmostEqual(with_silence - decode("wav", body)["seconds"], 4 * 0.25, delta=0.1)


if __name__ == "__main__":
    unittest.main()
