"""Memory under slow readers: N clients that read a little of the long text and then stall."""

import threading
import time
import urllib.parse

from .client import http_get_json, open_slow_reader
from .common import fmt
from .procs import RssSampler

def measure_slow_readers(server, probe, text, n, stall, read_bytes, rcvbuf, timeout, log):
    """n concurrent GET /tts for `text` that read `read_bytes` bytes and then stall for
    `stall` s; RSS sampled every 50 ms before, during and after."""
    path = "/tts?text=" + urllib.parse.quote(text, safe="")
    request = (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
               "User-Agent: lector-bench-slow-reader\r\nConnection: close\r\n\r\n").encode()
    # The server returns the memory of earlier phases to the system once it has been idle for a
    # second (malloc_trim): start from that idle state, not from the tail of the last burst.
    time.sleep(1.5)
    sampler = RssSampler(probe)
    t0 = time.monotonic()
    sampler.start()
    time.sleep(0.5)                                 # baseline samples
    marks = {"open": time.monotonic()}
    socks, info = [None] * n, [None] * n

    def opener(i):
        socks[i], info[i] = open_slow_reader(server.port, request, read_bytes, rcvbuf, timeout)

    threads = [threading.Thread(target=opener, args=(i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    marks["opened"] = time.monotonic()
    statuses = {}
    for x in info:
        statuses[str(x["status"])] = statuses.get(str(x["status"]), 0) + 1
    log(f"  {n} slow readers open in {marks['opened'] - marks['open']:.2f} s, statuses "
        f"{statuses}; stalling {stall:g} s")
    time.sleep(stall)
    marks["close"] = time.monotonic()
    for s in socks:
        if s is not None:
            s.close()
    # Wait until the server has noticed the disconnects (Lector: no request in flight).
    drained = None
    if server.kind == "lector":
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            st = http_get_json(server.port, "/status")
            if st is not None and st.get("requests_active", 1) == 0:
                drained = time.monotonic() - marks["close"]
                break
            time.sleep(0.1)
    else:
        time.sleep(1.0)
    time.sleep(0.5)
    marks["after"] = time.monotonic()
    samples = sampler.stop()
    before = [m for t, m, _, _ in samples if t < marks["open"]]
    res = {
        "readers": n, "stall_s": stall, "read_bytes": read_bytes, "rcvbuf": rcvbuf,
        "statuses": statuses,
        "before_mib": max(before) if before else None,
        "peak_during_mib": sampler.peak(marks["open"], marks["close"]),
        "end_of_stall_mib": next((m for t, m, _, _ in reversed(samples)
                                  if t <= marks["close"]),
                                 None),
        "after_mib": samples[-1][1] if samples else None,
        "drained_after_close_s": drained,
        "marks_s": {k: v - t0 for k, v in marks.items()},
        "peak_during_all_mib": sampler.peak(marks["open"], marks["close"], which=2),
        "samples": [(round(t - t0, 3), round(m, 3), round(a, 3), k)
                    for t, m, a, k in samples],
        "readers_info": info,
    }
    res["growth_mib"] = (None if res["before_mib"] is None or res["peak_during_mib"] is None
                         else res["peak_during_mib"] - res["before_mib"])
    # Still growing at the end? RSS at the end of the stall minus RSS half-way through it.
    mid = marks["opened"] + (marks["close"] - marks["opened"]) / 2
    at_mid = next((m for t, m, _, _ in reversed(samples) if t <= mid), None)
    res["second_half_growth_mib"] = (None if at_mid is None or res["end_of_stall_mib"] is None
                                     else res["end_of_stall_mib"] - at_mid)
    log(f"  RSS before {fmt(res['before_mib'], 1)} MiB, peak while stalled "
        f"{fmt(res['peak_during_mib'], 1)} MiB, after close {fmt(res['after_mib'], 1)} MiB"
        + (f" (server idle {drained:.2f} s after close)" if drained is not None else ""))
    return res

