#!/usr/bin/python3
"""Writes a tiny Kokoro-shaped voice set into a folder, for the kokoro engine's tests.

    /usr/bin/python3 tests/neural/make_kokoro.py OUT_DIR

Needs Debian's python3-onnx and python3-numpy (hence /usr/bin/python3, not a pyenv one).

OUT_DIR/kokoro.onnx       inputs as the Kokoro-82M ONNX export has them: input_ids int64 [1, T],
                          style float [1, 256], speed float [1]; output waveform float [N]
OUT_DIR/kokoro-tokens.onnx  the same with the first input named `tokens` (kokoro-onnx's
                          earlier exports)
OUT_DIR/config.json       {"vocab": {phoneme: id}}: a small IPA vocabulary
OUT_DIR/voices.npz        the voices as np.savez writes them (entries stored)
OUT_DIR/voices-deflated.npz  the same, np.savez_compressed (entries deflated)
OUT_DIR/voices/NAME.bin   the same voices as kokoro-js ships them (raw little-endian float32)

The waveform encodes the model's inputs so that a test can decode them from the audio:

    MARKER samples at style[0, 0]   the style row: row k of every voice holds k / 1000 there
    MARKER samples at style[0, 1]   the voice: VOICE_LEVELS[name] / 1000
    then one block per input id (the padding 0 included) at level id / 1000, each
    round(BLOCK / speed) samples long.

The voices are af_alpha and bm_beta (offered) and zf_gamma (a language the engine does not
offer: it must not be listed).
"""

import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto as T
from onnx import helper as h

MARKER = 120
BLOCK = 240
ROWS, DIM = 510, 256
VOICE_LEVELS = {"af_alpha": 700, "bm_beta": 800, "zf_gamma": 900}

# Ids from 1 (0 is the padding). "ˌ" (secondary stress), which espeak-ng writes often, is left
# out on purpose: unknown phonemes must be dropped.
PUNCTUATION = ";:,.!?"
IPA = ("abcdefhijklmnopqrstuvwxyz"
       "ɑɐɒæβɔçðʤəɚɛɜɡɪɫŋɲøθœɹɾʃʧʊʋʌɣʎʒʔˈːʲᵻɬɐ̃ɨʉɵɯ")


def vocab():
    table = {}
    for c in PUNCTUATION + " " + IPA:
        table.setdefault(c, len(table) + 1)
    return table


def model(first_input):
    c = lambda name, dtype, dims, vals: h.make_tensor(name, dtype, dims, vals)
    nodes = [
        # one block per id: level id / 1000, round(BLOCK / speed) samples
        h.make_node("Cast", [first_input], ["ids_f"], to=T.FLOAT),
        h.make_node("Div", ["ids_f", "thousand"], ["levels"]),
        h.make_node("Reshape", ["levels", "column"], ["levels_col"]),
        h.make_node("Div", ["block", "speed"], ["block_f"]),
        h.make_node("Round", ["block_f"], ["block_r"]),
        h.make_node("Cast", ["block_r"], ["block_len"], to=T.INT64),
        h.make_node("Shape", [first_input], ["ids_shape"]),
        h.make_node("Slice", ["ids_shape", "one", "two"], ["count"]),
        h.make_node("Concat", ["count", "block_len"], ["blocks_shape"], axis=0),
        h.make_node("Expand", ["levels_col", "blocks_shape"], ["blocks"]),
        h.make_node("Reshape", ["blocks", "flat"], ["token_wave"]),
        # the marker: style[0, 0] then style[0, 1], MARKER samples each
        h.make_node("Slice", ["style", "zero2", "one2"], ["s0"]),
        h.make_node("Slice", ["style", "zero_one", "one_two"], ["s1"]),
        h.make_node("Concat", ["s0", "s1"], ["marks"], axis=0),
        h.make_node("Expand", ["marks", "marker_shape"], ["marker_blocks"]),
        h.make_node("Reshape", ["marker_blocks", "flat"], ["marker_wave"]),
        h.make_node("Concat", ["marker_wave", "token_wave"], ["waveform"], axis=0),
    ]
    inits = [
        c("thousand", T.FLOAT, [], [1000.0]),
        c("column", T.INT64, [2], [-1, 1]),
        c("block", T.FLOAT, [1], [float(BLOCK)]),
        c("one", T.INT64, [1], [1]),
        c("two", T.INT64, [1], [2]),
        c("flat", T.INT64, [1], [-1]),
        c("zero2", T.INT64, [2], [0, 0]),
        c("one2", T.INT64, [2], [1, 1]),
        c("zero_one", T.INT64, [2], [0, 1]),
        c("one_two", T.INT64, [2], [1, 2]),
        c("marker_shape", T.INT64, [2], [2, MARKER]),
    ]
    graph = h.make_graph(
        nodes, "kokoro_test",
        [h.make_tensor_value_info(first_input, T.INT64, [1, "T"]),
         h.make_tensor_value_info("style", T.FLOAT, [1, DIM]),
         h.make_tensor_value_info("speed", T.FLOAT, [1])],
        [h.make_tensor_value_info("waveform", T.FLOAT, ["N"])], inits)
    m = h.make_model(graph, opset_imports=[h.make_opsetid("", 13)])
    m.ir_version = 8
    onnx.checker.check_model(m)
    return m


def voice(name):
    styles = np.zeros((ROWS, 1, DIM), dtype=np.float32)
    # the rest of each row: something other than zeros, the same in every format
    styles[:, 0, 2:] = np.sin(np.arange(ROWS * (DIM - 2), dtype=np.float32)).reshape(ROWS, DIM - 2) / 10
    styles[:, 0, 0] = np.arange(ROWS, dtype=np.float32) / 1000
    styles[:, 0, 1] = VOICE_LEVELS[name] / 1000
    return styles


def main():
    out = sys.argv[1]
    os.makedirs(os.path.join(out, "voices"), exist_ok=True)
    onnx.save(model("input_ids"), os.path.join(out, "kokoro.onnx"))
    onnx.save(model("tokens"), os.path.join(out, "kokoro-tokens.onnx"))
    with open(os.path.join(out, "config.json"), "w", encoding="utf-8") as f:
        json.dump({"istftnet": {}, "n_token": 178, "vocab": vocab()}, f, ensure_ascii=False)
    voices = {name: voice(name) for name in VOICE_LEVELS}
    np.savez(os.path.join(out, "voices.npz"), **voices)
    np.savez_compressed(os.path.join(out, "voices-deflated.npz"), **voices)
    for name, styles in voices.items():
        styles.astype("<f4").tofile(os.path.join(out, "voices", name + ".bin"))


if __name__ == "__main__":
    main()
