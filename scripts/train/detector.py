"""Trains the plate detector: a small fully convolutional network that sees
a whole frame once (scaled so that its longer side is DETECT_WIDTH pixels)
and answers, on a grid of stride 4, how likely a plate's centre is there and
the plate's box. It runs in the agent through OpenCV's DNN module
(internal/alpr/detect.go), which decodes the same outputs as `decode` here.

Data (read from the datasets folder, never copied):
  dashcam-ro frames of three of its four drive videos (the fourth,
  data.HELDOUT_VIDEO, is the validation video); the EU and BR photos but their
  held-out quarter; US crops of the train split warped over the dashcam
  plates (inpainted away first) at the sizes US plates have beside EU ones;
  rendered US, EU and BR plates; and, as negatives, camera overlays (date,
  time, speed, GPS, camera id) burned into the corners and signs with phone
  numbers and words.

Usage: detector.py --data ../shared/datasets --out DIR [--minutes 75] [--seed 1]
Writes DIR/plate-detector.onnx and DIR/plate-detector.json (recipe, figures).
"""
import argparse
import hashlib
import json
import math
import os
import sys
import time

import cv2
import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F

import compose
import data
import onnxutil
import render

STRIDE = 4
DETECT_WIDTH = 960  # the longer side of the detector's input (alpr.detect_width)
CROP_H, CROP_W = 320, 512  # training crops; the network is fully convolutional
BATCH = 12
CHANNELS = (16, 32, 64, 96, 128)
# Plate widths, in detector input pixels, that training scales plates to:
# 30-60 px plates of a 1080p frame are 15-30 px at DETECT_WIDTH 960.
MIN_W, MAX_W = 10.0, 220.0
US_WIDTH_RATIO = (0.5, 0.75)  # a US plate (30.5 cm) beside an EU one (52 cm), with slack


def cbr(i, o, k=3, s=1, g=1):
    return nn.Sequential(nn.Conv2d(i, o, k, s, k // 2, groups=g, bias=False), nn.BatchNorm2d(o), nn.ReLU(inplace=True))


def dws(i, o, s=1):
    """Depthwise 3x3 then pointwise 1x1: cheap in OpenCV's DNN module."""
    return nn.Sequential(cbr(i, i, 3, s, g=i), cbr(i, o, 1))


# The head's 3x3 convolution at stride 4. "dense" (32 to 32 channels) is
# the published detector's: 7.2 of its 23.8 ms on a 960x544 input (cv2.dnn,
# two threads). "dws" (depthwise then pointwise) saves most of that; trained
# on from the published detector with a fresh head (--head dws --init
# assets/models/plate-detector.onnx --fresh head.0 --lr 0.001 --seed 2
# --steps 4000, 2026-12-06) its searches were 5-6 ms faster but it read 8
# fewer turned plates of the street set and 2 fewer BR photos: not published.
# "sep" is the dense head's low-rank, spatially separable form: a 3x1
# convolution to SEP_RANK channels, then a 1x3 one back (a third of the
# dense head's multiplications at rank 16; 22.6 against 26.0 ms for the
# detector on a 960x544 input). Going on from a dense network (--head sep
# --init NET.onnx --fresh head.0), it starts from the dense head's
# rank-SEP_RANK factorisation (factor_head: 79% of its energy), unlike the
# dws head, which started afresh. The published detector is the dense one
# gone on with it for 2,000 steps (--lr 0.001 --seed 2), then 3,000 more
# (--lr 0.0005 --seed 3), as make train-detector does (2026-12-06): through
# the whole engine it read 8 more plates over the four street sets, one BR
# photo fewer (111 of 114), the same EU photos, 5 ms less a 720p frame.
SEP_RANK = 16


def sep(i, o, r=SEP_RANK):
    return nn.Sequential(nn.Conv2d(i, r, (3, 1), 1, (1, 0), bias=False), nn.Conv2d(r, o, (1, 3), 1, (0, 1), bias=False),
                         nn.BatchNorm2d(o), nn.ReLU(inplace=True))


HEADS = {"dense": cbr, "dws": dws, "sep": sep}

# The stem's second convolution, 16 to 32 channels at stride 2. "dense" (a
# full 3x3 convolution) is what the detector was first trained with; with
# the first, it takes a third of the detector's time (13 of 39 ms on a
# 960x544 input, cv2.dnn getPerfProfile, 2026-12-07). "dws" (depthwise 3x3
# at stride 2, then pointwise) makes the untrained network 30% faster (46.8
# against 32.8 ms in the same probe). A run going on from a dense-stem
# network swaps it (--stem dws --init NET.onnx, which has the dense stem):
# the new layer first learns alone to give what the old one gave
# (distil_stem), then the whole network trains on. Tried on 2026-12-07 from
# the published detector (--head sep --stem dws --lr 0.0005 --seed 4
# --steps 3000): the stem's output was matched to 11.5% of its variance,
# the detector took 36.8 against 46.7 ms (960x544, getPerfProfile), but it
# found fewer small plates (far 1080p street set, 13-40 px at its input:
# 154 against 161 of 180 at MinScore) with more false boxes, and the whole
# engine read 112 of that set's plates against 125, the others within one:
# not published. A stem trained from the start, or one that keeps more of
# the frame's detail (a depthwise layer of two filters per channel), is
# still to try.
STEMS = {"dense": lambda i, o: cbr(i, o, 3, 2), "dws": lambda i, o: dws(i, o, 2)}


def factor_head(net, path):
    """Sets net's sep head from the dense 3x3 head of the detector exported
    at path, loaded as any --init is (onnxutil.load_init: batch norm folded
    into the convolution, its bias left to the batch norm with an
    identity's statistics): W[o, i, ky, kx], as a matrix of rows (i, ky)
    and columns (o, kx), cut by SVD to its SEP_RANK largest singular values,
    is a 3x1 convolution (the left vectors) followed by a 1x3 one (the right
    ones); the dense head's batch norm becomes the sep head's."""
    dense = Net(head="dense")
    dense.load_state_dict(onnxutil.load_init(dense, path))
    w = dense.head[0][0].weight.detach().numpy()
    o, i, kh, kw = w.shape
    u, s, vt = np.linalg.svd(w.transpose(1, 2, 0, 3).reshape(i * kh, o * kw), full_matrices=False)
    r = net.head[0][0].out_channels
    root = np.sqrt(s[:r])
    vertical = (u[:, :r] * root).T.reshape(r, i, kh, 1)
    horizontal = (root[:, None] * vt[:r]).reshape(r, o, 1, kw).transpose(1, 0, 2, 3)
    with torch.no_grad():
        net.head[0][0].weight.copy_(torch.from_numpy(np.ascontiguousarray(vertical)))
        net.head[0][1].weight.copy_(torch.from_numpy(np.ascontiguousarray(horizontal)))
    net.head[0][2].load_state_dict(dense.head[0][1].state_dict())
    return float((s[:r] ** 2).sum() / (s ** 2).sum())


class Net(nn.Module):
    """Backbone to stride 32, top-down fusion back to stride 4, and a head of
    five maps: plate-centre logit, centre offset (x, y) within the cell, and
    log width and height in cells."""

    def __init__(self, c=CHANNELS, head="dense", stem="dense"):
        super().__init__()
        self.stem = nn.Sequential(cbr(3, c[0], 3, 2), STEMS[stem](c[0], c[1]))
        self.s4 = dws(c[1], c[1])
        self.s8 = nn.Sequential(dws(c[1], c[2], 2), dws(c[2], c[2]))
        self.s16 = nn.Sequential(dws(c[2], c[3], 2), dws(c[3], c[3]), dws(c[3], c[3]))
        self.s32 = nn.Sequential(dws(c[3], c[4], 2), dws(c[4], c[4]), dws(c[4], c[4]))
        self.l16, self.l8, self.l4 = cbr(c[4], c[3], 1), cbr(c[3], c[2], 1), cbr(c[2], c[1], 1)
        self.m16, self.m8, self.m4 = dws(c[3], c[3]), dws(c[2], c[2]), dws(c[1], c[1])
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.head = nn.Sequential(HEADS[head](c[1], c[1]), nn.Conv2d(c[1], 5, 1))
        nn.init.constant_(self.head[1].bias[:1], -4.0)  # start with "no plate anywhere"

    def forward(self, x):
        x4 = self.s4(self.stem(x))
        x8 = self.s8(x4)
        x16 = self.s16(x8)
        x32 = self.s32(x16)
        y = self.m16(x16 + self.up(self.l16(x32)))
        y = self.m8(x8 + self.up(self.l8(y)))
        y = self.m4(x4 + self.up(self.l4(y)))
        return self.head(y)


class Exported(nn.Module):
    """What the agent runs: the centre map as a probability."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        o = self.net(x)
        return torch.cat([torch.sigmoid(o[:, :1]), o[:, 1:]], 1)


def onnx_stem(path):
    """The stem (STEMS) of the detector exported at path: the dense one's
    second convolution is stem.1.0, the dws one's stem.1.0.0 and stem.1.1.0."""
    names = {n.name.split("/")[-2] for n in onnx.load(path).graph.node if n.op_type == "Conv"}
    return "dense" if "stem.1.0" in names else "dws"


# Steps and peak rate of distil_stem, and the training batches it cycles
# through: the two stem layers learn from far fewer crops than the network
# needs, and a batch takes the data worker 0.6 s to make, the step on it
# a few hundredths.
DISTIL_STEPS, DISTIL_LR, DISTIL_BATCHES = 1500, 3e-3, 100


def distil_stem(net, init, head, calibration, stream, steps=DISTIL_STEPS):
    """Swaps a dense stem for net's: net takes every weight of the network
    exported at init (a dense stem, head as net's) but the stem's second
    layer, which then learns alone, on training crops, to give the stem's
    output that the init network gives (mean squared error). The rest of net
    starts as a trained network whose stem changed little, not afresh."""
    teacher = Net(head=head, stem="dense")
    teacher.load_state_dict(onnxutil.load_init(teacher, init))
    onnxutil.restore_batchnorm(teacher, calibration)
    state = net.state_dict()
    state.update({k: v for k, v in teacher.state_dict().items() if not k.startswith("stem.1.")})
    net.load_state_dict(state)
    teacher.eval()
    net.eval()
    net.stem[1].train()
    opt = torch.optim.Adam(net.stem[1].parameters(), lr=DISTIL_LR)
    # Kept as the bytes they were made from (to_input: bytes / 255), a
    # quarter of their size as floats.
    batches = [(next(stream)[0] * 255).round().to(torch.uint8) for _ in range(DISTIL_BATCHES)]
    avg = None
    for step in range(steps):
        for g in opt.param_groups:
            g["lr"] = DISTIL_LR * (0.5 * (1 + math.cos(math.pi * step / steps)) * 0.98 + 0.02)
        x = batches[step % len(batches)].float() / 255.0
        with torch.no_grad():
            want = teacher.stem(x)
        loss = F.mse_loss(net.stem(x), want)
        opt.zero_grad()
        loss.backward()
        opt.step()
        rel = loss.item() / max(want.var().item(), 1e-9)
        avg = rel if avg is None else 0.95 * avg + 0.05 * rel
        if (step + 1) % 100 == 0:
            print("stem swap %4d/%d  error %.1f%% of the dense stem's variance" % (step + 1, steps, 100 * avg), flush=True)
    net.train()
    return avg


def to_input(img):
    """BGR uint8 HxW -> float tensor 3xHxW in [0, 1] (blobFromImage 1/255)."""
    return torch.from_numpy(img).permute(2, 0, 1).float() / 255.0


# ---------------------------------------------------------------- scenes --

class Scenes:
    """Training images with boxes, and the generator of training crops."""

    def __init__(self, root, rng):
        ds = data.datasets(root)
        dash_train, _ = data.dashcam_split(data.read_scenes(ds["dashcam-ro"], "dashcam-ro"))
        eu_train, _ = data.holdout_split(data.read_scenes(ds["openalpr-eu"], "eu"))
        br_train, _ = data.holdout_split(data.read_scenes(ds["openalpr-br"], "br"))
        us_train, _ = data.us_split(data.read_us_crops(ds["openalpr-us-crops"]))
        self.rng = rng
        t = time.time()
        self.dash = [(cv2.imread(i.path), [p.box for p in i.plates]) for i in dash_train]
        self.photos = [(cv2.imread(i.path), [p.box for p in i.plates]) for i in eu_train + br_train]
        self.us = [cv2.imread(p) for p, _, _ in us_train]
        for name, imgs in (("dashcam", [d[0] for d in self.dash]), ("photos", [p[0] for p in self.photos]), ("us", self.us)):
            if any(i is None for i in imgs):
                raise SystemExit("an image of %s did not decode" % name)
        print("scenes: %d dashcam frames, %d photos, %d US crops (%.0f s)" %
              (len(self.dash), len(self.photos), len(self.us), time.time() - t), flush=True)
        self.sources = {"dashcam": len(self.dash), "photos": len(self.photos), "us_crops": len(self.us)}

    def _plate_board(self):
        """A US crop (70%) or a rendered plate."""
        rng = self.rng
        if rng.random() < 0.7:
            return self.us[rng.integers(len(self.us))]
        return render.random_plate(rng, (0.5, 0.3, 0.2))[0]

    def _replace_plates(self, img, boxes):
        """Erases some plates and warps other plates over them."""
        rng = self.rng
        out = []
        for b in boxes:
            if rng.random() < 0.35:
                out.append(b)
                continue
            compose.erase(img, b)
            board = self._plate_board()
            x, y, w, h = b
            nw = w * rng.uniform(*US_WIDTH_RATIO) if rng.random() < 0.7 else w * rng.uniform(0.75, 1.05)
            nh = nw * board.shape[0] / board.shape[1]
            cx, cy = x + w / 2, y + h / 2 + rng.uniform(-0.2, 0.2) * h
            q = compose.quad_of((cx - nw / 2, cy - nh / 2, nw, nh))
            q = compose.jitter_quad(rng, q, 0.08)
            compose.paste(rng, img, board, q)
            out.append(compose.box_of(q))
        return out

    def _add_plates(self, img, boxes, n):
        """Warps n plates at free places of the lower part of img (plates on
        cars parked or passing where none was labelled)."""
        rng = self.rng
        H, W = img.shape[:2]
        out = list(boxes)
        for _ in range(n):
            board = self._plate_board()
            nw = rng.uniform(0.02, 0.12) * W
            nh = nw * board.shape[0] / board.shape[1]
            x, y = rng.uniform(0, W - nw), rng.uniform(0.35 * H, H - nh)
            if any(iou((x, y, nw, nh), b) > 0 or _near((x, y, nw, nh), b) for b in out):
                continue
            q = compose.jitter_quad(rng, compose.quad_of((x, y, nw, nh)), 0.08)
            compose.paste(rng, img, board, q)
            out.append(compose.box_of(q))
        return out

    def sample(self):
        """A training crop (CROP_H x CROP_W BGR) and its plate boxes."""
        rng = self.rng
        r = rng.random()
        if r < 0.72:
            src, boxes = self.dash[rng.integers(len(self.dash))]
        else:
            src, boxes = self.photos[rng.integers(len(self.photos))]
        img = src.copy()
        if rng.random() < 0.6:
            boxes = self._replace_plates(img, boxes)
        if rng.random() < 0.3:
            boxes = self._add_plates(img, boxes, int(rng.integers(1, 3)))
        # Scale so that a chosen plate is MIN_W..MAX_W wide (more small ones),
        # and place the crop around it (or anywhere, for scenes without one).
        focus = boxes[rng.integers(len(boxes))] if boxes and rng.random() < 0.9 else None
        if focus is not None:
            w = math.exp(rng.uniform(math.log(MIN_W), math.log(MAX_W)))
            s = w / focus[2]
            fx, fy = focus[0] + focus[2] / 2, focus[1] + focus[3] / 2
            cx = fx * s - rng.uniform(0.1, 0.9) * CROP_W
            cy = fy * s - rng.uniform(0.1, 0.9) * CROP_H
        else:
            s = DETECT_WIDTH / max(img.shape[:2]) * rng.uniform(0.6, 1.6)
            cx = rng.uniform(0, max(1, img.shape[1] * s - CROP_W))
            cy = rng.uniform(0, max(1, img.shape[0] * s - CROP_H))
        # Never smaller than the crop (less a little): a border mirrored or
        # tiled would show plates without boxes.
        s_min = 0.9 * max(CROP_W / img.shape[1], CROP_H / img.shape[0])
        if s < s_min:
            cx, cy = cx * s_min / s, cy * s_min / s
            s = s_min
        cx = min(max(cx, -0.1 * CROP_W), max(0, img.shape[1] * s - 0.9 * CROP_W))
        cy = min(max(cy, -0.1 * CROP_H), max(0, img.shape[0] * s - 0.9 * CROP_H))
        angle = rng.uniform(-4, 4) if rng.random() < 0.4 else 0.0
        M = cv2.getRotationMatrix2D((0, 0), angle, s)
        M[:, 2] -= (cx, cy)
        fill = tuple(int(v) for v in rng.integers(0, 256, 3))
        if s < 0.6:  # shrink first: warpAffine does not filter
            pre = cv2.resize(img, None, fx=s * 1.5, fy=s * 1.5, interpolation=cv2.INTER_AREA)
            M2 = cv2.getRotationMatrix2D((0, 0), angle, 1 / 1.5)
            M2[:, 2] -= (cx, cy)
            crop = cv2.warpAffine(pre, M2, (CROP_W, CROP_H), flags=cv2.INTER_LINEAR,
                                  borderMode=cv2.BORDER_CONSTANT, borderValue=fill)
        else:
            crop = cv2.warpAffine(img, M, (CROP_W, CROP_H), flags=cv2.INTER_LINEAR,
                                  borderMode=cv2.BORDER_CONSTANT, borderValue=fill)
        out, ignore = [], []
        for b in boxes:
            q = compose.quad_of(b)
            q = np.hstack([q, np.ones((4, 1), np.float32)]) @ M.T
            x, y, w, h = compose.box_of(q.astype(np.float32))
            vis = _visible((x, y, w, h))
            if vis >= 0.75 and w >= 4:
                out.append((x, y, w, h))
            elif vis > 0:
                ignore.append((x, y, w, h))
        if rng.random() < 0.5:
            render.burn_overlays(rng, crop)
        if rng.random() < 0.35:
            _signs(rng, crop, out + ignore)
        if rng.random() < 0.5:
            crop = crop[:, ::-1].copy()
            out = [(CROP_W - x - w, y, w, h) for x, y, w, h in out]
            ignore = [(CROP_W - x - w, y, w, h) for x, y, w, h in ignore]
        crop = compose.photometric(rng, crop)
        return crop, out, ignore


def _near(a, b):
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    return not (ax > bx + bw + bw or bx > ax + aw + aw or ay > by + bh + 2 * bh or by > ay + ah + 2 * ah)


def _visible(b):
    x, y, w, h = b
    ix = max(0, min(x + w, CROP_W) - max(x, 0))
    iy = max(0, min(y + h, CROP_H) - max(y, 0))
    return ix * iy / max(w * h, 1e-6)


def _signs(rng, img, boxes):
    """Sign text away from the plates."""
    H, W = img.shape[:2]
    for _ in range(int(rng.integers(1, 4))):
        w = int(rng.uniform(0.1, 0.6) * W)
        h = int(w * rng.uniform(0.08, 0.3))
        x, y = int(rng.uniform(0, W - w)), int(rng.uniform(0, H - h))
        if any(iou((x, y, w, h), b) > 0 or _near((x, y, w, h), b) for b in boxes):
            continue
        render.draw_sign(rng, img, (x, y, w, h))


def iou(a, b):
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    ix = max(0, min(ax + aw, bx + bw) - max(ax, bx))
    iy = max(0, min(ay + ah, by + bh) - max(ay, by))
    inter = ix * iy
    return inter / max(aw * ah + bw * bh - inter, 1e-6)


# --------------------------------------------------------------- targets --

def targets(boxes, ignore, H, W):
    """Centre heat map (elliptic Gaussian per plate), regression targets and
    weights on the stride-4 grid, and the mask of cells not to learn from."""
    h, w = H // STRIDE, W // STRIDE
    heat = np.zeros((h, w), np.float32)
    reg = np.zeros((4, h, w), np.float32)
    regw = np.zeros((h, w), np.float32)
    care = np.ones((h, w), np.float32)
    for x, y, bw, bh in ignore:
        x0, y0 = int(max(0, x / STRIDE)), int(max(0, y / STRIDE))
        x1, y1 = int(min(w, math.ceil((x + bw) / STRIDE))), int(min(h, math.ceil((y + bh) / STRIDE)))
        care[y0:y1, x0:x1] = 0
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    for x, y, bw, bh in boxes:
        cx, cy = (x + bw / 2) / STRIDE, (y + bh / 2) / STRIDE
        sx, sy = max(0.6, 0.12 * bw / STRIDE), max(0.6, 0.12 * bh / STRIDE)
        g = np.exp(-((xs + 0.5 - cx) ** 2) / (2 * sx * sx) - ((ys + 0.5 - cy) ** 2) / (2 * sy * sy))
        heat = np.maximum(heat, g)
        ix, iy = int(cx), int(cy)
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                jx, jy = ix + dx, iy + dy
                if 0 <= jx < w and 0 <= jy < h:
                    wt = 1.0 if dx == 0 and dy == 0 else 0.3
                    if wt > regw[jy, jx]:
                        regw[jy, jx] = wt
                        reg[:, jy, jx] = (cx - jx, cy - jy, math.log(bw / STRIDE), math.log(bh / STRIDE))
        if 0 <= ix < w and 0 <= iy < h:
            heat[iy, ix] = 1.0
    return heat, reg, regw, care


def loss_fn(out, heat, reg, regw, care):
    logit = out[:, 0]
    p = torch.sigmoid(logit).clamp(1e-4, 1 - 1e-4)
    pos = (heat >= 1.0).float()
    neg = (1 - pos) * care
    pos_loss = -(torch.log(p) * (1 - p) ** 2 * pos).sum()
    neg_loss = -(torch.log(1 - p) * p ** 2 * (1 - heat) ** 4 * neg).sum()
    npos = pos.sum().clamp(min=1)
    focal = (pos_loss + neg_loss) / npos
    l1 = (F.smooth_l1_loss(out[:, 1:5], reg, reduction="none", beta=0.1).sum(1) * regw).sum() / regw.sum().clamp(min=1)
    return focal + l1, focal.item(), l1.item()


# ---------------------------------------------------------------- decode --

def prepare(img, width=DETECT_WIDTH):
    """Scales a frame so that its longer side is at most width, pads it to a
    multiple of 32; returns the padded image and the scale."""
    H, W = img.shape[:2]
    s = min(1.0, width / max(W, H))
    w, h = max(32, int(round(W * s))), max(32, int(round(H * s)))
    small = cv2.resize(img, (w, h), interpolation=cv2.INTER_AREA) if s < 1 else img
    ph, pw = (h + 31) // 32 * 32, (w + 31) // 32 * 32
    out = np.zeros((ph, pw, 3), np.uint8)
    out[:h, :w] = small
    return out, s


def decode(maps, scale, thr):
    """Boxes (x, y, w, h, score) in frame pixels from the five output maps
    (probability, dx, dy, log w, log h): local maxima of the centre map over
    thr, best first, overlapping ones dropped."""
    heat = maps[0]
    peak = cv2.dilate(heat, np.ones((3, 3), np.uint8))
    ys, xs = np.nonzero((heat >= thr) & (heat >= peak))
    cands = []
    for y, x in zip(ys, xs):
        cx = (x + maps[1, y, x]) * STRIDE / scale
        cy = (y + maps[2, y, x]) * STRIDE / scale
        w = math.exp(min(maps[3, y, x], 6)) * STRIDE / scale
        h = math.exp(min(maps[4, y, x], 6)) * STRIDE / scale
        cands.append((cx - w / 2, cy - h / 2, w, h, float(heat[y, x])))
    cands.sort(key=lambda c: -c[4])
    out = []
    for c in cands:
        cx, cy = c[0] + c[2] / 2, c[1] + c[3] / 2
        if all(iou(c[:4], k[:4]) <= 0.3 and not (k[0] <= cx < k[0] + k[2] and k[1] <= cy < k[1] + k[3]) for k in out):
            out.append(c)
    return out


def run_torch(net, img):
    x, s = prepare(img)
    with torch.no_grad():
        o = net(to_input(x)[None])[0]
    o[0] = torch.sigmoid(o[0])
    return o.numpy(), s


def evaluate(net, images, thr=0.3):
    """Recall and precision at IoU 0.5 over labelled images, and false
    plates per frame."""
    net.eval()
    tp = fp = npl = 0
    for im in images:
        img = cv2.imread(im.path)
        maps, s = run_torch(net, img)
        dets = decode(maps, s, thr)
        gts = [p.box for p in im.plates]
        npl += len(gts)
        used = set()
        for d in dets:
            best, bi = 0, -1
            for k, g in enumerate(gts):
                v = iou(d[:4], g)
                if v > best and k not in used:
                    best, bi = v, k
            if best >= 0.5:
                used.add(bi)
                tp += 1
            else:
                fp += 1
    net.train()
    return {"plates": npl, "frames": len(images), "recall": tp / max(npl, 1),
            "precision": tp / max(tp + fp, 1), "false_per_frame": fp / max(len(images), 1)}


# ----------------------------------------------------------------- train --

class Stream(torch.utils.data.IterableDataset):
    """Endless training crops with their targets, made in a worker process
    while the network trains, from a seed of its own."""

    def __init__(self, root, seed):
        super().__init__()
        self.root, self.seed = root, seed

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        torch.set_num_threads(1)
        cv2.setNumThreads(1)
        scenes = Scenes(self.root, np.random.default_rng(self.seed + (info.id if info else 0)))
        while True:
            crop, boxes, ignore = scenes.sample()
            heat, reg, regw, care = targets(boxes, ignore, CROP_H, CROP_W)
            yield to_input(crop), torch.from_numpy(heat), torch.from_numpy(reg), torch.from_numpy(regw), torch.from_numpy(care)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True, help="the datasets folder (../shared/datasets)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--steps", type=int, default=6500, help="training steps (batches)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--init", help="start from this checkpoint (a .pt the script saved, or an .onnx it exported, such as the published one in assets/models); with --steps 0, only export and validate it")
    ap.add_argument("--head", choices=sorted(HEADS), default="dense", help="the head's 3x3 convolution (HEADS)")
    ap.add_argument("--stem", choices=sorted(STEMS), default="dense", help="the stem's second convolution (STEMS); dws with an --init of the dense stem swaps it (distil_stem)")
    ap.add_argument("--distil-steps", type=int, default=DISTIL_STEPS, help="steps of the stem swap (distil_stem)")
    ap.add_argument("--fresh", nargs="*", default=[], help="with --init: modules (such as head.0) that start from their initialisation, for a network whose modules there have another shape")
    ap.add_argument("--lr", type=float, default=2e-3, help="peak learning rate")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--preview", help="write a few training crops with their boxes to this folder and exit")
    a = ap.parse_args()
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    rng = np.random.default_rng(a.seed)
    cv2.setNumThreads(1)
    os.makedirs(a.out, exist_ok=True)
    if a.preview:
        scenes = Scenes(a.data, rng)
        os.makedirs(a.preview, exist_ok=True)
        for k in range(16):
            crop, boxes, ignore = scenes.sample()
            for x, y, w, h in boxes:
                cv2.rectangle(crop, (int(x), int(y)), (int(x + w), int(y + h)), (0, 255, 0), 1)
            for x, y, w, h in ignore:
                cv2.rectangle(crop, (int(x), int(y)), (int(x + w), int(y + h)), (0, 0, 255), 1)
            cv2.imwrite(os.path.join(a.preview, "crop%02d.png" % k), crop)
        return
    ds = data.datasets(a.data)
    _, val = data.dashcam_split(data.read_scenes(ds["dashcam-ro"], "dashcam-ro"))
    net = Net(head=a.head, stem=a.stem)
    swap = bool(a.init) and a.stem != "dense" and a.init.endswith(".onnx") and onnx_stem(a.init) == "dense"
    if swap:
        if not a.steps:
            raise SystemExit("--stem %s from %s (a dense stem) needs training steps" % (a.stem, a.init))
        a.fresh = a.fresh + ["stem.1"]
    if a.init:
        net.load_state_dict(onnxutil.load_init(net, a.init, a.fresh))
        if a.head == "sep" and "head.0" in a.fresh and a.init.endswith(".onnx"):
            print("sep head from the dense one of %s: %.1f%% of its energy" % (a.init, 100 * factor_head(net, a.init)), flush=True)
    params = sum(p.numel() for p in net.parameters())
    print("detector: %d parameters, %d steps of batch %d of %dx%d" % (params, a.steps, BATCH, CROP_W, CROP_H), flush=True)
    opt = torch.optim.AdamW(net.parameters(), lr=a.lr, weight_decay=1e-4)
    stream = iter(torch.utils.data.DataLoader(Stream(a.data, a.seed), batch_size=BATCH, num_workers=1, prefetch_factor=4))
    if a.init and a.init.endswith(".onnx") and a.steps:
        calibration = [next(stream)[0] for _ in range(onnxutil.CALIBRATION_BATCHES)]
        if swap:
            print("stem swap: %s's dense stem for %s" % (a.init, a.stem), flush=True)
            figures_swap = distil_stem(net, a.init, a.head, calibration, stream, a.distil_steps)
            print("  held-out video:", json.dumps(evaluate(net, val)), flush=True)
        else:
            onnxutil.restore_batchnorm(net, calibration)
    start = time.time()
    step, lr0 = 0, a.lr
    avg = None
    while step < a.steps:
        el = time.time() - start
        frac = step / a.steps
        lr = lr0 * min(1.0, (step + 1) / 200) * (0.5 * (1 + math.cos(math.pi * frac)) * 0.98 + 0.02)
        for g in opt.param_groups:
            g["lr"] = lr
        x, heat, reg, regw, care = next(stream)
        out = net(x)
        loss, lf, lr_ = loss_fn(out, heat, reg, regw, care)
        opt.zero_grad()
        loss.backward()
        opt.step()
        step += 1
        avg = (lf, lr_) if avg is None else (0.98 * avg[0] + 0.02 * lf, 0.98 * avg[1] + 0.02 * lr_)
        if step % 50 == 0:
            print("step %5d  %5.1f%%  focal %.3f  box %.3f  lr %.5f  %.2f s/step  eta %.0f min" %
                  (step, 100 * frac, avg[0], avg[1], lr, el / step, (a.steps - step) * el / step / 60), flush=True)
        if step % 1000 == 0:
            print("  held-out video:", json.dumps(evaluate(net, val)), flush=True)
            torch.save(net.state_dict(), os.path.join(a.out, "plate-detector.pt"))
    net.eval()
    figures = {"steps": step, "minutes": round((time.time() - start) / 60, 1), "parameters": params,
               "lr": a.lr, "seed": a.seed, "head": a.head, "stem": a.stem}
    if swap:
        figures["stem_swap"] = {"distil_steps": a.distil_steps, "error_of_variance": round(figures_swap, 4)}
    if a.init:
        with open(a.init, "rb") as f:
            figures["went_on_from"] = {"file": os.path.basename(a.init), "sha256": hashlib.sha256(f.read()).hexdigest(),
                                       "fresh": a.fresh}
    print("training done: %d steps" % step, flush=True)
    torch.save(net.state_dict(), os.path.join(a.out, "plate-detector.pt"))
    path = os.path.join(a.out, "plate-detector.onnx")
    exported = Exported(net).eval()
    onnxutil.export(exported, torch.zeros(1, 3, 544, 960), path, dynamic_hw=True)
    diff = onnxutil.check(exported, path, [torch.rand(1, 3, 544, 960), torch.rand(1, 3, 384, 640)])
    print("ONNX vs torch in OpenCV DNN: max abs diff %.2e" % diff, flush=True)
    figures["onnx_max_abs_diff"] = diff
    figures["validation"] = validation(net, a.data)
    figures["sources"] = sources(a.data)
    with open(os.path.join(a.out, "plate-detector.json"), "w") as f:
        json.dump(figures, f, indent=1)
    print(json.dumps(figures, indent=1), flush=True)


def sources(root):
    ds = data.datasets(root)
    dash, _ = data.dashcam_split(data.read_scenes(ds["dashcam-ro"], "dashcam-ro"))
    eu, _ = data.holdout_split(data.read_scenes(ds["openalpr-eu"], "eu"))
    br, _ = data.holdout_split(data.read_scenes(ds["openalpr-br"], "br"))
    us, _ = data.us_split(data.read_us_crops(ds["openalpr-us-crops"]))
    return {"dashcam_frames": len(dash), "photos": len(eu) + len(br), "us_crops": len(us)}


def validation(net, root):
    ds = data.datasets(root)
    _, dash = data.dashcam_split(data.read_scenes(ds["dashcam-ro"], "dashcam-ro"))
    _, eu = data.holdout_split(data.read_scenes(ds["openalpr-eu"], "eu"))
    _, br = data.holdout_split(data.read_scenes(ds["openalpr-br"], "br"))
    out = {}
    for thr in (0.2, 0.3, 0.4):
        out["thr%.1f" % thr] = {
            "dashcam_heldout_video": evaluate(net, dash, thr),
            "eu_holdout": evaluate(net, eu, thr),
            "br_holdout": evaluate(net, br, thr),
        }
    return out


if __name__ == "__main__":
    sys.exit(main())
