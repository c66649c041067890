"""Trains the plate reader: a small convolutional CTC recogniser that reads
the characters of one plate crop (the detector's box with a margin, stretched
to IN_W x IN_H) as a sequence of STEPS columns over the classes blank and
0-9, A-Z. It runs in the agent through OpenCV's DNN module
(internal/alpr/reader.go), which decodes the same output as `greedy` here.

Data (read from the datasets folder, never copied):
  openalpr-us-crops of the committed train split (us_crops_split.tsv);
  EU and BR plates cut from their boxes, but the photos' held-out quarter;
  dashcam-ro plates of the three training videos labelled by pseudolabel.py;
  rendered US, EU and BR plates with state names, slogans, stacked
  characters and stickers that are not part of the text; and, with an empty
  text, crops of camera overlays and signs.
Each crop is degraded as a fleet camera degrades a plate: shrunk to 20-200 px
wide and blown up again, blurred, noised, JPEG-compressed, tinted, darkened,
cut with the box errors a detector makes.

The weights `make train-reader` publishes come of three runs: the first
from scratch (12,000 steps), the second going on from it at half the
learning rate with another data seed (8,000 steps), and a third going on
from the mean of the first two runs' weights (--average) at half the rate
with a third seed (6,000 steps). Two points of one descent averaged read
more than either alone: through the whole engine (edge-agent bench), mean /
first / second run: US crop test split 93.1% / 90.3% / 92.4%; synthetic US
street 720p 87.2% / 86.7% / 88.3% and 1080p 89.4% / 89.4% / 88.3% of plates;
EU photos 97.2% / 96.3% / 97.2% O/0-folded; BR photos 96.5% / 97.4% / 96.5%.
The third run is where turned plates (POSE_P) joined the recipe: the
published one went on from the mean published before, whose runs had none.
Third run / that mean / the mean of both: US crops 91.7% / 93.1% / 92.4%;
street 720p 159 / 159 / 159 and 1080p 164 / 162 / 163 of 180 plates; the
street set with turned plates (us_street.py --pose) 143 / 127 / 142; the
night street set 342 / 332 / 339 of 392; EU 96.3% / 97.2% / 96.3% folded;
BR 97.4% / 96.5% / 96.5%.

Usage: reader.py --data ../shared/datasets --pseudo DIR --out DIR [--steps N] [--seed 1]
                 [--init CKPT [--lr LR]] [--average CKPT --steps 0]
Writes DIR/plate-reader.onnx and DIR/plate-reader.json (recipe, figures).
"""
import argparse
import csv
import hashlib
import json
import math
import os
import sys
import time

import cv2
import numpy as np
import torch
import torch.nn as nn

import compose
import data
import onnxutil
import render

# The reader learns that a US plate's I and O are mostly 1 and 0.
render.US_PLAIN = 0.9

IN_H, IN_W = 32, 128
STEPS = IN_W // 4
SYMBOLS = render.ALPHABET  # class k+1 is SYMBOLS[k]; class 0 is the CTC blank
BATCH = 32
# A share of the crops shows its plate turned, as cars off the camera's
# axis show theirs (compose.pose_quad): rolled up to POSE_ROLL degrees,
# yawed up to POSE_YAW. Before pose training, a plate rolled 10 degrees and
# yawed 40 lost a fifth of its reads on the US street set (us_street.py
# --pose).
POSE_P, POSE_ROLL, POSE_YAW = 0.5, 12, 50
# The margin the agent adds around a detector box before reading it, as a
# share of the box's width and height (internal/alpr: readerMarginX, Y).
MARGIN_X, MARGIN_Y = 0.06, 0.12


def cbr(i, o, k=3, s=1, p=None):
    p = (k // 2 if isinstance(k, int) else (k[0] // 2, k[1] // 2)) if p is None else p
    return nn.Sequential(nn.Conv2d(i, o, k, s, p, bias=False), nn.BatchNorm2d(o), nn.ReLU(inplace=True))


class Net(nn.Module):
    """Convolutions down to one row of STEPS columns, then horizontal
    convolutions for context, and a class score per column."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            cbr(3, 32), nn.MaxPool2d(2),                        # 16 x 64
            cbr(32, 64), nn.MaxPool2d(2),                       # 8 x 32
            cbr(64, 128), cbr(128, 128), nn.MaxPool2d((2, 1)),  # 4 x 32
            cbr(128, 160), nn.MaxPool2d((2, 1)),                # 2 x 32
            cbr(160, 192, (2, 1), 1, (0, 0)),                   # 1 x 32
            cbr(192, 192, (1, 3)), nn.Dropout(0.1), cbr(192, 192, (1, 3)),
        )
        self.cls = nn.Conv2d(192, len(SYMBOLS) + 1, 1)

    def forward(self, x):
        return self.cls(self.body(x))  # N x classes x 1 x STEPS (logits)


class Exported(nn.Module):
    """What the agent runs: class probabilities per column."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        return torch.softmax(self.net(x), 1)


def to_input(crop):
    """A BGR crop of any size -> 3 x IN_H x IN_W in [-1, 1] (blobFromImage
    with scale 1/127.5 and mean 127.5 after a stretch to IN_W x IN_H)."""
    x = cv2.resize(crop, (IN_W, IN_H), interpolation=cv2.INTER_AREA if crop.shape[1] > IN_W else cv2.INTER_LINEAR)
    return torch.from_numpy(x).permute(2, 0, 1).float() / 127.5 - 1.0


def cut(img, box, rng=None):
    """The crop the agent reads for a detector box: the box grown by the
    margins, clipped to the image; with rng, the box errors of a detector."""
    x, y, w, h = box
    mx0 = mx1 = MARGIN_X
    my0 = my1 = MARGIN_Y
    if rng is not None:
        # A detector's box errs by a few percent either way; a crop set may
        # cut its plates to the board (margin 0).
        mx0, mx1 = MARGIN_X + rng.uniform(-0.07, 0.08, 2)
        my0, my1 = MARGIN_Y + rng.uniform(-0.15, 0.2, 2)
        if rng.random() < 0.2:
            mx0, mx1, my0, my1 = rng.uniform(-0.01, 0.02, 4)
        dx = rng.uniform(-0.03, 0.03) * w
        x += dx
    x0, y0 = int(round(max(0, x - mx0 * w))), int(round(max(0, y - my0 * h)))
    x1, y1 = int(round(min(img.shape[1], x + w + mx1 * w))), int(round(min(img.shape[0], y + h + my1 * h)))
    if x1 - x0 < 4 or y1 - y0 < 4:
        return None
    return img[y0:y1, x0:x1]


def greedy(probs):
    """Best path decoding of one N x classes x 1 x STEPS output row:
    (text, per-character probability)."""
    p = probs[:, 0, :]  # classes x steps
    best = p.argmax(0)
    text, confs, prev = "", [], 0
    for t, c in enumerate(best):
        if c != 0 and c != prev:
            text += SYMBOLS[c - 1]
            confs.append(float(p[c, t]))
        elif c != 0 and c == prev:
            confs[-1] = max(confs[-1], float(p[c, t]))
        prev = c
    return text, confs


def degrade(rng, crop):
    """Shrinks the crop to a plate 20-200 px wide, as far cameras see it,
    and applies the photometric changes of fleet cameras."""
    h, w = crop.shape[:2]
    target = math.exp(rng.uniform(math.log(28), math.log(220)))
    if target < w:
        s = target / w
        crop = cv2.resize(crop, (max(4, int(w * s)), max(4, int(h * s))), interpolation=cv2.INTER_AREA)
    return compose.photometric(rng, crop, night_p=0.06, gray_p=0.15, blur_p=0.2)


class Crops:
    """Training crops with their text."""

    def __init__(self, root, pseudo, rng):
        ds = data.datasets(root)
        self.rng = rng
        us_train, _ = data.us_split(data.read_us_crops(ds["openalpr-us-crops"]))
        self.us = [(cv2.imread(p), t) for p, _, t in us_train]
        self.photos = []
        for name in ("openalpr-eu", "openalpr-br"):
            train, _ = data.holdout_split(data.read_scenes(ds[name], name))
            for im in train:
                img = cv2.imread(im.path)
                for p in im.plates:
                    if len(p.text) >= 4:
                        self.photos.append((img, p.box, p.text))
        self.dash = []
        dash_train, _ = data.dashcam_split(data.read_scenes(ds["dashcam-ro"], "dashcam-ro"))
        by_path = {os.path.relpath(i.path, ds["dashcam-ro"]): i for i in dash_train}
        self.backgrounds = [cv2.imread(i.path) for i in dash_train[::8]]
        if pseudo:
            with open(os.path.join(pseudo, "dashcam-labels.tsv")) as f:
                for r in list(csv.reader(f, delimiter="\t"))[1:]:
                    im = by_path.get(r[0])
                    if im is not None:
                        self.dash.append((cv2.imread(im.path), im.plates[int(r[1])].box, r[2]))
        for name, items in (("us", [u[0] for u in self.us]), ("photos", [p[0] for p in self.photos]),
                            ("dashcam", [d[0] for d in self.dash])):
            if any(i is None for i in items):
                raise SystemExit("an image of %s did not decode" % name)
        self.sources = {"us_crops": len(self.us), "eu_br_plates": len(self.photos), "dashcam_pseudo": len(self.dash)}
        print("reader crops:", self.sources, flush=True)

    @staticmethod
    def count(root, pseudo):
        """How many real crops of each source training draws from."""
        ds = data.datasets(root)
        us, _ = data.us_split(data.read_us_crops(ds["openalpr-us-crops"]))
        photos = 0
        for name in ("openalpr-eu", "openalpr-br"):
            train, _ = data.holdout_split(data.read_scenes(ds[name], name))
            photos += sum(1 for im in train for p in im.plates if len(p.text) >= 4)
        dash = 0
        if pseudo:
            with open(os.path.join(pseudo, "dashcam-labels.tsv")) as f:
                dash = sum(1 for _ in f) - 1
        return {"us_crops": len(us), "eu_br_plates": photos, "dashcam_pseudo": dash}

    def _on_background(self, board):
        """Puts a plate board on a piece of a street frame and returns the
        scene and the board's box, so that a cut has the margins a detector
        box has."""
        rng = self.rng
        bg = self.backgrounds[rng.integers(len(self.backgrounds))]
        bh, bw = board.shape[:2]
        W = int(bw * 1.8)
        H = int(bh * 2.2)
        s = rng.uniform(0.5, 2.0)
        x0 = int(rng.uniform(0, max(1, bg.shape[1] - W / s)))
        y0 = int(rng.uniform(0, max(1, bg.shape[0] - H / s)))
        patch = bg[y0:y0 + int(H / s), x0:x0 + int(W / s)]
        scene = cv2.resize(patch, (W, H))
        q = compose.quad_of(((W - bw) / 2, (H - bh) / 2, bw, bh))
        q = compose.jitter_quad(rng, q, 0.06)
        compose.paste(rng, scene, board, q, match_light=False)
        return scene, compose.box_of(q)

    def sample(self):
        rng = self.rng
        r = rng.random()
        if r < 0.40:
            board, text = self.us[rng.integers(len(self.us))]
            scene, box = self._on_background(board)
        elif r < 0.50:
            scene, box, text = self.photos[rng.integers(len(self.photos))]
        elif r < 0.60 and self.dash:
            scene, box, text = self.dash[rng.integers(len(self.dash))]
        elif r < 0.95:
            board, text = render.random_plate(rng, (0.6, 0.25, 0.15))
            scene, box = self._on_background(board)
        else:
            return self._negative(), ""
        if rng.random() < POSE_P:
            scene, box = compose.posed(rng, scene, box, POSE_ROLL, POSE_YAW)
        crop = cut(scene, box, rng)
        if crop is None:
            return self.sample()
        return degrade(rng, crop), text

    def _negative(self):
        """A crop of overlay or sign text: no plate, no characters."""
        rng = self.rng
        bg = self.backgrounds[rng.integers(len(self.backgrounds))]
        H, W = 60, int(rng.uniform(150, 320))
        y, x = int(rng.uniform(0, bg.shape[0] - H)), int(rng.uniform(0, bg.shape[1] - W))
        img = bg[y:y + H, x:x + W].copy()
        if rng.random() < 0.5:
            render.draw_sign(rng, img, (0, 5, W, H - 10))
        else:
            line = render.overlay_lines(rng)[0]
            render.draw_text(img, line, render.fonts().plate[0], 40, (2, 10), (255, 255, 255), fit_w=W - 4, fit_h=40)
        return degrade(rng, img)


class Stream(torch.utils.data.IterableDataset):
    """Endless (input, text) training pairs, made in a worker process while
    the network trains, from a seed of its own."""

    def __init__(self, root, pseudo, seed):
        super().__init__()
        self.root, self.pseudo, self.seed = root, pseudo, seed

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        torch.set_num_threads(1)
        cv2.setNumThreads(1)
        crops = Crops(self.root, self.pseudo, np.random.default_rng(self.seed + (info.id if info else 0)))
        while True:
            c, t = crops.sample()
            yield to_input(c), t


def encode(texts):
    targets, lengths = [], []
    for t in texts:
        ids = [SYMBOLS.index(c) + 1 for c in t]
        targets.extend(ids)
        lengths.append(len(ids))
    return torch.tensor(targets, dtype=torch.long), torch.tensor(lengths, dtype=torch.long)


def evaluate(net, items):
    """Exact and O/0-folded accuracy over [(crop, text)]."""
    net.eval()
    exact = folded = 0
    with torch.no_grad():
        for k in range(0, len(items), 64):
            chunk = items[k:k + 64]
            x = torch.stack([to_input(c) for c, _ in chunk])
            p = torch.softmax(net(x), 1).numpy()
            for (c, t), row in zip(chunk, p):
                got, _ = greedy(row)
                exact += got == t
                folded += got.replace("O", "0") == t.replace("O", "0")
    net.train()
    n = max(len(items), 1)
    return {"crops": len(items), "exact": exact / n, "folded": folded / n}


def test_sets(root):
    """The reader's held-out crops: the US test split (tight boards) and the
    EU and BR held-out photos' plates cut from their boxes."""
    ds = data.datasets(root)
    _, us_test = data.us_split(data.read_us_crops(ds["openalpr-us-crops"]))
    out = {"us_test": [(cv2.imread(p), t) for p, _, t in us_test]}
    for name in ("openalpr-eu", "openalpr-br"):
        _, held = data.holdout_split(data.read_scenes(ds[name], name))
        items = []
        for im in held:
            img = cv2.imread(im.path)
            for p in im.plates:
                c = cut(img, p.box)
                if len(p.text) >= 4 and c is not None:
                    items.append((c, p.text))
        out[name.replace("openalpr-", "") + "_holdout"] = items
    return out


def run_of(ckpt):
    """The figures of the run that saved checkpoint ckpt (its folder's
    plate-reader.json: settings, validation, the runs it came of) and its
    ONNX's SHA-256; of a published ONNX (no figures beside it: MANIFEST
    holds them), its SHA-256 alone; otherwise None."""
    folder = os.path.dirname(os.path.abspath(ckpt))
    path = os.path.join(folder, "plate-reader.json")
    if not os.path.exists(path):
        if ckpt.endswith(".onnx"):  # a published network: its MANIFEST holds its figures
            with open(ckpt, "rb") as f:
                return {"onnx_sha256": hashlib.sha256(f.read()).hexdigest()}
        return None
    with open(path) as f:
        r = json.load(f)
    out = {k: r[k] for k in ("steps", "minutes", "lr", "seed", "init", "validation", "runs_averaged", "went_on_from") if k in r}
    onnx = os.path.join(folder, "plate-reader.onnx")
    if os.path.exists(onnx):
        with open(onnx, "rb") as f:
            out["onnx_sha256"] = hashlib.sha256(f.read()).hexdigest()
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True, help="the datasets folder (../shared/datasets)")
    ap.add_argument("--pseudo", default="", help="folder of pseudolabel.py's dashcam-labels.tsv")
    ap.add_argument("--out", required=True)
    ap.add_argument("--steps", type=int, default=12000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--init", help="start from this checkpoint (a .pt the script saved, or an .onnx it exported, such as the published one in assets/models); with --steps 0, only export and validate it")
    ap.add_argument("--lr", type=float, default=1.5e-3, help="peak learning rate")
    ap.add_argument("--average", help="with --init and --steps 0: export and validate the mean of both checkpoints' weights (two .pt, or two .onnx such as the published one and a run's)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--preview", help="write a sheet of training crops to this file and exit")
    a = ap.parse_args()
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    cv2.setNumThreads(1)
    rng = np.random.default_rng(a.seed)
    os.makedirs(a.out, exist_ok=True)
    if a.preview:
        crops = Crops(a.data, a.pseudo, rng)
        tiles = []
        for _ in range(40):
            c, t = crops.sample()
            c = cv2.resize(c, (IN_W, IN_H))
            c = np.vstack([c, np.zeros((18, IN_W, 3), np.uint8)])
            cv2.putText(c, t or "(none)", (3, IN_H + 14), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 255, 0), 1)
            tiles.append(c)
        cv2.imwrite(a.preview, np.vstack([np.hstack(tiles[i:i + 5]) for i in range(0, 40, 5)]))
        return
    tests = test_sets(a.data)
    net = Net()
    if a.init:
        net.load_state_dict(onnxutil.load_init(net, a.init))
    if a.average:
        if not a.init or a.steps:
            raise SystemExit("--average wants --init and --steps 0")
        if a.init.endswith(".onnx") != a.average.endswith(".onnx"):
            # An exported network has its batch norms folded into its
            # convolutions (onnxutil.state_from_onnx): the mean of a folded
            # and an unfolded network is neither's function.
            raise SystemExit("--average wants two checkpoints (.pt) or two exported networks (.onnx)")
        other = onnxutil.load_init(Net(), a.average)
        # Every float tensor (weights, and batch norm's running statistics) is
        # the mean of the two; the counters are the first's.
        net.load_state_dict({k: (v + other[k]) / 2 if v.is_floating_point() else v
                             for k, v in net.state_dict().items()})
    params = sum(p.numel() for p in net.parameters())
    print("reader: %d parameters, %d steps of batch %d at %dx%d" % (params, a.steps, BATCH, IN_W, IN_H), flush=True)
    opt = torch.optim.AdamW(net.parameters(), lr=1.5e-3, weight_decay=1e-4)
    ctc = nn.CTCLoss(blank=0, zero_infinity=True)
    stream = iter(torch.utils.data.DataLoader(Stream(a.data, a.pseudo, a.seed), batch_size=BATCH, num_workers=1,
                                              prefetch_factor=4, collate_fn=lambda b: (torch.stack([x for x, _ in b]), [t for _, t in b])))
    if a.init and a.init.endswith(".onnx") and a.steps:
        onnxutil.restore_batchnorm(net, [next(stream)[0] for _ in range(onnxutil.CALIBRATION_BATCHES)])
    start, avg, lr0 = time.time(), None, a.lr
    for step in range(1, a.steps + 1):
        frac = (step - 1) / a.steps
        lr = lr0 * min(1.0, step / 300) * (0.5 * (1 + math.cos(math.pi * frac)) * 0.98 + 0.02)
        for g in opt.param_groups:
            g["lr"] = lr
        x, texts = next(stream)
        tgt, lens = encode(texts)
        logp = torch.log_softmax(net(x)[:, :, 0, :], 1).permute(2, 0, 1)  # T x N x C
        loss = ctc(logp, tgt, torch.full((BATCH,), STEPS, dtype=torch.long), lens)
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(net.parameters(), 5.0)
        opt.step()
        avg = loss.item() if avg is None else 0.98 * avg + 0.02 * loss.item()
        if step % 50 == 0:
            el = time.time() - start
            print("step %5d  %5.1f%%  ctc %.3f  lr %.5f  %.2f s/step  eta %.0f min" %
                  (step, 100 * step / a.steps, avg, lr, el / step, (a.steps - step) * el / step / 60), flush=True)
        if step % 1000 == 0:
            print("  us_test:", json.dumps(evaluate(net, tests["us_test"])), flush=True)
            torch.save(net.state_dict(), os.path.join(a.out, "plate-reader.pt"))
    net.eval()
    torch.save(net.state_dict(), os.path.join(a.out, "plate-reader.pt"))
    figures = {"steps": a.steps, "minutes": round((time.time() - start) / 60, 1), "parameters": params,
               "lr": a.lr, "seed": a.seed, "init": a.init and os.path.basename(os.path.dirname(os.path.abspath(a.init))),
               "average": a.average and os.path.basename(os.path.dirname(os.path.abspath(a.average))),
               "input": [IN_H, IN_W], "steps_per_read": STEPS, "symbols": SYMBOLS, "sources": Crops.count(a.data, a.pseudo)}
    path = os.path.join(a.out, "plate-reader.onnx")
    exported = Exported(net).eval()
    onnxutil.export(exported, torch.zeros(1, 3, IN_H, IN_W), path)
    if a.average:
        # The runs averaged, as their own figures tell them (steps, minutes,
        # validation).
        figures["runs_averaged"] = [r for r in (run_of(a.average), run_of(a.init)) if r]
    elif a.init and a.steps:
        # The run this one went on from, as its own figures tell it.
        figures["went_on_from"] = run_of(a.init)
    figures["onnx_max_abs_diff"] = onnxutil.check(exported, path, [torch.rand(1, 3, IN_H, IN_W) * 2 - 1])
    figures["validation"] = {k: evaluate(net, v) for k, v in tests.items()}
    with open(os.path.join(a.out, "plate-reader.json"), "w") as f:
        json.dump(figures, f, indent=1)
    print(json.dumps(figures, indent=1), flush=True)


if __name__ == "__main__":
    sys.exit(main())
