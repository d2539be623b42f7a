"""/openapi.json against the running server: every documented route answers its documented
methods (never 404 or 405) and refuses the others with 405; every documented /tts parameter is
one the server reads, with the documented range (a value just outside it is a 400 naming the
parameter and that range); /docs and Swagger UI's files are served from the server itself with
their content types, under a Content-Security-Policy that allows scripts from this server only.
(The page rendering in a browser is tests/browser's.)"""

import json
import os
import re
import unittest

from harness import ServerTestCase, tts_path

WEBSOCKETS = {"/v1/stream", "/ws"}
# Where the build takes Swagger UI from: when it is there, /docs must be served.
SWAGGER_DIST = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "third_party",
                            "swagger-ui", "node_modules", "swagger-ui-dist", "swagger-ui-bundle.js")
METHODS = ("get", "post", "put", "delete", "patch")

# A value the server must refuse for each /tts parameter without a numeric range.
INVALID = {"engine": "no-such-engine", "voice": "no-such-voice", "format": "wma",
           "ssml": "perhaps", "complete": "perhaps", "text": "", "normalize": "perhaps",
           "read_code": "perhaps", "emoji_names": "perhaps"}


class OpenApiTest(ServerTestCase):
    workers = 1

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        status, headers, body = cls.server.request("GET", "/openapi.json")
        assert status == 200, status
        assert headers["content-type"].startswith("application/json"), headers
        cls.doc = json.loads(body)

    def parameters(self, path, method):
        out = []
        for p in self.doc["paths"][path][method].get("parameters", []):
            if "$ref" in p:
                p = self.doc["components"]["parameters"][p["$ref"].rsplit("/", 1)[1]]
            out.append(p)
        return out

    def test_document_is_openapi_3(self):
        self.assertTrue(self.doc["openapi"].startswith("3."))
        self.assertIn("/tts", self.doc["paths"])
        self.assertIn("Error", self.doc["components"]["schemas"])

    def test_every_documented_route_answers_its_methods_and_only_those(self):
        for path, item in self.doc["paths"].items():
            if path in WEBSOCKETS:
                continue
            if path.startswith("/docs") and not os.path.exists(SWAGGER_DIST):
                continue  # built without Swagger UI: test_docs_and_assets says so
            for method in METHODS:
                with self.subTest(path=path, method=method):
                    body = b"{}" if method == "post" else None
                    headers = {"Content-Type": "application/json"} if method == "post" else None
                    status, hdrs, data = self.server.request(method.upper(), path, body=body,
                                                             headers=headers)
                    if method in item:
                        self.assertNotIn(status, (404, 405), data[:200])
                        self.assertIn(str(status), item[method]["responses"],
                                      f"{status} is not documented: {data[:200]!r}")
                    else:
                        self.assertEqual(status, 405, data[:200])

    def test_websocket_routes_upgrade(self):
        for path in WEBSOCKETS:
            with self.subTest(path=path):
                self.assertIn("101", self.doc["paths"][path]["get"]["responses"])
                # Without the upgrade headers the path is not an HTTP route.
                self.assertEqual(self.server.request("GET", path)[0], 404)

    def test_every_tts_parameter_is_read_with_its_documented_range(self):
        params = [p for p in self.parameters("/tts", "get") if p["in"] == "query"]
        self.assertGreaterEqual(len(params), 10)
        for p in params:
            name, schema = p["name"], p["schema"]
            with self.subTest(parameter=name):
                if "maximum" in schema:
                    bad = schema["maximum"] + (1 if schema["type"] == "integer" else 0.5)
                    lo, hi = schema["minimum"], schema["maximum"]
                    status, _, body = self.server.tts({"text": "x", name: bad})
                    self.assert_error((status, _, body), 400, contains=f"parameter '{name}'")
                    self.assertIn(f"out of range [{lo:g}, {hi:g}]", json.loads(body)["error"])
                    if "default" in schema:
                        self.assertTrue(lo <= schema["default"] <= hi)
                else:
                    query = {"text": "x", name: INVALID[name]}
                    self.assert_error(self.server.tts(query), 400, contains=f"parameter '{name}'")

    def test_documented_formats_are_the_accepted_ones(self):
        formats = next(p for p in self.parameters("/tts", "get") if p["name"] == "format")
        for fmt in formats["schema"]["enum"]:
            with self.subTest(format=fmt):
                status, headers, _ = self.server.request("HEAD", tts_path({"text": "x",
                                                                         "format": fmt}))
                self.assertEqual(status, 200)

    def test_docs_and_assets(self):
        status, headers, page = self.server.request("GET", "/docs")
        if status == 404 and not os.path.exists(SWAGGER_DIST):
            self.skipTest("built without Swagger UI (no npm): " + json.loads(page)["error"])
        self.assertEqual(status, 200)
        self.assertTrue(headers["content-type"].startswith("text/html"))
        policy = headers["content-security-policy"]
        self.assertIn("script-src 'self'", policy)
        html = page.decode()
        self.assertNotIn("<script>", html)  # no inline script: the policy would block it
        assets = re.findall(r'(?:src|href)="([^"]+)"', html)
        self.assertEqual(set(assets), {"docs/swagger-ui.css", "docs/swagger-ui-bundle.js",
                                       "docs/init.js"})
        expected = {"css": "text/css", "js": "text/javascript"}
        for asset in assets:
            with self.subTest(asset=asset):
                self.assertFalse(asset.startswith(("http:", "https:", "//")))
                status, headers, body = self.server.request("GET", "/" + asset)
                self.assertEqual(status, 200)
                self.assertTrue(headers["content-type"].startswith(expected[asset.rsplit(".", 1)[1]]))
                self.assertEqual(int(headers["content-length"]), len(body))
                self.assertNotIn(b"unpkg.com", body[:1000])
        status, _, init = self.server.request("GET", "/docs/init.js")
        self.assertIn(b"openapi.json", init)
        status, _, bundle = self.server.request("GET", "/docs/swagger-ui-bundle.js")
        self.assertIn(b"SwaggerUIBundle", bundle)
        self.assertGreater(len(bundle), 500_000)


if __name__ == "__main__":
    unittest.main()
