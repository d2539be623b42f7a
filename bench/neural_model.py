#!/usr/bin/python3
"""A random-weight stand-in for a medium Piper voice, for bench/neural.py (not for the tests).

No real voice can be downloaded here, so this builds a model of the same shape of work: the
inputs and output of a Piper export (`input` int64 [1,N], `input_lengths` int64 [1], `scales`
float [3] -> `output` float [1,1,T]) and, in between, what dominates a VITS voice's cost: a
phoneme encoder, each phoneme held for a number of 256-sample frames set by length_scale, and
a flow of dilated convolutions, and a HiFi-GAN-style decoder (upsampling 8x8x2x2 from 512 channels, a residual block of three
kernel sizes after each upsampling). About 15 M parameters (a medium Piper voice has about
15-20 M, 60 MB as ONNX). The audio is noise: the model measures cost, not quality.

    /usr/bin/python3 bench/neural_model.py OUT_DIR [--name NAME] [--voice en-us]

Debian's python3-onnx and python3-numpy (run with /usr/bin/python3, not a pyenv python).
"""

import argparse
import json
import pathlib
import subprocess

import numpy as np
import onnx
from onnx import TensorProto as T
from onnx import helper as h

HIDDEN = 192
FRAMES_PER_PHONEME = 3  # per input id at length_scale 1; half the ids are pads, so ~70 ms a phoneme


class Builder:
    def __init__(self, seed=7):
        self.nodes, self.inits, self.n = [], [], 0
        self.rng = np.random.default_rng(seed)
        self.params = 0

    def name(self, base):
        self.n += 1
        return f"{base}_{self.n}"

    def const(self, base, array, dtype=T.FLOAT):
        nm = self.name(base)
        arr = np.asarray(array)
        self.inits.append(h.make_tensor(nm, dtype, arr.shape, arr.flatten().tolist()
                                        if arr.size < 64 else arr.astype(
                                            np.float32 if dtype == T.FLOAT else np.int64
                                        ).tobytes(), raw=arr.size >= 64))
        return nm

    def weight(self, shape, fan_in):
        self.params += int(np.prod(shape))
        w = (self.rng.standard_normal(shape) / np.sqrt(fan_in)).astype(np.float32)
        return self.const("w", w)

    def node(self, op, inputs, **attrs):
        out = self.name(op.lower())
        self.nodes.append(h.make_node(op, inputs, [out], **attrs))
        return out

    def conv(self, x, cin, cout, k, dilation=1):
        w = self.weight((cout, cin, k), cin * k)
        b = self.const("b", np.zeros(cout, np.float32))
        pad = dilation * (k - 1) // 2
        return self.node("Conv", [x, w, b], kernel_shape=[k], pads=[pad, pad],
                         dilations=[dilation])

    def up(self, x, cin, cout, stride):
        k = stride * 2
        w = self.weight((cin, cout, k), cin * k // stride)
        b = self.const("b", np.zeros(cout, np.float32))
        return self.node("ConvTranspose", [x, w, b], kernel_shape=[k], strides=[stride],
                         pads=[stride // 2, stride // 2])

    def lrelu(self, x):
        return self.node("LeakyRelu", [x], alpha=0.1)

    def resblock(self, x, ch):
        # Three kernel sizes, each two dilated convolutions, averaged: HiFi-GAN's MRF.
        outs = []
        for k in (3, 7, 11):
            y = x
            for d in (1, 3):
                y = self.node("Add", [y, self.conv(self.lrelu(y), ch, ch, k, d)])
            outs.append(y)
        s = self.node("Add", [self.node("Add", [outs[0], outs[1]]), outs[2]])
        return self.node("Mul", [s, self.const("third", np.array(1 / 3, np.float32))])


def build(vocab):
    b = Builder()
    emb = b.weight((vocab, HIDDEN), 1)
    x = b.node("Gather", [emb, "input"], axis=0)                      # [1,N,H]
    x = b.node("Transpose", [x], perm=[0, 2, 1])                      # [1,H,N]
    for _ in range(6):            # phoneme encoder: VITS's 6 layers' feed-forward part
        y = b.conv(b.node("Relu", [b.conv(x, HIDDEN, 4 * HIDDEN, 3)]), 4 * HIDDEN, HIDDEN, 3)
        x = b.node("Add", [x, y])
    # Hold each phoneme for ceil(FRAMES_PER_PHONEME * length_scale) frames.
    ls = b.node("Gather", ["scales", b.const("i1", np.array(1, np.int64), T.INT64)], axis=0)
    reps = b.node("Cast", [b.node("Ceil", [b.node("Mul", [ls, b.const(
        "fpp", np.array(FRAMES_PER_PHONEME, np.float32))])])], to=T.INT64)
    reps = b.node("Reshape", [reps, b.const("s1", np.array([1], np.int64), T.INT64)])
    tile = b.node("Concat", [b.const("ones", np.array([1, 1, 1], np.int64), T.INT64), reps],
                  axis=0)
    x = b.node("Unsqueeze", [x, b.const("ax", np.array([3], np.int64), T.INT64)])
    x = b.node("Tile", [x, tile])                                     # [1,H,N,R]
    x = b.node("Reshape", [x, b.const("shp", np.array([1, HIDDEN, -1], np.int64), T.INT64)])
    for _ in range(4):            # the flow: 4 couplings of 4 dilated layers, at frame rate
        for d in (1, 2, 4, 8):
            x = b.node("Add", [x, b.conv(b.node("Tanh", [x]), HIDDEN, HIDDEN, 5, d)])
    x = b.conv(x, HIDDEN, 512, 7)                                     # decoder
    ch = 512
    for stride in (8, 8, 2, 2):
        x = b.up(b.lrelu(x), ch, ch // 2, stride)
        ch //= 2
        x = b.resblock(x, ch)
    x = b.node("Tanh", [b.conv(b.lrelu(x), ch, 1, 7)])
    b.nodes.append(h.make_node("Identity", [x], ["output"]))
    graph = h.make_graph(
        b.nodes, "piper_medium_stand_in",
        [h.make_tensor_value_info("input", T.INT64, [1, "phonemes"]),
         h.make_tensor_value_info("input_lengths", T.INT64, [1]),
         h.make_tensor_value_info("scales", T.FLOAT, [3])],
        [h.make_tensor_value_info("output", T.FLOAT, [1, 1, "samples"])], b.inits)
    model = h.make_model(graph, opset_imports=[h.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model, b.params


def phoneme_map(voice):
    """Ids for every symbol espeak-ng's IPA uses on a sample of the language, plus Piper's
    specials (pad, BOS, EOS, space, punctuation)."""
    sample = ("The quick brown fox jumps over the lazy dog. How vexingly quick daft zebras "
              "jump! Sphinx of black quartz, judge my vow; the five boxing wizards jump.")
    ipa = subprocess.run(["espeak-ng", "-q", "--ipa", "-v", voice, sample], check=True,
                         capture_output=True, text=True).stdout
    symbols = ["_", "^", "$", " ", ",", ".", ";", ":", "!", "?"]
    for ch in ipa:
        if ch not in symbols and not ch.isspace():
            symbols.append(ch)
    return {s: [i] for i, s in enumerate(symbols)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out_dir", type=pathlib.Path)
    ap.add_argument("--name", default="en_US-bench-medium")
    ap.add_argument("--voice", default="en-us", help="espeak-ng voice of the phonemes")
    args = ap.parse_args()
    args.out_dir.mkdir(parents=True, exist_ok=True)
    ids = phoneme_map(args.voice)
    model, params = build(max(v[0] for v in ids.values()) + 1)
    onnx_path = args.out_dir / f"{args.name}.onnx"
    onnx.save(model, str(onnx_path))
    config = {"audio": {"sample_rate": 22050, "quality": "medium"},
              "espeak": {"voice": args.voice}, "language": {"code": "en_US"},
              "inference": {"noise_scale": 0.667, "length_scale": 1.0, "noise_w": 0.8},
              "phoneme_type": "espeak", "num_speakers": 1, "speaker_id_map": {},
              "phoneme_id_map": ids}
    (args.out_dir / f"{args.name}.onnx.json").write_text(json.dumps(config, indent=1,
                                                                    ensure_ascii=False))
    print(json.dumps({"model": str(onnx_path), "parameters": params,
                      "bytes": onnx_path.stat().st_size}))


if __name__ == "__main__":
    main()
