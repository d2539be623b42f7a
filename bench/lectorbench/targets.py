"""The targets: one row per figure with its target and pass / fail (never asserted)."""

from .common import (T_C8_P95_MS, T_C8_VS_RAW, T_CACHE_HIT_MS, T_ENGINE_RATIO, T_LONG_VS_1W,
                     T_LONG_VS_SEED, T_RSS_MIB, T_SERVER_CPU, T_SLOW_RSS_MIB, T_TTFA_RATIO,
                     T_WRK_RATIO, TARGET_CLIENTS, fmt, fmt_ms, ratio)
from .concurrency import scaling_check


def evaluate_targets(report):
    """One row per target: what, measured (text), target (text), met (True/False/None)."""
    by = {s["key"]: s for s in report["servers"]}
    lec, l1, cache, seed = by.get("lector"), by.get("lector1"), by.get("lector-cache"), \
        by.get("seed")
    raw = (report.get("raw") or {}).get("texts", {})
    rows = []

    def add(what, measured, target, met):
        rows.append({"target": what, "measured": measured, "goal": target, "met": met})

    def single(entry, text, field):
        return (((entry or {}).get("single") or {}).get(text) or {}).get(field)

    # 1. Paragraph TTFA vs the seed.
    a, b = single(lec, "paragraph", "ttfa_ms"), single(seed, "paragraph", "ttfa_ms")
    r = ratio(a, b)
    add("Paragraph TTFA, Lector (uncached) / seed (medians)",
        f"{fmt(a, 2)} / {fmt(b, 2)} ms = {fmt(r, 2)}×", f"≤ {T_TTFA_RATIO:g}×",
        None if r is None else r <= T_TTFA_RATIO)
    # 2. Cache hit.
    hit = ((((cache or {}).get("cache") or {}).get("repeat") or {}).get("paragraph") or {})
    h = hit.get("ttfa_ms")
    add("Paragraph TTFA of an immediate repeat (cache hit, median)",
        f"{fmt(h, 2)} ms ({hit.get('cache_hits', '–')} segments hit, "
        f"{hit.get('cache_misses', '–')} missed)" if hit else "–",
        f"< {T_CACHE_HIT_MS:g} ms", None if h is None else h < T_CACHE_HIT_MS)
    # 3-4. Long text total.
    lt, l1t, st = (single(lec, "long", "total_ms"), single(l1, "long", "total_ms"),
                   single(seed, "long", "total_ms"))
    r = ratio(l1t, lt)
    add(f"Long text total, speed-up of {lec['label'] if lec else 'Lector'} over 1 worker",
        f"{fmt_ms(l1t)} / {fmt_ms(lt)} ms = {fmt(r, 2)}×" if l1 or not lec else
        "not measured (1-worker server left out: --quick or --no-single-worker)",
        f"≥ {T_LONG_VS_1W:g}×", None if r is None else r >= T_LONG_VS_1W)
    r = ratio(st, lt)
    add("Long text total, speed-up over the seed",
        f"{fmt_ms(st)} / {fmt_ms(lt)} ms = {fmt(r, 1)}×", f"≥ {T_LONG_VS_SEED:g}×",
        None if r is None else r >= T_LONG_VS_SEED)
    # 5-7. 8 clients.
    c8 = ((lec or {}).get("concurrency") or {}).get(str(TARGET_CLIENTS))
    if c8:
        add(f"{TARGET_CLIENTS} clients: every request served, no 503",
            f"{c8['ok']}/{c8['requests']} ok, {c8['status_503']}×503, {c8['other']} other",
            "0×503, all 200", c8["status_503"] == 0 and c8["other"] == 0)
        p95 = c8["ttfa_p95_ms"]
        add(f"{TARGET_CLIENTS} clients: TTFA p95", f"{fmt(p95, 1)} ms",
            f"< {T_C8_P95_MS:g} ms", None if p95 is None else p95 < T_C8_P95_MS)
        rawtp = (raw.get("paragraph") or {}).get("audio_per_cpu_s")
        r = ratio(c8["throughput"], rawtp)
        add(f"{TARGET_CLIENTS} clients: audio-s per wall-s / raw library on one core "
            "(paragraph, audio-s per CPU-s)",
            f"{fmt(c8['throughput'], 0)} / {fmt(rawtp, 0)} = {fmt(r, 2)}×",
            f"≥ {T_C8_VS_RAW:g}×", None if r is None else r >= T_C8_VS_RAW)
    else:
        why = (f"add {TARGET_CLIENTS} to --clients" if (lec or {}).get("concurrency")
               else "Lector not measured")
        add(f"{TARGET_CLIENTS} clients: no 503, TTFA p95 < {T_C8_P95_MS:g} ms, throughput "
            f"≥ {T_C8_VS_RAW:g}× raw", f"not measured ({why})", "", None)
    # 8. Server CPU at 8 clients (issue 9 names that burst; the whole phase is in its table).
    if c8 and c8.get("workers_cpu_s"):
        r = ratio(c8["server_cpu_s"], c8["workers_cpu_s"])
        add(f"Server CPU / workers' CPU while streaming ({TARGET_CLIENTS} clients)",
            f"{fmt(c8['server_cpu_s'], 3)} / {fmt(c8['workers_cpu_s'], 3)} s = "
            f"{fmt(100 * r if r is not None else None, 1)} %",
            f"≤ {100 * T_SERVER_CPU:g} %", None if r is None else r <= T_SERVER_CPU)
    else:
        add("Server CPU / workers' CPU", "not measured", f"≤ {100 * T_SERVER_CPU:g} %", None)
    # 9. wrk.
    a = ((lec or {}).get("wrk") or {}).get("requests_per_s")
    b = ((seed or {}).get("wrk") or {}).get("requests_per_s")
    r = ratio(a, b)
    add("wrk GET /engines requests/s, Lector / seed",
        f"{fmt(a, 0)} / {fmt(b, 0)} = {fmt(r, 1)}×", f"≥ {T_WRK_RATIO:g}×",
        None if r is None else r >= T_WRK_RATIO)
    # 10. RSS.
    nw = report["params"]["workers"]
    mem = (lec or {}).get("memory") or {}
    for key, what in (("after_startup_mib", "after startup"),
                      ("peak_concurrency_mib", "peak during the concurrency phase")):
        v = mem.get(key)
        add(f"RSS server + {nw} espeak workers, {what}", f"{fmt(v, 1)} MiB",
            f"< {T_RSS_MIB:g} MiB" + ("" if nw == 2 else " (stated for 2 workers)"),
            None if v is None else v < T_RSS_MIB)
    sr = (lec or {}).get("slow_readers")
    if sr:
        v = sr["peak_during_mib"]
        add(f"RSS server + espeak workers under {sr['readers']} slow readers (stalled "
            f"{sr['stall_s']:g} s): before / peak / after close",
            f"{fmt(sr['before_mib'], 1)} / {fmt(v, 1)} / {fmt(sr['after_mib'], 1)} MiB "
            f"(peak {fmt(sr['growth_mib'], 1)} MiB over before; "
            f"{fmt(sr['second_half_growth_mib'], 1)} MiB more in the second half of the stall)",
            f"peak ≤ {T_SLOW_RSS_MIB:g} MiB", None if v is None else v <= T_SLOW_RSS_MIB)
    # 13. Cache hit, short text (issue 9: paragraph and short).
    hit = ((((cache or {}).get("cache") or {}).get("repeat") or {}).get("short") or {})
    h = hit.get("ttfa_ms")
    add("Short-text TTFA of an immediate repeat (cache hit, median)",
        f"{fmt(h, 2)} ms ({hit.get('cache_hits', '–')} segments hit, "
        f"{hit.get('cache_misses', '–')} missed)" if hit else "–",
        f"< {T_CACHE_HIT_MS:g} ms", None if h is None else h < T_CACHE_HIT_MS)
    # 14-15. The most clients.
    conc = (lec or {}).get("concurrency") or {}
    if conc:
        top = max(int(c) for c in conc)
        ct = conc[str(top)]
        bad = ct["requests"] - ct["ok"]
        add(f"{top} clients ({ct['requests'] // top} requests each): every request 200",
            f"{ct['ok']}/{ct['requests']} ok ({ct['status_503']}×503, {ct['other']} other)",
            "0 non-200", bad == 0)
        sc = scaling_check(conc, nw)
        if sc:
            worst = max(sc["rows"], key=lambda x: (x["growth"] or 0) / x["load_growth"])
            add(f"TTFA p95 grows no faster than clients ÷ workers (from {sc['ref_clients']} "
                f"clients, {fmt(sc['ref_p95_ms'], 1)} ms)",
                "; ".join(f"{x['clients']}: {fmt_ms(x['p95_ms'])} ms ≤ {fmt_ms(x['allowed_ms'])}"
                          for x in sc["rows"])
                + f" (worst: ×{fmt(worst['growth'], 1)} for ×{fmt(worst['load_growth'], 1)} "
                  "clients)",
                "p95(C) ≤ p95(ref) × C / ref", sc["ok"])
        else:
            add("TTFA p95 grows no faster than clients ÷ workers",
                "not measured (needs a client count above 8, or above --workers)", "", None)
    # 16-17. The heavy voices' first audio against their own library.
    for e in ((lec_engines(report) or [])):
        if e["engine"] == "espeak":
            continue
        what = f"First audio, {e['engine']} {e['voice']}: Lector / raw engine, same fragment"
        if e.get("skipped"):
            add(what, f"not measured ({e['skipped']})", f"≤ {T_ENGINE_RATIO:g}×", None)
            continue
        r = e["ratio"]
        add(what, f"{fmt(e['lector_ms']['median'], 1)} / {fmt(e['raw_ms']['median'], 1)} ms = "
            f"{fmt(r, 2)}× (quartiles {fmt(e['ratio_low'], 2)}–{fmt(e['ratio_high'], 2)}×)",
            f"≤ {T_ENGINE_RATIO:g}×", None if r is None else r <= T_ENGINE_RATIO)
    return rows


def lec_engines(report):
    for s in report["servers"]:
        if s.get("engines"):
            return s["engines"]
    return None

