"""A Wyoming client written from the protocol (github.com/rhasspy/wyoming, event.py), standard
library only: each event is a JSON header line with `type`, optional `data`, `data_length` and
`payload_length`, then `data_length` bytes of JSON merged into `data`, then the payload.

    with WyomingClient(port) as c:
        c.send("describe")
        info = c.recv()
"""

import json
import socket
import time

HOST = "127.0.0.1"


class Event:
    def __init__(self, type_, data=None, payload=b"", header=None, at=None):
        self.type = type_
        self.data = data or {}
        self.payload = payload
        self.header = header or {}
        self.at = at  # monotonic time the event was complete

    def __repr__(self):
        return f"Event({self.type!r}, {self.data!r:.200}, {len(self.payload)} payload bytes)"


def encode(type_, data=None, payload=b"", data_in_header=False):
    """One event as bytes. The data goes in the data block (as the reference library writes it)
    unless data_in_header."""
    header = {"type": type_}
    block = b""
    if data:
        if data_in_header:
            header["data"] = data
        else:
            block = json.dumps(data, ensure_ascii=False).encode("utf-8")
            header["data_length"] = len(block)
    if payload:
        header["payload_length"] = len(payload)
    return json.dumps(header, ensure_ascii=False).encode("utf-8") + b"\n" + block + payload


class WyomingClient:
    def __init__(self, port, timeout=60, rcvbuf=None):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(timeout)
        self.sock.connect((HOST, port))
        self._buf = b""

    # -- sending --

    def send(self, type_, data=None, payload=b""):
        self.sock.sendall(encode(type_, data, payload))

    def send_raw(self, data):
        self.sock.sendall(data)

    def synthesize(self, text, voice=None):
        data = {"text": text}
        if voice is not None:
            data["voice"] = voice
        self.send("synthesize", data)

    # -- receiving --

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("server closed the connection")
        self._buf += chunk

    def _read_exactly(self, n):
        while len(self._buf) < n:
            self._fill()
        out, self._buf = self._buf[:n], self._buf[n:]
        return out

    def recv(self):
        """The next event; raises ConnectionError when the server closed the connection."""
        while b"\n" not in self._buf:
            self._fill()
        line, self._buf = self._buf.split(b"\n", 1)
        header = json.loads(line)
        if not isinstance(header, dict) or not isinstance(header.get("type"), str):
            raise AssertionError(f"bad header from the server: {line[:200]!r}")
        if len(line) > 64 * 1024:
            raise AssertionError(f"header line of {len(line)} bytes: Home Assistant refuses over 64 KiB")
        data = header.get("data") or {}
        n = header.get("data_length") or 0
        if n:
            block = json.loads(self._read_exactly(n))
            data.update(block)
        payload = self._read_exactly(header.get("payload_length") or 0)
        return Event(header["type"], data, payload, header, time.monotonic())

    def recv_until(self, *types):
        """Events up to and including the first of one of `types`."""
        events = []
        while True:
            e = self.recv()
            events.append(e)
            if e.type in types:
                return events

    def closed_by_server(self, timeout=10):
        """True once the server closed the connection (after any events it still sends)."""
        self.sock.settimeout(timeout)
        try:
            while True:
                self.recv()
        except ConnectionError:
            return True
        except socket.timeout:
            return False

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Audio:
    """The audio answer in a list of events: format from audio-start, PCM from the chunks."""

    def __init__(self, events):
        self.events = events
        types = [e.type for e in events]
        self.types = types
        starts = [e for e in events if e.type == "audio-start"]
        self.start = starts[0] if starts else None
        self.chunks = [e for e in events if e.type == "audio-chunk"]
        self.pcm = b"".join(e.payload for e in self.chunks)

    @property
    def rate(self):
        return self.start.data["rate"]
