#!/usr/bin/env python3
"""int8 dynamic quantisation of the PP-OCRv5 models, as tried on 2026-11-26 (BENCHMARKS.md,
"OCR benchmarks"). Not part of the install: the results were rejected (see there).

    python3 -m venv /tmp/q && /tmp/q/bin/pip install onnx==1.23.2 onnxruntime==1.32.0
    /tmp/q/bin/python ocr/bench/quantize-experiment.py models/ppocrv5_det.onnx /tmp/det_q.onnx [--reduce-range] [--per-channel] [--depthwise]

then point the eval at a models directory holding the quantised file under the original name.
Without --reduce-range the output is wrong in rten 0.27 on AVX2 CPUs without VNNI: its u8×i8 GEMM
kernel (vpmaddubsw) saturates 16-bit pair sums; 7-bit weights avoid that (rten-gemm
reduced_range_rng.rs says so too). Depthwise convolutions are left in float unless --depthwise.
"""
import argparse

import onnx
from onnxruntime.quantization import QuantType, quantize_dynamic

ap = argparse.ArgumentParser()
ap.add_argument("src")
ap.add_argument("dst")
ap.add_argument("--reduce-range", action="store_true")
ap.add_argument("--per-channel", action="store_true")
ap.add_argument("--depthwise", action="store_true", help="quantise depthwise (group > 1) convolutions too")
a = ap.parse_args()

exclude = []
if not a.depthwise:
    for n in onnx.load(a.src).graph.node:
        if n.op_type == "Conv" and any(x.name == "group" and x.i > 1 for x in n.attribute):
            exclude.append(n.name)
quantize_dynamic(
    a.src,
    a.dst,
    op_types_to_quantize=["Conv", "MatMul"],
    per_channel=a.per_channel,
    reduce_range=a.reduce_range,
    weight_type=QuantType.QInt8,
    nodes_to_exclude=exclude,
)
