#!/usr/bin/env python3
"""Golden ROC, precision-recall and reliability curves for report.html's figures (src/reports/html/curves.ts).

Run with the system Python (Debian: python3-sklearn 1.2.1, numpy 1.24), from the repository root:

    npx semibench run --detector all --out /tmp/bundled        # the bundled run's real scores (optional)
    /usr/bin/python3 tools/parity/make_curve_goldens.py [/tmp/bundled/predictions.csv]

Writes tests/goldens/curves/curves.json: each case's labels and scores (so the TypeScript test needs no Python)
and what scikit-learn makes of them:
- roc: sklearn.metrics.roc_curve(labels, scores) with its default drop_intermediate=True (what the report draws);
- pr: sklearn.metrics.precision_recall_curve(labels, scores) (sklearn 1.2.1 has no drop_intermediate there);
- reliability: sklearn.calibration.calibration_curve(labels, scores, n_bins=15, strategy='uniform') (the ECE's 15
  bins), plus each non-empty bin's count (np.bincount of the same bin ids).
"""

import csv
import json
import os
import sys

import numpy as np
import sklearn
from sklearn.calibration import calibration_curve
from sklearn.metrics import precision_recall_curve, roc_curve

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "goldens", "curves", "curves.json")
N_BINS = 15


def cases(predictions):
    rng = np.random.default_rng(20261203)
    out = []

    def add(name, labels, scores):
        out.append({"name": name, "labels": np.asarray(labels, dtype=np.int64).tolist(), "scores": np.asarray(scores, dtype=np.float64).tolist()})

    y = (rng.random(260) < 0.7).astype(int)
    add("rounded2_ties_n260", y, np.round(np.clip(0.2 * y + rng.beta(2, 3, 260) * 0.8, 0, 1), 2))
    y = rng.integers(0, 2, 200)
    add("heavy_ties_n200", y, rng.choice([0.0, 0.1, 0.5, 0.9, 1.0], 200))
    # scores on the reliability bins' edges k/15 (right-inclusive bins: k/15 belongs to bin k), 0 and 1
    y = rng.integers(0, 2, 150)
    add("bin_edges_n150", y, rng.integers(0, N_BINS + 1, 150) / N_BINS)
    y = (rng.random(240) < 0.4).astype(int)
    add("continuous_n240", y, np.clip(rng.normal(0.45 + 0.15 * y, 0.2), 0, 1))
    # more distinct scores than the report keeps (MAX_CURVE_POINTS = 300): the test checks the thinned curve
    y = (rng.random(900) < 0.5).astype(int)
    add("continuous_n900", y, rng.beta(2 + y, 2, 900))
    if predictions:
        with open(predictions, newline="") as f:
            rows = [r for r in csv.DictReader(f) if r["status"] == "ok" and r.get("condition", "none") in ("", "none")]
        for det in sorted({r["detector"] for r in rows}):
            mine = [r for r in rows if r["detector"] == det]
            add(f"bundled_run_{det}", [int(r["label"]) for r in mine], [float(r["score"]) for r in mine])
    return out


def main():
    predictions = sys.argv[1] if len(sys.argv) > 1 else None
    out = []
    for case in cases(predictions):
        y = np.asarray(case["labels"])
        s = np.asarray(case["scores"])
        fpr, tpr, roc_t = roc_curve(y, s)  # drop_intermediate=True
        precision, recall, pr_t = precision_recall_curve(y, s)
        prob_true, prob_pred = calibration_curve(y, s, n_bins=N_BINS, strategy="uniform")
        bins = np.linspace(0.0, 1.0, N_BINS + 1)
        ids = np.searchsorted(bins[1:-1], s)
        counts = np.bincount(ids, minlength=N_BINS)
        case["roc"] = {"fpr": fpr.tolist(), "tpr": tpr.tolist(), "thresholds": roc_t.tolist()}
        case["pr"] = {"precision": precision.tolist(), "recall": recall.tolist(), "thresholds": pr_t.tolist()}
        case["reliability"] = {"bin": (np.nonzero(counts)[0] + 1).tolist(), "prob_true": prob_true.tolist(), "prob_pred": prob_pred.tolist(), "n": counts[counts > 0].tolist()}
        out.append(case)
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump({"sklearn": sklearn.__version__, "numpy": np.__version__, "n_bins": N_BINS, "cases": out}, f)
        f.write("\n")
    print(f"wrote {OUT}: {len(out)} cases")


if __name__ == "__main__":
    main()
