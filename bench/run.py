#!/usr/bin/python3
"""Lector benchmark: Lector versus the seed design and the raw libespeak-ng library.

One run measures, one after the other (so they never compete for the CPU):

  * the raw library: bench/raw_espeak (C++, libespeak-ng in one thread) synthesizes the
    paragraph and long texts R times: time to first audio, wall and CPU time, audio seconds;
  * Lector with the cache off (--cache-bytes 0): single requests (short / paragraph / long,
    medians of time to first audio and total time), concurrency (C clients x K paragraph
    requests, C in --clients) with the server's and its workers' CPU (/proc/PID/stat) and RSS
    (/proc/PID/status, sampled every 50 ms), 50 slow readers (RSS before / during / after),
    and `wrk` on /engines;
  * Lector with its default cache: the first request of a text and its immediate repeat
    (cache hit);
  * Lector with one worker (cache off): single requests (the long-text speed-up);
  * the seed replica (shared/baselines/seed_replica): single requests, concurrency, slow
    readers and wrk, as for Lector.

It then prints a Markdown report whose first table checks each target (as ratios measured in
this run) and writes bench/results/latest.{md,json} and PNG plots (gnuplot). Only the Python 3
standard library is used; see bench/README.md.
"""

import argparse
import datetime
import http.client
import json
import os
import platform
import re
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
DEFAULT_RAW = REPO_ROOT / "build" / "release" / "bench" / "raw_espeak"
RAW_BUILD_HINT = "cmake --preset release && cmake --build --preset release --target raw_espeak"
TEXT_NAMES = ("short", "paragraph", "long")
RAW_TEXTS = ("paragraph", "long")
WAV_HEADER_BYTES = 44
MIB = 1024 * 1024
CLK_TCK = os.sysconf("SC_CLK_TCK")

# Targets (reported as met / not met, never asserted).
T_TTFA_RATIO = 0.25         # Lector paragraph TTFA <= 1/4 of the seed's
T_CACHE_HIT_MS = 1.0        # cache-hit TTFA < 1 ms
T_LONG_VS_1W = 1.6          # long text: N workers >= 1.6x faster than 1 worker
T_LONG_VS_SEED = 8.0        # long text: >= 8x faster than the seed
T_C8_P95_MS = 50.0          # 8 clients: TTFA p95 < 50 ms
T_C8_VS_RAW = 1.6           # 8 clients: throughput >= 1.6x raw library on one core
T_SERVER_CPU = 0.10         # server CPU < 10 % of the workers' CPU
T_WRK_RATIO = 20.0          # /engines requests/s >= 20x the seed's
T_RSS_MIB = 60.0            # server + 2 workers < 60 MiB
TARGET_CLIENTS = 8


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


# --------------------------------------------------------------------------------------------
# Processes: CPU time and RSS from /proc
# --------------------------------------------------------------------------------------------

def proc_cpu_s(pid):
    """utime + stime of a process (all its threads, not its children) in seconds, or None."""
    try:
        data = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # "pid (comm) state ppid ..." - comm may hold spaces; fields after ")" start at state.
    fields = data.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def proc_rss_kib(pid):
    """VmRSS of a process in KiB, or None if it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def descendants(pid):
    """All descendant pids of pid (scan of /proc)."""
    children = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            ppid = int(Path(f"/proc/{d}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(d))
    out, todo = [], [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            out.append(c)
            todo.append(c)
    return out


class Probe:
    """The processes of one server under test: the server itself and its engine workers.

    Lector's workers are the pids in GET /status "workers"; Lector starts workers for every
    engine it has, so figures are *scoped* to the server plus the workers of the engine under
    test (`engine`, espeak), and memory is also summed over all workers ("all"). The seed
    synthesizes in-process; its descendants (normally none) count as its workers."""

    def __init__(self, server, engine="espeak"):
        self.server = server
        self.engine = engine

    @property
    def pid(self):
        return self.server.proc.pid

    def workers(self):
        """[(pid, in scope)] of the worker processes."""
        if self.server.kind == "lector":
            st = http_get_json(self.server.port, "/status")
            if st is not None:
                return [(int(w["pid"]), w.get("engine") == self.engine)
                        for w in st.get("workers", []) if w.get("pid")]
        return [(p, True) for p in descendants(self.pid)]

    def pids(self):
        return [(self.pid, True)] + self.workers()

    def rss(self):
        """{"mib": server + in-scope workers, "processes": their count, "all_mib",
        "all_processes": server + every worker}."""
        pids = self.pids()
        kib = [(proc_rss_kib(p) or 0, scoped) for p, scoped in pids]
        return {"mib": sum(k for k, sc in kib if sc) / 1024,
                "processes": sum(1 for _, sc in kib if sc),
                "all_mib": sum(k for k, _ in kib) / 1024, "all_processes": len(kib)}

    def cpu(self):
        """Snapshot: server CPU s, {in-scope worker pid: CPU s}, {other worker pid: CPU s}."""
        workers, others = {}, {}
        for p, scoped in self.workers():
            c = proc_cpu_s(p)
            if c is not None:
                (workers if scoped else others)[p] = c
        return {"server": proc_cpu_s(self.pid) or 0.0, "workers": workers, "others": others}


def cpu_delta(a, b):
    """CPU seconds used between two snapshots. A worker that appeared in between (respawn)
    counts whole; one that vanished is lost (reported in `lost_workers`)."""
    workers = sum(v - a["workers"].get(p, 0.0) for p, v in b["workers"].items())
    others = sum(v - a["others"].get(p, 0.0) for p, v in b["others"].items())
    lost = [p for p in a["workers"] if p not in b["workers"]]
    return {"server_s": b["server"] - a["server"], "workers_s": workers,
            "other_workers_s": others, "lost_workers": lost}


class RssSampler(threading.Thread):
    """Every `interval` s, the summed VmRSS of the probe's processes: samples
    (t, MiB of server + in-scope workers, MiB of all, number of processes) with
    t = time.monotonic(). The pid list is fetched once and again only when a process
    vanished (a respawned worker), so sampling does not load the server."""

    def __init__(self, probe, interval=0.05):
        super().__init__(daemon=True)
        self.probe = probe
        self.interval = interval
        self.samples = []
        self._stop_evt = threading.Event()

    def run(self):
        pids = self.probe.pids()
        while True:
            scoped_kib, all_kib, missing = 0, 0, False
            for p, scoped in pids:
                k = proc_rss_kib(p)
                if k is None:
                    missing = True
                    continue
                all_kib += k
                if scoped:
                    scoped_kib += k
            self.samples.append((time.monotonic(), scoped_kib / 1024, all_kib / 1024,
                                 len(pids)))
            if missing:
                pids = self.probe.pids()
            if self._stop_evt.wait(self.interval):
                break

    def stop(self):
        self._stop_evt.set()
        self.join()
        return self.samples

    def peak(self, t_from=None, t_to=None, which=1):
        vals = [x[which] for x in self.samples
                if (t_from is None or x[0] >= t_from) and (t_to is None or x[0] <= t_to)]
        return max(vals) if vals else None


def machine_busy_s():
    """CPU seconds all CPUs spent busy since boot (/proc/stat: everything but idle and
    iowait), or None."""
    try:
        f = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    except (OSError, ValueError, IndexError):
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = f
    return (user + nice + system + irq + softirq + steal) / CLK_TCK


def loadavg():
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


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
    """A server process under test, in its own process group so it is killed with children.

    `plan` names the measurements it gets: "single", "concurrency", "slow", "wrk", "cache".
    """

    def __init__(self, key, label, kind, argv_fn, ready_path, log_dir, workers, plan):
        self.key = key                  # short id used in JSON and plot file names
        self.label = label              # row label in the tables
        self.kind = kind                # "lector" or "seed"
        self.argv_fn = argv_fn          # port -> argv
        self.ready_path = ready_path    # polled until it answers 200
        self.log_path = log_dir / f"server-{key}.log"
        self.workers = workers          # concurrency we expect the server to have (warm-up)
        self.plan = plan
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
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b


# --------------------------------------------------------------------------------------------
# The raw library
# --------------------------------------------------------------------------------------------

def raw_pass(raw_bin, shared, runs):
    """One pass of raw_espeak over the paragraph and long texts: {text: (argv, JSON)}."""
    out = {}
    for name in RAW_TEXTS:
        path = shared / "baselines" / "texts" / f"{name}.txt"
        argv = [str(raw_bin), str(path), str(runs)]
        p = subprocess.run(argv, capture_output=True, text=True, timeout=600)
        if p.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} exited with {p.returncode}: "
                               f"{p.stderr.strip()[:300]}")
        out[name] = (argv, json.loads(p.stdout))
    return out


def summarize_raw(passes, log):
    """Per text: medians over the runs of every pass, audio-s per CPU-s over all runs, and
    the same figure per pass (the library is measured at the start and at the end of the
    benchmark, to show how much the machine's state moved it)."""
    out = {"argv": [passes[0][n][0] for n in RAW_TEXTS], "passes": len(passes),
           "texts": {}}
    for name in RAW_TEXTS:
        data = passes[0][name][1]
        rs = [r for ps in passes for r in ps[name][1]["runs"]]
        per_pass = []
        for ps in passes:
            prs = ps[name][1]["runs"]
            per_pass.append(ratio(sum(r["audio_s"] for r in prs),
                                  sum(r["cpu_ms"] for r in prs) / 1e3))
        audio = sum(r["audio_s"] for r in rs)
        cpu = sum(r["cpu_ms"] for r in rs) / 1e3
        wall = sum(r["wall_ms"] for r in rs) / 1e3
        s = {
            "runs": len(rs),
            "sample_rate": data["sample_rate"],
            "init_ms": data["init_ms"],
            "ttfa_ms": median([r["ttfa_ms"] for r in rs]),
            "ttfa_min_ms": min(r["ttfa_ms"] for r in rs),
            "ttfa_max_ms": max(r["ttfa_ms"] for r in rs),
            "wall_ms": median([r["wall_ms"] for r in rs]),
            "cpu_ms": median([r["cpu_ms"] for r in rs]),
            "audio_s": median([r["audio_s"] for r in rs]),
            # One thread: audio-seconds per CPU-second is what one core delivers when it is
            # not shared; per wall-second shows what it delivered on this (busy) machine.
            "audio_per_cpu_s": ratio(audio, cpu),
            "audio_per_wall_s": ratio(audio, wall),
            "cpu_ms_per_audio_s": ratio(cpu * 1e3, audio),
            "audio_per_cpu_s_per_pass": per_pass,
            "raw": rs,
        }
        out["texts"][name] = s
        log(f"  {name:9s} first audio {fmt(s['ttfa_ms'], 2)} ms  wall {fmt_ms(s['wall_ms'])} ms"
            f"  CPU {fmt_ms(s['cpu_ms'])} ms  audio {fmt(s['audio_s'], 2)} s  "
            f"{fmt(s['audio_per_cpu_s'], 0)} audio-s/CPU-s  "
            f"{fmt(s['audio_per_wall_s'], 0)} audio-s/wall-s (per pass: "
            f"{', '.join(fmt(x, 0) for x in per_pass)})")
    return out


# --------------------------------------------------------------------------------------------
# Measurements of a server
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
            "total_p50_ms": percentile([r["total_ms"] for r in ok], 50),
            "total_p95_ms": percentile([r["total_ms"] for r in ok], 95),
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
            f"TTFA p50 {fmt_ms(s['ttfa_p50_ms'])} p95 {fmt_ms(s['ttfa_p95_ms'])} ms; "
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


def measure_slow_readers(server, probe, text, n, stall, read_bytes, rcvbuf, timeout, log):
    """n concurrent GET /tts for `text` that read `read_bytes` bytes and then stall for
    `stall` s; RSS sampled every 50 ms before, during and after."""
    path = "/tts?text=" + urllib.parse.quote(text, safe="")
    request = (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
               "User-Agent: lector-bench-slow-reader\r\nConnection: close\r\n\r\n").encode()
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


def run_wrk(port, duration, threads, connections, log):
    wrk = shutil.which("wrk")
    if not wrk:
        log("  wrk not found; skipped")
        return None
    argv = [wrk, f"-t{threads}", f"-c{connections}", f"-d{duration:g}s",
            f"http://127.0.0.1:{port}/engines"]
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 60)
    except (OSError, subprocess.TimeoutExpired) as e:
        log(f"  wrk failed: {e}")
        return {"argv": argv, "error": str(e)}
    out = p.stdout
    res = {"argv": ["wrk"] + argv[1:], "returncode": p.returncode, "output": out}

    def grab(pattern, conv=float):
        m = re.search(pattern, out)
        return conv(m.group(1)) if m else None

    res["requests_per_s"] = grab(r"Requests/sec:\s+([\d.]+)")
    res["requests"] = grab(r"(\d+) requests in", int)
    res["non_2xx"] = grab(r"Non-2xx or 3xx responses:\s+(\d+)", int) or 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    res["socket_errors"] = sum(int(x) for x in m.groups()) if m else 0
    m = re.search(r"Latency\s+(\S+)\s+(\S+)\s+(\S+)", out)
    res["latency_avg"] = m.group(1) if m else None
    log(f"  wrk /engines: {fmt(res['requests_per_s'], 0)} requests/s, latency avg "
        f"{res['latency_avg']}, {res['non_2xx']} non-2xx, {res['socket_errors']} socket errors")
    return res


def measure_server(server, texts, args, log):
    """Start, measure as the server's plan says, stop. Returns the report entry."""
    entry = {"key": server.key, "label": server.label, "kind": server.kind,
             "argv": server.argv, "loadavg_at_start": loadavg(), "memory": {}}
    probe = Probe(server)
    time.sleep(0.3)                 # let the workers finish starting
    r = probe.rss()
    entry["memory"].update(after_startup_mib=r["mib"], processes=r["processes"],
                           after_startup_all_mib=r["all_mib"],
                           all_processes=r["all_processes"])
    log(f"   ready on port {server.port}; RSS {r['mib']:.1f} MiB ({r['processes']} processes; "
        f"with all engines' workers {r['all_mib']:.1f} MiB, {r['all_processes']} processes); "
        f"load {entry['loadavg_at_start']}; warming up")
    warm_up(server, texts, args.timeout)
    r = probe.rss()
    entry["memory"]["after_warmup_mib"] = r["mib"]
    entry["memory"]["after_warmup_all_mib"] = r["all_mib"]
    if "single" in server.plan:
        entry["single"] = measure_single(server, texts, args.reps, args.pause, args.timeout, log)
    if "cache" in server.plan:
        sampler = RssSampler(probe)
        sampler.start()
        entry["cache"] = measure_cache(server, texts, args.reps, args.pause, args.timeout, log)
        sampler.stop()
        entry["memory"]["peak_cache_phase_mib"] = sampler.peak()
    if "concurrency" in server.plan:
        entry["concurrency"], entry["concurrency_phase"] = measure_concurrency(
            server, probe, texts["paragraph"], args.client_counts, args.per_client,
            settle=0.5, timeout=args.timeout, log=log)
        entry["memory"]["peak_concurrency_mib"] = entry["concurrency_phase"]["rss_peak_mib"]
    if "slow" in server.plan and args.slow_readers > 0:
        time.sleep(0.5)
        entry["slow_readers"] = measure_slow_readers(
            server, probe, texts["long"], args.slow_readers, args.stall, args.read_bytes,
            args.rcvbuf, args.timeout, log)
    if "wrk" in server.plan and args.wrk_duration > 0:
        time.sleep(0.5)
        entry["wrk"] = run_wrk(server.port, args.wrk_duration, 2, 32, log)
    if server.kind == "lector":
        entry["status_at_end"] = http_get_json(server.port, "/status")
    entry["loadavg_at_end"] = loadavg()
    return entry


# --------------------------------------------------------------------------------------------
# Targets
# --------------------------------------------------------------------------------------------

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
    # 8. Server CPU.
    ph = (lec or {}).get("concurrency_phase")
    if ph:
        r = ph["server_over_workers"]
        add("Server CPU / workers' CPU while streaming (concurrency phase)",
            f"{fmt(ph['server_s'], 2)} / {fmt(ph['workers_s'], 2)} s = "
            f"{fmt(100 * r if r is not None else None, 1)} %",
            f"< {100 * T_SERVER_CPU:g} %", None if r is None else r < T_SERVER_CPU)
    else:
        add("Server CPU / workers' CPU", "not measured", f"< {100 * T_SERVER_CPU:g} %", None)
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
            f"flat: peak < {T_RSS_MIB:g} MiB", None if v is None else v < T_RSS_MIB)
    return rows


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------

def fmt(x, digits=1):
    return "–" if x is None else f"{x:,.{digits}f}"


def pct(x):
    return "–" if x is None else f"{100 * x:.0f} %"


def fmt_ms(x):
    if x is None:
        return "–"
    return f"{x:,.2f}" if x < 10 else f"{x:,.1f}" if x < 100 else f"{x:,.0f}"


def machine_info():
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    # Other jobs on the machine skew the numbers; the load average shows it.
    return {"nproc": os.cpu_count(), "cpu": cpu, "kernel": platform.release(),
            "python": platform.python_version(), "loadavg_at_start": loadavg()}


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
        res = {True: "**met**", False: "**not met**", None: "not measured"}[t["met"]]
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

    conc = [s for s in report["servers"] if s.get("concurrency")]
    if conc:
        L.append("")
        L.append(f"## Concurrency (paragraph text, each client sends {p['per_client']} "
                 "requests back to back)")
        L.append("")
        L.append("TTFA and total percentiles are over successful (200) requests; audio s / "
                 "wall s = audio seconds received in 200 responses / wall seconds of the burst. "
                 "CPU = utime + stime from /proc/PID/stat around the burst (10 ms ticks); "
                 "the seed synthesizes in its own process, so all its CPU is \"server\"; "
                 "client CPU = this script's threads (`time.process_time()`), which share the "
                 f"{m['nproc']} CPUs with the server; other jobs = busy CPU time of the whole "
                 "machine (/proc/stat) minus server, workers and client, as a share of "
                 "CPUs × wall s: CPU the servers could not have.")
        L.append("")
        L.append("| server | clients | requests | 200 | 503 | other | TTFA p50 ms | TTFA p95 ms "
                 "| total p50 ms | total p95 ms | wall s | audio s / wall s | server CPU s "
                 "| workers CPU s | client CPU s | other jobs' share of the CPUs |")
        L.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for s in conc:
            for c in p["clients"]:
                r = s["concurrency"].get(str(c))
                if r is None:
                    continue
                wk = fmt(r["workers_cpu_s"], 2) if s["kind"] == "lector" else "–"
                L.append(f"| {s['label']} | {c} | {r['requests']} | {r['ok']} "
                         f"| {r['status_503']} | {r['other']} | {fmt_ms(r['ttfa_p50_ms'])} "
                         f"| {fmt_ms(r['ttfa_p95_ms'])} | {fmt_ms(r['total_p50_ms'])} "
                         f"| {fmt_ms(r['total_p95_ms'])} | {fmt(r['wall_s'], 2)} "
                         f"| {fmt(r['throughput'], 0)} | {fmt(r['server_cpu_s'], 2)} | {wk} "
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

    if report.get("plots"):
        L.append("")
        L.append("Plots: " + ", ".join(f"`{Path(x).name}`" for x in report["plots"]))
    L.append("")
    return "\n".join(L)


# --------------------------------------------------------------------------------------------
# Plots (gnuplot, best effort)
# --------------------------------------------------------------------------------------------

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


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------

def parse_args(argv):
    ap = argparse.ArgumentParser(
        description="Benchmark Lector against the seed design (RealtimeTTS FastAPI replica) "
                    "and the raw libespeak-ng library: time to first audio, total time, "
                    "concurrency, CPU, memory, /engines throughput. Writes bench/results/.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--lector", default=os.environ.get("LECTOR_BIN", str(DEFAULT_LECTOR)),
                    help="Lector binary (env LECTOR_BIN)")
    ap.add_argument("--raw", default=os.environ.get("RAW_ESPEAK_BIN", str(DEFAULT_RAW)),
                    help="raw libespeak-ng baseline binary (env RAW_ESPEAK_BIN)")
    ap.add_argument("--shared", default=str(DEFAULT_SHARED),
                    help="the shared/ directory holding baselines/ (seed replica and texts)")
    ap.add_argument("--only", choices=["seed", "lector", "raw", "all"], default="all",
                    help="what to benchmark")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                    help="Lector --workers")
    ap.add_argument("--no-single-worker", action="store_true",
                    help="leave out the 'Lector 1 worker' rows (default with --quick)")
    ap.add_argument("--single-worker", action="store_true",
                    help="keep the 'Lector 1 worker' rows even with --quick")
    ap.add_argument("--no-cache-rows", action="store_true",
                    help="leave out the 'cache on' server (first request / cache hit rows)")
    # Defaults below depend on --quick; explicit values win over both.
    ap.add_argument("--reps", type=int,
                    help="repetitions per text for single requests (default: 5, quick: 2)")
    ap.add_argument("--clients",
                    help="comma-separated client counts (default: 1,2,4,8,16, quick: 1,8)")
    ap.add_argument("-k", "--per-client", type=int,
                    help="requests each client sends back to back (default: 5, quick: 2)")
    ap.add_argument("--raw-runs", type=int,
                    help="raw library runs per text (default: 10, quick: 3)")
    ap.add_argument("--wrk-duration", type=float,
                    help="seconds of wrk per server, 0 = skip (default: 5, quick: 1)")
    ap.add_argument("--slow-readers", type=int, default=50,
                    help="slow readers (0 = skip the phase)")
    ap.add_argument("--stall", type=float,
                    help="seconds the slow readers stall (default: 5, quick: 1)")
    ap.add_argument("--read-bytes", type=int, default=4096,
                    help="bytes each slow reader reads before it stalls")
    ap.add_argument("--rcvbuf", type=int, default=16384, help="slow readers' SO_RCVBUF")
    ap.add_argument("--quick", action="store_true",
                    help="smoke run: --reps 2 -k 2 --clients 1,8 --raw-runs 3 "
                         "--wrk-duration 1 --stall 1 --no-single-worker")
    ap.add_argument("--timeout", type=float, default=120.0, help="per-request timeout, s")
    ap.add_argument("--ready-timeout", type=float, default=30.0,
                    help="how long to wait for a server to become ready, s")
    ap.add_argument("--pause", type=float, default=0.05,
                    help="idle pause before each sequential request, s")
    ap.add_argument("--out", default=str(BENCH_DIR / "results"), help="output directory")
    ap.add_argument("--no-plot", action="store_true", help="do not draw the PNG plots")
    args = ap.parse_args(argv)
    q_ = args.quick
    for name, full, quick in (("reps", 5, 2), ("per_client", 5, 2), ("clients", "1,2,4,8,16",
                              "1,8"), ("raw_runs", 10, 3), ("wrk_duration", 5.0, 1.0),
                              ("stall", 5.0, 1.0)):
        if getattr(args, name) is None:
            setattr(args, name, quick if q_ else full)
    if q_ and not args.single_worker:
        args.no_single_worker = True    # one Lector start less (each takes seconds)
    try:
        args.client_counts = [int(c) for c in args.clients.split(",") if c.strip()]
    except ValueError:
        ap.error(f"--clients: expected comma-separated integers, got {args.clients!r}")
    if (not args.client_counts or min(args.client_counts) < 1 or args.reps < 1
            or args.per_client < 1 or args.workers < 1 or args.raw_runs < 1):
        ap.error("--clients, --reps, -k, --raw-runs and --workers must be positive")
    return args


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    started = time.monotonic()
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
    raw_bin = None
    if args.only in ("raw", "all"):
        rb = Path(args.raw)
        if rb.is_file() and os.access(rb, os.X_OK):
            raw_bin = rb
        else:
            msg = (f"raw libespeak-ng baseline: {rb} not found; build it with "
                   f"`{RAW_BUILD_HINT}` (or pass --raw PATH)")
            log(f"warning: {msg}; skipping the raw-library rows")
            skipped.append(msg)
    if args.only in ("lector", "all"):
        lector = Path(args.lector)
        if not (lector.is_file() and os.access(lector, os.X_OK)):
            msg = f"Lector: binary {lector} not found or not executable (build it, or pass " \
                  f"--lector PATH / LECTOR_BIN)"
            log(f"warning: {msg}; skipping the Lector rows")
            skipped.append(msg)
        else:
            def lector_argv(workers, extra):
                # espeak alone: the seed replica and the raw baseline are espeak-ng too.
                return lambda port: [str(lector), "serve", "--host", "127.0.0.1",
                                     "--port", str(port), "--wyoming-port", "0", "--workers", str(workers),
                                     "--engines", "espeak"] + extra
            nw = args.workers
            servers.append(Server("lector", f"Lector ({nw} workers)", "lector",
                                  lector_argv(nw, ["--cache-bytes", "0"]), "/health", out_dir,
                                  nw, ("single", "concurrency", "slow", "wrk")))
            if not args.no_cache_rows:
                servers.append(Server("lector-cache", f"Lector ({nw} workers, cache on)",
                                      "lector", lector_argv(nw, []), "/health", out_dir, nw,
                                      ("cache",)))
            if not args.no_single_worker and nw != 1:
                servers.append(Server("lector1", "Lector 1 worker", "lector",
                                      lector_argv(1, ["--cache-bytes", "0"]), "/health",
                                      out_dir, 1, ("single",)))
    if args.only in ("seed", "all"):
        seed = shared / "baselines" / "seed_replica" / "server.py"
        if not seed.is_file():
            msg = f"seed replica: {seed} not found (use --shared)"
            log(f"warning: {msg}")
            skipped.append(msg)
        else:
            servers.append(Server("seed", "seed replica", "seed",
                                  lambda port: ["/usr/bin/python3", str(seed), "-p", str(port),
                                                "--no-flite"], "/engines", out_dir, 1,
                                  ("single", "concurrency", "slow", "wrk")))
    if not servers and raw_bin is None:
        log("error: nothing to benchmark")
        return 2

    report = {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": machine_info(),
        "command": " ".join(shlex.quote(a) for a in [sys.argv[0]] + sys.argv[1:]),
        "params": {"reps": args.reps, "per_client": args.per_client,
                   "clients": args.client_counts, "workers": args.workers,
                   "raw_runs": args.raw_runs, "wrk_duration_s": args.wrk_duration,
                   "slow_readers": args.slow_readers, "stall_s": args.stall,
                   "read_bytes": args.read_bytes, "rcvbuf": args.rcvbuf,
                   "timeout_s": args.timeout, "pause_s": args.pause, "quick": args.quick},
        "text_words": {n: len(t.split()) for n, t in texts.items()},
        "raw": None,
        "servers": [],
        "skipped": skipped,
    }
    if "LECTOR_BIN" in os.environ and args.only not in ("seed", "raw"):
        report["command"] = f"LECTOR_BIN={shlex.quote(os.environ['LECTOR_BIN'])} " \
                            + report["command"]

    # SIGTERM / SIGHUP become SystemExit so the finally below still stops the servers.
    def on_signal(signum, _frame):
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)

    current = None
    raw_passes = []
    try:
        if raw_bin is not None:
            log(f"== raw libespeak-ng ({raw_bin}), {args.raw_runs} runs per text; "
                f"load {loadavg()}")
            try:
                raw_passes.append(raw_pass(raw_bin, shared, args.raw_runs))
                report["raw"] = summarize_raw(raw_passes, log)
            except (OSError, RuntimeError, ValueError, subprocess.TimeoutExpired) as e:
                log(f"warning: raw library baseline failed: {e}")
                skipped.append(f"raw libespeak-ng baseline failed: {e}")
        for server in servers:
            log(f"== {server.label}: starting")
            if server.key in ("lector1", "lector-cache") and not any(
                    s["key"] == "lector" for s in report["servers"]):
                log("   skipped: the multi-worker Lector did not start either")
                continue
            current = server
            t_start = time.monotonic()
            try:
                server.start(args.ready_timeout)
            except ServerError as e:
                log(f"warning: {e}\nskipping {server.label}")
                skipped.append(str(e).splitlines()[0])
                current = None
                continue
            ready_s = time.monotonic() - t_start
            log(f"   ready after {ready_s:.1f} s")
            report["servers"].append(measure_server(server, texts, args, log))
            report["servers"][-1]["ready_s"] = ready_s
            server.stop()
            current = None
            log(f"   done in {time.monotonic() - t_start:.1f} s")
        if raw_passes and report["servers"] and not args.quick:
            log(f"== raw libespeak-ng again (end of the run); load {loadavg()}")
            try:
                raw_passes.append(raw_pass(raw_bin, shared, args.raw_runs))
                report["raw"] = summarize_raw(raw_passes, log)
            except (OSError, RuntimeError, ValueError, subprocess.TimeoutExpired) as e:
                log(f"warning: second raw library pass failed: {e}")
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    finally:
        if current is not None:
            current.stop()

    if not report["servers"] and not report["raw"]:
        log("error: nothing could be measured; results not written")
        return 1
    report["machine"]["loadavg_at_end"] = loadavg()
    report["targets"] = evaluate_targets(report)
    report["plots"] = [] if args.no_plot else [str(p) for p in plot_all(report, out_dir)]
    report["duration_s"] = time.monotonic() - started
    md = render_markdown(report)
    print(md)
    (out_dir / "latest.md").write_text(md + "\n")
    # Everything, including every request ("raw" lists) for later analysis.
    (out_dir / "latest.json").write_text(json.dumps(report, indent=1) + "\n")
    log(f"wrote {out_dir / 'latest.md'}, {out_dir / 'latest.json'}"
        + "".join(f", {p}" for p in report["plots"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
