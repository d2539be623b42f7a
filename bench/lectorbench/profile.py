"""--profile: where the server's CPU goes under the 8-client load.

`perf record -g` on the server process (not its workers) while clients keep sending paragraph
requests, then `perf report --no-children --percent-limit 2 --stdio`, saved to the output
directory. When perf cannot record here (no perf, perf_event_paranoid, a container without the
syscall), `perf stat` is tried instead. Either way the CPU of each server thread over the same
window is read from /proc/PID/task (works everywhere), so the report always says which thread
(HTTP I/O, scheduler, ...) spends it."""

import re
import shutil
import subprocess
import threading
import time
from pathlib import Path

from .client import run_burst
from .common import fmt
from .procs import proc_cpu_s

ENTRY = re.compile(r"^\s+(\d+\.\d+)%\s+(\S+)\s+(\S+)\s+\[(.)\]\s+(.+?)\s*$")


def thread_cpu(pid):
    """{tid: (name, CPU s)} of a process's live threads."""
    out = {}
    try:
        tids = Path(f"/proc/{pid}/task").iterdir()
        for t in tids:
            try:
                name = (t / "comm").read_text().strip()
                run_ns = int((t / "schedstat").read_text().split()[0])
            except (OSError, ValueError, IndexError):
                continue
            out[t.name] = (name, run_ns / 1e9)
    except OSError:
        pass
    return out


def run_tool(argv, timeout):
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as e:
        return None, str(e)
    return p, (p.stderr or "").strip()


def perf_profile(pid, seconds, out_dir, res):
    perf = shutil.which("perf")
    if not perf:
        res["perf"] = "not installed (Debian linux-perf)"
        return
    data = out_dir / "perf-server.data"
    data.unlink(missing_ok=True)
    p, err = run_tool([perf, "record", "-g", "-o", str(data), "-p", str(pid), "--", "sleep",
                       f"{seconds:g}"], seconds + 60)
    if p is not None and p.returncode == 0 and data.exists() and data.stat().st_size > 0:
        p, err = run_tool([perf, "report", "-i", str(data), "--no-children", "--percent-limit",
                           "2", "--stdio"], 300)
        if p is not None and p.returncode == 0:
            (out_dir / "perf-server.txt").write_text(p.stdout)
            res["perf"] = "record"
            res["perf_files"] = ["perf-server.txt"]
            res["perf_top"] = [{"percent": float(m[1]), "command": m[2], "object": m[3],
                                "kind": m[4], "symbol": m[5]}
                               for m in (ENTRY.match(line) for line in p.stdout.splitlines())
                               if m]
            samples = re.search(r"# Samples: (\S+)\s+of event '([^']+)'", p.stdout)
            if samples:
                res["perf_samples"], res["perf_event"] = samples.group(1), samples.group(2)
            return
        res["perf_record_error"] = f"perf report failed: {err[-300:]}"
    else:
        res["perf_record_error"] = err[-300:]
    # perf record could not run: counters may still work.
    p, err = run_tool([perf, "stat", "-p", str(pid), "--", "sleep", f"{seconds:g}"],
                      seconds + 60)
    if p is not None and p.returncode == 0:
        (out_dir / "perf-stat-server.txt").write_text(err + "\n")
        res["perf"] = "stat"
        res["perf_files"] = ["perf-stat-server.txt"]
        res["perf_stat"] = [line.strip() for line in err.splitlines()
                            if re.match(r"^\s+[\d.,]+\s", line)]
    else:
        res["perf"] = "unavailable"
        res["perf_stat_error"] = err[-300:]


def run_profile(server, text, clients, seconds, out_dir, timeout, log):
    """Profiles the server for `seconds` under `clients` clients sending paragraph requests
    back to back; returns what could be measured."""
    pid = server.proc.pid
    stop = threading.Event()

    def load():
        while not stop.is_set():
            run_burst(server.port, text, clients, 1, timeout)

    loader = threading.Thread(target=load, daemon=True)
    loader.start()
    time.sleep(0.3)     # the load is running before the window opens
    res = {"clients": clients, "seconds": seconds, "pid": pid}
    t0, cpu0 = thread_cpu(pid), proc_cpu_s(pid)
    w0 = time.monotonic()
    perf_profile(pid, seconds, out_dir, res)
    res["window_s"] = time.monotonic() - w0
    t1, cpu1 = thread_cpu(pid), proc_cpu_s(pid)
    stop.set()
    loader.join()
    # Per thread name (the I/O threads share one): CPU s over the window.
    by_name = {}
    for tid, (name, c) in t1.items():
        by_name[name] = by_name.get(name, 0.0) + c - t0.get(tid, (name, 0.0))[1]
    res["threads"] = sorted(([n, c] for n, c in by_name.items()), key=lambda x: -x[1])
    res["server_cpu_s"] = None if cpu0 is None or cpu1 is None else cpu1 - cpu0
    log(f"  profile: perf {res['perf']}; server CPU {fmt(res['server_cpu_s'], 2)} s in "
        f"{res['window_s']:.1f} s; threads "
        + ", ".join(f"{n} {c:.2f} s" for n, c in res["threads"][:5])
        + (f"; perf record failed: {res['perf_record_error']}"
           if res.get("perf_record_error") else ""))
    return res
