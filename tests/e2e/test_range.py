"""Range requests and complete=1 on /tts (Safari and iOS play audio only from servers that
answer Range): exact 206 slices of the whole encoded body in every format, 416 past the end,
a multi-range answered whole, one synthesis for all the ranges of one request (the range
cache), and the streamed answer unchanged without either."""

import json
import unittest

from audio_decode import decode
from harness import ServerTestCase, parse_wav, tts_path

FORMATS = ("wav", "pcm", "mp3", "opus", "flac")


class RangeTest(ServerTestCase):
    workers = 1

    def get(self, params, range_header=None, method="GET"):
        headers = {"Range": range_header} if range_header else None
        return self.server.request(method, tts_path(params), headers=headers)

    def requests_total(self):
        return self.server.status()["requests_total"]

    def whole(self, params):
        """The size-exact body of complete=1."""
        status, headers, body = self.get({**params, "complete": "1"})
        self.assertEqual(status, 200, body[:200])
        self.assertEqual(int(headers["content-length"]), len(body))
        self.assertNotIn("transfer-encoding", headers)
        self.assertEqual(headers["accept-ranges"], "bytes")
        return body

    def assert_partial(self, result, first, last, whole):
        status, headers, body = result
        self.assertEqual(status, 206, body[:200])
        self.assertEqual(headers["content-range"], f"bytes {first}-{last}/{len(whole)}")
        self.assertEqual(int(headers["content-length"]), last - first + 1)
        self.assertEqual(body, whole[first:last + 1])
        self.assertEqual(headers["accept-ranges"], "bytes")

    def test_complete_wav_has_exact_sizes_and_the_streamed_audio(self):
        params = {"text": "Complete bodies carry their length."}
        body = self.whole(params)
        rate, channels, bits, pcm = parse_wav(body, expect_unknown_sizes=False)
        self.assertEqual((rate, channels, bits), (22050, 1, 16))
        status, headers, streamed = self.get(params)
        self.assertEqual(status, 200)
        self.assertEqual(headers.get("transfer-encoding"), "chunked")
        self.assertEqual(headers["accept-ranges"], "bytes")
        self.assertEqual(parse_wav(streamed, expect_unknown_sizes=True)[3], pcm)

    def test_first_range_synthesizes_once_and_the_next_come_from_the_cache(self):
        params = {"text": "Safari asks for two bytes first, then for the rest."}
        before = self.requests_total()
        status, headers, head = self.get(params, "bytes=0-1")
        self.assertEqual(status, 206, head[:200])
        self.assertEqual(head, b"RI")
        total = int(headers["content-range"].rsplit("/", 1)[1])
        self.assertEqual(headers["content-range"], f"bytes 0-1/{total}")
        self.assertEqual(self.requests_total(), before + 1)

        status, headers, rest = self.get(params, "bytes=2-")
        self.assertEqual(status, 206)
        self.assertEqual(headers["content-range"], f"bytes 2-{total - 1}/{total}")
        whole = head + rest
        self.assertEqual(len(whole), total)
        self.assert_partial(self.get(params, "bytes=100-199"), 100, 199, whole)
        self.assert_partial(self.get(params, "bytes=-10"), total - 10, total - 1, whole)
        self.assert_partial(self.get(params, f"bytes=40-{total + 5000}"), 40, total - 1, whole)
        self.assertEqual(self.whole(params), whole)
        # Every answer after the first came from the range cache: no synthesis ran.
        self.assertEqual(self.requests_total(), before + 1)
        # The ranges put together are the streamed audio in a size-exact WAV.
        pcm = parse_wav(whole, expect_unknown_sizes=False)[3]
        streamed = self.get(params)[2]
        self.assertEqual(parse_wav(streamed, expect_unknown_sizes=True)[3], pcm)

    def test_past_the_end_is_416_with_the_size(self):
        params = {"text": "Nothing lies beyond the end."}
        # The first request synthesizes (the held body answers 416), the second is a cache hit.
        for attempt in ("synthesized", "cached"):
            with self.subTest(attempt):
                result = self.get(params, "bytes=99999999-")
                message = self.assert_error(result, 416, contains="header 'Range'")
                headers = result[1]
                self.assertRegex(headers["content-range"], r"^bytes \*/\d+$")
                total = int(headers["content-range"][len("bytes */"):])
                self.assertIn(f"{total}-byte body", message)
        whole = self.whole(params)
        self.assertEqual(len(whole), total)
        self.assert_error(self.get(params, f"bytes={total}-"), 416)
        self.assert_error(self.get(params, "bytes=-0"), 416)
        self.assert_partial(self.get(params, f"bytes={total - 1}-"), total - 1, total - 1, whole)

    def test_multi_range_and_other_units_get_the_whole_body(self):
        params = {"text": "Two ranges at once are answered whole."}
        whole = self.whole(params)
        for header in ("bytes=0-1, 4-5", "items=0-1", "bytes=5-2", "bytes=x-"):
            with self.subTest(header=header):
                status, headers, body = self.get(params, header)
                self.assertEqual(status, 200)
                self.assertNotIn("content-range", headers)
                self.assertEqual(int(headers["content-length"]), len(whole))
                self.assertEqual(body, whole)

    def test_every_format(self):
        for fmt in FORMATS:
            with self.subTest(format=fmt):
                params = {"text": "Ranges apply to the format's own bytes.", "format": fmt,
                          "sample_rate": 24000}
                status, headers, first = self.get(params, "bytes=0-1")
                self.assertEqual(status, 206, first[:200])
                whole = self.whole(params)
                self.assertEqual(first, whole[:2])
                self.assertEqual(headers["content-range"], f"bytes 0-1/{len(whole)}")
                middle = len(whole) // 3
                self.assert_partial(self.get(params, f"bytes={middle}-{middle + 99}"), middle,
                                    middle + 99, whole)
                self.assert_partial(self.get(params, "bytes=-7"), len(whole) - 7,
                                    len(whole) - 1, whole)
                info = decode(fmt, whole, 24000)
                self.assertTrue(info["valid"], info)
                self.assertEqual(info["sample_rate"], 24000)
                self.assertGreater(info["seconds"], 1.0)
                if fmt == "pcm":
                    self.assertEqual(headers["x-sample-rate"], "24000")

    def test_ssml_and_parameters_are_part_of_the_key(self):
        text = "<speak>One <break time='300ms'/> two.</speak>"
        slow = self.whole({"text": text, "speed": "0.5"})
        fast = self.whole({"text": text, "speed": "2"})
        self.assertGreater(len(slow), len(fast) * 2)
        status, headers, _ = self.get({"text": text, "speed": "0.5"}, "bytes=0-1")
        self.assertEqual(headers["content-range"], f"bytes 0-1/{len(slow)}")

    def test_head_advertises_ranges(self):
        status, headers, body = self.get({"text": "Heads only."}, method="HEAD")
        self.assertEqual(status, 200)
        self.assertEqual(headers["accept-ranges"], "bytes")
        self.assertTrue(headers["content-type"].startswith("audio/wav"))
        self.assertEqual(body, b"")

    def test_bad_parameters_still_fail_first(self):
        self.assert_error(self.get({"text": "x", "speed": "9"}, "bytes=0-1"), 400,
                          contains="parameter 'speed'")
        self.assert_error(self.get({"text": "x", "complete": "perhaps"}), 400,
                          contains="parameter 'complete'")
        # A streamed text body cannot be held.
        result = self.server.request("POST", "/tts?complete=1", body=b"Hello there.",
                                     headers={"Content-Type": "text/plain"})
        self.assert_error(result, 400, contains="parameter 'complete'")

    def test_complete_on_a_json_post(self):
        body = json.dumps({"text": "Posted and complete.", "complete": True}).encode()
        status, headers, data = self.server.request(
            "POST", "/tts", body=body, headers={"Content-Type": "application/json"})
        self.assertEqual(status, 200, data[:200])
        self.assertEqual(int(headers["content-length"]), len(data))
        parse_wav(data, expect_unknown_sizes=False)


class RangeWithoutCacheTest(ServerTestCase):
    """--range-cache-bytes 0: ranges are still right, but each one is synthesized."""

    workers = 1
    extra_args = ("--range-cache-bytes", "0")

    def test_each_range_synthesizes(self):
        params = {"text": "No cache, no shortcut."}
        before = self.server.status()["requests_total"]
        results = [self.server.request("GET", tts_path(params), headers={"Range": r})
                   for r in ("bytes=0-3", "bytes=4-")]
        self.assertEqual([r[0] for r in results], [206, 206])
        self.assertEqual(results[0][2], b"RIFF")
        parse_wav(results[0][2] + results[1][2], expect_unknown_sizes=False)
        self.assertEqual(self.server.status()["requests_total"], before + 2)


if __name__ == "__main__":
    unittest.main()
