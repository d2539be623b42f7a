"""MaryTTS's HTTP API on the real server: /process by GET, by POST with a form and by POST with
no Content-Type at all; WAVE_FILE with exact sizes and WAVE streamed; LOCALE and VOICE; the
plain-text /locales, /version and /marytts/voices; errors naming MaryTTS's parameters."""

import struct
import urllib.parse

from harness import ServerTestCase, parse_wav

TEXT = "Welcome home. The lights are on."


class MaryTtsTest(ServerTestCase):
    workers = 2
    engines = "espeak,flite"

    def process_get(self, **params):
        return self.server.request("GET", "/process?" + urllib.parse.urlencode(params))

    def assert_exact_wav(self, result):
        status, headers, body = result
        self.assertEqual(status, 200, body[:200])
        self.assertEqual(headers["content-type"], "audio/x-wav")
        self.assertEqual(body[:4], b"RIFF")
        riff, = struct.unpack("<I", body[4:8])
        data, = struct.unpack("<I", body[40:44])
        self.assertEqual(riff, len(body) - 8)
        self.assertEqual(data, len(body) - 44)
        self.assertGreater(data, 22050)  # over half a second of 22 kHz audio
        return parse_wav(body)

    def reference_pcm(self, voice="en-us"):
        status, _, body = self.server.tts({"text": TEXT, "voice": voice})
        self.assertEqual(status, 200)
        return parse_wav(body)[3]

    def test_get_returns_a_wav_file(self):
        rate, _, _, pcm = self.assert_exact_wav(self.process_get(
            INPUT_TEXT=TEXT, INPUT_TYPE="TEXT", OUTPUT_TYPE="AUDIO", AUDIO="WAVE_FILE",
            LOCALE="en_US"))
        self.assertEqual(rate, 22050)
        self.assertEqual(pcm, self.reference_pcm())

    def test_post_with_a_form_and_without_a_content_type(self):
        form = urllib.parse.urlencode({"INPUT_TEXT": TEXT, "INPUT_TYPE": "TEXT",
                                       "OUTPUT_TYPE": "AUDIO", "AUDIO": "WAVE_FILE",
                                       "LOCALE": "en_US"}).encode()
        for headers in ({"Content-Type": "application/x-www-form-urlencoded"}, {}):
            with self.subTest(headers=headers):
                pcm = self.assert_exact_wav(self.server.request("POST", "/process", body=form,
                                                                headers=headers))[3]
                self.assertEqual(pcm, self.reference_pcm())

    def test_voice_and_locale_choose_the_voice(self):
        rate, _, _, pcm = self.assert_exact_wav(self.process_get(INPUT_TEXT=TEXT,
                                                                 VOICE="flite:slt"))
        self.assertEqual(rate, 16000)
        self.assertEqual(pcm, self.reference_pcm("flite:slt"))
        rate, _, _, _ = self.assert_exact_wav(self.process_get(INPUT_TEXT="Guten Tag.",
                                                               LOCALE="de"))
        self.assertEqual(rate, 22050)

    def test_wave_streams_like_tts(self):
        status, headers, body = self.process_get(INPUT_TEXT=TEXT, AUDIO="WAVE")
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-type"], "audio/wav")
        self.assertEqual(struct.unpack("<I", body[40:44])[0], 0xFFFFFFFF)
        self.assertEqual(parse_wav(body, expect_unknown_sizes=True)[3], self.reference_pcm())

    def test_ssml_input(self):
        # The same runs with a pause of 0 and of 1 s: exactly the pause apart.
        plain = self.assert_exact_wav(self.process_get(
            INPUT_TYPE="SSML", LOCALE="en_US",
            INPUT_TEXT='<speak>Hello <break time="0ms"/> world.</speak>'))
        ssml = self.assert_exact_wav(self.process_get(
            INPUT_TYPE="SSML", LOCALE="en_US",
            INPUT_TEXT='<speak>Hello <break time="1s"/> world.</speak>'))
        extra = (len(ssml[3]) - len(plain[3])) / 2 / 22050
        self.assertAlmostEqual(extra, 1.0, delta=0.15)
        message = self.assert_error(self.process_get(INPUT_TYPE="SSML",
                                                     INPUT_TEXT="<speak>unclosed"), 400)
        self.assertTrue(message.startswith("parameter 'INPUT_TEXT': "), message)

    def test_plain_text_lists(self):
        status, headers, body = self.server.request("GET", "/locales")
        self.assertEqual(status, 200)
        self.assertTrue(headers["content-type"].startswith("text/plain"))
        locales = body.decode().splitlines()
        self.assertIn("en_US", locales)
        self.assertIn("de", locales)
        status, _, body = self.server.request("GET", "/version")
        self.assertEqual(status, 200)
        self.assertIn("MaryTTS", body.decode())
        status, _, body = self.server.request("GET", "/marytts/voices")
        self.assertEqual(status, 200)
        lines = [line.split(" ") for line in body.decode().splitlines()]
        self.assertIn(["flite:slt", "en_US", "female", "flite"], lines)
        self.assertTrue(all(len(parts) == 4 for parts in lines))

    def test_errors_name_marytts_parameters(self):
        cases = [({}, "INPUT_TEXT"), ({"INPUT_TEXT": ""}, "INPUT_TEXT"),
                 ({"INPUT_TEXT": "Hi", "INPUT_TYPE": "RAWMARYXML"}, "INPUT_TYPE"),
                 ({"INPUT_TEXT": "Hi", "OUTPUT_TYPE": "PHONEMES"}, "OUTPUT_TYPE"),
                 ({"INPUT_TEXT": "Hi", "AUDIO": "AU_FILE"}, "AUDIO"),
                 ({"INPUT_TEXT": "Hi", "VOICE": "cmu-slt-hsmm"}, "VOICE"),
                 ({"INPUT_TEXT": "Hi", "LOCALE": "xx_YY"}, "LOCALE")]
        for params, name in cases:
            with self.subTest(params=params):
                message = self.assert_error(self.process_get(**params), 400)
                self.assertTrue(message.startswith(f"parameter '{name}': "), message)
                self.assertEqual(message.count("parameter '"), 1, message)
        self.assert_error(self.server.request("POST", "/process", body=b"INPUT_TEXT=%zz"), 400)
