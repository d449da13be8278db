"""The pandas + sklearn baseline of bench/report.ts (not a test): the slice report as a Python user would
write it, on the same generated run, doing less than `semibench report` does (no intervals, no paired AUC,
EER, TPR@FPR, ECE or Brier; the quantile bins over all fakes instead of pass_qc fakes):

- read metadata.csv and predictions.csv with pandas, keep status ok rows with a score in [0, 1], join on
  sample_id = image_path;
- per detector, the slices of bench.config.ts that the generated set has: dataset, method, model,
  language_model, sem_magnitude, localization, 7 change metrics in 3 and 5 quantile bins (fakes only), and
  the crossed slices model x dataset, method x model, area_ratio x sem_magnitude;
- per group: n_real, n_fake, recall at 0.5, 2AFC against the source real; for two-class groups also accuracy,
  balanced accuracy, precision, F1 (sklearn, from the confusion matrix), ROC AUC and AP (sklearn).

Usage: python3 bench/report_reference.py RUN_DIR DATA_DIR OUT_CSV; prints one JSON line (wall s, CPU s, peak RSS).
"""
import json
import resource
import sys
import time

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, balanced_accuracy_score, f1_score, precision_score, roc_auc_score

CATEGORICAL = ['dataset', 'method', 'model', 'language_model', 'sem_magnitude', 'localization']
CHANGE = {'area_ratio': 'ratio', 'post_edit_ratio': 'post_edit_ratio', 'ssim': 'ssim', 'mse': 'mse', 'lpips': 'lpips_score', 'dreamsim': 'dreamsim', 'sen_sim': 'sen_sim'}


def quantile_bins(values, bins):
    """Bin labels 1..bins at the quantiles of the fakes' values (NaN stays NaN)."""
    edges = np.nanquantile(values.to_numpy(dtype=float), np.linspace(0, 1, bins + 1)[1:-1])
    out = pd.Series(np.searchsorted(edges, values.to_numpy(dtype=float), side='right') + 1, index=values.index).astype('float')
    out[values.isna()] = np.nan
    return out.map(lambda b: f'bin{int(b)}' if b == b else None)


def group_metrics(g):
    y = g['y'].to_numpy()
    s = g['score'].to_numpy()
    pred = (s >= 0.5).astype(int)
    fakes = y == 1
    row = {'n_real': int((~fakes).sum()), 'n_fake': int(fakes.sum())}
    row['recall_fake'] = pred[fakes].mean() if fakes.any() else None
    real = g['real_score'].to_numpy()[fakes]
    paired = ~np.isnan(real)
    sf = s[fakes][paired]
    row['two_afc'] = ((sf > real[paired]) + 0.5 * (sf == real[paired])).mean() if paired.any() else None
    if fakes.any() and (~fakes).any():
        row['accuracy'] = (pred == y).mean()
        row['balanced_accuracy'] = balanced_accuracy_score(y, pred)
        row['precision'] = precision_score(y, pred, zero_division=0)
        row['f1'] = f1_score(y, pred, zero_division=0)
        row['auc'] = roc_auc_score(y, s)
        row['ap'] = average_precision_score(y, s)
    return row


def main():
    run_dir, data_dir, out_csv = sys.argv[1:4]
    t0 = time.perf_counter()
    meta = pd.read_csv(f'{data_dir}/metadata.csv')
    pred = pd.read_csv(f'{run_dir}/predictions.csv', usecols=['sample_id', 'detector', 'score', 'status'])
    pred = pred[(pred['status'] == 'ok') & pred['score'].between(0, 1)]
    df = pred.merge(meta, left_on='sample_id', right_on='image_path', how='inner')
    df['y'] = (df['label'] == 'fake').astype(int)
    reals = df[df['y'] == 0].drop_duplicates(['detector', 'image_id'])[['detector', 'image_id', 'score']].rename(columns={'score': 'real_score'})
    df = df.merge(reals, on=['detector', 'image_id'], how='left')
    df = df[['detector', 'score', 'y', 'real_score', *CATEGORICAL, *CHANGE.values()]]
    fake = df['y'] == 1
    slices = {c: df[c] for c in CATEGORICAL}
    for name, column in CHANGE.items():
        for bins, suffix in ((3, ''), (5, '_5bin')):
            b = pd.Series(None, index=df.index, dtype=object)
            b[fake] = quantile_bins(df.loc[fake, column], bins)
            slices[name + suffix] = b
    slices['model_x_dataset'] = df['model'] + ' x ' + df['dataset']
    slices['method_x_model'] = df['method'] + ' x ' + df['model']
    slices['area_x_sem_magnitude'] = slices['area_ratio'] + ' x ' + df['sem_magnitude']
    rows = []
    for name, values in slices.items():
        for (detector, value), g in df[['y', 'score', 'real_score']].groupby([df['detector'], values]):
            rows.append({'detector': detector, 'slice': name, 'value': value, **group_metrics(g)})
    pd.DataFrame(rows).to_csv(out_csv, index=False)
    wall = time.perf_counter() - t0
    usage = resource.getrusage(resource.RUSAGE_SELF)  # every thread of the process
    print(json.dumps({'wallS': wall, 'cpuS': usage.ru_utime + usage.ru_stime, 'peakRssMb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 'groups': len(rows)}))


main()
