"""ONNX export that OpenCV 4.6's DNN module loads, and the check that it
computes what torch computes."""
import cv2
import numpy as np
import onnx
import torch


def inline_identities(model):
    """torch 1.13 shares equal initializers through Identity nodes, which
    OpenCV 4.6's importer cannot take: give each output its own copy."""
    inits = {i.name: i for i in model.graph.initializer}
    keep = []
    for n in model.graph.node:
        if n.op_type == "Identity" and n.input[0] in inits:
            t = onnx.TensorProto()
            t.CopyFrom(inits[n.input[0]])
            t.name = n.output[0]
            model.graph.initializer.append(t)
        else:
            keep.append(n)
    del model.graph.node[:]
    model.graph.node.extend(keep)
    return model


def export(module, example, path, dynamic_hw=False):
    module.eval()
    axes = {"input": {2: "h", 3: "w"}, "output": {2: "oh", 3: "ow"}} if dynamic_hw else None
    torch.onnx.export(module, example, path, opset_version=11, input_names=["input"],
                      output_names=["output"], dynamic_axes=axes, do_constant_folding=True)
    m = inline_identities(onnx.load(path))
    onnx.checker.check_model(m)
    onnx.save(m, path)


def check(module, path, examples):
    """Largest absolute difference between torch and OpenCV DNN outputs."""
    net = cv2.dnn.readNetFromONNX(path)
    worst = 0.0
    with torch.no_grad():
        for x in examples:
            ref = module(x).numpy()
            net.setInput(x.numpy())
            got = net.forward()
            if got.shape != ref.shape:
                raise SystemExit("OpenCV DNN output shape %s, torch %s" % (got.shape, ref.shape))
            worst = max(worst, float(np.abs(got - ref).max()))
    if worst > 1e-3:
        raise SystemExit("OpenCV DNN and torch disagree by %.3g" % worst)
    return worst
