#!/usr/bin/env python3
"""The neural engine's cost on this machine: a medium-size Piper voice (bench/neural_model.py
builds a random-weight stand-in: no real voice can be downloaded here) served by Lector.

Reports, for one worker process holding one copy of the model:
  - model load time (the first request loads it: its time to first audio minus a warm one's);
  - real-time factor of one request alone (wall seconds per audio second);
  - time to first audio and aggregate audio-s per wall-s with 1, 2 and 4 requests at once;
  - the worker's RSS, idle after load and at its peak under each load.

    python3 bench/neural.py [--bin build/release/lector] [--onnxruntime LIB] [--rounds 3]

Not run in CI (it takes a minute or two and measures the machine). Needs the ONNX Runtime
library (scripts/onnxruntime.sh puts it in third_party/onnxruntime/lib) and Debian's
python3-onnx for /usr/bin/python3.
"""

import argparse
import json
import pathlib
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from lectorbench.client import http_get_json, tts_request  # noqa: E402
from lectorbench.procs import descendants, proc_rss_kib  # noqa: E402
from lectorbench.servers import Server  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent
TEXT = ("The old lighthouse keeper climbed the stairs every evening, counting each step as "
        "the wind pushed against the windows.")
FIRST = "Hello there, how are you today?"


def worker_pids(server_pid):
    return [p for p in descendants(server_pid)
            if b"--engine\0piper" in pathlib.Path(f"/proc/{p}/cmdline").read_bytes()]


class RssPeak(threading.Thread):
    def __init__(self, pids):
        super().__init__(daemon=True)
        self.pids, self.peak, self.stop_evt = pids, 0, threading.Event()

    def run(self):
        while not self.stop_evt.is_set():
            self.peak = max(self.peak, sum(proc_rss_kib(p) or 0 for p in self.pids))
            self.stop_evt.wait(0.02)

    def finish(self):
        self.stop_evt.set()
        self.join()
        return self.peak / 1024


def burst(port, voice, clients, timeout):
    results = [None] * clients

    def one(i):
        results[i] = tts_request(port, TEXT, timeout, {"engine": "piper", "voice": voice})

    t0 = time.perf_counter()
    threads = [threading.Thread(target=one, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    bad = [r for r in results if not r["ok"]]
    if bad:
        raise SystemExit(f"request failed: {bad[0]}")
    return wall, results


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default=str(ROOT / "build/release/lector"))
    ap.add_argument("--onnxruntime", default=str(ROOT / "third_party/onnxruntime/lib"))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=4, help="--neural-jobs of the worker")
    ap.add_argument("--json", type=pathlib.Path, help="also write the figures here")
    args = ap.parse_args()

    tmp = pathlib.Path(tempfile.mkdtemp(prefix="lector-neural-bench-"))
    made = json.loads(subprocess.run(["/usr/bin/python3", str(ROOT / "bench/neural_model.py"),
                                      str(tmp / "voices")], check=True, capture_output=True,
                                     text=True).stdout)
    voice = "en_US-bench-medium"
    server = Server("piper", "lector piper", "lector",
                    lambda port: [args.bin, "serve", "--port", str(port), "--engines", "espeak",
                                  "--pool", "espeak=1", "--piper-voices", str(tmp / "voices"),
                                  "--onnxruntime", args.onnxruntime,
                                  "--neural-jobs", str(args.jobs), "--cache-bytes", "0"],
                    "/health", tmp, 1, [])
    server.start(60)
    out = {"model": made, "jobs": args.jobs}
    try:
        deadline = time.monotonic() + 30
        while True:
            engines = http_get_json(server.port, "/api/engines")
            piper = next((e for e in engines if e.get("name") == "piper"), None)
            if piper and piper.get("available") and piper.get("voices"):
                break
            if time.monotonic() > deadline:
                raise SystemExit(f"piper did not come up: {piper}\n{server.log_tail()}")
            time.sleep(0.2)
        pids = worker_pids(server.proc.pid)
        rss_start = sum(proc_rss_kib(p) or 0 for p in pids) / 1024
        cold = tts_request(server.port, FIRST, 120, {"engine": "piper", "voice": voice})
        warm = [tts_request(server.port, FIRST, 120, {"engine": "piper", "voice": voice})
                for _ in range(args.rounds)]
        for r in [cold, *warm]:
            if not r["ok"]:
                raise SystemExit(f"request failed: {r}")
        warm_ttfa = statistics.median(r["ttfa_ms"] for r in warm)
        out["rss_before_load_mib"] = rss_start
        out["load_ms"] = cold["ttfa_ms"] - warm_ttfa
        out["rss_loaded_mib"] = sum(proc_rss_kib(p) or 0 for p in pids) / 1024
        rows = []
        for clients in (1, 2, 4):
            ttfa, rate, rtf, peak = [], [], [], []
            for _ in range(args.rounds):
                sampler = RssPeak(pids)
                sampler.start()
                wall, results = burst(server.port, voice, clients, 300)
                peak.append(sampler.finish())
                audio = sum(r["audio_s"] for r in results)
                ttfa += [r["ttfa_ms"] for r in results]
                rate.append(audio / wall)
                rtf += [r["total_ms"] / 1e3 / r["audio_s"] for r in results]
            rows.append({"clients": clients, "ttfa_ms_median": statistics.median(ttfa),
                         "ttfa_ms_max": max(ttfa), "rtf_median": statistics.median(rtf),
                         "audio_s_per_wall_s": statistics.median(rate),
                         "rss_peak_mib": max(peak)})
        out["loads"] = rows
    finally:
        server.stop()

    print(f"model: {made['parameters'] / 1e6:.1f} M parameters, "
          f"{made['bytes'] / 2**20:.0f} MiB ({voice}, random weights)")
    print(f"load (first request's extra wait): {out['load_ms']:.0f} ms; worker RSS "
          f"{out['rss_before_load_mib']:.0f} MiB before, {out['rss_loaded_mib']:.0f} MiB "
          f"after load")
    print("| requests at once | TTFA median (max) | RTF median | audio-s per wall-s "
          "| worker RSS peak |")
    print("|---|---|---|---|---|")
    for r in out["loads"]:
        print(f"| {r['clients']} | {r['ttfa_ms_median']:.0f} ({r['ttfa_ms_max']:.0f}) ms "
              f"| {r['rtf_median']:.3f} | {r['audio_s_per_wall_s']:.2f} "
              f"| {r['rss_peak_mib']:.0f} MiB |")
    if args.json:
        args.json.write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
