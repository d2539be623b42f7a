"""Configuration: every `lector serve` flag also comes from a TOML file (--config) and from
LECTOR_* variables, flag > environment > file > default; --print-config prints the effective
configuration (keys redacted) and exits 0; a bad value or an unknown key stops the server at
start, naming the key and where it came from."""

import os
import subprocess
import tempfile
import tomllib
import unittest

from harness import LECTOR_BIN, LectorServer, tts_path


def write_temp(text, suffix=".toml"):
    fd, path = tempfile.mkstemp(prefix="lector-config-", suffix=suffix)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    return path


def clean_env(**extra):
    """The environment without LECTOR_* variables (the tests' own LECTOR_BIN would warn), plus
    `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LECTOR_")}
    env.update(extra)
    return env


def serve(*args, env=None, timeout=30):
    try:
        return subprocess.run([LECTOR_BIN, "serve", *args], capture_output=True, text=True,
                              timeout=timeout, env=env if env is not None else clean_env())
    except subprocess.TimeoutExpired as e:
        raise AssertionError(f"lector serve {' '.join(args)} kept running") from e


def printed(*args, env=None):
    r = serve(*args, "--print-config", env=env)
    if r.returncode != 0:
        raise AssertionError(f"--print-config exited {r.returncode}: {r.stderr}")
    return r.stdout, tomllib.loads(r.stdout)


class PrintConfigTest(unittest.TestCase):
    def test_defaults_as_toml(self):
        text, config = printed()
        self.assertEqual(config["max_requests"], 128)
        self.assertEqual(config["port"], 8000)
        self.assertEqual(config["host"], "127.0.0.1")
        self.assertEqual(config["header_timeout"], 10)
        self.assertEqual(config["max_connections"], 1024)
        self.assertIs(config["auth_all"], False)
        self.assertNotIn("config", config)
        self.assertNotIn("print_config", config)
        # Every flag of --help is there (set, or commented out when it has no default).
        help_text = serve("--help").stdout
        for line in help_text.splitlines():
            line = line.strip()
            if line.startswith("--") and not line.startswith(("--help", "--config",
                                                              "--print-config")):
                key = line.split()[0][2:].replace("-", "_")
                self.assertRegex(text, rf"(?m)^(# )?{key} =", f"{key} missing from --print-config")

    def test_keys_are_redacted(self):
        text, config = printed("--api-key", "sk-very-secret-1", "--api-key", "sk-very-secret-2")
        self.assertNotIn("sk-very-secret", text)
        self.assertEqual(config["api_key"], ["<redacted>", "<redacted>"])


class PrecedenceTest(unittest.TestCase):
    def setUp(self):
        self.file = write_temp('max_requests = 7\nlookahead = 2\ncors_origin = ["https://a.example"]\n'
                               'engines = ["espeak"]\nauth_all = true\n')
        self.addCleanup(os.unlink, self.file)

    def test_flag_over_env_over_file_over_default(self):
        env = clean_env(LECTOR_MAX_REQUESTS="8", LECTOR_LOOKAHEAD="3", LECTOR_CONFIG=self.file)
        _, c = printed("--max-requests", "9", env=env)
        self.assertEqual((c["max_requests"], c["lookahead"]), (9, 3))
        _, c = printed(env=env)
        self.assertEqual((c["max_requests"], c["lookahead"]), (8, 3))
        _, c = printed("--config", self.file)
        self.assertEqual((c["max_requests"], c["lookahead"]), (7, 2))
        self.assertEqual(c["cors_origin"], ["https://a.example"])
        self.assertIs(c["auth_all"], True)
        _, c = printed()
        self.assertEqual((c["max_requests"], c["lookahead"]), (128, 4))
        # The printed file says where each value came from, and reads back.
        text, c = printed("--config", self.file, "--lookahead", "5",
                          env=clean_env(LECTOR_MAX_REQUESTS="8"))
        self.assertIn("# from LECTOR_MAX_REQUESTS", text)
        self.assertIn(f'cors_origin = ["https://a.example"]  # from {self.file}:3', text)
        self.assertIn("lookahead = 5  # from --lookahead", text)
        again = write_temp(text)
        self.addCleanup(os.unlink, again)
        _, back = printed("--config", again)
        self.assertEqual(back, c)

    def test_running_server_uses_file_and_environment(self):
        path = write_temp("max_text_chars = 12\n")
        self.addCleanup(os.unlink, path)
        os.environ["LECTOR_OPENAI_MAX_INPUT"] = "5"
        try:
            with LectorServer(workers=1, extra_args=["--config", path]) as server:
                status, _, body = server.tts({"text": "This text is too long."})
                self.assertEqual(status, 400)
                self.assertIn(b"text", body)
                status, _, _ = server.tts({"text": "Short."})
                self.assertEqual(status, 200)
                status, _, body = server.request(
                    "POST", "/v1/audio/speech", body='{"input": "Too long"}',
                    headers={"Content-Type": "application/json"})
                self.assertEqual(status, 400)
                self.assertIn(b"input", body)
                server.assert_idle()
        finally:
            del os.environ["LECTOR_OPENAI_MAX_INPUT"]


class ExamplesTest(unittest.TestCase):
    def test_example_files_are_valid(self):
        root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
        r = subprocess.run([LECTOR_BIN, "serve", "--config", "examples/lector.toml",
                            "--print-config"], capture_output=True, text=True, timeout=30,
                           cwd=root, env=clean_env())
        self.assertEqual(r.returncode, 0, r.stderr)
        config = tomllib.loads(r.stdout)
        self.assertEqual(config["max_requests"], 256)
        self.assertEqual(config["keys_file"], "examples/keys.toml")
        self.assertEqual(config["engines"], ["espeak", "flite"])


class InvalidConfigTest(unittest.TestCase):
    def check(self, r, *needles):
        self.assertEqual(r.returncode, 2, f"stdout {r.stdout[:200]!r} stderr {r.stderr!r}")
        for needle in needles:
            self.assertIn(needle, r.stderr)

    def test_bad_values_name_key_and_source(self):
        path = write_temp("host = \"127.0.0.1\"\nmax_requests = 0\n")
        self.addCleanup(os.unlink, path)
        self.check(serve("--config", path, "--print-config"), f"{path}:2", "max_requests")
        self.check(serve("--print-config", env=clean_env(LECTOR_LOOKAHEAD="lots")),
                   "LECTOR_LOOKAHEAD", "lots")
        self.check(serve("--print-config", env=clean_env(LECTOR_POOL="espeak=x")),
                   "--pool (LECTOR_POOL)", "espeak=x")
        self.check(serve("--print-config", env=clean_env(LECTOR_RATE_LIMIT="fast")),
                   "--rate-limit (LECTOR_RATE_LIMIT)")

    def test_unknown_keys_and_syntax_errors(self):
        path = write_temp("# a comment\n\nmax_requestz = 5\n")
        self.addCleanup(os.unlink, path)
        self.check(serve("--config", path), f"{path}:3", "unknown key 'max_requestz'")
        broken = write_temp("max_requests = [1,\n")
        self.addCleanup(os.unlink, broken)
        self.check(serve("--config", broken), f"{broken}:")
        self.check(serve("--config", "/nonexistent/lector.toml"), "/nonexistent/lector.toml")

    def test_bad_keys_file(self):
        keys = write_temp('[[key]]\nname = "a"\nkey = "k-1"\nadmin = "yes"\n')
        self.addCleanup(os.unlink, keys)
        self.check(serve("--keys-file", keys, "--print-config"), "--keys-file", f"{keys}:4",
                   "'admin'")

    def test_unknown_variables_warn(self):
        r = serve("--print-config", env=clean_env(LECTOR_MAX_REQUESTZ="5"))
        self.assertEqual(r.returncode, 0)
        self.assertIn("LECTOR_MAX_REQUESTZ", r.stderr)


if __name__ == "__main__":
    unittest.main()
