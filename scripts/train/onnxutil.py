"""ONNX export that OpenCV 4.6's DNN module loads, and the check that it
computes what torch computes."""
import cv2
import numpy as np
import onnx
from onnx import numpy_helper
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


def state_from_onnx(net, path, fresh=()):
    """net's state dict with the weights of the ONNX at path, which export
    wrote from a network of net's shape (wrapped, as the agent runs it): a
    run can go on from a published network without the checkpoint it was
    exported from. Export folds each batch norm into the convolution before
    it, so the batch norm takes an identity's statistics (mean 0, variance
    1 - eps, scale 1) and the folded bias: the same function in eval mode
    (restore_batchnorm makes it so in training mode too). The modules named
    in fresh (and theirs) keep net's own weights: a run that changes their
    shape (the detector's head made depthwise) learns them anew."""
    def is_fresh(name):
        return any(name == f or name.startswith(f + ".") for f in fresh)

    model = onnx.load(path)
    inits = {i.name: torch.from_numpy(numpy_helper.to_array(i).copy()) for i in model.graph.initializer}
    state = {k: v.clone() for k, v in net.state_dict().items()}
    modules = dict(net.named_modules())
    done = set()
    for node in model.graph.node:
        if node.op_type != "Conv":
            continue
        # "/net/body/body.2/body.2.0/Conv": the convolution is net's body.2.0.
        name = node.name.split("/")[-2]
        if is_fresh(name):
            continue
        conv = modules.get(name)
        if not isinstance(conv, torch.nn.Conv2d) or tuple(conv.weight.shape) != tuple(inits[node.input[1]].shape):
            raise SystemExit("%s: convolution %s does not fit the network" % (path, node.name))
        state[name + ".weight"] = inits[node.input[1]]
        bias = inits[node.input[2]] if len(node.input) > 2 else torch.zeros(conv.out_channels)
        if conv.bias is not None:
            state[name + ".bias"] = bias
        else:
            parent, index = name.rsplit(".", 1)
            bn_name = "%s.%d" % (parent, int(index) + 1)
            bn = modules.get(bn_name)
            if not isinstance(bn, torch.nn.BatchNorm2d):
                # A convolution followed by another (the detector's sep
                # head): nothing folded into it, no bias.
                if len(node.input) > 2:
                    raise SystemExit("%s: no batch norm after %s for its bias" % (path, name))
                done.add(name)
                continue
            state[bn_name + ".weight"] = torch.ones_like(bias)
            state[bn_name + ".bias"] = bias
            state[bn_name + ".running_mean"] = torch.zeros_like(bias)
            state[bn_name + ".running_var"] = torch.full_like(bias, 1 - bn.eps)
            done.add(bn_name)
        done.add(name)
    missing = [n for n, m in modules.items() if isinstance(m, (torch.nn.Conv2d, torch.nn.BatchNorm2d)) and n not in done and not is_fresh(n)]
    if missing:
        raise SystemExit("%s: no weights for %s" % (path, ", ".join(missing)))
    return state


def load_init(net, path, fresh=()):
    """The state dict a run starts from: a checkpoint (.pt) the script
    saved, or a network it exported (.onnx, e.g. the published one in
    assets/models); the modules named in fresh keep net's own weights."""
    if path.endswith(".onnx"):
        return state_from_onnx(net, path, fresh)
    state = torch.load(path)
    own = net.state_dict()
    for k in own:
        if any(k.startswith(f + ".") for f in fresh):
            state[k] = own[k]
    return {k: v for k, v in state.items() if k in own}


# Batches whose statistics restore_batchnorm gives the batch norms of a
# network loaded from ONNX: enough for a per-channel mean and variance.
CALIBRATION_BATCHES = 8


def restore_batchnorm(net, batches):
    """After state_from_onnx, before training on: gives each batch norm the
    mean and variance of its input over batches (inputs of the network, seen
    through the loaded function), with a scale and shift that keep it adding
    only its folded bias. The network computes the same in eval mode, and in
    training mode, where a batch norm normalises by the batch's statistics,
    nearly the same: without this, a run going on from an ONNX would begin
    from another function than the published one."""
    sums = {}

    def hook(name):
        def f(_, inputs, __):
            x = inputs[0].detach().double()
            s = sums.setdefault(name, [0, 0.0, 0.0])
            s[0] += 1
            s[1] = s[1] + x.mean((0, 2, 3))
            s[2] = s[2] + (x * x).mean((0, 2, 3))
        return f

    bns = {n: m for n, m in net.named_modules() if isinstance(m, torch.nn.BatchNorm2d)}
    handles = [m.register_forward_hook(hook(n)) for n, m in bns.items()]
    was_training = net.training
    net.eval()
    with torch.no_grad():
        for x in batches:
            net(x)
    for h in handles:
        h.remove()
    with torch.no_grad():
        for n, bn in bns.items():
            k, sx, sxx = sums[n]
            mean = sx / k
            var = (sxx / k - mean * mean).clamp(min=0)
            bn.bias.copy_((bn.bias.double() + mean).float())
            bn.weight.copy_((var + bn.eps).sqrt().float())
            bn.running_mean.copy_(mean.float())
            bn.running_var.copy_(var.float())
    net.train(was_training)
