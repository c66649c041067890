"""Labels the dashcam-ro plates (boxes without text) with PP-OCRv4's
recogniser (the engine's before this one: models/rec.onnx, fetched by
`make ppocr`) and, with --reader, with the published plate reader too,
keeping only the plates read surely: every character at least MIN_CHAR and
the text a Romanian plate (county code, two or three digits, three letters);
the plate reader must read it alike in the agent's three views, and where
both labellers are sure and disagree the plate is not sure. A plate read
less surely takes the label of a sure plate of the same drive video at most
NEAR_S seconds away whose text is at most NEAR_EDITS edits from its reading
(the same car, seen smaller or blurred a moment before or after), which
gives the reader the hard crops. Readings that the check by eye found wrong
are mended by dashcam_label_fixes.tsv. Writes DIR/dashcam-labels.tsv,
DIR/dashcam-labels.png (a sheet of every KEEP_SHEET-th kept crop with its
label) and DIR/dashcam-plates.png (the largest crop of every plate
labelled), for a check by eye.

Usage: pseudolabel.py --data ../shared/datasets --models data/ppocr [--reader assets/models/plate-reader.onnx] --out DIR
"""
import argparse
import collections
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
# Labels the check by eye found wrong, with the plates' real text
# (dashcam_label_fixes.tsv: video, label, text, what was seen).
FIXES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "dashcam_label_fixes.tsv")


def read_fixes(path=FIXES):
    """{(video, label): text} of the committed fixes."""
    with open(path) as f:
        rows = [l.rstrip("\n").split("\t") for l in f if l.strip() and not l.startswith("#")]
    return {(r[0], r[1]): r[2] for r in rows[1:]}


def sure(text, conf):
    """A reading is sure when every character is at least MIN_CHAR (conf is
    the least) and the text is a Romanian plate."""
    return conf >= MIN_CHAR and RO.match(text) is not None


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


class PlateReader:
    """The published plate reader (assets/models/plate-reader.onnx) as the
    agent reads a box: in three views (internal/alpr: readViews), the
    reader's own margins, a wider and a tighter one."""

    VIEWS = ((0.06, 0.12), (0.14, 0.12), (0.02, 0.04))

    def __init__(self, onnx):
        import reader  # torch: only when this labeller is asked for
        self.r = reader
        self.net = cv2.dnn.readNetFromONNX(onnx)

    def read(self, img, box):
        """[(text, per-character probabilities)] of the box's views."""
        out = []
        for mx, my in self.VIEWS:
            crop = cut(img, box, mx, my)
            x = self.r.to_input(crop).numpy()[None]
            self.net.setInput(x)
            out.append(self.r.greedy(self.net.forward()[0]))
        return out


def cut(img, box, mx=0.06, my=0.12):
    """The box grown by mx of its width and my of its height on each side
    (by default reader.MARGIN_X and MARGIN_Y, written out here so that
    labelling with PP-OCRv4 alone needs no torch), clipped to the image."""
    x, y, w, h = box
    x0, y0 = int(max(0, x - mx * w)), int(max(0, y - my * h))
    x1, y1 = int(min(img.shape[1], x + w + mx * w)), int(min(img.shape[0], y + h + my * h))
    return img[y0:y1, x0:x1]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--models", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--reader", help="also label with this plate reader (.onnx): a plate is sure when either labeller reads it surely and they do not disagree")
    a = ap.parse_args()
    ds = data.datasets(a.data)
    train, _ = data.dashcam_split(data.read_scenes(ds["dashcam-ro"], "dashcam-ro"))
    ocr = PPOCR(a.models)
    rd = PlateReader(a.reader) if a.reader else None
    os.makedirs(a.out, exist_ok=True)
    reads = []  # (image, plate index, crop, text, min conf, video, second)
    counts = {"ppocr": 0, "reader": 0, "both": 0, "disagree": 0, "fixed": 0}
    fixes = read_fixes()
    for im in train:
        img = cv2.imread(im.path)
        for k, p in enumerate(im.plates):
            crop = cut(img, p.box)
            text, confs = ocr.read(crop)
            conf = min(confs) if confs else 0.0
            pp_sure = sure(text, conf)
            if rd:
                views = rd.read(img, p.box)
                t0, c0 = views[0]
                rd_sure = bool(c0) and sure(t0, min(c0)) and all(v[0] == t0 for v in views)
                counts["ppocr"] += pp_sure
                counts["reader"] += rd_sure
                if pp_sure and rd_sure:
                    counts["both"] += 1
                    if t0 != text:
                        # One of them is wrong: the plate is left unlabelled.
                        counts["disagree"] += 1
                        text, conf = t0, 0.0
                elif rd_sure:
                    text, conf = t0, min(c0)
            if (im.video, text) in fixes:
                text = fixes[(im.video, text)]
                counts["fixed"] += 1
            reads.append((im.path, k, crop, text, conf, im.video, seconds(im.path)))
    if rd:
        print("read surely: PP-OCRv4 %(ppocr)d, the plate reader %(reader)d, both %(both)d (disagreeing %(disagree)d)" % counts)
    sures = [r for r in reads if sure(r[3], r[4])]
    kept, tiles, largest = [], [], {}
    for r in reads:
        how = "sure"
        label = r[3]
        if not sure(r[3], r[4]):
            near = [s for s in sures if s[5] == r[5] and abs(s[6] - r[6]) <= NEAR_S and len(r[3]) >= 5
                    and edits(r[3], s[3]) <= NEAR_EDITS]
            labels = {s[3] for s in near}
            if len(labels) != 1:
                continue
            how, label = "near", labels.pop()
        kept.append((os.path.relpath(r[0], ds["dashcam-ro"]), r[1], label, r[4], how))
        if label not in largest or r[2].shape[1] > largest[label].shape[1]:
            largest[label] = r[2]
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
    # One crop of every plate labelled, its largest, for a check of every
    # text by eye (a wrong text is wrong in all its frames).
    plates, frames = [], collections.Counter(k[2] for k in kept)
    for label, crop in sorted(largest.items()):
        t = cv2.resize(crop, (260, 70), interpolation=cv2.INTER_CUBIC)
        t = np.vstack([t, np.zeros((24, 260, 3), np.uint8)])
        cv2.putText(t, "%s x%d w%d" % (label, frames[label], crop.shape[1]), (4, 88), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 255, 0), 1)
        plates.append(t)
    while len(plates) % 4:
        plates.append(np.zeros_like(plates[0]))
    cv2.imwrite(os.path.join(a.out, "dashcam-plates.png"), np.vstack([np.hstack(plates[i:i + 4]) for i in range(0, len(plates), 4)]))
    print("pseudo-labels: %d of %d training plates (%d read surely, %d from a near frame; %d readings fixed by %s); "
          "sheets of every %dth (%d) and of every plate (%d) in %s" %
          (len(kept), total, len(sures), len(kept) - len(sures), counts["fixed"], os.path.basename(FIXES),
           KEEP_SHEET, len(tiles), len(largest), a.out))


if __name__ == "__main__":
    main()
