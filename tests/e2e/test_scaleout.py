"""Scale-out: two real `lector serve` instances behind Debian's nginx, configured by the example
in deploy/nginx/lector.conf (only its addresses and port replaced), on loopback.

Requests of both kinds (/tts and a /v1/stream utterance) go through nginx concurrently and are
spread over both instances. Then one instance is killed with SIGKILL in the middle of the
traffic: streams it was serving are cut (an incomplete chunked body; a WebSocket closed without
a close frame and without its `done` event) — nothing can move a started response to another
instance; streams on the other instance finish whole; every request that had not reached the
dead instance, and every request after the kill, succeeds through the survivor (nginx's
proxy_next_upstream on a refused connection). The dead instance leaves no worker behind.

nginx runs as the test user with everything in a temporary directory:
`nginx -p TMP -c TMP/nginx.conf -e TMP/error.log -g 'daemon off;'`. Skipped when nginx is
not installed (scripts/deps.sh test)."""

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest

from harness import (HOST, LECTOR_BIN, LectorServer, TtsStream, free_port, parse_wav, tts_path,
                     wait_for)
from wsclient import WsClient

EXAMPLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "deploy", "nginx",
                       "lector.conf")
NGINX = shutil.which("nginx") or next(
    (p for p in ("/usr/sbin/nginx", "/sbin/nginx") if os.access(p, os.X_OK)), None)
UPSTREAM_HEADER = "x-lector-upstream"
TONE_RATE = 16000
WORD_BYTES = TONE_RATE // 10 * 2  # the tone engine: 100 ms of s16 audio per word


def tone_built():
    probe = subprocess.run([LECTOR_BIN, "serve", "--engines", "tone", "--pool", "tone=0",
                            "--port", "0"], capture_output=True, text=True, timeout=30)
    return "unknown engine" not in probe.stderr


def proxy_config(tmp, listen_port, upstream_ports):
    """The example with its upstream addresses and listen port replaced, plus a response header
    naming the instance that answered (bookkeeping for the test), inside a main configuration
    that keeps pid, logs and temporary files in tmp."""
    with open(EXAMPLE, encoding="utf-8") as f:
        site = f.read()
    servers = re.findall(r"(?m)^\s*server 127\.0\.0\.1:\d+", site)
    if len(servers) != len(upstream_ports):
        raise AssertionError(f"expected {len(upstream_ports)} upstream servers in {EXAMPLE}, "
                             f"found {servers}")
    ports = iter(upstream_ports)
    site = re.sub(r"(?m)^(\s*server 127\.0\.0\.1:)\d+", lambda m: m.group(1) + str(next(ports)),
                  site)
    site, n = re.subn(r"(?m)^(\s*)listen \S+;", rf"\g<1>listen {HOST}:{listen_port};", site)
    if n != 1:
        raise AssertionError(f"expected one listen directive in {EXAMPLE}, found {n}")
    site, n = re.subn(r"(?m)^(\s*)server_name (.*);",
                      r"\g<0>\n\g<1>add_header X-Lector-Upstream $upstream_addr always;", site)
    if n != 1:
        raise AssertionError(f"expected one server_name directive in {EXAMPLE}, found {n}")
    temp_paths = "\n".join(f"    {d}_temp_path {tmp}/{d};"
                           for d in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return (f"pid {tmp}/nginx.pid;\n"
            f"error_log {tmp}/error.log info;\n"
            "worker_processes 1;\n"
            "events { worker_connections 512; }\n"
            "http {\n"
            "    log_format timed '$msec $request_time $upstream_addr $upstream_status $status "
            "$upstream_response_time \"$request\"';\n"
            f"    access_log {tmp}/access.log timed;\n"
            f"{temp_paths}\n"
            f"{site}\n"
            "}\n")


class Nginx:
    def __init__(self, upstream_ports):
        self.tmp = tempfile.mkdtemp(prefix="lector-nginx-")
        # nginx started as root runs its worker as nobody, which must reach the temp paths.
        os.chmod(self.tmp, 0o755)
        self.port = free_port()
        self.conf = os.path.join(self.tmp, "nginx.conf")
        with open(self.conf, "w", encoding="utf-8") as f:
            f.write(proxy_config(self.tmp, self.port, upstream_ports))
        self.proc = None

    def command(self, *extra):
        return [NGINX, "-p", self.tmp, "-c", self.conf, "-e", os.path.join(self.tmp, "error.log"),
                *extra]

    def test_config(self):
        return subprocess.run(self.command("-t"), capture_output=True, text=True, timeout=30)

    def start(self):
        self.proc = subprocess.Popen(self.command("-g", "daemon off;"), stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

        def listening():
            if self.proc.poll() is not None:
                raise AssertionError(f"nginx exited with {self.proc.returncode}: "
                                     f"{self.proc.stderr.read().decode(errors='replace')}\n"
                                     f"{self.error_log()}")
            try:
                socket.create_connection((HOST, self.port), timeout=1).close()
                return True
            except OSError:
                return False
        wait_for(listening, 10, what="nginx to listen")
        return self

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)  # graceful: finish open requests
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def access_log(self):
        try:
            with open(os.path.join(self.tmp, "access.log"), encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def error_log(self):
        try:
            with open(os.path.join(self.tmp, "error.log"), encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return ""


def kill_instance(server):
    """SIGKILL a LectorServer, wait for it, and detach it so that its stop() does not complain
    that it died."""
    server.proc.send_signal(signal.SIGKILL)
    server.proc.wait()
    server._log.close()
    server._log = None
    server._discard_log()
    server.proc = None


def gone(pid):
    """True once pid has exited (a zombie waiting for its reaper counts as exited)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8", errors="replace") as f:
            stat = f.read()
    except OSError:
        return True
    return stat[stat.rindex(")") + 2:].split()[0] in ("Z", "X")


def read_tts(stream):
    """Reads a started /tts response to its end: (body bytes, complete)."""
    body = b""
    try:
        for _, data in stream.chunks():
            body += data
    except (ConnectionError, OSError):
        pass
    return body, stream.done


def ws_utterance(port, config, text):
    """One /v1/stream utterance on a new connection, ended with `end`: returns (upstream,
    audio bytes, events, how it ended: "closed 1000", "closed CODE" or "cut")."""
    with WsClient(port, "/v1/stream") as ws:
        upstream = re.search(r"(?im)^x-lector-upstream:\s*([^\r\n]+)", ws.handshake)
        audio, events = b"", []
        try:
            ws.send_json({"type": "config", **config})
            ws.send_json({"type": "text", "text": text})
            ws.send_json({"type": "end"})
            while True:
                kind, m = ws.recv_event()
                if kind == "audio":
                    audio += m
                else:
                    events.append(m)
        except Exception as e:  # noqa: BLE001 - the way the socket ended is the result
            code = getattr(e, "code", None)
            ending = f"closed {code}" if code is not None else "cut"
        return (upstream.group(1) if upstream else None), audio, events, ending


@unittest.skipUnless(NGINX, "nginx is not installed (Debian package nginx; scripts/deps.sh test)")
class ScaleOutTest(unittest.TestCase):
    """Tests run in name order; the last one kills instance A."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tone = tone_built()
        engines = "espeak,tone" if cls.tone else "espeak"
        cls.a = LectorServer(workers=2, engines=engines).start()
        cls.addClassCleanup(cls.a.stop)
        cls.b = LectorServer(workers=2, engines=engines).start()
        cls.addClassCleanup(cls.b.stop)
        cls.upstream = {f"{HOST}:{cls.a.port}": "a", f"{HOST}:{cls.b.port}": "b"}
        cls.nginx = Nginx([cls.a.port, cls.b.port])
        checked = cls.nginx.test_config()
        if checked.returncode != 0:
            cls.nginx.stop()
            raise AssertionError(f"nginx -t refused the configuration:\n{checked.stderr}")
        cls.nginx.start()
        cls.addClassCleanup(cls.nginx.stop)

    def instance(self, upstream_header):
        """"a" or "b" for the X-Lector-Upstream header of a response. After a retry the header
        lists every instance tried ("A, B"): the last one answered."""
        if not upstream_header:
            return None
        return self.upstream.get(upstream_header.split(",")[-1].strip())

    def tts(self, params, timeout=60):
        """A whole /tts through nginx: (status, instance, body, complete)."""
        with TtsStream(self.nginx.port, tts_path(params), timeout=timeout) as s:
            status, headers = s.read_head()
            body, complete = read_tts(s)
            return status, self.instance(headers.get(UPSTREAM_HEADER)), body, complete

    def assert_speech(self, result, what):
        status, instance, body, complete = result
        self.assertEqual(status, 200, f"{what}: {body[:300]!r}")
        self.assertTrue(complete, f"{what}: the body was cut")
        _, _, _, pcm = parse_wav(body, expect_unknown_sizes=True)
        self.assertGreater(len(pcm), 4000, what)
        return instance

    def concurrently(self, fn, args_list):
        results = [None] * len(args_list)

        def run(i, args):
            try:
                results[i] = fn(*args)
            except Exception as e:  # noqa: BLE001 - reported by the caller's assertions
                results[i] = e
        threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(args_list)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        return results

    def test_a_nginx_config_is_valid(self):
        r = self.nginx.test_config()
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("test is successful", r.stderr)

    def test_b_concurrent_requests_are_spread_over_both_instances(self):
        before = {name: s.status()["requests_total"] for name, s in (("a", self.a), ("b", self.b))}
        texts = [f"Request number {i} goes through the proxy." for i in range(8)]
        results = self.concurrently(lambda t: self.tts({"text": t}), [(t,) for t in texts])
        served = [self.assert_speech(r, f"request {i}") for i, r in enumerate(results)]
        ws = self.concurrently(ws_utterance, [(self.nginx.port, {"voice": "en-us"},
                                               f"A streamed utterance, number {i}.")
                                              for i in range(4)])
        for i, r in enumerate(ws):
            self.assertNotIsInstance(r, Exception, f"utterance {i}")
            upstream, audio, events, ending = r
            self.assertEqual(ending, "closed 1000", f"utterance {i}: {events}")
            self.assertEqual([e["type"] for e in events if e["type"] == "done"], ["done"])
            self.assertGreater(len(audio), 4000)
            served.append(self.instance(upstream))
        self.assertEqual(sorted(set(served)), ["a", "b"], f"instances that answered: {served}")
        after = {name: s.status()["requests_total"] for name, s in (("a", self.a), ("b", self.b))}
        self.assertEqual(sum(after.values()) - sum(before.values()), 12)
        for name in ("a", "b"):
            self.assertEqual(after[name] - before[name], served.count(name), name)
        self.a.assert_idle()
        self.b.assert_idle()

    def open_held_streams(self):
        """Opens /tts streams and /v1/stream utterances through nginx that the tone engine holds
        in a 6 s delay after their first two words, until each instance holds at least one of
        each kind. Returns [(kind, instance, stream or ws)], each with its first audio read."""
        text = "One two [delay:6000] three four."
        held = []
        for _ in range(8):
            s = TtsStream(self.nginx.port, tts_path({"voice": "tone:tone", "text": text}),
                          timeout=30)
            self.addCleanup(s.close)
            status, headers = s.read_head()
            self.assertEqual(status, 200)
            first = s.read_at_least(44 + 2 * WORD_BYTES)
            self.assertEqual(len(first), 44 + 2 * WORD_BYTES)
            held.append(("tts", self.instance(headers.get(UPSTREAM_HEADER)), s, first))

            ws = WsClient(self.nginx.port, "/v1/stream")
            self.addCleanup(ws.sock.close)
            upstream = re.search(r"(?im)^x-lector-upstream:\s*([^\r\n]+)", ws.handshake)
            ws.send_json({"type": "config", "voice": "tone:tone"})
            ws.send_json({"type": "text", "text": text})
            ws.send_json({"type": "flush"})
            audio = b""
            while len(audio) < 2 * WORD_BYTES:
                kind, m = ws.recv_event()
                if kind == "audio":
                    audio += m
            held.append(("ws", self.instance(upstream.group(1) if upstream else None), ws, audio))
            kinds = {(k, inst) for k, inst, _, _ in held}
            if {("tts", "a"), ("tts", "b"), ("ws", "a"), ("ws", "b")} <= kinds:
                return held
        self.fail(f"could not place a held stream of each kind on each instance: "
                  f"{sorted((k, i) for k, i, _, _ in held)}")

    def test_z_losing_an_instance(self):
        if not self.tone:
            self.skipTest("the held streams need the test engine tone (LECTOR_TEST_ENGINE)")
        held = self.open_held_streams()

        # Traffic of both kinds through nginx while instance a dies.
        records = []
        stop = threading.Event()
        lock = threading.Lock()

        def load(k):
            n = 0
            while not stop.is_set():
                n += 1
                started = time.monotonic()
                if (k + n) % 3 == 0:
                    try:
                        upstream, audio, events, ending = ws_utterance(
                            self.nginx.port, {"voice": "en-us"}, f"Load utterance {k} {n}.")
                        ok = ending == "closed 1000" and any(e["type"] == "done" for e in events)
                    except (ConnectionError, OSError) as e:
                        ok, upstream, ending = False, None, repr(e)
                    rec = ("ws", started, time.monotonic(), ok, upstream, ending)
                else:
                    try:
                        with TtsStream(self.nginx.port, tts_path({"text": f"Load {k} {n}."}),
                                       timeout=30) as s:
                            status, headers = s.read_head()
                            upstream = headers.get(UPSTREAM_HEADER)
                            body, complete = read_tts(s)
                        ok = status == 200 and complete and len(body) > 44
                        ending = "whole" if ok else ("cut" if status == 200 else f"status {status}")
                    except (ConnectionError, OSError) as e:
                        ok, upstream, ending = False, None, repr(e)
                    rec = ("tts", started, time.monotonic(), ok, upstream, ending)
                with lock:
                    records.append(rec)

        threads = [threading.Thread(target=load, args=(k,)) for k in range(3)]
        for t in threads:
            t.start()
        try:
            wait_for(lambda: len({self.instance(r[4]) for r in records if r[3]}) == 2, 20,
                     what="load requests answered by both instances")
            a_workers = self.a.worker_pids()
            # The kill takes from kill_sent (SIGKILL) to killed_at (reaped).
            kill_sent = time.monotonic()
            kill_instance(self.a)
            killed_at = time.monotonic()
            time.sleep(2)
        finally:
            stop.set()
            for t in threads:
                t.join(timeout=60)

        # Streams held on a are cut: the /tts body stops without its last chunk, the WebSocket
        # closes without a close frame and without `done`. Those on b finish whole: four words.
        for kind, instance, conn, first in held:
            with self.subTest(kind=kind, instance=instance):
                if kind == "tts":
                    rest, complete = read_tts(conn)
                    conn.close()
                    body = first + rest
                    if instance == "a":
                        self.assertFalse(complete, "a stream of the killed instance ended cleanly")
                        self.assertEqual(len(body), 44 + 2 * WORD_BYTES)
                    else:
                        self.assertTrue(complete)
                        self.assertEqual(len(body), 44 + 4 * WORD_BYTES)
                else:
                    audio, events, ending = first, [], "cut"
                    try:
                        while True:
                            k, m = conn.recv_event()
                            if k == "audio":
                                audio += m
                            else:
                                events.append(m["type"])
                                if m["type"] == "done":
                                    ending = "done"
                                    break
                    except Exception as e:  # noqa: BLE001
                        code = getattr(e, "code", None)
                        ending = ending if code is None else f"closed {code}"
                    conn.close()
                    if instance == "a":
                        self.assertEqual(ending, "cut", events)
                        self.assertNotIn("done", events)
                        self.assertEqual(len(audio), 2 * WORD_BYTES)
                    else:
                        self.assertEqual(ending, "done", events)
                        self.assertEqual(len(audio), 4 * WORD_BYTES)

        # The load: whatever started after the kill succeeded, on b. A failure is only a
        # response that a had started and could not finish: cut, never an error status. A
        # request that found a dead (or reset a kept-alive connection to it) was tried again on b.
        after_kill = [r for r in records if r[1] > killed_at]
        self.assertGreater(len(after_kill), 3, "too little traffic after the kill")
        for kind, started, ended, ok, upstream, ending in records:
            with self.subTest(kind=kind, started=round(started - killed_at, 3), upstream=upstream):
                if started > killed_at:
                    self.assertTrue(ok, f"{kind} after the kill failed: {ending}")
                    self.assertEqual(self.instance(upstream), "b")
                elif not ok:
                    self.assertGreater(ended, kill_sent, f"{kind} failed before the kill: {ending}")
                    self.assertEqual(ending, "cut")
                    self.assertEqual(self.instance(upstream), "a")
        failed = [r for r in records if not r[3]]
        self.assertLessEqual(len(failed), len(threads), f"failed: {failed}")

        # A fresh batch of both kinds, concurrently: all on b, all whole.
        results = self.concurrently(lambda t: self.tts({"text": t}),
                                    [(f"After the loss, request {i}.",) for i in range(6)])
        for i, r in enumerate(results):
            self.assertEqual(self.assert_speech(r, f"request {i} after the kill"), "b")
        upstream, audio, events, ending = ws_utterance(self.nginx.port, {"voice": "en-us"},
                                                       "The survivor still streams.")
        self.assertEqual((self.instance(upstream), ending), ("b", "closed 1000"), events)
        self.assertGreater(len(audio), 4000)

        # The dead instance's workers saw their socket close and exited.
        wait_for(lambda: all(gone(pid) for pid in a_workers), 10,
                 what=f"the killed instance's workers {a_workers} to exit")
        self.assertIn("prematurely closed", self.nginx.error_log())
        self.b.assert_idle()


if __name__ == "__main__":
    unittest.main()
