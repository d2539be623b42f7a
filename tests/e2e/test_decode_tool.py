"""lector-decode, the format checker the end-to-end tests run on response bodies: it must
accept what the server really sends and refuse what is not a valid stream, or every format
test built on it proves nothing."""

import json
import os
import subprocess
import tempfile
import unittest

from harness import LECTOR_BIN, ServerTestCase, parse_wav, read_text

# Built next to `lector` (tests/CMakeLists.txt); LECTOR_DECODE overrides.
DECODE_BIN = os.environ.get("LECTOR_DECODE") or os.path.join(os.path.dirname(LECTOR_BIN),
                                                              "lector-decode")


def run_decode(body, *args):
    """(exit status, the JSON line or None, stderr)."""
    p = subprocess.run([DECODE_BIN, *args], input=body, capture_output=True, timeout=60)
    out = p.stdout.decode().strip()
    return p.returncode, (json.loads(out) if out else None), p.stderr.decode()


class DecodeToolTest(ServerTestCase):
    workers = 1

    def test_a_tts_body_decodes_to_its_own_length(self):
        status, _, body = self.server.tts({"text": read_text("short"), "voice": "en-us"})
        self.assertEqual(status, 200)
        rate, _, _, pcm = parse_wav(body, expect_unknown_sizes=True)
        with tempfile.TemporaryDirectory() as tmp:
            out_wav = os.path.join(tmp, "out.wav")
            code, info, err = run_decode(body, "wav", "--wav", out_wav)
            self.assertEqual(code, 0, err)
            self.assertEqual(info["valid"], True)
            self.assertEqual((info["format"], info["sample_rate"], info["channels"]),
                             ("wav", rate, 1))
            self.assertEqual(info["samples"], len(pcm) // 2)
            self.assertAlmostEqual(info["seconds"], len(pcm) / 2 / rate, places=5)
            # The written file is an exact WAV of the same samples (sox reads it the same way).
            with open(out_wav, "rb") as f:
                written = f.read()
            self.assertEqual(parse_wav(written, expect_unknown_sizes=False)[3], pcm)
            soxi = subprocess.run(["soxi", "-s", out_wav], capture_output=True, text=True)
            self.assertEqual(soxi.stdout.strip(), str(len(pcm) // 2), soxi.stderr)
        # The same PCM without its header, as `pcm`, needs its rate and gives the same length.
        code, info, _ = run_decode(pcm, "pcm", str(rate))
        self.assertEqual((code, info["samples"]), (0, len(pcm) // 2))
        self.assertEqual(run_decode(pcm, "pcm")[0], 2)

    def test_invalid_bodies_are_refused_with_a_reason(self):
        status, _, body = self.server.tts({"text": "Hello.", "voice": "en-us"})
        self.assertEqual(status, 200)
        cases = [
            ("wav", body[:-1], "partial sample frame"),  # cut inside a sample
            ("wav", b"RIFX" + body[4:], "no RIFF/WAVE header"),
            ("mp3", body, "does not start with a frame header"),
            ("opus", body, "not an Ogg page"),
            ("flac", body, "no fLaC marker"),
            ("pcm", b"\x00\x01\x02", "odd number of bytes"),
            ("mp3", b"", "fewer than 4 bytes"),
        ]
        for fmt, data, reason in cases:
            with self.subTest(format=fmt, reason=reason):
                code, info, err = run_decode(data, fmt, "22050")
                self.assertEqual(code, 1)
                self.assertEqual(info["valid"], False)
                self.assertIn(reason, info["error"])
                self.assertIn(reason, err)


if __name__ == "__main__":
    unittest.main()
