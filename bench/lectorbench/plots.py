"""Plots (gnuplot, best effort): TTFA and throughput against clients, RSS under slow readers."""

import shutil
import subprocess

from .common import T_C8_P95_MS, T_C8_VS_RAW, T_RSS_MIB, TARGET_CLIENTS
from .concurrency import scaling_check

def gnuplot_png(png, script):
    gnuplot = shutil.which("gnuplot")
    if not gnuplot:
        return None
    for term in ("pngcairo size 900,520 font 'sans,10'", "png size 900,520"):
        try:
            p = subprocess.run([gnuplot], input=f"set terminal {term}\nset output '{png}'\n"
                               + script, text=True, capture_output=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            return None
        if p.returncode == 0 and png.exists() and png.stat().st_size > 0:
            return png
    return None


def q(s):
    return s.replace('"', "'")


def plot_all(report, out_dir):
    """ttfa.png, throughput.png, rss-slow-readers.png; returns the paths written."""
    written = []
    conc = [s for s in report["servers"] if s.get("concurrency")]
    clients = report["params"]["clients"]
    if conc:
        for s in conc:
            with open(out_dir / f"concurrency-{s['key']}.dat", "w") as f:
                f.write("# clients ttfa_p50_ms ttfa_p95_ms throughput_audio_s_per_s\n")
                for c in clients:
                    r = s["concurrency"].get(str(c))
                    if r is None:
                        continue
                    vals = [r["ttfa_p50_ms"], r["ttfa_p95_ms"], r["throughput"]]
                    f.write(f"{c} " + " ".join("?" if v is None else f"{v:.3f}"
                                                for v in vals) + "\n")
        xtics = ", ".join(str(c) for c in clients)
        common = f"""
set datafile missing "?"
set logscale x 2
set xtics ({xtics})
set xrange [{min(clients) / 1.3}:{max(clients) * 1.3}]
set xlabel "concurrent clients (each sends {report['params']['per_client']} paragraph requests)"
set grid
"""
        colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"]
        plots = []
        for i, s in enumerate(conc):
            dat = out_dir / f"concurrency-{s['key']}.dat"
            col = colors[i % len(colors)]
            plots.append(f"'{dat}' using 1:2 with linespoints lw 2 pt 7 lc rgb '{col}' "
                         f"title \"{q(s['label'])} p50\"")
            plots.append(f"'{dat}' using 1:3 with linespoints lw 2 pt 5 dt 2 lc rgb '{col}' "
                         f"title \"{q(s['label'])} p95\"")
        plots.append(f"{T_C8_P95_MS} with lines lw 2 dt 3 lc rgb 'gray30' "
                     f"title \"target: p95 < {T_C8_P95_MS:g} ms at {TARGET_CLIENTS} clients\"")
        png = gnuplot_png(out_dir / "ttfa.png", common + f"""
set title "Time to first audio vs concurrent clients (200 responses)"
set ylabel "TTFA (ms, log scale)"
set logscale y
set key top left
plot {", ".join(plots)}
""")
        if png:
            written.append(png)

        plots = []
        for i, s in enumerate(conc):
            dat = out_dir / f"concurrency-{s['key']}.dat"
            plots.append(f"'{dat}' using 1:4 with linespoints lw 2 pt 7 "
                         f"lc rgb '{colors[i % len(colors)]}' title \"{q(s['label'])}\"")
        rawtp = (((report.get("raw") or {}).get("texts") or {}).get("paragraph") or {}) \
            .get("audio_per_cpu_s")
        if rawtp:
            plots.append(f"{rawtp:.3f} with lines lw 2 dt 2 lc rgb 'black' "
                         "title \"raw libespeak-ng, one core (audio-s per CPU-s)\"")
            plots.append(f"{T_C8_VS_RAW * rawtp:.3f} with lines lw 2 dt 3 lc rgb 'gray30' "
                         f"title \"target at {TARGET_CLIENTS} clients: {T_C8_VS_RAW:g}x raw\"")
        # Head room above the highest line for the key (top left).
        ymax = max([T_C8_VS_RAW * (rawtp or 0)]
                   + [r["throughput"] or 0 for s in conc for r in s["concurrency"].values()])
        png = gnuplot_png(out_dir / "throughput.png", common + f"""
set title "Aggregate throughput vs concurrent clients ({report['machine']['nproc']} CPUs)"
set ylabel "audio seconds per wall second"
set yrange [0:{max(ymax, 1) * 1.45:.0f}]
set key top left
plot {", ".join(plots)}
""")
        if png:
            written.append(png)

    png = plot_ttfa_clients(report, out_dir)
    if png:
        written.append(png)

    slow = [s for s in report["servers"] if s.get("slow_readers")]
    if slow:
        plots, arrows = [], []
        top = T_RSS_MIB
        for i, s in enumerate(slow):
            sr = s["slow_readers"]
            dat = out_dir / f"rss-{s['key']}.dat"
            with open(dat, "w") as f:
                f.write("# t_s rss_mib(server+espeak workers) rss_all_mib processes\n")
                for t, m, a, k in sr["samples"]:
                    f.write(f"{t:.3f} {m:.3f} {a:.3f} {k}\n")
            col = ["#1f77b4", "#d62728", "#2ca02c"][i % 3]
            st = ", ".join(f"{n}×{k}" for k, n in sorted(sr["statuses"].items()))
            plots.append(f"'{dat}' using 1:2 with lines lw 2 lc rgb '{col}' "
                         f"title \"{q(s['label'])} ({st})\"")
            top = max([top] + [m for _, m, _, _ in sr["samples"]])
            for mark, lab in (("opened", "open"), ("close", "close")):
                x = sr["marks_s"][mark]
                arrows.append(f"set arrow from {x:.3f}, graph 0 to {x:.3f}, graph 1 nohead "
                              f"dt 2 lc rgb '{col}'")
                arrows.append(f"set label \"{lab}\" at {x:.3f}, graph {0.97 - 0.05 * i:.2f} "
                              f"offset 0.5,0 tc rgb '{col}'")
        plots.append(f"{T_RSS_MIB} with lines lw 2 dt 3 lc rgb 'gray30' "
                     f"title \"target: {T_RSS_MIB:g} MiB\"")
        p = report["params"]
        png = gnuplot_png(out_dir / "rss-slow-readers.png", "\n".join(arrows) + f"""
set title "RSS of server + espeak workers: {p['slow_readers']} readers of the long text stall \
for {p['stall_s']:g} s"
set xlabel "seconds since the phase started (dashed: all readers open / closed)"
set ylabel "VmRSS (MiB)"
set yrange [0:{top * 1.2:.0f}]
set grid
set key bottom right
plot {", ".join(plots)}
""")
        if png:
            written.append(png)
    return written



def plot_ttfa_clients(report, out_dir):
    """ttfa-clients.png: Lector's TTFA p50, p95, p99 against clients (log-log), with the line
    "clients ÷ workers" through the reference row's p95: where p95 may grow to."""
    lec = next((s for s in report["servers"] if s["key"] == "lector"), None)
    if not lec or not lec.get("concurrency"):
        return None
    w = report["params"]["workers"]
    clients = sorted(int(c) for c in lec["concurrency"])
    dat = out_dir / "ttfa-clients.dat"
    with open(dat, "w") as f:
        f.write("# clients ttfa_p50_ms ttfa_p95_ms ttfa_p99_ms clients_per_worker\n")
        for c in clients:
            r = lec["concurrency"][str(c)]
            vals = [r["ttfa_p50_ms"], r["ttfa_p95_ms"], r.get("ttfa_p99_ms")]
            f.write(f"{c} " + " ".join("?" if v is None else f"{v:.3f}" for v in vals)
                    + f" {c / w:.3f}\n")
    plots = [f"'{dat}' using 1:2 with linespoints lw 2 pt 7 lc rgb '#1f77b4' title \"p50\"",
             f"'{dat}' using 1:3 with linespoints lw 2 pt 5 lc rgb '#d62728' title \"p95\"",
             f"'{dat}' using 1:4 with linespoints lw 2 pt 9 lc rgb '#9467bd' title \"p99\""]
    sc = scaling_check(lec["concurrency"], w)
    if sc:
        k = sc["ref_p95_ms"] * w / sc["ref_clients"]
        plots.append(f"{k:.6f} * x / {w} with lines lw 2 dt 2 lc rgb 'gray30' title "
                     f"\"clients ÷ workers (through p95 at {sc['ref_clients']} clients)\"")
    return gnuplot_png(out_dir / "ttfa-clients.png", f"""
set datafile missing "?"
set logscale xy
set xtics ({", ".join(str(c) for c in clients)})
set xrange [{min(clients) / 1.3}:{max(clients) * 1.3}]
set xlabel "concurrent clients (each sends {report['params']['per_client']} paragraph requests; \
{w} workers)"
set ylabel "TTFA (ms, log scale)"
set title "{q(lec['label'])}: time to first audio against clients (200 responses)"
set grid
set key top left
plot {", ".join(plots)}
""")
