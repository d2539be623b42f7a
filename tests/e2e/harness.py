"""Shared helpers for the end-to-end tests: start the real `lector serve` on a free port, talk
to it over real sockets, and check the WAV it streams. (Over ~450 lines: every e2e file imports
it, and its pieces — the server, the raw HTTP stream reader, the WAV helpers, the idle check —
are small and used together.)

Standard library only. CTest runs each test file from this directory with LECTOR_BIN set; run
one by hand with `cd tests/e2e && python3 -m unittest -v test_routes`.
"""

import array
import http.client
import json
import math
import os
import signal
import socket
import struct
import subprocess
import tempfile
import time
import unittest
import urllib.parse

LECTOR_BIN = os.environ.get("LECTOR_BIN") or "/work/main/build/release/lector"
TEXTS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "texts")
HOST = "127.0.0.1"

# How long a test's server may take to become idle again after the test: generous, since a
# worker killed by the test must be respawned (with backoff) and report ready.
IDLE_TIMEOUT = 10

SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                     "WARNING: ThreadSanitizer")

WAV_HEADER_BYTES = 44
UNKNOWN_SIZE = 0xFFFFFFFF


def read_text(name):
    """A fixture text from tests/e2e/texts (short, paragraph, long), without trailing newline."""
    with open(os.path.join(TEXTS_DIR, name + ".txt"), encoding="utf-8") as f:
        return f.read().strip()


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def tts_path(params):
    """/tts?... with every value percent-encoded (spaces as %20, not '+')."""
    return "/tts?" + urllib.parse.urlencode(params, quote_via=urllib.parse.quote)


def wait_for(predicate, timeout, interval=0.05, what="condition"):
    """Polls predicate() until it returns a truthy value; returns that value. Raises
    AssertionError naming `what` and the last value seen when the timeout passes. The timeout
    is a generous upper bound for liveness, never a speed requirement."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = predicate()
        if last:
            return last
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}; last value: {last!r}")
        time.sleep(interval)


# --- WAV ---------------------------------------------------------------------------------------


def parse_wav(data, expect_unknown_sizes=None):
    """Validates a canonical 44-byte PCM WAV header and returns (rate, channels, bits, pcm).

    expect_unknown_sizes: True for a stream (RIFF and data sizes are 0xFFFFFFFF), False for a
    file (sizes must match the data exactly), None to accept either."""
    if len(data) < WAV_HEADER_BYTES:
        raise AssertionError(f"WAV is {len(data)} bytes, shorter than its 44-byte header")
    riff, riff_size, wave = struct.unpack_from("<4sI4s", data, 0)
    fmt_id, fmt_size, fmt_tag, channels, rate, byte_rate, block_align, bits = struct.unpack_from(
        "<4sIHHIIHH", data, 12)
    data_id, data_size = struct.unpack_from("<4sI", data, 36)
    if riff != b"RIFF" or wave != b"WAVE":
        raise AssertionError(f"not a RIFF/WAVE file: {data[:12]!r}")
    if fmt_id != b"fmt " or fmt_size != 16:
        raise AssertionError(f"bad fmt chunk: id {fmt_id!r} size {fmt_size}")
    if fmt_tag != 1:
        raise AssertionError(f"format tag {fmt_tag}, expected 1 (PCM)")
    if channels < 1 or bits not in (8, 16, 24, 32) or rate <= 0:
        raise AssertionError(f"bad format: {channels} channels, {bits} bits, {rate} Hz")
    if block_align != channels * bits // 8 or byte_rate != rate * block_align:
        raise AssertionError(f"inconsistent fmt: block_align {block_align}, byte_rate {byte_rate} "
                             f"for {channels} ch x {bits} bits at {rate} Hz")
    if data_id != b"data":
        raise AssertionError(f"expected the data chunk at byte 36, found {data_id!r}")
    pcm = data[WAV_HEADER_BYTES:]
    exact = (riff_size == len(data) - 8 and data_size == len(pcm))
    unknown = (riff_size == UNKNOWN_SIZE and data_size == UNKNOWN_SIZE)
    if expect_unknown_sizes is True and not unknown:
        raise AssertionError(f"stream header sizes are {riff_size:#x}/{data_size:#x}, expected 0xFFFFFFFF")
    if expect_unknown_sizes is False and not exact:
        raise AssertionError(f"file header sizes RIFF={riff_size} data={data_size} do not match a "
                             f"{len(data)}-byte file (expected {len(data) - 8}/{len(pcm)})")
    if expect_unknown_sizes is None and not (exact or unknown):
        raise AssertionError(f"header sizes RIFF={riff_size} data={data_size} are neither exact nor unknown")
    if len(pcm) % block_align:
        raise AssertionError(f"{len(pcm)} PCM bytes is not a whole number of {block_align}-byte frames")
    return rate, channels, bits, pcm


def samples(pcm):
    """16-bit little-endian PCM as an array of ints."""
    a = array.array("h")
    a.frombytes(pcm[: len(pcm) - len(pcm) % 2])
    if a.itemsize != 2:
        raise RuntimeError("array 'h' is not 16-bit here")
    return a


def rms(pcm):
    a = samples(pcm)
    if not a:
        return 0.0
    return math.sqrt(sum(v * v for v in a) / len(a))


def speech_frames(pcm, rate=22050, threshold=200):
    """Number of 10 ms frames whose peak exceeds threshold: the length of the speech without
    its pauses. espeak's pauses vary by a few hundred samples with what the worker spoke
    before; the speech itself does not, so this compares two renderings much more tightly
    than their total lengths."""
    a = samples(pcm)
    frame = rate // 100
    n = 0
    for i in range(0, len(a) - frame + 1, frame):
        seg = a[i:i + frame]
        if max(seg) > threshold or -min(seg) > threshold:
            n += 1
    return n


def median_f0(pcm, rate, frames=20):
    """Median fundamental frequency (Hz) of the loudest frames, by autocorrelation on the
    signal decimated by 2. Crude, but enough to tell a raised pitch from the default."""
    x = samples(pcm)[::2]
    r = rate / 2
    frame = 512
    lo, hi = int(r / 400), int(r / 60)
    energies = []
    for i in range(0, len(x) - frame - hi, frame):
        energies.append((sum(v * v for v in x[i:i + frame]), i))
    energies.sort(reverse=True)
    estimates = []
    for _, i in energies[:frames]:
        seg = x[i:i + frame + hi]
        best_lag, best = lo, None
        for lag in range(lo, hi):
            c = sum(seg[k] * seg[k + lag] for k in range(frame))
            if best is None or c > best:
                best, best_lag = c, lag
        estimates.append(r / best_lag)
    estimates.sort()
    return estimates[len(estimates) // 2] if estimates else 0.0


def espeak_reference(text, voice):
    """Length in samples of the PCM that espeak-ng's own CLI produces for text and voice."""
    out = subprocess.run(["espeak-ng", "--stdout", "-v", voice, "--", text],
                         capture_output=True, check=True, timeout=60).stdout
    if out[:4] != b"RIFF" or out[8:12] != b"WAVE":
        raise RuntimeError("espeak-ng --stdout did not write a WAV")
    # Walk the chunks: espeak-ng's header may mark the data size as unknown when piped.
    pos = 12
    while pos + 8 <= len(out):
        cid, size = struct.unpack_from("<4sI", out, pos)
        if cid == b"data":
            return (len(out) - pos - 8) // 2
        pos += 8 + size + (size & 1)
    raise RuntimeError("no data chunk in espeak-ng output")


# --- HTTP --------------------------------------------------------------------------------------


class TtsStream:
    """A /tts (or any) request on a raw socket, so a test controls exactly when and how
    much it reads, and can drop the connection mid-stream.

    read_head() -> (status, headers); then chunks() yields (monotonic time, body bytes) as they
    arrive, de-chunked; read_all() collects the rest of the body."""

    def __init__(self, port, path, recv_size=65536, rcvbuf=None, timeout=60, method="GET",
                 body=None, headers=None):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            # Before connect, so the advertised window is small: the server cannot push far ahead.
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(timeout)
        self.sock.connect((HOST, port))
        self.recv_size = recv_size
        head = f"{method} {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
        for k, v in (headers or {}).items():
            head += f"{k}: {v}\r\n"
        if body is not None:
            head += f"Content-Length: {len(body)}\r\n"
        self.sock.sendall(head.encode() + b"\r\n" + (body or b""))
        self._buf = b""
        self.status = None
        self.headers = {}
        self._chunked = False
        self._remaining = None  # Content-Length left, when not chunked
        self._chunk_left = 0    # bytes left in the current chunk
        self._in_trailer = False
        self.done = False

    def _recv(self):
        data = self.sock.recv(self.recv_size)
        if not data:
            raise ConnectionError("server closed the connection mid-response")
        return data

    def read_head(self):
        while b"\r\n\r\n" not in self._buf:
            self._buf += self._recv()
        head, self._buf = self._buf.split(b"\r\n\r\n", 1)
        lines = head.decode("iso-8859-1").split("\r\n")
        self.status = int(lines[0].split()[1])
        for line in lines[1:]:
            k, _, v = line.partition(":")
            self.headers[k.strip().lower()] = v.strip()
        self._chunked = self.headers.get("transfer-encoding", "").lower() == "chunked"
        if not self._chunked:
            self._remaining = int(self.headers.get("content-length", "0"))
            if self._remaining == 0:
                self.done = True
        return self.status, self.headers

    def _decode(self):
        """Consumes as much of self._buf as possible; returns the body bytes found."""
        out = []
        if not self._chunked:
            take = self._buf[: self._remaining]
            self._buf = self._buf[len(take):]
            self._remaining -= len(take)
            if self._remaining == 0:
                self.done = True
            return b"".join([take])
        while True:
            if self._chunk_left > 0:
                take = self._buf[: self._chunk_left]
                if not take:
                    break
                out.append(take)
                self._buf = self._buf[len(take):]
                self._chunk_left -= len(take)
                if self._chunk_left == 0:
                    self._chunk_left = -1  # CRLF after the chunk data is next
                continue
            if self._chunk_left == -1:
                if len(self._buf) < 2:
                    break
                if self._buf[:2] != b"\r\n":
                    raise AssertionError(f"chunk data not followed by CRLF: {self._buf[:10]!r}")
                self._buf = self._buf[2:]
                self._chunk_left = 0
                continue
            if b"\r\n" not in self._buf:
                break
            line, rest = self._buf.split(b"\r\n", 1)
            if self._in_trailer:
                self._buf = rest
                if line == b"":
                    self.done = True
                    break
                continue
            size = int(line.split(b";")[0], 16)
            self._buf = rest
            if size == 0:
                self._in_trailer = True
                continue
            self._chunk_left = size
        return b"".join(out)

    def chunks(self):
        if self.status is None:
            self.read_head()
        body = self._decode()
        if body:
            yield time.monotonic(), body
        while not self.done:
            self._buf += self._recv()
            t = time.monotonic()
            body = self._decode()
            if body:
                yield t, body

    def read_at_least(self, n):
        """Reads until at least n body bytes arrived (or the body ended); returns them."""
        got = []
        total = 0
        for _, data in self.chunks():
            got.append(data)
            total += len(data)
            if total >= n:
                break
        return b"".join(got)

    def read_all(self):
        return b"".join(data for _, data in self.chunks())

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def raw_exchange(port, data, timeout=10):
    """Sends raw bytes, reads until the server closes; returns everything it sent back."""
    with socket.create_connection((HOST, port), timeout=timeout) as s:
        s.sendall(data)
        out = []
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return b"".join(out)
            out.append(chunk)


def split_response(raw):
    """(status line, headers with lower-case names, rest) of one raw HTTP response."""
    head, _, rest = raw.partition(b"\r\n\r\n")
    lines = head.decode("iso-8859-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    return lines[0], headers, rest


class LectorServer:
    """`lector serve` on a free port, with stderr captured to a temporary log file.

        with LectorServer(workers=2, extra_args=["--max-text-chars", "50"]) as server:
            status, headers, body = server.get_json("/engines")
    """

    def __init__(self, workers=2, extra_args=(), startup_timeout=20, engines="espeak", env=None,
                 headers=None):
        self.workers = workers
        # Variables added to the test's environment for the server (and its workers).
        self.env = dict(env or {})
        # Sent with every request unless the request overrides them (an API key under
        # --auth-all, so that /status still answers the idle check).
        self.headers = dict(headers or {})
        # Most tests are about the server, not the engines: espeak alone starts fastest.
        # engines=None runs every engine the binary has.
        self.extra_args = list(extra_args) + (["--engines", engines] if engines else [])
        self.startup_timeout = startup_timeout
        self.proc = None
        self.port = None
        self.log_path = None
        self._log = None

    # -- lifecycle --

    def start(self):
        # The port is free when picked but could be taken before the server binds it: retry.
        for attempt in range(3):
            self.port = free_port()
            self._spawn()
            try:
                self._wait_healthy()
                return self
            except AssertionError:
                log = self.log()
                self._kill()
                if attempt < 2 and "address" in log.lower() and "use" in log.lower():
                    continue
                self._discard_log()
                raise
        raise AssertionError("could not start lector serve")

    def _spawn(self):
        fd, self.log_path = tempfile.mkstemp(prefix="lector-e2e-", suffix=".log")
        self._log = os.fdopen(fd, "wb")
        # The Wyoming port defaults to 10200, which servers started side by side would share:
        # off unless a test asks for it (with a port of its own, free_port()).
        wyoming = [] if "--wyoming-port" in self.extra_args else ["--wyoming-port", "0"]
        cmd = [LECTOR_BIN, "serve", "--host", HOST, "--port", str(self.port),
               "--workers", str(self.workers), *wyoming, *self.extra_args]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log,
                                     env={**os.environ, **self.env})

    def _wait_healthy(self):
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"lector serve exited with {self.proc.returncode} during startup; "
                                     f"log:\n{self.log()}")
            try:
                status, _, _ = self.request("GET", "/health", timeout=2)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"lector serve not healthy after {self.startup_timeout} s; log:\n{self.log()}")

    def stop(self):
        """SIGTERM, up to 10 s to exit, then SIGKILL. Returns the exit status.

        Raises if the server had died on its own, did not exit 0 on SIGTERM, or if its log (the
        workers' stderr included) holds a sanitizer report: a crash in a worker is survived by
        design, so it would otherwise go unnoticed."""
        if self.proc is None:
            return None
        crashed = self.proc.poll() is not None
        code = self._kill()
        log = self.log()
        self._discard_log()
        self.proc = None
        problems = []
        if crashed:
            problems.append(f"lector serve died on its own (exit status {code})")
        elif code != 0:
            problems.append(f"lector serve exited with status {code} after SIGTERM")
        reports = [line for line in log.splitlines() if any(m in line for m in SANITIZER_MARKERS)]
        if reports:
            problems.append("sanitizer reports: " + "; ".join(reports[:5]))
        if problems:
            raise AssertionError(" and ".join(problems) + f"; log tail:\n{log[-4000:]}")
        return code

    def _kill(self):
        code = self.proc.poll()
        if code is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                code = self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                code = self.proc.wait()
        if self._log:
            self._log.close()
            self._log = None
        return code

    def _discard_log(self):
        if self.log_path and os.path.exists(self.log_path):
            os.unlink(self.log_path)
        self.log_path = None

    def log(self):
        if self._log:
            self._log.flush()
        if not self.log_path:
            return ""
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def wait_log(self, needle, timeout=5.0):
        """The log once it contains needle. A request's log line is written when its
        response has ended, which may be just after the client has read the last byte."""
        deadline = time.monotonic() + timeout
        while True:
            log = self.log()
            if needle in log or time.monotonic() > deadline:
                return log
            time.sleep(0.02)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- HTTP helpers --

    @property
    def url(self):
        return f"http://{HOST}:{self.port}"

    def request(self, method, path, timeout=60, body=None, headers=None):
        """(status, headers with lower-case names, body bytes)."""
        conn = http.client.HTTPConnection(HOST, self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers={**self.headers, **(headers or {})})
            resp = conn.getresponse()
            data = resp.read()
            hdrs = {k.lower(): v for k, v in resp.getheaders()}
            return resp.status, hdrs, data
        finally:
            conn.close()

    def get_json(self, path, method="GET"):
        """(status, headers, parsed JSON body). Fails if the body is not JSON."""
        status, headers, data = self.request(method, path)
        try:
            body = json.loads(data)
        except ValueError as e:
            raise AssertionError(f"{method} {path} -> {status}: body is not JSON: {data[:200]!r}") from e
        return status, headers, body

    def tts(self, params):
        """GET /tts with params (a dict) -> (status, headers, body bytes)."""
        return self.request("GET", tts_path(params))

    def tts_pcm(self, params):
        """GET /tts that must succeed -> (rate, pcm bytes)."""
        status, headers, body = self.tts(params)
        if status != 200:
            raise AssertionError(f"/tts {params!r} -> {status}: {body[:300]!r}")
        rate, channels, bits, pcm = parse_wav(body, expect_unknown_sizes=True)
        return rate, pcm

    def stream(self, params, **kwargs):
        """A TtsStream for /tts with params (not yet read)."""
        return TtsStream(self.port, tts_path(params), **kwargs)

    def stream_request(self, method, path, body=None, headers=None, **kwargs):
        """A TtsStream for any request (not yet read)."""
        return TtsStream(self.port, path, method=method, body=body, headers=headers, **kwargs)

    def arrivals(self, params, recv_size=65536):
        """Reads a whole /tts stream; returns (status, headers, [(monotonic time, bytes), ...])."""
        with self.stream(params, recv_size=recv_size) as s:
            status, headers = s.read_head()
            return status, headers, list(s.chunks())

    def status(self):
        status, _, body = self.get_json("/status")
        if status != 200:
            raise AssertionError(f"/status -> {status}: {body!r}")
        return body

    def worker_pids(self):
        return [w["pid"] for w in self.status()["workers"]]

    def assert_idle(self, timeout=IDLE_TIMEOUT, expected_workers=None):
        """Waits until the server is idle again: no request active (no live request handle and
        none held by the scheduler's loop), no segment queued, every worker "idle" (a killed
        worker respawned), and, when given, expected_workers of them.
        Raises with the last /status JSON if that does not happen within timeout. A request
        whose slot is never freed (a leak) keeps requests_active above 0 and fails here."""
        last = {}

        def idle():
            st = self.status()
            last["status"] = st
            workers = st["workers"]
            return (st["requests_active"] == 0 and st.get("requests_held") == 0
                    and st["segments_queued"] == 0
                    # A worker whose engine cannot serve holds nothing: as idle as it gets.
                    and all(w["state"] in ("idle", "unavailable") for w in workers)
                    and (expected_workers is None or len(workers) == expected_workers))

        deadline = time.monotonic() + timeout
        while not idle():
            if time.monotonic() >= deadline:
                raise AssertionError(
                    f"server not idle {timeout} s after the test (expected requests_active 0, "
                    f"requests_held 0, segments_queued 0, every worker idle); last /status:\n"
                    f"{json.dumps(last['status'], indent=1)}")
            time.sleep(0.05)
        return last["status"]


class ServerTestCase(unittest.TestCase):
    """One server per test class. Subclasses set `workers` and `extra_args`.

    Every test must leave the server idle (see LectorServer.assert_idle): checked after the
    test and its own cleanups, so a leaked request slot or segment fails the test that leaked
    it rather than a later one. A subclass that overrides setUp must call super().setUp()."""

    workers = 2
    extra_args = ()
    engines = "espeak"
    env = None  # variables added to the server's environment
    headers = None  # LectorServer's headers
    server = None
    # Worker slots the server reports; constant for its lifetime (a dead worker keeps its slot).
    worker_slots = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._start_server()

    @classmethod
    def _start_server(cls):
        cls.server = LectorServer(workers=cls.workers, extra_args=cls.extra_args,
                                  engines=cls.engines, env=cls.env, headers=cls.headers).start()
        cls.addClassCleanup(cls.server.stop)
        cls.worker_slots = len(cls.server.status()["workers"])

    def setUp(self):
        super().setUp()
        # Registered first, so it runs last: after tearDown and every cleanup the test added
        # (which may close the streams it held open).
        self.addCleanup(self._check_idle)
        self._idle_check_registered = True

    def tearDown(self):
        if not getattr(self, "_idle_check_registered", False):
            self.fail(f"{type(self).__name__}.setUp does not call super().setUp(): the check that "
                      "the server is idle after each test would not run")
        super().tearDown()

    def _check_idle(self):
        try:
            self.server.assert_idle(expected_workers=self.worker_slots)
        except AssertionError as e:
            # The leak would stay and fail every later test of the class too: give them a
            # fresh server, so only the test that leaked fails.
            cls = type(self)
            try:
                cls.server.stop()
            except AssertionError as stop_error:
                e.add_note(f"and stopping that server: {stop_error}")
            cls._start_server()
            raise

    def assert_error(self, result, status, message=None, contains=None):
        """An error answer: exact status, JSON content type, a JSON object with an "error" string
        (equal to message, or containing `contains`)."""
        got_status, headers, body = result
        self.assertEqual(got_status, status, f"body: {body!r:.300}")
        self.assertTrue(headers.get("content-type", "").startswith("application/json"),
                        f"Content-Type {headers.get('content-type')!r} for an error")
        parsed = json.loads(body) if isinstance(body, (bytes, str)) else body
        self.assertIsInstance(parsed, dict)
        self.assertIn("error", parsed)
        self.assertIsInstance(parsed["error"], str)
        if message is not None:
            self.assertEqual(parsed["error"], message)
        if contains is not None:
            self.assertIn(contains, parsed["error"])
        return parsed["error"]

    def assert_close(self, actual, expected, rel=None, abs_tol=0, msg=""):
        """|actual - expected| <= max(rel * expected, abs_tol)."""
        tol = max((rel or 0) * expected, abs_tol)
        self.assertLessEqual(abs(actual - expected), tol,
                             f"{msg}: {actual} vs {expected} (ratio {actual / expected:.4f}, "
                             f"tolerance {tol:.0f})")
