"""The Markdown report: header, targets, raw library, single requests; the load and engine
sections are in report_load.py and report_engines.py."""

import shlex
from pathlib import Path

from .common import RAW_TEXTS, TARGET_CLIENTS, TEXT_NAMES, fmt, fmt_ms, ratio
from .report_engines import engine_sections
from .report_load import load_sections

def single_row(label, name, words, r, extra=""):
    rt = r["audio_s"] / (r["total_ms"] / 1e3) if r["audio_s"] and r["total_ms"] else None
    okreps = f"{r['ok']}/{r['reps']}"
    if r["failures"]:
        okreps += " (failed: " + ", ".join(sorted({str(f["status"])
                                                  for f in r["failures"]})) + ")"
    if r["retries_503"]:
        okreps += f" ({r['retries_503']}×503 retried)"
    return (f"| {label} | {name} | {words} | {fmt(r['audio_s'], 2)} | {fmt_ms(r['ttfa_ms'])} "
            f"| {fmt_ms(r['ttfa_min_ms'])}–{fmt_ms(r['ttfa_max_ms'])} "
            f"| {fmt_ms(r['total_ms'])} | {fmt(rt, 0)} | {okreps}{extra} |")


def render_markdown(report):
    m = report["machine"]
    p = report["params"]
    by = {s["key"]: s for s in report["servers"]}
    raw = (report.get("raw") or {}).get("texts", {})
    L = []
    L.append("# Lector benchmark")
    L.append("")
    L.append(f"- date: {report['date']}")
    L.append(f"- machine: {m['nproc']} CPUs ({m['cpu']}), Linux {m['kernel']}, "
             f"Python {m['python']}; load average (1/5/15 min) at start "
             f"{m['loadavg_at_start']}, at end {m.get('loadavg_at_end', '–')}")
    L.append(f"- command: `{report['command']}` ({report.get('duration_s', 0):.0f} s)")
    L.append(f"- single requests: {p['reps']} repetitions per text, medians; concurrency: "
             f"paragraph text, {p['per_client']} requests per client, clients "
             f"{', '.join(map(str, p['clients']))}; raw library: {p['raw_runs']} runs per text")
    for s in report["servers"]:
        L.append(f"- {s['label']}: `{' '.join(shlex.quote(a) for a in s['argv'])}` "
                 f"(ready {s.get('ready_s', 0):.1f} s after start; load at start "
                 f"{s['loadavg_at_start']})")
    if report.get("raw"):
        raw_cmd = " ".join(shlex.quote(a) for a in report["raw"]["argv"][0])
        L.append(f"- raw libespeak-ng: `{raw_cmd}` (and the long text), "
                 f"{report['raw']['passes']} pass(es)")
    for note in report["skipped"]:
        L.append(f"- skipped: {note}")
    words = report["text_words"]

    L.append("")
    L.append("## Targets")
    L.append("")
    L.append("Ratios are between servers measured in this run, one after the other. "
             "\"Lector\" is the multi-worker server with the cache off unless a row says "
             "otherwise.")
    L.append("")
    L.append("| # | target | measured | target | result |")
    L.append("|---:|---|---|---|---|")
    for i, t in enumerate(report["targets"], 1):
        res = {True: "**pass**", False: "**fail**", None: "not measured"}[t["met"]]
        L.append(f"| {i} | {t['target']} | {t['measured']} | {t['goal']} | {res} |")

    if raw:
        L.append("")
        L.append("## Raw libespeak-ng (one thread, no server)")
        L.append("")
        L.append("`bench/raw_espeak`: espeak_Synth on the whole text in AUDIO_OUTPUT_SYNCHRONOUS "
                 "mode, voice en-us; first audio = first callback carrying samples; CPU = "
                 "CLOCK_PROCESS_CPUTIME_ID. audio-s per CPU-s is what one unshared core "
                 "delivers; per wall-s is what it delivered on this machine under its load. "
                 "The library is measured at the start and again at the end of the run; "
                 "the figures are over both passes.")
        L.append("")
        L.append("| text | runs | audio s | first audio ms (median, min–max) | wall ms | CPU ms "
                 "| audio-s per CPU-s | per pass (start, end of the run) | audio-s per wall-s |")
        L.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for name in RAW_TEXTS:
            r = raw.get(name)
            if r:
                L.append(f"| {name} | {r['runs']} | {fmt(r['audio_s'], 2)} "
                         f"| {fmt(r['ttfa_ms'], 2)} ({fmt(r['ttfa_min_ms'], 2)}–"
                         f"{fmt(r['ttfa_max_ms'], 2)}) | {fmt_ms(r['wall_ms'])} "
                         f"| {fmt_ms(r['cpu_ms'])} | {fmt(r['audio_per_cpu_s'], 0)} "
                         f"| {', '.join(fmt(x, 0) for x in r['audio_per_cpu_s_per_pass'])} "
                         f"| {fmt(r['audio_per_wall_s'], 0)} |")
        lec = by.get("lector")
        if lec:
            L.append("")
            L.append(f"{lec['label'].rstrip(')')}, cache off) against the raw library:"
                     if lec["label"].endswith(")") else
                     f"{lec['label']} (cache off) against the raw library:")
            L.append("")
            L.append("| measure | Lector | raw libespeak-ng | Lector / raw |")
            L.append("|---|---:|---:|---:|")
            for name in RAW_TEXTS:
                a = ((lec.get("single") or {}).get(name) or {}).get("ttfa_ms")
                b = (raw.get(name) or {}).get("ttfa_ms")
                L.append(f"| {name} TTFA ms (Lector over HTTP, uncached) | {fmt(a, 2)} "
                         f"| {fmt(b, 2)} | {fmt(ratio(a, b), 1)}× |")
            a = ((lec.get("single") or {}).get("long") or {}).get("total_ms")
            b = (raw.get("long") or {}).get("wall_ms")
            L.append(f"| long text total ms (raw: one call, wall) | {fmt_ms(a)} | {fmt_ms(b)} "
                     f"| {fmt(ratio(a, b), 2)}× |")
            c8 = (lec.get("concurrency") or {}).get(str(TARGET_CLIENTS))
            b = (raw.get("paragraph") or {}).get("audio_per_cpu_s")
            if c8:
                L.append(f"| audio-s per wall-s, {TARGET_CLIENTS} clients (raw: per CPU-s, "
                         f"one core) | {fmt(c8['throughput'], 0)} | {fmt(b, 0)} "
                         f"| {fmt(ratio(c8['throughput'], b), 2)}× |")
            ph = lec.get("concurrency_phase")
            b = (raw.get("paragraph") or {}).get("cpu_ms_per_audio_s")
            if ph:
                L.append(f"| workers' CPU ms per audio-second (concurrency phase) "
                         f"| {fmt(ph['workers_cpu_ms_per_audio_s'], 2)} | {fmt(b, 2)} "
                         f"| {fmt(ratio(ph['workers_cpu_ms_per_audio_s'], b), 2)}× |")
                L.append(f"| server + workers CPU ms per audio-second | "
                         f"{fmt(ph['total_cpu_ms_per_audio_s'], 2)} | {fmt(b, 2)} "
                         f"| {fmt(ratio(ph['total_cpu_ms_per_audio_s'], b), 2)}× |")

    L.append("")
    L.append("## Single request (medians)")
    L.append("")
    L.append("TTFA = time from sending `GET /tts` to the first PCM byte after the 44-byte "
             "WAV header; total = until the body ended; × real time = audio s / total s. "
             "\"cache on\" rows: *first* is a new text (\"Take N. \" + the text, N unique, "
             "so its first sentence is not cached; later sentences may be), *repeat* is the "
             "same request sent again at once; segment hits/misses from `GET /status`.")
    L.append("")
    L.append("| server | text | words | audio s | TTFA ms | TTFA min–max ms | total ms "
             "| × real time | ok/reps |")
    L.append("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for s in report["servers"]:
        for name in TEXT_NAMES:
            r = (s.get("single") or {}).get(name)
            if r is not None:
                L.append(single_row(s["label"], name, words[name], r))
        c = s.get("cache")
        if c:
            for which, lab in (("first", "first"), ("repeat", "immediate repeat")):
                for name in TEXT_NAMES:
                    r = c[which].get(name)
                    if r is not None:
                        L.append(single_row(f"{s['label']}, {lab}", name, words[name], r,
                                            f" ({r['cache_hits']} hit, {r['cache_misses']} "
                                            "missed)"))

    L += load_sections(report)
    L += engine_sections(report)


    if report.get("plots"):
        L.append("")
        L.append("Plots: " + ", ".join(f"`{Path(x).name}`" for x in report["plots"]))
    L.append("")
    return "\n".join(L)

