"""The Wyoming server (Home Assistant's protocol) on its own port, driven by a client written
from the protocol (wyoming_client.py): describe, synthesize, the streaming flow, many
connections at once, every malformed input, disconnects, --zeroconf and shutdown.

Over ~450 lines on purpose: one class per protocol concern; they share the Wyoming fixtures."""

import shutil
import socket
import subprocess
import threading
import time
import unittest

from harness import (HOST, LECTOR_BIN, LectorServer, ServerTestCase, free_port, read_text,
                     rms, speech_frames, wait_for)
from test_tone import tone_built
from wyoming_client import Audio, WyomingClient, encode

TONE = tone_built()
TONE_RATE = 16000
WORD_BYTES = TONE_RATE // 10 * 2  # the tone engine: 100 ms of s16 mono per word


def total_tolerance(samples):
    # espeak's pauses move by up to ~1.2% with what a worker spoke before (test_concurrency).
    return max(0.02 * samples, 2500)


class WyomingTestCase(ServerTestCase):
    workers = 2
    engines = "espeak,tone" if TONE else "espeak"
    # Without the cache, Wyoming's audio is synthesized again, not replayed from /tts's.
    base_args = ("--cache-bytes", "0")

    @classmethod
    def _start_server(cls):
        cls.wyoming_port = free_port()
        cls.extra_args = (*cls.base_args, "--wyoming-port", str(cls.wyoming_port))
        super()._start_server()

    def client(self, **kwargs):
        c = WyomingClient(self.wyoming_port, **kwargs)
        self.addCleanup(c.close)
        return c

    def synthesize(self, text, voice=None):
        with self.client() as c:
            c.synthesize(text, voice)
            return Audio(c.recv_until("audio-stop", "error"))

    def assert_audio_answer(self, audio, rate):
        self.assertEqual(audio.types[0], "audio-start", audio.types[:5])
        self.assertEqual(audio.types[-1], "audio-stop", audio.types[-5:])
        self.assertEqual(set(audio.types[1:-1]), {"audio-chunk"})
        self.assertEqual(audio.start.data, {"rate": rate, "width": 2, "channels": 1})
        for chunk in audio.chunks:
            self.assertEqual((chunk.data["rate"], chunk.data["width"], chunk.data["channels"]),
                             (rate, 2, 1))
        self.assertEqual(len(audio.pcm) % 2, 0)

    def assert_still_serving(self):
        with self.client() as c:
            c.send("describe")
            self.assertEqual(c.recv().type, "info")


class DescribeTest(WyomingTestCase):
    def test_info_lists_every_voice_with_the_fields_home_assistant_requires(self):
        with self.client() as c:
            c.send("describe")
            info = c.recv()
        self.assertEqual(info.type, "info")
        # The big JSON travels in the data block: Home Assistant caps header lines at 64 KiB.
        self.assertNotIn("data", info.header)
        self.assertGreater(info.header["data_length"], 10000)
        tts = info.data["tts"]
        self.assertEqual(len(tts), 1)
        program = tts[0]
        self.assertEqual(program["name"], "lector")
        self.assertIs(program["installed"], True)
        self.assertIs(program["supports_synthesize_streaming"], True)
        self.assertIsInstance(program["description"], str)
        self.assertIsInstance(program["version"], str)
        self.assertEqual(set(program["attribution"]), {"name", "url"})
        _, _, voices = self.server.get_json("/api/voices")
        expected = {v["id"] for v in voices}
        names = [v["name"] for v in program["voices"]]
        self.assertEqual(len(names), len(set(names)))
        self.assertEqual(set(names), expected)
        self.assertIn("espeak:en-us", names)
        for v in program["voices"]:
            with self.subTest(voice=v["name"]):
                self.assertIsInstance(v["attribution"]["name"], str)
                self.assertIsInstance(v["attribution"]["url"], str)
                self.assertIs(v["installed"], True)
                self.assertIsInstance(v["description"], str)
                self.assertTrue(v["description"])
                self.assertIsInstance(v["version"], str)
                self.assertIsInstance(v["languages"], list)
                self.assertIn("speakers", v)
                self.assertIsNone(v["speakers"])
        en_us = next(v for v in program["voices"] if v["name"] == "espeak:en-us")
        self.assertEqual(en_us["languages"], ["en-US"])

    def test_ping_is_answered(self):
        with self.client() as c:
            c.send("ping", {"text": "marco"})
            pong = c.recv()
        self.assertEqual((pong.type, pong.data), ("pong", {"text": "marco"}))


class SynthesizeTest(WyomingTestCase):
    def test_audio_equals_what_tts_gives_for_the_same_text_and_voice(self):
        text = "Hello there. This is Lector, speaking to Home Assistant over Wyoming."
        audio = self.synthesize(text, {"name": "espeak:en-us"})
        self.assert_audio_answer(audio, 22050)
        self.assertGreater(len(audio.chunks), 3)
        rate, pcm = self.server.tts_pcm({"text": text, "voice": "espeak:en-us"})
        self.assert_close(len(audio.pcm) // 2, len(pcm) // 2, abs_tol=total_tolerance(len(pcm) // 2),
                          msg="samples, Wyoming vs /tts")
        frames = speech_frames(pcm)
        self.assert_close(speech_frames(audio.pcm), frames, abs_tol=0.01 * frames + 3,
                          msg="speech frames, Wyoming vs /tts")
        self.assertGreater(rms(audio.pcm), 300)

    def test_voice_by_default_engine_name_and_by_language(self):
        by_name = self.synthesize("Guten Morgen, wie geht es dir?", {"name": "de"})
        by_language = self.synthesize("Guten Morgen, wie geht es dir?", {"language": "de_DE"})
        self.assert_audio_answer(by_name, 22050)
        self.assert_audio_answer(by_language, 22050)
        self.assertGreater(len(by_name.pcm), 22050)
        default = self.synthesize("Good morning.")
        self.assert_audio_answer(default, 22050)

    def test_a_600_word_text_is_spoken_whole(self):
        text = read_text("long")
        self.assertGreaterEqual(len(text.split()), 600)
        with self.client() as c:
            c.synthesize(text, {"name": "espeak:en-us"})
            audio = Audio(c.recv_until("audio-stop", "error"))
        self.assert_audio_answer(audio, 22050)
        seconds = len(audio.pcm) / 2 / 22050
        words_per_second = len(text.split()) / seconds
        self.assertTrue(1.5 < words_per_second < 4.5, f"{seconds:.1f} s for {len(text.split())} words")
        rate, pcm = self.server.tts_pcm({"text": text, "voice": "espeak:en-us"})
        self.assert_close(len(audio.pcm) // 2, len(pcm) // 2, rel=0.02, msg="samples, Wyoming vs /tts")

    @unittest.skipUnless(TONE, "needs the tone engine")
    def test_first_audio_comes_before_the_second_sentence_is_synthesized(self):
        before = self.server.status()
        c = self.client()
        c.synthesize("One two. Three [delay:60000] four.", {"name": "tone:tone"})
        start = c.recv()
        self.assertEqual(start.type, "audio-start")
        got = b""
        while len(got) < 2 * WORD_BYTES:
            e = c.recv()
            self.assertEqual(e.type, "audio-chunk")
            got += e.payload
        # The first sentence, and at most the word before the delay.
        self.assertLessEqual(len(got), 3 * WORD_BYTES)
        # The second sentence is still on a worker, held by its delay.
        st = self.server.status()
        self.assertEqual(st["requests_active"], 1)
        busy = [w for w in st["workers"] if w["engine"] == "tone" and w["state"] == "busy"]
        self.assertEqual(len(busy), 1, st["workers"])
        # Leaving cancels it: the harness's idle check would fail after 60 s otherwise.
        c.close()
        after = self.server.assert_idle(timeout=15)
        self.assertEqual(after["requests_cancelled"], before["requests_cancelled"] + 1)


@unittest.skipUnless(TONE, "needs the tone engine")
class SsmlTest(WyomingTestCase):
    engines = "espeak,flite"

    def test_ssml_text_is_parsed_and_plays_as_one_stream(self):
        # The same runs with a pause of 0 and of 1 s: exactly the pause apart.
        plain = self.synthesize('<speak>Hello <break time="0ms"/> world.</speak>',
                                {"name": "espeak:en-us"})
        self.assert_audio_answer(plain, 22050)
        paused = self.synthesize('<speak>Hello <break time="1s"/> world.</speak>',
                                 {"name": "espeak:en-us"})
        self.assert_audio_answer(paused, 22050)
        extra = (len(paused.pcm) - len(plain.pcm)) / 2 / 22050
        self.assertAlmostEqual(extra, 1.0, delta=0.15)
        # A voice switch to another engine and rate: one audio-start at the first run's rate.
        mixed = self.synthesize('<speak>One. <voice name="flite:slt">Two.</voice></speak>',
                                {"name": "espeak:en-us"})
        self.assert_audio_answer(mixed, 22050)

    def test_bad_ssml_is_an_error_event(self):
        with self.client() as c:
            c.synthesize("<speak>unclosed", {"name": "espeak:en-us"})
            events = c.recv_until("audio-stop", "error")
        self.assertEqual(events[-1].type, "error")
        self.assertEqual(events[-1].data["code"], "bad_parameter")
        self.assertIn("SSML", events[-1].data["text"])


class StreamingTest(WyomingTestCase):
    def test_chunks_split_mid_word_give_audio_per_sentence(self):
        before = self.server.status()
        c = self.client()
        c.send("synthesize-start", {"voice": {"name": "tone:tone"}})
        c.send("synthesize-chunk", {"text": "One tw"})
        c.send("synthesize-chunk", {"text": "o three. Fo"})
        # "One two three." is confirmed by the next sentence's first letter: its audio comes
        # while the stream is still open.
        start = c.recv()
        self.assertEqual(start.type, "audio-start")
        self.assertEqual(start.data, {"rate": TONE_RATE, "width": 2, "channels": 1})
        got = b""
        while len(got) < 3 * WORD_BYTES:
            e = c.recv()
            self.assertEqual(e.type, "audio-chunk")
            got += e.payload
        c.send("synthesize-chunk", {"text": "ur five. Si"})
        c.send("synthesize-chunk", {"text": "x."})
        # Home Assistant's copy of the whole message, sent inside the stream: not spoken again.
        c.synthesize("One two three. Four five. Six.", {"name": "tone:tone"})
        c.send("synthesize-stop")
        rest = Audio(c.recv_until("synthesize-stopped"))
        self.assertEqual(rest.types[-2:], ["audio-stop", "synthesize-stopped"])
        self.assertNotIn("audio-start", rest.types)
        self.assertEqual(len(got) + len(rest.pcm), 6 * WORD_BYTES)
        # One request for the stream; the copy made none.
        c.send("describe")
        self.assertEqual(c.recv().type, "info")
        after = self.server.status()
        self.assertEqual(after["requests_total"], before["requests_total"] + 1)

    def test_the_synthesize_right_after_the_stream_is_ignored(self):
        before = self.server.status()
        c = self.client()
        c.send("synthesize-start", {"voice": {"name": "tone:tone"}})
        c.send("synthesize-chunk", {"text": "Alpha bravo."})
        c.send("synthesize-stop")
        c.synthesize("Alpha bravo.", {"name": "tone:tone"})
        c.send("describe")
        events = c.recv_until("info")
        types = [e.type for e in events]
        self.assertEqual(types[0], "audio-start")
        self.assertEqual(types[-3:], ["audio-stop", "synthesize-stopped", "info"])
        self.assertEqual(len(Audio(events).pcm), 2 * WORD_BYTES)
        self.assertEqual(self.server.status()["requests_total"], before["requests_total"] + 1)

    def test_a_stream_with_no_text_answers_synthesize_stopped(self):
        c = self.client()
        c.send("synthesize-start")
        c.send("synthesize-stop")
        self.assertEqual(c.recv().type, "synthesize-stopped")


class ConcurrencyTest(WyomingTestCase):
    REQUESTS = [
        ("espeak:en-us", "Good morning, this is the kitchen speaking."),
        ("espeak:de", "Der Zug fährt heute pünktlich um acht Uhr ab, sagt der Schaffner."),
        ("espeak:fr-fr", "Le marché ouvre tôt le samedi et ferme à midi, sauf pendant les "
                         "vacances d'été. Les enfants adorent y aller."),
        ("espeak:en-gb", read_text("paragraph")),
    ]

    def test_four_connections_at_once_each_get_their_own_audio(self):
        alone, alone_frames = [], []
        for voice, text in self.REQUESTS:
            _, pcm = self.server.tts_pcm({"text": text, "voice": voice})
            alone.append(len(pcm) // 2)
            alone_frames.append(speech_frames(pcm))
        barrier = threading.Barrier(len(self.REQUESTS))
        results, errors = [None] * len(self.REQUESTS), []

        def run(i, voice, text):
            try:
                with WyomingClient(self.wyoming_port) as c:
                    barrier.wait(timeout=30)
                    c.synthesize(text, {"name": voice})
                    results[i] = Audio(c.recv_until("audio-stop", "error"))
            except Exception as e:  # reported after join
                errors.append((voice, e))

        threads = [threading.Thread(target=run, args=(i, v, t))
                   for i, (v, t) in enumerate(self.REQUESTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        self.assertEqual(errors, [])
        for i, (voice, _) in enumerate(self.REQUESTS):
            with self.subTest(voice=voice):
                self.assert_audio_answer(results[i], 22050)
                # Pauses move with what a worker spoke before (up to ~3% measured here under
                # load); the speech without its pauses is what must match (as test_concurrency).
                self.assert_close(len(results[i].pcm) // 2, alone[i], rel=0.05,
                                  msg="samples vs alone")
                self.assert_close(speech_frames(results[i].pcm), alone_frames[i],
                                  abs_tol=0.01 * alone_frames[i] + 3, msg="speech frames vs alone")


class MalformedInputTest(WyomingTestCase):
    """Every bad input gets an error event naming the problem, then the connection closes; the
    server goes on (a new connection is answered) and is idle (the harness checks)."""

    CASES = [
        ("header over 64 KiB, no newline", b"a" * (64 * 1024 + 10), "too_large", "header line"),
        ("header over 64 KiB", b'{"type":"describe","pad":"' + b"x" * 70000 + b'"}\n',
         "too_large", "header line"),
        ("not JSON", b"hello there\n", "malformed", "not valid JSON"),
        ("not an object", b"[1, 2, 3]\n", "malformed", "not a JSON object"),
        ("no type", b'{"data": {}}\n', "malformed", "'type'"),
        ("type not a string", b'{"type": 5}\n', "malformed", "'type'"),
        ("invalid UTF-8", b'{"type": "\xff\xfe"}\n', "malformed", "not valid JSON"),
        ("negative data_length", b'{"type":"synthesize","data_length":-4}\n', "malformed",
         "negative"),
        ("negative payload_length", b'{"type":"describe","payload_length":-1}\n', "malformed",
         "negative"),
        ("huge data_length", b'{"type":"synthesize","data_length":99999999999}\n', "too_large",
         "data_length"),
        ("huge payload_length", b'{"type":"describe","payload_length":2000000}\n', "too_large",
         "payload_length"),
        ("fractional length", b'{"type":"describe","data_length":2.5}\n', "malformed",
         "whole number"),
        ("data block not JSON", b'{"type":"synthesize","data_length":5}\nhello', "malformed",
         "data block"),
        ("data block not an object", b'{"type":"synthesize","data_length":2}\n[]', "malformed",
         "data block"),
        ("chunk without start", encode("synthesize-chunk", {"text": "Hi."}), "malformed",
         "synthesize-chunk without synthesize-start"),
        ("stop without start", encode("synthesize-stop"), "malformed",
         "synthesize-stop without synthesize-start"),
        ("start twice", encode("synthesize-start") + encode("synthesize-start"), "malformed",
         "while a stream is open"),
        ("synthesize without text", encode("synthesize", {"voice": {"name": "espeak:en-us"}}),
         "bad_parameter", "'text'"),
        ("empty text", encode("synthesize", {"text": " \t "}), "bad_parameter", "'text': empty"),
        ("unknown voice", encode("synthesize", {"text": "Hi.", "voice": {"name": "espeak:xx"}}),
         "bad_parameter", "unknown voice 'xx'"),
        ("unknown language", encode("synthesize", {"text": "Hi.", "voice": {"language": "tlh"}}),
         "bad_parameter", "no voice speaks language 'tlh'"),
        ("ping text over 4 KiB", encode("ping", {"text": "x" * 5000}), "bad_parameter",
         "'ping' must be a string of at most 4096 bytes"),
        ("voice not an object", encode("synthesize", {"text": "Hi.", "voice": "en-us"}),
         "bad_parameter", "'voice'"),
    ]

    def test_every_malformed_input_is_an_error_and_the_server_goes_on(self):
        for name, data, code, words in self.CASES:
            with self.subTest(case=name):
                with self.client() as c:
                    c.send_raw(data)
                    e = c.recv()
                    self.assertEqual(e.type, "error", e)
                    self.assertEqual(e.data["code"], code, e.data)
                    self.assertIn(words, e.data["text"])
                    self.assertTrue(c.closed_by_server(), "the connection stays open after an error")
                self.assert_still_serving()

    def test_unknown_events_are_ignored(self):
        with self.client() as c:
            c.send("transcribe", {"language": "en"})
            c.send("audio-chunk", {"rate": 16000, "width": 2, "channels": 1}, b"\0" * 3200)
            c.send("describe")
            self.assertEqual(c.recv().type, "info")

    def test_a_partial_frame_then_hang_up_is_just_a_closed_connection(self):
        with socket.create_connection((HOST, self.wyoming_port), timeout=10) as s:
            s.sendall(b'{"type":"synthesize","data_length":100}\n{"text":')
        self.assert_still_serving()


class DisconnectTest(WyomingTestCase):
    def test_disconnect_mid_synthesis_cancels_it(self):
        before = self.server.status()
        c = self.client()
        c.synthesize(read_text("long"), {"name": "espeak:en-us"})
        self.assertEqual(c.recv().type, "audio-start")
        self.assertEqual(c.recv().type, "audio-chunk")
        c.close()
        after = self.server.assert_idle()
        self.assertEqual(after["requests_cancelled"], before["requests_cancelled"] + 1)

    def test_disconnect_mid_stream_cancels_it(self):
        c = self.client()
        c.send("synthesize-start", {"voice": {"name": "espeak:en-us"}})
        c.send("synthesize-chunk", {"text": read_text("paragraph") + " And then"})
        self.assertEqual(c.recv().type, "audio-start")
        c.close()
        # The harness's idle check proves the open request was cancelled.

    def test_closing_the_sending_side_cancels_too(self):
        # A half-close cannot be told from a close without writing: both cancel.
        with socket.create_connection((HOST, self.wyoming_port), timeout=30) as s:
            s.sendall(encode("synthesize", {"text": read_text("long")}))
            s.recv(1)
            s.shutdown(socket.SHUT_WR)
            # The server ends the connection instead of sending the whole text's audio.
            total = 0
            try:
                while chunk := s.recv(65536):
                    total += len(chunk)
            except ConnectionResetError:
                pass
        self.assertLess(total, 22050 * 2 * 60)


class WriteTimeoutTest(WyomingTestCase):
    base_args = ("--cache-bytes", "0", "--write-timeout", "1")

    def test_a_client_that_never_reads_is_dropped(self):
        c = self.client(rcvbuf=4096)
        c.synthesize(read_text("long"), {"name": "espeak:en-us"})
        # Reading nothing, the client is disconnected after --write-timeout and its request
        # cancelled (the harness's idle check); the server log says why.
        wait_for(lambda: "past --write-timeout" in self.server.log(), 20,
                 what="the write timeout to drop the client")


class ServerLifecycleTest(unittest.TestCase):
    def test_zeroconf_announces_or_says_why_not_and_serves(self):
        port = free_port()
        with LectorServer(workers=1, extra_args=["--wyoming-port", str(port), "--zeroconf"]) as server:
            lines = wait_for(lambda: [l for l in server.log().splitlines()
                                      if "zeroconf:" in l and "trying" not in l], 10,
                             what="a zeroconf log line")
            with WyomingClient(port) as c:
                c.send("describe")
                self.assertEqual(c.recv().type, "info")
            self.assertEqual(len(lines), 1, lines)
            if "announced" not in lines[0]:
                # No Avahi daemon here (the usual case in a container), or built without Avahi:
                # one line says so, and the server runs the same.
                self.assertTrue("daemon is not running" in lines[0] or "not built in" in lines[0],
                                lines[0])
                return
            if not shutil.which("avahi-browse"):
                self.skipTest("announced; avahi-browse (avahi-utils) is not installed to see it")
            out = subprocess.run(["avahi-browse", "--resolve", "--terminate", "--parsable",
                                  "_wyoming._tcp"], capture_output=True, text=True, timeout=30).stdout
            resolved = [l.split(";") for l in out.splitlines() if l.startswith("=")]
            self.assertIn(str(port), [r[8] for r in resolved if len(r) > 8], out)

    def test_wyoming_port_0_disables_it(self):
        with LectorServer(workers=1) as server:
            self.assertNotIn("Wyoming server listening", server.log())

    def test_a_taken_wyoming_port_is_a_clear_error(self):
        with socket.socket() as taken:
            taken.bind((HOST, 0))
            taken.listen()
            port = taken.getsockname()[1]
            r = subprocess.run([LECTOR_BIN, "serve", "--port", "0", "--engines", "espeak",
                                "--workers", "1", "--wyoming-port", str(port)],
                               capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 1)
        self.assertIn(f"--wyoming-port {port}", r.stdout + r.stderr)

    def test_sigterm_stops_the_server_with_wyoming_connections_open(self):
        port = free_port()
        server = LectorServer(workers=1, extra_args=["--wyoming-port", str(port)]).start()
        try:
            c = WyomingClient(port)
            c.send("synthesize-start")
            c.send("synthesize-chunk", {"text": "An open stream that is never stopped. And"})
            self.assertEqual(c.recv().type, "audio-start")
            idle = WyomingClient(port)
            started = time.monotonic()
        finally:
            code = server.stop()  # raises unless the exit status after SIGTERM is 0
        self.assertEqual(code, 0)
        self.assertLess(time.monotonic() - started, 5)
        self.assertTrue(c.closed_by_server())
        self.assertTrue(idle.closed_by_server())
        c.close()
        idle.close()


if __name__ == "__main__":
    unittest.main()
