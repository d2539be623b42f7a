#!/usr/bin/env python3
"""Measures the memory of one `lector serve` and its worker processes, idle and under load, to
size the systemd unit's MemoryMax and the Kubernetes resource requests (deploy/README.md).

    deploy/measure-memory.py [--lector build/release/lector] [--seconds 60] [--clients 8]
                             [-- extra `lector serve` flags]

It starts the server on a free loopback port with the default engines (and whatever extra
flags follow `--`), waits until every worker is idle, samples the process tree, then runs
`--clients` concurrent clients for `--seconds`, each asking for a long text with a different
engine in turn and a counter in every sentence (so the cache fills instead of answering), and
samples every 0.2 s. Per process it reads RSS and PSS from /proc/PID/smaps_rollup: RSS counts
the shared pages of the binary and its libraries once per process; PSS splits them among the
processes, so the sum of PSS is what the processes cost together (the figure a cgroup's
memory accounting is close to). Standard library only; Linux only.
"""

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
LONG_TEXT = os.path.join(HERE, "..", "tests", "e2e", "texts", "long.txt")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(port, path, timeout=120):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def children(pid):
    """Direct children of pid (the workers), from /proc/*/stat."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        # The command name may hold spaces and parentheses: fields start after the last ')'.
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[1]) == pid:
            out.append(int(entry))
    return out


def memory_kib(pid):
    """(rss, pss) in KiB of one process, or None once it is gone."""
    values = {}
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                key, _, rest = line.partition(":")
                if key in ("Rss", "Pss"):
                    values[key] = int(rest.split()[0])
    except OSError:
        return None
    return values.get("Rss", 0), values.get("Pss", 0)


def engine_of(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            argv = f.read().split(b"\0")
    except OSError:
        return "?"
    if b"--engine" in argv:
        return argv[argv.index(b"--engine") + 1].decode()
    return "?"


def sample(server_pid):
    """{"server": (rss, pss), "total": (rss, pss), "workers": {engine: [(rss, pss), ...]}}."""
    server = memory_kib(server_pid) or (0, 0)
    workers = {}
    for pid in children(server_pid):
        m = memory_kib(pid)
        if m:
            workers.setdefault(engine_of(pid), []).append(m)
    total = [server[0], server[1]]
    for ms in workers.values():
        for rss, pss in ms:
            total[0] += rss
            total[1] += pss
    return {"server": server, "total": tuple(total), "workers": workers}


def mib(kib):
    return f"{kib / 1024:.0f}"


def describe(s):
    parts = [f"server RSS {mib(s['server'][0])} / PSS {mib(s['server'][1])} MiB"]
    for engine, ms in sorted(s["workers"].items()):
        rss = [m[0] for m in ms]
        pss = [m[1] for m in ms]
        parts.append(f"{len(ms)} {engine} worker(s) RSS {mib(min(rss))}-{mib(max(rss))} / "
                     f"PSS {mib(min(pss))}-{mib(max(pss))} MiB each")
    parts.append(f"total RSS {mib(s['total'][0])} / PSS {mib(s['total'][1])} MiB")
    return "; ".join(parts)


def wait_idle(port, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            status, body = get(port, "/status", timeout=5)
            if status == 200:
                st = json.loads(body)
                if st["workers"] and all(w["state"] == "idle" for w in st["workers"]):
                    return st
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("the server did not become idle")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lector", default=os.path.join(HERE, "..", "build", "release", "lector"))
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("serve_args", nargs="*", help="extra `lector serve` flags (after --)")
    args = ap.parse_args()

    port = free_port()
    proc = subprocess.Popen([args.lector, "serve", "--host", "127.0.0.1", "--port", str(port),
                             "--log-level", "warn", *args.serve_args],
                            stdin=subprocess.DEVNULL)
    try:
        st = wait_idle(port)
        engines = sorted({w["engine"] for w in st["workers"]})
        time.sleep(1)
        idle = sample(proc.pid)
        print(f"idle: {describe(idle)}", flush=True)

        with open(LONG_TEXT, encoding="utf-8") as f:
            sentences = [s.strip() + "." for s in f.read().split(".") if s.strip()]
        stop = time.monotonic() + args.seconds
        counter = iter(range(10 ** 9))
        lock = threading.Lock()
        done = {"requests": 0, "errors": 0}

        def client(k):
            while time.monotonic() < stop:
                with lock:
                    n = next(counter)
                engine = engines[(k + n) % len(engines)]
                text = " ".join(f"{s[:-1]} {n}." for s in sentences[:20])
                path = "/tts?" + urllib.parse.urlencode({"engine": engine, "text": text})
                try:
                    status, _ = get(port, path)
                except OSError:
                    status = 0
                with lock:
                    done["requests"] += 1
                    done["errors"] += status != 200

        threads = [threading.Thread(target=client, args=(k,)) for k in range(args.clients)]
        for t in threads:
            t.start()
        peak = idle
        while any(t.is_alive() for t in threads):
            s = sample(proc.pid)
            if s["total"][1] > peak["total"][1]:
                peak = s
            time.sleep(0.2)
        for t in threads:
            t.join()
        _, body = get(port, "/status")
        cache = json.loads(body)["cache"]["bytes"]
        print(f"load ({args.clients} clients, {args.seconds:.0f} s, {done['requests']} requests, "
              f"{done['errors']} errors, cache {cache} bytes): peak {describe(peak)}", flush=True)
        time.sleep(1)
        print(f"after load: {describe(sample(proc.pid))}", flush=True)
        return 1 if done["errors"] else 0
    finally:
        proc.terminate()
        proc.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
