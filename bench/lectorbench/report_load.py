"""The report's load sections: concurrency (with the clients / workers check), memory, wrk."""

from .common import fmt, fmt_ms, pct, ratio
from .concurrency import scaling_check


def pct1(x):
    return "–" if x is None else f"{100 * x:.1f} %"


def scaling_section(report):
    """The clients / workers check of the most loaded rows, as a table."""
    lec = next((s for s in report["servers"] if s["key"] == "lector"), None)
    sc = scaling_check(lec["concurrency"], report["params"]["workers"]) if (
        lec and lec.get("concurrency")) else None
    if not sc:
        return []
    w, ref = sc["workers"], sc["ref_clients"]
    L = ["", f"TTFA p95 against clients ÷ workers ({w} workers), from the {ref}-client row "
         f"({fmt(sc['ref_p95_ms'], 1)} ms): with C clients on W workers a first segment "
         "queues behind about C ÷ W others, so p95 may grow in proportion to C ÷ W and no "
         f"faster: p95(C) ≤ p95({ref}) × C ÷ {ref}. Below W clients nothing queues, so the "
         "reference is never smaller than W. Plot: `ttfa-clients.png`. The last two columns "
         "split the requests: every client's first request leaves at the common start (C at "
         "once, served in about C ÷ W rounds of one first segment each), the later ones as "
         "earlier ones end. With 5 requests per client the C at once are a fifth of the "
         "sample, so p95 falls among them.", "",
         "| clients | clients ÷ workers | TTFA p95 ms | growth over the reference "
         "| allowed growth (clients ratio) | allowed p95 ms | result "
         "| the C sent at once: TTFA max ms (ms per C ÷ W) | later requests: TTFA p95 ms |",
         "|---:|---:|---:|---:|---:|---:|---|---:|---:|"]
    conc = lec["concurrency"]
    for r in [{"clients": ref, "p95_ms": sc["ref_p95_ms"], "ref": True}] + sc["rows"]:
        c = conc[str(r["clients"])]
        start = c.get("ttfa_start_max_ms")
        per_round = None if start is None else start / max(1.0, r["clients"] / w)
        tail = (f" | {fmt_ms(start)} ({fmt(per_round, 1)}) "
                f"| {fmt_ms(c.get('ttfa_later_p95_ms'))} |")
        if r.get("ref"):
            L.append(f"| {r['clients']} | {fmt(r['clients'] / w, 1)} | {fmt_ms(r['p95_ms'])} "
                     f"| reference | | | " + tail)
            continue
        res = {True: "**pass**", False: "**fail**", None: "–"}[r["ok"]]
        L.append(f"| {r['clients']} | {fmt(r['clients'] / w, 1)} | {fmt_ms(r['p95_ms'])} "
                 f"| ×{fmt(r['growth'], 2)} | ×{fmt(r['load_growth'], 2)} "
                 f"| {fmt_ms(r['allowed_ms'])} | {res}" + tail)
    return L


def load_sections(report):
    m = report["machine"]
    p = report["params"]
    raw = (report.get("raw") or {}).get("texts", {})
    L = []
    conc = [s for s in report["servers"] if s.get("concurrency")]
    if conc:
        L.append("")
        L.append(f"## Concurrency (paragraph text, each client sends {p['per_client']} "
                 "requests back to back)")
        L.append("")
        L.append("TTFA and total percentiles are over successful (200) requests; audio s / "
                 "wall s = audio seconds received in 200 responses / wall seconds of the burst. "
                 "CPU = run time of every thread (/proc/PID/task/TID/schedstat, ns; "
                 "utime + stime in 10 ms ticks where the kernel has no schedstat) around the "
                 "burst; "
                 "the seed synthesizes in its own process, so all its CPU is \"server\"; "
                 "client CPU = this script's threads (`time.process_time()`), which share the "
                 f"{m['nproc']} CPUs with the server; other jobs = busy CPU time of the whole "
                 "machine (/proc/stat) minus server, workers and client, as a share of "
                 "CPUs × wall s: CPU the servers could not have.")
        L.append("")
        L.append("| server | clients | requests | 200 | 503 | other | TTFA p50 ms | TTFA p95 ms "
                 "| TTFA p99 ms | total p50 ms | total p95 ms | total p99 ms | wall s "
                 "| audio s / wall s | server CPU s | workers CPU s | server / workers "
                 "| client CPU s | other jobs' share of the CPUs |")
        L.append("|---|" + "---:|" * 18)
        for s in conc:
            for c in p["clients"]:
                r = s["concurrency"].get(str(c))
                if r is None:
                    continue
                wk = fmt(r["workers_cpu_s"], 2) if s["kind"] == "lector" else "–"
                so = (ratio(r["server_cpu_s"], r["workers_cpu_s"]) if s["kind"] == "lector"
                      else None)
                L.append(f"| {s['label']} | {c} | {r['requests']} | {r['ok']} "
                         f"| {r['status_503']} | {r['other']} | {fmt_ms(r['ttfa_p50_ms'])} "
                         f"| {fmt_ms(r['ttfa_p95_ms'])} | {fmt_ms(r.get('ttfa_p99_ms'))} "
                         f"| {fmt_ms(r['total_p50_ms'])} | {fmt_ms(r['total_p95_ms'])} "
                         f"| {fmt_ms(r.get('total_p99_ms'))} | {fmt(r['wall_s'], 2)} "
                         f"| {fmt(r['throughput'], 0)} | {fmt(r['server_cpu_s'], 2)} | {wk} "
                         f"| {pct1(so)} "
                         f"| {fmt(r.get('client_cpu_s'), 2)} "
                         f"| {pct(r.get('other_cpu_share'))} |")
        L.append("")
        L.append("CPU over the whole concurrency phase (sum of the bursts). The last two "
                 "columns are shares of the CPU time the machine had (CPUs × wall s of the "
                 "bursts); the rest was idle.")
        L.append("")
        L.append("| server | audio s | server CPU s | workers CPU s | server / workers "
                 "| server CPU ms per audio-s | workers CPU ms per audio-s "
                 "| raw library CPU ms per audio-s | client CPU s | used by server, workers, "
                 "client | used by other jobs |")
        L.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        rawc = (raw.get("paragraph") or {}).get("cpu_ms_per_audio_s")
        for s in conc:
            ph = s["concurrency_phase"]
            lec = s["kind"] == "lector"
            so = ph["server_over_workers"]
            # Share of the machine's CPU time (nproc x wall of the bursts) that the server,
            # its workers and the client used: near 100 % means the run was CPU-bound.
            used = ratio(ph["server_s"] + ph["workers_s"] + ph["client_s"],
                         ph["wall_s"] * (m["nproc"] or 1))
            other = ratio(ph["other_s"], ph["wall_s"] * (m["nproc"] or 1))
            L.append(f"| {s['label']} | {fmt(ph['audio_s'], 0)} | {fmt(ph['server_s'], 2)} "
                     f"| {fmt(ph['workers_s'], 2) if lec else '–'} "
                     f"| {fmt(100 * so, 1) + ' %' if lec and so is not None else '–'} "
                     f"| {fmt(ph['server_cpu_ms_per_audio_s'], 3)} "
                     f"| {fmt(ph['workers_cpu_ms_per_audio_s'], 2) if lec else '–'} "
                     f"| {fmt(rawc, 2)} | {fmt(ph['client_s'], 2)} "
                     f"| {pct(used)} | {pct(other)} |"
                     + (f" (workers lost: {ph['lost_workers']})" if ph["lost_workers"] else ""))
        L += scaling_section(report)

    L.append("")
    L.append("## Memory (VmRSS of the server plus its espeak workers, MiB)")
    L.append("")
    L.append("Lector starts workers for every engine it has; the figures count the server and "
             "the workers of the engine under test (espeak), the last column all of them. "
             "Sampled every 50 ms during the measured phases. Slow readers: "
             f"{p['slow_readers']} concurrent `GET /tts` of the long text that read "
             f"{p['read_bytes']} bytes (SO_RCVBUF {p['rcvbuf']}) and then stop reading for "
             f"{p['stall_s']:g} s before closing.")
    L.append("")
    L.append("| server | after startup | after warm-up | peak, concurrency | peak, cache rows "
             "| slow readers: before | peak while stalled | after close | slow reader statuses "
             "| with all engines' workers: after warm-up |")
    L.append("|---|---:|---:|---:|---:|---:|---:|---:|---|---:|")
    for s in report["servers"]:
        mem = s["memory"]
        sr = s.get("slow_readers") or {}
        st = ", ".join(f"{n}×{k}" for k, n in sorted(sr.get("statuses", {}).items()))
        n = mem.get("processes", "?")
        L.append(f"| {s['label']} ({n} process{'' if n == 1 else 'es'}) "
                 f"| {fmt(mem.get('after_startup_mib'), 1)} "
                 f"| {fmt(mem.get('after_warmup_mib'), 1)} "
                 f"| {fmt(mem.get('peak_concurrency_mib'), 1)} "
                 f"| {fmt(mem.get('peak_cache_phase_mib'), 1)} "
                 f"| {fmt(sr.get('before_mib'), 1)} | {fmt(sr.get('peak_during_mib'), 1)} "
                 f"| {fmt(sr.get('after_mib'), 1)} | {st or '–'} "
                 f"| {fmt(mem.get('after_warmup_all_mib'), 1)} "
                 f"({mem.get('all_processes', '?')} "
                 f"process{'' if mem.get('all_processes') == 1 else 'es'}) |")

    wrks = [s for s in report["servers"] if s.get("wrk")]
    if wrks:
        L.append("")
        L.append(f"## wrk on /engines (`wrk -t2 -c32 -d{p['wrk_duration_s']:g}s`)")
        L.append("")
        L.append("| server | requests/s | requests | latency avg | non-2xx | socket errors |")
        L.append("|---|---:|---:|---:|---:|---:|")
        for s in wrks:
            w = s["wrk"]
            L.append(f"| {s['label']} | {fmt(w.get('requests_per_s'), 0)} "
                     f"| {w.get('requests', '–')} | {w.get('latency_avg') or '–'} "
                     f"| {w.get('non_2xx', '–')} | {w.get('socket_errors', '–')} |")
    return L
