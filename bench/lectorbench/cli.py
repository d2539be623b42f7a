"""Command line and the run: what is measured in which order, and where the report goes."""

import argparse
import datetime
import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

from .common import (BENCH_DIR, DEFAULT_LECTOR, DEFAULT_RAW, DEFAULT_SHARED, RAW_BUILD_HINT,
                     TARGET_CLIENTS, TEXT_NAMES, loadavg, machine_info)
from .measure import measure_server
from .plots import plot_all
from .raw import raw_pass, summarize_raw
from .report import render_markdown
from .servers import Server, ServerError
from .targets import evaluate_targets

MAX_CLIENTS = 128


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
    ap.add_argument("--raw-flite", help="raw flite baseline (default: raw_flite next to --raw)")
    ap.add_argument("--raw-festival",
                    help="raw festival baseline (default: raw_festival next to --raw)")
    ap.add_argument("--shared", default=str(DEFAULT_SHARED),
                    help="the shared/ directory holding baselines/ (seed replica and texts)")
    ap.add_argument("--only", choices=["seed", "lector", "raw", "all"], default="all",
                    help="what to benchmark")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                    help="Lector --workers")
    ap.add_argument("--lector-args", default="",
                    help="more arguments for every Lector server, one shell-quoted string "
                         "(e.g. \"--threads 1\")")
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
                    help=f"comma-separated client counts, at most {MAX_CLIENTS} (default: "
                         "1,2,4,8,16,32,128, quick: 1,8)")
    ap.add_argument("-k", "--per-client", type=int,
                    help="requests each client sends back to back (default: 5, quick: 2)")
    ap.add_argument("--engine-reps", type=int,
                    help="first-audio requests per engine in the per-engine table, Lector and "
                         "raw each (default: 12, quick: 2)")
    ap.add_argument("--no-engines", action="store_true",
                    help="leave out the per-engine first-audio table (its Lector server)")
    ap.add_argument("--profile", action="store_true",
                    help=f"profile the server under {TARGET_CLIENTS} clients (perf record, "
                         "else perf stat; per-thread CPU from /proc in any case)")
    ap.add_argument("--profile-seconds", type=float, default=5.0,
                    help="length of the --profile window, s")
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
    for name, full, quick in (("reps", 5, 2), ("per_client", 5, 2),
                              ("clients", "1,2,4,8,16,32,128", "1,8"), ("raw_runs", 10, 3),
                              ("wrk_duration", 5.0, 1.0), ("stall", 5.0, 1.0),
                              ("engine_reps", 12, 2)):
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
    if max(args.client_counts) > MAX_CLIENTS:
        ap.error(f"--clients: at most {MAX_CLIENTS} clients, got {max(args.client_counts)}")
    if args.engine_reps < 1 or args.profile_seconds <= 0:
        ap.error("--engine-reps and --profile-seconds must be positive")
    return args


def find_raw_tools(args, log, skipped):
    """{tool name: path or None} of the per-engine table's raw baselines."""
    raw_dir = Path(args.raw).parent
    tools = {}
    for name, given in (("raw_espeak", args.raw), ("raw_flite", args.raw_flite),
                        ("raw_festival", args.raw_festival)):
        path = Path(given) if given else raw_dir / name
        if path.is_file() and os.access(path, os.X_OK):
            tools[name] = path
        else:
            tools[name] = None
            msg = (f"{name}: {path} not found (target {name}, built with Lector when the "
                   "engine is); its row of the per-engine table is left out")
            log(f"warning: {msg}")
            skipped.append(msg)
    return tools


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
                                     "--port", str(port), "--wyoming-port", "0",
                                     "--workers", str(workers), "--engines", "espeak"] + extra \
                    + shlex.split(args.lector_args)
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
            if not args.no_engines:
                # One worker per engine, so a request's first segment never waits for another.
                servers.append(Server(
                    "lector-engines", "Lector (1 worker per engine, cache off)", "lector",
                    lambda port: [str(lector), "serve", "--host", "127.0.0.1", "--port",
                                  str(port), "--wyoming-port", "0", "--workers", "1",
                                  "--engines", "espeak,flite,festival", "--cache-bytes", "0"]
                    + shlex.split(args.lector_args),
                    "/health", out_dir, 1, ("engines",)))
                args.raw_tools = find_raw_tools(args, log, skipped)
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
                   "timeout_s": args.timeout, "pause_s": args.pause, "quick": args.quick,
                   "engine_reps": args.engine_reps, "profile": args.profile,
                   "profile_seconds": args.profile_seconds},
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
            if server.key in ("lector1", "lector-cache", "lector-engines") and not any(
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
