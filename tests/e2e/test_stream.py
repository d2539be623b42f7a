"""Streamed text in, streamed audio out: the native WebSocket protocol (/v1/stream), the
RealtimeTTS-compatible /ws, and POST /tts."""

import base64
import json
import socket
import threading
import time
import unittest

from harness import ServerTestCase, parse_wav, read_text, tts_path
from wsclient import WsClient, WsClosed


def collect_utterance(ws, limit=100000):
    """Reads one utterance: returns (events, audio bytes) up to and including its 'done'."""
    events, audio = [], bytearray()
    for _ in range(limit):
        kind, payload = ws.recv_event()
        if kind == "audio":
            audio += payload
            continue
        events.append(payload)
        if payload["type"] in ("done", "error"):
            return events, bytes(audio)
    raise AssertionError("no done event")


class NativeStreamTest(ServerTestCase):
    workers = 2
    extra_args = ("--cache-bytes", "0")

    def connect(self):
        return WsClient(self.server.port, "/v1/stream")

    def whole_text_pcm(self, text, voice="en-us"):
        status, _, body = self.server.tts({"text": text, "voice": voice})
        self.assertEqual(status, 200)
        return parse_wav(body)[3]

    def test_first_audio_arrives_before_the_last_word_is_sent(self):
        words = read_text("paragraph").split()
        sent = [0]
        first_audio_at_word = [None]
        with self.connect() as ws:
            def producer():
                for w in words:
                    ws.send_json({"type": "text", "text": w + " "})
                    sent[0] += 1
                    time.sleep(0.05)
                ws.send_json({"type": "flush"})

            t = threading.Thread(target=producer)
            t.start()
            events, audio = [], bytearray()
            while True:
                kind, payload = ws.recv_event()
                if kind == "audio":
                    if first_audio_at_word[0] is None:
                        first_audio_at_word[0] = sent[0]
                    audio += payload
                    continue
                events.append(payload)
                if payload["type"] == "done":
                    break
            t.join()
        self.assertIsNotNone(first_audio_at_word[0])
        self.assertLess(first_audio_at_word[0], len(words),
                        "audio only started after the whole text was sent")
        # Every segment, in order, covering every word.
        starts = [e for e in events if e["type"] == "segment_start"]
        self.assertEqual([e["index"] for e in starts], list(range(len(starts))))
        self.assertEqual(" ".join(e["text"] for e in starts).split(), words)
        done = events[-1]
        self.assertEqual(done["segments"], len(starts))
        self.assertGreater(done["time_to_first_audio_ms"], 0)
        # The same text synthesized whole has the same length (within espeak's drift).
        whole = self.whole_text_pcm(" ".join(words))
        self.assertAlmostEqual(len(audio) / len(whole), 1.0, delta=0.03)

    def test_events_bracket_each_segments_audio(self):
        with self.connect() as ws:
            ws.send_json({"type": "text", "text": "First sentence here. Second one follows. Third"})
            ws.send_json({"type": "text", "text": " and last."})
            ws.send_json({"type": "flush"})
            kinds = []
            while True:
                kind, payload = ws.recv_event()
                kinds.append("audio" if kind == "audio" else payload["type"])
                if kind == "event" and payload["type"] == "done":
                    break
        self.assertEqual(kinds[0], "utterance_start")
        # Word events are checked elsewhere. Collapse audio runs; then the shape is start,
        # audio, done per segment.
        kinds = [k for k in kinds if k != "word"]
        shape = [k for i, k in enumerate(kinds) if k != "audio" or kinds[i - 1] != "audio"]
        self.assertEqual(shape, ["utterance_start"] +
                         ["segment_start", "audio", "segment_done"] * 3 + ["done"])

    def test_word_events_mark_each_word_in_order_inside_its_segment(self):
        with self.connect() as ws:
            ws.send_json({"type": "text", "text": "Hello there, my friend. The quick brown fox jumps."})
            ws.send_json({"type": "flush"})
            events, audio = collect_utterance(ws)
        words = [e for e in events if e["type"] == "word"]
        self.assertEqual([w["text"] for w in words],
                         ["Hello", "there", "my", "friend", "The", "quick", "brown", "fox", "jumps"])
        offsets = [w["audio_offset_seconds"] for w in words]
        self.assertEqual(offsets, sorted(offsets))
        total = len(audio) / 2 / 22050
        self.assertLess(offsets[-1], total)
        # Each word sits between its segment's start and end events.
        current = None
        for e in events:
            if e["type"] == "segment_start":
                current = e["index"]
            elif e["type"] == "segment_done":
                current = None
            elif e["type"] == "word":
                self.assertEqual(e["segment"], current)
        # The second segment's first word starts where the first segment ended.
        first_done = next(e for e in events if e["type"] == "segment_done")
        self.assertAlmostEqual(words[4]["audio_offset_seconds"],
                               first_done["audio_offset_seconds"], delta=0.2)

    def test_cancel_stops_audio_and_the_socket_serves_a_new_utterance(self):
        long_text = read_text("long")
        with self.connect() as ws:
            ws.send_json({"type": "text", "text": long_text})
            ws.send_json({"type": "flush"})
            got = 0
            while got < 50000:
                kind, payload = ws.recv_event()
                if kind == "audio":
                    got += len(payload)
            ws.send_json({"type": "cancel"})
            after_cancel = 0
            while True:
                kind, payload = ws.recv_event()
                if kind == "audio":
                    after_cancel += len(payload)
                    continue
                if payload["type"] == "cancelled":
                    break
            full = len(self.whole_text_pcm(long_text))
            # Only audio already in flight before the cancel reached the server may arrive.
            self.assertLess(got + after_cancel, full / 4)
            # Nothing of the cancelled utterance follows: the next message starts a new one.
            ws.send_json({"type": "text", "text": "A new utterance."})
            ws.send_json({"type": "flush"})
            events, audio = collect_utterance(ws)
            self.assertEqual(events[0]["type"], "utterance_start")
            self.assertEqual(events[0]["utterance"], 2)
            self.assertEqual(events[-1]["type"], "done")
            alone = len(self.whole_text_pcm("A new utterance."))
            self.assertAlmostEqual(len(audio) / alone, 1.0, delta=0.05)
        status = self.server.status()
        self.assertGreaterEqual(status["requests_cancelled"], 1)

    def test_two_connections_never_mix_audio(self):
        texts = {"en-us": read_text("paragraph"), "de": "Guten Morgen. Wie geht es Ihnen heute?"}
        results = {}

        def run(voice):
            with self.connect() as ws:
                ws.send_json({"type": "config", "voice": voice})
                for word in texts[voice].split():
                    ws.send_json({"type": "text", "text": word + " "})
                ws.send_json({"type": "flush"})
                while True:
                    kind, payload = ws.recv_event()
                    if kind == "event" and payload["type"] == "config":
                        continue
                    break
                events, audio = collect_utterance(ws)
                results[voice] = (events, audio)

        threads = [threading.Thread(target=run, args=(v,)) for v in texts]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for voice, text in texts.items():
            events, audio = results[voice]
            starts = [e for e in events if e["type"] == "segment_start"]
            self.assertEqual(" ".join(e["text"] for e in starts).split(), text.split())
            alone = len(self.whole_text_pcm(text, voice))
            self.assertAlmostEqual(len(audio) / alone, 1.0, delta=0.03, msg=voice)

    def test_quiet_period_flushes_a_pending_fragment(self):
        with self.connect() as ws:
            ws.send_json({"type": "text", "text": "This fragment has no full stop at its end"})
            # No flush: after the quiet period the server speaks it anyway.
            events, audio = [], bytearray()
            while not audio:
                kind, payload = ws.recv_event()
                if kind == "audio":
                    audio += payload
                else:
                    events.append(payload)
            starts = [e for e in events if e["type"] == "segment_start"]
            self.assertEqual(len(starts), 1)
            # The last word may still be growing, so it waits for more text or a flush.
            self.assertEqual(starts[0]["text"], "This fragment has no full stop at its")
            ws.send_json({"type": "flush"})
            events, _ = collect_utterance(ws)
            texts = [e["text"] for e in events if e["type"] == "segment_start"]
            self.assertEqual(texts, ["end"])

    def test_config_errors_name_the_parameter_and_keep_the_socket(self):
        with self.connect() as ws:
            ws.send_json({"type": "config", "voice": "no-such-voice"})
            kind, e = ws.recv_event()
            self.assertEqual(e["type"], "error")
            self.assertEqual(e["code"], "bad_parameter")
            self.assertIn("parameter 'voice'", e["message"])
            ws.send_json({"type": "config", "speed": 9})
            kind, e = ws.recv_event()
            self.assertIn("parameter 'speed'", e["message"])
            ws.send_json({"type": "config", "voice": "en-gb", "speed": 1.5})
            kind, e = ws.recv_event()
            self.assertEqual((e["type"], e["voice"], e["speed"]), ("config", "en-gb", 1.5))

    def test_bad_messages_get_error_events(self):
        with self.connect() as ws:
            for bad, fragment in [("not json", "not a JSON object"),
                                  ('{"type": "sing"}', "unknown message type 'sing'"),
                                  ('{"text": "x"}', "no string field 'type'"),
                                  ('{"type": "text", "text": 5}', "parameter 'text'")]:
                ws.send_text(bad)
                kind, e = ws.recv_event()
                self.assertEqual(e["type"], "error", bad)
                self.assertIn(fragment, e["message"])
            ws.send_binary(b"\x00\x01")
            kind, e = ws.recv_event()
            self.assertIn("binary messages are not accepted", e["message"])
            # While the last utterance still plays, text after 'end' gets an error event;
            # then the server closes normally once the audio is out.
            ws.send_json({"type": "text", "text": read_text("paragraph")})
            ws.send_json({"type": "end"})
            ws.send_json({"type": "text", "text": "too late"})
            errors = []
            with self.assertRaises(WsClosed) as closed:
                while True:
                    kind, e = ws.recv_event()
                    if kind == "event" and e["type"] == "error":
                        errors.append(e["message"])
            self.assertEqual(closed.exception.code, 1000)
            self.assertEqual(len(errors), 1)
            self.assertIn("'text' after 'end'", errors[0])

    def test_invalid_utf8_and_oversize_messages_close_the_socket_only(self):
        with self.connect() as ws:
            ws.send_text(b'{"type": "text", "text": "\xff\xfe"}')
            with self.assertRaises(WsClosed) as closed:
                ws.recv_event()
            self.assertEqual(closed.exception.code, 1007)  # invalid frame payload data
        with self.connect() as ws:
            ws.send_json({"type": "text", "text": "x" * (70 * 1024)})
            with self.assertRaises(WsClosed) as closed:
                ws.recv_event()
            self.assertEqual(closed.exception.code, 1009)  # message too big
        # The server goes on.
        with self.connect() as ws:
            ws.send_json({"type": "text", "text": "Still here."})
            ws.send_json({"type": "end"})
            events, audio = collect_utterance(ws)
            self.assertEqual(events[-1]["type"], "done")
            self.assertGreater(len(audio), 10000)

    def test_unknown_websocket_path_is_404(self):
        with self.assertRaises(ConnectionRefusedError) as refused:
            WsClient(self.server.port, "/v1/nope")
        self.assertIn("404", str(refused.exception))


class RealtimeTtsWsTest(ServerTestCase):
    workers = 2
    extra_args = ("--cache-bytes", "0")

    def test_message_shapes_match_realtimetts(self):
        text = read_text("paragraph")
        with WsClient(self.server.port, "/ws") as ws:
            ws.send_text(text)
            messages = []
            while True:
                binary, payload = ws.recv()
                self.assertFalse(binary)
                m = json.loads(payload)
                messages.append(m)
                if "finalOutput" in m:
                    break
            self.assertEqual(messages[-1], {"finalOutput": {"isFinal": True}})
            audio_msgs = messages[:-1]
            self.assertGreater(len(audio_msgs), 2, "audio should stream in several messages")
            for m in audio_msgs:
                self.assertEqual(set(m), {"audioOutput"})
                self.assertEqual(set(m["audioOutput"]), {"audio", "format", "sampleRate"})
                self.assertEqual(m["audioOutput"]["format"], "wav")
                self.assertEqual(m["audioOutput"]["sampleRate"], 22050)
            first = base64.b64decode(audio_msgs[0]["audioOutput"]["audio"])
            self.assertEqual(first[:4], b"RIFF")
            rest = [base64.b64decode(m["audioOutput"]["audio"]) for m in audio_msgs[1:]]
            self.assertTrue(all(r[:4] != b"RIFF" for r in rest))
            stream = first + b"".join(rest)
            rate, channels, bits, pcm = parse_wav(stream)
            self.assertEqual((rate, channels, bits), (22050, 1, 16))
            _, _, body = self.server.tts({"text": text})
            self.assertAlmostEqual(len(pcm) / len(parse_wav(body)[3]), 1.0, delta=0.03)

            # A second message on the same socket is a second utterance with its own header.
            ws.send_text("Again.")
            binary, payload = ws.recv()
            self.assertEqual(base64.b64decode(json.loads(payload)["audioOutput"]["audio"])[:4], b"RIFF")
            while "finalOutput" not in json.loads(ws.recv()[1]):
                pass
            ws.send_text("stop")
            with self.assertRaises(WsClosed) as closed:
                ws.recv()
            self.assertEqual(closed.exception.code, 1000)


class PostTtsTest(ServerTestCase):
    workers = 2

    def test_json_body_takes_the_get_parameters(self):
        body = json.dumps({"text": "Hello from a JSON body.", "voice": "en-gb", "speed": 1.5})
        status, headers, data = self.server.request(
            "POST", "/tts", body=body.encode(), headers={"Content-Type": "application/json"})
        self.assertEqual(status, 200)
        pcm = parse_wav(data)[3]
        status, _, ref = self.server.tts({"text": "Hello from a JSON body.", "voice": "en-gb",
                                          "speed": "1.5"})
        self.assertAlmostEqual(len(pcm) / len(parse_wav(ref)[3]), 1.0, delta=0.03)

    def test_json_errors_name_the_parameter(self):
        for body, fragment in [(b"{", "not a JSON object"),
                               (json.dumps({"text": "hi", "speed": "fast"}).encode(), "parameter 'speed'"),
                               (json.dumps({"text": "hi", "voice": ["x"]}).encode(), "parameter 'voice'"),
                               (json.dumps({"voice": "en-us"}).encode(), "parameter 'text': missing")]:
            status, headers, data = self.server.request(
                "POST", "/tts", body=body, headers={"Content-Type": "application/json"})
            self.assertEqual(status, 400, body)
            self.assertIn(fragment, json.loads(data)["error"])

    def test_chunked_text_upload_streams_audio_while_the_body_is_still_arriving(self):
        words = read_text("paragraph").split()
        sock = socket.create_connection(("127.0.0.1", self.server.port), timeout=30)
        sock.sendall(b"POST /tts?voice=en-us HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n")
        received = bytearray()
        words_sent_at_first_audio = None
        sock.setblocking(False)
        for i, w in enumerate(words):
            piece = (w + " ").encode()
            sock.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
            time.sleep(0.03)
            try:
                data = sock.recv(65536)
                if data:
                    received += data
            except BlockingIOError:
                pass
            if words_sent_at_first_audio is None and b"\r\n\r\n" in received:
                head, body = bytes(received).split(b"\r\n\r\n", 1)
                if len(body) > 200:  # chunk framing + WAV header + some PCM
                    words_sent_at_first_audio = i + 1
        sock.sendall(b"0\r\n\r\n")
        sock.setblocking(True)
        while not received.endswith(b"0\r\n\r\n"):
            data = sock.recv(65536)
            if not data:
                break
            received += data
        sock.close()
        head, body = bytes(received).split(b"\r\n\r\n", 1)
        self.assertIn(b" 200 ", head.split(b"\r\n")[0])
        self.assertIsNotNone(words_sent_at_first_audio, "no audio before the upload ended")
        self.assertLess(words_sent_at_first_audio, len(words))
        # De-chunk and compare with the same text synthesized whole.
        pcm_stream, rest = bytearray(), body
        while True:
            size_line, rest = rest.split(b"\r\n", 1)
            size = int(size_line, 16)
            if size == 0:
                break
            pcm_stream += rest[:size]
            rest = rest[size + 2:]
        pcm = parse_wav(bytes(pcm_stream))[3]
        _, _, ref = self.server.tts({"text": " ".join(words), "voice": "en-us"})
        self.assertAlmostEqual(len(pcm) / len(parse_wav(ref)[3]), 1.0, delta=0.03)

    def test_invalid_utf8_upload_is_a_400(self):
        status, _, data = self.server.request(
            "POST", "/tts", body=b"caf\xc3", headers={"Content-Type": "text/plain"})
        self.assertEqual(status, 400)
        self.assertEqual(json.loads(data)["error"], "parameter 'text': not valid UTF-8")

    def test_plain_text_body_is_the_text(self):
        status, _, data = self.server.request(
            "POST", tts_path({"voice": "de"}), body="Guten Tag.".encode(),
            headers={"Content-Type": "text/plain; charset=utf-8"})
        self.assertEqual(status, 200)
        self.assertGreater(len(parse_wav(data)[3]), 10000)


if __name__ == "__main__":
    unittest.main()
