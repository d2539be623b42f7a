"""Decoding Lector's audio in every format for the end-to-end tests, with the test tool
`lector-decode` (tests/tools/decode.cpp: libmpg123, libopusfile, libFLAC), built next to the
`lector` binary under test."""

import json
import os
import subprocess

from harness import LECTOR_BIN

LECTOR_DECODE = os.environ.get("LECTOR_DECODE") or os.path.join(os.path.dirname(LECTOR_BIN),
                                                                 "lector-decode")


def decode(fmt, data, rate=None, wav_out=None):
    """{"format", "sample_rate", "channels", "samples", "seconds", "valid"} for `data` in format
    `fmt` (pcm needs its rate). Raises AssertionError when it does not decode."""
    cmd = [LECTOR_DECODE, fmt] + ([str(rate)] if rate else []) + (["--wav", wav_out] if wav_out else [])
    proc = subprocess.run(cmd, input=data, capture_output=True, timeout=60)
    if proc.returncode != 0:
        raise AssertionError(f"{fmt} ({len(data)} bytes) does not decode: "
                             f"{proc.stdout.decode(errors='replace')}{proc.stderr.decode(errors='replace')}")
    return json.loads(proc.stdout)


def decodes(fmt, data, rate=None):
    """Whether `data` decodes as `fmt`, and the result or the error text."""
    try:
        return True, decode(fmt, data, rate)
    except AssertionError as e:
        return False, str(e)
