"""Bursts of concurrent clients: TTFA and total percentiles, throughput, CPU of the server and
its workers around each burst, RSS over the phase; and the check that TTFA p95 grows no faster
than clients / workers."""

import os
import time

from .client import run_burst
from .common import TARGET_CLIENTS, fmt, fmt_ms, loadavg, percentile, ratio
from .procs import RssSampler, cpu_delta, machine_busy_s


def measure_concurrency(server, probe, text, client_counts, per_client, settle, timeout, log):
    """Bursts of C clients; CPU of the server and of its workers around each burst, and
    RSS sampled every 50 ms over the whole phase."""
    out = {}
    sampler = RssSampler(probe)
    sampler.start()
    phase = {"server_s": 0.0, "workers_s": 0.0, "client_s": 0.0, "other_s": 0.0,
             "wall_s": 0.0, "audio_s": 0.0, "lost_workers": []}
    for c in client_counts:
        time.sleep(settle)
        cpu0 = probe.cpu()
        busy0 = machine_busy_s()
        client0 = time.process_time()       # this process: the client threads' CPU
        results, wall = run_burst(server.port, text, c, per_client, timeout)
        client_cpu = time.process_time() - client0
        busy1 = machine_busy_s()
        cpu = cpu_delta(cpu0, probe.cpu())
        # CPU the rest of the machine (other jobs) took during the burst.
        other = (None if busy0 is None or busy1 is None else
                 max(0.0, (busy1 - busy0) - cpu["server_s"] - cpu["workers_s"]
                     - cpu["other_workers_s"] - client_cpu))
        ok = [r for r in results if r["ok"]]
        n503 = sum(1 for r in results if r["status"] == 503)
        ttfa = [r["ttfa_ms"] for r in ok]
        audio = sum(r["audio_s"] for r in ok)
        s = {
            "clients": c,
            "requests": len(results),
            "ok": len(ok),
            "status_503": n503,
            "other": len(results) - len(ok) - n503,
            "ttfa_p50_ms": percentile(ttfa, 50),
            "ttfa_p95_ms": percentile(ttfa, 95),
            "ttfa_p99_ms": percentile(ttfa, 99),
            # The first request of every client leaves at the common start: C at once. The
            # later ones arrive as earlier ones end, spread over the burst.
            "ttfa_start_max_ms": max((r["ttfa_ms"] for r in ok if r.get("index") == 0),
                                     default=None),
            "ttfa_later_p95_ms": percentile([r["ttfa_ms"] for r in ok if r.get("index", 0) > 0],
                                            95),
            "total_p50_ms": percentile([r["total_ms"] for r in ok], 50),
            "total_p95_ms": percentile([r["total_ms"] for r in ok], 95),
            "total_p99_ms": percentile([r["total_ms"] for r in ok], 99),
            "wall_s": wall,
            "audio_s": audio,
            "throughput": audio / wall if wall > 0 else None,
            "server_cpu_s": cpu["server_s"],
            "workers_cpu_s": cpu["workers_s"],
            "client_cpu_s": client_cpu,
            "other_cpu_s": other,
            "other_cpu_share": ratio(other, wall * (os.cpu_count() or 1)),
            "loadavg": loadavg(),
            "raw": results,
        }
        out[str(c)] = s
        phase["server_s"] += cpu["server_s"]
        phase["workers_s"] += cpu["workers_s"]
        phase["client_s"] += client_cpu
        phase["other_s"] += other or 0.0
        phase["wall_s"] += wall
        phase["audio_s"] += audio
        phase["lost_workers"] += cpu["lost_workers"]
        others = sorted({f"{r['status']}: {r['error']}" for r in results
                         if not r["ok"] and r["status"] != 503})
        log(f"  C={c:<3d} {s['ok']}/{s['requests']} ok, {n503}x503, {s['other']} other; "
            f"TTFA p50 {fmt_ms(s['ttfa_p50_ms'])} p95 {fmt_ms(s['ttfa_p95_ms'])} "
            f"p99 {fmt_ms(s['ttfa_p99_ms'])} ms; "
            f"{fmt(s['throughput'], 1)} audio-s/s; CPU server {fmt(cpu['server_s'], 2)} s, "
            f"workers {fmt(cpu['workers_s'], 2)} s, client {fmt(client_cpu, 2)} s, "
            f"other jobs {fmt(other, 2)} s"
            + (f"; other: {others[:3]}" if others else ""))
    samples = sampler.stop()
    phase["rss_peak_mib"] = sampler.peak()
    phase["rss_peak_all_mib"] = sampler.peak(which=2)
    phase["rss_samples"] = len(samples)
    phase["server_over_workers"] = ratio(phase["server_s"], phase["workers_s"])
    phase["server_cpu_ms_per_audio_s"] = ratio(phase["server_s"] * 1e3, phase["audio_s"])
    phase["workers_cpu_ms_per_audio_s"] = ratio(phase["workers_s"] * 1e3, phase["audio_s"])
    phase["total_cpu_ms_per_audio_s"] = ratio((phase["server_s"] + phase["workers_s"]) * 1e3,
                                              phase["audio_s"])
    log(f"  phase: CPU server {fmt(phase['server_s'], 2)} s, workers "
        f"{fmt(phase['workers_s'], 2)} s (ratio {fmt(phase['server_over_workers'], 3)}), "
        f"peak RSS {fmt(phase['rss_peak_mib'], 1)} MiB")
    return out, phase



def scaling_check(conc, workers):
    """Does TTFA p95 grow no faster than clients / workers? With W workers, C clients queue
    C / W deep, so the wait for a first segment grows at most in proportion. The reference is
    the row with TARGET_CLIENTS clients (or else the smallest count >= W): below W nothing
    queues, so growth from there would be measured against an empty queue. Every larger count
    C passes when p95(C) <= p95(ref) x (C / W) / (ref / W) = p95(ref) x C / ref.
    Returns None when there is nothing to compare."""
    counts = sorted(int(c) for c in conc)
    ref = TARGET_CLIENTS if TARGET_CLIENTS in counts else next(
        (c for c in counts if c >= workers), None)
    if ref is None or conc[str(ref)]["ttfa_p95_ms"] is None:
        return None
    base = conc[str(ref)]["ttfa_p95_ms"]
    rows = []
    for c in counts:
        if c <= ref:
            continue
        p95 = conc[str(c)]["ttfa_p95_ms"]
        allowed = base * c / ref
        rows.append({"clients": c, "p95_ms": p95, "allowed_ms": allowed,
                     "growth": ratio(p95, base), "load_growth": c / ref,
                     "ok": None if p95 is None else p95 <= allowed})
    if not rows:
        return None
    oks = [r["ok"] for r in rows]
    return {"ref_clients": ref, "ref_p95_ms": base, "workers": workers, "rows": rows,
            "ok": None if None in oks else all(oks)}
