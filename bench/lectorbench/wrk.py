"""wrk on GET /engines: the server's cost of a trivial request."""

import re
import shutil
import subprocess

from .common import fmt

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

