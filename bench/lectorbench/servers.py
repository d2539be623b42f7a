"""Servers under test: started on a free port in their own process group, stopped with it."""

import os
import signal
import socket
import subprocess
import time

from .client import http_get_status

def free_port():
    """A port that was free a moment ago (the kernel picks it); tiny race, fine here."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerError(Exception):
    pass


class Server:
    """A server process under test, in its own process group so it is killed with children.

    `plan` names the measurements it gets: "single", "concurrency", "slow", "wrk", "cache".
    """

    def __init__(self, key, label, kind, argv_fn, ready_path, log_dir, workers, plan):
        self.key = key                  # short id used in JSON and plot file names
        self.label = label              # row label in the tables
        self.kind = kind                # "lector" or "seed"
        self.argv_fn = argv_fn          # port -> argv
        self.ready_path = ready_path    # polled until it answers 200
        self.log_path = log_dir / f"server-{key}.log"
        self.workers = workers          # concurrency we expect the server to have (warm-up)
        self.plan = plan
        self.proc = None
        self.port = None
        self.argv = None

    def start(self, ready_timeout):
        self.port = free_port()
        self.argv = self.argv_fn(self.port)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + ready_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServerError(f"{self.label} exited with status {self.proc.returncode} "
                                  f"before it was ready\n{self.log_tail()}")
            if http_get_status(self.port, self.ready_path, timeout=1.0) == 200:
                return
            time.sleep(0.1)
        self.stop()
        raise ServerError(f"{self.label}: GET {self.ready_path} did not return 200 within "
                          f"{ready_timeout:.0f} s\n{self.log_tail()}")

    def stop(self):
        """SIGTERM the server's process group, SIGKILL it if it lingers."""
        if self.proc is None:
            return
        proc, self.proc = self.proc, None
        if proc.poll() is None:
            for sig, grace in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
                try:
                    os.killpg(proc.pid, sig)    # the group id is the server's own pid
                except ProcessLookupError:
                    break
                try:
                    proc.wait(timeout=grace)
                    break
                except subprocess.TimeoutExpired:
                    continue
        else:
            # The leader is gone; make sure no child of it survives either.
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass

    def log_tail(self, lines=15):
        try:
            text = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return "(no server log)"
        return "--- last lines of " + str(self.log_path) + " ---\n" + "\n".join(text[-lines:])

