#!/usr/bin/env python3
"""Golden values for src/metrics, computed with scikit-learn and numpy.

Run with the system Python (Debian: python3-sklearn 1.2.1, numpy 1.24, python3-statsmodels 0.13.5):

    /usr/bin/python3 tools/parity/make_metric_goldens.py

Writes tests/goldens/metrics/{classification,ranking,calibration,paired,prng,bootstrap,report-bootstrap,wilson}.json. The TypeScript
tests read only these files (CI has no Python) and require agreement to 1e-9.

Conventions, mirrored from src/metrics (see the doc comments there):
- predicted fake iff score >= threshold;
- a metric is "undefined" when sklearn's zero_division=0 and zero_division=1 disagree (the value is 0/0); the
  goldens store both, and the tests expect null in 'undefined' mode and the sklearn value in 0 / 1 mode;
- EER: linear interpolation where FNR - FPR first reaches <= 0 on roc_curve(drop_intermediate=False);
- TPR@FPR x: tpr[fpr <= x].max() on the same curve;
- ECE: edges i/B, bin = searchsorted(edges[1:-1], score, side='left') (right-inclusive bins, 0 in bin 0);
- bootstrap: xoshiro128** seeded by splitmix32, clusters drawn with an unbiased bounded draw, numpy quantile.
"""

import json
import os
import warnings

import numpy as np
import sklearn
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    balanced_accuracy_score,
    brier_score_loss,
    confusion_matrix,
    precision_recall_fscore_support,
    roc_auc_score,
    roc_curve,
)

warnings.filterwarnings("ignore")

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "goldens", "metrics")
THRESHOLDS = [0.5, 0.3, 0.75]
TPR_AT = [0.01, 0.05, 0.1, 0.25]
CURVE_MAX_ROWS = 120  # store full ROC curves only for small cases, to keep the goldens small


def f(x):
    """JSON-safe float (None for NaN)."""
    x = float(x)
    return None if np.isnan(x) else x


# ---------------------------------------------------------------- cases


def make_cases():
    rng = np.random.default_rng(20241107)
    cases = []

    def add(name, labels, scores, weights=None):
        labels = np.asarray(labels, dtype=np.int64)
        scores = np.asarray(scores, dtype=np.float64)
        assert labels.shape == scores.shape
        case = {"name": name, "labels": labels.tolist(), "scores": scores.tolist()}
        if weights is not None:
            case["weights"] = np.asarray(weights, dtype=np.int64).tolist()
        cases.append(case)

    n = 100
    add("random_n100", rng.integers(0, 2, n), rng.random(n))
    y = (rng.random(400) < 0.6).astype(int)
    add("rounded2_n400", y, np.round(np.clip(0.25 * y + rng.beta(2, 2, 400) * 0.75, 0, 1), 2))
    add("heavy_ties_n300", rng.integers(0, 2, 300), rng.choice([0.0, 0.25, 0.5, 0.75, 1.0], 300))
    add("all_equal_n50", rng.integers(0, 2, 50), np.full(50, 0.5))
    add("all_equal_low_n20", rng.integers(0, 2, 20), np.full(20, 0.2))
    add("n1_real", [0], [0.3])
    add("n1_fake", [1], [0.8])
    add("n1_fake_missed", [1], [0.1])
    add("n2_mixed", [0, 1], [0.3, 0.7])
    add("n2_tied", [0, 1], [0.5, 0.5])
    add("n2_inverted", [0, 1], [0.9, 0.2])
    add("n2_two_reals", [0, 0], [0.1, 0.6])
    add("n3_a", [0, 1, 1], [0.4, 0.4, 0.9])
    add("n3_b", [1, 0, 0], [0.2, 0.6, 0.5])
    add("fakes_only_n40", np.ones(40, int), np.round(rng.random(40), 2))
    add("fakes_only_all_detected_n30", np.ones(30, int), 0.5 + 0.5 * rng.random(30))
    add("reals_only_n40", np.zeros(40, int), np.round(rng.random(40), 2))
    add("reals_only_all_correct_n30", np.zeros(30, int), 0.49 * rng.random(30))
    yp = rng.integers(0, 2, 100)
    add("perfect_n100", yp, np.where(yp == 1, 0.6 + 0.4 * rng.random(100), 0.4 * rng.random(100)))
    add("inverted_n100", yp, np.where(yp == 1, 0.4 * rng.random(100), 0.6 + 0.4 * rng.random(100)))
    add("at_threshold_n60", rng.integers(0, 2, 60), rng.choice([0.3, 0.5, 0.5, 0.75, np.nextafter(0.5, 0), np.nextafter(0.5, 1)], 60))
    add("all_pred_real_n80", rng.integers(0, 2, 80), 0.29 * rng.random(80))
    add("all_pred_fake_n80", rng.integers(0, 2, 80), 0.76 + 0.24 * rng.random(80))
    add("extremes_0_1_n40", rng.integers(0, 2, 40), rng.choice([0.0, 1.0], 40))
    add("ece_edges_n64", rng.integers(0, 2, 64), np.concatenate([np.arange(16) / 15] * 4))
    y = (rng.random(1000) < 0.05).astype(int)
    add("imbalanced_n1000", y, np.round(np.clip(0.2 * y + 0.8 * rng.random(1000), 0, 1), 3))
    y = rng.integers(0, 2, 3000)
    add("large_rounded3_n3000", y, np.round(np.clip(0.15 * y + 0.85 * rng.random(3000), 0, 1), 3))
    # integer weights, as a bootstrap resample gives them (zeros included): sklearn runs on the repeated rows
    y = rng.integers(0, 2, 120)
    add("weighted_n120", y, np.round(np.clip(0.2 * y + 0.8 * rng.random(120), 0, 1), 2), rng.integers(0, 4, 120))
    y = rng.integers(0, 2, 30)
    add("weighted_zero_reals_n30", y, np.round(rng.random(30), 1), np.where(y == 0, 0, rng.integers(1, 3, 30)))
    return cases


def expand(case):
    y = np.asarray(case["labels"], dtype=np.int64)
    s = np.asarray(case["scores"], dtype=np.float64)
    if "weights" in case:
        w = np.asarray(case["weights"], dtype=np.int64)
        y, s = np.repeat(y, w), np.repeat(s, w)
    return y, s


# ---------------------------------------------------------------- classification


def classification(y, s, t):
    pred = (s >= t).astype(np.int64)
    out = {"threshold": t}
    if len(y) == 0:
        return out | {"empty": True}
    tn, fp, fn, tp = confusion_matrix(y, pred, labels=[0, 1]).ravel()
    out["confusion"] = {"tp": int(tp), "fp": int(fp), "tn": int(tn), "fn": int(fn)}
    out["accuracy"] = f(accuracy_score(y, pred))
    out["balanced_accuracy"] = f(balanced_accuracy_score(y, pred))
    for zd in (0, 1):
        p, r, f1, support = precision_recall_fscore_support(y, pred, labels=[0, 1], average=None, zero_division=zd)
        mp, mr, mf, _ = precision_recall_fscore_support(y, pred, average="macro", zero_division=zd)
        out[f"zd{zd}"] = {
            "real": {"precision": f(p[0]), "recall": f(r[0]), "f1": f(f1[0]), "support": int(support[0])},
            "fake": {"precision": f(p[1]), "recall": f(r[1]), "f1": f(f1[1]), "support": int(support[1])},
            "macro": {"precision": f(mp), "recall": f(mr), "f1": f(mf)},
        }
    return out


# ---------------------------------------------------------------- ranking


def eer_from_roc(fpr, tpr):
    d = (1 - tpr) - fpr
    k = int(np.argmax(d <= 0))
    t = d[k - 1] / (d[k - 1] - d[k])
    return fpr[k - 1] + t * (fpr[k] - fpr[k - 1])


def ranking(y, s, store_curve):
    if len(y) == 0 or len(np.unique(y)) < 2:
        return {"defined": False}
    fpr, tpr, thr = roc_curve(y, s, drop_intermediate=False)
    out = {
        "defined": True,
        "auc": f(roc_auc_score(y, s)),
        "ap": f(average_precision_score(y, s)),
        "eer": f(eer_from_roc(fpr, tpr)),
        "tpr_at_fpr": {str(x): f(tpr[fpr <= x].max()) for x in TPR_AT},
    }
    if store_curve:
        fd, td, thd = roc_curve(y, s, drop_intermediate=True)
        # sklearn 1.2 puts max score + 1 first; src/metrics uses +Infinity (sklearn >= 1.3): store from index 1
        out["roc"] = {"fpr": fpr.tolist(), "tpr": tpr.tolist(), "thresholds_after_first": thr[1:].tolist()}
        out["roc_dropped"] = {"fpr": fd.tolist(), "tpr": td.tolist(), "thresholds_after_first": thd[1:].tolist()}
    return out


# ---------------------------------------------------------------- calibration


def ece(y, s, bins):
    edges = np.arange(bins + 1) / bins
    b = np.searchsorted(edges[1:-1], s, side="left")
    total = 0.0
    for k in range(bins):
        m = b == k
        if m.any():
            total += (m.sum() / len(s)) * abs(y[m].mean() - s[m].mean())
    return total


def calibration(y, s):
    if len(y) == 0:
        return {"defined": False}
    return {"defined": True, "ece15": f(ece(y, s, 15)), "ece10": f(ece(y, s, 10)), "brier": f(brier_score_loss(y, s))}


# ---------------------------------------------------------------- paired


def paired_cases():
    rng = np.random.default_rng(7)
    out = []
    for name, n_real, n_fake, n_missing, rounding in [("random", 30, 80, 5, None), ("ties", 12, 40, 0, 1), ("all_missing", 5, 4, 4, None)]:
        real_ids = [f"r{i}" for i in range(n_real)]
        real_scores = rng.random(n_real)
        if rounding is not None:
            real_scores = np.round(real_scores, rounding)
        pair_idx = rng.integers(0, n_real, n_fake)
        fake_scores = np.clip(real_scores[pair_idx] + rng.normal(0.1, 0.2, n_fake), 0, 1)
        if rounding is not None:
            fake_scores = np.round(fake_scores, rounding)
        fake_ids = [real_ids[i] for i in pair_idx]
        for j in range(n_missing):
            fake_ids[j] = f"missing{j}"
        known = np.array([fid.startswith("r") for fid in fake_ids])
        case = {
            "name": name,
            "realScores": dict(zip(real_ids, real_scores.tolist())),
            "fakeScores": fake_scores.tolist(),
            "fakePairIds": fake_ids,
            "nUnpaired": int((~known).sum()),
        }
        if known.any():
            fs = fake_scores[known]
            rs = real_scores[pair_idx[known]]
            case["twoAfc"] = f(np.mean((fs > rs) + 0.5 * (fs == rs)))
            used = sorted(set(pair_idx[known].tolist()))
            ys = np.r_[np.ones(len(fs)), np.zeros(len(used))]
            ss = np.r_[fs, real_scores[used]]
            case["pairedAuc"] = f(roc_auc_score(ys, ss))
            case["nReals"] = len(used)
        else:
            case["twoAfc"] = None
            case["pairedAuc"] = None
            case["nReals"] = 0
        out.append(case)
    return out


# ---------------------------------------------------------------- PRNG + bootstrap (bit-for-bit replica)

M32 = 0xFFFFFFFF


def rotl(x, k):
    return ((x << k) | (x >> (32 - k))) & M32


class Xoshiro128:
    def __init__(self, seed=None, state=None):
        if state is None:
            x = seed & M32

            def nxt():
                nonlocal x
                x = (x + 0x9E3779B9) & M32
                z = x
                z = ((z ^ (z >> 16)) * 0x85EBCA6B) & M32
                z = ((z ^ (z >> 13)) * 0xC2B2AE35) & M32
                return z ^ (z >> 16)

            state = [nxt(), nxt(), nxt(), nxt()]
        self.s = [w & M32 for w in state]
        if not any(self.s):
            self.s[0] = 1

    def next_uint32(self):
        s = self.s
        result = (rotl((s[1] * 5) & M32, 7) * 9) & M32
        t = (s[1] << 9) & M32
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 11)
        return result

    def next_below(self, n):
        # top 31 bits, rejection below the largest multiple of n under 2^31, then x mod n
        limit = 2**31 - (2**31 % n)
        while True:
            x = self.next_uint32() >> 1
            if x < limit:
                return x % n


def prng_vectors():
    out = {"state1234": [], "seeded": {}, "below": []}
    g = Xoshiro128(state=[1, 2, 3, 4])
    out["state1234"] = [g.next_uint32() for _ in range(12)]
    for seed in (0, 1, 42, 2**32 - 1):
        g = Xoshiro128(seed)
        out["seeded"][str(seed)] = [g.next_uint32() for _ in range(8)]
    for seed, n in ((3, 7), (3, 20000), (5, 2**30 + 1), (7, 2**31), (9, 1)):
        g = Xoshiro128(seed)
        out["below"].append({"seed": seed, "n": n, "draws": [g.next_below(n) for _ in range(40)]})
    return out


def bootstrap_cases():
    rng = np.random.default_rng(99)
    cases = []
    # c5_skips: only cluster 0 holds a real, so about (4/5)^5 = 1/3 of the resamples have no real and no AUC
    for name, n_clusters, resamples, seed, level in [("c40", 40, 300, 7, 0.95), ("c5_skips", 5, 200, 11, 0.9)]:
        labels, scores, ids = [], [], []
        for c in range(n_clusters):
            size = int(rng.integers(1, 6)) if name != "c5_skips" else 4
            # a real plus edits, or (one in three) edits whose real is not in the slice
            has_real = c == 0 if name == "c5_skips" else c % 3 != 2
            for k in range(size):
                lab = 0 if has_real and (k == 0 or name == "c5_skips") else 1
                labels.append(lab)
                scores.append(round(float(np.clip(0.35 * lab + 0.65 * rng.random(), 0, 1)), 2))
                ids.append(f"p{c}")
        y = np.array(labels)
        s = np.array(scores)
        number = {}
        cluster_of = np.array([number.setdefault(i, len(number)) for i in ids])
        g = Xoshiro128(seed)
        aucs, accs = [], []
        for _ in range(resamples):
            counts = np.zeros(n_clusters, dtype=np.int64)
            for _ in range(n_clusters):
                counts[g.next_below(n_clusters)] += 1
            w = counts[cluster_of]
            yy, ss = np.repeat(y, w), np.repeat(s, w)
            if len(np.unique(yy)) == 2:
                aucs.append(roc_auc_score(yy, ss))
            accs.append(accuracy_score(yy, (ss >= 0.5).astype(int)))
        q = [(1 - level) / 2, (1 + level) / 2]
        cases.append(
            {
                "name": name,
                "labels": labels,
                "scores": scores,
                "pairIds": ids,
                "resamples": resamples,
                "seed": seed,
                "level": level,
                "auc": {"lo": f(np.quantile(aucs, q[0])), "hi": f(np.quantile(aucs, q[1])), "valid": len(aucs)},
                "accuracy": {"lo": f(np.quantile(accs, q[0])), "hi": f(np.quantile(accs, q[1])), "valid": len(accs)},
            }
        )
    return cases


# ---------------------------------------------------------------- a report's slice rows, bootstrap included


def threshold_metrics(y, s, t=0.5):
    """The registry's thresholded metrics; None where src/metrics says undefined (0/0)."""
    pred = (s >= t).astype(np.int64)
    n, nf = len(y), int(y.sum())
    tp = int(((pred == 1) & (y == 1)).sum())
    fp = int(((pred == 1) & (y == 0)).sum())
    out = {
        "accuracy": f(accuracy_score(y, pred)) if n else None,
        "balanced_accuracy": f(balanced_accuracy_score(y, pred)) if n else None,
        "recall_fake": f(tp / nf) if nf else None,
        "specificity_real": f(((pred == 0) & (y == 0)).sum() / (n - nf)) if n - nf else None,
        "precision": f(precision_recall_fscore_support(y, pred, labels=[1], average=None, zero_division=0)[0][0]) if tp + fp else None,
        "f1": f(precision_recall_fscore_support(y, pred, labels=[1], average=None, zero_division=0)[2][0]) if nf or tp + fp else None,
        "f1_macro": f(precision_recall_fscore_support(y, pred, average="macro", zero_division=0)[2]) if n else None,
    }
    return out


def group_metrics(y, s, pf_scores, pf_real, two_class):
    """Every registry metric of a group: y, s its rows; pf_* its paired fakes' scores and their reals' scores."""
    out = threshold_metrics(y, s)
    r = ranking(y, s, False)
    out |= {
        "auc": r.get("auc"),
        "ap": r.get("ap"),
        "eer": r.get("eer"),
        "tpr_at_fpr_1pct": r["tpr_at_fpr"]["0.01"] if r["defined"] else None,
        "tpr_at_fpr_5pct": r["tpr_at_fpr"]["0.05"] if r["defined"] else None,
        "ece": f(ece(y, s, 15)) if len(y) else None,
        "brier": f(brier_score_loss(y, s)) if len(y) else None,
    }
    if len(pf_scores):
        credit = np.where(pf_scores > pf_real, 1.0, np.where(pf_scores == pf_real, 0.5, 0.0))
        out["two_afc"] = f(credit.mean())
    else:
        out["two_afc"] = None
    if not two_class:
        keep = ("recall_fake", "two_afc", "paired_auc")
        out = {k: (v if k in keep else None) for k, v in out.items()}
    return out


def report_bootstrap():
    """
    A small eval set and, per slice value, every metric with its 95% percentile cluster-bootstrap interval,
    re-implemented here from the definitions: a group's rows in rank order (score descending, ties by metadata
    row), clusters numbered by first appearance, each resample draws the clusters with xoshiro128**, the metrics
    run (sklearn) on the repeated rows; paired metrics on the drawn fakes against their own reals (each real once
    per drawn copy of its source image). tests/slices/group-stats.test.ts feeds the same files to the report.
    """
    rng = np.random.default_rng(4242)
    meta = [("image_id", "image_path", "dataset", "label", "ds", "grp")]
    preds = [("sample_id", "detector", "score", "label", "status", "error", "ms", "cache_key")]
    rows = []  # (image, label, ds, grp, score or None)
    for i in range(36):
        ds = f"d{i % 3}"
        real = round(float(rng.integers(0, 21)) / 20, 2)
        scored = rng.random() > 0.15
        rows.append((f"img{i}", 0, ds, "", real if scored else None, f"real/{i}.jpg"))
        for e in range(int(rng.integers(0, 4))):
            s = min(1.0, max(0.0, round((real + (rng.random() - 0.3) * 0.6) * 20) / 20))
            rows.append((f"img{i}", 1, ds, f"g{int(rng.integers(0, 2))}", s, f"fake/{i}_{e}.png"))
    # one tiny group: 4 fakes all above the threshold (recall 4/4)
    for e in range(4):
        rows.append(("img99", 1, "d0", "tiny", 0.9, f"fake/99_{e}.png"))
    rows.append(("img99", 0, "d0", "", 0.2, "real/99.jpg"))
    for img, lab, ds, grp, score, path in rows:
        meta.append((img, path, "synthetic", "fake" if lab else "real", ds, grp))
        if score is not None:
            preds.append((path, "det", repr(score), str(lab), "ok", "", "1", ""))
    real_score = {}
    for img, lab, ds, grp, score, path in rows:
        if lab == 0 and score is not None and img not in real_score:
            real_score[img] = score
    resamples, seed, level = 200, 5, 0.95
    q = [(1 - level) / 2, (1 + level) / 2]
    expected = []
    for column, two_class in (("ds", True), ("grp", False)):
        values = sorted({r[2] if column == "ds" else r[3] for r in rows if (column == "ds" or r[1] == 1)})
        for value in values:
            idx = [k for k, r in enumerate(rows) if r[4] is not None and (r[2] if column == "ds" else r[3]) == value and (two_class or r[1] == 1)]
            idx.sort(key=lambda k: (-rows[k][4], k))  # rank order: score descending, ties by metadata row
            y = np.array([rows[k][1] for k in idx])
            s = np.array([rows[k][4] for k in idx], dtype=np.float64)
            ids = [rows[k][0] for k in idx]
            number = {}
            cluster = np.array([number.setdefault(i, len(number)) for i in ids])
            paired = [j for j in range(len(idx)) if y[j] == 1 and ids[j] in real_score]
            reals = sorted({ids[j] for j in paired}, key=lambda i: number[i])

            def metrics(w):
                yy, ss = np.repeat(y, w[cluster]), np.repeat(s, w[cluster])
                pw = np.array([w[cluster[j]] for j in paired], dtype=np.int64)
                pf = np.repeat(s[paired], pw) if paired else np.array([])
                pr = np.repeat(np.array([real_score[ids[j]] for j in paired]), pw) if paired else np.array([])
                out = group_metrics(yy, ss, pf, pr, two_class)
                rw = np.array([w[number[i]] for i in reals], dtype=np.int64)
                rs = np.repeat(np.array([real_score[i] for i in reals]), rw) if reals else np.array([])
                both = len(pf) and len(rs)
                out["paired_auc"] = f(roc_auc_score(np.r_[np.ones(len(pf)), np.zeros(len(rs))], np.r_[pf, rs])) if both else None
                return out

            point = metrics(np.ones(len(number), dtype=np.int64))
            draws = {k: [] for k in point}
            g = Xoshiro128(seed)
            for _ in range(resamples):
                counts = np.zeros(len(number), dtype=np.int64)
                for _ in range(len(number)):
                    counts[g.next_below(len(number))] += 1
                for k, v in metrics(counts).items():
                    if v is not None:
                        draws[k].append(v)
            cells = {}
            for k, v in point.items():
                ok = v is not None and draws[k]
                cells[k] = {"value": v, "lo": f(np.quantile(draws[k], q[0])) if ok else None, "hi": f(np.quantile(draws[k], q[1])) if ok else None}
            expected.append({"slice": column, "value": value, "n": len(idx), "metrics": cells})
    csv = lambda table: "".join(",".join(r) + "\n" for r in table)
    return {"metadata_csv": csv(meta), "predictions_csv": csv(preds), "resamples": resamples, "seed": seed, "threshold": 0.5, "rows": expected}


def wilson_cases():
    """statsmodels proportion_confint(method='wilson'): the interval a degenerate proportion gets."""
    from statsmodels.stats.proportion import proportion_confint
    import statsmodels

    cases = [{"k": k, "n": n, "lo": f(lo), "hi": f(hi)} for k, n in ((8, 8), (0, 5), (3, 7), (1, 1), (29, 30), (0, 200), (500, 1000))
             for lo, hi in [proportion_confint(k, n, alpha=0.05, method="wilson")]]
    return {"statsmodels": statsmodels.__version__, "cases": cases}


# ---------------------------------------------------------------- main


def main():
    os.makedirs(OUT, exist_ok=True)
    meta = {"generator": "tools/parity/make_metric_goldens.py", "sklearn": sklearn.__version__, "numpy": np.__version__}
    cases = make_cases()
    cls, rank, cal = [], [], []
    for case in cases:
        y, s = expand(case)
        base = {k: case[k] for k in ("name", "labels", "scores", "weights") if k in case}
        cls.append(base | {"at": [classification(y, s, t) for t in THRESHOLDS]})
        rank.append({"name": case["name"]} | ranking(y, s, len(case["labels"]) <= CURVE_MAX_ROWS))
        cal.append({"name": case["name"]} | calibration(y, s))
    files = {
        # the inputs live in classification.json only; the other files refer to cases by name
        "classification.json": {"meta": meta, "thresholds": THRESHOLDS, "cases": cls},
        "ranking.json": {"meta": meta, "tprAt": TPR_AT, "cases": rank},
        "calibration.json": {"meta": meta, "cases": cal},
        "paired.json": {"meta": meta, "cases": paired_cases()},
        "prng.json": {"meta": meta} | prng_vectors(),
        "bootstrap.json": {"meta": meta, "cases": bootstrap_cases()},
        "report-bootstrap.json": {"meta": meta} | report_bootstrap(),
        "wilson.json": {"meta": meta} | wilson_cases(),
    }
    for name, data in files.items():
        with open(os.path.join(OUT, name), "w") as fh:
            json.dump(data, fh, separators=(",", ":"))
            fh.write("\n")
        print(f"{name}: {os.path.getsize(os.path.join(OUT, name))} bytes")


if __name__ == "__main__":
    main()
