"""Per-engine first audio: Lector against the engine's own library on the same first fragment.

One Lector server runs every engine with one worker each and the cache off. For each engine,
the text of the first segment Lector cuts from the paragraph (the `segment_start` event of
segment 0 on /v1/stream) is written to a file and synthesized by the engine's raw tool
(bench/raw_espeak, raw_flite, raw_festival: the library in one thread, no server); Lector gets
the whole paragraph over GET /tts, as a client would send it, and its time to first audio is
timed (the connection is closed at first audio; the next request waits until the server and its
workers are idle). Raw runs and Lector requests alternate in rounds, so a change in the
machine's load hits both."""

import json
import math
import subprocess
import time

from .client import http_get_json, tts_request
from .common import fmt, median, percentile, ratio
from .ws import WsError, first_segment

# (engine, voice, raw tool's file name). espeak is the reference row; the targets are for the
# heavy voices people choose for quality.
ENGINES = (("espeak", "en-us", "raw_espeak"),
           ("flite", "slt", "raw_flite"),
           ("festival", "cmu_us_slt_arctic_hts", "raw_festival"))


def wait_idle(port, timeout=30.0):
    """Seconds until no request is active and every worker is idle, or None on timeout."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        st = http_get_json(port, "/status")
        if (st is not None and st.get("requests_active", 1) == 0
                and all(w.get("state") == "idle" for w in st.get("workers", []))):
            return time.monotonic() - t0
        time.sleep(0.02)
    return None


def spread(values):
    """median, min, max, first and third quartile of a list (None when empty)."""
    if not values:
        return {"median": None, "min": None, "max": None, "q1": None, "q3": None, "n": 0}
    return {"median": median(values), "min": min(values), "max": max(values),
            "q1": percentile(values, 25), "q3": percentile(values, 75), "n": len(values)}


def raw_runs(tool, voice, fragment_path, runs, timeout):
    argv = [str(tool), "--voice", voice, str(fragment_path), str(runs)]
    p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited with {p.returncode}: "
                           f"{p.stderr.strip()[:300]}")
    return argv, json.loads(p.stdout)


def measure_engine(port, engine, voice, tool, text, reps, rounds, pause, out_dir, timeout, log):
    entry = {"engine": engine, "voice": voice, "tool": str(tool) if tool else None}
    if tool is None:
        entry["skipped"] = "raw tool not built"
        return entry
    try:
        fragment = first_segment(port, engine, voice, text, timeout)
    except (OSError, WsError, ValueError) as e:
        entry["skipped"] = f"Lector has no {engine} voice {voice} ({e})"
        return entry
    wait_idle(port)
    path = out_dir / f"fragment-{engine}.txt"
    path.write_text(fragment + "\n")
    entry["fragment"] = fragment
    entry["fragment_words"] = len(fragment.split())
    params = {"engine": engine, "voice": voice}
    # Not measured: loads the voice into the worker, as the raw tool's own warm-up run does.
    tts_request(port, text, timeout, params, first_audio_only=True)
    wait_idle(port)
    per_round = max(1, math.ceil(reps / rounds))
    lector, raw, failures = [], [], []
    for _ in range(rounds):
        argv, out = raw_runs(tool, voice, path, per_round, timeout)
        entry["raw_argv"] = argv
        entry["raw_init_ms"] = out.get("init_ms")
        entry["raw_sample_rate"] = out.get("sample_rate")
        raw += [r["ttfa_ms"] for r in out["runs"]]
        for _ in range(per_round):
            time.sleep(pause)
            r = tts_request(port, text, timeout, params, first_audio_only=True)
            if r["ok"]:
                lector.append(r["ttfa_ms"])
            else:
                failures.append({"status": r["status"], "error": r["error"]})
            if wait_idle(port) is None:
                failures.append({"status": "busy", "error": "server not idle after 30 s"})
    entry["lector_ms"] = spread(lector)
    entry["raw_ms"] = spread(raw)
    entry["lector_runs"], entry["raw_runs"], entry["failures"] = lector, raw, failures
    lm, rm = entry["lector_ms"], entry["raw_ms"]
    entry["ratio"] = ratio(lm["median"], rm["median"])
    # The spread of the ratio: Lector's quartiles over the raw library's opposite quartiles.
    entry["ratio_low"] = ratio(lm["q1"], rm["q3"])
    entry["ratio_high"] = ratio(lm["q3"], rm["q1"])
    log(f"  {engine:8s} {voice}: fragment {entry['fragment_words']} words; first audio raw "
        f"{fmt(rm['median'], 2)} ms, Lector {fmt(lm['median'], 2)} ms = "
        f"{fmt(entry['ratio'], 2)}× ({len(lector)}/{len(lector) + len(failures)} ok)")
    return entry


def measure_engines(server, raw_tools, text, args, out_dir, log):
    """One entry per engine of ENGINES; raw_tools maps a tool's name to its path (or None)."""
    return [measure_engine(server.port, engine, voice, raw_tools.get(tool), text,
                           args.engine_reps, 2, args.pause, out_dir, args.timeout, log)
            for engine, voice, tool in ENGINES]
