"""The report's per-engine first-audio table and the --profile section."""

import shlex

from .common import T_ENGINE_RATIO, fmt


def engine_sections(report):
    return engine_table(report) + profile_section(report)


def ms_spread(sp):
    return (f"{fmt(sp['median'], 2)} ({fmt(sp['min'], 2)}–{fmt(sp['max'], 2)})"
            if sp and sp.get("n") else "–")


def engine_table(report):
    srv = next((s for s in report["servers"] if s.get("engines")), None)
    if srv is None:
        return []
    L = ["", "## First audio per engine: Lector against the raw engine", "",
         f"Server: {srv['label']}, `{' '.join(shlex.quote(a) for a in srv['argv'])}`. The "
         "fragment is the first segment Lector cuts from the paragraph (segment 0 of "
         "/v1/stream, the `segment_start` event: the first sentence, or a clause boundary "
         "after `--first-fragment-words` words); the raw tool (the engine's library in one "
         "thread, no server: bench/raw_espeak, raw_flite, raw_festival) synthesizes that "
         "fragment, timed to its first audio (espeak, flite: the first callback carrying "
         "samples, flite through the same streaming callback Lector uses; festival: the "
         "utterance's wave returned, as festival hands out whole utterances). Lector gets the "
         "whole paragraph over GET /tts and is timed to the first PCM byte; the connection is "
         "then closed and the next request waits for an idle server. Raw runs and Lector "
         "requests alternate in two rounds. Ratio = median over median; the range is Lector's "
         "first / third quartile over the raw engine's third / first quartile. Target for "
         f"the heavy voices (flite, festival): ≤ {T_ENGINE_RATIO:g}×.", "",
         "| engine | voice | fragment words | raw first audio ms (median, min–max) "
         "| Lector first audio ms (median, min–max) | Lector − raw ms | Lector / raw "
         "| quartile range | runs (raw, Lector) | target |",
         "|---|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for e in srv["engines"]:
        if e.get("skipped"):
            L.append(f"| {e['engine']} | {e['voice']} | – | – | – | – | – | – | – "
                     f"| skipped: {e['skipped']} |")
            continue
        lm, rm = e["lector_ms"], e["raw_ms"]
        diff = (None if lm["median"] is None or rm["median"] is None
                else lm["median"] - rm["median"])
        if e["engine"] == "espeak":
            verdict = "reference"
        elif e["ratio"] is None:
            verdict = "not measured"
        else:
            verdict = "**pass**" if e["ratio"] <= T_ENGINE_RATIO else "**fail**"
        fails = f", {len(e['failures'])} failed" if e.get("failures") else ""
        L.append(f"| {e['engine']} | {e['voice']} | {e['fragment_words']} "
                 f"| {ms_spread(rm)} | {ms_spread(lm)} | {fmt(diff, 2)} "
                 f"| {fmt(e['ratio'], 2)}× | {fmt(e['ratio_low'], 2)}–"
                 f"{fmt(e['ratio_high'], 2)}× | {rm['n']}, {lm['n']}{fails} | {verdict} |")
    frags = {e["fragment"] for e in srv["engines"] if e.get("fragment")}
    for f in sorted(frags):
        L.append("")
        L.append(f"Fragment: “{f}”")
    return L


def profile_section(report):
    srv = next((s for s in report["servers"] if s.get("profile")), None)
    if srv is None:
        return []
    pr = srv["profile"]
    L = ["", f"## Profile of the server under {pr['clients']} clients (--profile)", ""]
    if pr["perf"] == "record":
        L.append(f"`perf record -g -p {pr['pid']}` for {pr['seconds']:g} s on the server "
                 f"process (not its workers) while {pr['clients']} clients sent paragraph "
                 f"requests back to back ({pr.get('perf_samples', '?')} samples of "
                 f"{pr.get('perf_event', '?')}); `perf report --no-children --percent-limit 2 "
                 "--stdio`, self time, top entries (the whole report with call chains: "
                 "`perf-server.txt`):")
        L += ["", "| self % | command | object | symbol |", "|---:|---|---|---|"]
        for t in pr.get("perf_top", [])[:25]:
            sym = t["symbol"].replace("|", "\\|")
            L.append(f"| {t['percent']:.2f} | {t['command']} | {t['object']} | `{sym}` |")
    elif pr["perf"] == "stat":
        L.append(f"`perf record` could not run here ({pr.get('perf_record_error', '')}); "
                 f"`perf stat -p {pr['pid']}` over {pr['seconds']:g} s instead "
                 "(`perf-stat-server.txt`):")
        L += ["", "```"] + pr.get("perf_stat", []) + ["```"]
    else:
        L.append(f"perf could not run here: {pr['perf']} "
                 f"{pr.get('perf_record_error', '')} {pr.get('perf_stat_error', '')}".strip())
    L += ["", f"CPU of the server's threads over the same window ({pr['window_s']:.1f} s; "
          "/proc/PID/task/TID/schedstat, summed by thread name; the server process "
          f"used {fmt(pr['server_cpu_s'], 2)} s):", "", "| thread | CPU s | share of the server |",
          "|---|---:|---:|"]
    total = pr["server_cpu_s"] or 0
    for name, cpu in pr["threads"]:
        if cpu <= 0.0005:
            continue
        share = f"{100 * cpu / total:.0f} %" if total > 0 else "–"
        L.append(f"| {name} | {cpu:.3f} | {share} |")
    return L
