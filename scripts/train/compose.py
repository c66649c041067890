"""Compositing and photometric changes shared by the detector's training
scenes, the reader's training crops and the synthetic US street set.
"""
import cv2
import numpy as np


def quad_of(box):
    x, y, w, h = box
    return np.float32([[x, y], [x + w, y], [x + w, y + h], [x, y + h]])


def box_of(quad):
    x0, y0 = quad[:, 0].min(), quad[:, 1].min()
    x1, y1 = quad[:, 0].max(), quad[:, 1].max()
    return (float(x0), float(y0), float(x1 - x0), float(y1 - y0))


def jitter_quad(rng, quad, amount):
    """Moves each corner by up to amount of the quad's height (perspective, yaw, roll)."""
    h = np.linalg.norm(quad[3] - quad[0])
    return (quad + rng.uniform(-amount, amount, quad.shape) * h).astype(np.float32)


def pose_quad(rng, quad, max_roll, max_yaw, taper=0.25):
    """Turns a frontal plate's quad (4 corners, clockwise from top-left) as
    a plate seen off the camera's axis looks: rolled up to max_roll degrees
    (a tilted camera or road) and yawed up to max_yaw degrees (a car in the
    next lane, a parked car): narrower by the yaw's cosine, its far edge
    shorter than its near one by perspective (by taper at a right angle).
    Keeps the quad's centre."""
    c = quad.mean(0)
    w = np.linalg.norm(quad[1] - quad[0])
    h = np.linalg.norm(quad[3] - quad[0])
    yaw = np.radians(rng.uniform(-max_yaw, max_yaw))
    # The far edge is this much shorter (0.25: a plate about 4 widths away;
    # the near edge keeps its height).
    far = 1 - taper * abs(np.sin(yaw))
    hw = w * np.cos(yaw) / 2
    left, right = (h / 2, h / 2 * far) if yaw > 0 else (h / 2 * far, h / 2)
    q = np.float32([[-hw, -left], [hw, -right], [hw, right], [-hw, left]])
    a = np.radians(rng.uniform(-max_roll, max_roll))
    rot = np.float32([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    return (q @ rot.T + c).astype(np.float32)


def posed(rng, scene, box, max_roll, max_yaw):
    """The scene warped so that the plate in box (x, y, w, h) is turned as
    pose_quad turns it (what is around the plate turns with it), and the
    box around the turned plate, as a detector would draw it. Only the
    plate's surroundings are warped and returned (a plate-wide margin)."""
    x, y, w, h = box
    H, W = scene.shape[:2]
    x0, y0 = int(max(0, x - w)), int(max(0, y - w))
    x1, y1 = int(min(W, x + 2 * w)), int(min(H, y + h + w))
    q = quad_of((x - x0, y - y0, w, h))
    t = pose_quad(rng, q, max_roll, max_yaw, taper=rng.uniform(0.1, 0.4))
    M = cv2.getPerspectiveTransform(q, t)
    out = cv2.warpPerspective(scene[y0:y1, x0:x1], M, (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR,
                              borderMode=cv2.BORDER_REPLICATE)
    return out, box_of(t)


def erase(img, box, pad=0.15):
    """Paints over the plate in box (x, y, w, h) from what surrounds it
    (OpenCV's Telea inpainting), so that another plate can be put there."""
    H, W = img.shape[:2]
    x, y, w, h = [int(round(v)) for v in box]
    px, py = int(w * pad) + 2, int(h * pad) + 2
    x0, y0 = max(0, x - 3 * px), max(0, y - 3 * py)
    x1, y1 = min(W, x + w + 3 * px), min(H, y + h + 3 * py)
    roi = img[y0:y1, x0:x1]
    mask = np.zeros(roi.shape[:2], np.uint8)
    cv2.rectangle(mask, (x - px - x0, y - py - y0), (x + w + px - x0, y + h + py - y0), 255, -1)
    img[y0:y1, x0:x1] = cv2.inpaint(roi, mask, 3, cv2.INPAINT_TELEA)


def paste(rng, img, plate, quad, match_light=True):
    """Warps plate (a board image) onto img at quad (4 corners, clockwise
    from top-left), matching the scene's light and sharpness. In place."""
    H, W = img.shape[:2]
    bx, by, bw, bh = box_of(quad)
    x0, y0 = int(max(0, np.floor(bx) - 2)), int(max(0, np.floor(by) - 2))
    x1, y1 = int(min(W, np.ceil(bx + bw) + 3)), int(min(H, np.ceil(by + bh) + 3))
    if x1 - x0 < 2 or y1 - y0 < 2:
        return
    ph, pw = plate.shape[:2]
    # Shrink the board first so that the warp does not alias.
    scale = max(bw / pw, bh / ph)
    if scale < 0.5:
        nw, nh = max(4, int(pw * scale * 2)), max(2, int(ph * scale * 2))
        plate = cv2.resize(plate, (nw, nh), interpolation=cv2.INTER_AREA)
        ph, pw = nh, nw
    src = np.float32([[0, 0], [pw, 0], [pw, ph], [0, ph]])
    dst = quad - np.float32([x0, y0])
    M = cv2.getPerspectiveTransform(src, dst)
    roi = img[y0:y1, x0:x1]
    warped = cv2.warpPerspective(plate, M, (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    mask = cv2.warpPerspective(np.full((ph, pw), 255, np.uint8), M, (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR)
    if match_light:
        around = roi.reshape(-1, 3).mean(0)
        level = float(np.clip(around.mean() / 128.0, 0.35, 1.3)) * rng.uniform(0.8, 1.15)
        tint = np.clip(around / max(around.mean(), 1), 0.75, 1.25)
        warped = np.clip(warped.astype(np.float32) * level * tint, 0, 255).astype(np.uint8)
    if rng.random() < 0.5:
        k = rng.uniform(0.3, 0.9)
        warped = cv2.GaussianBlur(warped, (0, 0), k)
        mask = cv2.GaussianBlur(mask, (0, 0), k)
    m = mask.astype(np.float32)[..., None] / 255.0
    img[y0:y1, x0:x1] = (roi.astype(np.float32) * (1 - m) + warped.astype(np.float32) * m).astype(np.uint8)


def motion_blur(img, length, angle):
    k = np.zeros((length, length), np.float32)
    k[length // 2, :] = 1.0
    M = cv2.getRotationMatrix2D((length / 2 - 0.5, length / 2 - 0.5), angle, 1.0)
    k = cv2.warpAffine(k, M, (length, length))
    k /= max(k.sum(), 1e-6)
    return cv2.filter2D(img, -1, k)


def photometric(rng, img, night_p=0.15, gray_p=0.1, blur_p=0.35):
    """Colour casts, light, night, blur, noise and JPEG as fleet cameras give them."""
    out = img.astype(np.float32)
    if rng.random() < 0.8:  # per-channel gain: casts such as the dashcam set's magenta, or its removal
        out *= rng.uniform(0.75, 1.25, 3)
    if rng.random() < night_p:
        out = 255.0 * (out / 255.0) ** rng.uniform(1.6, 2.6) * rng.uniform(0.5, 1.0)
    else:
        out = out * rng.uniform(0.6, 1.35) + rng.uniform(-35, 35)
    out = out.clip(0, 255)
    if rng.random() < gray_p:
        g = out.mean(2, keepdims=True)
        out = np.repeat(g, 3, 2)
    img = out.astype(np.uint8)
    r = rng.random()
    if r < blur_p * 0.6:
        img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.5, 1.5))
    elif r < blur_p:
        img = motion_blur(img, int(rng.integers(3, 8)), rng.uniform(-15, 15))
    if rng.random() < 0.5:
        noise = rng.normal(0, rng.uniform(2, 9), img.shape).astype(np.float32)
        img = np.clip(img.astype(np.float32) + noise, 0, 255).astype(np.uint8)
    if rng.random() < 0.5:
        ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(25, 90))])
        img = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    return img
