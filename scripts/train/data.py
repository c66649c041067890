"""Datasets of ../shared/datasets and the splits training and benchmarks use.

Upstream sources (the folders name them in their SOURCE.md):
  openalpr-eu, openalpr-br, openalpr-us-crops: github.com/openalpr/benchmarks, AGPL-3.0
  dashcam-ro: github.com/RobertLucian/license-plate-dataset, MIT

The datasets are read from the folder given on the command line and never
copied into the repository. Splits are fixed by rule, not by chance:
  - dashcam-ro: by drive video; HELDOUT_VIDEO is never trained on (the
    detector's validation video and the frames of the synthetic US street set);
  - openalpr-eu and openalpr-br: every HOLDOUT-th labelled photo in name order
    is held out (the photos `edge-agent bench --holdout 4` scores apart);
  - openalpr-us-crops: the committed split file us_crops_split.tsv (80/20 by
    image, made once by make_us_split.py).
"""
import csv
import os
import re

HELDOUT_VIDEO = "dayride_type1_002"
HOLDOUT = 4
HERE = os.path.dirname(os.path.abspath(__file__))
US_SPLIT = os.path.join(HERE, "us_crops_split.tsv")


class Plate:
    """One labelled plate: text ('' when unknown) and box (x, y, w, h)."""

    def __init__(self, text, box):
        self.text = text
        self.box = box

    def __repr__(self):
        return "Plate(%r, %r)" % (self.text, self.box)


class Image:
    """One labelled image: its path, plates, set name and video (dashcam)."""

    def __init__(self, path, plates, dataset, video=""):
        self.path = path
        self.plates = plates
        self.dataset = dataset
        self.video = video


def read_errata(folder):
    """ERRATA.tsv of a dataset: {(image, upstream label): corrected label}."""
    path = os.path.join(folder, "ERRATA.tsv")
    out = {}
    if not os.path.exists(path):
        return out
    with open(path) as f:
        rows = list(csv.reader(f, delimiter="\t"))
    if not rows:
        return out
    head = [h.strip().lower() for h in rows[0]]
    for r in rows[1:]:
        if len(r) < len(head) or r[0].startswith("#"):
            continue
        d = dict(zip(head, r))
        img = d.get("image", "")
        old = d.get("plate_text_upstream", "")
        new = d.get("likely_correct", "")
        if img and old and re.fullmatch(r"[A-Z0-9]+", new.upper()):
            out[(img, old.upper())] = new.upper()
    return out


def read_scenes(folder, name, errata=True):
    """Images of a scene set (manifest.tsv with boxes), in name order."""
    fixes = read_errata(folder) if errata else {}
    by_image = {}
    with open(os.path.join(folder, "manifest.tsv")) as f:
        rows = list(csv.reader(f, delimiter="\t"))
    for r in rows[1:]:
        if len(r) != 6:
            continue
        img, text, x, y, w, h = r
        text = text.strip().upper()
        text = fixes.get((img, text), text)
        video = ""
        m = re.match(r"(?:images/\w+/)?(.+)_t\d+\.jpg$", img)
        if name == "dashcam-ro" and m:
            video = m.group(1)
        by_image.setdefault(img, Image(os.path.join(folder, img), [], name, video))
        by_image[img].plates.append(Plate(text, (int(x), int(y), int(w), int(h))))
    return [by_image[k] for k in sorted(by_image)]


def holdout_split(images):
    """(train, held out) of a photo set: every HOLDOUT-th labelled image in
    name order is held out, as `edge-agent bench --holdout` counts them."""
    train, held = [], []
    for k, im in enumerate(sorted(images, key=lambda i: os.path.basename(i.path))):
        (held if k % HOLDOUT == 0 else train).append(im)
    return train, held


def dashcam_split(images):
    """(train, held out) of dashcam-ro: the held-out video apart."""
    train = [i for i in images if i.video != HELDOUT_VIDEO]
    held = [i for i in images if i.video == HELDOUT_VIDEO]
    return train, held


def read_us_crops(folder):
    """US crops: [(path, state, text)] with at least 4 characters (shorter
    upstream labels are not plate strings, see its SOURCE.md)."""
    out = []
    with open(os.path.join(folder, "manifest.tsv")) as f:
        rows = list(csv.reader(f, delimiter="\t"))
    for r in rows[1:]:
        if len(r) == 3 and len(r[2]) >= 4:
            out.append((os.path.join(folder, r[0]), r[1], r[2].upper()))
    return out


def us_split(crops):
    """(train, test) of the US crops by the committed split file."""
    if not os.path.exists(US_SPLIT):
        raise SystemExit("missing %s: run make_us_split.py once and commit it" % US_SPLIT)
    side = {}
    with open(US_SPLIT) as f:
        for r in csv.reader(f, delimiter="\t"):
            if r and not r[0].startswith("#") and r[0] != "image":
                side[r[0]] = r[1]
    train = [c for c in crops if side.get(os.path.basename(c[0])) == "train"]
    test = [c for c in crops if side.get(os.path.basename(c[0])) == "test"]
    return train, test


def datasets(root):
    """The four sets under root (../shared/datasets): a dict of folder paths,
    with a clear error when one is missing."""
    names = ["openalpr-eu", "openalpr-br", "openalpr-us-crops", "dashcam-ro"]
    out = {}
    for n in names:
        p = os.path.join(root, n)
        if not os.path.isdir(p):
            raise SystemExit("dataset folder %s is missing (see ../shared/datasets/README.md)" % p)
        out[n] = p
    return out
