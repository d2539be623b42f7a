"""A minimal WebSocket client (RFC 6455, standard library only) for Lector's /v1/stream: enough
to learn the text of the first segment Lector cuts from a text, which the raw engine baselines
then synthesize ("the same first fragment")."""

import base64
import json
import os
import socket
import struct

OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING = 0x1, 0x2, 0x8, 0x9


class WsError(Exception):
    pass


class WsClient:
    def __init__(self, port, path, timeout):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                           "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                           f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n")
                          .encode())
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        status = head.split(b"\r\n", 1)[0]
        if b" 101 " not in status + b" ":
            raise WsError(f"upgrade refused: {status.decode(errors='replace')}")

    def _fill(self):
        d = self.sock.recv(65536)
        if not d:
            raise WsError("connection closed")
        self.buf += d

    def _take(self, n):
        while len(self.buf) < n:
            self._fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def send(self, opcode, payload):
        # Client frames are masked (RFC 6455 5.3); FIN set, no fragmentation.
        mask = os.urandom(4)
        n = len(payload)
        head = bytes([0x80 | opcode])
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 65536:
            head += bytes([0x80 | 126]) + struct.pack("!H", n)
        else:
            head += bytes([0x80 | 127]) + struct.pack("!Q", n)
        body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(head + mask + body)

    def send_json(self, obj):
        self.send(OP_TEXT, json.dumps(obj).encode())

    def recv(self):
        """(opcode, payload) of the next whole message; pings are answered on the way."""
        opcode, data = None, b""
        while True:
            b0, b1 = self._take(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack("!H", self._take(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self._take(8))[0]
            payload = self._take(n)     # server frames are not masked
            op = b0 & 0x0F
            if op == OP_PING:
                self.send(0xA, payload)
                continue
            if op != 0:
                opcode = op
            data += payload
            if b0 & 0x80:
                return opcode, data

    def close(self):
        try:
            self.send(OP_CLOSE, struct.pack("!H", 1000))
        except OSError:
            pass
        self.sock.close()


def first_segment(port, engine, voice, text, timeout=30.0):
    """The text of segment 0 of `text` spoken by engine/voice on /v1/stream (its
    segment_start event); the utterance is cancelled as soon as it is known."""
    ws = WsClient(port, "/v1/stream", timeout)
    try:
        ws.send_json({"type": "config", "engine": engine, "voice": voice})
        ws.send_json({"type": "text", "text": text})
        ws.send_json({"type": "flush"})
        while True:
            op, data = ws.recv()
            if op == OP_CLOSE:
                raise WsError("server closed the stream before the first segment")
            if op != OP_TEXT:
                continue
            ev = json.loads(data)
            if ev.get("type") == "error":
                raise WsError(f"{ev.get('code')}: {ev.get('message')}")
            if ev.get("type") == "segment_start" and ev.get("index") == 0:
                ws.send_json({"type": "cancel"})
                return ev["text"]
    finally:
        ws.close()
