#!/usr/bin/python3
"""Writes tiny Piper-shaped voices whose audio encodes their input ids, for Lector's tests.

    /usr/bin/python3 tests/neural/make_piper.py OUT_DIR

Needs Debian's python3-onnx and python3-numpy. Each model has a Piper export's interface
(inputs `input` int64 [1,N], `input_lengths` int64 [1], `scales` float [3], and `sid` int64 [1]
when it has several speakers; output `output` float [1,1,T]) and turns id i of speaker s into a
block of round(BLOCK * length_scale) samples at level (i + SPEAKER_STEP * s) / 1000, so a test
can read the ids back from Lector's audio. The level is also multiplied by
noise_scale * noise_w / (the config's noise_scale * noise_w) and by (input_lengths == N): audio
at the wrong level means those inputs were wrong.

Written into OUT_DIR:
  en_US-test-medium.onnx(.json)   one speaker, 22050 Hz, espeak voice en-us
  de/de_DE-trio-low.onnx(.json)   three speakers (anna, bernd, clara), 16000 Hz, espeak de
  broken/xx_XX-broken-low.onnx(.json)  a valid config beside a corrupt model
"""

import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

BLOCK = 200  # samples per id at length_scale 1
SPEAKER_STEP = 200
NOISE_SCALE = 0.5
NOISE_W = 0.25

# Specials first (Piper's ids), then the symbols espeak-ng's IPA uses for the test sentences.
# The secondary stress mark U+02CC is left out on purpose: the engine must drop it.
SYMBOLS = (
    ["_", "^", "$", " ", "!", ",", ".", ":", ";", "?"]
    + list("abcdefghijklmnopqrstuvwxyz")
    + list("ɐɑɒæβɔçðəɚɛɜɡɪɫŋøœɹɾʁʃʊʌʏʒʔθχʎɲɣɨʉɯɤɵʋ")
    + ["ˈ", "ː", "\u0303", "\u0327", "\u0329", "ʰ", "ʲ"]
)


def phoneme_id_map():
    return {s: [i] for i, s in enumerate(SYMBOLS)}


def model(speakers):
    f = TensorProto.FLOAT
    i64 = TensorProto.INT64
    inputs = [
        helper.make_tensor_value_info("input", i64, [1, "n"]),
        helper.make_tensor_value_info("input_lengths", i64, [1]),
        helper.make_tensor_value_info("scales", f, [3]),
    ]
    if speakers > 1:
        inputs.append(helper.make_tensor_value_info("sid", i64, [1]))
    c = lambda name, value, dtype=np.float32: helper.make_node(  # noqa: E731
        "Constant", [], [name], value=numpy_helper.from_array(np.array(value, dtype=dtype))
    )
    nodes = [
        c("k_block", [float(BLOCK)]),
        c("k_milli", 1000.0),
        c("k_ref", NOISE_SCALE * NOISE_W),
        c("k_one", [1], np.int64),
        c("k_idx0", [0], np.int64),
        c("k_idx1", [1], np.int64),
        c("k_idx2", [2], np.int64),
        c("k_flat", [1, 1, -1], np.int64),
        helper.make_node("Cast", ["input"], ["ids_f"], to=f),
        # The level of each id, with the speaker's offset.
    ]
    if speakers > 1:
        nodes += [
            c("k_step", float(SPEAKER_STEP)),
            helper.make_node("Cast", ["sid"], ["sid_f"], to=f),
            helper.make_node("Mul", ["sid_f", "k_step"], ["offset"]),
            helper.make_node("Add", ["ids_f", "offset"], ["ids_s"]),
        ]
    else:
        nodes += [helper.make_node("Identity", ["ids_f"], ["ids_s"])]
    nodes += [
        helper.make_node("Div", ["ids_s", "k_milli"], ["level0"]),
        # noise_scale * noise_w must be the config's.
        helper.make_node("Gather", ["scales", "k_idx0"], ["noise"], axis=0),
        helper.make_node("Gather", ["scales", "k_idx2"], ["noise_w"], axis=0),
        helper.make_node("Mul", ["noise", "noise_w"], ["nn"]),
        helper.make_node("Div", ["nn", "k_ref"], ["nfactor"]),
        helper.make_node("Mul", ["level0", "nfactor"], ["level1"]),
        # input_lengths must be N.
        helper.make_node("Shape", ["input"], ["in_shape"]),
        helper.make_node("Gather", ["in_shape", "k_idx1"], ["n"], axis=0),
        helper.make_node("Equal", ["input_lengths", "n"], ["len_ok"]),
        helper.make_node("Cast", ["len_ok"], ["len_f"], to=f),
        helper.make_node("Mul", ["level1", "len_f"], ["level"]),
        # Each id repeated round(BLOCK * length_scale) times.
        helper.make_node("Gather", ["scales", "k_idx1"], ["length_scale"], axis=0),
        helper.make_node("Mul", ["length_scale", "k_block"], ["block_f"]),
        helper.make_node("Round", ["block_f"], ["block_r"]),
        helper.make_node("Cast", ["block_r"], ["block"], to=i64),
        helper.make_node("Concat", ["k_one", "n", "block"], ["target"], axis=0),
        helper.make_node("Unsqueeze", ["level", "k_flat_axes"], ["level3"]),
        helper.make_node("Expand", ["level3", "target"], ["blocks"]),
        helper.make_node("Reshape", ["blocks", "k_flat"], ["output"]),
    ]
    nodes.insert(0, c("k_flat_axes", [2], np.int64))
    graph = helper.make_graph(
        nodes, "piper_test", inputs, [helper.make_tensor_value_info("output", f, [1, 1, "t"])]
    )
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    onnx.checker.check_model(m)
    return m


def config(sample_rate, espeak_voice, code, speakers):
    cfg = {
        "audio": {"sample_rate": sample_rate, "quality": "test"},
        "espeak": {"voice": espeak_voice},
        "language": {"code": code},
        "inference": {"noise_scale": NOISE_SCALE, "length_scale": 1.0, "noise_w": NOISE_W},
        "phoneme_type": "espeak",
        "phoneme_id_map": phoneme_id_map(),
        "num_symbols": len(SYMBOLS),
        "num_speakers": len(speakers) or 1,
        "speaker_id_map": {name: i for i, name in enumerate(speakers)},
    }
    return json.dumps(cfg, ensure_ascii=False, indent=1)


def write(out, rel, sample_rate, espeak_voice, code, speakers, corrupt=False):
    path = os.path.join(out, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if corrupt:
        with open(path, "wb") as f:
            f.write(b"\x08\x07not an onnx model" * 10)
    else:
        onnx.save(model(max(1, len(speakers))), path)
    with open(path + ".json", "w", encoding="utf-8") as f:
        f.write(config(sample_rate, espeak_voice, code, speakers))


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    write(out, "en_US-test-medium.onnx", 22050, "en-us", "en_US", [])
    write(out, "de/de_DE-trio-low.onnx", 16000, "de", "de_DE", ["anna", "bernd", "clara"])
    write(out, "broken/xx_XX-broken-low.onnx", 22050, "en-us", "en_US", [], corrupt=True)


if __name__ == "__main__":
    main()
