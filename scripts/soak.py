#!/usr/bin/env python3
"""A bounded soak: `lector serve` under a mixed load for a fixed time, then the verdict.

    scripts/soak.py                      # 600 s against build/release/lector
    scripts/soak.py --seconds 45 --bin build/ci/lector --clients 6

Starts the server (the real binary, espeak workers, a Wyoming port) and runs --clients threads,
each looping over every synthesis route with mixed texts, voices, formats and rates: GET /tts,
POST /tts (JSON and a chunked text upload), /v1/audio/speech (every format, and SSE), /process,
the /v1/stream and /ws WebSockets, Wyoming. About one request in eight is dropped mid-answer
or cancelled (/v1/stream "cancel", a Wyoming hang-up). It fails when:
  - any answer is other than 200 or a deliberate 503/429 (overload; none expected at this load);
  - a 200 body is not audio of its format (a WAV header, an SSE "speech.audio.done", ...);
  - RSS or open descriptors of the server or a worker grow from the first window to the last
    (windows: the first and last quarter of the run, at most 60 s each). Tolerance: RSS median
    of the last window <= max of the first * 1.10 + 8 MiB (allocator arenas and the 2 MiB
    synthesis cache settle early; a leak per request would not); descriptors under load: max of
    the last window <= max of the first + 2 (they follow connections in flight), and at rest
    after the run exactly what they were at rest before it;
  - requests are still in flight (/status) once the load stops.
RSS is meaningful for release builds only: under ASan, its quarantine (256 MiB) makes every
process grow for minutes. Standard library only (it reuses tests/e2e's harness and clients). Prints the figures: requests
per route and outcome, RSS and descriptors before and after.
"""

import argparse
import base64
import json
import os
import random
import socket
import statistics
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
import harness  # noqa: E402
from harness import HOST, LectorServer, TtsStream, free_port, parse_wav, tts_path  # noqa: E402
from wsclient import WsClient, WsClosed  # noqa: E402
from wyoming_client import WyomingClient  # noqa: E402

TEXTS = [
    "Hello there.",
    "The quick brown fox jumps over the lazy dog. It was not amused!",
    "Dr. Smith paid $3.50 for two apples, then left at 10:30 a.m.",
    "Streaming text to speech, sentence by sentence; the first audio comes early. Then the rest.",
    "Numbers like 1,234 and 56.7 percent, dates like 2024-05-01, and an emoji 😀 too.",
    "A longer passage follows. " + "It keeps the workers busy for a while, one clause after another. " * 3,
]
VOICES = ["en-us", "en-gb", "de", "fr-fr", "es", "en-us+f2"]
FORMATS = ["wav", "pcm", "mp3", "opus", "flac"]
RATES = [None, 16000, 24000, 44100]
DROP = 0.125  # share of requests dropped or cancelled mid-answer


class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.counts = {}  # (route, outcome) -> n
        self.failures = []

    def add(self, route, outcome):
        with self.lock:
            self.counts[(route, outcome)] = self.counts.get((route, outcome), 0) + 1

    def fail(self, route, what):
        with self.lock:
            self.counts[(route, "FAILED")] = self.counts.get((route, "FAILED"), 0) + 1
            if len(self.failures) < 50:
                self.failures.append(f"{route}: {what}")


def check_status(route, status, body, tally):
    """True for 200; 503/429 are counted as deliberate; anything else fails."""
    if status == 200:
        return True
    if status in (503, 429):
        tally.add(route, str(status))
        return False
    tally.fail(route, f"status {status}: {body[:200]!r}")
    return False


def check_audio(fmt, data):
    if fmt == "wav":
        parse_wav(data)
    elif fmt == "mp3" and not (data[:3] == b"ID3" or (data[0] == 0xFF and data[1] & 0xE0 == 0xE0)):
        raise AssertionError(f"not MP3: {data[:8]!r}")
    elif fmt == "opus" and data[:4] != b"OggS":
        raise AssertionError(f"not Ogg: {data[:8]!r}")
    elif fmt == "flac" and data[:4] != b"fLaC":
        raise AssertionError(f"not FLAC: {data[:8]!r}")
    elif len(data) == 0:
        raise AssertionError("empty body")


def stream_answer(port, route, method, path, body, headers, fmt, rng, tally):
    with TtsStream(port, path, method=method, body=body, headers=headers, timeout=60) as s:
        status, _ = s.read_head()
        if status != 200:
            check_status(route, status, s.read_all() if s._remaining or s._chunked else b"", tally)
            return
        if rng.random() < DROP:
            s.read_at_least(rng.randrange(1, 20000))
            tally.add(route, "dropped")
            return
        data = s.read_all()
        check_audio(fmt, data)
        tally.add(route, "200")


def tts_get(port, rng, tally):
    fmt = rng.choice(FORMATS)
    params = {"text": rng.choice(TEXTS), "voice": rng.choice(VOICES), "format": fmt}
    rate = rng.choice(RATES)
    if rate and fmt != "mp3":
        params["sample_rate"] = str(rate)
    stream_answer(port, "GET /tts", "GET", tts_path(params), None, None, fmt, rng, tally)


def tts_json(port, rng, tally):
    fmt = rng.choice(FORMATS)
    body = json.dumps({"text": rng.choice(TEXTS), "voice": rng.choice(VOICES), "format": fmt,
                       "speed": rng.choice([0.8, 1.0, 1.5])}).encode()
    stream_answer(port, "POST /tts json", "POST", "/tts", body, {"Content-Type": "application/json"},
                  fmt, rng, tally)


def tts_upload(port, rng, tally):
    route = "POST /tts upload"
    words = rng.choice(TEXTS).split()
    with socket.create_connection((HOST, port), timeout=60) as s:
        s.sendall(b"POST /tts?voice=" + rng.choice(VOICES).encode() + b" HTTP/1.1\r\nHost: x\r\n"
                  b"Content-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n")
        for w in words:
            piece = (w + " ").encode()
            s.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
        if rng.random() < DROP:
            tally.add(route, "dropped")
            return  # hangs up mid-upload
        s.sendall(b"0\r\n\r\n")
        raw = b""
        while not raw.endswith(b"0\r\n\r\n"):
            data = s.recv(65536)
            if not data:
                break
            raw += data
    head, _, rest = raw.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1]) if head else 0
    if not check_status(route, status, rest, tally):
        return
    if not raw.endswith(b"0\r\n\r\n"):
        raise AssertionError("chunked body did not end")
    tally.add(route, "200")


def openai(port, rng, tally):
    fmt = rng.choice(FORMATS)
    sse = rng.random() < 0.25
    body = {"input": rng.choice(TEXTS), "voice": rng.choice(["alloy", "nova", "espeak:de"]),
            "response_format": fmt}
    if sse:
        body["stream_format"] = "sse"
    route = "POST /v1/audio/speech" + (" sse" if sse else "")
    path, data, headers = "/v1/audio/speech", json.dumps(body).encode(), {"Content-Type": "application/json"}
    if not sse:
        stream_answer(port, route, "POST", path, data, headers, fmt, rng, tally)
        return
    with TtsStream(port, path, method="POST", body=data, headers=headers, timeout=60) as s:
        status, _ = s.read_head()
        if not check_status(route, status, b"", tally):
            return
        text = s.read_all().decode()
        if '"speech.audio.done"' not in text:
            raise AssertionError("SSE stream without speech.audio.done")
        tally.add(route, "200")


def process(port, rng, tally):
    query = urllib.parse.urlencode({"INPUT_TEXT": rng.choice(TEXTS), "LOCALE": rng.choice(["en_US", "de"]),
                                    "AUDIO": rng.choice(["WAVE_FILE", "WAVE"])})
    stream_answer(port, "GET /process", "GET", "/process?" + query, None, None, "wav", rng, tally)


def ws_stream(port, rng, tally):
    route = "WS /v1/stream"
    with WsClient(port, "/v1/stream", timeout=60) as ws:
        ws.send_json({"type": "config", "voice": rng.choice(VOICES), "format": rng.choice(["pcm", "wav", "opus"])})
        if ws.recv_event()[1]["type"] != "config":
            raise AssertionError("no config event")
        text = rng.choice(TEXTS)
        for i in range(0, len(text), 7):
            ws.send_json({"type": "text", "text": text[i:i + 7]})
        cancel = rng.random() < DROP
        ws.send_json({"type": "flush"})
        audio = 0
        while True:
            kind, e = ws.recv_event()
            if kind == "audio":
                audio += len(e)
                if cancel:
                    ws.send_json({"type": "cancel"})
                    cancel = None
                continue
            if e["type"] == "error":
                raise AssertionError(f"error event {e}")
            if e["type"] in ("done", "cancelled"):
                break
        tally.add(route, "cancelled" if cancel is None else "200")


def ws_rtts(port, rng, tally):
    route = "WS /ws"
    drop = rng.random() < DROP
    with WsClient(port, "/ws", timeout=60) as ws:
        ws.send_text(rng.choice(TEXTS))
        first = True
        while True:
            m = json.loads(ws.recv()[1])
            if "error" in m:
                raise AssertionError(f"error {m}")
            if "finalOutput" in m:
                break
            if first and base64.b64decode(m["audioOutput"]["audio"])[:4] != b"RIFF":
                raise AssertionError("first audio without a WAV header")
            first = False
            if drop:
                tally.add(route, "dropped")
                return
        tally.add(route, "200")


def wyoming(port, rng, tally):
    route = "Wyoming"
    drop = rng.random() < DROP
    with WyomingClient(port, timeout=60) as c:
        voice = {"name": "espeak:" + rng.choice(VOICES)}
        if rng.random() < 0.3:
            c.send("synthesize-start", {"voice": voice})
            for w in rng.choice(TEXTS).split():
                c.send("synthesize-chunk", {"text": w + " "})
            c.send("synthesize-stop")
            end = "synthesize-stopped"
        else:
            c.synthesize(rng.choice(TEXTS), voice)
            end = "audio-stop"
        while True:
            e = c.recv()
            if e.type == "error":
                raise AssertionError(f"error {e.data}")
            if e.type == "audio-chunk" and drop:
                tally.add(route, "dropped")
                return
            if e.type == end:
                break
        tally.add(route, "200")


ROUTES = [tts_get, tts_json, tts_upload, openai, process, ws_stream, ws_rtts, wyoming]


def proc_figures(pid):
    """(RSS in KiB, open descriptors) of a process, or None if it is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            rss = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
        return rss, len(os.listdir(f"/proc/{pid}/fd"))
    except (FileNotFoundError, ProcessLookupError, StopIteration):
        return None


def sample(server):
    """{label: (rss KiB, fds)} for the server and each worker."""
    out = {"server": proc_figures(server.proc.pid)}
    for w in server.status()["workers"]:
        out[f"worker {w['engine']} {w['pid']}"] = proc_figures(w["pid"])
    return {k: v for k, v in out.items() if v}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=600)
    ap.add_argument("--clients", type=int, default=6)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--bin", default=os.environ.get("LECTOR_BIN", "build/release/lector"))
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    harness.LECTOR_BIN = os.path.abspath(args.bin)
    wy_port = free_port()
    server = LectorServer(workers=args.workers, extra_args=[
        "--wyoming-port", str(wy_port), "--cache-bytes", str(2 << 20), "--max-requests", "64"]).start()
    ok = False
    try:
        ok = soak(server, wy_port, args)
    finally:
        server.stop()
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


def soak(server, wy_port, args):
    tally = Tally()
    # At rest: two equal samples in a row (the harness's own start-up requests may still be
    # closing).
    at_rest_before = sample(server)
    for _ in range(20):
        time.sleep(0.3)
        again = sample(server)
        if again == at_rest_before:
            break
        at_rest_before = again
    stop = threading.Event()
    started = time.monotonic()

    def client(n):
        rng = random.Random(args.seed * 1000 + n)
        while not stop.is_set():
            route = rng.choice(ROUTES)
            try:
                route(wy_port if route is wyoming else server.port, rng, tally)
            except (AssertionError, WsClosed, OSError, ValueError, KeyError) as e:
                tally.fail(route.__name__, f"{type(e).__name__}: {e}")

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(args.clients)]
    for t in threads:
        t.start()
    window = min(60.0, args.seconds / 4)
    samples = []  # (seconds since start, {label: (rss, fds)})
    while time.monotonic() - started < args.seconds:
        time.sleep(min(2.0, window / 8))
        samples.append((time.monotonic() - started, sample(server)))
    stop.set()
    for t in threads:
        t.join(timeout=90)
    try:
        server.assert_idle(timeout=20)
        idle_ok = True
    except AssertionError as e:
        idle_ok = False
        tally.failures.append(f"not idle after the load: {e}")
    # Connections the clients just closed take a moment to be closed on the server's side too.
    settle = time.monotonic() + 5
    while True:
        at_rest_after = sample(server)
        if all(at_rest_after.get(k, (0, -1))[1] == v[1] for k, v in at_rest_before.items()):
            break
        if time.monotonic() > settle:
            break
        time.sleep(0.2)
    elapsed = time.monotonic() - started

    print(f"== soak: {elapsed:.0f} s, {args.clients} clients, {args.workers} workers")
    served = 0
    for (route, outcome), n in sorted(tally.counts.items()):
        print(f"  {route:28} {outcome:10} {n}")
        if outcome != "FAILED":
            served += n
    print(f"  requests answered as expected: {served}")

    ok = idle_ok and not tally.failures
    first = [s for t, s in samples if t <= window]
    last = [s for t, s in samples if t >= args.seconds - window]
    print(f"== memory and descriptors (first {window:.0f} s vs last {window:.0f} s; at rest before/after)")
    for label in at_rest_before:
        rss_first = [s[label][0] for s in first if label in s]
        rss_last = [s[label][0] for s in last if label in s]
        fd_first = [s[label][1] for s in first if label in s]
        fd_last = [s[label][1] for s in last if label in s]
        if not rss_first or not rss_last:
            print(f"  {label}: not sampled in both windows (respawned?)")
            ok = False
            continue
        rss_limit = max(rss_first) * 1.10 + 8 * 1024
        rss_ok = statistics.median(rss_last) <= rss_limit
        fd_ok = max(fd_last) <= max(fd_first) + 2
        rest_ok = label in at_rest_after and at_rest_after[label][1] == at_rest_before[label][1]
        print(f"  {label:24} RSS at rest {at_rest_before[label][0] / 1024:.1f} -> "
              f"{at_rest_after.get(label, (0, 0))[0] / 1024:.1f} MiB; first window max "
              f"{max(rss_first) / 1024:.1f}, last window median {statistics.median(rss_last) / 1024:.1f} MiB "
              f"(limit {rss_limit / 1024:.1f}) {'ok' if rss_ok else 'GREW'}")
        print(f"  {'':24} fds at rest {at_rest_before[label][1]} -> {at_rest_after.get(label, (0, 0))[1]}"
              f" {'ok' if rest_ok else 'CHANGED'}; under load first max {max(fd_first)}, "
              f"last max {max(fd_last)} {'ok' if fd_ok else 'GREW'}")
        ok = ok and rss_ok and fd_ok and rest_ok
    for f in tally.failures:
        print("  failure:", f)
    return ok


if __name__ == "__main__":
    sys.exit(main())
