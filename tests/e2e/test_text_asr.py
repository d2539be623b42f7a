"""What a listener hears after the text front end (issue 13), checked by ear: flite's slt voice
read back by pocketsphinx (the recognizer and its checks come from test_engines).

- Markdown-heavy LLM output streamed over /v1/stream: none of the markup is read aloud
  ("asterisk", "hash", "underscore", the link's address), while the words are. The same text
  with normalize off is the control: there the address is read, so the check can fail.
- A lexicon entry (a request's own, on POST /tts) changes what is heard for its word.
"""

import json
import unittest

from harness import ServerTestCase
from test_engines import pocketsphinx_command, transcribe, words
from wsclient import WsClient, collect

RATE = 16000  # slt's own rate: what pocketsphinx's en-us model wants

LLM_ANSWER = (
    "## Your *travel* plan\n\n"
    "Here is the **plan** for `monday`:\n\n"
    "- Take the *morning* train\n"
    "- Visit the __market__\n\n"
    "Read [the guide](https://zebra.example.org/quartz_xylophone/walrus) before you go.\n")
# Words that would only be heard if markup or the link's address were read aloud.
MARKUP_WORDS = {"asterisk", "asterisks", "star", "hash", "pound", "underscore", "backtick",
                "bracket", "parenthesis", "slash", "dash", "hyphen", "zebra", "quartz",
                "xylophone", "walrus", "http", "https", "colon", "org"}
# Words of the answer's text a listener must hear (slt and pocketsphinx agree on these).
CONTENT_WORDS = {"plan", "train", "market", "guide"}


@unittest.skipUnless(pocketsphinx_command(), "pocketsphinx and its en-us model are not installed")
class HeardTextTest(ServerTestCase):
    workers = 1
    engines = "espeak,flite"
    extra_args = ("--cache-bytes", "0")

    def stream_heard(self, normalize):
        with WsClient(self.server.port, "/v1/stream") as ws:
            ws.send_json({"type": "config", "engine": "flite", "voice": "slt", "format": "pcm",
                          "sample_rate": RATE, "normalize": normalize})
            ws.recv_event()
            # As an LLM sends it: a few characters at a time.
            for i in range(0, len(LLM_ANSWER), 7):
                ws.send_json({"type": "text", "text": LLM_ANSWER[i:i + 7]})
            ws.send_json({"type": "flush"})
            events, audio = collect(ws)
        self.assertEqual(events[-1]["type"], "done", events[-1])
        return set(words(transcribe(RATE, audio)))

    def test_markdown_is_not_read_aloud(self):
        heard = self.stream_heard(True)
        self.assertFalse(heard & MARKUP_WORDS, f"markup read aloud: {sorted(heard)}")
        self.assertGreaterEqual(len(heard & CONTENT_WORDS), 2, f"heard: {sorted(heard)}")
        # The control: as written, the address is spoken and some of it is heard.
        raw = self.stream_heard(False)
        self.assertTrue(raw & MARKUP_WORDS, f"normalize off, yet no markup heard: {sorted(raw)}")

    def heard_tts(self, body):
        status, _, data = self.server.request(
            "POST", "/tts", body=json.dumps(dict(body, engine="flite", voice="slt", format="pcm",
                                                 sample_rate=RATE)),
            headers={"Content-Type": "application/json"})
        self.assertEqual(status, 200, data[:300])
        return words(transcribe(RATE, data))

    def test_a_lexicon_entry_changes_what_is_heard(self):
        text = "Please call the doctor at nine o'clock tomorrow morning."
        plain = self.heard_tts({"text": text})
        self.assertIn("doctor", plain)
        # Whole words, case-insensitive: "Doctor" is the entry for "doctor".
        replaced = self.heard_tts({"text": text, "lexicon": {"Doctor": "police"}})
        self.assertNotIn("doctor", replaced)
        self.assertIn("police", replaced)


if __name__ == "__main__":
    unittest.main()
