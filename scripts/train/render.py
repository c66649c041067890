"""Synthetic plates and the text a fleet camera sees that is not a plate.

Plates: US boards (2:1, state name above, slogan below, stickers, stacked
small characters), EU boards (blue strip with the country code) and Brazilian
boards (old grey and Mercosul), with texts drawn from each region's common
layouts. Not plates: date/time, speed, GPS and camera-id overlays burned into
a frame's corners, and phone numbers, words and slogans as on vans and shops.
Everything is drawn with OpenCV's FreeType module and the fonts of Debian's
fonts-dejavu, fonts-liberation2, fonts-freefont-ttf and fonts-urw-base35.
"""
import glob
import os

import cv2
import numpy as np

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
US_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"  # most states issue no I, O, Q
# Share of rendered US texts drawn from US_LETTERS (the rest from all
# letters, as vanity plates and some states have them).
US_PLAIN = 0.8
DIGITS = "0123456789"
ALPHABET = DIGITS + LETTERS

# Bold and narrow faces that look like the stamped or printed type of plates.
PLATE_FONTS = [
    "dejavu/DejaVuSansCondensed-Bold.ttf", "dejavu/DejaVuSans-Bold.ttf",
    "dejavu/DejaVuSansMono-Bold.ttf", "liberation2/LiberationSans-Bold.ttf",
    "liberation2/LiberationMono-Bold.ttf", "freefont/FreeSansBold.ttf",
    "freefont/FreeMonoBold.ttf", "urw-base35/NimbusSansNarrow-Bold.otf",
    "urw-base35/NimbusSans-Bold.otf", "urw-base35/NimbusMonoPS-Bold.otf",
]
# Faces for state names, slogans, signs and overlays.
OTHER_FONTS = [
    "dejavu/DejaVuSerif-Bold.ttf", "dejavu/DejaVuSerifCondensed-BoldItalic.ttf",
    "dejavu/DejaVuSans.ttf", "liberation2/LiberationSerif-BoldItalic.ttf",
    "freefont/FreeSerifBold.ttf", "urw-base35/C059-Bold.otf",
    "urw-base35/NimbusSansNarrow-Regular.otf", "urw-base35/P052-BoldItalic.otf",
]
FONT_DIRS = ["/usr/share/fonts/truetype", "/usr/share/fonts/opentype"]

US_STATES = [
    "ALABAMA", "ALASKA", "ARIZONA", "ARKANSAS", "California", "COLORADO", "Connecticut",
    "DELAWARE", "Florida", "GEORGIA", "HAWAII", "IDAHO", "ILLINOIS", "Indiana", "IOWA",
    "KANSAS", "Kentucky", "LOUISIANA", "MAINE", "Maryland", "Massachusetts", "Michigan",
    "MINNESOTA", "MISSISSIPPI", "MISSOURI", "MONTANA", "NEBRASKA", "NEVADA", "New Hampshire",
    "NEW JERSEY", "NEW MEXICO", "NEW YORK", "North Carolina", "NORTH DAKOTA", "OHIO",
    "OKLAHOMA", "OREGON", "Pennsylvania", "RHODE ISLAND", "South Carolina", "SOUTH DAKOTA",
    "TENNESSEE", "TEXAS", "UTAH", "Vermont", "VIRGINIA", "WASHINGTON", "West Virginia",
    "WISCONSIN", "WYOMING", "Washington, D.C.",
]
SLOGANS = [
    "The Silver State", "Sunshine State", "Land of Lincoln", "EMPIRE STATE", "Great Lakes",
    "visitPA.com", "Live Free or Die", "Garden State", "Famous Potatoes", "Grand Canyon State",
    "LONE STAR STATE", "Ocean State", "Green Mountains", "Wild Wonderful", "America's Dairyland",
    "TAXATION WITHOUT REPRESENTATION", "First in Flight", "Peach State", "dmv.ca.gov",
    "Heart of Dixie", "Show Me State", "10,000 Lakes", "Centennial", "The Beehive State",
]
WORDS = [
    "PIZZA", "BAKERY", "PLUMBING", "HEATING", "COOLING", "ELECTRIC", "MOVING", "DELIVERY",
    "FRESH", "SALE", "OPEN", "EXIT", "STOP", "ONLY", "SERVICE", "CALL NOW", "FREE ESTIMATES",
    "LICENSED", "INSURED", "SINCE 1987", "24H", "RENTAL", "TRANSPORT", "LOGISTICS", "EXPRESS",
    "MARKET", "PHARMACY", "HOTEL", "PARKING", "BUS", "TAXI", "POLICE", "SCHOOL BUS",
    "BRIDGE", "MAIN ST", "ROUTE 66", "SPEED LIMIT", "ONE WAY", "NO PARKING", "CAFE",
]


def _font_paths(names):
    out = []
    for n in names:
        for d in FONT_DIRS:
            p = os.path.join(d, n)
            if os.path.exists(p):
                out.append(p)
                break
    if not out:
        out = sorted(glob.glob("/usr/share/fonts/truetype/dejavu/*Bold*.ttf"))
    return out


_faces = {}


def _face(path):
    f = _faces.get(path)
    if f is None:
        f = cv2.freetype.createFreeType2()
        f.loadFontData(path, 0)
        _faces[path] = f
    return f


class Fonts:
    def __init__(self):
        self.plate = _font_paths(PLATE_FONTS)
        self.other = _font_paths(OTHER_FONTS) or self.plate
        if not self.plate:
            raise SystemExit("no fonts found: apt-get install fonts-dejavu-core fonts-liberation2 fonts-freefont-ttf fonts-urw-base35")


FONTS = None


def fonts():
    global FONTS
    if FONTS is None:
        FONTS = Fonts()
    return FONTS


def text_size(font, text, height):
    (w, h), base = _face(font).getTextSize(text, height, -1)
    return w, h, base


def draw_text(img, text, font, height, org, color, fit_w=None, fit_h=None):
    """Draws text with its top-left at org, scaled to fit (fit_w, fit_h) when
    given (stretched horizontally to fit_w when narrower, as plate type is
    condensed). Returns the drawn box (x, y, w, h)."""
    face = _face(font)
    w, h, base = text_size(font, text, height)
    if w <= 0 or h <= 0:
        return (org[0], org[1], 0, 0)
    # Draw on a large canvas at the requested height, then resize into place.
    pad = max(2, height // 4)
    canvas = np.zeros((2 * height + 2 * pad, w + 2 * pad, 3), np.uint8)
    face.putText(canvas, text, (pad, pad), height, (255, 255, 255), -1, cv2.LINE_AA, False)
    canvas = canvas[:, :, 0]
    ys, xs = np.nonzero(canvas > 40)
    if len(xs) == 0:
        return (org[0], org[1], 0, 0)
    canvas = canvas[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    ch, cw = canvas.shape
    tw = fit_w if fit_w else cw
    th = fit_h if fit_h else ch
    tw, th = max(1, int(tw)), max(1, int(th))
    mask = cv2.resize(canvas, (tw, th), interpolation=cv2.INTER_AREA if tw < cw else cv2.INTER_LINEAR)
    x, y = int(org[0]), int(org[1])
    H, W = img.shape[:2]
    x0, y0, x1, y1 = max(0, x), max(0, y), min(W, x + tw), min(H, y + th)
    if x1 <= x0 or y1 <= y0:
        return (x, y, tw, th)
    m = mask[y0 - y:y1 - y, x0 - x:x1 - x].astype(np.float32)[..., None] / 255.0
    roi = img[y0:y1, x0:x1].astype(np.float32)
    img[y0:y1, x0:x1] = (roi * (1 - m) + np.array(color, np.float32) * m).astype(np.uint8)
    return (x, y, tw, th)


def _pick(rng, s):
    return s[rng.integers(len(s))]


def layout_text(rng, pattern, letters=LETTERS):
    """Text for a pattern of L (letter), D (digit), A (either) and
    separators (space, '-', '.') kept for drawing."""
    out = []
    for c in pattern:
        if c == "L":
            out.append(_pick(rng, letters))
        elif c == "D":
            out.append(_pick(rng, DIGITS))
        elif c == "A":
            out.append(_pick(rng, letters + DIGITS))
        else:
            out.append(c)
    return "".join(out)


US_PATTERNS = ["LLLDDDD", "DLLLDDD", "LLL DDDD", "LLL-DDDD", "DDD LLL", "DDDLLL", "LLDDDDD",
               "LLL DDD", "DLLDDD", "DDDDDD", "LL DDDDD", "DDLLLL", "LDDLLL", "DDD-LLL",
               "LLDLDD", "DDDLLDD", "DLDDDDD", "AAAAA", "AAAAAA", "AAAAAAA", "LLLL", "DDDDD"]
EU_PATTERNS = ["LL-DDDLL", "LL DDDLL", "DLD DDDD", "L LL DDDD", "LL L DDD", "LLL LL DDD",
               "LL DDDDD", "LLL DDDD", "LLDD LLL", "L DD LLL", "LL DD LLL", "LL-DDD-LL",
               "LL DDD LL", "DDDD LLL", "LL-DDDD", "LLL-DDD"]
BR_PATTERNS = ["LLL-DDDD", "LLL DDDD", "LLLDLDD", "LLL DLDD"]


def plate_text(rng, region):
    if region == "us":
        letters = US_LETTERS if rng.random() < US_PLAIN else LETTERS
        return layout_text(rng, _pick(rng, US_PATTERNS), letters)
    if region == "eu":
        return layout_text(rng, _pick(rng, EU_PATTERNS))
    return layout_text(rng, _pick(rng, BR_PATTERNS))


def label_of(text):
    return "".join(c for c in text.upper() if c in ALPHABET)


def _light(rng):
    kind = rng.random()
    if kind < 0.55:
        v = rng.integers(215, 256)
        return (int(v), int(v), int(v))
    if kind < 0.75:
        return (int(rng.integers(150, 235)), int(rng.integers(200, 250)), int(rng.integers(220, 256)))  # cream/yellow
    if kind < 0.9:
        return (int(rng.integers(220, 256)), int(rng.integers(200, 240)), int(rng.integers(170, 220)))  # pale blue
    return tuple(int(x) for x in rng.integers(170, 256, 3))


def _dark(rng):
    kind = rng.random()
    if kind < 0.6:
        v = int(rng.integers(0, 60))
        return (v, v, v)
    if kind < 0.8:
        return (int(rng.integers(90, 160)), int(rng.integers(20, 70)), int(rng.integers(0, 40)))  # blue
    if kind < 0.9:
        return (int(rng.integers(0, 40)), int(rng.integers(0, 40)), int(rng.integers(120, 200)))  # red
    return (int(rng.integers(0, 50)), int(rng.integers(60, 110)), int(rng.integers(0, 40)))  # green


def _gradient(img, rng):
    h, w = img.shape[:2]
    if rng.random() < 0.5:
        return img
    top = np.array(_light(rng), np.float32)
    ramp = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    out = img.astype(np.float32) * (1 - 0.5 * ramp) + top * 0.5 * ramp
    return out.clip(0, 255).astype(np.uint8)


def us_plate(rng, text=None):
    """A US plate board, 2:1 (about 300x150). Returns (image, label)."""
    f = fonts()
    text = text or plate_text(rng, "us")
    W, H = 300, int(rng.integers(140, 160))
    light, dark = _light(rng), _dark(rng)
    if rng.random() < 0.1:  # dark board, light type
        light, dark = tuple(int(c * 0.25) for c in dark), (235, 235, 235)
    img = np.full((H, W, 3), light, np.uint8)
    img = _gradient(img, rng)
    if rng.random() < 0.5:
        cv2.rectangle(img, (3, 3), (W - 4, H - 4), dark, int(rng.integers(2, 6)))
    # State name on top, slogan below: small, in another face.
    if rng.random() < 0.9:
        st = _pick(rng, US_STATES)
        sw = int(W * rng.uniform(0.4, 0.85))
        draw_text(img, st, _pick(rng, f.other), 40, ((W - sw) // 2, int(H * 0.03)), _dark(rng),
                  fit_w=sw, fit_h=int(H * rng.uniform(0.14, 0.22)))
    top = int(H * rng.uniform(0.24, 0.3))
    bottom = int(H * rng.uniform(0.78, 0.86))
    if rng.random() < 0.75:
        sl = _pick(rng, SLOGANS)
        sw = int(W * rng.uniform(0.35, 0.9))
        draw_text(img, sl, _pick(rng, f.other), 30, ((W - sw) // 2, bottom + 3), _dark(rng),
                  fit_w=sw, fit_h=max(6, int((H - bottom) * rng.uniform(0.5, 0.8))))
    left = int(W * rng.uniform(0.05, 0.1))
    right = W - int(W * rng.uniform(0.05, 0.1))
    if rng.random() < 0.15:  # stacked small characters on the left (not part of the plate)
        sx = left
        stack = layout_text(rng, "LL" if rng.random() < 0.5 else "LLL")
        ch = (bottom - top) // len(stack)
        for k, c in enumerate(stack):
            draw_text(img, c, _pick(rng, f.plate), 30, (sx, top + k * ch), dark, fit_w=int(ch * 0.7), fit_h=int(ch * 0.9))
        left += int(ch * 0.9)
    if rng.random() < 0.3:  # a registration sticker in a corner
        sw, sh = int(W * 0.12), int(H * 0.14)
        sx = 8 if rng.random() < 0.5 else W - sw - 8
        cv2.rectangle(img, (sx, 6), (sx + sw, 6 + sh), tuple(int(x) for x in rng.integers(0, 256, 3)), -1)
    font = _pick(rng, f.plate)
    tw = int((right - left) * rng.uniform(0.8, 1.0))
    th = int((bottom - top) * rng.uniform(0.85, 1.0))
    draw_text(img, text, font, 60, (left + (right - left - tw) // 2, top), dark, fit_w=tw, fit_h=th)
    if rng.random() < 0.5:  # bolt holes
        for x in (int(W * 0.2), int(W * 0.8)):
            cv2.circle(img, (x, int(H * 0.12)), 4, (90, 90, 90), -1)
    return img, label_of(text)


EU_CODES = ["SK", "CZ", "D", "PL", "RO", "F", "I", "A", "H", "NL", "B", "E", "GB", "UA"]


def eu_plate(rng, text=None):
    """An EU plate board, about 4.7:1, with the blue strip. (image, label)."""
    f = fonts()
    text = text or plate_text(rng, "eu")
    H = 110
    W = int(H * rng.uniform(4.2, 4.9))
    bg = (245, 245, 245) if rng.random() < 0.85 else (40, 200, 245)  # white or yellow
    img = np.full((H, W, 3), bg, np.uint8)
    img = _gradient(img, rng)
    cv2.rectangle(img, (2, 2), (W - 3, H - 3), (20, 20, 20), int(rng.integers(2, 5)))
    sw = int(H * 0.42)
    left = 8
    if rng.random() < 0.9:
        cv2.rectangle(img, (4, 4), (sw, H - 5), (160, 60, 10), -1)
        cx = sw // 2 + 2
        for k in range(12):
            a = 2 * np.pi * k / 12
            cv2.circle(img, (int(cx + 0.16 * H * np.cos(a)), int(0.32 * H + 0.16 * H * np.sin(a))), 2, (0, 210, 255), -1)
        code = _pick(rng, EU_CODES)
        draw_text(img, code, _pick(rng, f.plate), 30, (cx - int(0.13 * H * len(code)), int(0.6 * H)),
                  (255, 255, 255), fit_w=int(0.26 * H * len(code)), fit_h=int(0.28 * H))
        left = sw + 6
    tw = int((W - left - 8) * rng.uniform(0.85, 0.98))
    th = int(H * rng.uniform(0.62, 0.75))
    draw_text(img, text, _pick(rng, f.plate), 60, (left + (W - left - 8 - tw) // 2, (H - th) // 2),
              (15, 15, 15), fit_w=tw, fit_h=th)
    return img, label_of(text)


def br_plate(rng, text=None):
    """A Brazilian board: old grey (city name above) or Mercosul (blue band). (image, label)."""
    f = fonts()
    text = text or plate_text(rng, "br")
    H = 130
    W = int(H * rng.uniform(3.0, 3.2))
    if label_of(text)[4].isalpha() or rng.random() < 0.4:  # Mercosul
        img = np.full((H, W, 3), (245, 245, 245), np.uint8)
        cv2.rectangle(img, (0, 0), (W - 1, int(H * 0.24)), (150, 60, 0), -1)
        draw_text(img, "BRASIL", _pick(rng, f.plate), 30, (int(W * 0.38), int(H * 0.04)), (255, 255, 255),
                  fit_w=int(W * 0.24), fit_h=int(H * 0.15))
        top = int(H * 0.3)
        color = (10, 10, 10)
    else:
        img = np.full((H, W, 3), tuple(int(x) for x in rng.integers(170, 215, 1).repeat(3)), np.uint8)
        draw_text(img, "SP - SAO PAULO", _pick(rng, f.other), 30, (int(W * 0.25), int(H * 0.05)), (30, 30, 30),
                  fit_w=int(W * 0.5), fit_h=int(H * 0.16))
        top = int(H * 0.28)
        color = (20, 20, 20)
    cv2.rectangle(img, (1, 1), (W - 2, H - 2), (20, 20, 20), 3)
    tw, th = int(W * rng.uniform(0.82, 0.93)), int(H * rng.uniform(0.55, 0.65))
    draw_text(img, text, _pick(rng, f.plate), 60, ((W - tw) // 2, top), color, fit_w=tw, fit_h=th)
    return img, label_of(text)


def random_plate(rng, weights=(0.6, 0.25, 0.15)):
    r = rng.random()
    if r < weights[0]:
        return us_plate(rng)
    if r < weights[0] + weights[1]:
        return eu_plate(rng)
    return br_plate(rng)


# ---- text that is not a plate ----

def overlay_lines(rng):
    """Lines a dash or fleet camera burns into its frames."""
    y, mo, d = int(rng.integers(2018, 2031)), int(rng.integers(1, 13)), int(rng.integers(1, 29))
    hh, mm, ss = int(rng.integers(0, 24)), int(rng.integers(0, 60)), int(rng.integers(0, 60))
    dates = ["%04d/%02d/%02d" % (y, mo, d), "%04d-%02d-%02d" % (y, mo, d), "%02d/%02d/%04d" % (mo, d, y),
             "%02d.%02d.%04d" % (d, mo, y), "%02d-%02d-%02d" % (y % 100, mo, d)]
    times = ["%02d:%02d:%02d" % (hh, mm, ss), "%02d:%02d:%02d %s" % (hh % 12 + 1, mm, ss, "PM" if rng.random() < 0.5 else "AM")]
    lines = []
    dt = _pick(rng, dates) + " " + _pick(rng, times)
    lines.append(dt)
    extras = [
        "%d KM/H" % rng.integers(0, 130), "%d MPH" % rng.integers(0, 90), "%03dKMH" % rng.integers(0, 130),
        "CAM%02d" % rng.integers(1, 17), "CH%d" % rng.integers(1, 9), "UNIT %d" % rng.integers(100, 9999),
        "N%.5f W%.5f" % (rng.uniform(25, 49), rng.uniform(70, 124)), "%.5f,%.5f" % (rng.uniform(-60, 60), rng.uniform(-120, 120)),
        "BUS %d" % rng.integers(100, 999), "V%04d" % rng.integers(0, 9999), "ID:%06d" % rng.integers(0, 999999),
        "REC", "%s%05d" % (layout_text(rng, "LL"), rng.integers(0, 99999)), "GPS", "FRONT", "REAR",
        layout_text(rng, "LLL") + "-" + layout_text(rng, "DDDD"), "DRV%04d" % rng.integers(0, 9999),
    ]
    for _ in range(int(rng.integers(0, 3))):
        lines.append(_pick(rng, extras))
    if rng.random() < 0.3:
        lines = [" ".join(lines)]
    return lines


def burn_overlays(rng, img):
    """Burns camera overlays into img (in place) at its corners or edges:
    white or yellow type with a dark outline or on a dark band."""
    H, W = img.shape[:2]
    f = fonts()
    font = _pick(rng, f.plate + f.other)
    size = int(H * rng.uniform(0.025, 0.06))
    color = (255, 255, 255) if rng.random() < 0.6 else (0, 230, 255)
    spots = ["tl", "tr", "bl", "br", "bc", "tc"]
    for spot in rng.choice(spots, size=int(rng.integers(1, 3)), replace=False):
        lines = overlay_lines(rng)
        y = int(H * 0.02) if spot[0] == "t" else H - int(H * 0.02) - len(lines) * int(size * 1.3)
        for k, line in enumerate(lines):
            w, h, _ = text_size(font, line, size)
            if spot[1] == "l":
                x = int(W * 0.015)
            elif spot[1] == "r":
                x = W - w - int(W * 0.015)
            else:
                x = (W - w) // 2
            yy = y + k * int(size * 1.3)
            if rng.random() < 0.3:
                cv2.rectangle(img, (x - 3, yy - 2), (x + w + 3, yy + h + 4), (0, 0, 0), -1)
            elif rng.random() < 0.6:
                for dx, dy in ((1, 1), (-1, -1), (1, -1), (-1, 1)):
                    draw_text(img, line, font, size, (x + dx, yy + dy), (0, 0, 0))
            draw_text(img, line, font, size, (x, yy), color)


def sign_text(rng):
    r = rng.random()
    if r < 0.35:
        return "%s-%s-%s" % (layout_text(rng, "DDD"), layout_text(rng, "DDD"), layout_text(rng, "DDDD")) if rng.random() < 0.6 \
            else "(%s) %s-%s" % (layout_text(rng, "DDD"), layout_text(rng, "DDD"), layout_text(rng, "DDDD"))
    if r < 0.7:
        return " ".join(_pick(rng, WORDS) for _ in range(int(rng.integers(1, 3))))
    if r < 0.85:
        return "%s %s" % (_pick(rng, WORDS), layout_text(rng, _pick(rng, ["DD", "DDD", "DD%", "LDD"])))
    return "www.%s.com" % _pick(rng, WORDS).lower().replace(" ", "")


def draw_sign(rng, img, box):
    """Draws a line or two of sign text (phone numbers, words) inside box
    (x, y, w, h) of img, on a panel or straight on what is there."""
    f = fonts()
    x, y, w, h = box
    if rng.random() < 0.5:
        cv2.rectangle(img, (x, y), (x + w, y + h), tuple(int(c) for c in rng.integers(0, 256, 3)), -1)
    n = 1 if rng.random() < 0.6 else 2
    color = tuple(int(c) for c in rng.integers(0, 256, 3))
    for k in range(n):
        t = sign_text(rng)
        font = _pick(rng, f.plate + f.other)
        lh = h // n
        tw, th, _ = text_size(font, t, 40)
        ww = min(w, int(lh * 0.8 * tw / max(th, 1)))
        draw_text(img, t, font, 40, (x, y + k * lh), color, fit_w=ww, fit_h=int(lh * 0.8))
