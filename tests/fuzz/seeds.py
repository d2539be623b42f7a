#!/usr/bin/env python3
"""Writes the seed corpora in corpus/NAME/ (run once; the files are checked in). Seeds are small
well-formed inputs each fuzzer mutates from. The FuzzedDataProvider-based targets read their
option bytes from the end of an input, so those seeds end in a few option bytes after the text.
Crash reproducers found later go in the same folders (named crash-*), so that CI replays them."""

import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def write(name, seeds):
    d = os.path.join(HERE, "corpus", name)
    os.makedirs(d, exist_ok=True)
    for i, data in enumerate(seeds):
        with open(os.path.join(d, f"seed-{i:02d}"), "wb") as f:
            f.write(data)


TEXTS = [
    "Hello world. How are you today? I'm fine!",
    "Dr. Smith paid $3.50 for 2.5 kg of apples at 10:30 a.m. on Jan. 5th.",
    "This sentence is long, with commas, clauses; and a colon: then more words that go on and on",
    "Guten Tag. Wie geht's? Straße, Größe — Ärger.",
    "你好。今天天气很好！我们去公园吧？",
    "שלום עולם. مرحبا بالعالم.",
    "😀🎉👍 emoji only? 👍🏽‍",
    "tab\there\nnewline\r\nnul\x00 bell\x07 del\x7f",
    "...!!! ??? ... a. b. c.",
    "Supercalifragilisticexpialidocious" * 3,
]

OPTIONS = bytes([0x07, 0x02, 0x30, 0x11, 0x05, 0x9a, 0x3c, 0x01, 0x00, 0x42])


def segmenter():
    return [t.encode() + OPTIONS for t in TEXTS] + [b"caf\xc3" + OPTIONS, b"\xff\xfe" + OPTIONS]


def utf8():
    return [t.encode() for t in TEXTS] + [
        b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xe2\x82", b"a\xf0\x9f\x98",
        b"\xef\xbb\xbfBOM", b"\xc2\x85next line\xe2\x80\xa8sep"]


def frame(kind, payload):
    return struct.pack("<IB", len(payload) + 1, kind) + payload


def s(v):
    v = v.encode() if isinstance(v, str) else v
    return struct.pack("<I", len(v)) + v


def worker_frames():
    voice = s("en-us") + s("English") + s("en-US") + b"\x02" + s("gmw/en-US") + struct.pack("<I", 0)
    hello = frame(1, s("espeak") + struct.pack("<II", 22050, 1) + voice + struct.pack("<I", 1) +
                  s("f1") + b"\x01" + struct.pack("<II", 0, 20))
    synth = frame(2, struct.pack("<Q", 7) + s("en-us") + struct.pack("<ddd", 1.0, 1.5, 0.5) + s("Hello."))
    audio = frame(4, struct.pack("<Q", 7) + b"\x01\x00" * 16)
    mark = frame(5, struct.pack("<QIIQ", 7, 0, 5, 320))
    done = frame(6, struct.pack("<QB", 7, 0))
    error = frame(7, struct.pack("<Q", 7) + s("engine failed"))
    cancel = frame(3, struct.pack("<Q", 7))
    split = struct.pack("<I", 0x2545)  # the fuzzer's split seed (read from the end)
    return [hello + split, synth + split, audio + mark + done + split, error + cancel + split,
            hello + synth + audio + mark + done + error + cancel + split,
            frame(9, b"x") + split, struct.pack("<IB", 0x7FFFFFFF, 4) + split]


def wy(type_, data=None, payload=b"", inline=False):
    header = {"type": type_, "version": "1.8.0"}
    block = b""
    if data is not None and inline:
        header["data"] = data
    elif data is not None:
        block = json.dumps(data).encode()
        header["data_length"] = len(block)
    if payload:
        header["payload_length"] = len(payload)
    return json.dumps(header).encode() + b"\n" + block + payload


def wyoming_frames():
    limits = bytes([0x00, 0x10, 0x00, 0x10, 0x00, 0x10]) + struct.pack("<I", 0x1234)
    return [x + limits for x in (
        wy("describe"), wy("synthesize", {"text": "Hello.", "voice": {"name": "espeak:en-us"}}),
        wy("synthesize", {"text": "Hi."}, inline=True),
        wy("synthesize-start", {"voice": {"language": "de"}}) + wy("synthesize-chunk", {"text": "Hallo "}) +
        wy("synthesize-stop"),
        wy("audio-chunk", {"rate": 16000, "width": 2, "channels": 1}, b"\x00\x01" * 20),
        wy("ping", {"text": "x"}), b'{"type":"x","data_length":-1}\n', b"not json\n")]


def request():
    pure = [b"Hello there.\x00" + json.dumps(b).encode() + b"\x00\x05" for b in (
        {"text": "Hi.", "voice": "de", "speed": 1.5, "format": "mp3", "sample_rate": 24000},
        {"engine": "fake", "voice": "en-us+f1", "pitch": "2", "volume": 0},
        {"voice": "fake:he", "speed": 1e308}, {"voice": ["x"]})]
    form = [b"Hi\x00INPUT_TEXT=Hello+there&VOICE=de&speed=0.5&format=wav\x01\x05"]
    whole = [json.dumps(b).encode() + b"\x00" * 6 for b in (
        {"input": "Hello.", "voice": "alloy", "response_format": "wav", "speed": 1.2},
        {"text": "Hi.", "voice": "fake:de", "format": "flac"})]
    return pure + form + whole


def ws_session():
    msgs = [{"type": "config", "voice": "de", "format": "wav", "sample_rate": 16000},
            {"type": "text", "text": "Hello there. How "}, {"type": "text", "text": "are you?"},
            {"type": "flush"}, {"type": "cancel"}, {"type": "text", "text": "Again."}, {"type": "end"}]
    native = b"".join(json.dumps(m).encode() + b"\\" for m in msgs) + b"\x01"
    rtts = b"Hello there.\\stop\\" + b"\x00"
    return [native, rtts, b'{"type":"sing"}\\not json\\{"text":5}\\\x01']


write("fuzz_segmenter", segmenter())
write("fuzz_utf8", utf8())
write("fuzz_worker_frames", worker_frames())
write("fuzz_wyoming_frames", wyoming_frames())
write("fuzz_request", request())
write("fuzz_ws_session", ws_session())
