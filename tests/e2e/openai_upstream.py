"""A small OpenAI-compatible speech server, the upstream of Lector's remote engine in
test_remote.py: a real HTTP server on a real socket speaking real audio (espeak-ng's, resampled
to 24 kHz by sox), standing for the non-Lector upstreams users point the remote engine at
(Kokoro-FastAPI, openedai-speech, OpenAI). It records what it is asked and can misbehave on
demand, which a real server does only by accident:

    upstream = OpenAIUpstream(voices="objects", key="secret").start()
    upstream.configure(delay=0.05)        # pace the audio (10 ms of audio per 5 ms)
    upstream.configure(reset_next=1)      # reset the next connection before answering
    upstream.configure(reset_after=4800)  # reset after that many audio bytes
    upstream.configure(stall_after=4800)  # go silent after that many audio bytes
    upstream.configure(status=(503, "model overloaded"))  # answer every synthesis with an error
    upstream.stats()                      # requests, active, max_active, aborted, ...
    upstream.stop()

Routes: GET /v1/audio/voices ({"voices": [...]} as strings or objects; "none" answers 404) and
POST /v1/audio/speech (JSON; response_format must be "pcm": 24 kHz s16le mono, sent in chunks
of odd sizes so that samples are split between chunks, or with Content-Length).

Run alone: `python3 openai_upstream.py --port 9000 [--voices strings] [--key K]`.
Standard library only, plus the espeak-ng and sox programs.
"""

import argparse
import http.server
import json
import select
import socket
import ssl
import struct
import subprocess
import threading
import time

RATE = 24000
# Odd chunk sizes: every chunk boundary after the first falls inside a sample.
CHUNK_SIZES = (1001, 4097, 777, 2049)

# Voice id -> (espeak-ng voice, display name, language, gender) for the "objects" shape; the
# "strings" shape lists the same ids without metadata, as Kokoro-FastAPI does.
VOICES = {
    "af_heart": ("en-us+f3", "Heart", "en-US", "female"),
    "am_adam": ("en-us", "Adam", "en-US", "male"),
    "bf_emma": ("en-gb+f2", "Emma", "en-GB", "female"),
    "ef_dora": ("es", "Dora", ["es-ES", "es-MX"], "female"),
}


# OpenAI's voice names are accepted too without being listed, as Kokoro-FastAPI maps them.
OPENAI_NAMES = ("alloy", "ash", "ballad", "coral", "echo", "fable", "nova", "onyx", "sage",
                "shimmer", "verse", "marin", "cedar")


def known_voice(voice):
    return voice in VOICES or voice in OPENAI_NAMES


def synthesize(text, voice, speed):
    """The 24 kHz s16le mono PCM of text in voice: espeak-ng at 175 wpm x speed, resampled by
    sox. Deterministic for the same arguments."""
    espeak_voice = VOICES[voice][0] if voice in VOICES else "en-us"
    wav = subprocess.run(["espeak-ng", "--stdout", "-v", espeak_voice, "-s", str(int(175 * speed)),
                          "--", text], capture_output=True, check=True, timeout=60).stdout
    # -D: no dither, which is random; the tests compare against what was sent anyway.
    raw = subprocess.run(["sox", "-D", "-t", "wav", "-", "-t", "raw", "-r", str(RATE), "-e", "signed",
                          "-b", "16", "-c", "1", "-L", "-"], input=wav, capture_output=True,
                         check=True, timeout=60).stdout
    return raw


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "openai-upstream/1"

    def log_message(self, fmt, *args):  # quiet: the tests read stats() instead
        pass

    @property
    def up(self):
        return self.server.upstream

    def _json(self, status, obj):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True

    def _error(self, status, message, param=None, code=None):
        self._json(status, {"error": {"message": message, "type": "invalid_request_error",
                                      "param": param, "code": code}})

    def _authorized(self):
        if self.up.key is None:
            return True
        if self.headers.get("Authorization") == f"Bearer {self.up.key}":
            return True
        self._error(401, "Incorrect API key provided.", code="invalid_api_key")
        return False

    def _reset(self):
        """Closes the connection with a TCP reset (SO_LINGER 0) instead of a FIN."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True

    def _client_gone(self):
        """Whether the client closed its end (readable with nothing to read)."""
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            if not readable:
                return False
            return self.connection.recv(1, socket.MSG_PEEK) == b""
        except (OSError, ValueError):
            return True

    def do_GET(self):
        if self.path != "/v1/audio/voices":
            return self._error(404, f"no route {self.path}")
        with self.up.lock:
            self.up.voice_requests += 1
        if not self._authorized():
            return
        if self.up.voices == "none":
            return self._error(404, "no voice list here")
        if self.up.voices == "strings":
            return self._json(200, {"voices": list(VOICES)})
        return self._json(200, {"voices": [
            {"id": vid, "name": name, ("languages" if isinstance(lang, list) else "language"): lang,
             "gender": gender} for vid, (_, name, lang, gender) in VOICES.items()]})

    def do_POST(self):
        if self.path != "/v1/audio/speech":
            return self._error(404, f"no route {self.path}")
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        up = self.up
        with up.lock:
            up.attempts += 1
            if up.reset_next > 0:
                up.reset_next -= 1
                up.resets += 1
                return self._reset()
        if not self._authorized():
            return
        try:
            req = json.loads(body)
        except ValueError:
            return self._error(400, "body is not JSON")
        with up.lock:
            up.requests.append({"json": req, "authorization": self.headers.get("Authorization")})
            forced = up.status
        if forced:
            return self._error(forced[0], forced[1])
        if req.get("response_format") != "pcm":
            return self._error(400, "this test upstream speaks pcm only", param="response_format")
        if not known_voice(req.get("voice")):
            return self._error(400, f"voice '{req.get('voice')}' not found", param="voice")
        audio = synthesize(req["input"], req["voice"], float(req.get("speed", 1.0)))
        self._stream(req["input"], audio)

    def _stream(self, text, audio):
        up = self.up
        with up.lock:
            up.active += 1
            up.max_active = max(up.max_active, up.active)
            delay, reset_after, stall_after = up.delay, up.reset_after, up.stall_after
            content_length = up.content_length
        sent = 0
        outcome = "completed"
        try:
            self.send_response(200)
            self.send_header("Content-Type", "audio/pcm")
            if content_length:
                self.send_header("Content-Length", str(len(audio)))
            else:
                self.send_header("Transfer-Encoding", "chunked")
            self.send_header("Connection", "close")
            self.end_headers()
            i = 0
            while sent < len(audio):
                n = min(CHUNK_SIZES[i % len(CHUNK_SIZES)], len(audio) - sent)
                i += 1
                if reset_after is not None and sent >= reset_after:
                    outcome = "reset"
                    self.wfile.flush()
                    self._reset()
                    return
                if stall_after is not None and sent >= stall_after:
                    outcome = "stalled"
                    self.wfile.flush()
                    # Silent until the client gives up and closes (or a minute passes).
                    deadline = time.monotonic() + 60
                    while time.monotonic() < deadline and not self._client_gone():
                        time.sleep(0.02)
                    outcome = "aborted"
                    return
                piece = audio[sent:sent + n]
                if content_length:
                    self.wfile.write(piece)
                else:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                self.wfile.flush()
                sent += n
                if delay:
                    time.sleep(delay)
                    if self._client_gone():
                        outcome = "aborted"
                        return
            if not content_length:
                self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            outcome = "aborted"
        finally:
            self.close_connection = True
            with up.lock:
                up.active -= 1
                up.outcomes.append({"outcome": outcome, "bytes": sent, "text": text, "audio": audio})


class OpenAIUpstream:
    """The server, run on a thread of the test process (its own sockets, its own threads)."""

    def __init__(self, voices="objects", key=None, port=0, tls=None):
        self.voices = voices  # "objects", "strings" or "none"
        self.key = key
        self.port = port
        self.tls = tls  # (certfile, keyfile) to serve https
        self.lock = threading.Lock()
        self._httpd = None
        self._thread = None
        self.reset_stats()
        self.configure()

    def configure(self, delay=0.0, reset_next=0, reset_after=None, stall_after=None, status=None,
                  content_length=False):
        with self.lock:
            self.delay = delay
            self.reset_next = reset_next
            self.reset_after = reset_after
            self.stall_after = stall_after
            self.status = status
            self.content_length = content_length

    def reset_stats(self):
        with self.lock:
            self.requests = []   # every synthesis request that got past the key check
            # every audio answer: outcome (completed, aborted, reset, stalled), the bytes sent,
            # the text and the whole audio it was for
            self.outcomes = []
            self.attempts = 0    # connections that asked for a synthesis (resets included)
            self.resets = 0
            self.voice_requests = 0
            self.active = 0
            self.max_active = 0

    def stats(self):
        with self.lock:
            return {"requests": list(self.requests), "outcomes": list(self.outcomes),
                    "attempts": self.attempts, "resets": self.resets, "active": self.active,
                    "max_active": self.max_active, "voice_requests": self.voice_requests}

    @property
    def url(self):
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def start(self):
        self._httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.upstream = self
        if self.tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(*self.tls)
            self._httpd.socket = ctx.wrap_socket(self._httpd.socket, server_side=True)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self):
        """Stops listening: new connections are refused. Answers in progress run on."""
        if self._httpd:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._thread.join()
            self._httpd = None


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--voices", choices=("objects", "strings", "none"), default="objects")
    parser.add_argument("--key")
    args = parser.parse_args()
    up = OpenAIUpstream(voices=args.voices, key=args.key, port=args.port).start()
    print(f"listening on {up.url}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        up.stop()


if __name__ == "__main__":
    main()
