"""The remote engine (`--remote NAME=BASE_URL[,KEY]`) against a real OpenAI-compatible upstream
on a real socket: openai_upstream.py, which speaks espeak-ng's audio at 24 kHz and can be told
to reset, stall, fail or slow down. Checked: the audio is exactly the upstream's PCM (odd-sized
chunks re-joined into samples), the request follows OpenAI's contract, voices come from the
upstream or fall back to OpenAI's names, the pool caps the requests in flight, a cancel closes
the upstream connection, failures reach the client as clear errors (never with the key), a
reset before any audio is retried once and one after audio is not, and the server stays idle
and healthy through all of it.

Over ~450 lines on purpose: the contract cases against the scripted upstream and the real-Lector upstream share their fixtures."""

import json
import os
import socket
import subprocess
import tempfile
import threading
import unittest

from harness import LECTOR_BIN, ServerTestCase, free_port, parse_wav, samples, wait_for
from openai_upstream import RATE, OpenAIUpstream

KEY = "sk-test-0123456789"
TWO_SENTENCES = "The quick brown fox jumps over the lazy dog. Then it runs far away into the woods."


class RemoteTestCase(ServerTestCase):
    """A Lector whose engine `cloud` forwards to a fresh upstream; subclasses set upstream_args
    and remote_args (extra flags after --remote)."""

    upstream_args = {"voices": "objects", "key": KEY}
    remote_args = ()
    key_in_flag = True
    upstream = None

    @classmethod
    def setUpClass(cls):
        cls.upstream = OpenAIUpstream(**cls.upstream_args).start()
        cls.addClassCleanup(cls.upstream.stop)
        remote = f"cloud={cls.upstream.url}" + (f",{KEY}" if cls.key_in_flag else "")
        cls.extra_args = ["--remote", remote, *cls.remote_args]
        super().setUpClass()

    def setUp(self):
        super().setUp()
        self.upstream.configure()
        self.upstream.reset_stats()

    def tts_ok(self, text, voice="am_adam", **params):
        rate, pcm = self.server.tts_pcm({"engine": "cloud", "voice": voice, "text": text, **params})
        self.assertEqual(rate, RATE)
        return pcm

    def upstream_audio(self, text):
        """The audio the upstream sent for the segments of `text`, in the text's order (they
        may have been made in parallel and finished in any order)."""
        # The upstream's thread records an answer just after its last byte, which the client
        # may have read already: wait until every request has its outcome.
        st = wait_for(lambda: (lambda x: x if len(x["outcomes"]) == len(x["requests"]) else None)(
            self.upstream.stats()), 10, what="the upstream to record every answer")
        done = [o for o in st["outcomes"] if o["outcome"] == "completed"]
        self.assertTrue(done, "the upstream answered nothing")
        done.sort(key=lambda o: text.index(o["text"]))
        return b"".join(o["audio"] for o in done)


class ContractTest(RemoteTestCase):
    remote_args = ("--remote-model", "cloud=test-model", "--pool", "cloud=2")

    def test_voices_come_from_the_upstream(self):
        status, _, voices = self.server.get_json("/api/voices?engine=cloud")
        self.assertEqual(status, 200)
        by_name = {v["name"]: v for v in voices}
        self.assertEqual(set(by_name), {"af_heart", "am_adam", "bf_emma", "ef_dora"})
        self.assertEqual(by_name["af_heart"]["display_name"], "Heart")
        self.assertEqual(by_name["af_heart"]["gender"], "female")
        self.assertEqual(by_name["bf_emma"]["languages"], ["en-GB"])
        self.assertEqual(by_name["ef_dora"]["languages"], ["es-ES"])  # the first of a list
        self.assertTrue(all(v["sample_rate"] == RATE and v["id"] == "cloud:" + v["name"]
                            for v in voices))
        status, _, engines = self.server.get_json("/engines")
        self.assertIn("cloud", engines)

    def test_audio_is_the_upstreams_pcm_at_24_khz(self):
        pcm = self.tts_ok(TWO_SENTENCES)
        st = self.upstream.stats()
        # One request per sentence, and the bytes are exactly the upstream's, in order, though
        # it sent them in odd-sized chunks that split samples.
        self.assertEqual(len(st["requests"]), 2, st["requests"])
        self.assertEqual(pcm, self.upstream_audio(TWO_SENTENCES))
        self.assertGreater(len(pcm) / 2 / RATE, 2.0)  # two spoken sentences, not a click
        for r in st["requests"]:
            self.assertEqual(r["json"]["model"], "test-model")
            self.assertEqual(r["json"]["voice"], "am_adam")
            self.assertEqual(r["json"]["response_format"], "pcm")
            self.assertEqual(r["json"]["speed"], 1.0)
            self.assertEqual(r["authorization"], f"Bearer {KEY}")

    def test_content_length_bodies_too(self):
        self.upstream.configure(content_length=True)
        pcm = self.tts_ok("A body with a length.", voice="bf_emma")
        self.assertEqual(pcm, self.upstream_audio("A body with a length."))

    def test_speed_is_forwarded_and_volume_applied_here(self):
        pcm = self.tts_ok("Half as loud.", speed="1.5", volume="0.5")
        st = self.upstream.stats()
        self.assertEqual([r["json"]["speed"] for r in st["requests"]], [1.5])
        reference = samples(self.upstream_audio("Half as loud."))
        got = samples(pcm)
        self.assertEqual(len(got), len(reference))
        self.assertGreater(max(abs(v) for v in reference), 1000)
        self.assertTrue(all(abs(g - r * 0.5) <= 1 for g, r in zip(got, reference)),
                        "volume 0.5 should halve every sample")

    def test_pool_caps_requests_in_flight(self):
        self.upstream.configure(delay=0.01)  # about 2x real time: requests overlap
        results = [None] * 4

        def run(i):
            results[i] = self.server.tts({"engine": "cloud", "voice": "am_adam",
                                          "text": f"Request number {i}. It has two sentences."})

        threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for status, _, body in results:
            self.assertEqual(status, 200, body[:200])
            parse_wav(body, expect_unknown_sizes=True)
        st = self.upstream.stats()
        self.assertEqual(len(st["requests"]), 8)
        # --pool cloud=2: never more than two requests at the upstream, and it was used fully.
        self.assertEqual(st["max_active"], 2, st)

    def test_cancel_closes_the_upstream_connection(self):
        self.upstream.configure(delay=0.05)  # about real time
        text = "This sentence is long enough to be cancelled while it is still being spoken aloud."
        with self.server.stream({"engine": "cloud", "voice": "am_adam", "text": text}) as s:
            status, _ = s.read_head()
            self.assertEqual(status, 200)
            s.read_at_least(44 + 10000)
        # The client left: the worker stops reading and closes the upstream connection, which
        # the upstream sees long before it would have finished.
        st = wait_for(lambda: (lambda x: x if x["outcomes"] else None)(self.upstream.stats()),
                      10, what="the upstream's answer to end")
        self.assertEqual(st["outcomes"][0]["outcome"], "aborted", st["outcomes"])
        self.assertLess(st["outcomes"][0]["bytes"], len(st["outcomes"][0]["audio"]))
        self.assertEqual(st["active"], 0)

    def test_upstream_error_reaches_the_client(self):
        self.upstream.configure(status=(503, "model overloaded"))
        err = self.assert_error(self.server.tts({"engine": "cloud", "voice": "am_adam",
                                                 "text": "Hello."}), 500)
        self.assertIn(f"upstream {self.upstream.url} answered 503: model overloaded", err)
        self.assertNotIn(KEY, err)

    def test_reset_before_audio_is_retried_once(self):
        self.upstream.configure(reset_next=1)
        pcm = self.tts_ok("Try again.")
        st = self.upstream.stats()
        self.assertEqual((st["resets"], st["attempts"]), (1, 2))
        self.assertEqual(pcm, self.upstream_audio("Try again."))

    def test_two_resets_fail_with_a_clear_error(self):
        self.upstream.configure(reset_next=2)
        err = self.assert_error(self.server.tts({"engine": "cloud", "voice": "am_adam",
                                                 "text": "Never."}), 500)
        self.assertIn(f"upstream {self.upstream.url}", err)
        self.assertIn("tried twice", err)
        self.assertEqual(self.upstream.stats()["attempts"], 2)

    def test_reset_after_audio_is_not_retried(self):
        self.upstream.configure(reset_after=9000)
        with self.server.stream({"engine": "cloud", "voice": "am_adam",
                                 "text": "Some audio, then the connection breaks."}) as s:
            status, _ = s.read_head()
            self.assertEqual(status, 200)
            # Audio was sent: the stream ends without its final chunk rather than repeating
            # speech or passing for complete.
            with self.assertRaises(ConnectionError):
                s.read_all()
        st = wait_for(lambda: (lambda x: x if x["outcomes"] else None)(self.upstream.stats()),
                      10, what="the upstream to record its answer")
        self.assertEqual(st["attempts"], 1)
        self.assertEqual(st["outcomes"][0]["outcome"], "reset")


class IdleTimeoutTest(RemoteTestCase):
    remote_args = ("--remote-timeout", "1", "--pool", "cloud=1")

    def test_a_silent_upstream_fails_after_the_idle_timeout(self):
        self.upstream.configure(stall_after=0)  # the head, then nothing
        err = self.assert_error(self.server.tts({"engine": "cloud", "voice": "am_adam",
                                                 "text": "Anyone there?"}), 500)
        self.assertIn(f"upstream {self.upstream.url}: silent for 1 s", err)
        # The worker closed the connection; the upstream saw it go.
        st = wait_for(lambda: (lambda x: x if x["outcomes"] else None)(self.upstream.stats()),
                      10, what="the stalled answer to end")
        self.assertEqual(st["outcomes"][0]["outcome"], "aborted")


class KeyTest(RemoteTestCase):
    """The key from the environment (LECTOR_REMOTE_KEY_CLOUD) rather than the flag; a wrong one
    gets the upstream's 401 message; no worker has it on its command line."""

    key_in_flag = False
    env = {"LECTOR_REMOTE_KEY_CLOUD": "sk-wrong-key"}

    def test_wrong_key_gives_the_upstreams_401(self):
        err = self.assert_error(self.server.tts({"engine": "cloud", "voice": "alloy",
                                                 "text": "Hello."}), 500)
        self.assertIn(f"upstream {self.upstream.url} answered 401: Incorrect API key provided.",
                      err)
        self.assertNotIn("sk-wrong-key", err)
        self.assertNotIn("sk-wrong-key", self.server.log())
        self.assertEqual(self.upstream.stats()["requests"], [])

    def test_voice_list_refused_falls_back_to_openai_names(self):
        # The voice list needs the key too: with a wrong one, OpenAI's names are offered.
        status, _, names = self.server.get_json("/voices?engine=cloud")
        self.assertEqual(status, 200)
        self.assertIn("alloy", names)
        self.assertIn("cedar", names)
        self.assertEqual(len(names), 13)

    def test_the_key_is_on_no_command_line(self):
        pids = [w["pid"] for w in self.server.status()["workers"]]
        self.assertTrue(pids)
        for pid in pids + [self.server.proc.pid]:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                self.assertNotIn(b"sk-wrong-key", f.read())
        cloud = [w["pid"] for w in self.server.status()["workers"] if w["engine"] == "cloud"]
        for pid in cloud:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                self.assertIn(b"--remote-url", f.read())


class StringVoicesTest(RemoteTestCase):
    """Kokoro-FastAPI's shape: {"voices": ["af_heart", ...]}."""

    upstream_args = {"voices": "strings", "key": None}
    key_in_flag = False

    def test_string_voices_are_listed_and_speak(self):
        status, _, voices = self.server.get_json("/api/voices?engine=cloud")
        self.assertEqual(status, 200)
        self.assertEqual(sorted(v["name"] for v in voices), ["af_heart", "am_adam", "bf_emma", "ef_dora"])
        self.assertTrue(all(v["languages"] == ["und"] for v in voices), voices)
        pcm = self.tts_ok("No key needed here.", voice="af_heart")
        self.assertEqual(pcm, self.upstream_audio("No key needed here."))
        self.assertIsNone(self.upstream.stats()["requests"][0]["authorization"])


class UpstreamDownTest(ServerTestCase):
    """The upstream is down when Lector starts, comes up, and is killed again."""

    @classmethod
    def setUpClass(cls):
        cls.port = free_port()
        cls.extra_args = ["--remote", f"cloud=http://127.0.0.1:{cls.port}/v1", "--pool", "cloud=2"]
        super().setUpClass()

    def synth(self, text="Are you there?"):
        return self.server.tts({"engine": "cloud", "voice": "alloy", "text": text})

    def test_down_at_start_then_up_then_killed(self):
        # Listed with OpenAI's voices, though the upstream never answered.
        status, _, names = self.server.get_json("/voices?engine=cloud")
        self.assertEqual(status, 200)
        self.assertIn("alloy", names)
        err = self.assert_error(self.synth(), 500)
        self.assertIn(f"upstream http://127.0.0.1:{self.port}: connection refused", err)
        self.assertIn("tried twice", err)
        self.server.assert_idle()
        self.assertEqual(self.server.get_json("/health")[0], 200)

        # The upstream comes up on that port: the same engine speaks, no restart needed.
        up = OpenAIUpstream(voices="objects", port=self.port).start()
        try:
            status, headers, body = self.synth()
            self.assertEqual(status, 200, body[:300])
            rate, _, _, pcm = parse_wav(body, expect_unknown_sizes=True)
            self.assertEqual(rate, RATE)
            st = wait_for(lambda: (lambda x: x if x["outcomes"] else None)(up.stats()), 10,
                          what="the upstream to record its answer")
            self.assertEqual(pcm, st["outcomes"][0]["audio"])
            self.assertEqual(up.stats()["requests"][0]["json"]["voice"], "alloy")
        finally:
            up.stop()
        # Killed: refused again (a new text: the one above is in the cache now), the server
        # stays healthy and idle.
        err = self.assert_error(self.synth("Still there?"), 500)
        self.assertIn("connection refused", err)
        self.assertEqual(self.server.get_json("/health")[0], 200)


class TlsTest(RemoteTestCase):
    """https:// with the certificate checked against the store OpenSSL is pointed at
    (SSL_CERT_FILE): a self-signed certificate for 127.0.0.1 made for the test."""

    key_in_flag = True

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.addClassCleanup(cls.tmp.cleanup)
        cert, key = os.path.join(cls.tmp.name, "cert.pem"), os.path.join(cls.tmp.name, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                        "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1",
                        "-addext", "subjectAltName=IP:127.0.0.1"],
                       check=True, capture_output=True, timeout=60)
        cls.upstream_args = {"voices": "objects", "key": KEY, "tls": (cert, key)}
        cls.env = {"SSL_CERT_FILE": cert}
        super().setUpClass()

    def test_https_with_a_trusted_certificate(self):
        self.assertTrue(self.upstream.url.startswith("https://"))
        status, _, names = self.server.get_json("/voices?engine=cloud")
        self.assertIn("af_heart", names)  # the voice list came over TLS
        pcm = self.tts_ok("Over TLS.")
        self.assertEqual(pcm, self.upstream_audio("Over TLS."))


class TlsUntrustedTest(RemoteTestCase):
    """The same server, but its certificate is not in the store: refused, clearly."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.addClassCleanup(cls.tmp.cleanup)
        cert, key = os.path.join(cls.tmp.name, "cert.pem"), os.path.join(cls.tmp.name, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                        "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1",
                        "-addext", "subjectAltName=IP:127.0.0.1"],
                       check=True, capture_output=True, timeout=60)
        cls.upstream_args = {"voices": "objects", "key": KEY, "tls": (cert, key)}
        super().setUpClass()

    def test_untrusted_certificate_is_refused(self):
        err = self.assert_error(self.server.tts({"engine": "cloud", "voice": "alloy",
                                                 "text": "Hello."}), 500)
        self.assertIn("TLS handshake failed", err)
        self.assertIn("certificate verify failed", err)


# The Lector that serves as upstream: this binary, or LECTOR_UPSTREAM_BIN (e.g. a build that has
# the OpenAI routes when this one does not).
UPSTREAM_BIN = os.environ.get("LECTOR_UPSTREAM_BIN") or LECTOR_BIN


class LectorUpstreamTest(ServerTestCase):
    """A second Lector as the upstream: the case the issue asks for, a real server, no mock."""

    @staticmethod
    def has_flag(flag):
        out = subprocess.run([UPSTREAM_BIN, "serve", "--help"], capture_output=True, text=True,
                             timeout=30).stdout
        return flag in out

    @classmethod
    def setUpClass(cls):
        cls.up_port = free_port()
        cls.up_log = tempfile.TemporaryFile()
        cls.up = subprocess.Popen([UPSTREAM_BIN, "serve", "--host", "127.0.0.1", "--port",
                                   str(cls.up_port), "--engines", "espeak,flite",
                                   # a segment of this Lector is at most 300 characters: an
                                   # upstream cap below that gives the error case
                                   *(["--openai-max-input", "100"] if cls.has_flag("--openai-max-input") else [])],
                                  stdin=subprocess.DEVNULL, stdout=cls.up_log, stderr=cls.up_log)
        cls.addClassCleanup(cls.up_log.close)
        cls.addClassCleanup(lambda: (cls.up.kill(), cls.up.wait()))

        def voices_status():
            try:
                with socket.create_connection(("127.0.0.1", cls.up_port), timeout=2) as s:
                    s.sendall(b"GET /v1/audio/voices HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    return int(s.recv(64).split()[1])
            except (OSError, IndexError, ValueError):
                return None

        status = wait_for(voices_status, 20, what="the upstream Lector to answer")
        if status != 200:
            raise unittest.SkipTest(f"{UPSTREAM_BIN} has no GET /v1/audio/voices ({status}); "
                                    "set LECTOR_UPSTREAM_BIN to a build with the OpenAI routes")
        cls.extra_args = ["--remote", f"lec=http://127.0.0.1:{cls.up_port}/v1"]
        super().setUpClass()

    def test_voices_and_audio_from_another_lector(self):
        status, _, voices = self.server.get_json("/api/voices?engine=lec")
        self.assertEqual(status, 200)
        by_name = {v["name"]: v for v in voices}
        self.assertIn("espeak:en-us", by_name)
        self.assertEqual(by_name["flite:slt"]["gender"], "female")
        self.assertEqual(by_name["flite:slt"]["languages"], ["en-US"])
        rate, pcm = self.server.tts_pcm({"voice": "lec:flite:slt", "volume": "1",
                                         "text": "Hello from the other Lector. It speaks at 24 kHz."})
        self.assertEqual(rate, RATE)
        # Two sentences of flite at 24 kHz: seconds, not a click.
        self.assertGreater(len(pcm) / 2 / RATE, 2.0)
        self.assertGreater(max(abs(v) for v in samples(pcm)), 1000)
        # With the engine named, the upstream's id is the voice, colon and all.
        rate, same = self.server.tts_pcm({"engine": "lec", "voice": "flite:slt", "volume": "1",
                                          "text": "Hello from the other Lector. It speaks at 24 kHz."})
        self.assertEqual(same, pcm)
        # And OpenAI's route maps an OpenAI voice onto the upstream's voices by gender.
        status, _, body = self.server.request(
            "POST", "/v1/audio/speech", body=json.dumps(
                {"model": "lec", "voice": "nova", "input": "Hi.", "response_format": "wav"}).encode())
        self.assertEqual(status, 200, body[:200])

    def test_cancel_and_upstream_error(self):
        with self.server.stream({"voice": "lec:espeak:en-us",
                                 "text": " ".join(["A long sentence that keeps going."] * 30)}) as s:
            self.assertEqual(s.read_head()[0], 200)
            s.read_at_least(44 + 4800)
        # (the harness checks both servers' client side: this one is idle again)
        # One 200-character word: a segment over the upstream's --openai-max-input of 100.
        err = self.assert_error(self.server.tts({"voice": "lec:espeak:en-us", "text": "x" * 200}),
                                500)
        self.assertIn(f"upstream http://127.0.0.1:{self.up_port} answered 400", err)
        self.assertIn("input", err)


class FlagsTest(unittest.TestCase):
    """Bad --remote flags stop `lector serve` at once with a message naming the flag (and never
    showing the key)."""

    def serve(self, *args):
        return subprocess.run([LECTOR_BIN, "serve", "--port", "0", "--engines", "espeak", *args],
                              capture_output=True, text=True, timeout=30)

    def assert_refused(self, args, message):
        p = self.serve(*args)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn(message, p.stderr)
        self.assertNotIn("sk-secret", p.stderr)

    def test_bad_flags(self):
        self.assert_refused(["--remote", "cloud"], "--remote 'cloud': expected NAME=BASE_URL[,KEY]")
        self.assert_refused(["--remote", "espeak=http://h,sk-secret"], "is a built-in engine")
        self.assert_refused(["--remote", "a b=http://h"], "NAME must be")
        self.assert_refused(["--remote", "cloud=ftp://h,sk-secret"],
                            "must start with http:// or https://")
        self.assert_refused(["--remote", "cloud=http://h:99999"], "port must be 1 to 65535")
        self.assert_refused(["--remote", "cloud=http://u:sk-secret@h"], "credentials")
        self.assert_refused(["--remote", "c=http://h", "--remote", "c=http://g"], "given twice")
        self.assert_refused(["--remote", "c=http://h", "--remote-model", "d=tts-1"],
                            "no --remote engine named 'd'")
        self.assert_refused(["--remote", "c=http://h", "--pool", "c=x"], "--pool 'c=x'")

    def test_named_in_engines_and_disabled_by_pool(self):
        # `--engines espeak,c` accepts the remote name; `--pool c=0` leaves it out, and with
        # espeak disabled too there is nothing to run.
        p = self.serve("--remote", "c=http://127.0.0.1:1", "--engines", "espeak,c",
                       "--pool", "c=0", "--pool", "espeak=0")
        self.assertNotIn("unknown engine", p.stderr)
        self.assertNotEqual(p.returncode, 0)


if __name__ == "__main__":
    unittest.main()
