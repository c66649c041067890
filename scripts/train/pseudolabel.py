"""Labels the dashcam-ro plates (boxes without text) with the engine's
current recogniser, PP-OCRv4 (models/rec.onnx, fetched by `make models`),
keeping only the plates it reads surely: every character at least MIN_CHAR
and the text a Romanian plate (county code, two or three digits, three
letters). A plate it reads less surely takes the label of a sure plate of
the same drive video at most NEAR_S seconds away whose text is at most
NEAR_EDITS edits from its reading (the same car, seen smaller or blurred a
moment before or after), which gives the reader the hard crops. Writes DIR/dashcam-labels.tsv and DIR/dashcam-labels.png, a sheet of
every KEEP_SHEET-th kept crop with its label, for a check by eye.

Usage: pseudolabel.py --data ../shared/datasets --models models --out DIR
"""
import argparse
import os
import re

import cv2
import numpy as np

import data

MIN_CHAR = 0.9
REC_H = 48
RO = re.compile(r"^(B\d{2,3}|[A-Z]{2}\d{2})[A-Z]{3}$")
SYMBOLS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
KEEP_SHEET = 6
NEAR_S = 5
NEAR_EDITS = 2


def edits(a, b):
    """Levenshtein distance."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def seconds(path):
    return int(re.search(r"_t(\d+)\.jpg$", path).group(1))


class PPOCR:
    """The PP-OCRv4 recogniser as internal/alpr/ocr.go runs it."""

    def __init__(self, models):
        self.net = cv2.dnn.readNetFromONNX(os.path.join(models, "rec.onnx"))
        with open(os.path.join(models, "keys.txt"), encoding="utf-8") as f:
            keys = [l.rstrip("\n") for l in f]
        self.sym = np.full(len(keys) + 2, -1)
        for i, k in enumerate(keys):
            if len(k) == 1 and k.upper() in SYMBOLS:
                self.sym[i + 1] = SYMBOLS.index(k.upper())
        with open(os.path.join(models, "MANIFEST")) as f:
            self.width = int(f.readline().split("rec_width")[1].split()[0])

    def read(self, crop):
        """Text and per-character probabilities (plate symbols only)."""
        h, w = crop.shape[:2]
        nw = min(self.width, max(8, int(round(w * REC_H / h))))
        canvas = np.full((REC_H, self.width, 3), 127, np.uint8)
        canvas[:, :nw] = cv2.resize(crop, (nw, REC_H))
        blob = cv2.dnn.blobFromImage(canvas, 1 / 127.5, (self.width, REC_H), (127.5, 127.5, 127.5))
        self.net.setInput(blob)
        p = self.net.forward()[0]  # steps x classes
        text, confs, prev = "", [], -2
        for row in p:
            sp = np.zeros(len(SYMBOLS))
            mask = self.sym >= 0
            np.add.at(sp, self.sym[mask], row[mask])
            other = row[~mask].sum() - row[0]
            cls, best = -1, row[0]
            if sp.max() > best:
                cls, best = int(sp.argmax()), sp.max()
            if other > best:
                cls = -2
            if cls >= 0 and cls != prev:
                text += SYMBOLS[cls]
                confs.append(best)
            elif cls >= 0 and cls == prev:
                confs[-1] = max(confs[-1], best)
            prev = cls
        return text, confs


def cut(img, box, mx=0.06, my=0.12):
    x, y, w, h = box
    x0, y0 = int(max(0, x - mx * w)), int(max(0, y - my * h))
    x1, y1 = int(min(img.shape[1], x + w + mx * w)), int(min(img.shape[0], y + h + my * h))
    return img[y0:y1, x0:x1]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--models", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    ds = data.datasets(a.data)
    train, _ = data.dashcam_split(data.read_scenes(ds["dashcam-ro"], "dashcam-ro"))
    ocr = PPOCR(a.models)
    os.makedirs(a.out, exist_ok=True)
    reads = []  # (image, plate index, crop, text, min conf, video, second)
    for im in train:
        img = cv2.imread(im.path)
        for k, p in enumerate(im.plates):
            crop = cut(img, p.box)
            text, confs = ocr.read(crop)
            reads.append((im.path, k, crop, text, min(confs) if confs else 0.0, im.video, seconds(im.path)))
    sure = [r for r in reads if r[4] >= MIN_CHAR and RO.match(r[3])]
    kept, tiles = [], []
    for r in reads:
        how = "sure"
        label = r[3]
        if not (r[4] >= MIN_CHAR and RO.match(r[3])):
            near = [s for s in sure if s[5] == r[5] and abs(s[6] - r[6]) <= NEAR_S and len(r[3]) >= 5
                    and edits(r[3], s[3]) <= NEAR_EDITS]
            labels = {s[3] for s in near}
            if len(labels) != 1:
                continue
            how, label = "near", labels.pop()
        kept.append((os.path.relpath(r[0], ds["dashcam-ro"]), r[1], label, r[4], how))
        if len(kept) % KEEP_SHEET == 1:
            t = cv2.resize(r[2], (200, 50))
            t = np.vstack([t, np.zeros((22, 200, 3), np.uint8)])
            cv2.putText(t, label + (" *" if how == "near" else ""), (4, 67), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 255, 0), 1)
            tiles.append(t)
    total = len(reads)
    with open(os.path.join(a.out, "dashcam-labels.tsv"), "w") as f:
        f.write("image\tplate\ttext\tmin_char_conf\thow\n")
        for r in kept:
            f.write("%s\t%d\t%s\t%.3f\t%s\n" % r)
    while len(tiles) % 5:
        tiles.append(np.zeros_like(tiles[0]))
    rows = [np.hstack(tiles[i:i + 5]) for i in range(0, len(tiles), 5)]
    cv2.imwrite(os.path.join(a.out, "dashcam-labels.png"), np.vstack(rows))
    print("pseudo-labels: %d of %d training plates (%d read surely, %d from a near frame); sheet of %d in %s" %
          (len(kept), total, len(sure), len(kept) - len(sure), len(tiles), a.out))


if __name__ == "__main__":
    main()
