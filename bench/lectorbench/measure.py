"""Measuring one server under test: start-up memory, warm-up, then the measurements its plan
names."""

import time
from pathlib import Path

from .client import http_get_json
from .common import TARGET_CLIENTS, loadavg
from .concurrency import measure_concurrency
from .engines import measure_engines
from .procs import Probe, RssSampler
from .profile import run_profile
from .single import measure_cache, measure_single, warm_up
from .slow_readers import measure_slow_readers
from .wrk import run_wrk


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
    if "concurrency" in server.plan and server.kind == "lector" and args.profile:
        time.sleep(0.5)
        entry["profile"] = run_profile(server, texts["paragraph"], TARGET_CLIENTS,
                                       args.profile_seconds, Path(args.out), args.timeout, log)
    if "engines" in server.plan:
        entry["engines"] = measure_engines(server, args.raw_tools, texts["paragraph"], args,
                                           Path(args.out), log)
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
