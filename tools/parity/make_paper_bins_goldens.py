#!/usr/bin/python3
"""Goldens for the paper's bins (src/slices: `<metric>_5bin`, `<metric>_paper`), by the authors' rules, re-stated
with Debian's numpy 1.24 / pandas 1.5:

- edges: anisha-dev:SemiTruths/change_metrics/binning.py `bin_values_5` — np.percentile 20/40/60/80 over rows with
  `pass_qc == 1`, inpainting + p2p together; area_ratio over the inpainting rows alone;
- labels: final_bins.py `sem_mag_5` — v < e1 → '1' … else '5' (a NaN fails every < and lands in '5');
- the notebook's small / medium / large: Stress_Testing_5Bins.ipynb `thin_bins` keeps bin 1, 3, 5.

Run: /usr/bin/python3 tools/parity/make_paper_bins_goldens.py [OUT_DIR]   (default tests/goldens/paper-bins)
Writes OUT_DIR/metadata.csv (an Evalset-style table) and OUT_DIR/expected.json (edges, and per metric the label of
every row in metadata order: '' for a row outside the slice).
"""
import json
import os
import sys

import numpy as np
import pandas as pd

OUT = sys.argv[1] if len(sys.argv) > 1 else "tests/goldens/paper-bins"
os.makedirs(OUT, exist_ok=True)
rng = np.random.default_rng(7)
rows = []
for i in range(40):
    rows.append({"image_id": f"img{i}", "image_path": f"original/{i}.png", "dataset": "X", "label": "real", "method": "", "ratio": "", "ratio_rgb": "", "pass_qc": ""})
    for method in ("inpainting", "p2p"):
        area = rng.uniform(0.01, 0.6) if method == "inpainting" else ""
        post = rng.lognormal(-2, 1)
        rows.append({
            "image_id": f"img{i}", "image_path": f"{method}/{i}.png", "dataset": "X", "label": "fake", "method": method,
            "ratio": area, "ratio_rgb": "" if rng.random() < 0.08 else post, "pass_qc": int(rng.random() < 0.75),
        })
df = pd.DataFrame(rows)
df.to_csv(os.path.join(OUT, "metadata.csv"), index=False)

fake = df[df["label"] == "fake"].copy()
for c in ("ratio", "ratio_rgb"):
    fake[c] = pd.to_numeric(fake[c], errors="coerce")
qc = fake[fake["pass_qc"] == 1]
edges = {
    "post_edit_ratio": np.percentile(qc["ratio_rgb"].dropna(), [20, 40, 60, 80]).tolist(),
    "area_ratio": np.percentile(qc[qc["method"] == "inpainting"]["ratio"].dropna(), [20, 40, 60, 80]).tolist(),
}


def sem_mag_5(v, e):
    return "1" if v < e[0] else "2" if v < e[1] else "3" if v < e[2] else "4" if v < e[3] else "5"


THIN = {"1": "small", "3": "medium", "5": "large"}
expected = {"edges": edges, "rows": {}}
for name, column, only in (("post_edit_ratio", "ratio_rgb", None), ("area_ratio", "ratio", "inpainting")):
    five, paper = [], []
    for _, r in df.iterrows():
        if r["label"] != "fake" or (only and r["method"] != only):
            five.append("")
            paper.append("")
            continue
        b = sem_mag_5(pd.to_numeric(r[column], errors="coerce"), edges[name])
        five.append(f"bin{b}")
        paper.append(THIN.get(b, ""))
    expected["rows"][f"{name}_5bin"] = five
    expected["rows"][f"{name}_paper"] = paper
with open(os.path.join(OUT, "expected.json"), "w") as f:
    json.dump(expected, f, indent=1)
print(json.dumps(edges))
