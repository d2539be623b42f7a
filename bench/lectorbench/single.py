"""Single requests one at a time, and the cache server's first request / immediate repeat."""

import time

from .client import http_get_json, run_burst, tts_request
from .common import TEXT_NAMES, fmt, fmt_ms, median

def warm_up(server, texts, timeout):
    """Not measured: one request, then a burst of `workers` concurrent short requests, so
    lazily started engines / worker processes and caches are warm. Statuses are ignored."""
    tts_request(server.port, texts["paragraph"], timeout)
    run_burst(server.port, texts["short"], max(server.workers or 1, 1), 1, timeout)
    time.sleep(0.2)


def summarize_single(runs, failures, reps, retries):
    return {
        "reps": reps,
        "ok": len(runs),
        "failures": [{"status": f["status"], "error": f["error"]} for f in failures],
        "retries_503": retries,
        "ttfa_ms": median([r["ttfa_ms"] for r in runs]),
        "ttfa_min_ms": min((r["ttfa_ms"] for r in runs), default=None),
        "ttfa_max_ms": max((r["ttfa_ms"] for r in runs), default=None),
        "total_ms": median([r["total_ms"] for r in runs]),
        "audio_s": median([r["audio_s"] for r in runs]),
        "rate": runs[0]["rate"] if runs else None,
        "raw": runs + failures,
    }


def measure_single(server, texts, reps, pause, timeout, log):
    """R sequential requests per text. A 503 (the seed's semaphore can still be held for a
    moment after a body ended) is retried after a pause and counted in `retries_503`."""
    out = {}
    for name in TEXT_NAMES:
        runs, retries, failures = [], 0, []
        for _ in range(reps):
            for _attempt in range(20):
                time.sleep(pause)
                r = tts_request(server.port, texts[name], timeout)
                if r["status"] == 503:
                    retries += 1
                    continue
                break
            (runs if r["ok"] else failures).append(r)
        s = summarize_single(runs, failures, reps, retries)
        out[name] = s
        log(f"  {name:9s} TTFA {fmt_ms(s['ttfa_ms'])} ms  total {fmt_ms(s['total_ms'])} ms  "
            f"audio {fmt(s['audio_s'], 2)} s  ({s['ok']}/{reps} ok, {retries} retried 503)")
    return out


def cache_counters(port):
    st = http_get_json(port, "/status")
    if st is None or "cache" not in st:
        return None
    return st["cache"].get("hits", 0), st["cache"].get("misses", 0)


def measure_cache(server, texts, reps, pause, timeout, log):
    """Per text and repetition: a request whose text is new ("Take N. " + text, N unique in
    the run, so at least its first sentence is not cached), then the same request again at
    once (a cache hit). GET /status is read around each request for the cache counters."""
    first, repeat = {}, {}
    n = 0
    for name in TEXT_NAMES:
        runs = {"first": [], "repeat": []}
        fails = {"first": [], "repeat": []}
        segs = {"first": [0, 0], "repeat": [0, 0]}       # [hits, misses]
        for _ in range(reps):
            n += 1
            text = f"Take {n}. " + texts[name]
            time.sleep(pause)
            c0 = cache_counters(server.port)
            r1 = tts_request(server.port, text, timeout)
            c1 = cache_counters(server.port)
            r2 = tts_request(server.port, text, timeout)
            c2 = cache_counters(server.port)
            for which, r, a, b in (("first", r1, c0, c1), ("repeat", r2, c1, c2)):
                (runs[which] if r["ok"] else fails[which]).append(r)
                if a is not None and b is not None:
                    segs[which][0] += b[0] - a[0]
                    segs[which][1] += b[1] - a[1]
        for which, dest in (("first", first), ("repeat", repeat)):
            s = summarize_single(runs[which], fails[which], reps, 0)
            s["cache_hits"], s["cache_misses"] = segs[which]
            dest[name] = s
        log(f"  {name:9s} first TTFA {fmt_ms(first[name]['ttfa_ms'])} ms; immediate repeat "
            f"TTFA {fmt(repeat[name]['ttfa_ms'], 2)} ms, total "
            f"{fmt_ms(repeat[name]['total_ms'])} ms (segments: {segs['repeat'][0]} hit, "
            f"{segs['repeat'][1]} missed)")
    return {"first": first, "repeat": repeat}

