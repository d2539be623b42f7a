"""A minimal WebSocket client (RFC 6455) over a plain socket, standard library only, for the
end-to-end tests: text and binary messages, client masking, close handshake."""

import base64
import json
import os
import socket
import struct

OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 1, 2, 8, 9, 10


class WsClosed(Exception):
    def __init__(self, code, reason):
        super().__init__(f"closed with {code} {reason!r}")
        self.code = code
        self.reason = reason


class WsClient:
    def __init__(self, port, path, host="127.0.0.1", timeout=30, headers=None):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        self.sock.sendall((f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                           f"Sec-WebSocket-Version: 13\r\n{extra}\r\n").encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("connection closed during the handshake")
            self.buf += chunk
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        self.status_line = head.split(b"\r\n", 1)[0].decode()
        self.handshake = head.decode("latin-1")
        if " 101 " not in self.status_line:
            # Keep the error body for the caller.
            self.error_body = self.buf
            self.sock.close()
            raise ConnectionRefusedError(self.status_line)

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("connection closed")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def send_frame(self, opcode, payload, fin=True):
        header = bytes([(0x80 if fin else 0) | opcode])
        n = len(payload)
        if n < 126:
            header += bytes([0x80 | n])
        elif n < 65536:
            header += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            header += bytes([0x80 | 127]) + struct.pack(">Q", n)
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(header + mask + masked)

    def send_text(self, text):
        self.send_frame(OP_TEXT, text.encode() if isinstance(text, str) else text)

    def send_json(self, obj):
        self.send_text(json.dumps(obj))

    def send_binary(self, data):
        self.send_frame(OP_BINARY, data)

    def recv(self):
        """The next message as (is_binary, payload bytes). Raises WsClosed on a close frame."""
        message = b""
        opcode = None
        while True:
            b0, b1 = self._read(2)
            op = b0 & 0x0F
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._read(8))[0]
            if b1 & 0x80:
                raise AssertionError("server frames must not be masked")
            payload = self._read(n)
            if op == OP_CLOSE:
                code = struct.unpack(">H", payload[:2])[0] if len(payload) >= 2 else None
                try:
                    self.send_frame(OP_CLOSE, payload[:2])
                except OSError:
                    pass
                raise WsClosed(code, payload[2:].decode(errors="replace"))
            if op == OP_PING:
                self.send_frame(OP_PONG, payload)
                continue
            if op == OP_PONG:
                continue
            if op != 0:
                opcode = op
            message += payload
            if b0 & 0x80:
                return opcode == OP_BINARY, message

    def recv_event(self):
        """Skips nothing: returns ('audio', bytes) or ('event', dict)."""
        binary, payload = self.recv()
        if binary:
            return "audio", payload
        return "event", json.loads(payload)

    def close(self):
        try:
            self.send_frame(OP_CLOSE, struct.pack(">H", 1000))
        except OSError:
            pass
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def collect(ws, until=("done", "error")):
    """Events and audio bytes of /v1/stream up to and including an event of type `until`."""
    events, audio = [], bytearray()
    while True:
        kind, payload = ws.recv_event()
        if kind == "audio":
            audio += payload
            continue
        events.append(payload)
        if payload["type"] in until:
            return events, bytes(audio)
