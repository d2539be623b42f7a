"""The deployment files in deploy/ agree with the binary and with each other: the Kubernetes
manifests parse and probe the right paths on the right ports, the Dockerfile builds on Debian 12
slim as a non-root user with its health check on /livez, the systemd unit passes
`systemd-analyze verify` and scores well in `systemd-analyze security`, and the default
configuration names only real flags with their real defaults. Tools that are missing (python3-yaml,
kubectl, a Docker daemon, systemd-analyze) skip their part with the reason.

(The nginx example runs for real in test_scaleout.py; the .deb is built in test_package.py.)"""

import os
import re
import shutil
import subprocess
import tempfile
import tomllib
import unittest

from harness import LECTOR_BIN

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
DEPLOY = os.path.join(ROOT, "deploy")

# Flags the deployment files may use before the binary has them (none now: every flag they
# use must be in --help).
PENDING_FLAGS = set()

try:
    import yaml
except ImportError:  # python3-yaml (scripts/deps.sh test)
    yaml = None


def serve_help():
    """{flag: default or None} from `lector serve --help`."""
    out = subprocess.run([LECTOR_BIN, "serve", "--help"], capture_output=True, text=True,
                         timeout=30, check=True).stdout
    flags = {}
    for line in out.splitlines():
        m = re.match(r"^\s+(?:-\w,)?(--[a-z][a-z0-9-]*)", line)
        if m:
            head = re.split(r"\s{2,}", line.strip(), maxsplit=1)[0]
            d = re.search(r"=(\S+)$", head)
            flags[m.group(1)] = d.group(1) if d else None
    return flags


def read(*parts):
    with open(os.path.join(DEPLOY, *parts), encoding="utf-8") as f:
        return f.read()


@unittest.skipUnless(yaml, "needs python3-yaml (scripts/deps.sh test)")
class KubernetesManifestsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.docs = {}
        for name in ("deployment.yaml", "service.yaml", "hpa.yaml", "kustomization.yaml"):
            docs = [d for d in yaml.safe_load_all(read("kubernetes", name)) if d]
            assert len(docs) == 1, f"{name}: expected one document, found {len(docs)}"
            cls.docs[docs[0]["kind"]] = docs[0]
        cls.deployment = cls.docs["Deployment"]
        cls.pod = cls.deployment["spec"]["template"]["spec"]
        cls.container = cls.pod["containers"][0]

    def test_kinds_and_kustomization(self):
        self.assertEqual(sorted(self.docs), ["Deployment", "HorizontalPodAutoscaler",
                                             "Kustomization", "Service"])
        self.assertEqual(sorted(self.docs["Kustomization"]["resources"]),
                         ["deployment.yaml", "hpa.yaml", "service.yaml"])

    def test_probes(self):
        ports = {p["name"]: p["containerPort"] for p in self.container["ports"]}
        self.assertEqual(ports, {"http": 8000, "wyoming": 10200})
        expected = {"livenessProbe": "/livez", "readinessProbe": "/readyz", "startupProbe": "/livez"}
        for probe, path in expected.items():
            with self.subTest(probe=probe):
                get = self.container[probe]["httpGet"]
                self.assertEqual(get["path"], path)
                self.assertIn(get["port"], ("http", 8000))

    def test_args_are_real_flags_matching_the_ports(self):
        args = self.container["args"]
        self.assertEqual(args[0], "serve")
        help_flags = serve_help()
        values = {}
        for arg in args[1:]:
            flag, _, value = arg.partition("=")
            with self.subTest(arg=arg):
                self.assertTrue(flag in help_flags or flag in PENDING_FLAGS,
                                f"{flag} is not a `lector serve` flag")
            values.setdefault(flag, []).append(value)
        self.assertEqual(values["--host"], ["0.0.0.0"])
        self.assertEqual(values["--port"], ["8000"])
        self.assertEqual(values["--wyoming-port"], ["10200"])
        # The pools match the CPUs requested (espeak and flite: one worker per CPU).
        cpus = int(self.container["resources"]["requests"]["cpu"])
        pools = dict(p.split("=") for p in values["--pool"])
        self.assertEqual(pools, {"espeak": str(cpus), "flite": str(cpus), "festival": "1"})

    def test_resources_and_security(self):
        res = self.container["resources"]

        def mib(q):
            m = re.fullmatch(r"(\d+)(Mi|Gi)", q)
            return int(m.group(1)) * (1024 if m.group(2) == "Gi" else 1)
        self.assertGreaterEqual(mib(res["requests"]["memory"]), 463, "below the measured peak")
        self.assertGreater(mib(res["limits"]["memory"]), mib(res["requests"]["memory"]))
        sc = self.pod["securityContext"]
        self.assertTrue(sc["runAsNonRoot"])
        m = re.search(r"(?m)^USER (\d+):(\d+)$", read("Dockerfile"))
        self.assertEqual((sc["runAsUser"], sc["runAsGroup"]), (int(m.group(1)), int(m.group(2))))
        self.assertFalse(self.container["securityContext"]["allowPrivilegeEscalation"])
        # Longer than the drain deadline, so a pod scaled away finishes its streams.
        drain = int(next(a.split("=")[1] for a in self.container["args"]
                         if a.startswith("--drain-timeout=")))
        self.assertGreater(self.pod["terminationGracePeriodSeconds"], drain)

    def test_service_and_autoscaler_point_at_the_deployment(self):
        labels = self.deployment["spec"]["template"]["metadata"]["labels"]
        svc = self.docs["Service"]["spec"]
        for k, v in svc["selector"].items():
            self.assertEqual(labels.get(k), v)
        self.assertEqual({p["targetPort"]: p["port"] for p in svc["ports"]},
                         {"http": 8000, "wyoming": 10200})
        hpa = self.docs["HorizontalPodAutoscaler"]["spec"]
        self.assertEqual(hpa["scaleTargetRef"]["kind"], "Deployment")
        self.assertEqual(hpa["scaleTargetRef"]["name"], self.deployment["metadata"]["name"])
        self.assertEqual(hpa["metrics"][0]["resource"]["name"], "cpu")
        self.assertGreaterEqual(hpa["minReplicas"], 2)

    @unittest.skipUnless(shutil.which("kubectl"), "kubectl is not installed (not in Debian 12)")
    def test_kustomize_renders(self):
        out = subprocess.run(["kubectl", "kustomize", os.path.join(DEPLOY, "kubernetes")],
                             capture_output=True, text=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        kinds = sorted(d["kind"] for d in yaml.safe_load_all(out.stdout) if d)
        self.assertEqual(kinds, ["Deployment", "HorizontalPodAutoscaler", "Service"])


def docker_daemon():
    if not shutil.which("docker"):
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=20).returncode == 0
    except subprocess.TimeoutExpired:
        return False


class DockerfileTest(unittest.TestCase):
    def setUp(self):
        super().setUp()
        self.text = read("Dockerfile")

    def test_stages_user_ports_health_check(self):
        self.assertEqual(re.findall(r"(?m)^FROM (\S+)", self.text),
                         ["debian:bookworm-slim", "debian:bookworm-slim"])
        user = re.findall(r"(?m)^USER (\S+)", self.text)
        self.assertEqual(len(user), 1)
        self.assertNotIn(user[0].split(":")[0], ("0", "root"))
        self.assertEqual(re.findall(r"(?m)^EXPOSE (.+)$", self.text), ["8000 10200"])
        health = re.search(r"(?ms)^HEALTHCHECK .*?CMD (.+?)$", self.text).group(1)
        self.assertIn("http://127.0.0.1:8000/livez", health)
        self.assertIn('"serve", "--host", "0.0.0.0", "--port", "8000"', self.text)

    def test_copied_paths_exist_and_deps_groups_are_known(self):
        for line in re.findall(r"(?m)^COPY (?!--from)(.+)$", self.text):
            for src in line.split()[:-1]:
                with self.subTest(src=src):
                    self.assertTrue(os.path.exists(os.path.join(ROOT, src)), src)
        with open(os.path.join(ROOT, "scripts", "deps.sh"), encoding="utf-8") as f:
            groups = set(re.findall(r"(?m)^\s+(\w+)\)", f.read()))
        used = re.findall(r"deps\.sh (\w+)", self.text)
        self.assertEqual(sorted(set(used)), ["build", "voices"])
        self.assertLessEqual(set(used), groups)

    @unittest.skipUnless(docker_daemon(), "no Docker daemon here: the Dockerfile is only checked "
                         "statically")
    def test_image_builds_and_runs(self):
        tag = "lector-test:deploy"
        r = subprocess.run(["docker", "build", "-f", os.path.join(DEPLOY, "Dockerfile"), "-t", tag,
                            ROOT], capture_output=True, text=True, timeout=3600)
        self.assertEqual(r.returncode, 0, r.stderr[-4000:])
        r = subprocess.run(["docker", "run", "--rm", tag, "--version"], capture_output=True,
                           text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)


@unittest.skipUnless(shutil.which("systemd-analyze"), "systemd-analyze is not installed")
class SystemdUnitTest(unittest.TestCase):
    def setUp(self):
        super().setUp()
        self.text = read("lector.service")

    def test_sandboxing_directives(self):
        for directive in ("DynamicUser=yes", "ProtectSystem=strict", "PrivateTmp=yes",
                          "NoNewPrivileges=yes", "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
                          "ExecStart=/usr/bin/lector serve --config /etc/lector/lector.toml"):
            self.assertRegex(self.text, rf"(?m)^{re.escape(directive)}$")
        self.assertRegex(self.text, r"(?m)^MemoryMax=\d+[MG]$")

    def test_verify(self):
        # verify checks that ExecStart's program exists: point it at the binary under test.
        with tempfile.TemporaryDirectory() as tmp:
            unit = os.path.join(tmp, "lector.service")
            with open(unit, "w", encoding="utf-8") as f:
                f.write(self.text.replace("ExecStart=/usr/bin/lector",
                                          f"ExecStart={os.path.abspath(LECTOR_BIN)}"))
            r = subprocess.run(["systemd-analyze", "verify", unit], capture_output=True,
                               text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(r.stderr.strip(), "")

    def test_security_exposure(self):
        r = subprocess.run(["systemd-analyze", "security", "--offline=true", "--no-pager",
                            os.path.join(DEPLOY, "lector.service")],
                           capture_output=True, text=True, timeout=60)
        m = re.search(r"Overall exposure level for lector\.service: (\d+\.\d+)", r.stdout)
        if m is None and "--offline" in r.stderr:
            self.skipTest("this systemd-analyze has no --offline (systemd < 250)")
        self.assertIsNotNone(m, r.stdout + r.stderr)
        # 0 is fully locked down, 10 is unprotected; systemd calls below 2 "OK".
        self.assertLessEqual(float(m.group(1)), 2.0, r.stdout)


class DefaultConfigTest(unittest.TestCase):
    def test_every_key_is_a_flag_with_its_default(self):
        text = read("lector.toml")
        self.assertEqual(tomllib.loads(text), {}, "the shipped file sets nothing")
        # Uncommented, the examples must parse and name real flags.
        keys = re.findall(r"(?m)^#([a-z_]+) = (.+)$", text)
        self.assertGreater(len(keys), 10)
        values = tomllib.loads("\n".join(f"{k} = {v}" for k, v in keys))
        help_flags = serve_help()
        for key, value in values.items():
            flag = "--" + key.replace("_", "-")
            with self.subTest(key=key):
                self.assertTrue(flag in help_flags or flag in PENDING_FLAGS,
                                f"{key}: {flag} is not a `lector serve` flag")
                if help_flags.get(flag) is not None and not isinstance(value, list):
                    self.assertEqual(str(value), help_flags[flag], f"{key} is not the default")


if __name__ == "__main__":
    unittest.main()
