"""Self-test of the exporters on random-weight models (no real weights can be downloaded here).

  OMP_NUM_THREADS=2 /usr/bin/python3 tools/export/self_test.py [--only cnnspot,npr] [--json results.json] [--keep]

For each architecture: build a seeded random-weight model (norm layers randomised, BatchNorm stats measured on a
calibration batch so activations keep a trained net's scale), save a fake checkpoint in the official format
(CNNSpot {'model': ...}; NPR bare state dict; UFD a TorchScript CLIP archive with fp16 weights plus fc_weights.pth;
DINOv2 variant an ImageNet-style resnet50 state dict), run the exporter's CLI entry point on it, and check:
  - the exporter's own check: onnxruntime-node vs the model it loaded from the checkpoint;
  - onnxruntime-node vs the ORIGINAL in-memory model (so a loading mistake cannot hide);
  - both <= 1e-4, and the logits spread over >= 100 x the tolerance across the inputs (a non-vacuous probe);
  - NPR only: an odd-sized input is rejected (as upstream), and a {'model': {'module.*'}} checkpoint loads the same.
CNNSpot and the DINOv2 variant's ResNet-50 are full size; NPR is its real (small) size; the CLIP tower and the
DINOv2 stand-in encoder are tiny ViTs (the real ViT-L/14 has the same code path, only wider and deeper). The
DINOv2 variant runs twice: with the stand-in encoder in the graph (`dinov2`) and with the CLS vector as input
(`dinov2-cls`).
Prints one line per model and exits 1 if any fails. Temporary files go to a fresh folder under --tmp (default:
the system temp dir) and are deleted unless --keep.
"""
from __future__ import annotations

import argparse
import copy
import json
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

import numpy as np
import torch
import torchvision
from torch import nn

import cnnspot
import dinov2_variant
import npr
import ufd
from common import DEFAULT_TOL, configure_threads, load_state_dict, randomize_norms_, run_onnxruntime, sample_inputs

CALIBRATION = sample_inputs([(4, 3, 96, 96)], seed=123)[0]


def compare_with_original(original: nn.Module, report: dict) -> float:
    """Max |onnxruntime - original model| over the inputs the exporter verified with."""
    original.eval()
    worst = 0.0
    with torch.no_grad():
        for x, _, ort_out in report['samples']:
            worst = max(worst, float(np.abs(original(torch.from_numpy(x)).numpy() - ort_out).max()))
    return worst


def logit_spread(report: dict) -> float:
    values = np.concatenate([ort_out.ravel() for _, _, ort_out in report['samples']])
    return float(values.max() - values.min())


def export_args(out: Path, shapes: str) -> list[str]:
    return ['--out', str(out), '--verify-shapes', shapes]


# ------------------------------------------------------------------------------------------------ cases

def case_cnnspot(tmp: Path) -> dict:
    torch.manual_seed(10)
    model = randomize_norms_(cnnspot.build(), seed=11, calibration=CALIBRATION)
    ckpt = tmp / 'blur_jpg_prob0.1.pth'
    # CNNDetection's save_networks layout.
    torch.save({'model': model.state_dict(), 'optimizer': {}, 'total_steps': 0}, ckpt)
    report = cnnspot.main(['--weights', str(ckpt)] + export_args(tmp / 'models/cnnspot/blur_jpg_prob0.1.onnx',
                                                                  '2x3x224x224,1x3x256x320'))
    return {'report': report, 'original': model, 'what': 'torchvision resnet50(num_classes=1), full size'}


def case_npr(tmp: Path) -> dict:
    torch.manual_seed(20)
    model = randomize_norms_(npr.NPRResNet(), seed=21, calibration=CALIBRATION)
    ckpt = tmp / 'NPR.pth'
    torch.save(model.state_dict(), ckpt)
    onnx_path = tmp / 'models/npr/npr.onnx'
    report = npr.main(['--weights', str(ckpt)] + export_args(onnx_path, '2x3x224x224,1x3x256x320,1x3x512x512'))
    notes, problems = [], []
    # Some NPR.pth copies are {'model': {'module.…': …}, 'optimizer': …} (DataParallel training): same tensors.
    wrapped = tmp / 'NPR-wrapped.pth'
    torch.save({'model': {f'module.{k}': v for k, v in model.state_dict().items()}, 'optimizer': {}}, wrapped)
    plain, unwrapped = load_state_dict(ckpt), load_state_dict(wrapped)
    if plain.keys() == unwrapped.keys() and all(torch.equal(plain[k], unwrapped[k]) for k in plain):
        notes.append("{'model': {'module.*'}} layout loads the same")
    else:
        problems.append("{'model': {'module.*'}} layout loads different tensors")
    # Upstream fails on odd sizes; the graph must not silently accept them either.
    try:
        run_onnxruntime(onnx_path, [np.zeros((1, 3, 225, 224), np.float32)])
        problems.append('odd 225x224 input was accepted (upstream fails on it)')
    except RuntimeError:
        notes.append('odd 225x224 rejected as upstream')
    return {'report': report, 'original': model, 'what': 'NPR resnet50 stem + layer1-2, full size',
            'notes': notes, 'problems': problems}


class _FakeCLIP(nn.Module):
    """Enough of OpenAI's CLIP for a TorchScript archive whose state dict has `visual.*` keys (+ a text key)."""

    def __init__(self, visual: nn.Module):
        super().__init__()
        self.visual = visual
        self.text_projection = nn.Parameter(torch.randn(32, visual.proj.shape[1]))

    def forward(self, x):
        return self.visual(x)


def case_ufd(tmp: Path) -> dict:
    torch.manual_seed(30)
    visual = randomize_norms_(ufd.VisionTransformer(224, 14, width=128, layers=2, heads=2, output_dim=768), seed=31)
    fc = nn.Linear(768, 1)
    with torch.no_grad():
        # The official archive stores fp16 and clip.load casts to fp32: round the original the same way.
        for p in visual.parameters():
            p.copy_(p.half().float())
        fc.weight.mul_(8)  # a wider logit range than the default init gives through this tiny tower
    clip_path, fc_path = tmp / 'ViT-tiny.pt', tmp / 'fc_weights.pth'
    archive = torch.jit.trace(_FakeCLIP(copy.deepcopy(visual)).eval(), torch.zeros(1, 3, 224, 224))
    archive.half()  # the traced module shares parameters with what it traced: hence the deepcopy
    torch.jit.save(archive, str(clip_path))
    torch.save(fc.state_dict(), fc_path)
    report = ufd.main(['--clip', str(clip_path), '--fc', str(fc_path)]
                      + export_args(tmp / 'models/ufd/clip-ufd.onnx', '3x3x224x224,1x3x224x224'))
    return {'report': report, 'original': ufd.UFD(visual, fc),
            'what': 'tiny CLIP ViT (width 128, 2 layers, 2 heads, patch 14, fp16 JIT archive) + Linear(768, 1)'}


def _dinov2_case(tmp: Path, cls_input: bool) -> dict:
    torch.manual_seed(40)
    encoder = None if cls_input else ufd.VisionTransformer(224, 14, width=128, layers=1, heads=2, output_dim=768)
    resnet = torchvision.models.resnet50(num_classes=1000)
    imagenet_fc = resnet.fc
    resnet.fc = dinov2_variant.untrained_head(0)
    # An ImageNet ResNet's BatchNorm stats come from photos, not from upsampled CLS maps: calibrate on images.
    randomize_norms_(resnet, seed=41, calibration=CALIBRATION)
    if encoder is not None:
        randomize_norms_(encoder, seed=42)
    model = dinov2_variant.DinoV2Variant(encoder, resnet)
    resnet_path = tmp / 'resnet50-imagenet.pth'
    state = {k: v for k, v in resnet.state_dict().items() if not k.startswith('fc.')}
    torch.save({**state, 'fc.weight': imagenet_fc.weight.detach(), 'fc.bias': imagenet_fc.bias.detach()}, resnet_path)
    argv = ['--resnet-weights', str(resnet_path), '--head-seed', '0']
    if cls_input:
        argv += ['--cls-input'] + export_args(tmp / 'models/dinov2/cls.onnx', '4x768,1x768')
    else:
        stub_path = tmp / 'stub-encoder.pth'
        torch.save(encoder.state_dict(), stub_path)
        argv += ['--stub-encoder', str(stub_path)] + export_args(tmp / 'models/dinov2/stub.onnx', '3x3x224x224,1x3x224x224')
    report = dinov2_variant.main(argv)
    what = ('CLS vector input (no encoder)' if cls_input else 'tiny ViT stand-in encoder (NOT DINOv2)') + \
        ' -> full resnet50 + untrained Linear(2048, 1)'
    return {'report': report, 'original': model, 'what': what}


def case_dinov2(tmp: Path) -> dict:
    return _dinov2_case(tmp, cls_input=False)


def case_dinov2_cls(tmp: Path) -> dict:
    return _dinov2_case(tmp, cls_input=True)


CASES = {'cnnspot': case_cnnspot, 'npr': case_npr, 'ufd': case_ufd, 'dinov2': case_dinov2, 'dinov2-cls': case_dinov2_cls}


# ------------------------------------------------------------------------------------------------ driver

def run_case(name: str, tmp: Path) -> dict:
    started = time.perf_counter()
    row = {'model': name, 'passed': False}
    try:
        tmp.mkdir(parents=True)
        case = CASES[name](tmp)
        report = case['report']
        vs_original = compare_with_original(case['original'], report)
        spread = logit_spread(report)
        problems = list(case.get('problems', []))
        if not report['passed']:
            problems.append('exporter check failed')
        if vs_original > DEFAULT_TOL:
            problems.append(f'onnx vs original model {vs_original:.2e} > {DEFAULT_TOL:.0e}')
        if spread < 100 * DEFAULT_TOL:
            problems.append(f'logit spread {spread:.2e} too small for a meaningful check')
        row.update(passed=not problems, what=case['what'], problems=problems, notes=case.get('notes', []),
                   max_abs_diff=report['max_abs_diff'], max_abs_diff_vs_original=vs_original, logit_spread=spread,
                   shapes=[c['shape'] for c in report['checks']], onnx_bytes=report['bytes'], export_s=report['export_s'],
                   verify_s=report['verify_s'])
    except BaseException as error:  # SystemExit from an exporter included: report it and go on
        if isinstance(error, KeyboardInterrupt):
            raise
        row['problems'] = [f'{type(error).__name__}: {error}']
        traceback.print_exc()
    row['seconds'] = round(time.perf_counter() - started, 1)
    return row


def summary_line(row: dict) -> str:
    if 'max_abs_diff' not in row:
        return f'FAIL {row["model"]:<11} {"; ".join(row["problems"])}  ({row["seconds"]} s)'
    verdict = 'PASS' if row['passed'] else 'FAIL'
    extra = '; '.join(row['problems'] + row['notes'])
    return (f'{verdict} {row["model"]:<11} onnxruntime vs torch: {row["max_abs_diff"]:.1e} (loaded ckpt), '
            f'{row["max_abs_diff_vs_original"]:.1e} (original)  logit spread {row["logit_spread"]:.2f}  '
            f'shapes {",".join(row["shapes"])}  {row["seconds"]} s' + (f'  [{extra}]' if extra else '')
            + f'\n     {"":<11} {row["what"]}')


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--only', default=','.join(CASES), help=f'comma-separated subset of {",".join(CASES)}')
    parser.add_argument('--tmp', type=Path, default=None, help='parent folder for temporary files (default: system temp)')
    parser.add_argument('--keep', action='store_true', help='keep the temporary folder (checkpoints and ONNX files)')
    parser.add_argument('--json', type=Path, default=None, help='write the per-model results as JSON')
    args = parser.parse_args(argv)
    names = [n for n in args.only.split(',') if n]
    unknown = [n for n in names if n not in CASES]
    if unknown:
        parser.error(f'unknown model(s) {", ".join(unknown)}; choose from {", ".join(CASES)}')

    configure_threads()
    tmp = Path(tempfile.mkdtemp(prefix='semibench-export-', dir=args.tmp))
    started = time.perf_counter()
    try:
        rows = [run_case(name, tmp / name) for name in names]
    finally:
        if args.keep:
            print(f'kept {tmp}')
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    total = time.perf_counter() - started

    print(f'\nexport self-test (torch {torch.__version__}, {torch.get_num_threads()} threads, tolerance {DEFAULT_TOL:.0e}):')
    for row in rows:
        print(summary_line(row))
    failed = [r['model'] for r in rows if not r['passed']]
    print(f'{len(rows) - len(failed)}/{len(rows)} passed in {total:.1f} s' + (f'; FAILED: {", ".join(failed)}' if failed else ''))
    if args.json:
        args.json.write_text(json.dumps({'tolerance': DEFAULT_TOL, 'seconds': round(total, 1), 'results': rows}, indent=2) + '\n')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
