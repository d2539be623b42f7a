"""Shared constants, targets, statistics and number formatting."""

import os
import platform
import statistics
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parents[1]
REPO_ROOT = BENCH_DIR.parent
DEFAULT_SHARED = REPO_ROOT.parent / "shared"
DEFAULT_LECTOR = REPO_ROOT / "build" / "release" / "lector"
DEFAULT_RAW = REPO_ROOT / "build" / "release" / "bench" / "raw_espeak"
# raw_flite and raw_festival are looked for next to raw_espeak.
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
T_SLOW_RSS_MIB = 100.0      # issue 9: RSS peak with 50 stalled readers <= 100 MiB
T_ENGINE_RATIO = 1.2        # issue 9: flite slt / festival HTS first audio <= 1.2x raw engine
TARGET_CLIENTS = 8



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



def loadavg():
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"



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

