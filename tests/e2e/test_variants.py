"""espeak-ng voice variants: "voice+variant" (e.g. en-us+f3) is the documented way to a female
or otherwise different espeak voice."""

import unittest

from harness import ServerTestCase, median_f0


class VariantTest(ServerTestCase):
    workers = 1

    def test_female_variant_speaks_higher(self):
        text = "Hello there, this is a test of the female variant."
        rate, base = self.server.tts_pcm({"text": text, "voice": "en-us"})
        rate_f, female = self.server.tts_pcm({"text": text, "voice": "en-us+f3"})
        self.assertEqual(rate, rate_f)
        self.assertGreater(median_f0(female, rate), 1.3 * median_f0(base, rate))

    def test_unescaped_plus_is_accepted(self):
        # '+' in a query string means a space unless escaped; both spellings select the variant.
        _, escaped = self.server.tts_pcm({"text": "Good morning.", "voice": "en-us+f3"})
        status, _, body = self.server.request("GET", "/tts?text=Good%20morning.&voice=en-us+f3")
        self.assertEqual(status, 200)
        self.assertAlmostEqual(len(body) - 44, len(escaped), delta=len(escaped) * 0.02)

    def test_variants_are_listed_and_unknown_ones_rejected(self):
        status, _, engines = self.server.get_json("/api/engines")
        espeak = next(e for e in engines if e["name"] == "espeak")
        self.assertIn("f3", espeak["variants"])
        self.assertIn("klatt", espeak["variants"])
        self.assert_error(self.server.tts({"text": "hi", "voice": "en-us+nope"}), 400,
                          "parameter 'voice': unknown voice 'en-us+nope' for engine 'espeak'")


if __name__ == "__main__":
    unittest.main()
