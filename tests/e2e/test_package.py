"""The Debian package: `cpack -G DEB` in the build tree of the binary under test produces a
.deb whose control data is right (Depends from dpkg-shlibdeps, the conffile, the maintainer
scripts), which unpacks into a scratch root (`dpkg-deb -x`) with the binary, the unit and the
configuration in place, and whose binary runs from there: `--version`, `serve --help`, and a
real `serve` answering /health.

Builds the package itself (bounded: cpack gets PACKAGE_TIMEOUT seconds), into a temporary
directory, so the build tree is left as it was."""

import glob
import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest
import urllib.request

from harness import HOST, LECTOR_BIN, free_port

BUILD_DIR = os.path.dirname(os.path.abspath(LECTOR_BIN))
PACKAGE_TIMEOUT = 300
NEEDED = ("cpack", "dpkg-deb", "dpkg-shlibdeps", "file")


def project_version():
    with open(os.path.join(BUILD_DIR, "CMakeCache.txt"), encoding="utf-8") as f:
        m = re.search(r"^CMAKE_PROJECT_VERSION:STATIC=(\S+)$", f.read(), re.M)
    return m.group(1) if m else None


@unittest.skipUnless(os.path.exists(os.path.join(BUILD_DIR, "CPackConfig.cmake")),
                     f"{BUILD_DIR} has no CPackConfig.cmake (not a CMake build tree of lector)")
@unittest.skipUnless(all(shutil.which(p) for p in NEEDED),
                     f"needs {', '.join(NEEDED)} (scripts/deps.sh build: cmake, dpkg-dev, file)")
class DebianPackageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tmp = tempfile.mkdtemp(prefix="lector-deb-")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, ignore_errors=True)
        out = os.path.join(cls.tmp, "out")
        try:
            r = subprocess.run(["cpack", "-G", "DEB", "-B", out], cwd=BUILD_DIR,
                               capture_output=True, text=True, timeout=PACKAGE_TIMEOUT)
        except subprocess.TimeoutExpired as e:
            raise AssertionError(f"cpack took over {PACKAGE_TIMEOUT} s") from e
        if r.returncode != 0:
            raise AssertionError(f"cpack failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
        debs = glob.glob(os.path.join(out, "*.deb"))
        if len(debs) != 1:
            raise AssertionError(f"expected one .deb in {out}, found {debs}; cpack said:\n{r.stdout}")
        cls.deb = debs[0]
        cls.root = os.path.join(cls.tmp, "root")
        subprocess.run(["dpkg-deb", "-x", cls.deb, cls.root], check=True, timeout=60)
        cls.control = os.path.join(cls.tmp, "control")
        subprocess.run(["dpkg-deb", "-e", cls.deb, cls.control], check=True, timeout=60)

    def field(self, name):
        return subprocess.run(["dpkg-deb", "-f", self.deb, name], capture_output=True, text=True,
                              check=True, timeout=30).stdout.strip()

    def test_control_fields(self):
        self.assertEqual(self.field("Package"), "lector")
        self.assertEqual(self.field("Version"), project_version())
        self.assertEqual(os.path.basename(self.deb),
                         f"lector_{project_version()}_{self.field('Architecture')}.deb")
        depends = [d.strip().split()[0] for d in self.field("Depends").split(",")]
        # From dpkg-shlibdeps: the libraries the binary links (libespeak-ng1 brings
        # espeak-ng-data, the default engine's voices).
        for lib in ("libc6", "libstdc++6", "libespeak-ng1", "libsoxr0", "libmp3lame0",
                    "libopusenc0", "libicu72"):
            self.assertIn(lib, depends, f"Depends: {self.field('Depends')}")
        # Debian names spdlog's library after the fmt it was built with (libspdlog1.10-fmt9).
        self.assertTrue(any(d.startswith("libspdlog") for d in depends), depends)
        self.assertIn("festival", self.field("Recommends"))

    @unittest.skipUnless(shutil.which("apt-get"), "needs apt-get")
    def test_depends_are_installable(self):
        # apt's simulation resolves the package's Depends against this machine's sources and
        # installed packages without installing anything.
        r = subprocess.run(["apt-get", "install", "--simulate", "--no-install-recommends", self.deb],
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertRegex(r.stdout, r"(?m)^Inst lector ")

    def test_conffile_and_maintainer_scripts(self):
        with open(os.path.join(self.control, "conffiles"), encoding="utf-8") as f:
            self.assertEqual(f.read().split(), ["/etc/lector/lector.toml"])
        for script in ("postinst", "prerm", "postrm"):
            path = os.path.join(self.control, script)
            self.assertTrue(os.access(path, os.X_OK), f"{script} missing or not executable")
            r = subprocess.run(["sh", "-n", path], capture_output=True, text=True, timeout=10)
            self.assertEqual(r.returncode, 0, f"{script}: {r.stderr}")

    def test_files_in_place(self):
        binary = os.path.join(self.root, "usr/bin/lector")
        self.assertTrue(os.access(binary, os.X_OK))
        unit = os.path.join(self.root, "usr/lib/systemd/system/lector.service")
        with open(unit, encoding="utf-8") as f:
            self.assertIn("ExecStart=/usr/bin/lector serve", f.read())
        self.assertTrue(os.path.isfile(os.path.join(self.root, "etc/lector/lector.toml")))
        self.assertTrue(os.path.isfile(os.path.join(self.root, "usr/share/doc/lector/README.md")))
        # Stripped: no debug sections in the packaged binary.
        info = subprocess.run(["file", "-b", binary], capture_output=True, text=True,
                              timeout=10).stdout
        self.assertIn("ELF", info)
        self.assertNotIn("with debug_info", info)
        # Nothing outside the three trees (cpack staging paths, the build tree).
        top = sorted(os.listdir(self.root))
        self.assertEqual(top, ["etc", "usr"])

    def test_unpacked_binary_runs(self):
        binary = os.path.join(self.root, "usr/bin/lector")
        r = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), project_version())
        r = subprocess.run([binary, "serve", "--help"], capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("--max-requests", r.stdout)

    @staticmethod
    def parent_of(pid):
        try:
            with open(f"/proc/{pid}/stat", encoding="utf-8", errors="replace") as f:
                stat = f.read()
        except OSError:
            return None
        return int(stat[stat.rindex(")") + 2:].split()[1])

    def test_unpacked_binary_serves(self):
        # The packaged binary spawns its workers from its own path (/proc/self/exe), so this is
        # the unpacked copy end to end.
        binary = os.path.join(self.root, "usr/bin/lector")
        port = free_port()
        # A binary with a Wyoming server would also listen on its default port 10200.
        help_text = subprocess.run([binary, "serve", "--help"], capture_output=True, text=True,
                                   timeout=30).stdout
        wyoming = ["--wyoming-port", "0"] if "--wyoming-port" in help_text else []
        proc = subprocess.Popen([binary, "serve", "--host", HOST, "--port", str(port),
                                 "--engines", "espeak", "--workers", "1", *wyoming],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 20
            while True:
                self.assertIsNone(proc.poll(), "the unpacked lector serve exited at start")
                try:
                    with urllib.request.urlopen(f"http://{HOST}:{port}/tts?text=Packaged",
                                                timeout=10) as resp:
                        body = resp.read()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.1)
            self.assertEqual(body[:4], b"RIFF")
            self.assertGreater(len(body), 44 + 4000)
            self.assertEqual(os.readlink(f"/proc/{proc.pid}/exe"), binary)
            workers = [pid for pid in os.listdir("/proc") if pid.isdigit()
                       and self.parent_of(pid) == proc.pid]
            self.assertTrue(workers)
            for pid in workers:
                self.assertEqual(os.readlink(f"/proc/{pid}/exe"), binary)
        finally:
            proc.terminate()
            _, err = proc.communicate(timeout=15)
        self.assertEqual(proc.returncode, 0, err.decode(errors="replace")[-2000:])


if __name__ == "__main__":
    unittest.main()
