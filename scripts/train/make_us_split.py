"""Writes us_crops_split.tsv, the fixed 80/20 split of openalpr-us-crops by
image: within each state, the crops in the order of the SHA-256 of their file
name, every fifth is test. Run once; the file is committed, and training and
benchmarks read it (data.us_split).

Usage: make_us_split.py DATASETS_DIR
"""
import csv
import hashlib
import os
import sys

import data


def main():
    root = data.datasets(sys.argv[1])["openalpr-us-crops"]
    with open(os.path.join(root, "manifest.tsv")) as f:
        rows = list(csv.reader(f, delimiter="\t"))[1:]
    by_state = {}
    for img, state, _ in rows:
        by_state.setdefault(state, []).append(img)
    side = {}
    for state, imgs in by_state.items():
        imgs.sort(key=lambda n: hashlib.sha256(n.encode()).hexdigest())
        for k, n in enumerate(imgs):
            side[n] = "test" if k % 5 == 2 else "train"
    with open(data.US_SPLIT, "w") as f:
        f.write("# openalpr-us-crops 80/20 split by image (scripts/train/make_us_split.py)\n")
        f.write("image\tsplit\n")
        for n in sorted(side):
            f.write("%s\t%s\n" % (n, side[n]))
    n_test = sum(1 for v in side.values() if v == "test")
    print("wrote %s: %d train, %d test" % (data.US_SPLIT, len(side) - n_test, n_test))


if __name__ == "__main__":
    main()
