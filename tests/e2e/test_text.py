"""The text front end on every route (issue 13): `normalize` on and off, the pronunciation
lexicon (--lexicon, SIGHUP, a request's own entries), word and segment offsets into the text
the client sent on /v1/stream, and barge-in that reports what the client had been handed.

"Route X spoke text T" is checked by comparing the length of its PCM with /tts's for T (espeak-ng
varies a text's length by a few samples from one worker to the next, so lengths are compared
within 1 %; the texts compared differ by far more). The cache is off, so every answer is a real
synthesis. Clean-up and the lexicon's rules live in src/text; where a test needs them to have
an effect it says so and is skipped while they are pass-through placeholders."""

import base64
import json
import os
import re
import signal
import subprocess
import tempfile
import unittest
import urllib.parse

from harness import LECTOR_BIN, ServerTestCase, parse_wav, read_text, wait_for
from wsclient import WsClient, collect

RATE = 22050  # espeak-ng's en-us
MARKDOWN = "**Bold** claims, see [the docs](https://example.com/a/b/c)."


class TextCase(ServerTestCase):
    extra_args = ("--cache-bytes", "0")

    def tts_pcm(self, text, **params):
        query = urllib.parse.urlencode({"text": text, "format": "pcm", **params})
        status, _, body = self.server.request("GET", "/tts?" + query)
        self.assertEqual(status, 200, body[:300])
        return body

    def post_json(self, path, obj):
        return self.server.request("POST", path, body=json.dumps(obj).encode(),
                                   headers={"Content-Type": "application/json"})

    def stream_pcm(self, text, **config):
        with WsClient(self.server.port, "/v1/stream") as ws:
            ws.send_json({"type": "config", **config})
            kind, event = ws.recv_event()
            self.assertEqual(event["type"], "config", event)
            ws.send_json({"type": "text", "text": text})
            ws.send_json({"type": "flush"})
            events, audio = collect(ws)
            self.assertEqual(events[-1]["type"], "done", events[-1])
            return audio

    def assert_same_speech(self, a, b, msg=""):
        self.assertAlmostEqual(len(a) / len(b), 1.0, delta=0.01, msg=msg)

    def assert_other_speech(self, a, b, msg=""):
        self.assertGreater(abs(len(a) / len(b) - 1.0), 0.1, msg=msg)

    def error_param(self, result):
        status, _, body = result
        self.assertEqual(status, 400, body[:300])
        error = json.loads(body)["error"]
        # Lector's shape names the parameter in its message; OpenAI's has a `param` field.
        return error["param"] if isinstance(error, dict) else error


class NormalizeTest(TextCase):
    def pcm_of_every_route(self, text, normalize):
        """The PCM each route speaks for `text`, with normalize as given (None: the default)."""
        flag = {} if normalize is None else {"normalize": normalize}
        qflag = {} if normalize is None else {"normalize": "1" if normalize else "0"}
        out = {"GET /tts": self.tts_pcm(text, **qflag)}
        status, _, body = self.post_json("/tts", {"text": text, "format": "pcm", **flag})
        self.assertEqual(status, 200, body[:300])
        out["POST /tts json"] = body
        query = urllib.parse.urlencode({"format": "pcm", **qflag})
        status, _, body = self.server.request("POST", "/tts?" + query, body=text.encode(),
                                              headers={"Content-Type": "text/plain"})
        self.assertEqual(status, 200, body[:300])
        out["POST /tts text"] = body
        status, _, body = self.post_json("/v1/audio/speech", {
            "input": text, "voice": "en-us", "model": "espeak", "response_format": "pcm",
            "sample_rate": RATE, **flag})
        self.assertEqual(status, 200, body[:300])
        out["openai"] = body
        form = urllib.parse.urlencode({"INPUT_TEXT": text, "VOICE": "espeak:en-us", **qflag})
        status, _, body = self.server.request("POST", "/process", body=form.encode(),
                                              headers={"Content-Type":
                                                       "application/x-www-form-urlencoded"})
        self.assertEqual(status, 200, body[:300])
        out["marytts"] = parse_wav(body)[3]
        out["/v1/stream"] = self.stream_pcm(text, **flag)
        return out

    def test_every_route_speaks_what_tts_speaks_with_normalize_on_and_off(self):
        for normalize in (False, None):
            reference = self.tts_pcm(MARKDOWN, **({} if normalize is None else {"normalize": "0"}))
            for route, pcm in self.pcm_of_every_route(MARKDOWN, normalize).items():
                with self.subTest(route=route, normalize=normalize):
                    self.assert_same_speech(pcm, reference)

    def test_normalize_false_reads_the_markup_as_written(self):
        raw = self.tts_pcm(MARKDOWN, normalize="0")
        # espeak reads "**" as "asterisk asterisk" and the whole URL: longer than the words.
        plain = self.tts_pcm("Bold claims, see the docs.", normalize="0")
        self.assertGreater(len(raw), 1.5 * len(plain))
        cleaned = self.tts_pcm(MARKDOWN)
        if abs(len(cleaned) / len(raw) - 1) < 0.01:
            self.skipTest("markdown clean-up (src/text/cleanup.cpp) is still a placeholder")
        self.assertLess(len(cleaned), 0.8 * len(raw))

    def test_a_bad_normalize_value_is_a_400_naming_it(self):
        bad = "maybe"
        self.assertIn("normalize", self.error_param(
            self.server.request("GET", "/tts?" + urllib.parse.urlencode(
                {"text": "Hi.", "normalize": bad}))))
        self.assertIn("normalize", self.error_param(
            self.post_json("/tts", {"text": "Hi.", "normalize": bad})))
        self.assertIn("normalize", self.error_param(self.server.request(
            "POST", "/tts?normalize=" + bad, body=b"Hi.", headers={"Content-Type": "text/plain"})))
        self.assertEqual("normalize", self.error_param(
            self.post_json("/v1/audio/speech", {"input": "Hi.", "normalize": bad})))
        self.assertIn("normalize", self.error_param(self.server.request(
            "GET", "/process?" + urllib.parse.urlencode({"INPUT_TEXT": "Hi.", "normalize": bad}))))
        self.assertIn("read_code", self.error_param(
            self.post_json("/tts", {"text": "Hi.", "read_code": "sometimes"})))
        with WsClient(self.server.port, "/v1/stream") as ws:
            ws.send_json({"type": "config", "normalize": bad})
            _, event = ws.recv_event()
            self.assertEqual(event["type"], "error")
            self.assertIn("normalize", event["message"])
            # The session goes on with its previous configuration.
            ws.send_json({"type": "config", "normalize": False, "read_code": True})
            _, event = ws.recv_event()
            self.assertEqual((event["type"], event["normalize"], event["read_code"]),
                             ("config", False, True))

    def test_blank_text_and_text_that_is_only_markup_are_a_400(self):
        status, _, body = self.server.request("GET", "/tts?text=%20%0A%20")
        self.assertEqual(status, 400)
        self.assertEqual(json.loads(body)["error"], "parameter 'text': empty")
        code_only = "```\nprint(1)\n```"
        status, _, body = self.server.request("GET", "/tts?" + urllib.parse.urlencode(
            {"text": code_only, "format": "pcm"}))
        if status == 200:
            self.skipTest("markdown clean-up (src/text/cleanup.cpp) is still a placeholder")
        self.assertEqual(status, 400)
        self.assertEqual(json.loads(body)["error"], "parameter 'text': has nothing to speak")
        # Read as code, or as written, it is speech.
        self.assertGreater(len(self.tts_pcm(code_only, read_code="1")), RATE // 2)
        self.assertGreater(len(self.tts_pcm(code_only, normalize="0")), RATE // 2)

    def test_emoji_are_named_or_removed(self):
        text = "Good news \U0001F600 today."
        removed = self.tts_pcm(text)
        named = self.tts_pcm(text, emoji_names="1")
        if abs(len(named) / len(removed) - 1) < 0.01:
            self.skipTest("emoji clean-up (src/text/cleanup.cpp) is still a placeholder")
        self.assertGreater(len(named), len(removed))
        self.assert_same_speech(removed, self.tts_pcm("Good news today."))


class LexiconTest(TextCase):
    """--lexicon FILE, re-read on SIGHUP, and a request's own entries."""

    @classmethod
    def setUpClass(cls):
        fd, cls.lexicon_path = tempfile.mkstemp(prefix="lector-lexicon-", suffix=".txt")
        os.close(fd)
        cls.write_lexicon("# test lexicon\ntomato\tone two three four five\n")
        cls.extra_args = ("--cache-bytes", "0", "--lexicon", cls.lexicon_path)
        super().setUpClass()
        m = re.search(r"lexicon .*: (\d+) entries", cls.server.log())
        cls.entries = int(m.group(1)) if m else None

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        os.unlink(cls.lexicon_path)

    @classmethod
    def write_lexicon(cls, content):
        with open(cls.lexicon_path, "w", encoding="utf-8") as f:
            f.write(content)

    def setUp(self):
        super().setUp()
        self.write_lexicon("# test lexicon\ntomato\tone two three four five\n")
        self.addCleanup(self.reload, "# test lexicon\ntomato\tone two three four five\n")

    def need_rules(self):
        if not self.entries:
            self.skipTest("the lexicon (src/text/lexicon.cpp) is still a placeholder")

    def reload(self, content=None, expect="lexicon reloaded"):
        if content is not None:
            self.write_lexicon(content)
        before = self.server.log().count(expect)
        self.server.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: self.server.log().count(expect) > before, 5, what=f"'{expect}' in the log")

    def test_the_start_log_counts_the_entries(self):
        self.assertIsNotNone(self.entries, self.server.log())
        self.need_rules()
        self.assertEqual(self.entries, 1)

    def test_a_file_entry_replaces_the_word(self):
        self.need_rules()
        self.assert_same_speech(self.tts_pcm("I like tomato soup."),
                                self.tts_pcm("I like one two three four five soup."))
        # In any case, also with normalize off; whole words only.
        self.assert_same_speech(self.tts_pcm("TOMATO.", normalize="0"),
                                self.tts_pcm("one two three four five."))
        self.assert_other_speech(self.tts_pcm("tomatoes."), self.tts_pcm("one two three four five."))

    def test_sighup_rereads_the_file_and_a_bad_file_keeps_the_old_lexicon(self):
        self.reload("tomato\tcherry cherry cherry\n")
        self.assertEqual(self.server.proc.poll(), None)
        if self.entries:
            self.assert_same_speech(self.tts_pcm("tomato."), self.tts_pcm("cherry cherry cherry."))
        # An unreadable file: the log says why, the server keeps the lexicon it had.
        os.unlink(self.lexicon_path)
        self.reload(expect="lexicon not reloaded")
        self.assertIn(self.lexicon_path, self.server.log().split("lexicon not reloaded")[-1])
        self.assertGreater(len(self.tts_pcm("Still here.")), RATE)
        if self.entries:
            self.assert_same_speech(self.tts_pcm("tomato."), self.tts_pcm("cherry cherry cherry."))
            # A bad entry: kept too.
            self.reload("tomato\tcherry cherry cherry\n\tno word\n", expect="lexicon not reloaded")
            self.assertIn(":2", self.server.log().split("lexicon not reloaded")[-1])
            self.assert_same_speech(self.tts_pcm("tomato."), self.tts_pcm("cherry cherry cherry."))

    def test_a_requests_own_entries_apply_to_it_alone(self):
        own = {"soup": "chicken noodle soup with vegetables"}
        status, _, body = self.post_json("/tts", {"text": "Hot soup.", "format": "pcm",
                                                  "lexicon": own})
        self.assertEqual(status, 200, body[:300])
        status, _, openai = self.post_json("/v1/audio/speech", {
            "input": "Hot soup.", "model": "espeak", "voice": "en-us",
            "response_format": "pcm", "sample_rate": RATE, "lexicon": own})
        self.assertEqual(status, 200, openai[:300])
        streamed = self.stream_pcm("Hot soup.", lexicon=own)
        if self.entries:
            stew = self.tts_pcm("Hot chicken noodle soup with vegetables.")
            self.assert_same_speech(body, stew)
            self.assert_same_speech(openai, stew)
            self.assert_same_speech(streamed, stew)
            # ... and not to the next request; the file's entries still apply beside them.
            self.assert_other_speech(self.tts_pcm("Hot soup."), stew)
            status, _, both = self.post_json("/tts", {"text": "tomato soup.", "format": "pcm",
                                                      "lexicon": own})
            self.assert_same_speech(
                both, self.tts_pcm("one two three four five chicken noodle soup with vegetables."))
        else:
            self.assert_same_speech(body, self.tts_pcm("Hot soup."))
            self.assert_same_speech(openai, self.tts_pcm("Hot soup."))
            self.assert_same_speech(streamed, self.tts_pcm("Hot soup."))

    def test_bad_request_entries_are_a_400_naming_lexicon(self):
        too_many = {f"w{i}": "x" for i in range(101)}
        for bad in (["soup"], {"soup": 1}, {"": "x"}, too_many):
            with self.subTest(bad=str(bad)[:40]):
                self.assertIn("lexicon", self.error_param(
                    self.post_json("/tts", {"text": "Hi.", "lexicon": bad})))
                self.assertEqual("lexicon", self.error_param(
                    self.post_json("/v1/audio/speech", {"input": "Hi.", "lexicon": bad})))
        with WsClient(self.server.port, "/v1/stream") as ws:
            ws.send_json({"type": "config", "lexicon": too_many})
            _, event = ws.recv_event()
            self.assertEqual(event["type"], "error")
            self.assertIn("lexicon", event["message"])


class LexiconStartTest(unittest.TestCase):
    def start(self, path):
        # --print-config exits once the flags (and so the lexicon) are read.
        return subprocess.run([LECTOR_BIN, "serve", "--print-config", "--lexicon", path],
                              capture_output=True, text=True, timeout=30)

    def test_a_missing_file_fails_the_start_naming_it(self):
        result = self.start("/nonexistent/lexicon.txt")
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertIn("--lexicon", result.stderr)
        self.assertIn("/nonexistent/lexicon.txt", result.stderr)

    def test_a_bad_entry_fails_the_start_naming_file_and_line(self):
        with tempfile.NamedTemporaryFile("w", suffix=".txt") as f:
            f.write("# fine\ntomato\tone two three four five\n\tno word\n")
            f.flush()
            result = self.start(f.name)
            if result.returncode == 0 or "listening" in result.stderr:
                self.skipTest("the lexicon (src/text/lexicon.cpp) is still a placeholder")
            self.assertEqual(result.returncode, 2, result.stderr)
            self.assertIn(f.name + ":3", result.stderr)


class WordOffsetTest(TextCase):
    """Word and segment events point into the text the client sent for the utterance."""

    FRAGMENTS = ["Hello  there,\nfriend", "ly world.  How   are\n\n", "you, **Zoë**?  Café ",
                 "déjà vu."]

    def utterance(self, ws, fragments):
        for f in fragments:
            ws.send_json({"type": "text", "text": f})
        ws.send_json({"type": "flush"})
        return collect(ws)

    def check(self, events, source):
        words = [e for e in events if e["type"] == "word"]
        self.assertGreaterEqual(len(words), len(source.split()) - 2)
        for w in words:
            self.assertEqual(source[w["start"]:w["end"]], w["text"], w)
        offsets = [w["audio_offset_seconds"] for w in words]
        self.assertEqual(offsets, sorted(offsets))
        starts = [e for e in events if e["type"] == "segment_start"]
        self.assertGreater(len(starts), 1)
        for s in starts:
            # The segment's own text is its source with white space collapsed (and, once
            # clean-up works, the markup gone).
            self.assertIn(source[s["start"]:s["end"]].split()[0].strip("*"), s["text"])
        self.assertEqual([s["start"] for s in starts], sorted(s["start"] for s in starts))
        return words

    def test_word_events_point_into_the_text_as_sent(self):
        source = "".join(self.FRAGMENTS)
        with WsClient(self.server.port, "/v1/stream") as ws:
            events, _ = self.utterance(ws, self.FRAGMENTS)
            words = self.check(events, source)
            self.assertGreaterEqual(words[-1]["start"], source.index("Café"))
            # The next utterance counts from its own first character.
            second = ["Second  one, it is.", " With\tits own offsets."]
            events, _ = self.utterance(ws, second)
            self.check(events, "".join(second))

    def test_offsets_are_those_of_the_text_as_written_with_normalize_off(self):
        source = "".join(self.FRAGMENTS)
        with WsClient(self.server.port, "/v1/stream") as ws:
            ws.send_json({"type": "config", "normalize": False})
            ws.recv_event()
            events, _ = self.utterance(ws, self.FRAGMENTS)
            self.check(events, source)


class BargeInTest(TextCase):
    """`cancelled` says what the client had been handed, and so do the log lines of cut
    streams."""

    def test_cancel_reports_offsets_consistent_with_the_audio_received(self):
        source = read_text("long")
        with WsClient(self.server.port, "/v1/stream") as ws:
            ws.send_json({"type": "text", "text": source})
            ws.send_json({"type": "flush"})
            events, received = [], 0
            while received < 3 * RATE * 2:  # three seconds
                kind, payload = ws.recv_event()
                if kind == "audio":
                    received += len(payload)
                else:
                    events.append(payload)
            ws.send_json({"type": "cancel"})
            while True:
                kind, payload = ws.recv_event()
                if kind == "audio":
                    received += len(payload)
                    continue
                events.append(payload)
                if payload["type"] == "cancelled":
                    break
        cancelled = events[-1]
        heard_s = received / 2 / RATE
        self.assertAlmostEqual(cancelled["audio_seconds_sent"], heard_s, places=6)

        # What the client can tell from the events it got: a word ends where the next word or
        # its segment's end begins.
        marks = [e for e in events if e["type"] in ("word", "segment_done")]
        words = []
        for i, e in enumerate(marks):
            if e["type"] != "word":
                continue
            end = marks[i + 1]["audio_offset_seconds"] if i + 1 < len(marks) else None
            words.append((e, end))
        self.assertGreater(len(words), 3)
        complete = [w for w, end in words if end is not None and end <= heard_s + 1e-9]
        self.assertTrue(complete, "three seconds of audio hold a whole word")
        word = cancelled["word"]
        self.assertIsNotNone(word)
        self.assertEqual(source[word["start"]:word["end"]], word["text"])
        last = complete[-1]
        # The server may know one word more: the mark that ends it (the next word's start, at
        # exactly the audio sent) can sit among the events the cancel dropped.
        starts = [w["start"] for w, _ in words]
        self.assertIn(word["start"], starts, f"{word} is not a word event the client got")
        index = starts.index(word["start"])
        self.assertIn(index - starts.index(last["start"]), (0, 1), (word, last))
        self.assertLess(words[index][0]["audio_offset_seconds"], heard_s)
        done = [e for e in events if e["type"] == "segment_done"
                and e["audio_offset_seconds"] <= heard_s + 1e-9]
        self.assertEqual(cancelled["segment"], done[-1]["index"] if done else None)
        self.assertGreaterEqual(cancelled["source_offset"], word["end"])
        self.assertLessEqual(cancelled["source_offset"], len(source))
        # The utterance's log line says the same.
        log = self.server.wait_log("end=barge_in")
        line = [l for l in log.splitlines() if "end=barge_in" in l][-1]
        self.assertIn(f"word_start={word['start']}", line)
        self.assertIn(f"source_offset={cancelled['source_offset']}", line)

    def test_cancel_before_any_audio_reports_nothing_heard(self):
        with WsClient(self.server.port, "/v1/stream") as ws:
            # Too short for a first fragment: pending when the cancel comes.
            ws.send_json({"type": "text", "text": "Never spoken"})
            ws.send_json({"type": "cancel"})
            events, audio = collect(ws, until=("cancelled",))
        cancelled = events[-1]
        self.assertEqual(audio, b"")
        self.assertEqual((cancelled["audio_seconds_sent"], cancelled["segment"],
                          cancelled["word"], cancelled["source_offset"]), (0, None, None, 0))

    def sent_in_log(self, needle):
        log = self.server.wait_log(needle)
        lines = [l for l in log.splitlines() if needle in l and "audio_seconds_sent=" in l]
        self.assertTrue(lines, log[-2000:])
        return float(re.search(r"audio_seconds_sent=([\d.]+)", lines[-1]).group(1)), lines[-1]

    def test_a_ws_client_that_goes_away_leaves_what_it_got_in_the_log(self):
        received = 0
        with WsClient(self.server.port, "/ws") as ws:
            ws.send_text(read_text("long"))
            while received < 2 * RATE * 2:
                _, message = ws.recv_event()
                received += len(base64.b64decode(message["audioOutput"]["audio"]))
        sent, line = self.sent_in_log("route=/ws")
        self.assertIn("end=client_gone", line)
        # Everything received was sent; the header (44 bytes) is not audio.
        self.assertGreaterEqual(sent + 1e-3, (received - 44) / 2 / RATE)
        self.assertRegex(line, r"source_offset=\d+")

    def test_an_openai_stream_cut_by_its_client_leaves_what_was_sent_in_the_log(self):
        body = json.dumps({"input": read_text("long"), "model": "espeak", "voice": "en-us",
                           "response_format": "pcm", "sample_rate": RATE}).encode()
        with self.server.stream_request("POST", "/v1/audio/speech", body=body,
                                        headers={"Content-Type": "application/json"}) as s:
            s.read_head()
            got = s.read_at_least(RATE * 2)
        sent, line = self.sent_in_log("route=/v1/audio/speech")
        self.assertIn("end=client_gone", line)
        self.assertGreaterEqual(sent + 1e-3, len(got) / 2 / RATE)
        self.assertRegex(line, r"word_end=-?\d+")


if __name__ == "__main__":
    unittest.main()
