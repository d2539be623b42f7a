"""The processes of a server under test: CPU time and RSS from /proc, sampled or snapshotted."""

import os
import threading
import time
from pathlib import Path

from .client import http_get_json
from .common import CLK_TCK

def proc_cpu_s(pid):
    """CPU seconds a process has used (all its threads, not its children), or None if it is
    gone. The sum of its live threads' schedstat run time (nanoseconds) where the kernel keeps
    schedstats, else utime + stime from /proc/PID/stat (10 ms ticks: too coarse for a burst
    of a fraction of a second). Threads that ended are lost to the first way; the server's
    and workers' threads live as long as they do."""
    try:
        total_ns = 0
        for tid in os.listdir(f"/proc/{pid}/task"):
            total_ns += int(Path(f"/proc/{pid}/task/{tid}/schedstat").read_text().split()[0])
        return total_ns / 1e9
    except (OSError, ValueError, IndexError):
        pass
    return proc_cpu_ticks_s(pid)


def proc_cpu_ticks_s(pid):
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

