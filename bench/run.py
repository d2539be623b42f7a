#!/usr/bin/python3
"""Lector benchmark: Lector versus the seed design (RealtimeTTS FastAPI replica).

One run starts each server under test on a free loopback port, measures it, and stops it
before the next one starts (so servers never compete for CPU), then prints a Markdown report
and writes bench/results/latest.md, bench/results/latest.json and, when gnuplot works,
bench/results/concurrency.png.

Measured per server:
  * single requests: GET /tts?text=... for the short / paragraph / long texts of
    shared/baselines/texts, R repetitions each, medians of time to first audio (TTFA: first
    PCM byte after the 44-byte WAV header) and of total time;
  * concurrency: for each C in --clients, C threads each send K paragraph requests back to
    back; counts of 200 / 503 / other, TTFA p50/p95 of the successes and aggregate
    throughput in audio-seconds per wall-second.

Only the Python 3 standard library is used; see bench/README.md.
"""

import argparse
import datetime
import http.client
import json
import os
import platform
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
DEFAULT_SHARED = Path(__file__).resolve().parents[2] / "shared"
DEFAULT_LECTOR = REPO_ROOT / "build" / "release" / "lector"
TEXT_NAMES = ("short", "paragraph", "long")
WAV_HEADER_BYTES = 44


# --------------------------------------------------------------------------------------------
# HTTP client: one GET /tts, timing the arrival of bytes
# --------------------------------------------------------------------------------------------

def tts_request(port, text, timeout):
    """Send GET /tts?text=... on a fresh connection and read the body as it arrives.

    Returns a dict: status (int, or "error" when the exchange failed), ttfb_ms (response
    headers received), ttfa_ms (first byte after the 44-byte WAV header), total_ms (body
    fully read), bytes (body length), rate (from header bytes 24..28), audio_s, ok (200 with a
    RIFF header and some PCM), error (text, when not ok).
    The clock starts before the TCP connect (negligible on loopback), i.e. what a client sees.
    """
    path = "/tts?text=" + urllib.parse.quote(text, safe="")
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


def http_get_status(port, path, timeout=2.0):
    """Status code of GET path, or None if the server does not answer."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        resp.read()
        return resp.status
    except (OSError, http.client.HTTPException):
        return None
    finally:
        conn.close()


# --------------------------------------------------------------------------------------------
# Servers under test
# --------------------------------------------------------------------------------------------

def free_port():
    """A port that was free a moment ago (the kernel picks it); tiny race, fine here."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerError(Exception):
    pass


class Server:
    """A server process under test, in its own process group so it is killed with children."""

    def __init__(self, key, label, argv_fn, ready_path, log_dir, workers=None):
        self.key = key                  # short id used in JSON and plot file names
        self.label = label              # row label in the tables
        self.argv_fn = argv_fn          # port -> argv
        self.ready_path = ready_path    # polled until it answers 200
        self.log_path = log_dir / f"server-{key}.log"
        self.workers = workers          # concurrency we expect the server to have (warm-up)
        self.proc = None
        self.port = None
        self.argv = None

    def start(self, ready_timeout):
        self.port = free_port()
        self.argv = self.argv_fn(self.port)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + ready_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServerError(f"{self.label} exited with status {self.proc.returncode} "
                                  f"before it was ready\n{self.log_tail()}")
            if http_get_status(self.port, self.ready_path, timeout=1.0) == 200:
                return
            time.sleep(0.1)
        self.stop()
        raise ServerError(f"{self.label}: GET {self.ready_path} did not return 200 within "
                          f"{ready_timeout:.0f} s\n{self.log_tail()}")

    def stop(self):
        """SIGTERM the server's process group, SIGKILL it if it lingers."""
        if self.proc is None:
            return
        proc, self.proc = self.proc, None
        if proc.poll() is None:
            for sig, grace in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
                try:
                    os.killpg(proc.pid, sig)    # the group id is the server's own pid
                except ProcessLookupError:
                    break
                try:
                    proc.wait(timeout=grace)
                    break
                except subprocess.TimeoutExpired:
                    continue
        else:
            # The leader is gone; make sure no child of it survives either.
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass

    def log_tail(self, lines=15):
        try:
            text = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return "(no server log)"
        return "--- last lines of " + str(self.log_path) + " ---\n" + "\n".join(text[-lines:])


# --------------------------------------------------------------------------------------------
# Statistics
# --------------------------------------------------------------------------------------------

def percentile(values, p):
    """Linear-interpolated percentile (p in 0..100) of a non-empty list; None if empty."""
    if not values:
        return None
    v = sorted(values)
    k = (len(v) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def median(values):
    return statistics.median(values) if values else None


# --------------------------------------------------------------------------------------------
# Measurements
# --------------------------------------------------------------------------------------------

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


def warm_up(server, texts, timeout):
    """Not measured: one request, then a burst of `workers` concurrent short requests, so
    lazily started engines / worker processes and caches are warm. Statuses are ignored."""
    tts_request(server.port, texts["paragraph"], timeout)
    run_burst(server.port, texts["short"], max(server.workers or 1, 1), 1, timeout)
    time.sleep(0.2)


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
            if r["ok"]:
                runs.append(r)
            else:
                failures.append(r)
        s = {
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
        out[name] = s
        log(f"  {name:9s} TTFA {fmt_ms(s['ttfa_ms'])} ms  total {fmt_ms(s['total_ms'])} ms  "
            f"audio {fmt(s['audio_s'], 2)} s  ({s['ok']}/{reps} ok, {retries} retried 503)")
    return out


def measure_concurrency(server, text, client_counts, per_client, settle, timeout, log):
    out = {}
    for c in client_counts:
        time.sleep(settle)
        results, wall = run_burst(server.port, text, c, per_client, timeout)
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
            "total_p50_ms": percentile([r["total_ms"] for r in ok], 50),
            "total_p95_ms": percentile([r["total_ms"] for r in ok], 95),
            "wall_s": wall,
            "audio_s": audio,
            "throughput": audio / wall if wall > 0 else None,
            "raw": results,
        }
        out[str(c)] = s
        others = sorted({f"{r['status']}: {r['error']}" for r in results
                         if not r["ok"] and r["status"] != 503})
        log(f"  C={c:<3d} {s['ok']}/{s['requests']} ok, {n503}x503, {s['other']} other; "
            f"TTFA p50 {fmt_ms(s['ttfa_p50_ms'])} p95 {fmt_ms(s['ttfa_p95_ms'])} ms; "
            f"{fmt(s['throughput'], 1)} audio-s/s"
            + (f"; other: {others[:3]}" if others else ""))
    return out


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------

def fmt(x, digits=1):
    return "–" if x is None else f"{x:,.{digits}f}"


def fmt_ms(x):
    if x is None:
        return "–"
    return f"{x:,.1f}" if x < 100 else f"{x:,.0f}"


def machine_info():
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        # Other jobs on the machine skew the numbers; the load average shows it.
        load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        load = "unknown"
    return {"nproc": os.cpu_count(), "cpu": cpu, "kernel": platform.release(),
            "python": platform.python_version(), "loadavg_at_start": load}


def render_markdown(report):
    m = report["machine"]
    L = []
    L.append("# Lector benchmark")
    L.append("")
    L.append(f"- date: {report['date']}")
    L.append(f"- machine: {m['nproc']} CPUs ({m['cpu']}), Linux {m['kernel']}, "
             f"Python {m['python']}; load average at start {m['loadavg_at_start']}")
    L.append(f"- command: `{report['command']}`")
    p = report["params"]
    L.append(f"- single requests: {p['reps']} repetitions per text, medians; concurrency: "
             f"paragraph text, {p['per_client']} requests per client, clients "
             f"{', '.join(map(str, p['clients']))}")
    for s in report["servers"]:
        L.append(f"- {s['label']}: `{' '.join(shlex.quote(a) for a in s['argv'])}`")
    for note in report["skipped"]:
        L.append(f"- skipped: {note}")
    words = report["text_words"]

    L.append("")
    L.append("## Single request (medians)")
    L.append("")
    L.append("TTFA = time from sending `GET /tts` to the first PCM byte after the 44-byte "
             "WAV header; total = until the body ended; × real time = audio s / total s.")
    L.append("")
    L.append("| server | text | words | audio s | TTFA ms | TTFA min–max ms | total ms "
             "| × real time | ok/reps |")
    L.append("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for s in report["servers"]:
        for name in TEXT_NAMES:
            r = s["single"].get(name)
            if r is None:
                continue
            rt = (r["audio_s"] / (r["total_ms"] / 1e3)
                  if r["audio_s"] and r["total_ms"] else None)
            okreps = f"{r['ok']}/{r['reps']}"
            if r["failures"]:
                okreps += " (failed: " + ", ".join(sorted({str(f["status"])
                                                          for f in r["failures"]})) + ")"
            if r["retries_503"]:
                okreps += f" ({r['retries_503']}×503 retried)"
            L.append(f"| {s['label']} | {name} | {words[name]} | {fmt(r['audio_s'], 2)} "
                     f"| {fmt_ms(r['ttfa_ms'])} "
                     f"| {fmt_ms(r['ttfa_min_ms'])}–{fmt_ms(r['ttfa_max_ms'])} "
                     f"| {fmt_ms(r['total_ms'])} | {fmt(rt, 0)} | {okreps} |")

    conc = [s for s in report["servers"] if s.get("concurrency")]
    if conc:
        L.append("")
        L.append(f"## Concurrency (paragraph text, each client sends {p['per_client']} "
                 "requests back to back)")
        L.append("")
        L.append("TTFA and total percentiles are over successful (200) requests; throughput = "
                 "audio seconds received in 200 responses / wall seconds of the whole burst.")
        L.append("")
        L.append("| server | clients | requests | 200 | 503 | other | TTFA p50 ms | TTFA p95 ms "
                 "| total p50 ms | total p95 ms | wall s | audio s / wall s |")
        L.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for s in conc:
            for c in p["clients"]:
                r = s["concurrency"].get(str(c))
                if r is None:
                    continue
                L.append(f"| {s['label']} | {c} | {r['requests']} | {r['ok']} "
                         f"| {r['status_503']} | {r['other']} | {fmt_ms(r['ttfa_p50_ms'])} "
                         f"| {fmt_ms(r['ttfa_p95_ms'])} | {fmt_ms(r['total_p50_ms'])} "
                         f"| {fmt_ms(r['total_p95_ms'])} | {fmt(r['wall_s'], 2)} "
                         f"| {fmt(r['throughput'], 0)} |")
    L.append("")
    return "\n".join(L)


def plot_concurrency(report, out_dir):
    """Draw concurrency.png with gnuplot (TTFA p95 and throughput vs clients). Best effort:
    returns the PNG path, or None if gnuplot is missing or fails."""
    gnuplot = shutil.which("gnuplot")
    conc = [s for s in report["servers"] if s.get("concurrency")]
    if not gnuplot or not conc:
        return None
    png = out_dir / "concurrency.png"
    plots_ttfa, plots_tput = [], []
    for s in conc:
        dat = out_dir / f"concurrency-{s['key']}.dat"
        with open(dat, "w") as f:
            f.write("# clients ttfa_p95_ms throughput_audio_s_per_s\n")
            for c in report["params"]["clients"]:
                r = s["concurrency"].get(str(c))
                if r is None:
                    continue
                t95 = "?" if r["ttfa_p95_ms"] is None else f"{r['ttfa_p95_ms']:.3f}"
                tp = "?" if r["throughput"] is None else f"{r['throughput']:.3f}"
                f.write(f"{c} {t95} {tp}\n")
        title = s["label"].replace('"', "'")
        style = f"with linespoints lw 2 pt 7 ps 1.2 title \"{title}\""
        plots_ttfa.append(f"'{dat}' using 1:2 {style}")
        plots_tput.append(f"'{dat}' using 1:3 {style}")
    clients = report["params"]["clients"]
    xtics = ", ".join(str(c) for c in clients)
    # Some margin around the client counts so the end points and their tics stay visible.
    xrange = f"[{min(clients) / 1.25}:{max(clients) * 1.25}]"
    title = (f"Paragraph text, {report['params']['per_client']} requests per client "
             f"({report['machine']['nproc']} CPUs)")
    script = f"""
set datafile missing "?"
set output '{png}'
set multiplot layout 1,2 title "{title}"
set logscale x 2
set xtics ({xtics})
set xrange {xrange}
set xlabel "concurrent clients"
set grid
set key top left
set ylabel "TTFA p95 of 200 responses (ms)"
set yrange [0:*]
plot {", ".join(plots_ttfa)}
set ylabel "audio seconds / wall second"
plot {", ".join(plots_tput)}
unset multiplot
"""
    for term in ("pngcairo size 1100,450 font 'sans,10'", "png size 1100,450"):
        try:
            p = subprocess.run([gnuplot], input=f"set terminal {term}\n" + script, text=True,
                               capture_output=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            return None
        if p.returncode == 0 and png.exists() and png.stat().st_size > 0:
            return png
    return None


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------

def parse_args(argv):
    ap = argparse.ArgumentParser(
        description="Benchmark Lector against the seed design (RealtimeTTS FastAPI replica): "
                    "time to first audio, total time, and behaviour under concurrent clients. "
                    "Writes bench/results/latest.{md,json} and concurrency.png.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--lector", default=os.environ.get("LECTOR_BIN", str(DEFAULT_LECTOR)),
                    help="Lector binary (env LECTOR_BIN)")
    ap.add_argument("--shared", default=str(DEFAULT_SHARED),
                    help="the shared/ directory holding baselines/ (seed replica and texts)")
    ap.add_argument("--only", choices=["seed", "lector", "all"], default="all",
                    help="which servers to benchmark")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                    help="Lector --workers")
    ap.add_argument("--no-single-worker", action="store_true",
                    help="leave out the 'Lector 1 worker' single-request rows")
    # Defaults of --reps / --clients / -k depend on --quick; explicit values win over both.
    ap.add_argument("--reps", type=int,
                    help="repetitions per text for single requests (default: 5, quick: 2)")
    ap.add_argument("--clients",
                    help="comma-separated client counts (default: 1,2,4,8, quick: 1,8)")
    ap.add_argument("-k", "--per-client", type=int,
                    help="requests each client sends back to back (default: 5, quick: 2)")
    ap.add_argument("--quick", action="store_true",
                    help="smoke run: --reps 2 -k 2 --clients 1,8")
    ap.add_argument("--timeout", type=float, default=120.0, help="per-request timeout, s")
    ap.add_argument("--ready-timeout", type=float, default=30.0,
                    help="how long to wait for a server to become ready, s")
    ap.add_argument("--pause", type=float, default=0.05,
                    help="idle pause before each sequential request, s")
    ap.add_argument("--out", default=str(BENCH_DIR / "results"), help="output directory")
    ap.add_argument("--no-plot", action="store_true", help="do not draw concurrency.png")
    args = ap.parse_args(argv)
    defaults = (2, 2, "1,8") if args.quick else (5, 5, "1,2,4,8")
    args.reps = defaults[0] if args.reps is None else args.reps
    args.per_client = defaults[1] if args.per_client is None else args.per_client
    args.clients = defaults[2] if args.clients is None else args.clients
    try:
        args.client_counts = [int(c) for c in args.clients.split(",") if c.strip()]
    except ValueError:
        ap.error(f"--clients: expected comma-separated integers, got {args.clients!r}")
    if (not args.client_counts or min(args.client_counts) < 1 or args.reps < 1
            or args.per_client < 1 or args.workers < 1):
        ap.error("--clients, --reps, -k and --workers must be positive")
    return args


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    shared = Path(args.shared)

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    texts = {}
    for name in TEXT_NAMES:
        p = shared / "baselines" / "texts" / f"{name}.txt"
        try:
            texts[name] = p.read_text(encoding="utf-8").strip()
        except OSError as e:
            log(f"error: cannot read text {p}: {e} (use --shared)")
            return 2

    servers, skipped = [], []
    if args.only in ("lector", "all"):
        lector = Path(args.lector)
        if not (lector.is_file() and os.access(lector, os.X_OK)):
            msg = f"Lector: binary {lector} not found or not executable (build it, or pass " \
                  f"--lector PATH / LECTOR_BIN)"
            log(f"warning: {msg}; skipping the Lector rows")
            skipped.append(msg)
        else:
            def lector_argv(workers):
                return lambda port: [str(lector), "serve", "--host", "127.0.0.1",
                                     "--port", str(port), "--workers", str(workers)]
            servers.append(Server("lector", f"Lector ({args.workers} workers)",
                                  lector_argv(args.workers), "/health", out_dir, args.workers))
            if not args.no_single_worker and args.workers != 1:
                s1 = Server("lector1", "Lector 1 worker", lector_argv(1), "/health", out_dir, 1)
                s1.single_only = True       # long-text comparison only, no concurrency rows
                servers.append(s1)
    if args.only in ("seed", "all"):
        seed = shared / "baselines" / "seed_replica" / "server.py"
        if not seed.is_file():
            msg = f"seed replica: {seed} not found (use --shared)"
            log(f"warning: {msg}")
            skipped.append(msg)
        else:
            servers.append(Server("seed", "seed replica",
                                  lambda port: ["/usr/bin/python3", str(seed), "-p", str(port),
                                                "--no-flite"], "/engines", out_dir, 1))
    if not servers:
        log("error: nothing to benchmark")
        return 2

    report = {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": machine_info(),
        "command": " ".join(shlex.quote(a) for a in [sys.argv[0]] + sys.argv[1:]),
        "params": {"reps": args.reps, "per_client": args.per_client,
                   "clients": args.client_counts, "workers": args.workers,
                   "timeout_s": args.timeout, "pause_s": args.pause},
        "text_words": {n: len(t.split()) for n, t in texts.items()},
        "servers": [],
        "skipped": skipped,
    }
    if "LECTOR_BIN" in os.environ and args.only != "seed":
        report["command"] = f"LECTOR_BIN={shlex.quote(os.environ['LECTOR_BIN'])} " \
                            + report["command"]

    # SIGTERM / SIGHUP become SystemExit so the finally below still stops the servers.
    def on_signal(signum, _frame):
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)

    current = None
    try:
        for server in servers:
            current = server
            log(f"== {server.label}: starting")
            if server.key == "lector1" and not any(s["key"] == "lector"
                                                      for s in report["servers"]):
                log("   skipped: the multi-worker Lector did not start either")
                continue
            try:
                server.start(args.ready_timeout)
            except ServerError as e:
                log(f"warning: {e}\nskipping {server.label}")
                skipped.append(str(e).splitlines()[0])
                continue
            log(f"   ready on port {server.port}; warming up")
            warm_up(server, texts, args.timeout)
            entry = {"key": server.key, "label": server.label, "argv": server.argv,
                     "single": measure_single(server, texts, args.reps, args.pause,
                                              args.timeout, log)}
            if not getattr(server, "single_only", False):
                entry["concurrency"] = measure_concurrency(
                    server, texts["paragraph"], args.client_counts, args.per_client,
                    settle=0.5, timeout=args.timeout, log=log)
            report["servers"].append(entry)
            server.stop()
            current = None
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    finally:
        if current is not None:
            current.stop()

    if not report["servers"]:
        log("error: no server could be measured; results not written")
        return 1
    md = render_markdown(report)
    print(md)
    (out_dir / "latest.md").write_text(md + "\n")
    # Everything, including every request ("raw" lists) for later analysis.
    (out_dir / "latest.json").write_text(json.dumps(report, indent=1) + "\n")
    png = None if args.no_plot else plot_concurrency(report, out_dir)
    log(f"wrote {out_dir / 'latest.md'}, {out_dir / 'latest.json'}"
        + (f", {png}" if png else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
