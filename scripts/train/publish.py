"""Puts a model a training script made into assets/models/ and rewrites
assets/models/MANIFEST: for each model its SHA-256 (lines that sha256sum
--check reads), the data it was trained on with their sources and licences,
the hash of the recipe (the training scripts, the split file and the label fixes), the
training run's settings and its validation figures.

Usage: publish.py --model plate-detector|plate-reader --from DIR [--assets assets/models]
"""
import argparse
import datetime
import glob
import hashlib
import json
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = ("plate-detector", "plate-reader")
DATA = {
    "plate-detector": [
        "dashcam-ro: frames of 3 of its 4 drive videos (dayride_type1_002 held out) - github.com/RobertLucian/license-plate-dataset @ f00f309, MIT",
        "openalpr-eu, openalpr-br: photos but every 4th (held out) - github.com/openalpr/benchmarks @ 9790ed2, AGPL-3.0",
        "openalpr-us-crops: the train split (us_crops_split.tsv), warped over dashcam plates - github.com/openalpr/benchmarks @ 9790ed2, AGPL-3.0",
        "rendered plates, overlays and signs (scripts/train/render.py; fonts: DejaVu (Bitstream Vera licence), Liberation (OFL-1.1), GNU FreeFont (GPL-3.0+ with font exception), URW base35 (AGPL-3.0 with font exception))",
    ],
    "plate-reader": [
        "openalpr-us-crops: the train split (us_crops_split.tsv) - github.com/openalpr/benchmarks @ 9790ed2, AGPL-3.0",
        "openalpr-eu, openalpr-br: plates of the photos but every 4th (held out) - github.com/openalpr/benchmarks @ 9790ed2, AGPL-3.0",
        "dashcam-ro: plates of the 3 training videos labelled by PP-OCRv4 and the reader the runs went on from, where sure, mended by a check by eye (scripts/train/pseudolabel.py, dashcam_label_fixes.tsv) - github.com/RobertLucian/license-plate-dataset @ f00f309, MIT",
        "rendered plates, overlays and signs (scripts/train/render.py; fonts as for the detector)",
    ],
}


def recipe_hash():
    h = hashlib.sha256()
    files = sorted(glob.glob(os.path.join(HERE, "*.py")) + [os.path.join(HERE, f) for f in ("us_crops_split.tsv", "dashcam_label_fixes.tsv")])
    for f in files:
        h.update(os.path.basename(f).encode())
        with open(f, "rb") as fh:
            h.update(fh.read())
    return h.hexdigest()


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def read_sections(path):
    """The MANIFEST's per-model sections (JSON between markers), by model."""
    out = {}
    if not os.path.exists(path):
        return out
    with open(path) as f:
        text = f.read()
    for m in MODELS:
        start = text.find("--- %s ---\n" % m)
        if start < 0:
            continue
        start = text.index("\n", start) + 1
        end = text.find("\n--- ", start)
        out[m] = json.loads(text[start:end if end >= 0 else len(text)])
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", required=True, choices=MODELS)
    ap.add_argument("--from", dest="src", required=True)
    ap.add_argument("--assets", default=os.path.join(HERE, "..", "..", "assets", "models"))
    a = ap.parse_args()
    onnx = os.path.join(a.src, a.model + ".onnx")
    with open(os.path.join(a.src, a.model + ".json")) as f:
        figures = json.load(f)
    if os.path.getsize(onnx) >= 10 * 1024 * 1024:
        sys.exit("%s is %d bytes, over the 10 MB a committed model may have" % (onnx, os.path.getsize(onnx)))
    os.makedirs(a.assets, exist_ok=True)
    shutil.copyfile(onnx, os.path.join(a.assets, a.model + ".onnx"))
    manifest = os.path.join(a.assets, "MANIFEST")
    sections = read_sections(manifest)
    sections[a.model] = {
        "file": a.model + ".onnx",
        "sha256": sha256(onnx),
        "bytes": os.path.getsize(onnx),
        "trained": datetime.date.today().isoformat(),
        "recipe_sha256": recipe_hash(),
        "recipe": "scripts/train/%s.py (make train-%s)" % (a.model.split("-")[1], a.model.split("-")[1]),
        "data": DATA[a.model],
        "figures": figures,
    }
    with open(manifest, "w") as f:
        f.write("# edge-agent plate models, made by scripts/train (see README.md, the model card).\n")
        f.write("# The lines below without '#' and '---' are `sha256sum --check` input.\n")
        for m in MODELS:
            if m in sections:
                f.write("%s  %s\n" % (sections[m]["sha256"], sections[m]["file"]))
        for m in MODELS:
            if m in sections:
                f.write("--- %s ---\n%s\n" % (m, json.dumps(sections[m], indent=1)))
    print("published %s (%s) into %s" % (a.model, sections[a.model]["sha256"][:12], a.assets))


if __name__ == "__main__":
    main()
