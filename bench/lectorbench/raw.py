"""The raw libespeak-ng baseline (bench/raw_espeak), measured at the start and end of a run."""

import json
import subprocess

from .common import RAW_TEXTS, fmt, fmt_ms, median, ratio

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

