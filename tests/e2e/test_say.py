"""`lector say`, the command-line client: a playable file, a stream on stdout, the server's
error message when it refuses."""

import os
import re
import subprocess
import tempfile
import unittest

from harness import LECTOR_BIN, ServerTestCase, free_port, parse_wav, rms


class SayTest(ServerTestCase):
    workers = 1

    def setUp(self):
        super().setUp()
        self.tmp = tempfile.TemporaryDirectory(prefix="lector-say-")
        self.addCleanup(self.tmp.cleanup)

    def say(self, *args, server=None):
        cmd = [LECTOR_BIN, "say", "--server", server or self.server.url, *args]
        return subprocess.run(cmd, capture_output=True, timeout=60)

    def test_writes_a_wav_file_with_exact_sizes(self):
        out = os.path.join(self.tmp.name, "x.wav")
        r = self.say("-o", out, "Hello there.")
        stderr = r.stderr.decode("utf-8", "replace")
        self.assertEqual(r.returncode, 0, stderr)
        self.assertEqual(r.stdout, b"", "nothing on stdout when writing a file")
        with open(out, "rb") as f:
            data = f.read()
        size = os.path.getsize(out)
        rate, channels, bits, pcm = parse_wav(data, expect_unknown_sizes=False)
        self.assertEqual((rate, channels, bits), (22050, 1, 16))
        self.assertEqual(int.from_bytes(data[40:44], "little"), size - 44)
        self.assertEqual(int.from_bytes(data[4:8], "little"), size - 8)
        self.assertGreater(len(pcm), 0)
        # The same audio as /tts gives (espeak's pauses may move by a few hundred samples).
        _, direct = self.server.tts_pcm({"text": "Hello there."})
        self.assert_close(len(pcm) // 2, len(direct) // 2, abs_tol=2000, msg="samples via say vs /tts")
        self.assertIn("first audio after", stderr)
        self.assertIn("real-time factor", stderr)
        seconds = re.search(r"([0-9.]+) s of audio at ([0-9]+) Hz", stderr)
        self.assertIsNotNone(seconds, stderr)
        self.assertEqual(int(seconds.group(2)), 22050)
        self.assertAlmostEqual(float(seconds.group(1)), len(pcm) / 2 / 22050, delta=0.011)

    def test_parameters_are_passed_on(self):
        normal = os.path.join(self.tmp.name, "normal.wav")
        fast = os.path.join(self.tmp.name, "fast.wav")
        text = "The early train to the coast leaves at seven in the morning."
        self.assertEqual(self.say("-o", normal, "--voice", "en-us", text).returncode, 0)
        r = self.say("-o", fast, "--voice", "en-us", "--speed", "2", "--volume", "0.5", text)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(normal, "rb") as f:
            _, _, _, pcm_normal = parse_wav(f.read(), expect_unknown_sizes=False)
        with open(fast, "rb") as f:
            _, _, _, pcm_fast = parse_wav(f.read(), expect_unknown_sizes=False)
        self.assertLess(len(pcm_fast), 0.7 * len(pcm_normal))
        self.assertLess(rms(pcm_fast), 0.7 * rms(pcm_normal))

    def test_text_with_url_special_characters(self):
        # '&', '#', '+', '%', '?', '=' and non-ASCII must reach the server as text.
        text = "Salt & pepper? 100% sure, #1 + more = fine. Café."
        out = os.path.join(self.tmp.name, "special.wav")
        r = self.say("-o", out, text)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(out, "rb") as f:
            _, _, _, pcm = parse_wav(f.read(), expect_unknown_sizes=False)
        _, direct = self.server.tts_pcm({"text": text})
        self.assert_close(len(pcm) // 2, len(direct) // 2, abs_tol=2000, msg="samples via say vs /tts")

    def test_stdout_stream(self):
        r = self.say("-o", "-", "Hello there.")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout[:4], b"RIFF")
        rate, channels, bits, pcm = parse_wav(r.stdout, expect_unknown_sizes=True)
        self.assertEqual((rate, channels, bits), (22050, 1, 16))
        self.assertGreater(len(pcm), 0)
        self.assertIn(b"real-time factor", r.stderr)

    def test_stdout_is_the_default(self):
        r = self.say("Hi.")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout[:4], b"RIFF")

    def test_server_error_exits_1_with_its_message(self):
        out = os.path.join(self.tmp.name, "never.wav")
        r = self.say("--voice", "nope", "-o", out, "hi")
        stderr = r.stderr.decode("utf-8", "replace")
        self.assertEqual(r.returncode, 1, stderr)
        self.assertIn("400", stderr)
        self.assertIn("parameter 'voice': unknown voice 'nope' for engine 'espeak'", stderr)
        self.assertFalse(os.path.exists(out), "an output file was written for a refused request")
        self.assertEqual(r.stdout, b"")

    def test_out_of_range_parameter(self):
        r = self.say("--speed", "9", "hi")
        self.assertEqual(r.returncode, 1)
        self.assertIn(b"parameter 'speed': 9 is out of range [0.25, 4]", r.stderr)
        self.assertEqual(r.stdout, b"")

    def test_cannot_connect_exits_2(self):
        r = self.say("hi", server=f"http://127.0.0.1:{free_port()}")
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"cannot connect", r.stderr)
        self.assertEqual(r.stdout, b"")


if __name__ == "__main__":
    unittest.main()
