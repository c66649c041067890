"""Makes the synthetic US street set: the frames of the held-out dashcam
video (data.HELDOUT_VIDEO, never trained on) with each labelled plate
replaced by a crop of the US test split (us_crops_split.tsv, never trained
on), warped in at the size a US plate has beside the EU plate it replaces
(30.5 cm against 52 cm), and date/time, speed, GPS and camera-id overlays
burned into the frame. The overlays are drawn with OpenCV's Hershey fonts in
layouts of their own, not with the renderer training draws its negatives
with, so that the set does not reward learning that renderer.

Each frame is made VARIANTS times with other crops, every test crop used at
least once. --height 1080 scales the frames up to 1920x1080 first (the plates
with them), for the 1080p figures. --night takes the frames of dashcam-ro's
night drive (videos named NIGHT_PREFIX...) instead of the held-out day
video: a yardstick of reading at night, where the reader never saw the crops
but the detector trained on those frames, so that its figures there flatter
it. --pose turns each plate as a car off the camera's axis shows it (a
random roll and yaw, compose.pose_quad, up to MAX_ROLL and MAX_YAW), where
the plain set's plates face the camera. --far F shrinks every plate to F of
that size, as cars farther away show them (0.6 at 720p: 25-75 px wide; 0.4
at 1080p: 27-80 px, where the detector sees them at 13-40 px). Writes DIR/*.jpg and
DIR/manifest.tsv (image, plate_text, x, y, w, h), the same for the same
arguments.

Usage: us_street.py --data ../shared/datasets --out DIR [--height 720|1080] [--night] [--pose] [--far F] [--seed 7]
"""
import argparse
import os

import cv2
import numpy as np

import compose
import data

US_PER_EU = 30.5 / 52.0
# The start of the names of dashcam-ro's night drive videos (all in the
# training split).
NIGHT_PREFIX = "nightride"
VARIANTS = 4
# --pose: how far a plate is turned, in degrees: roll as a camera mounted a
# little askew on a cambered road shows it, yaw as a car in the next lane or
# parked at the kerb shows it to a forward camera.
MAX_ROLL, MAX_YAW = 10, 40
FONTS = [cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_PLAIN, cv2.FONT_HERSHEY_COMPLEX]


def overlay(rng, img):
    """Camera overlays in Hershey type: a date/time line, and a line of
    speed, position and camera or vehicle id, at two of the frame's edges."""
    H, W = img.shape[:2]
    y, mo, d = rng.integers(2019, 2027), rng.integers(1, 13), rng.integers(1, 29)
    hh, mm, ss = rng.integers(0, 24), rng.integers(0, 60), rng.integers(0, 60)
    stamp = ["%04d-%02d-%02d %02d:%02d:%02d" % (y, mo, d, hh, mm, ss),
             "%02d/%02d/%04d %02d:%02d:%02d" % (mo, d, y, hh, mm, ss),
             "%04d.%02d.%02d  %02d:%02d" % (y, mo, d, hh, mm)][rng.integers(3)]
    info = ["%d MPH  N%.4f W%.4f" % (rng.integers(0, 80), rng.uniform(30, 45), rng.uniform(75, 120)),
            "CAM %d  UNIT %04d" % (rng.integers(1, 9), rng.integers(0, 9999)),
            "%03d KM/H  ID %05d" % (rng.integers(0, 120), rng.integers(0, 99999)),
            "FLEET %03d  %s" % (rng.integers(1, 999), ["FRONT", "REAR", "DASH"][rng.integers(3)])][rng.integers(4)]
    font = FONTS[rng.integers(len(FONTS))]
    scale = H / 720 * rng.uniform(0.6, 0.9)
    thick = max(1, int(round(H / 720 * 1.6)))
    color = (255, 255, 255) if rng.random() < 0.6 else (0, 255, 255)
    spots = rng.permutation(["top-left", "top-right", "bottom-left", "bottom-right"])[:2]
    for text, spot in zip((stamp, info), spots):
        (tw, th), base = cv2.getTextSize(text, font, scale, thick)
        x = int(0.02 * W) if spot.endswith("left") else W - tw - int(0.02 * W)
        yb = int(0.03 * H) + th if spot.startswith("top") else H - int(0.03 * H)
        cv2.putText(img, text, (x, yb), font, scale, (0, 0, 0), thick + 2, cv2.LINE_AA)
        cv2.putText(img, text, (x, yb), font, scale, color, thick, cv2.LINE_AA)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--height", type=int, default=720, choices=(720, 1080))
    ap.add_argument("--night", action="store_true", help="the night drives' frames, not the held-out video's")
    ap.add_argument("--pose", action="store_true", help="plates rolled and yawed as off-axis cars show them")
    ap.add_argument("--far", type=float, default=1.0,
                    help="plates shrunk to this share of their size, as cars farther away show them")
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    cv2.setNumThreads(1)
    rng = np.random.default_rng(a.seed)
    ds = data.datasets(a.data)
    scenes = data.read_scenes(ds["dashcam-ro"], "dashcam-ro")
    if a.night:
        frames = [f for f in scenes if f.video.startswith(NIGHT_PREFIX)]
    else:
        _, frames = data.dashcam_split(scenes)
    if not frames:
        raise SystemExit("us_street.py: no dashcam-ro frames to use")
    _, us_test = data.us_split(data.read_us_crops(ds["openalpr-us-crops"]))
    order = [us_test[i] for i in rng.permutation(len(us_test))]
    need = sum(len(f.plates) for f in frames) * VARIANTS
    order = (order * (need // len(order) + 1))[:need]
    os.makedirs(a.out, exist_ok=True)
    rows, k = [], 0
    for v in range(VARIANTS):
        for f in frames:
            img = cv2.imread(f.path)
            s = a.height / img.shape[0]
            if s != 1:
                img = cv2.resize(img, None, fx=s, fy=s, interpolation=cv2.INTER_LINEAR)
            name = "%s_v%d.jpg" % (os.path.splitext(os.path.basename(f.path))[0], v)
            for p in f.plates:
                box = [c * s for c in p.box]
                compose.erase(img, box)
            for p in f.plates:
                path, _, text = order[k]
                k += 1
                board = cv2.imread(path)
                x, y, w, h = [c * s for c in p.box]
                nw = w * US_PER_EU * a.far
                nh = nw * board.shape[0] / board.shape[1]
                q = compose.quad_of((x + w / 2 - nw / 2, y + h / 2 - nh / 2, nw, nh))
                if a.pose:
                    q = compose.pose_quad(rng, q, MAX_ROLL, MAX_YAW)
                q = compose.jitter_quad(rng, q, 0.03)
                compose.paste(rng, img, board, q)
                bx, by, bw, bh = compose.box_of(q)
                rows.append((name, text, int(round(bx)), int(round(by)), int(round(bw)), int(round(bh))))
            overlay(rng, img)
            cv2.imwrite(os.path.join(a.out, name), img, [cv2.IMWRITE_JPEG_QUALITY, 90])
    with open(os.path.join(a.out, "manifest.tsv"), "w") as fh:
        fh.write("image\tplate_text\tx\ty\tw\th\n")
        for r in rows:
            fh.write("%s\t%s\t%d\t%d\t%d\t%d\n" % r)
    with open(os.path.join(a.out, "SOURCE.md"), "w") as fh:
        fh.write("Synthetic US street set made by scripts/train/us_street.py (seed %d, height %d, far %g) from\n"
                 "dashcam-ro (MIT) frames of %s and openalpr-us-crops (AGPL-3.0) test-split crops.\n"
                 % (a.seed, a.height, a.far, ", ".join(sorted({f.video for f in frames}))))
    print("us street set: %d frames, %d plates (%d distinct test crops) in %s" %
          (VARIANTS * len(frames), len(rows), len({r[1] for r in rows}), a.out))


if __name__ == "__main__":
    main()
