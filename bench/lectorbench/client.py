"""HTTP clients of the benchmark: one timed GET /tts, small JSON GETs, bursts of concurrent
clients and the slow reader's raw socket."""

import http.client
import json
import re
import socket
import threading
import time
import urllib.parse

from .common import WAV_HEADER_BYTES

def tts_request(port, text, timeout, params=None, first_audio_only=False):
    """Send GET /tts?text=... (plus `params`, e.g. engine and voice) on a fresh connection and
    read the body as it arrives. With `first_audio_only` the connection is closed once the
    first audio arrived (Lector cancels the rest); total_ms and audio_s are then meaningless.

    Returns a dict: status (int, or "error" when the exchange failed), ttfb_ms (response
    headers received), ttfa_ms (first byte after the 44-byte WAV header), total_ms (body
    fully read), bytes (body length), rate (from header bytes 24..28), audio_s, ok (200 with a
    RIFF header and some PCM), error (text, when not ok).
    The clock starts before the TCP connect (negligible on loopback), i.e. what a client sees.
    """
    path = "/tts?" + urllib.parse.urlencode({"text": text, **(params or {})},
                                            quote_via=urllib.parse.quote)
    res = {"status": "error", "ttfb_ms": None, "ttfa_ms": None, "total_ms": None, "bytes": 0,
           "rate": None, "audio_s": 0.0, "ok": False, "error": None}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    t0 = time.perf_counter()
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        res["ttfb_ms"] = (time.perf_counter() - t0) * 1e3
        res["status"] = resp.status
        if resp.status != 200:
            body = resp.read()
            res["total_ms"] = (time.perf_counter() - t0) * 1e3
            res["error"] = body[:200].decode("utf-8", "replace")
            return res
        header = b""
        total = 0
        while True:
            # read1 returns what is available now (for chunked bodies: at most the rest of
            # the current chunk), so every arrival is timed; b"" means end of body.
            buf = resp.read1(65536)
            if not buf:
                break
            now = time.perf_counter()
            if len(header) < WAV_HEADER_BYTES:
                header += buf[:WAV_HEADER_BYTES - len(header)]
            total += len(buf)
            if res["ttfa_ms"] is None and total > WAV_HEADER_BYTES:
                res["ttfa_ms"] = (now - t0) * 1e3
                if first_audio_only:
                    break
        res["total_ms"] = (time.perf_counter() - t0) * 1e3
        res["bytes"] = total
        if len(header) < WAV_HEADER_BYTES or header[:4] != b"RIFF" or header[8:12] != b"WAVE":
            res["error"] = f"no WAV header ({total} bytes)"
            return res
        rate = int.from_bytes(header[24:28], "little")
        res["rate"] = rate
        if rate <= 0 or total <= WAV_HEADER_BYTES:
            res["error"] = f"no audio (rate {rate}, {total} bytes)"
            return res
        if first_audio_only:
            res["ok"] = True
            return res
        # PCM s16 mono: 2 bytes per sample.
        res["audio_s"] = (total - WAV_HEADER_BYTES) / 2 / rate
        res["ok"] = True
        return res
    except (OSError, http.client.HTTPException) as e:
        res["total_ms"] = (time.perf_counter() - t0) * 1e3
        res["error"] = f"{type(e).__name__}: {e}"
        return res
    finally:
        conn.close()


def http_get(port, path, timeout=2.0):
    """(status, body bytes) of GET path, or (None, b"") if the server does not answer."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, resp.read()
    except (OSError, http.client.HTTPException):
        return None, b""
    finally:
        conn.close()


def http_get_status(port, path, timeout=2.0):
    """Status code of GET path, or None if the server does not answer."""
    return http_get(port, path, timeout)[0]


def http_get_json(port, path, timeout=2.0):
    status, body = http_get(port, path, timeout)
    if status != 200:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return None



def run_burst(port, text, clients, per_client, timeout):
    """C threads, each sending `per_client` requests back to back; started together.

    Returns (results, wall_s): per-request dicts (with client index) and the wall time from
    the common start until the last thread finished.
    """
    results = [[] for _ in range(clients)]
    barrier = threading.Barrier(clients + 1)

    def client(i):
        barrier.wait()
        for _ in range(per_client):
            r = tts_request(port, text, timeout)
            r["client"] = i
            r["index"] = len(results[i])  # 0: sent at the common start, with every client's first
            results[i].append(r)

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    barrier.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    return [r for rs in results for r in rs], wall



def open_slow_reader(port, request, read_bytes, rcvbuf, timeout):
    """Connect, send the request, read about `read_bytes` bytes, then return the socket
    (which the caller leaves unread). A small SO_RCVBUF keeps the kernel from absorbing the
    stream, so the server itself has to hold (or bound) what the client does not read."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(timeout)
    got = b""
    try:
        s.connect(("127.0.0.1", port))
        s.sendall(request)
        eof = False
        while len(got) < read_bytes:
            d = s.recv(min(65536, read_bytes - len(got)))
            if not d:
                eof = True
                break
            got += d
        m = re.match(rb"HTTP/1\.[01] (\d{3})", got)
        return s, {"status": int(m.group(1)) if m else "bad", "bytes": len(got), "eof": eof}
    except OSError as e:
        s.close()
        return None, {"status": "error", "bytes": len(got), "error": f"{type(e).__name__}: {e}"}

