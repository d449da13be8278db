#!/usr/bin/python3
"""Parity goldens for src/generation/change (semibench).

Runs Semi-Truths' own change-metric code on procedurally generated (real, edited) pairs and writes the inputs
(PNG) and the expected values (expected.json) to tests/goldens/change/.

Run with the Debian interpreter that has the reference stack:
    /usr/bin/python3 tools/parity/make_change_goldens.py [--out tests/goldens/change]
(python3-skimage 0.19.3, python3-opencv 4.6, python3-scipy 1.10, python3-pil 9.4, numpy 1.24).

The functions under "Authors' code" are copied from J-Kruk/SemiTruths:
  - SemiTruths/change_metrics/magnitude_change.py @ 4ab714c: Change.__init__ constants, calc_ssim, calc_mse,
    calc_cc_ratio, and the image loading / resize lines of calc_metrics;
  - SemiTruths/change_metrics/final_bins.py (branch anisha-dev) @ 3f2af1d: localized_diffused;
  - SemiTruths/change_metrics/binning.py (anisha-dev) @ 3f2af1d: the cc_clusters mean (np.mean).
They are kept as close to the original as possible (self.* constants become module constants); the learned
metrics (LPIPS, DreamSim, sentence similarity) are left out. bench/measure.ts imports this module for timing.
"""
import argparse
import json
import math
import os

import cv2
import numpy as np
from PIL import Image
from scipy.spatial.distance import pdist
from skimage import morphology
from skimage.metrics import structural_similarity

# ---------------------------------------------------------------------------------------------------------------
# Authors' code (magnitude_change.py, class Change)
# ---------------------------------------------------------------------------------------------------------------
mse_threshold = 0.1            # Change.__init__(mse_threshold=0.1)
min_component_size = 200       # Minimum size of connected component to be considered
connectivity = 3               # Connectivity for connected components
min_component_size_1 = 10      # Minimum size of connected component to be considered
distance_threshold = 200       # Distance threshold for merging connected components
buffer_size = 5                # Buffer size for dilating the binary image


def calc_ssim(real, fake):
    real = np.array(real)
    fake = np.array(fake)
    score, diff = structural_similarity(real, fake, channel_axis=-1, win_size=5, full=True)
    return score


def calc_mse(real, fake):
    real = np.array(real)
    fake = np.array(fake)
    if (len(real.shape) == 3):
        mse = np.square(real[:, :, 0].astype(np.float32) - fake[:, :, 0].astype(np.float32)) + np.square(real[:, :, 1].astype(np.float32) - fake[:, :, 1].astype(np.float32)) + np.square(real[:, :, 2].astype(np.float32) - fake[:, :, 2].astype(np.float32))
        mse = mse / (255 * 255 * 3)
    else:
        mse = np.square(real.astype(np.float32) - fake.astype(np.float32))
        mse = mse / (255 * 255)
    mask = (mse > mse_threshold)
    binary_image = (mask * 255).astype(np.uint8)
    return np.mean(mse.flatten()), binary_image, mse


def calc_cc_ratio(binary_image):
    binary_image_1 = np.uint8(morphology.remove_small_objects(binary_image.astype(bool), min_size=min_component_size_1, connectivity=connectivity))  # Remove small objects
    kernel = np.ones((2 * buffer_size + 1, 2 * buffer_size + 1), np.uint8)  # Create a kernel for dilation
    dilated_image = cv2.dilate(binary_image_1, kernel)  # Dilate the binary image

    num_labels_2, labels_2, stats_2, centroids_2 = cv2.connectedComponentsWithStats(dilated_image)  # Get connected components
    labels_2 = np.uint8(labels_2)  # Convert labels to uint8

    # Initialize a new label array for the merged components
    labeled_image_2 = np.zeros_like(labels_2)

    # Function to compute Euclidean distance
    def euclidean_distance(point1, point2):
        return np.sqrt((point1[0] - point2[0])**2 + (point1[1] - point2[1])**2)

    # Keep track of merged component mappings
    component_mapping = {i: i for i in range(num_labels_2)}

    # Merge components that are close to each other
    for i in range(1, num_labels_2):
        for j in range(i + 1, num_labels_2):
            dist = euclidean_distance(centroids_2[i], centroids_2[j])
            if dist < distance_threshold:
                # Merge component j into component i
                component_mapping[j] = component_mapping[i]

    # Create the new labeled image with merged components
    for i in range(1, num_labels_2):
        labeled_image_2[labels_2 == i] = component_mapping[i]

    labeled_image_2[labeled_image_2 > 0] = 1  # Convert to binary image
    labeled_image_3 = morphology.remove_small_objects(labeled_image_2.astype(bool), min_size=min_component_size, connectivity=connectivity).astype(int)  # Remove small objects
    labeled_image_3 = np.uint8(labeled_image_3)  # Convert to uint8
    num_final_labels_4, final_labels_4, stats_4, centroids_4 = cv2.connectedComponentsWithStats(labeled_image_3)  # Get connected components
    total_pixels = np.sum(stats_4[1:, cv2.CC_STAT_AREA])  # Total number of pixels in connected components
    ratio_pixels = total_pixels / (labeled_image_3.shape[0] * labeled_image_3.shape[1])  # Connected components ratio

    if (num_final_labels_4 > 2):
        distances = pdist(centroids_4[1:], 'euclidean')
        max_dist = np.max(distances)
    else:
        max_dist = -1
    if (num_final_labels_4 > 1):
        largest_component_size = np.max(stats_4[1:, cv2.CC_STAT_AREA])
    else:
        largest_component_size = 0

    save_img = final_labels_4.copy()
    save_img[save_img > 0] = 255
    save_img = np.uint8(save_img)

    return ratio_pixels, final_labels_4, num_final_labels_4, max_dist, total_pixels, largest_component_size, dilated_image, save_img


def calc_metrics_non_learned(real_img_path, fake_img_path):
    """calc_metrics without the learned metrics: same loading, resize and call order."""
    img_real_rgb = Image.open(real_img_path).convert('RGB')
    img_fake_rgb = Image.open(fake_img_path).convert('RGB')
    img_fake_rgb = img_fake_rgb.resize(img_real_rgb.size)
    mse_rgb, binary_rgb, mse_img_rgb = calc_mse(img_real_rgb, img_fake_rgb)
    ssim_rgb = calc_ssim(img_real_rgb, img_fake_rgb)
    ratio_rgb, labeled_image_rgb, cc_clusters_rgb, cluster_dist_rgb, total_pixels_rgb, largest_component_size_rgb, dilated_image, save_img = calc_cc_ratio(binary_rgb)
    return ratio_rgb, ssim_rgb, mse_rgb, largest_component_size_rgb, cc_clusters_rgb, cluster_dist_rgb, total_pixels_rgb


# final_bins.py (anisha-dev) localized_diffused, on plain lists; mean_clusters as binning.py computes it.
def localized_diffused(largest_comp_size, cluster_dist, num_clusters, mean_clusters):
    dist_threshold = 0.25 * 512 * math.sqrt(2)  # 25% of the diagonal of the image
    type_change = []
    for i in range(len(largest_comp_size)):
        if (largest_comp_size[i] / (int(512 * 512)) > 0.2):
            type_change.append('diffused')
        elif (num_clusters[i] > mean_clusters) and (cluster_dist[i] > dist_threshold):
            type_change.append('diffused')
        else:
            type_change.append('localized')
    return type_change


# ---------------------------------------------------------------------------------------------------------------
# Self-checks of two library behaviours the TypeScript port relies on (run before writing the goldens)
# ---------------------------------------------------------------------------------------------------------------
def check_cv2_label_order(rng):
    """cv2.connectedComponentsWithStats (8-conn) numbers components by their first 2x2 block (block rows of two
    pixel rows, left to right), not by first pixel in raster order (src/generation/change/components.ts)."""
    from scipy import ndimage as ndi
    for (h, w, p) in [(64, 64, 0.1), (97, 61, 0.1), (512, 512, 0.05), (1001, 777, 0.08)]:
        img = (rng.random((h, w)) < p).astype(np.uint8)
        n, lab, _, _ = cv2.connectedComponentsWithStats(img)
        ref, k = ndi.label(img > 0, np.ones((3, 3)))
        assert n - 1 == k
        rr, cc = np.nonzero(ref)
        first_block = np.full(k + 1, np.iinfo(np.int64).max)
        np.minimum.at(first_block, ref[rr, cc], (rr // 2) * ((w + 1) // 2) + cc // 2)
        order = np.argsort(first_block[1:], kind='stable') + 1
        cv_to_ref = np.zeros(n, int)
        cv_to_ref[lab[rr, cc]] = ref[rr, cc]
        assert np.array_equal(cv_to_ref[1:], order), f'cv2 label order changed ({h}x{w})'


def _pairwise(a):
    """numpy's pairwise_sum_DOUBLE (loops_utils.h.src)."""
    n = len(a)
    if n < 8:
        res = 0.0
        for x in a:
            res += float(x)
        return res
    if n <= 128:
        r = [float(a[j]) for j in range(8)]
        i = 8
        while i < n - (n % 8):
            for j in range(8):
                r[j] += float(a[i + j])
            i += 8
        res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
        while i < n:
            res += float(a[i])
            i += 1
        return res
    n2 = n // 2
    n2 -= n2 % 8
    return _pairwise(a[:n2]) + _pairwise(a[n2:])


def check_numpy_sum_order(rng):
    """np.mean of float64 arrays and of skimage's crop() views = pairwise sums of 8192-element buffers, added left
    to right (src/generation/change/pairwise-sum.ts)."""
    from skimage.util import crop

    def chunked(flat):
        res = 0.0
        for i in range(0, flat.size, 8192):
            res += _pairwise(flat[i:i + 8192])
        return res
    for _ in range(5):
        h, w = int(rng.integers(5, 400)), int(rng.integers(5, 400))
        a = rng.random((h, w))
        assert np.mean(a.flatten()) == chunked(a.flatten()) / a.size
        c = crop(a, 2)
        assert c.mean(dtype=np.float64) == chunked(c.ravel()) / c.size


# ---------------------------------------------------------------------------------------------------------------
# Procedural pairs
# ---------------------------------------------------------------------------------------------------------------
def gradient(h, w, seed):
    """A smooth colour gradient (compresses well as PNG)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    out = np.empty((h, w, 3), np.float64)
    for c in range(3):
        a, b, k = rng.uniform(-0.4, 0.4), rng.uniform(-0.4, 0.4), rng.uniform(40, 200)
        out[:, :, c] = k + a * x + b * y + 20 * np.sin((x + 3 * c) / 17.0) * np.cos(y / 23.0)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def textured(h, w, seed, amp=30):
    rng = np.random.default_rng(seed)
    base = gradient(h, w, seed).astype(np.int16)
    noise = rng.integers(-amp, amp + 1, (h, w, 3))
    return np.clip(base + noise, 0, 255).astype(np.uint8)


def paint_ellipse(img, cy, cx, ry, rx, colour):
    h, w = img.shape[:2]
    y, x = np.mgrid[0:h, 0:w]
    inside = ((y - cy) / ry) ** 2 + ((x - cx) / rx) ** 2 <= 1.0
    img[inside] = colour
    return img


def shifted(img, delta):
    """Every channel moved by delta, clipped (a strong, uniform change)."""
    return np.clip(img.astype(np.int16) + delta, 0, 255).astype(np.uint8)


def make_cases():
    cases = []

    # 1. One large blob edit on a textured image.
    real = textured(96, 128, 1)
    edited = real.copy()
    paint_ellipse(edited, 50, 60, 25, 35, (250, 20, 30))
    cases.append(('blob', real, edited))

    # 2. Scattered small edits: specks of 1..30 px (some under the 10 px cut), plus a few larger patches,
    #    and mild noise everywhere that stays under the MSE threshold.
    rng = np.random.default_rng(2)
    real = textured(120, 160, 2)
    edited = np.clip(real.astype(np.int16) + rng.integers(-20, 21, real.shape), 0, 255).astype(np.uint8)
    for k in range(40):
        y, x = rng.integers(0, 116), rng.integers(0, 155)
        hh, ww = rng.integers(1, 5), rng.integers(1, 7)
        edited[y:y + hh, x:x + ww] = 255 - real[y:y + hh, x:x + ww]
    for (y, x, hh, ww) in [(5, 5, 3, 3), (20, 100, 2, 5), (90, 20, 3, 4)]:  # 9, 10 and 12 px specks
        edited[y:y + hh, x:x + ww] = 255 - real[y:y + hh, x:x + ww]
    cases.append(('scattered', real, edited))

    # 3. No change at all.
    real = textured(64, 80, 3)
    cases.append(('nochange', real, real.copy()))

    # 4. Whole image changed (inverted).
    real = textured(72, 72, 4)
    cases.append(('whole', real, 255 - real))

    # 5. Odd size, two separated blobs and a global low-amplitude shift.
    real = textured(61, 97, 5)
    edited = shifted(real, 12)
    paint_ellipse(edited, 15, 15, 9, 12, (0, 0, 0))
    paint_ellipse(edited, 45, 80, 10, 12, (255, 255, 255))
    cases.append(('odd97x61', real, edited))

    # 6. Size mismatch: the edited image is larger and must be resized (Pillow bicubic) to the real size.
    real = textured(90, 120, 6)
    big = np.array(Image.fromarray(real).resize((150, 100), Image.BICUBIC))
    paint_ellipse(big, 40, 70, 20, 30, (10, 240, 10))
    cases.append(('resize150x100to120x90', real, big))

    # 7. 512x512: four blobs far apart (cluster_dist > 181 px) and a near pair, on a smooth image.
    real = gradient(512, 512, 7)
    edited = real.copy()
    for (cy, cx, ry, rx, col) in [(60, 60, 30, 40, (255, 0, 0)), (70, 440, 25, 25, (0, 255, 0)),
                                  (440, 80, 35, 20, (0, 0, 255)), (450, 450, 20, 45, (255, 255, 0)),
                                  (250, 250, 12, 12, (0, 0, 0)), (250, 290, 12, 12, (255, 255, 255))]:
        paint_ellipse(edited, cy, cx, ry, rx, col)
    cases.append(('large512', real, edited))

    # 8. 512x512, one big region over 20% of 512² (diffused by the first rule). Same real image as case 7
    #    (written once) to keep the goldens small.
    edited = real.copy()
    paint_ellipse(edited, 256, 256, 170, 200, (20, 20, 20))
    cases.append(('big512', real, edited))

    # 9. 512x512 grid of > 256 separate change regions of varying sizes, rows staggered by one pixel: after the
    #    11x11 dilation cv2 labels them > 255 times, so `np.uint8(labels_2)` wraps and drops the regions whose label
    #    is a multiple of 256. Which ones depends on cv2's label order (2x2 block scan, not pixel raster order).
    #    Seed 12 is one where pixel-raster numbering would drop regions of a different total area (737 vs 768 px).
    edited = real.copy()
    rng = np.random.default_rng(12)
    pitch = 17
    for gy in range(0, 512 // pitch):
        for gx in range(0, 512 // pitch):
            y = gy * pitch + (gx % 2)
            x = gx * pitch
            hh, ww = rng.integers(5, 7), rng.integers(5, 7)
            if y + hh <= 512 and x + ww <= 512:
                edited[y:y + hh, x:x + ww] = 255 - real[y:y + hh, x:x + ww]
    cases.append(('wrap512', real, edited))

    # 10. Minimum SSIM size (5x5) with noise.
    real = textured(5, 5, 10, amp=60)
    edited = textured(5, 5, 11, amp=60)
    cases.append(('tiny5x5', real, edited))
    return cases


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--out', default=os.path.join(os.path.dirname(__file__), '..', '..', 'tests', 'goldens', 'change'))
    args = ap.parse_args()
    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    check_cv2_label_order(np.random.default_rng(100))
    check_numpy_sum_order(np.random.default_rng(101))

    for f in os.listdir(out):
        if f.endswith('.png'):
            os.remove(os.path.join(out, f))
    rows = []
    written = {}  # real image bytes -> file, so pairs sharing a real image store it once
    for name, real, edited in make_cases():
        key = (real.shape, real.tobytes())
        real_file, edited_file = written.get(key, f'{name}.real.png'), f'{name}.edited.png'
        if key not in written:
            written[key] = real_file
            Image.fromarray(real).save(os.path.join(out, real_file), optimize=True)
        Image.fromarray(edited).save(os.path.join(out, edited_file), optimize=True)
        ratio, ssim, mse, largest, clusters, dist, total = calc_metrics_non_learned(
            os.path.join(out, real_file), os.path.join(out, edited_file))
        rows.append({
            'name': name, 'real': real_file, 'edited': edited_file,
            'width': int(real.shape[1]), 'height': int(real.shape[0]),
            'edited_width': int(edited.shape[1]), 'edited_height': int(edited.shape[0]),
            'mse': float(mse), 'ssim': float(ssim), 'post_edit_ratio': float(ratio),
            'largest_component_size': int(largest), 'cc_clusters': int(clusters),
            'cluster_dist': float(dist), 'total_pixels': int(total),
        })

    mean_clusters = float(np.mean(np.array([r['cc_clusters'] for r in rows], dtype=float)))
    labels = localized_diffused([r['largest_component_size'] for r in rows], [r['cluster_dist'] for r in rows],
                                [r['cc_clusters'] for r in rows], mean_clusters)
    for r, lab in zip(rows, labels):
        r['localization'] = lab

    expected = {
        'generator': 'tools/parity/make_change_goldens.py',
        'versions': {'numpy': np.__version__, 'opencv': cv2.__version__, 'pillow': Image.__version__,
                     'skimage': __import__('skimage').__version__, 'scipy': __import__('scipy').__version__},
        'mean_cc_clusters': mean_clusters,
        'pairs': rows,
    }
    with open(os.path.join(out, 'expected.json'), 'w') as f:
        json.dump(expected, f, indent=1)
        f.write('\n')
    for r in rows:
        print(f"{r['name']:>24}  mse={r['mse']:.6f} ssim={r['ssim']:.6f} ratio={r['post_edit_ratio']:.6f} "
              f"cc={r['cc_clusters']} dist={r['cluster_dist']:.2f} largest={r['largest_component_size']} {r['localization']}")


if __name__ == '__main__':
    main()
