"""API keys: every synthesis route (and both WebSockets) answers 401 without a key or with a
wrong one, in the route's error shape, and serves the right key from the Authorization header
(or ?api_key= on a WebSocket); catalog routes stay open unless --auth-all; /set_engine and
/setvoice need an admin key; keys never reach the log."""

import json
import os
import tempfile

from harness import ServerTestCase, tts_path
from wsclient import WsClient

OPERATOR_KEY = "op-8d1f0c2a9e"
ALICE_KEY = "alice-5b7e3d91"

KEYS_FILE = f"""
[[key]]
name = "alice"
key = "{ALICE_KEY}"
"""


def write_keys_file(text):
    fd, path = tempfile.mkstemp(prefix="lector-keys-", suffix=".toml")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    return path


def bearer(key):
    return {"Authorization": f"Bearer {key}"}


class KeysTest(ServerTestCase):
    workers = 2
    keys_file = write_keys_file(KEYS_FILE)
    extra_args = ("--api-key", OPERATOR_KEY, "--keys-file", keys_file)

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        os.unlink(cls.keys_file)

    # Each synthesis route as (method, path, body, headers) that succeeds with a key.
    ROUTES = [
        ("GET", tts_path({"text": "Hello."}), None, {}),
        ("POST", "/tts", json.dumps({"text": "Hello."}), {"Content-Type": "application/json"}),
        ("POST", "/tts", "Hello.", {"Content-Type": "text/plain"}),
        ("POST", "/v1/audio/speech", json.dumps({"model": "tts-1", "input": "Hello.",
                                                 "voice": "alloy"}),
         {"Content-Type": "application/json"}),
        ("GET", "/process?INPUT_TEXT=Hello.", None, {}),
    ]

    def assert_unauthorized(self, result, openai):
        status, headers, body = result
        self.assertEqual(status, 401, body[:300])
        self.assertTrue(headers.get("www-authenticate", "").startswith("Bearer"), headers)
        parsed = json.loads(body)
        if openai:
            # OpenAI's shape, which its SDKs turn into an AuthenticationError.
            self.assertEqual(parsed["error"]["type"], "invalid_request_error")
            self.assertEqual(parsed["error"]["code"], "invalid_api_key")
            self.assertIsNone(parsed["error"]["param"])
            self.assertIsInstance(parsed["error"]["message"], str)
        else:
            self.assertIsInstance(parsed["error"], str)
        return parsed

    def test_synthesis_routes_need_a_key(self):
        for method, path, body, headers in self.ROUTES:
            for label, auth in [("no key", {}), ("wrong key", bearer("nope-nope")),
                                ("wrong scheme", {"Authorization": f"Basic {OPERATOR_KEY}"}),
                                ("key prefix", bearer(ALICE_KEY[:-1]))]:
                with self.subTest(route=f"{method} {path[:30]}", case=label):
                    result = self.server.request(method, path, body=body,
                                                 headers={**headers, **auth})
                    self.assert_unauthorized(result, openai=path.startswith("/v1/"))

    def test_synthesis_routes_serve_the_right_keys(self):
        for method, path, body, headers in self.ROUTES:
            for key in (OPERATOR_KEY, ALICE_KEY):
                with self.subTest(route=f"{method} {path[:30]}", key=key[:5]):
                    status, hdrs, data = self.server.request(method, path, body=body,
                                                             headers={**headers, **bearer(key)})
                    self.assertEqual(status, 200, data[:300])
                    self.assertGreater(len(data), 1000)
        # Any case for the scheme (RFC 7235).
        status, _, _ = self.server.request("GET", tts_path({"text": "Hi."}),
                                           headers={"Authorization": f"bearer {ALICE_KEY}"})
        self.assertEqual(status, 200)

    def test_websockets_need_a_key_by_header_or_query(self):
        for path in ("/v1/stream", "/ws"):
            for label, query, headers in [("none", "", {}), ("wrong", "?api_key=nope", {}),
                                          ("wrong header", "", bearer("nope"))]:
                with self.subTest(path=path, case=label):
                    with self.assertRaises(ConnectionRefusedError) as cm:
                        WsClient(self.server.port, path + query, headers=headers)
                    self.assertIn(" 401 ", str(cm.exception))
        # The right key, as a header and as a query parameter: audio comes back.
        for query, headers in [("", bearer(ALICE_KEY)), (f"?api_key={OPERATOR_KEY}", {})]:
            with self.subTest(query=query):
                with WsClient(self.server.port, "/v1/stream" + query, headers=headers) as ws:
                    ws.send_json({"type": "text", "text": "Hello there."})
                    ws.send_json({"type": "end"})
                    audio = 0
                    while True:
                        kind, payload = ws.recv_event()
                        if kind == "audio":
                            audio += len(payload)
                        elif payload["type"] in ("done", "error"):
                            self.assertEqual(payload["type"], "done", payload)
                            break
                    self.assertGreater(audio, 1000)
                with WsClient(self.server.port, "/ws" + query, headers=headers) as ws:
                    ws.send_text("Hello.")
                    while True:
                        _, payload = ws.recv()
                        if b"finalOutput" in payload:
                            break
                        self.assertIn(b"audioOutput", payload)

    def test_catalog_routes_and_probes_stay_open(self):
        for path in ("/engines", "/voices", "/api/voices", "/v1/models", "/health", "/status", "/"):
            with self.subTest(path=path):
                status, _, body = self.server.request("GET", path)
                self.assertEqual(status, 200, body[:200])

    def test_defaults_need_an_admin_key(self):
        path = "/setvoice?voice_name=en-us"
        self.assert_unauthorized(self.server.request("GET", path), openai=False)
        status, _, body = self.server.request("GET", path, headers=bearer(ALICE_KEY))
        self.assertEqual(status, 403, body)
        self.assertIn("alice", json.loads(body)["error"])
        status, _, body = self.server.request("GET", "/set_engine?engine_name=espeak",
                                              headers=bearer(ALICE_KEY))
        self.assertEqual(status, 403, body)
        status, _, body = self.server.request("GET", path, headers=bearer(OPERATOR_KEY))
        self.assertEqual(status, 200, body)

    def test_keys_never_reach_the_log(self):
        self.server.request("GET", tts_path({"text": "Log test."}), headers=bearer(ALICE_KEY))
        self.server.request("GET", tts_path({"text": "Log test."}), headers=bearer("wrong-key-x"))
        log = self.server.log()
        self.assertNotIn(ALICE_KEY, log)
        self.assertNotIn(OPERATOR_KEY, log)
        self.assertNotIn("wrong-key-x", log)
        self.assertIn("alice", log, "the start-up line names the keys")


class AuthAllTest(ServerTestCase):
    workers = 1
    extra_args = ("--api-key", OPERATOR_KEY, "--auth-all")
    headers = bearer(OPERATOR_KEY)  # the harness's own /status requests

    def test_every_route_but_the_probes_needs_a_key(self):
        no_key = {"Authorization": ""}
        for path in ("/engines", "/voices", "/v1/models", "/status", "/"):
            with self.subTest(path=path):
                status, headers, body = self.server.request("GET", path, headers=no_key)
                self.assertEqual(status, 401, body[:200])
                self.assertTrue(headers.get("www-authenticate", "").startswith("Bearer"))
                status, _, _ = self.server.request("GET", path)  # with the key
                self.assertEqual(status, 200)
        status, _, _ = self.server.request("GET", "/health", headers=no_key)
        self.assertEqual(status, 200)


if __name__ == "__main__":
    import unittest
    unittest.main()
