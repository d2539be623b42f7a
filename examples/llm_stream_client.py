#!/usr/bin/python3
"""Plays the part of an LLM against Lector's streaming WebSocket (/v1/stream).

Sends a text word by word, with a delay between words, as a language model would emit tokens,
while a second task receives the audio the server synthesizes sentence by sentence as the text
arrives. The audio goes to a WAV file; each segment is printed when it starts, and at the end
the latency from the first word sent to the first audio received.

    ./examples/llm_stream_client.py "Hello there. This is streamed text."
    ./examples/llm_stream_client.py --file story.txt --delay 0.03 --voice en-gb -o story.wav

Needs Debian's python3-websockets (10.x, asyncio API); run it with /usr/bin/python3.
"""

import argparse
import asyncio
import json
import os
import re
import sys
import time
import wave

import websockets


class Run:
    """What both tasks share: progress of the sender, what the receiver saw."""

    def __init__(self, words):
        self.words = words
        self.sent = 0                # words sent so far
        self.t_first_word = None     # time.monotonic() just before the first word was sent
        self.t_last_word = None
        self.t_first_audio = None
        self.words_before_audio = None
        self.sample_rate = None
        self.audio_bytes = 0
        self.segments = 0
        self.done = None             # the server's 'done' event

    def since_first_word(self):
        return time.monotonic() - self.t_first_word if self.t_first_word is not None else 0.0


async def send_words(ws, run, delay):
    """The 'LLM': one text message per word (with its trailing whitespace), then 'end'."""
    for word in run.words:
        if run.t_first_word is None:
            run.t_first_word = time.monotonic()
        await ws.send(json.dumps({"type": "text", "text": word}))
        run.sent += 1
        if delay > 0:
            await asyncio.sleep(delay)
    run.t_last_word = time.monotonic()
    # 'end' = flush (the text is complete), send what remains, then close.
    await ws.send(json.dumps({"type": "end"}))


async def receive_audio(ws, run, out):
    """Writes PCM to the WAV file `out` (an open binary file) and reports events until the
    utterance's 'done'."""
    wav = None
    try:
        async for message in ws:
            if isinstance(message, bytes):
                if run.t_first_audio is None:
                    run.t_first_audio = time.monotonic()
                    run.words_before_audio = run.sent
                if wav is None:
                    raise RuntimeError("audio before utterance_start")
                wav.writeframes(message)
                run.audio_bytes += len(message)
                continue
            event = json.loads(message)
            kind = event.get("type")
            if kind == "utterance_start":
                if event.get("encoding") != "pcm_s16le" or event.get("channels") != 1:
                    raise RuntimeError(f"unexpected audio format: {event}")
                if wav is None:
                    run.sample_rate = event["sample_rate"]
                    wav = wave.open(out, "wb")
                    wav.setnchannels(1)
                    wav.setsampwidth(2)
                    wav.setframerate(run.sample_rate)
                elif event["sample_rate"] != run.sample_rate:
                    raise RuntimeError("sample rate changed between utterances")
            elif kind == "segment_start":
                run.segments += 1
                print(f"[{run.since_first_word():7.3f} s] segment {event['index']}: "
                      f"{event['text']!r}", flush=True)
            elif kind == "done":
                run.done = event
                return
            elif kind == "error":
                raise RuntimeError(f"server error {event.get('code')}: {event.get('message')}")
            # segment_done, config, cancelled: nothing to do here.
        raise RuntimeError("the server closed the connection before 'done'")
    finally:
        if wav is not None:
            wav.close()  # fixes up the RIFF and data sizes; leaves `out` open


async def configure(ws, args):
    """Sends a 'config' message if any option was given and waits for its answer."""
    config = {k: getattr(args, k) for k in ("engine", "voice", "speed", "pitch", "volume")
              if getattr(args, k) is not None}
    if not config:
        return
    await ws.send(json.dumps({"type": "config", **config}))
    while True:
        message = await ws.recv()
        if isinstance(message, bytes):
            continue
        event = json.loads(message)
        if event.get("type") == "error":
            raise RuntimeError(f"config rejected: {event.get('message')}")
        if event.get("type") == "config":
            print(f"config: engine={event['engine']} voice={event['voice']} "
                  f"speed={event['speed']} pitch={event['pitch']} volume={event['volume']}")
            return


class ConnectError(Exception):
    pass


async def main_async(args, words, out):
    url = args.server.rstrip("/") + "/v1/stream"
    run = Run(words)
    connected = False
    try:
        async with websockets.connect(url, max_size=None) as ws:
            connected = True
            await configure(ws, args)
            sender = asyncio.create_task(send_words(ws, run, args.delay))
            receiver = asyncio.create_task(receive_audio(ws, run, out))
            try:
                # The receiver decides when we are finished; a failing sender ends it too.
                done, _ = await asyncio.wait({sender, receiver},
                                             return_when=asyncio.FIRST_EXCEPTION)
                for task in done:
                    task.result()  # re-raises
                await receiver
            finally:
                for task in (sender, receiver):
                    task.cancel()
                await asyncio.gather(sender, receiver, return_exceptions=True)
    except (OSError, asyncio.TimeoutError, websockets.exceptions.InvalidHandshake,
            websockets.exceptions.InvalidURI) as e:
        if connected:
            raise
        raise ConnectError(f"cannot connect to {url}: {e}") from e
    return run


def report(run, args):
    print()
    print(f"words sent: {run.sent} over {run.t_last_word - run.t_first_word:.2f} s "
          f"(delay {args.delay * 1000:.0f} ms)")
    if run.t_first_audio is None:
        print("no audio received")
    else:
        latency_ms = (run.t_first_audio - run.t_first_word) * 1000
        print(f"first word sent -> first audio received: {latency_ms:.0f} ms, "
              f"after {run.words_before_audio} of {len(run.words)} words")
    audio_s = run.audio_bytes / 2 / run.sample_rate if run.sample_rate else 0.0
    print(f"audio: {audio_s:.2f} s at {run.sample_rate} Hz, {run.segments} segments "
          f"-> {args.output}")
    d = run.done
    print(f"server done: segments={d['segments']} audio_seconds={d['audio_seconds']:.2f} "
          f"time_to_first_audio_ms={d['time_to_first_audio_ms']:.0f} "
          f"real_time_factor={d['real_time_factor']:.3f}")


def main():
    p = argparse.ArgumentParser(description="Stream text word by word to Lector's /v1/stream, "
                                            "like an LLM, and save the audio.")
    p.add_argument("text", nargs="?", help="text to speak (or use --file)")
    p.add_argument("--file", help="read the text from this file ('-' for stdin)")
    p.add_argument("--server", default="ws://127.0.0.1:8000", help="default: %(default)s")
    p.add_argument("--delay", type=float, default=0.05,
                   help="seconds between words (default: %(default)s)")
    p.add_argument("--engine")
    p.add_argument("--voice")
    p.add_argument("--speed", type=float)
    p.add_argument("--pitch", type=float)
    p.add_argument("--volume", type=float)
    p.add_argument("-o", "--output", default="out.wav", help="WAV file (default: %(default)s)")
    args = p.parse_args()

    if (args.text is None) == (args.file is None):
        p.error("give the text as an argument or with --file (not both)")
    if args.file == "-":
        text = sys.stdin.read()
    elif args.file:
        with open(args.file, encoding="utf-8") as f:
            text = f.read()
    else:
        text = args.text
    # Each word keeps the whitespace after it, so the server sees the text exactly.
    words = re.findall(r"\S+\s*", text)
    if not words:
        p.error("the text has no words")

    try:
        out = open(args.output, "wb")
    except OSError as e:
        p.error(f"cannot write {args.output}: {e}")
    try:
        try:
            with out:
                run = asyncio.run(main_async(args, words, out))
        finally:
            if os.path.getsize(args.output) == 0:
                os.remove(args.output)  # no empty file left behind by a failed run
    except ConnectError as e:
        print(e, file=sys.stderr)
        sys.exit(2)
    except (RuntimeError, websockets.exceptions.ConnectionClosed) as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
    report(run, args)


if __name__ == "__main__":
    main()
