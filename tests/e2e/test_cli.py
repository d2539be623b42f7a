"""The command line: `lector serve --help` and the README's flag table describe the same flags
with the same defaults, and malformed flag values are refused before the server starts."""

import os
import re
import subprocess
import time
import unittest

from harness import LECTOR_BIN, LectorServer, read_text, wait_for

README = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "README.md")

# A flag as --help lists it: at the start of an option line, after "-x," for a short alias.
HELP_FLAG = re.compile(r"^\s+(?:-\w,)?(--[a-z][a-z0-9-]*)")
# A default as CLI11 prints it: "=value" at the end of "--flag TYPE[:CHECK]=value".
HELP_DEFAULT = re.compile(r"=(\S+)$")


def serve_help():
    out = subprocess.run([LECTOR_BIN, "serve", "--help"], capture_output=True, text=True,
                         timeout=30, check=True).stdout
    flags = {}
    for line in out.splitlines():
        m = HELP_FLAG.match(line)
        if not m or m.group(1) == "--help":
            continue
        # The default ends the flag's column; the description starts after a run of at least
        # two spaces (or on the next line), so "=" in a description is not taken.
        head = re.split(r"\s{2,}", line.strip(), maxsplit=1)[0]
        d = HELP_DEFAULT.search(head)
        flags[m.group(1)] = d.group(1) if d else None
    return out, flags


def readme_flags():
    """{flag: default} from the README's `lector serve` flag table."""
    with open(README, encoding="utf-8") as f:
        text = f.read()
    start = text.index("`lector serve` flags:")
    rows = {}
    for line in text[start:].splitlines()[1:]:
        if not line.strip():
            if rows:
                break
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        m = re.fullmatch(r"`(--[a-z][a-z0-9-]*)`", cells[0])
        if m:
            rows[m.group(1)] = cells[1]
    return rows


def run_serve(*args, timeout=30):
    """`lector serve` with args that must make it exit before it starts serving."""
    try:
        return subprocess.run([LECTOR_BIN, "serve", "--port", "0", "--engines", "espeak", *args],
                              capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        raise AssertionError(f"lector serve {' '.join(args)} kept running: the value was accepted") from e


class HelpMatchesReadmeTest(unittest.TestCase):
    def test_every_flag_is_documented_and_every_documented_flag_exists(self):
        out, help_flags = serve_help()
        documented = readme_flags()
        self.assertGreater(len(help_flags), 10, f"could not read the flags from --help:\n{out}")
        self.assertGreater(len(documented), 10, "could not read the README's flag table")
        self.assertEqual(sorted(set(help_flags) - set(documented)), [],
                         "flags in `lector serve --help` missing from the README's table")
        self.assertEqual(sorted(set(documented) - set(help_flags)), [],
                         "flags in the README's table that `lector serve --help` does not list")

    def test_defaults_agree(self):
        out, help_flags = serve_help()
        documented = readme_flags()
        compared = 0
        for flag, default in help_flags.items():
            if default is None or flag not in documented:
                continue
            with self.subTest(flag=flag):
                self.assertEqual(documented[flag], default,
                                 f"README default of {flag} differs from --help")
            compared += 1
        # Most flags print their default; if none were compared the parsing broke.
        self.assertGreaterEqual(compared, 10, f"compared only {compared} defaults; --help:\n{out}")


class FlagValidationTest(unittest.TestCase):
    BAD_POOLS = [
        "espeak=2x",     # std::stoi read this as 2
        "espeak= 2",     # leading space
        "espeak=+2",
        "espeak=2.0",
        "espeak=",       # no N
        "espeak",        # no '='
        "=2",            # no name
        "nope=2",        # unknown engine
        "espeak=257",    # out of 0..256
        "espeak=-1",
        "espeak=99999999999999999999",  # overflows int
    ]

    def test_malformed_pool_values_are_refused(self):
        for value in self.BAD_POOLS:
            with self.subTest(pool=value):
                r = run_serve("--pool", value)
                self.assertEqual(r.returncode, 2, f"stderr: {r.stderr}")
                self.assertIn("--pool", r.stderr)
                self.assertIn(f"'{value}'", r.stderr, "the message should quote the value")

    def test_max_buffered_bytes_is_range_checked(self):
        for value in ["100", "2x", "-1", str(2 ** 31)]:
            with self.subTest(value=value):
                r = run_serve("--max-buffered-bytes", value)
                self.assertNotEqual(r.returncode, 0)
                self.assertIn("--max-buffered-bytes", r.stdout + r.stderr)

    def test_good_pool_values_size_the_pools(self):
        # espeak=3 overrides --workers 1; flite=0 disables flite although --engines names it.
        with LectorServer(workers=1, engines="espeak,flite",
                          extra_args=["--pool", "espeak=3", "--pool", "flite=0"]) as server:
            engines = [w["engine"] for w in server.status()["workers"]]
            self.assertEqual(sorted(engines), ["espeak"] * 3)
            server.tts_pcm({"text": "Three workers."})
            server.assert_idle(expected_workers=3)


class MaxBufferedBytesTest(unittest.TestCase):
    """--max-buffered-bytes bounds the audio synthesized ahead for a client that reads
    nothing: with a large look-ahead, a small bound stops synthesis after fewer segments."""

    def stalled_segments(self, max_bytes):
        with LectorServer(workers=2, extra_args=["--cache-bytes", "0", "--lookahead", "64",
                                                 "--max-buffered-bytes", str(max_bytes)]) as server:
            with server.stream({"text": read_text("long")}, recv_size=4096, rcvbuf=16384) as s:
                status, _ = s.read_head()
                self.assertEqual(status, 200)
                progress = {"done": None, "since": 0.0}

                def stalled():
                    st = server.status()
                    now = time.monotonic()
                    if st["segments_done"] != progress["done"]:
                        progress["done"], progress["since"] = st["segments_done"], now
                        return None
                    return st if now - progress["since"] >= 1.0 else None
                st = wait_for(stalled, 60, interval=0.1, what="synthesis to stop for a stalled client")
            server.assert_idle()
            return st["segments_done"]

    def test_small_bound_stops_synthesis_sooner(self):
        small = self.stalled_segments(64 * 1024)
        large = self.stalled_segments(8 * 1024 * 1024)
        self.assertLess(small * 3, large, f"segments synthesized for a stalled client: {small} with "
                        f"a 64 KiB bound, {large} with 8 MiB")


if __name__ == "__main__":
    unittest.main()
